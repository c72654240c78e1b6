# proves: malformed APPENDUID codes (one number, a zero, letters, a set, no argument, trailing text) are taken as not said: 0 0, success
# probe: --tls append A '' 0 x append A '' 0 x append A '' 0 x append A '' 0 x append A '' 0 x append A '' 0 x
# expect-exit: 0
# expect-count: 6 ^APPEND uidvalidity=0 uid=0$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ UIDPLUS] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR LITERAL+ UIDPLUS
S: $TAG OK Capability completed
END
C: {TAG} APPEND "A" () "01-Jan-1970 00:00:00 +0000" {1+}
C-LITERAL: 1 x
C:
S: $TAG OK [APPENDUID 42] Append completed
C: {TAG} APPEND "A" () "01-Jan-1970 00:00:00 +0000" {1+}
C-LITERAL: 1 x
C:
S: $TAG OK [APPENDUID 0 5] Append completed
C: {TAG} APPEND "A" () "01-Jan-1970 00:00:00 +0000" {1+}
C-LITERAL: 1 x
C:
S: $TAG OK [APPENDUID x 5] Append completed
C: {TAG} APPEND "A" () "01-Jan-1970 00:00:00 +0000" {1+}
C-LITERAL: 1 x
C:
S: $TAG OK [APPENDUID 42 5:6] Append completed
C: {TAG} APPEND "A" () "01-Jan-1970 00:00:00 +0000" {1+}
C-LITERAL: 1 x
C:
S: $TAG OK [APPENDUID] Append completed
C: {TAG} APPEND "A" () "01-Jan-1970 00:00:00 +0000" {1+}
C-LITERAL: 1 x
C:
S: $TAG OK [APPENDUID 42 5 6] Append completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

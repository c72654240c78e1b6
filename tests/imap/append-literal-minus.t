# proves: with LITERAL- a message of 4096 bytes goes as {4096+} without waiting, one of 4097 bytes waits for "+"
# probe: --tls append-big INBOX '' 0 4096 append-big INBOX '' 0 4097
# expect-exit: 0
# expect-count: 2 ^APPEND uidvalidity=42 uid=
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL- UIDPLUS] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR LITERAL- UIDPLUS
S: $TAG OK Capability completed
END
C: {TAG} APPEND "INBOX" () "01-Jan-1970 00:00:00 +0000" {4096+}
C-LITERAL: 4096
C:
S: $TAG OK [APPENDUID 42 1] Append completed
C: {TAG} APPEND "INBOX" () "01-Jan-1970 00:00:00 +0000" {4097}
S: + OK
C-LITERAL: 4097
C:
S: $TAG OK [APPENDUID 42 2] Append completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

# proves: with LITERAL+ APPEND sends {N+} and the message at once, without waiting for "+"; without UIDPLUS the result is 0 0
# probe: --tls append Sent '' 0 'Subject: hi\r\n\r\nhello \xc3\xa9\r\n'
# expect-exit: 0
# expect-out: ^APPEND uidvalidity=0 uid=0$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR LITERAL+
S: $TAG OK Capability completed
END
C: {TAG} APPEND "Sent" () "01-Jan-1970 00:00:00 +0000" {25+}
C-LITERAL: 25 Subject: hi\r\n\r\nhello \xc3\xa9\r\n
C:
S: $TAG OK Append completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

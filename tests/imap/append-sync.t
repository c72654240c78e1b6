# proves: without LITERAL+ APPEND sends the mailbox, flags and the date in UTC, then waits for the server's "+" before the message (8-bit bytes as they are) and its CRLF; APPENDUID gives the new UID
# probe: --tls append INBOX '\\Seen $Label1' 837596665 'Subject: hi\r\n\r\nhello \xc3\xa9\r\n'
# expect-exit: 0
# expect-out: ^APPEND uidvalidity=42 uid=108$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR UIDPLUS] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR UIDPLUS
S: $TAG OK Capability completed
END
C~: ^(?P<tag>\S+) APPEND "INBOX" \(\\Seen \$Label1\) "17-Jul-1996 09:44:25 \+0000" \{25\}$
S: + go ahead
C-LITERAL: 25 Subject: hi\r\n\r\nhello \xc3\xa9\r\n
C:
S: $TAG OK [APPENDUID 42 108] Append completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

# proves: a tagged NO [OVERQUOTA] instead of "+" after APPEND's literal announcement is EDQUOT and nothing of the message is sent (the next thing the client sends is LOGOUT); the command counts as sent
# probe: --tls append INBOX '' 0 'Subject: x\r\n\r\nbody\r\n'
# expect-exit: 1
# expect-out: ^ERROR EDQUOT .*OVERQUOTA
# expect-out: ^SENT yes$
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
C: {TAG} APPEND "INBOX" () "01-Jan-1970 00:00:00 +0000" {20}
S: $TAG NO [OVERQUOTA] Quota exceeded (mailbox for user is full)
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

# proves: a partial FETCH near the end of the message returns fewer bytes than asked (got < len) and exactly those bytes
# probe: --tls examine INBOX body 7 10 100
# expect-exit: 0
# expect-out: ^BODY uid=7 got=10 hex=6869207468657265210d$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR IDLE] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR IDLE
S: $TAG OK Capability completed
END
C-CMD: EXAMINE INBOX
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
C~: ^(?P<tag>\S+) UID FETCH 7 (?:BODY\.PEEK\[\]<10\.100>|\((?:UID )?BODY\.PEEK\[\]<10\.100>(?: UID)?\))$
S+: * 3 FETCH (UID 7 BODY[]<10> {10}\r\nhi there!\r)\r\n
S: $TAG OK Fetch completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

# proves: the body is taken from the FETCH response whose UID is the one asked for, even when a FETCH with a body for another UID comes first and the UID item follows the body literal
# probe: --tls examine INBOX body 7 0 20
# expect-exit: 0
# expect-out: ^BODY uid=7 got=20 hex=5375626a6563743a206869207468657265210d0a$
# expect-not-out: 57524f4e47
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
C~: ^(?P<tag>\S+) UID FETCH 7 (?:BODY\.PEEK\[\]<0\.20>|\((?:UID )?BODY\.PEEK\[\]<0\.20>(?: UID)?\))$
S+: * 2 FETCH (UID 5 BODY[]<0> {5}\r\nWRONG)\r\n
S+: * 3 FETCH (BODY[]<0> {20}\r\nSubject: hi there!\r\n UID 7)\r\n
S: $TAG OK Fetch completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

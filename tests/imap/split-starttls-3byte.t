# proves: a STARTTLS session with the server writing 3 bytes at a time (before and after the handshake), including literals, gives the right results
# probe: --starttls list examine INBOX body 7 0 20
# max-elapsed-ms: 20000
# expect-exit: 0
# expect-out: ^LIST 0 / INBOX$
# expect-out: ^LIST 0 / Sent Items$
# expect-out: ^EXAMINE uidvalidity=42 uidnext=8 exists=3$
# expect-out: ^BODY uid=7 got=20 hex=5375626a6563743a206869207468657265210d0a$
SPLIT 3
S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED
S: $TAG OK Capability completed
END
C: {TAG} STARTTLS
S: $TAG OK Begin TLS negotiation now
TLS
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR IDLE
S: $TAG OK Capability completed
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR IDLE] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR IDLE
S: $TAG OK Capability completed
END
C: {TAG} LIST "" "*"
S: * LIST (\HasNoChildren) "/" INBOX
S+: * LIST (\HasNoChildren) "/" {10}\r\nSent Items\r\n
S: $TAG OK List completed
C-CMD: EXAMINE INBOX
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
C~: ^(?P<tag>\S+) UID FETCH 7 (?:BODY\.PEEK\[\]<0\.20>|\((?:UID )?BODY\.PEEK\[\]<0\.20>(?: UID)?\))$
S+: * 3 FETCH (UID 7 BODY[]<0> {20}\r\nSubject: hi there!\r\n)\r\n
S: $TAG OK Fetch completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

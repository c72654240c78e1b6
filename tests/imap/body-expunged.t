# proves: a body FETCH answered OK without a FETCH for that UID (expunged meanwhile; only another message's flags came) is ENOENT, and the connection stays usable
# probe: --tls examine INBOX body 9 0 20
# expect-exit: 1
# expect-out: ^ERROR ENOENT
# expect-not-out: ^BODY
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
C~: ^(?P<tag>\S+) UID FETCH 9 (?:BODY\.PEEK\[\]<0\.20>|\((?:UID )?BODY\.PEEK\[\]<0\.20>(?: UID)?\))$
S: * 2 FETCH (UID 5 FLAGS (\Seen))
S: $TAG OK Fetch completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

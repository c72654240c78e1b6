# proves: the bulk fetch sends one UID FETCH with the UIDs as a compressed set and BODY.PEEK[]<0.N>, hands over each returned body (binary bytes intact, short = whole message), ignores flag updates and UIDs not asked for, and skips a missing (expunged) UID
# probe: --tls examine INBOX bodies 100 3,4,5,9,11,12
# expect-exit: 0
# expect-out: ^BODIES uid=3 got=5 hex=68656c6c6f$
# expect-out: ^BODIES uid=4 got=4 hex=00ff0d0a$
# expect-out: ^BODIES uid=9 got=2 hex=6f6b$
# expect-out: ^BODIES uid=12 got=0 hex=$
# expect-not-out: uid=7
# expect-not-out: uid=5
# expect-not-out: uid=11
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
S: * 12 EXISTS
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 13] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
C~: ^(?P<tag>\S+) UID FETCH 3:5,9,11:12 \(UID BODY\.PEEK\[\]<0\.100>\)$
S+: * 1 FETCH (UID 3 BODY[]<0> {5}\r\nhello)\r\n
S: * 2 FETCH (FLAGS (\Seen) UID 5)
S+: * 2 FETCH (UID 4 BODY[]<0> {4}\r\n\x00\xff\r\n)\r\n
S+: * 3 FETCH (UID 7 BODY[]<0> {3}\r\nbad)\r\n
S: * 4 FETCH (BODY[]<0> "ok" UID 9)
S: * 5 FETCH (UID 12 BODY[]<0> "")
S: $TAG OK Fetch completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

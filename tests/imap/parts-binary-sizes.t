# proves: BINARY.SIZE of several sections in one command gives each decoded size, whatever order the server answers in
# probe: --tls examine INBOX bsizes 7 1,2.1,10
# expect-exit: 0
# expect-out: ^BSIZE uid=7 section=1 size=16$
# expect-out: ^BSIZE uid=7 section=2.1 size=1024$
# expect-out: ^BSIZE uid=7 section=10 size=0$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR IDLE BINARY] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR IDLE BINARY
S: $TAG OK Capability completed
END
C-CMD: EXAMINE INBOX
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
C~: ^(?P<tag>\S+) UID FETCH 7 \(UID BINARY\.SIZE\[1\] BINARY\.SIZE\[2\.1\] BINARY\.SIZE\[10\]\)$
S: * 3 FETCH (UID 7 BINARY.SIZE[10] 0 BINARY.SIZE[2.1] 1024 BINARY.SIZE[1] 16)
S: $TAG OK Fetch completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

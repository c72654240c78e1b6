# proves: a whole section longer than asked for is EPROTO (never an overflow), even with the other items fine
# probe: --tls examine INBOX parts 7 2 1:body:4 -
# expect-exit: 1
# expect-out: ^ERROR EPROTO .*returned 10 bytes of UID 7 where at most 4
# expect-not-out: ^(WHOLE|BSIZE)
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
C~: ^(?P<tag>\S+) UID FETCH 7 \(UID BINARY\.SIZE\[2\] BODY\.PEEK\[1\]\)$
S: * 3 FETCH (UID 7 BINARY.SIZE[2] 12 BODY[1] {10}
S+: 0123456789)\r\n
S: $TAG OK Fetch completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

# proves: a server that cannot decode one part fails the whole command (Dovecot's NO [PARSE]), so that the caller falls back to decoding itself
# probe: --tls examine INBOX parts 7 2 1:binary:100 -
# expect-exit: 1
# expect-out: ^ERROR EIO .*Invalid data in MIME part$
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
C~: ^(?P<tag>\S+) UID FETCH 7 \(UID BINARY\.SIZE\[2\] BINARY\.PEEK\[1\]\)$
S: * 3 FETCH (UID 7 BINARY[1] "ok")
S: $TAG NO [PARSE] Invalid data in MIME part
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

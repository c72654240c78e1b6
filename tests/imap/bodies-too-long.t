# proves: a bulk-fetch body longer than the bound asked for is a protocol error (EPROTO), not an overflow, and the bodies before it were handed over
# probe: --tls examine INBOX bodies 4 1,2
# expect-exit: 1
# expect-out: ^BODIES uid=1 got=4 hex=61626364$
# expect-out: ^ERROR EPROTO .*returned 6 bytes of UID 2 where at most 4
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
S: * 2 EXISTS
S: * OK [UIDVALIDITY 42] UIDs valid
S: $TAG OK [READ-ONLY] Examine completed
C~: ^(?P<tag>\S+) UID FETCH 1:2 \(UID BODY\.PEEK\[\]<0\.4>\)$
S: * 1 FETCH (UID 1 BODY[]<0> "abcd")
S: * 2 FETCH (UID 2 BODY[]<0> "abcdef")
S: $TAG OK Fetch completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

# proves: BINARY.PEEK[section]<off.len> answered with a literal8 (~{N}, NUL bytes and all) returns those bytes exactly
# probe: --tls examine INBOX section 7 2 binary 0 1000
# expect-exit: 0
# expect-out: ^SECTION uid=7 section=2 got=300 hex=078a0d901396199c1fa225a82bae31b437ba3dc043c649cc4fd255d85bde61e4$
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
C~: ^(?P<tag>\S+) UID FETCH 7 \(UID BINARY\.PEEK\[2\]<0\.1000>\)$
S: * 3 FETCH (UID 7 BINARY[2]<0> ~{300}
DATA 300
S: )
S: $TAG OK Fetch completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

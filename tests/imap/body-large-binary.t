# proves: a 300,000-byte body literal holding every byte value (NUL, CR, LF, 8-bit), arriving in odd 4093-byte writes across many reads and TLS records, is returned complete and byte-exact
# probe: --tls examine INBOX body 7 0 300000
# expect-exit: 0
# expect-out: ^BODY uid=7 got=300000 hex=078a0d901396199c1fa225a82bae31b437ba3dc043c649cc4fd255d85bde61e4$
# expect-body-sha256: 9b35fb1e0775edcc797a738ca665031e662abe1ad2d0c1e41a2900290b4c431c
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
C~: ^(?P<tag>\S+) UID FETCH 7 (?:BODY\.PEEK\[\]<0\.300000>|\((?:UID )?BODY\.PEEK\[\]<0\.300000>(?: UID)?\))$
SPLIT 4093 0
S: * 3 FETCH (UID 7 BODY[]<0> {300000}
DATA 300000
S: )
S: $TAG OK Fetch completed
SPLIT 0
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

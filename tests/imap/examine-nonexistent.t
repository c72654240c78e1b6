# proves: EXAMINE answered NO [NONEXISTENT] maps to ENOENT and the connection stays usable (LOGOUT follows)
# probe: --tls examine Gone
# expect-exit: 1
# expect-out: ^ERROR ENOENT
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
C-CMD: EXAMINE Gone
S: $TAG NO [NONEXISTENT] Mailbox doesn't exist: Gone
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

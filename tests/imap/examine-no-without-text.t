# proves: a tagged "NO" with no text at all (RFC-violating but seen in the wild) on EXAMINE is a clean EIO, and the connection stays usable: LOGOUT is still sent
# probe: --tls examine INBOX
# expect-exit: 1
# expect-out: ^ERROR EIO
# expect-not-out: ^EXAMINE
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
S: $TAG NO
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

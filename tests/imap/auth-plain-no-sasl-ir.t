# proves: with AUTH=PLAIN but without SASL-IR the client sends AUTHENTICATE PLAIN alone, waits for the "+" continuation and then sends exactly base64("\0user\0s3cr3t-PW") on its own line
# probe: --tls caps
# expect-exit: 0
# expect-out: ^CAP IDLE$
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN
S: $TAG OK Capability completed
C: {TAG} AUTHENTICATE PLAIN
S+: + \r\n
C: AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 IDLE] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 IDLE
S: $TAG OK Capability completed
END
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

# proves: a server that stops answering after a command (EXAMINE) costs ETIMEDOUT within timeout-ms + 1 s, closing included (no second wait for a LOGOUT answer on a connection that timed out)
# probe: --tls examine INBOX
# timeout-ms: 1500
# max-elapsed-ms: 2500
# expect-exit: 1
# expect-out: ^ERROR ETIMEDOUT \S
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
STALL

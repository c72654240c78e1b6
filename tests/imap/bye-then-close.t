# proves: an untagged BYE in answer to a command, followed by the server closing (what real servers do), fails the command with ECONNRESET at once and no partial result is reported
# probe: --tls examine INBOX
# timeout-ms: 5000
# max-elapsed-ms: 2500
# expect-exit: 1
# expect-out: ^ERROR ECONNRESET
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
S: * BYE Server shutting down
CLOSE

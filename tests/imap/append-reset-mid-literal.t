# proves: a server that resets the connection while a 20 MB LITERAL+ APPEND is being written gives a clean connection error (no SIGPIPE, no hang) with imap_conn_cmd_sent() true
# probe: --tls append-big INBOX '' 0 20000000
# max-elapsed-ms: 5000
# expect-exit: 1
# expect-out: ^ERROR (ECONNRESET|EPIPE)
# expect-out: ^SENT yes$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ UIDPLUS] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR LITERAL+ UIDPLUS
S: $TAG OK Capability completed
END
C: {TAG} APPEND "INBOX" () "01-Jan-1970 00:00:00 +0000" {20000000+}
RESET

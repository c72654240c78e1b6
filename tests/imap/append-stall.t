# proves: a server that stops answering after taking a 20 MB APPEND costs ETIMEDOUT within the timeout (each wait bounded, none for the whole transfer), with imap_conn_cmd_sent() true
# probe: --tls append-big INBOX '' 0 20000000
# timeout-ms: 1500
# max-elapsed-ms: 5000
# expect-exit: 1
# expect-out: ^ERROR ETIMEDOUT
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
STALL

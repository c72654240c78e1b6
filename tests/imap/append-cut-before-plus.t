# proves: an APPEND whose connection closes while the client waits for "+" fails with a connection error and imap_conn_cmd_sent() true (its command line went out)
# probe: --tls append INBOX '' 0 'x\r\n'
# expect-exit: 1
# expect-count: 1 ^ERROR (ECONNRESET|EPIPE)
# expect-count: 1 ^SENT yes$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} APPEND "INBOX" () "01-Jan-1970 00:00:00 +0000" {3}
CLOSE

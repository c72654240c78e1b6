# proves: without the QUOTA capability imap_conn_getquotaroot fails with EOPNOTSUPP and sends nothing (the next command the server sees is LOGOUT)
# probe: --tls quota INBOX
# expect-exit: 1
# expect-out: ^ERROR EOPNOTSUPP .*QUOTA
# expect-out: ^SENT no$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 IDLE] Logged in
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

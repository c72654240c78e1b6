# proves: opening a connection (connect, TLS, greeting, login) fits in one timeout in all: a server that answers the greeting and the login each just before the timeout makes the open fail with ETIMEDOUT within timeout-ms + 0.5 s, not after both waits
# probe: --tls list
# timeout-ms: 1000
# max-elapsed-ms: 1500
# expect-exit: 1
# expect-out: ^ERROR ETIMEDOUT \S
TLS
PAUSE 700
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
PAUSE 700
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR] Logged in

# proves: a QUOTA server whose mailbox is under no quota root (Dovecot without quota rules answers "* QUOTAROOT INBOX" alone) gives success with no limits
# probe: --tls quota INBOX
# expect-exit: 0
# expect-out: ^QUOTA none$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 QUOTA] Logged in
C: {TAG} GETQUOTAROOT "INBOX"
S: * QUOTAROOT INBOX
S: $TAG OK Getquotaroot completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

# proves: a QUOTA response whose list is not atom-number-number triples (a missing limit, then a usage that is no number) fails with EPROTO and a reason, even though the command completed OK, and the connection stays usable
# probe: --tls try quota INBOX try quota INBOX quota INBOX
# expect-exit: 0
# expect-count: 2 ^ERROR EPROTO server 127\.0\.0\.1 sent a malformed QUOTA response
# expect-out: ^QUOTA storage used=1 limit=2$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 QUOTA] Logged in
C: {TAG} GETQUOTAROOT "INBOX"
S: * QUOTAROOT INBOX ""
S: * QUOTA "" (STORAGE 10)
S: $TAG OK Getquotaroot completed
C: {TAG} GETQUOTAROOT "INBOX"
S: * QUOTAROOT INBOX ""
S: * QUOTA "" (STORAGE ten 100)
S: $TAG OK Getquotaroot completed
C: {TAG} GETQUOTAROOT "INBOX"
S: * QUOTAROOT INBOX ""
S: * QUOTA "" (STORAGE 1 2)
S: $TAG OK Getquotaroot completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

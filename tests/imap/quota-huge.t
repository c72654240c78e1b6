# proves: numbers up to RFC 9208's number64 maximum (2^63 - 1 KiB) are reported exactly; one above it (2^64, which overflows 64 bits) is EPROTO, never a wrapped value
# probe: --tls try quota INBOX try quota INBOX quota INBOX
# expect-exit: 0
# expect-out: ^QUOTA storage used=9223372036854775806 limit=9223372036854775807$
# expect-count: 2 ^ERROR EPROTO
# expect-not-out: used=0 limit=0
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 QUOTA] Logged in
C: {TAG} GETQUOTAROOT "INBOX"
S: * QUOTAROOT INBOX ""
S: * QUOTA "" (STORAGE 9223372036854775806 18446744073709551616)
S: $TAG OK Getquotaroot completed
C: {TAG} GETQUOTAROOT "INBOX"
S: * QUOTAROOT INBOX ""
S: * QUOTA "" (STORAGE 9223372036854775808 9223372036854775808)
S: $TAG OK Getquotaroot completed
C: {TAG} GETQUOTAROOT "INBOX"
S: * QUOTAROOT INBOX ""
S: * QUOTA "" (STORAGE 9223372036854775806 9223372036854775807)
S: $TAG OK Getquotaroot completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

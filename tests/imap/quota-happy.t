# proves: GETQUOTAROOT INBOX is sent as such with QUOTA announced; the STORAGE (KiB) and MESSAGE usage and limits of the QUOTA responses are reported, unknown resources ignored; of two roots the one with less room left counts
# probe: --tls quota INBOX
# expect-exit: 0
# expect-out: ^QUOTA storage used=4000 limit=5000$
# expect-out: ^QUOTA message used=7 limit=1000$
# expect-count: 1 ^QUOTA storage
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE
S: $TAG OK Capability completed
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 QUOTA] Logged in
C: {TAG} GETQUOTAROOT "INBOX"
S: * QUOTAROOT INBOX "User quota" ""
S: * QUOTA "User quota" (STORAGE 512 10240 MESSAGE 7 1000 X-FOO 1 2)
S: * QUOTA "" (STORAGE 4000 5000)
S: $TAG OK Getquotaroot completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

# proves: STARTTLS answered NO is fatal with a reason that names STARTTLS/TLS; no credentials follow in clear text
# probe: --starttls list
# expect-exit: 1
# expect-out: ^ERROR E[A-Z]+ .*(?i:tls)
# expect-not-out: ^LIST
S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED
S: $TAG OK Capability completed
END
C: {TAG} STARTTLS
S: $TAG NO [UNAVAILABLE] TLS is not available right now
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

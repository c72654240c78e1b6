# proves: LOGIN answered NO [AUTHENTICATIONFAILED] fails the open with EACCES
# probe: --tls list
# expect-exit: 1
# expect-out: ^ERROR EACCES .*(?i:authenticat)
# expect-not-out: ^LIST
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1
S: $TAG OK Capability completed
C-CMD: LOGIN user s3cr3t-PW
S: $TAG NO [AUTHENTICATIONFAILED] Authentication failed.
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

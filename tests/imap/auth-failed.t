# proves: AUTHENTICATE answered NO [AUTHENTICATIONFAILED] fails the open with EACCES and a reason saying authentication failed
# probe: --tls list
# expect-exit: 1
# expect-out: ^ERROR EACCES .*(?i:authenticat)
# expect-not-out: ^LIST
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG NO [AUTHENTICATIONFAILED] Authentication failed.
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

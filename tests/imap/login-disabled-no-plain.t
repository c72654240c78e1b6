# proves: a server with LOGINDISABLED and no AUTH=PLAIN gets no credentials at all: no LOGIN, no other AUTHENTICATE mechanism; the open fails
# probe: --tls list
# expect-exit: 1
# expect-out: ^ERROR E[A-Z]+ \S
# expect-not-out: ^LIST
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=GSSAPI AUTH=CRAM-MD5
S: $TAG OK Capability completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

# proves: when the capabilities re-read after STARTTLS still say LOGINDISABLED and offer no AUTH=PLAIN, no credentials are sent and the open fails
# probe: --starttls list
# expect-exit: 1
# expect-out: ^ERROR E[A-Z]+ \S
# expect-not-out: ^LIST
S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED
S: $TAG OK Capability completed
END
C: {TAG} STARTTLS
S: $TAG OK Begin TLS negotiation now
TLS
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 LOGINDISABLED
S: $TAG OK Capability completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

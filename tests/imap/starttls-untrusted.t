# proves: after STARTTLS, an untrusted certificate aborts the handshake; no credentials were sent before it and none after
# probe: --starttls list
# cafile: none
# expect-exit: 1
# expect-out: ^ERROR E[A-Z]+ .*(?i:certif|trust|verif)
# expect-not-out: ^LIST
S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED
S: $TAG OK Capability completed
END
C: {TAG} STARTTLS
S: $TAG OK Begin TLS negotiation now
TLS-REJECTED

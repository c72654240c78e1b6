# proves: a fake tagged response pipelined in the same write right after "OK Begin TLS" is fatal: EPROTO, no handshake, no credentials
# probe: --starttls list
# expect-exit: 1
# expect-out: ^ERROR EPROTO \S
# expect-not-out: ^LIST
S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED
S: $TAG OK Capability completed
END
C: {TAG} STARTTLS
S: $TAG OK Begin TLS negotiation now
BEFORE-TLS: $TAG OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n
EXPECT-EOF

# proves: an untagged "* OK [CAPABILITY ...]" pipelined in the same write right after "OK Begin TLS" (plain-text response injection, as in the "NO STARTTLS" study, USENIX Security 2021) is fatal: EPROTO, the client neither starts the handshake nor sends credentials
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
BEFORE-TLS: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] injected\r\n
EXPECT-EOF

# proves: a server that says "OK Begin TLS" and then never does the handshake costs ETIMEDOUT within timeout-ms + 1 s
# probe: --starttls list
# timeout-ms: 1500
# max-elapsed-ms: 2500
# expect-exit: 1
# expect-out: ^ERROR ETIMEDOUT \S
S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED
S: $TAG OK Capability completed
END
C: {TAG} STARTTLS
S: $TAG OK Begin TLS negotiation now
STALL

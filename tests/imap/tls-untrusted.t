# proves: over imaps, a certificate not signed by a trusted CA (no --cafile: the system store) makes the client abort the handshake with a reason about the certificate; nothing is sent in the clear
# probe: --tls list
# cafile: none
# expect-exit: 1
# expect-out: ^ERROR E[A-Z]+ .*(?i:certif|trust|verif)
# expect-not-out: ^LIST
TLS-REJECTED

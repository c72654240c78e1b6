# proves: an imaps server that accepts the TCP connection but never answers the TLS handshake costs ETIMEDOUT within timeout-ms + 1 s
# probe: --tls list
# timeout-ms: 1500
# max-elapsed-ms: 2500
# expect-exit: 1
# expect-out: ^ERROR ETIMEDOUT \S
STALL

# proves: a server that completes TLS but never sends a greeting costs ETIMEDOUT within timeout-ms + 1 s
# probe: --tls list
# timeout-ms: 1500
# max-elapsed-ms: 2500
# expect-exit: 1
# expect-out: ^ERROR ETIMEDOUT \S
TLS
STALL

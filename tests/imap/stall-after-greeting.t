# proves: a server that stops answering after the greeting (CAPABILITY never answered) costs ETIMEDOUT within timeout-ms + 1 s
# probe: --tls list
# timeout-ms: 1500
# max-elapsed-ms: 2500
# expect-exit: 1
# expect-out: ^ERROR ETIMEDOUT \S
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
STALL

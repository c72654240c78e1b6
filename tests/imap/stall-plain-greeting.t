# proves: on imap://, a server that stops answering after the plain-text greeting costs ETIMEDOUT within timeout-ms + 1 s
# probe: --starttls list
# timeout-ms: 1500
# max-elapsed-ms: 2500
# expect-exit: 1
# expect-out: ^ERROR ETIMEDOUT \S
S: * OK fake server ready
C: {TAG} CAPABILITY
STALL

# proves: a BYE greeting fails the open with ECONNRESET (the one IMAP-to-errno mapping) and the client closes without sending anything
# probe: --tls list
# expect-exit: 1
# expect-out: ^ERROR ECONNRESET \S
# expect-not-out: ^LIST
TLS
S: * BYE [UNAVAILABLE] Server shutting down
EXPECT-EOF

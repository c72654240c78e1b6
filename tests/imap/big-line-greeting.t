# proves: a 100 MB greeting line without CRLF, streamed, makes the client bail out at its line limit (it disconnects before the server could send 32 MB of it) with a clean error, fast, without buffering it (bounded RSS)
# probe: --tls list
# timeout-ms: 5000
# max-elapsed-ms: 4000
# max-rss-kb: 48000
# expect-exit: 1
# expect-out: ^ERROR E[A-Z]+ \S
# expect-not-out: ^LIST
TLS
S+: * OK\x20
BIG-LINE 104857600 33554432
EXPECT-EOF

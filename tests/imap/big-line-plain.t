# proves: before STARTTLS too, a 100 MB line without CRLF makes the client bail out at its line limit, fast, with bounded memory
# probe: --starttls list
# timeout-ms: 5000
# max-elapsed-ms: 4000
# max-rss-kb: 48000
# expect-exit: 1
# expect-out: ^ERROR E[A-Z]+ \S
# expect-not-out: ^LIST
S+: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED]\x20
BIG-LINE 104857600 33554432
EXPECT-EOF

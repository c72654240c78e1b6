# proves: a server without SASL-IR that hangs up on "AUTHENTICATE OAUTHBEARER" before its "+" (so before any token was sent) is no token refusal: the open fails with ECONNRESET and the server's words, oauth_command ran once, and the client does not connect again
# probe: --tls list
# oauth-tokens: ya29.first-token_A ya29.second-token_B
# expect-oauth-runs: 1
# expect-exit: 1
# expect-out: ^ERROR ECONNRESET server 127\.0\.0\.1 closed the connection: Server shutting down$
# expect-not-err: reconnecting
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=OAUTHBEARER
S: $TAG OK Capability completed
C: {TAG} AUTHENTICATE OAUTHBEARER
S: * BYE Server shutting down
CLOSE

# proves: the reconnection after a token the server hung up on shares the open's one timeout: a first connection that took most of it and a second server slow to greet make the open fail with ETIMEDOUT within about one timeout (2 s here), not two
# probe: --tls list
# timeout-ms: 2000
# max-elapsed-ms: 2800
# oauth-tokens: ya29.first-token_A ya29.second-token_B ya29.third-token_C
# expect-oauth-runs: 2
# expect-exit: 1
# expect-out: ^ERROR ETIMEDOUT
# expect-not-out: ^LIST
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=OAUTHBEARER SASL-IR
S: $TAG OK Capability completed
C-B64: {TAG} AUTHENTICATE OAUTHBEARER |n,a=user,\x01host=127.0.0.1\x01port=$PORT\x01auth=Bearer ya29.first-token_A\x01\x01
PAUSE 1200
S: * BYE Token expired
CLOSE
ACCEPT
TLS
PAUSE 1500
S: * OK fake server ready
OPTIONAL
C: {TAG} CAPABILITY
END

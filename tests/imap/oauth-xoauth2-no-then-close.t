# proves: a server that refuses the token with a tagged NO and then closes the connection (as Office 365 does) makes the retry with the fresh token fail on that connection, and the client then connects again and logs in with the same fresh token's exact XOAUTH2 bytes: oauth_command runs twice in all, not three times
# probe: --tls caps
# oauth-tokens: ya29.first-token_A ya29.second-token_B ya29.third-token_C
# expect-oauth-runs: 2
# expect-exit: 0
# expect-out: ^CAP IDLE$
# expect-err: reconnecting to log in with a fresh token
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL-IR
S: $TAG OK Capability completed
# decoded, user=user^Aauth=Bearer ya29.first-token_A^A^A
C-B64: {TAG} AUTHENTICATE XOAUTH2 |user=user\x01auth=Bearer ya29.first-token_A\x01\x01
S: $TAG NO AUTHENTICATE failed.
CLOSE
ACCEPT
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL-IR
S: $TAG OK Capability completed
# decoded, user=user^Aauth=Bearer ya29.second-token_B^A^A
C-B64: {TAG} AUTHENTICATE XOAUTH2 |user=user\x01auth=Bearer ya29.second-token_B\x01\x01
S: $TAG OK [CAPABILITY IMAP4rev1 IDLE] Logged in
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

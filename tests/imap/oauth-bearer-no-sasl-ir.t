# proves: without SASL-IR the client sends AUTHENTICATE OAUTHBEARER alone, waits for the "+" and answers it with exactly the base64 initial response on its own line, traced as <redacted>
# probe: --tls caps
# oauth-tokens: ya29.first-token_A
# expect-oauth-runs: 1
# expect-exit: 0
# expect-out: ^CAP IDLE$
# expect-err: C: a\d+ AUTHENTICATE OAUTHBEARER$
# expect-err: C: <redacted>$
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=OAUTHBEARER
S: $TAG OK Capability completed
C: {TAG} AUTHENTICATE OAUTHBEARER
S+: + \r\n
# decoded, n,a=user,^Ahost=127.0.0.1^Aport=PORT^Aauth=Bearer ya29.first-token_A^A^A
C-B64: |n,a=user,\x01host=127.0.0.1\x01port=$PORT\x01auth=Bearer ya29.first-token_A\x01\x01
S: $TAG OK [CAPABILITY IMAP4rev1 IDLE] Logged in
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

# proves: with AUTH=XOAUTH2 but no OAUTHBEARER the client sends AUTHENTICATE XOAUTH2 with Google's message base64("user=" USER ^A "auth=Bearer " TOKEN ^A ^A), byte for byte, traced as <redacted>
# probe: --tls caps
# oauth-tokens: ya29.first-token_A
# expect-oauth-runs: 1
# expect-exit: 0
# expect-out: ^CAP IDLE$
# expect-err: C: a\d+ AUTHENTICATE XOAUTH2 <redacted>$
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR
S: $TAG OK Capability completed
# decoded, user=user^Aauth=Bearer ya29.first-token_A^A^A
C-B64: {TAG} AUTHENTICATE XOAUTH2 |user=user\x01auth=Bearer ya29.first-token_A\x01\x01
S: $TAG OK [CAPABILITY IMAP4rev1 IDLE] Logged in
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

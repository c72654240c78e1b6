# proves: with oauth_command and AUTH=OAUTHBEARER + SASL-IR (XOAUTH2 and PLAIN offered too) the client sends AUTHENTICATE OAUTHBEARER with the RFC 7628 initial response in the command, byte for byte, runs the command once, and the trace shows <redacted> instead of it
# probe: --tls caps
# oauth-tokens: ya29.first-token_A
# expect-oauth-runs: 1
# expect-exit: 0
# expect-out: ^CAP IDLE$
# expect-err: C: a\d+ AUTHENTICATE OAUTHBEARER <redacted>$
# expect-not-err: AUTHENTICATE OAUTHBEARER (?!<redacted>$)
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER SASL-IR
S: $TAG OK Capability completed
# decoded, gs2 header "n,a=user," then ^A host ^A port ^A auth ^A ^A
C-B64: {TAG} AUTHENTICATE OAUTHBEARER |n,a=user,\x01host=127.0.0.1\x01port=$PORT\x01auth=Bearer ya29.first-token_A\x01\x01
S: $TAG OK [CAPABILITY IMAP4rev1 IDLE] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 IDLE
S: $TAG OK Capability completed
END
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

# proves: a server that offers neither OAUTHBEARER nor XOAUTH2 fails the open with EOPNOTSUPP and a message saying so, before oauth_command ever runs and without sending any AUTHENTICATE or LOGIN
# probe: --tls list
# oauth-tokens: ya29.first-token_A
# expect-oauth-runs: 0
# expect-exit: 1
# expect-out: ^ERROR EOPNOTSUPP server 127\.0\.0\.1 offers neither OAUTHBEARER nor XOAUTH2
# expect-not-err: AUTHENTICATE|LOGIN
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

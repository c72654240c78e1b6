# proves: a server that answers the refused token's error challenge (after the client's "AQ==") with an untagged BYE and a close instead of a tagged NO costs one fresh token and one new connection: oauth_command runs a second time, the client connects again and logs in there with exactly the second token's bytes, within the one open
# probe: --tls caps
# oauth-tokens: ya29.first-token_A ya29.second-token_B ya29.third-token_C
# expect-oauth-runs: 2
# expect-exit: 0
# expect-out: ^CAP IDLE$
# expect-err: the server hung up on the token: asking oauth_command for a fresh token
# expect-err: reconnecting to log in with a fresh token
# expect-not-err: C: AQ==
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=OAUTHBEARER SASL-IR
S: $TAG OK Capability completed
# decoded, n,a=user,^Ahost=127.0.0.1^Aport=PORT^Aauth=Bearer ya29.first-token_A^A^A
C-B64: {TAG} AUTHENTICATE OAUTHBEARER |n,a=user,\x01host=127.0.0.1\x01port=$PORT\x01auth=Bearer ya29.first-token_A\x01\x01
# decoded, {"status":"invalid_token","scope":"https://mail.google.com/","schemes":"bearer"}
S: + eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8iLCJzY2hlbWVzIjoiYmVhcmVyIn0=
# decoded, ^A
C: AQ==
S: * BYE Session invalidated - AccessTokenExpired
CLOSE
ACCEPT
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=OAUTHBEARER SASL-IR
S: $TAG OK Capability completed
# decoded, the same with the second token
C-B64: {TAG} AUTHENTICATE OAUTHBEARER |n,a=user,\x01host=127.0.0.1\x01port=$PORT\x01auth=Bearer ya29.second-token_B\x01\x01
S: $TAG OK [CAPABILITY IMAP4rev1 IDLE] Logged in
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

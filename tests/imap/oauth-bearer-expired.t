# proves: an expired token gets the RFC 7628 error dance: the server's error challenge is answered with exactly "AQ==" (a single ^A), the tagged NO follows, oauth_command runs a second time and the login is retried on the same connection with the second token's bytes, which the server accepts
# probe: --tls caps
# oauth-tokens: ya29.first-token_A ya29.second-token_B
# expect-oauth-runs: 2
# expect-exit: 0
# expect-out: ^CAP IDLE$
# expect-err: C: a2 AUTHENTICATE OAUTHBEARER <redacted>$
# expect-err: C: a3 AUTHENTICATE OAUTHBEARER <redacted>$
# expect-err: C: <redacted>$
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
S: $TAG NO [AUTHENTICATIONFAILED] Authentication failed
# decoded, the same with the second token
C-B64: {TAG} AUTHENTICATE OAUTHBEARER |n,a=user,\x01host=127.0.0.1\x01port=$PORT\x01auth=Bearer ya29.second-token_B\x01\x01
S: $TAG OK [CAPABILITY IMAP4rev1 IDLE] Logged in
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

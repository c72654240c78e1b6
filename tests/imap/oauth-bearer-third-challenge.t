# proves: a challenge after the answer to the error challenge is cancelled with "*", never answered with the token again; the server's BAD to the cancel still counts as the token refused, so the login is retried once with a fresh token
# probe: --tls caps
# oauth-tokens: ya29.first-token_A ya29.second-token_B
# expect-oauth-runs: 2
# expect-exit: 0
# expect-out: ^CAP IDLE$
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=OAUTHBEARER
S: $TAG OK Capability completed
C: {TAG} AUTHENTICATE OAUTHBEARER
S+: + \r\n
C-B64: |n,a=user,\x01host=127.0.0.1\x01port=$PORT\x01auth=Bearer ya29.first-token_A\x01\x01
S: + eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8iLCJzY2hlbWVzIjoiYmVhcmVyIn0=
C: AQ==
S+: + more\r\n
C: *
S: $TAG BAD Authentication canceled
C: {TAG} AUTHENTICATE OAUTHBEARER
S+: + \r\n
C-B64: |n,a=user,\x01host=127.0.0.1\x01port=$PORT\x01auth=Bearer ya29.second-token_B\x01\x01
S: $TAG OK [CAPABILITY IMAP4rev1 IDLE] Logged in
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

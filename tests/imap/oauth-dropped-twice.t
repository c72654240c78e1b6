# proves: when the server hangs up on the fresh token too (here a BYE right after the AUTHENTICATE, with no challenge), the open fails with EACCES and a message saying a fresh token from oauth_command was refused too: oauth_command ran exactly twice and the client connected exactly twice (no third connection, no third token)
# probe: --tls list
# oauth-tokens: ya29.first-token_A ya29.second-token_B ya29.third-token_C
# expect-oauth-runs: 2
# expect-exit: 1
# expect-out: ^ERROR EACCES authentication failed for user at 127\.0\.0\.1: server 127\.0\.0\.1 closed the connection: Session invalidated \(a fresh token from oauth_command was refused too\)$
# expect-not-out: ^LIST
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=OAUTHBEARER SASL-IR
S: $TAG OK Capability completed
C-B64: {TAG} AUTHENTICATE OAUTHBEARER |n,a=user,\x01host=127.0.0.1\x01port=$PORT\x01auth=Bearer ya29.first-token_A\x01\x01
S: + eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8iLCJzY2hlbWVzIjoiYmVhcmVyIn0=
C: AQ==
CLOSE
ACCEPT
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=OAUTHBEARER SASL-IR
S: $TAG OK Capability completed
C-B64: {TAG} AUTHENTICATE OAUTHBEARER |n,a=user,\x01host=127.0.0.1\x01port=$PORT\x01auth=Bearer ya29.second-token_B\x01\x01
S: * BYE Session invalidated
CLOSE

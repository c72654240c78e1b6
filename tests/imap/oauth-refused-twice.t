# proves: when the fresh token is refused too (here by a plain NO [AUTHENTICATIONFAILED], no challenge) the open fails with EACCES and a message saying a fresh token from oauth_command was refused too; oauth_command ran exactly twice and no third login is tried
# probe: --tls list
# oauth-tokens: ya29.first-token_A ya29.second-token_B ya29.third-token_C
# expect-oauth-runs: 2
# expect-exit: 1
# expect-out: ^ERROR EACCES authentication failed for user at 127\.0\.0\.1: .*refused too
# expect-not-out: ^LIST
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=OAUTHBEARER SASL-IR
S: $TAG OK Capability completed
# decoded, n,a=user,^Ahost=127.0.0.1^Aport=PORT^Aauth=Bearer ya29.first-token_A^A^A
C-B64: {TAG} AUTHENTICATE OAUTHBEARER |n,a=user,\x01host=127.0.0.1\x01port=$PORT\x01auth=Bearer ya29.first-token_A\x01\x01
# decoded, {"status":"invalid_token","scope":"https://mail.google.com/","schemes":"bearer"}
S: + eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8iLCJzY2hlbWVzIjoiYmVhcmVyIn0=
C: AQ==
S: $TAG NO [AUTHENTICATIONFAILED] Authentication failed
C-B64: {TAG} AUTHENTICATE OAUTHBEARER |n,a=user,\x01host=127.0.0.1\x01port=$PORT\x01auth=Bearer ya29.second-token_B\x01\x01
S: $TAG NO [AUTHENTICATIONFAILED] Authentication failed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

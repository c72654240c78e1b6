# proves: XOAUTH2's error challenge (Google's {"status":"400",...}) is answered with an empty line, the tagged NO follows, oauth_command runs again and the second token's XOAUTH2 message is sent and accepted
# probe: --tls caps
# oauth-tokens: ya29.first-token_A ya29.second-token_B
# expect-oauth-runs: 2
# expect-exit: 0
# expect-out: ^CAP IDLE$
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL-IR
S: $TAG OK Capability completed
# decoded, user=user^Aauth=Bearer ya29.first-token_A^A^A
C-B64: {TAG} AUTHENTICATE XOAUTH2 |user=user\x01auth=Bearer ya29.first-token_A\x01\x01
# decoded, {"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}
S: + eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==
C:
S: $TAG NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)
# decoded, user=user^Aauth=Bearer ya29.second-token_B^A^A
C-B64: {TAG} AUTHENTICATE XOAUTH2 |user=user\x01auth=Bearer ya29.second-token_B\x01\x01
S: $TAG OK [CAPABILITY IMAP4rev1 IDLE] Logged in
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

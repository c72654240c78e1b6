# proves: a PREAUTH greeting over implicit TLS is accepted: no credentials are sent and the session proceeds (LIST works)
# probe: --tls list
# expect-exit: 0
# expect-out: ^LIST 0 / INBOX$
TLS
S: * PREAUTH [CAPABILITY IMAP4rev1 IDLE] logged in as user
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 IDLE
S: $TAG OK Capability completed
END
C: {TAG} LIST "" "*"
S: * LIST () "/" INBOX
S: $TAG OK List completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

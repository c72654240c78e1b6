# proves: without AUTH=PLAIN the client falls back to LOGIN with the user name and password as IMAP strings (atom, quoted or literal all accepted)
# probe: --tls caps
# expect-exit: 0
# expect-out: ^CAP IDLE$
# expect-not-out: ^CAP AUTH=PLAIN$
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=CRAM-MD5 IDLE
S: $TAG OK Capability completed
C-CMD: LOGIN user s3cr3t-PW
S: $TAG OK Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 IDLE
S: $TAG OK Capability completed
END
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

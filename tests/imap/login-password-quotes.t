# proves: a password holding '"', '\' and a space goes out in LOGIN as a correctly escaped quoted string or a literal, decoding to exactly the original bytes
# probe: --tls caps
# password: p"w\\d x\\"
# expect-exit: 0
# expect-out: ^CAP IDLE$
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 IDLE
S: $TAG OK Capability completed
C-CMD: LOGIN user "p\"w\\d x\\\""
S: $TAG OK Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 IDLE
S: $TAG OK Capability completed
END
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

# proves: a UTF-8 password goes out in LOGIN as a literal (synchronizing: the client waits for "+"), never as a quoted string, which may only hold 7-bit characters
# probe: --tls caps
# password: pässwörd-ü
# expect-exit: 0
# expect-out: ^CAP IDLE$
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 IDLE
S: $TAG OK Capability completed
C-CMD: LOGIN user "pässwörd-ü"
S: $TAG OK Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 IDLE
S: $TAG OK Capability completed
END
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

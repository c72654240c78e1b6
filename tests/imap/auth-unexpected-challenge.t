# proves: a second challenge after AUTHENTICATE PLAIN with SASL-IR is answered by cancelling ("*") or by dropping the connection, never by sending the credentials again; the open fails
# probe: --tls list
# expect-exit: 1
# expect-out: ^ERROR E[A-Z]+ \S
# expect-not-out: ^LIST
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S+: + \r\n
OPTIONAL
C: *
S: $TAG BAD Authentication canceled
END
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

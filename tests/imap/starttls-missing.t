# proves: on imap:// a server that does not announce STARTTLS gets no STARTTLS attempt and no LOGIN/AUTHENTICATE: the open fails with EPROTO
# probe: --starttls list
# expect-exit: 1
# expect-out: ^ERROR EPROTO \S
# expect-not-out: ^LIST
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

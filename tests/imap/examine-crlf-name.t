# proves: a mailbox name containing CR LF is refused with EINVAL before anything goes on the wire (no command injection), and the connection stays usable (LOGOUT follows)
# probe: --tls examine 'INBOX\r\nx DELETE INBOX'
# expect-exit: 1
# expect-out: ^ERROR EINVAL
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR IDLE] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR IDLE
S: $TAG OK Capability completed
END
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

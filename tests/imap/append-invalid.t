# proves: APPEND of a message holding a NUL byte, with an invalid flag, or with a CR in the mailbox name is EINVAL with nothing sent
# probe: --tls try append INBOX '' 0 'Subject: x\r\n\r\na\\0b\r\n' try append INBOX 'a"b' 0 'x\r\n' try append 'IN\rBOX' '' 0 'x\r\n'
# expect-exit: 0
# expect-out: ^ERROR EINVAL .*NUL
# expect-count: 3 ^ERROR EINVAL
# expect-count: 3 ^SENT no$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ UIDPLUS] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR LITERAL+ UIDPLUS
S: $TAG OK Capability completed
END
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

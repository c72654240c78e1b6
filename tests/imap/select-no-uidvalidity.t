# proves: a SELECT answered without UIDVALIDITY is EPROTO and leaves nothing selected (a STORE after it is EINVAL, nothing sent)
# probe: --tls try select INBOX store 1 +FLAGS '\\Seen'
# expect-exit: 1
# expect-out: ^ERROR EPROTO .*UIDVALIDITY
# expect-out: ^ERROR EINVAL .*no mailbox selected
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} SELECT "INBOX"
S: * 3 EXISTS
S: $TAG OK [READ-WRITE] Select completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

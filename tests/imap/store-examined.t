# proves: UID STORE on a mailbox selected with EXAMINE is EINVAL and sends nothing; so is a STORE with nothing selected
# probe: --tls try store 1 +FLAGS '\\Seen' examine INBOX store 1 +FLAGS '\\Seen'
# expect-exit: 1
# expect-out: ^ERROR EINVAL .*no mailbox selected
# expect-out: ^ERROR EINVAL .*read-only
# expect-count: 2 ^SENT no$
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
C: {TAG} EXAMINE "INBOX"
S: * 3 EXISTS
S: * OK [UIDVALIDITY 42] UIDs valid
S: $TAG OK [READ-ONLY] Examine completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

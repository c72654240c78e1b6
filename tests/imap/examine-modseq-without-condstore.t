# proves: a HIGHESTMODSEQ from a server that does not offer CONDSTORE is ignored (Dovecot sends it for a mailbox a CONDSTORE client once opened; believed, it made every refresh ask CHANGEDSINCE, which the client refuses without CONDSTORE, and froze the listing)
# probe: --tls examine INBOX
# expect-exit: 0
# expect-out: ^EXAMINE uidvalidity=42 uidnext=8 exists=3$
# expect-not-out: ^HIGHESTMODSEQ
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
S: * OK [UIDNEXT 8] Predicted next UID
S: * OK [HIGHESTMODSEQ 77] Highest
S: $TAG OK [READ-ONLY] Examine completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

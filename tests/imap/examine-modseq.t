# proves: with CONDSTORE offered, EXAMINE asks for it and the HIGHESTMODSEQ the server reports is kept
# probe: --tls examine INBOX
# expect-exit: 0
# expect-out: ^HIGHESTMODSEQ 77$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR CONDSTORE] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR CONDSTORE
S: $TAG OK Capability completed
END
C: {TAG} EXAMINE "INBOX" (CONDSTORE)
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

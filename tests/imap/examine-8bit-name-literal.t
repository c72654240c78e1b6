# proves: a mailbox name with non-ASCII bytes is sent as a synchronizing literal (the client waits for "+"), never inside a quoted string or an atom
# probe: --tls examine Entwürfe
# expect-exit: 0
# expect-out: ^EXAMINE uidvalidity=7 uidnext=0 exists=0$
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
C-CMD: EXAMINE "Entwürfe"
S: * 0 EXISTS
S: * OK [UIDVALIDITY 7] UIDs valid
S: $TAG OK [READ-ONLY] Examine completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

# proves: a mailbox name holding '"', '\' and spaces reaches the server intact (escaped quoted string or literal)
# probe: --tls examine 'My "Box" \\ 1'
# expect-exit: 0
# expect-out: ^EXAMINE uidvalidity=9 uidnext=2 exists=1$
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
C-CMD: EXAMINE "My \"Box\" \\ 1"
S: * 1 EXISTS
S: * OK [UIDVALIDITY 9] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

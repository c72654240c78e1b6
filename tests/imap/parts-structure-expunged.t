# proves: a structure FETCH answered OK without that UID (expunged) is ENOENT
# probe: --tls examine INBOX structure 9
# expect-exit: 1
# expect-out: ^ERROR ENOENT
# expect-not-out: ^STRUCTURE
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR IDLE BINARY] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR IDLE BINARY
S: $TAG OK Capability completed
END
C-CMD: EXAMINE INBOX
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
C~: ^(?P<tag>\S+) UID FETCH 9 \(UID BODYSTRUCTURE BODY\.PEEK\[HEADER\.FIELDS \(FROM TO CC DATE SUBJECT MESSAGE-ID\)\]\)$
S: $TAG OK Fetch completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

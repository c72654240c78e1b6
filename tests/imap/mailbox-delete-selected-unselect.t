# proves: DELETE of the selected mailbox sends UNSELECT first (never CLOSE) when offered, and afterwards nothing is selected: select-cached sends SELECT again
# probe: --tls select Old delete Old try select-cached Old
# expect-exit: 0
# expect-out: ^DELETE ok$
# expect-out: ^ERROR ENOENT
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR UNSELECT] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR UNSELECT
S: $TAG OK Capability completed
END
C: {TAG} SELECT "Old"
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-WRITE] Select completed
C: {TAG} UNSELECT
S: $TAG OK Unselect completed
C: {TAG} DELETE "Old"
S: $TAG OK Delete completed
C: {TAG} SELECT "Old"
S: $TAG NO [NONEXISTENT] Mailbox doesn't exist: Old
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

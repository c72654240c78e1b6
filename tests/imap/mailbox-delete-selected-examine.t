# proves: without UNSELECT, DELETE of the selected mailbox first EXAMINEs INBOX (Dovecot disconnects a session whose selected mailbox was deleted, even read-only), also when it was only EXAMINEd; RENAME of a parent of the mailbox selected read-write EXAMINEs that mailbox itself, RENAME of an EXAMINEd one needs nothing first; nothing is selected afterwards; a DELETE of another mailbox unselects nothing
# probe: --tls select Old delete Other delete Old select A.B rename A C try store 1 +FLAGS '\\Seen' examine D delete D examine E rename E F
# expect-exit: 0
# expect-count: 3 ^DELETE ok$
# expect-count: 2 ^RENAME ok$
# expect-out: ^ERROR EINVAL .*no mailbox selected
# expect-out: ^SENT no$
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
C: {TAG} SELECT "Old"
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-WRITE] Select completed
C: {TAG} DELETE "Other"
S: $TAG OK Delete completed
C: {TAG} EXAMINE "INBOX"
S: * 3 EXISTS
S: * OK [UIDVALIDITY 42] UIDs valid
S: $TAG OK [READ-ONLY] Examine completed
C: {TAG} DELETE "Old"
S: $TAG OK Delete completed
C: {TAG} SELECT "A.B"
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-WRITE] Select completed
C: {TAG} EXAMINE "A.B"
S: * 3 EXISTS
S: * OK [UIDVALIDITY 42] UIDs valid
S: $TAG OK [READ-ONLY] Examine completed
C: {TAG} RENAME "A" "C"
S: $TAG OK Rename completed
C: {TAG} EXAMINE "D"
S: * 3 EXISTS
S: * OK [UIDVALIDITY 42] UIDs valid
S: $TAG OK [READ-ONLY] Examine completed
C: {TAG} EXAMINE "INBOX"
S: * 3 EXISTS
S: * OK [UIDVALIDITY 42] UIDs valid
S: $TAG OK [READ-ONLY] Examine completed
C: {TAG} DELETE "D"
S: $TAG OK Delete completed
C: {TAG} EXAMINE "E"
S: * 3 EXISTS
S: * OK [UIDVALIDITY 42] UIDs valid
S: $TAG OK [READ-ONLY] Examine completed
C: {TAG} RENAME "E" "F"
S: $TAG OK Rename completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

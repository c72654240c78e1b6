# proves: a UID MOVE answered OK with neither COPYUID nor EXPUNGE (Dovecot's "No messages found") is ENOENT; NO [TRYCREATE] is ENOENT; NO [EXPUNGEISSUED] is ENOENT; NO [OVERQUOTA] is EDQUOT
# probe: --tls select INBOX try move 9 Trash try move 10 Nope try move 11 Trash try move 12 Trash
# expect-exit: 0
# expect-count: 3 ^ERROR ENOENT
# expect-count: 1 ^ERROR EDQUOT
# expect-not-out: ^MOVE
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR UIDPLUS MOVE] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR UIDPLUS MOVE
S: $TAG OK Capability completed
END
C: {TAG} SELECT "INBOX"
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-WRITE] Select completed
C: {TAG} UID MOVE 9 "Trash"
S: $TAG OK No messages found.
C: {TAG} UID MOVE 10 "Nope"
S: $TAG NO [TRYCREATE] Mailbox doesn't exist: Nope
C: {TAG} UID MOVE 11 "Trash"
S: $TAG NO [EXPUNGEISSUED] Some of the requested messages no longer exist
C: {TAG} UID MOVE 12 "Trash"
S: $TAG NO [OVERQUOTA] Quota exceeded
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

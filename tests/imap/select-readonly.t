# proves: SELECT answered OK [READ-ONLY] is EROFS and leaves the mailbox selected read-only: STORE, UID EXPUNGE and MOVE are then EINVAL with nothing sent, COPY (which leaves the source alone) and examine-cached still work, and no flag counts as permanent
# probe: --tls try select INBOX try store 1 +FLAGS '\\Seen' try expunge 1 try move 1 Trash permanent '\\Seen' examine-cached INBOX copy 1 Trash
# expect-exit: 0
# expect-out: ^ERROR EROFS .*read-only
# expect-count: 3 ^ERROR EINVAL .*read-only
# expect-count: 3 ^SENT no$
# expect-count: 1 ^SENT yes$
# expect-out: ^PERMANENT \\Seen no$
# expect-out: ^EXAMINE uidvalidity=42 uidnext=8 exists=3$
# expect-out: ^COPY uidvalidity=43 uid=3$
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
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-ONLY] Select completed
C: {TAG} UID COPY 1 "Trash"
S: $TAG OK [COPYUID 43 1 3] Copy completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

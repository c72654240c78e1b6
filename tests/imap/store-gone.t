# proves: a UID STORE answered OK (as Dovecot does for a UID that is gone) whose pipelined UID FETCH (UID) returns nothing (only another UID) is ENOENT; NO [EXPUNGEISSUED] is ENOENT, NO [CANNOT] EINVAL, a plain NO EIO (the STORE's reason, not the FETCH's), an OK STORE whose check FETCH gets NO is that NO, all with the command sent
# probe: --tls select INBOX try store 9 +FLAGS '\\Seen' try store 10 +FLAGS '\\Seen' try store 11 +FLAGS $X try store 12 +FLAGS '\\Seen' try store 13 +FLAGS '\\Seen'
# expect-exit: 0
# expect-out: ^ERROR ENOENT .*UID 9 no longer exists
# expect-count: 2 ^ERROR ENOENT
# expect-count: 1 ^ERROR EINVAL .*CANNOT
# expect-count: 1 ^ERROR EIO UID STORE: NO Failed
# expect-count: 1 ^ERROR EIO UID FETCH: NO Fetch failed
# expect-count: 5 ^SENT yes$
# expect-not-out: ^STORE ok
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
C: {TAG} SELECT "INBOX"
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-WRITE] Select completed
C: {TAG} UID STORE 9 +FLAGS.SILENT (\Seen)
C: {TAG} UID FETCH 9 (UID)
S: $PREVTAG OK Store completed
S: * 1 FETCH (UID 1 FLAGS (\Seen))
S: $TAG OK Fetch completed
C: {TAG} UID STORE 10 +FLAGS.SILENT (\Seen)
C: {TAG} UID FETCH 10 (UID)
S: $PREVTAG NO [EXPUNGEISSUED] Some of the messages no longer exist
S: $TAG OK Fetch completed
C: {TAG} UID STORE 11 +FLAGS.SILENT ($X)
C: {TAG} UID FETCH 11 (UID)
S: $PREVTAG NO [CANNOT] Keywords not allowed
S: $TAG OK Fetch completed
C: {TAG} UID STORE 12 +FLAGS.SILENT (\Seen)
C: {TAG} UID FETCH 12 (UID)
S: $PREVTAG NO Failed
S: $TAG NO Fetch failed too
C: {TAG} UID STORE 13 +FLAGS.SILENT (\Seen)
C: {TAG} UID FETCH 13 (UID)
S: $PREVTAG OK Store completed
S: $TAG NO Fetch failed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

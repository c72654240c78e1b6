# proves: UID STORE sends op.SILENT with the flags (runs of spaces collapsed) and, in the same write (the server reads both before answering), a UID FETCH (UID) of the UID that proves it still exists; a FETCH of the UID during either counts; an unrelated FETCH does not; FLAGS with no flags sends "()"; the two completions may come in either order
# probe: --tls select INBOX store 5 +FLAGS '\\Seen  $Label1 ' store 6 -FLAGS '\\Flagged' store 7 FLAGS '' store 8 +FLAGS $Done
# expect-exit: 0
# expect-count: 4 ^STORE ok$
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
C: {TAG} UID STORE 5 +FLAGS.SILENT (\Seen $Label1)
C: {TAG} UID FETCH 5 (UID)
S: * 2 FETCH (FLAGS (\Seen $Label1) UID 5)
S: $PREVTAG OK Store completed
S: $TAG OK Fetch completed
C: {TAG} UID STORE 6 -FLAGS.SILENT (\Flagged)
C: {TAG} UID FETCH 6 (UID)
S: * 1 FETCH (UID 2 FLAGS (\Seen))
S: $PREVTAG OK Store completed
S: * 3 FETCH (UID 6 FLAGS ())
S: $TAG OK Fetch completed
C: {TAG} UID STORE 7 FLAGS.SILENT ()
C: {TAG} UID FETCH 7 (UID)
S: $PREVTAG OK Store completed
S: * 3 FETCH (UID 7 FLAGS ())
S: $TAG OK Fetch completed
C: {TAG} UID STORE 8 +FLAGS.SILENT ($Done)
C: {TAG} UID FETCH 8 (UID)
S: * 4 FETCH (UID 8)
S: $TAG OK Fetch completed
S: $PREVTAG OK Store completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

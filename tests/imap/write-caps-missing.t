# proves: without UIDPLUS, UID EXPUNGE is EOPNOTSUPP and without MOVE, UID MOVE is EOPNOTSUPP, both with nothing sent; UID COPY without UIDPLUS answered OK without COPYUID is success with 0 0 (not ENOENT)
# probe: --tls select INBOX try expunge 5 try move 5 Trash copy 5 Trash
# expect-exit: 0
# expect-count: 2 ^ERROR EOPNOTSUPP
# expect-count: 2 ^SENT no$
# expect-out: ^COPY uidvalidity=0 uid=0$
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
C: {TAG} UID COPY 5 "Trash"
S: $TAG OK Copy completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

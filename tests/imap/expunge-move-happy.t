# proves: UID EXPUNGE sends exactly "UID EXPUNGE 5"; UID MOVE takes the untagged COPYUID sent before the EXPUNGE (Dovecot's order) and the EXPUNGE updates EXISTS; a MOVE without COPYUID but with an EXPUNGE succeeds with 0 0
# probe: --tls select INBOX expunge 5 move 6 'Trash "old"' select-cached INBOX move 7 Trash
# expect-exit: 0
# expect-out: ^EXPUNGE ok$
# expect-out: ^MOVE uidvalidity=99 uid=12$
# expect-out: ^SELECT uidvalidity=42 uidnext=8 exists=1$
# expect-out: ^MOVE uidvalidity=0 uid=0$
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
C: {TAG} UID EXPUNGE 5
S: * 3 EXPUNGE
S: $TAG OK Expunge completed
C: {TAG} UID MOVE 6 "Trash \"old\""
S: * OK [COPYUID 99 6 12] Moved UIDs.
S: * 1 EXPUNGE
S: $TAG OK Move completed
C: {TAG} UID MOVE 7 "Trash"
S: * 1 EXPUNGE
S: $TAG OK Move completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

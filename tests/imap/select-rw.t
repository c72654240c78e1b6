# proves: imap_conn_select sends SELECT (with CONDSTORE when offered), records PERMANENTFLAGS with \* (system flags as listed, any keyword permanent, compared case-insensitively); select-cached and examine-cached of the mailbox selected read-write send nothing; select of another mailbox forgets the old PERMANENTFLAGS
# probe: --tls select INBOX permanent '\\Seen' permanent '\\seen' permanent '\\Recent' permanent $Label1 select-cached INBOX examine-cached INBOX select Other permanent $Label1 permanent '\\Seen'
# expect-exit: 0
# expect-count: 2 ^SELECT uidvalidity=42 uidnext=8 exists=3$
# expect-out: ^EXAMINE uidvalidity=42 uidnext=8 exists=3$
# expect-out: ^SELECT uidvalidity=42 uidnext=9 exists=1$
# expect-out: ^PERMANENT \\Seen yes$
# expect-out: ^PERMANENT \\seen yes$
# expect-out: ^PERMANENT \\Recent no$
# expect-count: 1 ^PERMANENT \$Label1 yes$
# expect-count: 1 ^PERMANENT \$Label1 no$
# expect-count: 2 ^PERMANENT \\Seen yes$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR CONDSTORE] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR CONDSTORE
S: $TAG OK Capability completed
END
C: {TAG} SELECT "INBOX" (CONDSTORE)
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-WRITE] Select completed
C: {TAG} SELECT "Other" (CONDSTORE)
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Seen \Deleted)] Flags permitted
S: * 1 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 9] Predicted next UID
S: $TAG OK [READ-WRITE] Select completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

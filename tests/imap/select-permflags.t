# proves: PERMANENTFLAGS without \* makes only the listed flags permanent (keywords included); no PERMANENTFLAGS at all, or a malformed one (ignored with a warning), makes every flag permanent; before any SELECT nothing is
# probe: --tls permanent '\\Seen' select INBOX permanent '\\Seen' permanent '\\Draft' permanent $Junk permanent $Other select Second permanent '\\Draft' permanent $Other select Third permanent '\\Draft'
# expect-exit: 0
# expect-count: 1 ^PERMANENT \\Seen no$
# expect-count: 1 ^PERMANENT \\Seen yes$
# expect-count: 1 ^PERMANENT \\Draft no$
# expect-count: 2 ^PERMANENT \\Draft yes$
# expect-count: 1 ^PERMANENT \$Junk yes$
# expect-count: 1 ^PERMANENT \$Other no$
# expect-count: 1 ^PERMANENT \$Other yes$
# expect-out: ^SELECT uidvalidity=42
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
S: * OK [PERMANENTFLAGS (\Seen \Deleted $Junk)] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-WRITE] Select completed
C: {TAG} SELECT "Second"
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-WRITE] Select completed
C: {TAG} SELECT "Third"
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Seen \*] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-WRITE] Select completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

# proves: imap_conn_examine with fresh=false sends nothing when that mailbox is already selected and returns the status last seen; for another mailbox it does send EXAMINE; with fresh=true it always does
# probe: --tls examine INBOX examine-cached INBOX examine-cached Archive examine Archive
# expect-exit: 0
# expect-count: 2 ^EXAMINE uidvalidity=42 uidnext=8 exists=3$
# expect-out: ^EXAMINE uidvalidity=77 uidnext=5 exists=4$
# expect-out: ^EXAMINE uidvalidity=77 uidnext=6 exists=5$
# expect-count: 4 ^EXAMINE
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR IDLE] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR IDLE
S: $TAG OK Capability completed
END
C-CMD: EXAMINE INBOX
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
C-CMD: EXAMINE Archive
S: * 4 EXISTS
S: * OK [UIDVALIDITY 77] UIDs valid
S: * OK [UIDNEXT 5] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
C-CMD: EXAMINE Archive
S: * 5 EXISTS
S: * OK [UIDVALIDITY 77] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

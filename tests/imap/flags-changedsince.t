# proves: imap_conn_fetch_flags sends exactly "UID FETCH 1:19 (UID FLAGS) (CHANGEDSINCE 55)" and reports only FETCH responses with UID and FLAGS inside the range: one without UID, one above the range and one with malformed FLAGS are skipped (the last with a warning)
# probe: --tls examine INBOX flags 1 19 55
# expect-exit: 0
# expect-out: ^FLAGS uid=3 flags="\\Seen \$Label1"$
# expect-out: ^FLAGS uid=7 flags=""$
# expect-count: 2 ^FLAGS
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
C: {TAG} EXAMINE "INBOX" (CONDSTORE)
S: * 9 EXISTS
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 20] Predicted next UID
S: * OK [HIGHESTMODSEQ 90] Highest
S: $TAG OK [READ-ONLY] Examine completed
C: {TAG} UID FETCH 1:19 (UID FLAGS) (CHANGEDSINCE 55)
S: * 1 FETCH (UID 3 MODSEQ (60) FLAGS (\Seen $Label1))
S: * 2 FETCH (MODSEQ (61) FLAGS (\Deleted))
S: * 3 FETCH (UID 25 FLAGS (\Seen))
S: * 4 FETCH (UID 5 FLAGS "x")
S: * 5 FETCH (FLAGS () UID 7 MODSEQ (62))
S: $TAG OK Fetch completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

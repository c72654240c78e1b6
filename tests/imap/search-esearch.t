# proves: imap_conn_search_uids sends exactly "UID SEARCH RETURN (ALL) ALL" when the server has ESEARCH, expands the compact UID set (ranges either way round, single UIDs), sorts and de-duplicates it, ignores an ESEARCH result tagged for another command and an untagged EXPUNGE in between
# probe: --tls examine INBOX search 100
# expect-exit: 0
# expect-out: ^SEARCH n=8 1 2 3 5 7 8 9 12$
# expect-count: 1 ^SEARCH
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR ESEARCH] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR ESEARCH
S: $TAG OK Capability completed
END
C-CMD: EXAMINE INBOX
S: * 9 EXISTS
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 20] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
C: {TAG} UID SEARCH RETURN (ALL) ALL
S: * ESEARCH (TAG "zz99") UID ALL 100:110
S: * 4 EXPUNGE
S: * ESEARCH (TAG "$TAG") UID ALL 1:3,5,9:7,12,3
S: $TAG OK Search completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

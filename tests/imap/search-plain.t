# proves: without ESEARCH imap_conn_search_uids sends exactly "UID SEARCH ALL" and returns the SEARCH response's UIDs sorted and de-duplicated, across several SEARCH responses
# probe: --tls examine INBOX search 100
# expect-exit: 0
# expect-out: ^SEARCH n=4 2 4 9 17$
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
S: * 9 EXISTS
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 20] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
C: {TAG} UID SEARCH ALL
S: * SEARCH 9 4 2
S: * SEARCH 4 17
S: $TAG OK Search completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

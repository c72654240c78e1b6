# proves: without a modseq imap_conn_fetch_flags sends exactly "UID FETCH 1:19 (UID FLAGS)" (no CHANGEDSINCE), and a server without CONDSTORE is fine for it
# probe: --tls examine INBOX flags 1 19 0
# expect-exit: 0
# expect-out: ^FLAGS uid=2 flags="\\Answered"$
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
C: {TAG} UID FETCH 1:19 (UID FLAGS)
S: * 1 FETCH (UID 2 FLAGS (\Answered))
S: $TAG OK Fetch completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

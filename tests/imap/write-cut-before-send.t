# proves: after the server said BYE (during a Message-ID search), a UID STORE fails with ECONNRESET and imap_conn_cmd_sent() false: nothing of it reached the server
# probe: --tls select INBOX try search-msgid <a@b> store 1 +FLAGS '\\Seen'
# expect-exit: 1
# expect-count: 2 ^ERROR ECONNRESET
# expect-count: 1 ^SENT yes$
# expect-count: 1 ^SENT no$
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
C: {TAG} UID SEARCH HEADER Message-ID "<a@b>"
S: * BYE Server shutting down
CLOSE

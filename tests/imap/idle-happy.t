# proves: IDLE waits for "+", reports new mail (EXISTS) and flag changes (FETCH) as changes but not a keep-alive "* OK Still here"; DONE reads up to the IDLE's OK, counting an EXPUNGE that came in between; the connection then serves the next command
# probe: --tls examine INBOX idle 400 examine INBOX
# expect-exit: 0
# expect-out: ^IDLE changed=yes$
# expect-out: ^IDLE done changed=yes$
# expect-count: 2 ^EXAMINE uidvalidity=42 uidnext=8 exists=
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR IDLE] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR IDLE
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR IDLE] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR IDLE
S: $TAG OK Capability completed
END
C: {TAG} EXAMINE "INBOX"
S: * 3 EXISTS
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
C: {TAG} IDLE
S: + idling
S: * OK Still here
S: * 4 EXISTS
S: * 2 FETCH (FLAGS (\Seen \Flagged))
C: DONE
S: * 1 EXPUNGE
S: $TAG OK Idle completed
C: {TAG} EXAMINE "INBOX"
S: * 3 EXISTS
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

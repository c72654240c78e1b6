# proves: a BYE during IDLE (server shutting down) is ECONNRESET, and a change reported before it still counts
# probe: --tls examine INBOX idle 5000
# expect-exit: 1
# expect-out: ^IDLE changed=yes$
# expect-out: ^ERROR ECONNRESET
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
S: * 5 EXISTS
S: * BYE Server shutting down
CLOSE

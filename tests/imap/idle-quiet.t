# proves: IDLE with nothing selected is EINVAL, nothing sent; a keep-alive alone is no change (the only untagged line during IDLE is "* OK Still here", so both reports say no change)
# probe: --tls try idle 300 examine INBOX idle 300
# expect-exit: 0
# expect-out: ^ERROR EINVAL
# expect-out: ^SENT no$
# expect-out: ^IDLE changed=no$
# expect-out: ^IDLE done changed=no$
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
C: DONE
S: $TAG OK Idle completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

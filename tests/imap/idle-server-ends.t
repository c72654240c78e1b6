# proves: a server that ends the IDLE by itself (tagged OK) makes imap_conn_idle_wait return ECONNABORTED; the connection stays usable
# probe: --tls examine INBOX try idle 5000 examine INBOX
# expect-exit: 0
# expect-out: ^ERROR ECONNABORTED
# expect-count: 2 ^EXAMINE uidvalidity=42
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
PAUSE 100
S: $TAG OK Idle terminated
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

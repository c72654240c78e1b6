# proves: a hostile ESEARCH set naming four billion UIDs is refused with EPROTO after the bound (max) is met, without allocating them
# probe: --tls examine INBOX search 100
# expect-exit: 1
# expect-out: ^ERROR EPROTO .*more than 100 UIDs
# max-rss-kb: 60000
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
S: * ESEARCH (TAG "$TAG") UID ALL 1:4294967295
S: $TAG OK Search completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

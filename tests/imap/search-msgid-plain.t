# proves: without ESEARCH the Message-ID search sends "UID SEARCH HEADER Message-ID" and reads a plain SEARCH answer, sorted
# probe: --tls examine INBOX search-msgid <x@y>
# expect-exit: 0
# expect-out: ^MSGID n=2 3 17$
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
C: {TAG} EXAMINE "INBOX"
S: * 3 EXISTS
S: * OK [UIDVALIDITY 42] UIDs valid
S: $TAG OK [READ-ONLY] Examine completed
C: {TAG} UID SEARCH HEADER Message-ID "<x@y>"
S: * SEARCH 17 3
S: $TAG OK Search completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

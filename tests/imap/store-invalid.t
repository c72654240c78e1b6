# proves: flags that are not a system flag or an atom keyword (a lone backslash, specials, a quote, "\*", 8-bit), an unknown operation and UID 0 are EINVAL before a byte is sent
# probe: --tls select INBOX try store 1 +FLAGS '\\' try store 1 +FLAGS a(b try store 1 +FLAGS '\\Seen "x' try store 1 +FLAGS '\\*' try store 1 +FLAGS 'caf\xc3\xa9' try store 1 +FLAGS a]b try store 1 +FLAGS 'a\x01' try store 1 XFLAGS '\\Seen' try store 0 +FLAGS '\\Seen'
# expect-exit: 0
# expect-count: 9 ^ERROR EINVAL
# expect-count: 9 ^SENT no$
# expect-not-out: ^STORE ok
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
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

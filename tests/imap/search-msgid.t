# proves: the Message-ID search quotes the id (a quote inside escaped), asks for RETURN (ALL) with ESEARCH and reads the compact set, works on an EXAMINEd mailbox; an empty id is EINVAL with nothing sent; an 8-bit id adds CHARSET UTF-8 and goes as a literal
# probe: --tls examine INBOX search-msgid '<a"b@c>' try search-msgid '' search-msgid '<caf\xc3\xa9@x>'
# expect-exit: 0
# expect-out: ^MSGID n=3 4 9 10$
# expect-out: ^MSGID n=0$
# expect-out: ^ERROR EINVAL
# expect-out: ^SENT no$
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
C: {TAG} EXAMINE "INBOX"
S: * 3 EXISTS
S: * OK [UIDVALIDITY 42] UIDs valid
S: $TAG OK [READ-ONLY] Examine completed
C: {TAG} UID SEARCH RETURN (ALL) HEADER Message-ID "<a\"b@c>"
S: * ESEARCH (TAG "$TAG") UID ALL 9:10,4
S: $TAG OK Search completed
C~: ^(?P<tag>\S+) UID SEARCH RETURN \(ALL\) CHARSET UTF-8 HEADER Message-ID \{9\}$
S: + OK
C-LITERAL: 9 <caf\xc3\xa9@x>
C:
S: * ESEARCH (TAG "$TAG") UID
S: $TAG OK Search completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

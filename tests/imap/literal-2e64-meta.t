# proves: a header literal of {18446744073709551621} bytes (2^64+5) in the metadata FETCH is refused, not read as the 5 bytes that follow
# probe: --tls examine INBOX meta
# timeout-ms: 5000
# max-elapsed-ms: 2500
# expect-exit: 1
# expect-out: ^ERROR E(PROTO|MSGSIZE|BADMSG|OVERFLOW|FBIG)\b
# expect-not-out: ^META
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
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
C~: ^(?P<tag>\S+) UID FETCH 1:\* \((?=.*\bUID\b)(?=.*\bFLAGS\b)(?=.*\bINTERNALDATE\b)(?=.*\bRFC822\.SIZE\b)(?=.*BODY\.PEEK\[HEADER\.FIELDS \(SUBJECT MESSAGE-ID\)\])(?:(?:UID|FLAGS|INTERNALDATE|RFC822\.SIZE|BODY\.PEEK\[HEADER\.FIELDS \(SUBJECT MESSAGE-ID\)\])(?: |(?=\)$))){5}\)$
S: * 1 FETCH (UID 1 FLAGS () INTERNALDATE "01-Jan-2024 00:00:00 +0000" RFC822.SIZE 5 BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] {18446744073709551621}
S: Hello)
S: $TAG OK Fetch completed
EXPECT-EOF

# proves: the server closes in the middle of the header literal of the metadata FETCH: a clean error, no hang, and the half-received message is not reported
# probe: --tls examine INBOX meta
# timeout-ms: 5000
# max-elapsed-ms: 2500
# expect-exit: 1
# expect-out: ^ERROR E[A-Z]+ \S
# expect-not-out: ^ERROR ETIMEDOUT
# expect-not-out: ^META uid=2
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
S+: * 1 FETCH (UID 1 FLAGS () INTERNALDATE "01-Jan-2024 00:00:00 +0000" RFC822.SIZE 5 BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] {2}\r\n\r\n)\r\n
S+: * 2 FETCH (UID 2 FLAGS () INTERNALDATE "01-Jan-2024 00:00:00 +0000" RFC822.SIZE 5 BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] {40}\r\nSubject: cut
CLOSE

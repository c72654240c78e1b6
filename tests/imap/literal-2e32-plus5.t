# proves: a FETCH literal of {4294967301} bytes (2^32+5, i.e. 5 after a 32-bit wrap) is refused, not read as the 5 bytes that follow
# probe: --tls examine INBOX body 1 0 100
# timeout-ms: 5000
# max-elapsed-ms: 2500
# expect-exit: 1
# expect-out: ^ERROR E(PROTO|MSGSIZE|BADMSG|OVERFLOW|FBIG)\b
# expect-not-out: ^BODY
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
C~: ^(?P<tag>\S+) UID FETCH 1 (?:BODY\.PEEK\[\]<0\.100>|\((?:UID )?BODY\.PEEK\[\]<0\.100>(?: UID)?\))$
S: * 1 FETCH (UID 1 BODY[]<0> {4294967301}
S: Hello)
S: $TAG OK Fetch completed
EXPECT-EOF

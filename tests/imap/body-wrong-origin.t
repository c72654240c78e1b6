# proves: a partial FETCH answered from another offset (BODY[]<0> when <10.20> was asked) is refused with an error instead of handing out bytes from the wrong place
# probe: --tls examine INBOX body 7 10 20
# expect-exit: 1
# expect-out: ^ERROR E[A-Z]+ \S
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
C~: ^(?P<tag>\S+) UID FETCH 7 (?:BODY\.PEEK\[\]<10\.20>|\((?:UID )?BODY\.PEEK\[\]<10\.20>(?: UID)?\))$
S+: * 3 FETCH (UID 7 BODY[]<0> {20}\r\nSubject: hi there!\r\n)\r\n
S: $TAG OK Fetch completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

# proves: decoded sizes, whole sections (literal8 with a NUL, literal) and spans go in one UID FETCH, answered in any order; a span counts the bytes it got (up to its length); one from another offset, or longer than asked, says nothing
# probe: --tls examine INBOX parts 7 2,3 1:binary:100,1.2:body:50 4:body:9,5:binary:0,6:body:20,8:binary:4096:16,9:body:0:3
# expect-exit: 0
# expect-out: ^BSIZE uid=7 section=2 size=1024$
# expect-out: ^BSIZE uid=7 section=3 size=0$
# expect-out: ^WHOLE uid=7 section=1 len=5 hex=6865006c6f$
# expect-out: ^WHOLE uid=7 section=1.2 len=3 hex=616263$
# expect-out: ^SPAN uid=7 section=4 got=1$
# expect-out: ^SPAN uid=7 section=5 got=0$
# expect-out: ^SPAN uid=7 section=6 got=none$
# expect-out: ^SPAN uid=7 section=8 got=5$
# expect-out: ^SPAN uid=7 section=9 got=none$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR IDLE BINARY] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR IDLE BINARY
S: $TAG OK Capability completed
END
C-CMD: EXAMINE INBOX
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
C~: ^(?P<tag>\S+) UID FETCH 7 \(UID BINARY\.SIZE\[2\] BINARY\.SIZE\[3\] BINARY\.PEEK\[1\] BODY\.PEEK\[1\.2\] BODY\.PEEK\[4\]<9\.2> BINARY\.PEEK\[5\]<0\.2> BODY\.PEEK\[6\]<20\.2> BINARY\.PEEK\[8\]<4096\.16> BODY\.PEEK\[9\]<0\.3>\)$
S+: * 3 FETCH (UID 7 BODY[4]<9> "x" BINARY[1] ~{5}\r\nhe\0lo BINARY.SIZE[3] 0 BODY[1.2] {3}\r\nabc BINARY[5]<0> "" BINARY.SIZE[2] 1024 BODY[6]<0> "zz" BODY[9]<0> "abcd" BINARY[8]<4096> "hello")\r\n
S: $TAG OK Fetch completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

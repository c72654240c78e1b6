# proves: the structures of several messages go in one UID FETCH with a compact UID set (the one asked for, 3, among the others); answers come in any order, a message's header block may come in a FETCH of its own, a message the server leaves out (gone) gets no line, an unasked UID is ignored, and one malformed BODYSTRUCTURE is reported for that message alone
# probe: --tls examine INBOX structure 3,4,5,9,12
# expect-exit: 0
# expect-out: ^STRUCTURE uid=3 hdrlen=11 hdr="From: a@b\\r\\n" body=\(\\"text\\" \\"plain\\"
# expect-out: ^STRUCTURE uid=4 bad=".+"$
# expect-out: ^STRUCTURE uid=9 hdrlen=12 hdr="Subject: x\\r\\n" body=\(\\"text\\" \\"html\\"
# expect-out: ^STRUCTURE uid=12 hdrlen=0 hdr="" body=\(\\"image\\" \\"png\\"
# expect-not-out: uid=5
# expect-not-out: uid=6
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
S: * 5 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 13] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed
C~: ^(?P<tag>\S+) UID FETCH 3:5,9,12 \(UID BODYSTRUCTURE BODY\.PEEK\[HEADER\.FIELDS \(FROM TO CC DATE SUBJECT MESSAGE-ID\)\]\)$
S: * 5 FETCH (UID 12 BODYSTRUCTURE ("IMAGE" "PNG" NIL NIL NIL "BASE64" 100 NIL NIL NIL NIL))
S: * 3 FETCH (UID 9 BODY[HEADER.FIELDS (FROM TO CC DATE SUBJECT MESSAGE-ID)] {12}
S+: Subject: x\r\n
S: )
S: * 4 FETCH (UID 6 BODYSTRUCTURE ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1 NIL NIL NIL NIL))
S: * 2 FETCH (UID 4 BODYSTRUCTURE ("TEXT" "PLAIN" NIL NIL NIL "7BIT" "many" 1 NIL NIL NIL NIL) BODY[HEADER.FIELDS (FROM TO CC DATE SUBJECT MESSAGE-ID)] "")
S: * 1 FETCH (UID 3 BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 16 1 NIL NIL NIL NIL) BODY[HEADER.FIELDS (FROM TO CC DATE SUBJECT MESSAGE-ID)] {11}
S+: From: a@b\r\n
S: )
S: * 3 FETCH (UID 9 BODYSTRUCTURE ("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "8BIT" 20 1 NIL NIL NIL NIL))
S: $TAG OK Fetch completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

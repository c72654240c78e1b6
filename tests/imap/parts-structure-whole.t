# proves: a small message's whole body can be asked for with the structures, as BODY.PEEK[]<0.MAX+1> in a second command written with the first (one round trip); it is kept only for the UID asked for and when it has at most MAX bytes; a larger one, or a NO to that second command, leaves the structure as it was and is no error
# probe: --tls examine INBOX structure 3,4/20 structure 5/10 structure 6/100
# expect-exit: 0
# expect-out: ^STRUCTURE uid=4 hdrlen=0 hdr="" body=\(\\"image\\" \\"png\\"
# expect-out: ^STRUCTURE uid=3 hdrlen=11 hdr="From: a@b\\r\\n" body=\(\\"text\\" \\"plain\\"
# expect-out: ^WHOLE uid=3 len=17 data="From: a@b\\r\\n\\r\\nhi\\r\\n"$
# expect-out: ^STRUCTURE uid=5 hdrlen=0 hdr="" body=\(\\"text\\" \\"plain\\"
# expect-out: ^STRUCTURE uid=6 hdrlen=0 hdr="" body=\(\\"text\\" \\"plain\\"
# expect-not-out: WHOLE uid=4
# expect-not-out: WHOLE uid=5
# expect-not-out: WHOLE uid=6
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
C: {TAG} UID FETCH 3:4 (UID BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (FROM TO CC DATE SUBJECT MESSAGE-ID)])
C: {TAG} UID FETCH 3 (UID BODY.PEEK[]<0.21>)
S: * 2 FETCH (UID 4 BODYSTRUCTURE ("IMAGE" "PNG" NIL NIL NIL "BASE64" 100 NIL NIL NIL NIL) BODY[]<0> {5}
S+: 12345
S: )
S: * 1 FETCH (UID 3 BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 4 1 NIL NIL NIL NIL) BODY[HEADER.FIELDS (FROM TO CC DATE SUBJECT MESSAGE-ID)] {11}
S+: From: a@b\r\n
S: )
S: * 1 FETCH (UID 3 BODY[]<0> {17}
S+: From: a@b\r\n\r\nhi\r\n
S: )
S: $PREVTAG OK Fetch completed
S: $TAG OK Fetch completed
C: {TAG} UID FETCH 5 (UID BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (FROM TO CC DATE SUBJECT MESSAGE-ID)])
C: {TAG} UID FETCH 5 (UID BODY.PEEK[]<0.11>)
S: * 3 FETCH (UID 5 BODYSTRUCTURE ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 40 1 NIL NIL NIL NIL) BODY[HEADER.FIELDS (FROM TO CC DATE SUBJECT MESSAGE-ID)] "")
S: * 3 FETCH (UID 5 BODY[]<0> {11}
S+: 12345678901
S: )
S: $PREVTAG OK Fetch completed
S: $TAG OK Fetch completed
C: {TAG} UID FETCH 6 (UID BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (FROM TO CC DATE SUBJECT MESSAGE-ID)])
C: {TAG} UID FETCH 6 (UID BODY.PEEK[]<0.101>)
S: * 4 FETCH (UID 6 BODYSTRUCTURE ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 40 1 NIL NIL NIL NIL) BODY[HEADER.FIELDS (FROM TO CC DATE SUBJECT MESSAGE-ID)] "")
S: $TAG NO [SERVERBUG] Internal error
S: $PREVTAG OK Fetch completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

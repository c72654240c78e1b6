# proves: UID FETCH (BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS ...]) of a multipart message, parts side by side with no space as Dovecot sends them, gives the tree and the header block; another message's unsolicited FETCH is ignored
# probe: --tls examine INBOX structure 7
# expect-exit: 0
# expect-out: ^STRUCTURE uid=7 hdrlen=45 hdr="From: a@b\\r\\nSubject: =\?utf-8\?q\?caf=C3=A9\?=\\r\\n\\r\\n" body=\(\(\\"text\\" \\"plain\\" .*\\"7bit\\" 16 1 .*\(\\"application\\" \\"pdf\\" .*\\"base64\\" 1418 .*\(\\"attachment\\" \(\\"filename\\" \\"report\.pdf\\"\)\)\) \\"mixed\\"
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
C~: ^(?P<tag>\S+) UID FETCH 7 \(UID BODYSTRUCTURE BODY\.PEEK\[HEADER\.FIELDS \(FROM TO CC DATE SUBJECT MESSAGE-ID\)\]\)$
S: * 2 FETCH (UID 5 FLAGS (\Seen))
S: * 3 FETCH (UID 7 BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 16 1 NIL NIL NIL NIL)("APPLICATION" "PDF" ("NAME" "report.pdf") NIL NIL "BASE64" 1418 NIL ("ATTACHMENT" ("FILENAME" "report.pdf")) NIL NIL) "MIXED" ("BOUNDARY" "b1") NIL NIL NIL) BODY[HEADER.FIELDS (FROM TO CC DATE SUBJECT MESSAGE-ID)] {45}
S+: From: a@b\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\n
S: )
S: $TAG OK Fetch completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

# proves: the whole imaps session of happy-imaps, with every server byte in its own write (and TLS record), gives exactly the same results: the client reassembles lines and literals across any split
# probe: --tls caps list examine INBOX meta body 7 0 20
# expect-exit: 0
# expect-out: ^CAP IDLE$
# expect-out: ^CAP UIDPLUS$
# expect-not-out: ^CAP AUTH=PLAIN$
# expect-out: ^LIST 0 / INBOX$
# expect-out: ^LIST 1 / Archive$
# expect-out: ^LIST 0 / Archive/2002$
# expect-out: ^LIST 0 / Sent Items$
# expect-count: 4 ^LIST
# expect-out: ^EXAMINE uidvalidity=1234567890 uidnext=8 exists=4$
# expect-out: ^META uid=3 date=837596665 size=4286 flags="\\Seen \$Label1" hdrlen=45 hdr="Subject: hello\\r\\nMessage-ID: <a@b\.example>\\r\\n\\r\\n"$
# expect-out: ^META uid=5 date=1704067200 size=12 flags="" hdrlen=0 hdr=""$
# expect-out: ^META uid=7 date=951911999 size=2000000000000 flags="\\Flagged \\Answered" hdrlen=2 hdr="\\r\\n"$
# expect-not-out: ^META uid=4
# expect-count: 3 ^META
# expect-out: ^BODY uid=7 got=20 hex=5375626a6563743a206869207468657265210d0a$
# max-elapsed-ms: 20000
SPLIT 1
TLS
S: * OK IMAP4rev1 fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR UIDPLUS MOVE IDLE] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR UIDPLUS MOVE IDLE
S: $TAG OK Capability completed
END
C: {TAG} LIST "" "*"
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST (\Noselect \HasChildren) "/" Archive
S: * LIST (\HasNoChildren) "/" "Archive/2002"
S+: * LIST (\HasNoChildren) "/" {10}\r\nSent Items\r\n
S: $TAG OK List completed (0.001 + 0.000 secs).
C-CMD: EXAMINE INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Label1)
S: * OK [PERMANENTFLAGS ()] Read-only mailbox.
S: * 4 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 1234567890] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).
C~: ^(?P<tag>\S+) UID FETCH 1:\* \((?=.*\bUID\b)(?=.*\bFLAGS\b)(?=.*\bINTERNALDATE\b)(?=.*\bRFC822\.SIZE\b)(?=.*BODY\.PEEK\[HEADER\.FIELDS \(SUBJECT MESSAGE-ID\)\])(?:(?:UID|FLAGS|INTERNALDATE|RFC822\.SIZE|BODY\.PEEK\[HEADER\.FIELDS \(SUBJECT MESSAGE-ID\)\])(?: |(?=\)$))){5}\)$
S+: * 1 FETCH (UID 3 FLAGS (\Seen $Label1) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] {45}\r\nSubject: hello\r\nMessage-ID: <a@b.example>\r\n\r\n)\r\n
S: * 2 FETCH (UID 4 FLAGS () INTERNALDATE "01-Jan-2024 00:00:00 +0000" BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] "")
S: * 3 FETCH (FLAGS () INTERNALDATE " 1-Jan-2024 00:00:00 +0000" RFC822.SIZE 12 BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] "" UID 5)
S+: * 4 FETCH (UID 7 RFC822.SIZE 2000000000000 INTERNALDATE "29-Feb-2000 23:59:59 -1200" FLAGS (\Flagged \Answered) BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] {2}\r\n\r\n)\r\n
S: $TAG OK Fetch completed (0.001 + 0.000 secs).
C~: ^(?P<tag>\S+) UID FETCH 7 (?:BODY\.PEEK\[\]<0\.20>|\((?:UID )?BODY\.PEEK\[\]<0\.20>(?: UID)?\))$
S+: * 4 FETCH (UID 7 BODY[]<0> {20}\r\nSubject: hi there!\r\n)\r\n
S: $TAG OK Fetch completed (0.001 + 0.000 secs).
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed (0.001 + 0.000 secs).

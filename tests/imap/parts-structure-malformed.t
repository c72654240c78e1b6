# proves: a BODYSTRUCTURE that makes no sense (a size that is not a number) is EPROTO naming the part, and the connection stays usable for the next command
# probe: --tls examine INBOX structure 7 examine INBOX
# expect-exit: 1
# expect-out: ^ERROR EPROTO .*BODYSTRUCTURE of UID 7 that makes no sense: part 1
# expect-count: 1 ^EXAMINE
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
S: * 3 FETCH (UID 7 BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" "16" 1 NIL NIL NIL NIL) BODY[HEADER.FIELDS (FROM TO CC DATE SUBJECT MESSAGE-ID)] "")
S: $TAG OK Fetch completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

# proves: UID COPY reads COPYUID from the tagged OK (a "n:n" set too, in 8-bit destination sent as a literal); malformed COPYUID codes (missing parts, letters, another source UID, a range of destinations, a zero, no argument, an overflow) give 0 0 without failing; on a UIDPLUS server an OK without any COPYUID is ENOENT
# probe: --tls select INBOX copy 5 'Caf\xc3\xa9' copy 5 Trash copy 5 Trash copy 5 Trash copy 5 Trash copy 5 Trash copy 5 Trash copy 5 Trash copy 5 Trash copy 5 Trash
# expect-exit: 1
# expect-out: ^COPY uidvalidity=99 uid=12$
# expect-out: ^COPY uidvalidity=99 uid=13$
# expect-count: 7 ^COPY uidvalidity=0 uid=0$
# expect-out: ^ERROR ENOENT
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR UIDPLUS] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR UIDPLUS
S: $TAG OK Capability completed
END
C: {TAG} SELECT "INBOX"
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY 42] UIDs valid
S: * OK [UIDNEXT 8] Predicted next UID
S: $TAG OK [READ-WRITE] Select completed
C~: ^(?P<tag>\S+) UID COPY 5 \{5\}$
S: + OK
C-LITERAL: 5 Caf\xc3\xa9
C:
S: $TAG OK [COPYUID 99 5 12] Copy completed
C: {TAG} UID COPY 5 "Trash"
S: $TAG OK [COPYUID 99 5:5 13:13] Copy completed
C: {TAG} UID COPY 5 "Trash"
S: $TAG OK [COPYUID 99 5] Copy completed
C: {TAG} UID COPY 5 "Trash"
S: $TAG OK [COPYUID abc 5 12] Copy completed
C: {TAG} UID COPY 5 "Trash"
S: $TAG OK [COPYUID 99 6 12] Copy completed
C: {TAG} UID COPY 5 "Trash"
S: $TAG OK [COPYUID 99 5 12:13] Copy completed
C: {TAG} UID COPY 5 "Trash"
S: $TAG OK [COPYUID 0 5 12] Copy completed
C: {TAG} UID COPY 5 "Trash"
S: $TAG OK [COPYUID] Copy completed
C: {TAG} UID COPY 5 "Trash"
S: $TAG OK [COPYUID 99 5 99999999999999999999] Copy completed
C: {TAG} UID COPY 5 "Trash"
S: $TAG OK Copy completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

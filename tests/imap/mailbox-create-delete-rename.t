# proves: CREATE, DELETE and RENAME quote names (a literal for 8-bit); [ALREADYEXISTS] is EEXIST, [NONEXISTENT] ENOENT, [NOPERM] EACCES, [INUSE] EAGAIN; with nothing selected no UNSELECT or EXAMINE is sent
# probe: --tls create 'New "box"' try create Old try delete Gone try rename A B try delete Busy rename A 'Caf\xc3\xa9' delete X
# expect-exit: 0
# expect-out: ^CREATE ok$
# expect-out: ^ERROR EEXIST
# expect-out: ^ERROR ENOENT
# expect-out: ^ERROR EACCES
# expect-out: ^ERROR EAGAIN
# expect-out: ^RENAME ok$
# expect-out: ^DELETE ok$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} CREATE "New \"box\""
S: $TAG OK Create completed
C: {TAG} CREATE "Old"
S: $TAG NO [ALREADYEXISTS] Mailbox already exists
C: {TAG} DELETE "Gone"
S: $TAG NO [NONEXISTENT] Mailbox doesn't exist: Gone
C: {TAG} RENAME "A" "B"
S: $TAG NO [NOPERM] Permission denied
C: {TAG} DELETE "Busy"
S: $TAG NO [INUSE] Mailbox is locked
C~: ^(?P<tag>\S+) RENAME "A" \{5\}$
S: + OK
C-LITERAL: 5 Caf\xc3\xa9
C:
S: $TAG OK Rename completed
C: {TAG} DELETE "X"
S: $TAG OK Delete completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

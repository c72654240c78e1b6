# proves: STATUS asks for UIDNEXT and UIDVALIDITY of the named mailbox (quoted), ignores STATUS of another mailbox sent alongside, and reads the one asked for; a server that leaves UIDNEXT out is EPROTO; a NO is ENOENT with [NONEXISTENT]
# probe: --tls status Dest try status Other try status Gone
# expect-exit: 0
# expect-out: ^STATUS uidvalidity=77 uidnext=12$
# expect-out: ^ERROR EPROTO
# expect-out: ^ERROR ENOENT
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
C: {TAG} STATUS "Dest" (UIDNEXT UIDVALIDITY)
S: * STATUS "Elsewhere" (UIDNEXT 99 UIDVALIDITY 1)
S: * STATUS "Dest" (UIDNEXT 12 UIDVALIDITY 77)
S: $TAG OK Status completed
C: {TAG} STATUS "Other" (UIDNEXT UIDVALIDITY)
S: * STATUS "Other" (UIDVALIDITY 5)
S: $TAG OK Status completed
C: {TAG} STATUS "Gone" (UIDNEXT UIDVALIDITY)
S: $TAG NO [NONEXISTENT] Mailbox doesn't exist
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

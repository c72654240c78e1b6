# proves: on imap:// the client upgrades with STARTTLS before anything else, discards the plain-text capabilities (STARTTLS, LOGINDISABLED) and re-reads CAPABILITY under TLS, then logs in with AUTHENTICATE PLAIN + SASL-IR and works normally
# probe: --starttls caps list
# expect-exit: 0
# expect-out: ^CAP IDLE$
# expect-not-out: ^CAP STARTTLS$
# expect-not-out: ^CAP LOGINDISABLED$
# expect-out: ^LIST 0 / INBOX$
# expect-count: 1 ^LIST
S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED
S: $TAG OK Capability completed
END
C: {TAG} STARTTLS
S: $TAG OK Begin TLS negotiation now
TLS
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR IDLE
S: $TAG OK Capability completed
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR IDLE MOVE
S: $TAG OK Capability completed
END
C: {TAG} LIST "" "*"
S: * LIST (\HasNoChildren) "/" INBOX
S: $TAG OK List completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

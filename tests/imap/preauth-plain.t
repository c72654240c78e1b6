# proves: a PREAUTH greeting on a plain connection (imap://) is refused: no command runs unencrypted, the open fails
# probe: --starttls list
# expect-exit: 1
# expect-out: ^ERROR E[A-Z]+ \S
# expect-not-out: ^LIST
S: * PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in as user
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

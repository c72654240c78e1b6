# proves: text chosen by the server (an [ALERT] in the greeting, the reason of a NO) never reaches the user's terminal with raw control characters (ESC, BEL; both valid TEXT-CHARs in IMAP): no terminal escape injection through warnings or error messages
# probe: --tls examine INBOX
# expect-exit: 1
# expect-out: ^ERROR EIO
# expect-not-out: [\x00-\x08\x0b-\x1f\x7f]
# expect-not-err: [\x00-\x08\x0b-\x1f\x7f]
TLS
S+: * OK [ALERT] \x1b]0;owned\x07\x1b[2J maintenance tonight\r\n
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR IDLE] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR IDLE
S: $TAG OK Capability completed
END
C-CMD: EXAMINE INBOX
S+: $TAG NO \x1b[31mno such \x1b]8;;http://evil.example/\x07mailbox\r\n
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

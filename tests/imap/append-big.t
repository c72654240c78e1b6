# proves: a 60 MB APPEND with LITERAL+ is written from the caller's buffer, not copied (resident memory stays below two copies of the message, with ASan too)
# probe: --tls append-big INBOX '' 0 60000000
# expect-exit: 0
# max-rss-kb: 105000
# expect-out: ^APPEND uidvalidity=42 uid=7$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ UIDPLUS] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR LITERAL+ UIDPLUS
S: $TAG OK Capability completed
END
C: {TAG} APPEND "INBOX" () "01-Jan-1970 00:00:00 +0000" {60000000+}
C-LITERAL: 60000000
C:
S: $TAG OK [APPENDUID 42 7] Append completed
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

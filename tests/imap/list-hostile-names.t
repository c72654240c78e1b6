# proves: LIST names are passed through raw and byte-exact (sanitizing is fs's job) and the client survives them: "..", "a/../b", invalid modified UTF-7 ("&Jjo", "&AGE-"), raw 8-bit, CR LF and quotes inside names; a name with a NUL inside a literal is never handed out truncated (it would alias "bad"); flags are decoded case-insensitively; NIL and "\\" delimiters
# probe: --tls list
# expect-exit: 0
# expect-out: ^LIST 0 / INBOX$
# expect-out: ^LIST 0 / \.\.$
# expect-out: ^LIST 0 / a/\.\./b$
# expect-not-out: ^LIST \S+ \S+ bad$
# expect-out: ^LIST 0 / &Jjo$
# expect-out: ^LIST 0 / &AGE-$
# expect-out: ^LIST 0 / Caf&AOk-$
# expect-out: ^LIST 0 / Café$
# expect-out: ^LIST 0 / line\r$
# expect-out: ^next$
# expect-out: ^LIST 2 / leaf$
# expect-out: ^LIST 5 / ghost$
# expect-out: ^LIST 1 \. dots\.x$
# expect-out: ^LIST 0 NIL flat$
# expect-out: ^LIST 0 \\ back\\slash$
# expect-out: ^LIST 0 / say "hi"$
# expect-out: ^LIST 0 / last$
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S: $TAG OK Capability completed
END
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY IMAP4rev1 SASL-IR IDLE] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR IDLE
S: $TAG OK Capability completed
END
C: {TAG} LIST "" "*"
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST () "/" ..
S: * LIST () "/" "a/../b"
S+: * LIST () "/" {9}\r\nbad\0name1\r\n
S: * LIST () "/" "&Jjo"
S: * LIST () "/" "&AGE-"
S: * LIST () "/" "Caf&AOk-"
S+: * LIST () "/" {5}\r\nCaf\xc3\xa9\r\n
S+: * LIST () "/" {10}\r\nline\r\nnext\r\n
S: * LIST (\NoInferiors) "/" leaf
S: * LIST (\NonExistent \NoSelect) "/" ghost
S: * LIST (\NOSELECT \HASCHILDREN) "." "dots.x"
S: * LIST () NIL flat
S: * LIST () "\\" "back\\slash"
S: * LIST () "/" "say \"hi\""
S: * LIST () "/" last
S: $TAG OK List completed
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

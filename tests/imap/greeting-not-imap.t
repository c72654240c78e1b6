# proves: a peer that does not greet as an IMAP server (an SMTP banner, e.g. a wrong port) fails the open with EPROTO and gets no command at all
# probe: --tls list
# expect-exit: 1
# expect-out: ^ERROR EPROTO \S
# expect-not-out: ^LIST
TLS
S: 220 mail.example.org ESMTP ready
EXPECT-EOF

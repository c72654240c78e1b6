# proves: a password containing CR LF is refused with EINVAL before any credentials are sent (also fine: before connecting at all)
# probe: --tls list
# password: s3cr3t\r\nx1 DELETE INBOX
# expect-exit: 1
# expect-out: ^ERROR EINVAL
NO-CONNECT-OK
TLS
S: * OK fake server ready
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY IMAP4rev1 IDLE
S: $TAG OK Capability completed
END
OPTIONAL
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed
END

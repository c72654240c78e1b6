# proves: capability names are compared case-insensitively: a server announcing "auth=plain sasl-ir" in lower case gets AUTHENTICATE PLAIN with SASL-IR, not LOGIN
# probe: --tls caps
# expect-exit: 0
# expect-out: ^CAP IDLE$
TLS
S: * OK fake server ready
C: {TAG} CAPABILITY
S: * CAPABILITY imap4rev1 auth=plain sasl-ir
S: $TAG OK Capability completed
C: {TAG} AUTHENTICATE PLAIN AHVzZXIAczNjcjN0LVBX
S: $TAG OK [CAPABILITY imap4rev1 idle] Logged in
OPTIONAL
C: {TAG} CAPABILITY
S: * CAPABILITY imap4rev1 idle
S: $TAG OK Capability completed
END
C: {TAG} LOGOUT
S: * BYE Logging out
S: $TAG OK Logout completed

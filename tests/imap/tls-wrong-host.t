# proves: a certificate trusted by --cafile but issued for another host name (mail.example.org, we connect to 127.0.0.1) makes the client abort the handshake with a reason about the host/name mismatch
# probe: --tls list
# cert-names: DNS:mail.example.org
# expect-exit: 1
# expect-out: ^ERROR E[A-Z]+ .*(?i:match|host|name)
# expect-not-out: ^LIST
TLS-REJECTED

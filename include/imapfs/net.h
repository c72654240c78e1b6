/* net: TCP connections with deadlines, and TLS.  The only module that
 * calls OpenSSL.  A connection belongs to one thread at a time. */
#ifndef IMAPFS_NET_H
#define IMAPFS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct net_conn;

/* Resolves host and connects to host:port (IPv4 or IPv6), waiting at most
 * timeout_ms; the same bound applies later to every single wait in
 * net_read/net_write/net_start_tls.  Returns 0, or -errno with a one-line
 * reason in err: -EHOSTUNREACH "cannot resolve host H", -ECONNREFUSED,
 * -ETIMEDOUT, -ENETUNREACH ... */
int net_connect(const char *host, const char *port, int timeout_ms, struct net_conn **conn_r,
		char *err, size_t errlen);

/* TLS handshake on an open connection: TLS >= 1.2, SNI when host is a name,
 * peer verification against cafile (PEM, or the system store when NULL)
 * and host-name (or IP) verification of host (SSL_set1_host).  Returns 0
 * or -errno with err saying what failed: "certificate not trusted: ...",
 * "certificate does not match host H", "TLS handshake failed: ...". */
int net_start_tls(struct net_conn *c, const char *host, const char *cafile, char *err,
		  size_t errlen);

/* Reads what is available, at most len bytes, waiting at most the timeout
 * for the first byte.  Returns > 0, 0 at end of stream, or -errno
 * (-ETIMEDOUT, -ECONNRESET, -EPROTO for a TLS failure). */
ssize_t net_read(struct net_conn *c, void *buf, size_t len);

/* Writes all of buf; each wait is bounded by the timeout.  0 or -errno. */
int net_write(struct net_conn *c, const void *buf, size_t len);

bool net_is_tls(const struct net_conn *c);
/* The last failure's reason (empty string if none). */
const char *net_error(const struct net_conn *c);

/* Closes (TLS close_notify best effort) and frees; NULLs the pointer. */
void net_close(struct net_conn **c);

#endif

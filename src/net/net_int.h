/* net internals shared by sock.c (sockets, deadlines) and tls.c (the only
 * file that calls OpenSSL). */
#ifndef IMAPFS_NET_INT_H
#define IMAPFS_NET_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "imapfs/net.h"

struct ssl_st;

struct net_conn {
	int fd; /* non-blocking */
	int timeout_ms;
	int64_t deadline_ms; /* CLOCK_MONOTONIC ms no wait goes past; 0: none */
	struct ssl_st *ssl; /* NULL until net_start_tls succeeded */
	bool eof;	    /* the peer closed its side (read returned 0) */
	int sys_errno;	    /* errno of the TLS BIO's last failed send/recv */
	char host[256];	    /* as given, for messages */
	char err[256];
};

/* Waits until fd is ready for events (POLLIN/POLLOUT), at most the
 * connection's timeout.  0, -ETIMEDOUT or -errno. */
int net_wait(struct net_conn *c, short events);

/* Sets the reason for a failed read or write ("reading from H timed out
 * after 30 s", "writing to H failed: Broken pipe"). */
void net_io_error(struct net_conn *c, int rc, const char *what);
/* "30 s", or "0.5 s" for sub-second timeouts. */
void net_fmt_timeout(int timeout_ms, char *out, size_t outlen);

/* Formats the connection's last failure reason. */
void net_set_error(struct net_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

ssize_t net_tls_read(struct net_conn *c, void *buf, size_t len);
int net_tls_write(struct net_conn *c, const void *buf, size_t len);
/* Whether decrypted bytes wait in the TLS layer (poll cannot see them). */
bool net_tls_pending(struct net_conn *c);
void net_tls_close(struct net_conn *c);

#endif

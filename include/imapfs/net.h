/* net: TCP connections with deadlines, and TLS.  The only module that
 * calls OpenSSL.  A connection belongs to one thread at a time. */
#ifndef IMAPFS_NET_H
#define IMAPFS_NET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct net_conn;

/* Resolves host (a name or an IPv4/IPv6 literal without brackets) and
 * connects to host:port, trying every address in turn, waiting at most
 * timeout_ms in all and not past deadline_ms (0: none); the same bound
 * applies later to every single wait in net_read/net_write/net_start_tls,
 * and the deadline stays set as by net_set_deadline.  Returns 0, or
 * -errno with a one-line reason in err:
 *   -EHOSTUNREACH "cannot resolve host H: <resolver error>"
 *   -ECONNREFUSED "connection to H port P refused"
 *   -ETIMEDOUT    "connection to H port P timed out after N s"
 *   other -errno  "cannot connect to H port P: <strerror>" */
int net_connect(const char *host, const char *port, int timeout_ms, int64_t deadline_ms,
		struct net_conn **conn_r, char *err, size_t errlen);

/* TLS handshake on an open connection: TLS >= 1.2, SNI when host is a name,
 * peer verification against cafile (PEM, or the system store when NULL)
 * and verification of host against the certificate: its DNS names
 * (SSL_set1_host) for a name, its IP addresses for an IP literal.  Returns
 * 0, or -errno with a one-line reason in err:
 *   -EPERM     "certificate of H does not match the host name"
 *   -EPERM     "certificate of H is not trusted: <reason>; use -o
 *              cafile=FILE to trust it"
 *   -EPROTO    "TLS handshake with H failed: <reason>"
 *   -ETIMEDOUT "TLS handshake with H timed out after N s"
 *   -EINVAL    "cannot load CA certificates from F: <reason>"
 *   -ECONNRESET (or another -errno) when the server hung up. */
int net_start_tls(struct net_conn *c, const char *host, const char *cafile, char *err,
		  size_t errlen);

/* Reads what is available, at most len (> 0) bytes, waiting at most the
 * timeout for the first byte.  Returns > 0, 0 at end of stream (including
 * a TLS stream closed without close_notify), or -errno (-ETIMEDOUT,
 * -ECONNRESET, -EPROTO for a TLS failure) with the reason in net_error. */
ssize_t net_read(struct net_conn *c, void *buf, size_t len);

/* Writes all of buf; each wait is bounded by the timeout.  0 or -errno
 * with the reason in net_error.  Never raises SIGPIPE. */
int net_write(struct net_conn *c, const void *buf, size_t len);

/* Waits at most timeout_ms until c has bytes to read (bytes TLS already
 * decrypted count) or wake_fd (-1: none) becomes readable; for a thread
 * that waits on a connection for a long time and must be stoppable (IDLE).
 * Returns 1 when c is readable, 0 when woken or the time is up, -errno.
 * Not cancelled by net_abort: such a thread has wake_fd for that. */
int net_poll_in(struct net_conn *c, int wake_fd, int timeout_ms);

/* The clock of deadlines: CLOCK_MONOTONIC in ms. */
int64_t net_now_ms(void);

/* From now on no wait goes past deadline_ms (CLOCK_MONOTONIC, in ms),
 * whatever the timeout; 0 removes the bound.  For a sequence of waits that
 * must fit in one timeout in all (opening a connection: TLS, greeting,
 * login). */
void net_set_deadline(struct net_conn *c, int64_t deadline_ms);

/* The deadline of what the calling thread does now (a FUSE request, whose
 * system call must not wait on the network longer than -o timeout in all,
 * SPEC §5): from now on no wait of this thread, on any connection and in
 * net_connect, goes past deadline_ms; 0 removes the bound.  Code that
 * waits on other threads' network work (a free pooled connection, a
 * prefetch, a refresh) bounds that wait by it too. */
void net_set_thread_deadline(int64_t deadline_ms);
/* This thread's deadline, 0 if none. */
int64_t net_thread_deadline(void);
/* The earlier of two deadlines, 0 standing for none. */
int64_t net_deadline_min(int64_t a, int64_t b);
/* Whether deadline_ms (0: none) has passed. */
bool net_deadline_passed(int64_t deadline_ms);
/* Initialises cv for net_cond_wait: on CLOCK_MONOTONIC, the deadlines'
 * clock. */
void net_cond_init(pthread_cond_t *cv);
/* Waits on cv (net_cond_init) with mu held, until woken or deadline_ms
 * (0: no bound).  0
 * when woken, -ETIMEDOUT when the deadline has passed (then no wait). */
int net_cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline_ms);

/* Stopping.  net_abort_init (once, before any thread) makes the stop
 * pipe; net_abort (async-signal-safe) makes every network wait of every
 * thread (but net_poll_in's), in progress or to come, fail at once with
 * -ECANCELED, until
 * net_abort_clear; net_abort_fd is the pipe's read end (readable while
 * stopping), for a thread that wants to wake with it.  A daemon being
 * stopped uses it so that requests waiting on a server that went quiet
 * end now, not at their timeout. */
int net_abort_init(void);
void net_abort(void);
void net_abort_clear(void);
int net_abort_fd(void);

bool net_is_tls(const struct net_conn *c);
/* The last failure's reason (empty string if none). */
const char *net_error(const struct net_conn *c);

/* Closes (TLS close_notify best effort) and frees; NULLs the pointer. */
void net_close(struct net_conn **c);

#endif

/* imap_pool: up to N authenticated connections shared by the FUSE worker
 * threads.  A connection checked out with imap_pool_get belongs to the
 * caller alone until imap_pool_put.  Connections are opened on demand and
 * a broken one is replaced by a new one at the next get. */
#ifndef IMAPFS_IMAP_POOL_H
#define IMAPFS_IMAP_POOL_H

#include "imapfs/imap_conn.h"

struct imap_pool;

/* Copies o (including the password, wiped at free).  With OAuth the pool
 * keeps no token: every connection it opens asks o->oauth_token (whose
 * oauth_arg must outlive the pool), which hands out the kept token and
 * renews it when a server refuses it (secret_token), so that a connection
 * opened hours after the mount logs in with a fresh token.  first, when
 * not NULL, is an open connection the pool adopts. */
struct imap_pool *imap_pool_new(const struct imap_conn_opts *o, unsigned max,
				struct imap_conn *first);
/* Logs every connection out and frees; NULLs the pointer.  Every
 * connection must have been put back. */
void imap_pool_free(struct imap_pool **p);

/* Checks a connection out, preferring an idle one with mailbox (raw name,
 * may be NULL) selected; opens a new one while fewer than max exist; else
 * waits for one to come back.  A connection idle for a minute or more is
 * first checked with NOOP and replaced if it died; so is every idle one
 * after another connection was found dead (closed or BYE, not a timeout,
 * at a get or a put): a server that ends one session often ends them all
 * (a restart, an expired OAuth token), and a caller that retries on a
 * second connection must not get another dead one.  Returns 0 or the
 * -errno of a failed open (its reason is logged); for 2 s after a failed
 * open, gets that would have to open one fail at once with that -errno
 * rather than each waiting out the timeout against a server that is down.
 * A get that waited (for a free slot, or on an idle connection's NOOP)
 * fails with -ETIMEDOUT if a network wait timed out meanwhile, rather
 * than wait again; so does one whose thread's deadline
 * (net_set_thread_deadline) passes while it waits.  No lock is held during
 * network I/O. */
int imap_pool_get(struct imap_pool *p, const char *mailbox, struct imap_conn **c_r);
/* Opens a connection of its own with the pool's server and credentials,
 * not counted among the pool's (for a watcher that sits in IDLE); the
 * caller closes it with imap_conn_close.  0 or -errno, the reason in err. */
int imap_pool_open_extra(struct imap_pool *p, struct imap_conn **c_r, char *err, size_t errlen);
/* Closes the idle connections that have mailbox name (raw), or one below
 * it (delim: the hierarchy delimiter, 0 for none), selected: after a
 * RENAME or DELETE of it, a server ends such sessions at their next
 * command (Dovecot: "BYE Mailbox was deleted under us"), which would fail
 * the request that gets one. */
void imap_pool_forget_mailbox(struct imap_pool *p, const char *name, char delim);
/* The most connections the pool opens (fixed at creation). */
unsigned imap_pool_max(const struct imap_pool *p);
/* How many network waits have timed out so far, in opens and on pooled
 * connections (imap_conn_timed_out).  A caller that waited for work that
 * waits on the network compares two counts to learn whether the server
 * stopped answering meanwhile. */
unsigned long imap_pool_timeouts(struct imap_pool *p);
/* Returns a connection; a broken one is closed instead. */
void imap_pool_put(struct imap_pool *p, struct imap_conn *c);

#endif

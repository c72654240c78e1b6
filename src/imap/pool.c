/* imap_pool: authenticated connections shared by the FUSE worker threads.
 *
 * The lock guards only the bookkeeping; every network operation (opening,
 * the liveness NOOP, LOGOUT) happens with it released: a slot is reserved
 * under the lock, the connection is opened without it, and the outcome is
 * recorded under it again. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imapfs/imap_pool.h"
#include "imapfs/log.h"
#include "imapfs/net.h"

/* A connection idle longer than this is checked with NOOP before it is
 * handed out: servers log idle clients out (Dovecot after 30 min) and NAT
 * boxes forget them, and a dead connection must cost a reconnect, not an
 * EIO to the user. */
#define POOL_CHECK_IDLE_MS 60000
/* After a failed open, further opens fail at once for this long instead
 * of each waiting out the timeout again while the server is down. */
#define POOL_BACKOFF_MS 2000

struct pool_idle {
	struct imap_conn *c;
	int64_t since_ms;
	/* Another connection was found dead (not timed out) since this one
	 * came back: a server that ends one session often ends them all (a
	 * restart; Office 365 when the OAuth token expires), so this one is
	 * checked with NOOP before it is handed out, however young.  Else a
	 * request that met a dead connection and retries on another (fs:
	 * fs_conn_retryable) could get one more dead one and fail. */
	bool suspect;
};

struct imap_pool {
	struct imap_conn_opts o; /* strings below are our copies */
	char *host, *port, *cafile, *user, *password;
	unsigned max;

	pthread_mutex_t lock;
	pthread_cond_t cond;	/* a connection came back or a slot freed up */
	struct pool_idle *idle; /* protected by lock; max entries, LRU first */
	unsigned nidle;		/* protected by lock */
	unsigned nconns;	/* protected by lock: open or opening, idle or not */
	int64_t failed_ms;	/* protected by lock: time of the last failed open */
	int failed_rc;		/* protected by lock: its -errno, 0 if none */
	unsigned long timeouts; /* protected by lock: network waits that ran out */
};

static char *pool_strdup(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		abort();
	return d;
}

struct imap_pool *imap_pool_new(const struct imap_conn_opts *o, unsigned max,
				struct imap_conn *first)
{
	struct imap_pool *p = calloc(1, sizeof(*p));

	if (!p)
		abort();
	if (max == 0)
		max = 1;
	p->host = pool_strdup(o->host);
	p->port = pool_strdup(o->port);
	p->cafile = pool_strdup(o->cafile);
	p->user = pool_strdup(o->user);
	p->password = pool_strdup(o->password);
	p->o = *o;
	p->o.host = p->host;
	p->o.port = p->port;
	p->o.cafile = p->cafile;
	p->o.user = p->user;
	p->o.password = p->password;
	p->max = max;
	p->idle = calloc(max, sizeof(*p->idle));
	if (!p->idle)
		abort();
	pthread_mutex_init(&p->lock, NULL);
	net_cond_init(&p->cond);
	if (first) {
		p->idle[0].c = first;
		p->idle[0].since_ms = net_now_ms();
		p->nidle = 1;
		p->nconns = 1;
	}
	return p;
}

void imap_pool_free(struct imap_pool **pp)
{
	struct imap_pool *p = *pp;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	unsigned n = p->nidle, out = p->nconns - p->nidle;
	p->nidle = 0;
	p->nconns = 0;
	pthread_mutex_unlock(&p->lock);
	if (out)
		log_warnx("connection pool freed with %u connection(s) still checked out", out);
	for (unsigned i = 0; i < n; i++)
		imap_conn_close(&p->idle[i].c);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->idle);
	if (p->password)
		explicit_bzero(p->password, strlen(p->password));
	free(p->password);
	free(p->user);
	free(p->cafile);
	free(p->port);
	free(p->host);
	free(p);
	*pp = NULL;
}

/* Takes the idle connection to hand out: the most recently used one with
 * mailbox selected, else the least recently used one (keeping the other
 * mailboxes' connections warm).  Called with the lock held, nidle > 0. */
static struct pool_idle pool_take_idle(struct imap_pool *p, const char *mailbox)
{
	unsigned pick = 0;

	for (unsigned i = p->nidle; mailbox && i-- > 0;) {
		const char *sel = imap_conn_selected(p->idle[i].c);
		if (sel && strcmp(sel, mailbox) == 0) {
			pick = i;
			break;
		}
	}
	struct pool_idle e = p->idle[pick];
	memmove(&p->idle[pick], &p->idle[pick + 1], (p->nidle - pick - 1) * sizeof(*p->idle));
	p->nidle--;
	return e;
}

/* A connection was found dead without a timeout: every idle one may be
 * too.  Called with the lock held. */
static void pool_suspect_idle(struct imap_pool *p)
{
	for (unsigned i = 0; i < p->nidle; i++)
		p->idle[i].suspect = true;
}

/* Gives up a connection slot; called with the lock held.  Every waiter
 * looks again (as at imap_pool_put): one woken alone may fail at once
 * (the back-off) and leave the slot to nobody, the others asleep. */
static void pool_release_slot(struct imap_pool *p)
{
	p->nconns--;
	pthread_cond_broadcast(&p->cond);
}

int imap_pool_get(struct imap_pool *p, const char *mailbox, struct imap_conn **c_r)
{
	struct imap_conn *c = NULL;
	/* The caller's bound (a FUSE request's): for the wait for a slot here;
	 * the network waits see it themselves. */
	int64_t deadline = net_thread_deadline();
	unsigned long timeouts;
	char err[512];
	int rc;

	*c_r = NULL;
	pthread_mutex_lock(&p->lock);
	timeouts = p->timeouts;
	for (;;) {
		/* Back here after waiting (for a slot, or on an idle
		 * connection's NOOP): if a network wait ran out meanwhile,
		 * the server may have stopped answering, and another wait
		 * would make the caller's twice the bound. */
		if (p->timeouts != timeouts || net_deadline_passed(deadline)) {
			pthread_mutex_unlock(&p->lock);
			return -ETIMEDOUT;
		}
		if (p->nidle > 0) {
			struct pool_idle e = pool_take_idle(p, mailbox);
			pthread_mutex_unlock(&p->lock);
			if ((e.suspect || net_now_ms() - e.since_ms >= POOL_CHECK_IDLE_MS) &&
			    imap_conn_noop(e.c) < 0 && imap_conn_is_broken(e.c)) {
				bool timed_out = imap_conn_timed_out(e.c);

				log_debug(LOG_NET, "[%u] idle connection is gone: %s",
					  imap_conn_id(e.c), imap_conn_error(e.c));
				imap_conn_close(&e.c);
				pthread_mutex_lock(&p->lock);
				if (timed_out)
					p->timeouts++;
				else
					pool_suspect_idle(p);
				pool_release_slot(p);
				continue;
			}
			*c_r = e.c;
			return 0;
		}
		if (p->nconns < p->max) {
			if (p->failed_rc && net_now_ms() - p->failed_ms < POOL_BACKOFF_MS) {
				rc = p->failed_rc;
				pthread_mutex_unlock(&p->lock);
				return rc;
			}
			p->nconns++;
			pthread_mutex_unlock(&p->lock);
			rc = imap_conn_open(&p->o, &c, err, sizeof(err));
			pthread_mutex_lock(&p->lock);
			if (rc < 0) {
				p->failed_rc = rc;
				p->failed_ms = net_now_ms();
				if (rc == -ETIMEDOUT)
					p->timeouts++;
				pool_release_slot(p);
				pthread_mutex_unlock(&p->lock);
				log_warnx("%s", err);
				return rc;
			}
			p->failed_rc = 0;
			pthread_mutex_unlock(&p->lock);
			*c_r = c;
			return 0;
		}
		(void)net_cond_wait(&p->cond, &p->lock, deadline); /* looked at above */
	}
}

int imap_pool_open_extra(struct imap_pool *p, struct imap_conn **c_r, char *err, size_t errlen)
{
	/* p->o is fixed at creation: no lock. */
	return imap_conn_open(&p->o, c_r, err, errlen);
}

void imap_pool_forget_mailbox(struct imap_pool *p, const char *name, char delim)
{
	/* p->max is fixed at creation: no lock. */
	struct imap_conn **drop = calloc(p->max, sizeof(*drop));
	unsigned ndrop = 0;

	if (drop == NULL)
		abort();
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < p->nidle;) {
		const char *sel = imap_conn_selected(p->idle[i].c);

		if (sel != NULL && imap_mailbox_under(sel, name, delim)) {
			drop[ndrop++] = p->idle[i].c;
			memmove(&p->idle[i], &p->idle[i + 1], (p->nidle - i - 1) * sizeof(*p->idle));
			p->nidle--;
			pool_release_slot(p);
			continue;
		}
		i++;
	}
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < ndrop; i++) {
		log_debug(LOG_NET, "[%u] closing: its mailbox %s was renamed or deleted",
			  imap_conn_id(drop[i]), name);
		imap_conn_close(&drop[i]);
	}
	free(drop);
}

unsigned imap_pool_max(const struct imap_pool *p)
{
	return p->max; /* immutable: no lock */
}

unsigned long imap_pool_timeouts(struct imap_pool *p)
{
	unsigned long n;

	pthread_mutex_lock(&p->lock);
	n = p->timeouts;
	pthread_mutex_unlock(&p->lock);
	return n;
}

void imap_pool_put(struct imap_pool *p, struct imap_conn *c)
{
	if (!c)
		return;
	if (imap_conn_is_broken(c)) {
		bool timed_out = imap_conn_timed_out(c);

		log_debug(LOG_NET, "[%u] dropping broken connection: %s", imap_conn_id(c),
			  imap_conn_error(c));
		imap_conn_close(&c);
		pthread_mutex_lock(&p->lock);
		if (timed_out)
			p->timeouts++;
		else
			pool_suspect_idle(p);
		pool_release_slot(p);
		pthread_mutex_unlock(&p->lock);
		return;
	}
	pthread_mutex_lock(&p->lock);
	if (p->nidle == p->max) {
		/* Not one of ours: more came back than were handed out. */
		pthread_mutex_unlock(&p->lock);
		log_warnx("[%u] connection returned to a full pool; closing it", imap_conn_id(c));
		imap_conn_close(&c);
		return;
	}
	p->idle[p->nidle].c = c;
	p->idle[p->nidle].since_ms = net_now_ms();
	p->idle[p->nidle].suspect = false;
	p->nidle++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

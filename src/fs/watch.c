/* fs watch: keeps the listings of the mailboxes in use fresh (SPEC §5).
 * Up to cfg.watch watchers, each a thread with a connection of its own
 * (outside the pool, imap_pool_open_extra) that sits in IDLE on one
 * mailbox.  When the server reports new, expunged or re-flagged messages,
 * the watcher refreshes that listing through the pool (fs_mbox_refresh;
 * with CONDSTORE it costs bytes in proportion to the change) and the
 * names that went away are invalidated in the kernel (fs_mbox_merge ->
 * fs_notify_entry).  A mailbox is "in use" when it is listed (opendir):
 * fs_watch_use hands it to a free watcher or to the one whose mailbox was
 * used least recently.  Mailboxes no watcher holds are refreshed when
 * listed after list_ttl_s.  A mailbox that is gone (deleted or renamed
 * here: fs_watch_forget; by another client: EXAMINE is refused) is left,
 * and watched again only when listed again; one the mount deleted or
 * renamed takes its session with it.
 *
 * A watcher whose connection fails tries again after 1 s, doubling up to
 * FS_WATCH_BACKOFF_MAX_MS; a server without IDLE stops all of them (the
 * listing TTL remains).
 *
 * Locking: w->lock protects every watcher's want and used, w->stop and
 * w->unsupported; it is never held across network I/O, and fs->lock is
 * never taken while it is held.  A watcher's connection belongs to its
 * thread alone. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imapfs/imap_pool.h"
#include "imapfs/log.h"
#include "imapfs/net.h"

#include "fs_int.h"

/* RFC 2177: a client re-issues IDLE at least every 29 minutes, or the
 * server may log it out as inactive. */
#define FS_WATCH_REIDLE_MS (25 * 60 * 1000)
/* Changes reported within this time of each other make one refresh (100
 * messages delivered at once are one refresh, not 100). */
#define FS_WATCH_SETTLE_MS 50
/* ... but a mailbox that never stops changing is refreshed this often. */
#define FS_WATCH_SETTLE_MAX_MS 1000
#define FS_WATCH_BACKOFF_MAX_MS 60000

struct fs_watcher {
	struct fs_watch *w;
	unsigned id;
	pthread_t thread;
	bool started;
	int wake[2];	      /* a byte in wake[1]: look at want again */
	struct fs_mbox *want; /* protected by w->lock: mailbox to watch */
	gint64 used;	      /* protected by w->lock: last use of want */
	bool gone;	      /* protected by w->lock: a mailbox it held is gone */
};

struct fs_watch {
	struct fs *fs;
	pthread_mutex_t lock;
	bool stop;	  /* protected by lock */
	bool unsupported; /* protected by lock: the server has no IDLE */
	unsigned n;
	struct fs_watcher v[];
};

static void fs_watch_wake(struct fs_watcher *wr)
{
	char b = 1;

	/* Non-blocking: a full pipe already says "look again". */
	if (write(wr->wake[1], &b, 1) < 0 && errno != EAGAIN)
		log_debug(LOG_FS, "fs: waking watcher %u: %s", wr->id, strerror(errno));
}

static void fs_watch_drain(struct fs_watcher *wr)
{
	char b[64];

	while (read(wr->wake[0], b, sizeof(b)) > 0)
		;
}

/* Whether the watcher is to leave m (stopping, or given another). */
static bool fs_watch_leave(struct fs_watcher *wr, const struct fs_mbox *m)
{
	bool leave;

	pthread_mutex_lock(&wr->w->lock);
	leave = wr->w->stop || wr->want != m;
	pthread_mutex_unlock(&wr->w->lock);
	return leave;
}

/* Sleeps ms (-1: until woken), or until woken. */
static void fs_watch_sleep(struct fs_watcher *wr, int ms)
{
	struct pollfd pf = {.fd = wr->wake[0], .events = POLLIN};

	while (poll(&pf, 1, ms) < 0 && errno == EINTR)
		;
	fs_watch_drain(wr);
}

static void fs_watch_refresh(struct fs_watcher *wr, struct fs_mbox *m)
{
	struct fs *fs = wr->w->fs;
	int ret;

	/* One timeout in all, as for a request: a refresh that holds the
	 * listing must end (readers wait for it), and the IDLE waits after
	 * it have bounds of their own. */
	fs_deadline_start(fs);
	ret = fs_mbox_refresh(fs, m);
	net_set_thread_deadline(0);

	log_debug(LOG_FS, "fs: watcher %u: %s changed, refreshed: %d", wr->id, m->raw, ret);
}

/* Whether what EXAMINE said of m differs from its listing: a change
 * between the listing and the IDLE, which no IDLE will report. */
static bool fs_watch_differs(struct fs *fs, const struct fs_mbox *m,
			     const struct imap_mbox_status *st)
{
	bool differs;

	pthread_mutex_lock(&fs->lock);
	differs = !m->listed || st->uidvalidity != m->uidvalidity ||
		  st->exists != m->server_count || (st->uidnext != 0 && st->uidnext != m->uidnext) ||
		  (st->highestmodseq != 0 && st->highestmodseq != m->modseq);
	pthread_mutex_unlock(&fs->lock);
	return differs;
}

/* Watches m on *cp (opened here when NULL) until the watcher is to leave
 * it: 0, or -errno when the connection failed (the caller closes it). */
static int fs_watch_one(struct fs_watcher *wr, struct imap_conn **cp, struct fs_mbox *m)
{
	struct fs *fs = wr->w->fs;
	struct imap_mbox_status st;
	bool changed = false;
	gint64 until, first = 0, last = 0;
	int ret;

	if (*cp == NULL) {
		char err[512];

		ret = imap_pool_open_extra(fs->cfg.pool, cp, err, sizeof(err));
		if (ret < 0) {
			log_info("watcher %u: cannot connect: %s", wr->id, err);
			return ret;
		}
	}
	/* m->raw never changes: safe unlocked. */
	ret = imap_conn_examine(*cp, m->raw, true, &st);
	if (ret < 0)
		return ret;
	ret = imap_conn_idle_start(*cp);
	if (ret < 0)
		return ret;
	log_debug(LOG_FS, "fs: watcher %u: idle on %s", wr->id, m->raw);
	if (fs_watch_differs(fs, m, &st))
		fs_watch_refresh(wr, m);
	until = g_get_monotonic_time() + (gint64)FS_WATCH_REIDLE_MS * 1000;
	for (;;) {
		gint64 now = g_get_monotonic_time();
		bool got = false;
		int ms;

		if (changed && (now - last >= FS_WATCH_SETTLE_MS * 1000 ||
				now - first >= FS_WATCH_SETTLE_MAX_MS * 1000)) {
			changed = false;
			fs_watch_refresh(wr, m);
			continue;
		}
		if (fs_watch_leave(wr, m) || now >= until)
			break;
		ms = changed ? FS_WATCH_SETTLE_MS - (int)((now - last) / 1000)
			     : (int)((until - now) / 1000) + 1;
		ret = imap_conn_idle_wait(*cp, wr->wake[0], ms, &got);
		if (ret < 0)
			return ret;
		fs_watch_drain(wr);
		if (got) {
			last = g_get_monotonic_time();
			if (!changed)
				first = last;
			changed = true;
		}
	}
	ret = imap_conn_idle_done(*cp, &changed);
	log_debug(LOG_FS, "fs: watcher %u: idle done on %s", wr->id, m->raw);
	if (changed)
		fs_watch_refresh(wr, m);
	return ret;
}

static void *fs_watch_main(void *arg)
{
	struct fs_watcher *wr = arg;
	struct fs_watch *w = wr->w;
	struct imap_conn *c = NULL;
	int backoff_ms = 0;

	for (;;) {
		struct fs_mbox *m;
		bool gone;
		int ret;

		pthread_mutex_lock(&w->lock);
		m = w->stop || w->unsupported ? NULL : wr->want;
		if (w->stop || w->unsupported) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		gone = wr->gone;
		wr->gone = false;
		pthread_mutex_unlock(&w->lock);
		if (gone && c != NULL) {
			/* Its session had the mailbox the mount deleted or
			 * renamed selected: a server may end it at any moment
			 * (Dovecot's sdbox does), so the next mailbox gets a
			 * session of its own. */
			log_debug(LOG_FS, "fs: watcher %u: closing the session of a mailbox gone",
				  wr->id);
			imap_conn_close(&c);
		}
		if (m == NULL) {
			fs_watch_sleep(wr, -1);
			continue;
		}
		ret = fs_watch_one(wr, &c, m);
		if (ret == -EOPNOTSUPP) {
			log_info("server has no IDLE: listings are refreshed when listed after %u s",
				 w->fs->cfg.list_ttl_s);
			pthread_mutex_lock(&w->lock);
			w->unsupported = true;
			pthread_mutex_unlock(&w->lock);
			continue;
		}
		if (ret == 0) {
			backoff_ms = 0;
			continue;
		}
		if (fs_watch_leave(wr, m)) {
			/* Told to leave m meanwhile: its failure is no news
			 * (the server may end the IDLE of a mailbox the mount
			 * just deleted or renamed), and the next mailbox's
			 * connection will show its own. */
			log_debug(LOG_FS, "fs: watcher %u: leaving %s: %s", wr->id, m->raw,
				  c != NULL ? imap_conn_error(c) : "cannot connect");
			imap_conn_close(&c);
			backoff_ms = 0;
			continue;
		}
		if (c != NULL)
			log_info("watcher %u: %s: %s", wr->id, m->raw, imap_conn_error(c));
		if (c != NULL && !imap_conn_is_broken(c)) {
			/* The server refused a command on a sound connection:
			 * most likely EXAMINE of a mailbox another client
			 * deleted or renamed.  Asking again would be refused
			 * again, forever; it is watched again when listed
			 * again. */
			pthread_mutex_lock(&w->lock);
			if (wr->want == m)
				wr->want = NULL;
			pthread_mutex_unlock(&w->lock);
			backoff_ms = 0;
			continue;
		}
		imap_conn_close(&c);
		backoff_ms = backoff_ms == 0 ? 1000 : backoff_ms * 2;
		if (backoff_ms > FS_WATCH_BACKOFF_MAX_MS)
			backoff_ms = FS_WATCH_BACKOFF_MAX_MS;
		/* Woken early by stop, or when given another mailbox. */
		fs_watch_sleep(wr, backoff_ms);
	}
	imap_conn_close(&c);
	return NULL;
}

void fs_watch_start(struct fs *fs)
{
	unsigned n = fs->cfg.watch;
	struct fs_watch *w;

	if (n == 0)
		return;
	w = calloc(1, sizeof(*w) + n * sizeof(w->v[0]));
	if (w == NULL)
		abort();
	w->fs = fs;
	w->n = n;
	pthread_mutex_init(&w->lock, NULL);
	for (unsigned i = 0; i < n; i++) {
		struct fs_watcher *wr = &w->v[i];

		wr->w = w;
		wr->id = i + 1;
		if (pipe2(wr->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
			log_warnx("fs: cannot start watcher %u: %s", wr->id, strerror(errno));
			wr->wake[0] = wr->wake[1] = -1;
			continue;
		}
		if (pthread_create(&wr->thread, NULL, fs_watch_main, wr) != 0) {
			log_warnx("fs: cannot start watcher %u", wr->id);
			continue;
		}
		wr->started = true;
	}
	fs->watch = w;
}

void fs_watch_use(struct fs *fs, struct fs_mbox *m)
{
	struct fs_watch *w = fs->watch;
	struct fs_watcher *pick = NULL;
	gint64 now = g_get_monotonic_time();

	if (w == NULL || m->noselect)
		return;
	pthread_mutex_lock(&w->lock);
	for (unsigned i = 0; i < w->n && !w->unsupported; i++) {
		struct fs_watcher *wr = &w->v[i];

		if (!wr->started)
			continue;
		if (wr->want == m) {
			wr->used = now;
			pick = NULL;
			break;
		}
		if (pick == NULL || (pick->want != NULL && (wr->want == NULL || wr->used < pick->used)))
			pick = wr;
	}
	if (pick != NULL) {
		pick->want = m;
		pick->used = now;
		fs_watch_wake(pick);
	}
	pthread_mutex_unlock(&w->lock);
}

void fs_watch_forget(struct fs *fs, const char *name, char delim)
{
	struct fs_watch *w = fs->watch;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	for (unsigned i = 0; i < w->n; i++) {
		struct fs_watcher *wr = &w->v[i];

		/* want->raw never changes: safe to read. */
		if (wr->want != NULL && imap_mailbox_under(wr->want->raw, name, delim)) {
			wr->want = NULL;
			wr->gone = true;
			fs_watch_wake(wr);
		}
	}
	pthread_mutex_unlock(&w->lock);
}

void fs_watch_stop(struct fs *fs)
{
	struct fs_watch *w = fs->watch;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i < w->n; i++) {
		struct fs_watcher *wr = &w->v[i];

		if (wr->started) {
			fs_watch_wake(wr);
			pthread_join(wr->thread, NULL);
		}
		if (wr->wake[0] >= 0) {
			close(wr->wake[0]);
			close(wr->wake[1]);
		}
	}
	pthread_mutex_destroy(&w->lock);
	free(w);
	fs->watch = NULL;
}

/* fs prefetch: when a folder is read message after message (cp -r, rsync,
 * tar, grep -r), the messages ahead of the reader are fetched in bulk by
 * worker threads, one UID FETCH per batch (imap_conn_fetch_bodies), on
 * pooled connections in parallel, into the block cache.  Per-message
 * round trips then stop dominating: the reader finds its next message
 * cached, or waits for the batch that is bringing it.
 *
 * Detection.  fs_read reports every read at offset 0 (fs_prefetch_note).
 * Each mailbox has a stream: a snapshot of its listing sorted by UID
 * (readdir's order, and the inode order cp sorts by), the index of the
 * last message read and whether the reads go forward.  A forward read
 * that missed the cache activates the stream; a jump backwards or far
 * ahead resets it and drops the batches not yet started.  A warm reader
 * (all hits) never activates it.
 *
 * Bounds.  Only messages whose RFC822.SIZE is at most PF_MSG_MAX are
 * prefetched (big ones take the block path), each capped at PF_FETCH_LEN
 * bytes whatever the server claims; batches start small and double (the
 * reader waits for the first), up to PF_BATCH_MSGS messages or
 * PF_BATCH_BYTES; at most PF_INFLIGHT_BYTES are queued or being fetched,
 * and the window ends PF_AHEAD_MSGS messages or PF_AHEAD_BYTES ahead of
 * the reader: a reader that stops wastes at most that.  Memory: a worker
 * holds one message at a time (the parser's literal), the rest goes to
 * the block cache, which is bounded itself.
 *
 * Locking: pf->lock protects the streams, the batches, the queue and the
 * counters; it is never held across network or cache I/O, and never
 * taken with fs->lock held (nor fs->lock with it held). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imapfs/cache_block.h"
#include "imapfs/imap_pool.h"
#include "imapfs/log.h"
#include "imapfs/net.h"

#include "fs_int.h"

#define PF_MSG_MAX (1024u * 1024u)
#define PF_FETCH_LEN (PF_MSG_MAX + CACHE_BLOCK_SIZE)
#define PF_BATCH_FIRST 8
#define PF_BATCH_MSGS 256
#define PF_BATCH_BYTES (2u * 1024u * 1024u)
#define PF_INFLIGHT_BYTES (8u * 1024u * 1024u)
#define PF_AHEAD_MSGS 512
#define PF_AHEAD_BYTES (32u * 1024u * 1024u)
/* A reader jumping at most this far forward still reads in order (a
 * reader that skips a few files, or two readers interleaved). */
#define PF_SLACK 8
/* Streams kept; the least recently used idle one goes first. */
#define PF_STREAMS_MAX 16
/* Bound of a wait for a batch in flight; past it the reader fetches the
 * message itself. */
#define PF_WAIT_S 60
#define PF_WORKERS_MAX 8

struct pf_stream;

struct pf_batch {
	struct pf_stream *s;
	uint32_t *uids; /* ascending, owned */
	bool *ready;	/* ready[k]: uids[k] is stored (or was cached) */
	size_t n;
	uint64_t bytes; /* the sizes the listing claims, for the bounds */
	bool running;
};

struct pf_stream {
	struct fs_mbox *m;    /* lives as long as the fs */
	unsigned refresh_seq; /* of the listing the snapshot was taken from */
	uint32_t uidvalidity;
	uint32_t *uids; /* the snapshot, ascending */
	uint64_t *cum;	/* cum[k]: bytes of messages [0, k); n + 1 entries */
	size_t n;
	size_t last;	    /* index of the last message read at 0; SIZE_MAX none */
	size_t ahead;	    /* first index not yet queued */
	size_t batch;	    /* messages in the next batch */
	bool active;	    /* reading forward and missing: prefetching */
	GPtrArray *batches; /* queued or running, struct pf_batch */
	gint64 used_us;
};

struct fs_prefetch {
	struct fs *fs;
	pthread_mutex_t lock;
	pthread_cond_t work; /* a batch was queued, or stop */
	pthread_cond_t done; /* a batch ended or was dropped */
	/* Protected by lock: */
	GHashTable *streams; /* struct fs_mbox * -> struct pf_stream */
	GQueue queue;	     /* struct pf_batch, not yet running */
	uint64_t inflight;   /* bytes of queued and running batches */
	unsigned claiming;   /* workers getting a connection for a queued batch */
	bool stop;
	/* Immutable after fs_prefetch_new: */
	unsigned nworkers;
	pthread_t workers[PF_WORKERS_MAX];
};

int fs_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void pf_batch_free(struct pf_batch *b)
{
	free(b->uids);
	free(b->ready);
	free(b);
}

static void pf_stream_free(gpointer p)
{
	struct pf_stream *s = p;

	/* Only idle streams are freed, or all at the end. */
	g_ptr_array_free(s->batches, TRUE);
	free(s->uids);
	free(s->cum);
	free(s);
}

/* With pf->lock: b is over (ended, failed or dropped): out of its stream
 * and of the in-flight bound, freed, and its readers woken. */
static void pf_batch_end(struct fs_prefetch *pf, struct pf_batch *b)
{
	g_ptr_array_remove(b->s->batches, b);
	pf->inflight -= b->bytes;
	pf_batch_free(b);
	pthread_cond_broadcast(&pf->done);
}

/* With pf->lock: drops s's batches that have not started. */
static void pf_cancel_queued(struct fs_prefetch *pf, struct pf_stream *s)
{
	for (guint i = 0; i < s->batches->len;) {
		struct pf_batch *b = g_ptr_array_index(s->batches, i);

		if (b->running) {
			i++;
			continue;
		}
		g_queue_remove(&pf->queue, b);
		pf_batch_end(pf, b);
	}
}

/* With pf->lock: the batch of s that is still bringing uid, or NULL. */
static struct pf_batch *pf_find(struct pf_stream *s, uint32_t uid)
{
	for (guint i = 0; i < s->batches->len; i++) {
		struct pf_batch *b = g_ptr_array_index(s->batches, i);
		uint32_t *at;

		if (uid < b->uids[0] || uid > b->uids[b->n - 1])
			continue;
		at = bsearch(&uid, b->uids, b->n, sizeof(uid), fs_cmp_u32);
		if (at != NULL)
			return b->ready[at - b->uids] ? NULL : b;
	}
	return NULL;
}

struct pf_pair {
	uint32_t uid;
	uint64_t size;
};

static int pf_cmp_pair(const void *a, const void *b)
{
	return fs_cmp_u32(&((const struct pf_pair *)a)->uid, &((const struct pf_pair *)b)->uid);
}

/* The listing of m sorted by UID, if it changed since seq (and *uids_r
 * NULL if not).  Takes fs->lock; call without pf->lock. */
static void pf_snapshot(struct fs *fs, struct fs_mbox *m, bool have, unsigned seq, unsigned *seq_r,
			uint32_t *uidvalidity_r, uint32_t **uids_r, uint64_t **cum_r, size_t *n_r)
{
	struct pf_pair *v = NULL;
	GHashTableIter it;
	gpointer val;
	size_t n = 0;

	*uids_r = NULL;
	*cum_r = NULL;
	*n_r = 0;
	pthread_mutex_lock(&fs->lock);
	*seq_r = m->refresh_seq;
	*uidvalidity_r = m->uidvalidity;
	if ((have && seq == m->refresh_seq) || m->msgs == NULL) {
		pthread_mutex_unlock(&fs->lock);
		return;
	}
	v = malloc((g_hash_table_size(m->msgs) + 1) * sizeof(*v));
	if (v == NULL)
		abort();
	g_hash_table_iter_init(&it, m->msgs);
	while (g_hash_table_iter_next(&it, NULL, &val)) {
		const struct fs_node *node = val;

		if (node->uidvalidity != m->uidvalidity)
			continue;
		v[n].uid = node->uid;
		v[n].size = node->size;
		n++;
	}
	pthread_mutex_unlock(&fs->lock);

	qsort(v, n, sizeof(*v), pf_cmp_pair);
	*uids_r = malloc((n + 1) * sizeof(**uids_r));
	*cum_r = malloc((n + 1) * sizeof(**cum_r));
	if (*uids_r == NULL || *cum_r == NULL)
		abort();
	(*cum_r)[0] = 0;
	for (size_t i = 0; i < n; i++) {
		(*uids_r)[i] = v[i].uid;
		(*cum_r)[i + 1] = (*cum_r)[i] + v[i].size;
	}
	*n_r = n;
	free(v);
}

/* With pf->lock: makes room for a new stream by dropping the least
 * recently used idle one. */
static void pf_trim(struct fs_prefetch *pf)
{
	struct pf_stream *old = NULL;
	GHashTableIter it;
	gpointer val;

	if (g_hash_table_size(pf->streams) < PF_STREAMS_MAX)
		return;
	g_hash_table_iter_init(&it, pf->streams);
	while (g_hash_table_iter_next(&it, NULL, &val)) {
		struct pf_stream *s = val;

		if (s->batches->len == 0 && (old == NULL || s->used_us < old->used_us))
			old = s;
	}
	if (old != NULL)
		g_hash_table_remove(pf->streams, old->m);
}

/* With pf->lock: queues batches from s->ahead on while the window and
 * the in-flight bound allow.  i is the reader's index. */
static void pf_fill(struct fs_prefetch *pf, struct pf_stream *s, size_t i)
{
	/* Refill only once half the window is consumed, so that batches
	 * stay large instead of one message per read. */
	if (s->ahead - i > PF_AHEAD_MSGS / 2 ||
	    s->cum[s->ahead] - s->cum[i + 1] > PF_AHEAD_BYTES / 2)
		return;
	while (s->ahead < s->n && s->ahead - i <= PF_AHEAD_MSGS &&
	       s->cum[s->ahead] - s->cum[i + 1] < PF_AHEAD_BYTES &&
	       pf->inflight < PF_INFLIGHT_BYTES) {
		struct pf_batch *b = calloc(1, sizeof(*b));

		if (b == NULL)
			abort();
		b->uids = malloc(s->batch * sizeof(*b->uids));
		b->ready = calloc(s->batch, sizeof(*b->ready));
		if (b->uids == NULL || b->ready == NULL)
			abort();
		b->s = s;
		while (s->ahead < s->n && b->n < s->batch && s->ahead - i <= PF_AHEAD_MSGS) {
			uint64_t size = s->cum[s->ahead + 1] - s->cum[s->ahead];

			if (size > PF_MSG_MAX) {
				s->ahead++; /* the block path reads it */
				continue;
			}
			if (b->n > 0 && b->bytes + size > PF_BATCH_BYTES)
				break;
			b->uids[b->n++] = s->uids[s->ahead++];
			b->bytes += size;
		}
		if (b->n == 0) {
			pf_batch_free(b);
			continue;
		}
		if (s->batch < PF_BATCH_MSGS)
			s->batch = s->batch * 2 < PF_BATCH_MSGS ? s->batch * 2 : PF_BATCH_MSGS;
		g_ptr_array_add(s->batches, b);
		g_queue_push_tail(&pf->queue, b);
		pf->inflight += b->bytes;
		pthread_cond_signal(&pf->work);
	}
}

void fs_prefetch_note(struct fs *fs, struct fs_mbox *m, uint32_t uid, bool missed)
{
	struct fs_prefetch *pf = fs->prefetch;
	struct pf_stream *s;
	uint32_t *uids, uidvalidity;
	uint64_t *cum;
	unsigned seq = 0, newseq;
	bool have = false;
	size_t n, i;
	uint32_t *hit;

	if (pf == NULL || pf->nworkers == 0)
		return;
	pthread_mutex_lock(&pf->lock);
	s = g_hash_table_lookup(pf->streams, m);
	if (s != NULL) {
		have = true;
		seq = s->refresh_seq;
	}
	pthread_mutex_unlock(&pf->lock);
	/* Only a reader that misses starts a stream: a warm one needs none. */
	if (!have && !missed)
		return;
	pf_snapshot(fs, m, have, seq, &newseq, &uidvalidity, &uids, &cum, &n);

	pthread_mutex_lock(&pf->lock);
	if (pf->stop)
		goto out;
	s = g_hash_table_lookup(pf->streams, m);
	if (s == NULL && uids == NULL)
		goto out; /* dropped meanwhile; the next read starts again */
	if (s == NULL) {
		pf_trim(pf);
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			abort();
		s->m = m;
		s->batches = g_ptr_array_new();
		s->last = SIZE_MAX;
		g_hash_table_insert(pf->streams, m, s);
	}
	if (uids != NULL) {
		/* A new listing: indexes change; what runs stays valid.  The
		 * reader's place carries over, so a refresh in the middle of a
		 * cp -r does not restart the stream. */
		uint32_t last_uid = s->last != SIZE_MAX ? s->uids[s->last] : 0;
		uint32_t *at;

		pf_cancel_queued(pf, s);
		free(s->uids);
		free(s->cum);
		s->uids = uids;
		s->cum = cum;
		s->n = n;
		s->refresh_seq = newseq;
		s->uidvalidity = uidvalidity;
		at = n && last_uid ? bsearch(&last_uid, uids, n, sizeof(*uids), fs_cmp_u32) : NULL;
		s->last = at != NULL ? (size_t)(at - uids) : SIZE_MAX;
		s->ahead = at != NULL ? s->last + 1 : 0;
		if (at == NULL)
			s->active = false;
		uids = NULL;
		cum = NULL;
	}
	s->used_us = g_get_monotonic_time();
	hit = s->n ? bsearch(&uid, s->uids, s->n, sizeof(uid), fs_cmp_u32) : NULL;
	if (hit == NULL)
		goto out;
	i = (size_t)(hit - s->uids);
	if (s->last != SIZE_MAX && i > s->last && i <= s->last + 1 + PF_SLACK) {
		if (!s->active && missed) {
			s->active = true;
			s->batch = PF_BATCH_FIRST;
			s->ahead = i + 1;
			log_debug(LOG_FS, "fs: %s read in order from UID %u: prefetching", m->raw,
				  uid);
		}
	} else if (s->active) {
		log_debug(LOG_FS, "fs: %s: reader jumped to UID %u: prefetch stops", m->raw, uid);
		s->active = false;
		pf_cancel_queued(pf, s);
	}
	s->last = i;
	if (s->active) {
		if (s->ahead <= i)
			s->ahead = i + 1;
		pf_fill(pf, s, i);
	}
out:
	pthread_mutex_unlock(&pf->lock);
	free(uids);
	free(cum);
}

bool fs_prefetch_wait(struct fs *fs, struct fs_mbox *m, uint32_t uid)
{
	struct fs_prefetch *pf = fs->prefetch;
	bool waited = false;

	/* A reader waits no longer than its request may. */
	int64_t until = net_deadline_min(net_now_ms() + PF_WAIT_S * 1000, net_thread_deadline());

	if (pf == NULL || net_deadline_passed(until))
		return false;
	pthread_mutex_lock(&pf->lock);
	for (;;) {
		struct pf_stream *s = g_hash_table_lookup(pf->streams, m);

		if (pf->stop || s == NULL || pf_find(s, uid) == NULL)
			break;
		waited = true;
		if (net_cond_wait(&pf->done, &pf->lock, until) < 0)
			break;
	}
	pthread_mutex_unlock(&pf->lock);
	return waited;
}

/* ---- the workers ---- */

struct pf_job {
	struct fs_prefetch *pf;
	struct pf_batch *b;
	struct fs *fs;
	struct fs_mbox *m;
	uint32_t uidvalidity;
	unsigned stored;
};

/* Marks uid of b ready and wakes its reader: a reader waits for its own
 * message, not for the rest of the batch. */
static void pf_ready(struct fs_prefetch *pf, struct pf_batch *b, uint32_t uid)
{
	uint32_t *at = bsearch(&uid, b->uids, b->n, sizeof(uid), fs_cmp_u32);

	if (at == NULL)
		return;
	pthread_mutex_lock(&pf->lock);
	b->ready[at - b->uids] = true;
	pthread_cond_broadcast(&pf->done);
	pthread_mutex_unlock(&pf->lock);
}

/* Stores one message's bytes as blocks; a short one learns its size. */
static int pf_store(void *arg, uint32_t uid, const char *data, size_t len)
{
	struct pf_job *j = arg;
	struct cache_key key = {
	    .mailbox = j->m->raw, .uidvalidity = j->uidvalidity, .uid = uid, .section = ""};

	cache_block_put_run(j->fs->cfg.cache, &key, data, len);
	/* A body shorter than asked for is the whole message.  One that
	 * fills the bound is larger: only full blocks are true then, and
	 * those were stored; the size grows to at least len. */
	fs_read_learned(j->fs, j->m, uid, j->uidvalidity, len, len < PF_FETCH_LEN);
	j->stored++;
	pf_ready(j->pf, j->b, uid);
	return 0;
}

/* Fetches one batch on c: skips what is cached already, then one UID
 * FETCH. */
static void pf_run(struct fs_prefetch *pf, struct pf_batch *b, struct fs_mbox *m,
		   uint32_t uidvalidity, struct imap_conn *c)
{
	struct fs *fs = pf->fs;
	struct pf_job j = {.pf = pf, .b = b, .fs = fs, .m = m, .uidvalidity = uidvalidity};
	struct cache_key key = {.mailbox = m->raw, .uidvalidity = uidvalidity, .section = ""};
	struct imap_mbox_status st;
	uint32_t *want;
	size_t n = 0;
	int ret;

	want = malloc(b->n * sizeof(*want));
	if (want == NULL)
		abort();
	for (size_t i = 0; i < b->n; i++) {
		key.uid = b->uids[i];
		key.block = 0;
		if (!cache_block_has(fs->cfg.cache, &key))
			want[n++] = b->uids[i];
		else
			pf_ready(pf, b, b->uids[i]);
	}
	if (n == 0)
		goto out;
	ret = imap_conn_examine(c, m->raw, false, &st);
	if (ret == 0 && st.uidvalidity != uidvalidity)
		goto out; /* the reader finds out and refreshes */
	if (ret == 0)
		ret = imap_conn_fetch_bodies(c, want, n, PF_FETCH_LEN, pf_store, &j);
	if (ret < 0)
		log_debug(LOG_FS, "fs: prefetch of %zu messages of %s failed: %s", n, m->raw,
			  imap_conn_error(c));
	else
		log_debug(LOG_FS, "fs: prefetched %u of %zu messages of %s (UID %u..%u)", j.stored,
			  n, m->raw, want[0], want[n - 1]);
out:
	free(want);
}

static void *pf_worker(void *arg)
{
	struct fs_prefetch *pf = arg;

	pthread_mutex_lock(&pf->lock);
	for (;;) {
		struct pf_batch *b;
		struct fs_mbox *m;
		struct imap_conn *c = NULL;
		uint32_t uidvalidity;
		int ret;

		/* One worker per queued batch goes for a connection: a lone
		 * batch must not log in every idle worker. */
		while (!pf->stop && g_queue_get_length(&pf->queue) <= pf->claiming)
			pthread_cond_wait(&pf->work, &pf->lock);
		if (pf->stop)
			break;
		pf->claiming++;
		/* The connection first, the batch after: the oldest batch goes
		 * to whichever worker has a connection first, so the one the
		 * reader needs next never waits behind a new connection's
		 * login while an older connection is free. */
		m = ((struct pf_batch *)g_queue_peek_head(&pf->queue))->s->m;
		pthread_mutex_unlock(&pf->lock);
		ret = imap_pool_get(pf->fs->cfg.pool, m->raw, &c);
		pthread_mutex_lock(&pf->lock);
		pf->claiming--;
		if (ret < 0 || pf->stop || g_queue_is_empty(&pf->queue)) {
			/* No connection: the batch fails, and its reader
			 * fetches the message itself. */
			if (ret < 0 && !pf->stop && !g_queue_is_empty(&pf->queue))
				pf_batch_end(pf, g_queue_pop_head(&pf->queue));
			if (c != NULL) {
				pthread_mutex_unlock(&pf->lock);
				imap_pool_put(pf->fs->cfg.pool, c);
				pthread_mutex_lock(&pf->lock);
			}
			continue;
		}
		b = g_queue_pop_head(&pf->queue);
		b->running = true;
		m = b->s->m;
		uidvalidity = b->s->uidvalidity;
		pthread_mutex_unlock(&pf->lock);

		pf_run(pf, b, m, uidvalidity, c);
		imap_pool_put(pf->fs->cfg.pool, c);

		pthread_mutex_lock(&pf->lock);
		/* A running batch keeps its stream alive (pf_trim). */
		pf_batch_end(pf, b);
	}
	pthread_mutex_unlock(&pf->lock);
	return NULL;
}

void fs_prefetch_start(struct fs *fs)
{
	struct fs_prefetch *pf = calloc(1, sizeof(*pf));
	unsigned max;

	if (pf == NULL)
		abort();
	pf->fs = fs;
	pthread_mutex_init(&pf->lock, NULL);
	pthread_cond_init(&pf->work, NULL);
	net_cond_init(&pf->done); /* fs_prefetch_wait */
	pf->streams = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, pf_stream_free);
	g_queue_init(&pf->queue);
	fs->prefetch = pf;
	if (fs->cfg.pool == NULL)
		return;
	/* Leave one connection to the requests that cannot wait (listings,
	 * the block path), unless there is only one. */
	max = imap_pool_max(fs->cfg.pool);
	max = max > 1 ? max - 1 : 1;
	if (max > PF_WORKERS_MAX)
		max = PF_WORKERS_MAX;
	for (unsigned i = 0; i < max; i++) {
		if (pthread_create(&pf->workers[i], NULL, pf_worker, pf) != 0) {
			log_warnx("fs: cannot start a prefetch thread");
			break;
		}
		pf->nworkers++;
	}
}

void fs_prefetch_stop(struct fs *fs)
{
	struct fs_prefetch *pf = fs->prefetch;

	if (pf == NULL)
		return;
	pthread_mutex_lock(&pf->lock);
	pf->stop = true;
	pthread_cond_broadcast(&pf->work);
	pthread_cond_broadcast(&pf->done);
	pthread_mutex_unlock(&pf->lock);
	for (unsigned i = 0; i < pf->nworkers; i++)
		pthread_join(pf->workers[i], NULL);
	/* The workers are gone: what is queued was never started. */
	while (!g_queue_is_empty(&pf->queue)) {
		struct pf_batch *b = g_queue_pop_head(&pf->queue);

		g_ptr_array_remove(b->s->batches, b);
		pf_batch_free(b);
	}
	g_hash_table_destroy(pf->streams);
	pthread_cond_destroy(&pf->done);
	pthread_cond_destroy(&pf->work);
	pthread_mutex_destroy(&pf->lock);
	free(pf);
	fs->prefetch = NULL;
}

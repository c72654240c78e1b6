/* cache_block: the on-disk block store; pack.c has the file formats.
 * Blocks are appended as records to pack files, DIR/packs/SEQ.pack (SEQ:
 * 16 hex digits, increasing); each process appends only to packs it
 * created itself, one at a time (the active pack), and starts a new one
 * when it reaches pack_size.  A record is a fixed header (magic, format
 * version, data length, checksum, the key fields), the mailbox and section
 * names, then the data; the checksum (XXH3-64) covers all of it.  When a
 * pack is sealed (and when the store is closed) its index is written to
 * SEQ.idx (temporary name, rename); a pack left without one by a crash is
 * read record by record at the next start, keeping the records whose
 * checksum holds.  Every get checks the record it reads (magic, version,
 * lengths, key, checksum): whatever a crash or a bad disk left behind is a
 * miss, never wrong bytes.  No fsync: a cache may lose entries in a power
 * cut, it may not serve wrong ones.
 *
 * The in-memory index is compact (32 bytes an entry): an array of entries
 * linked by 32-bit indices into hash chains; an entry holds the 64-bit
 * hash of the key (not the key: the record says whether it is the right
 * one), its pack, offset and length, and a hash of the mailbox name.
 * Eviction deletes whole packs, oldest first; a hit on a record that would
 * be evicted within the next max_bytes / 2 bytes written is copied into
 * the active pack, which approximates least-recently-used order. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "imapfs/cache_block.h"
#include "imapfs/log.h"
#include "pack.h"

/* pack_size is max_bytes / 32 within these, and at most max_bytes / 4. */
#define CACHE_PACK_MIN (256u << 10)
#define CACHE_PACK_MAX (256u << 20)
/* After a failure to create a pack, puts are not cached for this long. */
#define CACHE_CREATE_RETRY_S 2
#define CACHE_BLOCK_NIL UINT32_MAX

/* An entry of the in-memory index. */
struct cache_ent {
	uint64_t id;
	struct cache_pack *pack; /* NULL for a free slot */
	uint32_t off;
	uint32_t len; /* the whole record */
	uint32_t mbh; /* hash of the mailbox name */
	uint32_t hnext;
};

struct cache_block {
	char *dir;		/* DIR/packs; immutable */
	uint64_t max_bytes;	/* immutable */
	uint64_t pack_size;	/* immutable */
	uint64_t first_seq;	/* immutable: packs from this one on are this process's */
	int lock_fd;		/* immutable; holds the flock on DIR/packs/lock */
	bool disabled;		/* immutable after open: runs uncached */
	pthread_t loader;	/* set under lock; joined by cache_block_free */
	atomic_bool load_begun; /* set once loader_started is, read without the lock */
	atomic_bool stop;	/* tells the loader to give up */
	atomic_bool warned;	/* the one warning about disk errors was given */
	atomic_uint tmp_seq;	/* makes temporary index file names unique */
	pthread_mutex_t lock;	/* protects everything below; never held across I/O */
	pthread_cond_t cv; /* signalled when loaded, scanned, done, rotating or burying change */
	bool loader_started;
	bool loaded;	       /* the index files are in: gets proceed */
	bool scanned;	       /* everything on disk is in: the bound is enforced */
	bool done;	       /* the loader has finished (old layout removed too) */
	bool rotating;	       /* a put is creating the next pack, unlocked */
	int64_t create_failed; /* when creating a pack last failed (monotonic s), or 0 */
	uint64_t next_seq;
	struct cache_pack **packs; /* live packs, oldest (lowest seq) first */
	uint32_t npacks;
	uint32_t packs_cap;
	struct cache_pack *active; /* the newest pack, or NULL */
	struct cache_ent *ents;
	uint32_t nents; /* slots in use or freed */
	uint32_t cap;
	uint32_t free_head;
	uint32_t *heads; /* hash buckets; nbuckets is a power of two */
	uint32_t nbuckets;
	uint32_t count;
	uint64_t bytes;	  /* sum of cache_pack_cost over packs */
	uint64_t burying; /* the same over evicted packs not yet deleted */
};

/* --- helpers (no lock) --------------------------------------------------- */

static int cache_block_file(const struct cache_block *c, uint64_t seq, const char *ext, char *buf,
			    size_t len)
{
	int n = snprintf(buf, len, "%s/%016" PRIx64 ".%s", c->dir, seq, ext);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The one warning about disk trouble; later ones go to the debug log. */
static void cache_block_disk_error(struct cache_block *c, const char *what, const char *path,
				   int err)
{
	if (!atomic_exchange(&c->warned, true))
		log_warnx("cache: cannot %s %s: %s; blocks that cannot be stored are fetched "
			  "from the server again",
			  what, path, strerror(err));
	else
		log_debug(LOG_CACHE, "cache: cannot %s %s: %s", what, path, strerror(err));
}

static int64_t cache_block_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* --- the index (all under c->lock) -------------------------------------- */

static uint32_t cache_block_bucket(const struct cache_block *c, uint64_t id)
{
	/* The ID is already a good hash. */
	return (uint32_t)(id ^ (id >> 32)) & (c->nbuckets - 1);
}

static uint32_t cache_block_find(const struct cache_block *c, uint64_t id)
{
	uint32_t i = c->heads[cache_block_bucket(c, id)];

	while (i != CACHE_BLOCK_NIL && c->ents[i].id != id)
		i = c->ents[i].hnext;
	return i;
}

static void cache_block_rehash(struct cache_block *c, uint32_t nbuckets)
{
	uint32_t *heads = malloc(nbuckets * sizeof(*heads));

	if (heads == NULL)
		abort();
	for (uint32_t b = 0; b < nbuckets; b++)
		heads[b] = CACHE_BLOCK_NIL;
	free(c->heads);
	c->heads = heads;
	c->nbuckets = nbuckets;
	for (uint32_t i = 0; i < c->nents; i++) {
		uint32_t b;

		if (c->ents[i].pack == NULL)
			continue;
		b = cache_block_bucket(c, c->ents[i].id);
		c->ents[i].hnext = heads[b];
		heads[b] = i;
	}
}

/* Points id at a record, unless the index has a newer record of it (in a
 * later pack, or later in the same pack). */
static void cache_block_set(struct cache_block *c, uint64_t id, struct cache_pack *p, uint32_t off,
			    uint32_t len, uint32_t mbh)
{
	uint32_t i = cache_block_find(c, id), b;
	struct cache_ent *e;

	if (i != CACHE_BLOCK_NIL) {
		e = &c->ents[i];
		if (e->pack->seq > p->seq || (e->pack == p && e->off > off))
			return;
		e->pack = p;
		e->off = off;
		e->len = len;
		e->mbh = mbh;
		return;
	}
	if (c->free_head != CACHE_BLOCK_NIL) {
		i = c->free_head;
		c->free_head = c->ents[i].hnext;
	} else {
		if (c->nents == c->cap) {
			uint32_t cap = c->cap * 2;
			struct cache_ent *ents = realloc(c->ents, cap * sizeof(*ents));

			if (ents == NULL || cap < c->cap)
				abort();
			c->ents = ents;
			c->cap = cap;
		}
		i = c->nents++;
	}
	b = cache_block_bucket(c, id);
	c->ents[i] = (struct cache_ent){
	    .id = id, .pack = p, .off = off, .len = len, .mbh = mbh, .hnext = c->heads[b]};
	c->heads[b] = i;
	if (++c->count > c->nbuckets)
		cache_block_rehash(c, c->nbuckets * 2);
}

static void cache_block_remove(struct cache_block *c, uint32_t i)
{
	uint32_t *p = &c->heads[cache_block_bucket(c, c->ents[i].id)];

	while (*p != i)
		p = &c->ents[*p].hnext;
	*p = c->ents[i].hnext;
	c->ents[i].pack = NULL;
	c->ents[i].hnext = c->free_head;
	c->free_head = i;
	c->count--;
}

/* Adds p to the list, which stays in seq order; the list's reference is
 * the one p was created with. */
static void cache_block_list_add(struct cache_block *c, struct cache_pack *p)
{
	uint32_t at = c->npacks;

	if (c->npacks == c->packs_cap) {
		c->packs_cap = c->packs_cap == 0 ? 16 : c->packs_cap * 2;
		c->packs = realloc(c->packs, c->packs_cap * sizeof(*c->packs));
		if (c->packs == NULL)
			abort();
	}
	while (at > 0 && c->packs[at - 1]->seq > p->seq)
		at--;
	memmove(c->packs + at + 1, c->packs + at, (c->npacks - at) * sizeof(*c->packs));
	c->packs[at] = p;
	c->npacks++;
	c->bytes += cache_pack_cost(p);
}

/* Grows p by one record of len bytes (or by n loaded records). */
static void cache_block_grow(struct cache_block *c, struct cache_pack *p, uint64_t len,
			     uint32_t nrec)
{
	c->bytes -= cache_pack_cost(p);
	p->end += len;
	p->nrec += nrec;
	c->bytes += cache_pack_cost(p);
}

/* Takes the oldest pack out: its entries are dropped (one pass over the
 * index: about 1 ms for 200,000 entries, once per pack_size written) and
 * it goes to victims, for the caller to delete unlocked. */
static void cache_block_kill_oldest(struct cache_block *c, GPtrArray *victims)
{
	struct cache_pack *p = c->packs[0];

	for (uint32_t i = 0; i < c->nents; i++)
		if (c->ents[i].pack == p)
			cache_block_remove(c, i);
	c->bytes -= cache_pack_cost(p);
	c->burying += cache_pack_cost(p);
	memmove(c->packs, c->packs + 1, (c->npacks - 1) * sizeof(*c->packs));
	c->npacks--;
	p->dead = true;
	if (p == c->active)
		c->active = NULL;
	g_ptr_array_add(victims, p);
}

/* Evicts whole packs, oldest first, until the bound holds; never the
 * active pack (pack_size keeps it within the bound), never before the
 * packs on disk are all known. */
static void cache_block_evict(struct cache_block *c, GPtrArray *victims)
{
	while (c->scanned && c->bytes > c->max_bytes && c->npacks > 0 && c->packs[0] != c->active)
		cache_block_kill_oldest(c, victims);
}

/* Whether a hit in p should be copied forward: the bytes still to be
 * written before p is evicted are fewer than half the bound. */
static bool cache_block_aging(const struct cache_block *c, const struct cache_pack *p)
{
	uint64_t before = 0;

	if (!c->scanned || p == c->active)
		return false;
	for (uint32_t i = 0; i < c->npacks && c->packs[i] != p; i++)
		before += cache_pack_cost(c->packs[i]);
	return c->max_bytes + before + cache_pack_cost(p) < c->bytes + c->max_bytes / 2;
}

/* --- unlocked file work --------------------------------------------------- */

static void cache_block_unlink(struct cache_block *c, uint64_t seq, const char *ext)
{
	char path[PATH_MAX];

	if (cache_block_file(c, seq, ext, path, sizeof(path)) == 0 && unlink(path) < 0 &&
	    errno != ENOENT)
		cache_block_disk_error(c, "remove", path, errno);
}

/* Deletes evicted packs and drops the list's reference (a reader still in
 * one keeps its fd open until it is done). */
static void cache_block_bury(struct cache_block *c, GPtrArray *victims)
{
	for (guint j = 0; j < victims->len; j++) {
		struct cache_pack *p = g_ptr_array_index(victims, j);

		log_debug(LOG_CACHE, "cache: evicted pack %016" PRIx64, p->seq);
		cache_block_unlink(c, p->seq, "pack");
		cache_block_unlink(c, p->seq, "idx");
		/* Dead: its end and record count no longer change. */
		pthread_mutex_lock(&c->lock);
		c->burying -= cache_pack_cost(p);
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->lock);
		cache_pack_unref(p);
	}
	g_ptr_array_set_size(victims, 0);
}

/* Writes SEQ.idx for p: the entries that point into it now.  Called when
 * no write into p is in flight (sealed, or at close). */
static void cache_block_write_idx(struct cache_block *c, struct cache_pack *p)
{
	GArray *ents = g_array_new(FALSE, FALSE, sizeof(struct cache_idx_ent));
	char path[PATH_MAX], tmp[PATH_MAX];
	const char *what;
	bool dead;
	int ret;

	pthread_mutex_lock(&c->lock);
	for (uint32_t i = 0; i < c->nents; i++) {
		const struct cache_ent *e = &c->ents[i];
		struct cache_idx_ent x = {.id = e->id, .off = e->off, .len = e->len, .mbh = e->mbh};

		if (e->pack == p)
			g_array_append_val(ents, x);
	}
	dead = p->dead;
	pthread_mutex_unlock(&c->lock);
	if (dead || cache_block_file(c, p->seq, "idx", path, sizeof(path)) < 0)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s/.%016" PRIx64 ".idx.%ld.%u", c->dir, p->seq, (long)getpid(),
		 atomic_fetch_add(&c->tmp_seq, 1));
	ret = cache_pack_write_index(path, tmp, p->seq, (struct cache_idx_ent *)(void *)ents->data,
				     ents->len, &what);
	if (ret < 0) {
		cache_block_disk_error(c, what, tmp, -ret);
		goto out;
	}
	/* Evicted meanwhile: the index must not outlive its pack. */
	pthread_mutex_lock(&c->lock);
	dead = p->dead;
	pthread_mutex_unlock(&c->lock);
	if (dead)
		unlink(path);
	log_debug(LOG_CACHE, "cache: wrote %s (%u entries)", path, ents->len);
out:
	g_array_free(ents, TRUE);
}

/* Reads SEQ.idx; NULL when missing or not a whole, valid index of a pack
 * of pack_len bytes. */
static GArray *cache_block_read_idx(struct cache_block *c, uint64_t seq, uint64_t pack_len)
{
	char path[PATH_MAX];
	GArray *ents;
	int fd;

	if (cache_block_file(c, seq, "idx", path, sizeof(path)) < 0)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT)
			cache_block_disk_error(c, "open", path, errno);
		return NULL;
	}
	ents = cache_pack_read_index(fd, seq, pack_len);
	close(fd);
	if (ents == NULL)
		log_debug(LOG_CACHE, "cache: %s is damaged; reading its pack instead", path);
	return ents;
}

/* Reads a pack left without a valid index, record by record. */
static GArray *cache_block_walk(struct cache_block *c, struct cache_pack *p)
{
	unsigned skipped;
	uint64_t end;
	GArray *ents = cache_pack_walk(p->fd, p->end, &c->stop, &skipped, &end);

	if (end < p->end || skipped > 0)
		log_debug(LOG_CACHE,
			  "cache: pack %016" PRIx64 ": %u damaged records skipped, %" PRIu64
			  " of %" PRIu64 " bytes read",
			  p->seq, skipped, end, p->end);
	return ents;
}

static bool cache_block_parse_name(const char *name, uint64_t *seq_r, const char **ext_r)
{
	uint64_t seq = 0;

	for (int i = 0; i < 16; i++) {
		char ch = name[i];
		int v = ch >= '0' && ch <= '9'	 ? ch - '0'
			: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
						 : -1;

		if (v < 0)
			return false;
		seq = seq << 4 | (uint64_t)v;
	}
	if (strcmp(name + 16, ".pack") != 0 && strcmp(name + 16, ".idx") != 0)
		return false;
	*seq_r = seq;
	*ext_r = name + 17;
	return true;
}

static int cache_block_seq_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Removes DIR/blocks, the layout of the previous version (one file per
 * block): it is only a cache. */
static void cache_block_remove_old_layout(struct cache_block *c)
{
	char *old = g_strndup(c->dir, strlen(c->dir) - strlen("packs"));
	char *blocks = g_strconcat(old, "blocks", NULL);
	DIR *top = opendir(blocks);
	struct dirent *d;
	unsigned n = 0;

	if (top == NULL)
		goto out;
	while ((d = readdir(top)) != NULL && !atomic_load(&c->stop)) {
		struct dirent *f;
		DIR *sub;
		int fd;

		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(top), d->d_name, 0) == 0) {
			n++;
			continue;
		}
		fd = openat(dirfd(top), d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || (sub = fdopendir(fd)) == NULL) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		while ((f = readdir(sub)) != NULL && !atomic_load(&c->stop))
			if (strcmp(f->d_name, ".") != 0 && strcmp(f->d_name, "..") != 0 &&
			    unlinkat(dirfd(sub), f->d_name, 0) == 0)
				n++;
		closedir(sub);
		unlinkat(dirfd(top), d->d_name, AT_REMOVEDIR);
	}
	closedir(top);
	if (!atomic_load(&c->stop) && rmdir(blocks) < 0)
		cache_block_disk_error(c, "remove", blocks, errno);
	log_debug(LOG_CACHE, "cache: removed %u files of the old layout in %s", n, blocks);
out:
	g_free(blocks);
	g_free(old);
}

/* Makes room for n more entries at once (a loaded pack's). */
static void cache_block_make_room(struct cache_block *c, uint32_t n)
{
	uint64_t want = (uint64_t)c->count + n;
	uint32_t cap = c->cap, nb = c->nbuckets;

	if (want >= CACHE_BLOCK_NIL / 2)
		abort();
	while (cap < want)
		cap *= 2;
	if (cap != c->cap) {
		c->ents = realloc(c->ents, cap * sizeof(*c->ents));
		if (c->ents == NULL)
			abort();
		c->cap = cap;
	}
	while (nb < want)
		nb *= 2;
	if (nb != c->nbuckets)
		cache_block_rehash(c, nb);
}

/* Adds a loaded pack's entries (never over newer ones). */
static void cache_block_add_loaded(struct cache_block *c, struct cache_pack *p, GArray *ents)
{
	cache_block_make_room(c, ents->len);
	for (guint j = 0; j < ents->len; j++) {
		const struct cache_idx_ent *x = &g_array_index(ents, struct cache_idx_ent, j);

		cache_block_set(c, x->id, p, x->off, x->len, x->mbh);
	}
	cache_block_grow(c, p, 0, ents->len);
}

/* The start-up thread: the packs of earlier runs, oldest first, from
 * their index files; then the packs a crash left without one; then the
 * bound; then the old layout. */
static void *cache_block_load(void *arg)
{
	struct cache_block *c = arg;
	GArray *seqs = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	GPtrArray *walk = g_ptr_array_new(), *victims = g_ptr_array_new();
	GHashTable *idx = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	struct timespec t0, t1, t2;
	uint64_t nent = 0;
	struct dirent *d;
	DIR *dp;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	dp = opendir(c->dir);
	while (dp != NULL && (d = readdir(dp)) != NULL) {
		const char *ext;
		uint64_t seq;

		if (d->d_name[0] == '.' && strcmp(d->d_name, ".") != 0 &&
		    strcmp(d->d_name, "..") != 0) {
			/* A temporary index file: its writer was killed (the
			 * lock says no other process writes here). */
			unlinkat(dirfd(dp), d->d_name, 0);
			continue;
		}
		if (!cache_block_parse_name(d->d_name, &seq, &ext) || seq >= c->first_seq)
			continue;
		if (strcmp(ext, "pack") == 0) {
			g_array_append_val(seqs, seq);
		} else {
			uint64_t *k = g_new(uint64_t, 1);

			*k = seq;
			g_hash_table_add(idx, k);
		}
	}
	if (dp != NULL)
		closedir(dp);
	g_array_sort(seqs, cache_block_seq_cmp);

	for (guint j = 0; j < seqs->len && !atomic_load(&c->stop); j++) {
		uint64_t seq = g_array_index(seqs, uint64_t, j);
		struct cache_pack *p;
		char path[PATH_MAX];
		struct stat st;
		GArray *ents;
		int fd;

		g_hash_table_remove(idx, &seq);
		if (cache_block_file(c, seq, "pack", path, sizeof(path)) < 0)
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			cache_block_disk_error(c, "open", path, errno);
			continue;
		}
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
			close(fd);
			cache_block_unlink(c, seq, "pack");
			cache_block_unlink(c, seq, "idx");
			continue;
		}
		ents = cache_block_read_idx(c, seq, (uint64_t)st.st_size);
		p = cache_pack_new(seq, fd, (uint64_t)st.st_size);
		p->sealed = true;
		pthread_mutex_lock(&c->lock);
		cache_block_list_add(c, p);
		if (ents != NULL)
			cache_block_add_loaded(c, p, ents);
		pthread_mutex_unlock(&c->lock);
		if (ents != NULL) {
			nent += ents->len;
			g_array_free(ents, TRUE);
		} else {
			cache_pack_ref(p);
			g_ptr_array_add(walk, p);
		}
	}
	/* Index files without their pack: a crash during an eviction. */
	{
		GHashTableIter it;
		gpointer k;

		g_hash_table_iter_init(&it, idx);
		while (g_hash_table_iter_next(&it, &k, NULL))
			cache_block_unlink(c, *(uint64_t *)k, "idx");
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_mutex_lock(&c->lock);
	c->loaded = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->lock);

	for (guint j = 0; j < walk->len; j++) {
		struct cache_pack *p = g_ptr_array_index(walk, j);

		if (!atomic_load(&c->stop)) {
			GArray *ents = cache_block_walk(c, p);

			pthread_mutex_lock(&c->lock);
			if (!p->dead)
				cache_block_add_loaded(c, p, ents);
			pthread_mutex_unlock(&c->lock);
			nent += ents->len;
			g_array_free(ents, TRUE);
			if (!atomic_load(&c->stop))
				cache_block_write_idx(c, p);
		}
		cache_pack_unref(p);
	}
	clock_gettime(CLOCK_MONOTONIC, &t2);
	log_debug(LOG_CACHE,
		  "cache: %u packs, %" PRIu64 " entries in %s: index files read in %.1f ms, "
		  "%u packs without one read in %.1f ms",
		  seqs->len, nent, c->dir,
		  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
		  walk->len,
		  (double)(t2.tv_sec - t1.tv_sec) * 1e3 + (double)(t2.tv_nsec - t1.tv_nsec) / 1e6);

	pthread_mutex_lock(&c->lock);
	c->scanned = true;
	pthread_cond_broadcast(&c->cv);
	cache_block_evict(c, victims);
	pthread_mutex_unlock(&c->lock);
	cache_block_bury(c, victims);
	if (!atomic_load(&c->stop))
		cache_block_remove_old_layout(c);
	pthread_mutex_lock(&c->lock);
	c->done = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->lock);

	g_hash_table_destroy(idx);
	g_ptr_array_free(walk, TRUE);
	g_ptr_array_free(victims, TRUE);
	g_array_free(seqs, TRUE);
	return NULL;
}

/* Takes DIR/packs/lock, so that one process uses the directory at a time;
 * false if another holds it. */
static bool cache_block_take_lock(struct cache_block *c)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/lock", c->dir);
	c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (c->lock_fd < 0)
		c->lock_fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (c->lock_fd < 0) {
		cache_block_disk_error(c, "open", path, errno);
		return false;
	}
	if (flock(c->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			log_warnx("cache: %s is in use by another imapfs process; this one runs "
				  "without the block cache",
				  c->dir);
		else
			cache_block_disk_error(c, "lock", path, errno);
		return false;
	}
	return true;
}

int cache_block_open(const char *dir, uint64_t max_bytes, struct cache_block **c_r, char *err,
		     size_t errlen)
{
	struct cache_block *c;
	struct dirent *d;
	struct stat st;
	uint64_t ps;
	DIR *dp;
	int ret;

	*c_r = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->lock_fd = -1;
	if (asprintf(&c->dir, "%s/packs", dir) < 0)
		abort();
	if (strlen(c->dir) + 40 >= PATH_MAX) {
		snprintf(err, errlen, "cache directory name too long");
		ret = -ENAMETOOLONG;
		goto fail;
	}
	if (mkdir(c->dir, 0700) < 0 && errno != EEXIST) {
		ret = -errno;
		if (ret != -EROFS && ret != -EACCES && ret != -ENOSPC && ret != -EDQUOT) {
			snprintf(err, errlen, "cannot create %.300s: %s", c->dir, strerror(-ret));
			goto fail;
		}
		/* Runs uncached rather than refusing to mount. */
		cache_block_disk_error(c, "create", c->dir, -ret);
		c->disabled = true;
	} else if (lstat(c->dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(err, errlen, "%.300s is not a directory of yours", c->dir);
		ret = -ENOTDIR;
		goto fail;
	} else if (!cache_block_take_lock(c)) {
		c->disabled = true;
	}
	/* This process's packs come after every pack on disk. */
	c->first_seq = 1;
	dp = c->disabled ? NULL : opendir(c->dir);
	while (dp != NULL && (d = readdir(dp)) != NULL) {
		const char *ext;
		uint64_t seq;

		if (cache_block_parse_name(d->d_name, &seq, &ext) && seq >= c->first_seq &&
		    seq < UINT64_MAX / 2)
			c->first_seq = seq + 1;
	}
	if (dp != NULL)
		closedir(dp);
	c->next_seq = c->first_seq;
	c->max_bytes = max_bytes;
	ps = max_bytes / 32;
	ps = ps < CACHE_PACK_MIN ? CACHE_PACK_MIN : ps > CACHE_PACK_MAX ? CACHE_PACK_MAX : ps;
	c->pack_size = ps < max_bytes / 4 ? ps : max_bytes / 4;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->cap = 1024;
	c->ents = malloc(c->cap * sizeof(*c->ents));
	if (c->ents == NULL)
		abort();
	c->free_head = CACHE_BLOCK_NIL;
	cache_block_rehash(c, 1024);
	if (c->disabled)
		c->loaded = c->scanned = c->done = true;
	*c_r = c;
	return 0;
fail:
	free(c->dir);
	free(c);
	return ret;
}

void cache_block_free(struct cache_block **cp)
{
	struct cache_block *c = *cp;
	struct cache_pack *a;

	if (c == NULL)
		return;
	if (c->loader_started) {
		atomic_store(&c->stop, true);
		pthread_join(c->loader, NULL);
	}
	/* No call runs concurrently: no write is in flight. */
	a = c->active;
	if (a != NULL && a->end > 0)
		cache_block_write_idx(c, a);
	else if (a != NULL)
		cache_block_unlink(c, a->seq, "pack");
	for (uint32_t i = 0; i < c->npacks; i++)
		cache_pack_unref(c->packs[i]);
	free(c->packs);
	free(c->ents);
	free(c->heads);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->lock);
	free(c->dir);
	free(c);
	*cp = NULL;
}

/* Not in cache_block_open: main opens the cache before fuse_daemonize()
 * forks, and a thread does not survive a fork (nor may one hold the lock
 * across it).  Idempotent; get, has, put and sync call it too. */
void cache_block_start(struct cache_block *c)
{
	int ret = 0;

	if (c->disabled || atomic_load(&c->load_begun))
		return;
	pthread_mutex_lock(&c->lock);
	if (!c->loader_started) {
		ret = pthread_create(&c->loader, NULL, cache_block_load, c);
		c->loader_started = ret == 0;
		if (ret != 0) {
			/* Runs with what it puts from now on. */
			c->loaded = c->scanned = c->done = true;
			pthread_cond_broadcast(&c->cv);
		}
		atomic_store(&c->load_begun, true);
	}
	pthread_mutex_unlock(&c->lock);
	if (ret != 0)
		log_warnx("cache: cannot start loading %s: %s; blocks stored before are not used",
			  c->dir, strerror(ret));
}

void cache_block_sync(struct cache_block *c)
{
	cache_block_start(c);
	pthread_mutex_lock(&c->lock);
	while (!c->done)
		pthread_cond_wait(&c->cv, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

/* Looks k up, waiting for the index files to be loaded; under c->lock. */
static uint32_t cache_block_lookup(struct cache_block *c, uint64_t id)
{
	while (!c->loaded)
		pthread_cond_wait(&c->cv, &c->lock);
	return cache_block_find(c, id);
}

bool cache_block_has(struct cache_block *c, const struct cache_key *k)
{
	char hbuf[CACHE_PACK_HDR_MAX];
	size_t hlen;
	bool found;

	if (c->disabled)
		return false;
	cache_block_start(c);
	hlen = cache_pack_encode(k, 0, hbuf);
	if (hlen == 0)
		return false;
	pthread_mutex_lock(&c->lock);
	found = cache_block_lookup(c, cache_pack_id(hbuf, hlen)) != CACHE_BLOCK_NIL;
	pthread_mutex_unlock(&c->lock);
	return found;
}

int cache_block_locate(struct cache_block *c, const struct cache_key *k, char *path_r,
		       size_t pathlen, uint64_t *off_r, uint32_t *len_r)
{
	char hbuf[CACHE_PACK_HDR_MAX];
	size_t hlen;
	uint64_t seq = 0;
	uint32_t i;

	if (c->disabled)
		return -ENOENT;
	cache_block_start(c);
	hlen = cache_pack_encode(k, 0, hbuf);
	if (hlen == 0)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&c->lock);
	i = cache_block_lookup(c, cache_pack_id(hbuf, hlen));
	if (i != CACHE_BLOCK_NIL) {
		seq = c->ents[i].pack->seq;
		*off_r = c->ents[i].off;
		*len_r = c->ents[i].len;
	}
	pthread_mutex_unlock(&c->lock);
	if (i == CACHE_BLOCK_NIL)
		return -ENOENT;
	return cache_block_file(c, seq, "pack", path_r, pathlen);
}

ssize_t cache_block_get(struct cache_block *c, const struct cache_key *k, char *buf)
{
	char want[CACHE_PACK_HDR_MAX], got[CACHE_PACK_HDR_MAX];
	struct cache_pack *p;
	struct iovec iov[2];
	size_t hlen, dlen = 0;
	uint32_t i, off, rlen;
	const char *bad = NULL;
	bool copy;
	uint64_t id;
	ssize_t n;

	if (c->disabled)
		return -ENOENT;
	cache_block_start(c);
	hlen = cache_pack_encode(k, 0, want);
	if (hlen == 0)
		return -ENOENT;
	id = cache_pack_id(want, hlen);
	pthread_mutex_lock(&c->lock);
	i = cache_block_lookup(c, id);
	if (i == CACHE_BLOCK_NIL) {
		pthread_mutex_unlock(&c->lock);
		return -ENOENT;
	}
	p = c->ents[i].pack;
	off = c->ents[i].off;
	rlen = c->ents[i].len;
	cache_pack_ref(p);
	copy = cache_block_aging(c, p);
	pthread_mutex_unlock(&c->lock);

	if (rlen < hlen || rlen - hlen > CACHE_BLOCK_SIZE) {
		bad = "wrong length";
		goto out;
	}
	dlen = rlen - hlen;
	iov[0] = (struct iovec){.iov_base = got, .iov_len = hlen};
	iov[1] = (struct iovec){.iov_base = buf, .iov_len = dlen};
	n = preadv(p->fd, iov, 2, (off_t)off);
	if (n < 0) {
		char path[PATH_MAX];
		int err = errno;

		/* EIO: the disk cannot give it back; the server can. */
		if (cache_block_file(c, p->seq, "pack", path, sizeof(path)) < 0)
			snprintf(path, sizeof(path), "%s", c->dir);
		cache_block_disk_error(c, "read", path, err);
		bad = "unreadable";
		goto out;
	}
	if ((size_t)n != rlen) {
		bad = "truncated";
		goto out;
	}
	bad = cache_pack_check(want, got, hlen, buf, dlen);
out:
	if (bad != NULL) {
		log_debug(LOG_CACHE, "cache: pack %016" PRIx64 " offset %" PRIu32 ": %s; dropped",
			  p->seq, off, bad);
		pthread_mutex_lock(&c->lock);
		i = cache_block_find(c, id);
		if (i != CACHE_BLOCK_NIL && c->ents[i].pack == p && c->ents[i].off == off)
			cache_block_remove(c, i);
		pthread_mutex_unlock(&c->lock);
		cache_pack_unref(p);
		return -ENOENT;
	}
	cache_pack_unref(p);
	/* About to be evicted: a copy in the active pack keeps it. */
	if (copy)
		cache_block_put(c, k, buf, dlen);
	return (ssize_t)dlen;
}

/* Seals p, the active pack: the caller writes its index (*idx_r, a
 * reference) unless a write into it is in flight (the last one will). */
static void cache_block_seal(struct cache_block *c, struct cache_pack *p, struct cache_pack **idx_r)
{
	p->sealed = true;
	c->active = NULL;
	if (p->writers > 0) {
		p->idx_due = true;
	} else {
		cache_pack_ref(p);
		*idx_r = p;
	}
}

/* Reserves rlen bytes at the end of the active pack, sealing it and
 * creating the next one (unlocked, with rotating set) when it is full.
 * Called and returns under c->lock; NULL when no pack can be created.
 * The caller holds a reference and a writer count on the pack. */
static struct cache_pack *cache_block_reserve(struct cache_block *c, uint32_t rlen, uint32_t *off_r)
{
	struct cache_pack *p, *sealed = NULL;
	char path[PATH_MAX];
	uint64_t seq;
	int fd = -1, err = 0;

	for (;;) {
		while (c->rotating)
			pthread_cond_wait(&c->cv, &c->lock);
		p = c->active;
		if (p != NULL && (p->end == 0 || p->end + rlen <= c->pack_size))
			break;
		if (c->create_failed != 0 &&
		    cache_block_now() - c->create_failed < CACHE_CREATE_RETRY_S)
			return NULL;
		if (p != NULL)
			cache_block_seal(c, p, &sealed);
		c->rotating = true;
		seq = c->next_seq;
		pthread_mutex_unlock(&c->lock);

		if (sealed != NULL) {
			cache_block_write_idx(c, sealed);
			cache_pack_unref(sealed);
			sealed = NULL;
		}
		for (;; seq++) {
			if (cache_block_file(c, seq, "pack", path, sizeof(path)) < 0) {
				err = ENAMETOOLONG;
				break;
			}
			fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
			if (fd >= 0 || errno != EEXIST) {
				err = errno;
				break;
			}
		}
		if (fd < 0)
			cache_block_disk_error(c, "create", path, err);

		pthread_mutex_lock(&c->lock);
		c->rotating = false;
		pthread_cond_broadcast(&c->cv);
		if (fd < 0) {
			c->create_failed = cache_block_now();
			return NULL;
		}
		c->create_failed = 0;
		c->next_seq = seq + 1;
		p = cache_pack_new(seq, fd, 0);
		cache_block_list_add(c, p);
		c->active = p;
		log_debug(LOG_CACHE, "cache: started %s", path);
	}
	*off_r = (uint32_t)p->end;
	cache_block_grow(c, p, rlen, 1);
	p->writers++;
	cache_pack_ref(p);
	return p;
}

static int cache_block_pwrite_all(int fd, struct iovec *iov, int cnt, off_t off)
{
	while (cnt > 0) {
		ssize_t n = pwritev(fd, iov, cnt, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += n;
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

void cache_block_put(struct cache_block *c, const struct cache_key *k, const char *data, size_t len)
{
	char hbuf[CACHE_PACK_HDR_MAX];
	struct cache_pack *p, *idx = NULL;
	struct cache_rec_hdr h;
	struct iovec iov[2];
	GPtrArray *victims;
	size_t hlen;
	uint32_t off = 0, rlen;
	uint64_t id;
	int ret;

	if (c->disabled || len > CACHE_BLOCK_SIZE)
		return;
	cache_block_start(c);
	hlen = cache_pack_encode(k, (uint32_t)len, hbuf);
	if (hlen == 0)
		return;
	rlen = (uint32_t)(hlen + len);
	/* A pack of this record alone must fit the bound. */
	if (cache_pack_round(rlen) +
		cache_pack_round(sizeof(struct cache_idx_hdr) + sizeof(struct cache_idx_ent)) >
	    c->max_bytes)
		return;
	id = cache_pack_id(hbuf, hlen);
	memcpy(&h, hbuf, sizeof(h));
	h.sum = cache_pack_sum(hbuf, hlen, data, len);
	memcpy(hbuf, &h, sizeof(h));

	victims = g_ptr_array_new();
	pthread_mutex_lock(&c->lock);
	p = cache_block_reserve(c, rlen, &off);
	if (p != NULL)
		cache_block_evict(c, victims);
	pthread_mutex_unlock(&c->lock);
	cache_block_bury(c, victims);
	g_ptr_array_free(victims, TRUE);
	if (p == NULL)
		return;
	/* Packs another put evicted may still be on disk: writing before
	 * they are deleted would take the directory past the bound.  This
	 * put deleted its own victims first, so the wait ends. */
	pthread_mutex_lock(&c->lock);
	while (c->burying > 0 && c->bytes + c->burying > c->max_bytes)
		pthread_cond_wait(&c->cv, &c->lock);
	pthread_mutex_unlock(&c->lock);

	iov[0] = (struct iovec){.iov_base = hbuf, .iov_len = hlen};
	iov[1] = (struct iovec){.iov_base = (void *)data, .iov_len = len};
	ret = cache_block_pwrite_all(p->fd, iov, 2, (off_t)off);
	if (ret < 0) {
		char path[PATH_MAX];

		cache_block_file(c, p->seq, "pack", path, sizeof(path));
		cache_block_disk_error(c, "write", path, -ret);
	}

	/* Indexed only once the record is whole. */
	pthread_mutex_lock(&c->lock);
	p->writers--;
	if (ret == 0 && !p->dead)
		cache_block_set(c, id, p, off, rlen,
				cache_pack_mbh(k->mailbox, strlen(k->mailbox)));
	if (p->idx_due && p->writers == 0) {
		p->idx_due = false;
		if (!p->dead) {
			cache_pack_ref(p);
			idx = p;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (idx != NULL) {
		cache_block_write_idx(c, idx);
		cache_pack_unref(idx);
	}
	cache_pack_unref(p);
	if (ret == 0)
		log_debug(LOG_CACHE, "cache: put %s/%u/%u/%s block %" PRIu64 " (%zu bytes)",
			  k->mailbox, k->uidvalidity, k->uid, k->section, k->block, len);
}

void cache_block_put_run(struct cache_block *c, const struct cache_key *k, const char *data,
			 size_t len)
{
	struct cache_key key = *k;

	for (size_t off = 0; off < len; off += CACHE_BLOCK_SIZE) {
		cache_block_put(c, &key, data + off,
				len - off < CACHE_BLOCK_SIZE ? len - off : CACHE_BLOCK_SIZE);
		key.block++;
	}
}

void cache_block_drop_mailbox(struct cache_block *c, const char *mailbox)
{
	uint32_t mbh = cache_pack_mbh(mailbox, strlen(mailbox)), n = 0;
	GPtrArray *rewrite;

	if (c->disabled)
		return;
	cache_block_start(c);
	rewrite = g_ptr_array_new();
	pthread_mutex_lock(&c->lock);
	while (!c->loaded)
		pthread_cond_wait(&c->cv, &c->lock);
	/* A hash collision drops another mailbox's blocks too: a miss. */
	for (uint32_t i = 0; i < c->nents; i++) {
		struct cache_pack *p = c->ents[i].pack;

		if (p == NULL || c->ents[i].mbh != mbh)
			continue;
		cache_block_remove(c, i);
		n++;
		/* A sealed pack's index file is written again, so that the
		 * entries stay dropped after a restart (not while the loader
		 * may still be writing it). */
		if (!p->sealed || p->idx_due || !c->scanned || g_ptr_array_find(rewrite, p, NULL))
			continue;
		if (p->writers > 0) {
			p->idx_due = true;
		} else {
			cache_pack_ref(p);
			g_ptr_array_add(rewrite, p);
		}
	}
	pthread_mutex_unlock(&c->lock);
	for (guint j = 0; j < rewrite->len; j++) {
		cache_block_write_idx(c, g_ptr_array_index(rewrite, j));
		cache_pack_unref(g_ptr_array_index(rewrite, j));
	}
	g_ptr_array_free(rewrite, TRUE);
	log_debug(LOG_CACHE, "cache: dropped %u blocks of %s", n, mailbox);
}

uint64_t cache_block_bytes(struct cache_block *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->lock);
	n = c->bytes;
	pthread_mutex_unlock(&c->lock);
	return n;
}

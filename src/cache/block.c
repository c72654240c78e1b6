/* cache_block: the on-disk block store.  One file per block,
 * DIR/blocks/XX/ID, where ID is the 64-bit XXH3 hash of the full key in
 * hex and XX its top byte (256 subdirectories keep each directory small).
 * A file is a fixed header (magic, format version, data length, checksum),
 * the full key, then the data; the checksum (XXH3-64) covers all of it.  A
 * file is written under a temporary name and renamed into place, so a
 * reader sees either a whole old file or a whole new one; what a crash or a
 * bad disk leaves behind fails verification and is deleted.  No fsync: a
 * cache may lose entries in a power cut, it may not serve wrong ones, and
 * the checksum (not write ordering) is what guarantees that.
 *
 * The in-memory index is compact (32 bytes an entry, about 8 MiB for the
 * 200,000 entries of a 1 GiB cache of small messages): an array of entries
 * linked by 32-bit indices into hash chains and a least-recently-used list.
 * It holds no key, only the ID: a get opens the file by name and the header
 * says whether it is the right block. */
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
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <xxhash.h>

#include "imapfs/cache_block.h"
#include "imapfs/log.h"

#define CACHE_BLOCK_MAGIC "IMAPFSB\n"
#define CACHE_BLOCK_VERSION 1u
/* Mailbox and section names beyond this are not cached (no real name is
 * near it); it bounds the header a get reads. */
#define CACHE_BLOCK_MAX_NAMES 4000u
#define CACHE_BLOCK_HDR_MAX (sizeof(struct cache_block_hdr) + CACHE_BLOCK_MAX_NAMES)
/* Accounting unit: what a file takes on a typical file system. */
#define CACHE_BLOCK_UNIT 4096u
/* A hit refreshes the file's mtime (its last-use time for the next start)
 * only when older than this: LRU order across restarts at a minute's
 * grain, for one syscall per block per minute. */
#define CACHE_BLOCK_TOUCH_S 60
/* A temporary file older than this was left by a crash. */
#define CACHE_BLOCK_STALE_TMP_S 600
#define CACHE_BLOCK_NIL UINT32_MAX
/* The scan hands entries to the index this many at a time, so that the
 * lock is never held long. */
#define CACHE_BLOCK_SCAN_BATCH 4096u

/* On disk, host byte order (a foreign-endian file fails the version check). */
struct cache_block_hdr {
	char magic[8];
	uint32_t version;
	uint32_t len; /* data bytes */
	uint64_t sum; /* XXH3-64 of header (sum = 0), names, data */
	/* The key, from here on: the ID hashes these bytes and the names. */
	uint32_t uidvalidity;
	uint32_t uid;
	uint64_t block;
	uint32_t mailbox_len;
	uint32_t section_len;
	/* mailbox, then section, no terminators; then len data bytes */
};
_Static_assert(sizeof(struct cache_block_hdr) == 48, "packed header");
#define CACHE_BLOCK_KEY_OFF offsetof(struct cache_block_hdr, uidvalidity)

struct cache_ent {
	uint64_t id;
	uint32_t cost;	/* bytes on disk, rounded up; 0 for a free slot */
	uint32_t mbh;	/* hash of the mailbox name; 0 when unknown */
	uint32_t newer; /* LRU list; free list through newer */
	uint32_t older;
	uint32_t hnext; /* hash chain */
};

/* A file found by the start-up scan. */
struct cache_found {
	uint64_t id;
	int64_t mtime;
	uint32_t cost;
};

struct cache_block {
	char *dir;		   /* DIR/blocks; immutable */
	uint64_t max_bytes;	   /* immutable */
	pthread_t scanner;	   /* set under lock; joined by cache_block_free */
	atomic_bool scan_begun;	   /* set once scanner_started is, read without the lock */
	atomic_bool stop;	   /* tells the scanner to give up */
	atomic_bool warned;	   /* the one warning about disk errors was given */
	atomic_uint tmp_seq;	   /* makes temporary names unique */
	pthread_mutex_t lock;	   /* protects everything below; never held across I/O */
	pthread_cond_t scanned_cv; /* signalled when scanned becomes true */
	bool scanner_started;
	bool scanned;
	struct cache_ent *ents;
	uint32_t nents; /* slots in use or freed */
	uint32_t cap;
	uint32_t free_head;
	uint32_t *heads; /* hash buckets; nbuckets is a power of two */
	uint32_t nbuckets;
	uint32_t count;
	uint32_t newest;
	uint32_t oldest;
	uint64_t bytes;
};

/* --- the file format (no lock) ------------------------------------------ */

/* Fills hdr (and the names after it, in a CACHE_BLOCK_HDR_MAX buffer) for k
 * and len, sum still 0; returns the header's length, or 0 when the names
 * are too long to cache. */
static size_t cache_block_encode(const struct cache_key *k, uint32_t len, char *hbuf)
{
	struct cache_block_hdr h;
	size_t ml = strlen(k->mailbox), sl = strlen(k->section);

	if (ml + sl > CACHE_BLOCK_MAX_NAMES)
		return 0;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, CACHE_BLOCK_MAGIC, sizeof(h.magic));
	h.version = CACHE_BLOCK_VERSION;
	h.len = len;
	h.uidvalidity = k->uidvalidity;
	h.uid = k->uid;
	h.block = k->block;
	h.mailbox_len = (uint32_t)ml;
	h.section_len = (uint32_t)sl;
	memcpy(hbuf, &h, sizeof(h));
	memcpy(hbuf + sizeof(h), k->mailbox, ml);
	memcpy(hbuf + sizeof(h) + ml, k->section, sl);
	return sizeof(h) + ml + sl;
}

static uint64_t cache_block_id(const char *hbuf, size_t hlen)
{
	return XXH3_64bits(hbuf + CACHE_BLOCK_KEY_OFF, hlen - CACHE_BLOCK_KEY_OFF);
}

/* The checksum of a header (whose sum field is ignored) and data. */
static uint64_t cache_block_sum(const char *hbuf, size_t hlen, const char *data, size_t len)
{
	struct cache_block_hdr h;
	uint64_t s;

	memcpy(&h, hbuf, sizeof(h));
	h.sum = 0;
	s = XXH3_64bits(&h, sizeof(h));
	s = XXH3_64bits_withSeed(hbuf + sizeof(h), hlen - sizeof(h), s);
	return XXH3_64bits_withSeed(data, len, s);
}

static uint32_t cache_block_mbh(const char *mailbox)
{
	uint32_t h = (uint32_t)XXH3_64bits(mailbox, strlen(mailbox));

	return h == 0 ? 1 : h;
}

static uint32_t cache_block_cost(uint64_t file_bytes)
{
	return (uint32_t)((file_bytes + CACHE_BLOCK_UNIT - 1) / CACHE_BLOCK_UNIT *
			  CACHE_BLOCK_UNIT);
}

static int cache_block_id_path(const struct cache_block *c, uint64_t id, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%02x/%016" PRIx64, c->dir, (unsigned)(id >> 56), id);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cache_block_path(struct cache_block *c, const struct cache_key *k, char *buf, size_t len)
{
	char hbuf[CACHE_BLOCK_HDR_MAX];
	size_t hlen = cache_block_encode(k, 0, hbuf);

	if (hlen == 0)
		return -ENAMETOOLONG;
	return cache_block_id_path(c, cache_block_id(hbuf, hlen), buf, len);
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

static void cache_block_lru_unlink(struct cache_block *c, uint32_t i)
{
	struct cache_ent *e = &c->ents[i];

	if (e->newer != CACHE_BLOCK_NIL)
		c->ents[e->newer].older = e->older;
	else
		c->newest = e->older;
	if (e->older != CACHE_BLOCK_NIL)
		c->ents[e->older].newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = CACHE_BLOCK_NIL;
}

static void cache_block_lru_push(struct cache_block *c, uint32_t i, bool newest)
{
	struct cache_ent *e = &c->ents[i];

	if (newest) {
		e->newer = CACHE_BLOCK_NIL;
		e->older = c->newest;
		if (c->newest != CACHE_BLOCK_NIL)
			c->ents[c->newest].newer = i;
		c->newest = i;
		if (c->oldest == CACHE_BLOCK_NIL)
			c->oldest = i;
	} else {
		e->older = CACHE_BLOCK_NIL;
		e->newer = c->oldest;
		if (c->oldest != CACHE_BLOCK_NIL)
			c->ents[c->oldest].older = i;
		c->oldest = i;
		if (c->newest == CACHE_BLOCK_NIL)
			c->newest = i;
	}
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

		if (c->ents[i].cost == 0)
			continue;
		b = cache_block_bucket(c, c->ents[i].id);
		c->ents[i].hnext = heads[b];
		heads[b] = i;
	}
}

/* Adds id (absent) at either end of the LRU list; returns its slot. */
static uint32_t cache_block_add(struct cache_block *c, uint64_t id, uint32_t cost, uint32_t mbh,
				bool newest)
{
	uint32_t i, b;

	if (c->free_head != CACHE_BLOCK_NIL) {
		i = c->free_head;
		c->free_head = c->ents[i].newer;
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
	c->ents[i] = (struct cache_ent){.id = id, .cost = cost, .mbh = mbh};
	b = cache_block_bucket(c, id);
	c->ents[i].hnext = c->heads[b];
	c->heads[b] = i;
	cache_block_lru_push(c, i, newest);
	c->bytes += cost;
	if (++c->count > c->nbuckets)
		cache_block_rehash(c, c->nbuckets * 2);
	return i;
}

static void cache_block_remove(struct cache_block *c, uint32_t i)
{
	uint32_t *p = &c->heads[cache_block_bucket(c, c->ents[i].id)];

	while (*p != i)
		p = &c->ents[*p].hnext;
	*p = c->ents[i].hnext;
	cache_block_lru_unlink(c, i);
	c->bytes -= c->ents[i].cost;
	c->count--;
	c->ents[i].cost = 0;
	c->ents[i].newer = c->free_head;
	c->free_head = i;
}

/* Takes least recently used entries out of the index until the bound
 * holds; their IDs go to victims, for the caller to unlink unlocked. */
static void cache_block_evict(struct cache_block *c, GArray *victims)
{
	while (c->bytes > c->max_bytes && c->oldest != CACHE_BLOCK_NIL) {
		g_array_append_val(victims, c->ents[c->oldest].id);
		cache_block_remove(c, c->oldest);
	}
}

/* Records a use of id: moved to the newest end, or added there. */
static void cache_block_used(struct cache_block *c, uint64_t id, uint32_t cost, uint32_t mbh)
{
	uint32_t i = cache_block_find(c, id);

	if (i == CACHE_BLOCK_NIL) {
		cache_block_add(c, id, cost, mbh, true);
		return;
	}
	cache_block_lru_unlink(c, i);
	cache_block_lru_push(c, i, true);
	c->bytes += cost;
	c->bytes -= c->ents[i].cost;
	c->ents[i].cost = cost;
	c->ents[i].mbh = mbh;
}

/* --- unlocked file work --------------------------------------------------- */

static void cache_block_unlink_ids(struct cache_block *c, GArray *ids, const char *why)
{
	char path[PATH_MAX];

	for (guint j = 0; j < ids->len; j++) {
		uint64_t id = g_array_index(ids, uint64_t, j);

		if (cache_block_id_path(c, id, path, sizeof(path)) < 0)
			continue;
		if (unlink(path) < 0 && errno != ENOENT)
			cache_block_disk_error(c, "remove", path, errno);
	}
	if (ids->len > 0)
		log_debug(LOG_CACHE, "cache: %s %u blocks", why, ids->len);
}

static void cache_block_evict_now(struct cache_block *c)
{
	GArray *victims = g_array_new(FALSE, FALSE, sizeof(uint64_t));

	pthread_mutex_lock(&c->lock);
	cache_block_evict(c, victims);
	pthread_mutex_unlock(&c->lock);
	cache_block_unlink_ids(c, victims, "evicted");
	g_array_free(victims, TRUE);
}

static int cache_block_found_cmp(const void *a, const void *b)
{
	const struct cache_found *x = a, *y = b;

	return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

static bool cache_block_parse_id(const char *name, uint64_t *id_r)
{
	uint64_t id = 0;

	if (strlen(name) != 16)
		return false;
	for (int i = 0; i < 16; i++) {
		char ch = name[i];
		int v = ch >= '0' && ch <= '9'	 ? ch - '0'
			: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
						 : -1;

		if (v < 0)
			return false;
		id = id << 4 | (uint64_t)v;
	}
	*id_r = id;
	return true;
}

/* Lists one subdirectory into found; deletes temporary files left by a
 * crash. */
static void cache_block_scan_dir(struct cache_block *c, unsigned sub, GArray *found, time_t now)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dp;

	snprintf(path, sizeof(path), "%s/%02x", c->dir, sub);
	dp = opendir(path);
	if (dp == NULL)
		return;
	while ((d = readdir(dp)) != NULL && !atomic_load(&c->stop)) {
		struct cache_found f;
		struct stat st;
		uint64_t id;

		if (d->d_name[0] == '.' && strncmp(d->d_name, ".t", 2) != 0)
			continue;
		if (fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (strncmp(d->d_name, ".t", 2) == 0) {
			if (now - st.st_mtime > CACHE_BLOCK_STALE_TMP_S &&
			    unlinkat(dirfd(dp), d->d_name, 0) == 0)
				log_debug(LOG_CACHE, "cache: removed %s/%s left by a crash", path,
					  d->d_name);
			continue;
		}
		if (!cache_block_parse_id(d->d_name, &id) || (unsigned)(id >> 56) != sub)
			continue;
		f.id = id;
		f.mtime = (int64_t)st.st_mtime;
		f.cost = cache_block_cost((uint64_t)st.st_size);
		g_array_append_val(found, f);
	}
	closedir(dp);
}

/* The start-up scan: indexes what is on disk, oldest use last, without
 * displacing what this process has used meanwhile, then enforces the
 * bound. */
static void *cache_block_scan(void *arg)
{
	struct cache_block *c = arg;
	GArray *found = g_array_new(FALSE, FALSE, sizeof(struct cache_found));
	time_t now = time(NULL);
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned sub = 0; sub < 256 && !atomic_load(&c->stop); sub++)
		cache_block_scan_dir(c, sub, found, now);
	if (found->len > 0)
		qsort(found->data, found->len, sizeof(struct cache_found), cache_block_found_cmp);
	/* Newest first, each at the old end: the oldest ends up last. */
	for (guint j = found->len; j > 0 && !atomic_load(&c->stop);) {
		pthread_mutex_lock(&c->lock);
		for (guint n = 0; j > 0 && n < CACHE_BLOCK_SCAN_BATCH; n++) {
			struct cache_found *f = &g_array_index(found, struct cache_found, --j);

			if (cache_block_find(c, f->id) == CACHE_BLOCK_NIL)
				cache_block_add(c, f->id, f->cost, 0, false);
		}
		pthread_mutex_unlock(&c->lock);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug(LOG_CACHE, "cache: found %u blocks in %s in %.0f ms", found->len, c->dir,
		  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	g_array_free(found, TRUE);
	cache_block_evict_now(c);

	pthread_mutex_lock(&c->lock);
	c->scanned = true;
	pthread_cond_broadcast(&c->scanned_cv);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int cache_block_open(const char *dir, uint64_t max_bytes, struct cache_block **c_r, char *err,
		     size_t errlen)
{
	struct cache_block *c;
	struct stat st;
	int ret;

	*c_r = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	if (asprintf(&c->dir, "%s/blocks", dir) < 0)
		abort();
	if (strlen(c->dir) + 32 >= PATH_MAX) {
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
	} else if (lstat(c->dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(err, errlen, "%.300s is not a directory of yours", c->dir);
		ret = -ENOTDIR;
		goto fail;
	}
	c->max_bytes = max_bytes;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->scanned_cv, NULL);
	c->cap = 1024;
	c->ents = malloc(c->cap * sizeof(*c->ents));
	if (c->ents == NULL)
		abort();
	c->free_head = c->newest = c->oldest = CACHE_BLOCK_NIL;
	cache_block_rehash(c, 1024);
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

	if (c == NULL)
		return;
	if (c->scanner_started) {
		atomic_store(&c->stop, true);
		pthread_join(c->scanner, NULL);
	}
	free(c->ents);
	free(c->heads);
	pthread_cond_destroy(&c->scanned_cv);
	pthread_mutex_destroy(&c->lock);
	free(c->dir);
	free(c);
	*cp = NULL;
}

/* Not in cache_block_open: main opens the cache before fuse_daemonize()
 * forks, and a thread does not survive a fork (nor may one hold the lock
 * across it).  Idempotent; get, put and sync call it too. */
void cache_block_start(struct cache_block *c)
{
	int ret = 0;

	if (atomic_load(&c->scan_begun))
		return;
	pthread_mutex_lock(&c->lock);
	if (!c->scanner_started) {
		ret = pthread_create(&c->scanner, NULL, cache_block_scan, c);
		c->scanner_started = ret == 0;
		if (ret != 0)
			c->scanned = true; /* runs with what it puts from now on */
		atomic_store(&c->scan_begun, true);
	}
	pthread_mutex_unlock(&c->lock);
	if (ret != 0)
		log_warnx("cache: cannot start the scan of %s: %s; blocks stored before are not "
			  "counted",
			  c->dir, strerror(ret));
}

void cache_block_sync(struct cache_block *c)
{
	cache_block_start(c);
	pthread_mutex_lock(&c->lock);
	while (!c->scanned)
		pthread_cond_wait(&c->scanned_cv, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

/* Forgets a file that failed verification and deletes it.  Always in
 * this order, as eviction does: a put of the same block that lands between
 * the two can only leave an entry without a file (over-counted until it is
 * evicted), never a file the index does not count. */
static void cache_block_reject(struct cache_block *c, uint64_t id, const char *path,
			       const char *why)
{
	uint32_t i;

	log_debug(LOG_CACHE, "cache: %s: %s; removed", path, why);
	pthread_mutex_lock(&c->lock);
	i = cache_block_find(c, id);
	if (i != CACHE_BLOCK_NIL)
		cache_block_remove(c, i);
	pthread_mutex_unlock(&c->lock);
	if (unlink(path) < 0 && errno != ENOENT)
		cache_block_disk_error(c, "remove", path, errno);
}

ssize_t cache_block_get(struct cache_block *c, const struct cache_key *k, char *buf)
{
	char want[CACHE_BLOCK_HDR_MAX], got[CACHE_BLOCK_HDR_MAX], path[PATH_MAX];
	struct cache_block_hdr h;
	struct iovec iov[2];
	struct stat st;
	size_t hlen, dlen;
	uint64_t id;
	const char *bad = NULL;
	ssize_t n;
	int fd;

	cache_block_start(c);
	hlen = cache_block_encode(k, 0, want);
	if (hlen == 0)
		return -ENOENT;
	id = cache_block_id(want, hlen);
	if (cache_block_id_path(c, id, path, sizeof(path)) < 0)
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		/* A stale index entry (ENOENT) only over-counts until evicted. */
		if (errno != ENOENT)
			cache_block_disk_error(c, "open", path, errno);
		return -ENOENT;
	}
	if (fstat(fd, &st) < 0) {
		cache_block_disk_error(c, "stat", path, errno);
		close(fd);
		return -ENOENT;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < hlen ||
	    (uint64_t)st.st_size > hlen + CACHE_BLOCK_SIZE) {
		bad = "wrong size";
		goto out;
	}
	dlen = (size_t)st.st_size - hlen;
	iov[0] = (struct iovec){.iov_base = got, .iov_len = hlen};
	iov[1] = (struct iovec){.iov_base = buf, .iov_len = dlen};
	n = readv(fd, iov, 2);
	if (n < 0) {
		/* EIO: the disk cannot give it back; the server can. */
		cache_block_disk_error(c, "read", path, errno);
		bad = "unreadable";
		goto out;
	}
	if ((size_t)n != hlen + dlen) {
		bad = "short read";
		goto out;
	}
	memcpy(&h, got, sizeof(h));
	if (memcmp(h.magic, CACHE_BLOCK_MAGIC, sizeof(h.magic)) != 0 ||
	    h.version != CACHE_BLOCK_VERSION) {
		bad = "not a block file of this version";
		goto out;
	}
	if (h.len != dlen) {
		bad = "truncated or extended";
		goto out;
	}
	if (memcmp(got + CACHE_BLOCK_KEY_OFF, want + CACHE_BLOCK_KEY_OFF,
		   hlen - CACHE_BLOCK_KEY_OFF) != 0) {
		bad = "holds another key";
		goto out;
	}
	if (cache_block_sum(got, hlen, buf, dlen) != h.sum) {
		bad = "checksum mismatch";
		goto out;
	}
	if (time(NULL) - st.st_mtime > CACHE_BLOCK_TOUCH_S)
		(void)futimens(fd, NULL); /* best effort: only the order at the next start */
out:
	close(fd);
	if (bad != NULL) {
		cache_block_reject(c, id, path, bad);
		return -ENOENT;
	}
	pthread_mutex_lock(&c->lock);
	cache_block_used(c, id, cache_block_cost((uint64_t)st.st_size),
			 cache_block_mbh(k->mailbox));
	pthread_mutex_unlock(&c->lock);
	return (ssize_t)dlen;
}

/* Writes all of iov to fd; 0 or -errno. */
static int cache_block_writev_all(int fd, struct iovec *iov, int cnt)
{
	while (cnt > 0) {
		ssize_t n = writev(fd, iov, cnt);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
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
	char hbuf[CACHE_BLOCK_HDR_MAX], path[PATH_MAX], tmp[PATH_MAX];
	struct cache_block_hdr h;
	struct iovec iov[2];
	GArray *victims;
	size_t hlen;
	uint64_t id;
	uint32_t cost;
	int fd, ret;

	cache_block_start(c);
	if (len > CACHE_BLOCK_SIZE)
		return;
	hlen = cache_block_encode(k, (uint32_t)len, hbuf);
	if (hlen == 0)
		return;
	cost = cache_block_cost(hlen + len);
	if (cost > c->max_bytes)
		return;
	id = cache_block_id(hbuf, hlen);
	memcpy(&h, hbuf, sizeof(h));
	h.sum = cache_block_sum(hbuf, hlen, data, len);
	memcpy(hbuf, &h, sizeof(h));
	if (cache_block_id_path(c, id, path, sizeof(path)) < 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s/%02x/.t%016" PRIx64 ".%ld.%u", c->dir, (unsigned)(id >> 56),
		 id, (long)getpid(), atomic_fetch_add(&c->tmp_seq, 1));

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == ENOENT) {
		char sub[PATH_MAX];

		snprintf(sub, sizeof(sub), "%s/%02x", c->dir, (unsigned)(id >> 56));
		if (mkdir(sub, 0700) < 0 && errno != EEXIST) {
			cache_block_disk_error(c, "create", sub, errno);
			return;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	}
	if (fd < 0) {
		cache_block_disk_error(c, "create", tmp, errno);
		return;
	}
	iov[0] = (struct iovec){.iov_base = hbuf, .iov_len = hlen};
	iov[1] = (struct iovec){.iov_base = (void *)data, .iov_len = len};
	ret = cache_block_writev_all(fd, iov, 2);
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0) {
		cache_block_disk_error(c, "write", tmp, -ret);
		unlink(tmp);
		return;
	}

	victims = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	pthread_mutex_lock(&c->lock);
	cache_block_used(c, id, cost, cache_block_mbh(k->mailbox));
	cache_block_evict(c, victims);
	pthread_mutex_unlock(&c->lock);
	cache_block_unlink_ids(c, victims, "evicted");
	g_array_free(victims, TRUE);
	log_debug(LOG_CACHE, "cache: put %s/%u/%u/%s block %" PRIu64 " (%zu bytes)", k->mailbox,
		  k->uidvalidity, k->uid, k->section, k->block, len);
}

void cache_block_drop_mailbox(struct cache_block *c, const char *mailbox)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	uint32_t mbh = cache_block_mbh(mailbox);

	pthread_mutex_lock(&c->lock);
	for (uint32_t i = c->newest; i != CACHE_BLOCK_NIL;) {
		uint32_t older = c->ents[i].older;

		if (c->ents[i].mbh == mbh) {
			g_array_append_val(ids, c->ents[i].id);
			cache_block_remove(c, i);
		}
		i = older;
	}
	pthread_mutex_unlock(&c->lock);
	/* A hash collision drops another mailbox's blocks too: a miss. */
	cache_block_unlink_ids(c, ids, "dropped");
	g_array_free(ids, TRUE);
}

uint64_t cache_block_bytes(struct cache_block *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->lock);
	n = c->bytes;
	pthread_mutex_unlock(&c->lock);
	return n;
}

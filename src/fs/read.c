/* fs content: a read is rounded to CACHE_BLOCK_SIZE blocks; hits come
 * from cache_block, and each run of consecutive misses is one
 * UID FETCH BODY.PEEK[]<off.len>, so the server sends the blocks asked
 * for and no more (reading the head of a 25 MB message costs a block or
 * two, plus whatever the kernel's readahead asks for).
 *
 * Sizes: st_size starts as RFC822.SIZE, which a server may get wrong.  A
 * block that comes back short ends the message: the size is then exact.
 * A full block beyond the supposed end means the message is larger: the
 * size grows to what has been seen, still not exact. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/cache_block.h"
#include "imapfs/imap_pool.h"
#include "imapfs/log.h"

#include "fs_int.h"

/* A read of a file whose last read failed with EIO less than this long
 * ago fails at once.  The kernel answers a failed read by asking again
 * (the readahead failed, then the page is read alone): without this, one
 * read(2) against a silent server waits out the timeout twice. */
#define FS_READ_RETRY_US G_USEC_PER_SEC

/* What a read needs of its node, copied under the lock. */
struct fs_read_msg {
	uint64_t ino;
	struct fs_mbox *mbox;
	const char *raw; /* the mailbox's, immutable */
	uint32_t uid;
	uint32_t uidvalidity;
	uint64_t size;
	bool size_exact;
};

/* Marks the mailbox's listing for a refresh at its next use. */
static void fs_read_stale(struct fs *fs, struct fs_mbox *m)
{
	pthread_mutex_lock(&fs->lock);
	fs_mbox_mark_old(m);
	pthread_mutex_unlock(&fs->lock);
}

/* With fs->lock: records what a read learned about n's size. */
static void fs_read_apply(struct fs *fs, struct fs_node *n, uint64_t size, bool exact)
{
	if (!n->size_exact && (exact ? n->size != size : size > n->size)) {
		log_debug(LOG_FS, "fs: %s UID %u is %llu bytes%s, not %llu", n->mbox->raw, n->uid,
			  (unsigned long long)size, exact ? "" : " or more",
			  (unsigned long long)n->size);
		if (n->linked) {
			fs->nbytes += size - n->size;
			n->mbox->bytes += size - n->size;
		}
		n->size = size;
	}
	if (exact)
		n->size_exact = true;
}

/* Records what the read learned about the size. */
static void fs_read_learn(struct fs *fs, const struct fs_read_msg *rm, uint64_t size, bool exact)
{
	struct fs_node *n;

	pthread_mutex_lock(&fs->lock);
	n = fs_inode_get(fs, rm->ino);
	if (n != NULL)
		fs_read_apply(fs, n, size, exact);
	pthread_mutex_unlock(&fs->lock);
}

void fs_read_learned(struct fs *fs, struct fs_mbox *m, uint32_t uid, uint32_t uidvalidity,
		     uint64_t size, bool exact)
{
	struct fs_node *n;

	pthread_mutex_lock(&fs->lock);
	n = m->msgs != NULL ? g_hash_table_lookup(m->msgs, GUINT_TO_POINTER(uid)) : NULL;
	if (n != NULL && n->uidvalidity == uidvalidity)
		fs_read_apply(fs, n, size, exact);
	pthread_mutex_unlock(&fs->lock);
}

int fs_read_conn(struct fs *fs, struct fs_mbox *m, uint32_t uid, uint32_t uidvalidity,
		 struct imap_conn **cp)
{
	struct imap_mbox_status st;
	int ret;

	if (*cp != NULL)
		return 0;
	/* m->raw is immutable: no lock needed. */
	ret = imap_pool_get(fs->cfg.pool, m->raw, cp);
	if (ret < 0) {
		log_warnx("reading %s UID %u: cannot connect: %s", m->raw, uid, strerror(-ret));
		return ret;
	}
	ret = imap_conn_examine(*cp, m->raw, false, &st);
	if (ret == 0 && st.uidvalidity != uidvalidity) {
		log_info("UIDVALIDITY of %s changed; refreshing it", m->raw);
		fs_read_stale(fs, m);
		return -ESTALE;
	}
	return ret;
}

/* Fetches blocks [first, first + count) into buf; *got_r is the number of
 * bytes the server had. */
static int fs_read_fetch(struct fs *fs, const struct fs_read_msg *rm, struct imap_conn **cp,
			 uint64_t first, size_t count, char *buf, size_t *got_r)
{
	char what[300];
	int ret;

	for (int attempt = 0;; attempt++) {
		bool retry;

		ret = fs_read_conn(fs, rm->mbox, rm->uid, rm->uidvalidity, cp);
		if (ret == -ESTALE || *cp == NULL)
			return ret;
		if (ret == 0)
			ret = imap_conn_fetch_body(*cp, rm->uid, first * CACHE_BLOCK_SIZE,
						   count * CACHE_BLOCK_SIZE, buf, got_r);
		if (ret == 0)
			return 0;
		if (ret == -ENOENT) {
			log_info("%s UID %u was expunged", rm->raw, rm->uid);
			fs_read_stale(fs, rm->mbox);
			return -ESTALE;
		}
		retry = attempt == 0 && fs_conn_retryable(*cp, ret);
		snprintf(what, sizeof(what), "reading %s UID %u", rm->raw, rm->uid);
		fs_conn_log(*cp, ret, retry, what);
		imap_pool_put(fs->cfg.pool, *cp);
		*cp = NULL;
		if (!retry)
			return ret;
	}
}

/* With fs->lock: whether n's last read failed just now. */
static bool fs_read_failed_recently(const struct fs_node *n)
{
	return n->read_failed_at != 0 &&
	       g_get_monotonic_time() - n->read_failed_at < FS_READ_RETRY_US;
}

/* Remembers that a read of ino failed with EIO. */
static void fs_read_failed(struct fs *fs, uint64_t ino)
{
	struct fs_node *n;

	pthread_mutex_lock(&fs->lock);
	n = fs_inode_get(fs, ino);
	if (n != NULL)
		n->read_failed_at = g_get_monotonic_time();
	pthread_mutex_unlock(&fs->lock);
}

int fs_read(struct fs *fs, uint64_t ino, size_t size, off_t off, char **mem_r, const char **data_r,
	    size_t *len_r)
{
	struct fs_read_msg rm;
	struct fs_node *n;
	struct imap_conn *c = NULL;
	struct cache_key key;
	uint64_t first, last, nblocks, avail, end_seen = 0, skip;
	ssize_t *lens = NULL;
	char *mem = NULL;
	bool ended = false, missed = false, waited = false;
	unsigned long timeouts;
	int ret = 0;

	*mem_r = NULL;
	*len_r = 0;
	if (off < 0)
		return -EINVAL;

	pthread_mutex_lock(&fs->lock);
	n = fs_inode_get(fs, ino);
	if (n != NULL && (n->kind == FS_PART || n->kind == FS_MSG) && fs_read_failed_recently(n)) {
		pthread_mutex_unlock(&fs->lock);
		return -EIO;
	}
	if (n != NULL && n->kind == FS_PART) {
		pthread_mutex_unlock(&fs->lock);
		ret = fs_parts_read(fs, ino, size, off, mem_r, data_r, len_r);
		if (ret == -EIO)
			fs_read_failed(fs, ino);
		return ret;
	}
	if (n == NULL || n->kind != FS_MSG) {
		ret = n == NULL ? -ENOENT : -EISDIR;
		pthread_mutex_unlock(&fs->lock);
		return ret;
	}
	rm.ino = ino;
	rm.mbox = n->mbox;
	rm.raw = n->mbox->raw;
	rm.uid = n->uid;
	rm.uidvalidity = n->uidvalidity;
	rm.size = n->size;
	rm.size_exact = n->size_exact;
	pthread_mutex_unlock(&fs->lock);

	if (size == 0 || (rm.size_exact && (uint64_t)off >= rm.size))
		return 0;
	first = (uint64_t)off / CACHE_BLOCK_SIZE;
	last = ((uint64_t)off + size - 1) / CACHE_BLOCK_SIZE;
	/* Never fetch past the supposed end: a short block tells where the
	 * real end is, and a full last block that the size is too small. */
	if (rm.size > 0 && last > (rm.size - 1) / CACHE_BLOCK_SIZE)
		last = (rm.size - 1) / CACHE_BLOCK_SIZE;
	if (first > last)
		return 0;
	nblocks = last - first + 1;

	mem = malloc(nblocks * CACHE_BLOCK_SIZE);
	lens = malloc(nblocks * sizeof(*lens));
	if (mem == NULL || lens == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	key.mailbox = rm.raw;
	key.uidvalidity = rm.uidvalidity;
	key.uid = rm.uid;
	key.section = "";
	/* A second look when a prefetch was bringing the message. */
	timeouts = imap_pool_timeouts(fs->cfg.pool);
	for (int pass = 0;; pass++) {
		nblocks = last - first + 1;
		ended = false;
		end_seen = 0;
		missed = false;
		for (uint64_t i = 0; i < nblocks; i++) {
			key.block = first + i;
			lens[i] = cache_block_get(fs->cfg.cache, &key, mem + i * CACHE_BLOCK_SIZE);
			missed |= lens[i] < 0;
			if (lens[i] >= 0 && lens[i] < CACHE_BLOCK_SIZE) {
				/* Only an object's last block is short. */
				nblocks = i + 1;
				end_seen = (first + i) * CACHE_BLOCK_SIZE + (uint64_t)lens[i];
				ended = true;
				break;
			}
		}
		if (!missed || pass > 0 || !fs_prefetch_wait(fs, rm.mbox, rm.uid))
			break;
		waited = true;
	}
	/* The batch waited for did not bring it, and a network wait ran out
	 * meanwhile: fetching now could wait as long again. */
	if (missed && waited && imap_pool_timeouts(fs->cfg.pool) != timeouts) {
		ret = -ETIMEDOUT;
		goto out;
	}
	for (uint64_t i = 0; i < nblocks;) {
		uint64_t j = i;
		size_t got = 0;

		if (lens[i] >= 0) {
			i++;
			continue;
		}
		while (j + 1 < nblocks && lens[j + 1] < 0)
			j++;
		ret = fs_read_fetch(fs, &rm, &c, first + i, j - i + 1, mem + i * CACHE_BLOCK_SIZE,
				    &got);
		if (ret < 0)
			goto out;
		for (uint64_t k = i; k <= j; k++) {
			uint64_t at = (k - i) * CACHE_BLOCK_SIZE;
			size_t blen = got > at ? got - at : 0;

			if (blen > CACHE_BLOCK_SIZE)
				blen = CACHE_BLOCK_SIZE;
			lens[k] = (ssize_t)blen;
			if (blen > 0) {
				key.block = first + k;
				cache_block_put(fs->cfg.cache, &key, mem + k * CACHE_BLOCK_SIZE,
						blen);
			}
			if (blen < CACHE_BLOCK_SIZE) {
				nblocks = k + 1;
				end_seen = (first + k) * CACHE_BLOCK_SIZE + blen;
				ended = true;
				break;
			}
		}
		i = j + 1;
	}
	if (!ended)
		end_seen = (first + nblocks) * CACHE_BLOCK_SIZE;
	if (ended || end_seen > rm.size)
		fs_read_learn(fs, &rm, end_seen, ended);
	/* Readers in readdir order start at offset 0 of each message.  Told
	 * only now, with the connection back in the pool: batches queued
	 * before this read's own fetch would take the connection it was
	 * about to use, and at a long round trip the read would wait for a
	 * new one to log in. */
	if (c != NULL) {
		imap_pool_put(fs->cfg.pool, c);
		c = NULL;
	}
	if (off == 0)
		fs_prefetch_note(fs, rm.mbox, rm.uid, missed || waited);

	/* The reply: from off to the end of the blocks we have. */
	avail = (first + nblocks - 1) * CACHE_BLOCK_SIZE + (uint64_t)lens[nblocks - 1];
	skip = (uint64_t)off - first * CACHE_BLOCK_SIZE;
	if ((uint64_t)off < avail) {
		*len_r = avail - (uint64_t)off < size ? avail - (uint64_t)off : size;
		*data_r = mem + skip;
		*mem_r = mem;
		mem = NULL;
	}
out:
	if (c != NULL)
		imap_pool_put(fs->cfg.pool, c);
	free(lens);
	free(mem);
	if (ret < 0) {
		ret = fs_errno_net(ret);
		if (ret == -EIO)
			fs_read_failed(fs, ino);
		return ret;
	}
	return 0;
}

/* cache_block: message content in fixed-size blocks, keyed by (mailbox,
 * UIDVALIDITY, UID, section, block number), stored on disk under
 * DIR/blocks/ so that it survives remounts (SPEC §5), bounded (the bound
 * counts the bytes the entries take on disk), least recently used evicted
 * first.  Every entry is verified when read: anything torn, truncated,
 * flipped or misplaced is a miss (and is deleted), never wrong bytes.  Disk
 * errors make a block "not cached" (one warning), never fail the caller.
 *
 * Thread-safe: one internal mutex protects the in-memory index only; files
 * are read, written and unlinked outside it.  docs/DESIGN.md has the format
 * and the crash argument. */
#ifndef IMAPFS_CACHE_BLOCK_H
#define IMAPFS_CACHE_BLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CACHE_BLOCK_SIZE (64u * 1024u)

struct cache_key {
	const char *mailbox; /* raw name */
	uint32_t uidvalidity;
	uint32_t uid;
	const char *section; /* "" for the whole message */
	uint64_t block;	     /* offset / CACHE_BLOCK_SIZE */
};

struct cache_block;

/* Opens (creating DIR/blocks, 0700, if needed) the store in dir, which must
 * exist.  Starts no thread, so the process may fork afterwards (as
 * fuse_daemonize does).  Returns 0, or -errno with a reason in err. */
int cache_block_open(const char *dir, uint64_t max_bytes, struct cache_block **c_r, char *err,
		     size_t errlen);
/* Starts the thread that indexes the entries already on disk; call it
 * after any fork (the first get, put or sync starts it otherwise).  Nothing
 * waits for a large cache to be scanned: until the scan is done its entries
 * are still hit, and the bound is enforced once it is. */
void cache_block_start(struct cache_block *c);
/* Stops the scan if it still runs, frees the index; the files stay. */
void cache_block_free(struct cache_block **c);

/* Copies the block into buf (CACHE_BLOCK_SIZE bytes available) and returns
 * its length (< CACHE_BLOCK_SIZE only for the last block of an object), or
 * -ENOENT on a miss (including an entry that failed verification). */
ssize_t cache_block_get(struct cache_block *c, const struct cache_key *k, char *buf);
/* Stores len (<= CACHE_BLOCK_SIZE) bytes, evicting as needed.  Best
 * effort: a disk error leaves the block uncached. */
void cache_block_put(struct cache_block *c, const struct cache_key *k, const char *data,
		     size_t len);
/* Drops the blocks of mailbox (UIDVALIDITY changed, mailbox gone) that
 * this process has put or hit.  Blocks of it only found by the start-up
 * scan are not known by mailbox: they can never be hit again (the key holds
 * UIDVALIDITY) and age out as the least recently used. */
void cache_block_drop_mailbox(struct cache_block *c, const char *mailbox);
/* The bytes the indexed entries take on disk (each file rounded up to
 * 4 KiB), never more than the bound once the start-up scan is done. */
uint64_t cache_block_bytes(struct cache_block *c);
/* Waits until the start-up scan is done (tests; a consistent count). */
void cache_block_sync(struct cache_block *c);
/* The path of k's file (tests, debugging), or -ENAMETOOLONG. */
int cache_block_path(struct cache_block *c, const struct cache_key *k, char *buf, size_t len);

#endif

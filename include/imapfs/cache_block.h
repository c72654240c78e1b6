/* cache_block: message content in fixed-size blocks, keyed by (mailbox,
 * UIDVALIDITY, UID, section, block number), appended to pack files under
 * DIR/packs/ so that it survives remounts (SPEC §5), bounded (the bound
 * counts the bytes the pack files and their index files take on disk),
 * least recently used evicted first (approximately: whole packs go, oldest
 * first, and a hit on a block about to go copies it forward).  Every entry
 * is verified when read: anything torn, truncated, flipped or misplaced is
 * a miss (and is forgotten), never wrong bytes.  Disk errors make a block
 * "not cached" (one warning), never fail the caller.  One process uses a
 * cache directory at a time (a lock file); another one runs uncached.
 *
 * Thread-safe: one internal mutex protects the in-memory index and the
 * pack list; pack files are read and written outside it.  docs/DESIGN.md
 * has the format and the crash argument. */
#ifndef IMAPFS_CACHE_BLOCK_H
#define IMAPFS_CACHE_BLOCK_H

#include <stdbool.h>
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

/* Opens (creating DIR/packs, 0700, if needed) the store in dir, which must
 * exist, and takes its lock (if another process holds it, the store runs
 * uncached, with a warning).  Starts no thread, so the process may fork
 * afterwards (as fuse_daemonize does; the lock is inherited).  Returns 0,
 * or -errno with a reason in err. */
int cache_block_open(const char *dir, uint64_t max_bytes, struct cache_block **c_r, char *err,
		     size_t errlen);
/* Starts the thread that loads the index of the packs already on disk;
 * call it after any fork (the first get, has, put or sync starts it
 * otherwise).  Gets wait for the index files to be loaded (under 0.1 s
 * for 200,000 entries in the page cache); packs left without one by a
 * crash are read after that (their entries miss until then), and the bound
 * is enforced once all is loaded. */
void cache_block_start(struct cache_block *c);
/* Stops the loading if it still runs, writes the index file of the pack
 * this process was appending to, frees everything; the files stay.  No
 * other call may run concurrently. */
void cache_block_free(struct cache_block **c);

/* Copies the block into buf (CACHE_BLOCK_SIZE bytes available) and returns
 * its length (< CACHE_BLOCK_SIZE only for the last block of an object), or
 * -ENOENT on a miss (including an entry that failed verification). */
ssize_t cache_block_get(struct cache_block *c, const struct cache_key *k, char *buf);
/* Whether k is in the index: no disk I/O, no verification; true means a
 * get will most probably hit. */
bool cache_block_has(struct cache_block *c, const struct cache_key *k);
/* Stores len (<= CACHE_BLOCK_SIZE) bytes, evicting as needed.  Best
 * effort: a disk error leaves the block uncached. */
void cache_block_put(struct cache_block *c, const struct cache_key *k, const char *data,
		     size_t len);
/* Stores len bytes as the blocks k->block, k->block + 1, ... (each full
 * but the last): an object from its start, or a run of its blocks.  Best
 * effort, as cache_block_put. */
void cache_block_put_run(struct cache_block *c, const struct cache_key *k, const char *data,
			 size_t len);
/* Forgets the blocks of mailbox (UIDVALIDITY changed, mailbox gone); their
 * bytes stay on disk until their pack is evicted.  Entries loaded from disk
 * are matched too (the index keeps a hash of the mailbox name). */
void cache_block_drop_mailbox(struct cache_block *c, const char *mailbox);
/* The bytes the packs take on disk (each pack and its index file rounded
 * up to 4 KiB), never more than the bound once the loading is done. */
uint64_t cache_block_bytes(struct cache_block *c);
/* Waits until the start-up thread is done (tests; a consistent count). */
void cache_block_sync(struct cache_block *c);
/* Where k's record is (tests, debugging): the pack file's path in
 * path_r, the record's offset and length; -ENOENT when k is not indexed,
 * -ENAMETOOLONG. */
int cache_block_locate(struct cache_block *c, const struct cache_key *k, char *path_r,
		       size_t pathlen, uint64_t *off_r, uint32_t *len_r);

#endif

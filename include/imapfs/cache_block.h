/* cache_block: message content in fixed-size blocks, keyed by (mailbox,
 * UIDVALIDITY, UID, section, block number), bounded (the bound counts
 * content bytes), least recently used evicted first.  This first version
 * lives in memory; the on-disk, verified store of SPEC §5 replaces it
 * behind the same interface.  Thread-safe: one internal mutex; blocks are
 * copied in and out under it (a 64 KiB memcpy), never any I/O. */
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
	uint64_t block;      /* offset / CACHE_BLOCK_SIZE */
};

struct cache_block;

struct cache_block *cache_block_new(size_t max_bytes);
void cache_block_free(struct cache_block **c);

/* Copies the block into buf (CACHE_BLOCK_SIZE bytes available) and returns
 * its length (< CACHE_BLOCK_SIZE only for the last block of an object), or
 * -ENOENT on a miss. */
ssize_t cache_block_get(struct cache_block *c, const struct cache_key *k, char *buf);
/* Stores len (<= CACHE_BLOCK_SIZE) bytes, evicting as needed. */
void cache_block_put(struct cache_block *c, const struct cache_key *k, const char *data,
		     size_t len);
/* Drops every block of mailbox (UIDVALIDITY changed, mailbox gone). */
void cache_block_drop_mailbox(struct cache_block *c, const char *mailbox);
size_t cache_block_bytes(struct cache_block *c);

#endif

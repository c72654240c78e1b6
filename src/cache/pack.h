/* cache_pack: one pack file of the block cache (docs/DESIGN.md "Block
 * cache"): the record format, the index file format, reading back a pack
 * without index file, and the reference-counted handle cache_block keeps
 * per pack.  Private to src/cache/.  No state and no locks of its own: the
 * handle's fields marked so are protected by the owning cache_block's
 * mutex. */
#ifndef IMAPFS_CACHE_PACK_H
#define IMAPFS_CACHE_PACK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "imapfs/cache_block.h"

#define CACHE_PACK_MAGIC "IMAPFSP\n"
#define CACHE_PACK_IDX_MAGIC "IMAPFSI\n"
#define CACHE_PACK_VERSION 1u
/* Mailbox and section names beyond this are not cached (no real name is
 * near it); it bounds the header a get reads. */
#define CACHE_PACK_MAX_NAMES 4000u
#define CACHE_PACK_HDR_MAX (sizeof(struct cache_rec_hdr) + CACHE_PACK_MAX_NAMES)
#define CACHE_PACK_REC_MAX (CACHE_PACK_HDR_MAX + CACHE_BLOCK_SIZE)
/* Accounting unit: what a file's tail takes on a typical file system. */
#define CACHE_PACK_UNIT 4096u
/* A pack is never read past this: offsets are 32-bit. */
#define CACHE_PACK_LIMIT ((uint64_t)UINT32_MAX)

/* A record, on disk, host byte order (a foreign-endian pack fails the
 * version check). */
struct cache_rec_hdr {
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
_Static_assert(sizeof(struct cache_rec_hdr) == 48, "packed header");
#define CACHE_PACK_KEY_OFF offsetof(struct cache_rec_hdr, uidvalidity)

/* SEQ.idx: this header, then count entries; sum (XXH3-64) covers the
 * header (sum = 0) and the entries. */
struct cache_idx_hdr {
	char magic[8];
	uint32_t version;
	uint32_t count;
	uint64_t seq;	   /* the pack's */
	uint64_t pack_len; /* the end of its last record */
	uint64_t sum;
};
_Static_assert(sizeof(struct cache_idx_hdr) == 40, "packed index header");

struct cache_idx_ent {
	uint64_t id;
	uint32_t off;
	uint32_t len; /* the whole record */
	uint32_t mbh;
	uint32_t zero;
};
_Static_assert(sizeof(struct cache_idx_ent) == 24, "packed index entry");

/* A pack file, open. */
struct cache_pack {
	uint64_t seq;	  /* immutable */
	int fd;		  /* immutable; closed when refs drops to 0 */
	atomic_uint refs; /* the pack list's, plus one per read or write in flight */
	/* The rest is protected by the cache_block's lock. */
	uint64_t end;	  /* bytes reserved (the file's length once written) */
	uint32_t nrec;	  /* records reserved or loaded: sizes the index file */
	uint32_t writers; /* pwrites in flight */
	bool sealed;	  /* takes no more records */
	bool idx_due;	  /* sealed with writers in flight: the last one writes SEQ.idx */
	bool dead;	  /* evicted: out of the list, its entries dropped */
};

/* Takes over fd; one reference. */
struct cache_pack *cache_pack_new(uint64_t seq, int fd, uint64_t end);
void cache_pack_ref(struct cache_pack *p);
/* The last reference closes the fd: a reader never sees it reused. */
void cache_pack_unref(struct cache_pack *p);
/* What the pack and its index file take on disk, each rounded up to
 * CACHE_PACK_UNIT (the index counted before it is written); under the
 * owner's lock. */
uint64_t cache_pack_cost(const struct cache_pack *p);
uint64_t cache_pack_round(uint64_t n);

/* Fills hbuf (CACHE_PACK_HDR_MAX bytes) with the header and names of k for
 * len data bytes, sum still 0; returns their length, or 0 when the names
 * are too long to cache. */
size_t cache_pack_encode(const struct cache_key *k, uint32_t len, char *hbuf);
/* The key's ID: XXH3-64 of the key fields and names of an encoded header. */
uint64_t cache_pack_id(const char *hbuf, size_t hlen);
/* The checksum of a header (whose sum field is ignored), names and data. */
uint64_t cache_pack_sum(const char *hbuf, size_t hlen, const char *data, size_t len);
/* The hash of a mailbox name kept per entry (never 0). */
uint32_t cache_pack_mbh(const char *mailbox, size_t len);
/* Checks a record read back (got: hlen bytes of header and names, then
 * dlen bytes of data) against the header encoded for the key wanted;
 * NULL if it is that key's whole record, else what is wrong. */
const char *cache_pack_check(const char *want, const char *got, size_t hlen, const char *data,
			     size_t dlen);

/* Writes the index of pack seq (n entries) to tmp (created 0600), then
 * renames it to path.  0, or -errno with the failing step in *what_r. */
int cache_pack_write_index(const char *path, const char *tmp, uint64_t seq,
			   const struct cache_idx_ent *ents, uint32_t n, const char **what_r);
/* Reads the index file open on fd; NULL unless it is a whole, valid index
 * of pack seq whose records lie within its pack_len bytes. */
GArray *cache_pack_read_index(int fd, uint64_t seq, uint64_t pack_len);
/* Reads the size bytes of the pack open on fd record by record, as a pack
 * without index file: the entries (struct cache_idx_ent) of the records
 * whose checksum holds.  A record with a plausible header but a wrong
 * checksum is skipped by its length (counted in *skipped_r); the walk
 * stops at the first header that is not plausible (offset in *end_r), or
 * when *stop is set. */
GArray *cache_pack_walk(int fd, uint64_t size, const atomic_bool *stop, unsigned *skipped_r,
			uint64_t *end_r);

#endif

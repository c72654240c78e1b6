/* cache_index: the persistent metadata index of one mailbox (issue 3
 * point 3), so that a remount lists a large folder from disk plus a cheap
 * check with the server instead of fetching every message's metadata.
 *
 * One file per mailbox, <dir>/index/<SHA-256 of the raw name in hex>,
 * mode 0600, holding the mailbox's UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ
 * and EXISTS and, per message, what a listing shows.  Files are written
 * whole to a temporary name, synced and renamed over the old one, so a
 * crash leaves the old or the new file, never a mix.  Every load checks
 * the magic, the version, the byte order, the mailbox name, a SHA-256 of
 * the whole content and the bounds of every record: anything else is
 * -EBADMSG, and the caller rebuilds from the server.
 *
 * No state, no threads: every function works on its arguments only and
 * is safe to call from any thread (two writers of one mailbox race only
 * on which complete file wins the rename). */
#ifndef IMAPFS_CACHE_INDEX_H
#define IMAPFS_CACHE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Bumped whenever the layout changes; older files are -EBADMSG. */
#define CACHE_INDEX_VERSION 1u

/* The mailbox as the server last described it. */
struct cache_index_head {
	uint32_t uidvalidity;	/* never 0 in a saved index */
	uint32_t uidnext;	/* every listed UID is below it */
	uint32_t exists;	/* messages the listing accounts for */
	uint64_t highestmodseq; /* 0 without CONDSTORE */
};

/* One message.  Strings hold no NUL; name is a file name (no '/'), flags
 * are space-separated ("" for none), message_id is NULL when absent. */
struct cache_index_msg {
	uint32_t uid;
	bool size_exact;
	time_t internaldate;
	uint64_t size;
	const char *flags;
	const char *name;
	const char *message_id;
};

/* ---- writing ---- */

struct cache_index_writer;

/* An in-memory image of a mailbox's index; messages are added in any
 * order.  Building it does no I/O, so a caller may do it under its lock
 * and write it after dropping the lock. */
struct cache_index_writer *cache_index_writer_new(const char *mailbox,
						  const struct cache_index_head *h);
/* Sizes the image ahead for nmsgs messages whose strings (flags, name,
 * message-id) total strbytes, so that it is allocated once and not grown
 * by doubling (which would briefly hold two copies of a large image). */
void cache_index_writer_reserve(struct cache_index_writer *w, size_t nmsgs, size_t strbytes);
/* -EINVAL (and the message is left out) when a string is too long (64 KiB)
 * or holds what a valid index cannot (a '/' or an empty name, UID 0). */
int cache_index_writer_add(struct cache_index_writer *w, const struct cache_index_msg *m);
/* Writes the image as the index of its mailbox under dir (creating
 * dir/index 0700 when missing): temporary file 0600, fdatasync, rename.
 * 0 or -errno; a failure leaves the previous index in place. */
int cache_index_writer_save(struct cache_index_writer *w, const char *dir);
void cache_index_writer_free(struct cache_index_writer **w);

/* ---- reading ---- */

struct cache_index;

/* Loads mailbox's index from dir.  -ENOENT when there is none; -EBADMSG
 * when the file is not a complete, intact index of this version for this
 * mailbox (the caller should remove it); other -errno from the system. */
int cache_index_load(const char *dir, const char *mailbox, struct cache_index **idx_r);
const struct cache_index_head *cache_index_head(const struct cache_index *idx);
size_t cache_index_count(const struct cache_index *idx);
/* The i-th message (i < count); its strings live as long as idx. */
void cache_index_get(const struct cache_index *idx, size_t i, struct cache_index_msg *m_r);
void cache_index_free(struct cache_index **idx);

/* Removes mailbox's index (UIDVALIDITY changed, mailbox gone, file
 * corrupt).  0 when it is gone, including when there was none. */
int cache_index_remove(const char *dir, const char *mailbox);

/* The file that holds mailbox's index (malloc'd), for tests and logs. */
char *cache_index_path(const char *dir, const char *mailbox);

#endif

/* fs: the filesystem of SPEC §2 and §3 as libfuse low-level operations.  It owns
 * the inode table and the in-memory view of mailboxes and messages, asks
 * cache_block for content and the imap_pool for everything else.
 * Locking: one mutex per struct fs protects the inode table and every
 * mailbox listing; it is never held across network I/O or a fuse_reply_*.
 * Errors are -errno inside and become fuse_reply_err only at the op entry
 * points.  Changes (SPEC §4) go to the server as UID-addressed commands;
 * new messages are staged under <cache_dir>/staging until appended. */
#ifndef IMAPFS_FS_H
#define IMAPFS_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct fuse_lowlevel_ops;
struct imap_pool;
struct cache_block;

struct fs_config {
	struct imap_pool *pool;    /* borrowed */
	struct cache_block *cache; /* borrowed */
	uid_t uid;                 /* owner shown for every file */
	gid_t gid;
	unsigned list_ttl_s; /* a listing older than this is refreshed (10) */
	double attr_timeout_s; /* kernel entry/attr cache for messages */
	/* Borrowed; where the metadata index lives (<cache_dir>/index/,
	 * cache_index.h).  NULL: listings are not persisted. */
	const char *cache_dir;
	/* -o parts=visible: STEM.parts directories are listed beside their
	 * messages; otherwise only reachable by name. */
	bool parts_visible;
	/* Mailboxes watched with IDLE at once, each over a connection of its
	 * own beside the pool's (0: none; listings then follow the server
	 * only through list_ttl_s). */
	unsigned watch;
	/* -o timeout: no request waits on the network longer than this in
	 * all (SPEC §5); 0: no bound beyond each single wait's. */
	int timeout_ms;
};

struct fs;

struct fs *fs_new(const struct fs_config *cfg);
void fs_free(struct fs **fs);
/* After the loop: stops the background threads (watchers, prefetch
 * workers, the kernel notifier, the append thread).  What is staged is
 * appended later, in the FUSE destroy.  fs_free does it too. */
void fs_stop_workers(struct fs *fs);

/* Loads the mailbox tree (LIST) so the mount answers at once and failures
 * reach the shell before mounting, and the quota df shows (GETQUOTAROOT,
 * where the server has QUOTA; its failure is not one).  0 or -errno with
 * a reason in err. */
int fs_load(struct fs *fs, char *err, size_t errlen);

/* The session the kernel notifications go to (renamed and appended
 * files); call before the loop runs. */
struct fuse_session;
void fs_set_session(struct fs *fs, struct fuse_session *se);

/* The operations; fuse_session_new's userdata must be the struct fs. */
const struct fuse_lowlevel_ops *fs_ops(void);

/* True for names desktops and shells probe for (SPEC §2): answered with
 * ENOENT locally, never created as mailboxes. */
bool fs_is_probe_name(const char *name);

#endif

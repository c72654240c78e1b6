/* fs internals shared by the files of src/fs/: the inode table (inode.c),
 * mailbox tree and listings (mbox.c), directory snapshots (dir.c), content
 * (read.c), extended attributes (xattr.c) and the operations (fs.c).
 *
 * Lifetimes.  Directory nodes (root and mailboxes) live as long as the
 * struct fs: the few hundred a tree has are cheap, and a pointer to one
 * stays valid across an unlock.  A message node lives while it is in its
 * mailbox's listing, or the kernel still holds a lookup reference to it,
 * or an open directory snapshot pins it; the last of these to go frees
 * it (fs_inode_maybe_free).  Pointers to message nodes are therefore only
 * used under fs->lock, unless pinned. */
#ifndef IMAPFS_FS_INT_H
#define IMAPFS_FS_INT_H

/* FUSE_USE_VERSION comes with fuse_dep (meson.build). */
#include <fuse_lowlevel.h>
#include <glib.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "imapfs/fs.h"
#include "imapfs/imap_conn.h"

#include "fs_names.h"

/* Directories change behind our back; one second is what sshfs and
 * friends use so that `ls` after a change elsewhere is not fooled long. */
#define FS_DIR_TIMEOUT_S 1.0

enum fs_kind {
	FS_ROOT,
	FS_MBOX, /* a mailbox directory, selectable or not */
	FS_MSG,
	FS_PARTS, /* STEM.parts/ of a message (parts.c) */
	FS_PART,  /* a file in it */
	FS_STAGED, /* a new message being written (stage.c) */
};

struct fs_mbox;
struct fs_parts_data;
struct fs_staged;

struct fs_node {
	uint64_t ino; /* key in fs->inodes; first so &node->ino is stable */
	enum fs_kind kind;
	char *name;		/* shown name; "" for the root */
	struct fs_node *parent; /* the directory it is listed in; root: NULL */
	uint64_t nlookup;	/* lookup references the kernel holds */
	unsigned pins;		/* open directory snapshots holding it */
	bool linked;		/* listed in its parent (dirs: in the tree) */
	struct fs_mbox *mbox;	/* FS_MBOX: its mailbox; FS_MSG: the one it is in */

	/* FS_ROOT, FS_MBOX: sub-mailbox name -> struct fs_node; FS_PARTS:
	 * file name -> FS_PART node, once its parts are loaded. */
	GHashTable *children;

	/* FS_MSG; FS_PARTS and FS_PART: the message's (uid, uidvalidity,
	 * internaldate), and size for FS_PART (always exact). */
	uint32_t uid;
	uint32_t uidvalidity;
	uint64_t size;	 /* RFC822.SIZE until the real size is learned */
	bool size_exact; /* size is the real one: a read met the end */
	time_t internaldate;
	char *flags;	  /* space-separated, never NULL */
	unsigned flags_seq; /* FS_MSG: its mailbox's old_seq when flags were
			     * set here (a refresh begun before keeps them) */
	char *message_id; /* NULL when the message has none */
	unsigned seen;	  /* refresh generation that last saw it */
	/* FS_MSG, FS_PART: monotonic us of the last read that failed with
	 * EIO, 0 if none (read.c). */
	gint64 read_failed_at;

	/* FS_PARTS: what its files are, NULL until loaded (parts.c). */
	struct fs_parts_data *pd;
	/* FS_PART: its index in the parent's pd. */
	size_t part;
	/* FS_STAGED: where its bytes are and how far it got (stage.c); its
	 * name is the one given, size and internaldate (the mtime) are the
	 * file's, flags those it will be appended with. */
	struct fs_staged *staged;
};

/* One mailbox of the tree: the raw name is the identity.  Never freed
 * before the fs; a mailbox that disappears from LIST is only unlinked. */
struct fs_mbox {
	char *raw;
	struct fs_node *dir;
	char delim;    /* its hierarchy delimiter; 0: flat */
	bool noselect; /* \Noselect, \NonExistent or an implied level */
	bool present;  /* in the last LIST */
	unsigned tree_seen;

	/* The message listing (selectable mailboxes only). */
	GHashTable *msgs;     /* uid -> struct fs_node (FS_MSG) */
	bool listed;	      /* msgs reflects a completed fetch */
	bool stale;	      /* a read saw UIDVALIDITY change or an expunge */
	bool refreshing;      /* a thread is talking to the server for it */
	unsigned refresh_seq; /* bumped when a refresh ends */
	int refresh_err;      /* that refresh's result */
	gint64 checked_at;    /* monotonic us of the last attempt */
	unsigned old_seq;     /* bumped by fs_mbox_mark_old */
	time_t listed_wall;   /* wall clock of the last successful one */
	uint32_t uidvalidity;
	uint32_t uidnext;      /* the server's, or highest UID seen + 1 */
	uint32_t server_count; /* messages the server returned (EXISTS) */
	uint64_t modseq;
	uint64_t bytes; /* sum of the listed messages' sizes */
	bool index_tried; /* the saved index was looked for (mbox.c) */
	/* uid -> FS_PARTS node, for the messages whose STEM.parts exists as
	 * a node (parts.c); NULL until the first. */
	GHashTable *parts_dirs;
	/* uid -> struct fs_parts_tree: structures fetched with another
	 * message's, waiting for their own .parts listing (parts.c); NULL
	 * until the first. */
	GHashTable *trees;
	/* name -> FS_STAGED node: new messages not yet appended (stage.c);
	 * NULL until the first. */
	GHashTable *staged;
	/* UIDs this mount expunged or moved away (UIDs are never given out
	 * again under one UIDVALIDITY): a refresh that asked the server
	 * before the change must not bring them back.  NULL until the first;
	 * emptied with the listing. */
	GHashTable *gone;
	/* The mailbox this one was renamed to by this mount (change.c): the
	 * kernel moves its entry to the old directory, which then stands for
	 * the new one (fs_dir_get) until the notifier's invalidation
	 * lands.  NULL otherwise. */
	struct fs_mbox *moved_to;
};

/* What statfs reports beyond the listings (quota.c); in struct fs,
 * protected by fs->lock. */
struct fs_quota {
	struct imap_quota q; /* the last GETQUOTAROOT INBOX answer */
	bool unsupported;    /* the server has no QUOTA: never asked again */
	bool refreshing;     /* a thread is asking */
	gint64 next_at;	     /* monotonic us from which a refresh is due */
};

struct fs {
	struct fs_config cfg;
	time_t started;
	/* Set once by init, before any request: the kernel takes ENOSYS
	 * from open as "opened, keep the page cache" and sends no more
	 * opens or releases of files. */
	bool no_open;

	pthread_mutex_t lock;
	pthread_cond_t cond; /* a tree or listing refresh, or an append of a staged file, ended */

	/* Everything below is protected by lock. */
	GHashTable *inodes; /* &node->ino -> struct fs_node */
	GHashTable *mboxes; /* raw name -> struct fs_mbox */
	struct fs_node *root;
	uint64_t next_ino;
	uint64_t nmsgs; /* messages in all listings, for statfs */
	uint64_t nbytes;
	struct fs_quota quota;
	unsigned gen; /* generation counter for mark-and-sweep merges */
	unsigned parts_trees; /* entries in all mailboxes' trees tables */

	char delim; /* of the first mailbox LIST showed: for new top levels */
	bool tree_refreshing;
	unsigned tree_seq;
	int tree_err;
	gint64 tree_checked_at;

	/* prefetch.c: bulk reads ahead of a sequential reader (its own
	 * lock); NULL until fs_prefetch_start. */
	struct fs_prefetch *prefetch;
	/* notify.c: kernel cache invalidations, sent by a thread of their
	 * own; NULL until fs_notify_start.  session is set by fs_set_session
	 * before the loop runs. */
	struct fuse_session *session;
	struct fs_notify *notify;
	/* watch.c: the IDLE watchers; NULL until fs_watch_start. */
	struct fs_watch *watch;
	/* stage.c: new messages being written (its own lock). */
	struct fs_stage *stage;
};

/* inode.c -- all with fs->lock held. */
struct fs_node *fs_inode_new(struct fs *fs, enum fs_kind kind, const char *name,
			     struct fs_node *parent);
struct fs_node *fs_inode_get(struct fs *fs, uint64_t ino);
/* The same for a directory the kernel names as a parent or lists: the
 * unlinked directory of a mailbox this mount renamed stands for the
 * renamed one's (moved_to, followed). */
struct fs_node *fs_dir_get(struct fs *fs, uint64_t ino);
/* Frees a message node nobody needs any more (see the lifetimes above). */
void fs_inode_maybe_free(struct fs *fs, struct fs_node *n);
/* Frees n and what it owns; it must be out of every table already. */
void fs_inode_destroy(struct fs_node *n);
void fs_inode_forget(struct fs *fs, uint64_t ino, uint64_t nlookup);
void fs_inode_stat(const struct fs *fs, const struct fs_node *n, struct stat *st);
/* Fills e for a reply to lookup and takes one lookup reference. */
void fs_inode_entry(struct fs *fs, struct fs_node *n, struct fuse_entry_param *e);
/* How long the kernel may keep the attributes, and the name. */
double fs_inode_timeout(const struct fs *fs, const struct fs_node *n);
double fs_inode_entry_timeout(const struct fs *fs, const struct fs_node *n);
void fs_inode_free_all(struct fs *fs);

/* mbox.c */
/* LIST and merge the tree.  force: even when the tree is younger than
 * list_ttl_s.  Takes and releases fs->lock itself; call without it. */
int fs_mbox_tree_refresh(struct fs *fs, bool force, char *err, size_t errlen);
/* The same, forced, on c: after CREATE, DELETE or RENAME on c, which is
 * sure to see its own change (a LIST on another Dovecot session may not
 * yet: its list index looks at directory times of one-second grain). */
int fs_mbox_tree_refresh_conn(struct fs *fs, struct imap_conn *c, char *err, size_t errlen);
/* Makes sure m's listing exists and, when fresh is true, is not older
 * than list_ttl_s.  An old listing is kept (and 0 returned) if a refresh
 * fails; -errno only when there is no listing at all.  Call without
 * fs->lock. */
int fs_mbox_listing(struct fs *fs, struct fs_mbox *m, bool fresh);
/* With fs->lock: m's listing is to be refreshed at its next use, also
 * when a refresh under way asked the server before what made it old. */
void fs_mbox_mark_old(struct fs_mbox *m);
/* Refreshes m's listing now, whatever its age (a watcher heard of a
 * change); as fs_mbox_listing otherwise. */
int fs_mbox_refresh(struct fs *fs, struct fs_mbox *m);
/* With fs->lock held: true when m's listing needs a refresh. */
bool fs_mbox_listing_old(const struct fs *fs, const struct fs_mbox *m);
bool fs_mbox_tree_old(const struct fs *fs);
void fs_mbox_free_all(struct fs *fs);
/* With fs->lock held: takes message n out of m's listing after the
 * server removed it (rm, mv), counting it out of EXISTS as the server
 * did; n lives on while the kernel holds it. */
void fs_mbox_remove_msg(struct fs *fs, struct fs_mbox *m, struct fs_node *n);
/* With fs->lock held: shows a message just appended (APPENDUID) under
 * its canonical name, if m is listed under uidvalidity and does not have
 * it yet.  flags and message_id are copied (message_id may be NULL). */
void fs_mbox_add_new(struct fs *fs, struct fs_mbox *m, const char *name, uint32_t uid,
		     uint32_t uidvalidity, uint64_t size, time_t date, const char *flags,
		     const char *message_id);
/* fs.c: gives this thread one -o timeout from now for what it does next
 * (net_set_thread_deadline), as every request gets at its start. */
void fs_deadline_start(struct fs *fs);
/* fs.c: waits on fs->cond, fs->lock held, until the thread's deadline (a
 * request's, net_set_thread_deadline; none on threads of our own).  0
 * when woken, -ETIMEDOUT once the deadline passed. */
int fs_wait(struct fs *fs);

/* A connection failure that a second attempt on a fresh connection can
 * cure: the server dropped an idle connection. */
bool fs_conn_retryable(struct imap_conn *c, int err);
/* Logs a failed command on c about what: a warning, or a note when it is
 * about to be retried. */
void fs_conn_log(struct imap_conn *c, int err, bool retry, const char *what);
/* Maps what a server or connection said to what a system call returns. */
int fs_errno_net(int err);

/* dir.c */
struct fs_dir;
int fs_dir_open(struct fs *fs, uint64_t ino, struct fs_dir **d_r);
/* Fills buf (size bytes) with entries from off on; *len_r is the used
 * length.  plus: readdirplus (takes lookup references for what it adds). */
int fs_dir_read(struct fs *fs, struct fs_dir *d, fuse_req_t req, bool plus, off_t off, char *buf,
		size_t size, size_t *len_r);
void fs_dir_close(struct fs *fs, struct fs_dir **d);

/* read.c: *mem_r is to be freed; the reply is *len_r bytes at *data_r. */
int fs_read(struct fs *fs, uint64_t ino, size_t size, off_t off, char **mem_r, const char **data_r,
	    size_t *len_r);

/* read.c: a connection with m selected, into *cp (kept if already
 * there; NULL after a failure to connect).  -ESTALE, with m's listing
 * marked for a refresh, when m's UIDVALIDITY is no longer uidvalidity.
 * uid is for the log.  Call without fs->lock. */
int fs_read_conn(struct fs *fs, struct fs_mbox *m, uint32_t uid, uint32_t uidvalidity,
		 struct imap_conn **cp);

/* read.c: records a message's size learned by a read or a prefetch
 * (exact: the end was seen; else the size is at least size).  Takes
 * fs->lock; a node gone or of another UIDVALIDITY is left alone. */
void fs_read_learned(struct fs *fs, struct fs_mbox *m, uint32_t uid, uint32_t uidvalidity,
		     uint64_t size, bool exact);

/* prefetch.c (see there).  Start in the FUSE init (after any fork: it
 * starts threads); stop before the pool and the cache go. */
struct fs_prefetch;
void fs_prefetch_start(struct fs *fs);
void fs_prefetch_stop(struct fs *fs);
/* A read at offset 0 of uid in m; missed: it was not all in the cache.
 * May queue bulk fetches ahead.  Call without fs->lock. */
void fs_prefetch_note(struct fs *fs, struct fs_mbox *m, uint32_t uid, bool missed);
/* Waits (bounded) while a prefetch of uid is queued or running; true if
 * it waited, so the cache is worth looking at again. */
bool fs_prefetch_wait(struct fs *fs, struct fs_mbox *m, uint32_t uid);
/* The qsort/bsearch order of uint32_t UIDs (also parts.c's). */
int fs_cmp_u32(const void *a, const void *b);

/* parts.c: the STEM.parts directories and their files (SPEC §3).  All
 * take and release fs->lock themselves unless said otherwise. */
/* True when name ends in ".parts". */
bool fs_parts_name(const char *name);
/* With fs->lock: the FS_PARTS node of message n (created if needed). */
struct fs_node *fs_parts_dir(struct fs *fs, struct fs_node *msg);
/* Makes sure d's files are known (the first time: a few round trips);
 * d is an FS_PARTS node the caller holds a reference to. */
int fs_parts_load(struct fs *fs, struct fs_node *d);
/* read of an FS_PART node, as fs_read. */
int fs_parts_read(struct fs *fs, uint64_t ino, size_t size, off_t off, char **mem_r,
		  const char **data_r, size_t *len_r);
/* With fs->lock: frees an FS_PARTS or FS_PART node nobody needs (the
 * node kinds' half of fs_inode_maybe_free). */
void fs_parts_maybe_free(struct fs *fs, struct fs_node *n);
/* Frees a node's parts data (fs_inode_destroy). */
void fs_parts_data_free(struct fs_parts_data *pd);
/* Frees a struct fs_parts_tree (the value destructor of fs_mbox.trees). */
void fs_parts_tree_free(void *t);

/* xattr.c: the value of name (malloc'd, *len_r bytes), or the list of
 * names when name is NULL. */
int fs_xattr_get(struct fs *fs, uint64_t ino, const char *name, char **val_r, size_t *len_r);

/* notify.c: tells the kernel that name in directory parent may no longer
 * be what it cached; sent from a thread of its own (start it in the FUSE
 * init, stop it in destroy). */
struct fs_notify;
void fs_notify_start(struct fs *fs);
void fs_notify_entry(struct fs *fs, uint64_t parent, const char *name);
void fs_notify_stop(struct fs *fs);

/* quota.c: the numbers of statfs (see there).  fs_quota_statfs, with
 * fs->lock held, fills sv from what is known and returns true when a
 * refresh is due: the caller then calls fs_quota_refresh (without the
 * lock, after replying), which asks the server.  fs_quota_load asks at
 * mount. */
struct statvfs;
bool fs_quota_statfs(struct fs *fs, struct statvfs *sv);
void fs_quota_refresh(struct fs *fs);
void fs_quota_load(struct fs *fs);

/* watch.c: IDLE on the mailboxes in use (see there).  Start in the FUSE
 * init, stop in destroy; fs_watch_use (any thread, without fs->lock)
 * says that m was listed; fs_watch_forget (the same) that the mailbox
 * name, and those under it (delim), are gone from the server. */
struct fs_watch;
void fs_watch_start(struct fs *fs);
void fs_watch_use(struct fs *fs, struct fs_mbox *m);
void fs_watch_forget(struct fs *fs, const char *name, char delim);
void fs_watch_stop(struct fs *fs);

/* change.c: SPEC §4 for mailboxes and existing messages.  Each returns
 * 0 or -errno; call without fs->lock. */
int fs_change_mkdir(struct fs *fs, uint64_t parent, const char *name, struct fuse_entry_param *e);
int fs_change_rmdir(struct fs *fs, uint64_t parent, const char *name);
int fs_change_unlink(struct fs *fs, uint64_t parent, const char *name);
int fs_change_rename(struct fs *fs, uint64_t parent, const char *name, uint64_t newparent,
		     const char *newname, unsigned flags);
int fs_change_setxattr(struct fs *fs, uint64_t ino, const char *name, const char *value,
		       size_t size, int flags);

/* find.c: in c's selected mailbox, the UID (from `from` on) of the
 * message with these bytes, INTERNALDATE date and Message-ID msgid (may
 * be NULL): > 0, 0 when there is none, -errno when it cannot be known. */
int fs_find_message(struct imap_conn *c, uint32_t from, const char *data, size_t len, time_t date,
		    const char *msgid);
/* The whole of uid in c's selected mailbox (malloc'd). */
int fs_fetch_message(struct imap_conn *c, uint32_t uid, char **data_r, size_t *len_r);

/* stage.c: new messages (see there).  The fs_stage_* operations return
 * -ENOENT when what they are given is not a staged file, so that the
 * caller goes on with the other kinds; call them without fs->lock. */
struct fs_stage;
/* In the FUSE init: finds what an earlier run left staged, starts the
 * append thread.  Does nothing without a cache directory (creating a
 * file then gives EROFS). */
void fs_stage_start(struct fs *fs);
/* Stops the append thread (idempotent). */
void fs_stage_stop_thread(struct fs *fs);
/* In the FUSE destroy: stops the thread, appends what is staged (what
 * fails stays on disk for the next mount). */
void fs_stage_stop(struct fs *fs);
void fs_stage_free(struct fs *fs);
int fs_stage_create(struct fs *fs, uint64_t parent, const char *name, struct fuse_entry_param *e);
/* Bytes written (>= 0) or -errno. */
int fs_stage_write(struct fs *fs, uint64_t ino, const char *buf, size_t size, off_t off);
int fs_stage_read(struct fs *fs, uint64_t ino, size_t size, off_t off, char **mem_r,
		  size_t *len_r);
int fs_stage_setattr(struct fs *fs, uint64_t ino, const struct stat *attr, int to_set,
		     struct stat *st_r);
int fs_stage_setxattr(struct fs *fs, uint64_t ino, const char *name, const char *value,
		      size_t size, int flags);
/* close: -EINVAL (and the file is thrown away) when it is not a message. */
int fs_stage_flush(struct fs *fs, uint64_t ino);
/* Appends it now; its outcome. */
int fs_stage_fsync(struct fs *fs, uint64_t ino);
int fs_stage_unlink(struct fs *fs, uint64_t parent, const char *name);
int fs_stage_rename(struct fs *fs, uint64_t parent, const char *name, uint64_t newparent,
		    const char *newname, unsigned flags);
/* With fs->lock held. */
struct fs_node *fs_stage_lookup(struct fs *fs, struct fs_mbox *m, const char *name);
size_t fs_stage_count(struct fs *fs, const struct fs_mbox *m);
/* Frees n's staged part (fs_inode_destroy). */
void fs_stage_node_free(struct fs_node *n);

#endif

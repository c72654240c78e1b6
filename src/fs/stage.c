/* fs stage: new messages (SPEC §4).  A file created in a mailbox is
 * staged on disk, in CACHE_DIR/staging/, as ID.eml (the bytes) and
 * ID.meta (a key file: the mailbox, the name given, the flags from
 * user.imap.flags, and, while an APPEND may be in flight, the mailbox's
 * UIDVALIDITY and UIDNEXT just before it).  It shows in its mailbox under
 * the name it was created with until it is appended, which happens once it
 * has been left alone (no write, truncate, rename, utimens or setxattr)
 * for FS_STAGE_SETTLE_S, or at fsync, or at unmount; its INTERNALDATE is
 * the file's mtime, so cp -p, rsync -a and tar keep the original date.
 * Then it shows under its canonical name: at once where the server says
 * APPENDUID, at the next listing otherwise.  Content that is not a
 * message (mail_check.h) is refused with EINVAL at close (flush) or fsync
 * and thrown away; nothing of it is appended.
 *
 * Exactly once.  Before an APPEND the meta file records the target's
 * UIDVALIDITY and UIDNEXT (synced); after a successful one the files go.
 * When the reply is lost (broken connection, crash) the next attempt first
 * looks in the target for a message from that UIDNEXT on with the same
 * Message-ID, or, without one, the same size and INTERNALDATE and the same
 * bytes, and appends only if there is none.  Staged files left by a crash
 * are found at the next mount and go the same way.
 *
 * Threads and locks.  Staged nodes (FS_STAGED) are in their mailbox's
 * staged table and change under fs->lock; their bytes are read and
 * written with pread/pwrite on the node's descriptor without it (the node
 * is held by the kernel for the request; the descriptor is closed only
 * when the node is freed).  One thread (stage_main) does the appends;
 * st->lock and st->cond order it with unmount and with fsync, which
 * appends at once, in the caller's thread, the node marked APPENDING so
 * that the thread leaves it alone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "imapfs/imap_pool.h"
#include "imapfs/log.h"
#include "imapfs/mail_check.h"
#include "imapfs/mail_name.h"
#include "imapfs/net.h"

#include "fs_int.h"

#define FS_STAGE_SETTLE_US (2 * G_USEC_PER_SEC)
/* After a failure that may pass (server away), wait this long, doubled
 * after each further failure up to the most: a short outage delays an
 * append by seconds, a long one costs a failed attempt a minute. */
#define FS_STAGE_RETRY_US (2 * G_USEC_PER_SEC)
#define FS_STAGE_RETRY_MAX_US (60 * G_USEC_PER_SEC)
#define FS_STAGE_GROUP "staged"

enum fs_stage_state {
	STAGE_WRITING,	 /* open to writes; appended once settled */
	STAGE_APPENDING, /* being appended: no more changes */
	STAGE_DONE,	 /* appended or thrown away: out of its mailbox */
};

struct fs_staged {
	char *id; /* file names: ID.eml, ID.meta */
	int fd;
	enum fs_stage_state state;
	gint64 touched_us; /* monotonic time of the last change */
	gint64 retry_us;   /* not before this (after a failure) */
	unsigned failures; /* in a row, for the back-off */
	bool refused;	   /* permanent failure: kept, not retried this mount */
	/* An APPEND may have happened (meta says so): look before. */
	uint32_t pending_uidvalidity, pending_uidnext;
};

struct fs_stage {
	char *dir; /* CACHE_DIR/staging */
	pthread_t thread;
	bool running, stop;
	pthread_mutex_t lock; /* orders stop and wakeups; never with fs->lock held */
	pthread_cond_t cond;
	/* Serializes meta file writes; taken before fs->lock, held across
	 * the write (stage_save_meta). */
	pthread_mutex_t meta_lock;
	gint seq; /* for ids (atomic) */
};

/* ---- files ---- */

static char *stage_path(const struct fs_stage *st, const char *id, const char *ext)
{
	return g_strdup_printf("%s/%s.%s", st->dir, id, ext);
}

/* Writes n's meta file from what n says now.  Call without fs->lock,
 * holding n (the kernel's reference, or one taken for the call): the text
 * is made under fs->lock, the file written after it; st->meta_lock keeps
 * the writes in the order of the texts, so the last change wins. */
static int stage_save_meta(struct fs *fs, struct fs_node *n)
{
	struct fs_stage *st = fs->stage;
	GKeyFile *kf = g_key_file_new();
	GError *gerr = NULL;
	char *path, *data;
	gsize len;
	int ret = 0;

	pthread_mutex_lock(&st->meta_lock);
	pthread_mutex_lock(&fs->lock);
	g_key_file_set_string(kf, FS_STAGE_GROUP, "mailbox", n->mbox->raw);
	g_key_file_set_string(kf, FS_STAGE_GROUP, "name", n->name);
	g_key_file_set_string(kf, FS_STAGE_GROUP, "flags", n->flags);
	if (n->staged->pending_uidvalidity != 0) {
		g_key_file_set_uint64(kf, FS_STAGE_GROUP, "uidvalidity",
				      n->staged->pending_uidvalidity);
		g_key_file_set_uint64(kf, FS_STAGE_GROUP, "uidnext", n->staged->pending_uidnext);
	}
	path = stage_path(st, n->staged->id, "meta");
	pthread_mutex_unlock(&fs->lock);
	data = g_key_file_to_data(kf, &len, NULL);
	/* Atomic (temporary file, rename): the old meta or the new. */
	if (!g_file_set_contents_full(path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
				      &gerr)) {
		log_warnx("cannot write %s: %s", path, gerr->message);
		g_error_free(gerr);
		ret = -EIO;
	}
	pthread_mutex_unlock(&st->meta_lock);
	g_free(data);
	g_free(path);
	g_key_file_free(kf);
	return ret;
}

static void stage_remove_files(struct fs_stage *st, const char *id)
{
	char *meta = stage_path(st, id, "meta"), *eml = stage_path(st, id, "eml");

	/* The meta first: an .eml without one is never appended. */
	if (unlink(meta) < 0 && errno != ENOENT)
		log_warnx("cannot remove %s: %s", meta, strerror(errno));
	if (unlink(eml) < 0 && errno != ENOENT)
		log_warnx("cannot remove %s: %s", eml, strerror(errno));
	g_free(meta);
	g_free(eml);
}

/* ---- nodes ---- */

static struct fs_node *stage_node_new(struct fs *fs, struct fs_mbox *m, const char *name, char *id,
				      int fd)
{
	struct fs_node *n = fs_inode_new(fs, FS_STAGED, name, m->dir);

	n->mbox = m;
	n->flags = strdup("");
	n->staged = calloc(1, sizeof(*n->staged));
	if (n->flags == NULL || n->staged == NULL)
		abort();
	n->staged->id = id;
	n->staged->fd = fd;
	n->staged->touched_us = g_get_monotonic_time();
	n->linked = true;
	n->size_exact = true;
	if (m->staged == NULL)
		m->staged = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_insert(m->staged, n->name, n);
	return n;
}

void fs_stage_node_free(struct fs_node *n)
{
	if (n->staged == NULL)
		return;
	if (n->staged->fd >= 0)
		close(n->staged->fd);
	g_free(n->staged->id);
	free(n->staged);
	n->staged = NULL;
}

/* With fs->lock: takes n out of its mailbox for good; the caller frees
 * it with fs_inode_maybe_free when done with it. */
static void stage_unlink_node(struct fs *fs, struct fs_node *n)
{
	if (n->linked && n->mbox->staged != NULL &&
	    g_hash_table_lookup(n->mbox->staged, n->name) == n)
		g_hash_table_remove(n->mbox->staged, n->name);
	n->linked = false;
	n->staged->state = STAGE_DONE;
	/* Not freed here: the caller still uses n, then calls
	 * fs_inode_maybe_free once. */
	(void)fs;
}

struct fs_node *fs_stage_lookup(struct fs *fs, struct fs_mbox *m, const char *name)
{
	(void)fs;
	return m->staged != NULL ? g_hash_table_lookup(m->staged, name) : NULL;
}

size_t fs_stage_count(struct fs *fs, const struct fs_mbox *m)
{
	(void)fs;
	return m->staged != NULL ? g_hash_table_size(m->staged) : 0;
}

/* With fs->lock: the staged node ino, or NULL. */
static struct fs_node *stage_get(struct fs *fs, uint64_t ino)
{
	struct fs_node *n = fs_inode_get(fs, ino);

	return n != NULL && n->kind == FS_STAGED ? n : NULL;
}

static void stage_touch(struct fs_node *n)
{
	n->staged->touched_us = g_get_monotonic_time();
}

static void stage_wake(struct fs *fs)
{
	pthread_mutex_lock(&fs->stage->lock);
	pthread_cond_broadcast(&fs->stage->cond);
	pthread_mutex_unlock(&fs->stage->lock);
}

/* ---- operations ---- */

/* With fs->lock: why name cannot be a new file in p (0 if it can). */
static int stage_name_check(struct fs *fs, struct fs_node *p, const char *name)
{
	struct fs_node *old;
	uint32_t uid;

	if (fs->stage == NULL)
		return -EROFS; /* no cache directory to stage in */
	if (p->kind != FS_MBOX || p->mbox->noselect)
		return p->kind == FS_MSG || p->kind == FS_STAGED ? -ENOTDIR : -EPERM;
	if (fs_is_probe_name(name) || fs_parts_name(name) || name[0] == '\0')
		return -EPERM; /* never a message a desktop's probe then finds */
	if (g_hash_table_lookup(p->children, name) != NULL ||
	    fs_stage_lookup(fs, p->mbox, name) != NULL)
		return -EEXIST;
	if (mail_name_uid(name, &uid) &&
	    (old = g_hash_table_lookup(p->mbox->msgs, GUINT_TO_POINTER(uid))) != NULL &&
	    strcmp(old->name, name) == 0)
		return -EEXIST;
	return 0;
}

int fs_stage_create(struct fs *fs, uint64_t parent, const char *name, struct fuse_entry_param *e)
{
	struct fs_stage *st = fs->stage;
	struct fs_node *p, *n;
	char *id, *path;
	int fd, ret;

	if (strlen(name) > FS_NAME_MAX)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&fs->lock);
	p = fs_dir_get(fs, parent);
	ret = p == NULL ? -ENOENT : stage_name_check(fs, p, name);
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0)
		return ret;

	id = g_strdup_printf("%lld-%d-%d", (long long)g_get_real_time(), (int)getpid(),
			     g_atomic_int_add(&st->seq, 1));
	path = stage_path(st, id, "eml");
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		log_warnx("cannot stage \"%s\": %s: %s", name, path, strerror(errno));
		g_free(path);
		g_free(id);
		return ret == -ENOSPC || ret == -EDQUOT ? ret : -EIO;
	}
	g_free(path);
	pthread_mutex_lock(&fs->lock);
	ret = stage_name_check(fs, p, name); /* again: another request may have won */
	if (ret < 0) {
		pthread_mutex_unlock(&fs->lock);
		close(fd);
		stage_remove_files(st, id);
		g_free(id);
		return ret;
	}
	n = stage_node_new(fs, p->mbox, name, id, fd);
	n->internaldate = time(NULL);
	n->nlookup++; /* held for the meta write */
	pthread_mutex_unlock(&fs->lock);

	ret = stage_save_meta(fs, n);

	pthread_mutex_lock(&fs->lock);
	n->nlookup--;
	if (ret < 0) {
		id = g_strdup(n->staged->id);
		stage_unlink_node(fs, n);
		fs_inode_maybe_free(fs, n);
		pthread_mutex_unlock(&fs->lock);
		stage_remove_files(st, id);
		g_free(id);
		return ret;
	}
	fs_inode_entry(fs, n, e);
	log_debug(LOG_FS, "fs: staged \"%s\" in %s as %s", name, p->mbox->raw, n->staged->id);
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

/* Takes the node for a change of its bytes or attributes; -ENOENT when
 * ino is not staged (the caller goes on), -EBUSY while it is appended,
 * -EPERM once it is a message. */
static int stage_begin_change(struct fs *fs, uint64_t ino, struct fs_node **n_r)
{
	struct fs_node *n = stage_get(fs, ino);

	if (n == NULL)
		return -ENOENT;
	if (n->staged->state == STAGE_APPENDING)
		return -EBUSY;
	if (n->staged->state == STAGE_DONE)
		return -EPERM;
	*n_r = n;
	return 0;
}

int fs_stage_write(struct fs *fs, uint64_t ino, const char *buf, size_t size, off_t off)
{
	struct fs_node *n;
	ssize_t w;
	int fd, ret;

	pthread_mutex_lock(&fs->lock);
	ret = stage_begin_change(fs, ino, &n);
	if (ret == 0) {
		fd = n->staged->fd;
		stage_touch(n);
	}
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0)
		return ret;
	w = pwrite(fd, buf, size, off);
	if (w < 0)
		return -errno;
	pthread_mutex_lock(&fs->lock);
	if ((uint64_t)off + (uint64_t)w > n->size)
		n->size = (uint64_t)off + (uint64_t)w;
	n->internaldate = time(NULL);
	stage_touch(n);
	pthread_mutex_unlock(&fs->lock);
	return (int)w;
}

int fs_stage_read(struct fs *fs, uint64_t ino, size_t size, off_t off, char **mem_r, size_t *len_r)
{
	struct fs_node *n;
	char *mem;
	ssize_t r;
	int fd;

	pthread_mutex_lock(&fs->lock);
	n = stage_get(fs, ino);
	fd = n != NULL ? n->staged->fd : -1;
	pthread_mutex_unlock(&fs->lock);
	if (n == NULL)
		return -ENOENT;
	mem = malloc(size > 0 ? size : 1);
	if (mem == NULL)
		return -ENOMEM;
	r = pread(fd, mem, size, off);
	if (r < 0) {
		int ret = -errno;

		free(mem);
		return ret;
	}
	*mem_r = mem;
	*len_r = (size_t)r;
	return 0;
}

int fs_stage_setattr(struct fs *fs, uint64_t ino, const struct stat *attr, int to_set,
		     struct stat *st_r)
{
	struct fs_node *n;
	int fd, ret;

	pthread_mutex_lock(&fs->lock);
	ret = stage_begin_change(fs, ino, &n);
	if (ret == 0)
		fd = n->staged->fd;
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0)
		return ret;
	if ((to_set & FUSE_SET_ATTR_SIZE) && ftruncate(fd, attr->st_size) < 0)
		return -errno;
	/* The staged file's own mtime is the one: what a crash leaves for
	 * the next mount to append with (a write moves it, as it should). */
	if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW)) {
		struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_NOW}};

		if (to_set & FUSE_SET_ATTR_MTIME)
			ts[1] = (struct timespec){.tv_sec = attr->st_mtime};
		if (futimens(fd, ts) < 0)
			return -errno;
	}
	pthread_mutex_lock(&fs->lock);
	if (to_set & FUSE_SET_ATTR_SIZE) {
		n->size = (uint64_t)attr->st_size;
		n->internaldate = time(NULL);
	}
	/* The mtime is what becomes INTERNALDATE; the atime has nowhere to
	 * go, and the mode and owner are fixed (SPEC §2): taken silently,
	 * so that cp -p, rsync -a and tar do not complain. */
	if (to_set & FUSE_SET_ATTR_MTIME)
		n->internaldate = attr->st_mtime;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		n->internaldate = time(NULL);
	stage_touch(n);
	fs_inode_stat(fs, n, st_r);
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

int fs_stage_setxattr(struct fs *fs, uint64_t ino, const char *name, const char *value, size_t size,
		      int flags)
{
	struct fs_node *n;
	char *v;
	int ret;

	pthread_mutex_lock(&fs->lock);
	ret = stage_begin_change(fs, ino, &n);
	/* Only the flags mean something before the APPEND; cp -a copies
	 * every attribute of a message, and EOPNOTSUPP is what it takes
	 * quietly for the others (user.imap.uid is the server's to give). */
	if (ret == 0 && strcmp(name, "user.imap.flags") != 0)
		ret = -EOPNOTSUPP;
	else if (ret == 0 && (flags & XATTR_CREATE))
		ret = -EEXIST;
	if (ret == 0) {
		/* Checked for real at APPEND time: a server that refuses
		 * them gets the message without them (logged). */
		v = g_strndup(value, size);
		for (char *q = v; *q != '\0'; q++)
			if (*q == '\t' || *q == '\n')
				*q = ' ';
		free(n->flags);
		n->flags = strdup(g_strstrip(v));
		g_free(v);
		if (n->flags == NULL)
			abort();
		stage_touch(n);
	}
	pthread_mutex_unlock(&fs->lock);
	return ret < 0 ? ret : stage_save_meta(fs, n);
}

int fs_stage_unlink(struct fs *fs, uint64_t parent, const char *name)
{
	struct fs_node *p, *n = NULL;
	char *id = NULL;
	int ret = 0;

	pthread_mutex_lock(&fs->lock);
	p = fs_dir_get(fs, parent);
	if (p != NULL && p->kind == FS_MBOX)
		n = fs_stage_lookup(fs, p->mbox, name);
	if (n == NULL)
		ret = -ENOENT;
	else if (n->staged->state == STAGE_APPENDING)
		ret = -EBUSY;
	if (ret == 0) {
		id = g_strdup(n->staged->id);
		stage_unlink_node(fs, n);
		fs_inode_maybe_free(fs, n);
	}
	pthread_mutex_unlock(&fs->lock);
	if (ret == 0) {
		stage_remove_files(fs->stage, id);
		log_debug(LOG_FS, "fs: staged \"%s\" removed before it was appended", name);
	}
	g_free(id);
	return ret;
}

int fs_stage_rename(struct fs *fs, uint64_t parent, const char *name, uint64_t newparent,
		    const char *newname, unsigned flags)
{
	struct fs_node *p, *np, *n = NULL, *old = NULL;
	char *oldid = NULL;
	uint32_t uid;
	int ret = 0;

	pthread_mutex_lock(&fs->lock);
	p = fs_dir_get(fs, parent);
	np = fs_dir_get(fs, newparent);
	if (p != NULL && p->kind == FS_MBOX)
		n = fs_stage_lookup(fs, p->mbox, name);
	if (n == NULL) {
		pthread_mutex_unlock(&fs->lock);
		return -ENOENT;
	}
	if (strlen(newname) > FS_NAME_MAX)
		ret = -ENAMETOOLONG;
	else if (np == NULL)
		ret = -ENOENT;
	else if (n->staged->state == STAGE_APPENDING)
		ret = -EBUSY;
	else if (np->kind != FS_MBOX || np->mbox->noselect)
		ret = np->kind == FS_MSG ? -ENOTDIR : -EPERM;
	else if (flags & RENAME_EXCHANGE)
		ret = -EINVAL;
	else if (fs_is_probe_name(newname) || fs_parts_name(newname))
		ret = -EPERM;
	else if (g_hash_table_lookup(np->children, newname) != NULL)
		ret = -EISDIR;
	else if (mail_name_uid(newname, &uid) &&
		 (old = g_hash_table_lookup(np->mbox->msgs, GUINT_TO_POINTER(uid))) != NULL &&
		 strcmp(old->name, newname) == 0)
		ret = -EPERM; /* a message is never replaced */
	if (ret == 0) {
		old = fs_stage_lookup(fs, np->mbox, newname);
		if (old == n) {
			pthread_mutex_unlock(&fs->lock);
			return 0;
		}
		if (old != NULL && (flags & RENAME_NOREPLACE))
			ret = -EEXIST;
		else if (old != NULL && old->staged->state == STAGE_APPENDING)
			ret = -EBUSY;
	}
	if (ret == 0) {
		if (old != NULL) {
			/* rename(2) replaces: the one replaced was never
			 * appended, and now never will be. */
			oldid = g_strdup(old->staged->id);
			stage_unlink_node(fs, old);
			fs_inode_maybe_free(fs, old);
		}
		g_hash_table_remove(n->mbox->staged, n->name);
		free(n->name);
		n->name = strdup(newname);
		if (n->name == NULL)
			abort();
		n->mbox = np->mbox;
		n->parent = np;
		if (np->mbox->staged == NULL)
			np->mbox->staged = g_hash_table_new(g_str_hash, g_str_equal);
		g_hash_table_insert(np->mbox->staged, n->name, n);
		stage_touch(n);
	}
	pthread_mutex_unlock(&fs->lock);
	if (oldid != NULL)
		stage_remove_files(fs->stage, oldid);
	g_free(oldid);
	return ret < 0 ? ret : stage_save_meta(fs, n);
}

/* ---- appending ---- */

/* What an append did. */
enum stage_outcome {
	STAGE_APPENDED,
	STAGE_REFUSED, /* not a message: thrown away */
	STAGE_FAILED,  /* kept: tried again later or at the next mount */
	STAGE_KEPT,    /* kept: the server refuses it; tried at the next mount */
};

/* The append itself, on a node marked APPENDING by the caller.  No lock
 * held.  *uid_r: the new message's UID when known. */
static enum stage_outcome stage_append(struct fs *fs, struct fs_node *n, uint32_t *uid_r,
				       int *err_r)
{
	struct fs_staged *sg = n->staged;
	struct imap_mbox_status mst;
	struct imap_conn *c = NULL;
	struct fs_mbox *m;
	const char *why = NULL;
	char *map = NULL, *crlf = NULL, *flags, *name, *msgid;
	const char *data;
	size_t len = 0, dlen;
	uint32_t nuv = 0, nuid = 0;
	time_t date;
	struct stat sb;
	int ret = 0;
	enum stage_outcome out = STAGE_FAILED;

	*uid_r = 0;
	pthread_mutex_lock(&fs->lock);
	m = n->mbox;
	flags = g_strdup(n->flags);
	name = g_strdup(n->name);
	date = n->internaldate;
	pthread_mutex_unlock(&fs->lock);

	if (fstat(sg->fd, &sb) < 0) {
		ret = -errno;
		goto out;
	}
	len = (size_t)sb.st_size;
	if (len > 0) {
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, sg->fd, 0);
		if (map == MAP_FAILED) {
			map = NULL;
			ret = -errno;
			goto out;
		}
	}
	if (!mail_check_message(map, len, &why)) {
		log_warnx("%s: \"%s\" is not a message (%s); not appended", m->raw, name, why);
		*err_r = -EINVAL;
		out = STAGE_REFUSED;
		goto out;
	}
	crlf = mail_check_crlf(map, len, &dlen);
	data = crlf != NULL ? crlf : map;
	{
		/* The header ends at the first empty line (or the end). */
		msgid = mail_name_message_id(data, dlen);
	}

	for (int attempt = 0; attempt < 2; attempt++) {
		ret = imap_pool_get(fs->cfg.pool, m->raw, &c);
		if (ret < 0)
			break;
		/* Fresh: UIDNEXT must be the server's now. */
		ret = imap_conn_examine(c, m->raw, true, &mst);
		if (ret == 0 && sg->pending_uidvalidity != 0) {
			if (mst.uidvalidity == sg->pending_uidvalidity) {
				int found = fs_find_message(c, sg->pending_uidnext, data, dlen,
							    date, msgid);

				if (found > 0) {
					log_info("%s: \"%s\" had been appended already (UID %d)",
						 m->raw, name, found);
					*uid_r = (uint32_t)found;
					nuv = mst.uidvalidity;
					out = STAGE_APPENDED;
					break;
				}
				ret = found;
			}
			/* A new UIDVALIDITY: the old append, if any, went
			 * with the old mailbox. */
		}
		if (ret == 0) {
			pthread_mutex_lock(&fs->lock);
			sg->pending_uidvalidity = mst.uidvalidity;
			sg->pending_uidnext = mst.uidnext != 0 ? mst.uidnext : 1;
			pthread_mutex_unlock(&fs->lock);
			/* On disk before the APPEND: a crash after it is then
			 * looked for, not appended again. */
			ret = stage_save_meta(fs, n);
		}
		if (ret == 0) {
			ret = imap_conn_append(c, m->raw, flags, date, data, dlen, &nuv, &nuid);
			if (ret == -EINVAL && flags[0] != '\0' && !imap_conn_is_broken(c)) {
				log_warnx("%s: the server refuses the flags \"%s\" of \"%s\"; "
					  "appending it without them",
					  m->raw, flags, name);
				flags[0] = '\0';
				ret = imap_conn_append(c, m->raw, flags, date, data, dlen, &nuv,
						       &nuid);
			}
		}
		if (ret == 0) {
			*uid_r = nuid;
			out = STAGE_APPENDED;
			break;
		}
		if (c == NULL || !imap_conn_is_broken(c) || attempt > 0)
			break;
		/* Broken: the next attempt looks before it appends (the
		 * meta says where from). */
		fs_conn_log(c, ret, true, "appending");
		imap_pool_put(fs->cfg.pool, c);
		c = NULL;
	}
	if (out != STAGE_APPENDED && ret < 0) {
		if (c != NULL)
			fs_conn_log(c, ret, false, "appending");
		/* A refusal by the server (NO) stays one: keep it for the
		 * next mount; anything else is tried again in a while. */
		out = c != NULL && !imap_conn_is_broken(c) ? STAGE_KEPT : STAGE_FAILED;
		*err_r = ret;
	}
	if (c != NULL)
		imap_pool_put(fs->cfg.pool, c);
	if (out == STAGE_APPENDED)
		log_info("appended \"%s\" to %s%s", name, m->raw,
			 *uid_r != 0 ? "" : " (the server did not say its UID)");
	if (out == STAGE_APPENDED && *uid_r != 0 && nuv != 0) {
		/* Show it under its canonical name at once. */
		char *subject = mail_name_subject(data, dlen), *file;

		file = mail_name_file(date, subject, *uid_r);
		pthread_mutex_lock(&fs->lock);
		fs_mbox_add_new(fs, m, file, *uid_r, nuv, dlen, date, flags, msgid);
		pthread_mutex_unlock(&fs->lock);
		free(subject);
		free(file);
	}
	g_free(msgid);
	msgid = NULL;
out:
	if (ret < 0 && out == STAGE_FAILED && *err_r == 0)
		*err_r = ret;
	if (map != NULL)
		munmap(map, len);
	g_free(crlf);
	g_free(flags);
	g_free(name);
	return out;
}

/* Appends n now (from the thread, fsync or unmount); n must be WRITING,
 * and is marked APPENDING under fs->lock by this function.  0, or the
 * -errno the caller of fsync gets. */
static int stage_run(struct fs *fs, struct fs_node *n)
{
	enum stage_outcome out;
	uint32_t uid = 0;
	uint64_t parent;
	char *name, *id;
	int err = 0;

	n->staged->state = STAGE_APPENDING;
	n->nlookup++; /* held while unlocked */
	parent = n->parent->ino;
	name = g_strdup(n->name);
	id = g_strdup(n->staged->id);
	pthread_mutex_unlock(&fs->lock);

	out = stage_append(fs, n, &uid, &err);
	if (out == STAGE_APPENDED || out == STAGE_REFUSED)
		stage_remove_files(fs->stage, id);

	pthread_mutex_lock(&fs->lock);
	switch (out) {
	case STAGE_APPENDED:
	case STAGE_REFUSED:
		stage_unlink_node(fs, n);
		break;
	case STAGE_KEPT:
		n->staged->refused = true;
		n->staged->state = STAGE_WRITING;
		break;
	case STAGE_FAILED: {
		struct fs_staged *sg = n->staged;
		gint64 wait_us = FS_STAGE_RETRY_US;

		for (unsigned i = 0; i < sg->failures && wait_us < FS_STAGE_RETRY_MAX_US; i++)
			wait_us *= 2;
		if (wait_us > FS_STAGE_RETRY_MAX_US)
			wait_us = FS_STAGE_RETRY_MAX_US;
		sg->failures++;
		sg->state = STAGE_WRITING;
		sg->retry_us = g_get_monotonic_time() + wait_us;
		break;
	}
	}
	pthread_cond_broadcast(&fs->cond); /* fs_stage_fsync waits */
	n->nlookup--; /* the hold taken above; n may go now */
	fs_inode_maybe_free(fs, n);
	pthread_mutex_unlock(&fs->lock);
	if (out == STAGE_APPENDED || out == STAGE_REFUSED)
		fs_notify_entry(fs, parent, name);
	g_free(name);
	g_free(id);
	stage_wake(fs);
	pthread_mutex_lock(&fs->lock);
	if (out == STAGE_APPENDED)
		return 0;
	/* What fsync may say: the verdict, a quota, or EIO for the network. */
	return err == -EINVAL || err == -EDQUOT || err == -ENOSPC || err == -ENOMEM ? err : -EIO;
}

/* With fs->lock: a staged node ready to go (settled, or all when force). */
static struct fs_node *stage_next(struct fs *fs, bool force, gint64 *wait_us)
{
	gint64 now = g_get_monotonic_time();
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, fs->mboxes);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct fs_mbox *m = v;
		GHashTableIter jt;
		gpointer w;

		if (m->staged == NULL)
			continue;
		g_hash_table_iter_init(&jt, m->staged);
		while (g_hash_table_iter_next(&jt, NULL, &w)) {
			struct fs_node *n = w;
			struct fs_staged *sg = n->staged;
			gint64 due = sg->touched_us + FS_STAGE_SETTLE_US;

			if (sg->state != STAGE_WRITING || sg->refused)
				continue;
			if (sg->retry_us > due)
				due = sg->retry_us;
			/* At unmount all go, but what just failed is left for
			 * the next mount. */
			if (force ? sg->retry_us <= now : due <= now)
				return n;
			if (due - now < *wait_us)
				*wait_us = due - now;
		}
	}
	return NULL;
}

static void *stage_main(void *arg)
{
	struct fs *fs = arg;
	struct fs_stage *st = fs->stage;

	for (;;) {
		gint64 wait_us = G_USEC_PER_SEC;
		struct fs_node *n;

		pthread_mutex_lock(&fs->lock);
		while ((n = stage_next(fs, false, &wait_us)) != NULL)
			(void)stage_run(fs, n);
		pthread_mutex_unlock(&fs->lock);

		pthread_mutex_lock(&st->lock);
		if (!st->stop) {
			struct timespec ts;
			gint64 until = g_get_real_time() + (wait_us > 0 ? wait_us : 1000);

			ts.tv_sec = until / G_USEC_PER_SEC;
			ts.tv_nsec = (long)(until % G_USEC_PER_SEC) * 1000;
			pthread_cond_timedwait(&st->cond, &st->lock, &ts);
		}
		if (st->stop) {
			pthread_mutex_unlock(&st->lock);
			return NULL;
		}
		pthread_mutex_unlock(&st->lock);
	}
}

int fs_stage_fsync(struct fs *fs, uint64_t ino)
{
	struct fs_node *n;
	int ret = 0;

	pthread_mutex_lock(&fs->lock);
	n = stage_get(fs, ino);
	if (n == NULL) {
		pthread_mutex_unlock(&fs->lock);
		return -ENOENT;
	}
	/* Being appended by the thread: wait for its outcome (stage_run
	 * signals fs->cond), no longer than the request may (the thread
	 * goes on). */
	while (n->staged->state == STAGE_APPENDING) {
		if (fs_wait(fs) == -ETIMEDOUT) {
			pthread_mutex_unlock(&fs->lock);
			return -ETIMEDOUT;
		}
	}
	if (n->staged->state == STAGE_WRITING) {
		if (fsync(n->staged->fd) < 0)
			ret = -errno;
		if (ret == 0)
			ret = stage_run(fs, n);
	}
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

int fs_stage_flush(struct fs *fs, uint64_t ino)
{
	struct fs_node *n;
	const char *why;
	char *head, *id = NULL, *name = NULL;
	uint64_t parent = 0;
	size_t want;
	ssize_t got;
	int fd, ret = 0;

	pthread_mutex_lock(&fs->lock);
	n = stage_get(fs, ino);
	if (n == NULL || n->staged->state != STAGE_WRITING || n->size == 0) {
		/* Not staged, or nothing to judge yet. */
		pthread_mutex_unlock(&fs->lock);
		return n == NULL ? -ENOENT : 0;
	}
	fd = n->staged->fd;
	want = n->size < 256 * 1024 ? (size_t)n->size : 256 * 1024;
	pthread_mutex_unlock(&fs->lock);

	/* The header decides; a large body need not be read for that. */
	head = malloc(want);
	if (head == NULL)
		return -ENOMEM;
	got = pread(fd, head, want, 0);
	if (got >= 0 && !mail_check_message(head, (size_t)got, &why) && (size_t)got == want) {
		/* A NUL beyond 256 KiB is caught at APPEND time. */
		ret = -EINVAL;
	}
	free(head);
	if (ret == 0)
		return 0;

	pthread_mutex_lock(&fs->lock);
	n = stage_get(fs, ino);
	if (n != NULL && n->staged->state == STAGE_WRITING) {
		log_warnx("%s: \"%s\" is not a message (%s); not appended", n->mbox->raw, n->name,
			  why);
		id = g_strdup(n->staged->id);
		name = g_strdup(n->name);
		parent = n->parent->ino;
		stage_unlink_node(fs, n);
		fs_inode_maybe_free(fs, n);
	}
	pthread_mutex_unlock(&fs->lock);
	if (id != NULL) {
		stage_remove_files(fs->stage, id);
		fs_notify_entry(fs, parent, name);
	}
	g_free(id);
	g_free(name);
	return -EINVAL;
}

/* ---- start and stop ---- */

/* A staged message left by an earlier run: back into its mailbox. */
static void stage_recover(struct fs *fs, const char *id)
{
	struct fs_stage *st = fs->stage;
	char *meta = stage_path(st, id, "meta"), *eml = stage_path(st, id, "eml");
	GKeyFile *kf = g_key_file_new();
	char *raw = NULL, *name = NULL, *flags = NULL;
	struct fs_mbox *m;
	struct fs_node *n;
	struct stat sb;
	int fd = -1;

	if (!g_key_file_load_from_file(kf, meta, G_KEY_FILE_NONE, NULL) ||
	    (raw = g_key_file_get_string(kf, FS_STAGE_GROUP, "mailbox", NULL)) == NULL ||
	    (name = g_key_file_get_string(kf, FS_STAGE_GROUP, "name", NULL)) == NULL) {
		log_warnx("staged message %s: %s is unreadable; left alone", eml, meta);
		goto out;
	}
	flags = g_key_file_get_string(kf, FS_STAGE_GROUP, "flags", NULL);
	fd = open(eml, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		log_warnx("staged message %s: %s; left alone", eml, strerror(errno));
		goto out;
	}
	pthread_mutex_lock(&fs->lock);
	m = g_hash_table_lookup(fs->mboxes, raw);
	if (m == NULL || !m->dir->linked || m->noselect || strchr(name, '/') != NULL ||
	    fs_stage_lookup(fs, m, name) != NULL) {
		pthread_mutex_unlock(&fs->lock);
		log_warnx("staged message %s for %s: the mailbox is gone or the name is taken; "
			  "left in place",
			  eml, raw);
		goto out;
	}
	n = stage_node_new(fs, m, name, g_strdup(id), fd);
	fd = -1;
	n->size = (uint64_t)sb.st_size;
	n->internaldate = sb.st_mtime;
	if (flags != NULL) {
		free(n->flags);
		n->flags = strdup(flags);
	}
	n->staged->pending_uidvalidity =
	    (uint32_t)g_key_file_get_uint64(kf, FS_STAGE_GROUP, "uidvalidity", NULL);
	n->staged->pending_uidnext =
	    (uint32_t)g_key_file_get_uint64(kf, FS_STAGE_GROUP, "uidnext", NULL);
	n->staged->touched_us = 0; /* due now */
	pthread_mutex_unlock(&fs->lock);
	log_info("found staged message \"%s\" for %s from an earlier run; appending it", name, raw);
out:
	if (fd >= 0)
		close(fd);
	g_key_file_free(kf);
	g_free(raw);
	g_free(name);
	g_free(flags);
	g_free(meta);
	g_free(eml);
}

void fs_stage_start(struct fs *fs)
{
	struct fs_stage *st;
	DIR *d;
	struct dirent *de;

	if (fs->cfg.cache_dir == NULL)
		return;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		abort();
	st->dir = g_strdup_printf("%s/staging", fs->cfg.cache_dir);
	if (mkdir(st->dir, 0700) < 0 && errno != EEXIST) {
		log_warnx("cannot make %s: %s; new messages cannot be written", st->dir,
			  strerror(errno));
		g_free(st->dir);
		free(st);
		return;
	}
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->meta_lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	fs->stage = st;
	d = opendir(st->dir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char *id;

		if (len <= 5 || strcmp(de->d_name + len - 5, ".meta") != 0)
			continue;
		id = g_strndup(de->d_name, len - 5);
		stage_recover(fs, id);
		g_free(id);
	}
	if (d != NULL)
		closedir(d);
	if (fs->cfg.pool != NULL && pthread_create(&st->thread, NULL, stage_main, fs) == 0)
		st->running = true;
	else if (fs->cfg.pool != NULL)
		log_warnx("cannot start the append thread; new messages go at fsync or unmount");
}

void fs_stage_stop_thread(struct fs *fs)
{
	struct fs_stage *st = fs->stage;

	if (st == NULL)
		return;
	pthread_mutex_lock(&st->lock);
	st->stop = true;
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->lock);
	if (st->running)
		pthread_join(st->thread, NULL);
	st->running = false;
}

void fs_stage_stop(struct fs *fs)
{
	struct fs_stage *st = fs->stage;
	struct fs_node *n;
	gint64 wait_us = 0;

	if (st == NULL)
		return;
	fs_stage_stop_thread(fs);
	/* Unmount: whatever is complete goes now, within one timeout in all
	 * (a server that went quiet must not hold the exit for a timeout per
	 * message); what fails stays on disk for the next mount. */
	if (fs->cfg.pool != NULL) {
		fs_deadline_start(fs);
		pthread_mutex_lock(&fs->lock);
		while ((n = stage_next(fs, true, &wait_us)) != NULL)
			(void)stage_run(fs, n);
		pthread_mutex_unlock(&fs->lock);
		net_set_thread_deadline(0);
	}
}

void fs_stage_free(struct fs *fs)
{
	struct fs_stage *st = fs->stage;

	if (st == NULL)
		return;
	fs_stage_stop(fs);
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->meta_lock);
	pthread_mutex_destroy(&st->lock);
	g_free(st->dir);
	free(st);
	fs->stage = NULL;
}

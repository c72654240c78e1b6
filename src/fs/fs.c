/* fs: the libfuse low-level operations table and the entry points.  Each
 * op_* function replies exactly once; the helpers it calls return 0 or
 * -errno, and fuse_reply_err(req, -ret) happens only here. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "imapfs/log.h"
#include "imapfs/mail_name.h"
#include "imapfs/net.h"

#include "fs_int.h"

/* Probe names can never exist, so the kernel may remember that for long. */
#define FS_PROBE_NEG_TIMEOUT_S 3600.0

struct fs *fs_new(const struct fs_config *cfg)
{
	struct fs *fs = calloc(1, sizeof(*fs));

	if (fs == NULL)
		abort();
	fs->cfg = *cfg;
	fs->started = time(NULL);
	pthread_mutex_init(&fs->lock, NULL);
	net_cond_init(&fs->cond); /* fs_wait */
	fs->inodes = g_hash_table_new(g_int64_hash, g_int64_equal);
	fs->mboxes = g_hash_table_new(g_str_hash, g_str_equal);
	fs->next_ino = FUSE_ROOT_ID;
	fs->root = fs_inode_new(fs, FS_ROOT, "", NULL);
	fs->root->linked = true;
	return fs;
}

void fs_free(struct fs **fsp)
{
	struct fs *fs = *fsp;

	if (fs == NULL)
		return;
	fs_watch_stop(fs);
	fs_prefetch_stop(fs);
	fs_stage_free(fs);
	fs_notify_stop(fs);
	fs_inode_free_all(fs);
	fs_mbox_free_all(fs);
	g_hash_table_destroy(fs->inodes);
	g_hash_table_destroy(fs->mboxes);
	pthread_cond_destroy(&fs->cond);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
	*fsp = NULL;
}

void fs_stop_workers(struct fs *fs)
{
	fs_watch_stop(fs);
	fs_notify_stop(fs);
	fs_prefetch_stop(fs);
	fs_stage_stop_thread(fs);
}

void fs_set_session(struct fs *fs, struct fuse_session *se)
{
	fs->session = se;
}

int fs_load(struct fs *fs, char *err, size_t errlen)
{
	int ret = fs_mbox_tree_refresh(fs, true, err, errlen);

	/* The first df is right too; one round trip, none without QUOTA. */
	if (ret == 0)
		fs_quota_load(fs);
	return ret;
}

/* The fs answering req.  Every op that may wait calls it once, before
 * anything else of its own: it starts the request's deadline, which bounds every network wait of this thread and
 * every wait for another thread's network work until the reply (SPEC §5:
 * no system call waits on the network longer than -o timeout). */
static struct fs *fs_req(fuse_req_t req)
{
	struct fs *fs = fuse_req_userdata(req);

	fs_deadline_start(fs);
	return fs;
}

void fs_deadline_start(struct fs *fs)
{
	net_set_thread_deadline(fs->cfg.timeout_ms > 0 ? net_now_ms() + fs->cfg.timeout_ms : 0);
}

int fs_wait(struct fs *fs)
{
	return net_cond_wait(&fs->cond, &fs->lock, net_thread_deadline());
}

/* ---- lookup and attributes ---- */

/* A file of a STEM.parts directory d (held by the kernel for this
 * request). */
static int fs_lookup_part(struct fs *fs, struct fs_node *d, const char *name,
			  struct fuse_entry_param *e)
{
	struct fs_node *n;
	int ret = fs_parts_load(fs, d);

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&fs->lock);
	n = g_hash_table_lookup(d->children, name);
	if (n != NULL)
		fs_inode_entry(fs, n, e);
	pthread_mutex_unlock(&fs->lock);
	return n != NULL ? 0 : -ENOENT;
}

static int fs_lookup(struct fs *fs, fuse_ino_t parent, const char *name, struct fuse_entry_param *e)
{
	struct fs_node *p, *n;
	struct fs_mbox *m;
	char err[256];
	int ret;

	if (fs_is_probe_name(name))
		return -ENOENT;
	if (strlen(name) > FS_NAME_MAX)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&fs->lock);
	p = fs_dir_get(fs, parent);
	ret = p == NULL ? -ENOENT : p->kind == FS_MSG || p->kind == FS_PART ? -ENOTDIR : 0;
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0)
		return ret;
	if (p->kind == FS_PARTS)
		return fs_lookup_part(fs, p, name, e);
	/* p is a mailbox directory node: it outlives every request. */
	m = p->mbox;

	/* At most two passes: what we know, then what a refresh of an old
	 * tree or listing says. */
	for (int pass = 0;; pass++) {
		bool msg_name = false, need_list = false, need_tree = false;
		uint32_t uid = 0;

		pthread_mutex_lock(&fs->lock);
		n = g_hash_table_lookup(p->children, name);
		if (n == NULL && m != NULL)
			n = fs_stage_lookup(fs, m, name);
		if (n == NULL && m != NULL && !m->noselect && fs_parts_name(name)) {
			/* STEM.parts: the directory of message STEM.eml. */
			char *msg = g_strdup_printf("%.*s.eml", (int)(strlen(name) - 6), name);

			if (mail_name_uid(msg, &uid)) {
				msg_name = true;
				n = g_hash_table_lookup(m->msgs, GUINT_TO_POINTER(uid));
				n = n != NULL && strcmp(n->name, msg) == 0 ? fs_parts_dir(fs, n)
									    : NULL;
			}
			g_free(msg);
		} else if (n == NULL && m != NULL && !m->noselect && mail_name_uid(name, &uid)) {
			msg_name = true;
			n = g_hash_table_lookup(m->msgs, GUINT_TO_POINTER(uid));
			/* The UID is the identity, but only the canonical
			 * name names the file. */
			if (n != NULL && strcmp(n->name, name) != 0)
				n = NULL;
		}
		if (n != NULL) {
			fs_inode_entry(fs, n, e);
			pthread_mutex_unlock(&fs->lock);
			return 0;
		}
		if (pass == 0) {
			need_list = msg_name && fs_mbox_listing_old(fs, m);
			need_tree = fs_mbox_tree_old(fs);
		}
		pthread_mutex_unlock(&fs->lock);
		if (!need_list && !need_tree)
			return -ENOENT;
		/* After a wait that ran out, the request's deadline has
		 * passed: the listing refresh fails at once. */
		if (need_tree)
			(void)fs_mbox_tree_refresh(fs, false, err, sizeof(err));
		if (need_list) {
			ret = fs_mbox_listing(fs, m, true);
			if (ret < 0)
				return fs_errno_net(ret);
		}
	}
}

static void fs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	int ret;

	log_debug(LOG_FS, "fs: lookup %llu \"%s\"", (unsigned long long)parent, name);
	ret = fs_lookup(fs_req(req), parent, name, &e);
	if (ret == -ENOENT && fs_is_probe_name(name)) {
		memset(&e, 0, sizeof(e));
		e.entry_timeout = FS_PROBE_NEG_TIMEOUT_S;
		fuse_reply_entry(req, &e);
	} else if (ret < 0) {
		fuse_reply_err(req, -ret);
	} else {
		fuse_reply_entry(req, &e);
	}
}

static void fs_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct fs *fs = fs_req(req);

	log_debug(LOG_FS, "fs: forget %llu %llu", (unsigned long long)ino,
		  (unsigned long long)nlookup);
	pthread_mutex_lock(&fs->lock);
	fs_inode_forget(fs, ino, nlookup);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_none(req);
}

static void fs_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct fs *fs = fs_req(req);

	log_debug(LOG_FS, "fs: forget %zu inodes", count);
	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < count; i++)
		fs_inode_forget(fs, forgets[i].ino, forgets[i].nlookup);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_none(req);
}

static void fs_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_req(req);
	struct fs_node *n;
	struct stat st;
	double timeout = 0;
	int ret = 0;

	(void)fi;
	log_debug(LOG_FS, "fs: getattr %llu", (unsigned long long)ino);
	pthread_mutex_lock(&fs->lock);
	n = fs_inode_get(fs, ino);
	if (n != NULL) {
		fs_inode_stat(fs, n, &st);
		timeout = fs_inode_timeout(fs, n);
	} else {
		ret = -ENOENT;
	}
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_attr(req, &st, timeout);
}

static void fs_op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct fs *fs = fs_req(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct fs_node *n;
	int ret = 0;

	log_debug(LOG_FS, "fs: access %llu %#o", (unsigned long long)ino, (unsigned)mask);
	pthread_mutex_lock(&fs->lock);
	n = fs_inode_get(fs, ino);
	if (n == NULL)
		ret = -ENOENT;
	else if ((mask & W_OK) && (n->kind == FS_MSG || n->kind == FS_PART || n->kind == FS_PARTS))
		ret = -EACCES; /* immutable; mailboxes and staged files are writable */
	else if ((mask & X_OK) && (n->kind == FS_MSG || n->kind == FS_PART || n->kind == FS_STAGED))
		ret = -EACCES; /* mode 0600 */
	else if (mask != F_OK && ctx->uid != 0 && ctx->uid != fs->cfg.uid)
		ret = -EACCES; /* modes are 0600/0700: only the owner */
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_err(req, -ret);
}

static void fs_op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fs *fs = fs_req(req);
	struct statvfs sv;
	bool refresh;

	(void)ino;
	log_debug(LOG_FS, "fs: statfs");
	/* Only what is known locally: df must never wait on the network. */
	pthread_mutex_lock(&fs->lock);
	refresh = fs_quota_statfs(fs, &sv);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_statfs(req, &sv);
	/* df has its answer; this thread now brings the quota up to date for
	 * the next one (quota.c). */
	if (refresh)
		fs_quota_refresh(fs);
}

/* ---- files ---- */

static void fs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_req(req);
	struct fs_node *n;
	int ret = 0;

	log_debug(LOG_FS, "fs: open %llu flags %#o", (unsigned long long)ino, (unsigned)fi->flags);
	pthread_mutex_lock(&fs->lock);
	n = fs_inode_get(fs, ino);
	if (n == NULL)
		ret = -ENOENT;
	else if (n->kind != FS_MSG && n->kind != FS_PART && n->kind != FS_STAGED)
		ret = -EISDIR;
	else if (n->kind != FS_STAGED &&
		 ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)))
		ret = -EPERM; /* messages are immutable (SPEC §4) */
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0) {
		fuse_reply_err(req, -ret);
		return;
	}
	/* Messages are immutable: what the page cache holds stays true
	 * across opens, and there is nothing to flush at close.  Where the
	 * kernel can, it opens files by itself from now on, with the page
	 * cache kept, and cp -r saves a round trip per file; opens for
	 * writing then fail at the first write (fs_op_write). */
	if (fs->no_open) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	fi->keep_cache = 1;
	fi->noflush = 1;
	fuse_reply_open(req, fi);
}

static void fs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct fs *fs = fs_req(req);
	const char *data = NULL;
	char *mem = NULL;
	size_t len = 0;
	int ret;

	(void)fi;
	log_debug(LOG_FS, "fs: read %llu %zu@%lld", (unsigned long long)ino, size, (long long)off);
	ret = fs_stage_read(fs, ino, size, off, &mem, &len);
	if (ret == 0)
		data = mem;
	else if (ret == -ENOENT)
		ret = fs_read(fs, ino, size, off, &mem, &data, &len);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_buf(req, data, len);
	free(mem);
}

static void fs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	log_debug(LOG_FS, "fs: release %llu", (unsigned long long)ino);
	fuse_reply_err(req, 0);
}

static void fs_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	int ret;

	(void)datasync;
	(void)fi;
	log_debug(LOG_FS, "fs: fsync %llu", (unsigned long long)ino);
	/* A staged message is appended now (SPEC §4); a message is on the
	 * server already. */
	ret = fs_stage_fsync(fs_req(req), ino);
	fuse_reply_err(req, ret == -ENOENT ? 0 : -ret);
}

/* ---- directories ---- */

static void fs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_dir *d = NULL;
	int ret;

	log_debug(LOG_FS, "fs: opendir %llu", (unsigned long long)ino);
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	struct fs *fs = fs_req(req);

	ret = fs_dir_open(fs, ino, &d);
	if (ret < 0) {
		fuse_reply_err(req, -ret);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	if (fuse_reply_open(req, fi) != 0)
		fs_dir_close(fs, &d); /* interrupted: no releasedir */
}

static void fs_readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			      struct fuse_file_info *fi, bool plus)
{
	struct fs_dir *d = (struct fs_dir *)(uintptr_t)fi->fh;
	size_t len = 0;
	char *buf;
	int ret;

	log_debug(LOG_FS, "fs: readdir%s %llu %zu@%lld", plus ? "plus" : "",
		  (unsigned long long)ino, size, (long long)off);
	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	ret = fs_dir_read(fs_req(req), d, req, plus, off, buf, size, &len);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_buf(req, buf, len);
	free(buf);
}

static void fs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			  struct fuse_file_info *fi)
{
	fs_readdir_common(req, ino, size, off, fi, false);
}

static void fs_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			      struct fuse_file_info *fi)
{
	fs_readdir_common(req, ino, size, off, fi, true);
}

static void fs_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_dir *d = (struct fs_dir *)(uintptr_t)fi->fh;

	log_debug(LOG_FS, "fs: releasedir %llu", (unsigned long long)ino);
	fs_dir_close(fs_req(req), &d);
	fuse_reply_err(req, 0);
}

static void fs_op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, 0);
}

/* ---- extended attributes ---- */

/* The size-probe protocol: size 0 asks for the length; a buffer too
 * small is ERANGE. */
static void fs_reply_xattr(fuse_req_t req, int ret, const char *val, size_t len, size_t size)
{
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else if (size == 0)
		fuse_reply_xattr(req, len);
	else if (len > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, val, len);
}

static void fs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	char *val = NULL;
	size_t len = 0;
	int ret;

	log_debug(LOG_FS, "fs: getxattr %llu \"%s\" %zu", (unsigned long long)ino, name, size);
	ret = fs_xattr_get(fs_req(req), ino, name, &val, &len);
	fs_reply_xattr(req, ret, val, len, size);
	free(val);
}

static void fs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	char *val = NULL;
	size_t len = 0;
	int ret;

	log_debug(LOG_FS, "fs: listxattr %llu %zu", (unsigned long long)ino, size);
	ret = fs_xattr_get(fs_req(req), ino, NULL, &val, &len);
	fs_reply_xattr(req, ret, val, len, size);
	free(val);
}

/* ---- changes (change.c, stage.c) ---- */

static void fs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			  struct fuse_file_info *fi)
{
	struct fs *fs = fs_req(req);
	struct fs_node *n;
	struct stat st;
	double timeout = 0;
	int ret;

	(void)fi;
	log_debug(LOG_FS, "fs: setattr %llu %#x", (unsigned long long)ino, (unsigned)to_set);
	ret = fs_stage_setattr(fs, ino, attr, to_set, &st);
	if (ret == 0) {
		fuse_reply_attr(req, &st, 0);
		return;
	}
	if (ret != -ENOENT) {
		fuse_reply_err(req, -ret);
		return;
	}
	ret = 0;
	pthread_mutex_lock(&fs->lock);
	n = fs_inode_get(fs, ino);
	if (n == NULL) {
		ret = -ENOENT;
	} else if (n->kind == FS_ROOT || n->kind == FS_MBOX) {
		/* rsync -a and cp -a set the mode and times of the
		 * directories they make: a mailbox has neither, and saying
		 * so would fail the whole copy.  Taken, and ignored. */
		if (to_set & FUSE_SET_ATTR_SIZE)
			ret = -EISDIR;
		else
			fs_inode_stat(fs, n, &st);
		timeout = fs_inode_timeout(fs, n);
	} else {
		/* Messages and their parts are immutable (SPEC §4). */
		ret = -EPERM;
	}
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_attr(req, &st, timeout);
}

static void fs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
			dev_t rdev)
{
	struct fuse_entry_param e;
	int ret;

	(void)rdev;
	log_debug(LOG_FS, "fs: mknod %llu \"%s\" %#o", (unsigned long long)parent, name,
		  (unsigned)mode);
	/* Only regular files: what create would make. */
	ret = S_ISREG(mode) ? fs_stage_create(fs_req(req), parent, name, &e) : -EPERM;
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_entry(req, &e);
}

static void fs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct fuse_entry_param e;
	int ret;

	(void)mode;
	log_debug(LOG_FS, "fs: mkdir %llu \"%s\"", (unsigned long long)parent, name);
	ret = fs_change_mkdir(fs_req(req), parent, name, &e);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_entry(req, &e);
}

static void fs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	log_debug(LOG_FS, "fs: unlink %llu \"%s\"", (unsigned long long)parent, name);
	fuse_reply_err(req, -fs_change_unlink(fs_req(req), parent, name));
}

static void fs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	log_debug(LOG_FS, "fs: rmdir %llu \"%s\"", (unsigned long long)parent, name);
	fuse_reply_err(req, -fs_change_rmdir(fs_req(req), parent, name));
}

static void fs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link;
	(void)parent;
	(void)name;
	fuse_reply_err(req, EPERM);
}

static void fs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
			 const char *newname, unsigned int flags)
{
	log_debug(LOG_FS, "fs: rename %llu \"%s\" to %llu \"%s\" %#x", (unsigned long long)parent,
		  name, (unsigned long long)newparent, newname, flags);
	fuse_reply_err(req, -fs_change_rename(fs_req(req), parent, name, newparent, newname, flags));
}

static void fs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino;
	(void)newparent;
	(void)newname;
	fuse_reply_err(req, EPERM);
}

static void fs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
			 struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	int ret;

	log_debug(LOG_FS, "fs: create %llu \"%s\" %#o", (unsigned long long)parent, name,
		  (unsigned)mode);
	ret = S_ISREG(mode) ? fs_stage_create(fs_req(req), parent, name, &e) : -EPERM;
	if (ret < 0) {
		fuse_reply_err(req, -ret);
		return;
	}
	/* The bytes live in the staged file: nothing of it in the page
	 * cache must outlive a change made here. */
	fi->keep_cache = 0;
	fi->fh = 0;
	if (fuse_reply_create(req, &e, fi) != 0) {
		/* Interrupted: the kernel will not use it; it settles and
		 * is judged like any other (an empty one is refused). */
		log_debug(LOG_FS, "fs: create \"%s\" interrupted", name);
	}
}

static void fs_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	int ret;

	(void)fi;
	log_debug(LOG_FS, "fs: write %llu %zu@%lld", (unsigned long long)ino, size, (long long)off);
	ret = fs_stage_write(fs_req(req), ino, buf, size, off);
	if (ret == -ENOENT)
		ret = -EPERM; /* messages are immutable */
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_write(req, (size_t)ret);
}

static void fs_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int ret;

	(void)fi;
	ret = fs_stage_flush(fs_req(req), ino);
	fuse_reply_err(req, ret == -ENOENT ? 0 : -ret);
}

static void fs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			   size_t size, int flags)
{
	log_debug(LOG_FS, "fs: setxattr %llu \"%s\"", (unsigned long long)ino, name);
	fuse_reply_err(req, -fs_change_setxattr(fs_req(req), ino, name, value, size, flags));
}

static void fs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino;
	fuse_reply_err(req, strncmp(name, "user.", 5) == 0 ? EPERM : EOPNOTSUPP);
}

static void fs_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
			    struct fuse_file_info *fi)
{
	(void)ino;
	(void)mode;
	(void)offset;
	(void)length;
	(void)fi;
	fuse_reply_err(req, EOPNOTSUPP);
}

/* ---- session ---- */

static void fs_op_init(void *userdata, struct fuse_conn_info *conn)
{
	/* Here, not in fs_new: fuse_daemonize forks in between, and threads
	 * do not survive a fork. */
	fs_prefetch_start(userdata);
	fs_notify_start(userdata);
	fs_stage_start(userdata);
	fs_watch_start(userdata);
	/* Attributes cost nothing here, so readdirplus saves the kernel a
	 * lookup per entry.  max_readahead is left as the kernel offered,
	 * and libfuse already sizes requests at up to 1 MiB (max_pages from
	 * max_write), so reads arrive large. */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	/* Always readdirplus, not the adaptive mode: the kernel's heuristic
	 * falls back to plain readdir after the first batch when nothing
	 * stats in between (cp -r reads the whole directory first), and
	 * every entry then costs a lookup. */
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	((struct fs *)userdata)->no_open = (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT) != 0;
	log_debug(LOG_FS, "fs: init: max_readahead %u, max_read %u, want %#x", conn->max_readahead,
		  conn->max_read, conn->want);
}

static void fs_op_destroy(void *userdata)
{
	/* Unmount or SIGTERM: staged messages are appended now, or kept
	 * for the next mount (SPEC §5). */
	/* The notifier first: the kernel is going, and what the appends
	 * would tell it could only fail on a closed device. */
	fs_watch_stop(userdata);
	fs_notify_stop(userdata);
	fs_stage_stop(userdata);
}

/* flush is there for staged files (a close must be able to say EINVAL);
 * for every other file it answers at once, without the network. */
static const struct fuse_lowlevel_ops fs_ops_table = {
    .init = fs_op_init,
    .destroy = fs_op_destroy,
    .flush = fs_op_flush,
    .lookup = fs_op_lookup,
    .forget = fs_op_forget,
    .forget_multi = fs_op_forget_multi,
    .getattr = fs_op_getattr,
    .setattr = fs_op_setattr,
    .mknod = fs_op_mknod,
    .mkdir = fs_op_mkdir,
    .unlink = fs_op_unlink,
    .rmdir = fs_op_rmdir,
    .symlink = fs_op_symlink,
    .rename = fs_op_rename,
    .link = fs_op_link,
    .open = fs_op_open,
    .read = fs_op_read,
    .write = fs_op_write,
    .release = fs_op_release,
    .fsync = fs_op_fsync,
    .opendir = fs_op_opendir,
    .readdir = fs_op_readdir,
    .readdirplus = fs_op_readdirplus,
    .releasedir = fs_op_releasedir,
    .fsyncdir = fs_op_fsyncdir,
    .statfs = fs_op_statfs,
    .setxattr = fs_op_setxattr,
    .getxattr = fs_op_getxattr,
    .listxattr = fs_op_listxattr,
    .removexattr = fs_op_removexattr,
    .access = fs_op_access,
    .create = fs_op_create,
    .fallocate = fs_op_fallocate,
};

const struct fuse_lowlevel_ops *fs_ops(void)
{
	return &fs_ops_table;
}

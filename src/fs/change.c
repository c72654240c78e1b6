/* fs change: SPEC §4 for what exists already — mkdir, rmdir and rename
 * of mailboxes, rm and mv of messages, and user.imap.flags.  New messages
 * are stage.c's.
 *
 * Every change is checked against the tree and listings we have (names,
 * emptiness, INBOX) before a byte goes to the server, then made with
 * UID-addressed commands only (never a plain EXPUNGE, which would also
 * remove what other clients marked \Deleted), on a connection whose
 * selected mailbox's UIDVALIDITY is the one the message was listed
 * under.  Afterwards the tree or listing is updated (tree: a fresh LIST;
 * messages: taken out here, the target listing marked for its cheap
 * resync) and names the kernel may still cache are invalidated (notify.c).
 *
 * After a broken connection.  STORE +FLAGS (\Deleted) and UID EXPUNGE of
 * one UID are idempotent: doing them again on a new connection is how rm
 * finds out, and a UID already gone is success.  A MOVE is atomic: on a
 * new connection, the source UID still there means it did not happen and
 * is retried once; gone means it did.  A COPY whose answer was lost is
 * looked for in the target by Message-ID; only when it is found is the
 * source removed, so the worst case is a copy left in the target (a
 * duplicate, logged), never a loss.
 *
 * Locking: fs->lock is taken to read and update nodes, never across the
 * network. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/xattr.h>

#include "imapfs/imap_pool.h"
#include "imapfs/imap_utf7.h"
#include "imapfs/log.h"
#include "imapfs/mail_name.h"

#include "fs_int.h"

#define FS_FLAGS_XATTR "user.imap.flags"

static bool change_is_inbox(const struct fs_mbox *m)
{
	return strcasecmp(m->raw, "INBOX") == 0;
}

/* ---- connections ---- */

static void change_stale(struct fs *fs, struct fs_mbox *m)
{
	pthread_mutex_lock(&fs->lock);
	fs_mbox_mark_old(m);
	pthread_mutex_unlock(&fs->lock);
}

/* A connection with m selected read-write into *cp (kept when already
 * there), its UIDVALIDITY checked against uidvalidity (0: not checked).
 * Call without fs->lock. */
static int change_conn(struct fs *fs, struct fs_mbox *m, uint32_t uidvalidity,
		       struct imap_conn **cp)
{
	struct imap_mbox_status st;
	int ret;

	if (*cp == NULL) {
		ret = imap_pool_get(fs->cfg.pool, m->raw, cp);
		if (ret < 0) {
			log_warnx("changing %s: cannot connect: %s", m->raw, strerror(-ret));
			return ret;
		}
	}
	/* Not forced fresh: while a mailbox is selected its UIDVALIDITY
	 * cannot change (a server must end the selection first). */
	ret = imap_conn_select(*cp, m->raw, false, &st);
	if (ret == 0 && uidvalidity != 0 && st.uidvalidity != uidvalidity) {
		log_info("UIDVALIDITY of %s changed; nothing changed, refreshing it", m->raw);
		change_stale(fs, m);
		return -ESTALE;
	}
	return ret;
}

/* Gives *cp back; after a failure, logs it with what. */
static void change_put(struct fs *fs, struct imap_conn **cp, int ret, const char *what)
{
	if (*cp == NULL)
		return;
	if (ret < 0 && ret != -ESTALE)
		fs_conn_log(*cp, ret, false, what);
	imap_pool_put(fs->cfg.pool, *cp);
	*cp = NULL;
}

/* Whether a failure left the command's outcome unknown. */
static bool change_ambiguous(struct imap_conn *c, int ret)
{
	return c != NULL && ret < 0 && imap_conn_is_broken(c) && imap_conn_cmd_sent(c);
}

/* Any connection, for commands that need no selected mailbox. */
static int change_any_conn(struct fs *fs, struct imap_conn **cp)
{
	int ret = imap_pool_get(fs->cfg.pool, NULL, cp);

	if (ret < 0)
		log_warnx("cannot connect: %s", strerror(-ret));
	return ret;
}

/* The errno a failed change gives the caller. */
static int change_errno(int err)
{
	if (err >= 0)
		return err;
	switch (err) {
	case -EEXIST:
	case -ENOENT:
	case -ESTALE:
	case -EACCES:
	case -EPERM:
	case -EINVAL:
	case -EOPNOTSUPP:
	case -EDQUOT:
	case -ENOSPC:
	case -EROFS:
	case -ENOTEMPTY:
	case -ENOMEM:
	case -EBUSY:
		return err;
	case -EAGAIN:
		return -EBUSY;
	default:
		return fs_errno_net(err);
	}
}

/* ---- folders ---- */

/* Checks name as a new mailbox in directory p and makes its raw name
 * (malloc'd) into *raw_r.  With fs->lock held. */
static int change_new_raw(struct fs *fs, struct fs_node *p, const char *name, char **raw_r)
{
	char delim = p->kind == FS_ROOT ? fs->delim : p->mbox->delim;
	char *enc = NULL;
	uint32_t uid;

	if (p->kind != FS_ROOT && p->kind != FS_MBOX)
		return p->kind == FS_PARTS ? -EPERM : -ENOTDIR;
	if (strlen(name) > FS_NAME_MAX)
		return -ENAMETOOLONG;
	/* Never a mailbox a desktop's probe would then find, nor one that
	 * would hide a message or a .parts directory. */
	if (fs_is_probe_name(name) || fs_parts_name(name) || mail_name_uid(name, &uid))
		return -EPERM;
	if (!fs_names_component_ok(name) || (delim != 0 && strchr(name, delim) != NULL))
		return -EINVAL;
	if (p->kind == FS_MBOX && delim == 0)
		return -EPERM; /* a flat namespace has no sub-mailboxes */
	if (imap_utf7_encode(name, &enc) < 0)
		return -EINVAL;
	if (p->kind == FS_ROOT)
		*raw_r = enc;
	else
		*raw_r = g_strdup_printf("%s%c%s", p->mbox->raw, delim, enc);
	if (p->kind != FS_ROOT)
		free(enc);
	return 0;
}

/* The directory node of a mailbox with raw name raw, after a LIST. */
static struct fs_node *change_find_dir(struct fs *fs, const char *raw)
{
	struct fs_mbox *m = g_hash_table_lookup(fs->mboxes, raw);

	return m != NULL && m->dir->linked ? m->dir : NULL;
}

int fs_change_mkdir(struct fs *fs, uint64_t parent, const char *name, struct fuse_entry_param *e)
{
	struct imap_conn *c = NULL;
	struct fs_node *p, *n;
	char *raw = NULL, err[256];
	int ret;

	pthread_mutex_lock(&fs->lock);
	p = fs_dir_get(fs, parent);
	if (p == NULL)
		ret = -ENOENT;
	else if (g_hash_table_lookup(p->children ? p->children : fs->mboxes, name) != NULL)
		ret = -EEXIST;
	else
		ret = change_new_raw(fs, p, name, &raw);
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0)
		return ret;

	ret = change_any_conn(fs, &c);
	if (ret == 0)
		ret = imap_conn_create(c, raw);
	/* Also after EEXIST: the server has it, the tree may not yet. */
	if (ret == 0 || ret == -EEXIST)
		(void)fs_mbox_tree_refresh_conn(fs, c, err, sizeof(err));
	change_put(fs, &c, ret, "CREATE");
	if (ret < 0 && ret != -EEXIST)
		goto out;
	pthread_mutex_lock(&fs->lock);
	n = change_find_dir(fs, raw);
	if (n != NULL && ret == 0)
		fs_inode_entry(fs, n, e);
	pthread_mutex_unlock(&fs->lock);
	if (ret == 0 && n == NULL) {
		log_warnx("created mailbox %s, but the server does not list it", raw);
		ret = -EIO;
	}
	if (ret == 0)
		log_info("created mailbox %s", raw);
out:
	g_free(raw);
	return change_errno(ret);
}

/* The mailbox shown as name in directory parent, with fs->lock held. */
static int change_child_mbox(struct fs *fs, uint64_t parent, const char *name, struct fs_mbox **m_r)
{
	struct fs_node *p = fs_dir_get(fs, parent), *d;

	if (p == NULL)
		return -ENOENT;
	if (p->kind != FS_ROOT && p->kind != FS_MBOX)
		return p->kind == FS_PARTS ? -EPERM : -ENOTDIR;
	d = g_hash_table_lookup(p->children, name);
	if (d == NULL)
		return -ENOENT;
	*m_r = d->mbox;
	return 0;
}

/* The mailbox name, and those under it (delim), are gone from the server
 * (DELETE, RENAME): no pooled session nor watcher stays in them. */
static void change_gone(struct fs *fs, const char *name, char delim)
{
	imap_pool_forget_mailbox(fs->cfg.pool, name, delim);
	fs_watch_forget(fs, name, delim);
}

int fs_change_rmdir(struct fs *fs, uint64_t parent, const char *name)
{
	struct imap_mbox_status st;
	struct imap_conn *c = NULL;
	struct fs_mbox *m = NULL;
	char err[256];
	bool noselect;
	int ret;

	pthread_mutex_lock(&fs->lock);
	ret = change_child_mbox(fs, parent, name, &m);
	if (ret == 0 && change_is_inbox(m))
		ret = -EPERM;
	else if (ret == 0 && g_hash_table_size(m->dir->children) > 0)
		ret = -ENOTEMPTY;
	else if (ret == 0 && fs_stage_count(fs, m) > 0)
		ret = -ENOTEMPTY;
	noselect = m != NULL && m->noselect;
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0)
		return ret;
	if (noselect && m != NULL && !m->present) {
		/* Only an implied level: nothing on the server to delete. */
		return -EPERM;
	}

	ret = change_any_conn(fs, &c);
	if (ret == 0 && !noselect) {
		/* Empty right now, as the server says: EXAMINE counts every
		 * message, including ones other clients just added.  IMAP has
		 * no "delete if empty", so this is as close as it gets. */
		ret = imap_conn_examine(c, m->raw, true, &st);
		if (ret == 0 && st.exists > 0)
			ret = -ENOTEMPTY;
	}
	if (ret == 0)
		ret = imap_conn_delete(c, m->raw);
	if (ret == 0)
		(void)fs_mbox_tree_refresh_conn(fs, c, err, sizeof(err));
	change_put(fs, &c, ret == -ENOTEMPTY ? 0 : ret, "DELETE");
	if (ret == -ENOTEMPTY)
		change_stale(fs, m);
	if (ret < 0)
		return change_errno(ret);
	log_info("deleted mailbox %s", m->raw);
	change_gone(fs, m->raw, 0);
	return 0;
}

/* After RENAME from to (and the LIST that followed): every mailbox that
 * went with it, from and those under it, points to the mailbox it is now
 * (moved_to).  The kernel has moved the directory entry to the old
 * directory, so until the notifier's invalidation lands a listing or a
 * lookup there must show the new mailbox, not an empty gone one. */
static void change_moved(struct fs *fs, const char *from, const char *to, char delim)
{
	GHashTableIter it;
	gpointer v;

	pthread_mutex_lock(&fs->lock);
	g_hash_table_iter_init(&it, fs->mboxes);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct fs_mbox *x = v, *y;
		char *now;

		if (!imap_mailbox_under(x->raw, from, delim) || x->dir->linked)
			continue;
		now = g_strconcat(to, x->raw + strlen(from), NULL);
		y = g_hash_table_lookup(fs->mboxes, now);
		if (y != NULL && y != x)
			x->moved_to = y;
		g_free(now);
	}
	pthread_mutex_unlock(&fs->lock);
}

static int change_rename_mbox(struct fs *fs, struct fs_mbox *m, uint64_t newparent,
			      const char *newname, unsigned flags)
{
	struct imap_conn *c = NULL;
	struct fs_node *np;
	char *to = NULL, *from, err[256];
	size_t fromlen;
	int ret = 0;

	pthread_mutex_lock(&fs->lock);
	np = fs_dir_get(fs, newparent);
	if (np == NULL)
		ret = -ENOENT;
	else if (change_is_inbox(m))
		ret = -EPERM;
	else if (fs_stage_count(fs, m) > 0)
		ret = -EBUSY; /* new messages are on their way into it */
	else if (np->kind != FS_ROOT && np->kind != FS_MBOX)
		ret = np->kind == FS_MSG ? -ENOTDIR : -EPERM;
	else if (g_hash_table_lookup(np->children, newname) != NULL)
		ret = (flags & RENAME_NOREPLACE) ? -EEXIST : -ENOTEMPTY;
	else
		ret = change_new_raw(fs, np, newname, &to);
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0)
		return ret;
	from = m->raw;
	fromlen = strlen(from);
	if (strncmp(to, from, fromlen) == 0 && to[fromlen] != '\0' && m->delim != 0 &&
	    to[fromlen] == m->delim) {
		g_free(to);
		return -EINVAL; /* into itself */
	}

	ret = change_any_conn(fs, &c);
	if (ret == 0)
		ret = imap_conn_rename(c, from, to);
	if (ret == 0)
		(void)fs_mbox_tree_refresh_conn(fs, c, err, sizeof(err));
	change_put(fs, &c, ret, "RENAME");
	if (ret == 0) {
		log_info("renamed mailbox %s to %s", from, to);
		change_moved(fs, from, to, m->delim);
		change_gone(fs, from, m->delim);
		/* The kernel moved its name to the old directory's inode; the
		 * new mailbox is another node. */
		fs_notify_entry(fs, newparent, newname);
	}
	g_free(to);
	return change_errno(ret);
}

/* ---- messages ---- */

/* The message shown as name in directory parent, with fs->lock held. */
static int change_child_msg(struct fs *fs, uint64_t parent, const char *name, struct fs_node **n_r)
{
	struct fs_node *p = fs_dir_get(fs, parent), *n;
	uint32_t uid;

	if (p == NULL)
		return -ENOENT;
	if (p->kind == FS_PARTS)
		return -EPERM;
	if (p->kind != FS_MBOX || p->mbox->noselect || !mail_name_uid(name, &uid))
		return -ENOENT;
	n = g_hash_table_lookup(p->mbox->msgs, GUINT_TO_POINTER(uid));
	if (n == NULL || strcmp(n->name, name) != 0)
		return -ENOENT;
	*n_r = n;
	return 0;
}

/* STORE +FLAGS.SILENT (\Deleted) and UID EXPUNGE of uid: both idempotent
 * and about that UID alone, so a broken connection is answered by doing
 * them again on a new one.  A UID already gone is success. */
static int change_expunge(struct fs *fs, struct fs_mbox *m, uint32_t uid, uint32_t uidvalidity)
{
	struct imap_conn *c = NULL;
	char what[300];
	int ret;

	snprintf(what, sizeof(what), "removing %s UID %u", m->raw, uid);
	for (int attempt = 0;; attempt++) {
		ret = change_conn(fs, m, uidvalidity, &c);
		if (ret == 0 && !imap_conn_has_cap(c, "UIDPLUS"))
			ret = -EOPNOTSUPP;
		if (ret == 0)
			ret = imap_conn_store(c, uid, "+FLAGS", "\\Deleted");
		if (ret == 0)
			ret = imap_conn_uid_expunge(c, uid);
		if (ret == -ENOENT)
			ret = 0; /* gone already: by us before a break, or by another client */
		if (ret == 0 || attempt > 0 || c == NULL || !imap_conn_is_broken(c)) {
			change_put(fs, &c, ret, what);
			return ret;
		}
		log_info("%s: the connection broke; doing it again on a new one", what);
		change_put(fs, &c, 0, what);
	}
}

int fs_change_unlink(struct fs *fs, uint64_t parent, const char *name)
{
	struct fs_mbox *m = NULL;
	struct fs_node *n = NULL;
	uint32_t uid = 0, uidvalidity = 0;
	int ret;

	ret = fs_stage_unlink(fs, parent, name);
	if (ret != -ENOENT)
		return ret;
	pthread_mutex_lock(&fs->lock);
	ret = change_child_msg(fs, parent, name, &n);
	if (ret == 0) {
		m = n->mbox;
		uid = n->uid;
		uidvalidity = n->uidvalidity;
	}
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0)
		return ret;

	ret = change_expunge(fs, m, uid, uidvalidity);
	if (ret < 0)
		return change_errno(ret);
	log_info("removed %s UID %u", m->raw, uid);
	pthread_mutex_lock(&fs->lock);
	n = g_hash_table_lookup(m->msgs, GUINT_TO_POINTER(uid));
	if (n != NULL && n->uidvalidity == uidvalidity)
		fs_mbox_remove_msg(fs, m, n);
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

/* After a COPY of m's uid whose answer was lost: whether the copy is in
 * dest, among the UIDs from dnext on (dest's UIDNEXT just before the
 * COPY, under UIDVALIDITY duv): 1, 0, or -errno when it cannot be known.
 * The source's bytes are compared, so that an older message that shares
 * the Message-ID is never taken for the copy. */
static int change_find_copy(struct fs *fs, struct fs_mbox *m, uint32_t uid, uint32_t uidvalidity,
			    time_t date, const char *id, struct fs_mbox *dest, uint32_t duv,
			    uint32_t dnext)
{
	struct imap_mbox_status st;
	struct imap_conn *c = NULL;
	char *data = NULL;
	size_t len = 0;
	int ret;

	ret = change_conn(fs, m, uidvalidity, &c);
	if (ret == 0)
		ret = fs_fetch_message(c, uid, &data, &len);
	if (ret == 0)
		ret = imap_conn_examine(c, dest->raw, true, &st);
	if (ret == 0 && st.uidvalidity != duv)
		ret = -ESTALE; /* another mailbox by now: cannot say */
	if (ret == 0)
		ret = fs_find_message(c, dnext, data, len, date, id);
	change_put(fs, &c, ret == -ESTALE ? 0 : ret, "looking for a copy");
	free(data);
	return ret < 0 ? ret : ret > 0;
}

static int change_exists_cb(void *arg, uint32_t uid, const char *flags)
{
	(void)uid;
	(void)flags;
	*(bool *)arg = true;
	return 0;
}

/* 1 when uid is in c's selected mailbox, 0 when not, or -errno. */
static int change_uid_exists(struct imap_conn *c, uint32_t uid)
{
	bool found = false;
	int ret = imap_conn_fetch_flags(c, uid, uid, 0, change_exists_cb, &found);

	return ret < 0 ? ret : found;
}

/* UID MOVE where offered, else COPY + STORE + UID EXPUNGE. */
static int change_move_msg(struct fs *fs, struct fs_mbox *m, uint32_t uid, uint32_t uidvalidity,
			   time_t date, const char *message_id, struct fs_mbox *dest)
{
	struct imap_conn *c = NULL;
	uint32_t nuv = 0, nuid = 0, duv = 0, dnext = 0;
	char what[600];
	int ret;

	snprintf(what, sizeof(what), "moving %s UID %u to %s", m->raw, uid, dest->raw);
	for (int attempt = 0;; attempt++) {
		ret = change_conn(fs, m, uidvalidity, &c);
		if (ret == 0 && !imap_conn_has_cap(c, "UIDPLUS"))
			ret = -EOPNOTSUPP;
		if (ret < 0) {
			change_put(fs, &c, ret, what);
			return ret;
		}
		if (imap_conn_has_cap(c, "MOVE")) {
			ret = imap_conn_move(c, uid, dest->raw, &nuv, &nuid);
			if (ret == 0 || !change_ambiguous(c, ret) || attempt > 0) {
				change_put(fs, &c, ret, what);
				return ret;
			}
			/* MOVE is atomic: if the UID is still in the source,
			 * it did not happen. */
			change_put(fs, &c, 0, what);
			ret = change_conn(fs, m, uidvalidity, &c);
			if (ret == 0)
				ret = change_uid_exists(c, uid);
			change_put(fs, &c, ret, what);
			if (ret == 0) {
				log_info("%s: the connection broke after MOVE; it happened", what);
				return 0;
			}
			if (ret < 0)
				return ret;
			log_info("%s: the connection broke before MOVE took effect; again", what);
			continue;
		}
		/* Where the copy would be if COPY's answer is lost. */
		ret = imap_conn_status(c, dest->raw, &duv, &dnext);
		if (ret == 0)
			ret = imap_conn_copy(c, uid, dest->raw, &nuv, &nuid);
		if (ret < 0 && dnext != 0 && change_ambiguous(c, ret)) {
			int found;

			change_put(fs, &c, 0, what);
			found = change_find_copy(fs, m, uid, uidvalidity, date, message_id, dest, duv,
						 dnext);
			if (found < 0) /* the look itself failed: once more */
				found = change_find_copy(fs, m, uid, uidvalidity, date, message_id,
							 dest, duv, dnext);
			if (found == 0 && attempt == 0) {
				log_info("%s: the connection broke during COPY, which did not "
					 "happen; again",
					 what);
				continue;
			}
			if (found <= 0) {
				/* The source stays as it is: nothing is lost,
				 * and if the COPY did happen unseen, dest has a
				 * duplicate. */
				log_warnx("%s: the connection broke during COPY and whether it "
					  "happened cannot be known; the message stays where it was",
					  what);
				return -EIO;
			}
			ret = change_conn(fs, m, uidvalidity, &c);
			if (ret < 0) {
				change_put(fs, &c, ret, what);
				ret = change_expunge(fs, m, uid, uidvalidity);
				return ret;
			}
		}
		if (ret < 0) {
			/* No copy made (or none known): the source stays. */
			change_put(fs, &c, ret, what);
			return ret;
		}
		/* The copy exists: the rest is idempotent. */
		ret = imap_conn_store(c, uid, "+FLAGS", "\\Deleted");
		if (ret == 0)
			ret = imap_conn_uid_expunge(c, uid);
		if (ret < 0 && c != NULL && imap_conn_is_broken(c)) {
			change_put(fs, &c, 0, what);
			ret = change_expunge(fs, m, uid, uidvalidity);
		}
		change_put(fs, &c, ret, what);
		return ret;
	}
}

static int change_rename_msg(struct fs *fs, struct fs_node *n, uint64_t parent, const char *name,
			     uint64_t newparent, const char *newname, unsigned flags)
{
	struct fs_mbox *m, *dest = NULL;
	struct fs_node *np;
	uint32_t uid = 0, uidvalidity = 0;
	char *message_id = NULL;
	time_t date = 0;
	int ret = 0;

	pthread_mutex_lock(&fs->lock);
	np = fs_dir_get(fs, newparent);
	m = n->mbox;
	if (np == NULL)
		ret = -ENOENT;
	else if (np->kind != FS_MBOX || np->mbox->noselect)
		ret = np->kind == FS_MSG ? -ENOTDIR : -EPERM;
	else if (np->mbox == m)
		ret = -EPERM; /* names come from the message */
	else if (flags & RENAME_EXCHANGE)
		ret = -EINVAL;
	if (ret == 0) {
		dest = np->mbox;
		uid = n->uid;
		uidvalidity = n->uidvalidity;
		message_id = n->message_id != NULL ? g_strdup(n->message_id) : NULL;
		date = n->internaldate;
	}
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0)
		return ret;

	ret = change_move_msg(fs, m, uid, uidvalidity, date, message_id, dest);
	g_free(message_id);
	if (ret < 0)
		return change_errno(ret);
	log_info("moved %s UID %u to %s", m->raw, uid, dest->raw);
	pthread_mutex_lock(&fs->lock);
	n = g_hash_table_lookup(m->msgs, GUINT_TO_POINTER(uid));
	if (n != NULL && n->uidvalidity == uidvalidity)
		fs_mbox_remove_msg(fs, m, n);
	fs_mbox_mark_old(dest); /* its next listing fetches the new UID */
	pthread_mutex_unlock(&fs->lock);
	/* The kernel now has newname for the old inode: the message shows
	 * under its canonical name instead. */
	(void)parent;
	(void)name;
	fs_notify_entry(fs, newparent, newname);
	return 0;
}

int fs_change_rename(struct fs *fs, uint64_t parent, const char *name, uint64_t newparent,
		     const char *newname, unsigned flags)
{
	struct fs_mbox *m = NULL;
	struct fs_node *n = NULL;
	int ret;

	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	ret = fs_stage_rename(fs, parent, name, newparent, newname, flags);
	if (ret != -ENOENT)
		return ret;
	if (strlen(newname) > FS_NAME_MAX)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&fs->lock);
	ret = change_child_mbox(fs, parent, name, &m);
	if (ret == -ENOENT)
		ret = change_child_msg(fs, parent, name, &n);
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0)
		return ret;
	if (m != NULL)
		return (flags & RENAME_EXCHANGE)
			   ? -EINVAL
			   : change_rename_mbox(fs, m, newparent, newname, flags);
	return change_rename_msg(fs, n, parent, name, newparent, newname, flags);
}

/* ---- flags ---- */

/* value as a normalized flag list: tokens separated by white space,
 * \Recent (which no client can set) left out, each one checked. */
static int change_parse_flags(const char *value, size_t size, GString *out)
{
	char *copy = g_strndup(value, size), **tok;
	int ret = 0;

	if (memchr(value, '\0', size) != NULL && strlen(copy) + 1 != size) {
		g_free(copy);
		return -EINVAL;
	}
	tok = g_strsplit_set(copy, " \t\n", -1);
	for (char **t = tok; *t != NULL; t++) {
		const char *f = *t;

		if (*f == '\0' || g_ascii_strcasecmp(f, "\\Recent") == 0)
			continue;
		for (const char *q = f; *q != '\0'; q++) {
			unsigned char ch = (unsigned char)*q;

			if (ch <= 0x20 || ch >= 0x7f || strchr("(){%*\"]", ch) != NULL ||
			    (ch == '\\' && q != f)) {
				ret = -EINVAL;
				goto out;
			}
		}
		if (out->len > 0)
			g_string_append_c(out, ' ');
		g_string_append(out, f);
	}
out:
	g_strfreev(tok);
	g_free(copy);
	return ret;
}

int fs_change_setxattr(struct fs *fs, uint64_t ino, const char *name, const char *value,
		       size_t size, int flags)
{
	GString *list;
	struct imap_conn *c = NULL;
	struct fs_mbox *m = NULL;
	struct fs_node *n;
	uint32_t uid = 0, uidvalidity = 0;
	char what[300];
	int ret = 0;

	ret = fs_stage_setxattr(fs, ino, name, value, size, flags);
	if (ret != -ENOENT)
		return ret;
	ret = 0;
	pthread_mutex_lock(&fs->lock);
	n = fs_inode_get(fs, ino);
	if (n == NULL)
		ret = -ENOENT;
	else if (strncmp(name, "user.", 5) != 0)
		ret = -EOPNOTSUPP;
	else if (n->kind != FS_MSG)
		ret = -EPERM;
	else if (strcmp(name, FS_FLAGS_XATTR) != 0)
		ret = strncmp(name, "user.imap.", 10) == 0 ? -EPERM : -EOPNOTSUPP;
	else if (flags & XATTR_CREATE)
		ret = -EEXIST;
	if (ret == 0) {
		m = n->mbox;
		uid = n->uid;
		uidvalidity = n->uidvalidity;
	}
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0)
		return ret;

	list = g_string_new(NULL);
	ret = change_parse_flags(value, size, list);
	snprintf(what, sizeof(what), "setting the flags of %s UID %u", m->raw, uid);
	for (int attempt = 0; ret == 0; attempt++) {
		ret = change_conn(fs, m, uidvalidity, &c);
		if (ret == 0) {
			char **tok = g_strsplit(list->str, " ", -1);

			for (char **t = tok; *t != NULL && ret == 0; t++)
				if (**t != '\0' && !imap_conn_flag_permanent(c, *t)) {
					log_warnx("%s: the server cannot keep \"%s\"", what, *t);
					ret = -EINVAL;
				}
			g_strfreev(tok);
		}
		if (ret == 0)
			ret = imap_conn_store(c, uid, "FLAGS", list->str);
		/* Replacing the flags is idempotent: once more after a break. */
		if (ret == 0 || attempt > 0 || c == NULL || !imap_conn_is_broken(c))
			break;
		change_put(fs, &c, 0, what);
	}
	change_put(fs, &c, ret == -EINVAL ? 0 : ret, what);
	if (ret == 0) {
		pthread_mutex_lock(&fs->lock);
		n = fs_inode_get(fs, ino);
		if (n != NULL) {
			free(n->flags);
			n->flags = strdup(list->str);
			if (n->flags == NULL)
				abort();
			/* A refresh under way may bring the old ones. */
			fs_mbox_mark_old(n->mbox);
			n->flags_seq = n->mbox->old_seq;
		}
		pthread_mutex_unlock(&fs->lock);
	}
	g_string_free(list, TRUE);
	return change_errno(ret);
}

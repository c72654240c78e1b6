/* fs mailboxes: the tree from LIST and each mailbox's message listing.
 *
 * Both refreshes follow one pattern: under fs->lock a thread marks the
 * object as refreshing and copies what it needs, drops the lock for the
 * network work, then takes the lock again to merge the result and wake
 * the threads that waited (fs->cond) instead of sending the same commands
 * again.  Waiters take the refresher's result as theirs.
 *
 * Listing refresh (SPEC §5: at the latest when a listing is list_ttl_s
 * old).  The first time, the saved index (cache_index.h) is loaded and
 * stands for the listing as it was.  Then EXAMINE, and
 *  - a full metadata UID FETCH 1:* when there is no listing (nor index)
 *    or UIDVALIDITY changed;
 *  - otherwise the cheap resync: metadata only for UIDs from the known
 *    UIDNEXT on; with CONDSTORE, flags changed since the known
 *    HIGHESTMODSEQ (UID FETCH (UID FLAGS) (CHANGEDSINCE)); without it, the
 *    flags of all known messages once, when the listing came from the
 *    index; and when the known plus new messages do not add up to EXISTS,
 *    the surviving UIDs (UID SEARCH, a compact ESEARCH set).  The cost is
 *    in proportion to the change, never a metadata re-fetch.
 * So without CONDSTORE flag changes of old messages made while mounted
 * show only at the next mount.  Merging keeps the node (and so the inode
 * number and the learned size) of every UID that is still there.
 *
 * After a refresh that changed the listing, its index is rewritten
 * (image built under fs->lock, written after dropping it, while the
 * mailbox is still marked refreshing so that two writes of one mailbox
 * never race).  A refresh that fails with a listing (in memory or from
 * the index) keeps serving it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/cache_block.h"
#include "imapfs/cache_index.h"
#include "imapfs/imap_pool.h"
#include "imapfs/log.h"
#include "imapfs/mail_name.h"

#include "fs_int.h"

/* One message as fetched, before it becomes a node. */
struct fs_meta {
	uint32_t uid;
	time_t internaldate;
	uint64_t size;
	char *flags;
	char *name;
	char *message_id;
};

/* What a listing refresh knows going in and brings back. */
struct fs_refresh {
	/* In: the listing as it was. */
	bool listed;
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint32_t server_count;
	uint64_t modseq;
	unsigned old_seq; /* the mailbox's old_seq when this refresh began */
	/* Out. */
	struct imap_mbox_status st;
	bool full;     /* metas is the whole mailbox */
	uint32_t lo;   /* UIDs below this are not wanted */
	GArray *metas; /* struct fs_meta */
	/* The saved listing, loaded for this refresh (the "in" fields above
	 * then come from it). */
	struct cache_index *idx;
	GArray *flagups; /* struct fs_flagup: flags of known messages */
	uint32_t *alive; /* after UID SEARCH: the UIDs that exist, ascending */
	size_t nalive;
	bool have_alive;
};

/* A known message's flags as the server has them now. */
struct fs_flagup {
	uint32_t uid;
	char *flags;
};

int fs_errno_net(int err)
{
	switch (err) {
	case -ENOENT:
	case -ESTALE:
	case -ENOMEM:
	case -EACCES:
		return err;
	default:
		/* SPEC §5: what the network cannot deliver fails with EIO. */
		return -EIO;
	}
}

void fs_conn_log(struct imap_conn *c, int err, bool retry, const char *what)
{
	const char *why = imap_conn_error(c)[0] ? imap_conn_error(c) : strerror(-err);

	/* A retried command is routine (an idle connection timed out), not
	 * something to warn about. */
	if (retry)
		log_info("%s: %s (trying a new connection)", what, why);
	else
		log_warnx("%s: %s", what, why);
}

bool fs_conn_retryable(struct imap_conn *c, int err)
{
	/* A server drops connections that sat idle in the pool; that shows
	 * as a reset or EOF on first use.  A timeout is not retried: the
	 * system call would wait twice the bound. */
	return imap_conn_is_broken(c) && (err == -ECONNRESET || err == -EPIPE);
}

bool fs_mbox_tree_old(const struct fs *fs)
{
	return g_get_monotonic_time() - fs->tree_checked_at >=
	       (gint64)fs->cfg.list_ttl_s * G_USEC_PER_SEC;
}

bool fs_mbox_listing_old(const struct fs *fs, const struct fs_mbox *m)
{
	return !m->listed || m->checked_at == 0 ||
	       g_get_monotonic_time() - m->checked_at >=
		   (gint64)fs->cfg.list_ttl_s * G_USEC_PER_SEC;
}

/* Takes a message out of its listing; the node lives on while the kernel
 * or a directory snapshot still holds it.  The caller removes it from
 * m->msgs. */
static void fs_mbox_unlink_msg(struct fs *fs, struct fs_mbox *m, struct fs_node *n)
{
	/* The kernel keeps names for attr_timeout_s: this one is gone. */
	fs_notify_entry(fs, m->dir->ino, n->name);
	n->linked = false;
	fs->nmsgs--;
	fs->nbytes -= n->size;
	m->bytes -= n->size;
	fs_inode_maybe_free(fs, n);
}

void fs_mbox_remove_msg(struct fs *fs, struct fs_mbox *m, struct fs_node *n)
{
	if (!n->linked || g_hash_table_lookup(m->msgs, GUINT_TO_POINTER(n->uid)) != n)
		return;
	if (m->gone == NULL)
		m->gone = g_hash_table_new(NULL, NULL);
	g_hash_table_add(m->gone, GUINT_TO_POINTER(n->uid));
	g_hash_table_remove(m->msgs, GUINT_TO_POINTER(n->uid));
	if (m->server_count > 0)
		m->server_count--;
	fs_mbox_unlink_msg(fs, m, n);
}

static void fs_mbox_drop_listing(struct fs *fs, struct fs_mbox *m)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, m->msgs);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		g_hash_table_iter_remove(&it);
		fs_mbox_unlink_msg(fs, m, v);
	}
	m->listed = false;
	fs_mbox_mark_old(m);
	if (m->gone != NULL)
		g_hash_table_remove_all(m->gone);
	/* Its index goes too (the caller removes the file); nothing of the
	 * old listing may come back. */
	m->index_tried = true;
}

/* ---- the tree ---- */

static int fs_mbox_list(struct fs *fs, struct imap_list_entry **v_r, size_t *n_r, char *err,
			size_t errlen)
{
	struct imap_conn *c = NULL;
	int ret;

	for (int attempt = 0;; attempt++) {
		bool retry;

		ret = imap_pool_get(fs->cfg.pool, NULL, &c);
		if (ret < 0) {
			snprintf(err, errlen, "cannot connect to the server: %s", strerror(-ret));
			return ret;
		}
		ret = imap_conn_list(c, v_r, n_r);
		retry = ret < 0 && attempt == 0 && fs_conn_retryable(c, ret);
		if (ret < 0) {
			snprintf(err, errlen, "LIST failed: %s",
				 imap_conn_error(c)[0] ? imap_conn_error(c) : strerror(-ret));
			if (retry)
				fs_conn_log(c, ret, retry, "LIST");
		}
		imap_pool_put(fs->cfg.pool, c);
		if (!retry)
			return ret;
	}
}

static void fs_mbox_unlink_dir(struct fs_mbox *m)
{
	struct fs_node *d = m->dir;

	if (d->linked && d->parent != NULL &&
	    g_hash_table_lookup(d->parent->children, d->name) == d)
		g_hash_table_remove(d->parent->children, d->name);
	d->linked = false;
}

/* Finds or makes the directory for the raw mailbox name raw, shown as
 * comp under parent.  NULL when another mailbox already has that name
 * there in this generation. */
static struct fs_node *fs_mbox_attach(struct fs *fs, struct fs_node *parent, const char *comp,
				      const char *raw, unsigned gen)
{
	struct fs_node *child = g_hash_table_lookup(parent->children, comp);
	struct fs_mbox *m;

	if (child != NULL) {
		if (strcmp(child->mbox->raw, raw) == 0) {
			child->mbox->tree_seen = gen;
			return child;
		}
		if (child->mbox->tree_seen == gen)
			return NULL;
		/* The name belonged to a mailbox this LIST has not (yet)
		 * shown; the one LIST shows first wins. */
		fs_mbox_unlink_dir(child->mbox);
	}
	m = g_hash_table_lookup(fs->mboxes, raw);
	if (m == NULL) {
		m = calloc(1, sizeof(*m));
		if (m == NULL)
			abort();
		m->raw = strdup(raw);
		if (m->raw == NULL)
			abort();
		m->msgs = g_hash_table_new(NULL, NULL);
		m->noselect = true; /* until a LIST entry of its own says otherwise */
		m->dir = fs_inode_new(fs, FS_MBOX, comp, parent);
		m->dir->mbox = m;
		g_hash_table_insert(fs->mboxes, m->raw, m);
	} else {
		fs_mbox_unlink_dir(m);
		/* Same raw name, so normally the same place; a server that
		 * changed its delimiter may have moved it. */
		m->dir->parent = parent;
		if (strcmp(m->dir->name, comp) != 0) {
			free(m->dir->name);
			m->dir->name = strdup(comp);
			if (m->dir->name == NULL)
				abort();
		}
	}
	m->dir->linked = true;
	m->moved_to = NULL; /* its own again */
	g_hash_table_insert(parent->children, m->dir->name, m->dir);
	m->tree_seen = gen;
	return m->dir;
}

/* Adds one LIST entry (all its levels) to the tree. */
static void fs_mbox_tree_add(struct fs *fs, const struct imap_list_entry *e, unsigned gen)
{
	struct fs_names_path p;
	struct fs_node *dir = fs->root;
	const char *why;
	size_t i;

	if (fs_names_split(e->name, e->delim, &p, &why) < 0) {
		/* The name is hostile or broken: escape it for the log. */
		char *esc = g_strescape(e->name, NULL);

		log_warnx("skipping mailbox \"%s\": %s", esc, why);
		g_free(esc);
		return;
	}
	for (i = 0; i < p.n; i++) {
		if (fs_is_probe_name(p.comp[i])) {
			log_warnx("skipping mailbox \"%s\": \"%s\" is a name reserved for what "
				  "desktops probe",
				  e->name, p.comp[i]);
			goto out;
		}
	}
	/* The first delimiter a LIST shows is the one new top-level
	 * mailboxes get (RFC 3501 §6.3.8: one per namespace). */
	if (fs->delim == 0)
		fs->delim = e->delim;
	for (i = 0; i < p.n; i++) {
		char *raw = strndup(e->name, p.rawlen[i]);

		if (raw == NULL)
			abort();
		dir = fs_mbox_attach(fs, dir, p.comp[i], raw, gen);
		free(raw);
		if (dir == NULL) {
			log_warnx("skipping mailbox \"%s\": another mailbox is already shown as "
				  "\"%s\"",
				  e->name, p.comp[i]);
			goto out;
		}
		dir->mbox->delim = e->delim;
	}
	dir->mbox->present = true;
	/* RFC 5258: \NonExistent implies \Noselect. */
	dir->mbox->noselect = (e->flags & (IMAP_LIST_NOSELECT | IMAP_LIST_NONEXISTENT)) != 0;
out:
	fs_names_path_clear(&p);
}

/* Mark and sweep: what this LIST did not show leaves the tree.  Raw names
 * whose cached content must go are added to drop. */
static void fs_mbox_tree_merge(struct fs *fs, const struct imap_list_entry *v, size_t n,
			       GPtrArray *drop)
{
	unsigned gen = ++fs->gen;
	GHashTableIter it;
	gpointer val;

	g_hash_table_iter_init(&it, fs->mboxes);
	while (g_hash_table_iter_next(&it, NULL, &val))
		((struct fs_mbox *)val)->present = false;
	for (size_t i = 0; i < n; i++)
		fs_mbox_tree_add(fs, &v[i], gen);

	g_hash_table_iter_init(&it, fs->mboxes);
	while (g_hash_table_iter_next(&it, NULL, &val)) {
		struct fs_mbox *m = val;

		if (m->tree_seen != gen) {
			if (m->dir->linked)
				log_info("mailbox %s is gone", m->raw);
			fs_mbox_unlink_dir(m);
		}
		if (!m->present)
			m->noselect = true; /* only an implied level now */
		if ((m->tree_seen != gen || m->noselect) && m->listed) {
			fs_mbox_drop_listing(fs, m);
			g_ptr_array_add(drop, g_strdup(m->raw));
		}
	}
}

/* c: the connection to LIST on (after a change made on it), else NULL:
 * one from the pool, and a refresh under way stands for this one. */
static int fs_mbox_tree_refresh_on(struct fs *fs, struct imap_conn *c, bool force, char *err,
				   size_t errlen)
{
	struct imap_list_entry *v = NULL;
	GPtrArray *drop;
	size_t n = 0;
	int ret;

	pthread_mutex_lock(&fs->lock);
	if (fs->tree_refreshing) {
		ret = 0;
		while (fs->tree_refreshing && ret == 0)
			ret = fs_wait(fs);
		if (ret == 0)
			ret = fs->tree_err;
		if (c == NULL || fs->tree_refreshing) {
			pthread_mutex_unlock(&fs->lock);
			if (ret < 0)
				snprintf(err, errlen, "listing mailboxes failed: %s",
					 strerror(-ret));
			return ret;
		}
	}
	if (!force && !fs_mbox_tree_old(fs)) {
		pthread_mutex_unlock(&fs->lock);
		return 0;
	}
	fs->tree_refreshing = true;
	pthread_mutex_unlock(&fs->lock);

	if (c != NULL) {
		ret = imap_conn_list(c, &v, &n);
		if (ret < 0)
			snprintf(err, errlen, "LIST failed: %s",
				 imap_conn_error(c)[0] ? imap_conn_error(c) : strerror(-ret));
	} else {
		ret = fs_mbox_list(fs, &v, &n, err, errlen);
	}

	drop = g_ptr_array_new_with_free_func(g_free);
	pthread_mutex_lock(&fs->lock);
	if (ret == 0)
		fs_mbox_tree_merge(fs, v, n, drop);
	/* A failure also waits list_ttl_s before the next try: while the
	 * server is away, listings are served from what we have. */
	fs->tree_checked_at = g_get_monotonic_time();
	fs->tree_err = ret;
	fs->tree_seq++;
	fs->tree_refreshing = false;
	pthread_cond_broadcast(&fs->cond);
	pthread_mutex_unlock(&fs->lock);

	for (guint i = 0; i < drop->len; i++) {
		cache_block_drop_mailbox(fs->cfg.cache, drop->pdata[i]);
		if (fs->cfg.cache_dir != NULL)
			cache_index_remove(fs->cfg.cache_dir, drop->pdata[i]);
	}
	g_ptr_array_free(drop, TRUE);
	if (ret < 0)
		log_warnx("%s", err);
	else
		log_debug(LOG_FS, "fs: LIST gave %zu mailboxes", n);
	imap_list_free(&v, n);
	return ret;
}

int fs_mbox_tree_refresh(struct fs *fs, bool force, char *err, size_t errlen)
{
	return fs_mbox_tree_refresh_on(fs, NULL, force, err, errlen);
}

int fs_mbox_tree_refresh_conn(struct fs *fs, struct imap_conn *c, char *err, size_t errlen)
{
	return fs_mbox_tree_refresh_on(fs, c, true, err, errlen);
}

/* ---- message listings ---- */

static void fs_meta_clear(gpointer p)
{
	struct fs_meta *mm = p;

	free(mm->flags);
	free(mm->name);
	free(mm->message_id);
}

/* The flags as shown in user.imap.flags: \Recent is left out, because it
 * belongs to whichever session saw the message first and can never be
 * stored, while the attribute is meant to be written back (SPEC §4). */
static char *fs_mbox_flags(const char *flags)
{
	char **v = g_strsplit(flags != NULL ? flags : "", " ", -1);
	GString *s = g_string_new(NULL);

	for (char **f = v; *f != NULL; f++) {
		if ((*f)[0] == '\0' || g_ascii_strcasecmp(*f, "\\Recent") == 0)
			continue;
		if (s->len > 0)
			g_string_append_c(s, ' ');
		g_string_append(s, *f);
	}
	g_strfreev(v);
	return g_string_free(s, FALSE);
}

static int fs_mbox_meta_cb(void *arg, const struct imap_msg_meta *im)
{
	struct fs_refresh *r = arg;
	struct fs_meta mm = {0};
	char *subject, *flags;

	/* "UID FETCH n:*" with n above every UID returns the last message;
	 * and a hostile server may return anything. */
	if (im->uid < r->lo || im->uid == 0)
		return 0;
	mm.uid = im->uid;
	mm.internaldate = im->internaldate;
	/* st_size is an off_t, and the totals of statfs must not wrap. */
	mm.size = im->size > INT64_MAX ? INT64_MAX : im->size;
	/* Flags are freed with free(): leave GLib's allocator at the door. */
	flags = fs_mbox_flags(im->flags);
	mm.flags = strdup(flags);
	g_free(flags);
	subject = mail_name_subject(im->headers, im->headers_len);
	mm.name = mail_name_file(im->internaldate, subject, im->uid);
	free(subject);
	mm.message_id = mail_name_message_id(im->headers, im->headers_len);
	if (mm.flags == NULL || mm.name == NULL)
		abort();
	g_array_append_val(r->metas, mm);
	return 0;
}

static void fs_flagup_clear(gpointer p)
{
	free(((struct fs_flagup *)p)->flags);
}

static int fs_mbox_flags_cb(void *arg, uint32_t uid, const char *flags)
{
	struct fs_refresh *r = arg;
	struct fs_flagup fu = {.uid = uid};
	char *f;

	if (uid >= r->lo)
		return 0; /* a new message: its metadata says it all */
	f = fs_mbox_flags(flags);
	fu.flags = strdup(f);
	g_free(f);
	if (fu.flags == NULL)
		abort();
	g_array_append_val(r->flagups, fu);
	return 0;
}

/* Resets what a previous attempt brought back. */
static void fs_refresh_reset(struct fs_refresh *r)
{
	g_array_set_size(r->metas, 0);
	g_array_set_size(r->flagups, 0);
	free(r->alive);
	r->alive = NULL;
	r->nalive = 0;
	r->have_alive = false;
}

static int fs_mbox_fetch_once(struct imap_conn *c, const char *raw, struct fs_refresh *r)
{
	uint64_t modseq;
	int ret;

	ret = imap_conn_examine(c, raw, true, &r->st);
	if (ret < 0)
		return ret;
	fs_refresh_reset(r);
	r->full = !r->listed || r->st.uidvalidity != r->uidvalidity;
	if (r->full) {
		r->lo = 1;
		if (r->st.exists == 0)
			return 0;
		return imap_conn_fetch_meta(c, 1, 0, fs_mbox_meta_cb, r);
	}
	/* New messages: everything from the known UIDNEXT on. */
	r->lo = r->uidnext != 0 ? r->uidnext : 1;
	if (!(r->st.exists == r->server_count && r->st.uidnext != 0 && r->st.uidnext <= r->lo)) {
		ret = imap_conn_fetch_meta(c, r->lo, 0, fs_mbox_meta_cb, r);
		if (ret < 0)
			return ret;
	}
	/* Flags of the known ones: what changed since the known
	 * HIGHESTMODSEQ under CONDSTORE, else all of them (issue 6: a full
	 * UID/FLAGS comparison; ~40 bytes a message). */
	modseq = r->st.highestmodseq;
	if (r->lo > 1) {
		if (modseq != 0 && r->modseq != 0 && modseq != r->modseq)
			ret =
			    imap_conn_fetch_flags(c, 1, r->lo - 1, r->modseq, fs_mbox_flags_cb, r);
		else if (modseq == 0 || r->modseq == 0)
			ret = imap_conn_fetch_flags(c, 1, r->lo - 1, 0, fs_mbox_flags_cb, r);
		if (ret < 0)
			return ret;
	}
	/* Expunges: known + new must add up to EXISTS, or we ask which UIDs
	 * are left.  The bound only stops a hostile answer. */
	if ((uint64_t)r->server_count + r->metas->len != r->st.exists) {
		ret = imap_conn_search_uids(c, (size_t)r->st.exists * 2 + 65536, &r->alive,
					    &r->nalive);
		if (ret < 0)
			return ret;
		r->have_alive = true;
	}
	return 0;
}

static int fs_mbox_fetch(struct fs *fs, const char *raw, struct fs_refresh *r)
{
	struct imap_conn *c = NULL;
	int ret;

	for (int attempt = 0;; attempt++) {
		bool retry;

		ret = imap_pool_get(fs->cfg.pool, raw, &c);
		if (ret < 0) {
			log_warnx("listing %s: cannot connect: %s", raw, strerror(-ret));
			return ret;
		}
		ret = fs_mbox_fetch_once(c, raw, r);
		retry = ret < 0 && attempt == 0 && fs_conn_retryable(c, ret);
		if (ret < 0) {
			char what[300];

			snprintf(what, sizeof(what), "listing %s", raw);
			fs_conn_log(c, ret, retry, what);
		}
		imap_pool_put(fs->cfg.pool, c);
		if (!retry)
			return ret;
	}
}

/* With fs->lock held: adds one message to m's listing as a node, which
 * takes flags and message_id.  False (and they are freed) when its name is
 * taken by a sub-mailbox. */
static bool fs_mbox_add_msg(struct fs *fs, struct fs_mbox *m, const char *name, uint32_t uid,
			    uint32_t uidvalidity, uint64_t size, bool size_exact, time_t date,
			    char *flags, char *message_id, unsigned gen)
{
	struct fs_node *n;

	if (g_hash_table_contains(m->dir->children, name)) {
		log_warnx("%s: message file \"%s\" is hidden by the sub-mailbox of that name",
			  m->raw, name);
		free(flags);
		free(message_id);
		return false;
	}
	n = fs_inode_new(fs, FS_MSG, name, m->dir);
	n->mbox = m;
	n->uid = uid;
	n->uidvalidity = uidvalidity;
	n->size = size;
	n->size_exact = size_exact;
	n->internaldate = date;
	n->flags = flags;
	n->message_id = message_id;
	n->linked = true;
	n->seen = gen;
	g_hash_table_insert(m->msgs, GUINT_TO_POINTER(n->uid), n);
	fs->nmsgs++;
	fs->nbytes += n->size;
	m->bytes += n->size;
	return true;
}

void fs_mbox_add_new(struct fs *fs, struct fs_mbox *m, const char *name, uint32_t uid,
		     uint32_t uidvalidity, uint64_t size, time_t date, const char *flags,
		     const char *message_id)
{
	char *f, *id = NULL;

	if (!m->listed || m->uidvalidity != uidvalidity ||
	    g_hash_table_contains(m->msgs, GUINT_TO_POINTER(uid)))
		return;
	f = strdup(flags);
	if (f == NULL || (message_id != NULL && (id = strdup(message_id)) == NULL))
		abort();
	/* The listing's next resync fetches it again (its UID is not below
	 * UIDNEXT yet) and keeps this node. */
	fs_mbox_add_msg(fs, m, name, uid, uidvalidity, size, true, date, f, id, ++fs->gen);
}

static char *fs_strdup_or_null(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		abort();
	return d;
}

/* With fs->lock held: makes the saved index m's listing (m has none). */
static void fs_mbox_install_index(struct fs *fs, struct fs_mbox *m, const struct cache_index *idx)
{
	const struct cache_index_head *h = cache_index_head(idx);
	unsigned gen = ++fs->gen;

	for (size_t i = 0; i < cache_index_count(idx); i++) {
		struct cache_index_msg im;

		cache_index_get(idx, i, &im);
		if (g_hash_table_contains(m->msgs, GUINT_TO_POINTER(im.uid)))
			continue; /* a damaged index cannot list a UID twice */
		fs_mbox_add_msg(fs, m, im.name, im.uid, h->uidvalidity, im.size, im.size_exact,
				im.internaldate, fs_strdup_or_null(im.flags),
				fs_strdup_or_null(im.message_id), gen);
	}
	m->uidvalidity = h->uidvalidity;
	m->uidnext = h->uidnext;
	m->server_count = h->exists;
	m->modseq = h->highestmodseq;
	m->listed = true;
}

static bool fs_uid_in(const uint32_t *v, size_t n, uint32_t uid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] == uid)
			return true;
		if (v[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* With fs->lock held: makes r the listing of m.  Sets *drop_r when the
 * mailbox's cached content is no longer valid; returns true when the
 * listing changed (so its index is to be rewritten). */
static bool fs_mbox_merge(struct fs *fs, struct fs_mbox *m, struct fs_refresh *r, bool *drop_r)
{
	unsigned gen;
	uint32_t maxuid = 0;
	bool changed = false;

	*drop_r = false;
	if (!m->listed && r->idx != NULL && !r->full) {
		fs_mbox_install_index(fs, m, r->idx);
	} else if (r->idx != NULL) {
		log_info("UIDVALIDITY of %s changed (%u to %u) since its index was saved: "
			 "dropping it",
			 m->raw, cache_index_head(r->idx)->uidvalidity, r->st.uidvalidity);
		*drop_r = true;
	}
	gen = ++fs->gen;
	if (m->listed && r->st.uidvalidity != m->uidvalidity) {
		log_info("UIDVALIDITY of %s changed (%u to %u): dropping its listing and cache",
			 m->raw, m->uidvalidity, r->st.uidvalidity);
		fs_mbox_drop_listing(fs, m);
		*drop_r = true;
	}
	for (guint i = 0; i < r->metas->len; i++) {
		struct fs_meta *mm = &g_array_index(r->metas, struct fs_meta, i);
		struct fs_node *n = g_hash_table_lookup(m->msgs, GUINT_TO_POINTER(mm->uid));

		if (mm->uid > maxuid)
			maxuid = mm->uid;
		if (n != NULL) {
			/* Flags set here after the server was asked stand. */
			if (n->flags_seq <= r->old_seq) {
				if (strcmp(n->flags, mm->flags) != 0)
					changed = true;
				free(n->flags);
				n->flags = mm->flags;
				mm->flags = NULL;
			}
			if (!n->size_exact && n->size != mm->size) {
				fs->nbytes += mm->size - n->size;
				m->bytes += mm->size - n->size;
				n->size = mm->size;
				changed = true;
			}
			n->seen = gen;
			continue;
		}
		if (m->gone != NULL && g_hash_table_contains(m->gone, GUINT_TO_POINTER(mm->uid)))
			continue; /* expunged here while this refresh ran */
		changed = true;
		/* The node takes the strings (or they are freed). */
		fs_mbox_add_msg(fs, m, mm->name, mm->uid, r->st.uidvalidity, mm->size, false,
				mm->internaldate, mm->flags, mm->message_id, gen);
		mm->flags = NULL;
		mm->message_id = NULL;
	}
	for (guint i = 0; i < r->flagups->len; i++) {
		struct fs_flagup *fu = &g_array_index(r->flagups, struct fs_flagup, i);
		struct fs_node *n = g_hash_table_lookup(m->msgs, GUINT_TO_POINTER(fu->uid));

		if (n == NULL || n->flags_seq > r->old_seq || strcmp(n->flags, fu->flags) == 0)
			continue;
		free(n->flags);
		n->flags = fu->flags;
		fu->flags = NULL;
		changed = true;
	}
	if (r->full || r->have_alive) {
		GHashTableIter it;
		gpointer v;

		g_hash_table_iter_init(&it, m->msgs);
		while (g_hash_table_iter_next(&it, NULL, &v)) {
			struct fs_node *n = v;

			if (r->full ? n->seen == gen : fs_uid_in(r->alive, r->nalive, n->uid))
				continue;
			/* Appended here after the server was asked. */
			if (r->st.uidnext != 0 && n->uid >= r->st.uidnext)
				continue;
			g_hash_table_iter_remove(&it);
			fs_mbox_unlink_msg(fs, m, n);
			changed = true;
		}
	}
	/* The next incremental fetch starts above everything known; a
	 * server that did not say UIDNEXT is covered by the UIDs seen. */
	m->uidvalidity = r->st.uidvalidity;
	m->uidnext = r->st.uidnext;
	if (maxuid != UINT32_MAX && maxuid + 1 > m->uidnext)
		m->uidnext = maxuid + 1;
	if (!r->full && r->uidnext > m->uidnext)
		m->uidnext = r->uidnext;
	m->server_count = r->st.exists;
	if (r->have_alive) {
		/* What the listing accounts for: the survivors below UIDNEXT
		 * (one that arrived after the metadata fetch comes next time). */
		size_t k = 0;

		while (k < r->nalive && r->alive[k] < m->uidnext)
			k++;
		m->server_count = (uint32_t)k;
	}
	if (m->modseq != r->st.highestmodseq || r->full)
		changed = true;
	m->modseq = r->st.highestmodseq;
	m->listed = true;
	m->listed_wall = time(NULL);
	return changed;
}

/* With fs->lock held: the image of m's index, or NULL without a cache
 * directory. */
static struct cache_index_writer *fs_mbox_index_image(struct fs *fs, struct fs_mbox *m)
{
	struct cache_index_head h = {
	    .uidvalidity = m->uidvalidity,
	    .uidnext = m->uidnext,
	    .exists = m->server_count,
	    .highestmodseq = m->modseq,
	};
	struct cache_index_writer *w;
	size_t strbytes = 0;
	GHashTableIter it;
	gpointer v;

	if (fs->cfg.cache_dir == NULL || !m->listed || m->uidvalidity == 0)
		return NULL;
	w = cache_index_writer_new(m->raw, &h);
	g_hash_table_iter_init(&it, m->msgs);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		const struct fs_node *n = v;

		strbytes += strlen(n->flags) + strlen(n->name) +
			    (n->message_id != NULL ? strlen(n->message_id) : 0);
	}
	cache_index_writer_reserve(w, g_hash_table_size(m->msgs), strbytes);
	g_hash_table_iter_init(&it, m->msgs);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		const struct fs_node *n = v;
		struct cache_index_msg im = {
		    .uid = n->uid,
		    .size_exact = n->size_exact,
		    .internaldate = n->internaldate,
		    .size = n->size,
		    .flags = n->flags,
		    .name = n->name,
		    .message_id = n->message_id,
		};

		/* A UID at or above UIDNEXT would make the file invalid; a
		 * server that lowered UIDNEXT gets no index. */
		if (n->uid >= h.uidnext || cache_index_writer_add(w, &im) < 0) {
			cache_index_writer_free(&w);
			return NULL;
		}
	}
	return w;
}

/* Loads m's saved index into r (no lock held: disk I/O). */
static void fs_mbox_load_index(struct fs *fs, struct fs_mbox *m, struct fs_refresh *r)
{
	const struct cache_index_head *h;
	int ret;

	ret = cache_index_load(fs->cfg.cache_dir, m->raw, &r->idx);
	if (ret == -EBADMSG) {
		log_warnx("%s: the saved index is damaged or of another version; rebuilding it "
			  "from the server",
			  m->raw);
		cache_index_remove(fs->cfg.cache_dir, m->raw);
	} else if (ret < 0 && ret != -ENOENT) {
		log_warnx("%s: cannot read the saved index: %s", m->raw, strerror(-ret));
	}
	if (ret < 0)
		return;
	h = cache_index_head(r->idx);
	r->listed = true;
	r->uidvalidity = h->uidvalidity;
	r->uidnext = h->uidnext;
	r->server_count = h->exists;
	r->modseq = h->highestmodseq;
	log_debug(LOG_FS, "fs: %s: %zu messages from the saved index", m->raw,
		  cache_index_count(r->idx));
}

int fs_mbox_listing(struct fs *fs, struct fs_mbox *m, bool fresh)
{
	struct fs_refresh r = {0};
	struct cache_index_writer *w = NULL;
	bool drop = false, changed = false, load_index;
	unsigned old_seq;
	guint nfetched;
	int ret = 0;

	pthread_mutex_lock(&fs->lock);
	if (m->noselect || (m->listed && !(fresh && fs_mbox_listing_old(fs, m))))
		goto out_unlock;
	if (m->refreshing) {
		/* Past the deadline, what is listed serves (SPEC §5). */
		while (m->refreshing && ret == 0)
			ret = fs_wait(fs);
		ret = m->listed ? 0 : ret < 0 ? ret : m->refresh_err;
		goto out_unlock;
	}
	m->refreshing = true;
	old_seq = m->old_seq;
	r.old_seq = old_seq;
	r.listed = m->listed;
	r.uidvalidity = m->uidvalidity;
	r.uidnext = m->uidnext;
	r.server_count = m->server_count;
	r.modseq = m->modseq;
	load_index = !m->listed && !m->index_tried && fs->cfg.cache_dir != NULL;
	m->index_tried = true;
	pthread_mutex_unlock(&fs->lock);

	/* m->raw never changes, so it is safe to use unlocked. */
	if (load_index)
		fs_mbox_load_index(fs, m, &r);
	r.metas = g_array_new(FALSE, TRUE, sizeof(struct fs_meta));
	g_array_set_clear_func(r.metas, fs_meta_clear);
	r.flagups = g_array_new(FALSE, TRUE, sizeof(struct fs_flagup));
	g_array_set_clear_func(r.flagups, fs_flagup_clear);
	ret = fs_mbox_fetch(fs, m->raw, &r);

	pthread_mutex_lock(&fs->lock);
	if (ret == 0) {
		changed = fs_mbox_merge(fs, m, &r, &drop);
	} else if (r.idx != NULL && !m->listed) {
		/* The server is away: the saved listing is better than none. */
		fs_mbox_install_index(fs, m, r.idx);
		m->listed_wall = time(NULL);
	}
	nfetched = r.metas->len;
	/* The nodes own what they need now; free the rest before the index
	 * image is built (peak memory of a large first fetch). */
	g_array_free(r.metas, TRUE);
	r.metas = NULL;
	cache_index_free(&r.idx);
	/* Made old while the server was being asked: still old. */
	m->checked_at = m->old_seq == old_seq ? g_get_monotonic_time() : 0;
	m->refresh_err = ret;
	if (changed)
		w = fs_mbox_index_image(fs, m);
	if (ret < 0 && m->listed) {
		log_warnx("%s: keeping the listing of %ld s ago", m->raw,
			  (long)(time(NULL) - m->listed_wall));
		ret = 0;
	}
	pthread_mutex_unlock(&fs->lock);

	/* Still marked refreshing: no other thread writes this index now. */
	if (drop) {
		cache_block_drop_mailbox(fs->cfg.cache, m->raw);
		if (w == NULL && fs->cfg.cache_dir != NULL)
			cache_index_remove(fs->cfg.cache_dir, m->raw);
	}
	if (w != NULL) {
		int wret = cache_index_writer_save(w, fs->cfg.cache_dir);

		if (wret < 0)
			log_warnx("%s: cannot save the index: %s", m->raw, strerror(-wret));
		cache_index_writer_free(&w);
	}

	pthread_mutex_lock(&fs->lock);
	m->refresh_seq++;
	m->refreshing = false;
	pthread_cond_broadcast(&fs->cond);
	pthread_mutex_unlock(&fs->lock);

	log_debug(LOG_FS, "fs: listing of %s: %s fetch of %u messages, %u flag changes, %s, %d",
		  m->raw, r.full ? "full" : "incremental", nfetched, r.flagups->len,
		  r.have_alive ? "UIDs searched" : "no search", ret);
	g_array_free(r.flagups, TRUE);
	free(r.alive);
	cache_index_free(&r.idx);
	return ret;
out_unlock:
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

void fs_mbox_mark_old(struct fs_mbox *m)
{
	m->checked_at = 0;
	m->old_seq++;
}

int fs_mbox_refresh(struct fs *fs, struct fs_mbox *m)
{
	/* A refresh under way may have asked the server before the change
	 * that brings us here: wait for it, then ask again. */
	int ret = 0;

	pthread_mutex_lock(&fs->lock);
	while (m->refreshing && ret == 0)
		ret = fs_wait(fs);
	fs_mbox_mark_old(m);
	pthread_mutex_unlock(&fs->lock);
	return ret < 0 ? ret : fs_mbox_listing(fs, m, true);
}

void fs_mbox_free_all(struct fs *fs)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, fs->mboxes);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct fs_mbox *m = v;

		g_hash_table_iter_steal(&it);
		g_hash_table_destroy(m->msgs);
		if (m->gone != NULL)
			g_hash_table_destroy(m->gone);
		if (m->trees != NULL)
			g_hash_table_destroy(m->trees);
		free(m->raw);
		free(m);
	}
}

/* fs directories: a snapshot of the entries taken at opendir, so that the
 * offsets readdir hands out stay valid however the listing changes while
 * the directory is open (entry i + 1 is the offset after entry i).  The
 * snapshot pins its nodes so none is freed under it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/log.h"

#include "fs_int.h"

struct fs_dir {
	struct fs_node *dir; /* directory nodes live as long as the fs */
	size_t n;
	struct fs_node **ents; /* sub-mailboxes by name, messages by UID, staged */
};

static int fs_dir_cmp_name(const void *a, const void *b)
{
	const struct fs_node *x = *(struct fs_node *const *)a, *y = *(struct fs_node *const *)b;

	return strcmp(x->name, y->name);
}

/* Messages by UID, each followed by its STEM.parts (parts=visible). */
static int fs_dir_cmp_uid(const void *a, const void *b)
{
	const struct fs_node *x = *(struct fs_node *const *)a, *y = *(struct fs_node *const *)b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return (x->kind == FS_PARTS) - (y->kind == FS_PARTS);
}

static int fs_dir_cmp_part(const void *a, const void *b)
{
	const struct fs_node *x = *(struct fs_node *const *)a, *y = *(struct fs_node *const *)b;

	return x->part < y->part ? -1 : x->part > y->part;
}

/* The snapshot of a STEM.parts directory: its files in their order. */
static int fs_dir_open_parts(struct fs *fs, struct fs_node *node, struct fs_dir **d_r)
{
	struct fs_dir *d;
	GHashTableIter it;
	gpointer v;
	int ret = fs_parts_load(fs, node);

	if (ret < 0)
		return ret;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		abort();
	d->dir = node;
	pthread_mutex_lock(&fs->lock);
	d->ents = malloc((g_hash_table_size(node->children) + 1) * sizeof(*d->ents));
	if (d->ents == NULL)
		abort();
	g_hash_table_iter_init(&it, node->children);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		d->ents[d->n] = v;
		d->ents[d->n++]->pins++;
	}
	pthread_mutex_unlock(&fs->lock);
	qsort(d->ents, d->n, sizeof(*d->ents), fs_dir_cmp_part);
	*d_r = d;
	return 0;
}

int fs_dir_open(struct fs *fs, uint64_t ino, struct fs_dir **d_r)
{
	struct fs_dir *d = NULL;
	struct fs_node *node;
	struct fs_mbox *m;
	GHashTableIter it;
	gpointer v;
	size_t ndirs, nmsgs;
	char err[256];
	int ret;

	pthread_mutex_lock(&fs->lock);
	node = fs_dir_get(fs, ino);
	ret = node == NULL				       ? -ENOENT
	      : node->kind == FS_MSG || node->kind == FS_PART ? -ENOTDIR
							       : 0;
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0)
		return ret;
	if (node->kind == FS_PARTS)
		return fs_dir_open_parts(fs, node, d_r);
	m = node->mbox;

	/* New and removed mailboxes show at the latest here (SPEC §5).  A
	 * failure is logged there and the tree we have is shown; after a
	 * wait that ran out, the request's deadline has passed, and the
	 * listing refresh fails at once: the listing we have is shown (or
	 * EIO without one). */
	(void)fs_mbox_tree_refresh(fs, false, err, sizeof(err));
	if (m != NULL) {
		ret = fs_mbox_listing(fs, m, true);
		if (ret < 0)
			return fs_errno_net(ret);
		fs_watch_use(fs, m);
	}

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		abort();
	d->dir = node;
	pthread_mutex_lock(&fs->lock);
	ndirs = g_hash_table_size(node->children);
	d->ents = malloc((ndirs +
			  (m != NULL ? 2 * g_hash_table_size(m->msgs) + fs_stage_count(fs, m) : 0) +
			  1) *
			 sizeof(*d->ents));
	if (d->ents == NULL)
		abort();
	g_hash_table_iter_init(&it, node->children);
	while (g_hash_table_iter_next(&it, NULL, &v))
		d->ents[d->n++] = v;
	qsort(d->ents, d->n, sizeof(*d->ents), fs_dir_cmp_name);
	if (m != NULL && !m->noselect) {
		g_hash_table_iter_init(&it, m->msgs);
		while (g_hash_table_iter_next(&it, NULL, &v)) {
			struct fs_node *n = v;

			/* A sub-mailbox of the same name wins (logged when
			 * the listing was merged). */
			if (g_hash_table_contains(node->children, n->name))
				continue;
			d->ents[d->n++] = n;
			if (fs->cfg.parts_visible)
				d->ents[d->n++] = fs_parts_dir(fs, n);
		}
	}
	nmsgs = d->n - ndirs;
	/* New messages not appended yet, under the names they were given,
	 * after the messages. */
	if (m != NULL && m->staged != NULL) {
		g_hash_table_iter_init(&it, m->staged);
		while (g_hash_table_iter_next(&it, NULL, &v))
			d->ents[d->n++] = v;
	}
	for (size_t i = 0; i < d->n; i++)
		d->ents[i]->pins++;
	pthread_mutex_unlock(&fs->lock);

	/* Message UIDs never change: sorting needs no lock. */
	qsort(d->ents + ndirs, nmsgs, sizeof(*d->ents), fs_dir_cmp_uid);
	*d_r = d;
	return 0;
}

int fs_dir_read(struct fs *fs, struct fs_dir *d, fuse_req_t req, bool plus, off_t off, char *buf,
		size_t size, size_t *len_r)
{
	size_t used = 0;

	if (off < 0)
		return -EINVAL;
	pthread_mutex_lock(&fs->lock);
	for (uint64_t i = (uint64_t)off; i < d->n + 2; i++) {
		struct fs_node *n;
		const char *name;
		struct fuse_entry_param e;
		size_t need;

		if (i == 0) {
			n = d->dir;
			name = ".";
		} else if (i == 1) {
			n = d->dir->parent != NULL ? d->dir->parent : d->dir;
			name = "..";
		} else {
			n = d->ents[i - 2];
			name = n->name;
			/* Expunged or removed since opendir: a name that
			 * lookup would refuse is not shown. */
			if (!n->linked)
				continue;
		}
		memset(&e, 0, sizeof(e));
		e.ino = n->ino;
		e.generation = 1;
		fs_inode_stat(fs, n, &e.attr);
		e.attr_timeout = fs_inode_timeout(fs, n);
		e.entry_timeout = fs_inode_entry_timeout(fs, n);
		if (plus)
			need = fuse_add_direntry_plus(req, buf + used, size - used, name, &e,
						      (off_t)(i + 1));
		else
			need = fuse_add_direntry(req, buf + used, size - used, name, &e.attr,
						 (off_t)(i + 1));
		if (need > size - used)
			break;
		used += need;
		/* The kernel takes a lookup reference for each entry of a
		 * readdirplus reply except "." and "..". */
		if (plus && i >= 2)
			n->nlookup++;
	}
	pthread_mutex_unlock(&fs->lock);
	*len_r = used;
	return 0;
}

void fs_dir_close(struct fs *fs, struct fs_dir **dp)
{
	struct fs_dir *d = *dp;

	if (d == NULL)
		return;
	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < d->n; i++) {
		d->ents[i]->pins--;
		fs_inode_maybe_free(fs, d->ents[i]);
	}
	pthread_mutex_unlock(&fs->lock);
	free(d->ents);
	free(d);
	*dp = NULL;
}

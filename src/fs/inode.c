/* fs inode table: numbers, lookup counts and attributes.  Inode numbers
 * come from a counter and are never reused, so the same (mailbox, UID)
 * keeps its number as long as its node lives, which is as long as it is
 * listed (while UIDVALIDITY is unchanged) or the kernel references it.
 * Every function here runs with fs->lock held. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/cache_block.h"
#include "imapfs/log.h"

#include "fs_int.h"

struct fs_node *fs_inode_new(struct fs *fs, enum fs_kind kind, const char *name,
			     struct fs_node *parent)
{
	struct fs_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		abort();
	n->ino = fs->next_ino++;
	n->kind = kind;
	n->name = strdup(name);
	if (n->name == NULL)
		abort();
	n->parent = parent;
	if (kind != FS_MSG && kind != FS_PART)
		n->children = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_insert(fs->inodes, &n->ino, n);
	return n;
}

struct fs_node *fs_inode_get(struct fs *fs, uint64_t ino)
{
	return g_hash_table_lookup(fs->inodes, &ino);
}

struct fs_node *fs_dir_get(struct fs *fs, uint64_t ino)
{
	struct fs_node *n = fs_inode_get(fs, ino);

	/* Bounded: renames back and forth could make a cycle of unlinked
	 * directories. */
	for (int i = 0; n != NULL && i < 16 && n->kind == FS_MBOX && !n->linked && n->mbox != NULL &&
			n->mbox->moved_to != NULL;
	     i++)
		n = n->mbox->moved_to->dir;
	return n;
}

void fs_inode_destroy(struct fs_node *n)
{
	if (n->children != NULL)
		g_hash_table_destroy(n->children);
	fs_parts_data_free(n->pd);
	fs_stage_node_free(n);
	free(n->name);
	free(n->flags);
	free(n->message_id);
	free(n);
}

void fs_inode_maybe_free(struct fs *fs, struct fs_node *n)
{
	if (n->kind == FS_PARTS || n->kind == FS_PART) {
		fs_parts_maybe_free(fs, n);
		return;
	}
	if ((n->kind != FS_MSG && n->kind != FS_STAGED) || n->linked || n->nlookup > 0 ||
	    n->pins > 0)
		return;
	g_hash_table_remove(fs->inodes, &n->ino);
	fs_inode_destroy(n);
}

void fs_inode_forget(struct fs *fs, uint64_t ino, uint64_t nlookup)
{
	struct fs_node *n = fs_inode_get(fs, ino);

	if (n == NULL) {
		/* The kernel never forgets more than it was given; this is
		 * our bug, and freeing nothing is the safe answer. */
		log_warnx("fs: forget of unknown inode %llu", (unsigned long long)ino);
		return;
	}
	if (nlookup > n->nlookup) {
		log_warnx("fs: forget %llu of inode %llu holding %llu", (unsigned long long)nlookup,
			  (unsigned long long)ino, (unsigned long long)n->nlookup);
		nlookup = n->nlookup;
	}
	n->nlookup -= nlookup;
	fs_inode_maybe_free(fs, n);
}

void fs_inode_stat(const struct fs *fs, const struct fs_node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_uid = fs->cfg.uid;
	st->st_gid = fs->cfg.gid;
	if (n->kind == FS_MSG || n->kind == FS_PART || n->kind == FS_STAGED) {
		/* st_size is an off_t; a hostile RFC822.SIZE must not wrap. */
		uint64_t size = n->size > INT64_MAX ? INT64_MAX : n->size;

		st->st_mode = S_IFREG | 0600;
		st->st_nlink = n->linked || n->kind == FS_PART ? 1 : 0;
		/* A staged file's size changes with every write. */
		st->st_size = (off_t)size;
		st->st_blocks = (blkcnt_t)((size + 511) / 512);
		st->st_blksize = CACHE_BLOCK_SIZE;
		st->st_mtime = st->st_ctime = st->st_atime = n->internaldate;
		return;
	}
	st->st_mode = S_IFDIR | 0700;
	/* "." and the entry in the parent, plus each sub-directory's "..". */
	st->st_nlink = n->kind == FS_PARTS ? 2 : 2 + g_hash_table_size(n->children);
	st->st_blksize = 4096;
	/* The mount time: stable for the whole mount, so that a second
	 * rsync -a finds nothing to do (a mailbox's listing time, as it
	 * once was, moved with every refresh, and whatever a listing would
	 * say is not known when a directory is first looked at). */
	st->st_mtime = fs->started;
	if (n->kind == FS_PARTS)
		st->st_mtime = n->internaldate;
	st->st_ctime = st->st_atime = st->st_mtime;
}

double fs_inode_entry_timeout(const struct fs *fs, const struct fs_node *n)
{
	/* A staged file's name goes when it is appended. */
	if (n->kind == FS_STAGED)
		return 0;
	/* A message's parts never change: cached as long as the message. */
	return n->kind == FS_MSG || n->kind == FS_PARTS || n->kind == FS_PART
		   ? fs->cfg.attr_timeout_s
		   : FS_DIR_TIMEOUT_S;
}

double fs_inode_timeout(const struct fs *fs, const struct fs_node *n)
{
	/* A size that is still RFC822.SIZE may be corrected by the first
	 * read, and the kernel only ever shrinks a cached size by itself:
	 * keep it briefly so that the corrected size shows soon. */
	if (n->kind == FS_MSG && !n->size_exact && fs->cfg.attr_timeout_s > FS_DIR_TIMEOUT_S)
		return FS_DIR_TIMEOUT_S;
	return fs_inode_entry_timeout(fs, n);
}

void fs_inode_entry(struct fs *fs, struct fs_node *n, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = n->ino;
	/* Numbers are never reused, so one generation serves all. */
	e->generation = 1;
	fs_inode_stat(fs, n, &e->attr);
	e->attr_timeout = fs_inode_timeout(fs, n);
	e->entry_timeout = fs_inode_entry_timeout(fs, n);
	n->nlookup++;
}

void fs_inode_free_all(struct fs *fs)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, fs->inodes);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		g_hash_table_iter_steal(&it);
		fs_inode_destroy(v);
	}
}

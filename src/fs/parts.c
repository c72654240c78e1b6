/* fs parts: the STEM.parts/ directory of every message (SPEC §3), whose
 * files are the message's decoded parts (mail_parts.h names them).
 *
 * Loading.  The first lookup or listing in a STEM.parts directory asks
 * the server for the message's BODYSTRUCTURE and header fields (one round
 * trip), then, where needed, BINARY.SIZE of its encoded parts (one more),
 * then the text of body.txt and body.html, whose size is only known once
 * their charset is converted.  headers.txt, body.txt and body.html are
 * then kept in memory with the directory node; every other file is read
 * lazily, 64 KiB blocks at a time, with BINARY.PEEK (decoded by the
 * server) or BODY.PEEK (parts without a transfer encoding, attached
 * messages), through the block cache under the part's section.  A server
 * without BINARY gets its encoded parts fetched whole and decoded here
 * with GMime, at listing time (to learn their size) and when read.
 *
 * Lifetimes.  An FS_PARTS node is found through its mailbox's parts_dirs
 * table and lives while the kernel holds it, a directory snapshot pins it
 * or one of its files lives; an FS_PART node lives while its directory
 * does or the kernel holds it.  Both keep only the message's identity
 * (mailbox, UIDVALIDITY, UID), never a pointer to its message node.
 *
 * Locking: fs->lock protects the nodes and a directory's pd pointer; pd
 * itself is immutable once published, so reads use it unlocked while the
 * caller holds the node. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/cache_block.h"
#include "imapfs/imap_body.h"
#include "imapfs/imap_pool.h"
#include "imapfs/log.h"
#include "imapfs/mail_name.h"
#include "imapfs/mail_parts.h"

#include "fs_int.h"

#define PARTS_SUFFIX ".parts"
/* body.txt and body.html are held in memory: bound what one may cost. */
#define PARTS_TEXT_MAX (16u << 20)
/* A part fetched whole to be decoded here (no BINARY). */
#define PARTS_WHOLE_MAX (64u << 20)

struct fs_parts_data {
	struct imap_body *body; /* the tree; parts[i].body points into it */
	struct mail_part *parts;
	size_t n;
	uint64_t *sizes;
	char **texts; /* headers.txt, body.txt, body.html: their bytes */
	bool *binary; /* read with BINARY.PEEK (else BODY.PEEK) */
	bool *local;  /* encoded, no BINARY: fetched whole and decoded here */
};

void fs_parts_data_free(struct fs_parts_data *pd)
{
	if (pd == NULL)
		return;
	for (size_t i = 0; i < pd->n; i++)
		g_free(pd->texts[i]);
	mail_parts_free(pd->parts, pd->n);
	imap_body_free(&pd->body);
	free(pd->sizes);
	free(pd->texts);
	free(pd->binary);
	free(pd->local);
	free(pd);
}

bool fs_parts_name(const char *name)
{
	size_t len = strlen(name);

	return len > strlen(PARTS_SUFFIX) &&
	       strcmp(name + len - strlen(PARTS_SUFFIX), PARTS_SUFFIX) == 0;
}

struct fs_node *fs_parts_dir(struct fs *fs, struct fs_node *msg)
{
	struct fs_mbox *m = msg->mbox;
	struct fs_node *d;
	char *name;
	size_t stem;

	if (m->parts_dirs == NULL)
		m->parts_dirs = g_hash_table_new(g_direct_hash, g_direct_equal);
	d = g_hash_table_lookup(m->parts_dirs, GUINT_TO_POINTER(msg->uid));
	if (d != NULL && d->uidvalidity == msg->uidvalidity)
		return d;
	if (d != NULL) /* of an old UIDVALIDITY: let it go its own way */
		g_hash_table_remove(m->parts_dirs, GUINT_TO_POINTER(msg->uid));
	stem = strlen(msg->name) - strlen(".eml");
	name = g_strdup_printf("%.*s" PARTS_SUFFIX, (int)stem, msg->name);
	d = fs_inode_new(fs, FS_PARTS, name, m->dir);
	g_free(name);
	d->mbox = m;
	d->uid = msg->uid;
	d->uidvalidity = msg->uidvalidity;
	d->internaldate = msg->internaldate;
	d->linked = true;
	g_hash_table_insert(m->parts_dirs, GUINT_TO_POINTER(msg->uid), d);
	return d;
}

static void fs_parts_free_node(struct fs *fs, struct fs_node *n)
{
	g_hash_table_remove(fs->inodes, &n->ino);
	fs_inode_destroy(n);
}

void fs_parts_maybe_free(struct fs *fs, struct fs_node *n)
{
	struct fs_node *d = n->kind == FS_PARTS ? n : n->parent;
	GHashTableIter it;
	gpointer v;

	if (d->nlookup > 0 || d->pins > 0)
		return;
	/* The directory is unused: its files go unless the kernel holds
	 * one, and it goes once none is left. */
	g_hash_table_iter_init(&it, d->children);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct fs_node *f = v;

		if (f->nlookup > 0 || f->pins > 0)
			continue;
		g_hash_table_iter_remove(&it);
		fs_parts_free_node(fs, f);
	}
	if (g_hash_table_size(d->children) > 0)
		return;
	if (d->mbox->parts_dirs != NULL &&
	    g_hash_table_lookup(d->mbox->parts_dirs, GUINT_TO_POINTER(d->uid)) == d)
		g_hash_table_remove(d->mbox->parts_dirs, GUINT_TO_POINTER(d->uid));
	fs_parts_free_node(fs, d);
}

/* ---- talking to the server ---- */

struct parts_msg {
	struct fs_mbox *mbox;
	const char *raw;
	uint32_t uid;
	uint32_t uidvalidity;
};

/* After a failed command on *cp: logs it, gives the connection back, and
 * says whether one more attempt on a fresh connection is worth it. */
static bool parts_failed(struct fs *fs, const struct parts_msg *pm, struct imap_conn **cp, int ret,
			 int attempt, const char *what)
{
	char msg[300];
	bool retry;

	if (*cp == NULL)
		return false;
	retry = attempt == 0 && fs_conn_retryable(*cp, ret);
	snprintf(msg, sizeof(msg), "%s of %s UID %u", what, pm->raw, pm->uid);
	fs_conn_log(*cp, ret, retry, msg);
	imap_pool_put(fs->cfg.pool, *cp);
	*cp = NULL;
	return retry;
}

static bool parts_encoded(const struct imap_body *b)
{
	return b->encoding != NULL &&
	       (strcmp(b->encoding, "base64") == 0 || strcmp(b->encoding, "quoted-printable") == 0);
}

/* Whether a decoded size the server gave can be that of b: base64 turns
 * 3 bytes into 4 characters plus line ends, quoted-printable 1 byte into
 * at most 3. */
static bool parts_size_plausible(const struct imap_body *b, uint64_t size)
{
	if (b->encoding != NULL && strcmp(b->encoding, "base64") == 0)
		return size <= b->size / 4 * 3 + 3 && size + 3 >= b->size / 2;
	return size <= b->size && size >= b->size / 3;
}

static int parts_check_sizes(struct fs *fs, const struct parts_msg *pm, struct fs_parts_data *pd,
			     struct imap_conn **cp)
{
	struct imap_tail *t = calloc(pd->n ? pd->n : 1, sizeof(*t));
	size_t *which = calloc(pd->n ? pd->n : 1, sizeof(*which)), n = 0;
	int ret = 0;

	if (t == NULL || which == NULL)
		abort();
	for (size_t i = 0; i < pd->n; i++) {
		const struct mail_part *p = &pd->parts[i];

		if ((p->kind != MAIL_PART_FILE && p->kind != MAIL_PART_MESSAGE) || pd->local[i])
			continue;
		t[n].section = p->body->section;
		t[n].binary = pd->binary[i];
		t[n].off = pd->sizes[i] > 0 ? pd->sizes[i] - 1 : 0;
		which[n++] = i;
	}
	if (n > 0) {
		ret = fs_read_conn(fs, pm->mbox, pm->uid, pm->uidvalidity, cp);
		if (ret == 0)
			ret = imap_conn_fetch_tails(*cp, pm->uid, t, n);
		if (ret == -ESTALE)
			goto out;
		if (ret < 0 && *cp != NULL) {
			log_info("%s UID %u: cannot check the sizes of its parts (%s); fetching them",
				 pm->raw, pm->uid, imap_conn_error(*cp));
			imap_pool_put(fs->cfg.pool, *cp);
			*cp = NULL;
		}
		ret = 0;
	}
	for (size_t k = 0; k < n; k++) {
		size_t i = which[k];

		if (t[k].got == (pd->sizes[i] > 0 ? 1u : 0u))
			continue;
		log_info("%s UID %u part %s: not %llu bytes as the server says; fetching it to "
			 "learn its size",
			 pm->raw, pm->uid, t[k].section, (unsigned long long)pd->sizes[i]);
		pd->local[i] = true;
	}
out:
	free(t);
	free(which);
	return ret;
}

/* The whole of part i as its file shows it: decoded (by the server or
 * here), and for body.txt / body.html converted to UTF-8.  *cp as for
 * fs_read_conn.  g_free the result. */
static int parts_fetch_whole(struct fs *fs, const struct parts_msg *pm,
			     const struct fs_parts_data *pd, size_t i, struct imap_conn **cp,
			     char **out_r, size_t *len_r)
{
	const struct mail_part *p = &pd->parts[i];
	/* Decoding never makes a part larger than it is encoded. */
	size_t max = p->body->size, got = 0;
	bool binary = pd->binary[i];
	char *buf, *dec;
	int ret = 0;

	if (max > (p->kind == MAIL_PART_FILE || p->kind == MAIL_PART_MESSAGE ? PARTS_WHOLE_MAX
									     : PARTS_TEXT_MAX))
		return -EFBIG;
	buf = g_malloc(max + 1);
	for (int attempt = 0;; attempt++) {
		ret = fs_read_conn(fs, pm->mbox, pm->uid, pm->uidvalidity, cp);
		if (ret == 0)
			ret = imap_conn_fetch_section(*cp, pm->uid, p->body->section, binary, 0,
						      max + 1, buf, &got);
		if (ret < 0 && binary && ret != -ESTALE && ret != -ENOENT) {
			/* The server cannot decode it after all (see
			 * parts_build): take it as stored, decode here. */
			if (*cp != NULL) {
				imap_pool_put(fs->cfg.pool, *cp);
				*cp = NULL;
			}
			binary = false;
			attempt = -1;
			continue;
		}
		if (ret == 0 || ret == -ESTALE || !parts_failed(fs, pm, cp, ret, attempt, "reading"))
			break;
	}
	if (ret < 0) {
		g_free(buf);
		return ret == -ENOENT ? -ESTALE : ret;
	}
	if (!binary && parts_encoded(p->body)) {
		dec = mail_parts_decode(buf, got, p->body->encoding, &got);
		g_free(buf);
		buf = dec;
	}
	if (p->kind == MAIL_PART_TEXT || p->kind == MAIL_PART_HTML) {
		dec = mail_parts_utf8(buf, got, imap_body_param(p->body->params, p->body->nparams,
								"charset"),
				      &got);
		g_free(buf);
		buf = dec;
	}
	*out_r = buf;
	*len_r = got;
	return 0;
}

/* Fetches what the listing needs: the tree, and every file's size. */
static int parts_build(struct fs *fs, const struct parts_msg *pm, struct fs_parts_data **pd_r)
{
	struct fs_parts_data *pd = calloc(1, sizeof(*pd));
	struct imap_conn *c = NULL;
	char *headers = NULL;
	size_t hlen = 0, nsizes = 0;
	const char **sections = NULL;
	uint64_t *sizes = NULL;
	size_t *which = NULL;
	bool binary;
	int ret;

	if (pd == NULL)
		abort();
	for (int attempt = 0;; attempt++) {
		ret = fs_read_conn(fs, pm->mbox, pm->uid, pm->uidvalidity, &c);
		if (ret == 0)
			ret = imap_conn_fetch_structure(c, pm->uid, &pd->body, &headers, &hlen);
		if (ret == 0 || ret == -ESTALE ||
		    !parts_failed(fs, pm, &c, ret, attempt, "reading the structure"))
			break;
	}
	if (ret < 0)
		goto out;
	binary = imap_conn_has_cap(c, "BINARY");
	pd->n = mail_parts_list(pd->body, &pd->parts);
	pd->sizes = calloc(pd->n, sizeof(*pd->sizes));
	pd->texts = calloc(pd->n, sizeof(*pd->texts));
	pd->binary = calloc(pd->n, sizeof(*pd->binary));
	pd->local = calloc(pd->n, sizeof(*pd->local));
	sections = calloc(pd->n, sizeof(*sections));
	sizes = calloc(pd->n, sizeof(*sizes));
	which = calloc(pd->n, sizeof(*which));
	if (!pd->sizes || !pd->texts || !pd->binary || !pd->local || !sections || !sizes || !which)
		abort();
	for (size_t i = 0; i < pd->n; i++) {
		const struct mail_part *p = &pd->parts[i];

		if (p->kind == MAIL_PART_HEADERS) {
			pd->texts[i] = mail_parts_headers_txt(headers, hlen);
			pd->sizes[i] = strlen(pd->texts[i]);
		} else if (!parts_encoded(p->body)) {
			pd->sizes[i] = p->body->size;
		} else if (binary) {
			pd->binary[i] = true;
			sections[nsizes] = p->body->section;
			which[nsizes++] = i;
		} else {
			pd->local[i] = true;
		}
	}
	if (nsizes > 0) {
		ret = fs_read_conn(fs, pm->mbox, pm->uid, pm->uidvalidity, &c);
		if (ret == 0)
			ret = imap_conn_fetch_binary_sizes(c, pm->uid, sections, nsizes, sizes);
		if (ret == -ESTALE)
			goto out;
		if (ret < 0) {
			/* A server that cannot decode a part says NO (Dovecot
			 * 2.3.19: "[PARSE] Invalid data in MIME part") or even
			 * drops the connection ("Internal error"): decode here,
			 * leniently, as mail readers do.  Not retried: it would
			 * only fail again; a dead server fails the fetch below. */
			log_info("%s UID %u: the server cannot tell the decoded sizes of its parts "
				 "(%s); decoding them here",
				 pm->raw, pm->uid, c != NULL ? imap_conn_error(c) : strerror(-ret));
			if (c != NULL) {
				imap_pool_put(fs->cfg.pool, c);
				c = NULL;
			}
			for (size_t k = 0; k < nsizes; k++) {
				pd->binary[which[k]] = false;
				pd->local[which[k]] = true;
			}
			nsizes = 0;
		}
		for (size_t k = 0; k < nsizes; k++) {
			size_t j = which[k];

			if (parts_size_plausible(pd->parts[j].body, sizes[k])) {
				pd->sizes[j] = sizes[k];
			} else {
				/* Dovecot 2.3.19 was seen saying 2^64 - 7526359
				 * for a 200,000-byte attachment (whose bytes were
				 * right): fetch it to know. */
				log_info("%s UID %u part %s: BINARY.SIZE %llu makes no sense; "
					 "fetching the part to learn its size",
					 pm->raw, pm->uid, pd->parts[j].body->section,
					 (unsigned long long)sizes[k]);
				pd->local[j] = true; /* binary stays: the bytes are right */
			}
		}
	}
	/* Every size comes from the server (BODYSTRUCTURE, BINARY.SIZE), and
	 * Dovecot 2.3.19's BINARY.SIZE is wrong for about 1.5% of real
	 * parts: each is checked by fetching the byte at size - 1 and the
	 * one after it (1 byte back means exact), all in one command; a part
	 * that fails is fetched whole below to learn its size. */
	ret = parts_check_sizes(fs, pm, pd, &c);
	if (ret < 0)
		goto out;
	/* The texts, and the parts decoded here, are fetched now: their
	 * size is that of what they turn into. */
	for (size_t i = 0; i < pd->n; i++) {
		const struct mail_part *p = &pd->parts[i];
		char *data = NULL;
		size_t len = 0;

		if (p->kind != MAIL_PART_TEXT && p->kind != MAIL_PART_HTML && !pd->local[i])
			continue;
		/* A part fetched whole because its BINARY.SIZE made no sense
		 * is still decoded by the server (binary stays set). */
		ret = parts_fetch_whole(fs, pm, pd, i, &c, &data, &len);
		if (ret < 0)
			goto out;
		pd->sizes[i] = len;
		if (p->kind == MAIL_PART_TEXT || p->kind == MAIL_PART_HTML) {
			pd->texts[i] = data;
		} else {
			struct cache_key key = {.mailbox = pm->raw,
						.uidvalidity = pm->uidvalidity,
						.uid = pm->uid,
						.section = p->body->section};

			cache_block_put_run(fs->cfg.cache, &key, data, len);
			g_free(data);
		}
	}
	ret = 0;
out:
	if (c != NULL)
		imap_pool_put(fs->cfg.pool, c);
	free(headers);
	free(sections);
	free(sizes);
	free(which);
	if (ret < 0) {
		fs_parts_data_free(pd);
		return ret;
	}
	*pd_r = pd;
	return 0;
}

int fs_parts_load(struct fs *fs, struct fs_node *d)
{
	struct fs_parts_data *pd = NULL;
	struct parts_msg pm;
	int ret;

	pthread_mutex_lock(&fs->lock);
	pm.mbox = d->mbox;
	pm.raw = d->mbox->raw;
	pm.uid = d->uid;
	pm.uidvalidity = d->uidvalidity;
	ret = d->pd != NULL;
	pthread_mutex_unlock(&fs->lock);
	if (ret)
		return 0;

	ret = parts_build(fs, &pm, &pd);
	if (ret < 0) {
		log_warnx("cannot list the parts of %s UID %u", pm.raw, pm.uid);
		return fs_errno_net(ret);
	}
	pthread_mutex_lock(&fs->lock);
	if (d->pd != NULL) {
		/* Another request loaded it meanwhile: the first one counts. */
		pthread_mutex_unlock(&fs->lock);
		fs_parts_data_free(pd);
		return 0;
	}
	d->pd = pd;
	for (size_t i = 0; i < pd->n; i++) {
		struct fs_node *f = fs_inode_new(fs, FS_PART, pd->parts[i].name, d);

		f->mbox = d->mbox;
		f->uid = d->uid;
		f->uidvalidity = d->uidvalidity;
		f->internaldate = d->internaldate;
		f->size = pd->sizes[i];
		f->size_exact = true;
		f->linked = true;
		f->part = i;
		g_hash_table_insert(d->children, f->name, f);
	}
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

/* ---- reading a file ---- */

int fs_parts_read(struct fs *fs, uint64_t ino, size_t size, off_t off, char **mem_r,
		  const char **data_r, size_t *len_r)
{
	const struct fs_parts_data *pd;
	struct imap_conn *c = NULL;
	struct parts_msg pm;
	struct cache_key key;
	struct fs_node *f;
	uint64_t fsize, first, last, end;
	size_t i, nblocks;
	char *mem = NULL;
	bool *ok = NULL;
	int ret = 0;

	*mem_r = NULL;
	*len_r = 0;
	pthread_mutex_lock(&fs->lock);
	f = fs_inode_get(fs, ino);
	if (f == NULL || f->kind != FS_PART) {
		pthread_mutex_unlock(&fs->lock);
		return f == NULL ? -ENOENT : -EISDIR;
	}
	/* f pins its directory, whose pd is immutable from now on. */
	pd = f->parent->pd;
	i = f->part;
	fsize = f->size;
	pm.mbox = f->mbox;
	pm.raw = f->mbox->raw;
	pm.uid = f->uid;
	pm.uidvalidity = f->uidvalidity;
	pthread_mutex_unlock(&fs->lock);

	if ((uint64_t)off >= fsize || size == 0)
		return 0;
	if ((uint64_t)off + size > fsize)
		size = (size_t)(fsize - (uint64_t)off);
	if (pd->texts[i] != NULL) {
		*data_r = pd->texts[i] + off;
		*len_r = size;
		return 0;
	}

	/* Blocks of the part, as for messages (read.c), by section. */
	first = (uint64_t)off / CACHE_BLOCK_SIZE;
	last = ((uint64_t)off + size - 1) / CACHE_BLOCK_SIZE;
	nblocks = (size_t)(last - first + 1);
	mem = malloc(nblocks * CACHE_BLOCK_SIZE);
	if (mem == NULL)
		return -ENOMEM;
	key = (struct cache_key){.mailbox = pm.raw,
				 .uidvalidity = pm.uidvalidity,
				 .uid = pm.uid,
				 .section = pd->parts[i].body->section};
	ok = calloc(nblocks, sizeof(*ok));
	if (ok == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < nblocks; k++) {
		uint64_t at = (first + k) * CACHE_BLOCK_SIZE;

		key.block = first + k;
		ok[k] = cache_block_get(fs->cfg.cache, &key, mem + k * CACHE_BLOCK_SIZE) ==
			(ssize_t)(fsize - at < CACHE_BLOCK_SIZE ? fsize - at : CACHE_BLOCK_SIZE);
	}
	for (size_t k = 0; k < nblocks;) {
		uint64_t at = (first + k) * CACHE_BLOCK_SIZE, end_at;
		size_t run = 0, want, n = 0;

		if (ok[k]) {
			k++;
			continue;
		}
		if (pd->local[i]) {
			/* Decoded here: fetch and decode the whole part again,
			 * keep all of it, and take the blocks still missing. */
			char *whole = NULL;
			size_t len = 0;

			ret = parts_fetch_whole(fs, &pm, pd, i, &c, &whole, &len);
			if (ret == 0 && len != fsize)
				ret = -EIO;
			if (ret == 0) {
				key.block = 0;
				cache_block_put_run(fs->cfg.cache, &key, whole, len);
				memcpy(mem + k * CACHE_BLOCK_SIZE, whole + at,
				       (first + nblocks) * CACHE_BLOCK_SIZE < len
					   ? (nblocks - k) * CACHE_BLOCK_SIZE
					   : len - at);
			}
			g_free(whole);
			break;
		}
		/* This block and the missing ones after it, in one fetch. */
		while (k + run < nblocks && !ok[k + run])
			run++;
		end_at = (first + k + run) * CACHE_BLOCK_SIZE;
		want = (size_t)((end_at < fsize ? end_at : fsize) - at);
		for (int attempt = 0;; attempt++) {
			ret = fs_read_conn(fs, pm.mbox, pm.uid, pm.uidvalidity, &c);
			if (ret == 0)
				ret = imap_conn_fetch_section(c, pm.uid, key.section, pd->binary[i], at,
							      want, mem + k * CACHE_BLOCK_SIZE, &n);
			if (ret == 0 || ret == -ESTALE ||
			    !parts_failed(fs, &pm, &c, ret, attempt, "reading a part"))
				break;
		}
		if (ret == -ENOENT)
			ret = -ESTALE;
		if (ret < 0)
			goto out;
		if (n != want) {
			/* The server's part is not the size it said: never
			 * hand out short or padded blocks. */
			log_warnx("part %s of %s UID %u: the server sent %zu bytes at %llu, not %zu",
				  key.section, pm.raw, pm.uid, n, (unsigned long long)at, want);
			ret = -EIO;
			goto out;
		}
		key.block = first + k;
		cache_block_put_run(fs->cfg.cache, &key, mem + k * CACHE_BLOCK_SIZE, want);
		k += run;
	}
	if (ret < 0)
		goto out;
	end = (uint64_t)off - first * CACHE_BLOCK_SIZE;
	*data_r = mem + end;
	*len_r = size;
	*mem_r = mem;
	mem = NULL;
out:
	if (c != NULL)
		imap_pool_put(fs->cfg.pool, c);
	free(ok);
	free(mem);
	return ret < 0 ? fs_errno_net(ret) : 0;
}

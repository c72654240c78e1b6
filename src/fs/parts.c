/* fs parts: the STEM.parts/ directory of every message (SPEC §3), whose
 * files are the message's decoded parts (mail_parts.h names them).
 *
 * Loading.  The first lookup or listing in a STEM.parts directory looks
 * for the record of an earlier listing in the block cache (section
 * ".parts": the tree, the raw header fields, every file's size and how it
 * is read); without a usable one it asks the server: BODYSTRUCTURE and
 * header fields (one round trip); then, when the block cache holds the
 * whole message (its .eml was read), its parts are cut out of it and
 * decoded here, nothing more asked; else, in one command BINARY.SIZE of its
 * encoded parts with the span of decoded bytes where each should end, the
 * whole text of body.txt and body.html (whose size is only known once
 * their charset is converted) and a check of the sizes already known,
 * then, only for a part whose end was not in its span, a check of its
 * BINARY.SIZE; and stores the record.  headers.txt is kept in memory with the directory
 * node (made from the header fields); body.txt and body.html are kept in
 * the block cache as UTF-8 under "utf8:" + section, fetched and converted
 * again when evicted; every other file is read lazily, 64 KiB blocks at a
 * time, with BINARY.PEEK (decoded by the server) or BODY.PEEK (parts
 * without a transfer encoding, attached messages), through the block
 * cache under the part's section.  A server without BINARY gets its
 * encoded parts fetched whole and decoded here with GMime, at listing
 * time (to learn their size) and when read.
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

#include "imapfs/buf.h"
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
/* Cache sections that no IMAP section can be: the record of a listing,
 * and the prefix of body.txt's and body.html's UTF-8 bytes. */
#define PARTS_RECORD_SECTION ".parts"
#define PARTS_TEXT_PREFIX "utf8:"
/* Room for "utf8:" + a section (at most IMAP_BODY_MAX_DEPTH numbers of at
 * most 5 digits). */
#define PARTS_SECTION_MAX 1024
#define PARTS_RECORD_MAGIC "imapfs-parts 1"
/* The record's first line: magic, SP, 10-digit length, SP, SHA-256, LF. */
#define PARTS_RECORD_HEAD (sizeof(PARTS_RECORD_MAGIC) - 1 + 1 + 10 + 1 + 64 + 1)
#define PARTS_RECORD_MAX (32u << 20)

/* Messages whose structure one command asks for: the one listed and the
 * next ones of its mailbox, whose .parts is likely listed next.  Their
 * structures wait in their mailbox's trees table (under fs->lock), unless
 * large. */
#define PARTS_BATCH 32
/* Structures waiting for their own listing, in all mailboxes, and what
 * one may hold: about 10 MiB at most. */
#define PARTS_TREES_MAX 512
#define PARTS_TREE_HEADERS_MAX (16u << 10)
#define PARTS_TREE_PARTS_MAX 64

/* A structure fetched with another message's, in its mailbox's trees
 * table (uid -> this) until its own .parts is listed. */
struct fs_parts_tree {
	uint32_t uidvalidity;
	bool binary; /* the server offers BINARY */
	struct imap_body *body;
	char *headers; /* NUL-terminated after hlen bytes */
	size_t hlen;
};

void fs_parts_tree_free(void *p)
{
	struct fs_parts_tree *t = p;

	imap_body_free(&t->body);
	free(t->headers);
	free(t);
}

struct fs_parts_data {
	struct imap_body *body; /* the tree; parts[i].body points into it */
	struct mail_part *parts;
	size_t n;
	uint64_t *sizes;
	char **texts; /* headers.txt's bytes (NULL for the other files) */
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

/* Room for the span that finds a part's decoded size (parts_span_for),
 * and for all of one listing's: past it, parts have their BINARY.SIZE
 * checked instead (a message of thousands of attachments must not make
 * a response of hundreds of MB). */
#define PARTS_SPAN (32u << 10)
#define PARTS_SPANS_MAX (4u << 20)

/* The decoded bytes of part b, encoded, within which it must end, as a
 * span of at most PARTS_SPAN bytes that ends past that bound (so that a
 * part ending inside gives fewer bytes back than asked: its exact size).
 * quoted-printable: from 0, when the part is small enough to fit whole
 * (decoding never makes it larger).  base64: e bytes of lines of L
 * characters, each but the last ending in CRLF, hold about (e + 2) L /
 * (L + 2) characters, 3 bytes for 4; mailers write lines of 76 (RFC 2045's
 * most), 72, 64 or 60 characters, so the size lies between the estimates
 * for 60 and 76, or for a short part anywhere up to 3/4 of e (no line
 * ends at all): the widest of those ranges that fits, with 16 bytes to
 * spare each side (padding, a final line end).  A span starting within
 * 4 KiB of 0 starts at 0.  False when none fits (a large
 * quoted-printable part, a base64 part of more than about 30 MB): its
 * BINARY.SIZE is checked instead, in one more round trip. */
static bool parts_span_for(const struct imap_body *b, uint64_t *off_r, size_t *len_r)
{
	uint64_t e = b->size, lo, hi;

	if (e > ((uint64_t)1 << 40))
		return false;
	if (strcmp(b->encoding, "base64") != 0) {
		lo = 0;
		hi = e;
	} else {
		uint64_t est60 = (e + 2) * 3 * 60 / (4 * 62), est72 = (e + 2) * 3 * 72 / (4 * 74);
		uint64_t est76 = (e + 2) * 3 * 76 / (4 * 78) + 16, all = e / 4 * 3 + 3;

		lo = est60 > 16 ? est60 - 16 : 0;
		hi = all;
		if (hi - lo >= PARTS_SPAN)
			hi = est76;
		if (hi - lo >= PARTS_SPAN)
			lo = est72 > 16 ? est72 - 16 : 0;
	}
	if (lo <= 4096)
		lo = 0;
	if (hi - lo >= PARTS_SPAN)
		return false;
	*off_r = lo;
	*len_r = (size_t)(hi - lo) + 1;
	return true;
}

/* The exact size span t shows, when the part ends inside it. */
static bool parts_span_size(const struct imap_span *t, uint64_t *size_r)
{
	if (t->got == SIZE_MAX || t->got >= t->len || (t->got == 0 && t->off > 0))
		return false;
	*size_r = t->off + t->got;
	return true;
}

/* Whether span t, asked at pd->sizes[i] - 1, shows that part i has the
 * size the server claimed (1 byte back; 0 for an empty part); if not,
 * says so and marks the part to be fetched whole to learn its size. */
static bool parts_tail_ok(const struct parts_msg *pm, struct fs_parts_data *pd, size_t i,
			  const struct imap_span *t)
{
	if (t->got == (pd->sizes[i] > 0 ? 1u : 0u))
		return true;
	log_info("%s UID %u part %s: not %llu bytes as the server says; fetching it to learn its "
		 "size",
		 pm->raw, pm->uid, t->section, (unsigned long long)pd->sizes[i]);
	pd->local[i] = true;
	return false;
}

/* Checks the sizes of the attachments not checked yet (checked[i] false),
 * in one command; a part that fails is marked local, to be fetched. */
static int parts_check_sizes(struct fs *fs, const struct parts_msg *pm, struct fs_parts_data *pd,
			     const bool *checked, struct imap_conn **cp)
{
	struct imap_span *t = calloc(pd->n ? pd->n : 1, sizeof(*t));
	size_t *which = calloc(pd->n ? pd->n : 1, sizeof(*which)), n = 0;
	int ret = 0;

	if (t == NULL || which == NULL)
		abort();
	for (size_t i = 0; i < pd->n; i++) {
		const struct mail_part *p = &pd->parts[i];

		if ((p->kind != MAIL_PART_FILE && p->kind != MAIL_PART_MESSAGE) || pd->local[i] ||
		    checked[i])
			continue;
		t[n].section = p->body->section;
		t[n].binary = pd->binary[i];
		t[n].off = pd->sizes[i] > 0 ? pd->sizes[i] - 1 : 0;
		t[n].len = 2;
		which[n++] = i;
	}
	if (n > 0) {
		ret = fs_read_conn(fs, pm->mbox, pm->uid, pm->uidvalidity, cp);
		if (ret == 0)
			ret = imap_conn_fetch_spans(*cp, pm->uid, t, n);
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
	for (size_t k = 0; k < n; k++)
		(void)parts_tail_ok(pm, pd, which[k], &t[k]);
out:
	free(t);
	free(which);
	return ret;
}

/* What the whole of part p (len bytes, as fetched: decoded by the server
 * when binary) turns into: decoded here if still encoded, and for body.txt
 * and body.html converted to UTF-8.  Takes buf (g_malloc'd); g_free the
 * result. */
static char *parts_convert(const struct mail_part *p, bool binary, char *buf, size_t len,
			   size_t *len_r)
{
	char *dec;

	if (!binary && parts_encoded(p->body)) {
		dec = mail_parts_decode(buf, len, p->body->encoding, &len);
		g_free(buf);
		buf = dec;
	}
	if (p->kind == MAIL_PART_TEXT || p->kind == MAIL_PART_HTML) {
		dec = mail_parts_utf8(buf, len,
				      imap_body_param(p->body->params, p->body->nparams, "charset"),
				      &len);
		g_free(buf);
		buf = dec;
	}
	*len_r = len;
	return buf;
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
	char *buf;
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
	*out_r = parts_convert(p, binary, buf, got, len_r);
	return 0;
}

/* Parts fetched whole in one command (parts_fetch_wholes): at most this
 * many encoded bytes in all, well below what one response may be. */
#define PARTS_WHOLES_MAX (32u << 20)

static void parts_store(struct fs *fs, const struct parts_msg *pm, const struct fs_parts_data *pd,
			size_t i, const char *data, size_t len);

/* Part i as fetched whole in w: converted, kept in the block cache, its
 * size set; w's bytes are freed. */
static void parts_keep_whole(struct fs *fs, const struct parts_msg *pm, struct fs_parts_data *pd,
			     size_t i, struct imap_whole *w)
{
	char *data = g_malloc(w->len + 1);
	size_t len;

	memcpy(data, w->data, w->len);
	free(w->data);
	w->data = NULL;
	data = parts_convert(&pd->parts[i], w->binary, data, w->len, &len);
	pd->sizes[i] = len;
	parts_store(fs, pm, pd, i, data, len);
	g_free(data);
}

/* The parts marked in want fetched whole in one command (when there are
 * two or more), converted, kept in the block cache and their sizes set;
 * done[i] is set for each.  Anything wrong (a server that cannot decode
 * one of them after all, a dead connection) leaves them to
 * parts_fetch_whole, one by one.  *cp as for fs_read_conn. */
static void parts_fetch_wholes(struct fs *fs, const struct parts_msg *pm, struct fs_parts_data *pd,
			       const bool *want, bool *done, struct imap_conn **cp)
{
	struct imap_whole *w = calloc(pd->n ? pd->n : 1, sizeof(*w));
	size_t *which = calloc(pd->n ? pd->n : 1, sizeof(*which)), n = 0;
	uint64_t total = 0;
	int ret;

	if (w == NULL || which == NULL)
		abort();
	for (size_t i = 0; i < pd->n; i++) {
		const struct imap_body *b = pd->parts[i].body;
		bool text = pd->parts[i].kind == MAIL_PART_TEXT || pd->parts[i].kind == MAIL_PART_HTML;

		if (!want[i] || done[i] || b->size > (text ? PARTS_TEXT_MAX : PARTS_WHOLE_MAX) ||
		    total + b->size > PARTS_WHOLES_MAX)
			continue;
		total += b->size;
		w[n] = (struct imap_whole){
		    .section = b->section, .binary = pd->binary[i], .max = (size_t)b->size};
		which[n++] = i;
	}
	if (n >= 2) {
		ret = fs_read_conn(fs, pm->mbox, pm->uid, pm->uidvalidity, cp);
		if (ret == 0)
			ret = imap_conn_fetch_parts(*cp, pm->uid, NULL, 0, NULL, w, n, NULL, 0);
		if (ret < 0 && *cp != NULL) {
			log_debug(LOG_FS, "%s UID %u: fetching %zu parts in one command failed (%s); "
					  "one at a time",
				  pm->raw, pm->uid, n, imap_conn_error(*cp));
			if (imap_conn_is_broken(*cp)) {
				imap_pool_put(fs->cfg.pool, *cp);
				*cp = NULL;
			}
		}
		for (size_t k = 0; ret == 0 && k < n; k++) {
			parts_keep_whole(fs, pm, pd, which[k], &w[k]);
			done[which[k]] = true;
		}
	}
	free(w);
	free(which);
}

/* The cache key of what part p's file shows: body.txt and body.html are
 * kept converted to UTF-8 under "utf8:" + section (no IMAP section starts
 * so), everything else under its section.  sec is the room for the
 * former. */
static struct cache_key parts_key(const struct parts_msg *pm, const struct mail_part *p,
				  char *sec, size_t seclen)
{
	struct cache_key key = {.mailbox = pm->raw,
				.uidvalidity = pm->uidvalidity,
				.uid = pm->uid,
				.section = p->body->section};

	if (p->kind == MAIL_PART_TEXT || p->kind == MAIL_PART_HTML) {
		snprintf(sec, seclen, PARTS_TEXT_PREFIX "%s", p->body->section);
		key.section = sec;
	}
	return key;
}

/* Keeps the whole of part i's file (len bytes) in the block cache. */
static void parts_store(struct fs *fs, const struct parts_msg *pm, const struct fs_parts_data *pd,
			size_t i, const char *data, size_t len)
{
	char sec[PARTS_SECTION_MAX];
	struct cache_key key = parts_key(pm, &pd->parts[i], sec, sizeof(sec));

	cache_block_put_run(fs->cfg.cache, &key, data, len);
}

/* ---- the structures of several messages in one command ---- */

/* Takes pm's structure from its mailbox's trees table, if a neighbour's
 * listing fetched it. */
static bool parts_tree_take(struct fs *fs, const struct parts_msg *pm, struct imap_body **body_r,
			    char **headers_r, size_t *hlen_r, bool *binary_r)
{
	struct fs_parts_tree *t = NULL;

	pthread_mutex_lock(&fs->lock);
	if (pm->mbox->trees != NULL) {
		t = g_hash_table_lookup(pm->mbox->trees, GUINT_TO_POINTER(pm->uid));
		if (t != NULL) {
			g_hash_table_steal(pm->mbox->trees, GUINT_TO_POINTER(pm->uid));
			fs->parts_trees--;
		}
	}
	pthread_mutex_unlock(&fs->lock);
	if (t == NULL)
		return false;
	if (t->uidvalidity != pm->uidvalidity) {
		fs_parts_tree_free(t);
		return false;
	}
	*body_r = t->body;
	*headers_r = t->headers;
	*hlen_r = t->hlen;
	*binary_r = t->binary;
	free(t);
	return true;
}

/* Whether uid's .parts needs its structure from the server: listed in
 * this mailbox, not loaded, none waiting.  Under fs->lock. */
static bool parts_tree_wanted(const struct fs_mbox *m, uint32_t uid)
{
	const struct fs_node *d;

	if (m->trees != NULL && g_hash_table_contains(m->trees, GUINT_TO_POINTER(uid)))
		return false;
	d = m->parts_dirs != NULL ? g_hash_table_lookup(m->parts_dirs, GUINT_TO_POINTER(uid)) : NULL;
	return d == NULL || d->pd == NULL;
}

/* The UIDs whose structure to ask for with pm's, ascending: the next
 * PARTS_BATCH - 1 listed messages of its mailbox (by UID, then the ones
 * before when the end is near) whose structure is not known yet, in
 * memory or in a record in the block cache.  Returns how many. */
static size_t parts_batch(struct fs *fs, const struct parts_msg *pm, uint32_t *uids)
{
	uint32_t above[PARTS_BATCH], below[PARTS_BATCH];
	size_t na = 0, nb = 0, n = 0;
	GHashTableIter it;
	gpointer k;

	pthread_mutex_lock(&fs->lock);
	if (pm->mbox->listed && pm->mbox->uidvalidity == pm->uidvalidity) {
		/* The PARTS_BATCH - 1 smallest UIDs above, and as many
		 * largest below, by insertion into short sorted arrays. */
		g_hash_table_iter_init(&it, pm->mbox->msgs);
		while (g_hash_table_iter_next(&it, &k, NULL)) {
			uint32_t u = GPOINTER_TO_UINT(k);
			size_t j;

			if (u == pm->uid || !parts_tree_wanted(pm->mbox, u))
				continue;
			if (u > pm->uid && (na < PARTS_BATCH - 1 || u < above[na - 1])) {
				j = na < PARTS_BATCH - 1 ? na++ : na - 1;
				for (; j > 0 && above[j - 1] > u; j--)
					above[j] = above[j - 1];
				above[j] = u;
			} else if (u < pm->uid && (nb < PARTS_BATCH - 1 || u > below[nb - 1])) {
				j = nb < PARTS_BATCH - 1 ? nb++ : nb - 1;
				for (; j > 0 && below[j - 1] < u; j--)
					below[j] = below[j - 1];
				below[j] = u;
			}
		}
	}
	pthread_mutex_unlock(&fs->lock);
	for (size_t i = 0; i < na + nb && n < PARTS_BATCH - 1; i++) {
		struct cache_key key = {.mailbox = pm->raw,
					.uidvalidity = pm->uidvalidity,
					.uid = i < na ? above[i] : below[i - na],
					.section = PARTS_RECORD_SECTION};

		if (!cache_block_has(fs->cfg.cache, &key))
			uids[n++] = key.uid;
	}
	qsort(uids, n, sizeof(*uids), fs_cmp_u32);
	return n;
}

/* The nodes of tree b, counting up to max. */
static size_t parts_count(const struct imap_body *b, size_t max)
{
	size_t n = 1;

	for (size_t i = 0; i < b->nchildren && n < max; i++)
		n += parts_count(&b->children[i], max - n);
	return n;
}

/* Drops every waiting structure (when there are too many: those not
 * listed by now are fetched again when they are).  Under fs->lock. */
static void parts_trees_clear(struct fs *fs)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, fs->mboxes);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct fs_mbox *m = v;

		if (m->trees != NULL)
			g_hash_table_remove_all(m->trees);
	}
	fs->parts_trees = 0;
}

struct parts_batch_ctx {
	struct fs *fs;
	const struct parts_msg *pm;
	struct imap_conn *c;
};

/* A neighbour's structure (parts_batch): into its mailbox's trees. */
static int parts_batch_cb(void *arg, uint32_t uid, struct imap_body *body, const char *headers,
			  size_t hlen, const char *err)
{
	struct parts_batch_ctx *b = arg;
	struct fs_mbox *m = b->pm->mbox;
	struct fs_parts_tree *t;
	char *copy;

	(void)err;
	if (body == NULL)
		return 0; /* its own listing will say so */
	if (hlen > PARTS_TREE_HEADERS_MAX || parts_count(body, PARTS_TREE_PARTS_MAX + 1) >
						  PARTS_TREE_PARTS_MAX) {
		imap_body_free(&body); /* large: fetched again when listed */
		return 0;
	}
	copy = malloc(hlen + 1);
	t = malloc(sizeof(*t));
	if (copy == NULL || t == NULL)
		abort();
	memcpy(copy, headers, hlen + 1);
	*t = (struct fs_parts_tree){.uidvalidity = b->pm->uidvalidity,
				    .binary = imap_conn_has_cap(b->c, "BINARY"),
				    .body = body,
				    .headers = copy,
				    .hlen = hlen};
	pthread_mutex_lock(&b->fs->lock);
	if (b->fs->parts_trees >= PARTS_TREES_MAX)
		parts_trees_clear(b->fs);
	if (m->trees == NULL)
		m->trees = g_hash_table_new_full(NULL, NULL, NULL, fs_parts_tree_free);
	if (g_hash_table_lookup(m->trees, GUINT_TO_POINTER(uid)) == NULL)
		b->fs->parts_trees++;
	g_hash_table_replace(m->trees, GUINT_TO_POINTER(uid), t);
	pthread_mutex_unlock(&b->fs->lock);
	return 0;
}

/* pm's whole message (g_free()d, NUL after *len_r bytes) when the block
 * cache holds all of it, its .eml having been read: a message listed as
 * smaller than a block whose block 0 is shorter than a full one.  Else
 * NULL. */
static char *parts_whole_cached(struct fs *fs, const struct parts_msg *pm, size_t *len_r)
{
	struct cache_key key = {
	    .mailbox = pm->raw, .uidvalidity = pm->uidvalidity, .uid = pm->uid, .section = ""};
	const struct fs_node *n;
	bool small;
	char *buf;
	ssize_t got;

	pthread_mutex_lock(&fs->lock);
	n = pm->mbox->msgs != NULL ? g_hash_table_lookup(pm->mbox->msgs, GUINT_TO_POINTER(pm->uid))
				   : NULL;
	small = n != NULL && n->uidvalidity == pm->uidvalidity && n->size < CACHE_BLOCK_SIZE;
	pthread_mutex_unlock(&fs->lock);
	if (!small)
		return NULL;
	buf = g_malloc(CACHE_BLOCK_SIZE + 1);
	got = cache_block_get(fs->cfg.cache, &key, buf);
	if (got < 0 || (size_t)got >= CACHE_BLOCK_SIZE) {
		g_free(buf);
		return NULL;
	}
	buf[got] = '\0';
	*len_r = (size_t)got;
	return buf;
}

/* pm's structure and header fields, and whether the server offers
 * BINARY: waiting in its mailbox's trees table, else from the server, in
 * one command with those of the next messages (parts_batch), which wait
 * there for their own listing.  *cp as for fs_read_conn. */
static int parts_structure(struct fs *fs, const struct parts_msg *pm, struct imap_conn **cp,
			   struct imap_body **body_r, char **headers_r, size_t *hlen_r,
			   bool *binary_r)
{
	uint32_t more[PARTS_BATCH - 1];
	size_t n;
	int ret;

	if (parts_tree_take(fs, pm, body_r, headers_r, hlen_r, binary_r))
		return 0;
	n = parts_batch(fs, pm, more);
	for (int attempt = 0;; attempt++) {
		struct parts_batch_ctx b = {.fs = fs, .pm = pm};

		ret = fs_read_conn(fs, pm->mbox, pm->uid, pm->uidvalidity, cp);
		if (ret == 0) {
			b.c = *cp;
			ret = imap_conn_fetch_structures(*cp, pm->uid, more, n, parts_batch_cb, &b,
							 body_r, headers_r, hlen_r);
		}
		if (ret == 0) {
			*binary_r = imap_conn_has_cap(*cp, "BINARY");
			return 0;
		}
		if (ret == -ESTALE || !parts_failed(fs, pm, cp, ret, attempt, "reading the structure"))
			return ret;
	}
}

/* The whole message raw (len bytes, from the block cache): every file (but
 * headers.txt) cut out of it (mail_parts_cut), decoded here, kept in the
 * block cache, its size set.  False, with nothing set, when GMime does not
 * place the parts as the server's tree does (or for an attached message):
 * the server is asked as for any message. */
static bool parts_from_whole(struct fs *fs, const struct parts_msg *pm, struct fs_parts_data *pd,
			     const char *raw, size_t len)
{
	char **data = calloc(pd->n, sizeof(*data));

	if (data == NULL)
		abort();
	if (mail_parts_cut(raw, len, pd->parts, pd->n, data) < 0) {
		log_debug(LOG_FS,
			  "%s UID %u: its parts are not where its structure says; asking "
			  "the server",
			  pm->raw, pm->uid);
		free(data);
		return false;
	}
	for (size_t i = 0; i < pd->n; i++) {
		const struct mail_part *p = &pd->parts[i];
		char *out;
		size_t n;

		if (p->kind == MAIL_PART_HEADERS)
			continue;
		/* Read again after an eviction as it was decoded now: from
		 * the bytes as stored. */
		pd->binary[i] = false;
		pd->local[i] = p->kind == MAIL_PART_FILE && parts_encoded(p->body);
		out = parts_convert(p, false, data[i], p->body->size, &n);
		pd->sizes[i] = n;
		parts_store(fs, pm, pd, i, out, n);
		g_free(out);
	}
	free(data);
	return true;
}

/* Fetches what the listing needs: the tree, and every file's size.  Round
 * trips: (1) the structure and header fields; (2) in one command, for
 * every encoded attachment its BINARY.SIZE and the span of decoded bytes
 * where it should end (parts_span_for), the whole text of body.txt and
 * body.html, and the last bytes of every attachment whose size the
 * structure gave (unencoded ones); (3) only when a span missed its part's
 * end (or there was none), the check of that part's BINARY.SIZE.
 * Command (2) is left out when the message has nothing but headers.txt.
 * Without BINARY the parts decoded here come whole in (2) too; those
 * found to need it after (2) (a server that cannot decode them) cost one
 * more, all in one command (parts_fetch_wholes) where that works.  (2)
 * is left out when the block cache holds the whole message and its parts
 * are where its tree says (parts_from_whole). */
static int parts_build(struct fs *fs, const struct parts_msg *pm, struct fs_parts_data **pd_r,
		       char **headers_r, size_t *hlen_r)
{
	struct fs_parts_data *pd = calloc(1, sizeof(*pd));
	struct imap_conn *c = NULL;
	char *headers = NULL;
	size_t hlen = 0, nsizes = 0, nwhole = 0, nspans = 0, span_bytes = 0;
	const char **sections = NULL;
	uint64_t *sizes = NULL;
	size_t *which = NULL, *which_t = NULL, *which_w = NULL, ntexts = 0;
	uint64_t whole_bytes = 0;
	struct imap_whole *whole = NULL;
	struct imap_span *spans = NULL;
	char *raw;
	size_t rawlen = 0;
	bool *checked = NULL, *fetched = NULL, *need = NULL;
	bool binary = false;
	int ret;

	if (pd == NULL)
		abort();
	/* c stays NULL when the structure was waiting: the commands below
	 * get a connection when they need one. */
	ret = parts_structure(fs, pm, &c, &pd->body, &headers, &hlen, &binary);
	if (ret < 0)
		goto out;
	pd->n = mail_parts_list(pd->body, &pd->parts);
	pd->sizes = calloc(pd->n, sizeof(*pd->sizes));
	pd->texts = calloc(pd->n, sizeof(*pd->texts));
	pd->binary = calloc(pd->n, sizeof(*pd->binary));
	pd->local = calloc(pd->n, sizeof(*pd->local));
	sections = calloc(pd->n, sizeof(*sections));
	sizes = calloc(pd->n, sizeof(*sizes));
	which = calloc(pd->n, sizeof(*which));
	which_t = calloc(pd->n, sizeof(*which_t));
	spans = calloc(pd->n, sizeof(*spans));
	whole = calloc(pd->n, sizeof(*whole));
	which_w = calloc(pd->n, sizeof(*which_w));
	checked = calloc(pd->n, sizeof(*checked));
	fetched = calloc(pd->n, sizeof(*fetched));
	need = calloc(pd->n, sizeof(*need));
	if (!pd->sizes || !pd->texts || !pd->binary || !pd->local || !sections || !sizes ||
	    !which || !which_t || !spans || !checked || !fetched || !need || !whole || !which_w)
		abort();
	for (size_t i = 0; i < pd->n; i++) {
		if (pd->parts[i].kind == MAIL_PART_HEADERS) {
			pd->texts[i] = mail_parts_headers_txt(headers, hlen);
			pd->sizes[i] = strlen(pd->texts[i]);
		}
	}
	raw = parts_whole_cached(fs, pm, &rawlen);
	if (raw != NULL) {
		bool cut = parts_from_whole(fs, pm, pd, raw, rawlen);

		g_free(raw);
		if (cut)
			goto out; /* ret is 0 */
	}
	for (size_t i = 0; i < pd->n; i++) {
		const struct mail_part *p = &pd->parts[i];

		if (p->kind == MAIL_PART_HEADERS) {
			continue;
		} else if (p->kind == MAIL_PART_TEXT || p->kind == MAIL_PART_HTML) {
			/* Its size is that of what it converts into: fetched
			 * whole (a larger one fails below with EFBIG). */
			pd->binary[i] = binary && parts_encoded(p->body);
			if (p->body->size <= PARTS_TEXT_MAX && ntexts++ < 2) {
				whole[nwhole] = (struct imap_whole){.section = p->body->section,
								    .binary = pd->binary[i],
								    .max = p->body->size};
				which_w[nwhole++] = i;
			}
		} else if (!parts_encoded(p->body)) {
			pd->sizes[i] = p->body->size;
			spans[nspans] = (struct imap_span){.section = p->body->section,
							   .off = pd->sizes[i] > 0 ? pd->sizes[i] - 1
										   : 0,
							   .len = 2};
			which_t[nspans++] = i;
		} else if (binary) {
			uint64_t off;
			size_t len;

			pd->binary[i] = true;
			sections[nsizes] = p->body->section;
			which[nsizes++] = i;
			if (parts_span_for(p->body, &off, &len) && span_bytes + len <= PARTS_SPANS_MAX) {
				span_bytes += len;
				spans[nspans] = (struct imap_span){
				    .section = p->body->section, .binary = true, .off = off, .len = len};
				which_t[nspans++] = i;
			}
		} else {
			/* No BINARY: fetched whole to be decoded here, with the
			 * texts (up to PARTS_WHOLES_MAX in all; the rest after). */
			pd->local[i] = true;
			if (p->body->size <= PARTS_WHOLE_MAX &&
			    whole_bytes + p->body->size <= PARTS_WHOLES_MAX) {
				whole_bytes += p->body->size;
				whole[nwhole] = (struct imap_whole){
				    .section = p->body->section, .max = p->body->size};
				which_w[nwhole++] = i;
			}
		}
	}
	if (nsizes + nwhole + nspans > 0) {
		ret = fs_read_conn(fs, pm->mbox, pm->uid, pm->uidvalidity, &c);
		if (ret == 0)
			ret = imap_conn_fetch_parts(c, pm->uid, sections, nsizes, sizes, whole, nwhole,
						    spans, nspans);
		if (ret == -ESTALE)
			goto out;
		if (ret < 0) {
			/* A server that cannot decode a part says NO (Dovecot
			 * 2.3.19: "[PARSE] Invalid data in MIME part") or even
			 * drops the connection ("Internal error"): decode here,
			 * leniently, as mail readers do.  Not retried: it would
			 * only fail again; a dead server fails the fetches below,
			 * which take the texts and check the sizes one by one. */
			log_info("%s UID %u: the server cannot tell the decoded sizes of its parts "
				 "(%s); decoding them here",
				 pm->raw, pm->uid, c != NULL ? imap_conn_error(c) : strerror(-ret));
			if (c != NULL) {
				imap_pool_put(fs->cfg.pool, c);
				c = NULL;
			}
			for (size_t i = 0; i < pd->n; i++) {
				if (!pd->binary[i])
					continue;
				pd->binary[i] = false;
				pd->local[i] = pd->parts[i].kind == MAIL_PART_FILE ||
					       pd->parts[i].kind == MAIL_PART_MESSAGE;
			}
			nsizes = nwhole = nspans = 0;
		}
		for (size_t k = 0; k < nspans; k++) {
			size_t j = which_t[k];
			uint64_t size;

			if (!parts_encoded(pd->parts[j].body)) {
				checked[j] = true;
				(void)parts_tail_ok(pm, pd, j, &spans[k]);
			} else if (parts_span_size(&spans[k], &size)) {
				/* Found where it ends: exact, whatever BINARY.SIZE
				 * said. */
				pd->sizes[j] = size;
				checked[j] = true;
			}
		}
		for (size_t k = 0; k < nsizes; k++) {
			size_t j = which[k];

			if (checked[j]) {
				if (sizes[k] != pd->sizes[j])
					log_debug(LOG_FS, "%s UID %u part %s: BINARY.SIZE %llu, but it ends "
						  "after %llu bytes",
						  pm->raw, pm->uid, pd->parts[j].body->section,
						  (unsigned long long)sizes[k],
						  (unsigned long long)pd->sizes[j]);
			} else if (parts_size_plausible(pd->parts[j].body, sizes[k])) {
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
		for (size_t k = 0; k < nwhole; k++) {
			parts_keep_whole(fs, pm, pd, which_w[k], &whole[k]);
			fetched[which_w[k]] = true;
		}
	}
	/* Every size comes from the server (BODYSTRUCTURE, BINARY.SIZE, a
	 * span), and Dovecot 2.3.19's BINARY.SIZE is wrong for about 1.5% of
	 * real parts: each not found by its span is checked by fetching the
	 * byte at size - 1 and the one after it (1 byte back means exact), all
	 * in one command (those the structure gave already were, with the
	 * texts); a part that fails is fetched whole below to learn its
	 * size. */
	ret = parts_check_sizes(fs, pm, pd, checked, &c);
	if (ret < 0)
		goto out;
	/* The texts not fetched yet, and the parts decoded here, are fetched
	 * now: their size is that of what they turn into.  All in one
	 * command where that works, else one by one. */
	for (size_t i = 0; i < pd->n; i++)
		need[i] = !fetched[i] && (pd->parts[i].kind == MAIL_PART_TEXT ||
					  pd->parts[i].kind == MAIL_PART_HTML || pd->local[i]);
	parts_fetch_wholes(fs, pm, pd, need, fetched, &c);
	for (size_t i = 0; i < pd->n; i++) {
		const struct mail_part *p = &pd->parts[i];
		char *data = NULL;
		size_t len = 0;

		if (fetched[i] ||
		    (p->kind != MAIL_PART_TEXT && p->kind != MAIL_PART_HTML && !pd->local[i]))
			continue;
		/* A part fetched whole because its BINARY.SIZE made no sense
		 * is still decoded by the server (binary stays set). */
		ret = parts_fetch_whole(fs, pm, pd, i, &c, &data, &len);
		if (ret < 0)
			goto out;
		pd->sizes[i] = len;
		parts_store(fs, pm, pd, i, data, len);
		g_free(data);
	}
	ret = 0;
out:
	if (c != NULL)
		imap_pool_put(fs->cfg.pool, c);
	for (size_t k = 0; k < nwhole; k++)
		free(whole[k].data);
	free(whole);
	free(which_w);
	free(sections);
	free(sizes);
	free(which);
	free(which_t);
	free(spans);
	free(checked);
	free(fetched);
	free(need);
	if (ret < 0) {
		free(headers);
		fs_parts_data_free(pd);
		return ret;
	}
	*pd_r = pd;
	*headers_r = headers;
	*hlen_r = hlen;
	return 0;
}

/* ---- the record of a listing, in the block cache ----
 *
 * Under section PARTS_RECORD_SECTION, from block 0, as many blocks as it
 * takes:
 *
 *   imapfs-parts 1 LENGTH SHA256\n      LENGTH (10 digits) of the whole
 *                                       record, SHA256 (64 hex digits) of
 *                                       all that follows this line
 *   tree N\n  <imap_body_to_text, N bytes>\n
 *   headers N\n  <the raw header block, N bytes>\n
 *   parts N\n                          as many as mail_parts_list gives
 *   SIZE FLAGS\n                       per file, in that order; FLAGS is
 *                                       two characters: 'b' (binary) or '-',
 *                                       'l' (local) or '-'
 *
 * The store checksums each block; the digest also catches blocks of two
 * different records (a put of a later block that failed). */

static void parts_record_put(struct fs *fs, const struct parts_msg *pm,
			     const struct fs_parts_data *pd, const char *headers, size_t hlen)
{
	struct cache_key key = {.mailbox = pm->raw,
				.uidvalidity = pm->uidvalidity,
				.uid = pm->uid,
				.section = PARTS_RECORD_SECTION};
	struct buf tree = BUF_INIT, rest = BUF_INIT, rec = BUF_INIT;
	char *digest;

	imap_body_to_text(pd->body, &tree);
	buf_appendf(&rest, "tree %zu\n", tree.len);
	buf_append(&rest, tree.data, tree.len);
	buf_appendf(&rest, "\nheaders %zu\n", hlen);
	buf_append(&rest, headers, hlen);
	buf_appendf(&rest, "\nparts %zu\n", pd->n);
	for (size_t i = 0; i < pd->n; i++)
		buf_appendf(&rest, "%llu %c%c\n", (unsigned long long)pd->sizes[i],
			    pd->binary[i] ? 'b' : '-', pd->local[i] ? 'l' : '-');
	digest = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)rest.data,
					     rest.len);
	buf_appendf(&rec, PARTS_RECORD_MAGIC " %010zu %s\n", PARTS_RECORD_HEAD + rest.len, digest);
	buf_append(&rec, rest.data, rest.len);
	if (rec.len <= PARTS_RECORD_MAX)
		cache_block_put_run(fs->cfg.cache, &key, rec.data, rec.len);
	g_free(digest);
	buf_free(&tree);
	buf_free(&rest);
	buf_free(&rec);
}
/* A cursor over a record being parsed. */
struct parts_rd {
	const char *p, *end;
};

/* "WORD N\n": N (digits only, at most max). */
static bool parts_rd_count(struct parts_rd *r, const char *word, uint64_t max, uint64_t *n_r)
{
	size_t wl = strlen(word);
	uint64_t v = 0;
	const char *d;

	if ((size_t)(r->end - r->p) < wl + 1 || memcmp(r->p, word, wl) != 0 || r->p[wl] != ' ')
		return false;
	r->p += wl + 1;
	for (d = r->p; r->p < r->end && *r->p >= '0' && *r->p <= '9'; r->p++) {
		if (r->p - d >= 20 || v > (UINT64_MAX - (uint64_t)(*r->p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*r->p - '0');
	}
	if (r->p == d || r->p == r->end || *r->p != '\n' || v > max)
		return false;
	r->p++;
	*n_r = v;
	return true;
}

/* n bytes, then "\n": *data_r points at them. */
static bool parts_rd_bytes(struct parts_rd *r, uint64_t n, const char **data_r)
{
	if ((uint64_t)(r->end - r->p) < n + 1 || r->p[n] != '\n')
		return false;
	*data_r = r->p;
	r->p += n + 1;
	return true;
}

/* Whether what the record says of file i can be true of its part: a wrong
 * size would be served as the file's size. */
static bool parts_record_sane(const struct fs_parts_data *pd, size_t i)
{
	const struct mail_part *p = &pd->parts[i];
	uint64_t size = pd->sizes[i];

	switch (p->kind) {
	case MAIL_PART_HEADERS:
		return !pd->binary[i] && !pd->local[i];
	case MAIL_PART_TEXT:
	case MAIL_PART_HTML:
		/* A byte turns into at most 4 of UTF-8. */
		return !pd->local[i] && (!pd->binary[i] || parts_encoded(p->body)) &&
		       p->body->size <= PARTS_TEXT_MAX && size <= 4 * p->body->size;
	case MAIL_PART_FILE:
	case MAIL_PART_MESSAGE:
		if (pd->binary[i] && !parts_encoded(p->body))
			return false;
		/* Decoding never makes a part larger; one fetched whole is
		 * asked for one byte more than its size (parts_fetch_whole). */
		if (pd->local[i])
			return size <= p->body->size + 1 && p->body->size <= PARTS_WHOLE_MAX;
		if (pd->binary[i])
			return parts_size_plausible(p->body, size);
		return !parts_encoded(p->body) && size == p->body->size;
	}
	return false;
}

/* The listing as a record in the cache left it, or -ENOENT: not there,
 * or anything in it wrong (logged at debug level). */
static int parts_record_get(struct fs *fs, const struct parts_msg *pm, struct fs_parts_data **pd_r)
{
	struct cache_key key = {.mailbox = pm->raw,
				.uidvalidity = pm->uidvalidity,
				.uid = pm->uid,
				.section = PARTS_RECORD_SECTION};
	struct fs_parts_data *pd = NULL;
	const char *why = NULL, *tree, *headers;
	char *rec = NULL, *digest = NULL, err[256];
	uint64_t total = 0, tlen, hlen, n;
	struct parts_rd r;
	ssize_t got;

	rec = malloc(CACHE_BLOCK_SIZE);
	if (rec == NULL)
		return -ENOENT;
	got = cache_block_get(fs->cfg.cache, &key, rec);
	if (got < 0) {
		free(rec);
		return -ENOENT;
	}
	/* The first line: the magic, the length, the digest. */
	if ((size_t)got < PARTS_RECORD_HEAD ||
	    memcmp(rec, PARTS_RECORD_MAGIC " ", sizeof(PARTS_RECORD_MAGIC)) != 0 ||
	    rec[PARTS_RECORD_HEAD - 66] != ' ' || rec[PARTS_RECORD_HEAD - 1] != '\n') {
		why = "not a record of this version";
		goto out;
	}
	for (size_t k = sizeof(PARTS_RECORD_MAGIC); k < sizeof(PARTS_RECORD_MAGIC) + 10; k++) {
		if (rec[k] < '0' || rec[k] > '9') {
			why = "bad length";
			goto out;
		}
		total = total * 10 + (uint64_t)(rec[k] - '0');
	}
	if (total < PARTS_RECORD_HEAD || total > PARTS_RECORD_MAX ||
	    (uint64_t)got != (total < CACHE_BLOCK_SIZE ? total : CACHE_BLOCK_SIZE)) {
		why = "length does not match";
		goto out;
	}
	/* Every further block, each exactly as long as the length says. */
	if (total > CACHE_BLOCK_SIZE) {
		char *all = realloc(rec, (size_t)total);

		if (all == NULL) {
			why = "out of memory";
			goto out;
		}
		rec = all;
		for (uint64_t at = CACHE_BLOCK_SIZE; at < total; at += CACHE_BLOCK_SIZE) {
			char *blk = malloc(CACHE_BLOCK_SIZE);
			uint64_t want = total - at < CACHE_BLOCK_SIZE ? total - at : CACHE_BLOCK_SIZE;

			if (blk == NULL) {
				why = "out of memory";
				goto out;
			}
			key.block = at / CACHE_BLOCK_SIZE;
			got = cache_block_get(fs->cfg.cache, &key, blk);
			if (got == (ssize_t)want)
				memcpy(rec + at, blk, (size_t)want);
			free(blk);
			if (got != (ssize_t)want) {
				why = got < 0 ? "a block is missing" : "a block has the wrong length";
				goto out;
			}
		}
	}
	digest = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
					     (const guchar *)rec + PARTS_RECORD_HEAD,
					     (size_t)total - PARTS_RECORD_HEAD);
	if (memcmp(digest, rec + PARTS_RECORD_HEAD - 65, 64) != 0) {
		why = "digest does not match";
		goto out;
	}
	r = (struct parts_rd){.p = rec + PARTS_RECORD_HEAD, .end = rec + total};
	if (!parts_rd_count(&r, "tree", total, &tlen) || !parts_rd_bytes(&r, tlen, &tree) ||
	    !parts_rd_count(&r, "headers", total, &hlen) || !parts_rd_bytes(&r, hlen, &headers) ||
	    !parts_rd_count(&r, "parts", IMAP_BODY_MAX_PARTS + 1, &n)) {
		why = "malformed";
		goto out;
	}
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL)
		abort();
	if (imap_body_from_text(tree, (size_t)tlen, &pd->body, err, sizeof(err)) < 0) {
		why = "the tree does not parse";
		goto out;
	}
	pd->n = mail_parts_list(pd->body, &pd->parts);
	if (pd->n != n) {
		why = "the tree has another number of files";
		goto out;
	}
	pd->sizes = calloc(pd->n, sizeof(*pd->sizes));
	pd->texts = calloc(pd->n, sizeof(*pd->texts));
	pd->binary = calloc(pd->n, sizeof(*pd->binary));
	pd->local = calloc(pd->n, sizeof(*pd->local));
	if (!pd->sizes || !pd->texts || !pd->binary || !pd->local)
		abort();
	for (size_t i = 0; i < pd->n; i++) {
		const char *d = r.p;
		uint64_t v = 0;

		while (r.p < r.end && *r.p >= '0' && *r.p <= '9' && r.p - d < 20) {
			if (v > (UINT64_MAX - (uint64_t)(*r.p - '0')) / 10)
				break;
			v = v * 10 + (uint64_t)(*r.p - '0');
			r.p++;
		}
		if (r.p == d || r.end - r.p < 4 || r.p[0] != ' ' ||
		    (r.p[1] != 'b' && r.p[1] != '-') || (r.p[2] != 'l' && r.p[2] != '-') ||
		    r.p[3] != '\n') {
			why = "malformed file line";
			goto out;
		}
		pd->sizes[i] = v;
		pd->binary[i] = r.p[1] == 'b';
		pd->local[i] = r.p[2] == 'l';
		r.p += 4;
		if (!parts_record_sane(pd, i)) {
			why = "a size or flag cannot be right";
			goto out;
		}
		if (pd->parts[i].kind == MAIL_PART_HEADERS) {
			pd->texts[i] = mail_parts_headers_txt(headers, (size_t)hlen);
			if (strlen(pd->texts[i]) != pd->sizes[i]) {
				why = "headers.txt has another size";
				goto out;
			}
		}
	}
	if (r.p != r.end)
		why = "bytes after the last file";
out:
	if (why != NULL) {
		log_debug(LOG_CACHE, "%s UID %u: the cached listing of its parts is refused (%s); "
				     "asking the server",
			  pm->raw, pm->uid, why);
		fs_parts_data_free(pd);
		pd = NULL;
	}
	g_free(digest);
	free(rec);
	if (pd == NULL)
		return -ENOENT;
	*pd_r = pd;
	return 0;
}

int fs_parts_load(struct fs *fs, struct fs_node *d)
{
	struct fs_parts_data *pd = NULL;
	struct parts_msg pm;
	char *headers = NULL;
	size_t hlen = 0;
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

	if (parts_record_get(fs, &pm, &pd) < 0) {
		ret = parts_build(fs, &pm, &pd, &headers, &hlen);
		if (ret < 0) {
			log_warnx("cannot list the parts of %s UID %u", pm.raw, pm.uid);
			return fs_errno_net(ret);
		}
		parts_record_put(fs, &pm, pd, headers, hlen);
		free(headers);
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
	char sec[PARTS_SECTION_MAX];
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
	key = parts_key(&pm, &pd->parts[i], sec, sizeof(sec));
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
		if (pd->local[i] || pd->parts[i].kind == MAIL_PART_TEXT ||
		    pd->parts[i].kind == MAIL_PART_HTML) {
			/* Decoded or converted here (or its size only known so):
			 * fetch and turn the whole part again, keep all of it,
			 * and take the blocks still missing. */
			char *whole = NULL;
			size_t len = 0;

			ret = parts_fetch_whole(fs, &pm, pd, i, &c, &whole, &len);
			if (ret == 0 && len != fsize) {
				log_warnx("part %s of %s UID %u: %zu bytes now, not %llu as listed",
					  pd->parts[i].body->section, pm.raw, pm.uid, len,
					  (unsigned long long)fsize);
				ret = -EIO;
			}
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

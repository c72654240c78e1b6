/* cache_index: one verified file per mailbox (see the header).
 *
 * Layout, host byte order (the cache is local to one machine; a file
 * from another byte order fails the byte-order mark):
 *
 *   header  "IMAPFSIX" version bom uidvalidity uidnext exists count
 *           highestmodseq namelen reserved             (48 bytes)
 *   name    the raw mailbox name, namelen bytes
 *   records count times: uid bits internaldate size flagslen namelen
 *           msgidlen pad (32 bytes), then flags, name, message-id, each
 *           followed by a NUL
 *   trailer SHA-256 of everything before it (32 bytes)
 *
 * The name is stored so that a hash collision or a file copied under
 * another name is refused rather than shown as another mailbox. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imapfs/cache_index.h"

#define CACHE_INDEX_MAGIC "IMAPFSIX"
#define CACHE_INDEX_BOM 0x01020304u
#define CACHE_INDEX_HDR 48u
#define CACHE_INDEX_REC 32u
#define CACHE_INDEX_SUM 32u
#define CACHE_INDEX_MAX_STR 65535u
/* Bounds what a damaged or planted file makes a load allocate. */
#define CACHE_INDEX_MAX_FILE (1u << 30)

enum {
	CACHE_INDEX_EXACT = 1u << 0,
	CACHE_INDEX_HAS_MSGID = 1u << 1,
};

struct cache_index_writer {
	GByteArray *b;
	uint32_t count;
	char *mailbox;
};

struct cache_index {
	char *data; /* the whole file; strings point into it */
	struct cache_index_head head;
	struct cache_index_msg *msgs;
	size_t count;
};

static void cache_index_put32(GByteArray *b, uint32_t v)
{
	g_byte_array_append(b, (const guint8 *)&v, sizeof(v));
}

static void cache_index_put64(GByteArray *b, uint64_t v)
{
	g_byte_array_append(b, (const guint8 *)&v, sizeof(v));
}

static void cache_index_put16(GByteArray *b, uint16_t v)
{
	g_byte_array_append(b, (const guint8 *)&v, sizeof(v));
}

static uint32_t cache_index_get32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t cache_index_get64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint16_t cache_index_get16(const char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

char *cache_index_path(const char *dir, const char *mailbox)
{
	gchar *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, mailbox, -1);
	char *path;

	if (asprintf(&path, "%s/index/%s", dir, hex) < 0)
		abort();
	g_free(hex);
	return path;
}

/* ---- writing ---- */

struct cache_index_writer *cache_index_writer_new(const char *mailbox,
						  const struct cache_index_head *h)
{
	struct cache_index_writer *w = calloc(1, sizeof(*w));
	size_t len = strlen(mailbox);

	if (w == NULL)
		abort();
	w->mailbox = strdup(mailbox);
	if (w->mailbox == NULL)
		abort();
	w->b = g_byte_array_new();
	g_byte_array_append(w->b, (const guint8 *)CACHE_INDEX_MAGIC, 8);
	cache_index_put32(w->b, CACHE_INDEX_VERSION);
	cache_index_put32(w->b, CACHE_INDEX_BOM);
	cache_index_put32(w->b, h->uidvalidity);
	cache_index_put32(w->b, h->uidnext);
	cache_index_put32(w->b, h->exists);
	cache_index_put32(w->b, 0); /* count, set when saving */
	cache_index_put64(w->b, h->highestmodseq);
	cache_index_put32(w->b, (uint32_t)len);
	cache_index_put32(w->b, 0);
	g_byte_array_append(w->b, (const guint8 *)mailbox, (guint)len);
	return w;
}

void cache_index_writer_reserve(struct cache_index_writer *w, size_t nmsgs, size_t strbytes)
{
	size_t want = w->b->len + nmsgs * (CACHE_INDEX_REC + 3) + strbytes + CACHE_INDEX_SUM;
	guint len = w->b->len;

	if (want > G_MAXUINT)
		return;
	/* GByteArray has no reserve: growing the length allocates once. */
	g_byte_array_set_size(w->b, (guint)want);
	g_byte_array_set_size(w->b, len);
}

int cache_index_writer_add(struct cache_index_writer *w, const struct cache_index_msg *m)
{
	const char *flags = m->flags != NULL ? m->flags : "";
	const char *msgid = m->message_id != NULL ? m->message_id : "";
	size_t fl = strlen(flags), nl = m->name != NULL ? strlen(m->name) : 0, ml = strlen(msgid);
	int64_t date = m->internaldate;

	if (m->uid == 0 || nl == 0 || strchr(m->name, '/') != NULL || fl > CACHE_INDEX_MAX_STR ||
	    nl > CACHE_INDEX_MAX_STR || ml > CACHE_INDEX_MAX_STR)
		return -EINVAL;
	cache_index_put32(w->b, m->uid);
	cache_index_put32(w->b, (m->size_exact ? CACHE_INDEX_EXACT : 0) |
				    (m->message_id != NULL ? CACHE_INDEX_HAS_MSGID : 0));
	cache_index_put64(w->b, (uint64_t)date);
	cache_index_put64(w->b, m->size);
	cache_index_put16(w->b, (uint16_t)fl);
	cache_index_put16(w->b, (uint16_t)nl);
	cache_index_put16(w->b, (uint16_t)ml);
	cache_index_put16(w->b, 0);
	g_byte_array_append(w->b, (const guint8 *)flags, (guint)fl + 1);
	g_byte_array_append(w->b, (const guint8 *)m->name, (guint)nl + 1);
	g_byte_array_append(w->b, (const guint8 *)msgid, (guint)ml + 1);
	w->count++;
	return 0;
}

static int cache_index_write_all(int fd, const guint8 *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int cache_index_writer_save(struct cache_index_writer *w, const char *dir)
{
	static unsigned seq; /* only makes temporary names unique */
	char *path = cache_index_path(dir, w->mailbox);
	char *idir = NULL, *tmp = NULL;
	guint8 sum[CACHE_INDEX_SUM];
	gsize sumlen = sizeof(sum);
	GChecksum *ck;
	size_t len;
	int fd = -1, ret;

	/* Finish the image: the count, then the checksum over it all. */
	len = w->b->len;
	memcpy(w->b->data + 28, &w->count, sizeof(w->count));
	ck = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(ck, w->b->data, len);
	g_checksum_get_digest(ck, sum, &sumlen);
	g_checksum_free(ck);

	if (asprintf(&idir, "%s/index", dir) < 0 ||
	    asprintf(&tmp, "%s/.tmp.%ld.%u", idir, (long)getpid(),
		     __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED)) < 0)
		abort();
	if (mkdir(idir, 0700) < 0 && errno != EEXIST) {
		ret = -errno;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = cache_index_write_all(fd, w->b->data, len);
	if (ret == 0)
		ret = cache_index_write_all(fd, sum, sizeof(sum));
	/* The data must be on disk before the name points to it, or a crash
	 * could leave a complete name over incomplete content. */
	if (ret == 0 && fdatasync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	fd = -1;
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0)
		unlink(tmp);
out:
	free(tmp);
	free(idir);
	free(path);
	return ret;
}

void cache_index_writer_free(struct cache_index_writer **w)
{
	if (*w == NULL)
		return;
	g_byte_array_free((*w)->b, TRUE);
	free((*w)->mailbox);
	free(*w);
	*w = NULL;
}

/* ---- reading ---- */

static int cache_index_read_file(const char *path, char **data_r, size_t *len_r)
{
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CACHE_INDEX_MAX_FILE ||
	    st.st_size < (off_t)(CACHE_INDEX_HDR + CACHE_INDEX_SUM)) {
		ret = -EBADMSG;
		goto out;
	}
	data = malloc((size_t)st.st_size);
	if (data == NULL)
		abort();
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	/* Truncated while we read it: not an index. */
	if (got != (size_t)st.st_size) {
		ret = -EBADMSG;
		goto out;
	}
	*data_r = data;
	*len_r = got;
	data = NULL;
out:
	free(data);
	close(fd);
	return ret;
}

/* A string of len bytes at p + *off followed by a NUL, all before end,
 * with no NUL inside. */
static const char *cache_index_str(const char *p, size_t *off, size_t end, size_t len)
{
	const char *s = p + *off;

	if (end - *off < len + 1 || s[len] != '\0' || memchr(s, '\0', len) != NULL)
		return NULL;
	*off += len + 1;
	return s;
}

static int cache_index_parse(struct cache_index *idx, const char *mailbox, size_t len)
{
	const char *p = idx->data;
	size_t end = len - CACHE_INDEX_SUM, off, namelen;
	guint8 sum[CACHE_INDEX_SUM];
	gsize sumlen = sizeof(sum);
	GChecksum *ck;
	uint32_t count;

	if (memcmp(p, CACHE_INDEX_MAGIC, 8) != 0 ||
	    cache_index_get32(p + 8) != CACHE_INDEX_VERSION ||
	    cache_index_get32(p + 12) != CACHE_INDEX_BOM)
		return -EBADMSG;
	ck = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(ck, (const guchar *)p, end);
	g_checksum_get_digest(ck, sum, &sumlen);
	g_checksum_free(ck);
	if (memcmp(sum, p + end, sizeof(sum)) != 0)
		return -EBADMSG;

	idx->head.uidvalidity = cache_index_get32(p + 16);
	idx->head.uidnext = cache_index_get32(p + 20);
	idx->head.exists = cache_index_get32(p + 24);
	count = cache_index_get32(p + 28);
	idx->head.highestmodseq = cache_index_get64(p + 32);
	namelen = cache_index_get32(p + 40);
	if (idx->head.uidvalidity == 0 || end - CACHE_INDEX_HDR < namelen ||
	    namelen != strlen(mailbox) || memcmp(p + CACHE_INDEX_HDR, mailbox, namelen) != 0)
		return -EBADMSG;
	off = CACHE_INDEX_HDR + namelen;
	/* Each record takes at least its fixed part and three NULs. */
	if (count > (end - off) / (CACHE_INDEX_REC + 3))
		return -EBADMSG;
	idx->msgs = calloc(count ? count : 1, sizeof(*idx->msgs));
	if (idx->msgs == NULL)
		abort();
	for (uint32_t i = 0; i < count; i++) {
		struct cache_index_msg *m = &idx->msgs[i];
		uint32_t bits;
		size_t fl, nl, ml;

		if (end - off < CACHE_INDEX_REC)
			return -EBADMSG;
		m->uid = cache_index_get32(p + off);
		bits = cache_index_get32(p + off + 4);
		m->internaldate = (time_t)(int64_t)cache_index_get64(p + off + 8);
		m->size = cache_index_get64(p + off + 16);
		fl = cache_index_get16(p + off + 24);
		nl = cache_index_get16(p + off + 26);
		ml = cache_index_get16(p + off + 28);
		off += CACHE_INDEX_REC;
		if (m->uid == 0 || m->uid >= idx->head.uidnext || (bits & ~3u) != 0 ||
		    m->size > INT64_MAX)
			return -EBADMSG;
		m->size_exact = (bits & CACHE_INDEX_EXACT) != 0;
		m->flags = cache_index_str(p, &off, end, fl);
		m->name = cache_index_str(p, &off, end, nl);
		m->message_id = cache_index_str(p, &off, end, ml);
		if (m->flags == NULL || m->name == NULL || m->message_id == NULL || nl == 0 ||
		    strchr(m->name, '/') != NULL)
			return -EBADMSG;
		if (!(bits & CACHE_INDEX_HAS_MSGID))
			m->message_id = NULL;
	}
	if (off != end)
		return -EBADMSG;
	idx->count = count;
	return 0;
}

int cache_index_load(const char *dir, const char *mailbox, struct cache_index **idx_r)
{
	char *path = cache_index_path(dir, mailbox);
	struct cache_index *idx = calloc(1, sizeof(*idx));
	size_t len = 0;
	int ret;

	if (idx == NULL)
		abort();
	*idx_r = NULL;
	ret = cache_index_read_file(path, &idx->data, &len);
	if (ret == 0)
		ret = cache_index_parse(idx, mailbox, len);
	if (ret < 0) {
		cache_index_free(&idx);
		goto out;
	}
	*idx_r = idx;
out:
	free(path);
	return ret;
}

const struct cache_index_head *cache_index_head(const struct cache_index *idx)
{
	return &idx->head;
}

size_t cache_index_count(const struct cache_index *idx)
{
	return idx->count;
}

void cache_index_get(const struct cache_index *idx, size_t i, struct cache_index_msg *m_r)
{
	*m_r = idx->msgs[i];
}

void cache_index_free(struct cache_index **idx)
{
	if (*idx == NULL)
		return;
	free((*idx)->msgs);
	free((*idx)->data);
	free(*idx);
	*idx = NULL;
}

int cache_index_remove(const char *dir, const char *mailbox)
{
	char *path = cache_index_path(dir, mailbox);
	int ret = 0;

	if (unlink(path) < 0 && errno != ENOENT)
		ret = -errno;
	free(path);
	return ret;
}

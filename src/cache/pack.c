/* cache_pack: the formats of the block cache's pack and index files, and
 * the per-pack handle.  Everything here works on what it is given (a key,
 * a buffer, an open fd); cache_block decides when and reports errors. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "pack.h"

struct cache_pack *cache_pack_new(uint64_t seq, int fd, uint64_t end)
{
	struct cache_pack *p = calloc(1, sizeof(*p));

	if (p == NULL)
		abort();
	p->seq = seq;
	p->fd = fd;
	p->end = end;
	atomic_init(&p->refs, 1);
	return p;
}

void cache_pack_ref(struct cache_pack *p)
{
	atomic_fetch_add(&p->refs, 1);
}

void cache_pack_unref(struct cache_pack *p)
{
	if (atomic_fetch_sub(&p->refs, 1) == 1) {
		close(p->fd);
		free(p);
	}
}

uint64_t cache_pack_round(uint64_t n)
{
	return (n + CACHE_PACK_UNIT - 1) / CACHE_PACK_UNIT * CACHE_PACK_UNIT;
}

uint64_t cache_pack_cost(const struct cache_pack *p)
{
	if (p->end == 0)
		return 0;
	return cache_pack_round(p->end) +
	       cache_pack_round(sizeof(struct cache_idx_hdr) +
				(uint64_t)p->nrec * sizeof(struct cache_idx_ent));
}

/* --- records ----------------------------------------------------------------- */

size_t cache_pack_encode(const struct cache_key *k, uint32_t len, char *hbuf)
{
	struct cache_rec_hdr h;
	size_t ml = strlen(k->mailbox), sl = strlen(k->section);

	if (ml + sl > CACHE_PACK_MAX_NAMES)
		return 0;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, CACHE_PACK_MAGIC, sizeof(h.magic));
	h.version = CACHE_PACK_VERSION;
	h.len = len;
	h.uidvalidity = k->uidvalidity;
	h.uid = k->uid;
	h.block = k->block;
	h.mailbox_len = (uint32_t)ml;
	h.section_len = (uint32_t)sl;
	memcpy(hbuf, &h, sizeof(h));
	memcpy(hbuf + sizeof(h), k->mailbox, ml);
	memcpy(hbuf + sizeof(h) + ml, k->section, sl);
	return sizeof(h) + ml + sl;
}

uint64_t cache_pack_id(const char *hbuf, size_t hlen)
{
	return XXH3_64bits(hbuf + CACHE_PACK_KEY_OFF, hlen - CACHE_PACK_KEY_OFF);
}

uint64_t cache_pack_sum(const char *hbuf, size_t hlen, const char *data, size_t len)
{
	struct cache_rec_hdr h;
	uint64_t s;

	memcpy(&h, hbuf, sizeof(h));
	h.sum = 0;
	s = XXH3_64bits(&h, sizeof(h));
	s = XXH3_64bits_withSeed(hbuf + sizeof(h), hlen - sizeof(h), s);
	return XXH3_64bits_withSeed(data, len, s);
}

uint32_t cache_pack_mbh(const char *mailbox, size_t len)
{
	uint32_t h = (uint32_t)XXH3_64bits(mailbox, len);

	return h == 0 ? 1 : h;
}

const char *cache_pack_check(const char *want, const char *got, size_t hlen, const char *data,
			     size_t dlen)
{
	struct cache_rec_hdr h;

	memcpy(&h, got, sizeof(h));
	if (memcmp(h.magic, CACHE_PACK_MAGIC, sizeof(h.magic)) != 0 ||
	    h.version != CACHE_PACK_VERSION)
		return "not a record of this version";
	if (h.len != dlen)
		return "wrong data length";
	/* So a valid record of another key (or one with the same ID) is
	 * refused. */
	if (memcmp(got + CACHE_PACK_KEY_OFF, want + CACHE_PACK_KEY_OFF,
		   hlen - CACHE_PACK_KEY_OFF) != 0)
		return "holds another key";
	if (cache_pack_sum(got, hlen, data, dlen) != h.sum)
		return "checksum mismatch";
	return NULL;
}

/* --- index files ------------------------------------------------------------- */

static int cache_pack_write_all(int fd, const void *buf, size_t len)
{
	const char *b = buf;

	while (len > 0) {
		ssize_t n = write(fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

int cache_pack_write_index(const char *path, const char *tmp, uint64_t seq,
			   const struct cache_idx_ent *ents, uint32_t n, const char **what_r)
{
	size_t size = sizeof(struct cache_idx_hdr) + (size_t)n * sizeof(*ents);
	char *buf = malloc(size);
	struct cache_idx_hdr h;
	int fd, ret;

	if (buf == NULL)
		abort();
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, CACHE_PACK_IDX_MAGIC, sizeof(h.magic));
	h.version = CACHE_PACK_VERSION;
	h.count = n;
	h.seq = seq;
	/* The end of the last record, not the pack's length: a failed write
	 * may have left the file shorter than what was reserved. */
	for (uint32_t i = 0; i < n; i++)
		if ((uint64_t)ents[i].off + ents[i].len > h.pack_len)
			h.pack_len = (uint64_t)ents[i].off + ents[i].len;
	memcpy(buf, &h, sizeof(h));
	if (n > 0)
		memcpy(buf + sizeof(h), ents, (size_t)n * sizeof(*ents));
	h.sum = XXH3_64bits(buf, size);
	memcpy(buf, &h, sizeof(h));

	*what_r = "create";
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	*what_r = "write";
	ret = cache_pack_write_all(fd, buf, size);
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0)
		unlink(tmp);
out:
	free(buf);
	return ret;
}

GArray *cache_pack_read_index(int fd, uint64_t seq, uint64_t pack_len)
{
	struct cache_idx_hdr h;
	GArray *ents = NULL;
	char *data = NULL;
	struct stat st;
	uint64_t sum;

	/* At most one entry per 48 bytes of pack. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < sizeof(h) ||
	    (uint64_t)st.st_size > sizeof(h) + (pack_len / 48 + 1) * sizeof(struct cache_idx_ent))
		return NULL;
	data = malloc((size_t)st.st_size);
	if (data == NULL)
		abort();
	if (pread(fd, data, (size_t)st.st_size, 0) != st.st_size)
		goto out;
	memcpy(&h, data, sizeof(h));
	sum = h.sum;
	h.sum = 0;
	memcpy(data, &h, sizeof(h));
	if (memcmp(h.magic, CACHE_PACK_IDX_MAGIC, sizeof(h.magic)) != 0 ||
	    h.version != CACHE_PACK_VERSION || h.seq != seq || h.pack_len > pack_len ||
	    (uint64_t)st.st_size != sizeof(h) + (uint64_t)h.count * sizeof(struct cache_idx_ent) ||
	    XXH3_64bits(data, (size_t)st.st_size) != sum)
		goto out;
	ents = g_array_sized_new(FALSE, FALSE, sizeof(struct cache_idx_ent), h.count);
	g_array_append_vals(ents, data + sizeof(h), h.count);
	for (guint j = 0; j < ents->len; j++) {
		const struct cache_idx_ent *x = &g_array_index(ents, struct cache_idx_ent, j);

		if (x->len < sizeof(struct cache_rec_hdr) || x->len > CACHE_PACK_REC_MAX ||
		    (uint64_t)x->off + x->len > h.pack_len) {
			g_array_free(ents, TRUE);
			ents = NULL;
			break;
		}
	}
out:
	free(data);
	return ents;
}

/* --- reading a pack back ------------------------------------------------------ */

GArray *cache_pack_walk(int fd, uint64_t size, const atomic_bool *stop, unsigned *skipped_r,
			uint64_t *end_r)
{
	GArray *ents = g_array_new(FALSE, FALSE, sizeof(struct cache_idx_ent));
	char *rec = malloc(CACHE_PACK_REC_MAX);
	uint64_t off = 0;

	if (rec == NULL)
		abort();
	*skipped_r = 0;
	if (size > CACHE_PACK_LIMIT)
		size = CACHE_PACK_LIMIT;
	while (off + sizeof(struct cache_rec_hdr) <= size && !atomic_load(stop)) {
		struct cache_rec_hdr h;
		struct cache_idx_ent x;
		size_t hlen, rlen;

		if (pread(fd, &h, sizeof(h), (off_t)off) != (ssize_t)sizeof(h))
			break;
		if (memcmp(h.magic, CACHE_PACK_MAGIC, sizeof(h.magic)) != 0 ||
		    h.version != CACHE_PACK_VERSION || h.len > CACHE_BLOCK_SIZE ||
		    h.mailbox_len > CACHE_PACK_MAX_NAMES ||
		    h.section_len > CACHE_PACK_MAX_NAMES - h.mailbox_len)
			break;
		hlen = sizeof(h) + h.mailbox_len + h.section_len;
		rlen = hlen + h.len;
		if (off + rlen > size || pread(fd, rec, rlen, (off_t)off) != (ssize_t)rlen)
			break;
		/* A torn write or a bit flip: if the length that skips it
		 * was itself wrong, the next header is not plausible. */
		if (cache_pack_sum(rec, hlen, rec + hlen, h.len) != h.sum) {
			(*skipped_r)++;
			off += rlen;
			continue;
		}
		x = (struct cache_idx_ent){.id = cache_pack_id(rec, hlen),
					   .off = (uint32_t)off,
					   .len = (uint32_t)rlen,
					   .mbh = cache_pack_mbh(rec + sizeof(h), h.mailbox_len)};
		g_array_append_val(ents, x);
		off += rlen;
	}
	*end_r = off;
	free(rec);
	return ents;
}

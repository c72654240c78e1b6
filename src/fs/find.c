/* fs find: what a command whose answer was lost did (SPEC §4, issue 5).
 * An APPEND or COPY that may or may not have happened is looked for in
 * its target before anything is sent again: among the UIDs the target
 * gave out since just before the command (its UIDNEXT then), a message
 * with the same Message-ID, or without one the same RFC822.SIZE and
 * INTERNALDATE, and in both cases the same bytes.  An older message that
 * merely shares the Message-ID (the list's copy of one's own post) is
 * never taken for it.  No locks: the caller owns the connection. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/log.h"

#include "fs_int.h"

/* The most a message may be for the comparison (a lost answer is rare;
 * a message this large is then reported as unknown, never guessed). */
#define FS_FIND_MAX ((size_t)1 << 30)

struct find_meta {
	size_t len;
	time_t date;
	GArray *cands; /* UIDs of the same size and date */
};

static int find_meta_cb(void *arg, const struct imap_msg_meta *mm)
{
	struct find_meta *f = arg;

	if (mm->size == f->len && mm->internaldate == f->date)
		g_array_append_val(f->cands, mm->uid);
	return 0;
}

int fs_find_message(struct imap_conn *c, uint32_t from, const char *data, size_t len, time_t date,
		    const char *msgid)
{
	struct find_meta f = {.len = len, .date = date};
	uint32_t *uids = NULL, found = 0;
	size_t n = 0;
	char *buf;
	int ret;

	if (from == 0)
		from = 1;
	f.cands = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	if (msgid != NULL) {
		ret = imap_conn_search_msgid(c, msgid, &uids, &n);
		for (size_t i = 0; ret == 0 && i < n; i++)
			if (uids[i] >= from)
				g_array_append_val(f.cands, uids[i]);
		free(uids);
	} else {
		ret = imap_conn_fetch_meta(c, from, 0, find_meta_cb, &f);
	}
	buf = f.cands->len > 0 ? malloc(len + 1) : NULL;
	if (f.cands->len > 0 && buf == NULL)
		abort();
	for (guint i = 0; ret == 0 && i < f.cands->len; i++) {
		uint32_t uid = g_array_index(f.cands, uint32_t, i);
		size_t got = 0;

		ret = imap_conn_fetch_body(c, uid, 0, len + 1, buf, &got);
		if (ret == -ENOENT) {
			ret = 0; /* gone meanwhile: not it, or it is gone anyway */
			continue;
		}
		if (ret == 0 && got == len && memcmp(buf, data, len) == 0) {
			found = uid;
			break;
		}
	}
	free(buf);
	g_array_free(f.cands, TRUE);
	return ret < 0 ? ret : (int)found;
}

int fs_fetch_message(struct imap_conn *c, uint32_t uid, char **data_r, size_t *len_r)
{
	size_t cap = 1u << 20, len = 0, got;
	char *buf = NULL;
	int ret;

	/* In 1 MiB steps until a short read: RFC822.SIZE may lie. */
	for (;;) {
		buf = realloc(buf, cap);
		if (buf == NULL)
			abort();
		ret = imap_conn_fetch_body(c, uid, len, cap - len, buf + len, &got);
		if (ret < 0)
			break;
		len += got;
		if (len < cap)
			break;
		if (cap >= FS_FIND_MAX) {
			ret = -EFBIG;
			break;
		}
		cap *= 2;
	}
	if (ret < 0) {
		free(buf);
		return ret;
	}
	*data_r = buf;
	*len_r = len;
	return 0;
}

/* imap_conn: the bulk body fetch.  One UID FETCH for a whole set of
 * messages, so that reading a folder costs one round trip per batch
 * rather than one per message (what mbsync gets by pipelining).  As in
 * cmd.c, every response is checked against what was asked: other UIDs
 * are ignored, and a body larger than asked for is an error, never an
 * overflow. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <strings.h>

#include "imapfs/buf.h"
#include "imapfs/imap_parser.h"
#include "imapfs/log.h"
#include "conn_int.h"

struct cmd_bodies {
	const uint32_t *uids; /* ascending */
	size_t n;
	size_t max_len;
	imap_body_cb cb;
	void *arg;
	int cb_rc;
	int rc;
};

static bool cmd_bodies_asked(const struct cmd_bodies *b, uint32_t uid)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->uids[mid] == uid)
			return true;
		if (b->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void cmd_bodies_data(struct imap_conn *c, const struct imap_resp *r, void *arg)
{
	struct cmd_bodies *b = arg;
	const struct imap_arg *items, *val = NULL;
	const char *data;
	size_t n;
	uint32_t uid = 0;
	uint64_t origin = 0;
	int rc;
	bool zero = false, has_origin;

	items = imap_conn_fetch_items(r);
	if (!items || b->rc || b->cb_rc)
		return;
	for (size_t i = 0; i < items->len; i += 2) {
		const struct imap_arg *k = &items->u.list[i], *v = &items->u.list[i + 1];

		if (k->type != IMAP_ARG_ATOM)
			return;
		if (imap_arg_is_atom(k, "UID")) {
			if (!imap_arg_u32(v, &uid))
				return;
		} else if (imap_conn_fetch_item(k->u.str, "BODY", "", &origin, &has_origin)) {
			/* "BODY[]<0>", or "BODY[]" from a server that drops
			 * the origin. */
			zero = origin == 0;
			val = v;
		} else if (strncasecmp(k->u.str, "BODY[]", 6) == 0) {
			zero = false; /* a malformed origin is no offset 0 */
			val = v;
		} else if (strncasecmp(k->u.str, "BODY[", 5) == 0) {
			return; /* some other section: not what we asked for */
		}
	}
	/* Flag updates and messages we did not ask for are not ours. */
	if (uid == 0 || !val || !cmd_bodies_asked(b, uid))
		return;
	if (!zero) {
		imap_conn_set_error(
		    c, "server %s returned message UID %" PRIu32 " from a non-zero offset", c->host,
		    uid);
		b->rc = -EPROTO;
		return;
	}
	rc = imap_conn_body_value(c, uid, val, b->max_len, &data, &n);
	if (rc < 0) {
		b->rc = rc;
		return;
	}
	b->cb_rc = b->cb(b->arg, uid, data, n);
}

int imap_conn_fetch_bodies(struct imap_conn *c, const uint32_t *uids, size_t n, size_t max_len,
			   imap_body_cb cb, void *arg)
{
	struct cmd_bodies b = {.uids = uids, .n = n, .max_len = max_len, .cb = cb, .arg = arg};
	struct imap_conn_cmd cmd;
	struct buf set = {0};
	int rc;

	rc = imap_conn_check_selected(c, "UID FETCH");
	if (rc < 0)
		return rc;
	if (n == 0 || max_len == 0 || max_len > UINT32_MAX || n > IMAP_CONN_MAX_BODIES) {
		imap_conn_set_error(c, "UID FETCH: invalid request");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (uids[i] == 0 || (i > 0 && uids[i] <= uids[i - 1])) {
			imap_conn_set_error(c, "UID FETCH: UIDs not ascending");
			return -EINVAL;
		}
	}
	imap_conn_uid_set(&set, uids, n);
	imap_conn_cmd_start(c, &cmd, "UID FETCH");
	imap_conn_cmd_raw(&cmd, "%s (UID BODY.PEEK[]<0.%zu>)", set.data, max_len);
	buf_free(&set);
	rc = imap_conn_run(c, &cmd, cmd_bodies_data, &b, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	/* A broken connection matters more than what the callback said. */
	if (c->broken)
		return rc < 0 ? rc : -ECONNRESET;
	if (rc < 0)
		return rc;
	if (b.rc < 0)
		return b.rc;
	return b.cb_rc;
}

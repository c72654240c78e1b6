/* imap_conn: the commands of a cheap resync (issue 3 point 3) — which UIDs
 * still exist (UID SEARCH), and which flags changed (UID FETCH (UID FLAGS)
 * with CHANGEDSINCE).  Both answer in bytes proportional to the change or
 * to a compact UID set, never with per-message metadata. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/imap_parser.h"
#include "imapfs/log.h"
#include "conn_int.h"

/* ---- UID SEARCH ALL ---- */

struct sync_search {
	const char *tag;
	size_t max;
	uint32_t *v;
	size_t n, cap;
	int rc;
};

static int sync_search_add(struct imap_conn *c, struct sync_search *s, uint32_t lo, uint32_t hi)
{
	if (lo == 0 || hi < lo) {
		imap_conn_set_error(c, "server %s returned an invalid UID set", c->host);
		return -EPROTO;
	}
	if ((uint64_t)hi - lo + 1 > s->max - s->n) {
		imap_conn_set_error(c, "server %s returned more than %zu UIDs", c->host, s->max);
		return -EPROTO;
	}
	if (s->n + (hi - lo + 1) > s->cap) {
		size_t cap = s->cap ? s->cap : 1024;
		uint32_t *v;

		while (cap < s->n + (hi - lo + 1))
			cap *= 2;
		v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			abort();
		s->v = v;
		s->cap = cap;
	}
	for (uint64_t u = lo; u <= hi; u++)
		s->v[s->n++] = (uint32_t)u;
	return 0;
}

static bool sync_u32(const char *s, const char *end, uint32_t *v_r)
{
	uint64_t v = 0;

	if (s == end)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*v_r = (uint32_t)v;
	return true;
}

/* "1:3,5,9:7" (RFC 9051 sequence-set of UIDs; "*" is not allowed in a
 * result). */
static int sync_search_set(struct imap_conn *c, struct sync_search *s, const char *set)
{
	const char *p = set;

	while (*p) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *colon = memchr(p, ':', (size_t)(end - p));
		uint32_t a, b;
		int rc;

		if (colon) {
			if (!sync_u32(p, colon, &a) || !sync_u32(colon + 1, end, &b))
				goto bad;
			rc = sync_search_add(c, s, a < b ? a : b, a < b ? b : a);
		} else {
			if (!sync_u32(p, end, &a))
				goto bad;
			rc = sync_search_add(c, s, a, a);
		}
		if (rc < 0)
			return rc;
		if (!comma)
			return 0;
		p = comma + 1;
	}
bad:
	imap_conn_set_error(c, "server %s returned an invalid UID set", c->host);
	return -EPROTO;
}

static void sync_search_data(struct imap_conn *c, const struct imap_resp *r, void *arg)
{
	struct sync_search *s = arg;
	const struct imap_arg *a = r->args;
	size_t i = 1;

	if (r->status != IMAP_STATUS_NONE || r->nargs < 1 || s->rc)
		return;
	if (imap_arg_is_atom(&a[0], "SEARCH")) {
		for (; i < r->nargs && s->rc == 0; i++) {
			uint32_t u;

			if (!imap_arg_u32(&a[i], &u) || u == 0) {
				imap_conn_set_error(
				    c, "server %s returned an invalid SEARCH result", c->host);
				s->rc = -EPROTO;
				return;
			}
			s->rc = sync_search_add(c, s, u, u);
		}
		return;
	}
	if (!imap_arg_is_atom(&a[0], "ESEARCH"))
		return;
	/* RFC 4731: ESEARCH [(TAG "tag")] [UID] *(name value); a result for
	 * another command is not ours. */
	if (i < r->nargs && a[i].type == IMAP_ARG_LIST) {
		const struct imap_arg *l = &a[i];

		if (l->len != 2 || !imap_arg_is_atom(&l->u.list[0], "TAG") ||
		    imap_arg_str(&l->u.list[1]) == NULL ||
		    strcmp(imap_arg_str(&l->u.list[1]), s->tag) != 0)
			return;
		i++;
	}
	if (i < r->nargs && imap_arg_is_atom(&a[i], "UID"))
		i++;
	for (; i + 1 < r->nargs; i += 2) {
		if (!imap_arg_is_atom(&a[i], "ALL"))
			continue;
		if (a[i + 1].type != IMAP_ARG_ATOM) {
			imap_conn_set_error(c, "server %s returned an invalid ESEARCH result",
					    c->host);
			s->rc = -EPROTO;
			return;
		}
		s->rc = sync_search_set(c, s, a[i + 1].u.str);
		return;
	}
}

static int sync_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void imap_conn_search_start(struct imap_conn *c, struct imap_conn_cmd *cmd)
{
	imap_conn_cmd_start(c, cmd, "UID SEARCH");
	/* RFC 4731: the answer is a compact UID set ("1:19998,20000"), a few
	 * bytes for a folder with few holes, instead of every UID. */
	if (imap_conn_has_cap(c, "ESEARCH"))
		imap_conn_cmd_raw(cmd, "RETURN (ALL)");
}

int imap_conn_search_run(struct imap_conn *c, struct imap_conn_cmd *cmd, size_t max,
			 uint32_t **uids_r, size_t *n_r)
{
	struct sync_search s = {.max = max, .tag = cmd->tag};
	size_t n = 0;
	int rc;

	*uids_r = NULL;
	*n_r = 0;
	rc = imap_conn_run(c, cmd, sync_search_data, &s, NULL, NULL);
	imap_conn_cmd_clear(cmd);
	if (rc == 0)
		rc = s.rc;
	if (rc < 0) {
		free(s.v);
		return rc;
	}
	if (s.n > 0) {
		qsort(s.v, s.n, sizeof(*s.v), sync_cmp_u32);
		for (size_t i = 0; i < s.n; i++)
			if (n == 0 || s.v[n - 1] != s.v[i])
				s.v[n++] = s.v[i];
	}
	*uids_r = s.v;
	*n_r = n;
	return 0;
}

int imap_conn_search_uids(struct imap_conn *c, size_t max, uint32_t **uids_r, size_t *n_r)
{
	struct imap_conn_cmd cmd;
	int rc;

	*uids_r = NULL;
	*n_r = 0;
	rc = imap_conn_check_selected(c, "UID SEARCH");
	if (rc < 0)
		return rc;
	imap_conn_search_start(c, &cmd);
	imap_conn_cmd_raw(&cmd, "ALL");
	return imap_conn_search_run(c, &cmd, max, uids_r, n_r);
}

/* ---- UID FETCH (UID FLAGS) ---- */

struct sync_flags {
	uint32_t lo, hi;
	imap_flags_cb cb;
	void *arg;
	int cb_rc;
	struct buf flags;
};

static void sync_flags_data(struct imap_conn *c, const struct imap_resp *r, void *arg)
{
	struct sync_flags *f = arg;
	const struct imap_arg *items;
	bool has_flags = false;
	uint32_t uid = 0;

	if (!imap_conn_fetch_is(r))
		return;
	items = imap_conn_fetch_items(r);
	if (!items)
		goto bad;
	buf_reset(&f->flags);
	for (size_t i = 0; i < items->len; i += 2) {
		const struct imap_arg *k = &items->u.list[i], *v = &items->u.list[i + 1];

		if (k->type != IMAP_ARG_ATOM)
			goto bad;
		if (imap_arg_is_atom(k, "UID")) {
			if (!imap_arg_u32(v, &uid) || uid == 0)
				goto bad;
		} else if (imap_arg_is_atom(k, "FLAGS")) {
			if (!imap_conn_flags_join(v, &f->flags))
				goto bad;
			has_flags = true;
		}
	}
	/* A response without UID cannot be placed; outside the range it is
	 * not what was asked ("n:*" names the highest UID even below n). */
	if (uid == 0 || !has_flags || uid < f->lo || uid > f->hi)
		return;
	if (f->cb_rc == 0)
		f->cb_rc = f->cb(f->arg, uid, f->flags.data ? f->flags.data : "");
	return;
bad:
	log_warnx("server %s: skipping a malformed FETCH response", c->host);
}

int imap_conn_fetch_flags(struct imap_conn *c, uint32_t lo, uint32_t hi, uint64_t changedsince,
			  imap_flags_cb cb, void *arg)
{
	struct imap_conn_cmd cmd;
	struct sync_flags f = {.lo = lo, .hi = hi, .cb = cb, .arg = arg};
	int rc;

	rc = imap_conn_check_selected(c, "UID FETCH");
	if (rc < 0)
		return rc;
	if (lo == 0 || hi < lo) {
		imap_conn_set_error(c, "UID FETCH: empty range %u:%u", lo, hi);
		return -EINVAL;
	}
	if (changedsince && !imap_conn_has_cap(c, "CONDSTORE")) {
		imap_conn_set_error(c, "UID FETCH: server %s has no CONDSTORE", c->host);
		return -EOPNOTSUPP;
	}
	imap_conn_cmd_start(c, &cmd, "UID FETCH");
	imap_conn_cmd_raw(&cmd, "%" PRIu32 ":%" PRIu32 " (UID FLAGS)", lo, hi);
	if (changedsince)
		imap_conn_cmd_raw(&cmd, "(CHANGEDSINCE %" PRIu64 ")", changedsince);
	rc = imap_conn_run(c, &cmd, sync_flags_data, &f, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	buf_free(&f.flags);
	if (c->broken)
		return rc < 0 ? rc : -ECONNRESET;
	return f.cb_rc ? f.cb_rc : rc;
}

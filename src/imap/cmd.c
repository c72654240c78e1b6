/* imap_conn: the mailbox commands — LIST, EXAMINE and the two FETCHes.
 * Every FETCH response is checked against what was asked: responses for
 * other messages (unsolicited flag updates) are ignored, and data larger
 * than requested is an error, never an overflow. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapfs/imap_date.h"
#include "imapfs/imap_parser.h"
#include "imapfs/log.h"
#include "conn_int.h"

/* Bounds what a hostile server can make a LIST cost. */
#define CMD_MAX_MAILBOXES 200000

/* ---- LIST ---- */

struct cmd_list {
	struct imap_list_entry *v;
	size_t n, cap;
	int rc;
};

static void cmd_list_data(struct imap_conn *c, const struct imap_resp *r, void *arg)
{
	struct cmd_list *l = arg;
	const struct imap_arg *a = r->args;
	unsigned flags = 0;
	char delim = 0;

	if (r->status != IMAP_STATUS_NONE || r->nargs < 1 || !imap_arg_is_atom(&a[0], "LIST"))
		return;
	if (l->rc)
		return;
	/* LIST (flags) delimiter name [extended items] */
	if (r->nargs < 4 || a[1].type != IMAP_ARG_LIST)
		goto bad;
	for (size_t i = 0; i < a[1].len; i++) {
		const struct imap_arg *f = &a[1].u.list[i];
		if (f->type != IMAP_ARG_ATOM)
			goto bad;
		if (imap_arg_is_atom(f, "\\Noselect"))
			flags |= IMAP_LIST_NOSELECT;
		else if (imap_arg_is_atom(f, "\\NoInferiors"))
			flags |= IMAP_LIST_NOINFERIORS;
		else if (imap_arg_is_atom(f, "\\NonExistent"))
			/* RFC 5258: \NonExistent implies \Noselect. */
			flags |= IMAP_LIST_NONEXISTENT | IMAP_LIST_NOSELECT;
	}
	if (a[2].type == IMAP_ARG_STRING || a[2].type == IMAP_ARG_LITERAL) {
		if (a[2].len != 1 || a[2].u.str[0] == '\0')
			goto bad;
		delim = a[2].u.str[0];
	} else if (a[2].type != IMAP_ARG_NIL) {
		goto bad;
	}
	const char *name = imap_arg_str(&a[3]);
	if (!name || a[3].len == 0 || strlen(name) != a[3].len)
		goto bad; /* NIL, empty, or a NUL inside */
	if (l->n == CMD_MAX_MAILBOXES) {
		imap_conn_set_error(c, "server %s listed more than %d mailboxes", c->host,
				    CMD_MAX_MAILBOXES);
		l->rc = -E2BIG;
		return;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct imap_list_entry *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			abort();
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].name = strdup(name);
	if (!l->v[l->n].name)
		abort();
	l->v[l->n].delim = delim;
	l->v[l->n].flags = flags;
	l->n++;
	return;
bad:
	log_warnx("server %s: skipping a malformed LIST response", c->host);
}

int imap_conn_list(struct imap_conn *c, struct imap_list_entry **v_r, size_t *n_r)
{
	struct imap_conn_cmd cmd;
	struct cmd_list l = {0};
	int rc;

	*v_r = NULL;
	*n_r = 0;
	imap_conn_cmd_start(c, &cmd, "LIST");
	imap_conn_cmd_raw(&cmd, "\"\" \"*\"");
	rc = imap_conn_run(c, &cmd, cmd_list_data, &l, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	if (rc == 0)
		rc = l.rc;
	if (rc < 0) {
		imap_list_free(&l.v, l.n);
		return rc;
	}
	*v_r = l.v;
	*n_r = l.n;
	return 0;
}

void imap_list_free(struct imap_list_entry **v, size_t n)
{
	if (!*v)
		return;
	for (size_t i = 0; i < n; i++)
		free((*v)[i].name);
	free(*v);
	*v = NULL;
}

/* ---- EXAMINE ---- */

int imap_conn_examine(struct imap_conn *c, const char *name, bool fresh,
		      struct imap_mbox_status *st_r)
{
	struct imap_conn_cmd cmd;
	int rc;

	memset(st_r, 0, sizeof(*st_r));
	if (!fresh && c->selected && strcmp(c->selected, name) == 0 && !c->broken) {
		*st_r = c->st;
		return 0;
	}
	/* A failed EXAMINE leaves no mailbox selected (RFC 3501 §6.3.1).  A
	 * mailbox selected read-write serves reads as well (BODY.PEEK never
	 * sets \Seen), so only a different name or fresh gets here. */
	imap_conn_unselect_state(c);

	imap_conn_cmd_start(c, &cmd, "EXAMINE");
	imap_conn_cmd_astring(c, &cmd, name, strlen(name));
	/* RFC 7162: asking for CONDSTORE makes the server report
	 * HIGHESTMODSEQ. */
	if (imap_conn_has_cap(c, "CONDSTORE"))
		imap_conn_cmd_raw(&cmd, "(CONDSTORE)");
	rc = imap_conn_run(c, &cmd, NULL, NULL, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	if (rc < 0)
		return rc;
	/* Without UIDVALIDITY nothing learnt about UIDs may be kept, and the
	 * cache relies on it. */
	if (c->st.uidvalidity == 0) {
		imap_conn_set_error(c, "server %s sent no UIDVALIDITY for mailbox %s", c->host,
				    name);
		return -EPROTO;
	}
	c->selected = strdup(name);
	if (!c->selected)
		abort();
	*st_r = c->st;
	return 0;
}

/* ---- FETCH ---- */

static bool cmd_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

struct cmd_meta {
	uint32_t lo, hi;
	imap_meta_cb cb;
	void *arg;
	int cb_rc;
	struct buf flags;
};

static void cmd_meta_data(struct imap_conn *c, const struct imap_resp *r, void *arg)
{
	struct cmd_meta *m = arg;
	const struct imap_arg *items = imap_conn_fetch_items(r);
	struct imap_msg_meta mm = {.flags = "", .headers = ""};
	bool has_uid = false, has_date = false, has_size = false, has_hdr = false;

	if (!items) {
		if (imap_conn_fetch_is(r))
			log_warnx("server %s: skipping a malformed FETCH response", c->host);
		return;
	}
	buf_reset(&m->flags);
	for (size_t i = 0; i < items->len; i += 2) {
		const struct imap_arg *k = &items->u.list[i], *v = &items->u.list[i + 1];
		if (k->type != IMAP_ARG_ATOM)
			goto bad;
		if (imap_arg_is_atom(k, "UID")) {
			if (!imap_arg_u32(v, &mm.uid) || mm.uid == 0)
				goto bad;
			has_uid = true;
		} else if (imap_arg_is_atom(k, "INTERNALDATE")) {
			const char *s = v->type == IMAP_ARG_STRING ? v->u.str : NULL;
			if (!s || imap_date_parse(s, &mm.internaldate) < 0)
				goto bad;
			has_date = true;
		} else if (imap_arg_is_atom(k, "RFC822.SIZE")) {
			if (!imap_arg_u64(v, &mm.size))
				goto bad;
			has_size = true;
		} else if (imap_arg_is_atom(k, "FLAGS")) {
			if (!imap_conn_flags_join(v, &m->flags))
				goto bad;
		} else if (cmd_prefix(k->u.str, "BODY[HEADER")) {
			if (v->type == IMAP_ARG_STRING || v->type == IMAP_ARG_LITERAL) {
				mm.headers = v->u.str;
				mm.headers_len = v->len;
			} else if (v->type != IMAP_ARG_NIL) {
				goto bad;
			}
			has_hdr = true;
		}
	}
	/* Unsolicited flag updates carry none of what we asked for. */
	if (!has_date && !has_size && !has_hdr)
		return;
	if (!has_uid || !has_date || !has_size) {
		log_warnx("server %s: skipping a FETCH response without UID, INTERNALDATE or "
			  "RFC822.SIZE",
			  c->host);
		return;
	}
	/* "n:*" includes the highest UID even when it is below n. */
	if (mm.uid < m->lo || (m->hi && mm.uid > m->hi))
		return;
	mm.flags = m->flags.data ? m->flags.data : "";
	if (m->cb_rc == 0)
		m->cb_rc = m->cb(m->arg, &mm);
	return;
bad:
	log_warnx("server %s: skipping a malformed FETCH response", c->host);
}

int imap_conn_fetch_meta(struct imap_conn *c, uint32_t lo, uint32_t hi, imap_meta_cb cb, void *arg)
{
	struct imap_conn_cmd cmd;
	struct cmd_meta m = {.lo = lo ? lo : 1, .hi = hi, .cb = cb, .arg = arg};
	int rc;

	rc = imap_conn_check_selected(c, "UID FETCH");
	if (rc < 0)
		return rc;
	if (hi && hi < m.lo) {
		imap_conn_set_error(c, "UID FETCH: empty range %u:%u", m.lo, hi);
		return -EINVAL;
	}
	imap_conn_cmd_start(c, &cmd, "UID FETCH");
	if (hi)
		imap_conn_cmd_raw(&cmd, "%" PRIu32 ":%" PRIu32, m.lo, hi);
	else
		imap_conn_cmd_raw(&cmd, "%" PRIu32 ":*", m.lo);
	imap_conn_cmd_raw(&cmd, "(UID FLAGS INTERNALDATE RFC822.SIZE "
				"BODY.PEEK[HEADER.FIELDS (SUBJECT MESSAGE-ID)])");
	rc = imap_conn_run(c, &cmd, cmd_meta_data, &m, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	buf_free(&m.flags);
	/* A broken connection matters more than what the callback said. */
	if (c->broken)
		return rc < 0 ? rc : -ECONNRESET;
	return m.cb_rc ? m.cb_rc : rc;
}

struct cmd_body {
	uint32_t uid;
	uint64_t off;
	size_t len;
	char *buf;
	size_t got;
	bool found;
	int rc;
};

static void cmd_body_data(struct imap_conn *c, const struct imap_resp *r, void *arg)
{
	struct cmd_body *b = arg;
	const struct imap_arg *items = imap_conn_fetch_items(r);
	const struct imap_arg *val = NULL;
	const char *data;
	size_t n;
	uint32_t uid = 0;
	int rc;
	bool has_origin = false;
	uint64_t origin = 0;

	if (!items || b->found || b->rc)
		return;
	for (size_t i = 0; i < items->len; i += 2) {
		const struct imap_arg *k = &items->u.list[i], *v = &items->u.list[i + 1];
		if (imap_arg_is_atom(k, "UID")) {
			if (!imap_arg_u32(v, &uid))
				return;
		} else if (k->type == IMAP_ARG_ATOM &&
			   imap_conn_fetch_item(k->u.str, "BODY", "", &origin, &has_origin)) {
			val = v;
		} else if (k->type == IMAP_ARG_ATOM && cmd_prefix(k->u.str, "BODY[")) {
			/* Some other section: not what we asked for. */
			return;
		}
	}
	/* Another message's response (a flag update), or one without the
	 * body: not ours. */
	if (uid != b->uid || !val)
		return;
	/* The bytes must start where we asked, or the file would read
	 * wrong bytes at the wrong offset. */
	if (has_origin ? origin != b->off : b->off != 0) {
		imap_conn_set_error(c,
				    "server %s returned message UID %" PRIu32
				    " from offset %" PRIu64 " instead of %" PRIu64,
				    c->host, uid, origin, b->off);
		b->rc = -EPROTO;
		return;
	}
	rc = imap_conn_body_value(c, uid, val, b->len, &data, &n);
	if (rc < 0) {
		b->rc = rc;
		return;
	}
	memcpy(b->buf, data, n);
	b->got = n;
	b->found = true;
}

int imap_conn_fetch_body(struct imap_conn *c, uint32_t uid, uint64_t off, size_t len, char *buf,
			 size_t *got_r)
{
	struct imap_conn_cmd cmd;
	struct cmd_body b = {.uid = uid, .off = off, .len = len, .buf = buf};
	int rc;

	*got_r = 0;
	rc = imap_conn_check_selected(c, "UID FETCH");
	if (rc < 0)
		return rc;
	if (uid == 0 || len > UINT32_MAX) {
		imap_conn_set_error(c, "UID FETCH: invalid request");
		return -EINVAL;
	}
	if (len == 0)
		return 0;
	imap_conn_cmd_start(c, &cmd, "UID FETCH");
	imap_conn_cmd_raw(&cmd, "%" PRIu32 " (UID BODY.PEEK[]<%" PRIu64 ".%zu>)", uid, off, len);
	rc = imap_conn_run(c, &cmd, cmd_body_data, &b, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	if (rc < 0)
		return rc;
	if (b.rc < 0)
		return b.rc;
	if (!b.found) {
		imap_conn_set_error(c, "message UID %" PRIu32 " no longer exists", uid);
		return -ENOENT;
	}
	*got_r = b.got;
	return 0;
}

int imap_conn_noop(struct imap_conn *c)
{
	struct imap_conn_cmd cmd;
	int rc;

	imap_conn_cmd_start(c, &cmd, "NOOP");
	rc = imap_conn_run(c, &cmd, NULL, NULL, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	return rc;
}

/* Appends uids (ascending) as a sequence set: runs become "lo:hi". */
void imap_conn_uid_set(struct buf *out, const uint32_t *uids, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (j > i)
			buf_appendf(out, "%s%" PRIu32 ":%" PRIu32, i ? "," : "", uids[i], uids[j]);
		else
			buf_appendf(out, "%s%" PRIu32, i ? "," : "", uids[i]);
		i = j + 1;
	}
}

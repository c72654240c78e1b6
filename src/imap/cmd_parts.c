/* imap_conn: the commands behind a message's .parts directory: its
 * structure and header fields, the decoded sizes of its parts (RFC 3516
 * BINARY.SIZE), whole parts and how many bytes a part has in a span (with
 * those sizes in one command), and one part's bytes (BINARY.PEEK or BODY.PEEK of a
 * section).  As everywhere in this layer, each response is checked against
 * what was asked: other UIDs and other items are ignored, a value larger
 * than asked for or from another offset is -EPROTO, never an overflow. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapfs/buf.h"
#include "imapfs/imap_body.h"
#include "imapfs/imap_conn.h"
#include "conn_int.h"

/* The header fields headers.txt shows. */
#define PARTS_FIELDS "FROM TO CC DATE SUBJECT MESSAGE-ID"
/* Bound of that header block: six fields, folded. */
#define PARTS_HEADERS_MAX (256u * 1024u)
/* Bound of one span (imap_conn_fetch_spans). */
#define PARTS_SPAN_MAX (1u << 20)

/* A section as the client writes it: digits and dots, no empty number. */
static bool parts_section_ok(const char *s)
{
	bool digit = false;

	if (s == NULL || *s == '\0' || strlen(s) > 200)
		return false;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			digit = true;
		} else if (*s == '.' && digit && s[1] != '\0') {
			digit = false;
		} else {
			return false;
		}
	}
	return digit;
}

/* The UID of a FETCH response's items, or 0. */
static uint32_t parts_items_uid(const struct imap_arg *items)
{
	uint32_t got = 0;

	for (size_t i = 0; i + 1 < items->len; i += 2)
		if (imap_arg_is_atom(&items->u.list[i], "UID") &&
		    imap_arg_u32(&items->u.list[i + 1], &got))
			break;
	return got;
}

/* The items of a FETCH response for uid, or NULL when it is another
 * message's (or carries no UID). */
static const struct imap_arg *parts_items_for(const struct imap_resp *r, uint32_t uid)
{
	const struct imap_arg *items = imap_conn_fetch_items(r);

	return items != NULL && parts_items_uid(items) == uid ? items : NULL;
}

/* ---- structure ---- */

struct parts_structure {
	uint32_t uid;
	struct imap_body *body;
	struct buf headers;
	bool have_headers;
	bool bad; /* a BODYSTRUCTURE imap_body_parse refused */
	char err[256];
};

struct parts_structures {
	struct parts_structure *m; /* ascending by UID */
	size_t n;
	int rc;
};

static int parts_structure_cmp(const void *key, const void *elem)
{
	uint32_t uid = *(const uint32_t *)key, other = ((const struct parts_structure *)elem)->uid;

	return uid < other ? -1 : uid > other;
}

static void parts_structures_data(struct imap_conn *c, const struct imap_resp *r, void *arg)
{
	struct parts_structures *ps = arg;
	const struct imap_arg *items = imap_conn_fetch_items(r);
	struct parts_structure *p;
	uint32_t uid;

	if (items == NULL || ps->rc < 0 || (uid = parts_items_uid(items)) == 0)
		return;
	p = bsearch(&uid, ps->m, ps->n, sizeof(*ps->m), parts_structure_cmp);
	if (p == NULL)
		return; /* not asked for */
	for (size_t i = 0; i + 1 < items->len; i += 2) {
		const struct imap_arg *k = &items->u.list[i], *v = &items->u.list[i + 1];
		const char *data;
		size_t n;
		int rc;

		if (imap_arg_is_atom(k, "BODYSTRUCTURE") && p->body == NULL && !p->bad) {
			if (imap_body_parse(v, &p->body, p->err, sizeof(p->err)) < 0)
				p->bad = true;
		} else if (k->type == IMAP_ARG_ATOM && !p->have_headers &&
			   strncasecmp(k->u.str, "BODY[HEADER.FIELDS", 18) == 0) {
			/* Servers may echo the field list quoted or in another
			 * case: the prefix is what identifies it. */
			rc = imap_conn_body_value(c, uid, v, PARTS_HEADERS_MAX, &data, &n);
			if (rc < 0) {
				ps->rc = rc;
				return;
			}
			buf_append(&p->headers, data, n);
			p->have_headers = true;
		}
	}
}

int imap_conn_fetch_structures(struct imap_conn *c, uint32_t uid, const uint32_t *more,
			       size_t nmore, imap_structure_cb cb, void *arg,
			       struct imap_body **body_r, char **headers_r, size_t *headers_len_r)
{
	struct parts_structures ps = {.n = nmore + 1};
	struct parts_structure *mine = NULL;
	struct buf set = BUF_INIT;
	struct imap_conn_cmd cmd;
	uint32_t *uids;
	size_t n = 0;
	int rc;

	*body_r = NULL;
	*headers_r = NULL;
	*headers_len_r = 0;
	rc = imap_conn_check_selected(c, "UID FETCH");
	if (rc < 0)
		return rc;
	if (uid == 0 || ps.n > IMAP_STRUCTURES_MAX || (nmore > 0 && (cb == NULL || more[0] == 0))) {
		imap_conn_set_error(c, "UID FETCH: invalid request");
		return -EINVAL;
	}
	for (size_t i = 0; i < nmore; i++) {
		if ((i > 0 && more[i] <= more[i - 1]) || more[i] == uid) {
			imap_conn_set_error(c, "UID FETCH: UIDs not ascending");
			return -EINVAL;
		}
	}
	/* uid among the others, in order: one ascending set. */
	uids = calloc(ps.n, sizeof(*uids));
	ps.m = calloc(ps.n, sizeof(*ps.m));
	if (uids == NULL || ps.m == NULL) {
		free(uids);
		free(ps.m);
		return -ENOMEM;
	}
	for (size_t i = 0; i <= nmore; i++) {
		if (n == i && (i == nmore || uid < more[i]))
			uids[n++] = uid;
		if (i < nmore)
			uids[n++] = more[i];
	}
	for (size_t i = 0; i < ps.n; i++) {
		ps.m[i].uid = uids[i];
		ps.m[i].headers = (struct buf)BUF_INIT;
		if (uids[i] == uid)
			mine = &ps.m[i];
	}
	imap_conn_uid_set(&set, uids, ps.n);
	imap_conn_cmd_start(c, &cmd, "UID FETCH");
	imap_conn_cmd_raw(&cmd, "%s (UID BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (" PARTS_FIELDS ")])",
			  set.data);
	rc = imap_conn_run(c, &cmd, parts_structures_data, &ps, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	if (rc == 0)
		rc = ps.rc;
	for (size_t i = 0; i < ps.n; i++) {
		struct parts_structure *p = &ps.m[i];

		if (rc == 0 && p != mine && (p->body != NULL || p->bad)) {
			buf_append(&p->headers, "", 1);
			rc = cb(arg, p->uid, p->bad ? NULL : p->body, p->headers.data,
				p->headers.len - 1, p->bad ? p->err : NULL);
			p->body = NULL; /* the callee's now */
		}
	}
	if (rc == 0 && mine->bad) {
		imap_conn_set_error(c, "server %s sent a BODYSTRUCTURE of UID %" PRIu32
				       " that makes no sense: %s",
				    c->host, uid, mine->err);
		rc = -EPROTO;
	} else if (rc == 0 && mine->body == NULL) {
		imap_conn_set_error(c, "message UID %" PRIu32 " no longer exists", uid);
		rc = -ENOENT;
	} else if (rc == 0) {
		*body_r = mine->body;
		mine->body = NULL;
		*headers_len_r = mine->headers.len;
		buf_append(&mine->headers, "", 1); /* NUL-terminated for the caller's ease */
		*headers_r = buf_steal(&mine->headers);
	}
	for (size_t i = 0; i < ps.n; i++) {
		imap_body_free(&ps.m[i].body);
		buf_free(&ps.m[i].headers);
	}
	buf_free(&set);
	free(ps.m);
	free(uids);
	return rc;
}

/* ---- decoded sizes, whole sections and spans in one command ---- */

struct parts_many {
	uint32_t uid;
	const char *const *sections; /* BINARY.SIZE */
	size_t nsizes;
	uint64_t *sizes;
	bool *seen_size;
	struct imap_whole *w;
	size_t nwhole;
	struct imap_span *t;
	size_t nspans;
	bool *seen_span;
	int rc;
};

/* Whether item k = v is one of the BINARY.SIZE items asked for. */
static bool parts_many_size(struct imap_conn *c, struct parts_many *p, const char *k,
			    const struct imap_arg *v)
{
	for (size_t j = 0; j < p->nsizes; j++) {
		if (p->seen_size[j] ||
		    !imap_conn_fetch_item(k, "BINARY.SIZE", p->sections[j], NULL, NULL))
			continue;
		if (!imap_arg_u64(v, &p->sizes[j])) {
			imap_conn_set_error(c, "server %s sent a BINARY.SIZE of UID %" PRIu32
					       " that is no number",
					    c->host, p->uid);
			p->rc = -EPROTO;
		}
		p->seen_size[j] = true;
		return true;
	}
	return false;
}

/* Whether item k = v is one of the whole sections asked for. */
static bool parts_many_whole(struct imap_conn *c, struct parts_many *p, const char *k,
			     const struct imap_arg *v)
{
	for (size_t j = 0; j < p->nwhole; j++) {
		struct imap_whole *w = &p->w[j];
		const char *data;
		size_t len;
		int rc;

		if (w->data != NULL ||
		    !imap_conn_fetch_item(k, w->binary ? "BINARY" : "BODY", w->section, NULL, NULL))
			continue;
		rc = imap_conn_body_value(c, p->uid, v, w->max, &data, &len);
		if (rc < 0) {
			p->rc = rc;
			return true;
		}
		w->data = malloc(len + 1);
		if (w->data == NULL) {
			p->rc = -ENOMEM;
			return true;
		}
		memcpy(w->data, data, len);
		w->data[len] = '\0';
		w->len = len;
		return true;
	}
	return false;
}

/* Whether item k = v is one of the spans asked for.  A span from another
 * offset than asked, or a malformed or longer one, says nothing: got stays
 * SIZE_MAX. */
static bool parts_many_span(struct imap_conn *c, struct parts_many *p, const char *k,
			    const struct imap_arg *v)
{
	for (size_t j = 0; j < p->nspans; j++) {
		struct imap_span *t = &p->t[j];
		uint64_t origin;
		bool has_origin;
		const char *data;
		size_t len;

		if (p->seen_span[j] || !imap_conn_fetch_item(k, t->binary ? "BINARY" : "BODY",
							     t->section, &origin, &has_origin))
			continue;
		/* A whole section asked for too is no span (no origin). */
		if (!has_origin && t->off != 0)
			continue;
		if (has_origin && origin != t->off)
			continue;
		if (imap_conn_body_value(c, p->uid, v, t->len, &data, &len) < 0)
			continue;
		t->got = len;
		p->seen_span[j] = true;
		return true;
	}
	return false;
}

static void parts_many_data(struct imap_conn *c, const struct imap_resp *r, void *arg)
{
	struct parts_many *p = arg;
	const struct imap_arg *items = parts_items_for(r, p->uid);

	if (items == NULL || p->rc < 0)
		return;
	for (size_t i = 0; i + 1 < items->len && p->rc == 0; i += 2) {
		const struct imap_arg *k = &items->u.list[i], *v = &items->u.list[i + 1];

		if (k->type != IMAP_ARG_ATOM)
			continue;
		if (parts_many_size(c, p, k->u.str, v) || parts_many_whole(c, p, k->u.str, v))
			continue;
		parts_many_span(c, p, k->u.str, v);
	}
}

static void parts_wholes_free(struct imap_whole *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(w[i].data);
		w[i].data = NULL;
		w[i].len = 0;
	}
}

int imap_conn_fetch_parts(struct imap_conn *c, uint32_t uid, const char *const *sections,
			  size_t nsizes, uint64_t *sizes_r, struct imap_whole *w, size_t nwhole,
			  struct imap_span *t, size_t nspans)
{
	struct parts_many p = {.uid = uid,
			       .sections = sections,
			       .nsizes = nsizes,
			       .sizes = sizes_r,
			       .w = w,
			       .nwhole = nwhole,
			       .t = t,
			       .nspans = nspans};
	struct buf items = BUF_INIT;
	struct imap_conn_cmd cmd;
	bool binary = nsizes > 0;
	int rc;

	for (size_t i = 0; i < nwhole; i++) {
		w[i].data = NULL;
		w[i].len = 0;
	}
	for (size_t i = 0; i < nspans; i++)
		t[i].got = SIZE_MAX;
	rc = imap_conn_check_selected(c, "UID FETCH");
	if (rc < 0)
		return rc;
	if (binary && !imap_conn_has_cap(c, "BINARY")) {
		imap_conn_set_error(c, "server %s does not offer BINARY", c->host);
		return -EOPNOTSUPP;
	}
	if (uid == 0 || nsizes + nwhole + nspans == 0 || nsizes > IMAP_BODY_MAX_PARTS ||
	    nwhole > IMAP_BODY_MAX_PARTS || nspans > IMAP_BODY_MAX_PARTS) {
		imap_conn_set_error(c, "UID FETCH: invalid request");
		return -EINVAL;
	}
	for (size_t i = 0; i < nsizes; i++)
		if (!parts_section_ok(sections[i]))
			goto invalid;
	for (size_t i = 0; i < nwhole; i++) {
		if (!parts_section_ok(w[i].section) || w[i].max > UINT32_MAX)
			goto invalid;
		binary |= w[i].binary;
	}
	for (size_t i = 0; i < nspans; i++) {
		if (!parts_section_ok(t[i].section) || t[i].len == 0 || t[i].len > PARTS_SPAN_MAX)
			goto invalid;
		binary |= t[i].binary;
	}
	if (binary && !imap_conn_has_cap(c, "BINARY")) {
		imap_conn_set_error(c, "server %s does not offer BINARY", c->host);
		return -EOPNOTSUPP;
	}
	for (size_t i = 0; i < nsizes; i++)
		buf_appendf(&items, " BINARY.SIZE[%s]", sections[i]);
	for (size_t i = 0; i < nwhole; i++)
		buf_appendf(&items, " %s.PEEK[%s]", w[i].binary ? "BINARY" : "BODY", w[i].section);
	for (size_t i = 0; i < nspans; i++)
		buf_appendf(&items, " %s.PEEK[%s]<%" PRIu64 ".%zu>", t[i].binary ? "BINARY" : "BODY",
			    t[i].section, t[i].off, t[i].len);
	p.seen_size = calloc(nsizes ? nsizes : 1, sizeof(*p.seen_size));
	p.seen_span = calloc(nspans ? nspans : 1, sizeof(*p.seen_span));
	if (p.seen_size == NULL || p.seen_span == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	imap_conn_cmd_start(c, &cmd, "UID FETCH");
	imap_conn_cmd_raw(&cmd, "%" PRIu32 " (UID%s)", uid, items.data);
	rc = imap_conn_run(c, &cmd, parts_many_data, &p, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	if (rc == 0)
		rc = p.rc;
	for (size_t i = 0; rc == 0 && i < nsizes; i++) {
		if (!p.seen_size[i]) {
			imap_conn_set_error(c, "server %s sent no BINARY.SIZE[%s] of UID %" PRIu32,
					    c->host, sections[i], uid);
			rc = -ENOENT;
		}
	}
	for (size_t i = 0; rc == 0 && i < nwhole; i++) {
		if (w[i].data == NULL) {
			imap_conn_set_error(c, "server %s sent no %s[%s] of UID %" PRIu32, c->host,
					    w[i].binary ? "BINARY" : "BODY", w[i].section, uid);
			rc = -ENOENT;
		}
	}
out:
	if (rc < 0)
		parts_wholes_free(w, nwhole);
	buf_free(&items);
	free(p.seen_size);
	free(p.seen_span);
	return rc;
invalid:
	imap_conn_set_error(c, "UID FETCH: invalid section");
	return -EINVAL;
}

int imap_conn_fetch_binary_sizes(struct imap_conn *c, uint32_t uid, const char *const *sections,
				 size_t n, uint64_t *sizes_r)
{
	return imap_conn_fetch_parts(c, uid, sections, n, sizes_r, NULL, 0, NULL, 0);
}

/* ---- one section's bytes ---- */

struct parts_section {
	uint32_t uid;
	const char *item; /* "BINARY" or "BODY" */
	const char *section;
	uint64_t off;
	size_t len;
	char *buf;
	size_t got;
	bool found;
	int rc;
};

static void parts_section_data(struct imap_conn *c, const struct imap_resp *r, void *arg)
{
	struct parts_section *p = arg;
	const struct imap_arg *items = parts_items_for(r, p->uid);

	if (items == NULL || p->found || p->rc < 0)
		return;
	for (size_t i = 0; i + 1 < items->len; i += 2) {
		const struct imap_arg *k = &items->u.list[i], *v = &items->u.list[i + 1];
		uint64_t origin;
		bool has_origin;
		const char *data;
		size_t n;
		int rc;

		if (k->type != IMAP_ARG_ATOM ||
		    !imap_conn_fetch_item(k->u.str, p->item, p->section, &origin, &has_origin))
			continue;
		if (has_origin ? origin != p->off : p->off != 0) {
			imap_conn_set_error(c,
					    "server %s returned part %s of UID %" PRIu32
					    " from offset %" PRIu64 " instead of %" PRIu64,
					    c->host, p->section, p->uid, origin, p->off);
			p->rc = -EPROTO;
			return;
		}
		rc = imap_conn_body_value(c, p->uid, v, p->len, &data, &n);
		if (rc < 0) {
			p->rc = rc;
			return;
		}
		memcpy(p->buf, data, n);
		p->got = n;
		p->found = true;
		return;
	}
}

int imap_conn_fetch_section(struct imap_conn *c, uint32_t uid, const char *section, bool binary,
			    uint64_t off, size_t len, char *buf, size_t *got_r)
{
	struct parts_section p = {.uid = uid,
				  .item = binary ? "BINARY" : "BODY",
				  .section = section,
				  .off = off,
				  .len = len,
				  .buf = buf};
	struct imap_conn_cmd cmd;
	int rc;

	*got_r = 0;
	rc = imap_conn_check_selected(c, "UID FETCH");
	if (rc < 0)
		return rc;
	if (uid == 0 || len > UINT32_MAX || !parts_section_ok(section)) {
		imap_conn_set_error(c, "UID FETCH: invalid request");
		return -EINVAL;
	}
	if (binary && !imap_conn_has_cap(c, "BINARY")) {
		imap_conn_set_error(c, "server %s does not offer BINARY", c->host);
		return -EOPNOTSUPP;
	}
	if (len == 0)
		return 0;
	imap_conn_cmd_start(c, &cmd, "UID FETCH");
	imap_conn_cmd_raw(&cmd, "%" PRIu32 " (UID %s.PEEK[%s]<%" PRIu64 ".%zu>)", uid, p.item,
			  section, off, len);
	rc = imap_conn_run(c, &cmd, parts_section_data, &p, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	if (rc < 0)
		return rc;
	if (p.rc < 0)
		return p.rc;
	if (!p.found) {
		imap_conn_set_error(c, "part %s of message UID %" PRIu32 " no longer exists", section,
				    uid);
		return -ENOENT;
	}
	*got_r = p.got;
	return 0;
}

/* ---- sizes found or checked by a span of bytes ---- */

int imap_conn_fetch_spans(struct imap_conn *c, uint32_t uid, struct imap_span *t, size_t n)
{
	return imap_conn_fetch_parts(c, uid, NULL, 0, NULL, NULL, 0, t, n);
}

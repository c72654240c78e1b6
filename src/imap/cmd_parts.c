/* imap_conn: the commands behind a message's .parts directory: its
 * structure and header fields, the decoded sizes of its parts (RFC 3516
 * BINARY.SIZE), whole parts and the last bytes of parts (with those sizes
 * in one command), and one part's bytes (BINARY.PEEK or BODY.PEEK of a
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

/* The items of a FETCH response for uid, or NULL when it is another
 * message's (or carries no UID). */
static const struct imap_arg *parts_items_for(const struct imap_resp *r, uint32_t uid)
{
	const struct imap_arg *items = imap_conn_fetch_items(r);
	uint32_t got = 0;

	if (items == NULL)
		return NULL;
	for (size_t i = 0; i + 1 < items->len; i += 2)
		if (imap_arg_is_atom(&items->u.list[i], "UID") &&
		    imap_arg_u32(&items->u.list[i + 1], &got))
			break;
	return got == uid ? items : NULL;
}

/* ---- structure ---- */

struct parts_structure {
	uint32_t uid;
	struct imap_body *body;
	struct buf headers;
	bool have_headers;
	int rc;
};

static void parts_structure_data(struct imap_conn *c, const struct imap_resp *r, void *arg)
{
	struct parts_structure *p = arg;
	const struct imap_arg *items = parts_items_for(r, p->uid);
	char err[256];

	if (items == NULL || p->rc < 0)
		return;
	for (size_t i = 0; i + 1 < items->len; i += 2) {
		const struct imap_arg *k = &items->u.list[i], *v = &items->u.list[i + 1];
		const char *data;
		size_t n;
		int rc;

		if (imap_arg_is_atom(k, "BODYSTRUCTURE") && p->body == NULL) {
			if (imap_body_parse(v, &p->body, err, sizeof(err)) < 0) {
				imap_conn_set_error(c, "server %s sent a BODYSTRUCTURE of UID %" PRIu32
						       " that makes no sense: %s",
						    c->host, p->uid, err);
				p->rc = -EPROTO;
				return;
			}
		} else if (k->type == IMAP_ARG_ATOM && !p->have_headers &&
			   strncasecmp(k->u.str, "BODY[HEADER.FIELDS", 18) == 0) {
			/* Servers may echo the field list quoted or in another
			 * case: the prefix is what identifies it. */
			rc = imap_conn_body_value(c, p->uid, v, PARTS_HEADERS_MAX, &data, &n);
			if (rc < 0) {
				p->rc = rc;
				return;
			}
			buf_append(&p->headers, data, n);
			p->have_headers = true;
		}
	}
}

int imap_conn_fetch_structure(struct imap_conn *c, uint32_t uid, struct imap_body **body_r,
			      char **headers_r, size_t *headers_len_r)
{
	struct parts_structure p = {.uid = uid, .headers = BUF_INIT};
	struct imap_conn_cmd cmd;
	int rc;

	*body_r = NULL;
	*headers_r = NULL;
	*headers_len_r = 0;
	rc = imap_conn_check_selected(c, "UID FETCH");
	if (rc < 0)
		return rc;
	if (uid == 0) {
		imap_conn_set_error(c, "UID FETCH: invalid request");
		return -EINVAL;
	}
	imap_conn_cmd_start(c, &cmd, "UID FETCH");
	imap_conn_cmd_raw(&cmd, "%" PRIu32 " (UID BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (" PARTS_FIELDS
				")])",
			  uid);
	rc = imap_conn_run(c, &cmd, parts_structure_data, &p, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	if (rc == 0)
		rc = p.rc;
	if (rc == 0 && p.body == NULL) {
		imap_conn_set_error(c, "message UID %" PRIu32 " no longer exists", uid);
		rc = -ENOENT;
	}
	if (rc < 0) {
		imap_body_free(&p.body);
		buf_free(&p.headers);
		return rc;
	}
	*body_r = p.body;
	*headers_len_r = p.headers.len;
	buf_append(&p.headers, "", 1); /* NUL-terminated for the caller's ease */
	*headers_r = buf_steal(&p.headers);
	return 0;
}

/* ---- decoded sizes, whole sections and tails in one command ---- */

struct parts_many {
	uint32_t uid;
	const char *const *sections; /* BINARY.SIZE */
	size_t nsizes;
	uint64_t *sizes;
	bool *seen_size;
	struct imap_whole *w;
	size_t nwhole;
	struct imap_tail *t;
	size_t ntails;
	bool *seen_tail;
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

/* Whether item k = v is one of the tails asked for.  A tail from another
 * offset than asked, or a malformed one, says nothing: got stays
 * SIZE_MAX. */
static bool parts_many_tail(struct imap_conn *c, struct parts_many *p, const char *k,
			    const struct imap_arg *v)
{
	for (size_t j = 0; j < p->ntails; j++) {
		struct imap_tail *t = &p->t[j];
		uint64_t origin;
		bool has_origin;
		const char *data;
		size_t len;

		if (p->seen_tail[j] || !imap_conn_fetch_item(k, t->binary ? "BINARY" : "BODY",
							     t->section, &origin, &has_origin))
			continue;
		/* A whole section asked for too is no tail (no origin). */
		if (!has_origin && t->off != 0)
			continue;
		if (has_origin && origin != t->off)
			continue;
		if (imap_conn_body_value(c, p->uid, v, 2, &data, &len) < 0)
			continue;
		t->got = len;
		p->seen_tail[j] = true;
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
		parts_many_tail(c, p, k->u.str, v);
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
			  struct imap_tail *t, size_t ntails)
{
	struct parts_many p = {.uid = uid,
			       .sections = sections,
			       .nsizes = nsizes,
			       .sizes = sizes_r,
			       .w = w,
			       .nwhole = nwhole,
			       .t = t,
			       .ntails = ntails};
	struct buf items = BUF_INIT;
	struct imap_conn_cmd cmd;
	bool binary = nsizes > 0;
	int rc;

	for (size_t i = 0; i < nwhole; i++) {
		w[i].data = NULL;
		w[i].len = 0;
	}
	for (size_t i = 0; i < ntails; i++)
		t[i].got = SIZE_MAX;
	rc = imap_conn_check_selected(c, "UID FETCH");
	if (rc < 0)
		return rc;
	if (binary && !imap_conn_has_cap(c, "BINARY")) {
		imap_conn_set_error(c, "server %s does not offer BINARY", c->host);
		return -EOPNOTSUPP;
	}
	if (uid == 0 || nsizes + nwhole + ntails == 0 || nsizes > IMAP_BODY_MAX_PARTS ||
	    nwhole > IMAP_BODY_MAX_PARTS || ntails > IMAP_BODY_MAX_PARTS) {
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
	for (size_t i = 0; i < ntails; i++) {
		if (!parts_section_ok(t[i].section))
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
	for (size_t i = 0; i < ntails; i++)
		buf_appendf(&items, " %s.PEEK[%s]<%" PRIu64 ".2>", t[i].binary ? "BINARY" : "BODY",
			    t[i].section, t[i].off);
	p.seen_size = calloc(nsizes ? nsizes : 1, sizeof(*p.seen_size));
	p.seen_tail = calloc(ntails ? ntails : 1, sizeof(*p.seen_tail));
	if (p.seen_size == NULL || p.seen_tail == NULL) {
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
	free(p.seen_tail);
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

/* ---- checking sizes by their last byte ---- */

int imap_conn_fetch_tails(struct imap_conn *c, uint32_t uid, struct imap_tail *t, size_t n)
{
	return imap_conn_fetch_parts(c, uid, NULL, 0, NULL, NULL, 0, t, n);
}

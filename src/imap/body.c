/* imap_body: BODYSTRUCTURE (RFC 3501 §7.4.2 and its formal syntax, RFC 9051
 * §7.5.2) from the argument tree imap_parser made, into struct imap_body.
 *
 * The grammar, as far as it matters here:
 *   body            = "(" (body-type-1part / body-type-mpart) ")"
 *   body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
 *   body-type-1part = (body-type-basic / body-type-msg / body-type-text)
 *                     [SP body-ext-1part]
 *   body-fields     = body-fld-param SP body-fld-id SP body-fld-desc SP
 *                     body-fld-enc SP body-fld-octets
 *   body-type-text  = media-text SP body-fields SP body-fld-lines
 *   body-type-msg   = media-message SP body-fields SP envelope SP body SP
 *                     body-fld-lines
 *   body-ext-1part  = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang
 *                     [SP body-fld-loc *(SP body-extension)]]]
 *   body-ext-mpart  = body-fld-param [SP body-fld-dsp [SP body-fld-lang
 *                     [SP body-fld-loc *(SP body-extension)]]]
 * The non-extensible BODY form is the same without the extension data. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/imap_body.h"

struct body_ctx {
	char *err;
	size_t errlen;
	size_t nparts; /* parts seen so far, all levels */
};

static void *body_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort(); /* n is bounded by IMAP_BODY_MAX_PARTS or the parser's limits */
	return p;
}

static char *body_strndup(const char *s, size_t n, bool lower)
{
	char *d = body_calloc(n + 1, 1);

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		d[i] = lower && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	return d;
}

/* "1.2" + child 3 -> "1.2.3"; "" + 3 -> "3". */
static char *body_child_section(const char *prefix, size_t i)
{
	size_t n = strlen(prefix) + 24;
	char *s = body_calloc(n, 1);

	if (prefix[0])
		snprintf(s, n, "%s.%zu", prefix, i);
	else
		snprintf(s, n, "%zu", i);
	return s;
}

static int body_fail(struct body_ctx *c, const char *section, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int body_fail(struct body_ctx *c, const char *section, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!c->err || c->errlen == 0)
		return -EPROTO;
	if (section[0])
		n = snprintf(c->err, c->errlen, "part %s: ", section);
	else
		n = snprintf(c->err, c->errlen, "top multipart: ");
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EPROTO;
}

static const char *body_arg_kind(const struct imap_arg *a)
{
	switch (a->type) {
	case IMAP_ARG_NIL:
		return "NIL";
	case IMAP_ARG_ATOM:
		return "an atom";
	case IMAP_ARG_STRING:
	case IMAP_ARG_LITERAL:
		return "a string";
	case IMAP_ARG_LIST:
		break;
	}
	return "a list";
}

static bool body_is_string(const struct imap_arg *a)
{
	return a->type == IMAP_ARG_STRING || a->type == IMAP_ARG_LITERAL;
}

static bool body_is_nstring(const struct imap_arg *a)
{
	return a->type == IMAP_ARG_NIL || body_is_string(a);
}

/* A string kept in the tree: a C string, so a literal holding NUL is refused. */
static int body_string(struct body_ctx *c, const char *sec, const char *what,
		       const struct imap_arg *a, bool lower, char **s_r)
{
	if (!a)
		return body_fail(c, sec, "%s missing", what);
	if (!body_is_string(a)) {
		if (a->type == IMAP_ARG_ATOM && imap_arg_u64(a, &(uint64_t){0}))
			return body_fail(c, sec, "%s is a number, not a string", what);
		return body_fail(c, sec, "%s is %s, not a string", what, body_arg_kind(a));
	}
	if (strlen(a->u.str) != a->len)
		return body_fail(c, sec, "%s holds a NUL byte", what);
	*s_r = body_strndup(a->u.str, a->len, lower);
	return 0;
}

static int body_nstring(struct body_ctx *c, const char *sec, const char *what,
			const struct imap_arg *a, char **s_r)
{
	if (a && a->type == IMAP_ARG_NIL) {
		*s_r = NULL;
		return 0;
	}
	return body_string(c, sec, what, a, false, s_r);
}

static int body_number(struct body_ctx *c, const char *sec, const char *what,
		       const struct imap_arg *a, uint64_t *v_r)
{
	if (!a)
		return body_fail(c, sec, "%s missing", what);
	if (imap_arg_u64(a, v_r))
		return 0;
	if (a->type == IMAP_ARG_ATOM) {
		size_t i = 0;

		while (i < a->len && a->u.str[i] >= '0' && a->u.str[i] <= '9')
			i++;
		if (i == a->len)
			return body_fail(c, sec, "%s %s out of range (uint64)", what, a->u.str);
		return body_fail(c, sec, "%s is not a number", what);
	}
	if (body_is_string(a))
		return body_fail(c, sec, "%s is a string, not a number", what);
	return body_fail(c, sec, "%s is %s, not a number", what, body_arg_kind(a));
}

static void body_params_free(struct imap_body_param *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
}

/* body-fld-param: NIL, or a list of name/value string pairs; "()" is
 * accepted as none, as some servers send it. */
static int body_params(struct body_ctx *c, const char *sec, const char *what,
		       const struct imap_arg *a, struct imap_body_param **p_r, size_t *n_r)
{
	struct imap_body_param *p;
	size_t n;

	*p_r = NULL;
	*n_r = 0;
	if (!a)
		return body_fail(c, sec, "%s missing", what);
	if (a->type == IMAP_ARG_NIL || (a->type == IMAP_ARG_LIST && a->len == 0))
		return 0;
	if (a->type != IMAP_ARG_LIST)
		return body_fail(c, sec, "%s is %s, not a list", what, body_arg_kind(a));
	if (a->len % 2)
		return body_fail(c, sec, "%s: odd number of items (%zu)", what, a->len);
	n = a->len / 2;
	p = body_calloc(n, sizeof(*p));
	for (size_t i = 0; i < n; i++) {
		const struct imap_arg *name = &a->u.list[2 * i], *value = &a->u.list[2 * i + 1];
		int ret;

		if (!body_is_string(name) || !body_is_string(value)) {
			body_params_free(p, n);
			return body_fail(c, sec, "%s: item %zu is %s, not a string", what,
					 body_is_string(name) ? 2 * i + 2 : 2 * i + 1,
					 body_arg_kind(body_is_string(name) ? value : name));
		}
		ret = body_string(c, sec, what, name, true, &p[i].name);
		if (ret == 0)
			ret = body_string(c, sec, what, value, false, &p[i].value);
		if (ret < 0) {
			body_params_free(p, n);
			return ret;
		}
	}
	*p_r = p;
	*n_r = n;
	return 0;
}

static void body_clear(struct imap_body *b)
{
	free(b->section);
	free(b->type);
	free(b->subtype);
	body_params_free(b->params, b->nparams);
	free(b->id);
	free(b->description);
	free(b->encoding);
	free(b->disposition);
	body_params_free(b->disp_params, b->ndisp_params);
	for (size_t i = 0; i < b->nchildren; i++)
		body_clear(&b->children[i]);
	free(b->children);
	memset(b, 0, sizeof(*b));
}

/* body-fld-dsp: NIL or "(" string SP body-fld-param ")". */
static int body_disposition(struct body_ctx *c, const char *sec, const struct imap_arg *a,
			    struct imap_body *b)
{
	int ret;

	if (a->type == IMAP_ARG_NIL)
		return 0;
	if (a->type != IMAP_ARG_LIST)
		return body_fail(c, sec, "disposition is %s, not a list", body_arg_kind(a));
	if (a->len != 2)
		return body_fail(c, sec, "disposition has %zu items, not 2", a->len);
	ret = body_string(c, sec, "disposition type", &a->u.list[0], true, &b->disposition);
	if (ret < 0)
		return ret;
	return body_params(c, sec, "disposition parameters", &a->u.list[1], &b->disp_params,
			   &b->ndisp_params);
}

/* The extension data (v[0..n), any prefix of it, none in the BODY form):
 * body-fld-md5 for a single part or body-fld-param for a multipart, then
 * disposition, language and location, then body-extension items, ignored.
 * Only the parameters and the disposition are kept. */
static int body_extension(struct body_ctx *c, const char *sec, const struct imap_arg *v, size_t n,
			  bool multipart, struct imap_body *b)
{
	int ret;

	if (n == 0)
		return 0;
	if (multipart) {
		ret = body_params(c, sec, "parameters", &v[0], &b->params, &b->nparams);
		if (ret < 0)
			return ret;
	} else if (!body_is_nstring(&v[0])) {
		return body_fail(c, sec, "MD5 is %s, not a string", body_arg_kind(&v[0]));
	}
	if (n < 2)
		return 0;
	ret = body_disposition(c, sec, &v[1], b);
	if (ret < 0 || n < 3)
		return ret;
	/* body-fld-lang: nstring or a list of strings ("()" let pass, as for
	 * parameters: it is not kept). */
	if (v[2].type == IMAP_ARG_LIST) {
		for (size_t i = 0; i < v[2].len; i++) {
			if (!body_is_string(&v[2].u.list[i]))
				return body_fail(c, sec, "language item %zu is %s, not a string",
						 i + 1, body_arg_kind(&v[2].u.list[i]));
		}
	} else if (!body_is_nstring(&v[2])) {
		return body_fail(c, sec, "language is %s, not a string or list",
				 body_arg_kind(&v[2]));
	}
	if (n >= 4 && !body_is_nstring(&v[3]))
		return body_fail(c, sec, "location is %s, not a string", body_arg_kind(&v[3]));
	return 0;
}

static int body_node(struct body_ctx *c, const struct imap_arg *a, const char *sec_single,
		     const char *sec_multi, unsigned depth, struct imap_body *b);

static int body_multipart(struct body_ctx *c, const struct imap_arg *v, size_t n, unsigned depth,
			  struct imap_body *b)
{
	const char *sec = b->section;
	size_t k = 0;
	int ret;

	while (k < n && v[k].type == IMAP_ARG_LIST)
		k++;
	/* Checked before allocating: k is bounded only by the parser. */
	if (k > IMAP_BODY_MAX_PARTS || c->nparts + k > IMAP_BODY_MAX_PARTS)
		return body_fail(c, sec, "more than %d parts", IMAP_BODY_MAX_PARTS);
	b->children = body_calloc(k, sizeof(*b->children));
	b->nchildren = k;
	for (size_t i = 0; i < k; i++) {
		char *csec = body_child_section(sec, i + 1);

		ret = body_node(c, &v[i], csec, csec, depth + 1, &b->children[i]);
		free(csec);
		if (ret < 0)
			return ret;
	}
	b->type = body_strndup("multipart", 9, false);
	ret = body_string(c, sec, "multipart subtype", k < n ? &v[k] : NULL, true, &b->subtype);
	if (ret < 0)
		return ret;
	return body_extension(c, sec, v + k + 1, n - k - 1, true, b);
}

static int body_single(struct body_ctx *c, const struct imap_arg *v, size_t n, unsigned depth,
		       struct imap_body *b)
{
	const char *sec = b->section;
	size_t i = 7;
	bool message;
	int ret;

#define FIELD(k) ((k) < n ? &v[k] : NULL)
	ret = body_string(c, sec, "type", FIELD(0), true, &b->type);
	if (ret == 0)
		ret = body_string(c, sec, "subtype", FIELD(1), true, &b->subtype);
	if (ret < 0)
		return ret;
	if (strcmp(b->type, "multipart") == 0)
		return body_fail(c, sec, "multipart with no parts");
	ret = body_params(c, sec, "parameters", FIELD(2), &b->params, &b->nparams);
	if (ret == 0)
		ret = body_nstring(c, sec, "id", FIELD(3), &b->id);
	if (ret == 0)
		ret = body_nstring(c, sec, "description", FIELD(4), &b->description);
	if (ret == 0)
		ret = body_string(c, sec, "encoding", FIELD(5), true, &b->encoding);
	if (ret == 0)
		ret = body_number(c, sec, "size", FIELD(6), &b->size);
	if (ret < 0)
		return ret;
	/* RFC 9051 adds message/global, which servers send either way: it is
	 * an encapsulated message when an envelope follows. */
	message = strcmp(b->type, "message") == 0 &&
		  (strcmp(b->subtype, "rfc822") == 0 ||
		   (strcmp(b->subtype, "global") == 0 && n > 7 && v[7].type == IMAP_ARG_LIST));
	if (message) {
		char *csec;

		if (n < 8)
			return body_fail(c, sec, "envelope missing");
		if (v[7].type != IMAP_ARG_LIST)
			return body_fail(c, sec, "envelope is %s, not a list",
					 body_arg_kind(&v[7]));
		if (n < 9)
			return body_fail(c, sec, "body of the message missing");
		if (c->nparts + 1 > IMAP_BODY_MAX_PARTS)
			return body_fail(c, sec, "more than %d parts", IMAP_BODY_MAX_PARTS);
		b->children = body_calloc(1, sizeof(*b->children));
		b->nchildren = 1;
		csec = body_child_section(sec, 1);
		ret = body_node(c, &v[8], csec, sec, depth + 1, &b->children[0]);
		free(csec);
		if (ret < 0)
			return ret;
		i = 10;
		ret = body_number(c, sec, "lines", FIELD(9), &b->lines);
	} else if (strcmp(b->type, "text") == 0) {
		i = 8;
		ret = body_number(c, sec, "lines", FIELD(7), &b->lines);
	}
#undef FIELD
	if (ret < 0)
		return ret;
	return body_extension(c, sec, v + i, n > i ? n - i : 0, false, b);
}

/* A part is a list; its section depends on whether it is a multipart. */
static int body_node(struct body_ctx *c, const struct imap_arg *a, const char *sec_single,
		     const char *sec_multi, unsigned depth, struct imap_body *b)
{
	bool multi;

	if (a->type != IMAP_ARG_LIST)
		return body_fail(c, sec_single, "body is %s, not a list", body_arg_kind(a));
	if (a->len == 0)
		return body_fail(c, sec_single, "empty body");
	multi = a->u.list[0].type == IMAP_ARG_LIST;
	b->section = body_strndup(multi ? sec_multi : sec_single,
				  strlen(multi ? sec_multi : sec_single), false);
	/* Counted before the children, so that the bound holds at every step. */
	if (++c->nparts > IMAP_BODY_MAX_PARTS)
		return body_fail(c, b->section, "more than %d parts", IMAP_BODY_MAX_PARTS);
	if (depth > IMAP_BODY_MAX_DEPTH)
		return body_fail(c, b->section, "parts nested deeper than %d", IMAP_BODY_MAX_DEPTH);
	if (multi)
		return body_multipart(c, a->u.list, a->len, depth, b);
	return body_single(c, a->u.list, a->len, depth, b);
}

int imap_body_parse(const struct imap_arg *arg, struct imap_body **body_r, char *err, size_t errlen)
{
	struct body_ctx c = {.err = err, .errlen = errlen};
	struct imap_body *b;
	int ret;

	*body_r = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!arg)
		return body_fail(&c, "1", "BODYSTRUCTURE missing");
	b = body_calloc(1, sizeof(*b));
	ret = body_node(&c, arg, "1", "", 1, b);
	if (ret < 0) {
		imap_body_free(&b);
		return ret;
	}
	*body_r = b;
	return 0;
}

void imap_body_free(struct imap_body **body)
{
	if (!*body)
		return;
	body_clear(*body);
	free(*body);
	*body = NULL;
}

/* ---- text form ---------------------------------------------------------- */

static void body_write_str(struct buf *out, const char *s)
{
	size_t n;
	bool literal = false;

	if (!s) {
		buf_appends(out, "NIL");
		return;
	}
	n = strlen(s);
	for (size_t i = 0; i < n && !literal; i++) {
		unsigned char ch = (unsigned char)s[i];

		literal = ch < 0x20 || ch >= 0x7f;
	}
	if (literal) {
		/* CR, LF, NUL and 8-bit bytes never go inside a quoted string. */
		buf_appendf(out, "{%zu}\r\n", n);
		buf_append(out, s, n);
		return;
	}
	buf_appends(out, "\"");
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_appends(out, "\\");
		buf_append(out, p, 1);
	}
	buf_appends(out, "\"");
}

static void body_write_params(struct buf *out, const struct imap_body_param *p, size_t n)
{
	if (n == 0) {
		buf_appends(out, "NIL");
		return;
	}
	buf_appends(out, "(");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_appends(out, " ");
		body_write_str(out, p[i].name);
		buf_appends(out, " ");
		body_write_str(out, p[i].value ? p[i].value : "");
	}
	buf_appends(out, ")");
}

static void body_write_disposition(struct buf *out, const struct imap_body *b)
{
	if (!b->disposition) {
		buf_appends(out, "NIL");
		return;
	}
	buf_appends(out, "(");
	body_write_str(out, b->disposition);
	buf_appends(out, " ");
	body_write_params(out, b->disp_params, b->ndisp_params);
	buf_appends(out, ")");
}

static void body_write(struct buf *out, const struct imap_body *b)
{
	buf_appends(out, "(");
	if (b->type && strcmp(b->type, "multipart") == 0) {
		/* Children separated by SP, which imap_parser requires (RFC
		 * 3501 puts them side by side: "1*body"). */
		for (size_t i = 0; i < b->nchildren; i++) {
			body_write(out, &b->children[i]);
			buf_appends(out, " ");
		}
		body_write_str(out, b->subtype);
		buf_appends(out, " ");
		body_write_params(out, b->params, b->nparams);
		buf_appends(out, " ");
		body_write_disposition(out, b);
		buf_appends(out, ")");
		return;
	}
	body_write_str(out, b->type);
	buf_appends(out, " ");
	body_write_str(out, b->subtype);
	buf_appends(out, " ");
	body_write_params(out, b->params, b->nparams);
	buf_appends(out, " ");
	body_write_str(out, b->id);
	buf_appends(out, " ");
	body_write_str(out, b->description);
	buf_appends(out, " ");
	body_write_str(out, b->encoding);
	buf_appendf(out, " %" PRIu64, b->size);
	if (b->nchildren == 1) {
		/* The envelope is not kept: an empty one stands in. */
		buf_appends(out, " (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ");
		body_write(out, &b->children[0]);
		buf_appendf(out, " %" PRIu64, b->lines);
	} else if (b->type && strcmp(b->type, "text") == 0) {
		buf_appendf(out, " %" PRIu64, b->lines);
	}
	buf_appends(out, " NIL "); /* MD5 */
	body_write_disposition(out, b);
	buf_appends(out, ")");
}

void imap_body_to_text(const struct imap_body *body, struct buf *out)
{
	body_write(out, body);
}

int imap_body_from_text(const char *text, size_t len, struct imap_body **body_r, char *err,
			size_t errlen)
{
	static const char head[] = "* 1 FETCH (BODYSTRUCTURE ";
	/* Limits that any text imap_body_to_text wrote fits in: the response
	 * is this text and a few bytes more; nesting is the FETCH list, one
	 * list per level of parts, and a disposition's list of parameters in
	 * the deepest one. */
	struct imap_parser_limits lim = {
	    .max_line = len + 64,
	    .max_literal = len,
	    .max_total = (uint64_t)len + 64,
	    .max_depth = IMAP_BODY_MAX_DEPTH + 3,
	    .max_args = len + 8,
	};
	struct buf wrapped = BUF_INIT;
	struct imap_parser *p = NULL;
	struct imap_resp *r = NULL;
	const struct imap_arg *fetch;
	size_t used = 0;
	int ret = -EPROTO;

	*body_r = NULL;
	if (err && errlen)
		err[0] = '\0';
	buf_appends(&wrapped, head);
	buf_append(&wrapped, text, len);
	buf_appends(&wrapped, ")\r\n");
	p = imap_parser_new(&lim);
	if (!p) {
		ret = -ENOMEM;
		goto out;
	}
	if (imap_parser_feed(p, wrapped.data, wrapped.len, &used, &r) != IMAP_PARSE_DONE) {
		if (err && errlen)
			snprintf(err, errlen, "stored BODYSTRUCTURE does not parse: %s",
				 imap_parser_error(p)[0] ? imap_parser_error(p) : "truncated");
		goto out;
	}
	fetch = r->nargs == 3 ? &r->args[2] : NULL;
	if (used != wrapped.len || !fetch || fetch->type != IMAP_ARG_LIST || fetch->len != 2) {
		if (err && errlen)
			snprintf(err, errlen, "stored BODYSTRUCTURE is not one body");
		goto out;
	}
	ret = imap_body_parse(&fetch->u.list[1], body_r, err, errlen);
out:
	imap_resp_free(&r);
	imap_parser_free(&p);
	buf_free(&wrapped);
	return ret;
}

/* ---- look-ups ----------------------------------------------------------- */

const char *imap_body_param(const struct imap_body_param *params, size_t n, const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (params[i].name && strcmp(params[i].name, name) == 0)
			return params[i].value;
	}
	return NULL;
}

const struct imap_body *imap_body_find(const struct imap_body *body, const char *section)
{
	if (!body || !section || !body->section)
		return NULL;
	/* Pre-order, so that of a message/rfc822 part and the multipart it
	 * holds, which share a section, the message/rfc822 part is found. */
	if (strcmp(body->section, section) == 0)
		return body;
	for (size_t i = 0; i < body->nchildren; i++) {
		const char *cs = body->children[i].section;
		size_t n = cs ? strlen(cs) : 0;

		/* Only the child whose section is a prefix of the one sought. */
		if (cs && strncmp(section, cs, n) == 0 && (section[n] == '\0' || section[n] == '.'))
			return imap_body_find(&body->children[i], section);
	}
	return NULL;
}

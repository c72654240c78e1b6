/* Fuzz target for imap_body.
 *
 * Input: what a server sends, parsed by imap_parser (default limits) into
 * responses; in every FETCH response, the argument after each BODYSTRUCTURE
 * or BODY atom goes to imap_body_parse.  The seed corpus holds real
 * BODYSTRUCTUREs (Dovecot, and others in the style of Gmail, Exchange,
 * Cyrus) and broken ones, as readable text.
 *
 * Checked invariants (abort() on violation, which the fuzzer reports):
 * success gives a tree and failure -EPROTO, no tree and a reason; in a
 * tree, sections follow the header's rules, a multipart has parts and no
 * single-part fields, case-insensitive tokens are lower-case, strings are
 * NUL-terminated and values never NULL, depth and part count are within
 * the limits, imap_body_find finds every part by its section, and
 * imap_body_to_text -> imap_body_from_text gives an equal tree that writes
 * the same text again. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/buf.h"
#include "imapfs/imap_body.h"
#include "imapfs/imap_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void check_lower(const char *s)
{
	FUZZ_ASSERT(s != NULL);
	for (; *s; s++)
		FUZZ_ASSERT(!(*s >= 'A' && *s <= 'Z'));
}

static void check_params(const struct imap_body_param *p, size_t n)
{
	FUZZ_ASSERT(n == 0 || p != NULL);
	for (size_t i = 0; i < n; i++) {
		check_lower(p[i].name);
		FUZZ_ASSERT(p[i].value != NULL);
		(void)strlen(p[i].value);
	}
}

static bool params_eq(const struct imap_body_param *a, size_t na, const struct imap_body_param *b,
		      size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		if (!str_eq(a[i].name, b[i].name) || !str_eq(a[i].value, b[i].value))
			return false;
	}
	return true;
}

static bool tree_eq(const struct imap_body *a, const struct imap_body *b)
{
	if (!str_eq(a->section, b->section) || !str_eq(a->type, b->type) ||
	    !str_eq(a->subtype, b->subtype) ||
	    !params_eq(a->params, a->nparams, b->params, b->nparams) || !str_eq(a->id, b->id) ||
	    !str_eq(a->description, b->description) || !str_eq(a->encoding, b->encoding) ||
	    a->size != b->size || a->lines != b->lines || !str_eq(a->disposition, b->disposition) ||
	    !params_eq(a->disp_params, a->ndisp_params, b->disp_params, b->ndisp_params) ||
	    a->nchildren != b->nchildren)
		return false;
	for (size_t i = 0; i < a->nchildren; i++) {
		if (!tree_eq(&a->children[i], &b->children[i]))
			return false;
	}
	return true;
}

/* What b's section must be, given its parent (NULL at the top). */
static void want_section(struct buf *want, const struct imap_body *b,
			 const struct imap_body *parent, size_t index)
{
	bool multi = strcmp(b->type, "multipart") == 0;

	buf_reset(want);
	if (!parent)
		buf_appends(want, multi ? "" : "1");
	else if (strcmp(parent->type, "multipart") == 0 && parent->section[0])
		buf_appendf(want, "%s.%zu", parent->section, index + 1);
	else if (strcmp(parent->type, "multipart") == 0)
		buf_appendf(want, "%zu", index + 1);
	else if (multi)
		buf_appends(want, parent->section);
	else
		buf_appendf(want, "%s.1", parent->section);
}

static void check_node(const struct imap_body *top, const struct imap_body *b,
		       const struct imap_body *parent, size_t index, unsigned depth, size_t *nparts)
{
	struct buf want = BUF_INIT;
	bool multi;

	FUZZ_ASSERT(depth <= IMAP_BODY_MAX_DEPTH);
	FUZZ_ASSERT(++*nparts <= IMAP_BODY_MAX_PARTS);
	FUZZ_ASSERT(b->section && b->type && b->subtype);
	check_lower(b->type);
	check_lower(b->subtype);
	check_params(b->params, b->nparams);
	multi = strcmp(b->type, "multipart") == 0;
	want_section(&want, b, parent, index);
	FUZZ_ASSERT(strcmp(b->section, want.data) == 0);
	buf_free(&want);
	FUZZ_ASSERT(b->section[0] || (multi && !parent));
	if (multi) {
		FUZZ_ASSERT(b->nchildren >= 1);
		FUZZ_ASSERT(!b->id && !b->description && !b->encoding);
		FUZZ_ASSERT(b->size == 0 && b->lines == 0);
	} else {
		check_lower(b->encoding);
		(void)(b->id ? strlen(b->id) : 0);
		(void)(b->description ? strlen(b->description) : 0);
		FUZZ_ASSERT(b->nchildren <= 1);
		FUZZ_ASSERT(b->nchildren == 0 || strcmp(b->type, "message") == 0);
		FUZZ_ASSERT(b->lines == 0 || b->nchildren == 1 || strcmp(b->type, "text") == 0);
		if (strcmp(b->type, "message") == 0 && strcmp(b->subtype, "rfc822") == 0)
			FUZZ_ASSERT(b->nchildren == 1);
	}
	if (b->disposition)
		check_lower(b->disposition);
	else
		FUZZ_ASSERT(b->ndisp_params == 0);
	check_params(b->disp_params, b->ndisp_params);
	FUZZ_ASSERT(b->nchildren == 0 || b->children != NULL);
	/* A multipart held by a message/rfc822 part shares its section. */
	if (parent && multi && strcmp(parent->type, "multipart") != 0)
		FUZZ_ASSERT(imap_body_find(top, b->section) == parent);
	else
		FUZZ_ASSERT(imap_body_find(top, b->section) == b);
	for (size_t i = 0; i < b->nchildren; i++)
		check_node(top, &b->children[i], b, i, depth + 1, nparts);
}

static void fuzz_body(const struct imap_arg *arg)
{
	struct imap_body *b = (struct imap_body *)&b, *back = NULL;
	struct buf text = BUF_INIT, again = BUF_INIT;
	char err[256];
	size_t nparts = 0;
	int ret;

	memset(err, 'x', sizeof(err));
	ret = imap_body_parse(arg, &b, err, sizeof(err));
	FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
#ifdef FUZZ_VERBOSE /* to see what the seeds reach: -DFUZZ_VERBOSE */
	fprintf(stderr, "imap_body_parse: %d %s\n", ret, err);
#endif
	if (ret != 0) {
		FUZZ_ASSERT(ret == -EPROTO && b == NULL && err[0] != '\0');
		return;
	}
	FUZZ_ASSERT(b != NULL && err[0] == '\0');
	check_node(b, b, NULL, 0, 1, &nparts);

	imap_body_to_text(b, &text);
	FUZZ_ASSERT(text.data != NULL);
	ret = imap_body_from_text(text.data, text.len, &back, err, sizeof(err));
	FUZZ_ASSERT(ret == 0 && back != NULL);
	FUZZ_ASSERT(tree_eq(b, back));
	imap_body_to_text(back, &again);
	FUZZ_ASSERT(again.len == text.len && memcmp(again.data, text.data, text.len) == 0);

	imap_body_free(&back);
	imap_body_free(&b);
	FUZZ_ASSERT(b == NULL);
	buf_free(&text);
	buf_free(&again);
}

static void fuzz_resp(const struct imap_resp *r)
{
	const struct imap_arg *l;

	if (r->type != IMAP_RESP_UNTAGGED || r->status != IMAP_STATUS_NONE || r->nargs < 3 ||
	    !imap_arg_is_atom(&r->args[1], "FETCH") || r->args[2].type != IMAP_ARG_LIST)
		return;
	l = &r->args[2];
	for (size_t i = 0; i + 1 < l->len; i++) {
		if (imap_arg_is_atom(&l->u.list[i], "BODYSTRUCTURE") ||
		    imap_arg_is_atom(&l->u.list[i], "BODY"))
			fuzz_body(&l->u.list[i + 1]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser *p = imap_parser_new(NULL);
	size_t off = 0;

	FUZZ_ASSERT(p != NULL);
	while (off < size) {
		struct imap_resp *r = NULL;
		size_t used = 0;
		enum imap_parse_result res =
		    imap_parser_feed(p, (const char *)data + off, size - off, &used, &r);

		if (res != IMAP_PARSE_DONE) {
#ifdef FUZZ_VERBOSE
			fprintf(stderr, "imap_parser: %s\n", imap_parser_error(p));
#endif
			break;
		}
		fuzz_resp(r);
		imap_resp_free(&r);
		off += used;
	}
	imap_parser_free(&p);
	return 0;
}

/* Unit tests of imap_body.  The D_* responses are what Dovecot 2.3 sent
 * for messages built with Python's email package and APPENDed (FETCH
 * BODYSTRUCTURE and FETCH BODY), byte for byte; the others are written in
 * the style of the server they name.  Every tree that parses is also
 * checked against the section rules, looked up part by part with
 * imap_body_find, and sent through imap_body_to_text/imap_body_from_text,
 * which must give an equal tree, field by field. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/buf.h"
#include "imapfs/imap_body.h"
#include "imapfs/imap_parser.h"

/* Check records every passing ck_assert: too slow for 10000-part trees. */
#define REQUIRE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond);                      \
	} while (0)

static const char D_PLAIN[] =
    "* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
    "\"7bit\" 33 2 NIL NIL NIL NIL))\r\n";

static const char D_ALTERNATIVE[] =
    "* 2 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL "
    "\"base64\" 18 1 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL "
    "\"base64\" 26 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\" "
    "\"===============5149510519724854034==\") NIL NIL NIL))\r\n";

static const char D_MIXED_ATTACHMENT[] =
    "* 3 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
    "\"7bit\" 16 1 NIL NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"report.pdf\") "
    "\"<att1@example.org>\" \"The report\" \"base64\" 1418 NIL (\"attachment\" "
    "(\"filename*\" \"utf-8''Quarterly%20report%20%E2%80%94%20final%20version.pdf\")) NIL "
    "NIL) \"mixed\" (\"boundary\" \"===============2913214724369871085==\") NIL NIL "
    "NIL))\r\n";

static const char D_NESTED[] =
    "* 4 FETCH (BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL "
    "\"base64\" 10 1 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL "
    "\"base64\" 18 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\" "
    "\"===============8632060817780203883==\") NIL NIL NIL)(\"image\" \"png\" NIL NIL NIL "
    "\"base64\" 14 NIL (\"inline\" (\"filename\" \"x.png\")) NIL NIL) \"mixed\" "
    "(\"boundary\" \"===============2167955597361300542==\") NIL NIL NIL))\r\n";

static const char D_FWD_MULTIPART[] =
    "* 5 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
    "\"7bit\" 17 1 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 630 (\"Mon, "
    "23 Nov 2026 10:00:00 +0000\" \"inner multi\" ((\"Alice\" NIL \"alice\" "
    "\"example.org\")) ((\"Alice\" NIL \"alice\" \"example.org\")) ((\"Alice\" NIL \"alice\" "
    "\"example.org\")) ((NIL NIL \"bob\" \"example.org\")) NIL NIL NIL "
    "\"<inner-multi@example.org>\") ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL "
    "\"base64\" 18 1 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL "
    "\"base64\" 26 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\" "
    "\"===============2446493723393107586==\") NIL NIL NIL) 24 NIL NIL NIL NIL) \"mixed\" "
    "(\"boundary\" \"===============3920337051066280576==\") NIL NIL NIL))\r\n";

static const char D_FWD_SINGLE[] =
    "* 6 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
    "\"7bit\" 17 1 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 280 (\"Mon, "
    "23 Nov 2026 10:00:00 +0000\" \"inner single\" ((\"Alice\" NIL \"alice\" "
    "\"example.org\")) ((\"Alice\" NIL \"alice\" \"example.org\")) ((\"Alice\" NIL \"alice\" "
    "\"example.org\")) ((NIL NIL \"bob\" \"example.org\")) NIL NIL NIL "
    "\"<inner-single@example.org>\") (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
    "\"7bit\" 24 2 NIL NIL NIL NIL) 11 NIL NIL NIL NIL) \"mixed\" (\"boundary\" "
    "\"===============4598653583704673096==\") NIL NIL NIL))\r\n";

static const char D_TOP_RFC822[] =
    "* 7 FETCH (BODYSTRUCTURE (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 262 (\"Mon, 23 "
    "Nov 2026 10:00:00 +0000\" \"inner top\" ((\"Alice\" NIL \"alice\" \"example.org\")) "
    "((\"Alice\" NIL \"alice\" \"example.org\")) ((\"Alice\" NIL \"alice\" \"example.org\")) "
    "((NIL NIL \"bob\" \"example.org\")) NIL NIL NIL \"<inner-top@example.org>\") (\"text\" "
    "\"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 1 NIL NIL NIL NIL) 10 NIL NIL "
    "NIL NIL))\r\n";

static const char D_NON_MIME[] =
    "* 8 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
    "\"7bit\" 6 1 NIL NIL NIL NIL))\r\n";

static const char D_EIGHT_BIT[] =
    "* 9 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"8bit\" "
    "7 0 NIL NIL NIL NIL)(\"application\" \"octet-stream\" (\"name\" "
    "{11}\r\nGr\303\274\303\237e.bin) NIL {19}\r\nsay \\\"hi\\\" \\\\ there "
    "\"base64\" 4 NIL (\"attachment\" (\"filename\" {11}\r\nGr\303\274\303\237e.bin)) "
    "NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL))\r\n";

static const char D_PLAIN_BODY[] =
    "* 1 FETCH (BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 33 "
    "2))\r\n";

static const char D_ALTERNATIVE_BODY[] =
    "* 2 FETCH (BODY ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"base64\" 18 "
    "1)(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"base64\" 26 1) "
    "\"alternative\"))\r\n";

static const char D_MIXED_ATTACHMENT_BODY[] =
    "* 3 FETCH (BODY ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 16 "
    "1)(\"application\" \"pdf\" (\"name\" \"report.pdf\") \"<att1@example.org>\" \"The "
    "report\" \"base64\" 1418) \"mixed\"))\r\n";

static const char D_NESTED_BODY[] =
    "* 4 FETCH (BODY (((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"base64\" 10 "
    "1)(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"base64\" 18 1) "
    "\"alternative\")(\"image\" \"png\" NIL NIL NIL \"base64\" 14) \"mixed\"))\r\n";

static const char D_FWD_MULTIPART_BODY[] =
    "* 5 FETCH (BODY ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 17 "
    "1)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 630 (\"Mon, 23 Nov 2026 10:00:00 +0000\" "
    "\"inner multi\" ((\"Alice\" NIL \"alice\" \"example.org\")) ((\"Alice\" NIL \"alice\" "
    "\"example.org\")) ((\"Alice\" NIL \"alice\" \"example.org\")) ((NIL NIL \"bob\" "
    "\"example.org\")) NIL NIL NIL \"<inner-multi@example.org>\") ((\"text\" \"plain\" "
    "(\"charset\" \"utf-8\") NIL NIL \"base64\" 18 1)(\"text\" \"html\" (\"charset\" "
    "\"utf-8\") NIL NIL \"base64\" 26 1) \"alternative\") 24) \"mixed\"))\r\n";

static const char D_FWD_SINGLE_BODY[] =
    "* 6 FETCH (BODY ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 17 "
    "1)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 280 (\"Mon, 23 Nov 2026 10:00:00 +0000\" "
    "\"inner single\" ((\"Alice\" NIL \"alice\" \"example.org\")) ((\"Alice\" NIL \"alice\" "
    "\"example.org\")) ((\"Alice\" NIL \"alice\" \"example.org\")) ((NIL NIL \"bob\" "
    "\"example.org\")) NIL NIL NIL \"<inner-single@example.org>\") (\"text\" \"plain\" "
    "(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 24 2) 11) \"mixed\"))\r\n";

static const char D_TOP_RFC822_BODY[] =
    "* 7 FETCH (BODY (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 262 (\"Mon, 23 Nov 2026 "
    "10:00:00 +0000\" \"inner top\" ((\"Alice\" NIL \"alice\" \"example.org\")) ((\"Alice\" "
    "NIL \"alice\" \"example.org\")) ((\"Alice\" NIL \"alice\" \"example.org\")) ((NIL NIL "
    "\"bob\" \"example.org\")) NIL NIL NIL \"<inner-top@example.org>\") (\"text\" \"plain\" "
    "(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 1) 10))\r\n";

static const char D_NON_MIME_BODY[] =
    "* 8 FETCH (BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 "
    "1))\r\n";

static const char D_EIGHT_BIT_BODY[] =
    "* 9 FETCH (BODY ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"8bit\" 7 "
    "0)(\"application\" \"octet-stream\" (\"name\" {11}\r\nGr\303\274\303\237e.bin) NIL "
    "{19}\r\nsay \\\"hi\\\" \\\\ there \"base64\" 4) \"mixed\"))\r\n";

/* Dovecot on a message with a base64-encoded message/rfc822 part, an empty
 * one and a multipart without parts: an envelope of NILs and stand-in
 * parts, so that the rules of the grammar hold. */
static const char D_ODD[] =
    "* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
    "\"7bit\" 2 0 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"base64\" 30 (NIL NIL "
    "NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
    "\"7bit\" 0 0 NIL NIL NIL NIL) 1 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL "
    "\"7bit\" 2 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" "
    "\"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) 1 NIL NIL NIL NIL)((\"text\" "
    "\"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) "
    "\"alternative\" (\"boundary\" \"nope\") NIL NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL "
    "NIL NIL))\r\n";

/* ---- helpers ------------------------------------------------------------ */

/* One FETCH response, parsed whole with limits raised for the big ones. */
static struct imap_resp *parse_resp(const char *s, size_t n)
{
	struct imap_parser_limits lim = IMAP_PARSER_DEFAULT_LIMITS;
	struct imap_parser *p;
	struct imap_resp *r = NULL;
	size_t used = 0;
	enum imap_parse_result res;

	lim.max_line = 16u << 20;
	lim.max_depth = 200;
	p = imap_parser_new(&lim);
	REQUIRE(p != NULL);
	res = imap_parser_feed(p, s, n, &used, &r);
	if (res != IMAP_PARSE_DONE)
		ck_abort_msg("imap_parser: %d %s", (int)res, imap_parser_error(p));
	REQUIRE(used == n);
	imap_parser_free(&p);
	return r;
}

/* The argument after BODYSTRUCTURE or BODY in the response's FETCH list. */
static const struct imap_arg *fetch_body_arg(const struct imap_resp *r)
{
	const struct imap_arg *l;

	REQUIRE(r->nargs == 3 && imap_arg_is_atom(&r->args[1], "FETCH"));
	l = &r->args[2];
	REQUIRE(l->type == IMAP_ARG_LIST);
	for (size_t i = 0; i + 1 < l->len; i += 2) {
		if (imap_arg_is_atom(&l->u.list[i], "BODYSTRUCTURE") ||
		    imap_arg_is_atom(&l->u.list[i], "BODY"))
			return &l->u.list[i + 1];
	}
	ck_abort_msg("no BODYSTRUCTURE in the response");
	return NULL;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
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

/* Field-by-field equality; on a difference, why names the section and field. */
static bool tree_eq(const struct imap_body *a, const struct imap_body *b, char *why, size_t n)
{
#define DIFF(field)                                                                                \
	do {                                                                                       \
		snprintf(why, n, "section %s: %s differs", a->section ? a->section : "?", field);  \
		return false;                                                                      \
	} while (0)
	if (!str_eq(a->section, b->section))
		DIFF("section");
	if (!str_eq(a->type, b->type))
		DIFF("type");
	if (!str_eq(a->subtype, b->subtype))
		DIFF("subtype");
	if (!params_eq(a->params, a->nparams, b->params, b->nparams))
		DIFF("params");
	if (!str_eq(a->id, b->id))
		DIFF("id");
	if (!str_eq(a->description, b->description))
		DIFF("description");
	if (!str_eq(a->encoding, b->encoding))
		DIFF("encoding");
	if (a->size != b->size)
		DIFF("size");
	if (a->lines != b->lines)
		DIFF("lines");
	if (!str_eq(a->disposition, b->disposition))
		DIFF("disposition");
	if (!params_eq(a->disp_params, a->ndisp_params, b->disp_params, b->ndisp_params))
		DIFF("disp_params");
	if (a->nchildren != b->nchildren)
		DIFF("nchildren");
#undef DIFF
	for (size_t i = 0; i < a->nchildren; i++) {
		if (!tree_eq(&a->children[i], &b->children[i], why, n))
			return false;
	}
	return true;
}

/* The section rules of the header, checked from the top; and each part is
 * found by its section (a multipart held by a message/rfc822 part shares
 * its section: the message/rfc822 part is found). */
static void check_sections(const struct imap_body *top, const struct imap_body *b,
			   const struct imap_body *parent, size_t index)
{
	char want[4096];

	if (!parent) {
		REQUIRE(strcmp(b->section, strcmp(b->type, "multipart") == 0 ? "" : "1") == 0);
	} else if (strcmp(parent->type, "multipart") == 0) {
		if (parent->section[0])
			snprintf(want, sizeof(want), "%s.%zu", parent->section, index + 1);
		else
			snprintf(want, sizeof(want), "%zu", index + 1);
		REQUIRE(strcmp(b->section, want) == 0);
	} else {
		REQUIRE(parent->nchildren == 1);
		if (strcmp(b->type, "multipart") == 0)
			snprintf(want, sizeof(want), "%s", parent->section);
		else
			snprintf(want, sizeof(want), "%s.1", parent->section);
		REQUIRE(strcmp(b->section, want) == 0);
	}
	if (strcmp(b->type, "multipart") == 0) {
		REQUIRE(b->nchildren >= 1);
		REQUIRE(b->id == NULL && b->description == NULL && b->encoding == NULL);
		REQUIRE(b->size == 0 && b->lines == 0);
	} else {
		REQUIRE(b->encoding != NULL);
		REQUIRE(b->nchildren <= 1);
	}
	if (parent && strcmp(parent->type, "multipart") != 0 && strcmp(b->type, "multipart") == 0)
		REQUIRE(imap_body_find(top, b->section) == parent);
	else
		REQUIRE(imap_body_find(top, b->section) == b);
	for (size_t i = 0; i < b->nchildren; i++)
		check_sections(top, &b->children[i], b, i);
}

static void check_round_trip(const struct imap_body *b)
{
	struct buf text = BUF_INIT;
	struct imap_body *back = NULL;
	char err[256], why[256] = "";
	int ret;

	imap_body_to_text(b, &text);
	REQUIRE(text.data != NULL);
	ret = imap_body_from_text(text.data, text.len, &back, err, sizeof(err));
	if (ret != 0)
		ck_abort_msg("from_text: %d %s\n%s", ret, err, text.data);
	if (!tree_eq(b, back, why, sizeof(why)))
		ck_abort_msg("round trip: %s\n%s", why, text.data);
	imap_body_free(&back);
	REQUIRE(back == NULL);
	buf_free(&text);
}

/* Parses a whole response; the tree must follow the rules and round-trip. */
static struct imap_body *parse_ok(const char *s, size_t n)
{
	struct imap_resp *r = parse_resp(s, n);
	struct imap_body *b = NULL;
	char err[256] = "";
	int ret = imap_body_parse(fetch_body_arg(r), &b, err, sizeof(err));

	if (ret != 0)
		ck_abort_msg("imap_body_parse: %d %s", ret, err);
	imap_resp_free(&r);
	check_sections(b, b, NULL, 0);
	check_round_trip(b);
	return b;
}

#define PARSE_OK(lit) parse_ok(lit, sizeof(lit) - 1)

/* "section type/subtype" of every part, pre-order, space-separated. */
static void outline(struct buf *o, const struct imap_body *b)
{
	buf_appendf(o, "%s%s=%s/%s", o->len ? " " : "", b->section[0] ? b->section : "\"\"",
		    b->type, b->subtype);
	for (size_t i = 0; i < b->nchildren; i++)
		outline(o, &b->children[i]);
}

static void assert_outline(const struct imap_body *b, const char *want)
{
	struct buf o = BUF_INIT;

	outline(&o, b);
	ck_assert_str_eq(o.data, want);
	buf_free(&o);
}

/* ---- real server output ------------------------------------------------- */

START_TEST(test_dovecot_plain)
{
	struct imap_body *b = PARSE_OK(D_PLAIN);

	assert_outline(b, "1=text/plain");
	ck_assert_uint_eq(b->nparams, 1);
	ck_assert_str_eq(b->params[0].name, "charset");
	ck_assert_str_eq(b->params[0].value, "us-ascii");
	ck_assert_ptr_null(b->id);
	ck_assert_ptr_null(b->description);
	ck_assert_str_eq(b->encoding, "7bit");
	ck_assert_uint_eq(b->size, 33);
	ck_assert_uint_eq(b->lines, 2);
	ck_assert_ptr_null(b->disposition);
	ck_assert_uint_eq(b->ndisp_params, 0);
	ck_assert_uint_eq(b->nchildren, 0);
	ck_assert_ptr_eq(imap_body_find(b, "1"), b);
	ck_assert_ptr_null(imap_body_find(b, ""));
	ck_assert_ptr_null(imap_body_find(b, "1.1"));
	imap_body_free(&b);
	ck_assert_ptr_null(b);
	imap_body_free(&b); /* NULL-safe */

	b = PARSE_OK(D_NON_MIME);
	assert_outline(b, "1=text/plain");
	ck_assert_uint_eq(b->size, 6);
	imap_body_free(&b);
}
END_TEST

START_TEST(test_dovecot_alternative)
{
	struct imap_body *b = PARSE_OK(D_ALTERNATIVE);

	assert_outline(b, "\"\"=multipart/alternative 1=text/plain 2=text/html");
	ck_assert_str_eq(imap_body_param(b->params, b->nparams, "boundary"),
			 "===============5149510519724854034==");
	ck_assert_ptr_null(b->encoding);
	ck_assert_str_eq(b->children[0].encoding, "base64");
	ck_assert_uint_eq(b->children[1].size, 26);
	ck_assert_uint_eq(b->children[1].lines, 1);
	ck_assert_str_eq(imap_body_param(b->children[1].params, b->children[1].nparams, "charset"),
			 "utf-8");
	imap_body_free(&b);
}
END_TEST

START_TEST(test_dovecot_mixed_attachment)
{
	struct imap_body *b = PARSE_OK(D_MIXED_ATTACHMENT);
	const struct imap_body *a;

	assert_outline(b, "\"\"=multipart/mixed 1=text/plain 2=application/pdf");
	a = imap_body_find(b, "2");
	ck_assert_ptr_eq(a, &b->children[1]);
	ck_assert_str_eq(a->id, "<att1@example.org>");
	ck_assert_str_eq(a->description, "The report");
	ck_assert_str_eq(a->encoding, "base64");
	ck_assert_uint_eq(a->size, 1418);
	ck_assert_uint_eq(a->lines, 0);
	ck_assert_str_eq(a->disposition, "attachment");
	ck_assert_str_eq(imap_body_param(a->params, a->nparams, "name"), "report.pdf");
	/* Dovecot joins the RFC 2231 continuations it was given
	 * (filename*0*=utf-8''Quarterly%20report%20%E2%80%94%20; filename*1*=...). */
	ck_assert_uint_eq(a->ndisp_params, 1);
	ck_assert_str_eq(imap_body_param(a->disp_params, a->ndisp_params, "filename*"),
			 "utf-8''Quarterly%20report%20%E2%80%94%20final%20version.pdf");
	imap_body_free(&b);
}
END_TEST

/* Cyrus and others pass the continuations through as sent. */
static const char CYRUS_2231[] =
    "* 3 FETCH (UID 7 BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL "
    "\"7BIT\" 16 1 NIL NIL NIL NIL)(\"APPLICATION\" \"PDF\" (\"NAME\" \"report.pdf\") NIL NIL "
    "\"BASE64\" 1418 NIL (\"ATTACHMENT\" (\"FILENAME*0*\" "
    "\"utf-8''Quarterly%20report%20%E2%80%94%20\" \"FILENAME*1*\" \"final%20version.pdf\")) "
    "NIL NIL) \"MIXED\" (\"BOUNDARY\" \"b1\") NIL NIL NIL))\r\n";

START_TEST(test_rfc2231_continuations)
{
	struct imap_body *b = PARSE_OK(CYRUS_2231);
	const struct imap_body *a = imap_body_find(b, "2");

	assert_outline(b, "\"\"=multipart/mixed 1=text/plain 2=application/pdf");
	ck_assert_str_eq(a->encoding, "base64");
	ck_assert_str_eq(a->disposition, "attachment");
	ck_assert_uint_eq(a->ndisp_params, 2);
	ck_assert_str_eq(a->disp_params[0].name, "filename*0*");
	ck_assert_str_eq(a->disp_params[1].name, "filename*1*");
	ck_assert_str_eq(imap_body_param(a->disp_params, a->ndisp_params, "filename*0*"),
			 "utf-8''Quarterly%20report%20%E2%80%94%20");
	ck_assert_str_eq(imap_body_param(a->disp_params, a->ndisp_params, "filename*1*"),
			 "final%20version.pdf");
	ck_assert_ptr_null(imap_body_param(a->disp_params, a->ndisp_params, "filename"));
	ck_assert_ptr_null(imap_body_param(a->disp_params, a->ndisp_params, "FILENAME*0*"));
	imap_body_free(&b);
}
END_TEST

START_TEST(test_dovecot_nested)
{
	struct imap_body *b = PARSE_OK(D_NESTED);
	const struct imap_body *png;

	assert_outline(b, "\"\"=multipart/mixed 1=multipart/alternative 1.1=text/plain "
			  "1.2=text/html 2=image/png");
	ck_assert_ptr_eq(imap_body_find(b, ""), b);
	ck_assert_ptr_eq(imap_body_find(b, "1"), &b->children[0]);
	ck_assert_ptr_eq(imap_body_find(b, "1.2"), &b->children[0].children[1]);
	ck_assert_ptr_null(imap_body_find(b, "1.3"));
	ck_assert_ptr_null(imap_body_find(b, "3"));
	ck_assert_ptr_null(imap_body_find(b, "1."));
	ck_assert_ptr_null(imap_body_find(b, "11"));
	ck_assert_ptr_null(imap_body_find(b, NULL));
	ck_assert_ptr_null(imap_body_find(NULL, "1"));
	png = imap_body_find(b, "2");
	ck_assert_str_eq(png->disposition, "inline");
	ck_assert_str_eq(imap_body_param(png->disp_params, png->ndisp_params, "filename"), "x.png");
	ck_assert_uint_eq(png->nparams, 0);
	ck_assert_ptr_null(png->params);
	imap_body_free(&b);
}
END_TEST

START_TEST(test_dovecot_rfc822_multipart)
{
	struct imap_body *b = PARSE_OK(D_FWD_MULTIPART);
	const struct imap_body *m = &b->children[1];

	assert_outline(b, "\"\"=multipart/mixed 1=text/plain 2=message/rfc822 "
			  "2=multipart/alternative 2.1=text/plain 2.2=text/html");
	ck_assert_uint_eq(m->size, 630);
	ck_assert_uint_eq(m->lines, 24);
	ck_assert_uint_eq(m->nchildren, 1);
	ck_assert_str_eq(m->encoding, "7bit");
	ck_assert_ptr_eq(imap_body_find(b, "2"), m);
	ck_assert_ptr_eq(imap_body_find(b, "2.1"), &m->children[0].children[0]);
	ck_assert_ptr_eq(imap_body_find(b, "2.2"), &m->children[0].children[1]);
	ck_assert_ptr_null(imap_body_find(b, "2.1.1"));
	imap_body_free(&b);
}
END_TEST

START_TEST(test_dovecot_rfc822_single)
{
	struct imap_body *b = PARSE_OK(D_FWD_SINGLE);

	assert_outline(b, "\"\"=multipart/mixed 1=text/plain 2=message/rfc822 2.1=text/plain");
	ck_assert_uint_eq(b->children[1].size, 280);
	ck_assert_uint_eq(b->children[1].lines, 11);
	ck_assert_ptr_eq(imap_body_find(b, "2.1"), &b->children[1].children[0]);
	ck_assert_uint_eq(imap_body_find(b, "2.1")->lines, 2);
	imap_body_free(&b);

	/* A message whose own body is a message/rfc822 part. */
	b = PARSE_OK(D_TOP_RFC822);
	assert_outline(b, "1=message/rfc822 1.1=text/plain");
	ck_assert_uint_eq(b->lines, 10);
	ck_assert_uint_eq(b->children[0].size, 12);
	imap_body_free(&b);
}
END_TEST

START_TEST(test_dovecot_stand_ins)
{
	struct imap_body *b = PARSE_OK(D_ODD);

	assert_outline(b, "\"\"=multipart/mixed 1=text/plain 2=message/rfc822 2.1=text/plain "
			  "3=message/rfc822 3.1=text/plain 4=multipart/alternative 4.1=text/plain");
	ck_assert_str_eq(b->children[1].encoding, "base64");
	ck_assert_uint_eq(b->children[1].size, 30);
	ck_assert_uint_eq(b->children[1].lines, 1);
	ck_assert_uint_eq(imap_body_find(b, "3.1")->size, 0);
	imap_body_free(&b);
}
END_TEST

/* Dovecot sends 8-bit values as literals and header text as it stands. */
START_TEST(test_dovecot_literals)
{
	struct imap_body *b = PARSE_OK(D_EIGHT_BIT);
	const struct imap_body *a = imap_body_find(b, "2");
	struct buf text = BUF_INIT;

	assert_outline(b, "\"\"=multipart/mixed 1=text/plain 2=application/octet-stream");
	ck_assert_str_eq(imap_body_param(a->params, a->nparams, "name"), "Gr\303\274\303\237e.bin");
	ck_assert_str_eq(a->description, "say \\\"hi\\\" \\\\ there");
	ck_assert_str_eq(imap_body_param(a->disp_params, a->ndisp_params, "filename"),
			 "Gr\303\274\303\237e.bin");
	ck_assert_uint_eq(b->children[0].lines, 0);
	/* 8-bit bytes go as a literal, quotes and backslashes escaped. */
	imap_body_to_text(b, &text);
	ck_assert_ptr_nonnull(strstr(text.data, "(\"name\" {11}\r\nGr\303\274\303\237e.bin)"));
	ck_assert_ptr_nonnull(strstr(text.data, " \"say \\\\\\\"hi\\\\\\\" \\\\\\\\ there\" "));
	buf_free(&text);
	imap_body_free(&b);
}
END_TEST

/* The non-extensible BODY form gives the same tree, without dispositions
 * and multipart parameters. */
START_TEST(test_dovecot_body_form)
{
	static const struct {
		const char *bs, *body;
		size_t bslen, bodylen;
	} pairs[] = {
#define PAIR(x) {x, x##_BODY, sizeof(x) - 1, sizeof(x##_BODY) - 1}
	    PAIR(D_PLAIN),	PAIR(D_ALTERNATIVE),   PAIR(D_MIXED_ATTACHMENT),
	    PAIR(D_NESTED),	PAIR(D_FWD_MULTIPART), PAIR(D_FWD_SINGLE),
	    PAIR(D_TOP_RFC822), PAIR(D_NON_MIME),      PAIR(D_EIGHT_BIT),
#undef PAIR
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct imap_body *full = parse_ok(pairs[i].bs, pairs[i].bslen);
		struct imap_body *body = parse_ok(pairs[i].body, pairs[i].bodylen);
		struct buf a = BUF_INIT, b = BUF_INIT;

		outline(&a, full);
		outline(&b, body);
		ck_assert_str_eq(a.data, b.data);
		ck_assert_uint_eq(body->ndisp_params, 0);
		ck_assert_ptr_null(body->disposition);
		if (strcmp(body->type, "multipart") == 0)
			ck_assert_uint_eq(body->nparams, 0);
		else
			ck_assert_uint_eq(body->size, full->size);
		buf_free(&a);
		buf_free(&b);
		imap_body_free(&full);
		imap_body_free(&body);
	}
}
END_TEST

/* Gmail: upper case, no body-fld-loc after the language. */
static const char GMAIL[] =
    "* 12 FETCH (X-GM-MSGID 1234 UID 3 BODYSTRUCTURE (((\"TEXT\" \"PLAIN\" (\"CHARSET\" "
    "\"UTF-8\") NIL NIL \"7BIT\" 5 1 NIL NIL NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\") "
    "NIL NIL \"QUOTED-PRINTABLE\" 120 3 NIL NIL NIL) \"ALTERNATIVE\" (\"BOUNDARY\" "
    "\"000000000000a1b2\") NIL NIL)(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") "
    "\"<f_kx1>\" NIL \"BASE64\" 71534 NIL (\"ATTACHMENT\" (\"FILENAME\" \"a.pdf\")) NIL) "
    "\"MIXED\" (\"BOUNDARY\" \"000000000000c3d4\") NIL NIL))\r\n";

/* Exchange: lower case, long disposition parameters, "()" for none. */
static const char EXCHANGE[] =
    "* 4 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL "
    "\"quoted-printable\" 410 12 NIL NIL \"en-US\" NIL)(\"application\" \"octet-stream\" "
    "(\"name\" \"x.bin\") NIL \"x.bin\" \"base64\" 1000 NIL (\"attachment\" (\"filename\" "
    "\"x.bin\" \"size\" \"731\" \"creation-date\" \"Mon, 23 Nov 2026 10:00:00 GMT\")) NIL "
    "NIL)(\"image\" \"gif\" () NIL NIL \"base64\" 12 NIL (\"inline\" ()) (\"en\" \"de\") "
    "NIL) \"mixed\" (\"boundary\" \"_002_\") NIL \"en-US\" NIL) UID 9)\r\n";

/* Extension data cut short at each point, and extended past the location
 * with body-extension items (RFC 3501 allows them for the future). */
static const char PARTIAL_EXT[] =
    "* 1 FETCH (BODYSTRUCTURE ((\"Text\" \"Plain\" NIL NIL NIL \"7Bit\" 1 1)(\"text\" "
    "\"plain\" NIL NIL NIL \"7bit\" 2 1 \"md5sum\")(\"image\" \"png\" NIL NIL NIL \"base64\" "
    "3 NIL (\"Attachment\" NIL))(\"text\" \"plain\" NIL NIL NIL \"7bit\" 4 1 NIL NIL NIL "
    "\"http://x/\" \"future\" 12 (1 (\"deep\" NIL) \"x\") NIL)(\"message\" \"rfc822\" NIL "
    "NIL NIL \"7bit\" 5 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL "
    "NIL NIL \"7bit\" 6 1) 2) \"mixed\" (\"boundary\" \"x\") NIL NIL NIL 42 (\"y\")))\r\n";

START_TEST(test_other_servers)
{
	struct imap_body *b = PARSE_OK(GMAIL);
	const struct imap_body *p;

	assert_outline(b, "\"\"=multipart/mixed 1=multipart/alternative 1.1=text/plain "
			  "1.2=text/html 2=application/pdf");
	p = imap_body_find(b, "1.2");
	ck_assert_str_eq(p->encoding, "quoted-printable");
	ck_assert_str_eq(imap_body_param(p->params, p->nparams, "charset"), "UTF-8");
	p = imap_body_find(b, "2");
	ck_assert_str_eq(p->disposition, "attachment");
	ck_assert_str_eq(p->id, "<f_kx1>");
	ck_assert_uint_eq(p->size, 71534);
	ck_assert_str_eq(imap_body_param(b->params, b->nparams, "boundary"), "000000000000c3d4");
	imap_body_free(&b);

	b = PARSE_OK(EXCHANGE);
	assert_outline(b, "\"\"=multipart/mixed 1=text/plain 2=application/octet-stream "
			  "3=image/gif");
	p = imap_body_find(b, "2");
	ck_assert_uint_eq(p->ndisp_params, 3);
	ck_assert_str_eq(imap_body_param(p->disp_params, 3, "size"), "731");
	ck_assert_str_eq(p->description, "x.bin");
	p = imap_body_find(b, "3");
	ck_assert_uint_eq(p->nparams, 0);
	ck_assert_str_eq(p->disposition, "inline");
	ck_assert_uint_eq(p->ndisp_params, 0);
	imap_body_free(&b);

	b = PARSE_OK(PARTIAL_EXT);
	assert_outline(b, "\"\"=multipart/mixed 1=text/plain 2=text/plain 3=image/png "
			  "4=text/plain 5=message/rfc822 5.1=text/plain");
	ck_assert_str_eq(b->children[0].type, "text");
	ck_assert_str_eq(b->children[0].subtype, "plain");
	ck_assert_str_eq(b->children[0].encoding, "7bit");
	ck_assert_str_eq(b->children[2].disposition, "attachment");
	ck_assert_uint_eq(b->children[2].ndisp_params, 0);
	ck_assert_uint_eq(b->children[3].size, 4);
	ck_assert_uint_eq(b->children[4].lines, 2);
	imap_body_free(&b);
}
END_TEST

/* message/global (RFC 9051) with an envelope holds a message; without one
 * it is a plain part. */
START_TEST(test_message_global)
{
	static const char with[] =
	    "* 1 FETCH (BODYSTRUCTURE (\"message\" \"global\" NIL NIL NIL \"8bit\" 50 (NIL NIL "
	    "NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL \"8bit\" 9 1) 3 NIL "
	    "NIL NIL NIL))\r\n";
	static const char without[] = "* 1 FETCH (BODYSTRUCTURE (\"message\" \"global\" NIL NIL "
				      "NIL \"8bit\" 50 NIL NIL NIL NIL))\r\n";
	struct imap_body *b = PARSE_OK(with);

	assert_outline(b, "1=message/global 1.1=text/plain");
	ck_assert_uint_eq(b->lines, 3);
	imap_body_free(&b);
	b = PARSE_OK(without);
	assert_outline(b, "1=message/global");
	ck_assert_uint_eq(b->lines, 0);
	imap_body_free(&b);
}
END_TEST

START_TEST(test_number_limits)
{
	static const char max[] = "* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL "
				  "\"7bit\" 18446744073709551615 18446744073709551615))\r\n";
	struct imap_body *b = PARSE_OK(max);

	ck_assert_uint_eq(b->size, UINT64_MAX);
	ck_assert_uint_eq(b->lines, UINT64_MAX);
	imap_body_free(&b);
}
END_TEST

/* ---- refusals ----------------------------------------------------------- */

#define BS(x) "* 1 FETCH (BODYSTRUCTURE " x ")\r\n"
#define TEXT1 "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)"

static const struct {
	const char *resp;
	size_t len;
	const char *reason;
} refused[] = {
#define R(x, why)                                                                                  \
	{                                                                                          \
		x, sizeof(x) - 1, why                                                              \
	}
    R(BS("NIL"), "part 1: body is NIL, not a list"),
    R(BS("\"text\""), "part 1: body is a string, not a list"),
    R(BS("()"), "part 1: empty body"),
    R(BS("(\"text\")"), "part 1: subtype missing"),
    R(BS("(\"text\" \"plain\")"), "part 1: parameters missing"),
    R(BS("(\"text\" \"plain\" NIL NIL NIL \"7bit\")"), "part 1: size missing"),
    R(BS("(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1)"), "part 1: lines missing"),
    R(BS("(\"text\" \"plain\" NIL NIL NIL)"), "part 1: encoding missing"),
    R(BS("(NIL \"plain\" NIL NIL NIL \"7bit\" 1 1)"), "part 1: type is NIL, not a string"),
    R(BS("(text \"plain\" NIL NIL NIL \"7bit\" 1 1)"), "part 1: type is an atom, not a string"),
    R(BS("(1 \"plain\" NIL NIL NIL \"7bit\" 1 1)"), "part 1: type is a number, not a string"),
    R(BS("(\"text\" \"plain\" NIL NIL NIL NIL 1 1)"), "part 1: encoding is NIL, not a string"),
    R(BS("(\"text\" \"plain\" NIL (\"x\") NIL \"7bit\" 1 1)"),
      "part 1: id is a list, not a string"),
    R(BS("(\"text\" \"plain\" NIL NIL 5 \"7bit\" 1 1)"),
      "part 1: description is a number, not a string"),
    R(BS("(\"text\" \"plain\" NIL NIL NIL \"7bit\" \"33\" 1)"),
      "part 1: size is a string, not a number"),
    R(BS("(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 \"2\")"),
      "part 1: lines is a string, not a number"),
    R(BS("(\"text\" \"plain\" NIL NIL NIL \"7bit\" -1 1)"), "part 1: size is not a number"),
    R(BS("(\"text\" \"plain\" NIL NIL NIL \"7bit\" NIL 1)"), "part 1: size is NIL, not a number"),
    R(BS("(\"text\" \"plain\" NIL NIL NIL \"7bit\" 18446744073709551616 1)"),
      "part 1: size 18446744073709551616 out of range (uint64)"),
    R(BS("(" TEXT1 "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 99999999999999999999) "
	 "\"mixed\")"),
      "part 2: lines 99999999999999999999 out of range (uint64)"),
    R(BS("(" TEXT1 "(\"text\" \"plain\" (\"charset\") NIL NIL \"7bit\" 1 1) \"mixed\")"),
      "part 2: parameters: odd number of items (1)"),
    R(BS("(" TEXT1 "(\"text\" \"plain\" (\"a\" \"b\" \"c\") NIL NIL \"7bit\" 1 1) \"mixed\")"),
      "part 2: parameters: odd number of items (3)"),
    R(BS("(" TEXT1 "(\"text\" \"plain\" (\"charset\" NIL) NIL NIL \"7bit\" 1 1) \"mixed\")"),
      "part 2: parameters: item 2 is NIL, not a string"),
    R(BS("(" TEXT1 "(\"text\" \"plain\" (charset \"x\") NIL NIL \"7bit\" 1 1) \"mixed\")"),
      "part 2: parameters: item 1 is an atom, not a string"),
    R(BS("(\"text\" \"plain\" \"charset\" NIL NIL \"7bit\" 1 1)"),
      "part 1: parameters is a string, not a list"),
    R(BS("(" TEXT1 " \"mixed\" (\"boundary\"))"),
      "top multipart: parameters: odd number of items (1)"),
    R(BS("(" TEXT1 " NIL)"), "top multipart: multipart subtype is NIL, not a string"),
    R(BS("(" TEXT1 ")"), "top multipart: multipart subtype missing"),
    R(BS("(\"multipart\" \"mixed\" NIL NIL NIL \"7bit\" 0)"), "part 1: multipart with no parts"),
    R(BS("(" TEXT1 "(\"MULTIPART\" \"alternative\" (\"boundary\" \"x\") NIL NIL \"7bit\" 0) "
	 "\"mixed\")"),
      "part 2: multipart with no parts"),
    R(BS("(" TEXT1 "() \"mixed\")"), "part 2: empty body"),
    R(BS("((" TEXT1 "(\"text\" \"plain\" NIL NIL NIL \"7bit\" x 1) \"alternative\") "
	 "\"mixed\")"),
      "part 1.2: size is not a number"),
    R(BS("(" TEXT1 "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5) \"mixed\")"),
      "part 2: envelope missing"),
    R(BS("(" TEXT1 "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5 NIL " TEXT1 " 1) \"mixed\")"),
      "part 2: envelope is NIL, not a list"),
    R(BS("(" TEXT1 "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5 (NIL)) \"mixed\")"),
      "part 2: body of the message missing"),
    R(BS("(" TEXT1 "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5 (NIL) " TEXT1 ") \"mixed\")"),
      "part 2: lines missing"),
    R(BS("(" TEXT1 "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5 (NIL) NIL 1) \"mixed\")"),
      "part 2.1: body is NIL, not a list"),
    R(BS("(" TEXT1 "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5 (NIL) (" TEXT1
	 " \"alternative\" (\"b\")) 1) \"mixed\")"),
      "part 2: parameters: odd number of items (1)"),
    R(BS("(" TEXT1 "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5 (NIL) (\"text\" \"plain\" "
	 "NIL NIL NIL \"7bit\" 1) 1) \"mixed\")"),
      "part 2.1: lines missing"),
    R(BS("(\"image\" \"png\" NIL NIL NIL \"base64\" 1 NIL \"attachment\")"),
      "part 1: disposition is a string, not a list"),
    R(BS("(\"image\" \"png\" NIL NIL NIL \"base64\" 1 NIL (\"attachment\"))"),
      "part 1: disposition has 1 items, not 2"),
    R(BS("(\"image\" \"png\" NIL NIL NIL \"base64\" 1 NIL (NIL NIL))"),
      "part 1: disposition type is NIL, not a string"),
    R(BS("(\"image\" \"png\" NIL NIL NIL \"base64\" 1 NIL (\"inline\" (\"filename\")))"),
      "part 1: disposition parameters: odd number of items (1)"),
    R(BS("(\"image\" \"png\" NIL NIL NIL \"base64\" 1 (\"md5\"))"),
      "part 1: MD5 is a list, not a string"),
    R(BS("(\"image\" \"png\" NIL NIL NIL \"base64\" 1 NIL NIL 5)"),
      "part 1: language is an atom, not a string or list"),
    R(BS("(\"image\" \"png\" NIL NIL NIL \"base64\" 1 NIL NIL (\"en\" (\"de\")))"),
      "part 1: language item 2 is a list, not a string"),
    R(BS("(\"image\" \"png\" NIL NIL NIL \"base64\" 1 NIL NIL (\"en\" NIL))"),
      "part 1: language item 2 is NIL, not a string"),
    R(BS("(\"image\" \"png\" NIL NIL NIL \"base64\" 1 NIL NIL NIL (\"x\"))"),
      "part 1: location is a list, not a string"),
    R(BS("(" TEXT1 " \"mixed\" NIL \"inline\")"),
      "top multipart: disposition is a string, not a list"),
    R(BS("(\"text\" \"plain\" NIL NIL NIL {3}\r\n7\0t 1 1)"), "part 1: encoding holds a NUL byte"),
    R(BS("(\"text\" \"plain\" (\"a\" {1}\r\n\0) NIL NIL \"7bit\" 1 1)"),
      "part 1: parameters holds a NUL byte"),
#undef R
};

START_TEST(test_refused)
{
	struct imap_resp *r = parse_resp(refused[_i].resp, refused[_i].len);
	struct imap_body *b = (struct imap_body *)1;
	char err[256] = "";

	ck_assert_int_eq(imap_body_parse(fetch_body_arg(r), &b, err, sizeof(err)), -EPROTO);
	ck_assert_ptr_null(b);
	ck_assert_str_eq(err, refused[_i].reason);
	/* err may be NULL, or too short: still refused, still terminated. */
	ck_assert_int_eq(imap_body_parse(fetch_body_arg(r), &b, NULL, 0), -EPROTO);
	ck_assert_int_eq(imap_body_parse(fetch_body_arg(r), &b, err, 5), -EPROTO);
	ck_assert_uint_le(strlen(err), 4);
	imap_resp_free(&r);
}
END_TEST

/* A chain of multiparts, the innermost holding one text part with a
 * disposition: depth parts deep in all. */
static char *deep_response(unsigned depth, size_t *len_r)
{
	struct buf b = BUF_INIT;

	buf_appends(&b, "* 1 FETCH (BODYSTRUCTURE ");
	for (unsigned i = 1; i < depth; i++)
		buf_appends(&b, "(");
	buf_appends(&b, "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 1 1 NIL "
			"(\"inline\" (\"filename\" \"deep.txt\")) NIL NIL)");
	for (unsigned i = 1; i < depth; i++)
		buf_appends(&b, " \"mixed\" (\"boundary\" \"b\") (\"inline\" (\"a\" \"b\")))");
	buf_appends(&b, ")\r\n");
	*len_r = b.len;
	return buf_steal(&b);
}

START_TEST(test_depth_limit)
{
	char want[512], err[256] = "";
	size_t len;
	char *s = deep_response(IMAP_BODY_MAX_DEPTH, &len);
	struct imap_body *b = parse_ok(s, len);
	const struct imap_body *leaf;
	struct imap_resp *r;

	free(s);
	/* The innermost multipart is at 1.1...1 (49 ones), its part one more. */
	want[0] = '\0';
	for (unsigned i = 0; i < IMAP_BODY_MAX_DEPTH - 1; i++)
		strcat(want, i ? ".1" : "1");
	leaf = imap_body_find(b, want);
	ck_assert_ptr_nonnull(leaf);
	ck_assert_str_eq(leaf->type, "text");
	ck_assert_str_eq(leaf->disposition, "inline");
	imap_body_free(&b);

	s = deep_response(IMAP_BODY_MAX_DEPTH + 1, &len);
	r = parse_resp(s, len);
	free(s);
	ck_assert_int_eq(imap_body_parse(fetch_body_arg(r), &b, err, sizeof(err)), -EPROTO);
	ck_assert_ptr_null(b);
	strcat(want, ".1");
	ck_assert_str_eq(strstr(err, ": "), ": parts nested deeper than 50");
	ck_assert_int_eq(strncmp(err, "part ", 5), 0);
	ck_assert_uint_eq(strlen(err),
			  strlen("part ") + strlen(want) + strlen(": parts nested deeper than 50"));
	ck_assert_int_eq(strncmp(err + 5, want, strlen(want)), 0);
	imap_resp_free(&r);
}
END_TEST

/* A multipart of nchild text parts, repeated nmulti times in a multipart
 * (nmulti 0: just the one multipart). */
static char *wide_response(size_t nmulti, size_t nchild, size_t *len_r)
{
	struct buf b = BUF_INIT;

	buf_appends(&b, "* 1 FETCH (BODYSTRUCTURE (");
	for (size_t m = 0; m < (nmulti ? nmulti : 1); m++) {
		if (nmulti)
			buf_appends(&b, m ? " (" : "(");
		for (size_t i = 0; i < nchild; i++)
			buf_appends(&b, i ? " (\"a\" \"b\" NIL NIL NIL \"7bit\" 1)"
					  : "(\"a\" \"b\" NIL NIL NIL \"7bit\" 1)");
		buf_appends(&b, " \"mixed\"");
		if (nmulti)
			buf_appends(&b, ")");
	}
	if (nmulti)
		buf_appends(&b, " \"mixed\"");
	buf_appends(&b, "))\r\n");
	*len_r = b.len;
	return buf_steal(&b);
}

START_TEST(test_parts_limit)
{
	size_t len;
	char *s = wide_response(0, IMAP_BODY_MAX_PARTS - 1, &len);
	struct imap_body *b = parse_ok(s, len); /* 1 + 9999 parts: at the limit */
	struct imap_resp *r;
	char err[256] = "";

	free(s);
	ck_assert_uint_eq(b->nchildren, IMAP_BODY_MAX_PARTS - 1);
	ck_assert_ptr_eq(imap_body_find(b, "9999"), &b->children[9998]);
	imap_body_free(&b);

	s = wide_response(0, IMAP_BODY_MAX_PARTS, &len);
	r = parse_resp(s, len);
	free(s);
	ck_assert_int_eq(imap_body_parse(fetch_body_arg(r), &b, err, sizeof(err)), -EPROTO);
	ck_assert_ptr_null(b);
	ck_assert_str_eq(err, "top multipart: more than 10000 parts");
	imap_resp_free(&r);

	/* 1 + 9998 parts and a message/rfc822 part whose body is one too many. */
	{
		struct buf m = BUF_INIT;

		buf_appends(&m, "* 1 FETCH (BODYSTRUCTURE (");
		for (size_t i = 0; i < IMAP_BODY_MAX_PARTS - 2; i++)
			buf_appends(&m, "(\"a\" \"b\" NIL NIL NIL \"7bit\" 1) ");
		buf_appends(&m,
			    "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 9 (NIL) (\"a\" \"b\" NIL "
			    "NIL NIL \"7bit\" 1) 1) \"mixed\"))\r\n");
		r = parse_resp(m.data, m.len);
		buf_free(&m);
		ck_assert_int_eq(imap_body_parse(fetch_body_arg(r), &b, err, sizeof(err)), -EPROTO);
		ck_assert_str_eq(err, "part 9999: more than 10000 parts");
		imap_resp_free(&r);
	}

	/* All levels count together: 1 + 2 + 2 * 5000. */
	s = wide_response(2, 5000, &len);
	r = parse_resp(s, len);
	free(s);
	ck_assert_int_eq(imap_body_parse(fetch_body_arg(r), &b, err, sizeof(err)), -EPROTO);
	ck_assert_str_eq(err, "part 2: more than 10000 parts");
	imap_resp_free(&r);
}
END_TEST

/* ---- text form ---------------------------------------------------------- */

static int from_text(const char *s, struct imap_body **b_r, char err[static 128])
{
	return imap_body_from_text(s, strlen(s), b_r, err, 128);
}

START_TEST(test_text_escapes_and_literals)
{
	static const char odd[] =
	    "* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"name\" \"a \\\"q\\\" \\\\ b\" "
	    "\"x\" \"\") \"\" {5}\r\nl1\r\n2 \"7bit\" 0 0)(\"image\" \"png\" (\"name\" "
	    "{4}\r\n\t\177\200\377) NIL NIL \"base64\" 1 NIL (\"inline\" NIL)) \"mixed\"))\r\n";
	struct imap_body *b = PARSE_OK(odd), *back = NULL;
	struct buf text = BUF_INIT;
	char err[128];

	ck_assert_str_eq(imap_body_param(b->children[0].params, b->children[0].nparams, "name"),
			 "a \"q\" \\ b");
	ck_assert_str_eq(imap_body_param(b->children[0].params, 2, "x"), "");
	ck_assert_str_eq(b->children[0].id, "");
	ck_assert_str_eq(b->children[0].description, "l1\r\n2");
	ck_assert_str_eq(b->children[1].params[0].value, "\t\177\200\377");
	imap_body_to_text(&b->children[0], &text);
	ck_assert_str_eq(text.data, "(\"text\" \"plain\" (\"name\" \"a \\\"q\\\" \\\\ b\" \"x\" "
				    "\"\") \"\" {5}\r\nl1\r\n2 \"7bit\" 0 0 NIL NIL)");
	buf_reset(&text);
	imap_body_to_text(&b->children[1], &text);
	ck_assert_str_eq(text.data, "(\"image\" \"png\" (\"name\" {4}\r\n\t\177\200\377) NIL NIL "
				    "\"base64\" 1 NIL (\"inline\" NIL))");
	imap_body_free(&b);

	/* Anything but one body is refused. */
	ck_assert_int_eq(imap_body_from_text(text.data, text.len - 1, &back, err, sizeof(err)),
			 -EPROTO);
	ck_assert_ptr_null(back);
	ck_assert_int_eq(from_text("", &back, err), -EPROTO);
	ck_assert_int_eq(from_text(TEXT1 " " TEXT1, &back, err), -EPROTO);
	ck_assert_int_eq(from_text(TEXT1 ") (x", &back, err), -EPROTO);
	ck_assert_int_eq(from_text(TEXT1 ")\r\n* 2 FETCH (BODYSTRUCTURE " TEXT1, &back, err),
			 -EPROTO);
	ck_assert_int_eq(from_text("(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1)", &back, err),
			 -EPROTO);
	ck_assert_str_eq(err, "part 1: lines missing");
	ck_assert_int_eq(from_text(TEXT1, &back, err), 0);
	ck_assert_uint_eq(back->size, 1);
	imap_body_free(&back);
	buf_free(&text);
}
END_TEST

START_TEST(test_param_lookup)
{
	struct imap_body_param p[] = {{"charset", "utf-8"}, {"name", ""}, {"format", "flowed"}};

	ck_assert_str_eq(imap_body_param(p, 3, "charset"), "utf-8");
	ck_assert_str_eq(imap_body_param(p, 3, "name"), "");
	ck_assert_str_eq(imap_body_param(p, 3, "format"), "flowed");
	ck_assert_ptr_null(imap_body_param(p, 3, "Charset")); /* names are lower-cased */
	ck_assert_ptr_null(imap_body_param(p, 3, "char"));
	ck_assert_ptr_null(imap_body_param(p, 2, "format"));
	ck_assert_ptr_null(imap_body_param(NULL, 0, "charset"));
	ck_assert_ptr_null(imap_body_param(p, 3, NULL));
}
END_TEST

static Suite *body_suite(void)
{
	Suite *s = suite_create("imap_body");
	TCase *tc = tcase_create("body");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dovecot_plain);
	tcase_add_test(tc, test_dovecot_alternative);
	tcase_add_test(tc, test_dovecot_mixed_attachment);
	tcase_add_test(tc, test_rfc2231_continuations);
	tcase_add_test(tc, test_dovecot_nested);
	tcase_add_test(tc, test_dovecot_rfc822_multipart);
	tcase_add_test(tc, test_dovecot_rfc822_single);
	tcase_add_test(tc, test_dovecot_stand_ins);
	tcase_add_test(tc, test_dovecot_literals);
	tcase_add_test(tc, test_dovecot_body_form);
	tcase_add_test(tc, test_other_servers);
	tcase_add_test(tc, test_message_global);
	tcase_add_test(tc, test_number_limits);
	tcase_add_loop_test(tc, test_refused, 0, sizeof(refused) / sizeof(refused[0]));
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_parts_limit);
	tcase_add_test(tc, test_text_escapes_and_literals);
	tcase_add_test(tc, test_param_lookup);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(body_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Unit tests of imap_parser.  Every response is fed whole, one byte at a
 * time and in random splits (fixed seeds); all must give the same result,
 * which is compared against a textual dump of what the parser returned.
 * Each chunk is copied into a buffer of exactly its size, so that a read
 * past len shows up under ASan. */
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/buf.h"
#include "imapfs/imap_parser.h"

#define S(lit) lit, sizeof(lit) - 1

/* Check records every passing ck_assert (a write per call in fork mode):
 * far too slow for per-byte loops, which use this instead. */
#define REQUIRE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond);                      \
	} while (0)

static void dump_bytes(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f)
			buf_append(b, &s[i], 1);
		else
			buf_appendf(b, "\\x%02x", c);
	}
}

static void dump_args(struct buf *b, const struct imap_arg *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct imap_arg *a = &v[i];

		if (i)
			buf_appends(b, " ");
		switch (a->type) {
		case IMAP_ARG_NIL:
			REQUIRE(imap_arg_str(a) == NULL);
			buf_appends(b, "NIL");
			break;
		case IMAP_ARG_ATOM:
			REQUIRE(strlen(a->u.str) == a->len);
			dump_bytes(b, a->u.str, a->len);
			break;
		case IMAP_ARG_STRING:
			REQUIRE(a->u.str[a->len] == '\0');
			buf_appends(b, "\"");
			dump_bytes(b, a->u.str, a->len);
			buf_appends(b, "\"");
			break;
		case IMAP_ARG_LITERAL:
			REQUIRE(a->u.str[a->len] == '\0');
			buf_appendf(b, "{%zu}", a->len);
			dump_bytes(b, a->u.str, a->len);
			break;
		case IMAP_ARG_LIST:
			REQUIRE(imap_arg_str(a) == NULL);
			buf_appends(b, "(");
			dump_args(b, a->u.list, a->len);
			buf_appends(b, ")");
			break;
		}
	}
}

static void dump_opt(struct buf *b, const char *name, const char *s)
{
	buf_appendf(b, " %s=", name);
	if (s) {
		buf_appends(b, "[");
		dump_bytes(b, s, strlen(s));
		buf_appends(b, "]");
	} else {
		buf_appends(b, "-");
	}
}

static void dump_resp(struct buf *b, const struct imap_resp *r)
{
	static const char *const status[] = {"NONE", "OK", "NO", "BAD", "BYE", "PREAUTH"};

	REQUIRE(r->text != NULL);
	switch (r->type) {
	case IMAP_RESP_CONTINUATION:
		REQUIRE(r->tag == NULL);
		REQUIRE(r->nargs == 0);
		buf_appends(b, "+");
		dump_opt(b, "text", r->text);
		break;
	case IMAP_RESP_TAGGED:
	case IMAP_RESP_UNTAGGED:
		if (r->type == IMAP_RESP_TAGGED) {
			REQUIRE(r->tag != NULL);
			buf_appendf(b, "tag=%s", r->tag);
		} else {
			REQUIRE(r->tag == NULL);
			buf_appends(b, "*");
		}
		if (r->status == IMAP_STATUS_NONE) {
			REQUIRE(r->type == IMAP_RESP_UNTAGGED);
			REQUIRE(strcmp(r->text, "") == 0);
			REQUIRE(r->code == NULL);
			buf_appends(b, " ");
			dump_args(b, r->args, r->nargs);
		} else {
			REQUIRE(r->nargs == 0);
			buf_appendf(b, " %s", status[r->status]);
			dump_opt(b, "code", r->code);
			dump_opt(b, "arg", r->code_arg);
			dump_opt(b, "text", r->text);
		}
		break;
	}
	buf_appends(b, "\n");
}

static uint32_t rng_next(uint32_t *s)
{
	/* xorshift32: fixed seeds give the same splits on every machine. */
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

enum split {
	SPLIT_WHOLE,
	SPLIT_BYTES,
	SPLIT_RANDOM,
};

/* Feeds in to a fresh parser split as asked; returns the dumps of all
 * responses, then "ERROR" or "MORE" if the input ended in one. */
static char *run(const struct imap_parser_limits *lim, const char *in, size_t len, enum split split,
		 uint32_t seed, char **err_r)
{
	struct imap_parser *p = imap_parser_new(lim);
	struct buf out = BUF_INIT;
	size_t off = 0;
	bool pending = false, failed = false;

	REQUIRE(p != NULL);
	REQUIRE(strcmp(imap_parser_error(p), "") == 0);
	while (off < len && !failed) {
		size_t n = len - off, done = 0;
		char *chunk;

		if (split == SPLIT_BYTES)
			n = 1;
		else if (split == SPLIT_RANDOM)
			n = 1 + rng_next(&seed) % (n < 40 ? n : 40);
		chunk = malloc(n);
		REQUIRE(chunk != NULL);
		memcpy(chunk, in + off, n);
		while (done < n) {
			struct imap_resp *r = (void *)1;
			size_t used = 12345;
			enum imap_parse_result res =
			    imap_parser_feed(p, chunk + done, n - done, &used, &r);

			REQUIRE(used <= n - done);
			if (res == IMAP_PARSE_ERROR) {
				REQUIRE(r == NULL);
				buf_appends(&out, "ERROR\n");
				if (err_r)
					*err_r = strdup(imap_parser_error(p));
				REQUIRE(strcmp(imap_parser_error(p), "") != 0);
				failed = true;
				break;
			}
			if (res == IMAP_PARSE_MORE) {
				REQUIRE(r == NULL);
				REQUIRE(used == n - done);
				pending = true;
				break;
			}
			REQUIRE(res == IMAP_PARSE_DONE);
			REQUIRE(used > 0);
			REQUIRE(r != NULL);
			dump_resp(&out, r);
			imap_resp_free(&r);
			REQUIRE(r == NULL);
			done += used;
			pending = false;
		}
		free(chunk);
		off += n;
	}
	if (!failed && pending)
		buf_appends(&out, "MORE\n");
	if (failed) {
		/* Once failed, always failed. */
		struct imap_resp *r = NULL;
		size_t used;

		ck_assert_int_eq(imap_parser_feed(p, S("* 1 EXISTS\r\n"), &used, &r),
				 IMAP_PARSE_ERROR);
		REQUIRE(r == NULL);
	}
	imap_parser_free(&p);
	REQUIRE(p == NULL);
	return buf_steal(&out);
}

/* Whole, byte by byte and in 16 random splits: all must match expect. */
static void check_lim(const struct imap_parser_limits *lim, const char *in, size_t len,
		      const char *expect)
{
	char *got = run(lim, in, len, SPLIT_WHOLE, 0, NULL);

	ck_assert_str_eq(got, expect);
	free(got);
	got = run(lim, in, len, SPLIT_BYTES, 0, NULL);
	ck_assert_str_eq(got, expect);
	free(got);
	for (uint32_t seed = 1; seed <= 16; seed++) {
		got = run(lim, in, len, SPLIT_RANDOM, seed * 2654435761u, NULL);
		ck_assert_str_eq(got, expect);
		free(got);
	}
}

static void check(const char *in, size_t len, const char *expect)
{
	check_lim(NULL, in, len, expect);
}

/* The error message of feeding in whole. */
static char *error_of(const struct imap_parser_limits *lim, const char *in, size_t len)
{
	char *err = NULL;
	char *got = run(lim, in, len, SPLIT_WHOLE, 0, &err);

	ck_assert_str_eq(got, "ERROR\n");
	free(got);
	ck_assert_ptr_nonnull(err);
	return err;
}

static struct imap_parser_limits default_limits(void)
{
	struct imap_parser_limits lim = IMAP_PARSER_DEFAULT_LIMITS;

	return lim;
}

/* ---- status and continuation responses ---- */

START_TEST(test_status_untagged_code_and_text)
{
	check(S("* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"),
	      "* OK code=[UIDVALIDITY] arg=[3857529045] text=[UIDs valid]\n");
	check(S("* OK [PERMANENTFLAGS (\\Seen \\*)] Limited\r\n"),
	      "* OK code=[PERMANENTFLAGS] arg=[(\\Seen \\*)] text=[Limited]\n");
	check(S("* NO [ALERT] Quota exceeded\r\n"),
	      "* NO code=[ALERT] arg=- text=[Quota exceeded]\n");
	check(S("* BAD [PARSE] what?\r\n"), "* BAD code=[PARSE] arg=- text=[what?]\n");
	check(S("* BYE Logging out\r\n"), "* BYE code=- arg=- text=[Logging out]\n");
	check(S("* PREAUTH IMAP4rev1 server ready\r\n"),
	      "* PREAUTH code=- arg=- text=[IMAP4rev1 server ready]\n");
}
END_TEST

START_TEST(test_status_tagged)
{
	check(S("a1 OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Logged in\r\n"),
	      "tag=a1 OK code=[CAPABILITY] arg=[IMAP4rev1 AUTH=PLAIN] text=[Logged in]\n");
	check(S("a1 NO\r\n"), "tag=a1 NO code=- arg=- text=[]\n");
	check(S("a1 NO \r\n"), "tag=a1 NO code=- arg=- text=[]\n");
	check(S("A0042 BAD Unknown command\r\n"),
	      "tag=A0042 BAD code=- arg=- text=[Unknown command]\n");
	check(S("A001 OK [READ-WRITE]\r\n"), "tag=A001 OK code=[READ-WRITE] arg=- text=[]\n");
	/* "]" is an ASTRING-CHAR, so it may be part of a tag. */
	check(S("x]1 OK done\r\n"), "tag=x]1 OK code=- arg=- text=[done]\n");
}
END_TEST

START_TEST(test_status_case_and_code_arg)
{
	/* Status words are case-insensitive; the code is upper-cased. */
	check(S("* ok [read-write] Select done\r\n"),
	      "* OK code=[READ-WRITE] arg=- text=[Select done]\n");
	/* A "]" inside a quoted string does not end the code. */
	check(S("a2 NO [BADCHARSET (UTF-8 \"x]y\")] no\r\n"),
	      "tag=a2 NO code=[BADCHARSET] arg=[(UTF-8 \"x]y\")] text=[no]\n");
	check(S("* OK [X [nested] y] t\r\n"), "* OK code=[X] arg=[[nested] y] text=[t]\n");
	check(S("* OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n"),
	      "* OK code=[COPYUID] arg=[38505 304,319:320 3956:3958] text=[Done]\n");
}
END_TEST

START_TEST(test_status_text_is_one_line)
{
	/* Status text ending in {5} is text, not a literal. */
	check(S("* OK hello {5}\r\n* 1 EXISTS\r\n"),
	      "* OK code=- arg=- text=[hello {5}]\n* 1 EXISTS\n");
	check(S("a1 NO [ALERT] {3}\r\nabc\r\n"),
	      "tag=a1 NO code=[ALERT] arg=- text=[{3}]\nERROR\n");
	/* 8-bit text (UTF-8) is passed through. */
	check(S("* OK caf\xc3\xa9\r\n"), "* OK code=- arg=- text=[caf\\xc3\\xa9]\n");
}
END_TEST

START_TEST(test_continuation)
{
	check(S("+ Ready for literal data\r\n"), "+ text=[Ready for literal data]\n");
	check(S("+\r\n"), "+ text=[]\n");
	check(S("+ \r\n"), "+ text=[]\n");
	check(S("+ YWJj{3}\r\n"), "+ text=[YWJj{3}]\n");
	check(S("+ [ALERT] x\r\n"), "+ text=[[ALERT] x]\n");
}
END_TEST

/* ---- data responses ---- */

START_TEST(test_data_simple)
{
	check(S("* 3 EXISTS\r\n"), "* 3 EXISTS\n");
	check(S("* 0 RECENT\r\n* 23 EXPUNGE\r\n"), "* 0 RECENT\n* 23 EXPUNGE\n");
	check(S("* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN ID ENABLE IDLE\r\n"),
	      "* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN ID ENABLE IDLE\n");
	check(S("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1)\r\n"),
	      "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1)\n");
	check(S("* SEARCH\r\n"), "* SEARCH\n");
	check(S("* SEARCH 2 3 6\r\n"), "* SEARCH 2 3 6\n");
	/* Tolerated quirk: a trailing space. */
	check(S("* SEARCH \r\n"), "* SEARCH\n");
	check(S("* SEARCH 2 3 6 \r\n"), "* SEARCH 2 3 6\n");
	/* A word merely starting like a status word is data. */
	check(S("* OKAY 1\r\n"), "* OKAY 1\n");
}
END_TEST

START_TEST(test_data_list)
{
	check(S("* LIST (\\HasNoChildren) \"/\" \"INBOX\"\r\n"),
	      "* LIST (\\HasNoChildren) \"/\" \"INBOX\"\n");
	check(S("* LIST () \".\" {5}\r\nab&cd\r\n"), "* LIST () \".\" {5}ab&cd\n");
	check(S("* LIST (\\Noselect) NIL \"\"\r\n"), "* LIST (\\Noselect) NIL \"\"\n");
	check(S("* LIST (\\HasChildren) \"/\" Archive\r\n"),
	      "* LIST (\\HasChildren) \"/\" Archive\n");
	/* nil in any case is NIL; quoted it is a string. */
	check(S("* X nil Nil \"NIL\"\r\n"), "* X NIL NIL \"NIL\"\n");
	/* UTF-8 in a quoted string (RFC 9051) */
	check(S("* LIST () \"/\" \"Entw\xc3\xbcrfe\"\r\n"),
	      "* LIST () \"/\" \"Entw\\xc3\\xbcrfe\"\n");
}
END_TEST

START_TEST(test_data_fetch)
{
	check(S("* 12 FETCH (UID 42 FLAGS (\\Seen $Label \\*) RFC822.SIZE 4286 "
		"INTERNALDATE \"17-Jul-1996 02:44:25 -0700\")\r\n"),
	      "* 12 FETCH (UID 42 FLAGS (\\Seen $Label \\*) RFC822.SIZE 4286 "
	      "INTERNALDATE \"17-Jul-1996 02:44:25 -0700\")\n");
	check(S("* 12 FETCH (BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] {42}\r\n"
		"Subject: hi\r\nMessage-ID: <a@b.example>\r\n\r\n UID 7)\r\n"),
	      "* 12 FETCH (BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] "
	      "{42}Subject: hi\\x0d\\x0aMessage-ID: <a@b.example>\\x0d\\x0a\\x0d\\x0a UID 7)\n");
	check(S("* 1 FETCH (BODY[]<0> {10}\r\n0123456789)\r\n"),
	      "* 1 FETCH (BODY[]<0> {10}0123456789)\n");
	check(S("* 1 FETCH (BINARY[1.2]<0> ~{5}\r\na\0b\r\n)\r\n"),
	      "* 1 FETCH (BINARY[1.2]<0> {5}a\\x00b\\x0d\\x0a)\n");
	check(S("* 1 FETCH (BODY[1.MIME] NIL BINARY.SIZE[2] 40)\r\n"),
	      "* 1 FETCH (BODY[1.MIME] NIL BINARY.SIZE[2] 40)\n");
	/* A "]" or ")" quoted inside the brackets belongs to the atom. */
	check(S("* 1 FETCH (BODY[HEADER.FIELDS (\"X)]\")] \"v\")\r\n"),
	      "* 1 FETCH (BODY[HEADER.FIELDS (\"X)]\")] \"v\")\n");
	check(S("* 1 FETCH (BODY[HEADER.FIELDS (\"X\\\"]\")] \"v\")\r\n"),
	      "* 1 FETCH (BODY[HEADER.FIELDS (\"X\\\"]\")] \"v\")\n");
	/* "~" not before "{" is an atom character. */
	check(S("* X ~foo ~ a~{1}\r\n"), "ERROR\n");
	check(S("* X ~foo ~ a~\r\n"), "* X ~foo ~ a~\n");
}
END_TEST

START_TEST(test_data_envelope)
{
	check(S("* 2 FETCH (ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
		"\"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" "
		"\"cac.washington.edu\")) NIL NIL ((NIL NIL \"imap\" \"cac.washington.edu\")) "
		"NIL NIL NIL \"<B27397-0100000@cac.washington.edu>\"))\r\n"),
	      "* 2 FETCH (ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
	      "\"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" "
	      "\"cac.washington.edu\")) NIL NIL ((NIL NIL \"imap\" \"cac.washington.edu\")) "
	      "NIL NIL NIL \"<B27397-0100000@cac.washington.edu>\"))\n");
}
END_TEST

/* RFC 3501 body-type-mpart = 1*body SP media-subtype: a multipart's parts
 * are lists side by side, as every server sends them. */
START_TEST(test_data_bodystructure_parts_touch)
{
	check(S("* 1 FETCH (UID 7 BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "
		"NIL \"7bit\" 5 1 NIL NIL NIL NIL)(\"text\" \"html\" NIL NIL NIL \"7bit\" 9 1 "
		"NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"b\") NIL NIL NIL))\r\n"),
	      "* 1 FETCH (UID 7 BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "
	      "NIL \"7bit\" 5 1 NIL NIL NIL NIL) (\"text\" \"html\" NIL NIL NIL \"7bit\" 9 1 "
	      "NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"b\") NIL NIL NIL))\n");
	/* Only a list may touch a list, and only inside one. */
	check(S("* X ((a)b)\r\n"), "ERROR\n");
	check(S("* X (a(b))\r\n"), "ERROR\n");
	check(S("* X (a)(b)\r\n"), "ERROR\n");
}
END_TEST

START_TEST(test_quoted)
{
	check(S("* X \"a\\\"b\\\\c\"\r\n"), "* X \"a\"b\\c\"\n");
	check(S("* X \"\" \"(\" \")\" \"[\"\r\n"), "* X \"\" \"(\" \")\" \"[\"\n");
	/* {5} inside a quoted string is not a literal marker. */
	check(S("* LIST () \"/\" \"{5}\"\r\n"), "* LIST () \"/\" \"{5}\"\n");
	check(S("* LIST () \"/\" \"a\\\" {5}\"\r\n"), "* LIST () \"/\" \"a\" {5}\"\n");
}
END_TEST

START_TEST(test_literals)
{
	/* Literal data holds NUL, CRLF and what looks like a marker. */
	check(S("* 1 FETCH (BODY[] {12}\r\na\0b\r\nx {3}\r\n)\r\n"),
	      "* 1 FETCH (BODY[] {12}a\\x00b\\x0d\\x0ax {3}\\x0d\\x0a)\n");
	check(S("* 1 FETCH (BODY[1] {3}\r\nabc BODY[2] {0}\r\n BODY[3] {1}\r\nz)\r\n"),
	      "* 1 FETCH (BODY[1] {3}abc BODY[2] {0} BODY[3] {1}z)\n");
	check(S("* 1 FETCH (BODY[] {0}\r\n)\r\n"), "* 1 FETCH (BODY[] {0})\n");
	check(S("* X {2}\r\nab {2}\r\ncd\r\n"), "* X {2}ab {2}cd\n");
	/* A literal as the last token: the next line is empty. */
	check(S("* X {1}\r\n\"\r\n* 1 EXISTS\r\n"), "* X {1}\"\n* 1 EXISTS\n");
	/* Not complete until the line after the literal is. */
	check(S("* 1 FETCH (BODY[] {3}\r\nab"), "MORE\n");
	check(S("* 1 FETCH (BODY[] {3}\r\nabc)"), "MORE\n");
}
END_TEST

START_TEST(test_big_literal)
{
	/* Bigger than the literal buffer's first allocation. */
	struct buf in = BUF_INIT, expect = BUF_INIT;
	const size_t n = 200000;

	buf_appendf(&in, "* 1 FETCH (BODY[] {%zu}\r\n", n);
	buf_appendf(&expect, "* 1 FETCH (BODY[] {%zu}", n);
	for (size_t i = 0; i < n; i++) {
		char c = (char)('a' + i % 26);

		buf_append(&in, &c, 1);
		buf_append(&expect, &c, 1);
	}
	buf_appends(&in, ")\r\n* 2 EXISTS\r\n");
	buf_appends(&expect, ")\n* 2 EXISTS\n");
	check(in.data, in.len, expect.data);
	buf_free(&in);
	buf_free(&expect);
}
END_TEST

START_TEST(test_many_literals)
{
	/* Many lines in one response; the parser is reused after it. */
	struct buf in = BUF_INIT, expect = BUF_INIT;

	buf_appends(&in, "* X");
	buf_appends(&expect, "* X");
	for (int i = 0; i < 5000; i++) {
		buf_appendf(&in, " {1}\r\n%c", 'a' + i % 26);
		buf_appendf(&expect, " {1}%c", 'a' + i % 26);
	}
	buf_appends(&in, "\r\n* 2 EXISTS\r\n");
	buf_appends(&expect, "\n* 2 EXISTS\n");
	check(in.data, in.len, expect.data);
	buf_free(&in);
	buf_free(&expect);
}
END_TEST

START_TEST(test_bare_lf_tolerated)
{
	check(S("* 3 EXISTS\n"), "* 3 EXISTS\n");
	check(S("* X {2}\nab\na1 OK x\n"), "* X {2}ab\ntag=a1 OK code=- arg=- text=[x]\n");
}
END_TEST

START_TEST(test_several_responses_one_buffer)
{
	static const char in[] = "* 1 EXISTS\r\n* 2 RECENT\r\na1 OK done\r\n";
	struct imap_parser *p = imap_parser_new(NULL);
	struct imap_resp *r = NULL;
	size_t used, off = 0;

	ck_assert_int_eq(imap_parser_feed(p, in, sizeof(in) - 1, &used, &r), IMAP_PARSE_DONE);
	ck_assert_uint_eq(used, 12);
	ck_assert(imap_arg_is_atom(&r->args[1], "exists"));
	imap_resp_free(&r);
	off += used;
	ck_assert_int_eq(imap_parser_feed(p, in + off, sizeof(in) - 1 - off, &used, &r),
			 IMAP_PARSE_DONE);
	ck_assert_uint_eq(used, 12);
	imap_resp_free(&r);
	off += used;
	ck_assert_int_eq(imap_parser_feed(p, in + off, sizeof(in) - 1 - off, &used, &r),
			 IMAP_PARSE_DONE);
	ck_assert_uint_eq(off + used, sizeof(in) - 1);
	ck_assert_str_eq(r->tag, "a1");
	imap_resp_free(&r);
	ck_assert_int_eq(imap_parser_feed(p, in, 0, &used, &r), IMAP_PARSE_MORE);
	ck_assert_uint_eq(used, 0);
	imap_parser_free(&p);
	imap_parser_free(&p); /* NULL is fine */
	imap_resp_free(&r);
}
END_TEST

/* ---- malformed input ---- */

static const char *const malformed[] = {
    "* 1 FETCH (UID 1\r\n",		    /* unbalanced ( */
    "* 1 FETCH UID 1)\r\n",		    /* unbalanced ) */
    "* 1 FETCH (UID 1))\r\n",		    /* one ) too many */
    "* LIST () \"/\" \"unterminated\r\n",   /* unterminated quote */
    "* X \"a\\qb\"\r\n",		    /* bad escape */
    "* X \"a\\\r\n",			    /* escape at end of line */
    "* 1 FETCH (BODY[] {5}x\r\nhello)\r\n", /* garbage after marker */
    "* 1 FETCH (BODY[] {5} \r\nhello)\r\n",
    "* X {}\r\n",
    "* X {5+}\r\nhello\r\n", /* non-synchronizing literals are the client's */
    "* X {-1}\r\n",
    "* X ~{}\r\n",
    "* X a{2}\r\n", /* marker glued to an atom */
    "* X \"a\"{2}\r\n",
    "* X {1}\r\na\"b\"\r\n",	       /* token glued to a literal */
    "* 1 FETCH (UID 1)(FLAGS ())\r\n", /* missing space */
    "* X \"a\"\"b\"\r\n",
    "* X \"a\"b\r\n",
    "* 1 FETCH (UID  1)\r\n", /* double space */
    "* 1 FETCH ( UID 1)\r\n",
    "* 1 FETCH (UID 1 )\r\n",
    "* X  \r\n",
    "* 1 FETCH (BODY[1 UID 1)\r\n", /* unterminated [ */
    "* 1 FETCH (BODY[\"]\"\r\n",
    "*\r\n",
    "* \r\n",
    "\r\n",
    " * OK x\r\n",
    "a1\r\n",
    "a1 \r\n",
    "a1 FOO bar\r\n", /* tagged responses are status responses */
    "a1 BYE x\r\n",
    "a1 3 EXISTS\r\n",
    "a+1 OK x\r\n", /* + is not a tag char */
    "a(1 OK x\r\n",
    "*x OK x\r\n",
    "+x\r\n",
    "* OK [ALERT hello\r\n", /* unterminated code */
    "* OK []\r\n",
    "* OK [ ] x\r\n",
    "* OK [ALERT]x\r\n",
    "* OK [(x)] y\r\n",
    "* OK a\rb\r\n", /* CR inside a line */
    "* OK a\r\r\n",
    "* X (\r\n",
    "* X )\r\n",
    "* )\r\n",
    "* X ((a)\r\n",
    "* X \x01\r\n",
};

START_TEST(test_malformed)
{
	const char *in = malformed[_i];

	check(in, strlen(in), "ERROR\n");
}
END_TEST

START_TEST(test_nul_outside_literal)
{
	check(S("* OK a\0b\r\n"), "ERROR\n");
	check(S("* X \"a\0b\"\r\n"), "ERROR\n");
	check(S("* X {3}\r\na\0b\0\r\n"), "ERROR\n");
}
END_TEST

START_TEST(test_error_is_sticky_and_explained)
{
	struct imap_parser *p = imap_parser_new(NULL);
	struct imap_resp *r = NULL;
	size_t used;

	ck_assert_int_eq(imap_parser_feed(p, S("* X (\r\n"), &used, &r), IMAP_PARSE_ERROR);
	ck_assert_ptr_null(r);
	ck_assert_str_ne(imap_parser_error(p), "");
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(imap_parser_feed(p, S("a1 OK fine\r\n"), &used, &r),
				 IMAP_PARSE_ERROR);
		ck_assert_ptr_null(r);
	}
	ck_assert_int_eq(imap_parser_feed(NULL, S("a1 OK fine\r\n"), &used, &r), IMAP_PARSE_ERROR);
	imap_parser_free(&p);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_literal_too_big_fails_at_marker)
{
	char *err;

	/* Rejected as soon as the marker line is complete: no literal bytes
	 * needed, nothing allocated for them. */
	err = error_of(NULL, S("* 1 FETCH (BODY[] {4294967296}\r\n"));
	ck_assert_ptr_nonnull(strstr(err, "4294967296"));
	free(err);
	err = error_of(NULL, S("* 1 FETCH (BODY[] ~{4294967296}\r\n"));
	ck_assert_ptr_nonnull(strstr(err, "4294967296"));
	free(err);
	err = error_of(NULL, S("* 1 FETCH (BODY[] {99999999999999999999999}\r\n"));
	ck_assert_ptr_nonnull(strstr(err, "overflow"));
	free(err);
	/* 2^64 exactly overflows too; 2^64-1 is merely too big. */
	err = error_of(NULL, S("* X {18446744073709551616}\r\n"));
	ck_assert_ptr_nonnull(strstr(err, "overflow"));
	free(err);
	err = error_of(NULL, S("* X {18446744073709551615}\r\n"));
	ck_assert_ptr_nonnull(strstr(err, "exceeds"));
	free(err);
}
END_TEST

START_TEST(test_literal_limit_exact)
{
	struct imap_parser_limits lim = default_limits();

	lim.max_literal = 5;
	check_lim(&lim, S("* X {5}\r\nabcde\r\n"), "* X {5}abcde\n");
	check_lim(&lim, S("* X {6}\r\nabcdef\r\n"), "ERROR\n");
	check_lim(&lim, S("* X {000005}\r\nabcde\r\n"), "* X {5}abcde\n");
}
END_TEST

START_TEST(test_total_limit)
{
	struct imap_parser_limits lim = default_limits();

	/* "* X {5}\r\n" 9 + 5 + "\r\n" 2 = 16 bytes */
	lim.max_total = 16;
	check_lim(&lim, S("* X {5}\r\nabcde\r\n"), "* X {5}abcde\n");
	lim.max_total = 15;
	check_lim(&lim, S("* X {5}\r\nabcde\r\n"), "ERROR\n");
	/* The literal alone would exceed it: refused at the marker. */
	lim.max_total = 13;
	check_lim(&lim, S("* X {5}\r\n"), "ERROR\n");
	/* The limit is per response. */
	lim.max_total = 12;
	check_lim(&lim, S("* 1 EXISTS\r\n* 2 EXISTS\r\n"), "* 1 EXISTS\n* 2 EXISTS\n");
}
END_TEST

START_TEST(test_line_limit_exact)
{
	struct imap_parser_limits lim = default_limits();

	lim.max_line = 10;
	check_lim(&lim, S("* 1 EXISTS\r\n"), "* 1 EXISTS\n");
	check_lim(&lim, S("* 1 EXISTS\n"), "* 1 EXISTS\n");
	check_lim(&lim, S("* 12 EXISTS\r\n"), "ERROR\n");
	check_lim(&lim, S("* 1 EXISTSx"), "ERROR\n");
	check_lim(&lim, S("* 1 EXISTS\rx"), "ERROR\n");
	/* Per line: literals do not count, each line has its own limit. */
	check_lim(&lim, S("* X {15}\r\n0123456789abcde 123456789\r\n"),
		  "* X {15}0123456789abcde 123456789\n");
	check_lim(&lim, S("* X {15}\r\n0123456789abcde 1234567890\r\n"), "ERROR\n");
}
END_TEST

START_TEST(test_long_line_without_crlf_fails_promptly)
{
	struct imap_parser *p = imap_parser_new(NULL);
	static char chunk[4096];
	const uint64_t hundred_mb = 100u << 20;
	struct imap_resp *r = NULL;
	enum imap_parse_result res = IMAP_PARSE_MORE;
	uint64_t fed = 0;
	size_t used;

	memset(chunk, 'a', sizeof(chunk));
	ck_assert_int_eq(imap_parser_feed(p, S("* OK "), &used, &r), IMAP_PARSE_MORE);
	while (fed < hundred_mb) {
		res = imap_parser_feed(p, chunk, sizeof(chunk), &used, &r);
		fed += used;
		if (res != IMAP_PARSE_MORE)
			break;
	}
	ck_assert_int_eq(res, IMAP_PARSE_ERROR);
	ck_assert_uint_le(fed, (1u << 20) + sizeof(chunk));
	ck_assert_ptr_nonnull(strstr(imap_parser_error(p), "line"));
	imap_parser_free(&p);
}
END_TEST

START_TEST(test_deep_nesting_is_a_clean_error)
{
	struct buf in = BUF_INIT;
	char *err;

	buf_appends(&in, "* 1 FETCH ");
	for (int i = 0; i < 100000; i++)
		buf_appends(&in, "(");
	buf_appends(&in, "\r\n");
	err = error_of(NULL, in.data, in.len);
	ck_assert_ptr_nonnull(strstr(err, "nested"));
	free(err);
	buf_free(&in);
}
END_TEST

static char *nested(unsigned depth)
{
	struct buf in = BUF_INIT;

	buf_appends(&in, "* X ");
	for (unsigned i = 0; i < depth; i++)
		buf_appends(&in, "(");
	buf_appends(&in, "a");
	for (unsigned i = 0; i < depth; i++)
		buf_appends(&in, ")");
	buf_appends(&in, "\r\n");
	return buf_steal(&in);
}

START_TEST(test_depth_limit_exact)
{
	struct imap_parser_limits lim = default_limits();
	char *in;

	lim.max_depth = 3;
	check_lim(&lim, S("* X (((a)))\r\n"), "* X (((a)))\n");
	check_lim(&lim, S("* X ((((a))))\r\n"), "ERROR\n");
	check_lim(&lim, S("* X (((a))) (((b)))\r\n"), "* X (((a))) (((b)))\n");
	lim.max_depth = 0;
	check_lim(&lim, S("* X a\r\n"), "* X a\n");
	check_lim(&lim, S("* X ()\r\n"), "ERROR\n");

	/* The default: 64 levels */
	in = nested(64);
	char *expect = strdup(in);
	strcpy(expect + strlen(expect) - 2, "\n");
	check(in, strlen(in), expect);
	free(expect);
	free(in);
	in = nested(65);
	free(error_of(NULL, in, strlen(in)));
	free(in);

	/* Limits above 1000 act as 1000. */
	lim.max_depth = UINT_MAX;
	in = nested(1000);
	char *got = run(&lim, in, strlen(in), SPLIT_WHOLE, 0, NULL);
	ck_assert_ptr_null(strstr(got, "ERROR"));
	free(got);
	free(in);
	in = nested(1001);
	free(error_of(&lim, in, strlen(in)));
	free(in);
}
END_TEST

START_TEST(test_token_limit)
{
	struct imap_parser_limits lim = default_limits();

	lim.max_args = 3;
	check_lim(&lim, S("* SEARCH 1 2\r\n"), "* SEARCH 1 2\n");
	check_lim(&lim, S("* SEARCH 1 2 3\r\n"), "ERROR\n");
	/* A list counts as a token as well as its items. */
	check_lim(&lim, S("* X (a)\r\n"), "* X (a)\n");
	check_lim(&lim, S("* X (a b)\r\n"), "ERROR\n");
	/* Literals are refused before their data arrives. */
	lim.max_args = 2;
	check_lim(&lim, S("* X {1}\r\na {1}\r\nb {1}\r\n"), "ERROR\n");
	/* 0 means the default */
	lim.max_args = 0;
	check_lim(&lim, S("* SEARCH 1 2 3 4 5\r\n"), "* SEARCH 1 2 3 4 5\n");
}
END_TEST

/* ---- accessors ---- */

START_TEST(test_accessors)
{
	static const char in[] = "* 4294967295 4294967296 18446744073709551615 "
				 "18446744073709551616 007 12a \"12\" NIL (1) -1 Flags\r\n";
	struct imap_parser *p = imap_parser_new(NULL);
	struct imap_resp *r = NULL;
	uint32_t u32 = 0;
	uint64_t u64 = 0;
	size_t used;

	ck_assert_int_eq(imap_parser_feed(p, in, sizeof(in) - 1, &used, &r), IMAP_PARSE_DONE);
	ck_assert_uint_eq(r->nargs, 11);
	struct imap_arg *a = r->args;

	ck_assert(imap_arg_u32(&a[0], &u32));
	ck_assert_uint_eq(u32, 4294967295u);
	ck_assert(!imap_arg_u32(&a[1], &u32));
	ck_assert(imap_arg_u64(&a[1], &u64));
	ck_assert_uint_eq(u64, 4294967296u);
	ck_assert(imap_arg_u64(&a[2], &u64));
	ck_assert(u64 == UINT64_MAX);
	ck_assert(!imap_arg_u64(&a[3], &u64));
	ck_assert(imap_arg_u32(&a[4], &u32));
	ck_assert_uint_eq(u32, 7);
	ck_assert(!imap_arg_u32(&a[5], &u32));
	ck_assert(!imap_arg_u32(&a[6], &u32)); /* numbers are atoms */
	ck_assert_str_eq(imap_arg_str(&a[6]), "12");
	ck_assert(!imap_arg_u32(&a[7], &u32));
	ck_assert_ptr_null(imap_arg_str(&a[7]));
	ck_assert_int_eq(a[8].type, IMAP_ARG_LIST);
	ck_assert_ptr_null(imap_arg_str(&a[8]));
	ck_assert(!imap_arg_u32(&a[8], &u32));
	ck_assert(imap_arg_u32(&a[8].u.list[0], &u32));
	ck_assert_uint_eq(u32, 1);
	ck_assert(!imap_arg_u64(&a[9], &u64));
	ck_assert(imap_arg_is_atom(&a[10], "FLAGS"));
	ck_assert(imap_arg_is_atom(&a[10], "flags"));
	ck_assert(!imap_arg_is_atom(&a[10], "FLAG"));
	ck_assert(!imap_arg_is_atom(&a[10], "FLAGSS"));
	ck_assert(!imap_arg_is_atom(&a[6], "12")); /* a string is no atom */
	ck_assert(!imap_arg_is_atom(&a[7], "NIL"));
	ck_assert(!imap_arg_is_atom(NULL, "x"));
	ck_assert(!imap_arg_is_atom(&a[10], NULL));
	ck_assert_ptr_null(imap_arg_str(NULL));
	ck_assert(!imap_arg_u32(NULL, &u32));
	ck_assert(!imap_arg_u64(NULL, &u64));
	ck_assert_uint_eq(u32, 1); /* untouched on failure */
	imap_resp_free(&r);
	ck_assert_ptr_null(r);
	imap_resp_free(&r);
	imap_parser_free(&p);
}
END_TEST

static Suite *parser_suite(void)
{
	Suite *s = suite_create("imap_parser");
	TCase *tc = tcase_create("parser");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_status_untagged_code_and_text);
	tcase_add_test(tc, test_status_tagged);
	tcase_add_test(tc, test_status_case_and_code_arg);
	tcase_add_test(tc, test_status_text_is_one_line);
	tcase_add_test(tc, test_continuation);
	tcase_add_test(tc, test_data_simple);
	tcase_add_test(tc, test_data_list);
	tcase_add_test(tc, test_data_fetch);
	tcase_add_test(tc, test_data_envelope);
	tcase_add_test(tc, test_data_bodystructure_parts_touch);
	tcase_add_test(tc, test_quoted);
	tcase_add_test(tc, test_literals);
	tcase_add_test(tc, test_big_literal);
	tcase_add_test(tc, test_many_literals);
	tcase_add_test(tc, test_bare_lf_tolerated);
	tcase_add_test(tc, test_several_responses_one_buffer);
	tcase_add_loop_test(tc, test_malformed, 0, sizeof(malformed) / sizeof(malformed[0]));
	tcase_add_test(tc, test_nul_outside_literal);
	tcase_add_test(tc, test_error_is_sticky_and_explained);
	tcase_add_test(tc, test_literal_too_big_fails_at_marker);
	tcase_add_test(tc, test_literal_limit_exact);
	tcase_add_test(tc, test_total_limit);
	tcase_add_test(tc, test_line_limit_exact);
	tcase_add_test(tc, test_long_line_without_crlf_fails_promptly);
	tcase_add_test(tc, test_deep_nesting_is_a_clean_error);
	tcase_add_test(tc, test_depth_limit_exact);
	tcase_add_test(tc, test_token_limit);
	tcase_add_test(tc, test_accessors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(parser_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

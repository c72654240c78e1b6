/* Unit tests of mail_parts: the files of a .parts directory (SPEC §3), from
 * part trees built here by hand (the BODYSTRUCTURE parser has its own
 * tests). */
#include <check.h>
#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/mail_name.h"
#include "imapfs/mail_parts.h"

static void setup(void)
{
	mail_init();
}

static void teardown(void)
{
	mail_shutdown();
}

/* ---- building trees ---- */

static struct imap_body_param *params(size_t *n_r, va_list ap)
{
	GArray *a = g_array_new(FALSE, TRUE, sizeof(struct imap_body_param));
	const char *name;

	while ((name = va_arg(ap, const char *)) != NULL) {
		struct imap_body_param p = {.name = g_strdup(name),
					    .value = g_strdup(va_arg(ap, const char *))};

		g_array_append_val(a, p);
	}
	*n_r = a->len;
	return (struct imap_body_param *)(void *)g_array_free(a, FALSE);
}

/* A leaf: section, type, subtype, disposition (or NULL), then
 * Content-Type parameters as name, value pairs ending in NULL, then
 * disposition parameters likewise. */
static void leaf(struct imap_body *b, const char *section, const char *type, const char *subtype,
		 const char *disposition, ...)
{
	va_list ap;

	memset(b, 0, sizeof(*b));
	b->section = g_strdup(section);
	b->type = g_strdup(type);
	b->subtype = g_strdup(subtype);
	b->encoding = g_strdup("base64");
	b->disposition = g_strdup(disposition);
	va_start(ap, disposition);
	b->params = params(&b->nparams, ap);
	b->disp_params = params(&b->ndisp_params, ap);
	va_end(ap);
}

static void add_param(struct imap_body_param **p, size_t *n, const char *name, const char *value)
{
	*p = g_renew(struct imap_body_param, *p, *n + 1);
	(*p)[*n].name = g_strdup(name);
	(*p)[*n].value = g_strdup(value);
	(*n)++;
}

static void multi(struct imap_body *b, const char *section, const char *subtype, size_t n)
{
	memset(b, 0, sizeof(*b));
	b->section = g_strdup(section);
	b->type = g_strdup("multipart");
	b->subtype = g_strdup(subtype);
	b->children = g_new0(struct imap_body, n);
	b->nchildren = n;
}

static void free_params(struct imap_body_param *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		g_free(p[i].name);
		g_free(p[i].value);
	}
	g_free(p);
}

static void free_tree(struct imap_body *b)
{
	for (size_t i = 0; i < b->nchildren; i++)
		free_tree(&b->children[i]);
	g_free(b->children);
	free_params(b->params, b->nparams);
	free_params(b->disp_params, b->ndisp_params);
	g_free(b->section);
	g_free(b->type);
	g_free(b->subtype);
	g_free(b->encoding);
	g_free(b->disposition);
}

/* The listing as "name=kind@section|..." for one-line comparisons. */
static char *listing(const struct imap_body *b)
{
	static const char kinds[] = "HTWFM";
	struct mail_part *parts;
	size_t n = mail_parts_list(b, &parts);
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < n; i++)
		g_string_append_printf(s, "%s%s=%c@%s", i ? "|" : "", parts[i].name,
				       kinds[parts[i].kind],
				       parts[i].body ? parts[i].body->section : "-");
	mail_parts_free(parts, n);
	return g_string_free(s, FALSE);
}

#define ck_listing(tree, expect)                                                                   \
	do {                                                                                       \
		char *l_ = listing(tree);                                                          \
		ck_assert_str_eq(l_, expect);                                                      \
		g_free(l_);                                                                        \
	} while (0)

/* The file name one leaf gets, alone in a multipart/mixed after a body. */
static char *name_of(const char *type, const char *subtype, const char *disposition,
		     const char *pname, const char *pvalue, const char *dname, const char *dvalue)
{
	struct imap_body root;
	struct mail_part *parts;
	char *res;
	size_t n;

	multi(&root, "", "mixed", 2);
	leaf(&root.children[0], "1", "text", "plain", NULL, NULL, NULL);
	leaf(&root.children[1], "2", type, subtype, disposition, NULL, NULL);
	if (pname != NULL)
		add_param(&root.children[1].params, &root.children[1].nparams, pname, pvalue);
	if (dname != NULL)
		add_param(&root.children[1].disp_params, &root.children[1].ndisp_params, dname,
			  dvalue);
	n = mail_parts_list(&root, &parts);
	ck_assert_uint_eq(n, 3);
	res = g_strdup(parts[2].name);
	mail_parts_free(parts, n);
	free_tree(&root);
	return res;
}

#define ck_name(expect, ...)                                                                       \
	do {                                                                                       \
		char *n_ = name_of(__VA_ARGS__);                                                   \
		ck_assert_str_eq(n_, expect);                                                      \
		g_free(n_);                                                                        \
	} while (0)

/* ---- tests ---- */

START_TEST(single_text_part)
{
	struct imap_body b;

	leaf(&b, "1", "text", "plain", NULL, "charset", "utf-8", NULL, NULL);
	ck_listing(&b, "headers.txt=H@-|body.txt=T@1");
	free_tree(&b);
}
END_TEST

START_TEST(alternative_gives_text_and_html)
{
	struct imap_body b;

	multi(&b, "", "alternative", 2);
	leaf(&b.children[0], "1", "text", "plain", NULL, NULL, NULL);
	leaf(&b.children[1], "2", "text", "html", NULL, NULL, NULL);
	ck_listing(&b, "headers.txt=H@-|body.txt=T@1|body.html=W@2");
	free_tree(&b);
}
END_TEST

START_TEST(mixed_message_lists_every_leaf_once)
{
	struct imap_body b;

	multi(&b, "", "mixed", 7);
	multi(&b.children[0], "1", "alternative", 2);
	leaf(&b.children[0].children[0], "1.1", "text", "plain", NULL, NULL, NULL);
	leaf(&b.children[0].children[1], "1.2", "text", "html", NULL, NULL, NULL);
	leaf(&b.children[1], "2", "application", "pdf", "attachment", NULL, "filename",
	     "report.pdf", NULL);
	leaf(&b.children[2], "3", "image", "png", "inline", NULL, NULL);
	/* An attached message is one file: its own parts are not listed. */
	leaf(&b.children[3], "4", "message", "rfc822", NULL, NULL, NULL);
	b.children[3].children = g_new0(struct imap_body, 1);
	b.children[3].nchildren = 1;
	leaf(&b.children[3].children[0], "4.1", "text", "plain", NULL, NULL, NULL);
	leaf(&b.children[4], "5", "text", "plain", "attachment", NULL, NULL);
	leaf(&b.children[5], "6", "text", "plain", NULL, "name", "body.txt", NULL, NULL);
	leaf(&b.children[6], "7", "text", "html", NULL, NULL, NULL);
	ck_listing(&b, "headers.txt=H@-|body.txt=T@1.1|body.html=W@1.2|report.pdf=F@2|"
		       "part-3.png=F@3|part-4.eml=M@4|part-5.txt=F@5|body (2).txt=F@6|"
		       "part-7.html=F@7");
	free_tree(&b);
}
END_TEST

START_TEST(first_body_may_come_after_attachments)
{
	struct imap_body b;

	multi(&b, "", "mixed", 3);
	leaf(&b.children[0], "1", "text", "plain", "attachment", NULL, "filename", "a.txt", NULL);
	leaf(&b.children[1], "2", "text", "plain", "inline", NULL, NULL);
	leaf(&b.children[2], "3", "text", "plain", NULL, NULL, NULL);
	ck_listing(&b, "headers.txt=H@-|body.txt=T@2|a.txt=F@1|part-3.txt=F@3");
	free_tree(&b);
}
END_TEST

START_TEST(filename_from_disposition_then_content_type)
{
	ck_name("from-disp.pdf", "application", "pdf", "attachment", "name", "from-type.pdf",
		"filename", "from-disp.pdf");
	ck_name("from-type.pdf", "application", "pdf", "attachment", "name", "from-type.pdf", NULL,
		NULL);
	ck_name("part-2.pdf", "application", "pdf", "attachment", NULL, NULL, NULL, NULL);
	ck_name("part-2.bin", "application", "x-unknown", NULL, NULL, NULL, NULL, NULL);
}
END_TEST

START_TEST(rfc2231_and_rfc2047_names_are_decoded)
{
	struct imap_body root;
	struct mail_part *parts;
	size_t n;

	/* Continuations with a charset, split mid-way. */
	multi(&root, "", "mixed", 3);
	leaf(&root.children[0], "1", "application", "pdf", "attachment", NULL, "filename*0*",
	     "utf-8''%E2%82%AC%20ra", "filename*1*", "tes", "filename*2", ".pdf", NULL);
	leaf(&root.children[1], "2", "application", "pdf", "attachment", "name",
	     "=?UTF-8?B?w6l0w6kucGRm?=", NULL, NULL);
	leaf(&root.children[2], "3", "application", "pdf", "attachment", NULL, "filename*",
	     "iso-8859-1'fr'%E9t%E9%202.pdf", NULL);
	n = mail_parts_list(&root, &parts);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(parts[1].name, "\xe2\x82\xac rates.pdf");
	ck_assert_str_eq(parts[2].name, "\xc3\xa9t\xc3\xa9.pdf");
	ck_assert_str_eq(parts[3].name, "\xc3\xa9t\xc3\xa9 2.pdf");
	mail_parts_free(parts, n);
	free_tree(&root);
}
END_TEST

START_TEST(hostile_names_are_made_safe)
{
	char *longname = g_strnfill(1000, 'x'), *withext = g_strconcat(longname, ".pdf", NULL);
	struct imap_body root;
	struct mail_part *parts;
	size_t n;

	ck_name(".._.._etc_passwd", "application", "octet-stream", "attachment", NULL, NULL,
		"filename", "../../etc/passwd");
	ck_name("_", "application", "octet-stream", "attachment", NULL, NULL, "filename", "/");
	ck_name("part-2.bin", "application", "octet-stream", "attachment", NULL, NULL, "filename",
		"..");
	ck_name("part-2.bin", "application", "octet-stream", "attachment", NULL, NULL, "filename",
		" \t ");
	ck_name("ab.txt", "text", "plain", "attachment", NULL, NULL, "filename",
		"a\x01\x7f\x1b"
		"b.txt");
	ck_name("a b.txt", "text", "plain", "attachment", NULL, NULL, "filename", "a\r\n b.txt");
	ck_name("C-_x.exe", "application", "octet-stream", "attachment", NULL, NULL, "filename",
		"C:/x.exe");
	/* Bidi overrides could make a name display reversed. */
	ck_name("evilfdp.exe", "application", "octet-stream", "attachment", NULL, NULL, "filename",
		"evil\xe2\x80\xae"
		"fdp.exe");

	/* Long names are cut on a character boundary and keep their
	 * extension; a charset nobody knows still gives valid UTF-8. */
	multi(&root, "", "mixed", 3);
	leaf(&root.children[0], "1", "application", "pdf", "attachment", NULL, "filename", withext,
	     NULL);
	leaf(&root.children[1], "2", "application", "pdf", "attachment", NULL, "filename*",
	     "x-no-such-charset''%FF%FE%00%C3.pdf", NULL);
	leaf(&root.children[2], "3", "application", "pdf", "attachment", NULL, "filename", longname,
	     NULL);
	n = mail_parts_list(&root, &parts);
	ck_assert_uint_eq(n, 4);
	for (size_t i = 0; i < n; i++) {
		ck_assert(g_utf8_validate(parts[i].name, -1, NULL));
		ck_assert_uint_le(strlen(parts[i].name), MAIL_PARTS_NAME_MAX);
		ck_assert_uint_gt(strlen(parts[i].name), 0);
		ck_assert_ptr_null(strchr(parts[i].name, '/'));
	}
	ck_assert(g_str_has_suffix(parts[1].name, ".pdf"));
	ck_assert_uint_eq(strlen(parts[1].name), MAIL_PARTS_NAME_MAX);
	ck_assert_uint_eq(strlen(parts[3].name), MAIL_PARTS_NAME_MAX);
	mail_parts_free(parts, n);
	free_tree(&root);
	g_free(longname);
	g_free(withext);
}
END_TEST

START_TEST(clashes_ignore_case_and_keep_extension)
{
	struct imap_body b;

	multi(&b, "", "mixed", 5);
	leaf(&b.children[0], "1", "application", "pdf", "attachment", NULL, "filename", "Report.pdf",
	     NULL);
	leaf(&b.children[1], "2", "application", "pdf", "attachment", NULL, "filename", "report.pdf",
	     NULL);
	leaf(&b.children[2], "3", "application", "pdf", "attachment", NULL, "filename", "REPORT.PDF",
	     NULL);
	leaf(&b.children[3], "4", "application", "pdf", "attachment", NULL, "filename",
	     "headers.txt", NULL);
	leaf(&b.children[4], "5", "application", "pdf", "attachment", NULL, "filename", "noext",
	     NULL);
	ck_listing(&b, "headers.txt=H@-|Report.pdf=F@1|report (2).pdf=F@2|REPORT (3).PDF=F@3|"
		       "headers (2).txt=F@4|noext=F@5");
	free_tree(&b);
}
END_TEST

START_TEST(attached_messages_end_in_eml)
{
	struct imap_body b;

	multi(&b, "", "mixed", 4);
	leaf(&b.children[0], "1", "message", "rfc822", "attachment", NULL, "filename", "fwd", NULL);
	leaf(&b.children[1], "2", "message", "rfc822", "attachment", NULL, "filename", "old.EML",
	     NULL);
	leaf(&b.children[2], "3", "message", "rfc822", NULL, "name", "fwd.eml", NULL, NULL);
	leaf(&b.children[3], "4", "message", "global", NULL, NULL, NULL);
	ck_listing(&b, "headers.txt=H@-|fwd.eml=M@1|old.EML=M@2|fwd (2).eml=M@3|part-4.eml=M@4");
	free_tree(&b);
}
END_TEST

START_TEST(extensions_from_mime_types)
{
	ck_assert_str_eq(mail_parts_ext("application", "pdf"), "pdf");
	ck_assert_str_eq(mail_parts_ext("IMAGE", "JPEG"), "jpg");
	ck_assert_str_eq(mail_parts_ext("text", "x-whatever"), "txt");
	ck_assert_str_eq(mail_parts_ext("foo", "bar"), "bin");
	ck_assert_str_eq(mail_parts_ext(NULL, NULL), "bin");
	ck_assert_str_eq(mail_parts_ext("text", NULL), "txt");
}
END_TEST

START_TEST(headers_txt_is_decoded_in_order)
{
	const char *h = "Subject: =?utf-8?q?caf=C3=A9?= time\r\n"
			"To: a@example.org,\r\n b@example.org\r\n"
			"From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.org>\r\n"
			"X-Other: not listed\r\n"
			"Message-ID: <id@example.org>\r\n"
			"Date: Thu, 22 Aug 2002 18:26:25 +0700\r\n\r\n"
			"Cc: in the body, not a field\r\n";
	char *t = mail_parts_headers_txt(h, strlen(h));

	ck_assert_str_eq(t, "From: Andr\xc3\xa9 <andre@example.org>\n"
			    "To: a@example.org, b@example.org\n"
			    "Date: Thu, 22 Aug 2002 18:26:25 +0700\n"
			    "Subject: caf\xc3\xa9 time\n"
			    "Message-ID: <id@example.org>\n");
	g_free(t);
	t = mail_parts_headers_txt("", 0);
	ck_assert_str_eq(t, "");
	g_free(t);
	t = mail_parts_headers_txt("Subject: a\x01\x1b[31mb\r\n\r\n", 18);
	ck_assert_str_eq(t, "Subject: a[31mb\n");
	g_free(t);
}
END_TEST

#define ck_utf8(in, cs, expect)                                                                    \
	do {                                                                                       \
		size_t n_;                                                                         \
		char *u_ = mail_parts_utf8(in, sizeof(in) - 1, cs, &n_);                           \
		ck_assert_uint_eq(n_, sizeof(expect) - 1);                                         \
		ck_assert_mem_eq(u_, expect, n_);                                                  \
		g_free(u_);                                                                        \
	} while (0)

START_TEST(text_to_utf8_with_fallbacks)
{
	/* The declared charset when it fits. */
	ck_utf8("caf\xe9\r\n", "ISO-8859-1", "caf\xc3\xa9\r\n");
	ck_utf8("\xa4", "iso-8859-15", "\xe2\x82\xac");
	/* UTF-8 and ASCII are checked, not converted. */
	ck_utf8("caf\xc3\xa9", "us-ascii", "caf\xc3\xa9");
	ck_utf8("caf\xc3\xa9", NULL, "caf\xc3\xa9");
	/* Mislabeled: bytes invalid in the declared charset (or a charset
	 * nobody knows) fall back to UTF-8, then windows-1252. */
	ck_utf8("caf\xc3\xa9", "x-no-such-charset", "caf\xc3\xa9");
	ck_utf8("\x93quoted\x94", "utf-8", "\xe2\x80\x9cquoted\xe2\x80\x9d");
	ck_utf8("\x93q\x94", "us-ascii", "\xe2\x80\x9cq\xe2\x80\x9d");
	/* Bytes windows-1252 leaves undefined: ISO-8859-1 takes any byte. */
	ck_utf8("\x81\x9d", "us-ascii", "\xc2\x81\xc2\x9d");
	/* NUL survives as a byte. */
	ck_utf8("a\0b", NULL, "a\0b");
}
END_TEST

/* ---- cutting parts out of a whole message ---- */

/* multipart/mixed: an alternative (plain, html), a base64 attachment, and
 * an attached message; CRLF line ends, as BODY[] gives them. */
static const char cut_msg[] = "From: a@example.org\r\n"
			      "Subject: cut\r\n"
			      "MIME-Version: 1.0\r\n"
			      "Content-Type: multipart/mixed; boundary=\"OUT\"\r\n"
			      "\r\n"
			      "preamble\r\n"
			      "--OUT\r\n"
			      "Content-Type: multipart/alternative; boundary=\"IN\"\r\n"
			      "\r\n"
			      "--IN\r\n"
			      "Content-Type: text/plain; charset=utf-8\r\n"
			      "\r\n"
			      "hello\r\n"
			      "world\r\n"
			      "--IN\r\n"
			      "Content-Type: text/html\r\n"
			      "Content-Transfer-Encoding: quoted-printable\r\n"
			      "\r\n"
			      "<p>hi=3D</p>\r\n"
			      "--IN--\r\n"
			      "--OUT\r\n"
			      "Content-Type: application/pdf; name=\"r.pdf\"\r\n"
			      "Content-Transfer-Encoding: base64\r\n"
			      "\r\n"
			      "JVBERi0x\r\n"
			      "LjQK\r\n"
			      "--OUT\r\n"
			      "Content-Type: message/rfc822\r\n"
			      "\r\n"
			      "Subject: inner\r\n"
			      "\r\n"
			      "inner body\r\n"
			      "--OUT--\r\n"
			      "epilogue\r\n";

/* cut_msg's tree as Dovecot gives it, sizes included; with_message keeps
 * the attached message (part 3). */
static void cut_tree(struct imap_body *b, bool with_message)
{
	multi(b, "", "mixed", with_message ? 3 : 2);
	multi(&b->children[0], "1", "alternative", 2);
	leaf(&b->children[0].children[0], "1.1", "text", "plain", NULL, "charset", "utf-8", NULL,
	     NULL);
	b->children[0].children[0].size = 12; /* "hello\r\nworld" */
	leaf(&b->children[0].children[1], "1.2", "text", "html", NULL, NULL, NULL);
	b->children[0].children[1].size = 12;
	leaf(&b->children[1], "2", "application", "pdf", NULL, "name", "r.pdf", NULL, NULL);
	b->children[1].size = 14;
	if (with_message) {
		leaf(&b->children[2], "3", "message", "rfc822", NULL, NULL, NULL);
		b->children[2].size = 31;
	}
}

START_TEST(cut_gives_each_part_as_stored)
{
	struct imap_body b;
	struct mail_part *parts;
	char *data[4];
	size_t n;

	cut_tree(&b, false);
	n = mail_parts_list(&b, &parts);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(mail_parts_cut(cut_msg, sizeof(cut_msg) - 1, parts, n, data), 0);
	ck_assert_ptr_null(data[0]); /* headers.txt */
	ck_assert_str_eq(data[1], "hello\r\nworld");
	ck_assert_str_eq(data[2], "<p>hi=3D</p>");
	ck_assert_str_eq(data[3], "JVBERi0x\r\nLjQK");
	for (size_t i = 0; i < n; i++)
		g_free(data[i]);
	mail_parts_free(parts, n);
	free_tree(&b);
}
END_TEST

START_TEST(cut_of_a_single_part_message_is_section_1)
{
	static const char msg[] =
	    "Subject: one\r\nContent-Type: text/plain\r\n\r\nonly\r\ntext\r\n";
	struct imap_body b;
	struct mail_part *parts;
	char *data[2];
	size_t n;

	leaf(&b, "1", "text", "plain", NULL, NULL, NULL);
	b.size = 12; /* the body runs to the end */
	n = mail_parts_list(&b, &parts);
	ck_assert_int_eq(mail_parts_cut(msg, sizeof(msg) - 1, parts, n, data), 0);
	ck_assert_str_eq(data[1], "only\r\ntext\r\n");
	g_free(data[1]);
	mail_parts_free(parts, n);
	free_tree(&b);
}
END_TEST

/* Whatever GMime sees otherwise than the server's tree is left to the
 * server: nothing is returned. */
START_TEST(cut_refuses_what_does_not_match_the_tree)
{
	struct imap_body b;
	struct mail_part *parts;
	char *data[5];
	size_t n;

	/* A size off by one. */
	cut_tree(&b, false);
	b.children[1].size = 15;
	n = mail_parts_list(&b, &parts);
	ck_assert_int_eq(mail_parts_cut(cut_msg, sizeof(cut_msg) - 1, parts, n, data), -ENOENT);
	for (size_t i = 0; i < n; i++)
		ck_assert_ptr_null(data[i]);
	mail_parts_free(parts, n);
	free_tree(&b);

	/* A section GMime does not have. */
	cut_tree(&b, false);
	g_free(b.children[1].section);
	b.children[1].section = g_strdup("4");
	n = mail_parts_list(&b, &parts);
	ck_assert_int_eq(mail_parts_cut(cut_msg, sizeof(cut_msg) - 1, parts, n, data), -ENOENT);
	mail_parts_free(parts, n);
	free_tree(&b);

	/* An attached message: shown raw, which GMime does not keep. */
	cut_tree(&b, true);
	n = mail_parts_list(&b, &parts);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(mail_parts_cut(cut_msg, sizeof(cut_msg) - 1, parts, n, data), -ENOENT);
	mail_parts_free(parts, n);
	free_tree(&b);

	/* Not MIME at all. */
	cut_tree(&b, false);
	n = mail_parts_list(&b, &parts);
	ck_assert_int_eq(mail_parts_cut("", 0, parts, n, data), -ENOENT);
	ck_assert_int_eq(mail_parts_cut("\r\n\r\n\r\n", 6, parts, n, data), -ENOENT);
	mail_parts_free(parts, n);
	free_tree(&b);
}
END_TEST

/* mail_parts_decode of s (a C string) is expect (expect_len bytes). */
static void ck_decode(const char *s, const char *encoding, const char *expect, size_t expect_len)
{
	size_t n;
	char *out = mail_parts_decode(s, strlen(s), encoding, &n);

	ck_assert_uint_eq(n, expect_len);
	ck_assert_mem_eq(out, expect, n);
	ck_assert_int_eq(out[n], '\0');
	g_free(out);
}

START_TEST(decode_undoes_encodings_as_lenient_readers_do)
{
	/* Escapes, either case, and soft breaks. */
	ck_decode("caf=C3=a9 =\r\nau lait", "quoted-printable", "caf\xc3\xa9 au lait", 13);
	/* White space at the end of a line is deleted, so "= " at the end
	 * is a soft break too; line ends (CRLF, LF) are kept. */
	ck_decode("a  \r\nb\t\nc =  \r\nd", "quoted-printable", "a\r\nb\nc d", 8);
	/* A "=" that starts no escape stays (GMime alone drops or doubles
	 * it): malformed underlines in real spam.  The last of a line is
	 * still a soft break. */
	ck_decode("====\r\n==3D=3D\r\n", "quoted-printable", "======\r\n", 8);
	ck_decode("x=zz y=4", "quoted-printable", "x=zz y=4", 8);
	/* A "=" at the very end is a soft break. */
	ck_decode("end=", "QUOTED-PRINTABLE", "end", 3);
	/* base64, lenient on line ends; a last quantum without its padding
	 * still decodes (a lone character holds no byte); anything else is
	 * copied. */
	ck_decode("aGVs\r\nbG8=\r\n", "base64", "hello", 5);
	ck_decode("aGVs\r\nbG8\r\n", "base64", "hello", 5);
	ck_decode("aGVsbA", "BASE64", "hell", 4);
	ck_decode("aGVsb", "base64", "hel", 3);
	ck_decode("", "base64", "", 0);
	ck_decode("as is=20", "7bit", "as is=20", 8);
	ck_decode("as is", NULL, "as is", 5);
}
END_TEST

/* A hostile server's message: multiparts nested as deep as 64 KiB allows
 * (about 2,000 levels, where a server's tree stops at 50), under a tree
 * that says it is one text part.  GMime parses it and the cut refuses it;
 * nothing crashes. */
START_TEST(cut_survives_a_message_nested_deep)
{
	GString *m = g_string_new("Subject: deep\r\n");
	struct imap_body b;
	struct mail_part *parts;
	char *data[2];
	size_t n, depth = 0;

	while (m->len < (60u << 10)) {
		g_string_append_printf(
		    m, "Content-Type: multipart/mixed; boundary=\"b%zu\"\r\n\r\n--b%zu\r\n", depth,
		    depth);
		depth++;
	}
	g_string_append(m, "Content-Type: text/plain\r\n\r\nx\r\n");
	ck_assert_uint_gt(depth, 1000);
	leaf(&b, "1", "text", "plain", NULL, NULL, NULL);
	b.size = m->len;
	n = mail_parts_list(&b, &parts);
	ck_assert_int_eq(mail_parts_cut(m->str, m->len, parts, n, data), -ENOENT);
	mail_parts_free(parts, n);
	free_tree(&b);
	g_string_free(m, TRUE);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mail_parts");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, single_text_part);
	tcase_add_test(tc, alternative_gives_text_and_html);
	tcase_add_test(tc, mixed_message_lists_every_leaf_once);
	tcase_add_test(tc, first_body_may_come_after_attachments);
	tcase_add_test(tc, filename_from_disposition_then_content_type);
	tcase_add_test(tc, rfc2231_and_rfc2047_names_are_decoded);
	tcase_add_test(tc, hostile_names_are_made_safe);
	tcase_add_test(tc, clashes_ignore_case_and_keep_extension);
	tcase_add_test(tc, attached_messages_end_in_eml);
	tcase_add_test(tc, extensions_from_mime_types);
	tcase_add_test(tc, headers_txt_is_decoded_in_order);
	tcase_add_test(tc, text_to_utf8_with_fallbacks);
	tcase_add_test(tc, decode_undoes_encodings_as_lenient_readers_do);
	tcase_add_test(tc, cut_gives_each_part_as_stored);
	tcase_add_test(tc, cut_of_a_single_part_message_is_section_1);
	tcase_add_test(tc, cut_refuses_what_does_not_match_the_tree);
	tcase_add_test(tc, cut_survives_a_message_nested_deep);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

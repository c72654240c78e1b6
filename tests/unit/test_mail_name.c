/* Unit tests of mail_name: subjects, message ids and file names (SPEC §2).
 * Literals avoid two '?' in a row: C11 would read them as trigraphs. */
#include <check.h>
#include <glib.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/mail_name.h"

static void setup(void)
{
	mail_init();
}

static void teardown(void)
{
	mail_shutdown();
}

/* Subject of a header block given as a C string. */
static char *subj(const char *headers)
{
	return mail_name_subject(headers, strlen(headers));
}

#define ck_subject(headers, expect)                                                                \
	do {                                                                                       \
		char *s_ = subj(headers);                                                          \
		ck_assert_str_eq(s_, expect);                                                      \
		free(s_);                                                                          \
	} while (0)

#define ck_sanitize(text, max, expect)                                                             \
	do {                                                                                       \
		char *s_ = mail_name_sanitize(text, max);                                          \
		ck_assert_str_eq(s_, expect);                                                      \
		free(s_);                                                                          \
	} while (0)

START_TEST(subject_plain_with_message_id)
{
	ck_subject("Subject: Hello World\r\nMessage-ID: <x@y>\r\n\r\n", "Hello World");
	ck_subject("Message-ID: <x@y>\r\nsubject: lower case name\r\n\r\n", "lower case name");
}
END_TEST

START_TEST(subject_rfc2047_b)
{
	ck_subject("Subject: =?UTF-8?B?SGVsbG8gV29ybGQ=?=\r\n\r\n", "Hello World");
	ck_subject("Subject: =?utf-8?b?w6l0w6k=?=\r\n\r\n", "\xc3\xa9t\xc3\xa9");
}
END_TEST

START_TEST(subject_rfc2047_q)
{
	ck_subject("Subject: =?iso-8859-1?Q?caf=E9_cr=E8me?=\r\n\r\n", "caf\xc3\xa9 cr\xc3\xa8me");
	ck_subject("Subject: =?UTF-8?q?=E2=82=AC_100?=\r\n\r\n", "\xe2\x82\xac 100");
}
END_TEST

/* RFC 2047 §6.2: white space between adjacent encoded words is not shown. */
START_TEST(subject_adjacent_words_join)
{
	ck_subject("Subject: =?utf-8?q?a?= =?utf-8?q?b?=\r\n\r\n", "ab");
	ck_subject("Subject: =?utf-8?q?a?=\r\n\t=?utf-8?q?b?=\r\n\r\n", "ab");
	ck_subject("Subject: =?utf-8?q?a?= x =?utf-8?q?b?=\r\n\r\n", "a x b");
	/* Padded base64 words: GMime 3.2.13 alone yields "Hello". */
	ck_subject("Subject: =?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?=\r\n\r\n", "Hello world");
	ck_subject("Subject: =?UTF-8?B?YQ==?=\r\n =?UTF-8?B?Yg==?= =?UTF-8?B?Yw==?=\r\n\r\n",
		   "abc");
	/* Different charsets and encodings next to each other. */
	ck_subject("Subject: =?UTF-8?B?YQ==?= =?ISO-8859-1?Q?=E9?= =?UTF-8?B?Yg==?=\r\n\r\n",
		   "a\xc3\xa9"
		   "b");
}
END_TEST

/* A character whose bytes are split over two encoded words. */
START_TEST(subject_character_split_across_words)
{
	ck_subject("Subject: =?UTF-8?Q?=E2=82?= =?UTF-8?Q?=AC?=\r\n\r\n", "\xe2\x82\xac");
	ck_subject("Subject: =?UTF-8?B?4oI=?= =?UTF-8?B?rA==?=\r\n\r\n", "\xe2\x82\xac");
	/* Split in the middle of a base64 quantum, as some mailers do. */
	ck_subject("Subject: =?UTF-8?B?w6?= =?UTF-8?B?k=?=\r\n\r\n", "\xc3\xa9");
}
END_TEST

START_TEST(subject_charsets_to_utf8)
{
	ck_subject("Subject: =?ISO-8859-1?Q?Gr=FC=DFe?=\r\n\r\n", "Gr\xc3\xbc\xc3\x9f"
								  "e");
	/* "Привет" */
	ck_subject("Subject: =?koi8-r?b?8NLJ18XU?=\r\n\r\n",
		   "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	/* "日本語" */
	ck_subject("Subject: =?Shift_JIS?B?k/qWe4zq?=\r\n\r\n",
		   "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	ck_subject("Subject: =?windows-1252?Q?=93quoted=94?=\r\n\r\n",
		   "\xe2\x80\x9cquoted\xe2\x80\x9d");
}
END_TEST

START_TEST(subject_raw_8bit)
{
	/* Latin-1 bytes, not UTF-8. */
	ck_subject("Subject: caf\xe9 cr\xe8me\r\n\r\n", "caf\xc3\xa9 cr\xc3\xa8me");
	/* windows-1252 quotes. */
	ck_subject("Subject: \x93hi\x94\r\n\r\n", "\xe2\x80\x9chi\xe2\x80\x9d");
	/* Bytes windows-1252 leaves undefined are ISO-8859-1 C1 controls,
	 * which are then dropped. */
	ck_subject("Subject: a\x81z\r\n\r\n", "az");
	/* Raw UTF-8 stays as it is. */
	ck_subject("Subject: caf\xc3\xa9\r\n\r\n", "caf\xc3\xa9");
}
END_TEST

START_TEST(subject_unknown_charset)
{
	ck_subject("Subject: =?bogus-charset?Q?caf=E9?=\r\n\r\n", "caf\xc3\xa9");
	ck_subject("Subject: =?no such charset?B?Y2Fm6Q==?=\r\n\r\n", "caf\xc3\xa9");
}
END_TEST

START_TEST(subject_invalid_utf8_in_encoded_word)
{
	char *s = subj("Subject: =?utf-8?q?bad=FF=FEend?=\r\n\r\n");

	ck_assert(g_utf8_validate(s, -1, NULL));
	ck_assert_ptr_nonnull(strstr(s, "bad"));
	ck_assert_ptr_nonnull(strstr(s, "end"));
	free(s);
}
END_TEST

START_TEST(subject_folded)
{
	ck_subject("Subject: New\r\n\tSequences\r\n   Window\r\n\r\n", "New Sequences Window");
	ck_subject("Subject:\r\n folded first\r\n\r\n", "folded first");
	ck_subject("Subject: bare\n lf\n\n", "bare lf");
}
END_TEST

START_TEST(subject_control_chars_dropped)
{
	ck_subject("Subject: =?utf-8?q?a=0Ab?=\r\n\r\n", "ab");
	ck_subject("Subject: =?utf-8?q?a=0D=0Ab?=\r\n\r\n", "ab");
	ck_subject("Subject: =?utf-8?q?a=1Bb=07c?=\r\n\r\n", "abc");
	ck_subject("Subject: =?utf-8?q?a=7Fb?=\r\n\r\n", "ab");
	ck_subject("Subject: =?utf-8?q?a=C2=85b=C2=9Fc?=\r\n\r\n", "abc");
	ck_subject("Subject: =?utf-8?q?a=09b?=\r\n\r\n", "a b");
	ck_subject("Subject: =?utf-8?q?a_=0A_b?=\r\n\r\n", "a b");
	ck_sanitize("a\x01\x02z", 100, "az");
}
END_TEST

START_TEST(subject_slash_and_colon)
{
	ck_subject("Subject: Re: New Sequences Window\r\n\r\n", "Re- New Sequences Window");
	ck_subject("Subject: a/b/../../etc\r\n\r\n", "a_b_.._.._etc");
	ck_subject("Subject: =?utf-8?q?x=2Fy=3Az?=\r\n\r\n", "x_y-z");
	ck_sanitize("../../etc/passwd", 100, ".._.._etc_passwd");
}
END_TEST

START_TEST(subject_whitespace_folded)
{
	ck_subject("Subject:   a  \t  b   \r\n\r\n", "a b");
	/* NO-BREAK SPACE, EM SPACE and LINE SEPARATOR are white space too. */
	ck_subject("Subject: =?utf-8?q?a=C2=A0=E2=80=83b=E2=80=A8c?=\r\n\r\n", "a b c");
	ck_sanitize("  lead and trail  ", 100, "lead and trail");
	ck_sanitize("a \x01 b", 100, "a b");
}
END_TEST

START_TEST(sanitize_bidi_controls_dropped)
{
	/* RIGHT-TO-LEFT OVERRIDE would show "[1].eml" reversed. */
	ck_sanitize("evil\xe2\x80\xaegnp.exe", 100, "evilgnp.exe");
	ck_sanitize("x\xe2\x81\xa6y\xe2\x81\xa9z", 100, "xyz");
	/* Other format characters (zero width joiner in emoji) stay. */
	ck_sanitize("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb", 100,
		    "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb");
}
END_TEST

START_TEST(sanitize_invalid_utf8)
{
	ck_sanitize("a\xffz", 100, "a\xef\xbf\xbdz");
	ck_sanitize("\xc3", 100, "\xef\xbf\xbd");
}
END_TEST

/* A string of n ASCII letters followed by tail. */
static char *letters(size_t n, const char *tail)
{
	char *s = malloc(n + strlen(tail) + 1);

	memset(s, 'a', n);
	strcpy(s + n, tail);
	return s;
}

START_TEST(sanitize_cut_on_character_boundary)
{
	static const struct {
		size_t ascii;
		const char *tail;
		size_t expect_len;
	} cases[] = {
	    {98, "\xc3\xa9", 100},	   /* 2-byte char ends at 100 */
	    {99, "\xc3\xa9", 99},	   /* 2-byte char straddles 100 */
	    {97, "\xe2\x82\xac", 100},	   /* 3-byte char ends at 100 */
	    {98, "\xe2\x82\xac", 98},	   /* 3-byte char straddles */
	    {99, "\xe2\x82\xac", 99},	   /* 3-byte char straddles */
	    {96, "\xf0\x9f\x98\x80", 100}, /* 4-byte char ends at 100 */
	    {97, "\xf0\x9f\x98\x80", 97},  /* 4-byte char straddles */
	    {98, "\xf0\x9f\x98\x80", 98},  /* 4-byte char straddles */
	    {99, "\xf0\x9f\x98\x80", 99},  /* 4-byte char straddles */
	    {99, " b", 99},		   /* the cut leaves a trailing space */
	    {100, "", 100},
	    {150, "", 100},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *in = letters(cases[i].ascii, cases[i].tail);
		char *out = mail_name_sanitize(in, 100);

		ck_assert_msg(strlen(out) == cases[i].expect_len, "case %zu: %zu bytes", i,
			      strlen(out));
		ck_assert(g_utf8_validate(out, -1, NULL));
		ck_assert(strncmp(out, in, strlen(out)) == 0);
		free(out);

		/* The same through a Subject header. */
		char *hdr = g_strdup_printf("Subject: %s\r\n\r\n", in);
		out = subj(hdr);
		ck_assert_msg(strlen(out) == cases[i].expect_len, "subject case %zu", i);
		free(out);
		g_free(hdr);
		free(in);
	}
	ck_sanitize("abc", 0, "");
	ck_sanitize("\xc3\xa9", 1, "");
}
END_TEST

START_TEST(subject_empty_gives_no_subject)
{
	static const char *const blocks[] = {
	    "",
	    "\r\n",
	    "Message-ID: <x@y>\r\n\r\n",
	    "Subject:\r\n\r\n",
	    "Subject:    \t \r\n\r\n",
	    "Subject: =?utf-8?q?_=0A_?=\r\n\r\n",
	    "Subject: \x01\x02\x7f\r\n\r\n",
	    "Subject: ..\r\n\r\n",
	    "garbage\x01 without a colon\r\n\r\n",
	    "\xff\xfe\x00\x01",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(blocks); i++)
		ck_subject(blocks[i], "(no subject)");
	char *s = mail_name_subject(NULL, 0);
	ck_assert_str_eq(s, "(no subject)");
	free(s);
}
END_TEST

START_TEST(subject_first_header_wins)
{
	ck_subject("Subject: first\r\nSubject: second\r\n\r\n", "first");
}
END_TEST

/* The header scan: which line is the Subject field and where it ends. */
START_TEST(subject_field_boundaries)
{
	/* Only the whole field name, whatever its case, with or without
	 * white space before the colon. */
	ck_subject("Subjects: not this\r\nSubject: this\r\n\r\n", "this");
	ck_subject("X-Subject: not this\r\nSUBJECT : this\r\n\r\n", "this");
	/* A continuation line is not a field, and ends with its field. */
	ck_subject("X-Note: a\r\n Subject: not this\r\nSubject: this\r\n\r\n", "this");
	ck_subject("Subject: one\r\n two\r\nX-Next: three\r\n\r\n", "one two");
	/* A line that is no field is passed over. */
	ck_subject("garbage line\r\nSubject: found\r\n\r\n", "found");
	/* The first empty line ends the fields. */
	ck_subject("X-A: b\r\n\r\nSubject: body text\r\n", "(no subject)");
	ck_subject("\nSubject: body text\n", "(no subject)");
	/* The last field may lack its line end. */
	ck_subject("Subject: no line end", "no line end");
	ck_subject("Subject: a lone =? is text\r\n\r\n", "a lone =? is text");
}
END_TEST

START_TEST(subject_length_is_bounded_by_len)
{
	const char *h = "Subject: abcdef\r\n\r\n";
	char *s = mail_name_subject(h, strlen("Subject: abc"));

	ck_assert_str_eq(s, "abc");
	free(s);
}
END_TEST

START_TEST(sanitize_dot_names)
{
	ck_sanitize(".", 100, "");
	ck_sanitize(" .. ", 100, "");
	ck_sanitize("...", 100, "...");
	ck_sanitize(".x", 100, ".x");
}
END_TEST

START_TEST(sanitize_is_idempotent)
{
	static const char *const in[] = {
	    "Re: a/b  c",
	    " \t x \xe2\x80\xae y ",
	    "a\xffz",
	    "\xc3\xa9\xc3\xa9\xc3\xa9",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(in); i++) {
		for (size_t max = 0; max < 12; max++) {
			char *once = mail_name_sanitize(in[i], max);
			char *twice = mail_name_sanitize(once, max);

			ck_assert_str_eq(once, twice);
			ck_assert_uint_le(strlen(once), max);
			free(once);
			free(twice);
		}
	}
}
END_TEST

/* Whatever bytes the server sends, the subject is a usable name part. */
static void ck_name_part(const char *s)
{
	ck_assert(g_utf8_validate(s, -1, NULL));
	ck_assert_uint_gt(strlen(s), 0);
	ck_assert_uint_le(strlen(s), 100);
	ck_assert_ptr_null(strchr(s, '/'));
	ck_assert(s[0] != ' ' && s[strlen(s) - 1] != ' ');
	ck_assert_ptr_null(strstr(s, "  "));
	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		ck_assert(c >= 0x20 && !(c >= 0x7f && c <= 0x9f));
	}
}

START_TEST(subject_hostile_input_gives_valid_name)
{
	static const char alphabet[] = "=?QqBb_ \t\r\n:/\\\x01\x7f\x80\xc3\xa9\xff"
				       "AZaz09+";
	GRand *rnd = g_rand_new_with_seed(20020822);
	char buf[400];

	for (int iter = 0; iter < 3000; iter++) {
		size_t n = (size_t)g_rand_int_range(rnd, 0, (gint32)sizeof(buf) - 16);

		memcpy(buf, "Subject: ", 9);
		for (size_t i = 9; i < n + 9; i++) {
			if (g_rand_int_range(rnd, 0, 4) == 0)
				buf[i] = (char)g_rand_int_range(rnd, 0, 256);
			else
				buf[i] = alphabet[g_rand_int_range(rnd, 0, sizeof(alphabet) - 1)];
		}
		char *s = mail_name_subject(buf, n + 9);
		ck_name_part(s);
		free(s);
		/* And the same bytes without the header name. */
		s = mail_name_subject(buf + 9, n);
		ck_name_part(s);
		free(s);
	}
	g_rand_free(rnd);
}
END_TEST

START_TEST(subject_long_input)
{
	GString *h = g_string_new("Subject:");

	for (int i = 0; i < 20000; i++)
		g_string_append(h, " =?UTF-8?B?w6k=?=");
	g_string_append(h, "\r\n\r\n");
	char *s = mail_name_subject(h->str, h->len);
	/* 50 two-byte characters fill the 100 bytes. */
	ck_assert_uint_eq(strlen(s), 100);
	ck_assert(g_str_has_prefix(s, "\xc3\xa9\xc3\xa9"));
	free(s);
	g_string_free(h, TRUE);
}
END_TEST

static const char *const thread_inputs[] = {
    "Subject: =?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?=\r\n\r\n",
    "Subject: =?koi8-r?b?8NLJ18XU?=\r\n\r\n",
    "Subject: =?Shift_JIS?B?k/qWe4zq?=\r\n\r\n",
    "Subject: caf\xe9 \x93x\x94\r\n\r\n",
    "Subject: =?bogus?Q?caf=E9?=\r\n\r\n",
    "Subject: Re: a/b\r\n\tc\r\n\r\n",
};

static void *thread_run(void *arg)
{
	char **expect = arg;

	for (int iter = 0; iter < 300; iter++) {
		for (size_t i = 0; i < G_N_ELEMENTS(thread_inputs); i++) {
			char *s = subj(thread_inputs[i]);

			if (strcmp(s, expect[i]) != 0) {
				free(s);
				return (void *)1;
			}
			free(s);
		}
	}
	return NULL;
}

/* FUSE workers name messages concurrently. */
START_TEST(subject_concurrent_threads_agree)
{
	char *expect[G_N_ELEMENTS(thread_inputs)];
	pthread_t t[8];

	for (size_t i = 0; i < G_N_ELEMENTS(thread_inputs); i++)
		expect[i] = subj(thread_inputs[i]);
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, thread_run, expect), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		void *res;

		ck_assert_int_eq(pthread_join(t[i], &res), 0);
		ck_assert_ptr_null(res);
	}
	ck_assert_str_eq(expect[0], "Hello world");
	for (size_t i = 0; i < G_N_ELEMENTS(thread_inputs); i++)
		free(expect[i]);
}
END_TEST

/* expect NULL: no usable Message-ID. */
static void ck_msgid(const char *headers, const char *expect)
{
	char *m = mail_name_message_id(headers, strlen(headers));

	if (expect)
		ck_assert_msg(m && !strcmp(m, expect), "'%s': got '%s'", headers, m ? m : "NULL");
	else
		ck_assert_msg(!m, "'%s': got '%s'", headers, m);
	free(m);
}

START_TEST(message_id_found_and_normalized)
{
	ck_msgid("Subject: x\r\nMessage-ID: <x@y>\r\n\r\n", "<x@y>");
	ck_msgid("Message-Id:\r\n <a.b@c.example>\r\n\r\n", "<a.b@c.example>");
	ck_msgid("Message-ID:   <a@b>   (comment)\r\n\r\n", "<a@b>");
	ck_msgid("Message-ID: (comment) <a@b>\r\n\r\n", "<a@b>");
	ck_msgid("Message-ID: <first@x>\r\nMessage-ID: <second@x>\r\n\r\n", "<first@x>");
	ck_msgid("Message-ID: <caf\xc3\xa9@b>\r\n\r\n", "<caf\xc3\xa9@b>");
}
END_TEST

START_TEST(message_id_absent_or_unusable)
{
	ck_msgid("", NULL);
	ck_msgid("Subject: x\r\n\r\n", NULL);
	ck_msgid("Message-ID:\r\n\r\n", NULL);
	ck_msgid("Message-ID: <>\r\n\r\n", NULL);
	ck_msgid("Message-ID: not an id\r\n\r\n", NULL);
	ck_msgid("Message-ID: <a\x01@b>\r\n\r\n", NULL);
	ck_msgid("Message-ID: <a\xff@b>\r\n\r\n", NULL);
	char *m = mail_name_message_id(NULL, 0);
	ck_assert_ptr_null(m);
}
END_TEST

#define ck_file(t, subject, uid, expect)                                                           \
	do {                                                                                       \
		char *f_ = mail_name_file(t, subject, uid);                                        \
		ck_assert_str_eq(f_, expect);                                                      \
		free(f_);                                                                          \
	} while (0)

START_TEST(file_name_format)
{
	/* 2002-08-22 07:06:40 UTC */
	ck_file(1030000000, "Re- New Sequences Window", 1,
		"2002-08-22 Re- New Sequences Window [1].eml");
	ck_file(0, "x", UINT32_MAX, "1970-01-01 x [4294967295].eml");
	ck_file(1030000000, NULL, 7, "2002-08-22 (no subject) [7].eml");
	ck_file(1030000000, "", 7, "2002-08-22 (no subject) [7].eml");
	/* The subject is sanitized again. */
	ck_file(1030000000, " a/b:c\n ", 2, "2002-08-22 a_b-c [2].eml");
}
END_TEST

START_TEST(file_name_date_is_utc)
{
	/* 2002-08-22 00:30:00 UTC is still the 21st in New York and already
	 * the 22nd (10:30) in Sydney; the name must not care. */
	static const char *const zones[] = {"America/New_York", "Australia/Sydney", "UTC"};

	for (size_t i = 0; i < G_N_ELEMENTS(zones); i++) {
		setenv("TZ", zones[i], 1);
		tzset();
		ck_file(1029976200, "x", 3, "2002-08-22 x [3].eml");
		ck_file(1029974399, "x", 3, "2002-08-21 x [3].eml");
	}
}
END_TEST

START_TEST(file_name_round_trips_uid)
{
	static const uint32_t uids[] = {1, 9, 10, 12345, 4294967295u};

	for (size_t i = 0; i < G_N_ELEMENTS(uids); i++) {
		char *f = mail_name_file(1030000000, "[5] x [6].eml", uids[i]);
		uint32_t uid = 0;

		ck_assert(mail_name_uid(f, &uid));
		ck_assert_uint_eq(uid, uids[i]);
		free(f);
	}
}
END_TEST

START_TEST(uid_accepted)
{
	uint32_t uid = 0;

	ck_assert(mail_name_uid("2002-08-22 Re- x [1].eml", &uid));
	ck_assert_uint_eq(uid, 1);
	ck_assert(mail_name_uid(" [4294967295].eml", &uid));
	ck_assert_uint_eq(uid, 4294967295u);
	ck_assert(mail_name_uid("a [b] [10].eml", &uid));
	ck_assert_uint_eq(uid, 10);
}
END_TEST

START_TEST(uid_refused)
{
	static const char *const bad[] = {
	    "",
	    ".eml",
	    "[1].eml",	  /* no space before '[' */
	    "x[1].eml",	  /* no space before '[' */
	    "x [].eml",	  /* no digits */
	    "x [0].eml",  /* UID 0 does not exist */
	    "x [01].eml", /* leading zero */
	    "x [00].eml",
	    "x [4294967296].eml",  /* > UINT32_MAX */
	    "x [99999999999].eml", /* 11 digits */
	    "x [18446744073709551617].eml",
	    "x [-1].eml",
	    "x [+1].eml",
	    "x [ 1].eml",
	    "x [1 ].eml",
	    "x [1a].eml",
	    "x [1].EML",
	    "x [1].eml ",
	    "x [1].eml.parts",
	    "x [1]eml",
	    "x (1).eml",
	    "x 1].eml",
	};
	uint32_t uid = 77;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		ck_assert_msg(!mail_name_uid(bad[i], &uid), "accepted '%s'", bad[i]);
		ck_assert_uint_eq(uid, 77);
	}
}
END_TEST

static Suite *mail_name_suite(void)
{
	Suite *s = suite_create("mail_name");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, subject_plain_with_message_id);
	tcase_add_test(tc, subject_rfc2047_b);
	tcase_add_test(tc, subject_rfc2047_q);
	tcase_add_test(tc, subject_adjacent_words_join);
	tcase_add_test(tc, subject_character_split_across_words);
	tcase_add_test(tc, subject_charsets_to_utf8);
	tcase_add_test(tc, subject_raw_8bit);
	tcase_add_test(tc, subject_unknown_charset);
	tcase_add_test(tc, subject_invalid_utf8_in_encoded_word);
	tcase_add_test(tc, subject_folded);
	tcase_add_test(tc, subject_control_chars_dropped);
	tcase_add_test(tc, subject_slash_and_colon);
	tcase_add_test(tc, subject_whitespace_folded);
	tcase_add_test(tc, sanitize_bidi_controls_dropped);
	tcase_add_test(tc, sanitize_invalid_utf8);
	tcase_add_test(tc, sanitize_cut_on_character_boundary);
	tcase_add_test(tc, subject_empty_gives_no_subject);
	tcase_add_test(tc, subject_first_header_wins);
	tcase_add_test(tc, subject_field_boundaries);
	tcase_add_test(tc, subject_length_is_bounded_by_len);
	tcase_add_test(tc, sanitize_dot_names);
	tcase_add_test(tc, sanitize_is_idempotent);
	tcase_add_test(tc, subject_hostile_input_gives_valid_name);
	tcase_add_test(tc, subject_long_input);
	tcase_add_test(tc, subject_concurrent_threads_agree);
	tcase_add_test(tc, message_id_found_and_normalized);
	tcase_add_test(tc, message_id_absent_or_unusable);
	tcase_add_test(tc, file_name_format);
	tcase_add_test(tc, file_name_date_is_utc);
	tcase_add_test(tc, file_name_round_trips_uid);
	tcase_add_test(tc, uid_accepted);
	tcase_add_test(tc, uid_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mail_name_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

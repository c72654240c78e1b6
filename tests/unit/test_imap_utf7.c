/* Unit tests of imap_utf7: RFC 3501 §5.1.3 examples, both directions, and
 * every invalid form the header lists. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/imap_utf7.h"

/* Decodes utf7 to utf8 and encodes utf8 back to utf7 exactly. */
static void check_both_ways(const char *utf7, const char *utf8)
{
	char *out = (char *)1;

	ck_assert_int_eq(imap_utf7_decode(utf7, &out), 0);
	ck_assert_str_eq(out, utf8);
	free(out);
	out = (char *)1;
	ck_assert_int_eq(imap_utf7_encode(utf8, &out), 0);
	ck_assert_str_eq(out, utf7);
	free(out);
}

static void check_decode_fails(const char *utf7)
{
	char *out = (char *)1;

	ck_assert_msg(imap_utf7_decode(utf7, &out) == -EINVAL, "decoded \"%s\"", utf7);
	ck_assert_ptr_null(out);
}

static void check_encode_fails(const char *utf8)
{
	char *out = (char *)1;

	ck_assert_int_eq(imap_utf7_encode(utf8, &out), -EINVAL);
	ck_assert_ptr_null(out);
}

START_TEST(test_rfc3501_example)
{
	check_both_ways(
	    "~peter/mail/&U,BTFw-/&ZeVnLIqe-",
	    "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
}
END_TEST

START_TEST(test_ascii_and_ampersand)
{
	check_both_ways("", "");
	check_both_ways("INBOX", "INBOX");
	check_both_ways("&-", "&");
	check_both_ways("Tom &- Jerry", "Tom & Jerry");
	check_both_ways("&-&-", "&&");
	check_both_ways(" !\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~",
			" !\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~");
}
END_TEST

START_TEST(test_non_ascii)
{
	/* One unit: 2 padding bits; two: 4; three: none. */
	check_both_ways("Entw&APw-rfe", "Entw\xc3\xbcrfe");
	check_both_ways("&AOQA9g-", "\xc3\xa4\xc3\xb6");
	check_both_ways("&AOQA9gD8-", "\xc3\xa4\xc3\xb6\xc3\xbc");
	/* A run is closed before "&" and reopened after it. */
	check_both_ways("&AOQ-&-&APY-", "\xc3\xa4&\xc3\xb6");
	/* Control characters are not printable: base64. */
	check_both_ways("a&AAk-b", "a\tb");
	check_both_ways("&AH8-", "\x7f");
	/* Both characters particular to modified base64: '+' and ','. */
	check_both_ways("&+wE-", "\xef\xac\x81");
	check_both_ways("&U,A-", "\xe5\x8f\xb0");
}
END_TEST

START_TEST(test_supplementary_plane)
{
	/* U+1F600 is the surrogate pair D83D DE00. */
	check_both_ways("&2D3eAA-", "\xf0\x9f\x98\x80");
	check_both_ways("x&2D3eANg93gE-y", "x\xf0\x9f\x98\x80\xf0\x9f\x98\x81y");
	/* U+10FFFF, the last code point: DBFF DFFF */
	check_both_ways("&2,,f,w-", "\xf4\x8f\xbf\xbf");
}
END_TEST

START_TEST(test_long_run)
{
	/* A run longer than its input's 8/3 ratio: the output grows. */
	char utf8[3 * 64 + 1], *out, *back;

	for (int i = 0; i < 64; i++)
		memcpy(utf8 + 3 * i, "\xe6\x97\xa5", 3);
	utf8[3 * 64] = '\0';
	ck_assert_int_eq(imap_utf7_encode(utf8, &out), 0);
	ck_assert_int_eq(imap_utf7_decode(out, &back), 0);
	ck_assert_str_eq(back, utf8);
	free(out);
	free(back);
}
END_TEST

START_TEST(test_decode_invalid)
{
	check_decode_fails("&Jjo");	   /* unterminated */
	check_decode_fails("&");	   /* unterminated */
	check_decode_fails("a&U,BTFw");	   /* unterminated */
	check_decode_fails("&AGE-");	   /* 'a' must be direct */
	check_decode_fails("&ACY-");	   /* '&' must be "&-" */
	check_decode_fails("&ACA-");	   /* ' ' must be direct */
	check_decode_fails("&AH4-");	   /* '~' must be direct */
	check_decode_fails("&U,B!Fw-");	   /* bad base64 character */
	check_decode_fails("&U/BTFw-");	   /* '/' is ',' in modified base64 */
	check_decode_fails("&U,BTFw=-");   /* no '=' padding */
	check_decode_fails("&AOR-");	   /* padding bits not zero */
	check_decode_fails("&AOQA9gD-");   /* a whole unused character */
	check_decode_fails("&AOQA-");	   /* a whole unused character */
	check_decode_fails("&A-");	   /* less than one unit */
	check_decode_fails("&2D0-");	   /* lone high surrogate */
	check_decode_fails("&2D0AOQ-");	   /* high surrogate, then no low one */
	check_decode_fails("&3gA-");	   /* lone low surrogate */
	check_decode_fails("&3gDYPQ-");	   /* reversed pair */
	check_decode_fails("&2D0-&3gA-");  /* pair split over two runs */
	check_decode_fails("&AAA-");	   /* NUL */
	check_decode_fails("&AOQ-&APY-");  /* one run split in two */
	check_decode_fails("caf\xc3\xa9"); /* 8-bit byte */
	check_decode_fails("a\tb");	   /* control character not encoded */
	check_decode_fails("\x7f");
	check_decode_fails("&-&"); /* "&-" then an unterminated run */
}
END_TEST

START_TEST(test_encode_invalid_utf8)
{
	check_encode_fails("\x80");		/* lone continuation byte */
	check_encode_fails("a\xc3");		/* truncated */
	check_encode_fails("\xe6\x97");		/* truncated */
	check_encode_fails("\xc0\xaf");		/* overlong '/' */
	check_encode_fails("\xe0\x80\xaf");	/* overlong */
	check_encode_fails("\xf0\x80\x80\xaf"); /* overlong */
	check_encode_fails("\xed\xa0\x80");	/* encoded surrogate D800 */
	check_encode_fails("\xed\xbf\xbf");	/* encoded surrogate DFFF */
	check_encode_fails("\xf4\x90\x80\x80"); /* past U+10FFFF */
	check_encode_fails("\xf8\x88\x80\x80\x80");
	check_encode_fails("\xff");
	check_encode_fails("ok\xc3\x28");
}
END_TEST

static Suite *utf7_suite(void)
{
	Suite *s = suite_create("imap_utf7");
	TCase *tc = tcase_create("utf7");

	tcase_add_test(tc, test_rfc3501_example);
	tcase_add_test(tc, test_ascii_and_ampersand);
	tcase_add_test(tc, test_non_ascii);
	tcase_add_test(tc, test_supplementary_plane);
	tcase_add_test(tc, test_long_run);
	tcase_add_test(tc, test_decode_invalid);
	tcase_add_test(tc, test_encode_invalid_utf8);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(utf7_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Unit tests of mail_check: what may be APPENDed (SPEC §4), and CRLF. */
#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/mail_check.h"

static bool is_msg(const char *s, const char **why)
{
	return mail_check_message(s, strlen(s), why);
}

START_TEST(messages_accepted)
{
	const char *why = NULL;

	ck_assert(is_msg("From: a@b\r\nSubject: x\r\n\r\nbody\r\n", &why));
	ck_assert(is_msg("Subject: x\n\nbody\n", &why));			/* bare LF */
	ck_assert(is_msg("Received: from x\r\n\tby y\r\nDate: now\r\n", &why)); /* no body */
	ck_assert(is_msg("X-Spam: 1\r\nmessage-id: <a@b>\r\n\r\n", &why));	/* any case */
	ck_assert(is_msg("From: a\r\n\r\n\x80\xff binary body\r\n", &why));
	ck_assert(is_msg("To: a", &why)); /* no line end at all */
}
END_TEST

START_TEST(non_messages_refused)
{
	const char *why = NULL;
	static const char jpeg[] = "\xff\xd8\xff\xe0\x00\x10JFIF";

	ck_assert(!mail_check_message("", 0, &why));
	ck_assert_str_eq(why, "empty");
	ck_assert(!mail_check_message(jpeg, sizeof(jpeg) - 1, &why));
	ck_assert_str_eq(why, "holds a NUL byte");
	ck_assert(!is_msg("hello world\n", &why));
	ck_assert_str_eq(why, "does not start with a header field");
	ck_assert(!is_msg("From a@b Mon Jan 1 00:00:00 2001\nFrom: a\n\n", &why)); /* mbox */
	ck_assert(!is_msg(" Subject: x\n\n", &why));
	ck_assert(!is_msg("\r\nSubject: x\r\n", &why)); /* empty header */
	ck_assert(!is_msg(": x\r\n\r\n", &why));	/* empty field name */
	ck_assert(!is_msg("Subject: x\r\nnot a field\r\n\r\n", &why));
	ck_assert_str_eq(why, "has a header line that is not a field");
	ck_assert(!is_msg("X-Only: 1\r\nX-Other: 2\r\n\r\nbody", &why));
	ck_assert(!is_msg("Sub\x01ject: x\r\n\r\n", &why));
	ck_assert(!is_msg("{\"json\": true}\n", &why));
	ck_assert(!is_msg("#!/bin/sh\necho hi\n", &why));
}
END_TEST

START_TEST(crlf_conversion)
{
	size_t len = 0;
	char *out;

	ck_assert_ptr_null(mail_check_crlf("a\r\nb\r\n", 6, &len));
	ck_assert_uint_eq(len, 6);
	out = mail_check_crlf("a\nb\r\nc\n", 7, &len);
	ck_assert_uint_eq(len, 9);
	ck_assert(memcmp(out, "a\r\nb\r\nc\r\n", 9) == 0);
	g_free(out);
	out = mail_check_crlf("\n\n", 2, &len);
	ck_assert_uint_eq(len, 4);
	ck_assert(memcmp(out, "\r\n\r\n", 4) == 0);
	g_free(out);
	ck_assert_ptr_null(mail_check_crlf("", 0, &len));
	ck_assert_uint_eq(len, 0);
	out = mail_check_crlf("\r\r\n\n", 4, &len); /* lone CR stays */
	ck_assert_uint_eq(len, 5);
	ck_assert(memcmp(out, "\r\r\n\r\n", 5) == 0);
	g_free(out);
}
END_TEST

static Suite *mail_check_suite(void)
{
	Suite *s = suite_create("mail_check");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, messages_accepted);
	tcase_add_test(tc, non_messages_refused);
	tcase_add_test(tc, crlf_conversion);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mail_check_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

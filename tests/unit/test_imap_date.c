/* Unit tests of imap_date: INTERNALDATE to UTC time_t and back. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imapfs/imap_date.h"

static void check_date(const char *s, time_t expect)
{
	time_t t = 12345;

	ck_assert_msg(imap_date_parse(s, &t) == 0, "rejected \"%s\"", s);
	ck_assert_msg(t == expect, "\"%s\" gave %lld, not %lld", s, (long long)t,
		      (long long)expect);
}

static void check_bad(const char *s)
{
	time_t t = 12345;

	ck_assert_msg(imap_date_parse(s, &t) == -EINVAL, "accepted \"%s\"", s);
	ck_assert_msg(t == 12345, "\"%s\" wrote the output", s);
}

START_TEST(test_rfc3501_example)
{
	/* 1996-07-17 09:44:25 UTC */
	check_date("17-Jul-1996 02:44:25 -0700", 837596665);
}
END_TEST

START_TEST(test_zones)
{
	check_date("01-Jan-1970 00:00:00 +0000", 0);
	check_date("01-Jan-1970 00:00:00 -0000", 0);
	check_date("01-Jan-1970 01:00:00 +0100", 0);
	check_date("31-Dec-1969 19:00:00 -0500", 0);
	check_date("01-Jan-1970 05:30:00 +0530", 0);
	check_date("01-Jan-1970 00:00:00 -0930", 9 * 3600 + 30 * 60);
	check_date("01-Jan-1970 00:00:00 +2359", -(23 * 3600 + 59 * 60));
	/* The one date whose time_t is -1. */
	check_date("31-Dec-1969 23:59:59 +0000", -1);
}
END_TEST

START_TEST(test_day_forms)
{
	/* date-day-fixed: space-padded or two digits */
	check_date(" 2-Feb-2002 12:00:00 +0000", 1012651200);
	check_date("02-Feb-2002 12:00:00 +0000", 1012651200);
	/* month names are case-insensitive (ABNF strings) */
	check_date("02-FEB-2002 12:00:00 +0000", 1012651200);
	check_date("02-feb-2002 12:00:00 +0000", 1012651200);
}
END_TEST

START_TEST(test_calendar)
{
	check_date("29-Feb-2000 00:00:00 +0000", 951782400);
	check_date("29-Feb-2024 00:00:00 +0000", 1709164800);
	check_date("31-Dec-2038 23:59:59 +0000", 2177452799); /* past 2^31 */
	check_date("30-Jun-2015 23:59:60 +0000", 1435708800); /* leap second */
	check_bad("29-Feb-1900 00:00:00 +0000");
	check_bad("29-Feb-2023 00:00:00 +0000");
	check_bad("31-Apr-2023 00:00:00 +0000");
	check_bad("32-Jan-2023 00:00:00 +0000");
	check_bad("00-Jan-2023 00:00:00 +0000");
	check_bad(" 0-Jan-2023 00:00:00 +0000");
}
END_TEST

START_TEST(test_garbage)
{
	check_bad("");
	check_bad(NULL);
	check_bad("garbage");
	check_bad("17-Jul-1996 02:44:25");	  /* no zone */
	check_bad("17-Jul-1996 02:44:25 -0700 "); /* trailing */
	check_bad(" 17-Jul-1996 02:44:25 -0700"); /* leading */
	check_bad("7-Jul-1996 02:44:25 -0700");	  /* day not fixed width */
	check_bad("17-Jly-1996 02:44:25 -0700");  /* month name */
	check_bad("17-07-1996 02:44:25 -0700");
	check_bad("17/Jul/1996 02:44:25 -0700");
	check_bad("17-Jul-96 02:44:25 -0700   ");
	check_bad("17-Jul-1996 24:00:00 -0700");
	check_bad("17-Jul-1996 02:60:25 -0700");
	check_bad("17-Jul-1996 02:44:61 -0700");
	check_bad("17-Jul-1996 02:44:25 -2400");
	check_bad("17-Jul-1996 02:44:25 -0760");
	check_bad("17-Jul-1996 02:44:25 0700 ");
	check_bad("17-Jul-1996 02:44:25 *0700");
	check_bad("17-Jul-1996 02:44:25 -07a0");
	check_bad("17-Jul-1996T02:44:25 -0700");
	check_bad("17-Jul-1996 02-44-25 -0700");
	check_bad("1a-Jul-1996 02:44:25 -0700");
	check_bad("17-Jul-19x6 02:44:25 -0700");
	check_bad("17-Jul-1996 +2:44:25 -0700");
	check_bad("17-Jul-1996 02:44:25 -07\xc3\xa9");
}
END_TEST

static void check_format(time_t t, const char *expect)
{
	char buf[IMAP_DATE_BUFSIZE];
	time_t back = 12345;

	ck_assert_int_eq(imap_date_format(t, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, expect);
	ck_assert_uint_eq(strlen(buf), IMAP_DATE_LEN);
	ck_assert_msg(imap_date_parse(buf, &back) == 0 && back == t, "\"%s\" did not round-trip",
		      buf);
}

START_TEST(test_format)
{
	check_format(0, "01-Jan-1970 00:00:00 +0000");
	check_format(837596665, "17-Jul-1996 09:44:25 +0000");
	/* two-digit day (date-day-fixed allows it), a leap day, past 2^31,
	 * before the epoch */
	check_format(1012651200, "02-Feb-2002 12:00:00 +0000");
	check_format(1709164800, "29-Feb-2024 00:00:00 +0000");
	check_format(2177452799, "31-Dec-2038 23:59:59 +0000");
	check_format(-1, "31-Dec-1969 23:59:59 +0000");
	check_format(-2208988800, "01-Jan-1900 00:00:00 +0000");
}
END_TEST

START_TEST(test_format_bounds)
{
	char buf[64];

	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(imap_date_format(0, buf, IMAP_DATE_LEN), -EINVAL);
	ck_assert_int_eq(imap_date_format(0, buf, IMAP_DATE_BUFSIZE), 0);
	/* year 10000 does not fit four digits */
	ck_assert_int_eq(imap_date_format(253402300800, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(imap_date_format(253402300799, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "31-Dec-9999 23:59:59 +0000");
}
END_TEST

static Suite *date_suite(void)
{
	Suite *s = suite_create("imap_date");
	TCase *tc = tcase_create("date");

	tcase_add_test(tc, test_rfc3501_example);
	tcase_add_test(tc, test_zones);
	tcase_add_test(tc, test_day_forms);
	tcase_add_test(tc, test_calendar);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_format_bounds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(date_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

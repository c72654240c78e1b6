/* Unit tests of imap_sasl: the SASL messages byte for byte against the
 * examples of RFC 7628 §4.1 and Google's XOAUTH2 documentation, what they
 * refuse, base64 both ways, and the status of an OAuth error challenge. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/imap_sasl.h"

START_TEST(test_oauthbearer_rfc7628_example)
{
	char *b64 = NULL;

	/* RFC 7628 §4.1, the initial client response. */
	ck_assert_int_eq(imap_sasl_oauthbearer("user@example.com", "server.example.com", "143",
					       "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", &b64),
			 0);
	ck_assert_str_eq(b64, "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9"
			      "MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRH"
			      "RXVZMjl0Q2c9PQEB");
	imap_sasl_free(&b64);
	ck_assert_ptr_null(b64);
}
END_TEST

START_TEST(test_oauthbearer_saslname_escapes)
{
	char *b64 = NULL, *raw = NULL;
	size_t len = 0;

	/* RFC 5801: in the gs2 header "=" is "=3D" and "," is "=2C". */
	ck_assert_int_eq(imap_sasl_oauthbearer("a=b,c", "h", "993", "t", &b64), 0);
	ck_assert_int_eq(imap_sasl_unbase64(b64, &raw, &len), 0);
	ck_assert_uint_eq(len,
			  strlen("n,a=a=3Db=2Cc,\001host=h\001port=993\001auth=Bearer t\001\001"));
	ck_assert_mem_eq(raw, "n,a=a=3Db=2Cc,\001host=h\001port=993\001auth=Bearer t\001\001", len);
	free(raw);
	imap_sasl_free(&b64);
}
END_TEST

START_TEST(test_xoauth2_google_example)
{
	char *b64 = NULL;

	ck_assert_int_eq(imap_sasl_xoauth2("someuser@example.com",
					   "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", &b64),
			 0);
	ck_assert_str_eq(b64, "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRx"
			      "bVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==");
	imap_sasl_free(&b64);
}
END_TEST

START_TEST(test_plain)
{
	char *b64 = NULL;

	ck_assert_int_eq(imap_sasl_plain("u", "p", &b64), 0);
	ck_assert_str_eq(b64, "AHUAcA==");
	imap_sasl_free(&b64);
	ck_assert_int_eq(imap_sasl_plain("u", "p\r\n", &b64), -EINVAL);
	ck_assert_ptr_null(b64);
	ck_assert_int_eq(imap_sasl_plain("u\n", "p", &b64), -EINVAL);
	ck_assert_ptr_null(b64);
}
END_TEST

/* What could smuggle a separator or a second field into a message. */
START_TEST(test_refused_inputs)
{
	static const char *const bad_tokens[] = {
	    "", "a b", "a\001b", "tok\r\n", "a=b", "=abc", "tok\"", "t\xc3\xa9", "a,b",
	};
	char *b64 = (char *)1;

	for (size_t i = 0; i < sizeof(bad_tokens) / sizeof(bad_tokens[0]); i++) {
		ck_assert_msg(!imap_sasl_token_ok(bad_tokens[i]), "token %zu accepted", i);
		ck_assert_int_eq(imap_sasl_oauthbearer("u", "h", "1", bad_tokens[i], &b64),
				 -EINVAL);
		ck_assert_ptr_null(b64);
		b64 = (char *)1;
		ck_assert_int_eq(imap_sasl_xoauth2("u", bad_tokens[i], &b64), -EINVAL);
		ck_assert_ptr_null(b64);
		b64 = (char *)1;
	}
	ck_assert(imap_sasl_token_ok("ya29.a0AfH6SM-_~+/x=="));
	ck_assert(imap_sasl_token_ok("eyJ0eXAiOiJKV1QiLCJub25jZSI6Ijx.eyJhdWQi.sig"));
	ck_assert_int_eq(imap_sasl_oauthbearer("u\001", "h", "1", "t", &b64), -EINVAL);
	ck_assert_ptr_null(b64);
	b64 = (char *)1;
	ck_assert_int_eq(imap_sasl_oauthbearer("u", "h\001", "1", "t", &b64), -EINVAL);
	ck_assert_ptr_null(b64);
	b64 = (char *)1;
	ck_assert_int_eq(imap_sasl_xoauth2("u\x7f", "t", &b64), -EINVAL);
	ck_assert_ptr_null(b64);
}
END_TEST

START_TEST(test_base64_round_trip)
{
	unsigned char all[256];

	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (size_t n = 0; n <= sizeof(all); n++) {
		char *b64 = imap_sasl_base64(all, n), *back = NULL;
		size_t len = 0;

		ck_assert_uint_eq(strlen(b64), (n + 2) / 3 * 4);
		ck_assert_int_eq(imap_sasl_unbase64(b64, &back, &len), 0);
		ck_assert_uint_eq(len, n);
		ck_assert(n == 0 || memcmp(back, all, n) == 0);
		ck_assert_int_eq(back[len], '\0');
		free(back);
		free(b64);
	}
}
END_TEST

START_TEST(test_unbase64_refuses)
{
	static const char *const bad[] = {
	    "A", "AQ=", "AQ", "A===", "=AAA", "AQ==AQ==", "AQ=A", "AQ== ", "A Q=", "AQ\n=", "!!!!"};
	char *out = (char *)1;
	size_t len = 1;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(imap_sasl_unbase64(bad[i], &out, &len) == -EINVAL, "decoded '%s'",
			      bad[i]);
		ck_assert_ptr_null(out);
		ck_assert_uint_eq(len, 0);
	}
	ck_assert_int_eq(imap_sasl_unbase64("AQ==", &out, &len), 0);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(out[0], 1);
	free(out);
}
END_TEST

START_TEST(test_error_status)
{
	char st[32];

	/* RFC 7628 §4.3's failure example. */
	ck_assert(imap_sasl_error_status(
	    "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3"
	    "Vy"
	    "YXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=",
	    st, sizeof(st)));
	ck_assert_str_eq(st, "invalid_token");
	/* Google: {"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"} */
	ck_assert(
	    imap_sasl_error_status("eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJo"
				   "dHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==",
				   st, sizeof(st)));
	ck_assert_str_eq(st, "400");
	/* { "status" : "a\u0001\"b" } with spaces: escapes kept literally,
	 * control bytes shown as '?'. */
	const char *json = "{ \"status\" : \"a\001\\\"b\" }";
	char *b64 = imap_sasl_base64(json, strlen(json));
	ck_assert(imap_sasl_error_status(b64, st, sizeof(st)));
	ck_assert_str_eq(st, "a?\"b");
	free(b64);
	/* Truncated to the buffer. */
	b64 = imap_sasl_base64("{\"status\":\"0123456789\"}", 23 /* strlen */);
	ck_assert(imap_sasl_error_status(b64, st, 5));
	ck_assert_str_eq(st, "0123");
	free(b64);
	/* Not base64, no status, a status that is no string, unterminated. */
	ck_assert(!imap_sasl_error_status("not base64!", st, sizeof(st)));
	ck_assert_str_eq(st, "");
	ck_assert(!imap_sasl_error_status("", st, sizeof(st)));
	b64 = imap_sasl_base64("{\"status\":401}", 14);
	ck_assert(!imap_sasl_error_status(b64, st, sizeof(st)));
	ck_assert_str_eq(st, "");
	free(b64);
	b64 = imap_sasl_base64("{\"status\":\"open", 15);
	ck_assert(!imap_sasl_error_status(b64, st, sizeof(st)));
	ck_assert_str_eq(st, "");
	free(b64);
}
END_TEST

static Suite *sasl_suite(void)
{
	Suite *s = suite_create("imap_sasl");
	TCase *tc = tcase_create("sasl");

	tcase_add_test(tc, test_oauthbearer_rfc7628_example);
	tcase_add_test(tc, test_oauthbearer_saslname_escapes);
	tcase_add_test(tc, test_xoauth2_google_example);
	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_refused_inputs);
	tcase_add_test(tc, test_base64_round_trip);
	tcase_add_test(tc, test_unbase64_refuses);
	tcase_add_test(tc, test_error_status);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sasl_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Unit tests of url: the SERVER argument (SPEC §1). */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/url.h"

static void ck_ok(const char *s, bool tls, const char *user, const char *host, const char *port)
{
	struct url u;
	char err[256] = "unchanged";

	ck_assert_msg(url_parse(s, &u, err, sizeof(err)) == 0, "'%s' refused: %s", s, err);
	ck_assert_int_eq(u.implicit_tls, tls);
	ck_assert_str_eq(u.user, user);
	ck_assert_str_eq(u.host, host);
	ck_assert_str_eq(u.port, port);
	url_clear(&u);
	ck_assert_ptr_null(u.user);
	ck_assert_ptr_null(u.host);
	ck_assert_ptr_null(u.port);
}

/* Refused with -EINVAL, a message containing want, never containing
 * secret (a part of the input that must not be echoed), and *u empty. */
static void ck_bad(const char *s, const char *want, const char *secret)
{
	struct url u;
	char err[256] = "";

	ck_assert_msg(url_parse(s, &u, err, sizeof(err)) == -EINVAL, "'%s' accepted", s);
	ck_assert_msg(err[0] != '\0', "'%s': empty message", s);
	ck_assert_msg(strchr(err, '\n') == NULL, "'%s': multi-line message", s);
	ck_assert_msg(strstr(err, want) != NULL, "'%s': message '%s' lacks '%s'", s, err, want);
	if (secret)
		ck_assert_msg(strstr(err, secret) == NULL, "'%s': message '%s' leaks", s, err);
	ck_assert_ptr_null(u.user);
	ck_assert_ptr_null(u.host);
	ck_assert_ptr_null(u.port);
	url_clear(&u);
}

START_TEST(accepts_imaps_with_default_port)
{
	ck_ok("imaps://me@mail.example.org", true, "me", "mail.example.org", "993");
	ck_ok("imaps://me@mail.example.org/", true, "me", "mail.example.org", "993");
}
END_TEST

START_TEST(accepts_imap_with_default_port)
{
	ck_ok("imap://me@mail.example.org", false, "me", "mail.example.org", "143");
}
END_TEST

START_TEST(accepts_explicit_port)
{
	ck_ok("imaps://me@host:10993", true, "me", "host", "10993");
	ck_ok("imap://me@host:1", false, "me", "host", "1");
	ck_ok("imap://me@host:65535/", false, "me", "host", "65535");
	/* An empty port is the default one (RFC 3986 §3.2.3). */
	ck_ok("imaps://me@host:", true, "me", "host", "993");
}
END_TEST

START_TEST(accepts_scheme_in_any_case)
{
	ck_ok("IMAPS://me@HOST", true, "me", "HOST", "993");
	ck_ok("Imap://me@host", false, "me", "host", "143");
}
END_TEST

START_TEST(decodes_percent_encoded_user)
{
	ck_ok("imaps://me%40example.org@mail.example.org", true, "me@example.org",
	      "mail.example.org", "993");
	ck_ok("imaps://a%20b%3Ac%3Bd@host", true, "a b:c;d", "host", "993");
	ck_ok("imaps://caf%C3%A9@host", true, "caf\xc3\xa9", "host", "993");
}
END_TEST

START_TEST(accepts_ip_addresses)
{
	ck_ok("imaps://me@127.0.0.1:993", true, "me", "127.0.0.1", "993");
	ck_ok("imaps://me@[::1]", true, "me", "::1", "993");
	ck_ok("imap://me@[::1]:1143", false, "me", "::1", "1143");
	ck_ok("imaps://me@[2001:db8::1]/", true, "me", "2001:db8::1", "993");
	ck_ok("imaps://me@[::ffff:192.0.2.1]", true, "me", "::ffff:192.0.2.1", "993");
	ck_ok("imaps://me@[fe80::1%25eth0]", true, "me", "fe80::1%eth0", "993");
}
END_TEST

START_TEST(converts_idn_host_to_ascii)
{
	ck_ok("imaps://me@b\xc3\xbc"
	      "cher.example",
	      true, "me", "xn--bcher-kva.example", "993");
}
END_TEST

START_TEST(refuses_other_schemes)
{
	ck_bad("http://me@host", "unsupported scheme 'http'", NULL);
	ck_bad("pop3://me@host", "unsupported scheme 'pop3'", NULL);
	ck_bad("imapx://me@host", "unsupported scheme", NULL);
}
END_TEST

START_TEST(refuses_non_urls)
{
	ck_bad("", "imaps://USER@HOST", NULL);
	ck_bad("me@host", "imaps://USER@HOST", NULL);
	ck_bad(" imaps://me@host", "imaps://USER@HOST", NULL);
	ck_bad("imaps:me@host", "imaps://USER@HOST", NULL);
	ck_bad("imaps:/me@host", "imaps://USER@HOST", NULL);
	ck_bad(NULL, "imaps://USER@HOST", NULL);
}
END_TEST

START_TEST(refuses_missing_user)
{
	ck_bad("imaps://host", "no user name", NULL);
	ck_bad("imaps://@host", "no user name", NULL);
}
END_TEST

START_TEST(refuses_missing_host)
{
	ck_bad("imaps://me@", "no host", NULL);
	ck_bad("imaps://me@:993", "no host", NULL);
	ck_bad("imaps:///", "imaps://USER@HOST", NULL);
}
END_TEST

START_TEST(refuses_password_without_echoing_it)
{
	ck_bad("imaps://me:hunter2@host", "password", "hunter2");
	ck_bad("imaps://me:@host", "password", NULL);
	/* A mistyped URL whose "port" is really a password. */
	ck_bad("imaps://me@host:hunter2", "port", "hunter2");
	ck_bad("imaps://me@example.org:hunter2@host", "port", "hunter2");
	ck_bad("imaps://me:hunter2%zz@host", "user name", "hunter2");
}
END_TEST

START_TEST(refuses_auth_parameters)
{
	ck_bad("imaps://me;AUTH=PLAIN@host", "AUTH", NULL);
}
END_TEST

START_TEST(refuses_unencoded_at_in_user)
{
	ck_bad("imaps://me@example.org@host", "%40", NULL);
}
END_TEST

START_TEST(refuses_bad_ports)
{
	ck_bad("imaps://me@host:0", "1 to 65535", NULL);
	ck_bad("imaps://me@host:65536", "1 to 65535", NULL);
	ck_bad("imaps://me@host:99999999999999999999", "1 to 65535", NULL);
	ck_bad("imaps://me@host:-1", "1 to 65535", NULL);
	ck_bad("imaps://me@host:+1", "1 to 65535", NULL);
	ck_bad("imaps://me@host:12a", "1 to 65535", NULL);
	ck_bad("imaps://me@host: 993", "1 to 65535", NULL);
}
END_TEST

START_TEST(refuses_path_query_fragment)
{
	ck_bad("imaps://me@host/INBOX", "path", NULL);
	ck_bad("imaps://me@host//", "path", NULL);
	ck_bad("imaps://me@host?x=1", "query", NULL);
	ck_bad("imaps://me@host/?", "query", NULL);
	ck_bad("imaps://me@host#frag", "fragment", NULL);
}
END_TEST

START_TEST(refuses_control_characters)
{
	ck_bad("imaps://me%0A@host", "control character", NULL);
	ck_bad("imaps://me%0D%0ALOGOUT@host", "control character", NULL);
	ck_bad("imaps://me%7F@host", "control character", NULL);
	ck_bad("imaps://me%C2%85@host", "control character", NULL);
	ck_bad("imaps://me\x01@host", "control character", NULL);
	ck_bad("imaps://me@ho%0Ast", "host", NULL);
	ck_bad("imaps://me@ho\nst", "host", NULL);
	/* NUL cannot be represented at all. */
	ck_bad("imaps://me%00x@host", "user name", NULL);
}
END_TEST

START_TEST(refuses_bad_hosts)
{
	ck_bad("imaps://me@ho st", "host", NULL);
	ck_bad("imaps://me@host%20", "host", NULL);
	ck_bad("imaps://me@h%2Fx", "host", NULL);
	ck_bad("imaps://me@h%25x", "host", NULL);
	ck_bad("imaps://me@[::1", "host", NULL);
	ck_bad("imaps://me@[v1.x]", "host", NULL);
	ck_bad("imaps://me@::1", "port", NULL);
	ck_bad("imaps://me@b\xff"
	       "cher.example",
	       "imaps://USER@HOST", NULL);
}
END_TEST

START_TEST(refuses_bad_percent_encoding)
{
	ck_bad("imaps://me%zz@host", "user name", NULL);
	ck_bad("imaps://me%FF@host", "user name", NULL);
}
END_TEST

START_TEST(error_is_truncated_to_buffer)
{
	struct url u;
	char err[8];

	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(url_parse("http://me@host", &u, err, sizeof(err)), -EINVAL);
	ck_assert_uint_eq(strlen(err), sizeof(err) - 1);
	ck_assert_int_eq(url_parse("http://me@host", &u, NULL, 0), -EINVAL);
}
END_TEST

START_TEST(clear_is_idempotent)
{
	struct url u;
	char err[128];

	ck_assert_int_eq(url_parse("imaps://me@host", &u, err, sizeof(err)), 0);
	url_clear(&u);
	url_clear(&u);
	url_clear(NULL);
}
END_TEST

static Suite *url_suite(void)
{
	Suite *s = suite_create("url");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, accepts_imaps_with_default_port);
	tcase_add_test(tc, accepts_imap_with_default_port);
	tcase_add_test(tc, accepts_explicit_port);
	tcase_add_test(tc, accepts_scheme_in_any_case);
	tcase_add_test(tc, decodes_percent_encoded_user);
	tcase_add_test(tc, accepts_ip_addresses);
	tcase_add_test(tc, converts_idn_host_to_ascii);
	tcase_add_test(tc, refuses_other_schemes);
	tcase_add_test(tc, refuses_non_urls);
	tcase_add_test(tc, refuses_missing_user);
	tcase_add_test(tc, refuses_missing_host);
	tcase_add_test(tc, refuses_password_without_echoing_it);
	tcase_add_test(tc, refuses_auth_parameters);
	tcase_add_test(tc, refuses_unencoded_at_in_user);
	tcase_add_test(tc, refuses_bad_ports);
	tcase_add_test(tc, refuses_path_query_fragment);
	tcase_add_test(tc, refuses_control_characters);
	tcase_add_test(tc, refuses_bad_hosts);
	tcase_add_test(tc, refuses_bad_percent_encoding);
	tcase_add_test(tc, error_is_truncated_to_buffer);
	tcase_add_test(tc, clear_is_idempotent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(url_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

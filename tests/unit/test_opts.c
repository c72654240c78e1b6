/* Unit tests of the command line (SPEC §1): src/opts.c with url.c. */
#include <check.h>
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/opts.h"

struct parsed {
	struct opts o;
	struct fuse_args fargs;
	char err[256];
	int ret;
};

static void parse(struct parsed *p, const char *const *argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	memset(p, 0, sizeof(*p));
	p->ret = opts_parse(argc, (char **)argv, &p->o, &p->fargs, p->err, sizeof(p->err));
}

static void release(struct parsed *p)
{
	fuse_opt_free_args(&p->fargs);
	opts_clear(&p->o);
}

static bool fargs_has(const struct parsed *p, const char *needle)
{
	for (int i = 0; i < p->fargs.argc; i++)
		if (strstr(p->fargs.argv[i], needle))
			return true;
	return false;
}

START_TEST(test_minimal_defaults)
{
	const char *argv[] = {"imapfs", "imaps://me@mail.example.org", "/mnt", NULL};
	struct parsed p;

	parse(&p, argv);
	ck_assert_int_eq(p.ret, OPTS_OK);
	ck_assert_str_eq(p.o.server, "imaps://me@mail.example.org");
	ck_assert_str_eq(p.o.mountpoint, "/mnt");
	ck_assert(p.o.url.implicit_tls);
	ck_assert_str_eq(p.o.url.user, "me");
	ck_assert_str_eq(p.o.url.host, "mail.example.org");
	ck_assert_str_eq(p.o.url.port, "993");
	ck_assert(!p.o.foreground);
	ck_assert(!p.o.debug);
	ck_assert_uint_eq(p.o.timeout_s, 30);
	ck_assert_uint_eq(p.o.connections, 4);
	ck_assert_uint_eq(p.o.watch, 2);
	ck_assert_ptr_null(p.o.cafile);
	ck_assert_ptr_null(p.o.password_command);
	release(&p);
}
END_TEST

START_TEST(test_o_list_and_flags)
{
	const char *argv[] = {"imapfs",
			      "-o",
			      "cafile=/etc/ca.pem,timeout=5,allow_other",
			      "-f",
			      "imap://me%40example.org@[::1]:1143",
			      "/mnt/mail",
			      "-o",
			      "password_command=pass show mail,connections=8,watch=0",
			      NULL};
	struct parsed p;

	parse(&p, argv);
	ck_assert_int_eq(p.ret, OPTS_OK);
	ck_assert(p.o.foreground);
	ck_assert(!p.o.url.implicit_tls);
	ck_assert_str_eq(p.o.url.user, "me@example.org");
	ck_assert_str_eq(p.o.url.host, "::1");
	ck_assert_str_eq(p.o.url.port, "1143");
	ck_assert_str_eq(p.o.cafile, "/etc/ca.pem");
	ck_assert_str_eq(p.o.password_command, "pass show mail");
	ck_assert_uint_eq(p.o.timeout_s, 5);
	ck_assert_uint_eq(p.o.connections, 8);
	ck_assert_uint_eq(p.o.watch, 0);
	/* Unknown -o options are FUSE's; ours are consumed. */
	ck_assert(fargs_has(&p, "allow_other"));
	ck_assert(!fargs_has(&p, "cafile"));
	ck_assert(!fargs_has(&p, "timeout"));
	release(&p);
}
END_TEST

START_TEST(test_debug_implies_foreground)
{
	const char *argv[] = {"imapfs", "-d", "imaps://u@h", "/m", NULL};
	struct parsed p;

	parse(&p, argv);
	ck_assert_int_eq(p.ret, OPTS_OK);
	ck_assert(p.o.debug);
	ck_assert(p.o.foreground);
	/* -d is ours: libfuse's request dump is not what SPEC's -d means. */
	ck_assert(!fargs_has(&p, "-d"));
	release(&p);
}
END_TEST

START_TEST(test_help_and_version)
{
	const char *h[] = {"imapfs", "--help", NULL};
	const char *v[] = {"imapfs", "-V", NULL};
	struct parsed p;

	parse(&p, h);
	ck_assert_int_eq(p.ret, OPTS_EXIT);
	ck_assert(p.o.show_help);
	release(&p);
	parse(&p, v);
	ck_assert_int_eq(p.ret, OPTS_EXIT);
	ck_assert(p.o.show_version);
	release(&p);
}
END_TEST

/* Each refused command line, and a word its message must contain. */
static const struct {
	const char *argv[8];
	const char *msg;
} refused[] = {
	{{"imapfs", NULL}, "missing"},
	{{"imapfs", "imaps://u@h", NULL}, "MOUNTPOINT"},
	{{"imapfs", "imaps://u@h", "/m", "extra", NULL}, "unexpected"},
	{{"imapfs", "-o", "password=secret", "imaps://u@h", "/m", NULL}, "password"},
	{{"imapfs", "-o", "timeout=0", "imaps://u@h", "/m", NULL}, "timeout"},
	{{"imapfs", "-o", "timeout=5s", "imaps://u@h", "/m", NULL}, "timeout"},
	{{"imapfs", "-o", "timeout=-1", "imaps://u@h", "/m", NULL}, "timeout"},
	{{"imapfs", "-o", "connections=33", "imaps://u@h", "/m", NULL}, "connections"},
	{{"imapfs", "-o", "connections=", "imaps://u@h", "/m", NULL}, "connections"},
	{{"imapfs", "-o", "watch=9", "imaps://u@h", "/m", NULL}, "watch must be"},
	{{"imapfs", "-o", "watch=x", "imaps://u@h", "/m", NULL}, "watch must be"},
	{{"imapfs", "-o", "parts=shown", "imaps://u@h", "/m", NULL}, "parts must be"},
	{{"imapfs", "-o", "parts=", "imaps://u@h", "/m", NULL}, "parts must be"},
	{{"imapfs", "-o", "oauth_command=x", "imaps://u@h", "/m", NULL}, "not supported yet"},
	{{"imapfs", "-o", "cache_dir=rel/dir", "imaps://u@h", "/m", NULL}, "absolute"},
	{{"imapfs", "-o", "cache_size=10X", "imaps://u@h", "/m", NULL}, "cache_size"},
	{{"imapfs", "-o", "cache_size=512K", "imaps://u@h", "/m", NULL}, "cache_size"},
	{{"imapfs", "-o", "cache_size=2048G", "imaps://u@h", "/m", NULL}, "cache_size"},
	{{"imapfs", "--frobnicate", "imaps://u@h", "/m", NULL}, "unknown option"},
	{{"imapfs", "http://u@h", "/m", NULL}, "http"},
	{{"imapfs", "imaps://h", "/m", NULL}, ""},
};

START_TEST(test_refused)
{
	struct parsed p;

	parse(&p, refused[_i].argv);
	ck_assert_int_eq(p.ret, -EINVAL);
	ck_assert_msg(p.err[0] != '\0', "no message for case %d", _i);
	ck_assert_msg(strstr(p.err, refused[_i].msg), "case %d: '%s' lacks '%s'", _i, p.err,
		      refused[_i].msg);
	ck_assert_ptr_null(strchr(p.err, '\n'));
	release(&p);
}
END_TEST

START_TEST(test_cache_defaults)
{
	const char *argv[] = {"imapfs", "imaps://a%2F..%2Fb@h.example", "/m", NULL};
	const char *sized[] = {"imapfs", "-o", "cache_size=2G,cache_dir=/var/c", "imaps://u@h",
			       "/m", NULL};
	struct parsed p;

	setenv("HOME", "/home/u", 1);
	unsetenv("XDG_CACHE_HOME");
	parse(&p, argv);
	ck_assert_int_eq(p.ret, OPTS_OK);
	/* A '/' in USER never adds a path component. */
	ck_assert_str_eq(p.o.cache_dir, "/home/u/.cache/imapfs/a_.._b@h.example");
	ck_assert_uint_eq(p.o.cache_size, 1ull << 30);
	release(&p);

	setenv("XDG_CACHE_HOME", "/xdg", 1);
	parse(&p, argv);
	ck_assert_str_eq(p.o.cache_dir, "/xdg/imapfs/a_.._b@h.example");
	release(&p);
	setenv("XDG_CACHE_HOME", "relative", 1); /* ignored, as the XDG spec says */
	parse(&p, argv);
	ck_assert_str_eq(p.o.cache_dir, "/home/u/.cache/imapfs/a_.._b@h.example");
	release(&p);

	parse(&p, sized);
	ck_assert_int_eq(p.ret, OPTS_OK);
	ck_assert_str_eq(p.o.cache_dir, "/var/c");
	ck_assert_uint_eq(p.o.cache_size, 2ull << 30);
	release(&p);
}
END_TEST

START_TEST(test_parts_option)
{
	const char *dflt[] = {"imapfs", "imaps://u@h", "/m", NULL};
	const char *visible[] = {"imapfs", "-o", "parts=visible", "imaps://u@h", "/m", NULL};
	const char *hidden[] = {"imapfs", "-o", "parts=visible,parts=hidden", "imaps://u@h", "/m",
				NULL};
	struct parsed p;

	setenv("HOME", "/home/u", 1);
	parse(&p, dflt);
	ck_assert_int_eq(p.ret, OPTS_OK);
	ck_assert(!p.o.parts_visible);
	release(&p);
	parse(&p, visible);
	ck_assert_int_eq(p.ret, OPTS_OK);
	ck_assert(p.o.parts_visible);
	release(&p);
	/* The last one given wins, as for every option. */
	parse(&p, hidden);
	ck_assert_int_eq(p.ret, OPTS_OK);
	ck_assert(!p.o.parts_visible);
	release(&p);
}
END_TEST

START_TEST(test_parse_size)
{
	uint64_t v = 0;

	ck_assert_int_eq(opts_parse_size("1G", 0, UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, 1ull << 30);
	ck_assert_int_eq(opts_parse_size("300m", 0, UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, 300ull << 20);
	ck_assert_int_eq(opts_parse_size("4096", 0, UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(opts_parse_size("1GB", 0, UINT64_MAX, &v), -EINVAL);
	ck_assert_int_eq(opts_parse_size("G", 0, UINT64_MAX, &v), -EINVAL);
	ck_assert_int_eq(opts_parse_size("-1G", 0, UINT64_MAX, &v), -EINVAL);
	ck_assert_int_eq(opts_parse_size("99999999999999G", 0, UINT64_MAX, &v), -EINVAL);
}
END_TEST

START_TEST(test_parse_uint)
{
	unsigned v = 0;

	ck_assert_int_eq(opts_parse_uint("30", 1, 3600, &v), 0);
	ck_assert_uint_eq(v, 30);
	ck_assert_int_eq(opts_parse_uint("3600", 1, 3600, &v), 0);
	ck_assert_int_eq(opts_parse_uint("3601", 1, 3600, &v), -EINVAL);
	ck_assert_int_eq(opts_parse_uint("", 1, 3600, &v), -EINVAL);
	ck_assert_int_eq(opts_parse_uint(" 1", 1, 3600, &v), -EINVAL);
	ck_assert_int_eq(opts_parse_uint("+1", 1, 3600, &v), -EINVAL);
	ck_assert_int_eq(opts_parse_uint("99999999999999999999", 1, 3600, &v), -EINVAL);
	ck_assert_int_eq(opts_parse_uint(NULL, 1, 3600, &v), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("opts");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_minimal_defaults);
	tcase_add_test(tc, test_o_list_and_flags);
	tcase_add_test(tc, test_debug_implies_foreground);
	tcase_add_test(tc, test_help_and_version);
	tcase_add_loop_test(tc, test_refused, 0, sizeof(refused) / sizeof(refused[0]));
	tcase_add_test(tc, test_parse_uint);
	tcase_add_test(tc, test_cache_defaults);
	tcase_add_test(tc, test_parts_option);
	tcase_add_test(tc, test_parse_size);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Unit tests of the command line (SPEC §1) and of accounts (SPEC §6):
 * src/opts.c with url.c and config.c. */
#include <check.h>
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imapfs/log.h"
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
	ck_assert_ptr_null(p.o.oauth_command);
	release(&p);
}
END_TEST

START_TEST(test_oauth_command)
{
	const char *argv[] = {"imapfs",
			      "-o",
			      "oauth_command=oama access me@gmail.com",
			      "imaps://me%40gmail.com@imap.gmail.com",
			      "/m",
			      NULL};
	struct parsed p;

	parse(&p, argv);
	ck_assert_int_eq(p.ret, OPTS_OK);
	ck_assert_str_eq(p.o.oauth_command, "oama access me@gmail.com");
	ck_assert_ptr_null(p.o.password_command);
	ck_assert(!fargs_has(&p, "oauth_command"));
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

/* -o debug=LIST selects categories and nothing else; -o debug alone is -d,
 * as in every FUSE file system. */
START_TEST(test_debug_categories)
{
	const char *cats[] = {"imapfs", "-o", "debug=cache,fs", "imaps://u@h", "/m", NULL};
	const char *both[] = {"imapfs", "-d", "-o", "debug=net", "imaps://u@h", "/m", NULL};
	const char *bare[] = {"imapfs", "-o", "debug", "imaps://u@h", "/m", NULL};
	const char *mixed[] = {"imapfs", "-o", "ro,debug=net,cache,allow_other,fs", "imaps://u@h",
			       "/m", NULL};
	struct parsed p;

	parse(&p, cats);
	ck_assert_int_eq(p.ret, OPTS_OK);
	ck_assert_uint_eq(p.o.debug_cats, LOG_CACHE | LOG_FS);
	ck_assert(!p.o.debug);
	ck_assert(!p.o.foreground);
	ck_assert(!fargs_has(&p, "debug"));
	release(&p);
	parse(&p, both);
	ck_assert_int_eq(p.ret, OPTS_OK);
	ck_assert_uint_eq(p.o.debug_cats, LOG_NET);
	ck_assert(p.o.debug);
	ck_assert(p.o.foreground);
	release(&p);
	parse(&p, bare);
	ck_assert_int_eq(p.ret, OPTS_OK);
	ck_assert(p.o.debug);
	ck_assert(p.o.foreground);
	ck_assert(!fargs_has(&p, "debug"));
	release(&p);
	/* The list ends at the first option that is no category name: "fs"
	 * after allow_other goes to libfuse (which refuses it). */
	parse(&p, mixed);
	ck_assert_int_eq(p.ret, OPTS_OK);
	ck_assert_uint_eq(p.o.debug_cats, LOG_NET | LOG_CACHE);
	ck_assert(fargs_has(&p, "allow_other"));
	ck_assert(fargs_has(&p, "fs"));
	ck_assert(fargs_has(&p, "ro"));
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
	{{"imapfs", "-o", "oauth_command=x,password_command=y", "imaps://u@h", "/m", NULL},
	 "password_command and oauth_command exclude each other"},
	{{"imapfs", "-o", "oauth_command", "imaps://u@h", "/m", NULL}, "needs a value"},
	{{"imapfs", "-o", "timeout", "imaps://u@h", "/m", NULL}, "needs a value"},
	{{"imapfs", "-o", "cache_dir=rel/dir", "imaps://u@h", "/m", NULL}, "absolute"},
	{{"imapfs", "-o", "cache_size=10X", "imaps://u@h", "/m", NULL}, "cache_size"},
	{{"imapfs", "-o", "cache_size=512K", "imaps://u@h", "/m", NULL}, "cache_size"},
	{{"imapfs", "-o", "cache_size=2048G", "imaps://u@h", "/m", NULL}, "cache_size"},
	{{"imapfs", "-o", "debug=proto", "imaps://u@h", "/m", NULL},
	 "debug must be a comma-separated list of net, cache, fs, all, not 'proto'"},
	{{"imapfs", "-o", "debug=", "imaps://u@h", "/m", NULL}, "debug must be"},
	{{"imapfs", "-o", "debug=nett,fs", "imaps://u@h", "/m", NULL}, "not 'nett,fs'"},
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


/* mount(8)'s generic options reach us through mount.fuse3 or by hand:
 * those libfuse knows go to libfuse, the rest are dropped silently. */
START_TEST(test_mount_options)
{
	const char *argv[] = {"imapfs",
			      "imaps://u@h",
			      "/m",
			      "-o",
			      "rw,nosuid,nodev,noatime,noauto,user,users,nofail,_netdev,defaults,"
			      "x-systemd.automount,X-mount.mkdir,comment=systemd.x,nosymfollow,"
			      "password_command=pass show mail\\,now",
			      NULL};
	static const char *const kept[] = {"rw", "nosuid", "nodev", "noatime", NULL};
	static const char *const dropped[] = {"noauto", "user", "nofail", "_netdev", "defaults",
					      "x-systemd", "X-mount", "comment", "nosymfollow",
					      "password_command", NULL};
	struct parsed p;

	setenv("HOME", "/home/u", 1);
	parse(&p, argv);
	ck_assert_int_eq(p.ret, OPTS_OK);
	/* fuse_opt's escape: a comma in a value (fstab: "\\," too). */
	ck_assert_str_eq(p.o.password_command, "pass show mail,now");
	for (int i = 0; kept[i]; i++)
		ck_assert_msg(fargs_has(&p, kept[i]), "%s not passed to libfuse", kept[i]);
	for (int i = 0; dropped[i]; i++)
		ck_assert_msg(!fargs_has(&p, dropped[i]), "%s passed to libfuse", dropped[i]);
	release(&p);
}
END_TEST

/* ---- accounts (SPEC §6) ---- */

static char acct_dir[] = "/tmp/imapfs-test-opts-XXXXXX";
static char acct_file[sizeof(acct_dir) + 32];

static void account_setup(void)
{
	char sub[sizeof(acct_dir) + 16];

	strcpy(acct_dir, "/tmp/imapfs-test-opts-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(acct_dir));
	snprintf(sub, sizeof(sub), "%s/imapfs", acct_dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(acct_file, sizeof(acct_file), "%s/config", sub);
	setenv("XDG_CONFIG_HOME", acct_dir, 1);
	setenv("HOME", "/home/u", 1);
	unsetenv("XDG_CACHE_HOME");
}

static void account_teardown(void)
{
	char sub[sizeof(acct_dir) + 16];

	unlink(acct_file);
	snprintf(sub, sizeof(sub), "%s/imapfs", acct_dir);
	rmdir(sub);
	rmdir(acct_dir);
}

static void write_accounts(const char *text)
{
	FILE *f = fopen(acct_file, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	fclose(f);
}

static const char accounts[] = "# accounts\n"					      /* 1 */
			       "[home]\n"					      /* 2 */
			       "server = imaps://me@home.example\n"		      /* 3 */
			       "\n"						      /* 4 */
			       "[work]\n"					      /* 5 */
			       "server = imaps://me%40example.org@mail.example.org\n" /* 6 */
			       "mountpoint = ~/Mail/work\n"			      /* 7 */
			       "password_command = pass show mail/work\n"	      /* 8 */
			       "connections = 6\n"				      /* 9 */
			       "cache_dir = ~/.cache/work\n"			      /* 10 */
			       "parts = visible\n"				      /* 11 */
			       "debug = cache\n";				      /* 12 */

START_TEST(test_account_mounts_with_its_keys)
{
	const char *argv[] = {"imapfs", "work", NULL};
	struct parsed p;

	write_accounts(accounts);
	parse(&p, argv);
	ck_assert_msg(p.ret == OPTS_OK, "%s", p.err);
	ck_assert_str_eq(p.o.account, "work");
	ck_assert_str_eq(p.o.server, "imaps://me%40example.org@mail.example.org");
	ck_assert_str_eq(p.o.url.user, "me@example.org");
	ck_assert_str_eq(p.o.url.host, "mail.example.org");
	ck_assert_str_eq(p.o.mountpoint, "/home/u/Mail/work"); /* ~/ expanded */
	ck_assert_str_eq(p.o.password_command, "pass show mail/work");
	ck_assert_uint_eq(p.o.connections, 6);
	ck_assert_str_eq(p.o.cache_dir, "/home/u/.cache/work");
	ck_assert(p.o.parts_visible);
	ck_assert_uint_eq(p.o.debug_cats, LOG_CACHE);
	ck_assert(!p.o.foreground); /* the key selects categories only */
	ck_assert_uint_eq(p.o.timeout_s, 30); /* not in the file: the default */
	release(&p);
}
END_TEST

START_TEST(test_command_line_overrides_account)
{
	const char *argv[] = {"imapfs",	    "-o", "connections=8,parts=hidden", "work",
			      "/mnt/other", "-o", "password_command=cat /pw",	NULL};
	struct parsed p;

	/* The file's bad value is overridden, so it is never looked at. */
	write_accounts("[work]\nserver = imaps://u@h\nmountpoint = /m\nconnections = x\n");
	parse(&p, argv);
	ck_assert_msg(p.ret == OPTS_OK, "%s", p.err);
	ck_assert_str_eq(p.o.mountpoint, "/mnt/other");
	ck_assert_uint_eq(p.o.connections, 8);
	ck_assert_str_eq(p.o.password_command, "cat /pw");
	ck_assert(!p.o.parts_visible);
	release(&p);
}
END_TEST

START_TEST(test_account_without_mountpoint_takes_the_argument)
{
	const char *argv[] = {"imapfs", "home", "/mnt/home", NULL};
	const char *bare[] = {"imapfs", "home", NULL};
	struct parsed p;

	write_accounts(accounts);
	parse(&p, argv);
	ck_assert_msg(p.ret == OPTS_OK, "%s", p.err);
	ck_assert_str_eq(p.o.mountpoint, "/mnt/home");
	ck_assert_str_eq(p.o.url.host, "home.example");
	/* The default cache directory follows the account's server. */
	ck_assert_str_eq(p.o.cache_dir, "/home/u/.cache/imapfs/me@home.example");
	release(&p);
	parse(&p, bare);
	ck_assert_int_eq(p.ret, -EINVAL);
	ck_assert_ptr_nonnull(strstr(p.err, "missing MOUNTPOINT"));
	ck_assert_ptr_nonnull(strstr(p.err, "'home'"));
	release(&p);
}
END_TEST

/* Each refused accounts file, the account asked for, and the message that
 * must follow "FILE:" (with %s standing for nothing: the line is given). */
static const struct {
	const char *text;
	const char *account;
	const char *msg;
} refused_accounts[] = {
	{"[work]\nserver = imaps://u@h\nmountpoint = /m\n\nconections = 6\n", "work",
	 ":5: unknown key 'conections' in account 'work' (keys: server, mountpoint, "
	 "password_command, oauth_command, cafile, timeout, connections, watch, cache_dir, "
	 "cache_size, parts, debug)"},
	{"[work]\nserver = imaps://u@h\nmountpoint = /m\ndebug = imap\n", "work",
	 ":4: debug must be a comma-separated list of net, cache, fs, all, not 'imap'"},
	{"[work]\nserver = imaps://u@h\nmountpoint = /m\nconnections = x\n", "work",
	 ":4: connections must be a number from 1 to 32, not 'x'"},
	{"[work]\nserver = imaps://u@h\nmountpoint = /m\ntimeout = 0\n", "work",
	 ":4: timeout must be a number of seconds from 1 to 3600, not '0'"},
	{"[work]\nserver = imaps://u@h\nmountpoint = /m\ncache_dir = rel\n", "work",
	 ":4: cache_dir must be an absolute path, not 'rel'"},
	{"[work]\nserver = imaps://u@h\nmountpoint = Mail\n", "work",
	 ":3: mountpoint must be an absolute path or start with ~/, not 'Mail'"},
	{"[work]\nserver = imaps://u@h\npassword = secret\nmountpoint = /m\n", "work",
	 ":3: a password is never accepted in the accounts file; use password_command = CMD"},
	{"[work]\nserver = imaps://u@h\nmountpoint = /m\noauth_command = x\n"
	 "password_command = y\n",
	 "work", ":5: password_command and oauth_command exclude each other"},
	{"[work]\nserver = imaps://u@h\nforeground = true\n", "work", ":3: unknown key 'foreground'"},
	{"[home]\nserver = imaps://u@h\n[work]\nserver = imaps://u@h\n", "play",
	 ": no account 'play'; the accounts there are: home, work"},
	{"[work]\nserver = imaps://u@h\nmountpoint = /m\nthis is not a key\n", "work",
	 ":4: Key file contains line"},
	{"\n[work]\nmountpoint = /m\n", "work",
	 ":2: account 'work' has no server key (server = imaps://USER@HOST)"},
	{"[work]\nserver = http://u@h\nmountpoint = /m\n", "work", ":2: unsupported scheme 'http'"},
};

START_TEST(test_account_refused)
{
	const char *argv[] = {"imapfs", refused_accounts[_i].account, NULL};
	char want[512];
	struct parsed p;

	write_accounts(refused_accounts[_i].text);
	parse(&p, argv);
	ck_assert_int_eq(p.ret, -EINVAL);
	snprintf(want, sizeof(want), "%s%s", acct_file, refused_accounts[_i].msg);
	ck_assert_msg(strncmp(p.err, want, strlen(want)) == 0, "case %d: '%s' does not start '%s'",
		      _i, p.err, want);
	ck_assert_ptr_null(strchr(p.err, '\n'));
	release(&p);
}
END_TEST

START_TEST(test_no_accounts_file)
{
	const char *argv[] = {"imapfs", "work", "/m", NULL};
	struct parsed p;

	parse(&p, argv);
	ck_assert_int_eq(p.ret, -EINVAL);
	ck_assert_ptr_nonnull(strstr(p.err, "'work' is no imaps:// or imap:// URL"));
	ck_assert_ptr_nonnull(strstr(p.err, acct_file));
	release(&p);
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
	tcase_add_test(tc, test_oauth_command);
	tcase_add_test(tc, test_debug_implies_foreground);
	tcase_add_test(tc, test_debug_categories);
	tcase_add_test(tc, test_help_and_version);
	tcase_add_loop_test(tc, test_refused, 0, sizeof(refused) / sizeof(refused[0]));
	tcase_add_test(tc, test_parse_uint);
	tcase_add_test(tc, test_cache_defaults);
	tcase_add_test(tc, test_parts_option);
	tcase_add_test(tc, test_parse_size);
	tcase_add_test(tc, test_mount_options);
	suite_add_tcase(s, tc);
	tc = tcase_create("accounts");
	tcase_add_checked_fixture(tc, account_setup, account_teardown);
	tcase_add_test(tc, test_account_mounts_with_its_keys);
	tcase_add_test(tc, test_command_line_overrides_account);
	tcase_add_test(tc, test_account_without_mountpoint_takes_the_argument);
	tcase_add_loop_test(tc, test_account_refused, 0,
			    sizeof(refused_accounts) / sizeof(refused_accounts[0]));
	tcase_add_test(tc, test_no_accounts_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

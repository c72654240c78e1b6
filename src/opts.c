/* opts: the command line of SPEC §1, parsed with libfuse's fuse_opt so that
 * "-o a=b,c" lists, mount.fuse3 argument orders and pass-through of FUSE's
 * own options all behave as in every other FUSE filesystem; and the
 * accounts file of SPEC §6 (read by config.c), whose keys are our -o
 * options: one table, opts_keys, serves both. */
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/config.h"
#include "imapfs/log.h"
#include "imapfs/opts.h"
#include "imapfs/xdg.h"

enum {
	KEY_HELP,
	KEY_VERSION,
	KEY_FOREGROUND,
	KEY_DEBUG,
};

#define OPTS_CACHE_MIN (1ull << 20)
#define OPTS_CACHE_MAX (1ull << 40)
#define OPTS_MSGLEN 512

static int opts_set_string(char **field, const char *v)
{
	char *copy = strdup(v);

	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

static int opts_set_password_command(struct opts *o, const char *v, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return opts_set_string(&o->password_command, v);
}

static int opts_set_oauth_command(struct opts *o, const char *v, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return opts_set_string(&o->oauth_command, v);
}

static int opts_set_cafile(struct opts *o, const char *v, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return opts_set_string(&o->cafile, v);
}

static int opts_set_timeout(struct opts *o, const char *v, char *err, size_t errlen)
{
	if (opts_parse_uint(v, 1, 3600, &o->timeout_s) == 0)
		return 0;
	snprintf(err, errlen, "timeout must be a number of seconds from 1 to 3600, not '%s'", v);
	return -EINVAL;
}

static int opts_set_connections(struct opts *o, const char *v, char *err, size_t errlen)
{
	if (opts_parse_uint(v, 1, 32, &o->connections) == 0)
		return 0;
	snprintf(err, errlen, "connections must be a number from 1 to 32, not '%s'", v);
	return -EINVAL;
}

static int opts_set_watch(struct opts *o, const char *v, char *err, size_t errlen)
{
	if (opts_parse_uint(v, 0, 8, &o->watch) == 0)
		return 0;
	snprintf(err, errlen, "watch must be a number from 0 to 8, not '%s'", v);
	return -EINVAL;
}

static int opts_set_cache_dir(struct opts *o, const char *v, char *err, size_t errlen)
{
	if (v[0] == '/')
		return opts_set_string(&o->cache_dir, v);
	snprintf(err, errlen, "cache_dir must be an absolute path, not '%s'", v);
	return -EINVAL;
}

static int opts_set_cache_size(struct opts *o, const char *v, char *err, size_t errlen)
{
	if (opts_parse_size(v, OPTS_CACHE_MIN, OPTS_CACHE_MAX, &o->cache_size) == 0)
		return 0;
	snprintf(err, errlen, "cache_size must be a size from 1M to 1024G, not '%s'", v);
	return -EINVAL;
}

static int opts_set_parts(struct opts *o, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "hidden") != 0 && strcmp(v, "visible") != 0) {
		snprintf(err, errlen, "parts must be 'hidden' or 'visible', not '%s'", v);
		return -EINVAL;
	}
	o->parts_visible = strcmp(v, "visible") == 0;
	return 0;
}

static int opts_set_debug(struct opts *o, const char *v, char *err, size_t errlen)
{
	if (log_cats_parse(v, &o->debug_cats) == 0)
		return 0;
	snprintf(err, errlen, "debug must be a comma-separated list of %s, not '%s'",
		 log_cats_names, v);
	return -EINVAL;
}

enum opts_key_kind {
	OPTS_VALUE,    /* ours: checked and stored by apply */
	OPTS_PASSWORD, /* refused: a password is never accepted as an option */
	OPTS_LATER,    /* an option of SPEC §6 that a later version implements */
};

/* Our options: each is "-o NAME=VALUE" and "NAME = VALUE" in an account of
 * the accounts file, so a new option belongs here and nowhere else. */
struct opts_key {
	const char *name;
	enum opts_key_kind kind;
	bool path; /* in the accounts file, a leading "~/" is the home directory */
	int (*apply)(struct opts *o, const char *v, char *err, size_t errlen);
};

static const struct opts_key opts_keys[] = {
	{"password_command", OPTS_VALUE, false, opts_set_password_command},
	{"oauth_command", OPTS_VALUE, false, opts_set_oauth_command},
	{"cafile", OPTS_VALUE, true, opts_set_cafile},
	{"timeout", OPTS_VALUE, false, opts_set_timeout},
	{"connections", OPTS_VALUE, false, opts_set_connections},
	{"watch", OPTS_VALUE, false, opts_set_watch},
	{"cache_dir", OPTS_VALUE, true, opts_set_cache_dir},
	{"cache_size", OPTS_VALUE, false, opts_set_cache_size},
	{"parts", OPTS_VALUE, false, opts_set_parts},
	{"debug", OPTS_VALUE, false, opts_set_debug},
	{"password", OPTS_PASSWORD, false, NULL},
	{"pass", OPTS_PASSWORD, false, NULL},
};

#define OPTS_NKEYS (sizeof(opts_keys) / sizeof(opts_keys[0]))

/* Generic mount(8) options that mean nothing to imapfs and that libfuse
 * would refuse as unknown: dropped without a word.  mount(8) strips most of
 * them before it runs mount.fuse3 but passes mand, iversion, silent and
 * nosymfollow on; the others arrive when imapfs (or mount.fuse3) is run by
 * hand with an fstab line's options.  (libfuse itself takes ro, rw, [no]suid, [no]dev,
 * [no]exec, [no]atime, [no]diratime, relatime, strictatime, lazytime,
 * sync, async and dirsync.) */
static const char *const opts_mount_ignored[] = {
	"auto", "noauto", "user", "nouser", "users", "owner", "group", "nofail", "_netdev",
	"defaults", "mand", "nomand", "iversion", "noiversion", "silent", "loud", "nosymfollow",
	NULL,
};
static const char *const opts_mount_ignored_prefix[] = {
	"x-", "X-", "comment=", "helper=", "uhelper=", NULL,
};

/* fuse_opt_parse hands the same pointer to opts_proc, so struct opts comes
 * first. */
struct opts_parse_state {
	struct opts o;
	char *val[OPTS_NKEYS];	   /* the value given last, NULL when none */
	unsigned line[OPTS_NKEYS]; /* its line in the accounts file; 0: command line */
	char *config;		   /* the accounts file's path, once read */
	unsigned server_line;	   /* of the account's server key */
	int nonopts;
	bool debug_open; /* the last option was debug=...: see opts_option */
	char *err;
	size_t errlen;
	int failed;
};

static const struct fuse_opt opts_spec[] = {
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("-f", KEY_FOREGROUND),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("debug", KEY_DEBUG),
	FUSE_OPT_END,
};

static int opts_fail(struct opts_parse_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int opts_fail(struct opts_parse_state *st, const char *fmt, ...)
{
	va_list ap;

	if (!st->failed) {
		va_start(ap, fmt);
		vsnprintf(st->err, st->errlen, fmt, ap);
		va_end(ap);
	}
	st->failed = 1;
	return -1;
}

static const struct opts_key *opts_key_find(const char *name, size_t len)
{
	for (size_t i = 0; i < OPTS_NKEYS; i++)
		if (strlen(opts_keys[i].name) == len && strncmp(opts_keys[i].name, name, len) == 0)
			return &opts_keys[i];
	return NULL;
}

static bool opts_is_mount_ignored(const char *arg)
{
	for (size_t i = 0; opts_mount_ignored[i]; i++)
		if (strcmp(arg, opts_mount_ignored[i]) == 0)
			return true;
	for (size_t i = 0; opts_mount_ignored_prefix[i]; i++)
		if (strncmp(arg, opts_mount_ignored_prefix[i],
			    strlen(opts_mount_ignored_prefix[i])) == 0)
			return true;
	return false;
}

/* One option of a -o list: ours (kept for opts_apply_keys), one of
 * mount(8)'s that means nothing here (dropped), or FUSE's (returns 1: kept
 * for libfuse, which refuses what it does not know either). */
static int opts_option(struct opts_parse_state *st, const char *arg)
{
	const char *eq = strchr(arg, '=');
	const struct opts_key *k = opts_key_find(arg, eq ? (size_t)(eq - arg) : strlen(arg));
	unsigned cats;
	size_t i;

	/* fuse_opt splits "-o debug=net,cache" at the comma: category names
	 * right after a debug=... continue its list (none of them is an
	 * option of FUSE or mount(8)). */
	if (st->debug_open && !eq && log_cats_parse(arg, &cats) == 0) {
		char **v = &st->val[opts_key_find("debug", 5) - opts_keys];
		char *joined;

		if (asprintf(&joined, "%s,%s", *v, arg) < 0)
			return -1;
		free(*v);
		*v = joined;
		return 0;
	}
	st->debug_open = false;
	if (!k)
		return opts_is_mount_ignored(arg) ? 0 : 1;
	switch (k->kind) {
	case OPTS_PASSWORD:
		return opts_fail(st,
				 "a password is never accepted as a mount option (-o %s=...); "
				 "use -o password_command=CMD or IMAPFS_PASSWORD",
				 k->name);
	case OPTS_LATER:
		return opts_fail(st, "option '%s' is not supported yet", k->name);
	case OPTS_VALUE:
		break;
	}
	if (!eq)
		return opts_fail(st, "option '%s' needs a value: -o %s=...", k->name, k->name);
	i = (size_t)(k - opts_keys);
	st->line[i] = 0;
	st->debug_open = k->apply == opts_set_debug;
	return opts_set_string(&st->val[i], eq + 1) < 0 ? -1 : 0;
}

static int opts_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct opts_parse_state *st = data;
	(void)outargs;

	switch (key) {
	case KEY_HELP:
		st->o.show_help = true;
		return 0;
	case KEY_VERSION:
		st->o.show_version = true;
		return 0;
	case KEY_DEBUG:
		st->o.debug = true;
		/* -d implies -f */
		__attribute__((fallthrough));
	case KEY_FOREGROUND:
		st->o.foreground = true;
		return 0;
	case FUSE_OPT_KEY_NONOPT:
		st->nonopts++;
		if (st->nonopts == 1)
			return opts_set_string(&st->o.server, arg) < 0 ? -1 : 0;
		if (st->nonopts == 2)
			return opts_set_string(&st->o.mountpoint, arg) < 0 ? -1 : 0;
		return opts_fail(st, "unexpected argument '%s'", arg);
	default:
		if (arg[0] == '-' && arg[1] != 'o')
			return opts_fail(st, "unknown option '%s'", arg);
		return opts_option(st, arg);
	}
}

int opts_parse_uint(const char *s, unsigned min, unsigned max, unsigned *v_r)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*v_r = (unsigned)v;
	return 0;
}

int opts_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *v_r)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (shift && end[1] != '\0')
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -EINVAL;
	v <<= shift;
	if (v < min || v > max)
		return -EINVAL;
	*v_r = v;
	return 0;
}

/* SERVER names an account (SPEC §6) when it is not a URL. */
static bool opts_is_account(const char *server)
{
	return server[0] != '\0' && !strstr(server, "://");
}

/* "a, b, c": the keys an account may have, for the unknown-key message. */
static void opts_key_names(char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "server, mountpoint");

	for (size_t i = 0; i < OPTS_NKEYS && n < len; i++)
		if (opts_keys[i].kind == OPTS_VALUE)
			n += (size_t)snprintf(buf + n, len - n, ", %s", opts_keys[i].name);
}

/* The mountpoint key: absolute, or "~/..." (the home directory). */
static int opts_account_mountpoint(struct opts_parse_state *st, const struct config_entry *e)
{
	char *path = NULL;

	if (xdg_expand_tilde(e->value, &path) < 0 || path[0] != '/') {
		free(path);
		return opts_fail(st,
				 "%s:%u: mountpoint must be an absolute path or start with ~/, "
				 "not '%s'",
				 st->config, e->line, e->value);
	}
	free(st->o.mountpoint);
	st->o.mountpoint = path;
	return 0;
}

/* One key of the account; what the command line gave wins. */
static int opts_account_key(struct opts_parse_state *st, const char *account,
			    const struct config_entry *e, char **server_r)
{
	const struct opts_key *k = opts_key_find(e->key, strlen(e->key));
	char names[OPTS_MSGLEN];
	size_t i;

	if (strcmp(e->key, "server") == 0) {
		st->server_line = e->line;
		return opts_set_string(server_r, e->value) < 0 ? -1 : 0;
	}
	if (strcmp(e->key, "mountpoint") == 0)
		return st->o.mountpoint ? 0 : opts_account_mountpoint(st, e);
	if (!k) {
		opts_key_names(names, sizeof(names));
		return opts_fail(st, "%s:%u: unknown key '%s' in account '%s' (keys: %s)",
				 st->config, e->line, e->key, account, names);
	}
	if (k->kind == OPTS_PASSWORD)
		return opts_fail(st,
				 "%s:%u: a password is never accepted in the accounts file; "
				 "use password_command = CMD",
				 st->config, e->line);
	if (k->kind == OPTS_LATER)
		return opts_fail(st, "%s:%u: key '%s' is not supported yet", st->config, e->line,
				 e->key);
	i = (size_t)(k - opts_keys);
	if (st->val[i])
		return 0;
	st->line[i] = e->line;
	if (!k->path)
		return opts_set_string(&st->val[i], e->value) < 0 ? -1 : 0;
	if (xdg_expand_tilde(e->value, &st->val[i]) < 0)
		return opts_fail(st, "%s:%u: no home directory for '%s'", st->config, e->line,
				 e->value);
	return 0;
}

/* Merges account o.server of the accounts file into st: its server
 * replaces the name (kept in o.account), its other keys count where the
 * command line gave nothing. */
static int opts_read_account(struct opts_parse_state *st)
{
	struct config_account a = {0};
	char *server = NULL;
	int ret;

	if (config_path(&st->config) < 0)
		return opts_fail(st,
				 "no accounts file for '%s' without a home directory: set HOME, "
				 "or give SERVER as imaps://USER@HOST",
				 st->o.server);
	ret = config_read(st->config, st->o.server, &a, st->err, st->errlen);
	if (ret == -ENOENT)
		opts_fail(st,
			  "'%s' is no imaps:// or imap:// URL, and there is no accounts file %s",
			  st->o.server, st->config);
	else if (ret < 0)
		st->failed = 1; /* config_read said why */
	for (size_t i = 0; ret == 0 && i < a.n; i++)
		ret = opts_account_key(st, st->o.server, &a.entries[i], &server);
	if (ret == 0 && !server)
		ret = opts_fail(st,
				"%s:%u: account '%s' has no server key "
				"(server = imaps://USER@HOST)",
				st->config, a.line, st->o.server);
	if (ret == 0) {
		st->o.account = st->o.server;
		st->o.server = server;
		server = NULL;
	}
	free(server);
	config_account_clear(&a);
	return ret < 0 ? -1 : 0;
}

/* Checks and stores every option given, naming the accounts file's line
 * for a value that came from there. */
static int opts_apply_keys(struct opts_parse_state *st)
{
	char msg[OPTS_MSGLEN];

	for (size_t i = 0; i < OPTS_NKEYS; i++) {
		if (!st->val[i] || !opts_keys[i].apply)
			continue;
		if (opts_keys[i].apply(&st->o, st->val[i], msg, sizeof(msg)) == 0)
			continue;
		if (st->line[i])
			return opts_fail(st, "%s:%u: %s", st->config, st->line[i], msg);
		return opts_fail(st, "%s", msg);
	}
	return 0;
}

/* The default cache directory of SPEC §1, or -ENOENT when neither
 * $XDG_CACHE_HOME nor a home directory is an absolute path. */
static int opts_default_cache_dir(struct opts *o)
{
	char *base;
	char *leaf;
	int n;
	int ret;

	ret = xdg_base_dir("XDG_CACHE_HOME", ".cache", &base);
	if (ret < 0)
		return ret;
	if (asprintf(&leaf, "%s@%s", o->url.user, o->url.host) < 0) {
		free(base);
		return -ENOMEM;
	}
	/* USER may hold a percent-encoded '/': keep it one path component. */
	for (char *p = leaf; *p; p++)
		if (*p == '/')
			*p = '_';
	n = asprintf(&o->cache_dir, "%s/imapfs/%s", base, leaf);
	free(leaf);
	free(base);
	if (n < 0) {
		o->cache_dir = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The server URL, with the accounts file's line when it came from there. */
static int opts_parse_server(struct opts_parse_state *st)
{
	char msg[OPTS_MSGLEN];

	if (url_parse(st->o.server, &st->o.url, msg, sizeof(msg)) == 0)
		return 0;
	if (st->o.account)
		return opts_fail(st, "%s:%u: %s", st->config, st->server_line, msg);
	return opts_fail(st, "%s", msg);
}

/* A password and a token are two ways of logging in: which one was meant
 * cannot be guessed, so both is a usage error (wherever each came from). */
static int opts_check_credentials(struct opts_parse_state *st)
{
	static const char msg[] = "password_command and oauth_command exclude each other; "
				  "give only one";
	size_t pw = (size_t)(opts_key_find("password_command", 16) - opts_keys);
	size_t oa = (size_t)(opts_key_find("oauth_command", 13) - opts_keys);
	unsigned line = st->line[pw] > st->line[oa] ? st->line[pw] : st->line[oa];

	if (!st->o.password_command || !st->o.oauth_command)
		return 0;
	/* The accounts file's line when one of them came from there. */
	if (line)
		return opts_fail(st, "%s:%u: %s", st->config, line, msg);
	return opts_fail(st, "%s", msg);
}

static int opts_check_args(struct opts_parse_state *st)
{
	if (!st->o.server)
		return opts_fail(st, "missing SERVER and MOUNTPOINT; usage: imapfs [OPTIONS] "
				     "SERVER MOUNTPOINT (or ACCOUNT [MOUNTPOINT])");
	if (!st->o.mountpoint && st->o.account)
		return opts_fail(st,
				 "missing MOUNTPOINT: account '%s' in %s has no mountpoint key; "
				 "give one after the account's name",
				 st->o.account, st->config);
	if (!st->o.mountpoint)
		return opts_fail(st,
				 "missing MOUNTPOINT; usage: imapfs [OPTIONS] SERVER MOUNTPOINT");
	return 0;
}

int opts_parse(int argc, char **argv, struct opts *o, struct fuse_args *fargs, char *err,
	       size_t errlen)
{
	struct opts_parse_state st = {.err = err, .errlen = errlen};
	int ret = -EINVAL;

	st.o.timeout_s = 30;
	st.o.connections = 4;
	st.o.watch = 2;
	st.o.cache_size = 1ull << 30;
	err[0] = '\0';
	fargs->argc = argc;
	fargs->argv = argv;
	fargs->allocated = 0;
	if (fuse_opt_parse(fargs, &st, opts_spec, opts_proc) != 0)
		goto out;
	if (st.o.show_help || st.o.show_version) {
		ret = OPTS_EXIT;
		goto out;
	}
	if (st.o.server && opts_is_account(st.o.server) && opts_read_account(&st) < 0)
		goto out;
	if (opts_apply_keys(&st) < 0 || opts_check_credentials(&st) < 0 ||
	    opts_check_args(&st) < 0 || opts_parse_server(&st) < 0)
		goto out;
	if (!st.o.cache_dir && opts_default_cache_dir(&st.o) < 0) {
		opts_fail(&st, "no cache directory: set HOME or use -o cache_dir=DIR");
		goto out;
	}
	ret = OPTS_OK;
out:
	if (ret < 0 && !st.failed)
		opts_fail(&st, "cannot parse the command line");
	*o = st.o;
	for (size_t i = 0; i < OPTS_NKEYS; i++)
		free(st.val[i]);
	free(st.config);
	return ret;
}

void opts_clear(struct opts *o)
{
	url_clear(&o->url);
	free(o->account);
	free(o->server);
	free(o->mountpoint);
	free(o->password_command);
	free(o->oauth_command);
	free(o->cafile);
	free(o->cache_dir);
	memset(o, 0, sizeof(*o));
}

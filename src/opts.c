/* opts: the command line of SPEC §1, parsed with libfuse's fuse_opt so that
 * "-o a=b,c" lists, mount.fuse3 argument orders and pass-through of FUSE's
 * own options all behave as in every other FUSE filesystem. */
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/opts.h"

enum {
	KEY_HELP,
	KEY_VERSION,
	KEY_FOREGROUND,
	KEY_DEBUG,
	KEY_PASSWORD,
	KEY_LATER, /* an option of SPEC §1 that a later version implements */
	KEY_TIMEOUT,
	KEY_CONNECTIONS,
	KEY_WATCH,
	KEY_CACHE_SIZE,
	KEY_PARTS,
};

#define OPTS_CACHE_MIN (1ull << 20)
#define OPTS_CACHE_MAX (1ull << 40)

/* fuse_opt_parse hands the same pointer to the templates (as the base of
 * their offsets) and to opts_proc, so struct opts comes first. */
struct opts_parse_state {
	struct opts o;
	char *timeout;
	char *connections;
	char *watch;
	char *cache_size;
	char *parts;
	int nonopts;
	char *err;
	size_t errlen;
	int failed;
};

#define OPT_STR(t, field) {t, offsetof(struct opts, field), 0}

static const struct fuse_opt opts_spec[] = {
	OPT_STR("password_command=%s", password_command),
	OPT_STR("cafile=%s", cafile),
	FUSE_OPT_KEY("timeout=", KEY_TIMEOUT),
	FUSE_OPT_KEY("connections=", KEY_CONNECTIONS),
	FUSE_OPT_KEY("watch=", KEY_WATCH),
	FUSE_OPT_KEY("password=", KEY_PASSWORD),
	FUSE_OPT_KEY("pass=", KEY_PASSWORD),
	OPT_STR("cache_dir=%s", cache_dir),
	FUSE_OPT_KEY("cache_size=", KEY_CACHE_SIZE),
	FUSE_OPT_KEY("parts=", KEY_PARTS),
	FUSE_OPT_KEY("oauth_command=", KEY_LATER),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("-f", KEY_FOREGROUND),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("debug", KEY_DEBUG),
	FUSE_OPT_END,
};

static int opts_fail(struct opts_parse_state *st, const char *fmt, const char *arg)
{
	if (!st->failed)
		snprintf(st->err, st->errlen, fmt, arg);
	st->failed = 1;
	return -1;
}

static int opts_replace(char **field, const char *arg)
{
	char *v = strdup(arg);

	if (!v)
		return -1;
	free(*field);
	*field = v;
	return 0;
}

static int opts_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct opts_parse_state *st = data;
	const char *eq = strchr(arg, '=');
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
	case KEY_PASSWORD:
		return opts_fail(st,
				 "a password is never accepted as a mount option (%s); "
				 "use -o password_command=CMD or IMAPFS_PASSWORD",
				 "-o password=...");
	case KEY_LATER:
		return opts_fail(st, "option '%s' is not supported yet", arg);
	case KEY_TIMEOUT:
		return opts_replace(&st->timeout, eq + 1);
	case KEY_CONNECTIONS:
		return opts_replace(&st->connections, eq + 1);
	case KEY_WATCH:
		return opts_replace(&st->watch, eq + 1);
	case KEY_CACHE_SIZE:
		return opts_replace(&st->cache_size, eq + 1);
	case KEY_PARTS:
		return opts_replace(&st->parts, eq + 1);
	case FUSE_OPT_KEY_NONOPT:
		st->nonopts++;
		if (st->nonopts == 1)
			return opts_replace(&st->o.server, arg);
		if (st->nonopts == 2)
			return opts_replace(&st->o.mountpoint, arg);
		return opts_fail(st, "unexpected argument '%s'", arg);
	default:
		if (arg[0] == '-' && arg[1] != 'o')
			return opts_fail(st, "unknown option '%s'", arg);
		return 1; /* a FUSE option: keep it for libfuse */
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

/* The default cache directory of SPEC §1, or -ENOENT when neither
 * $XDG_CACHE_HOME nor $HOME is an absolute path. */
static int opts_default_cache_dir(struct opts *o)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char *leaf;
	int n;

	if (asprintf(&leaf, "%s@%s", o->url.user, o->url.host) < 0)
		return -ENOMEM;
	/* USER may hold a percent-encoded '/': keep it one path component. */
	for (char *p = leaf; *p; p++)
		if (*p == '/')
			*p = '_';
	if (xdg && xdg[0] == '/')
		n = asprintf(&o->cache_dir, "%s/imapfs/%s", xdg, leaf);
	else if (home && home[0] == '/')
		n = asprintf(&o->cache_dir, "%s/.cache/imapfs/%s", home, leaf);
	else
		n = -2;
	free(leaf);
	if (n < 0) {
		o->cache_dir = NULL;
		return n == -2 ? -ENOENT : -ENOMEM;
	}
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
	ret = fuse_opt_parse(fargs, &st, opts_spec, opts_proc);
	*o = st.o;
	st.o = (struct opts){0};
	if (ret != 0) {
		ret = -EINVAL;
		if (!st.failed)
			snprintf(err, errlen, "cannot parse the command line");
		goto out;
	}
	ret = -EINVAL;
	if (o->show_help || o->show_version) {
		ret = OPTS_EXIT;
		goto out;
	}
	if (st.timeout && opts_parse_uint(st.timeout, 1, 3600, &o->timeout_s) < 0) {
		snprintf(err, errlen, "timeout must be a number of seconds from 1 to 3600, not '%s'",
			 st.timeout);
		goto out;
	}
	if (st.connections && opts_parse_uint(st.connections, 1, 32, &o->connections) < 0) {
		snprintf(err, errlen, "connections must be a number from 1 to 32, not '%s'",
			 st.connections);
		goto out;
	}
	if (st.watch && opts_parse_uint(st.watch, 0, 8, &o->watch) < 0) {
		snprintf(err, errlen, "watch must be a number from 0 to 8, not '%s'", st.watch);
		goto out;
	}
	if (st.cache_size &&
	    opts_parse_size(st.cache_size, OPTS_CACHE_MIN, OPTS_CACHE_MAX, &o->cache_size) < 0) {
		snprintf(err, errlen, "cache_size must be a size from 1M to 1024G, not '%s'",
			 st.cache_size);
		goto out;
	}
	if (st.parts && strcmp(st.parts, "hidden") != 0 && strcmp(st.parts, "visible") != 0) {
		snprintf(err, errlen, "parts must be 'hidden' or 'visible', not '%s'", st.parts);
		goto out;
	}
	o->parts_visible = st.parts != NULL && strcmp(st.parts, "visible") == 0;
	if (o->cache_dir && o->cache_dir[0] != '/') {
		snprintf(err, errlen, "cache_dir must be an absolute path, not '%s'", o->cache_dir);
		goto out;
	}
	if (!o->server || !o->mountpoint) {
		snprintf(err, errlen, "missing %s; usage: imapfs [OPTIONS] SERVER MOUNTPOINT",
			 o->server ? "MOUNTPOINT" : "SERVER and MOUNTPOINT");
		goto out;
	}
	if (url_parse(o->server, &o->url, err, errlen) < 0)
		goto out;
	if (!o->cache_dir && opts_default_cache_dir(o) < 0) {
		snprintf(err, errlen, "no cache directory: set HOME or use -o cache_dir=DIR");
		goto out;
	}
	ret = OPTS_OK;
out:
	free(st.timeout);
	free(st.connections);
	free(st.watch);
	free(st.cache_size);
	free(st.parts);
	return ret;
}

void opts_clear(struct opts *o)
{
	url_clear(&o->url);
	free(o->server);
	free(o->mountpoint);
	free(o->password_command);
	free(o->cafile);
	free(o->cache_dir);
	memset(o, 0, sizeof(*o));
}

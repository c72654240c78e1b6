/* opts: the command line of SPEC §1 and the accounts file of SPEC §6.
 * Known options are consumed; unknown -o options are left in fargs for
 * libfuse, except generic mount(8) options that mean nothing to a FUSE file
 * system (noauto, user, _netdev, x-*, ...), which are dropped. */
#ifndef IMAPFS_OPTS_H
#define IMAPFS_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imapfs/url.h"

struct fuse_args;

struct opts {
	char *account; /* the account's name when SERVER named one, else NULL */
	char *server;  /* as given, or the account's server key */
	struct url url;
	char *mountpoint; /* as given, or the account's (with ~/ expanded) */
	bool foreground;  /* -f or -d */
	bool debug;       /* -d (or -o debug without a value) */
	/* -o debug=LIST (log_cats_parse): categories of debug lines for
	 * whatever the log goes to; -d adds all of them. */
	unsigned debug_cats;
	bool show_help;
	bool show_version;
	char *password_command;
	char *oauth_command; /* never together with password_command */
	char *cafile;
	unsigned timeout_s;   /* 30 */
	unsigned connections; /* 4 */
	unsigned watch;       /* 2: mailboxes watched with IDLE */
	/* Absolute; default $XDG_CACHE_HOME/imapfs/USER@HOST, with
	 * $XDG_CACHE_HOME defaulting to $HOME/.cache. */
	char *cache_dir;
	uint64_t cache_size; /* bytes; 1 GiB */
	bool parts_visible;  /* -o parts=visible; hidden by default */
};

enum {
	OPTS_OK = 0,
	OPTS_EXIT = 1, /* --help or --version was handled: exit 0 */
};

/* Parses argv.  Returns OPTS_OK, OPTS_EXIT, or -EINVAL with a one-line
 * usage error in err (exit status 2).  Options that later versions will
 * implement are refused with "option 'X' is not supported yet".
 *
 * A first argument that is not a URL (has no "://") names an account of
 * the accounts file (config_path): its server and mountpoint keys, and
 * each of our -o options as a key.  The command line wins over the file:
 * an -o option over its key, a MOUNTPOINT argument over its mountpoint.
 * An error about the file starts "FILE:LINE: " (an unknown key, a
 * password key, a bad value with the same message -o would give, a
 * missing server key, a file GKeyFile cannot parse) or "FILE: " (no such
 * account: the message lists those it has). */
int opts_parse(int argc, char **argv, struct opts *o, struct fuse_args *fargs, char *err,
	       size_t errlen);
void opts_clear(struct opts *o);
/* Parses a size "N", "NK", "NM" or "NG" (powers of 1024) into bytes in
 * [min, max]; -EINVAL otherwise. */
int opts_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *v_r);
/* Parses "N" in [min, max]; -EINVAL otherwise (unit-testable helper). */
int opts_parse_uint(const char *s, unsigned min, unsigned max, unsigned *v_r);

#endif

/* opts: the command line of SPEC §1.  Known options are consumed; unknown
 * -o options are left in fargs for libfuse. */
#ifndef IMAPFS_OPTS_H
#define IMAPFS_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "imapfs/url.h"

struct fuse_args;

struct opts {
	char *server; /* as given */
	struct url url;
	char *mountpoint; /* as given */
	bool foreground;  /* -f or -d */
	bool debug;       /* -d */
	bool show_help;
	bool show_version;
	char *password_command;
	char *cafile;
	unsigned timeout_s;   /* 30 */
	unsigned connections; /* 4 */
};

enum {
	OPTS_OK = 0,
	OPTS_EXIT = 1, /* --help or --version was handled: exit 0 */
};

/* Parses argv.  Returns OPTS_OK, OPTS_EXIT, or -EINVAL with a one-line
 * usage error in err (exit status 2).  Options that later versions will
 * implement are refused with "option 'X' is not supported yet". */
int opts_parse(int argc, char **argv, struct opts *o, struct fuse_args *fargs, char *err,
	       size_t errlen);
void opts_clear(struct opts *o);
/* Parses "N" in [min, max]; -EINVAL otherwise (unit-testable helper). */
int opts_parse_uint(const char *s, unsigned min, unsigned max, unsigned *v_r);

#endif

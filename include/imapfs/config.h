/* config: the accounts file of SPEC §6,
 * $XDG_CONFIG_HOME/imapfs/config (default ~/.config/imapfs/config), a GLib
 * key file with one group per account:
 *
 *     [work]
 *     server = imaps://me%40example.org@mail.example.org
 *     mountpoint = ~/Mail/work
 *     password_command = pass show mail/work
 *
 * This module only reads the file: it knows nothing of which keys are
 * valid (opts.c decides, from its table of options).  Every message it
 * writes is one line that starts with "FILE:" or "FILE:LINE:", because
 * GKeyFile itself reports no line numbers. */
#ifndef IMAPFS_CONFIG_H
#define IMAPFS_CONFIG_H

#include <stddef.h>

struct config_entry {
	char *key;
	char *value;   /* unescaped as GKeyFile does (\s \t \n \r \\) */
	unsigned line; /* 1-based; the last line that sets the key */
};

struct config_account {
	unsigned line;		      /* of the account's (last) [NAME] header */
	struct config_entry *entries; /* each key once, in the order of their lines */
	size_t n;
};

/* The accounts file's path, malloc'd in *path_r:
 * $XDG_CONFIG_HOME/imapfs/config when XDG_CONFIG_HOME is absolute, else
 * HOME/.config/imapfs/config (see xdg_home).  -ENOENT without a home. */
int config_path(char **path_r);

/* Reads account name from the key file at path into *a_r (release with
 * config_account_clear, also safe after an error).  Returns 0, or with a
 * one-line message in err:
 *   -ENOENT  the file does not exist;
 *   -ESRCH   it has no group [name] (the message lists the groups it has);
 *   -EINVAL  it is not a valid key file, holds a NUL byte, or a value of
 *            the account is not valid (bad escape, not UTF-8); the message
 *            names the line when one can be found;
 *   -EFBIG   it is larger than 1 MiB;
 *   another -errno when it cannot be read. */
int config_read(const char *path, const char *name, struct config_account *a_r, char *err,
		size_t errlen);
void config_account_clear(struct config_account *a);

/* The 1-based number of the last line of text (a key file) that sets key
 * in group [group], or with key NULL of the last [group] header; 0 when
 * there is none.  Lines are classified as GKeyFile does: leading white
 * space ignored, "#" comments, "[NAME]" headers, "KEY = VALUE" with white
 * space around KEY ignored.  (Unit-testable helper.) */
unsigned config_key_line(const char *text, const char *group, const char *key);

/* The 1-based number of the first line of text that GKeyFile cannot parse
 * (neither blank, comment, valid group header nor key-value pair, or a
 * key before any group), or 0 when every line looks right. */
unsigned config_bad_line(const char *text);

#endif

/* secret: where the password comes from (SPEC §1): password_command, then
 * $IMAPFS_PASSWORD (when not empty), then ~/.netrc, then a prompt when
 * stdin is a terminal.  Used at start-up, before threads exist (the prompt
 * briefly takes over SIGINT, SIGTSTP and friends).  No password is ever
 * put in an error message. */
#ifndef IMAPFS_SECRET_H
#define IMAPFS_SECRET_H

#include <stddef.h>

/* password_command may be NULL; when set it is the only source tried: it
 * runs as /bin/sh -c CMD with stdin from /dev/null and stderr inherited,
 * and the first line of its stdout (without CR/LF) is the password; a
 * non-zero exit, a signal, an empty first line or a NUL byte is an error.
 * The .netrc is in the home directory of xdg_home() ($HOME, unless that is
 * unset, relative or another user's: then the passwd entry's home).
 * The prompt "Password for USER@HOST: " goes to /dev/tty with echo off.
 * A password taken from $IMAPFS_PASSWORD is wiped from the environment
 * (its bytes overwritten, the variable removed).
 * On success *pw_r is a malloc'd password the caller releases with
 * secret_free().  Returns -ENOENT when no source yields one, or another
 * -errno (command failed, .netrc unreadable, malformed or not private,
 * prompt interrupted), always with a one-line reason in err. */
int secret_get_password(const char *password_command, const char *user, const char *host,
			char **pw_r, char *err, size_t errlen);

/* Looks HOST/USER up in the .netrc at path (unit-testable core).  Syntax of
 * netrc(5) as GNU inetutils reads it: white-space separated tokens, a token
 * may be double-quoted, a backslash takes the next character literally;
 * keywords machine, default, login, password, account and macdef (whose
 * body, up to an empty line, is skipped); '#' where a keyword is expected
 * starts a comment to the end of the line.  The first "machine HOST" entry
 * (host compared case-insensitively) whose login is USER or absent
 * decides; without one, the "default" entry under the same login rule.
 * Returns 0 with *pw_r set (free with secret_free), -ENOENT when there is
 * no file, no match or the match has no (or an empty) password (a path that is not a
 * regular file counts as no file), -EINVAL for a malformed file (unknown
 * keyword, keyword without its value, unterminated quote, login/password
 * outside an entry, NUL byte), -EFBIG above 1 MiB, -EPERM when the matched
 * password sits in a file that group or others may access or that another
 * user owns (as ftp(1) refuses it), other -errno when it cannot be read. */
int secret_netrc_lookup(const char *path, const char *host, const char *user, char **pw_r);

/* Wipes and frees; NULLs the pointer.  NULL is fine. */
void secret_free(char **pw);

#endif

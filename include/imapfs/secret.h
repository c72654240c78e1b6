/* secret: where the password comes from (SPEC §1): password_command, then
 * $IMAPFS_PASSWORD (when not empty), then ~/.netrc, then a prompt when
 * stdin is a terminal; used at start-up, before threads exist (the prompt
 * briefly takes over SIGINT, SIGTSTP and friends).  And the OAuth token of
 * oauth_command (SPEC §6), asked for again from any thread whenever a
 * connection is opened.  No password or token is ever put in an error
 * message. */
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

/* oauth_command (SPEC §6): an OAuth 2.0 access token, kept between logins
 * so that connections opened later reuse it until a server refuses it.
 * command runs as password_command does, its first line without
 * surrounding blanks is the token.  The first run has no deadline (it may
 * prompt, e.g. a pinentry unlocking the refresh token), later ones are
 * killed after timeout_ms (< 0: never).  Thread-safe. */
struct secret_token;
struct secret_token *secret_token_new(const char *command, int timeout_ms);
/* Wipes the kept token and frees; NULLs the pointer.  NULL is fine. */
void secret_token_free(struct secret_token **t);
/* *token_r: a malloc'd copy of the kept token (release with secret_free);
 * the command runs when none is kept yet, or when refused (not NULL) is
 * the kept token: a server refused it.  A refused token that is no longer
 * the kept one (another connection got a fresh one meanwhile) gets the
 * kept one, without a run: connections refused the same token at once
 * cost one run.  -errno with a one-line reason in err when the command
 * fails (as password_command; -ETIMEDOUT past the deadline); the kept
 * token then stays. */
int secret_token_get(struct secret_token *t, const char *refused, char **token_r, char *err,
		     size_t errlen);

/* Wipes and frees; NULLs the pointer.  NULL is fine. */
void secret_free(char **pw);

#endif

/* secret: where the password comes from (SPEC §1): password_command, then
 * $IMAPFS_PASSWORD, then ~/.netrc, then a prompt when stdin is a terminal. */
#ifndef IMAPFS_SECRET_H
#define IMAPFS_SECRET_H

#include <stddef.h>

/* password_command may be NULL.  On success *pw_r is a malloc'd password
 * the caller releases with secret_free().  Returns -ENOENT when no source
 * yields one, or another -errno (command failed, .netrc unreadable or not
 * private), with a one-line reason in err. */
int secret_get_password(const char *password_command, const char *user, const char *host,
			char **pw_r, char *err, size_t errlen);

/* Looks HOST/USER up in the .netrc at path (unit-testable core). Returns 0,
 * -ENOENT when there is no match, -EINVAL for a malformed file. */
int secret_netrc_lookup(const char *path, const char *host, const char *user, char **pw_r);

/* Wipes and frees; NULLs the pointer.  NULL is fine. */
void secret_free(char **pw);

#endif

/* mail_name: message file names of SPEC §2, from the raw header block that
 * imap_conn_fetch_meta returns.  Uses GMime for RFC 2047 and charsets;
 * no GMime type crosses this interface. */
#ifndef IMAPFS_MAIL_NAME_H
#define IMAPFS_MAIL_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Once per process, before threads start. */
void mail_init(void);
void mail_shutdown(void);

/* The Subject of a raw header block, RFC 2047-decoded to UTF-8 and then
 * sanitized by mail_name_sanitize (100 bytes).  Never NULL: "(no subject)"
 * when absent or empty.  Caller frees. */
char *mail_name_subject(const char *headers, size_t len);

/* The Message-ID of a raw header block (trimmed, with its angle brackets),
 * or NULL.  Caller frees. */
char *mail_name_message_id(const char *headers, size_t len);

/* Makes UTF-8 text safe as part of a file name: invalid UTF-8 sequences
 * become U+FFFD, control characters (C0, DEL, C1) are dropped, '/' becomes
 * '_', runs of white space fold to one space, leading and trailing space
 * are trimmed, and the result is cut to at most max_bytes on a character
 * boundary.  May return "" (caller decides the fallback).  Caller frees. */
char *mail_name_sanitize(const char *text, size_t max_bytes);

/* "YYYY-MM-DD SUBJECT [UID].eml", the date being internaldate in UTC.
 * Caller frees. */
char *mail_name_file(time_t internaldate, const char *subject, uint32_t uid);

/* True when name ends in " [UID].eml" with a decimal UID (no leading zero,
 * fits in 32 bits, not 0); sets *uid_r. */
bool mail_name_uid(const char *name, uint32_t *uid_r);

#endif

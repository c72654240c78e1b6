/* mail_name: message file names of SPEC §2, from the raw header block that
 * imap_conn_fetch_meta returns.  Uses GMime for RFC 2047 and charsets;
 * no GMime type crosses this interface.
 *
 * Thread safety: after mail_init(), every function here may be called from
 * any number of threads at once; each call works on objects of its own and
 * only reads what mail_init() set up.  Strings returned are released with
 * free(). */
#ifndef IMAPFS_MAIL_NAME_H
#define IMAPFS_MAIL_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Once per process, before threads start (and before any other mail_
 * function).  mail_shutdown() once at exit, after the threads are gone. */
void mail_init(void);
void mail_shutdown(void);

/* The first Subject of a raw header block (len bytes, need not be
 * NUL-terminated; may be empty or garbage), RFC 2047-decoded to UTF-8 and
 * then sanitized by mail_name_sanitize (100 bytes).  Unencoded 8-bit text
 * is read as UTF-8 if valid, else as windows-1252, else as ISO-8859-1; so
 * is an encoded word in a charset iconv does not know.  Never NULL:
 * "(no subject)" when absent or empty after sanitizing.  Caller frees. */
char *mail_name_subject(const char *headers, size_t len);

/* The first Message-ID of a raw header block, as "<id>" with comments and
 * folding white space removed, or NULL when absent, empty, or holding
 * white space, control characters or invalid UTF-8.  Caller frees. */
char *mail_name_message_id(const char *headers, size_t len);

/* Makes UTF-8 text safe as a file name or part of one: invalid UTF-8
 * sequences become U+FFFD; control characters (C0 except TAB, DEL, C1) and
 * the bidirectional embedding/override/isolate controls (U+202A..U+202E,
 * U+2066..U+2069, which could make a name display reordered) are dropped;
 * '/' becomes '_' and ':' becomes '-' (SPEC §2's own example shows
 * "Re: ..." as "Re- ...": ':' is what Windows shares, backup tools and
 * file managers choke on); runs of white space (TAB, Unicode spaces and
 * line separators) fold to one space; leading and trailing space are
 * trimmed; the result is cut to at most max_bytes on a character boundary
 * and trimmed again.  A result of "." or ".." becomes "".  May return ""
 * (caller decides the fallback).  Idempotent.  Caller frees. */
char *mail_name_sanitize(const char *text, size_t max_bytes);

/* "YYYY-MM-DD SUBJECT [UID].eml", the date being internaldate in UTC.
 * subject goes through mail_name_sanitize (100 bytes) again, so a name is
 * well-formed whatever the caller passes; NULL or empty gives
 * "(no subject)".  Caller frees. */
char *mail_name_file(time_t internaldate, const char *subject, uint32_t uid);

/* True when name ends in " [UID].eml" with a decimal UID (no leading zero,
 * fits in 32 bits, not 0); sets *uid_r. */
bool mail_name_uid(const char *name, uint32_t *uid_r);

#endif

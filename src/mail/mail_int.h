/* What the files of src/mail share; not for use outside it. */
#ifndef IMAPFS_MAIL_INT_H
#define IMAPFS_MAIL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <gmime/gmime.h>

/* The options mail_init built (read only). */
GMimeParserOptions *mail_parser_options(void);

/* The raw (still folded) value of the first header field called name in a
 * header block of len bytes, or NULL.  g_free()d. */
char *mail_header_raw(const char *headers, size_t len, const char *name);

/* A raw header value unfolded and RFC 2047-decoded to UTF-8 (8-bit text
 * read as UTF-8, else windows-1252, else ISO-8859-1).  g_free()d. */
char *mail_header_decode(const char *raw);

/* mail_name_sanitize without its file name rules when for_name is false:
 * '/' and ':' stay, and "." or ".." is kept. */
char *mail_text_clean(const char *text, size_t max_bytes, bool for_name);

#endif

/* imap_date: INTERNALDATE ("17-Jul-1996 02:44:25 -0700", day may be
 * space-padded) to time_t (UTC), and back. */
#ifndef IMAPFS_IMAP_DATE_H
#define IMAPFS_IMAP_DATE_H

#include <stddef.h>
#include <time.h>

/* s is the string without its quotes.  Returns 0, or -EINVAL for anything
 * not of that exact form (26 bytes; month names in any case) or out of
 * range (day past the month's end, hour > 23, zone beyond +-2359; a leap
 * second :60 counts as the next second).  *t_r is untouched on failure. */
int imap_date_parse(const char *s, time_t *t_r);

/* Bytes of an INTERNALDATE without its quotes, and a buffer for one. */
#define IMAP_DATE_LEN 26
#define IMAP_DATE_BUFSIZE (IMAP_DATE_LEN + 1)

/* t as "dd-Mon-yyyy hh:mm:ss +0000" (UTC, day two digits, no quotes) into
 * buf, NUL-terminated; imap_date_parse gives t back exactly.  -EINVAL
 * when len < IMAP_DATE_BUFSIZE or t is outside years 0000 to 9999. */
int imap_date_format(time_t t, char *buf, size_t len);

#endif

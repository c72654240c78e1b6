/* imap_date: INTERNALDATE ("17-Jul-1996 02:44:25 -0700", day may be
 * space-padded) to time_t (UTC). */
#ifndef IMAPFS_IMAP_DATE_H
#define IMAPFS_IMAP_DATE_H

#include <time.h>

/* s is the string without its quotes.  Returns 0, or -EINVAL for anything
 * not of that exact form (26 bytes; month names in any case) or out of
 * range (day past the month's end, hour > 23, zone beyond +-2359; a leap
 * second :60 counts as the next second).  *t_r is untouched on failure. */
int imap_date_parse(const char *s, time_t *t_r);

#endif

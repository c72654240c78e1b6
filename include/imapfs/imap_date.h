/* imap_date: INTERNALDATE ("17-Jul-1996 02:44:25 -0700", day may be
 * space-padded) to time_t (UTC). */
#ifndef IMAPFS_IMAP_DATE_H
#define IMAPFS_IMAP_DATE_H

#include <time.h>

/* Returns 0, or -EINVAL for anything not of that exact form or out of
 * range. */
int imap_date_parse(const char *s, time_t *t_r);

#endif

/* mail_check: whether bytes written into a mailbox are a message that may
 * be APPENDed (SPEC §4), and the CRLF form IMAP wants.  Pure functions: no
 * I/O, no state, any thread. */
#ifndef IMAPFS_MAIL_CHECK_H
#define IMAPFS_MAIL_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* True when data (len bytes) looks like an RFC 5322 message: not empty,
 * no NUL byte (an IMAP literal cannot carry one), and a header section
 * first — every line up to the first empty one (or the end) is a field
 * "Name: ..." (printable ASCII name, no ':' in it) or the continuation of
 * one — holding at least one of From, Sender, Date, Message-ID, Subject,
 * To, Cc, Received.  Otherwise false with a short static reason in
 * *why_r ("empty", "holds a NUL byte", "does not start with a header
 * field", ...).  Deliberately not stricter: drafts and old mail miss
 * fields RFC 5322 requires, and GMime would take anything at all. */
bool mail_check_message(const char *data, size_t len, const char **why_r);

/* data with every bare LF (not preceded by CR) made CRLF, as an IMAP
 * APPEND literal must be (RFC 3501 §6.3.11).  Returns NULL, with *len_r =
 * len, when nothing needs to change; otherwise a g_malloc'd copy and its
 * length. */
char *mail_check_crlf(const char *data, size_t len, size_t *len_r);

#endif

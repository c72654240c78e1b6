/* url: the SERVER argument of SPEC §1 (imaps://USER@HOST[:PORT] and
 * imap://USER@HOST[:PORT]). */
#ifndef IMAPFS_URL_H
#define IMAPFS_URL_H

#include <stdbool.h>
#include <stddef.h>

struct url {
	bool implicit_tls; /* imaps:// */
	char *user;	   /* percent-decoded, never empty */
	char *host;	   /* without IPv6 brackets; an IDN in ASCII (punycode) */
	char *port;	   /* decimal; "993" or "143" when not given */
};

/* Parses s (RFC 3986, scheme case-insensitive).  Returns 0, or -EINVAL with
 * a one-line reason in err (e.g. "unsupported scheme 'http' in SERVER; use
 * imaps://USER@HOST[:PORT]") that never quotes the user or anything after
 * it.  Rejects a missing user or host, a password in the URL (even an empty
 * one), ";AUTH=" parameters, a path other than "/", a query or fragment, a
 * port outside 1..65535 (an empty port means the default), control
 * characters in user or host, and a host that is neither a name nor an
 * address (so "me@example.org@host" asks for %40).  On error *u is left
 * empty; url_clear is always safe. */
int url_parse(const char *s, struct url *u, char *err, size_t errlen);
void url_clear(struct url *u);

#endif

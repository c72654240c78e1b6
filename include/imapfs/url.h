/* url: the SERVER argument of SPEC §1 (imaps://USER@HOST[:PORT] and
 * imap://USER@HOST[:PORT]). */
#ifndef IMAPFS_URL_H
#define IMAPFS_URL_H

#include <stdbool.h>
#include <stddef.h>

struct url {
	bool implicit_tls; /* imaps:// */
	char *user;        /* percent-decoded, never empty */
	char *host;        /* without IPv6 brackets */
	char *port;        /* decimal; "993" or "143" when not given */
};

/* Returns 0, or -EINVAL with a one-line reason in err (e.g. "unsupported
 * scheme 'http' in SERVER; use imaps://USER@HOST").  Rejects a missing user
 * or host, a path other than "/", a query, a password in the URL, a port
 * outside 1..65535 and control characters in user or host. */
int url_parse(const char *s, struct url *u, char *err, size_t errlen);
void url_clear(struct url *u);

#endif

/* imap_sasl: the client messages of the SASL mechanisms imap_conn logs in
 * with, as pure functions so that their bytes can be unit-tested.  Every
 * message holds a secret: the strings returned are released with
 * imap_sasl_free, which wipes them.
 *
 *   PLAIN (RFC 4616):        NUL USER NUL PASSWORD
 *   OAUTHBEARER (RFC 7628):  "n,a=" USER "," ^A "host=" HOST ^A "port=" PORT
 *                            ^A "auth=Bearer " TOKEN ^A ^A
 *   XOAUTH2 (Google, Microsoft): "user=" USER ^A "auth=Bearer " TOKEN ^A ^A
 *
 * each sent base64-encoded (RFC 4648, padded).  In OAUTHBEARER's gs2
 * header USER is a saslname: "," is written "=2C" and "=" "=3D". */
#ifndef IMAPFS_IMAP_SASL_H
#define IMAPFS_IMAP_SASL_H

#include <stdbool.h>
#include <stddef.h>

/* Base64 of in[0, len), padded, NUL-terminated, malloc'd. */
char *imap_sasl_base64(const void *in, size_t len);

/* Decodes padded base64 (white space not allowed) into *out_r (malloc'd,
 * NUL after *len_r bytes).  -EINVAL when s is not base64. */
int imap_sasl_unbase64(const char *s, char **out_r, size_t *len_r);

/* True when token is an RFC 6750 b64token: 1*(ALPHA / DIGIT / "-" / "." /
 * "_" / "~" / "+" / "/") *"=", which is what a bearer token may be (and
 * what keeps ^A and spaces out of the messages above). */
bool imap_sasl_token_ok(const char *token);

/* The base64 messages above, into *b64_r.  -EINVAL (nothing made) when
 * user or password holds a control character (PLAIN: NUL, CR or LF;
 * the others: any byte below 0x20 or 0x7f), when host or port does, or
 * when token is not a b64token. */
int imap_sasl_plain(const char *user, const char *password, char **b64_r);
int imap_sasl_oauthbearer(const char *user, const char *host, const char *port, const char *token,
			  char **b64_r);
int imap_sasl_xoauth2(const char *user, const char *token, char **b64_r);

/* The "status" of an OAuth error challenge (RFC 7628 §3.2.2: base64 of a
 * JSON object such as {"status":"invalid_token","scope":"..."}; Google's
 * XOAUTH2 sends {"status":"401",...}) into status (at most len - 1 bytes,
 * printable ASCII only, the rest '?').  False, with status "", when the
 * challenge is not base64 or has no string "status" member. */
bool imap_sasl_error_status(const char *challenge, char *status, size_t len);

/* Wipes and frees a string made here; NULLs the pointer.  NULL is fine. */
void imap_sasl_free(char **s);

#endif

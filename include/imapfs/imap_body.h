/* imap_body: the MIME structure of a message, from the BODYSTRUCTURE item
 * of a FETCH response (RFC 3501 §7.4.2, RFC 9051 §7.5.2), as a tree of
 * parts with their IMAP section numbers.  Names and values stay as the
 * server sent them (RFC 2047/2231 decoding of file names is mail_'s job);
 * only the tokens that are case-insensitive by definition (type, subtype,
 * encoding, disposition, parameter names) are lower-cased.
 *
 * Section numbers (RFC 3501 §6.4.5): a message whose body is not multipart
 * has its body at "1"; a multipart's children are PREFIX.1, PREFIX.2, ...
 * where PREFIX is the multipart's own section ("" at the top, giving "1",
 * "2", ...); a message/rfc822 part at S has one child, the body of the
 * message it holds: a multipart with section S (children S.1, S.2, ...) or
 * a single part at S.1.  So a message/rfc822 part and the multipart it holds
 * share a section (FETCH BODY[S] gives the whole message, BODY[S.1] its
 * first part); message/global (RFC 9051) is handled as message/rfc822 when
 * the server sends an envelope for it.
 *
 * Hostile or broken input (a missing field, a wrong type, a number out of
 * range, an empty multipart) is refused with -EPROTO and a reason, never a
 * crash.  Depth and width are bounded by the parser's limits
 * (imap_parser_limits) and again here by IMAP_BODY_MAX_DEPTH and
 * IMAP_BODY_MAX_PARTS.  Extension data (MD5, disposition, language,
 * location) is optional, as servers may omit it, or end early (Gmail sends
 * no location); its types are checked, only the disposition is kept, and
 * body-extension items after the location are ignored.  A parameter list
 * may be NIL or "()" (none).  The envelope of a message/rfc822 part is not
 * kept (it must be a list).  As the tree holds C strings, a literal
 * holding a NUL byte is refused.
 *
 * Pure functions on memory: thread-safe, no I/O. */
#ifndef IMAPFS_IMAP_BODY_H
#define IMAPFS_IMAP_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "imapfs/buf.h"
#include "imapfs/imap_parser.h"

/* Nesting of parts (a multipart in a multipart ... counts one per level,
 * as does the body of a message/rfc822 part; the top part is level 1). */
#define IMAP_BODY_MAX_DEPTH 50
/* Parts in one message, all levels together. */
#define IMAP_BODY_MAX_PARTS 10000

struct imap_body_param {
	char *name;  /* lower-cased, e.g. "charset", "filename*0*" */
	char *value; /* as sent; never NULL ("" for an empty string) */
};

struct imap_body {
	char *section; /* see above; "" only for a multipart at the top */
	char *type;    /* lower-cased: "text", "multipart", "message", ... */
	char *subtype; /* lower-cased: "plain", "mixed", "rfc822", ... */
	/* Content-Type parameters (a multipart's come from its extension
	 * data, when sent). */
	struct imap_body_param *params;
	size_t nparams;
	/* Single parts only (NULL / 0 for a multipart): */
	char *id;	   /* Content-ID, or NULL */
	char *description; /* Content-Description, or NULL */
	char *encoding;	   /* lower-cased Content-Transfer-Encoding: "7bit", "base64", ... */
	uint64_t size;	   /* octets of the body in its transfer encoding */
	uint64_t lines;	   /* text/ and message/rfc822 parts; 0 for others */
	/* Content-Disposition, from the extension data: lower-cased type
	 * ("attachment", "inline", ...) or NULL, and its parameters. */
	char *disposition;
	struct imap_body_param *disp_params;
	size_t ndisp_params;
	/* A multipart's parts (at least one), or a message/rfc822 part's one
	 * body; none otherwise. */
	struct imap_body *children;
	size_t nchildren;
};

/* Parses the argument that follows the BODYSTRUCTURE (or BODY) atom in a
 * FETCH response.  Returns 0 and a tree the caller frees with
 * imap_body_free, or -EPROTO, *body_r NULL, with a reason in err naming the
 * section where it went wrong ("part 2.1: size is a string, not a number",
 * "top multipart: ..." for a multipart at the top).  err may be NULL. */
int imap_body_parse(const struct imap_arg *arg, struct imap_body **body_r, char *err,
		    size_t errlen);
void imap_body_free(struct imap_body **body);

/* The tree as BODYSTRUCTURE text (a parenthesized list, strings quoted with
 * \" and \\ escapes, or sent as literals {N}CRLF... when they hold control
 * or 8-bit bytes), which imap_body_from_text parses back (with imap_parser)
 * into an equal tree: how a tree is stored (the index, the cache).  The
 * parts of a multipart are separated by SP, as imap_parser wants them; an
 * envelope of NILs stands in for the one not kept.  Written for trees
 * imap_body_parse made: a hand-made one that breaks its rules (a multipart
 * without parts, a disposition type NULL with parameters) does not come
 * back equal.  Appends to out. */
void imap_body_to_text(const struct imap_body *body, struct buf *out);
int imap_body_from_text(const char *text, size_t len, struct imap_body **body_r, char *err,
			size_t errlen);

/* Looks a parameter up by (lower-case) name; NULL if absent. */
const char *imap_body_param(const struct imap_body_param *params, size_t n, const char *name);
/* The part with this section, or NULL; of a message/rfc822 part and the
 * multipart it holds, the message/rfc822 part.  "" finds a multipart at the
 * top. */
const struct imap_body *imap_body_find(const struct imap_body *body, const char *section);

#endif

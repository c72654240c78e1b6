/* mail_parts: what a message's STEM.parts/ directory holds (SPEC §3), from
 * its part tree (imap_body): each file's name and what it is made of.
 * Fetching and decoding the bytes is the file system's job; this module
 * decides names, with GMime for RFC 2231 and RFC 2047.
 *
 * The files, in this order:
 *   headers.txt   always: From, To, Cc, Date, Subject, Message-ID
 *   body.txt      the first text/plain part that is no attachment
 *   body.html     the first text/html part that is no attachment
 *   NAME          every other part with a file name (Content-Disposition
 *                 filename, else Content-Type name), decoded and sanitized
 *   NAME.eml      an attached message/rfc822 (raw), its file name or
 *                 part-SECTION with ".eml" added when missing
 *   part-SECTION.EXT  every other part, EXT from its MIME type
 * "No attachment" means no file name and a disposition other than
 * "attachment".  Parts are taken depth first in section order; multiparts
 * are containers, and an attached message is one file (its own parts are
 * not listed).  Names are unique in the directory ignoring case (a copy to
 * a case-insensitive file system loses nothing): a clash gets " (2)",
 * " (3)" ... before the extension.
 *
 * A name is never empty, ".", "..", longer than MAIL_PARTS_NAME_MAX bytes
 * (a long name keeps its extension), and never holds '/', NUL or control
 * characters: mail_name_sanitize does the cleaning, so "../../etc/passwd"
 * becomes ".._.._etc_passwd".
 *
 * Thread safety: as mail_name (any thread, after mail_init). */
#ifndef IMAPFS_MAIL_PARTS_H
#define IMAPFS_MAIL_PARTS_H

#include <stddef.h>

#include "imapfs/imap_body.h"

/* Room left under NAME_MAX (255) for a " (NNNNN)" clash suffix. */
#define MAIL_PARTS_NAME_MAX 240

enum mail_part_kind {
	MAIL_PART_HEADERS, /* headers.txt: made from the header fields */
	MAIL_PART_TEXT,	   /* body.txt: transfer-decoded, charset to UTF-8 */
	MAIL_PART_HTML,	   /* body.html: likewise */
	MAIL_PART_FILE,	   /* any other part: transfer-decoded bytes */
	MAIL_PART_MESSAGE, /* an attached message/rfc822: the part's raw bytes */
};

struct mail_part {
	char *name;
	enum mail_part_kind kind;
	/* The part in the tree passed to mail_parts_list (which must outlive
	 * this list); NULL for headers.txt. */
	const struct imap_body *body;
};

/* The files of the message whose tree is body.  Returns how many (at least
 * one: headers.txt); *parts_r is freed with mail_parts_free. */
size_t mail_parts_list(const struct imap_body *body, struct mail_part **parts_r);
void mail_parts_free(struct mail_part *parts, size_t n);

/* The part's own file name, decoded (RFC 2231 continuations and charsets,
 * RFC 2047 words) and sanitized, or NULL when it has none or nothing is
 * left of it.  Caller frees. */
char *mail_parts_filename(const struct imap_body *part);

/* The extension (without the dot) of a MIME type: "pdf" for
 * application/pdf, "txt" for any text/ type not known better, "bin" when
 * nothing is known. */
const char *mail_parts_ext(const char *type, const char *subtype);

/* body.txt and body.html: text of len bytes (transfer encoding already
 * undone) in charset (the Content-Type parameter, may be NULL) as UTF-8:
 * converted from charset when iconv knows it and every byte is valid in
 * it; otherwise kept as it is when it is valid UTF-8; otherwise read as
 * windows-1252, and failing that as ISO-8859-1 (which takes any byte).
 * us-ascii and utf-8 go straight to the UTF-8 check.  Line ends are left
 * alone.  Returns malloc'd bytes (*len_r of them, NUL after them). */
char *mail_parts_utf8(const char *text, size_t len, const char *charset, size_t *len_r);

/* Undoes a Content-Transfer-Encoding ("base64" or "quoted-printable";
 * anything else is copied) of len bytes with GMime's decoders, for parts
 * decoded here (servers without BINARY, a message cut out of its cached
 * copy).
 * Quoted-printable reads as RFC 2045 6.7 says and Dovecot's BINARY does:
 * white space at the end of a line is deleted, and a "=" that starts no
 * escape (nor a soft line break) stays.  Base64 cut short of its last
 * quantum's padding decodes that quantum too.  Returns g_malloc'd bytes,
 * *len_r of them. */
char *mail_parts_decode(const char *data, size_t len, const char *encoding, size_t *len_r);

/* Each file's bytes as they lie in the whole message raw (len bytes, as
 * BODY[] gives it): for parts[i] (from mail_parts_list) what BODY[SECTION]
 * would give, still transfer-encoded, found with GMime.  data_r[i]
 * (g_malloc'd, NUL after body->size bytes) for every file but headers.txt
 * (NULL).  A part GMime places otherwise than the server's tree (not
 * there, or not body->size bytes long) or an attached message (shown raw,
 * which GMime does not keep) makes it -ENOENT with every data_r[i] NULL:
 * ask the server.  A message whose .eml is cached so needs no part
 * fetched for its .parts listing. */
int mail_parts_cut(const char *raw, size_t len, const struct mail_part *parts, size_t n,
		   char **data_r);

/* headers.txt: "Field: value\n" for each of From, To, Cc, Date, Subject and
 * Message-ID present in the raw header block (len bytes, need not be
 * NUL-terminated), in that order, unfolded, RFC 2047-decoded to UTF-8
 * (8-bit text read as mail_name_subject does), control characters dropped.
 * Caller frees. */
char *mail_parts_headers_txt(const char *headers, size_t len);

#endif

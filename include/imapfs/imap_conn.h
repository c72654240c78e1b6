/* imap_conn: one authenticated IMAP connection and the commands imapfs
 * sends on it.  Commands are synchronous and pipelined where it pays
 * (the caller never sees tags).  A connection belongs to one thread at a
 * time (see imap_pool); it holds no locks.
 *
 * Security rules enforced here (RFC 8314, RFC 3501 §6.2, RFC 2595):
 *  - imap:// always upgrades with STARTTLS; no STARTTLS capability, a NO
 *    or BAD to it, or bytes pipelined after its OK are fatal errors;
 *  - credentials are never sent before TLS, PREAUTH on a plain connection
 *    is refused, LOGINDISABLED is honoured;
 *  - AUTHENTICATE PLAIN (with SASL-IR when offered), else LOGIN;
 *  - every string put on the wire is checked: CR, LF and NUL are refused
 *    (-EINVAL), other bytes are quoted or sent as a literal.
 * Errors are -errno, mapped from IMAP outcomes by imap_status_errno(). */
#ifndef IMAPFS_IMAP_CONN_H
#define IMAPFS_IMAP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "imapfs/imap_parser.h"

struct imap_conn_opts {
	const char *host;
	const char *port;
	bool implicit_tls;  /* imaps://; otherwise mandatory STARTTLS */
	const char *cafile; /* NULL: system store */
	int timeout_ms;	    /* bound of every single network wait */
	const char *user;
	const char *password;
};

struct imap_conn;

/* Connects, secures, reads capabilities and logs in.  Returns 0, or -errno
 * with a one-line reason for "imapfs: <reason>" in err:
 *   the net_connect / net_start_tls errors (net.h);
 *   -EACCES  "authentication failed for USER at HOST: <server text>"
 *            (-EAGAIN when the server says [UNAVAILABLE], [INUSE], [LIMIT]);
 *   -EPROTO  "server HOST does not offer STARTTLS; refusing to send
 *            credentials in clear text", "server HOST refused STARTTLS: ...",
 *            "server sent data after STARTTLS response; possible injection
 *            attack", "server sent PREAUTH before TLS; refusing", a protocol
 *            error;
 *   -EOPNOTSUPP when LOGINDISABLED leaves no way to log in;
 *   -ECONNRESET "server HOST refused the connection: <BYE text>";
 *   -EINVAL  a user name or password holding CR or LF.
 * Server text in messages has control and non-ASCII bytes replaced by '?'.
 * The protocol trace (log_trace) shows LOGIN and AUTHENTICATE arguments as
 * <redacted>, and literals received by their size only. */
int imap_conn_open(const struct imap_conn_opts *o, struct imap_conn **c_r, char *err,
		   size_t errlen);

/* Sends LOGOUT (best effort, bounded by the timeout), closes and frees;
 * NULLs the pointer.  NULL is fine. */
void imap_conn_close(struct imap_conn **c);

/* Capability names as the server announced them, compared
 * case-insensitively ("UIDPLUS", "AUTH=PLAIN"). */
bool imap_conn_has_cap(const struct imap_conn *c, const char *cap);
/* True once the transport failed or the server said BYE: close it. */
bool imap_conn_is_broken(const struct imap_conn *c);
/* The last failure's reason (empty string if none). */
const char *imap_conn_error(const struct imap_conn *c);
/* A small number unique per connection, for traces. */
unsigned imap_conn_id(const struct imap_conn *c);

/* NOOP: proves the connection alive and lets the server report changes
 * (EXISTS, EXPUNGE, BYE).  0 or -errno. */
int imap_conn_noop(struct imap_conn *c);

/* LIST "" "*".  Names are raw (modified UTF-7, as on the wire); decoding
 * and sanitizing them is the caller's job. */
enum {
	IMAP_LIST_NOSELECT = 1u << 0,
	IMAP_LIST_NOINFERIORS = 1u << 1,
	IMAP_LIST_NONEXISTENT = 1u << 2,
};
struct imap_list_entry {
	char *name;
	char delim; /* 0 when the server said NIL (flat namespace) */
	unsigned flags;
};
int imap_conn_list(struct imap_conn *c, struct imap_list_entry **v_r, size_t *n_r);
void imap_list_free(struct imap_list_entry **v, size_t n);

/* EXAMINE name (read-only select), with (CONDSTORE) when the server has
 * it so that HIGHESTMODSEQ is reported.  Skipped when name is already
 * selected and fresh is false; the status is then the one last seen,
 * kept up to date by EXISTS and EXPUNGE responses.  A failure leaves no
 * mailbox selected; a server that sends no UIDVALIDITY gets -EPROTO. */
struct imap_mbox_status {
	uint32_t uidvalidity;
	uint32_t uidnext; /* 0 if the server did not say */
	uint32_t exists;
	uint64_t highestmodseq; /* 0 without CONDSTORE */
};
int imap_conn_examine(struct imap_conn *c, const char *name, bool fresh,
		      struct imap_mbox_status *st_r);
/* The selected mailbox's raw name, or NULL. */
const char *imap_conn_selected(const struct imap_conn *c);

/* UID FETCH lo:hi (UID FLAGS INTERNALDATE RFC822.SIZE
 *   BODY.PEEK[HEADER.FIELDS (SUBJECT MESSAGE-ID)]) in the selected mailbox;
 * hi 0 means '*'.  cb is called once per message, in server order; its
 * pointers are valid only during the call; a non-zero return from cb
 * stops the walk (the response is still read to its end) and is returned.
 * FETCH responses lacking UID, INTERNALDATE or RFC822.SIZE are skipped
 * with a warning; unsolicited ones (flag updates carrying none of the
 * items asked for) and UIDs outside lo:hi (a server answers "n:*" with
 * its highest UID even when that is below n) are skipped silently.
 * -EINVAL without a selected mailbox or when hi < lo. */
struct imap_msg_meta {
	uint32_t uid;
	time_t internaldate;
	uint64_t size;	     /* RFC822.SIZE */
	const char *flags;   /* space-separated, e.g. "\\Seen $Label1"; "" if none */
	const char *headers; /* raw header block fetched, may be empty */
	size_t headers_len;
};
typedef int (*imap_meta_cb)(void *arg, const struct imap_msg_meta *m);
int imap_conn_fetch_meta(struct imap_conn *c, uint32_t lo, uint32_t hi, imap_meta_cb cb, void *arg);

/* UID FETCH uid BODY.PEEK[]<off.len> in the selected mailbox: copies the
 * returned bytes (at most len) into buf and sets *got_r; fewer than len
 * means the message ended (0 at or past its end).  -ENOENT if the server
 * returned no such UID (expunged); -EPROTO, with nothing copied, when it
 * returned more than len bytes or bytes from another offset (the
 * connection stays usable).  FETCH responses for other UIDs are ignored.
 * Never sets \Seen.  len must be at most UINT32_MAX. */
int imap_conn_fetch_body(struct imap_conn *c, uint32_t uid, uint64_t off, size_t len, char *buf,
			 size_t *got_r);

/* UID FETCH uids (UID BODY.PEEK[]<0.max_len>) in the selected mailbox: the
 * first max_len bytes of many messages in one round trip (cmd_body.c).
 * uids must be ascending, at most IMAP_CONN_MAX_BODIES of them.  cb is
 * called once per message the server returned, in server order, with
 * its bytes (valid only during the call; len < max_len means the message
 * ended there, so its size is exact); UIDs not returned were expunged.
 * Responses for UIDs not asked for are ignored; a body longer than
 * max_len or from another offset is -EPROTO (what was passed to cb before
 * stays valid).  A non-zero return from cb stops the calls and is
 * returned.  Never sets \Seen.  max_len must be at most UINT32_MAX. */
#define IMAP_CONN_MAX_BODIES 1024
typedef int (*imap_body_cb)(void *arg, uint32_t uid, const char *data, size_t len);
int imap_conn_fetch_bodies(struct imap_conn *c, const uint32_t *uids, size_t n, size_t max_len,
			   imap_body_cb cb, void *arg);

/* The commands behind a .parts directory (cmd_parts.c).  Sections are
 * IMAP part numbers ("1", "2.1"; -EINVAL otherwise), all in the selected
 * mailbox, never setting \Seen.
 *
 * UID FETCH uid (BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (FROM TO CC DATE
 * SUBJECT MESSAGE-ID)]): the part tree (imap_body_free) and the raw
 * header block headers.txt is made of (malloc'd, NUL-terminated after
 * *headers_len_r bytes, possibly empty).  -ENOENT when the UID is gone;
 * -EPROTO, with the reason, for a BODYSTRUCTURE imap_body_parse refuses. */
struct imap_body;
int imap_conn_fetch_structure(struct imap_conn *c, uint32_t uid, struct imap_body **body_r,
			      char **headers_r, size_t *headers_len_r);

/* UID FETCH uid (BINARY.SIZE[s1] ...) (RFC 3516): the size of each section
 * once its Content-Transfer-Encoding is undone, into sizes_r[i].
 * -EOPNOTSUPP without the BINARY capability; -ENOENT when the server left
 * a section out (the UID is gone, or the server cannot decode it). */
int imap_conn_fetch_binary_sizes(struct imap_conn *c, uint32_t uid, const char *const *sections,
				 size_t n, uint64_t *sizes_r);

/* UID FETCH uid BINARY.PEEK[section]<off.len> (binary: decoded by the
 * server; -EOPNOTSUPP without BINARY) or BODY.PEEK[section]<off.len> (as
 * stored, still transfer-encoded): as imap_conn_fetch_body, for one part. */
int imap_conn_fetch_section(struct imap_conn *c, uint32_t uid, const char *section, bool binary,
			    uint64_t off, size_t len, char *buf, size_t *got_r);

/* UID FETCH uid (BINARY.PEEK[s]<off.2> BODY.PEEK[s]<off.2> ...): how many
 * bytes (0, 1 or 2) each part has from off on, into got (SIZE_MAX when the
 * server sent nothing usable for it).  With off = size - 1 a part of that
 * exact size gives 1: a check of a size the server claimed (BINARY.SIZE
 * of Dovecot 2.3.19 is wrong for about 1.5% of the parts of the
 * SpamAssassin corpus) that costs a few bytes, not the part. */
struct imap_tail {
	const char *section;
	bool binary;
	uint64_t off;
	size_t got;
};
int imap_conn_fetch_tails(struct imap_conn *c, uint32_t uid, struct imap_tail *t, size_t n);

/* Resync commands (cmd_sync.c).
 *
 * UID SEARCH ALL in the selected mailbox — as "UID SEARCH RETURN (ALL)
 * ALL" (RFC 4731) when the server has ESEARCH, whose answer is a compact
 * UID set.  *uids_r (malloc'd, ascending, no duplicates, *n_r of them,
 * NULL when none) are the UIDs that exist now.  More than max UIDs, a
 * UID 0 or a malformed set is -EPROTO; ESEARCH results tagged for another
 * command are ignored. */
int imap_conn_search_uids(struct imap_conn *c, size_t max, uint32_t **uids_r, size_t *n_r);

/* UID FETCH lo:hi (UID FLAGS), with (CHANGEDSINCE changedsince) when that
 * is not 0 (RFC 7162; -EOPNOTSUPP without CONDSTORE): cb gets each
 * message's UID and flags (space-separated, "" if none, valid during the
 * call), in server order.  Responses without UID or FLAGS, or for UIDs
 * outside lo:hi, are skipped.  A non-zero return from cb stops the calls
 * and is returned.  -EINVAL without a selected mailbox or when hi < lo or
 * lo is 0. */
typedef int (*imap_flags_cb)(void *arg, uint32_t uid, const char *flags);
int imap_conn_fetch_flags(struct imap_conn *c, uint32_t lo, uint32_t hi, uint64_t changedsince,
			  imap_flags_cb cb, void *arg);

/* The one mapping of IMAP outcomes to errno: OK and PREAUTH 0; NO -EIO,
 * or by code (RFC 5530; AUTHENTICATIONFAILED/AUTHORIZATIONFAILED -EACCES,
 * NONEXISTENT/TRYCREATE/EXPUNGEISSUED -ENOENT, ALREADYEXISTS -EEXIST,
 * NOPERM -EACCES, OVERQUOTA -EDQUOT, LIMIT/INUSE/UNAVAILABLE -EAGAIN,
 * CANNOT -EINVAL); BAD -EPROTO; BYE -ECONNRESET; NONE (not a status)
 * -EPROTO.  code is compared case-insensitively and may be NULL. */
int imap_status_errno(enum imap_status st, const char *code);

#endif

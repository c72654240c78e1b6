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
 *  - AUTHENTICATE PLAIN (with SASL-IR when offered), else LOGIN; with an
 *    OAuth token source, AUTHENTICATE OAUTHBEARER, else XOAUTH2;
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

/* Where OAuth 2.0 bearer tokens come from: *token_r is a malloc'd token
 * (the connection wipes and frees it), or -errno with a one-line reason in
 * err.  refused is NULL for the token to try first, or the token a server
 * has just refused (expired, revoked): then a fresh one is wanted.  Called
 * from whatever thread opens a connection (the pool's: any). */
typedef int (*imap_oauth_fn)(void *arg, const char *refused, char **token_r, char *err,
			     size_t errlen);

struct imap_conn_opts {
	const char *host;
	const char *port;
	bool implicit_tls;  /* imaps://; otherwise mandatory STARTTLS */
	const char *cafile; /* NULL: system store */
	int timeout_ms;	    /* bound of every single network wait */
	const char *user;
	const char *password;	   /* NULL with oauth_token */
	imap_oauth_fn oauth_token; /* not NULL: log in with OAuth, not password */
	void *oauth_arg;
};

struct imap_conn;

/* Connects, secures, reads capabilities and logs in.  Returns 0, or -errno
 * with a one-line reason for "imapfs: <reason>" in err:
 *   the net_connect / net_start_tls errors (net.h);
 *   -EACCES  "authentication failed for USER at HOST: <server text>"
 *            (-EAGAIN when the server says [UNAVAILABLE], [INUSE], [LIMIT]);
 *            with OAuth, after the server refused a token and then a fresh
 *            one (see below);
 *   -EPROTO  "server HOST does not offer STARTTLS; refusing to send
 *            credentials in clear text", "server HOST refused STARTTLS: ...",
 *            "server sent data after STARTTLS response; possible injection
 *            attack", "server sent PREAUTH before TLS; refusing", a protocol
 *            error;
 *   -EOPNOTSUPP when LOGINDISABLED leaves no way to log in, or with OAuth
 *            "server HOST offers neither OAUTHBEARER nor XOAUTH2" (nothing
 *            sent, no token asked for);
 *   -ECONNRESET "server HOST refused the connection: <BYE text>";
 *   -EINVAL  a user name or password holding CR or LF, a token that is
 *            no RFC 6750 b64token;
 *   the -errno of oauth_token, with its reason.
 * Server text in messages has control and non-ASCII bytes replaced by '?'.
 * The protocol trace (log_trace) shows LOGIN and AUTHENTICATE arguments and
 * every answer to an AUTHENTICATE challenge as <redacted>, and literals
 * received by their size only.
 *
 * OAuth (RFC 7628 and Google's XOAUTH2, the mechanism chosen by the
 * capabilities): the initial response rides in the command with SASL-IR,
 * else answers the server's "+".  A server refusing the token sends a
 * challenge carrying a base64 JSON error, answered by a single ^A
 * (OAUTHBEARER: "AQ==") or an empty line (XOAUTH2), and then NO.  On such
 * a refusal (or any NO but [UNAVAILABLE], [INUSE], [LIMIT]) a fresh token
 * is asked for once (oauth_token with refused set) and the login tried
 * again on the same connection.  A server that hangs up on a token
 * instead (an untagged BYE, a close or a reset before the tagged reply,
 * challenge or not) gets the same fresh token on one new connection.  A
 * second refusal, or a hang-up on the fresh token, is -EACCES; the token
 * is renewed at most once and the connection made at most twice per
 * open, all within one timeout_ms from the call. */
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
/* True when it broke because a network wait ran out (the server, or the
 * way to it, stopped answering). */
bool imap_conn_timed_out(const struct imap_conn *c);
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
 * selected (by EXAMINE or SELECT: reads never set \Seen) and fresh is
 * false; the status is then the one last seen,
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
 * UID FETCH set (UID BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (FROM TO CC
 * DATE SUBJECT MESSAGE-ID)]) of uid and more (nmore UIDs, ascending, uid
 * not among them; at most IMAP_STRUCTURES_MAX in all): uid's part tree
 * (imap_body_free) and the raw header block headers.txt is made of
 * (malloc'd, NUL-terminated after *headers_len_r bytes, possibly empty).
 * -ENOENT when uid is gone; -EPROTO, with the reason, for a BODYSTRUCTURE
 * imap_body_parse refuses.  Once the command succeeded, cb gets each of
 * more the server answered for, in UID order: its tree (the callee's to
 * imap_body_free), or NULL with the reason in err when imap_body_parse
 * refuses it (an error of that message alone), and its header block
 * (valid during the call); one left out (gone) gets no call.  A non-zero
 * return from cb stops the calls and is returned.  The structures of the
 * messages a .parts listing is likely to look at next come so with its
 * own, in one round trip. */
struct imap_body;
#define IMAP_STRUCTURES_MAX 256
typedef int (*imap_structure_cb)(void *arg, uint32_t uid, struct imap_body *body,
				 const char *headers, size_t headers_len, const char *err);
int imap_conn_fetch_structures(struct imap_conn *c, uint32_t uid, const uint32_t *more,
			       size_t nmore, imap_structure_cb cb, void *arg,
			       struct imap_body **body_r, char **headers_r, size_t *headers_len_r);

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

/* UID FETCH uid (BINARY.PEEK[s]<off.len> BODY.PEEK[s]<off.len> ...): how
 * many bytes (0 to len, at most 1 MiB) each part has from off on, into got
 * (SIZE_MAX when the server sent nothing usable for it); the bytes
 * themselves are dropped.  Fewer than len (and more than 0, or off 0)
 * tells the part's exact size, off + got.  That is how sizes are learned
 * and checked without fetching parts: a span of 2 at size - 1 checks a
 * size the server claimed (BINARY.SIZE of Dovecot 2.3.19 is wrong for
 * about 1.5% of the parts of the SpamAssassin corpus), and a span around
 * the size a base64 part's encoded size implies finds its decoded size
 * for a few KiB. */
struct imap_span {
	const char *section;
	bool binary;
	uint64_t off;
	size_t len;
	size_t got;
};
int imap_conn_fetch_spans(struct imap_conn *c, uint32_t uid, struct imap_span *t, size_t n);

/* UID FETCH uid (UID BINARY.SIZE[s] ... BINARY.PEEK[w] | BODY.PEEK[w] ...
 * BINARY.PEEK[t]<off.len> | BODY.PEEK[t]<off.len> ...), in that order: the
 * three requests above in one command, so that a .parts listing learns
 * the decoded sizes of its encoded parts, the whole bytes of its text
 * parts and spans that find or check sizes in one round trip.
 * Any of the three may be empty, not all.  Sizes as
 * imap_conn_fetch_binary_sizes (-EOPNOTSUPP without BINARY when nsizes
 * or a binary item is asked for); spans as imap_conn_fetch_spans (never
 * an error); each whole section gives w[i].data (malloc'd, NUL after
 * w[i].len bytes; the caller frees it), at most w[i].max bytes (more is
 * -EPROTO); a whole section or size the server left out is -ENOENT.  On
 * error every w[i].data is NULL. */
struct imap_whole {
	const char *section;
	bool binary; /* BINARY.PEEK (decoded by the server), else BODY.PEEK */
	size_t max;  /* at most UINT32_MAX */
	char *data;
	size_t len;
};
int imap_conn_fetch_parts(struct imap_conn *c, uint32_t uid, const char *const *sections,
			  size_t nsizes, uint64_t *sizes_r, struct imap_whole *w, size_t nwhole,
			  struct imap_span *t, size_t nspans);

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

/* Changing mail (cmd_write.c, SPEC §4).  Mailbox names are raw (modified
 * UTF-7); flags are space-separated lists as FETCH reports them ("" for
 * none), each a system flag ("\\Seen") or an atom keyword, anything else
 * -EINVAL before a byte is sent.  Errors by imap_status_errno.  A UID 0 is
 * -EINVAL; a broken connection -ECONNRESET, nothing sent.
 *
 * Ambiguity.  When one of the commands below fails because the connection
 * broke (-ECONNRESET, -ETIMEDOUT, -EPIPE ...) imap_conn_cmd_sent() says
 * whether any byte of it may have reached the server: then the outcome is
 * unknown and the caller must find out (by UID or Message-ID) before it
 * sends anything else about those messages; never resend blindly. */
bool imap_conn_cmd_sent(const struct imap_conn *c);
/* (It is reset by every command below, also one refused before sending,
 * and set once a byte of the command went to the transport; a failure of
 * the UNSELECT or EXAMINE before a DELETE or RENAME leaves it false.) */

/* CREATE, DELETE, RENAME.  [ALREADYEXISTS] -EEXIST, [NONEXISTENT] -ENOENT,
 * [NOPERM] -EACCES, [INUSE] -EAGAIN, [CANNOT] -EINVAL, other NO -EIO.
 * DELETE or RENAME of the selected mailbox (RENAME: also of a mailbox
 * whose name starts with from, as renaming a parent renames its children)
 * unselects it first, and nothing is selected afterwards, whatever the
 * outcome.  CLOSE is not used: it would expunge; UNSELECT where offered,
 * else EXAMINE (read-only: leaving the mailbox expunges nothing), then
 * the command.  Before RENAME that EXAMINE is of the selected mailbox
 * itself (skipped when it was EXAMINEd already); before DELETE it is of
 * INBOX, as Dovecot disconnects a session whose selected mailbox was
 * deleted, even an EXAMINEd one ("* BYE Selected mailbox was deleted"). */
int imap_conn_create(struct imap_conn *c, const char *raw);
int imap_conn_delete(struct imap_conn *c, const char *raw);
int imap_conn_rename(struct imap_conn *c, const char *from, const char *to);
/* Whether the mailbox name is top or one below it in the hierarchy whose
 * separator is delim (0: top only): what DELETE or RENAME of top touches. */
bool imap_mailbox_under(const char *name, const char *top, char delim);

/* SELECT name (read-write) with (CONDSTORE) when offered; as
 * imap_conn_examine otherwise (skipped when name is already selected
 * read-write and fresh is false).  -EROFS when the server opens it
 * [READ-ONLY]: it is then left selected read-only, as by EXAMINE, with
 * *st_r filled.  STORE, UID EXPUNGE and MOVE need it; they fail with
 * -EINVAL, nothing sent, on a mailbox selected with EXAMINE (COPY and the
 * Message-ID search do not). */
int imap_conn_select(struct imap_conn *c, const char *name, bool fresh,
		     struct imap_mbox_status *st_r);
/* Whether the selected mailbox keeps flag (PERMANENTFLAGS of the last
 * SELECT): a system flag listed, or a keyword listed or allowed by "\*"
 * (compared case-insensitively).  Without PERMANENTFLAGS, or with a
 * malformed one, every flag counts as permanent (RFC 3501).  False when
 * no mailbox is selected read-write. */
bool imap_conn_flag_permanent(const struct imap_conn *c, const char *flag);

/* STATUS name (UIDNEXT UIDVALIDITY), of any mailbox (the selected one
 * too, RFC 3501 allows it): what a later COPY's result will be looked for
 * above, when its answer is lost.  -EPROTO when the server leaves either
 * out (or says 0). */
int imap_conn_status(struct imap_conn *c, const char *name, uint32_t *uidvalidity_r,
		     uint32_t *uidnext_r);

/* UID STORE uid op.SILENT (flags): op is "FLAGS" (replace), "+FLAGS" or
 * "-FLAGS" (else -EINVAL).  -ENOENT when the UID no longer exists: no
 * FETCH of it came back, neither to the STORE nor to the UID FETCH uid
 * (UID) sent with it in the same write (one round trip; a server may
 * answer OK to a STORE of a UID that is gone, Dovecot does).  A NO to
 * that check after an OK STORE is its errno. */
int imap_conn_store(struct imap_conn *c, uint32_t uid, const char *op, const char *flags);
/* UID EXPUNGE uid (RFC 4315): -EOPNOTSUPP without UIDPLUS, and then
 * nothing is sent.  Never a plain EXPUNGE.  It removes the message only
 * if it has \Deleted (imap_conn_store "+FLAGS" first). */
int imap_conn_uid_expunge(struct imap_conn *c, uint32_t uid);
/* UID MOVE uid dest (RFC 6851; -EOPNOTSUPP without MOVE, nothing sent) and
 * UID COPY uid dest.  The copy's UIDVALIDITY and UID from [COPYUID] (in
 * the tagged OK, or untagged before the EXPUNGE for MOVE) go to
 * *uidvalidity_r, *uid_r (both 0 when the server did not say, or said it
 * malformed or for another source UID).  -ENOENT when the source UID is
 * gone: NO [EXPUNGEISSUED], or an OK that moved or copied nothing (COPY:
 * no COPYUID code at all on a UIDPLUS server; MOVE: neither a COPYUID
 * code nor an EXPUNGE); [TRYCREATE] -ENOENT too. */
int imap_conn_move(struct imap_conn *c, uint32_t uid, const char *dest, uint32_t *uidvalidity_r,
		   uint32_t *uid_r);
int imap_conn_copy(struct imap_conn *c, uint32_t uid, const char *dest, uint32_t *uidvalidity_r,
		   uint32_t *uid_r);
/* APPEND mailbox (flags) "INTERNALDATE" {len}: the message as is (it must
 * hold no NUL: -EINVAL; no other check here), as a LITERAL+ / LITERAL-
 * literal when offered, else after the server's continuation; written
 * from data, not copied, each wait bounded by the timeout.  The date is
 * sent in UTC ("+0000"; -EINVAL outside years 0-9999).  The new message's
 * UIDVALIDITY and UID from [APPENDUID] to *uidvalidity_r, *uid_r (0, 0
 * when the server did not say, as without UIDPLUS, or said it malformed;
 * Dovecot says it even when UIDPLUS is not announced).  A NO to the literal's announcement
 * ([TOOBIG], [OVERQUOTA]...) sends nothing more. */
int imap_conn_append(struct imap_conn *c, const char *mailbox, const char *flags,
		     time_t internaldate, const char *data, size_t len, uint32_t *uidvalidity_r,
		     uint32_t *uid_r);
/* UID SEARCH HEADER Message-ID "id" in the selected mailbox (id as in the
 * header, with its angle brackets; empty: -EINVAL, as HEADER matches
 * substrings; CHARSET UTF-8 when it holds 8-bit bytes): *uids_r as
 * imap_conn_search_uids, at most 100000.  Used to learn what an APPEND,
 * COPY or MOVE whose reply was lost did. */
int imap_conn_search_msgid(struct imap_conn *c, const char *id, uint32_t **uids_r, size_t *n_r);

/* ---- IDLE (RFC 2177): being told of changes to the selected mailbox ---- */

/* Sends IDLE and waits for the server's "+".  -EOPNOTSUPP (nothing sent)
 * without the IDLE capability, -EINVAL with nothing selected,
 * -ECONNABORTED when the server completed the IDLE at once.  Until
 * imap_conn_idle_done, only imap_conn_idle_wait may be used on c. */
int imap_conn_idle_start(struct imap_conn *c);
/* Waits at most timeout_ms for the server to say something, or until
 * wake_fd (-1: none) is readable, and reads one response if it spoke:
 * *changed_r is set to true when it was about the messages (EXISTS,
 * EXPUNGE, FETCH, VANISHED).  Returns 0 (read one, woken or time up), or
 * -errno: -ECONNABORTED when the server ended the IDLE by itself, others
 * when the connection failed. */
int imap_conn_idle_wait(struct imap_conn *c, int wake_fd, int timeout_ms, bool *changed_r);
/* Sends DONE and reads up to the IDLE's completion (changes reported in
 * between set *changed_r).  0 or -errno. */
int imap_conn_idle_done(struct imap_conn *c, bool *changed_r);

/* ---- QUOTA (RFC 9208; RFC 2087 says the same for what is used here) ---- */

/* GETQUOTAROOT mailbox: the usage and limits of the quota roots mailbox is
 * under.  STORAGE is in KiB (units of 1024 octets), MESSAGE in messages;
 * of several roots limiting a resource, the one with the least room left
 * (limit - usage) is reported.  has_* false: no root limits it (a server
 * without quota rules answers with no roots).  Other resources are
 * ignored.  -EOPNOTSUPP without the QUOTA capability, nothing sent;
 * -EPROTO when a QUOTA response is malformed (no list, a list that is no
 * series of atom-number-number triples, a number above 2^63 - 1: RFC
 * 9208's number64); a NO by imap_status_errno. */
struct imap_quota {
	bool has_storage, has_message;
	uint64_t storage_used, storage_limit; /* KiB */
	uint64_t message_used, message_limit;
};
int imap_conn_getquotaroot(struct imap_conn *c, const char *mailbox, struct imap_quota *q_r);

/* The one mapping of IMAP outcomes to errno: OK and PREAUTH 0; NO -EIO,
 * or by code (RFC 5530; AUTHENTICATIONFAILED/AUTHORIZATIONFAILED -EACCES,
 * NONEXISTENT/TRYCREATE/EXPUNGEISSUED -ENOENT, ALREADYEXISTS -EEXIST,
 * NOPERM -EACCES, OVERQUOTA -EDQUOT, LIMIT/INUSE/UNAVAILABLE -EAGAIN,
 * CANNOT -EINVAL); BAD -EPROTO; BYE -ECONNRESET; NONE (not a status)
 * -EPROTO.  code is compared case-insensitively and may be NULL. */
int imap_status_errno(enum imap_status st, const char *code);

#endif

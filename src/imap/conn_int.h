/* imap_conn internals shared by conn.c (transport, command engine, login)
 * and the cmd*.c files (the mailbox commands). */
#ifndef IMAPFS_IMAP_CONN_INT_H
#define IMAPFS_IMAP_CONN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imapfs/buf.h"
#include "imapfs/imap_conn.h"
#include "imapfs/net.h"

/* Input bytes read from the server but not yet consumed by the parser. */
#define IMAP_CONN_INBUF 16384
/* Commands imap_conn_run_pipe sends at once. */
#define IMAP_CONN_MAX_PIPE 8
/* Synchronizing literals one command may hold (LOGIN user pass). */
#define IMAP_CONN_MAX_SYNC 4
/* Answers one AUTHENTICATE may give to continuation requests. */
#define IMAP_CONN_MAX_CONT 2

struct imap_conn {
	struct net_conn *net;
	struct imap_parser *parser;
	unsigned id;
	unsigned next_tag;
	bool broken;
	bool timed_out; /* broken because a network wait ran out */
	char *host;
	char *user;
	char **caps; /* as announced; replaced as a whole */
	size_t ncaps;
	unsigned caps_gen; /* bumped whenever caps are replaced */
	char *selected;	   /* raw name of the selected mailbox, or NULL */
	bool selected_rw;  /* selected with SELECT, not EXAMINE or [READ-ONLY] */
	/* PERMANENTFLAGS of the last SELECT, space-separated; NULL when the
	 * server did not say (then every flag counts as permanent). */
	char *permflags;
	bool cmd_sent; /* a byte of the latest command went to the transport */
	char idle_tag[16]; /* the IDLE in progress (cmd_idle.c); "" if none */
	struct imap_mbox_status st;
	char err[512];
	size_t in_start, in_end;
	char in[IMAP_CONN_INBUF];
};

/* One command being built: the bytes, where synchronizing literals make
 * the sender wait for "+", and from where on the bytes are secret (shown
 * as <redacted> in the trace). */
struct imap_conn_cmd {
	struct buf out;
	char tag[16];
	char verb[32];
	size_t waits[IMAP_CONN_MAX_SYNC];
	size_t nwaits;
	size_t secret_at; /* SIZE_MAX: nothing secret */
	/* A literal sent from the caller's memory, not copied into out: its
	 * bytes go after out[0, ext_at) (which ends with its "{N}\r\n"). */
	const char *ext;
	size_t ext_len, ext_at;
	bool secret_next; /* the next argument starts the secret part */
	int rc;		  /* first building error (-EINVAL for CR/LF/NUL) */
	/* AUTHENTICATE: the lines that answer the server's continuation
	 * requests in turn (secret: traced as <redacted>); a request beyond
	 * them is answered "*" (cancel).  conts counts the requests seen and
	 * cont_text keeps the text of the last one (a SASL challenge). */
	const char *cont[IMAP_CONN_MAX_CONT];
	size_t ncont, conts;
	char cont_text[512];
};

/* Called for every untagged data or status response of a command, after
 * the connection's own bookkeeping (capabilities, EXISTS, BYE). */
typedef void (*imap_conn_data_fn)(struct imap_conn *c, const struct imap_resp *r, void *arg);

/* Starts "TAG VERB"; verb is a protocol constant. */
void imap_conn_cmd_start(struct imap_conn *c, struct imap_conn_cmd *cmd, const char *verb);
/* Appends SP and raw protocol text (constants, numbers and values the
 * caller checked, such as section numbers), of any length. */
void imap_conn_cmd_raw(struct imap_conn_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends SP and s as a quoted string or a literal; CR, LF or NUL make the
 * command fail with -EINVAL before anything is sent. */
void imap_conn_cmd_astring(struct imap_conn *c, struct imap_conn_cmd *cmd, const char *s,
			   size_t len);
/* Appends SP and a literal of data, which must be the command's last
 * argument and stay valid until imap_conn_run returns: it is written from
 * there, not copied (APPEND of a large message).  Non-synchronizing with
 * LITERAL+ (or LITERAL- up to 4096 bytes), else sent after the server's
 * "+".  No check of the bytes here. */
void imap_conn_cmd_literal(struct imap_conn *c, struct imap_conn_cmd *cmd, const char *data,
			   size_t len);
/* Grows the buffer ahead so that secrets appended later are never left
 * behind in a block freed by realloc. */
void imap_conn_cmd_reserve(struct imap_conn_cmd *cmd, size_t n);
/* The arguments that follow are secret. */
void imap_conn_cmd_secret(struct imap_conn_cmd *cmd);
/* Wipes and frees the command's bytes. */
void imap_conn_cmd_clear(struct imap_conn_cmd *cmd);
/* Adds line (kept by pointer until imap_conn_run returns) to the answers
 * to continuation requests; at most IMAP_CONN_MAX_CONT (more: abort). */
void imap_conn_cmd_cont(struct imap_conn_cmd *cmd, const char *line);

/* Sends cmd and reads responses up to its tagged completion, handing
 * untagged ones to fn.  cont_reply, when not NULL, is added to the
 * command's answers to continuation requests (imap_conn_cmd_cont); once
 * they are used up, a further request is answered "*" (cancel); one
 * without any answer given is a protocol error.  Returns imap_status_errno() of the completion
 * with c->err describing a failure, or -errno when the transport or the
 * protocol failed (the connection is then broken).  *done_r, when not
 * NULL, receives the completion (NULL on transport failure). */
int imap_conn_run(struct imap_conn *c, struct imap_conn_cmd *cmd, imap_conn_data_fn fn, void *arg,
		  const char *cont_reply, struct imap_resp **done_r);

/* Sends n commands (at most IMAP_CONN_MAX_PIPE; they must not depend on
 * each other's results, RFC 3501 §5.5) in one write and reads responses
 * up to all their completions, in any order: one round trip.  The
 * commands must not wait for "+" (no
 * synchronizing literal), hold an external literal or secrets (-EINVAL,
 * nothing sent).  Untagged responses go to fn; rcs[i] receives
 * imap_status_errno() of command i's completion, c->err the first
 * failure.  Returns 0, or -errno when the transport or the protocol
 * failed (the connection is then broken; rcs of the commands not
 * completed stay 0). */
int imap_conn_run_pipe(struct imap_conn *c, struct imap_conn_cmd **cmds, size_t n,
		       imap_conn_data_fn fn, void *arg, int *rcs);

/* The engine's parts, for a command that does not fit imap_conn_run
 * (IDLE, which the server answers "+" and then talks until DONE):
 * imap_conn_send sends cmd whole (it must hold no literal);
 * imap_conn_write_line sends one line that is no command ("DONE"; not
 * traced); imap_conn_break marks c broken after a protocol error;
 * imap_conn_read
 * reads one response, an untagged one after the connection's bookkeeping
 * (an untagged BYE is -ECONNRESET); imap_conn_buffered says whether bytes
 * already read wait to be parsed; imap_conn_tagged_done checks that r
 * completes the command TAG and returns its errno as imap_conn_run does
 * (-EPROTO, connection broken, for a stranger's tag). */
int imap_conn_send(struct imap_conn *c, struct imap_conn_cmd *cmd);
int imap_conn_write_line(struct imap_conn *c, const char *line);
void imap_conn_break(struct imap_conn *c);
int imap_conn_read(struct imap_conn *c, struct imap_resp **r_r);
bool imap_conn_buffered(const struct imap_conn *c);
int imap_conn_tagged_done(struct imap_conn *c, const char *tag, const char *verb,
			  const struct imap_resp *r);

/* What one imap_conn_open knows about logging in with OAuth across its
 * connections (at most two): it asks oauth_command for a fresh token at
 * most once, and reconnects at most once. */
struct imap_login {
	bool renewed;	  /* a fresh token was asked for (oauth_token, refused set) */
	bool reconnected; /* this is the open's second connection */
	/* Set by imap_conn_login: the server hung up after we sent a token
	 * it had not accepted, and a fresh token is kept: worth a new
	 * connection (only when not reconnected already). */
	bool reconnect;
};

/* auth.c: logs in with o's credentials, by the best mechanism the
 * capabilities offer (see imap_conn_open for the errors); port is the
 * one connected to (OAUTHBEARER names it). */
int imap_conn_login(struct imap_conn *c, const struct imap_conn_opts *o, const char *port,
		    struct imap_login *l);

/* Formats c->err. */
void imap_conn_set_error(struct imap_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Copies server text into out, replacing what a terminal or a log could
 * misread (control and non-ASCII bytes) with '?'. */
void imap_conn_clean_text(const char *s, char *out, size_t outlen);

/* A FETCH response "* N FETCH (name value ...)": its items' list, or NULL
 * when r is something else or malformed. */
const struct imap_arg *imap_conn_fetch_items(const struct imap_resp *r);
/* True when r is a FETCH response at all (well-formed or not). */
bool imap_conn_fetch_is(const struct imap_resp *r);
/* Appends a FLAGS value's atoms to out, space-separated; false when v is
 * not a list of atoms. */
bool imap_conn_flags_join(const struct imap_arg *v, struct buf *out);

/* Whether a FETCH item name s is NAME[SECTION] (NAME compared without
 * case: "BODY", "BINARY", "BINARY.SIZE"), followed, when origin_r is not
 * NULL, by an optional "<N>": *origin_r is N (0 without one) and
 * *has_origin_r says whether it was there.  Without origin_r, nothing may
 * follow the "]". */
bool imap_conn_fetch_item(const char *s, const char *name, const char *section,
			  uint64_t *origin_r, bool *has_origin_r);

/* Forgets the selected mailbox (after a failed SELECT or EXAMINE, an
 * UNSELECT, a DELETE or RENAME of it). */
void imap_conn_unselect_state(struct imap_conn *c);

/* UID SEARCH: starts the command, with "RETURN (ALL)" when the server has
 * ESEARCH; the caller appends the search criteria, then
 * imap_conn_search_run sends it and collects the UIDs as
 * imap_conn_search_uids does (and clears cmd). */
void imap_conn_search_start(struct imap_conn *c, struct imap_conn_cmd *cmd);
int imap_conn_search_run(struct imap_conn *c, struct imap_conn_cmd *cmd, size_t max,
			 uint32_t **uids_r, size_t *n_r);

/* 0 when a command on the selected mailbox can be sent; else -ECONNRESET
 * (broken) or -EINVAL (nothing selected), with the reason set. */
int imap_conn_check_selected(struct imap_conn *c, const char *what);

/* Appends uids (ascending) to out as a sequence set: runs become
 * "lo:hi". */
void imap_conn_uid_set(struct buf *out, const uint32_t *uids, size_t n);

/* The bytes of a FETCH body item's value for uid: NIL is empty, a string
 * or literal its contents; anything else, or more than max bytes, is
 * -EPROTO with the reason set. */
int imap_conn_body_value(struct imap_conn *c, uint32_t uid, const struct imap_arg *val, size_t max,
			 const char **data_r, size_t *len_r);

#endif

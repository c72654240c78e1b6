/* imap_parser: a resumable parser of IMAP server responses (RFC 3501/9051)
 * with hard limits.  Bytes may be fed in any split, one at a time if need
 * be; nothing is read past what was fed and no input can crash it.  The
 * parser knows nothing of sockets.
 *
 * What it accepts: lines end in CRLF, and a bare LF is tolerated as isync
 * and Dovecot do; a CR anywhere else or a NUL outside a literal is an error.
 * A line of a data response ending in {N} or ~{N} (a token of its own,
 * outside a quoted string) is followed by exactly N literal bytes, then the
 * line goes on.
 * Status and continuation responses are always one line: their text may end
 * in "{5}" without meaning a literal.  Tokens are separated by exactly one
 * SP, except that a list may follow a list directly (a multipart
 * BODYSTRUCTURE's parts: "((...)(...) "MIXED")"); a trailing SP at the end
 * of a data response is tolerated (some servers send "* SEARCH ").  An atom holding "[" runs to the matching "]", spaces,
 * parentheses and quoted strings included, then goes on with atom
 * characters: BODY[HEADER.FIELDS (SUBJECT)]<0> is one atom.  Quoted strings
 * allow only the escapes \" and \\. */
#ifndef IMAPFS_IMAP_PARSER_H
#define IMAPFS_IMAP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum imap_arg_type {
	IMAP_ARG_NIL,
	IMAP_ARG_ATOM, /* includes numbers, flags (\Seen), BODY[...]<n> items */
	IMAP_ARG_STRING,
	IMAP_ARG_LITERAL, /* {N} or ~{N}; may contain NUL bytes */
	IMAP_ARG_LIST,
};

struct imap_arg {
	enum imap_arg_type type;
	size_t len; /* bytes of str, or items of list */
	union {
		char *str; /* NUL-terminated after len bytes */
		struct imap_arg *list;
	} u;
};

enum imap_resp_type {
	IMAP_RESP_UNTAGGED,	/* "* ..." */
	IMAP_RESP_TAGGED,	/* "TAG ..." */
	IMAP_RESP_CONTINUATION, /* "+ ..." */
};

enum imap_status {
	IMAP_STATUS_NONE, /* a data response, not a status response */
	IMAP_STATUS_OK,
	IMAP_STATUS_NO,
	IMAP_STATUS_BAD,
	IMAP_STATUS_BYE,
	IMAP_STATUS_PREAUTH,
};

struct imap_resp {
	enum imap_resp_type type;
	char *tag; /* tagged only */
	enum imap_status status;
	/* Status responses: the response code atom, upper-cased ("CAPABILITY",
	 * "UIDVALIDITY", ...) and its argument text up to the matching ']'
	 * (each NULL when absent). */
	char *code;
	char *code_arg;
	/* Status and continuation responses: the free text (never NULL; ""
	 * for data responses).  A continuation's text is everything after
	 * "+ ", uninterpreted (it may be base64). */
	char *text;
	/* Data responses: every token after "*", e.g. "12" "FETCH" (...). */
	struct imap_arg *args;
	size_t nargs;
};

struct imap_parser_limits {
	size_t max_line;      /* bytes of one line, literals excluded */
	uint64_t max_literal; /* bytes of one literal */
	uint64_t max_total;   /* bytes of one whole response */
	/* Nesting of parenthesized lists; values above 1000 act as 1000, as
	 * the parse recurses once per level. */
	unsigned max_depth;
	/* Tokens (atoms, strings, literals, lists) in one response: bounds the
	 * memory a response of many tiny tokens costs.  0 means the default,
	 * so that initializers written before this field stay safe. */
	size_t max_args;
};

/* About what one max_line of "1 2 3 ..." holds (a SEARCH of a big folder). */
#define IMAP_PARSER_DEFAULT_MAX_ARGS (1u << 19)

#define IMAP_PARSER_DEFAULT_LIMITS                                                                 \
	{                                                                                          \
		.max_line = 1u << 20, .max_literal = 64u << 20, .max_total = 80u << 20,            \
		.max_depth = 64, .max_args = IMAP_PARSER_DEFAULT_MAX_ARGS                          \
	}

enum imap_parse_result {
	IMAP_PARSE_DONE,  /* *resp_r holds one complete response */
	IMAP_PARSE_MORE,  /* everything fed was consumed; feed more */
	IMAP_PARSE_ERROR, /* hostile or broken input: drop the connection */
};

struct imap_parser;

/* lim NULL means IMAP_PARSER_DEFAULT_LIMITS.  NULL on out of memory. */
struct imap_parser *imap_parser_new(const struct imap_parser_limits *lim);
void imap_parser_free(struct imap_parser **p);

/* Consumes bytes from data; *used_r says how many.  On DONE the caller owns
 * *resp_r (imap_resp_free) and feeds the unconsumed rest again.  After
 * ERROR, imap_parser_error() says why ("literal of 4294967296 bytes exceeds
 * the limit ...") and every later call returns ERROR. */
enum imap_parse_result imap_parser_feed(struct imap_parser *p, const char *data, size_t len,
					size_t *used_r, struct imap_resp **resp_r);
const char *imap_parser_error(const struct imap_parser *p); /* "" if none */

void imap_resp_free(struct imap_resp **r);

/* Accessors, all NULL-safe and case-insensitive where they compare. */
bool imap_arg_is_atom(const struct imap_arg *a, const char *atom);
/* Atom, string or literal contents; NULL for NIL and lists. */
const char *imap_arg_str(const struct imap_arg *a);
/* Atoms only, all digits (no sign), in range; *v_r untouched on false. */
bool imap_arg_u32(const struct imap_arg *a, uint32_t *v_r);
bool imap_arg_u64(const struct imap_arg *a, uint64_t *v_r);

#endif

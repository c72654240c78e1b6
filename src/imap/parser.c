/* imap_parser: IMAP server responses in two stages.
 *
 * Framing collects one logical response: a line, and whenever a line of a
 * data response ends in a literal marker, exactly that many literal bytes
 * and the next line.  Every limit is checked here, before anything is
 * buffered or allocated, so a hostile server cannot make us hold more than
 * the limits allow.  Only once the response is complete does a
 * recursive-descent parse turn it into tokens.  Parsing a complete response
 * instead of resuming mid-token keeps the parse simple and identical however
 * the bytes were split. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "imapfs/buf.h"
#include "imapfs/imap_parser.h"

#define PARSER_DEPTH_CAP 1000u
/* A literal's buffer grows with the bytes that arrive, from this size up to
 * the announced size: a server announcing 64 MB and sending nothing costs
 * us little. */
#define PARSER_LIT_FIRST_ALLOC ((size_t)64 << 10)
/* Buffers kept between responses when they are at most this big. */
#define PARSER_KEEP_BYTES ((size_t)64 << 10)

/* One line of the response and the literal that follows it, if any. */
struct parser_seg {
	size_t off; /* of the line in parser.lines */
	size_t len; /* without the line terminator */
	bool has_lit;
	bool lit8;
	size_t lit_len;
	char *lit; /* owned here until the parse takes it */
};

enum parser_state {
	PARSER_LINE,
	PARSER_LITERAL,
	PARSER_FAILED,
};

struct imap_parser {
	struct imap_parser_limits lim;
	enum parser_state state;
	struct buf lines;  /* every line of the response, back to back */
	size_t line_start; /* offset in lines of the line being read */
	struct parser_seg *segs;
	size_t nsegs, segs_cap;
	size_t lit_have; /* bytes of segs[nsegs - 1].lit received */
	size_t lit_cap;
	uint64_t total; /* bytes of this response so far, terminators included */
	char err[160];
};

/* What the first line of a response is. */
enum parser_kind {
	PARSER_KIND_INVALID,
	PARSER_KIND_CONTINUATION,
	PARSER_KIND_STATUS, /* tagged or untagged; one line */
	PARSER_KIND_DATA,   /* untagged data; may hold literals */
};

static int parser_fail(struct imap_parser *p, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int parser_fail(struct imap_parser *p, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	return -err;
}

/* ATOM-CHAR of RFC 3501 plus what servers put in atoms anyway: "\" and "*"
 * of flags, "%", "]" (resp-specials) and 8-bit bytes.  "[" is handled by the
 * caller, it opens a bracketed section. */
static bool parser_is_atom_char(unsigned char c)
{
	if (c <= 0x20 || c == 0x7f)
		return false;
	return c != '(' && c != ')' && c != '{' && c != '"';
}

/* tag = 1*<any ASTRING-CHAR except "+">, 7-bit only. */
static bool parser_is_tag_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return !strchr("(){%*\"\\+", c);
}

static bool parser_word_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

static enum imap_status parser_status_word(const char *s, size_t n, bool tagged)
{
	if (parser_word_is(s, n, "OK"))
		return IMAP_STATUS_OK;
	if (parser_word_is(s, n, "NO"))
		return IMAP_STATUS_NO;
	if (parser_word_is(s, n, "BAD"))
		return IMAP_STATUS_BAD;
	if (tagged)
		return IMAP_STATUS_NONE;
	if (parser_word_is(s, n, "BYE"))
		return IMAP_STATUS_BYE;
	if (parser_word_is(s, n, "PREAUTH"))
		return IMAP_STATUS_PREAUTH;
	return IMAP_STATUS_NONE;
}

/* Classifies a first line.  Framing and parse both use this, so they can
 * never disagree on whether a line may be followed by a literal.  For status
 * lines *status_r is set, *tag_len_r is the tag's length (0 if untagged) and
 * *rest_r the offset just past the status word. */
static enum parser_kind parser_classify(const char *s, size_t n, enum imap_status *status_r,
					size_t *tag_len_r, size_t *rest_r)
{
	size_t i = 0, w;
	bool tagged;

	*status_r = IMAP_STATUS_NONE;
	*tag_len_r = 0;
	*rest_r = 0;
	if (n == 0)
		return PARSER_KIND_INVALID;
	if (s[0] == '+')
		return n == 1 || s[1] == ' ' ? PARSER_KIND_CONTINUATION : PARSER_KIND_INVALID;
	if (s[0] == '*') {
		tagged = false;
		i = 1;
	} else {
		tagged = true;
		while (i < n && parser_is_tag_char((unsigned char)s[i]))
			i++;
		if (i == 0)
			return PARSER_KIND_INVALID;
		*tag_len_r = i;
	}
	if (i >= n || s[i] != ' ' || i + 1 == n)
		return PARSER_KIND_INVALID;
	i++;
	for (w = i; w < n && s[w] != ' '; w++)
		;
	*status_r = parser_status_word(s + i, w - i, tagged);
	if (*status_r != IMAP_STATUS_NONE) {
		*rest_r = w;
		return PARSER_KIND_STATUS;
	}
	/* A tagged response is always a status response. */
	return tagged ? PARSER_KIND_INVALID : PARSER_KIND_DATA;
}

struct imap_parser *imap_parser_new(const struct imap_parser_limits *lim)
{
	static const struct imap_parser_limits defaults = IMAP_PARSER_DEFAULT_LIMITS;
	struct imap_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->lim = lim ? *lim : defaults;
	if (p->lim.max_depth > PARSER_DEPTH_CAP)
		p->lim.max_depth = PARSER_DEPTH_CAP;
	if (p->lim.max_args == 0)
		p->lim.max_args = IMAP_PARSER_DEFAULT_MAX_ARGS;
	p->state = PARSER_LINE;
	return p;
}

/* Forgets the response being collected; keeps small buffers for the next. */
static void parser_reset(struct imap_parser *p)
{
	for (size_t i = 0; i < p->nsegs; i++)
		free(p->segs[i].lit);
	p->nsegs = 0;
	if (p->segs_cap * sizeof(*p->segs) > PARSER_KEEP_BYTES) {
		free(p->segs);
		p->segs = NULL;
		p->segs_cap = 0;
	}
	if (p->lines.cap > PARSER_KEEP_BYTES)
		buf_free(&p->lines);
	else
		buf_reset(&p->lines);
	p->line_start = 0;
	p->lit_have = p->lit_cap = 0;
	p->total = 0;
	if (p->state != PARSER_FAILED)
		p->state = PARSER_LINE;
}

void imap_parser_free(struct imap_parser **pp)
{
	struct imap_parser *p = *pp;

	if (!p)
		return;
	parser_reset(p);
	free(p->segs);
	buf_free(&p->lines);
	free(p);
	*pp = NULL;
}

const char *imap_parser_error(const struct imap_parser *p)
{
	return p ? p->err : "no parser";
}

/* ---- framing ---------------------------------------------------------- */

/* Finds a literal marker {N} or ~{N} ending the line outside a quoted
 * string.  Returns 1 and the size, 0 if there is none, or -errno if the
 * size overflows.  What is not exactly a marker is left to the parse, which
 * rejects it. */
static int parser_find_marker(struct imap_parser *p, const char *s, size_t n, uint64_t *size_r,
			      bool *lit8_r)
{
	bool quoted = false;
	size_t i, j;
	uint64_t v = 0;

	for (i = 0; i < n; i++) {
		if (quoted && s[i] == '\\' && i + 1 < n)
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
	}
	if (quoted || n < 3 || s[n - 1] != '}')
		return 0;
	for (j = n - 1; j > 0 && s[j - 1] >= '0' && s[j - 1] <= '9'; j--)
		;
	if (j == 0 || j == n - 1 || s[j - 1] != '{')
		return 0;
	/* A marker is a token of its own: glued to what precedes it, it is
	 * garbage, refused by the parse at once instead of after N bytes. */
	size_t open = j >= 2 && s[j - 2] == '~' ? j - 2 : j - 1;
	if (open == 0 || (s[open - 1] != ' ' && s[open - 1] != '('))
		return 0;
	for (i = j; i < n - 1; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return parser_fail(p, EFBIG, "literal size %.*s overflows",
					   (int)(n - j - 1), s + j);
		v = v * 10 + d;
	}
	*size_r = v;
	*lit8_r = open == j - 2;
	return 1;
}

static int parser_push_seg(struct imap_parser *p, size_t off, size_t len)
{
	if (p->nsegs == p->segs_cap) {
		size_t cap = p->segs_cap ? p->segs_cap * 2 : 8;
		struct parser_seg *v = realloc(p->segs, cap * sizeof(*v));

		if (!v)
			return parser_fail(p, ENOMEM, "out of memory");
		p->segs = v;
		p->segs_cap = cap;
	}
	p->segs[p->nsegs++] = (struct parser_seg){.off = off, .len = len};
	return 0;
}

static int parser_lit_grow(struct imap_parser *p, struct parser_seg *seg, size_t need)
{
	size_t cap = p->lit_cap ? p->lit_cap : PARSER_LIT_FIRST_ALLOC;
	char *v;

	/* need <= lit_len + 1 always, so the clamp below still fits it. */
	if (need <= p->lit_cap)
		return 0;
	while (cap < need && cap <= SIZE_MAX / 2)
		cap *= 2;
	if (cap < need || cap > seg->lit_len + 1)
		cap = seg->lit_len + 1;
	v = realloc(seg->lit, cap);
	if (!v)
		return parser_fail(p, ENOMEM, "out of memory for a literal of %zu bytes",
				   seg->lit_len);
	seg->lit = v;
	p->lit_cap = cap;
	return 0;
}

static int parser_lit_done(struct imap_parser *p, struct parser_seg *seg)
{
	int ret = parser_lit_grow(p, seg, seg->lit_len + 1);

	if (ret < 0)
		return ret;
	seg->lit[seg->lit_len] = '\0';
	p->state = PARSER_LINE;
	p->line_start = p->lines.len;
	p->lit_have = p->lit_cap = 0;
	return 0;
}

/* A line is complete in lines[line_start..].  Returns 1 when the response
 * is complete, 0 when a literal follows, or -errno. */
static int parser_end_line(struct imap_parser *p)
{
	char *s = p->lines.data + p->line_start;
	size_t n = p->lines.len - p->line_start;
	enum imap_status status;
	size_t tag_len, rest;
	uint64_t size = 0;
	bool lit8 = false;
	int ret;

	if (n > 0 && s[n - 1] == '\r') {
		n--;
		p->lines.len--;
		s[n] = '\0';
	}
	if (n > p->lim.max_line)
		return parser_fail(p, EMSGSIZE, "line exceeds the limit of %zu bytes",
				   p->lim.max_line);
	if (memchr(s, '\r', n))
		return parser_fail(p, EPROTO, "CR inside a line");
	if (memchr(s, '\0', n))
		return parser_fail(p, EPROTO, "NUL byte outside a literal");
	ret = parser_push_seg(p, p->line_start, n);
	if (ret < 0)
		return ret;
	if (p->nsegs == 1) {
		switch (parser_classify(s, n, &status, &tag_len, &rest)) {
		case PARSER_KIND_INVALID:
			/* Not echoed: it is hostile and may end up in a log. */
			return parser_fail(p, EPROTO, "line is not an IMAP response");
		case PARSER_KIND_CONTINUATION:
		case PARSER_KIND_STATUS:
			return 1;
		case PARSER_KIND_DATA:
			break;
		}
	}
	ret = parser_find_marker(p, s, n, &size, &lit8);
	if (ret <= 0)
		return ret == 0 ? 1 : ret;
	if (size > p->lim.max_literal || size > SIZE_MAX - 1)
		return parser_fail(p, EMSGSIZE,
				   "literal of %" PRIu64 " bytes exceeds the limit of %" PRIu64
				   " bytes",
				   size, p->lim.max_literal);
	if (size > p->lim.max_total - p->total)
		return parser_fail(p, EMSGSIZE,
				   "literal of %" PRIu64 " bytes makes the response exceed the "
				   "limit of %" PRIu64 " bytes",
				   size, p->lim.max_total);
	/* Each literal is a token: this bounds the segments too. */
	if (p->nsegs > p->lim.max_args)
		return parser_fail(p, EMSGSIZE, "response exceeds the limit of %zu tokens",
				   p->lim.max_args);
	struct parser_seg *seg = &p->segs[p->nsegs - 1];

	seg->has_lit = true;
	seg->lit8 = lit8;
	seg->lit_len = (size_t)size;
	p->total += size;
	p->state = PARSER_LITERAL;
	p->lit_have = p->lit_cap = 0;
	if (size == 0)
		return parser_lit_done(p, seg);
	return 0;
}

/* Takes line bytes from data; returns how many, or -errno.  Sets *done_r
 * when the response is complete. */
static ssize_t parser_read_line(struct imap_parser *p, const char *data, size_t len, bool *done_r)
{
	const char *lf = memchr(data, '\n', len);
	size_t chunk = lf ? (size_t)(lf - data) : len;
	size_t have = p->lines.len - p->line_start;
	size_t raw = have + chunk;
	int ret;

	/* Fail as soon as the line is too long, before buffering it; one byte
	 * of slack for the CR of a CRLF not yet complete. */
	if (raw > p->lim.max_line &&
	    (raw - p->lim.max_line > 1 || (chunk > 0 && data[chunk - 1] != '\r') ||
	     (chunk == 0 && p->lines.data[p->lines.len - 1] != '\r')))
		return parser_fail(p, EMSGSIZE, "line exceeds the limit of %zu bytes",
				   p->lim.max_line);
	if (chunk + (lf ? 1 : 0) > p->lim.max_total - p->total)
		return parser_fail(p, EMSGSIZE, "response exceeds the limit of %" PRIu64 " bytes",
				   p->lim.max_total);
	buf_append(&p->lines, data, chunk);
	p->total += chunk;
	if (!lf)
		return (ssize_t)chunk;
	p->total++;
	ret = parser_end_line(p);
	if (ret < 0)
		return ret;
	*done_r = ret == 1;
	return (ssize_t)chunk + 1;
}

static ssize_t parser_read_literal(struct imap_parser *p, const char *data, size_t len)
{
	struct parser_seg *seg = &p->segs[p->nsegs - 1];
	size_t n = seg->lit_len - p->lit_have;
	int ret;

	if (n > len)
		n = len;
	ret = parser_lit_grow(p, seg, p->lit_have + n + 1);
	if (ret < 0)
		return ret;
	memcpy(seg->lit + p->lit_have, data, n);
	p->lit_have += n;
	if (p->lit_have == seg->lit_len) {
		ret = parser_lit_done(p, seg);
		if (ret < 0)
			return ret;
	}
	return (ssize_t)n;
}

/* ---- parse of a complete response -------------------------------------- */

struct parse_ctx {
	struct imap_parser *p;
	size_t si;     /* current segment */
	const char *s; /* its line */
	size_t n;
	size_t i; /* position in s */
	size_t ntokens;
};

static void parse_load_seg(struct parse_ctx *c, size_t si)
{
	c->si = si;
	c->s = c->p->lines.data + c->p->segs[si].off;
	c->n = c->p->segs[si].len;
	c->i = 0;
}

/* The next byte of the current line, or -1 at its end. */
static int parse_peek(const struct parse_ctx *c)
{
	return c->i < c->n ? (unsigned char)c->s[c->i] : -1;
}

static bool parse_at_end(const struct parse_ctx *c)
{
	return c->i == c->n && c->si + 1 == c->p->nsegs;
}

static char *parse_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static void parse_free_args(struct imap_arg *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].type == IMAP_ARG_LIST)
			parse_free_args(v[i].u.list, v[i].len);
		else
			free(v[i].u.str);
	}
	free(v);
}

/* Skips a quoted string starting at c->i (on the '"'); returns false if it
 * does not end on this line. */
static bool parse_skip_quoted(struct parse_ctx *c)
{
	for (c->i++; c->i < c->n; c->i++) {
		if (c->s[c->i] == '\\' && c->i + 1 < c->n)
			c->i++;
		else if (c->s[c->i] == '"') {
			c->i++;
			return true;
		}
	}
	return false;
}

/* Skips from '[' to its matching ']' (quoted strings inside may hold ']'). */
static int parse_skip_bracket(struct parse_ctx *c)
{
	size_t depth = 0;

	while (c->i < c->n) {
		char ch = c->s[c->i];

		if (ch == '"') {
			if (!parse_skip_quoted(c))
				break;
			continue;
		}
		c->i++;
		if (ch == '[')
			depth++;
		else if (ch == ']' && --depth == 0)
			return 0;
	}
	return parser_fail(c->p, EPROTO, "unterminated \"[\"");
}

static int parse_atom(struct parse_ctx *c, struct imap_arg *a)
{
	size_t start = c->i;
	int ch, ret;

	while ((ch = parse_peek(c)) >= 0) {
		if (ch == '[') {
			ret = parse_skip_bracket(c);
			if (ret < 0)
				return ret;
		} else if (parser_is_atom_char((unsigned char)ch)) {
			c->i++;
		} else {
			break;
		}
	}
	if (c->i == start) {
		if (ch < 0)
			return parser_fail(c->p, EPROTO, "unexpected end of line");
		return parser_fail(c->p, EPROTO, "unexpected character 0x%02x", (unsigned)ch);
	}
	if (parser_word_is(c->s + start, c->i - start, "NIL")) {
		a->type = IMAP_ARG_NIL;
		a->len = 0;
		a->u.str = NULL;
		return 0;
	}
	a->type = IMAP_ARG_ATOM;
	a->len = c->i - start;
	a->u.str = parse_strndup(c->s + start, a->len);
	return a->u.str ? 0 : parser_fail(c->p, ENOMEM, "out of memory");
}

static int parse_quoted(struct parse_ctx *c, struct imap_arg *a)
{
	size_t start = c->i + 1, n = 0, i;
	char *d;

	/* First find the end and the unescaped length, then copy. */
	for (i = start;; i++) {
		if (i >= c->n)
			return parser_fail(c->p, EPROTO, "unterminated quoted string");
		if (c->s[i] == '"')
			break;
		if (c->s[i] == '\\') {
			if (i + 1 >= c->n || (c->s[i + 1] != '"' && c->s[i + 1] != '\\'))
				return parser_fail(c->p, EPROTO, "bad escape in quoted string");
			i++;
		}
		n++;
	}
	d = malloc(n + 1);
	if (!d)
		return parser_fail(c->p, ENOMEM, "out of memory");
	n = 0;
	for (size_t j = start; j < i; j++) {
		if (c->s[j] == '\\')
			j++;
		d[n++] = c->s[j];
	}
	d[n] = '\0';
	a->type = IMAP_ARG_STRING;
	a->len = n;
	a->u.str = d;
	c->i = i + 1;
	return 0;
}

/* At "{" or "~{".  Framing recorded the literal; the marker must end the
 * line and agree with it. */
static int parse_literal(struct parse_ctx *c, struct imap_arg *a)
{
	struct parser_seg *seg = &c->p->segs[c->si];
	bool lit8 = c->s[c->i] == '~';
	size_t i = c->i + (lit8 ? 2 : 1), start = i;
	uint64_t v = 0;
	bool overflow = false;

	for (; i < c->n && c->s[i] >= '0' && c->s[i] <= '9'; i++) {
		unsigned d = (unsigned)(c->s[i] - '0');

		overflow = overflow || v > (UINT64_MAX - d) / 10;
		v = v * 10 + d;
	}
	if (i == start || i >= c->n || c->s[i] != '}')
		return parser_fail(c->p, EPROTO, "malformed literal marker");
	if (i + 1 != c->n || !seg->has_lit)
		return parser_fail(c->p, EPROTO, "literal marker does not end the line");
	if (seg->lit8 != lit8 || overflow || v != seg->lit_len)
		return parser_fail(c->p, EPROTO, "literal marker disagrees with its data");
	a->type = IMAP_ARG_LITERAL;
	a->len = seg->lit_len;
	a->u.str = seg->lit;
	seg->lit = NULL;
	parse_load_seg(c, c->si + 1);
	return 0;
}

static int parse_items(struct parse_ctx *c, unsigned depth, bool in_list, struct imap_arg **v_r,
		       size_t *n_r);

static int parse_token(struct parse_ctx *c, unsigned depth, struct imap_arg *a)
{
	int ch = parse_peek(c), ret;

	if (++c->ntokens > c->p->lim.max_args)
		return parser_fail(c->p, EMSGSIZE, "response exceeds the limit of %zu tokens",
				   c->p->lim.max_args);
	switch (ch) {
	case '(':
		/* Checked before recursing: deep nesting never grows the stack. */
		if (depth >= c->p->lim.max_depth)
			return parser_fail(c->p, EMSGSIZE, "lists nested deeper than %u",
					   c->p->lim.max_depth);
		c->i++;
		ret = parse_items(c, depth + 1, true, &a->u.list, &a->len);
		if (ret < 0)
			return ret;
		a->type = IMAP_ARG_LIST;
		return 0;
	case ')':
		return parser_fail(c->p, EPROTO, "unbalanced \")\"");
	case '"':
		return parse_quoted(c, a);
	case '{':
		return parse_literal(c, a);
	case '~':
		if (c->i + 1 < c->n && c->s[c->i + 1] == '{')
			return parse_literal(c, a);
		return parse_atom(c, a);
	default:
		return parse_atom(c, a);
	}
}

/* Tokens up to the ")" closing a list (in_list) or the end of the response.
 * On error nothing is returned and everything parsed is freed. */
static int parse_items(struct parse_ctx *c, unsigned depth, bool in_list, struct imap_arg **v_r,
		       size_t *n_r)
{
	struct imap_arg *v = NULL;
	size_t n = 0, cap = 0;
	int ret = 0, ch;

	for (;;) {
		ch = parse_peek(c);
		if (in_list && ch == ')' && n == 0) {
			c->i++;
			break;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct imap_arg *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				ret = parser_fail(c->p, ENOMEM, "out of memory");
				goto out;
			}
			v = nv;
			cap = ncap;
		}
		ret = parse_token(c, depth, &v[n]);
		if (ret < 0)
			goto out;
		n++;
		ch = parse_peek(c);
		if (in_list && ch == ')') {
			c->i++;
			break;
		}
		if (!in_list && parse_at_end(c))
			break;
		/* A list right after a list: the parts of a multipart
		 * BODYSTRUCTURE (RFC 3501 body-type-mpart = 1*body SP ...)
		 * come without a space between them. */
		if (in_list && ch == '(' && v[n - 1].type == IMAP_ARG_LIST)
			continue;
		if (ch != ' ') {
			if (ch < 0)
				ret = parser_fail(c->p, EPROTO, "unexpected end of %s",
						  in_list ? "list" : "line");
			else if (ch == ')')
				ret = parser_fail(c->p, EPROTO, "unbalanced \")\"");
			else
				ret = parser_fail(c->p, EPROTO,
						  "missing space before character 0x%02x",
						  (unsigned)ch);
			goto out;
		}
		c->i++;
		if (!in_list && parse_at_end(c))
			break;
		ch = parse_peek(c);
		if (ch == ' ' || ch == ')' || ch < 0) {
			ret = parser_fail(c->p, EPROTO, "space without a token after it");
			goto out;
		}
	}
	*v_r = v;
	*n_r = n;
	return 0;
out:
	parse_free_args(v, n);
	return ret;
}

/* [SP ["[" code [SP arg] "]"] [SP text]] after the status word. */
static int parse_status_rest(struct parse_ctx *c, struct imap_resp *r)
{
	size_t start;

	if (c->i < c->n) {
		/* The classifier stopped at a space. */
		c->i++;
		if (parse_peek(c) == '[') {
			start = ++c->i;
			while (c->i < c->n && c->s[c->i] != ' ' && c->s[c->i] != ']' &&
			       c->s[c->i] != '[' && parser_is_atom_char((unsigned char)c->s[c->i]))
				c->i++;
			if (c->i == start || c->i == c->n ||
			    (c->s[c->i] != ' ' && c->s[c->i] != ']'))
				return parser_fail(c->p, EPROTO, "malformed response code");
			r->code = parse_strndup(c->s + start, c->i - start);
			if (!r->code)
				return parser_fail(c->p, ENOMEM, "out of memory");
			for (char *q = r->code; *q; q++)
				if (*q >= 'a' && *q <= 'z')
					*q = (char)(*q - 'a' + 'A');
			if (c->s[c->i] == ' ') {
				/* The argument runs to the "]" matching the
				 * code's "[": rewind onto it and skip. */
				size_t arg = ++c->i;
				int ret;

				c->i = start - 1;
				ret = parse_skip_bracket(c);
				if (ret < 0)
					return parser_fail(c->p, EPROTO,
							   "unterminated response code");
				r->code_arg = parse_strndup(c->s + arg, c->i - 1 - arg);
				if (!r->code_arg)
					return parser_fail(c->p, ENOMEM, "out of memory");
			} else {
				c->i++;
			}
			if (c->i < c->n) {
				if (c->s[c->i] != ' ')
					return parser_fail(c->p, EPROTO,
							   "missing space after response code");
				c->i++;
			}
		}
	}
	r->text = parse_strndup(c->s + c->i, c->n - c->i);
	return r->text ? 0 : parser_fail(c->p, ENOMEM, "out of memory");
}

static int parse_response(struct imap_parser *p, struct imap_resp **resp_r)
{
	struct parse_ctx c = {.p = p};
	struct imap_resp *r = calloc(1, sizeof(*r));
	enum imap_status status;
	size_t tag_len, rest;
	int ret;

	if (!r)
		return parser_fail(p, ENOMEM, "out of memory");
	parse_load_seg(&c, 0);
	switch (parser_classify(c.s, c.n, &status, &tag_len, &rest)) {
	case PARSER_KIND_INVALID:
		/* Framing already refused it. */
		ret = parser_fail(p, EPROTO, "not an IMAP response");
		goto out;
	case PARSER_KIND_CONTINUATION:
		r->type = IMAP_RESP_CONTINUATION;
		r->status = IMAP_STATUS_NONE;
		r->text = parse_strndup(c.s + (c.n > 1 ? 2 : 1), c.n > 1 ? c.n - 2 : 0);
		ret = r->text ? 0 : parser_fail(p, ENOMEM, "out of memory");
		goto out;
	case PARSER_KIND_STATUS:
		r->type = tag_len ? IMAP_RESP_TAGGED : IMAP_RESP_UNTAGGED;
		r->status = status;
		if (tag_len) {
			r->tag = parse_strndup(c.s, tag_len);
			if (!r->tag) {
				ret = parser_fail(p, ENOMEM, "out of memory");
				goto out;
			}
		}
		c.i = rest;
		ret = parse_status_rest(&c, r);
		goto out;
	case PARSER_KIND_DATA:
		break;
	}
	r->type = IMAP_RESP_UNTAGGED;
	r->status = IMAP_STATUS_NONE;
	c.i = 2;
	ret = parse_items(&c, 0, false, &r->args, &r->nargs);
	if (ret < 0)
		goto out;
	r->text = parse_strndup("", 0);
	if (!r->text)
		ret = parser_fail(p, ENOMEM, "out of memory");
out:
	if (ret < 0)
		imap_resp_free(&r);
	*resp_r = r;
	return ret;
}

/* ---- the public entry ------------------------------------------------- */

enum imap_parse_result imap_parser_feed(struct imap_parser *p, const char *data, size_t len,
					size_t *used_r, struct imap_resp **resp_r)
{
	size_t pos = 0;
	bool done = false;
	ssize_t n;
	int ret;

	*used_r = 0;
	*resp_r = NULL;
	if (!p)
		return IMAP_PARSE_ERROR;
	while (p->state != PARSER_FAILED && pos < len && !done) {
		if (p->state == PARSER_LITERAL)
			n = parser_read_literal(p, data + pos, len - pos);
		else
			n = parser_read_line(p, data + pos, len - pos, &done);
		if (n < 0)
			goto fail;
		pos += (size_t)n;
	}
	*used_r = pos;
	if (p->state == PARSER_FAILED)
		return IMAP_PARSE_ERROR;
	if (!done)
		return IMAP_PARSE_MORE;
	ret = parse_response(p, resp_r);
	if (ret < 0)
		goto fail;
	parser_reset(p);
	return IMAP_PARSE_DONE;
fail:
	*used_r = pos;
	p->state = PARSER_FAILED;
	parser_reset(p);
	return IMAP_PARSE_ERROR;
}

void imap_resp_free(struct imap_resp **rp)
{
	struct imap_resp *r = *rp;

	if (!r)
		return;
	free(r->tag);
	free(r->code);
	free(r->code_arg);
	free(r->text);
	parse_free_args(r->args, r->nargs);
	free(r);
	*rp = NULL;
}

/* ---- accessors -------------------------------------------------------- */

bool imap_arg_is_atom(const struct imap_arg *a, const char *atom)
{
	return a && atom && a->type == IMAP_ARG_ATOM && parser_word_is(a->u.str, a->len, atom);
}

const char *imap_arg_str(const struct imap_arg *a)
{
	if (!a)
		return NULL;
	switch (a->type) {
	case IMAP_ARG_ATOM:
	case IMAP_ARG_STRING:
	case IMAP_ARG_LITERAL:
		return a->u.str;
	case IMAP_ARG_NIL:
	case IMAP_ARG_LIST:
		break;
	}
	return NULL;
}

bool imap_arg_u64(const struct imap_arg *a, uint64_t *v_r)
{
	uint64_t v = 0;

	if (!a || a->type != IMAP_ARG_ATOM || a->len == 0)
		return false;
	for (size_t i = 0; i < a->len; i++) {
		unsigned char ch = (unsigned char)a->u.str[i];
		unsigned d = ch - '0';

		if (ch < '0' || ch > '9' || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*v_r = v;
	return true;
}

bool imap_arg_u32(const struct imap_arg *a, uint32_t *v_r)
{
	uint64_t v;

	if (!imap_arg_u64(a, &v) || v > UINT32_MAX)
		return false;
	*v_r = (uint32_t)v;
	return true;
}

/* Fuzz target for imap_parser (and the decoders that get its strings:
 * imap_utf7, imap_date).
 *
 * Input: byte 0 selects the limits, byte 1 seeds the splits, the rest is
 * what a server sends.  An odd byte 0 sets tiny limits so that every limit
 * is hit.  The rest is fed once whole and once in pseudo-random chunks of
 * 1..16 bytes drawn from byte 1.  The seed corpus uses printable bytes for
 * both ("0x", "1y", ...) so that its files stay readable.
 *
 * Checked invariants (abort() on violation, which the fuzzer reports):
 * results and used counts follow the header's contract, both feeds give
 * identical responses, strings are NUL-terminated after len, atoms hold no
 * NUL, and modified UTF-7 decodes and re-encodes to the identical bytes
 * (and the other way round). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imapfs/buf.h"
#include "imapfs/imap_date.h"
#include "imapfs/imap_parser.h"
#include "imapfs/imap_utf7.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void fuzz_utf7(const char *s)
{
	char *out = NULL, *back = NULL;

	if (imap_utf7_decode(s, &out) == 0) {
		FUZZ_ASSERT(imap_utf7_encode(out, &back) == 0);
		FUZZ_ASSERT(strcmp(back, s) == 0);
		free(back);
		back = NULL;
	} else {
		FUZZ_ASSERT(out == NULL);
	}
	free(out);
	out = NULL;
	if (imap_utf7_encode(s, &out) == 0) {
		FUZZ_ASSERT(imap_utf7_decode(out, &back) == 0);
		FUZZ_ASSERT(strcmp(back, s) == 0);
		free(back);
	} else {
		FUZZ_ASSERT(out == NULL);
	}
	free(out);
}

static void fuzz_string(const char *s, size_t len)
{
	time_t t;

	FUZZ_ASSERT(s[len] == '\0');
	if (strlen(s) != len)
		return; /* a literal with NUL: not a C string */
	fuzz_utf7(s);
	(void)imap_date_parse(s, &t);
}

static void fuzz_args(const struct imap_arg *v, size_t n, unsigned depth, unsigned max_depth)
{
	FUZZ_ASSERT(n == 0 || v != NULL);
	for (size_t i = 0; i < n; i++) {
		const struct imap_arg *a = &v[i];
		uint32_t u32;
		uint64_t u64;
		bool is32, is64;

		is64 = imap_arg_u64(a, &u64);
		is32 = imap_arg_u32(a, &u32);
		FUZZ_ASSERT(!is32 || (is64 && u64 == u32));
		FUZZ_ASSERT(!is64 || a->type == IMAP_ARG_ATOM);
		switch (a->type) {
		case IMAP_ARG_NIL:
			FUZZ_ASSERT(imap_arg_str(a) == NULL);
			break;
		case IMAP_ARG_ATOM:
			FUZZ_ASSERT(a->len > 0 && strlen(a->u.str) == a->len);
			FUZZ_ASSERT(imap_arg_is_atom(a, a->u.str));
			FUZZ_ASSERT(!imap_arg_is_atom(a, "NIL"));
			fuzz_string(a->u.str, a->len);
			break;
		case IMAP_ARG_STRING:
			FUZZ_ASSERT(strlen(a->u.str) == a->len);
			FUZZ_ASSERT(!imap_arg_is_atom(a, a->u.str));
			fuzz_string(a->u.str, a->len);
			break;
		case IMAP_ARG_LITERAL:
			FUZZ_ASSERT(imap_arg_str(a) == a->u.str);
			fuzz_string(a->u.str, a->len);
			break;
		case IMAP_ARG_LIST:
			FUZZ_ASSERT(depth < max_depth);
			FUZZ_ASSERT(imap_arg_str(a) == NULL);
			fuzz_args(a->u.list, a->len, depth + 1, max_depth);
			break;
		default:
			abort();
		}
	}
}

static void fuzz_resp(const struct imap_resp *r, const struct imap_parser_limits *lim)
{
	FUZZ_ASSERT(r->text != NULL);
	switch (r->type) {
	case IMAP_RESP_CONTINUATION:
		FUZZ_ASSERT(r->tag == NULL && r->nargs == 0 && r->status == IMAP_STATUS_NONE);
		break;
	case IMAP_RESP_TAGGED:
		FUZZ_ASSERT(r->tag && r->tag[0] && r->status != IMAP_STATUS_NONE);
		FUZZ_ASSERT(r->status != IMAP_STATUS_BYE && r->status != IMAP_STATUS_PREAUTH);
		break;
	case IMAP_RESP_UNTAGGED:
		FUZZ_ASSERT(r->tag == NULL);
		break;
	default:
		abort();
	}
	if (r->status == IMAP_STATUS_NONE) {
		FUZZ_ASSERT(r->code == NULL && r->code_arg == NULL);
	} else {
		FUZZ_ASSERT(r->nargs == 0);
		FUZZ_ASSERT(r->code || !r->code_arg);
		for (const char *c = r->code; c && *c; c++)
			FUZZ_ASSERT(!(*c >= 'a' && *c <= 'z'));
	}
	if (r->type == IMAP_RESP_UNTAGGED && r->status == IMAP_STATUS_NONE)
		FUZZ_ASSERT(r->nargs > 0 && r->nargs <= lim->max_args);
	fuzz_args(r->args, r->nargs, 0, lim->max_depth);
}

static void trace_str(struct buf *t, const char *s, size_t n)
{
	if (!s) {
		buf_appends(t, "-");
		return;
	}
	buf_appendf(t, "%zu:", n);
	buf_append(t, s, n);
}

static void trace_args(struct buf *t, const struct imap_arg *v, size_t n)
{
	buf_appendf(t, "(%zu", n);
	for (size_t i = 0; i < n; i++) {
		buf_appendf(t, " %d", (int)v[i].type);
		if (v[i].type == IMAP_ARG_LIST)
			trace_args(t, v[i].u.list, v[i].len);
		else
			trace_str(t, v[i].u.str, v[i].len);
	}
	buf_appends(t, ")");
}

static void trace_resp(struct buf *t, const struct imap_resp *r)
{
	buf_appendf(t, "R%d %d ", (int)r->type, (int)r->status);
	trace_str(t, r->tag, r->tag ? strlen(r->tag) : 0);
	trace_str(t, r->code, r->code ? strlen(r->code) : 0);
	trace_str(t, r->code_arg, r->code_arg ? strlen(r->code_arg) : 0);
	trace_str(t, r->text, strlen(r->text));
	trace_args(t, r->args, r->nargs);
	buf_appends(t, "\n");
}

/* Feeds data whole (seed 0) or in chunks of 1..16 bytes drawn from seed,
 * checking every result; the trace records what came out. */
static void run(const uint8_t *data, size_t size, const struct imap_parser_limits *lim,
		uint32_t seed, struct buf *trace)
{
	struct imap_parser *p = imap_parser_new(lim);
	size_t off = 0;
	bool failed = false, pending = false;

	FUZZ_ASSERT(p != NULL);
	while (off < size && !failed) {
		size_t n = size - off, done = 0;
		char *chunk;

		if (seed) {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % 16;
			if (n > size - off)
				n = size - off;
		}
		/* An exact-size copy: a read past len is caught by ASan. */
		chunk = malloc(n);
		FUZZ_ASSERT(chunk != NULL);
		memcpy(chunk, data + off, n);
		while (done < n) {
			struct imap_resp *r = NULL;
			size_t used = 0;
			enum imap_parse_result res =
			    imap_parser_feed(p, chunk + done, n - done, &used, &r);

			FUZZ_ASSERT(used <= n - done);
			if (res == IMAP_PARSE_ERROR) {
				FUZZ_ASSERT(r == NULL && imap_parser_error(p)[0] != '\0');
				failed = true;
				break;
			}
			if (res == IMAP_PARSE_MORE) {
				FUZZ_ASSERT(r == NULL && used == n - done);
				pending = true;
				break;
			}
			FUZZ_ASSERT(res == IMAP_PARSE_DONE && r != NULL && used > 0);
			fuzz_resp(r, lim);
			trace_resp(trace, r);
			imap_resp_free(&r);
			FUZZ_ASSERT(r == NULL);
			done += used;
			pending = false;
		}
		free(chunk);
		off += n;
	}
	if (failed) {
		struct imap_resp *r = NULL;
		size_t used;

		buf_appends(trace, "ERROR\n");
		FUZZ_ASSERT(imap_parser_feed(p, "+\r\n", 3, &used, &r) == IMAP_PARSE_ERROR);
		FUZZ_ASSERT(r == NULL);
	} else if (pending) {
		buf_appends(trace, "MORE\n");
	}
	imap_parser_free(&p);
	FUZZ_ASSERT(p == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser_limits lim = IMAP_PARSER_DEFAULT_LIMITS;
	struct buf whole = BUF_INIT, split = BUF_INIT;

	if (size < 2)
		return 0;
	if (data[0] & 1) {
		lim.max_line = 64;
		lim.max_literal = 32;
		lim.max_total = 256;
		lim.max_depth = 4;
		lim.max_args = 24;
	}
	run(data + 2, size - 2, &lim, 0, &whole);
	/* However the bytes are split, the outcome is the same. */
	run(data + 2, size - 2, &lim, data[1] | 0x100u, &split);
	FUZZ_ASSERT(whole.len == split.len);
	FUZZ_ASSERT(whole.len == 0 || memcmp(whole.data, split.data, whole.len) == 0);
	buf_free(&whole);
	buf_free(&split);
	return 0;
}

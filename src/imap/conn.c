/* imap_conn: the transport side of an IMAP connection — reading responses
 * through the parser, the command engine, greeting, STARTTLS and
 * capabilities.  Logging in is in auth.c, the mailbox commands in cmd*.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "imapfs/imap_parser.h"
#include "imapfs/log.h"
#include "imapfs/net.h"
#include "conn_int.h"

static atomic_uint conn_next_id;

void imap_conn_set_error(struct imap_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

void imap_conn_clean_text(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	if (!outlen)
		return;
	for (; s && *s && o + 1 < outlen; s++) {
		unsigned char ch = (unsigned char)*s;
		out[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	out[o] = '\0';
}

/* Copies err into the caller's buffer for imap_conn_open. */
static void conn_copy_error(const struct imap_conn *c, char *err, size_t errlen)
{
	if (errlen)
		snprintf(err, errlen, "%s", c->err);
}

/* ---- capabilities ---- */

static void conn_caps_clear(struct imap_conn *c)
{
	for (size_t i = 0; i < c->ncaps; i++)
		free(c->caps[i]);
	free(c->caps);
	c->caps = NULL;
	c->ncaps = 0;
}

static void conn_caps_add(struct imap_conn *c, const char *s, size_t len)
{
	char **v = realloc(c->caps, (c->ncaps + 1) * sizeof(*v));
	if (!v)
		abort();
	c->caps = v;
	c->caps[c->ncaps] = strndup(s, len);
	if (!c->caps[c->ncaps])
		abort();
	c->ncaps++;
}

/* From the text of a [CAPABILITY ...] response code. */
static void conn_caps_from_text(struct imap_conn *c, const char *text)
{
	conn_caps_clear(c);
	c->caps_gen++;
	while (text && *text) {
		size_t n = strcspn(text, " ");
		if (n)
			conn_caps_add(c, text, n);
		text += n;
		text += strspn(text, " ");
	}
}

/* From an untagged "* CAPABILITY ..." data response. */
static void conn_caps_from_args(struct imap_conn *c, const struct imap_resp *r)
{
	conn_caps_clear(c);
	c->caps_gen++;
	for (size_t i = 1; i < r->nargs; i++) {
		const char *s = r->args[i].type == IMAP_ARG_ATOM ? r->args[i].u.str : NULL;
		if (s && *s)
			conn_caps_add(c, s, strlen(s));
	}
}

bool imap_conn_has_cap(const struct imap_conn *c, const char *cap)
{
	for (size_t i = 0; i < c->ncaps; i++)
		if (strcasecmp(c->caps[i], cap) == 0)
			return true;
	return false;
}

/* ---- trace ---- */

static void conn_trace_arg(struct buf *b, const struct imap_arg *a, unsigned depth)
{
	if (b->len > 900)
		return;
	switch (a->type) {
	case IMAP_ARG_NIL:
		buf_appends(b, "NIL");
		break;
	case IMAP_ARG_ATOM:
		buf_append(b, a->u.str, a->len);
		break;
	case IMAP_ARG_STRING:
		buf_appends(b, "\"");
		for (size_t i = 0; i < a->len && i < 200; i++) {
			if (a->u.str[i] == '"' || a->u.str[i] == '\\')
				buf_appends(b, "\\");
			buf_append(b, &a->u.str[i], 1);
		}
		buf_appends(b, a->len <= 200 ? "\"" : "...\"");
		break;
	case IMAP_ARG_LITERAL:
		/* Literals are message bytes: their size is what matters. */
		buf_appendf(b, "{%zu}", a->len);
		break;
	case IMAP_ARG_LIST:
		buf_appends(b, "(");
		for (size_t i = 0; i < a->len && depth < 8; i++) {
			if (i)
				buf_appends(b, " ");
			conn_trace_arg(b, &a->u.list[i], depth + 1);
		}
		buf_appends(b, ")");
		break;
	}
}

static const char *conn_status_name(enum imap_status st)
{
	switch (st) {
	case IMAP_STATUS_OK:
		return "OK";
	case IMAP_STATUS_NO:
		return "NO";
	case IMAP_STATUS_BAD:
		return "BAD";
	case IMAP_STATUS_BYE:
		return "BYE";
	case IMAP_STATUS_PREAUTH:
		return "PREAUTH";
	case IMAP_STATUS_NONE:
		break;
	}
	return "";
}

/* Renders a parsed response as one line, literals shown by size only. */
static void conn_trace_resp(const struct imap_conn *c, const struct imap_resp *r)
{
	struct buf b = BUF_INIT;

	if (!log_debug_on(LOG_NET))
		return;
	if (r->type == IMAP_RESP_CONTINUATION) {
		buf_appendf(&b, "+ %s", r->text);
	} else {
		buf_appends(&b, r->type == IMAP_RESP_TAGGED ? r->tag : "*");
		if (r->status != IMAP_STATUS_NONE) {
			buf_appendf(&b, " %s", conn_status_name(r->status));
			if (r->code)
				buf_appendf(&b, " [%s%s%s]", r->code, r->code_arg ? " " : "",
					    r->code_arg ? r->code_arg : "");
			if (r->text && *r->text)
				buf_appendf(&b, " %s", r->text);
		}
		for (size_t i = 0; i < r->nargs; i++) {
			buf_appends(&b, " ");
			conn_trace_arg(&b, &r->args[i], 0);
		}
	}
	log_trace(c->id, 'S', b.data ? b.data : "", b.len);
	buf_free(&b);
}

/* Traces out[from, to) without its final CRLF, replacing the secret part. */
static void conn_trace_sent(const struct imap_conn *c, const struct imap_conn_cmd *cmd, size_t from,
			    size_t to)
{
	struct buf b = BUF_INIT;

	if (!log_debug_on(LOG_NET))
		return;
	size_t shown = to < cmd->secret_at ? to : cmd->secret_at;
	if (shown > from)
		buf_append(&b, cmd->out.data + from, shown - from);
	if (shown < to) {
		buf_appends(&b, "<redacted>");
	} else if (b.len >= 2 && b.data[b.len - 2] == '\r' && b.data[b.len - 1] == '\n') {
		b.len -= 2;
	}
	log_trace(c->id, 'C', b.data ? b.data : "", b.len);
	buf_free(&b);
}

/* ---- transport ---- */

static void conn_break(struct imap_conn *c)
{
	c->broken = true;
}

/* The transport failed with rc. */
static void conn_break_net(struct imap_conn *c, int rc)
{
	imap_conn_set_error(c, "%s", net_error(c->net));
	if (rc == -ETIMEDOUT)
		c->timed_out = true;
	conn_break(c);
}

static int conn_write(struct imap_conn *c, const char *p, size_t len)
{
	int rc;

	/* From here on the server may have seen (part of) the command. */
	if (len)
		c->cmd_sent = true;
	rc = net_write(c->net, p, len);

	if (rc < 0)
		conn_break_net(c, rc);
	return rc;
}

/* Reads one complete response into *r_r. */
static int conn_read_resp(struct imap_conn *c, struct imap_resp **r_r)
{
	*r_r = NULL;
	if (!c->net)
		return -ECONNRESET;
	for (;;) {
		if (c->in_start < c->in_end) {
			size_t used = 0;
			enum imap_parse_result res = imap_parser_feed(
			    c->parser, c->in + c->in_start, c->in_end - c->in_start, &used, r_r);
			if (res == IMAP_PARSE_ERROR) {
				imap_conn_set_error(c, "protocol error from server %s: %s", c->host,
						    imap_parser_error(c->parser));
				conn_break(c);
				return -EPROTO;
			}
			if (used > c->in_end - c->in_start)
				abort();
			c->in_start += used;
			if (res == IMAP_PARSE_DONE) {
				if (c->in_start == c->in_end)
					c->in_start = c->in_end = 0;
				conn_trace_resp(c, *r_r);
				return 0;
			}
			/* MORE: keep what was not consumed at the front. */
			memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
			c->in_end -= c->in_start;
			c->in_start = 0;
		}
		if (c->in_end == sizeof(c->in)) {
			imap_conn_set_error(c, "protocol error from server %s: parser stalled",
					    c->host);
			conn_break(c);
			return -EPROTO;
		}
		ssize_t n = net_read(c->net, c->in + c->in_end, sizeof(c->in) - c->in_end);
		if (n == 0) {
			if (!c->err[0] || !c->broken)
				imap_conn_set_error(c, "server %s closed the connection", c->host);
			conn_break(c);
			return -ECONNRESET;
		}
		if (n < 0) {
			conn_break_net(c, (int)n);
			return (int)n;
		}
		c->in_end += (size_t)n;
	}
}

/* Digits only, no sign or space, no overflow. */
static bool conn_parse_u64(const char *s, uint64_t *v_r)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*v_r = v;
	return true;
}

/* Response codes that carry state, wherever they come. */
static void conn_codes(struct imap_conn *c, const struct imap_resp *r)
{
	char text[256];
	uint64_t v;

	if (!r->code)
		return;
	if (strcmp(r->code, "CAPABILITY") == 0) {
		conn_caps_from_text(c, r->code_arg);
	} else if (strcmp(r->code, "ALERT") == 0) {
		/* RFC 3501 §7.1: alerts must be shown to the user. */
		imap_conn_clean_text(r->text, text, sizeof(text));
		log_warnx("server %s says: %s", c->host, text);
	} else if (conn_parse_u64(r->code_arg, &v)) {
		if (strcmp(r->code, "UIDVALIDITY") == 0 && v <= UINT32_MAX)
			c->st.uidvalidity = (uint32_t)v;
		else if (strcmp(r->code, "UIDNEXT") == 0 && v <= UINT32_MAX)
			c->st.uidnext = (uint32_t)v;
		else if (strcmp(r->code, "HIGHESTMODSEQ") == 0 && imap_conn_has_cap(c, "CONDSTORE"))
			/* Dovecot says it of a mailbox a CONDSTORE client
			 * once opened even with CONDSTORE hidden; believed,
			 * it would lead to CHANGEDSINCE, which is refused. */
			c->st.highestmodseq = v;
	}
}

/* The connection's own bookkeeping of an untagged response. */
static void conn_untagged(struct imap_conn *c, const struct imap_resp *r)
{
	char text[256];
	uint32_t n;

	if (r->status == IMAP_STATUS_BYE) {
		imap_conn_clean_text(r->text, text, sizeof(text));
		imap_conn_set_error(c, "server %s closed the connection: %s", c->host, text);
		conn_break(c);
		return;
	}
	if (r->status != IMAP_STATUS_NONE) {
		conn_codes(c, r);
		if ((r->status == IMAP_STATUS_NO || r->status == IMAP_STATUS_BAD) &&
		    (!r->code || strcmp(r->code, "ALERT") != 0)) {
			imap_conn_clean_text(r->text, text, sizeof(text));
			log_warnx("server %s: %s %s", c->host, conn_status_name(r->status), text);
		}
		return;
	}
	if (r->nargs >= 1 && imap_arg_is_atom(&r->args[0], "CAPABILITY")) {
		conn_caps_from_args(c, r);
	} else if (r->nargs >= 2 && imap_arg_u32(&r->args[0], &n)) {
		if (imap_arg_is_atom(&r->args[1], "EXISTS"))
			c->st.exists = n;
		else if (imap_arg_is_atom(&r->args[1], "EXPUNGE") && c->st.exists > 0)
			c->st.exists--;
	}
}

/* ---- commands ---- */

void imap_conn_cmd_start(struct imap_conn *c, struct imap_conn_cmd *cmd, const char *verb)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->secret_at = SIZE_MAX;
	c->cmd_sent = false;
	snprintf(cmd->tag, sizeof(cmd->tag), "a%u", ++c->next_tag);
	snprintf(cmd->verb, sizeof(cmd->verb), "%s", verb);
	buf_appendf(&cmd->out, "%s %s", cmd->tag, verb);
}

/* The SP before an argument; a pending secret starts after it, so that
 * the trace reads "LOGIN <redacted>". */
static void conn_cmd_sep(struct imap_conn_cmd *cmd)
{
	buf_appends(&cmd->out, " ");
	if (cmd->secret_next && cmd->secret_at == SIZE_MAX)
		cmd->secret_at = cmd->out.len;
}

void imap_conn_cmd_raw(struct imap_conn_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	conn_cmd_sep(cmd);
	va_start(ap, fmt);
	buf_vappendf(&cmd->out, fmt, ap);
	va_end(ap);
}

void imap_conn_cmd_astring(struct imap_conn *c, struct imap_conn_cmd *cmd, const char *s,
			   size_t len)
{
	/* Long strings go as literals: servers bound their line length. */
	bool quoted = len <= 1024;

	if (cmd->rc)
		return;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\r' || ch == '\n' || ch == '\0') {
			cmd->rc = -EINVAL;
			return;
		}
		if (ch < 0x20 || ch >= 0x7f)
			quoted = false;
	}
	conn_cmd_sep(cmd);
	if (quoted) {
		buf_appends(&cmd->out, "\"");
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '"' || s[i] == '\\')
				buf_appends(&cmd->out, "\\");
			buf_append(&cmd->out, &s[i], 1);
		}
		buf_appends(&cmd->out, "\"");
		return;
	}
	/* RFC 7888: LITERAL+ allows any non-synchronizing literal,
	 * LITERAL- those up to 4096 bytes. */
	bool nonsync =
	    imap_conn_has_cap(c, "LITERAL+") || (len <= 4096 && imap_conn_has_cap(c, "LITERAL-"));
	buf_appendf(&cmd->out, "{%zu%s}\r\n", len, nonsync ? "+" : "");
	if (!nonsync) {
		if (cmd->nwaits == IMAP_CONN_MAX_SYNC) {
			cmd->rc = -E2BIG;
			return;
		}
		cmd->waits[cmd->nwaits++] = cmd->out.len;
	}
	buf_append(&cmd->out, s, len);
}

void imap_conn_cmd_literal(struct imap_conn *c, struct imap_conn_cmd *cmd, const char *data,
			   size_t len)
{
	if (cmd->rc)
		return;
	if (cmd->ext) {
		cmd->rc = -E2BIG;
		return;
	}
	bool nonsync =
	    imap_conn_has_cap(c, "LITERAL+") || (len <= 4096 && imap_conn_has_cap(c, "LITERAL-"));
	conn_cmd_sep(cmd);
	buf_appendf(&cmd->out, "{%zu%s}\r\n", len, nonsync ? "+" : "");
	if (!nonsync) {
		if (cmd->nwaits == IMAP_CONN_MAX_SYNC) {
			cmd->rc = -E2BIG;
			return;
		}
		cmd->waits[cmd->nwaits++] = cmd->out.len;
	}
	cmd->ext = data;
	cmd->ext_len = len;
	cmd->ext_at = cmd->out.len;
}

void imap_conn_cmd_reserve(struct imap_conn_cmd *cmd, size_t n)
{
	static const char zeros[256];
	size_t len = cmd->out.len;

	while (n) {
		size_t k = n < sizeof(zeros) ? n : sizeof(zeros);
		buf_append(&cmd->out, zeros, k);
		n -= k;
	}
	cmd->out.len = len;
	cmd->out.data[len] = '\0';
}

void imap_conn_cmd_secret(struct imap_conn_cmd *cmd)
{
	cmd->secret_next = true;
}

void imap_conn_cmd_clear(struct imap_conn_cmd *cmd)
{
	if (cmd->out.data)
		explicit_bzero(cmd->out.data, cmd->out.cap);
	buf_free(&cmd->out);
}

void imap_conn_cmd_cont(struct imap_conn_cmd *cmd, const char *line)
{
	if (cmd->ncont == IMAP_CONN_MAX_CONT)
		abort();
	cmd->cont[cmd->ncont++] = line;
}

static int conn_send_part(struct imap_conn *c, struct imap_conn_cmd *cmd, size_t from, size_t to)
{
	conn_trace_sent(c, cmd, from, to);
	return conn_write(c, cmd->out.data + from, to - from);
}

/* The completion of cmd (its tag already checked): codes and errno. */
static int conn_complete(struct imap_conn *c, struct imap_conn_cmd *cmd, const struct imap_resp *r)
{
	char text[256];

	conn_codes(c, r);
	int rc = imap_status_errno(r->status, r->code);
	if (rc) {
		imap_conn_clean_text(r->text, text, sizeof(text));
		imap_conn_set_error(c, "%s: %s%s%s%s %s", cmd->verb, conn_status_name(r->status),
				    r->code ? " [" : "", r->code ? r->code : "", r->code ? "]" : "",
				    text);
	}
	return rc;
}

/* An untagged response during a command: the connection's bookkeeping,
 * then the command's own handler.  After an untagged BYE the server closes
 * at once (RFC 3501 §7.1.5), so the command fails now rather than wait for
 * a tagged reply that will not come; LOGOUT loses nothing by it. */
static int conn_dispatch(struct imap_conn *c, const struct imap_resp *r, imap_conn_data_fn fn,
			 void *arg)
{
	conn_untagged(c, r);
	if (c->broken)
		return -ECONNRESET;
	if (fn)
		fn(c, r, arg);
	return 0;
}

/* A tagged response that completes nothing we sent breaks the
 * connection. */
static int conn_unexpected(struct imap_conn *c, const struct imap_resp *r)
{
	char text[64];

	imap_conn_clean_text(r->tag, text, sizeof(text));
	imap_conn_set_error(c, "protocol error from server %s: unexpected response '%s %s'",
			    c->host, text, conn_status_name(r->status));
	conn_break(c);
	return -EPROTO;
}

/* A tagged response must complete cmd (its tag, OK/NO/BAD). */
static int conn_check_tagged(struct imap_conn *c, const struct imap_conn_cmd *cmd,
			     const struct imap_resp *r)
{
	if (strcmp(r->tag, cmd->tag) == 0 &&
	    (r->status == IMAP_STATUS_OK || r->status == IMAP_STATUS_NO ||
	     r->status == IMAP_STATUS_BAD))
		return 0;
	return conn_unexpected(c, r);
}

int imap_conn_send(struct imap_conn *c, struct imap_conn_cmd *cmd)
{
	if (cmd->rc)
		return cmd->rc;
	if (c->broken)
		return -ECONNRESET;
	buf_appends(&cmd->out, "\r\n");
	return conn_send_part(c, cmd, 0, cmd->out.len);
}

int imap_conn_read(struct imap_conn *c, struct imap_resp **r_r)
{
	int rc = conn_read_resp(c, r_r);

	if (rc < 0)
		return rc;
	if ((*r_r)->type == IMAP_RESP_UNTAGGED) {
		conn_untagged(c, *r_r);
		if (c->broken) {
			imap_resp_free(r_r);
			return -ECONNRESET;
		}
	}
	return 0;
}

int imap_conn_write_line(struct imap_conn *c, const char *line)
{
	int rc;

	if (c->broken)
		return -ECONNRESET;
	rc = conn_write(c, line, strlen(line));
	return rc < 0 ? rc : conn_write(c, "\r\n", 2);
}

void imap_conn_break(struct imap_conn *c)
{
	conn_break(c);
}

bool imap_conn_buffered(const struct imap_conn *c)
{
	return c->in_start < c->in_end;
}

int imap_conn_tagged_done(struct imap_conn *c, const char *tag, const char *verb,
			  const struct imap_resp *r)
{
	struct imap_conn_cmd cmd = {0};

	snprintf(cmd.tag, sizeof(cmd.tag), "%s", tag);
	snprintf(cmd.verb, sizeof(cmd.verb), "%s", verb);
	if (conn_check_tagged(c, &cmd, r) < 0)
		return -EPROTO;
	return conn_complete(c, &cmd, r);
}

int imap_conn_run_pipe(struct imap_conn *c, struct imap_conn_cmd **cmds, size_t n,
		       imap_conn_data_fn fn, void *arg, int *rcs)
{
	struct imap_resp *r = NULL;
	struct buf all = BUF_INIT;
	char first_err[sizeof(c->err)] = "";
	bool completed[IMAP_CONN_MAX_PIPE] = {false};
	size_t done = 0;
	int rc = n > IMAP_CONN_MAX_PIPE ? -E2BIG : 0;

	for (size_t i = 0; i < n; i++)
		rcs[i] = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (cmds[i]->rc || cmds[i]->nwaits || cmds[i]->ext ||
		    cmds[i]->secret_at != SIZE_MAX)
			rc = cmds[i]->rc ? cmds[i]->rc : -EINVAL;
	}
	if (rc) {
		imap_conn_set_error(c, "%s: %s", cmds[0]->verb, strerror(-rc));
		return rc;
	}
	if (c->broken) {
		if (!c->err[0])
			imap_conn_set_error(c, "connection to %s is broken", c->host);
		return -ECONNRESET;
	}
	/* One write for all: the round trip is paid once. */
	for (size_t i = 0; i < n; i++) {
		buf_appends(&cmds[i]->out, "\r\n");
		conn_trace_sent(c, cmds[i], 0, cmds[i]->out.len);
		buf_append(&all, cmds[i]->out.data, cmds[i]->out.len);
	}
	rc = conn_write(c, all.data, all.len);
	buf_free(&all);
	if (rc < 0)
		return rc;
	while (done < n) {
		rc = conn_read_resp(c, &r);
		if (rc < 0)
			goto out;
		if (r->type == IMAP_RESP_TAGGED) {
			/* A server may complete independent commands in any
			 * order (RFC 3501 §5.5); each tag once. */
			size_t i = 0;

			while (i < n && (completed[i] || strcmp(r->tag, cmds[i]->tag) != 0))
				i++;
			rc = i < n ? conn_check_tagged(c, cmds[i], r) : conn_unexpected(c, r);
			if (rc < 0)
				goto out;
			completed[i] = true;
			rcs[i] = conn_complete(c, cmds[i], r);
			if (rcs[i] && !first_err[0])
				memcpy(first_err, c->err, sizeof(first_err));
			done++;
		} else if (r->type == IMAP_RESP_CONTINUATION) {
			imap_conn_set_error(c,
					    "protocol error from server %s: unexpected "
					    "continuation request",
					    c->host);
			conn_break(c);
			rc = -EPROTO;
			goto out;
		} else {
			rc = conn_dispatch(c, r, fn, arg);
			if (rc < 0)
				goto out;
		}
		imap_resp_free(&r);
	}
	if (first_err[0])
		memcpy(c->err, first_err, sizeof(first_err));
out:
	imap_resp_free(&r);
	return rc;
}

int imap_conn_run(struct imap_conn *c, struct imap_conn_cmd *cmd, imap_conn_data_fn fn, void *arg,
		  const char *cont_reply, struct imap_resp **done_r)
{
	struct imap_resp *r = NULL;
	size_t pos = 0;
	int rc;

	if (done_r)
		*done_r = NULL;
	if (cont_reply)
		imap_conn_cmd_cont(cmd, cont_reply);
	if (cmd->rc) {
		imap_conn_set_error(c, "%s: %s", cmd->verb,
				    cmd->rc == -EINVAL ? "argument contains CR, LF or NUL"
						       : strerror(-cmd->rc));
		return cmd->rc;
	}
	if (c->broken) {
		if (!c->err[0])
			imap_conn_set_error(c, "connection to %s is broken", c->host);
		return -ECONNRESET;
	}
	buf_appends(&cmd->out, "\r\n");

	/* Up to each synchronizing literal, then wait for "+" (or for the
	 * server to reject the command early with its tagged response). */
	for (size_t i = 0; i < cmd->nwaits; i++) {
		rc = conn_send_part(c, cmd, pos, cmd->waits[i]);
		if (rc < 0)
			goto out;
		pos = cmd->waits[i];
		for (;;) {
			rc = conn_read_resp(c, &r);
			if (rc < 0)
				goto out;
			if (r->type == IMAP_RESP_CONTINUATION)
				break;
			if (r->type == IMAP_RESP_TAGGED)
				goto done;
			rc = conn_dispatch(c, r, fn, arg);
			if (rc < 0)
				goto out;
			imap_resp_free(&r);
		}
		imap_resp_free(&r);
	}
	if (cmd->ext) {
		char what[64];

		if (pos < cmd->ext_at) {
			rc = conn_send_part(c, cmd, pos, cmd->ext_at);
			if (rc < 0)
				goto out;
		}
		/* The literal straight from the caller's memory; the CRLF
		 * that ends the command is not worth a trace line. */
		snprintf(what, sizeof(what), "<%zu literal bytes>", cmd->ext_len);
		log_trace(c->id, 'C', what, strlen(what));
		rc = conn_write(c, cmd->ext, cmd->ext_len);
		if (rc == 0)
			rc = conn_write(c, cmd->out.data + cmd->ext_at, cmd->out.len - cmd->ext_at);
	} else {
		rc = conn_send_part(c, cmd, pos, cmd->out.len);
	}
	if (rc < 0)
		goto out;

	for (;;) {
		rc = conn_read_resp(c, &r);
		if (rc < 0)
			goto out;
		if (r->type == IMAP_RESP_TAGGED)
			break;
		if (r->type == IMAP_RESP_CONTINUATION) {
			if (!cmd->ncont) {
				imap_conn_set_error(c,
						    "protocol error from server %s: unexpected "
						    "continuation request",
						    c->host);
				conn_break(c);
				rc = -EPROTO;
				goto out;
			}
			/* The answers given, in turn; a challenge beyond them
			 * (a second one to PLAIN) is answered by cancelling. */
			size_t k = cmd->conts++;
			snprintf(cmd->cont_text, sizeof(cmd->cont_text), "%s",
				 r->text ? r->text : "");
			const char *line = k < cmd->ncont ? cmd->cont[k] : "*";
			const char *shown = k < cmd->ncont ? "<redacted>" : "*";
			log_trace(c->id, 'C', shown, strlen(shown));
			rc = conn_write(c, line, strlen(line));
			if (rc == 0)
				rc = conn_write(c, "\r\n", 2);
			if (rc < 0)
				goto out;
		} else {
			rc = conn_dispatch(c, r, fn, arg);
			if (rc < 0)
				goto out;
		}
		imap_resp_free(&r);
	}
done:
	rc = conn_check_tagged(c, cmd, r);
	if (rc < 0)
		goto out;
	rc = conn_complete(c, cmd, r);
	if (done_r) {
		*done_r = r;
		r = NULL;
	}
out:
	imap_resp_free(&r);
	return rc;
}

int imap_status_errno(enum imap_status st, const char *code)
{
	static const struct {
		const char *code;
		int err;
	} map[] = {
	    {"AUTHENTICATIONFAILED", -EACCES},
	    {"AUTHORIZATIONFAILED", -EACCES},
	    {"NONEXISTENT", -ENOENT},
	    {"TRYCREATE", -ENOENT},
	    {"EXPUNGEISSUED", -ENOENT},
	    {"ALREADYEXISTS", -EEXIST},
	    {"NOPERM", -EACCES},
	    {"OVERQUOTA", -EDQUOT},
	    {"LIMIT", -EAGAIN},
	    {"INUSE", -EAGAIN},
	    {"UNAVAILABLE", -EAGAIN},
	    {"CANNOT", -EINVAL},
	};

	switch (st) {
	case IMAP_STATUS_OK:
	case IMAP_STATUS_PREAUTH:
		return 0;
	case IMAP_STATUS_BAD:
	case IMAP_STATUS_NONE:
		return -EPROTO;
	case IMAP_STATUS_BYE:
		return -ECONNRESET;
	case IMAP_STATUS_NO:
		break;
	}
	for (size_t i = 0; code && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(code, map[i].code) == 0)
			return map[i].err;
	return -EIO;
}

/* ---- open: greeting, STARTTLS, login ---- */

/* Reads the greeting; *preauth_r says the server logged us in already. */
static int conn_greeting(struct imap_conn *c, bool *preauth_r)
{
	struct imap_resp *r = NULL;
	char text[256];
	int rc;

	*preauth_r = false;
	rc = conn_read_resp(c, &r);
	if (rc < 0)
		goto out;
	if (r->type != IMAP_RESP_UNTAGGED ||
	    (r->status != IMAP_STATUS_OK && r->status != IMAP_STATUS_PREAUTH &&
	     r->status != IMAP_STATUS_BYE)) {
		imap_conn_set_error(c, "server %s did not greet as an IMAP server", c->host);
		conn_break(c);
		rc = -EPROTO;
		goto out;
	}
	if (r->status == IMAP_STATUS_BYE) {
		imap_conn_clean_text(r->text, text, sizeof(text));
		imap_conn_set_error(c, "server %s refused the connection: %s", c->host, text);
		conn_break(c);
		rc = imap_status_errno(r->status, r->code);
		goto out;
	}
	conn_codes(c, r);
	*preauth_r = r->status == IMAP_STATUS_PREAUTH;
	rc = 0;
out:
	imap_resp_free(&r);
	return rc;
}

static int conn_capability(struct imap_conn *c)
{
	struct imap_conn_cmd cmd;
	unsigned gen = c->caps_gen;
	int rc;

	imap_conn_cmd_start(c, &cmd, "CAPABILITY");
	rc = imap_conn_run(c, &cmd, NULL, NULL, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	if (rc == 0 && gen == c->caps_gen) {
		imap_conn_set_error(c, "server %s sent no capabilities", c->host);
		rc = -EPROTO;
	}
	return rc;
}

static int conn_starttls(struct imap_conn *c, const struct imap_conn_opts *o)
{
	struct imap_conn_cmd cmd;
	struct imap_resp *done = NULL;
	char err[256];
	int rc;

	if (!imap_conn_has_cap(c, "STARTTLS")) {
		imap_conn_set_error(c,
				    "server %s does not offer STARTTLS; refusing to send "
				    "credentials in clear text",
				    c->host);
		return -EPROTO;
	}
	imap_conn_cmd_start(c, &cmd, "STARTTLS");
	rc = imap_conn_run(c, &cmd, NULL, NULL, NULL, &done);
	imap_conn_cmd_clear(&cmd);
	if (rc < 0 && done) {
		char text[256];
		imap_conn_clean_text(done->text, text, sizeof(text));
		imap_conn_set_error(c, "server %s refused STARTTLS: %s", c->host, text);
		rc = -EPROTO;
	}
	imap_resp_free(&done);
	if (rc < 0)
		return rc;
	/* Anything the server sent after its OK was sent in clear text
	 * before the handshake: treating it as a post-TLS response is the
	 * STARTTLS command injection of CVE-2011-0411. */
	if (c->in_end > c->in_start) {
		imap_conn_set_error(c, "server sent data after STARTTLS response; possible "
				       "injection attack");
		conn_break(c);
		return -EPROTO;
	}
	rc = net_start_tls(c->net, o->host, o->cafile, err, sizeof(err));
	if (rc < 0) {
		imap_conn_set_error(c, "%s", err);
		conn_break(c);
		return rc;
	}
	/* What the server said before TLS may have been forged. */
	conn_caps_clear(c);
	c->caps_gen++;
	imap_parser_free(&c->parser);
	c->parser = imap_parser_new(NULL);
	if (!c->parser)
		abort();
	return 0;
}

/* One connection of imap_conn_open: connect, secure, log in, all before
 * deadline.  On failure *c_r is still set (broken, its reason in err) for
 * the caller to close. */
static int conn_open_once(const struct imap_conn_opts *o, const char *port, int64_t deadline,
			  struct imap_login *l, struct imap_conn **c_r)
{
	struct imap_conn *c;
	bool preauth = false;
	int rc;

	c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	*c_r = c;
	c->id = atomic_fetch_add(&conn_next_id, 1) + 1;
	c->host = strdup(o->host);
	c->user = strdup(o->user ? o->user : "");
	c->parser = imap_parser_new(NULL);
	if (!c->host || !c->user || !c->parser)
		abort();

	/* Connect, TLS, greeting, login: one timeout in all, so that a
	 * server answering each step late cannot hold a request for several
	 * (SPEC §5). */
	rc = net_connect(o->host, port, o->timeout_ms, deadline, &c->net, c->err, sizeof(c->err));
	if (rc < 0)
		goto fail;
	if (o->implicit_tls) {
		rc = net_start_tls(c->net, o->host, o->cafile, c->err, sizeof(c->err));
		if (rc < 0)
			goto fail;
	}
	rc = conn_greeting(c, &preauth);
	if (rc < 0)
		goto fail;
	if (!o->implicit_tls) {
		if (preauth) {
			/* Logged in before TLS: nothing proves who we talk to
			 * (RFC 2595 §3.1 / RFC 8314). */
			imap_conn_set_error(c, "server sent PREAUTH before TLS; refusing");
			rc = -EPROTO;
			goto fail;
		}
		if (c->ncaps == 0) {
			rc = conn_capability(c);
			if (rc < 0)
				goto fail;
		}
		rc = conn_starttls(c, o);
		if (rc < 0)
			goto fail;
	}
	if (c->ncaps == 0) {
		rc = conn_capability(c);
		if (rc < 0)
			goto fail;
	}
	if (!preauth) {
		if (!o->user || (!o->password && !o->oauth_token)) {
			imap_conn_set_error(c, "no user name or password for %s", c->host);
			rc = -EINVAL;
			goto fail;
		}
		unsigned gen = c->caps_gen;
		rc = imap_conn_login(c, o, port, l);
		if (rc < 0)
			goto fail;
		/* Capabilities change with login; without a fresh list in the
		 * reply, ask for it. */
		if (gen == c->caps_gen) {
			conn_caps_clear(c);
			rc = conn_capability(c);
			if (rc < 0)
				goto fail;
		}
	}
	net_set_deadline(c->net, 0);
	log_debug(LOG_NET, "[%u] logged in to %s as %s", c->id, c->host, c->user);
	return 0;
fail:
	if (!c->err[0])
		imap_conn_set_error(c, "connection to %s failed: %s", c->host, strerror(-rc));
	conn_break(c);
	return rc;
}

int imap_conn_open(const struct imap_conn_opts *o, struct imap_conn **c_r, char *err, size_t errlen)
{
	const char *port = o->port ? o->port : o->implicit_tls ? "993" : "143";
	int64_t deadline = net_now_ms() + o->timeout_ms;
	struct imap_login l = {0};
	struct imap_conn *c = NULL;
	int rc;

	*c_r = NULL;
	rc = conn_open_once(o, port, deadline, &l, &c);
	if (rc < 0 && l.reconnect && net_now_ms() < deadline) {
		/* The server hung up on a token instead of refusing it with a
		 * NO (Office 365 closes, others say BYE): once more, on a new
		 * connection, with the fresh token auth.c asked for already;
		 * still within the one timeout. */
		log_debug(LOG_NET, "[%u] %s; reconnecting to log in with a fresh token", c->id,
			  c->err);
		imap_conn_close(&c);
		l.reconnected = true;
		rc = conn_open_once(o, port, deadline, &l, &c);
	}
	if (rc < 0) {
		conn_copy_error(c, err, errlen);
		imap_conn_close(&c);
		return rc;
	}
	*c_r = c;
	return 0;
}

void imap_conn_close(struct imap_conn **cp)
{
	struct imap_conn *c = *cp;

	if (!c)
		return;
	if (c->net && !c->broken) {
		struct imap_conn_cmd cmd;
		imap_conn_cmd_start(c, &cmd, "LOGOUT");
		imap_conn_run(c, &cmd, NULL, NULL, NULL, NULL);
		imap_conn_cmd_clear(&cmd);
	}
	net_close(&c->net);
	imap_parser_free(&c->parser);
	conn_caps_clear(c);
	free(c->selected);
	free(c->permflags);
	free(c->host);
	free(c->user);
	free(c);
	*cp = NULL;
}

bool imap_conn_is_broken(const struct imap_conn *c)
{
	return c->broken;
}

bool imap_conn_timed_out(const struct imap_conn *c)
{
	return c->timed_out;
}

const char *imap_conn_error(const struct imap_conn *c)
{
	return c->err;
}

unsigned imap_conn_id(const struct imap_conn *c)
{
	return c->id;
}

const struct imap_arg *imap_conn_fetch_items(const struct imap_resp *r)
{
	uint32_t seq;

	if (r->status != IMAP_STATUS_NONE || r->nargs < 3 || !imap_arg_u32(&r->args[0], &seq) ||
	    !imap_arg_is_atom(&r->args[1], "FETCH") || r->args[2].type != IMAP_ARG_LIST ||
	    r->args[2].len % 2 != 0)
		return NULL;
	return &r->args[2];
}

bool imap_conn_fetch_is(const struct imap_resp *r)
{
	return r->status == IMAP_STATUS_NONE && r->nargs >= 2 &&
	       imap_arg_is_atom(&r->args[1], "FETCH");
}

bool imap_conn_flags_join(const struct imap_arg *v, struct buf *out)
{
	if (v->type != IMAP_ARG_LIST)
		return false;
	for (size_t j = 0; j < v->len; j++) {
		const struct imap_arg *f = &v->u.list[j];

		if (f->type != IMAP_ARG_ATOM)
			return false;
		if (out->len)
			buf_appends(out, " ");
		buf_append(out, f->u.str, f->len);
	}
	return true;
}

bool imap_conn_fetch_item(const char *s, const char *name, const char *section, uint64_t *origin_r,
		       bool *has_origin_r)
{
	size_t nl = strlen(name), sl = strlen(section);
	uint64_t v = 0;
	const char *d;

	if (strncasecmp(s, name, nl) != 0 || s[nl] != '[' || strncmp(s + nl + 1, section, sl) != 0 ||
	    s[nl + 1 + sl] != ']')
		return false;
	s += nl + sl + 2;
	if (origin_r == NULL)
		return *s == '\0';
	*origin_r = 0;
	*has_origin_r = false;
	if (*s == '\0')
		return true;
	if (*s++ != '<')
		return false;
	for (d = s; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (s == d || s[0] != '>' || s[1] != '\0')
		return false;
	*origin_r = v;
	*has_origin_r = true;
	return true;
}

void imap_conn_unselect_state(struct imap_conn *c)
{
	free(c->selected);
	c->selected = NULL;
	c->selected_rw = false;
	free(c->permflags);
	c->permflags = NULL;
	memset(&c->st, 0, sizeof(c->st));
}

bool imap_conn_cmd_sent(const struct imap_conn *c)
{
	return c->cmd_sent;
}

int imap_conn_check_selected(struct imap_conn *c, const char *what)
{
	if (c->broken)
		return -ECONNRESET;
	if (c->selected)
		return 0;
	imap_conn_set_error(c, "%s: no mailbox selected", what);
	return -EINVAL;
}

int imap_conn_body_value(struct imap_conn *c, uint32_t uid, const struct imap_arg *val, size_t max,
			 const char **data_r, size_t *len_r)
{
	if (val->type == IMAP_ARG_NIL) {
		*data_r = "";
		*len_r = 0;
		return 0;
	}
	if (val->type != IMAP_ARG_STRING && val->type != IMAP_ARG_LITERAL) {
		imap_conn_set_error(c, "server %s returned a malformed body for UID %" PRIu32,
				    c->host, uid);
		return -EPROTO;
	}
	if (val->len > max) {
		imap_conn_set_error(c,
				    "server %s returned %zu bytes of UID %" PRIu32
				    " where at most %zu were asked for",
				    c->host, val->len, uid, max);
		return -EPROTO;
	}
	*data_r = val->u.str;
	*len_r = val->len;
	return 0;
}

const char *imap_conn_selected(const struct imap_conn *c)
{
	return c->selected;
}

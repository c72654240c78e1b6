/* imap_conn: the commands that change mail (SPEC §4) — CREATE, DELETE,
 * RENAME, SELECT, STORE, UID EXPUNGE, MOVE, COPY, APPEND — and the
 * Message-ID search that finds out what one of them did when its reply
 * was lost.  Everything the caller hands in is checked before a byte is
 * sent; what the server answers in response codes (COPYUID, APPENDUID,
 * PERMANENTFLAGS) is checked before it is believed. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapfs/imap_date.h"
#include "imapfs/imap_parser.h"
#include "imapfs/log.h"
#include "conn_int.h"

/* A Message-ID names one message; a few copies are normal, this many is a
 * server gone wrong. */
#define WRITE_MAX_MSGID_UIDS 100000

/* ---- checks ---- */

/* RFC 3501 ATOM-CHAR: printable ASCII except atom-specials, "]"
 * (resp-specials) included. */
static bool write_atom_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && !strchr("(){ %*\"\\]", ch);
}

/* p[0, n) is a system flag "\Atom" or an atom keyword. */
static bool write_flag_ok(const char *p, size_t n)
{
	size_t i = p[0] == '\\' ? 1 : 0;

	if (i == n)
		return false;
	for (; i < n; i++)
		if (!write_atom_char((unsigned char)p[i]))
			return false;
	return true;
}

/* flags ("\\Seen $Label1", "" for none) as a flag list's contents in out.
 * -EINVAL for anything that is not a flag. */
static int write_flags(struct imap_conn *c, const char *what, const char *flags, struct buf *out)
{
	const char *p = flags ? flags : "";

	buf_appends(out, "");
	while (*p) {
		size_t n = strcspn(p, " ");

		if (n == 0) {
			p++;
			continue;
		}
		if (!write_flag_ok(p, n)) {
			imap_conn_set_error(c, "%s: invalid flag list", what);
			return -EINVAL;
		}
		if (out->len)
			buf_appends(out, " ");
		buf_append(out, p, n);
		p += n;
	}
	return 0;
}

/* A command that changes messages needs a mailbox selected read-write. */
static int write_check_rw(struct imap_conn *c, const char *what)
{
	int rc = imap_conn_check_selected(c, what);

	if (rc < 0)
		return rc;
	if (!c->selected_rw) {
		imap_conn_set_error(c, "%s: mailbox is selected read-only", what);
		return -EINVAL;
	}
	return 0;
}

static int write_check_uid(struct imap_conn *c, const char *what, uint32_t uid)
{
	if (c->broken)
		return -ECONNRESET;
	if (uid == 0) {
		imap_conn_set_error(c, "%s: UID 0", what);
		return -EINVAL;
	}
	return 0;
}

/* Digits of a nz-number (no sign, no leading zero), into *v_r. */
static bool write_nz(const char *s, size_t len, uint32_t *v_r)
{
	uint64_t v = 0;

	if (len == 0 || s[0] == '0')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*v_r = (uint32_t)v;
	return true;
}

/* A uid-set of exactly one UID: "n" or "n:n". */
static bool write_one_uid(const char *s, size_t len, uint32_t *v_r)
{
	const char *colon = memchr(s, ':', len);
	uint32_t a, b;

	if (!colon)
		return write_nz(s, len, v_r);
	if (!write_nz(s, (size_t)(colon - s), &a) ||
	    !write_nz(colon + 1, len - (size_t)(colon - s) - 1, &b) || a != b)
		return false;
	*v_r = a;
	return true;
}

/* Splits "a b c" into exactly n tokens separated by single spaces. */
static bool write_split(const char *s, const char **tok, size_t *len, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = strcspn(s, " ");

		if (k == 0)
			return false;
		tok[i] = s;
		len[i] = k;
		s += k;
		if (i + 1 < n) {
			if (*s != ' ')
				return false;
			s++;
		}
	}
	return *s == '\0';
}

/* ---- SELECT ---- */

struct write_select {
	char *permflags; /* NULL: not said (or malformed) */
};

/* "(\Seen \Deleted \*)": the flags, space-separated, or NULL when it is
 * not a list of flag-perm. */
static char *write_permflags_parse(const char *arg)
{
	size_t len = arg ? strlen(arg) : 0;
	struct buf b = BUF_INIT;

	if (len < 2 || arg[0] != '(' || arg[len - 1] != ')')
		return NULL;
	buf_appends(&b, "");
	for (size_t i = 1; i < len - 1;) {
		size_t n = strcspn(arg + i, " )");
		bool star = n == 2 && arg[i] == '\\' && arg[i + 1] == '*';

		if (i + n != len - 1 && arg[i + n] != ' ')
			goto bad; /* a ")" inside */
		if (!star && (n == 0 || !write_flag_ok(arg + i, n)))
			goto bad;
		if (b.len)
			buf_appends(&b, " ");
		buf_append(&b, arg + i, n);
		i += n;
		if (i < len - 1 && ++i == len - 1)
			goto bad; /* a trailing space */
	}
	return buf_steal(&b);
bad:
	buf_free(&b);
	return NULL;
}

static void write_select_data(struct imap_conn *c, const struct imap_resp *r, void *arg)
{
	struct write_select *s = arg;

	if (r->status != IMAP_STATUS_OK || !r->code || strcmp(r->code, "PERMANENTFLAGS") != 0)
		return;
	free(s->permflags);
	s->permflags = write_permflags_parse(r->code_arg);
	if (!s->permflags)
		log_warnx("server %s: ignoring a malformed PERMANENTFLAGS", c->host);
}

int imap_conn_select(struct imap_conn *c, const char *name, bool fresh,
		     struct imap_mbox_status *st_r)
{
	struct imap_conn_cmd cmd;
	struct imap_resp *done = NULL;
	struct write_select s = {0};
	int rc;

	memset(st_r, 0, sizeof(*st_r));
	if (!fresh && c->selected && c->selected_rw && strcmp(c->selected, name) == 0 &&
	    !c->broken) {
		*st_r = c->st;
		return 0;
	}
	/* A failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1). */
	imap_conn_unselect_state(c);

	imap_conn_cmd_start(c, &cmd, "SELECT");
	imap_conn_cmd_astring(c, &cmd, name, strlen(name));
	if (imap_conn_has_cap(c, "CONDSTORE"))
		imap_conn_cmd_raw(&cmd, "(CONDSTORE)");
	rc = imap_conn_run(c, &cmd, write_select_data, &s, NULL, &done);
	imap_conn_cmd_clear(&cmd);
	if (rc < 0)
		goto out;
	if (c->st.uidvalidity == 0) {
		imap_conn_set_error(c, "server %s sent no UIDVALIDITY for mailbox %s", c->host,
				    name);
		rc = -EPROTO;
		goto out;
	}
	c->selected = strdup(name);
	if (!c->selected)
		abort();
	*st_r = c->st;
	if (done->code && strcmp(done->code, "READ-ONLY") == 0) {
		/* Selected all the same, as EXAMINE would have: reads work. */
		imap_conn_set_error(c, "SELECT: server %s opened mailbox %s read-only", c->host,
				    name);
		rc = -EROFS;
		goto out;
	}
	c->selected_rw = true;
	c->permflags = s.permflags;
	s.permflags = NULL;
out:
	free(s.permflags);
	imap_resp_free(&done);
	return rc;
}

bool imap_conn_flag_permanent(const struct imap_conn *c, const char *flag)
{
	const char *p;
	bool star = false;

	if (!c->selected || !c->selected_rw || !flag || !*flag)
		return false;
	if (!c->permflags)
		return true;
	for (p = c->permflags; *p;) {
		size_t n = strcspn(p, " ");

		if (n == 2 && p[0] == '\\' && p[1] == '*')
			star = true;
		else if (n == strlen(flag) && strncasecmp(p, flag, n) == 0)
			return true;
		p += n;
		p += strspn(p, " ");
	}
	return star && flag[0] != '\\';
}

/* ---- CREATE, DELETE, RENAME ---- */

/* Leaves no mailbox selected without expunging anything: UNSELECT (RFC
 * 3691) where offered, else EXAMINE of examine (read-only, so leaving the
 * mailbox expunges nothing).  CLOSE would expunge. */
static int write_unselect(struct imap_conn *c, const char *examine)
{
	struct imap_conn_cmd cmd;
	struct imap_mbox_status st;
	char *name;
	int rc = 0;

	if (!imap_conn_has_cap(c, "UNSELECT")) {
		if (c->selected_rw || strcmp(examine, c->selected) != 0) {
			name = strdup(examine);
			if (!name)
				abort();
			rc = imap_conn_examine(c, name, true, &st);
			free(name);
		}
	} else {
		imap_conn_cmd_start(c, &cmd, "UNSELECT");
		rc = imap_conn_run(c, &cmd, NULL, NULL, NULL, NULL);
		imap_conn_cmd_clear(&cmd);
	}
	imap_conn_unselect_state(c);
	/* A NO leaves the server's selection unknown, but nothing was
	 * expunged and the command that follows does not depend on it. */
	if (c->broken)
		return rc < 0 ? rc : -ECONNRESET;
	return 0;
}

/* Unselects when the selected mailbox is name (or, when prefix, a name
 * starting with it: renaming a parent renames its children), by EXAMINE
 * of examine (NULL: of the selected mailbox) without UNSELECT. */
static int write_unselect_if(struct imap_conn *c, const char *name, bool prefix,
			     const char *examine)
{
	int rc;

	if (!c->selected)
		return 0;
	if (prefix ? strncmp(c->selected, name, strlen(name)) != 0 : strcmp(c->selected, name) != 0)
		return 0;
	rc = write_unselect(c, examine ? examine : c->selected);
	/* The command that changes mail was not sent. */
	c->cmd_sent = false;
	return rc;
}

static int write_simple(struct imap_conn *c, const char *verb, const char *a, const char *b)
{
	struct imap_conn_cmd cmd;
	int rc;

	imap_conn_cmd_start(c, &cmd, verb);
	imap_conn_cmd_astring(c, &cmd, a, strlen(a));
	if (b)
		imap_conn_cmd_astring(c, &cmd, b, strlen(b));
	rc = imap_conn_run(c, &cmd, NULL, NULL, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	return rc;
}

int imap_conn_create(struct imap_conn *c, const char *raw)
{
	c->cmd_sent = false;
	return write_simple(c, "CREATE", raw, NULL);
}

int imap_conn_delete(struct imap_conn *c, const char *raw)
{
	int rc;

	c->cmd_sent = false;
	/* Dovecot drops a connection whose selected mailbox was deleted
	 * ("* BYE Selected mailbox was deleted") at its next command, an
	 * EXAMINEd one too: without UNSELECT, leave it for INBOX, which
	 * always exists (DELETE INBOX is refused anyway). */
	rc = write_unselect_if(c, raw, false, strcasecmp(raw, "INBOX") != 0 ? "INBOX" : NULL);
	if (rc < 0)
		return rc;
	return write_simple(c, "DELETE", raw, NULL);
}

int imap_conn_rename(struct imap_conn *c, const char *from, const char *to)
{
	int rc;

	c->cmd_sent = false;
	rc = write_unselect_if(c, from, true, NULL);
	if (rc < 0)
		return rc;
	return write_simple(c, "RENAME", from, to);
}

bool imap_mailbox_under(const char *name, const char *top, char delim)
{
	size_t len = strlen(top);

	return strncmp(name, top, len) == 0 &&
	       (name[len] == '\0' || (delim != 0 && name[len] == delim));
}

/* ---- STATUS ---- */

struct write_status {
	const char *name;
	uint32_t uidvalidity, uidnext;
	bool seen;
};

/* "* STATUS name (UIDNEXT n UIDVALIDITY n)" about the mailbox asked for
 * (a server may send STATUS of others unasked, RFC 5819). */
static void write_status_data(struct imap_conn *c, const struct imap_resp *r, void *arg)
{
	struct write_status *s = arg;
	const struct imap_arg *l;
	const char *name;

	(void)c;
	if (r->nargs != 3 || !imap_arg_is_atom(&r->args[0], "STATUS") ||
	    r->args[2].type != IMAP_ARG_LIST)
		return;
	name = imap_arg_str(&r->args[1]);
	if (name == NULL || strcmp(name, s->name) != 0)
		return;
	l = &r->args[2];
	for (size_t i = 0; i + 1 < l->len; i += 2) {
		if (imap_arg_is_atom(&l->u.list[i], "UIDNEXT"))
			(void)imap_arg_u32(&l->u.list[i + 1], &s->uidnext);
		else if (imap_arg_is_atom(&l->u.list[i], "UIDVALIDITY"))
			(void)imap_arg_u32(&l->u.list[i + 1], &s->uidvalidity);
	}
	s->seen = true;
}

int imap_conn_status(struct imap_conn *c, const char *name, uint32_t *uidvalidity_r,
		     uint32_t *uidnext_r)
{
	struct write_status s = {.name = name};
	struct imap_conn_cmd cmd;
	int rc;

	*uidvalidity_r = 0;
	*uidnext_r = 0;
	c->cmd_sent = false;
	imap_conn_cmd_start(c, &cmd, "STATUS");
	imap_conn_cmd_astring(c, &cmd, name, strlen(name));
	imap_conn_cmd_raw(&cmd, "(UIDNEXT UIDVALIDITY)");
	rc = imap_conn_run(c, &cmd, write_status_data, &s, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	if (rc < 0)
		return rc;
	if (!s.seen || s.uidvalidity == 0 || s.uidnext == 0) {
		imap_conn_set_error(c, "server %s did not tell UIDNEXT and UIDVALIDITY of %s",
				    c->host, name);
		return -EPROTO;
	}
	*uidvalidity_r = s.uidvalidity;
	*uidnext_r = s.uidnext;
	return 0;
}

/* ---- STORE, UID EXPUNGE ---- */

struct write_uid_seen {
	uint32_t uid;
	bool seen;
};

/* A FETCH response naming the UID. */
static void write_uid_data(struct imap_conn *c, const struct imap_resp *r, void *arg)
{
	struct write_uid_seen *w = arg;
	const struct imap_arg *items = imap_conn_fetch_items(r);
	uint32_t uid;

	(void)c;
	if (!items)
		return;
	for (size_t i = 0; i < items->len; i += 2)
		if (imap_arg_is_atom(&items->u.list[i], "UID") &&
		    imap_arg_u32(&items->u.list[i + 1], &uid) && uid == w->uid)
			w->seen = true;
}

int imap_conn_store(struct imap_conn *c, uint32_t uid, const char *op, const char *flags)
{
	struct imap_conn_cmd store, fetch;
	struct imap_conn_cmd *cmds[2] = {&store, &fetch};
	struct write_uid_seen w = {.uid = uid};
	struct buf fl = BUF_INIT;
	int rcs[2];
	int rc;

	c->cmd_sent = false;
	rc = write_check_rw(c, "UID STORE");
	if (rc == 0)
		rc = write_check_uid(c, "UID STORE", uid);
	if (rc < 0)
		return rc;
	if (!op ||
	    (strcmp(op, "FLAGS") != 0 && strcmp(op, "+FLAGS") != 0 && strcmp(op, "-FLAGS") != 0)) {
		imap_conn_set_error(c, "UID STORE: invalid operation");
		return -EINVAL;
	}
	rc = write_flags(c, "UID STORE", flags, &fl);
	if (rc < 0)
		goto out;
	/* .SILENT: no FETCH comes back, and a server may answer OK for a UID
	 * that is gone (Dovecot does).  A UID FETCH sent in the same write
	 * tells, at no extra round trip; of the UID only, as pipelining a
	 * FETCH of the flags a STORE changes is ambiguous (RFC 3501 §5.5). */
	imap_conn_cmd_start(c, &store, "UID STORE");
	imap_conn_cmd_raw(&store, "%" PRIu32 " %s.SILENT (%s)", uid, op, fl.data);
	imap_conn_cmd_start(c, &fetch, "UID FETCH");
	imap_conn_cmd_raw(&fetch, "%" PRIu32 " (UID)", uid);
	/* cmd_start reset it; the pipe sets it again once it writes. */
	c->cmd_sent = false;
	rc = imap_conn_run_pipe(c, cmds, 2, write_uid_data, &w, rcs);
	imap_conn_cmd_clear(&store);
	imap_conn_cmd_clear(&fetch);
	if (rc < 0)
		goto out;
	rc = rcs[0];
	if (rc == 0 && !w.seen) {
		rc = rcs[1];
		if (rc == 0) {
			imap_conn_set_error(c, "message UID %" PRIu32 " no longer exists", uid);
			rc = -ENOENT;
		}
	}
out:
	buf_free(&fl);
	return rc;
}

int imap_conn_uid_expunge(struct imap_conn *c, uint32_t uid)
{
	struct imap_conn_cmd cmd;
	int rc;

	c->cmd_sent = false;
	rc = write_check_rw(c, "UID EXPUNGE");
	if (rc == 0)
		rc = write_check_uid(c, "UID EXPUNGE", uid);
	if (rc < 0)
		return rc;
	if (!imap_conn_has_cap(c, "UIDPLUS")) {
		imap_conn_set_error(c, "UID EXPUNGE: server %s has no UIDPLUS", c->host);
		return -EOPNOTSUPP;
	}
	imap_conn_cmd_start(c, &cmd, "UID EXPUNGE");
	imap_conn_cmd_raw(&cmd, "%" PRIu32, uid);
	rc = imap_conn_run(c, &cmd, NULL, NULL, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	return rc;
}

/* ---- MOVE, COPY ---- */

struct write_copy {
	uint32_t uid;
	bool said; /* a COPYUID code came, well-formed or not */
	uint32_t uidvalidity, dst;
	size_t expunges;
};

/* "[COPYUID uidvalidity srcset dstset]" for our one UID (RFC 4315). */
static void write_copyuid(struct imap_conn *c, struct write_copy *w, const struct imap_resp *r)
{
	const char *tok[3];
	size_t len[3];
	uint32_t uv, src, dst;

	if (!r->code || strcmp(r->code, "COPYUID") != 0)
		return;
	w->said = true;
	if (!r->code_arg || !write_split(r->code_arg, tok, len, 3) ||
	    !write_nz(tok[0], len[0], &uv) || !write_one_uid(tok[1], len[1], &src) ||
	    src != w->uid || !write_one_uid(tok[2], len[2], &dst)) {
		log_warnx("server %s: ignoring a malformed COPYUID", c->host);
		return;
	}
	w->uidvalidity = uv;
	w->dst = dst;
}

static void write_copy_data(struct imap_conn *c, const struct imap_resp *r, void *arg)
{
	struct write_copy *w = arg;
	uint32_t n;

	if (r->status == IMAP_STATUS_OK) {
		/* MOVE: COPYUID comes untagged, before the EXPUNGEs (RFC 6851). */
		write_copyuid(c, w, r);
	} else if (r->status == IMAP_STATUS_NONE && r->nargs >= 2 &&
		   imap_arg_u32(&r->args[0], &n) && imap_arg_is_atom(&r->args[1], "EXPUNGE")) {
		w->expunges++;
	}
}

static int write_copy_move(struct imap_conn *c, bool move, uint32_t uid, const char *dest,
			   uint32_t *uidvalidity_r, uint32_t *uid_r)
{
	const char *verb = move ? "UID MOVE" : "UID COPY";
	struct imap_conn_cmd cmd;
	struct imap_resp *done = NULL;
	struct write_copy w = {.uid = uid};
	int rc;

	*uidvalidity_r = 0;
	*uid_r = 0;
	c->cmd_sent = false;
	/* COPY leaves the source alone: a read-only selection will do. */
	rc = move ? write_check_rw(c, verb) : imap_conn_check_selected(c, verb);
	if (rc == 0)
		rc = write_check_uid(c, verb, uid);
	if (rc < 0)
		return rc;
	if (move && !imap_conn_has_cap(c, "MOVE")) {
		imap_conn_set_error(c, "UID MOVE: server %s has no MOVE", c->host);
		return -EOPNOTSUPP;
	}
	imap_conn_cmd_start(c, &cmd, verb);
	imap_conn_cmd_raw(&cmd, "%" PRIu32, uid);
	imap_conn_cmd_astring(c, &cmd, dest, strlen(dest));
	rc = imap_conn_run(c, &cmd, write_copy_data, &w, NULL, &done);
	imap_conn_cmd_clear(&cmd);
	if (rc < 0)
		goto out;
	write_copyuid(c, &w, done);
	/* An OK that copied nothing is how servers (Dovecot: "No messages
	 * found") answer for a UID that is gone. */
	if (move ? !w.said && w.expunges == 0 : !w.said && imap_conn_has_cap(c, "UIDPLUS")) {
		imap_conn_set_error(c, "message UID %" PRIu32 " no longer exists", uid);
		rc = -ENOENT;
		goto out;
	}
	*uidvalidity_r = w.uidvalidity;
	*uid_r = w.dst;
out:
	imap_resp_free(&done);
	return rc;
}

int imap_conn_move(struct imap_conn *c, uint32_t uid, const char *dest, uint32_t *uidvalidity_r,
		   uint32_t *uid_r)
{
	return write_copy_move(c, true, uid, dest, uidvalidity_r, uid_r);
}

int imap_conn_copy(struct imap_conn *c, uint32_t uid, const char *dest, uint32_t *uidvalidity_r,
		   uint32_t *uid_r)
{
	return write_copy_move(c, false, uid, dest, uidvalidity_r, uid_r);
}

/* ---- APPEND ---- */

int imap_conn_append(struct imap_conn *c, const char *mailbox, const char *flags,
		     time_t internaldate, const char *data, size_t len, uint32_t *uidvalidity_r,
		     uint32_t *uid_r)
{
	struct imap_conn_cmd cmd;
	struct imap_resp *done = NULL;
	struct buf fl = BUF_INIT;
	char date[IMAP_DATE_BUFSIZE];
	const char *tok[2];
	size_t tlen[2];
	uint32_t uv, uid;
	int rc;

	*uidvalidity_r = 0;
	*uid_r = 0;
	c->cmd_sent = false;
	if (c->broken)
		return -ECONNRESET;
	rc = write_flags(c, "APPEND", flags, &fl);
	if (rc < 0)
		goto out;
	if (memchr(data, '\0', len)) {
		/* A literal8 (RFC 3516) could carry it; a message with NUL is
		 * not worth that. */
		imap_conn_set_error(c, "APPEND: the message contains a NUL byte");
		rc = -EINVAL;
		goto out;
	}
	if (imap_date_format(internaldate, date, sizeof(date)) < 0) {
		imap_conn_set_error(c, "APPEND: date out of range");
		rc = -EINVAL;
		goto out;
	}
	imap_conn_cmd_start(c, &cmd, "APPEND");
	imap_conn_cmd_astring(c, &cmd, mailbox, strlen(mailbox));
	imap_conn_cmd_raw(&cmd, "(%s) \"%s\"", fl.data, date);
	imap_conn_cmd_literal(c, &cmd, data, len);
	rc = imap_conn_run(c, &cmd, NULL, NULL, NULL, &done);
	imap_conn_cmd_clear(&cmd);
	if (rc < 0)
		goto out;
	/* "[APPENDUID uidvalidity uid]" (RFC 4315); anything else is taken
	 * as not said. */
	if (done->code && strcmp(done->code, "APPENDUID") == 0) {
		if (done->code_arg && write_split(done->code_arg, tok, tlen, 2) &&
		    write_nz(tok[0], tlen[0], &uv) && write_nz(tok[1], tlen[1], &uid)) {
			*uidvalidity_r = uv;
			*uid_r = uid;
		} else {
			log_warnx("server %s: ignoring a malformed APPENDUID", c->host);
		}
	}
out:
	imap_resp_free(&done);
	buf_free(&fl);
	return rc;
}

/* ---- UID SEARCH HEADER Message-ID ---- */

int imap_conn_search_msgid(struct imap_conn *c, const char *id, uint32_t **uids_r, size_t *n_r)
{
	struct imap_conn_cmd cmd;
	int rc;

	*uids_r = NULL;
	*n_r = 0;
	c->cmd_sent = false;
	rc = imap_conn_check_selected(c, "UID SEARCH");
	if (rc < 0)
		return rc;
	/* HEADER matches substrings: an empty one would match every message
	 * that has the header at all. */
	if (!id || !*id) {
		imap_conn_set_error(c, "UID SEARCH: empty Message-ID");
		return -EINVAL;
	}
	imap_conn_search_start(c, &cmd);
	for (const char *p = id; *p; p++) {
		if ((unsigned char)*p >= 0x80) {
			imap_conn_cmd_raw(&cmd, "CHARSET UTF-8");
			break;
		}
	}
	imap_conn_cmd_raw(&cmd, "HEADER Message-ID");
	imap_conn_cmd_astring(c, &cmd, id, strlen(id));
	return imap_conn_search_run(c, &cmd, WRITE_MAX_MSGID_UIDS, uids_r, n_r);
}

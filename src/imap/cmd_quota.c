/* imap_conn: GETQUOTAROOT (RFC 9208, and RFC 2087 which it replaces and
 * which Dovecot 2.3 speaks: the same command and responses). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "imapfs/imap_parser.h"
#include "conn_int.h"

/* RFC 9208 number64: at most 2^63 - 1. */
#define QUOTA_MAX_NUMBER ((uint64_t)INT64_MAX)

struct quota_state {
	struct imap_quota q;
	int rc; /* first malformed response: -EPROTO */
};

/* Keeps, of the roots seen, the resource with the least room left: that
 * one is what runs out first. */
static void quota_take(bool *has, uint64_t *used, uint64_t *limit, uint64_t u, uint64_t l)
{
	uint64_t room = l > u ? l - u : 0;

	if (*has && (*limit > *used ? *limit - *used : 0) <= room)
		return;
	*has = true;
	*used = u;
	*limit = l;
}

/* "* QUOTA root (RESOURCE usage limit ...)"; "* QUOTAROOT" needs nothing:
 * the QUOTA responses that come with it are the roots' own. */
static void quota_data(struct imap_conn *c, const struct imap_resp *r, void *arg)
{
	struct quota_state *s = arg;
	const struct imap_arg *list;
	char root[64];

	if (r->status != IMAP_STATUS_NONE || r->nargs < 1 ||
	    !imap_arg_is_atom(&r->args[0], "QUOTA"))
		return;
	if (r->nargs != 3 || !imap_arg_str(&r->args[1]) || r->args[2].type != IMAP_ARG_LIST ||
	    r->args[2].len % 3 != 0)
		goto bad;
	list = r->args[2].u.list;
	for (size_t i = 0; i < r->args[2].len; i += 3) {
		uint64_t used, limit;

		if (list[i].type != IMAP_ARG_ATOM || !imap_arg_u64(&list[i + 1], &used) ||
		    !imap_arg_u64(&list[i + 2], &limit) || used > QUOTA_MAX_NUMBER ||
		    limit > QUOTA_MAX_NUMBER)
			goto bad;
		if (imap_arg_is_atom(&list[i], "STORAGE"))
			quota_take(&s->q.has_storage, &s->q.storage_used, &s->q.storage_limit, used,
				   limit);
		else if (imap_arg_is_atom(&list[i], "MESSAGE"))
			quota_take(&s->q.has_message, &s->q.message_used, &s->q.message_limit, used,
				   limit);
	}
	return;
bad:
	if (!s->rc) {
		imap_conn_clean_text(imap_arg_str(&r->args[1]), root, sizeof(root));
		imap_conn_set_error(c, "server %s sent a malformed QUOTA response (root \"%s\")",
				    c->host, root);
		s->rc = -EPROTO;
	}
}

int imap_conn_getquotaroot(struct imap_conn *c, const char *mailbox, struct imap_quota *q_r)
{
	struct quota_state s = {0};
	struct imap_conn_cmd cmd;
	int rc;

	memset(q_r, 0, sizeof(*q_r));
	c->cmd_sent = false;
	if (c->broken)
		return -ECONNRESET;
	if (!imap_conn_has_cap(c, "QUOTA")) {
		imap_conn_set_error(c, "server %s has no QUOTA", c->host);
		return -EOPNOTSUPP;
	}
	imap_conn_cmd_start(c, &cmd, "GETQUOTAROOT");
	imap_conn_cmd_astring(c, &cmd, mailbox, strlen(mailbox));
	rc = imap_conn_run(c, &cmd, quota_data, &s, NULL, NULL);
	imap_conn_cmd_clear(&cmd);
	if (rc == 0 && s.rc) {
		/* c->err was set by quota_data; the command itself was OK. */
		return s.rc;
	}
	if (rc < 0)
		return rc;
	*q_r = s.q;
	return 0;
}

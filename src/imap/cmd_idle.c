/* imap_conn: IDLE (RFC 2177), how a watcher learns that the selected
 * mailbox changed without asking.  Between imap_conn_idle_start and
 * imap_conn_idle_done the server may speak at any time; the watcher waits
 * for it with imap_conn_idle_wait, which can also be woken from another
 * thread through a file descriptor. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "imapfs/imap_parser.h"
#include "imapfs/log.h"
#include "conn_int.h"

/* Whether an untagged response is about the messages of the selected
 * mailbox: new ones (EXISTS), gone ones (EXPUNGE, VANISHED) or their
 * flags (FETCH). */
static bool idle_is_change(const struct imap_resp *r)
{
	uint32_t n;

	if (r->type != IMAP_RESP_UNTAGGED || r->status != IMAP_STATUS_NONE || r->nargs < 1)
		return false;
	if (imap_arg_is_atom(&r->args[0], "VANISHED"))
		return true;
	return r->nargs >= 2 && imap_arg_u32(&r->args[0], &n) &&
	       (imap_arg_is_atom(&r->args[1], "EXISTS") ||
		imap_arg_is_atom(&r->args[1], "EXPUNGE") || imap_arg_is_atom(&r->args[1], "FETCH"));
}

/* A tagged response while idling ends the IDLE: its completion, or a
 * stranger's tag (-EPROTO). */
static int idle_tagged(struct imap_conn *c, const struct imap_resp *r)
{
	char tag[sizeof(c->idle_tag)];
	int rc;

	memcpy(tag, c->idle_tag, sizeof(tag));
	c->idle_tag[0] = '\0';
	rc = imap_conn_tagged_done(c, tag, "IDLE", r);
	/* A server that ends IDLE by itself (OK) still ended it early. */
	return rc < 0 ? rc : -ECONNABORTED;
}

int imap_conn_idle_start(struct imap_conn *c)
{
	struct imap_conn_cmd cmd;
	struct imap_resp *r = NULL;
	int rc;

	c->cmd_sent = false;
	if (!imap_conn_has_cap(c, "IDLE")) {
		imap_conn_set_error(c, "server %s does not offer IDLE", c->host);
		return -EOPNOTSUPP;
	}
	rc = imap_conn_check_selected(c, "IDLE");
	if (rc < 0)
		return rc;
	imap_conn_cmd_start(c, &cmd, "IDLE");
	rc = imap_conn_send(c, &cmd);
	snprintf(c->idle_tag, sizeof(c->idle_tag), "%s", cmd.tag);
	imap_conn_cmd_clear(&cmd);
	while (rc == 0) {
		rc = imap_conn_read(c, &r);
		if (rc < 0)
			break;
		if (r->type == IMAP_RESP_CONTINUATION) {
			imap_resp_free(&r);
			return 0;
		}
		if (r->type == IMAP_RESP_TAGGED)
			rc = idle_tagged(c, r);
		imap_resp_free(&r);
	}
	c->idle_tag[0] = '\0';
	return rc;
}

int imap_conn_idle_wait(struct imap_conn *c, int wake_fd, int timeout_ms, bool *changed_r)
{
	struct imap_resp *r = NULL;
	int rc;

	if (c->idle_tag[0] == '\0' || c->broken)
		return -EINVAL;
	if (!imap_conn_buffered(c)) {
		rc = net_poll_in(c->net, wake_fd, timeout_ms);
		if (rc <= 0)
			return rc;
	}
	rc = imap_conn_read(c, &r);
	if (rc < 0)
		return rc;
	if (r->type == IMAP_RESP_TAGGED) {
		rc = idle_tagged(c, r);
	} else if (r->type == IMAP_RESP_CONTINUATION) {
		imap_conn_set_error(c, "protocol error from server %s: unexpected continuation "
				       "request during IDLE",
				    c->host);
		imap_conn_break(c);
		rc = -EPROTO;
	} else if (idle_is_change(r)) {
		*changed_r = true;
	}
	imap_resp_free(&r);
	return rc;
}

int imap_conn_idle_done(struct imap_conn *c, bool *changed_r)
{
	struct imap_resp *r = NULL;
	int rc;

	if (c->idle_tag[0] == '\0')
		return -EINVAL;
	log_trace(c->id, 'C', "DONE", 4);
	rc = imap_conn_write_line(c, "DONE");
	while (rc == 0) {
		rc = imap_conn_read(c, &r);
		if (rc < 0)
			break;
		if (r->type == IMAP_RESP_TAGGED) {
			char tag[sizeof(c->idle_tag)];

			memcpy(tag, c->idle_tag, sizeof(tag));
			c->idle_tag[0] = '\0';
			rc = imap_conn_tagged_done(c, tag, "IDLE", r);
			imap_resp_free(&r);
			return rc;
		}
		if (idle_is_change(r))
			*changed_r = true;
		imap_resp_free(&r);
	}
	c->idle_tag[0] = '\0';
	return rc;
}

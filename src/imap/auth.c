/* imap_conn: logging in — AUTHENTICATE PLAIN or LOGIN with a password,
 * AUTHENTICATE OAUTHBEARER or XOAUTH2 with an OAuth 2.0 token (the
 * contract is in imap_conn.h, the messages' bytes in sasl.c).  Every
 * buffer that held a secret is wiped before it is freed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/imap_sasl.h"
#include "imapfs/log.h"
#include "conn_int.h"

/* The outcome of a login command whose completion is done (NULL when the
 * connection failed): rc as is when it worked or the connection failed;
 * BAD is the server not understanding us, [UNAVAILABLE] and friends
 * -EAGAIN, any other NO -EACCES with *refused_r set.  why, when not "",
 * says the server refused the credentials in a challenge already: then a
 * BAD (to the cancel of a further challenge) is a refusal too. */
static int auth_outcome(struct imap_conn *c, const struct imap_conn_opts *o, int rc,
			const struct imap_resp *done, const char *why, bool *refused_r)
{
	char text[256];

	*refused_r = false;
	if (rc == 0 || !done)
		return rc;
	imap_conn_clean_text(done->text, text, sizeof(text));
	if (done->status == IMAP_STATUS_BAD && !why[0]) {
		imap_conn_set_error(c, "server %s rejected the login command: %s", c->host, text);
		return -EPROTO;
	}
	imap_conn_set_error(c, "authentication failed for %s at %s: %s%s", o->user, c->host, why,
			    text);
	/* A server that is merely unable to log anyone in right now is not
	 * a wrong password. */
	if (rc == -EAGAIN)
		return rc;
	*refused_r = true;
	return -EACCES;
}

/* ---- password ---- */

static int auth_password(struct imap_conn *c, const struct imap_conn_opts *o)
{
	struct imap_conn_cmd cmd;
	struct imap_resp *done = NULL;
	char *b64 = NULL;
	size_t ulen = strlen(o->user), plen = strlen(o->password);
	bool refused;
	int rc;

	if (strpbrk(o->user, "\r\n") || strpbrk(o->password, "\r\n")) {
		imap_conn_set_error(c, "the user name or password contains a line break");
		return -EINVAL;
	}
	if (imap_conn_has_cap(c, "AUTH=PLAIN")) {
		if (imap_sasl_plain(o->user, o->password, &b64) < 0)
			abort(); /* checked above */
		imap_conn_cmd_start(c, &cmd, "AUTHENTICATE");
		imap_conn_cmd_reserve(&cmd, 64 + strlen(b64));
		imap_conn_cmd_raw(&cmd, "PLAIN");
		if (imap_conn_has_cap(c, "SASL-IR")) {
			/* RFC 4959: the response rides in the command, saving a
			 * round trip. */
			imap_conn_cmd_secret(&cmd);
			imap_conn_cmd_raw(&cmd, "%s", b64);
			rc = imap_conn_run(c, &cmd, NULL, NULL, NULL, &done);
		} else {
			rc = imap_conn_run(c, &cmd, NULL, NULL, b64, &done);
		}
	} else if (imap_conn_has_cap(c, "LOGINDISABLED")) {
		imap_conn_set_error(c,
				    "server %s disables LOGIN and does not offer AUTH=PLAIN; "
				    "no supported way to log in",
				    c->host);
		return -EOPNOTSUPP;
	} else {
		imap_conn_cmd_start(c, &cmd, "LOGIN");
		imap_conn_cmd_reserve(&cmd, 64 + 2 * (ulen + plen));
		imap_conn_cmd_secret(&cmd);
		imap_conn_cmd_astring(c, &cmd, o->user, ulen);
		imap_conn_cmd_astring(c, &cmd, o->password, plen);
		rc = imap_conn_run(c, &cmd, NULL, NULL, NULL, &done);
	}
	imap_conn_cmd_clear(&cmd);
	rc = auth_outcome(c, o, rc, done, "", &refused);
	imap_resp_free(&done);
	imap_sasl_free(&b64);
	return rc;
}

/* ---- OAuth 2.0 ---- */

/* One AUTHENTICATE with token; *refused_r as auth_outcome.  *dropped_r:
 * the server hung up (BYE, close, reset) after the token was sent and
 * before completing the command, which is how some refuse a token
 * (Office 365 closes; others say BYE). */
static int auth_oauth_once(struct imap_conn *c, const struct imap_conn_opts *o, const char *port,
			   bool bearer, const char *token, bool *refused_r, bool *dropped_r)
{
	struct imap_conn_cmd cmd;
	struct imap_resp *done = NULL;
	char *b64 = NULL, status[64], why[128] = "";
	bool ir = imap_conn_has_cap(c, "SASL-IR"), sent;
	int rc;

	*refused_r = false;
	*dropped_r = false;
	rc = bearer ? imap_sasl_oauthbearer(o->user, c->host, port, token, &b64)
		    : imap_sasl_xoauth2(o->user, token, &b64);
	if (rc < 0) {
		if (!imap_sasl_token_ok(token))
			imap_conn_set_error(c, "oauth_command printed something that is not an "
					       "OAuth 2.0 access token (RFC 6750 b64token)");
		else
			imap_conn_set_error(c, "the user name contains a control character");
		return rc;
	}
	imap_conn_cmd_start(c, &cmd, "AUTHENTICATE");
	imap_conn_cmd_reserve(&cmd, 64 + strlen(b64));
	imap_conn_cmd_raw(&cmd, "%s", bearer ? "OAUTHBEARER" : "XOAUTH2");
	if (ir) {
		imap_conn_cmd_secret(&cmd);
		imap_conn_cmd_raw(&cmd, "%s", b64);
	} else {
		imap_conn_cmd_cont(&cmd, b64);
	}
	/* RFC 7628 §3.2.3: a server that refuses the token says why in a
	 * challenge; the client answers it with a single ^A, and the server
	 * then completes with NO.  XOAUTH2 answers with an empty line. */
	imap_conn_cmd_cont(&cmd, bearer ? "AQ==" : "");
	rc = imap_conn_run(c, &cmd, NULL, NULL, NULL, &done);
	/* Without SASL-IR the token goes in the answer to the first "+". */
	sent = ir || cmd.conts > 0;
	if (cmd.conts > (ir ? 0u : 1u)) {
		if (imap_sasl_error_status(cmd.cont_text, status, sizeof(status)))
			snprintf(why, sizeof(why), "token refused (%s): ", status);
		else
			snprintf(why, sizeof(why), "token refused: ");
	}
	imap_conn_cmd_clear(&cmd);
	if (rc < 0 && !done && sent && c->broken && !c->timed_out &&
	    (rc == -ECONNRESET || rc == -EPIPE)) {
		char text[sizeof(c->err)];

		snprintf(text, sizeof(text), "%s", c->err);
		imap_conn_set_error(c, "authentication failed for %s at %s: %s%s", o->user, c->host,
				    why, text);
		*dropped_r = true;
	} else {
		rc = auth_outcome(c, o, rc, done, why, refused_r);
	}
	imap_resp_free(&done);
	imap_sasl_free(&b64);
	return rc;
}

/* The login failed again after a fresh token: says so after the reason. */
static int auth_oauth_refused_too(struct imap_conn *c)
{
	char first[sizeof(c->err)];

	snprintf(first, sizeof(first), "%s", c->err);
	imap_conn_set_error(c, "%s (a fresh token from oauth_command was refused too)", first);
	return -EACCES;
}

/* A token refused by a NO costs one fresh token and one retry on the same
 * connection; a token the server hung up on costs one fresh token and one
 * new connection (l->reconnect, done by imap_conn_open).  Either happens
 * once per open: l->renewed. */
static int auth_oauth(struct imap_conn *c, const struct imap_conn_opts *o, const char *port,
		      struct imap_login *l)
{
	char *token = NULL, *fresh = NULL, err[256] = "";
	bool bearer, refused = false, dropped = false;
	int rc;

	if (imap_conn_has_cap(c, "AUTH=OAUTHBEARER")) {
		bearer = true;
	} else if (imap_conn_has_cap(c, "AUTH=XOAUTH2")) {
		bearer = false;
	} else {
		imap_conn_set_error(c,
				    "server %s offers neither OAUTHBEARER nor XOAUTH2; "
				    "oauth_command cannot be used with it",
				    c->host);
		return -EOPNOTSUPP;
	}
	rc = o->oauth_token(o->oauth_arg, NULL, &token, err, sizeof(err));
	if (rc < 0) {
		imap_conn_set_error(c, "%s", err);
		return rc;
	}
	rc = auth_oauth_once(c, o, port, bearer, token, &refused, &dropped);
	if (rc == 0 || !(refused || dropped))
		goto out;
	if (l->renewed) {
		/* This token is the fresh one already (a new connection's). */
		rc = auth_oauth_refused_too(c);
		goto out;
	}
	/* Tokens expire (an hour is usual): one fresh token. */
	log_debug(LOG_NET, "[%u] %s: asking oauth_command for a fresh token", c->id,
		  dropped ? "the server hung up on the token" : "token refused");
	l->renewed = true;
	rc = o->oauth_token(o->oauth_arg, token, &fresh, err, sizeof(err));
	if (rc < 0) {
		char first[sizeof(c->err)];

		snprintf(first, sizeof(first), "%s", c->err);
		imap_conn_set_error(c, "%s, and then %s", first, err);
		rc = -EACCES;
		goto out;
	}
	if (!dropped)
		rc = auth_oauth_once(c, o, port, bearer, fresh, &refused, &dropped);
	if (dropped && !l->reconnected) {
		/* imap_conn_open logs in with the fresh token on a new
		 * connection (the secret_token keeps it). */
		l->reconnect = true;
		rc = -ECONNRESET;
	} else if (rc < 0 && (refused || dropped)) {
		rc = auth_oauth_refused_too(c);
	}
out:
	imap_sasl_free(&fresh);
	imap_sasl_free(&token);
	return rc;
}

int imap_conn_login(struct imap_conn *c, const struct imap_conn_opts *o, const char *port,
		    struct imap_login *l)
{
	return o->oauth_token ? auth_oauth(c, o, port, l) : auth_password(c, o);
}

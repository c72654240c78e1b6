/* url: the SERVER argument, parsed by GLib's GUri (RFC 3986), then held to
 * what imapfs can use.  Error messages never quote the user part or what
 * follows it, since a mistyped URL may hold a password. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "imapfs/url.h"

#define URL_FORM "imaps://USER@HOST[:PORT]"

static int url_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int url_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool url_has_control(const char *s)
{
	/* GLib has already checked that decoded parts are UTF-8. */
	for (const char *p = s; *p; p = g_utf8_next_char(p))
		if (g_unichar_iscntrl(g_utf8_get_char(p)))
			return true;
	return false;
}

/* A host name (GLib has turned an IDN into ASCII) or an IPv6 address, which
 * GLib has already checked and unbracketed; it may carry a zone ("%eth0"). */
static bool url_host_ok(const char *h)
{
	bool ipv6 = strchr(h, ':') != NULL;

	for (const char *p = h; *p; p++) {
		if (g_ascii_isalnum(*p) || *p == '-' || *p == '.' || *p == '_')
			continue;
		if (ipv6 && (*p == ':' || *p == '%' || *p == '~'))
			continue;
		return false;
	}
	return true;
}

int url_parse(const char *s, struct url *u, char *err, size_t errlen)
{
	GError *gerr = NULL;
	GUri *uri = NULL;
	const char *scheme; /* interned by GLib, lower-cased */
	const char *user, *host, *path;
	int port, r;

	memset(u, 0, sizeof(*u));
	if (err && errlen)
		err[0] = '\0';
	scheme = s ? g_uri_peek_scheme(s) : NULL;
	if (!scheme) {
		r = url_fail(err, errlen, "SERVER must be a URL like " URL_FORM);
		goto out;
	}
	if (strcmp(scheme, "imaps") != 0 && strcmp(scheme, "imap") != 0) {
		r = url_fail(err, errlen, "unsupported scheme '%.32s' in SERVER; use " URL_FORM,
			     scheme);
		goto out;
	}
	/* Auth parameters (RFC 5092 ";AUTH=") are split off so that they can
	 * be refused rather than taken as part of the user name. */
	uri = g_uri_parse(s, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_HAS_AUTH_PARAMS, &gerr);
	if (!uri) {
		/* GLib's messages quote parts of the URL; ours do not. */
		if (g_error_matches(gerr, G_URI_ERROR, G_URI_ERROR_BAD_PORT))
			r = url_fail(err, errlen,
				     "the port in SERVER must be a number from 1 to 65535");
		else if (g_error_matches(gerr, G_URI_ERROR, G_URI_ERROR_BAD_HOST))
			r = url_fail(err, errlen,
				     "invalid host in SERVER; use " URL_FORM
				     " (an IPv6 address goes in brackets)");
		else if (g_error_matches(gerr, G_URI_ERROR, G_URI_ERROR_BAD_USER) ||
			 g_error_matches(gerr, G_URI_ERROR, G_URI_ERROR_BAD_PASSWORD) ||
			 g_error_matches(gerr, G_URI_ERROR, G_URI_ERROR_BAD_AUTH_PARAMS))
			r = url_fail(err, errlen,
				     "invalid user name in SERVER (bad %%-escape or not "
				     "UTF-8)");
		else
			r = url_fail(err, errlen, "SERVER must be a URL like " URL_FORM);
		goto out;
	}
	host = g_uri_get_host(uri);
	if (!host) {
		r = url_fail(err, errlen, "SERVER must be a URL like " URL_FORM);
		goto out;
	}
	if (g_uri_get_password(uri)) {
		r = url_fail(err, errlen,
			     "SERVER must not contain a password; use -o "
			     "password_command, IMAPFS_PASSWORD or ~/.netrc");
		goto out;
	}
	if (g_uri_get_auth_params(uri)) {
		r = url_fail(err, errlen,
			     "';AUTH=' in SERVER is not supported; imapfs chooses the "
			     "mechanism (write a ';' in the user name as %%3B)");
		goto out;
	}
	user = g_uri_get_user(uri);
	if (!user || !user[0]) {
		r = url_fail(err, errlen,
			     "SERVER has no user name; use " URL_FORM
			     " (an '@' in USER is written %%40)");
		goto out;
	}
	if (url_has_control(user)) {
		r = url_fail(err, errlen, "the user name in SERVER contains a control character");
		goto out;
	}
	if (!host[0]) {
		r = url_fail(err, errlen, "SERVER has no host name; use " URL_FORM);
		goto out;
	}
	if (strchr(host, '@')) {
		r = url_fail(err, errlen,
			     "SERVER has more than one '@'; write an '@' in the user "
			     "name as %%40, e.g. imaps://me%%40example.org@HOST");
		goto out;
	}
	if (url_has_control(host) || !url_host_ok(host)) {
		r = url_fail(err, errlen, "the host name in SERVER contains an invalid character");
		goto out;
	}
	port = g_uri_get_port(uri);
	if (port == 0 || port > 65535) {
		r = url_fail(err, errlen, "the port in SERVER must be a number from 1 to 65535");
		goto out;
	}
	path = g_uri_get_path(uri);
	if (path[0] && strcmp(path, "/") != 0) {
		r = url_fail(err, errlen,
			     "SERVER must not have a path (such as a mailbox); use " URL_FORM);
		goto out;
	}
	if (g_uri_get_query(uri) || g_uri_get_fragment(uri)) {
		r = url_fail(err, errlen, "SERVER must not have a query ('?') or fragment ('#')");
		goto out;
	}

	/* Small and bounded by argv: GLib aborts on out-of-memory, which is
	 * the right answer here. */
	u->implicit_tls = strcmp(scheme, "imaps") == 0;
	u->user = g_strdup(user);
	u->host = g_strdup(host);
	if (port > 0)
		u->port = g_strdup_printf("%d", port);
	else
		u->port = g_strdup(u->implicit_tls ? "993" : "143");
	r = 0;
out:
	if (uri)
		g_uri_unref(uri);
	g_clear_error(&gerr);
	return r;
}

void url_clear(struct url *u)
{
	if (!u)
		return;
	/* GLib allocates with malloc (since 2.46), so free() is right. */
	free(u->user);
	free(u->host);
	free(u->port);
	memset(u, 0, sizeof(*u));
}

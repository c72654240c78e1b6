/* imap_sasl: SASL client messages (see the header).  Every buffer that held
 * a secret is wiped before it is freed. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/buf.h"
#include "imapfs/imap_sasl.h"

static const char sasl_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *imap_sasl_base64(const void *in, size_t len)
{
	const unsigned char *p = in;
	char *out = malloc((len + 2) / 3 * 4 + 1);
	size_t o = 0;

	if (!out)
		abort();
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = sasl_b64[(v >> 18) & 63];
		out[o++] = sasl_b64[(v >> 12) & 63];
		out[o++] = i + 1 < len ? sasl_b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? sasl_b64[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static int sasl_b64_value(char ch)
{
	const char *at = ch ? strchr(sasl_b64, ch) : NULL;

	return at ? (int)(at - sasl_b64) : -1;
}

int imap_sasl_unbase64(const char *s, char **out_r, size_t *len_r)
{
	size_t n = strlen(s), o = 0;
	char *out;

	*out_r = NULL;
	*len_r = 0;
	if (n % 4 != 0)
		return -EINVAL;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		abort();
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		unsigned pad = 0;

		for (int k = 0; k < 4; k++) {
			v[k] = sasl_b64_value(s[i + k]);
			/* "=" only at the end: "xx==" or "xxx=". */
			if (s[i + k] == '=' && i + 4 == n && k >= 2 &&
			    (k == 3 || s[i + 3] == '=')) {
				v[k] = 0;
				pad++;
			} else if (v[k] < 0) {
				free(out);
				return -EINVAL;
			}
		}
		unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 |
			     (unsigned)v[3];
		out[o++] = (char)(w >> 16);
		if (pad < 2)
			out[o++] = (char)(w >> 8 & 0xff);
		if (pad < 1)
			out[o++] = (char)(w & 0xff);
	}
	out[o] = '\0';
	*out_r = out;
	*len_r = o;
	return 0;
}

bool imap_sasl_token_ok(const char *token)
{
	size_t n = strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				 "0123456789-._~+/");

	if (n == 0)
		return false;
	token += n;
	token += strspn(token, "=");
	return *token == '\0';
}

/* No byte below 0x20 and no DEL: the ^A separators stay ours. */
static bool sasl_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Encodes the message in b and wipes it. */
static int sasl_finish(struct buf *b, char **b64_r)
{
	*b64_r = imap_sasl_base64(b->data, b->len);
	if (b->data)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
	return 0;
}

/* A buffer big enough from the start, so that no realloc leaves a copy of
 * a secret behind in freed memory. */
static void sasl_reserve(struct buf *b, size_t n)
{
	static const char zeros[64];

	for (size_t k = 0; k < n; k += sizeof(zeros))
		buf_append(b, zeros, n - k < sizeof(zeros) ? n - k : sizeof(zeros));
	buf_reset(b);
}

int imap_sasl_plain(const char *user, const char *password, char **b64_r)
{
	struct buf b = BUF_INIT;

	*b64_r = NULL;
	if (strpbrk(user, "\r\n") || strpbrk(password, "\r\n"))
		return -EINVAL;
	sasl_reserve(&b, strlen(user) + strlen(password) + 3);
	buf_append(&b, "", 1);
	buf_appends(&b, user);
	buf_append(&b, "", 1);
	buf_appends(&b, password);
	return sasl_finish(&b, b64_r);
}

int imap_sasl_oauthbearer(const char *user, const char *host, const char *port, const char *token,
			  char **b64_r)
{
	struct buf b = BUF_INIT;

	*b64_r = NULL;
	if (!sasl_printable(user) || !sasl_printable(host) || !sasl_printable(port) ||
	    !imap_sasl_token_ok(token))
		return -EINVAL;
	sasl_reserve(&b, 3 * strlen(user) + strlen(host) + strlen(port) + strlen(token) + 64);
	/* gs2-header: no channel binding, authzid = the user (saslname). */
	buf_appends(&b, "n,a=");
	for (const char *p = user; *p; p++) {
		if (*p == ',')
			buf_appends(&b, "=2C");
		else if (*p == '=')
			buf_appends(&b, "=3D");
		else
			buf_append(&b, p, 1);
	}
	buf_appends(&b, ",\001host=");
	buf_appends(&b, host);
	buf_appends(&b, "\001port=");
	buf_appends(&b, port);
	buf_appends(&b, "\001auth=Bearer ");
	buf_appends(&b, token);
	buf_appends(&b, "\001\001");
	return sasl_finish(&b, b64_r);
}

int imap_sasl_xoauth2(const char *user, const char *token, char **b64_r)
{
	struct buf b = BUF_INIT;

	*b64_r = NULL;
	if (!sasl_printable(user) || !imap_sasl_token_ok(token))
		return -EINVAL;
	sasl_reserve(&b, strlen(user) + strlen(token) + 32);
	buf_appends(&b, "user=");
	buf_appends(&b, user);
	buf_appends(&b, "\001auth=Bearer ");
	buf_appends(&b, token);
	buf_appends(&b, "\001\001");
	return sasl_finish(&b, b64_r);
}

static const char *sasl_skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

bool imap_sasl_error_status(const char *challenge, char *status, size_t len)
{
	static const char key[] = "\"status\"";
	char *json = NULL;
	size_t n = 0, o = 0;
	bool found = false;

	if (len)
		status[0] = '\0';
	if (!len || imap_sasl_unbase64(challenge, &json, &n) < 0)
		return false;
	const char *end = json + n;
	for (const char *p = json; p + sizeof(key) - 1 <= end && !found; p++) {
		if (memcmp(p, key, sizeof(key) - 1) != 0)
			continue;
		const char *q = sasl_skip_space(p + sizeof(key) - 1, end);
		if (q >= end || *q != ':')
			continue;
		q = sasl_skip_space(q + 1, end);
		if (q >= end || *q != '"')
			continue;
		for (q++; q < end && *q != '"'; q++) {
			if (*q == '\\' && q + 1 < end)
				q++;
			if (o + 1 < len)
				status[o++] = *q >= 0x20 && *q < 0x7f ? *q : '?';
		}
		found = q < end;
	}
	status[found ? o : 0] = '\0';
	free(json);
	return found;
}

void imap_sasl_free(char **s)
{
	if (!s || !*s)
		return;
	explicit_bzero(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

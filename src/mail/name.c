/* mail_name: file names from message headers.
 *
 * Thread safety: g_mime_init() (in mail_init) sets up GMime's global tables
 * and must run once before any thread starts.  After that, everything here
 * uses only objects created per call (strings), the parser options built in mail_init and never modified again (read
 * only), and GMime's charset and iconv caches, which GMime guards with its
 * own locks.  GMime's default parser options are never touched. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "imapfs/mail_name.h"

#include "mail_int.h"

#define MAIL_NAME_SUBJECT_MAX 100
#define MAIL_NAME_MSGID_MAX 998 /* RFC 5322's line limit bounds any sane id */

static GMimeParserOptions *mail_options;

GMimeParserOptions *mail_parser_options(void)
{
	return mail_options;
}

void mail_init(void)
{
	/* 8-bit text that is not UTF-8 is most often windows-1252 (a superset
	 * of ISO-8859-1's printable range); ISO-8859-1 comes last because it
	 * converts any byte, so GMime never falls through to the locale's
	 * charset and names do not depend on the environment. */
	static const char *fallback[] = {"UTF-8", "windows-1252", "iso-8859-1", NULL};

	g_mime_init();
	mail_options = g_mime_parser_options_new();
	g_mime_parser_options_set_fallback_charsets(mail_options, fallback);
	/* Real mail is full of encoded words glued to text or holding
	 * spaces; decode them the way mail readers do. */
	g_mime_parser_options_set_rfc2047_compliance_mode(mail_options, GMIME_RFC_COMPLIANCE_LOOSE);
}

void mail_shutdown(void)
{
	if (mail_options) {
		g_mime_parser_options_free(mail_options);
		mail_options = NULL;
	}
	g_mime_shutdown();
}

/* The raw (still folded) value of the first header field called name, from
 * after its colon to the end of its last continuation line, copied; or
 * NULL.  A listing asks this of every message, so it is a plain scan
 * rather than a GMime message per call (most of a cold listing's CPU).
 * Fields end at the first empty line; a line that is neither a field nor
 * a continuation is skipped. */
char *mail_header_raw(const char *headers, size_t len, const char *name)
{
	const char *p = headers, *end = headers + len;
	size_t nlen = strlen(name);

	if (!headers)
		return NULL;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol : end, *next = eol ? eol + 1 : end, *q;

		if (line_end == p || (line_end == p + 1 && *p == '\r'))
			break;
		q = p + nlen;
		if (*p == ' ' || *p == '\t' || (size_t)(line_end - p) <= nlen ||
		    g_ascii_strncasecmp(p, name, nlen) != 0) {
			p = next;
			continue;
		}
		while (q < line_end && (*q == ' ' || *q == '\t'))
			q++;
		if (q == line_end || *q != ':') {
			p = next;
			continue;
		}
		while (next < end && (*next == ' ' || *next == '\t')) {
			eol = memchr(next, '\n', (size_t)(end - next));
			line_end = eol ? eol : end;
			next = eol ? eol + 1 : end;
		}
		return g_strndup(q + 1, (size_t)(line_end - (q + 1)));
	}
	return NULL;
}

/* True when text holds only ASCII and no encoded word: nothing to decode. */
static bool name_plain_ascii(const char *text)
{
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p >= 0x80 || (p[0] == '=' && p[1] == '?'))
			return false;
	return true;
}

/* Parses "=?charset?B?text?=" at p.  On success sets the charset span and
 * the text span and returns the end of the word. */
static const char *name_b_word(const char *p, const char **cs_r, size_t *cs_len_r,
			       const char **text_r, size_t *text_len_r)
{
	const char *cs = p + 2, *q = cs, *text, *end;

	if (p[0] != '=' || p[1] != '?')
		return NULL;
	while (*q && *q != '?' && (unsigned char)*q > ' ' && (unsigned char)*q < 0x7f)
		q++;
	if (*q != '?' || q == cs || (q[1] != 'B' && q[1] != 'b') || q[2] != '?')
		return NULL;
	text = q + 3;
	end = strstr(text, "?=");
	if (!end)
		return NULL;
	for (q = text; q < end; q++)
		if (!g_ascii_isalnum(*q) && *q != '+' && *q != '/' && *q != '=')
			return NULL;
	*cs_r = cs;
	*cs_len_r = (size_t)(text - 3 - cs);
	*text_r = text;
	*text_len_r = (size_t)(end - text);
	return end + 2;
}

static bool name_only_lwsp(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t')
			return false;
	return true;
}

/* GMime 3.2.13 (Debian 12) merges adjacent B-encoded words of one charset
 * by gluing their base64 text and then stops decoding at the first '=' of
 * padding, so "=?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?=" comes out as
 * "Hello" (jstedfast/gmime#133, fixed in 3.2.14).  Rewriting every B word as
 * a Q word holding the same bytes is lossless and sidesteps that on any
 * version.  The base64 state is carried across adjacent words of one
 * charset, so a character split across words (even mid-quantum, as some
 * mailers do) still joins up once GMime merges the Q words. */
static char *name_b_to_q(const char *in)
{
	static const char hex[] = "0123456789ABCDEF";
	GString *out = g_string_sized_new(strlen(in) + 16);
	const char *p = in, *prev_end = NULL, *prev_cs = NULL;
	size_t prev_cs_len = 0;
	gint state = 0;
	guint save = 0;

	for (;;) {
		const char *cs, *text, *end, *w = strstr(p, "=?");
		size_t cs_len, text_len;

		if (!w) {
			g_string_append(out, p);
			break;
		}
		end = name_b_word(w, &cs, &cs_len, &text, &text_len);
		if (!end) {
			g_string_append_len(out, p, w + 2 - p);
			p = w + 2;
			continue;
		}
		g_string_append_len(out, p, w - p);
		if (!prev_end || !name_only_lwsp(prev_end, w) || cs_len != prev_cs_len ||
		    g_ascii_strncasecmp(cs, prev_cs, cs_len) != 0) {
			state = 0;
			save = 0;
		}
		guchar *bytes = g_malloc(text_len / 4 * 3 + 3);
		gsize n = g_base64_decode_step(text, text_len, bytes, &state, &save);
		g_string_append(out, "=?");
		g_string_append_len(out, cs, (gssize)cs_len);
		g_string_append(out, "?Q?");
		for (gsize i = 0; i < n; i++) {
			g_string_append_c(out, '=');
			g_string_append_c(out, hex[bytes[i] >> 4]);
			g_string_append_c(out, hex[bytes[i] & 15]);
		}
		g_string_append(out, "?=");
		g_free(bytes);
		prev_end = end;
		prev_cs = cs;
		prev_cs_len = cs_len;
		p = end;
	}
	return g_string_free(out, FALSE);
}

char *mail_header_decode(const char *raw)
{
	char *unfolded = g_mime_utils_header_unfold(raw), *unbroken, *decoded;

	if (name_plain_ascii(unfolded))
		return unfolded;
	unbroken = name_b_to_q(unfolded);
	decoded = g_mime_utils_header_decode_text(mail_options, unbroken);
	g_free(unbroken);
	g_free(unfolded);
	return decoded;
}

char *mail_name_subject(const char *headers, size_t len)
{
	char *raw, *decoded, *name;

	raw = mail_header_raw(headers, len, "Subject");
	if (!raw)
		return strdup("(no subject)");
	decoded = mail_header_decode(raw);
	name = mail_name_sanitize(decoded, MAIL_NAME_SUBJECT_MAX);
	g_free(decoded);
	g_free(raw);
	if (!name[0]) {
		free(name);
		name = strdup("(no subject)");
	}
	return name;
}

char *mail_name_message_id(const char *headers, size_t len)
{
	char *raw, *id = NULL, *res = NULL;

	raw = mail_header_raw(headers, len, "Message-ID");
	if (!raw)
		return NULL;
	/* GMime drops comments, folding and the angle brackets. */
	id = g_mime_utils_decode_message_id(raw);
	if (!id || !id[0] || strlen(id) > MAIL_NAME_MSGID_MAX || !g_utf8_validate(id, -1, NULL))
		goto out;
	for (const char *p = id; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iscntrl(c) || g_unichar_isspace(c) || c == '<' || c == '>')
			goto out;
	}
	res = g_strdup_printf("<%s>", id);
out:
	g_free(id);
	g_free(raw);
	return res;
}

static bool name_dropped(gunichar c)
{
	if (c == '\t')
		return false;
	if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
		return true;
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

char *mail_name_sanitize(const char *text, size_t max_bytes)
{
	return mail_text_clean(text, max_bytes, true);
}

char *mail_text_clean(const char *text, size_t max_bytes, bool for_name)
{
	char *valid = g_utf8_make_valid(text ? text : "", -1);
	GString *out = g_string_sized_new(strlen(valid) + 1);
	bool space = false;

	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (name_dropped(c))
			continue;
		if (c == '\t' || g_unichar_isspace(c)) {
			space = out->len > 0;
			continue;
		}
		if (space)
			g_string_append_c(out, ' ');
		space = false;
		if (for_name && c == '/')
			c = '_';
		else if (for_name && c == ':')
			c = '-';
		g_string_append_unichar(out, c);
	}
	g_free(valid);

	if (out->len > max_bytes) {
		size_t cut = max_bytes;

		/* Back up to the first byte of the character straddling the
		 * limit; out is valid UTF-8, so this stops within 3 bytes. */
		while (cut > 0 && ((unsigned char)out->str[cut] & 0xc0) == 0x80)
			cut--;
		g_string_truncate(out, cut);
		if (out->len && out->str[out->len - 1] == ' ')
			g_string_truncate(out, out->len - 1);
	}
	if (for_name && (!strcmp(out->str, ".") || !strcmp(out->str, "..")))
		g_string_truncate(out, 0);
	/* GLib allocates with malloc (since 2.46), so callers free(). */
	return g_string_free(out, FALSE);
}

char *mail_name_file(time_t internaldate, const char *subject, uint32_t uid)
{
	struct tm tm;
	char date[32];
	char *subj, *name;

	if (gmtime_r(&internaldate, &tm))
		snprintf(date, sizeof(date), "%04lld-%02d-%02d", (long long)tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday);
	else
		snprintf(date, sizeof(date), "0000-00-00");
	subj = mail_name_sanitize(subject, MAIL_NAME_SUBJECT_MAX);
	name =
	    g_strdup_printf("%s %s [%" PRIu32 "].eml", date, subj[0] ? subj : "(no subject)", uid);
	free(subj);
	return name;
}

bool mail_name_uid(const char *name, uint32_t *uid_r)
{
	static const char suffix[] = "].eml";
	size_t len = name ? strlen(name) : 0, end, start;
	uint64_t v = 0;

	if (len < sizeof(suffix) - 1 + 3)
		return false;
	end = len - (sizeof(suffix) - 1);
	if (strcmp(name + end, suffix) != 0)
		return false;
	start = end;
	while (start > 0 && name[start - 1] >= '0' && name[start - 1] <= '9')
		start--;
	/* 10 digits hold any 32-bit value; more is out of range anyway. */
	if (start == end || end - start > 10 || name[start] == '0')
		return false;
	if (start < 2 || name[start - 1] != '[' || name[start - 2] != ' ')
		return false;
	for (size_t i = start; i < end; i++)
		v = v * 10 + (uint64_t)(name[i] - '0');
	if (v > UINT32_MAX)
		return false;
	*uid_r = (uint32_t)v;
	return true;
}

/* mail_parts: the files of a .parts directory (see mail_parts.h).
 *
 * Thread safety: as name.c; every call works on its own objects and only
 * reads the parser options mail_init built. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "imapfs/mail_name.h"
#include "imapfs/mail_parts.h"

#include "mail_int.h"

/* An extension longer than this is no extension worth keeping. */
#define PARTS_EXT_MAX 16

static const struct {
	const char *type; /* "type/subtype" */
	const char *ext;
} parts_exts[] = {
    {"text/plain", "txt"},
    {"text/html", "html"},
    {"text/calendar", "ics"},
    {"text/csv", "csv"},
    {"text/xml", "xml"},
    {"text/x-vcard", "vcf"},
    {"text/vcard", "vcf"},
    {"text/rfc822-headers", "txt"},
    {"text/enriched", "txt"},
    {"message/rfc822", "eml"},
    {"message/global", "eml"},
    {"message/delivery-status", "txt"},
    {"message/disposition-notification", "txt"},
    {"message/partial", "bin"},
    {"application/pdf", "pdf"},
    {"application/zip", "zip"},
    {"application/gzip", "gz"},
    {"application/x-gzip", "gz"},
    {"application/json", "json"},
    {"application/xml", "xml"},
    {"application/msword", "doc"},
    {"application/rtf", "rtf"},
    {"application/ms-tnef", "dat"},
    {"application/pgp-signature", "asc"},
    {"application/pgp-encrypted", "asc"},
    {"application/pgp-keys", "asc"},
    {"application/pkcs7-signature", "p7s"},
    {"application/x-pkcs7-signature", "p7s"},
    {"application/pkcs7-mime", "p7m"},
    {"application/x-pkcs7-mime", "p7m"},
    {"application/ics", "ics"},
    {"application/vnd.ms-excel", "xls"},
    {"application/vnd.ms-powerpoint", "ppt"},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"},
    {"application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"},
    {"application/vnd.oasis.opendocument.text", "odt"},
    {"application/vnd.oasis.opendocument.spreadsheet", "ods"},
    {"image/jpeg", "jpg"},
    {"image/jpg", "jpg"},
    {"image/pjpeg", "jpg"},
    {"image/png", "png"},
    {"image/gif", "gif"},
    {"image/bmp", "bmp"},
    {"image/tiff", "tif"},
    {"image/webp", "webp"},
    {"image/svg+xml", "svg"},
    {"audio/mpeg", "mp3"},
    {"audio/wav", "wav"},
    {"audio/x-wav", "wav"},
    {"video/mp4", "mp4"},
    {"video/mpeg", "mpg"},
};

const char *mail_parts_ext(const char *type, const char *subtype)
{
	size_t tl = type ? strlen(type) : 0;

	for (size_t i = 0; i < G_N_ELEMENTS(parts_exts); i++) {
		const char *t = parts_exts[i].type;

		if (tl && !g_ascii_strncasecmp(t, type, tl) && t[tl] == '/' && subtype &&
		    !g_ascii_strcasecmp(t + tl + 1, subtype))
			return parts_exts[i].ext;
	}
	if (type && !g_ascii_strcasecmp(type, "text"))
		return "txt";
	return "bin";
}

/* Decodes one parameter out of a list with GMime, which joins RFC 2231
 * continuations, applies their charset and decodes RFC 2047 words. */
static char *parts_param_decode(const struct imap_body_param *params, size_t n, const char *name)
{
	GString *s = g_string_new(NULL);
	size_t nlen = strlen(name);
	GMimeParamList *list;
	GMimeParam *param;
	char *res = NULL;

	/* Rebuild "; name*0*=...; name*1=..." from this name's pieces only,
	 * quoting every value, as a header would carry them. */
	for (size_t i = 0; i < n; i++) {
		const char *pn = params[i].name, *v = params[i].value;

		if (g_ascii_strncasecmp(pn, name, nlen) != 0 || (pn[nlen] != '\0' && pn[nlen] != '*'))
			continue;
		g_string_append_printf(s, "; %s=", pn);
		if (pn[strlen(pn) - 1] == '*') {
			/* An extended value is a token of %XX escapes: no
			 * quotes, and nothing that could end it early. */
			for (const char *p = v; *p; p++)
				if ((unsigned char)*p > ' ' && *p != ';' && *p != '"')
					g_string_append_c(s, *p);
		} else {
			g_string_append_c(s, '"');
			for (const char *p = v; *p; p++) {
				if (*p == '"' || *p == '\\')
					g_string_append_c(s, '\\');
				if (*p != '\r' && *p != '\n')
					g_string_append_c(s, *p);
			}
			g_string_append_c(s, '"');
		}
	}
	if (s->len == 0) {
		g_string_free(s, TRUE);
		return NULL;
	}
	list = g_mime_param_list_parse(mail_parser_options(), s->str);
	g_string_free(s, TRUE);
	if (list == NULL)
		return NULL;
	param = g_mime_param_list_get_parameter(list, name);
	if (param != NULL && g_mime_param_get_value(param) != NULL)
		res = mail_header_decode(g_mime_param_get_value(param));
	g_object_unref(list);
	return res;
}

/* The last '.' of name that starts a plausible extension, or NULL. */
static const char *parts_dot(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL || dot == name || strlen(dot + 1) == 0 || strlen(dot + 1) > PARTS_EXT_MAX ||
	    strchr(dot + 1, ' ') != NULL)
		return NULL;
	return dot;
}

/* Cuts name to MAIL_PARTS_NAME_MAX bytes keeping its extension. */
static char *parts_fit(char *name)
{
	const char *dot;
	size_t len = strlen(name), ext, keep;
	char *out;

	if (len <= MAIL_PARTS_NAME_MAX)
		return name;
	dot = parts_dot(name);
	ext = dot ? len - (size_t)(dot - name) : 0;
	keep = MAIL_PARTS_NAME_MAX - ext;
	/* Back up to a character boundary (name is valid UTF-8). */
	while (keep > 0 && ((unsigned char)name[keep] & 0xc0) == 0x80)
		keep--;
	while (keep > 0 && name[keep - 1] == ' ')
		keep--;
	out = malloc(keep + ext + 1);
	if (out == NULL)
		abort();
	memcpy(out, name, keep);
	memcpy(out + keep, name + len - ext, ext + 1);
	free(name);
	return out;
}

char *mail_parts_filename(const struct imap_body *part)
{
	char *raw = NULL, *name;

	raw = parts_param_decode(part->disp_params, part->ndisp_params, "filename");
	if (raw == NULL || raw[0] == '\0') {
		g_free(raw);
		raw = parts_param_decode(part->params, part->nparams, "name");
	}
	if (raw == NULL)
		return NULL;
	/* No cut here: parts_fit keeps the extension. */
	name = mail_name_sanitize(raw, SIZE_MAX);
	g_free(raw);
	if (name[0] == '\0') {
		free(name);
		return NULL;
	}
	return parts_fit(name);
}

static bool parts_is(const struct imap_body *b, const char *type, const char *subtype)
{
	return b->type && !strcmp(b->type, type) && (!subtype || (b->subtype && !strcmp(b->subtype, subtype)));
}

struct parts_list {
	GArray *parts;	   /* struct mail_part */
	GHashTable *taken; /* case-folded names in use */
	const struct imap_body *text, *html;
};

/* Adds name (taken over) to the list under a name no other file has. */
static void parts_add(struct parts_list *l, char *name, enum mail_part_kind kind,
		      const struct imap_body *body)
{
	struct mail_part p = {.kind = kind, .body = body};
	char *folded = g_utf8_casefold(name, -1);

	for (unsigned k = 2; g_hash_table_contains(l->taken, folded); k++) {
		const char *dot = parts_dot(name);
		size_t stem = dot ? (size_t)(dot - name) : strlen(name);
		char *next = g_strdup_printf("%.*s (%u)%s", (int)stem, name, k, dot ? dot : "");

		g_free(folded);
		folded = g_utf8_casefold(next, -1);
		if (!g_hash_table_contains(l->taken, folded)) {
			free(name);
			name = strdup(next);
			if (name == NULL)
				abort();
		}
		g_free(next);
	}
	g_hash_table_add(l->taken, folded);
	p.name = name;
	g_array_append_val(l->parts, p);
}

static bool parts_is_message(const struct imap_body *b)
{
	return parts_is(b, "message", "rfc822") || parts_is(b, "message", "global");
}

/* A leaf that may be the body: no file name, not an attachment. */
static bool parts_inline(const struct imap_body *b)
{
	char *name;

	if (b->disposition != NULL && strcmp(b->disposition, "attachment") == 0)
		return false;
	name = mail_parts_filename(b);
	free(name);
	return name == NULL;
}

/* Finds the first text/plain and text/html leaves that are no attachment. */
static void parts_find_bodies(struct parts_list *l, const struct imap_body *b)
{
	if (parts_is(b, "multipart", NULL)) {
		for (size_t i = 0; i < b->nchildren; i++)
			parts_find_bodies(l, &b->children[i]);
		return;
	}
	if (l->text == NULL && parts_is(b, "text", "plain") && parts_inline(b))
		l->text = b;
	else if (l->html == NULL && parts_is(b, "text", "html") && parts_inline(b))
		l->html = b;
}

static void parts_walk(struct parts_list *l, const struct imap_body *b)
{
	char *name;

	if (parts_is(b, "multipart", NULL)) {
		for (size_t i = 0; i < b->nchildren; i++)
			parts_walk(l, &b->children[i]);
		return;
	}
	if (b == l->text || b == l->html)
		return;
	name = mail_parts_filename(b);
	if (parts_is_message(b)) {
		size_t len = name ? strlen(name) : 0;

		if (name == NULL) {
			name = g_strdup_printf("part-%s.eml", b->section);
		} else if (len < 4 || g_ascii_strcasecmp(name + len - 4, ".eml") != 0) {
			char *with = g_strdup_printf("%s.eml", name);

			free(name);
			name = parts_fit(with);
		}
		parts_add(l, name, MAIL_PART_MESSAGE, b);
		return;
	}
	if (name == NULL)
		name = g_strdup_printf("part-%s.%s", b->section, mail_parts_ext(b->type, b->subtype));
	parts_add(l, name, MAIL_PART_FILE, b);
}

size_t mail_parts_list(const struct imap_body *body, struct mail_part **parts_r)
{
	struct parts_list l = {
	    .parts = g_array_new(FALSE, FALSE, sizeof(struct mail_part)),
	    .taken = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
	};
	size_t n;

	parts_find_bodies(&l, body);
	parts_add(&l, g_strdup("headers.txt"), MAIL_PART_HEADERS, NULL);
	if (l.text != NULL)
		parts_add(&l, g_strdup("body.txt"), MAIL_PART_TEXT, l.text);
	if (l.html != NULL)
		parts_add(&l, g_strdup("body.html"), MAIL_PART_HTML, l.html);
	parts_walk(&l, body);
	g_hash_table_destroy(l.taken);
	n = l.parts->len;
	*parts_r = (struct mail_part *)(void *)g_array_free(l.parts, FALSE);
	return n;
}

void mail_parts_free(struct mail_part *parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(parts[i].name);
	g_free(parts);
}

char *mail_parts_headers_txt(const char *headers, size_t len)
{
	static const char *const fields[] = {"From", "To", "Cc", "Date", "Subject", "Message-ID"};
	GString *out = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
		char *raw = mail_header_raw(headers, len, fields[i]), *decoded, *clean;

		if (raw == NULL)
			continue;
		decoded = mail_header_decode(raw);
		clean = mail_text_clean(decoded, strlen(decoded), false);
		g_string_append_printf(out, "%s: %s\n", fields[i], clean);
		free(clean);
		g_free(decoded);
		g_free(raw);
	}
	return g_string_free(out, FALSE);
}

/* g_convert, strict: NULL when a byte is invalid in from or iconv does not
 * know it. */
static char *parts_convert(const char *text, size_t len, const char *from, size_t *len_r)
{
	gsize read = 0, written = 0;
	char *out = g_convert(text, (gssize)len, "UTF-8", from, &read, &written, NULL);

	if (out == NULL)
		return NULL;
	if (read != len) {
		g_free(out);
		return NULL;
	}
	*len_r = written;
	return out;
}

char *mail_parts_utf8(const char *text, size_t len, const char *charset, size_t *len_r)
{
	char *out = NULL;

	if (charset != NULL && charset[0] != '\0' && g_ascii_strcasecmp(charset, "us-ascii") != 0 &&
	    g_ascii_strcasecmp(charset, "ascii") != 0 && g_ascii_strcasecmp(charset, "utf-8") != 0 &&
	    g_ascii_strcasecmp(charset, "utf8") != 0)
		out = parts_convert(text, len, charset, len_r);
	if (out == NULL && g_utf8_validate(text, (gssize)len, NULL)) {
		out = g_malloc(len + 1);
		memcpy(out, text, len);
		out[len] = '\0';
		*len_r = len;
	}
	if (out == NULL)
		out = parts_convert(text, len, "WINDOWS-1252", len_r);
	if (out == NULL)
		out = parts_convert(text, len, "ISO-8859-1", len_r);
	if (out == NULL) {
		/* iconv without ISO-8859-1 cannot happen on glibc; never
		 * return bytes that are not UTF-8 all the same. */
		out = g_utf8_make_valid(text, (gssize)len);
		*len_r = strlen(out);
	}
	return out;
}

/* Quoted-printable as RFC 2045 6.7 reads it, made plain for GMime's
 * decoder, which keeps white space at the end of a line and drops or
 * doubles a "=" that starts no escape: such white space deleted (rule 3),
 * such a "=" written "=3D" so that it stays (as the rule's advice says and
 * Dovecot's BINARY does).  Line ends are kept.  g_free()d. */
static char *parts_qp_plain(const char *data, size_t len, size_t *len_r)
{
	char *out = g_malloc(3 * len + 1), *o = out;
	size_t i = 0;

	while (i < len) {
		size_t end = i, next, text;

		while (end < len && data[end] != '\r' && data[end] != '\n')
			end++;
		next = end < len && data[end] == '\r' && end + 1 < len && data[end + 1] == '\n'
			   ? end + 2
			   : (end < len ? end + 1 : end);
		for (text = end; text > i && (data[text - 1] == ' ' || data[text - 1] == '\t');)
			text--;
		for (size_t j = i; j < text; j++) {
			bool escape = data[j] == '=' && j + 2 < text &&
				      g_ascii_isxdigit(data[j + 1]) &&
				      g_ascii_isxdigit(data[j + 2]);

			*o++ = data[j];
			/* A "=" ending the line is a soft break. */
			if (data[j] == '=' && !escape && j + 1 != text) {
				*o++ = '3';
				*o++ = 'D';
			}
		}
		memcpy(o, data + end, next - end);
		o += next - end;
		i = next;
	}
	*o = '\0';
	*len_r = (size_t)(o - out);
	return out;
}

/* Base64 whose last quantum lacks its padding (the text was cut short, or
 * a character lost on the way), made whole for GMime's decoder, which
 * drops such a quantum: the "=" supplied, as lenient decoders do (one
 * character alone holds no byte).  NULL when nothing is missing.
 * g_free()d. */
static char *parts_b64_padded(const char *data, size_t len, size_t *len_r)
{
	size_t n = 0;
	char *out;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '=')
			return NULL;
		n += g_ascii_isalnum(data[i]) || data[i] == '+' || data[i] == '/';
	}
	if (n % 4 < 2)
		return NULL;
	out = g_malloc(len + 3);
	memcpy(out, data, len);
	memcpy(out + len, "==", 4 - n % 4);
	*len_r = len + 4 - n % 4;
	out[*len_r] = '\0';
	return out;
}

char *mail_parts_decode(const char *data, size_t len, const char *encoding, size_t *len_r)
{
	GMimeContentEncoding enc = g_mime_content_encoding_from_string(encoding ? encoding : "");
	GMimeEncoding state;
	char *out, *plain = NULL;
	size_t n;

	if (enc != GMIME_CONTENT_ENCODING_BASE64 && enc != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) {
		out = g_malloc(len + 1);
		memcpy(out, data, len);
		out[len] = '\0';
		*len_r = len;
		return out;
	}
	if (enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)
		plain = parts_qp_plain(data, len, &len);
	else
		plain = parts_b64_padded(data, len, &len);
	if (plain != NULL)
		data = plain;
	g_mime_encoding_init_decode(&state, enc);
	out = g_malloc(g_mime_encoding_outlen(&state, len) + 16);
	n = g_mime_encoding_step(&state, data, len, out);
	n += g_mime_encoding_flush(&state, "", 0, out + n);
	out[n] = '\0';
	*len_r = n;
	g_free(plain);
	return out;
}

/* mail_parts_cut: the parts of a whole message, cut out with GMime (see
 * mail_parts.h).
 *
 * Thread safety: as parts.c. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "imapfs/mail_parts.h"

#include "mail_int.h"

/* The object at an IMAP section ("2.1") of the message's top object:
 * multiparts are counted into; a single part at the top is section 1.
 * Never into an attached message (no file lies there); NULL when GMime
 * has no such part. */
static GMimeObject *cut_find(GMimeObject *top, const char *section)
{
	GMimeObject *o = top;
	const char *s = section;

	if (*s == '\0')
		return NULL;
	while (*s != '\0') {
		char *end;
		unsigned long k = strtoul(s, &end, 10);

		if (end == s || k == 0 || (*end != '.' && *end != '\0'))
			return NULL;
		if (GMIME_IS_MULTIPART(o)) {
			GMimeMultipart *mp = GMIME_MULTIPART(o);

			if (k > (unsigned long)g_mime_multipart_get_count(mp))
				return NULL;
			o = g_mime_multipart_get_part(mp, (int)k - 1);
		} else if (o != top || s != section || k != 1) {
			return NULL;
		}
		s = *end == '.' ? end + 1 : end;
	}
	return o;
}

/* The bytes of a part's content as it lies in the message (still
 * transfer-encoded), if there are exactly want of them.  g_free()d. */
static char *cut_content(GMimeObject *o, uint64_t want)
{
	GMimeDataWrapper *w;
	GMimeStream *s;
	char *buf;
	size_t got = 0;

	if (!GMIME_IS_PART(o) || want > SIZE_MAX - 1)
		return NULL;
	w = g_mime_part_get_content(GMIME_PART(o));
	if (w == NULL)
		return want == 0 ? g_malloc0(1) : NULL;
	s = g_mime_data_wrapper_get_stream(w);
	if (s == NULL || g_mime_stream_reset(s) < 0)
		return NULL;
	/* One byte more than wanted tells a longer part. */
	buf = g_malloc(want + 1);
	while (got < want + 1) {
		ssize_t n = g_mime_stream_read(s, buf + got, want + 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != want) {
		g_free(buf);
		return NULL;
	}
	buf[got] = '\0';
	return buf;
}

int mail_parts_cut(const char *raw, size_t len, const struct mail_part *parts, size_t n,
		   char **data_r)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, mail_parser_options());
	GMimeObject *top = msg != NULL ? g_mime_message_get_mime_part(msg) : NULL;
	int ret = 0;

	for (size_t i = 0; i < n; i++)
		data_r[i] = NULL;
	for (size_t i = 0; i < n && ret == 0; i++) {
		const struct mail_part *p = &parts[i];
		GMimeObject *o;

		if (p->kind == MAIL_PART_HEADERS)
			continue;
		/* An attached message is shown raw, which GMime does not
		 * keep: not cut here. */
		o = p->kind != MAIL_PART_MESSAGE && top != NULL ? cut_find(top, p->body->section)
								: NULL;
		data_r[i] = o != NULL ? cut_content(o, p->body->size) : NULL;
		if (data_r[i] == NULL)
			ret = -ENOENT;
	}
	if (ret < 0) {
		for (size_t i = 0; i < n; i++) {
			g_free(data_r[i]);
			data_r[i] = NULL;
		}
	}
	if (msg != NULL)
		g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(stream);
	return ret;
}

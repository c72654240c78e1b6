/* mail check: is it a message, and its CRLF form (mail_check.h). */
#include <glib.h>
#include <string.h>
#include <strings.h>

#include "imapfs/mail_check.h"

/* Fields one of which any message has, whatever else it lacks. */
static const char *const mail_check_fields[] = {
    "From", "Sender", "Date", "Message-ID", "Subject", "To", "Cc", "Received",
};

/* Length of the field name at line (0 if the line is not a field). */
static size_t mail_check_field(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len && line[i] != ':'; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch <= 32 || ch >= 127)
			return 0;
	}
	return i < len && i > 0 ? i : 0;
}

bool mail_check_message(const char *data, size_t len, const char **why_r)
{
	const char *p = data, *end = data + len;
	bool known = false, first = true;

	if (len == 0) {
		*why_r = "empty";
		return false;
	}
	if (memchr(data, '\0', len) != NULL) {
		*why_r = "holds a NUL byte";
		return false;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t linelen = (size_t)((nl != NULL ? nl : end) - p), name;

		if (linelen > 0 && p[linelen - 1] == '\r')
			linelen--;
		if (linelen == 0)
			break; /* the end of the header */
		if (p[0] == ' ' || p[0] == '\t') {
			if (first) {
				*why_r = "does not start with a header field";
				return false;
			}
		} else if ((name = mail_check_field(p, linelen)) == 0) {
			*why_r = first ? "does not start with a header field"
				       : "has a header line that is not a field";
			return false;
		} else {
			for (size_t i = 0; i < G_N_ELEMENTS(mail_check_fields); i++)
				if (strlen(mail_check_fields[i]) == name &&
				    strncasecmp(p, mail_check_fields[i], name) == 0)
					known = true;
		}
		first = false;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	if (!known) {
		*why_r = "has none of From, Date, Subject, Message-ID, To, Cc, Sender, Received";
		return false;
	}
	return true;
}

char *mail_check_crlf(const char *data, size_t len, size_t *len_r)
{
	size_t bare = 0, o = 0;
	char *out;

	for (size_t i = 0; i < len; i++)
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			bare++;
	*len_r = len + bare;
	if (bare == 0)
		return NULL;
	out = g_malloc(len + bare);
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = data[i];
	}
	return out;
}

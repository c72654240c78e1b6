/* config: reading the accounts file.  GKeyFile parses and unescapes; the
 * line numbers it does not give are found by classifying the text's lines
 * the way GKeyFile does (g_key_file_parse_line and its helpers). */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imapfs/config.h"
#include "imapfs/xdg.h"

#define CONFIG_MAX (1024 * 1024) /* bytes of an accounts file */

enum config_line_kind {
	CONFIG_LINE_BLANK, /* empty, white space or a comment */
	CONFIG_LINE_GROUP,
	CONFIG_LINE_KEY,
	CONFIG_LINE_BAD,
};

/* One line of a key file, white space at its start and CR at its end
 * dropped, and the name (of the group or the key) within it. */
struct config_line {
	enum config_line_kind kind;
	const char *name;
	size_t name_len;
};

static void config_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void config_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A group name as g_key_file_is_group_name wants it: not empty, no '[',
 * ']' or control character. */
static bool config_group_name_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '[' || s[i] == ']' || g_ascii_iscntrl(s[i]))
			return false;
	return true;
}

/* A key name as g_key_file_is_key_name wants it: not empty, no space at
 * either end, and brackets only around a trailing locale ("Name[de]"). */
static bool config_key_name_ok(const char *s, size_t n)
{
	const char *open = memchr(s, '[', n);
	const char *close = memchr(s, ']', n);

	if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	if (!open && !close)
		return true;
	return open && open > s && close == s + n - 1 &&
	       !memchr(open + 1, '[', (size_t)(close - open - 1));
}

static struct config_line config_classify(const char *s, size_t n)
{
	struct config_line l = {CONFIG_LINE_BAD, NULL, 0};
	const char *eq;

	while (n && g_ascii_isspace(*s)) {
		s++;
		n--;
	}
	if (n && s[n - 1] == '\r')
		n--;
	if (n == 0 || s[0] == '#') {
		l.kind = CONFIG_LINE_BLANK;
	} else if (s[0] == '[') {
		const char *close = memchr(s, ']', n);
		size_t rest;

		if (!close)
			return l;
		l.name = s + 1;
		l.name_len = (size_t)(close - s - 1);
		rest = n - (size_t)(close - s) - 1;
		for (const char *p = close + 1; rest; p++, rest--)
			if (*p != ' ' && *p != '\t')
				return l;
		if (config_group_name_ok(l.name, l.name_len))
			l.kind = CONFIG_LINE_GROUP;
	} else if ((eq = memchr(s, '=', n)) && eq > s) {
		l.name = s;
		l.name_len = (size_t)(eq - s);
		while (l.name_len && g_ascii_isspace(s[l.name_len - 1]))
			l.name_len--;
		if (config_key_name_ok(l.name, l.name_len))
			l.kind = CONFIG_LINE_KEY;
	}
	return l;
}

/* Calls fn for every line of text with its 1-based number; stops when fn
 * returns false. */
static void config_each_line(const char *text, bool (*fn)(void *, unsigned, struct config_line),
			     void *data)
{
	unsigned no = 1;

	for (const char *p = text; *p; no++) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (!fn(data, no, config_classify(p, n)) || !nl)
			return;
		p = nl + 1;
	}
}

struct config_find {
	const char *group;
	const char *key; /* NULL: the group header */
	bool in_group;
	unsigned line;
};

static bool config_name_is(struct config_line l, const char *name)
{
	return l.name_len == strlen(name) && memcmp(l.name, name, l.name_len) == 0;
}

static bool config_find_line(void *data, unsigned no, struct config_line l)
{
	struct config_find *f = data;

	if (l.kind == CONFIG_LINE_GROUP) {
		f->in_group = config_name_is(l, f->group);
		if (f->in_group && !f->key)
			f->line = no;
	} else if (l.kind == CONFIG_LINE_KEY && f->in_group && f->key &&
		   config_name_is(l, f->key)) {
		f->line = no;
	}
	return true;
}

unsigned config_key_line(const char *text, const char *group, const char *key)
{
	struct config_find f = {.group = group, .key = key};

	config_each_line(text, config_find_line, &f);
	return f.line;
}

struct config_bad {
	bool seen_group;
	unsigned line;
};

static bool config_find_bad(void *data, unsigned no, struct config_line l)
{
	struct config_bad *b = data;

	if (l.kind == CONFIG_LINE_GROUP)
		b->seen_group = true;
	if (l.kind == CONFIG_LINE_BAD || (l.kind == CONFIG_LINE_KEY && !b->seen_group)) {
		b->line = no;
		return false;
	}
	return true;
}

unsigned config_bad_line(const char *text)
{
	struct config_bad b = {0};

	config_each_line(text, config_find_bad, &b);
	return b.line;
}

int config_path(char **path_r)
{
	char *dir;
	int ret = xdg_base_dir("XDG_CONFIG_HOME", ".config", &dir);

	if (ret < 0)
		return ret;
	ret = asprintf(path_r, "%s/imapfs/config", dir);
	free(dir);
	if (ret < 0) {
		*path_r = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The whole file, NUL-terminated, in *text_r (free with g_free). */
static int config_slurp(const char *path, char **text_r, char *err, size_t errlen)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = -errno;
		config_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX) {
		ret = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		config_err(err, errlen, "%s: %s", path,
			   ret == -EFBIG ? "larger than 1 MiB" : "not a regular file");
		goto out;
	}
	text = g_malloc((size_t)st.st_size + 1);
	while (len <= (size_t)st.st_size) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			config_err(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > (size_t)st.st_size || memchr(text, '\0', len)) {
		ret = len > (size_t)st.st_size ? -EFBIG : -EINVAL;
		config_err(err, errlen, "%s: %s", path,
			   ret == -EFBIG ? "larger than 1 MiB" : "holds a NUL byte");
		goto out;
	}
	text[len] = '\0';
	*text_r = text;
	text = NULL;
out:
	g_free(text);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* "a, b, c" of the file's groups, or NULL when it has none. */
static char *config_group_list(GKeyFile *kf)
{
	gchar **groups = g_key_file_get_groups(kf, NULL);
	char *list = groups[0] ? g_strjoinv(", ", groups) : NULL;

	g_strfreev(groups);
	return list;
}

static int config_entry_cmp(const void *a, const void *b)
{
	const struct config_entry *x = a, *y = b;

	return (x->line > y->line) - (x->line < y->line);
}

/* Fills a with the group's keys (GKeyFile lists a key once per line that
 * sets it; the last one counts). */
static int config_fill(GKeyFile *kf, const char *text, const char *path, const char *name,
		       struct config_account *a, char *err, size_t errlen)
{
	gsize nkeys;
	gchar **keys = g_key_file_get_keys(kf, name, &nkeys, NULL);
	int ret = 0;

	a->line = config_key_line(text, name, NULL);
	a->entries = calloc(nkeys ? nkeys : 1, sizeof(*a->entries));
	if (!a->entries)
		abort();
	for (gsize i = 0; keys && keys[i]; i++) {
		struct config_entry *e;
		GError *ge = NULL;
		bool dup = false;

		for (size_t j = 0; j < a->n && !dup; j++)
			dup = strcmp(a->entries[j].key, keys[i]) == 0;
		if (dup)
			continue;
		e = &a->entries[a->n++];
		e->key = strdup(keys[i]);
		e->line = config_key_line(text, name, keys[i]);
		e->value = g_key_file_get_string(kf, name, keys[i], &ge);
		if (!e->key)
			abort();
		/* On a bad escape GKeyFile returns a value and an error. */
		if (ge || !e->value) {
			config_err(err, errlen, "%s:%u: %s", path, e->line,
				   ge ? ge->message : "cannot read the value");
			if (ge)
				g_error_free(ge);
			ret = -EINVAL;
			goto out;
		}
	}
	qsort(a->entries, a->n, sizeof(*a->entries), config_entry_cmp);
out:
	g_strfreev(keys);
	return ret;
}

int config_read(const char *path, const char *name, struct config_account *a_r, char *err,
		size_t errlen)
{
	GKeyFile *kf = g_key_file_new();
	GError *ge = NULL;
	char *text = NULL;
	int ret;

	memset(a_r, 0, sizeof(*a_r));
	ret = config_slurp(path, &text, err, errlen);
	if (ret < 0)
		goto out;
	if (!g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, &ge)) {
		unsigned line = config_bad_line(text);

		if (line)
			config_err(err, errlen, "%s:%u: %s", path, line, ge->message);
		else
			config_err(err, errlen, "%s: %s", path, ge->message);
		g_error_free(ge);
		ret = -EINVAL;
		goto out;
	}
	if (!g_key_file_has_group(kf, name)) {
		char *groups = config_group_list(kf);

		if (groups)
			config_err(err, errlen, "%s: no account '%s'; the accounts there are: %s",
				   path, name, groups);
		else
			config_err(err, errlen, "%s: no account '%s'; the file defines none", path,
				   name);
		g_free(groups);
		ret = -ESRCH;
		goto out;
	}
	ret = config_fill(kf, text, path, name, a_r, err, errlen);
out:
	g_free(text);
	g_key_file_free(kf);
	return ret;
}

void config_account_clear(struct config_account *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->entries[i].key);
		g_free(a->entries[i].value);
	}
	free(a->entries);
	memset(a, 0, sizeof(*a));
}

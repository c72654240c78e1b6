/* log: stderr before daemonizing, syslog after.  The settings are written
 * once at start-up (before threads) and by log_use_syslog at daemonizing
 * (still single-threaded), so reads need no lock. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "imapfs/log.h"

static const char *log_ident = "imapfs";
static unsigned log_cats;
static bool log_syslog;
static bool log_journal; /* stderr is the journal: "<N>" prefixes */

static const struct {
	const char *name;
	unsigned cats;
} log_cat_table[] = {
	{"net", LOG_NET},
	{"cache", LOG_CACHE},
	{"fs", LOG_FS},
	{"all", LOG_CATS_ALL},
};

const char log_cats_names[] = "net, cache, fs, all";

int log_cats_parse(const char *list, unsigned *cats_r)
{
	unsigned cats = 0;
	const char *p = list;

	for (;;) {
		size_t len = strcspn(p, ",");
		size_t i = 0;

		while (i < sizeof(log_cat_table) / sizeof(log_cat_table[0]) &&
		       (strlen(log_cat_table[i].name) != len ||
			strncmp(log_cat_table[i].name, p, len) != 0))
			i++;
		if (i == sizeof(log_cat_table) / sizeof(log_cat_table[0]))
			return -EINVAL;
		cats |= log_cat_table[i].cats;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	*cats_r = cats;
	return 0;
}

/* systemd.exec(5): $JOURNAL_STREAM is "DEV:INODE" of the stream that
 * connects stdout/stderr to the journal; it may have been inherited by a
 * process whose stderr goes elsewhere, hence the comparison. */
static bool log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (!js || sscanf(js, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return false;
	return fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, unsigned debug_cats)
{
	log_ident = ident;
	log_cats = debug_cats;
	log_journal = log_stderr_is_journal();
}

void log_use_syslog(bool on)
{
	if (on && !log_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!on && log_syslog)
		closelog();
	log_syslog = on;
}

bool log_debug_on(unsigned cat)
{
	return (log_cats & cat) != 0;
}

static void log_emit(int prio, const char *fmt, va_list ap, const char *suffix)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		syslog(prio, "%s%s%s", msg, suffix ? ": " : "", suffix ? suffix : "");
		return;
	}
	flockfile(stderr);
	if (log_journal)
		fprintf(stderr, "<%d>%s%s%s\n", prio, msg, suffix ? ": " : "",
			suffix ? suffix : "");
	else
		fprintf(stderr, "%s: %s%s%s\n", log_ident, msg, suffix ? ": " : "",
			suffix ? suffix : "");
	funlockfile(stderr);
}

void log_errx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, fmt, ap, NULL);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	char ebuf[128];
	const char *e = strerror_r(errno, ebuf, sizeof(ebuf));
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap, e);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void log_debug(unsigned cat, const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_on(cat))
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void log_trace(unsigned conn_id, char dir, const char *line, size_t len)
{
	char out[1024];
	size_t o = 0;

	if (!log_debug_on(LOG_NET))
		return;
	for (size_t i = 0; i < len && o + 8 < sizeof(out); i++) {
		unsigned char ch = (unsigned char)line[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			out[o++] = (char)ch;
		else if (ch == '\\')
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\\\");
		else if (ch == '\r')
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\r");
		else if (ch == '\n')
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\n");
		else
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", ch);
	}
	out[o] = '\0';
	log_debug(LOG_NET, "[%u] %c: %s%s", conn_id, dir, out, o + 8 >= sizeof(out) ? "..." : "");
}

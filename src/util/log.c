/* log: stderr before daemonizing, syslog after.  The settings are written
 * once at start-up (before threads) and by log_use_syslog at daemonizing
 * (still single-threaded), so reads need no lock. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "imapfs/log.h"

static const char *log_ident = "imapfs";
static unsigned log_cats;
static bool log_syslog;

void log_init(const char *ident, unsigned debug_cats)
{
	log_ident = ident;
	log_cats = debug_cats;
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
	fprintf(stderr, "%s: %s%s%s\n", log_ident, msg, suffix ? ": " : "", suffix ? suffix : "");
	funlockfile(stderr);
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

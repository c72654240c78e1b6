/* log: messages to stderr (foreground) or syslog (daemon), debug categories,
 * and the protocol trace of -d.  Thread-safe; callable from any layer. */
#ifndef IMAPFS_LOG_H
#define IMAPFS_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Debug categories; -d enables all of them. */
enum log_cat {
	LOG_NET = 1u << 0,   /* sockets, TLS, IMAP protocol trace */
	LOG_CACHE = 1u << 1, /* block cache, metadata */
	LOG_FS = 1u << 2,    /* FUSE requests */
};

/* Sets the program name used as prefix/syslog ident and the enabled debug
 * categories.  Until log_use_syslog(true), everything goes to stderr. */
void log_init(const char *ident, unsigned debug_cats);
void log_use_syslog(bool on);
bool log_debug_on(unsigned cat);

/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(unsigned cat, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Protocol trace of one line sent (dir 'C') or received (dir 'S') on
 * connection number conn_id, shown only when LOG_NET is enabled.  Bytes that
 * are not printable ASCII are escaped; the caller redacts secrets first. */
void log_trace(unsigned conn_id, char dir, const char *line, size_t len);

#endif

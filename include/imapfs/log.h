/* log: messages to stderr (foreground) or syslog (daemon), debug categories,
 * and the protocol trace of -d.  Thread-safe; callable from any layer.
 *
 * On stderr a line reads "IDENT: message", except when stderr is the
 * systemd journal ($JOURNAL_STREAM names it, as systemd.exec(5) says): then
 * it reads "<N>message", N the syslog priority (sd-daemon(3)), so that the
 * journal keeps the level.  Syslog gets facility LOG_DAEMON and the PID. */
#ifndef IMAPFS_LOG_H
#define IMAPFS_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Debug categories (-o debug=net,cache,fs); -d enables all of them. */
enum log_cat {
	LOG_NET = 1u << 0,   /* sockets, TLS, connections, IMAP protocol trace */
	LOG_CACHE = 1u << 1, /* block cache, metadata */
	LOG_FS = 1u << 2,    /* FUSE requests */
	LOG_CATS_ALL = LOG_NET | LOG_CACHE | LOG_FS,
};

/* The names log_cats_parse takes, for messages: "net, cache, fs, all". */
extern const char log_cats_names[];

/* Parses a comma-separated list of category names (net, cache, fs, all)
 * into *cats_r.  -EINVAL for an empty list, an empty name or an unknown
 * one. */
int log_cats_parse(const char *list, unsigned *cats_r);

/* Sets the program name used as prefix/syslog ident and the enabled debug
 * categories.  Until log_use_syslog(true), everything goes to stderr. */
void log_init(const char *ident, unsigned debug_cats);
void log_use_syslog(bool on);
bool log_debug_on(unsigned cat);

/* log_warn appends ": strerror(errno)"; log_warnx does not.  log_errx is
 * for the failure that ends the program. */
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(unsigned cat, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Protocol trace of one line sent (dir 'C') or received (dir 'S') on
 * connection number conn_id, shown only when LOG_NET is enabled.  Bytes that
 * are not printable ASCII are escaped; the caller redacts secrets first. */
void log_trace(unsigned conn_id, char dir, const char *line, size_t len);

#endif

/* buf: a growable byte buffer, always NUL-terminated after len. */
#ifndef IMAPFS_BUF_H
#define IMAPFS_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

/* Appending aborts on out-of-memory: callers bound what they append from
 * the network before appending it. */
void buf_append(struct buf *b, const void *p, size_t n);
void buf_appends(struct buf *b, const char *s);
void buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vappendf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Drops the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
/* Returns the contents (never NULL, NUL-terminated) and leaves b empty;
 * the caller frees the result. */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

#endif

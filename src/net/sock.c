/* net: TCP connections with deadlines.  Sockets stay non-blocking for
 * their whole life so that no wait can exceed the timeout: every wait is a
 * poll() bounded by the connection's timeout, its deadline and the
 * thread's. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "imapfs/log.h"
#include "net_int.h"

int64_t net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The thread's deadline (net_set_thread_deadline): thread-local, so that
 * a FUSE request's bound follows it into every connection it uses. */
static _Thread_local int64_t net_thread_deadline_ms;

void net_set_thread_deadline(int64_t deadline_ms)
{
	net_thread_deadline_ms = deadline_ms;
}

int64_t net_thread_deadline(void)
{
	return net_thread_deadline_ms;
}

int64_t net_deadline_min(int64_t a, int64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

bool net_deadline_passed(int64_t deadline_ms)
{
	return deadline_ms != 0 && net_now_ms() >= deadline_ms;
}

void net_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

int net_cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline_ms)
{
	struct timespec ts;

	if (deadline_ms == 0) {
		pthread_cond_wait(cv, mu);
		return 0;
	}
	if (net_deadline_passed(deadline_ms))
		return -ETIMEDOUT;
	ts.tv_sec = deadline_ms / 1000;
	ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000;
	return pthread_cond_timedwait(cv, mu, &ts) == ETIMEDOUT ? -ETIMEDOUT : 0;
}

/* The stop pipe (net_abort): every wait polls its read end too.  The
 * byte written stays there, so every wait, now and later, sees it until
 * net_abort_clear. */
static int net_stop_fd[2] = {-1, -1};

int net_abort_init(void)
{
	if (net_stop_fd[0] >= 0)
		return 0;
	if (pipe2(net_stop_fd, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	return 0;
}

void net_abort(void)
{
	int saved = errno;
	ssize_t n;

	if (net_stop_fd[1] >= 0)
		n = write(net_stop_fd[1], "x", 1);
	(void)n;
	errno = saved;
}

void net_abort_clear(void)
{
	char b[64];

	if (net_stop_fd[0] >= 0)
		while (read(net_stop_fd[0], b, sizeof(b)) > 0)
			;
}

int net_abort_fd(void)
{
	return net_stop_fd[0];
}

/* Polls fd until deadline (monotonic ms), restarting after signals with
 * the time that is left.  0 when ready (or in error: the caller's next
 * call reports it), -ETIMEDOUT, -ECANCELED after net_abort, or -errno. */
static int net_poll_until(int fd, short events, int64_t deadline)
{
	struct pollfd pfd[2] = {{.fd = fd, .events = events}, {.fd = net_stop_fd[0], .events = POLLIN}};

	for (;;) {
		int64_t left = deadline - net_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		int n = poll(pfd, net_stop_fd[0] >= 0 ? 2 : 1,
			     left > 0x7fffffff ? 0x7fffffff : (int)left);
		if (n > 0 && pfd[1].revents != 0)
			return -ECANCELED;
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int net_wait(struct net_conn *c, short events)
{
	int64_t until = net_deadline_min(net_now_ms() + c->timeout_ms, c->deadline_ms);

	return net_poll_until(c->fd, events, net_deadline_min(until, net_thread_deadline_ms));
}

void net_set_deadline(struct net_conn *c, int64_t deadline_ms)
{
	c->deadline_ms = deadline_ms;
}

void net_set_error(struct net_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

void net_fmt_timeout(int timeout_ms, char *out, size_t outlen)
{
	if (timeout_ms % 1000 == 0)
		snprintf(out, outlen, "%d s", timeout_ms / 1000);
	else
		snprintf(out, outlen, "%.1f s", timeout_ms / 1000.0);
}

/* One non-blocking connect attempt to ai, bounded by deadline. Returns the
 * connected socket or -errno. */
static int net_try_addr(const struct addrinfo *ai, int64_t deadline)
{
	int fd =
	    socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	int rc;

	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EINTR) {
		rc = -errno;
		goto fail;
	}
	rc = net_poll_until(fd, POLLOUT, deadline);
	if (rc < 0)
		goto fail;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0) {
		rc = -errno;
		goto fail;
	}
	if (soerr) {
		rc = -soerr;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return rc;
}

int net_connect(const char *host, const char *port, int timeout_ms, int64_t deadline_ms,
		struct net_conn **conn_r, char *err, size_t errlen)
{
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM,
	    .ai_protocol = IPPROTO_TCP,
	};
	struct addrinfo *res = NULL;
	struct net_conn *c = NULL;
	char tbuf[32];
	int fd = -ENOENT;
	int rc;

	*conn_r = NULL;
	if (timeout_ms <= 0)
		timeout_ms = 1;
	/* getaddrinfo has no deadline of its own; the resolver's timeouts
	 * (resolv.conf) bound it. */
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve host %s: %s", host,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		rc = -EHOSTUNREACH;
		goto out;
	}

	size_t naddr = 0;
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
		naddr++;

	/* The whole connect is bounded by timeout_ms (and deadline_ms, and
	 * the thread's).  Each address gets an equal share of what is left,
	 * so that one black-holed address (an IPv6 route that goes nowhere)
	 * cannot use up the time the next one needs; a refusal moves on at
	 * once. */
	int64_t deadline = net_deadline_min(net_now_ms() + timeout_ms,
					    net_deadline_min(deadline_ms, net_thread_deadline_ms));
	size_t i = 0;
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next, i++) {
		int64_t left = deadline - net_now_ms();
		if (left <= 0) {
			fd = -ETIMEDOUT;
			break;
		}
		fd = net_try_addr(ai, net_now_ms() + left / (int64_t)(naddr - i));
		if (fd >= 0)
			break;
		log_debug(LOG_NET, "connect to %s port %s (address %zu of %zu): %s", host, port,
			  i + 1, naddr, strerror(-fd));
	}
	if (fd < 0) {
		rc = fd;
		if (rc == -ECONNREFUSED) {
			snprintf(err, errlen, "connection to %s port %s refused", host, port);
		} else if (rc == -ETIMEDOUT) {
			/* Past deadline_ms too, the timeout is what ran out (the
			 * one of a whole open, imap_conn_open). */
			net_fmt_timeout(timeout_ms, tbuf, sizeof(tbuf));
			snprintf(err, errlen, "connection to %s port %s timed out after %s", host,
				 port, tbuf);
		} else {
			snprintf(err, errlen, "cannot connect to %s port %s: %s", host, port,
				 strerror(-rc));
		}
		goto out;
	}

	/* IMAP is a dialogue of short lines: do not let Nagle hold them. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));

	c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	c->deadline_ms = deadline_ms;
	snprintf(c->host, sizeof(c->host), "%s", host);
	*conn_r = c;
	if (errlen)
		err[0] = '\0';
	rc = 0;
	log_debug(LOG_NET, "connected to %s port %s", host, port);
out:
	if (res)
		freeaddrinfo(res);
	return rc;
}

void net_io_error(struct net_conn *c, int rc, const char *what)
{
	char tbuf[32];

	if (rc == -ETIMEDOUT) {
		net_fmt_timeout(c->timeout_ms, tbuf, sizeof(tbuf));
		net_set_error(c, "%s %s timed out after %s", what, c->host, tbuf);
	} else if (rc == -ECANCELED) {
		net_set_error(c, "%s %s given up: imapfs is stopping", what, c->host);
	} else {
		net_set_error(c, "%s %s failed: %s", what, c->host, strerror(-rc));
	}
}

ssize_t net_read(struct net_conn *c, void *buf, size_t len)
{
	if (len == 0)
		return -EINVAL;
	if (c->ssl)
		return net_tls_read(c, buf, len);
	for (;;) {
		ssize_t n = recv(c->fd, buf, len, 0);
		if (n >= 0) {
			if (n == 0)
				c->eof = true;
			return n;
		}
		int rc = -errno;
		if (rc == -EINTR)
			continue;
		if (rc == -EAGAIN || rc == -EWOULDBLOCK)
			rc = net_wait(c, POLLIN);
		if (rc < 0) {
			net_io_error(c, rc, "reading from");
			return rc;
		}
	}
}

int net_poll_in(struct net_conn *c, int wake_fd, int timeout_ms)
{
	struct pollfd pf[2] = {
	    {.fd = c->fd, .events = POLLIN},
	    {.fd = wake_fd, .events = POLLIN},
	};
	int n;

	if (c->ssl && net_tls_pending(c))
		return 1;
	if (net_thread_deadline_ms != 0) {
		int64_t left = net_thread_deadline_ms - net_now_ms();

		if (left <= 0)
			return 0;
		if (timeout_ms < 0 || left < timeout_ms)
			timeout_ms = (int)(left > 0x7fffffff ? 0x7fffffff : left);
	}
	do
		n = poll(pf, wake_fd >= 0 ? 2 : 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (pf[0].revents != 0)
		return 1; /* readable, closed or failed: the read will tell */
	return 0;
}

int net_write(struct net_conn *c, const void *buf, size_t len)
{
	const char *p = buf;

	if (c->ssl)
		return net_tls_write(c, buf, len);
	while (len > 0) {
		/* MSG_NOSIGNAL: a peer that went away is an error return,
		 * not a SIGPIPE that kills the daemon. */
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		int rc = -errno;
		if (rc == -EINTR)
			continue;
		if (rc == -EAGAIN || rc == -EWOULDBLOCK)
			rc = net_wait(c, POLLOUT);
		if (rc < 0) {
			net_io_error(c, rc, "writing to");
			return rc;
		}
	}
	return 0;
}

bool net_is_tls(const struct net_conn *c)
{
	return c->ssl != NULL;
}

const char *net_error(const struct net_conn *c)
{
	return c->err;
}

void net_close(struct net_conn **cp)
{
	struct net_conn *c = *cp;

	if (!c)
		return;
	if (c->ssl)
		net_tls_close(c);
	close(c->fd);
	free(c);
	*cp = NULL;
}

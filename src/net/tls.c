/* net: TLS over a non-blocking socket; the only file that calls OpenSSL.
 *
 * OpenSSL's own socket BIO writes with write(2), which raises SIGPIPE when
 * the server has gone away.  A tiny BIO of our own uses send(MSG_NOSIGNAL)
 * instead, so the library is safe whatever the process does with SIGPIPE. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "imapfs/log.h"
#include "net_int.h"

static BIO_METHOD *net_bio_meth;
static pthread_once_t net_bio_once = PTHREAD_ONCE_INIT;

static int net_bio_write(BIO *b, const char *data, int len)
{
	struct net_conn *c = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	do
		n = send(c->fd, data, (size_t)len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_write(b);
	else if (n < 0)
		c->sys_errno = errno;
	return (int)n;
}

static int net_bio_read(BIO *b, char *data, int len)
{
	struct net_conn *c = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	do
		n = recv(c->fd, data, (size_t)len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_read(b);
	else if (n < 0)
		c->sys_errno = errno;
	if (n == 0)
		c->eof = true;
	return (int)n;
}

static long net_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct net_conn *c = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_EOF:
		/* Lets OpenSSL tell a truncated stream from a retry. */
		return c->eof;
	default:
		return 0;
	}
}

static void net_bio_init(void)
{
	net_bio_meth = BIO_meth_new(
	    BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "imapfs socket");
	if (!net_bio_meth || !BIO_meth_set_write(net_bio_meth, net_bio_write) ||
	    !BIO_meth_set_read(net_bio_meth, net_bio_read) ||
	    !BIO_meth_set_ctrl(net_bio_meth, net_bio_ctrl))
		abort();
}

/* The most specific reason OpenSSL queued, or fallback. */
static const char *net_tls_reason(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : fallback;
}

static bool net_tls_is_eof_error(void)
{
	unsigned long e = ERR_peek_last_error();

	return ERR_GET_LIB(e) == ERR_LIB_SSL &&
	       ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

/* An IP literal is checked against the certificate's IP SANs (and sent
 * without SNI, RFC 6066 §3).  A link-local "fe80::1%eth0" is checked
 * without its zone. */
static bool net_ip_literal(const char *host, char *ip, size_t iplen)
{
	unsigned char a[sizeof(struct in6_addr)];

	snprintf(ip, iplen, "%s", host);
	char *zone = strchr(ip, '%');
	if (zone && strchr(ip, ':'))
		*zone = '\0';
	return inet_pton(AF_INET, ip, a) == 1 || inet_pton(AF_INET6, ip, a) == 1;
}

static void net_tls_fail(struct net_conn *c, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void net_tls_fail(struct net_conn *c, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s", c->err);
}

/* Turns a failed handshake into one of the three messages a user can act
 * on: wrong name, untrusted issuer, or anything else. */
static int net_handshake_error(struct net_conn *c, SSL *ssl, int sslerr, int rc, char *err,
			       size_t errlen)
{
	long vr = SSL_get_verify_result(ssl);

	if (vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH) {
		net_tls_fail(c, err, errlen, "certificate of %s does not match the host name",
			     c->host);
		return -EPERM;
	}
	if (vr != X509_V_OK) {
		net_tls_fail(c, err, errlen,
			     "certificate of %s is not trusted: %s; use -o cafile=FILE to trust it",
			     c->host, X509_verify_cert_error_string(vr));
		return -EPERM;
	}
	if (rc == -ETIMEDOUT) {
		char tbuf[32];
		net_fmt_timeout(c->timeout_ms, tbuf, sizeof(tbuf));
		net_tls_fail(c, err, errlen, "TLS handshake with %s timed out after %s", c->host,
			     tbuf);
		return rc;
	}
	if (rc < 0) {
		net_tls_fail(c, err, errlen, "TLS handshake with %s failed: %s", c->host,
			     strerror(-rc));
		return rc;
	}
	if (sslerr == SSL_ERROR_SYSCALL || sslerr == SSL_ERROR_ZERO_RETURN ||
	    net_tls_is_eof_error()) {
		int se = c->sys_errno ? c->sys_errno : ECONNRESET;
		net_tls_fail(c, err, errlen, "TLS handshake with %s failed: %s", c->host,
			     c->eof ? "connection closed by the server" : strerror(se));
		return -se;
	}
	net_tls_fail(c, err, errlen, "TLS handshake with %s failed: %s", c->host,
		     net_tls_reason("unknown error"));
	return -EPROTO;
}

int net_start_tls(struct net_conn *c, const char *host, const char *cafile, char *err,
		  size_t errlen)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	BIO *bio;
	char ip[64];
	int rc;

	if (c->ssl) {
		net_tls_fail(c, err, errlen, "TLS is already active with %s", c->host);
		return -EALREADY;
	}
	pthread_once(&net_bio_once, net_bio_init);
	ERR_clear_error();
	c->sys_errno = 0;
	snprintf(c->host, sizeof(c->host), "%s", host);

	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		net_tls_fail(c, err, errlen, "TLS setup failed: %s", net_tls_reason("no memory"));
		rc = -ENOMEM;
		goto out;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (cafile) {
		if (SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1) {
			net_tls_fail(c, err, errlen, "cannot load CA certificates from %s: %s",
				     cafile, net_tls_reason("no certificate found"));
			rc = -EINVAL;
			goto out;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		net_tls_fail(c, err, errlen, "cannot load the system CA certificates: %s",
			     net_tls_reason("unknown error"));
		rc = -EIO;
		goto out;
	}

	ssl = SSL_new(ctx);
	bio = ssl ? BIO_new(net_bio_meth) : NULL;
	if (!bio) {
		net_tls_fail(c, err, errlen, "TLS setup failed: %s", net_tls_reason("no memory"));
		rc = -ENOMEM;
		goto out;
	}
	BIO_set_data(bio, c);
	BIO_set_init(bio, 1);
	SSL_set_bio(ssl, bio, bio);

	X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
	X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	int ok;
	if (net_ip_literal(host, ip, sizeof(ip))) {
		/* Explicit rather than relying on SSL_set1_host() guessing that
		 * the string is an address. */
		ok = X509_VERIFY_PARAM_set1_ip_asc(param, ip);
	} else {
		ok = SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1;
	}
	if (!ok) {
		net_tls_fail(c, err, errlen, "TLS setup for %s failed: %s", host,
			     net_tls_reason("invalid host name"));
		rc = -EINVAL;
		goto out;
	}
	SSL_set_connect_state(ssl);

	for (;;) {
		ERR_clear_error();
		int r = SSL_connect(ssl);
		if (r == 1)
			break;
		int e = SSL_get_error(ssl, r);
		int werr = 0;
		if (e == SSL_ERROR_WANT_READ)
			werr = net_wait(c, POLLIN);
		else if (e == SSL_ERROR_WANT_WRITE)
			werr = net_wait(c, POLLOUT);
		else
			werr = 1; /* a real failure, classified below */
		if (werr == 0)
			continue;
		rc = net_handshake_error(c, ssl, e, werr < 0 ? werr : 0, err, errlen);
		goto out;
	}

	/* SSL_VERIFY_PEER already aborted on any verification failure; this
	 * only guards against a future change of options. */
	if (SSL_get_verify_result(ssl) != X509_V_OK || !SSL_get0_peer_certificate(ssl)) {
		rc = net_handshake_error(c, ssl, SSL_ERROR_SSL, 0, err, errlen);
		goto out;
	}
	log_debug(LOG_NET, "TLS with %s: %s, %s", host, SSL_get_version(ssl),
		  SSL_get_cipher_name(ssl));
	c->ssl = ssl;
	ssl = NULL;
	if (errlen)
		err[0] = '\0';
	rc = 0;
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* Classifies a failed SSL_read_ex/SSL_write_ex that is not a retry. */
static int net_tls_io_error(struct net_conn *c, int e, const char *what)
{
	if (e == SSL_ERROR_SYSCALL) {
		int rc = c->sys_errno ? -c->sys_errno : -ECONNRESET;
		net_set_error(c, "%s %s failed: %s", what, c->host, strerror(-rc));
		return rc;
	}
	net_set_error(c, "%s %s failed: TLS error: %s", what, c->host,
		      net_tls_reason("unknown error"));
	return -EPROTO;
}

bool net_tls_pending(struct net_conn *c)
{
	return SSL_pending(c->ssl) > 0;
}

ssize_t net_tls_read(struct net_conn *c, void *buf, size_t len)
{
	SSL *ssl = c->ssl;

	for (;;) {
		size_t n = 0;
		int rc;

		ERR_clear_error();
		c->sys_errno = 0;
		if (SSL_read_ex(ssl, buf, len, &n) == 1)
			return (ssize_t)n;
		int e = SSL_get_error(ssl, 0);
		if (e == SSL_ERROR_WANT_READ) {
			rc = net_wait(c, POLLIN);
		} else if (e == SSL_ERROR_WANT_WRITE) {
			rc = net_wait(c, POLLOUT);
		} else if (e == SSL_ERROR_ZERO_RETURN || net_tls_is_eof_error() ||
			   (e == SSL_ERROR_SYSCALL && c->eof)) {
			/* A close without close_notify is reported as plain end
			 * of stream: IMAP responses are self-delimiting, so the
			 * layer above notices a truncated one. */
			c->eof = true;
			return 0;
		} else {
			return net_tls_io_error(c, e, "reading from");
		}
		if (rc < 0) {
			net_io_error(c, rc, "reading from");
			return rc;
		}
	}
}

int net_tls_write(struct net_conn *c, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		size_t n = 0;
		int rc;

		ERR_clear_error();
		c->sys_errno = 0;
		if (SSL_write_ex(c->ssl, p, len, &n) == 1) {
			p += n;
			len -= n;
			continue;
		}
		int e = SSL_get_error(c->ssl, 0);
		if (e == SSL_ERROR_WANT_WRITE)
			rc = net_wait(c, POLLOUT);
		else if (e == SSL_ERROR_WANT_READ)
			rc = net_wait(c, POLLIN);
		else
			return net_tls_io_error(c, e, "writing to");
		if (rc < 0) {
			net_io_error(c, rc, "writing to");
			return rc;
		}
	}
	return 0;
}

void net_tls_close(struct net_conn *c)
{
	/* One non-blocking attempt at close_notify: a server that does not
	 * read it must not delay the unmount. */
	ERR_clear_error();
	if (!c->eof)
		SSL_shutdown(c->ssl);
	SSL_free(c->ssl);
	ERR_clear_error();
	c->ssl = NULL;
}

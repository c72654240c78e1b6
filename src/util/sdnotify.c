/* sdnotify: sd_notify(3)'s datagram protocol, by hand.  libsystemd would
 * give the same in one call, but at the price of a build dependency and a
 * link to libsystemd on systems without systemd, for about 40 lines of a
 * protocol that systemd documents as stable (its man page prints a
 * reference implementation).  The address is written once by
 * sdnotify_init, before threads, and only read afterwards. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "imapfs/log.h"
#include "imapfs/sdnotify.h"

#define SDNOTIFY_MAX 1024

static struct sockaddr_un sdnotify_addr;
static socklen_t sdnotify_addrlen; /* 0: no service manager to tell */

bool sdnotify_init(void)
{
	const char *e = getenv("NOTIFY_SOCKET");
	size_t len = e ? strlen(e) : 0;

	sdnotify_addrlen = 0;
	if (!e || !e[0]) {
		unsetenv("NOTIFY_SOCKET");
		return false;
	}
	if (len < 2 || len >= sizeof(sdnotify_addr.sun_path) || (e[0] != '/' && e[0] != '@')) {
		log_warnx("NOTIFY_SOCKET=%.200s is no socket path or @name; not notifying", e);
		unsetenv("NOTIFY_SOCKET");
		return false;
	}
	memset(&sdnotify_addr, 0, sizeof(sdnotify_addr));
	sdnotify_addr.sun_family = AF_UNIX;
	memcpy(sdnotify_addr.sun_path, e, len);
	/* Abstract: a leading NUL, and the length says where the name ends. */
	if (e[0] == '@')
		sdnotify_addr.sun_path[0] = '\0';
	sdnotify_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	unsetenv("NOTIFY_SOCKET");
	return true;
}

int sdnotify_send(const char *fmt, ...)
{
	char msg[SDNOTIFY_MAX];
	va_list ap;
	ssize_t n;
	int fd, rc = 0;

	if (!sdnotify_addrlen)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (const struct sockaddr *)&sdnotify_addr,
		   sdnotify_addrlen);
	if (n < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* ---- the readiness probe ---- */

struct sdnotify_probe {
	char *path;
	dev_t unmounted_dev;
	char *status;
};

static pthread_t sdnotify_thread;
static bool sdnotify_started; /* written by the main thread only */

static void *sdnotify_probe_run(void *arg)
{
	struct sdnotify_probe *p = arg;
	struct stat st;

	if (stat(p->path, &st) < 0)
		log_warn("mount point %s does not answer; not reporting ready", p->path);
	else if (st.st_dev == p->unmounted_dev)
		log_warnx("%s is no longer mounted; not reporting ready", p->path);
	else
		sdnotify_send("READY=1\nSTATUS=%s", p->status);
	free(p->path);
	free(p->status);
	free(p);
	return NULL;
}

int sdnotify_ready_when_answering(const char *path, dev_t unmounted_dev, const char *status)
{
	struct sdnotify_probe *p;
	int rc;

	if (!sdnotify_addrlen)
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->path = strdup(path);
	p->status = strdup(status);
	p->unmounted_dev = unmounted_dev;
	if (!p->path || !p->status) {
		rc = -ENOMEM;
		goto err;
	}
	rc = -pthread_create(&sdnotify_thread, NULL, sdnotify_probe_run, p);
	if (rc < 0)
		goto err;
	sdnotify_started = true;
	return 0;
err:
	free(p->path);
	free(p->status);
	free(p);
	return rc;
}

void sdnotify_ready_join(void)
{
	if (!sdnotify_started)
		return;
	pthread_join(sdnotify_thread, NULL);
	sdnotify_started = false;
}

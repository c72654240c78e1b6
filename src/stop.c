/* stop: cancels the network waits of a mount being stopped, after a grace
 * period (stop.h).
 *
 * The thread sleeps in poll() on the session's /dev/fuse (events 0: only
 * POLLERR, which the kernel reports once the connection is gone, wakes
 * it) and on a pipe that the signal handler, stop_begin and stop_end
 * write to: 's' for a stop signal, 'e' for the end of the loop, 'q' to
 * quit.  Nothing here takes a lock: the pipe is the only shared state,
 * the handler only writes to it, and stop_prev and stop_running are
 * written before the thread starts and after it is joined. */
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "imapfs/log.h"
#include "imapfs/net.h"
#include "imapfs/stop.h"

static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP};
#define STOP_NSIGNALS (sizeof(stop_signals) / sizeof(stop_signals[0]))

static struct sigaction stop_prev[STOP_NSIGNALS]; /* libfuse's handlers */
static int stop_pipe[2] = {-1, -1};
static pthread_t stop_thread;
static bool stop_running;

static void stop_on_signal(int sig)
{
	int saved = errno;
	ssize_t n = write(stop_pipe[1], "s", 1);

	(void)n;
	errno = saved;
	for (size_t i = 0; i < STOP_NSIGNALS; i++) {
		if (stop_signals[i] != sig)
			continue;
		if (stop_prev[i].sa_flags & SA_SIGINFO) {
			if (stop_prev[i].sa_sigaction != NULL)
				stop_prev[i].sa_sigaction(sig, NULL, NULL);
		} else if (stop_prev[i].sa_handler != SIG_DFL && stop_prev[i].sa_handler != SIG_IGN) {
			stop_prev[i].sa_handler(sig);
		}
	}
}

/* Waits up to ms (-1: no bound) for the unmount (when fuse_fd >= 0) or a
 * byte on the pipe: 'u' for the unmount, the byte read, or 0 when the time
 * is up. */
static char stop_wait(int fuse_fd, int ms)
{
	struct pollfd pf[2] = {{.fd = stop_pipe[0], .events = POLLIN}, {.fd = fuse_fd, .events = 0}};
	char c = 0;
	int n;

	do
		n = poll(pf, fuse_fd >= 0 ? 2 : 1, ms);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return 0;
	/* (A byte that is not there yet after POLLIN cannot be: only this
	 * thread reads.) */
	if (pf[0].revents != 0 && read(stop_pipe[0], &c, 1) == 1)
		return c;
	return pf[1].revents != 0 ? 'u' : 0;
}

static void *stop_main(void *arg)
{
	struct fuse_session *se = arg;
	int fuse_fd = fuse_session_fd(se);

	for (;;) {
		char why = stop_wait(fuse_fd, -1), c;
		int64_t end = net_now_ms() + STOP_GRACE_MS, left;
		bool ended = why == 'e';

		if (why == 'q')
			return NULL;
		if (why == 'u')
			fuse_fd = -1; /* POLLERR stays: look once */
		/* Stopping: what is in flight gets the grace period (another
		 * 's' changes nothing). */
		while ((left = end - net_now_ms()) > 0) {
			c = stop_wait(-1, (int)left);
			if (c == 'q')
				return NULL;
			ended |= c == 'e';
		}
		/* A gone connection ends the loop (libfuse marks the session
		 * exited until its loop returns, then clears it; stop_begin
		 * says it returned): if neither, that POLLERR meant something
		 * else, and nothing is cut. */
		if (why == 'u' && !ended && !fuse_session_exited(se)) {
			log_debug(LOG_FS, "stop: /dev/fuse reported an error, but the session goes on");
			continue;
		}
		log_info("network work still waits %d s after the %s; giving it up",
			 STOP_GRACE_MS / 1000,
			 why == 'u' ? "unmount" : why == 's' ? "stop signal" : "end of the loop");
		net_abort();
		while (stop_wait(-1, -1) != 'q')
			;
		return NULL;
	}
}

int stop_start(struct fuse_session *se)
{
	struct sigaction sa;
	int rc;

	rc = net_abort_init();
	if (rc < 0)
		return rc;
	/* Non-blocking: a handler never waits on a full pipe. */
	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < STOP_NSIGNALS; i++) {
		if (sigaction(stop_signals[i], NULL, &stop_prev[i]) < 0 ||
		    sigaction(stop_signals[i], &sa, NULL) < 0)
			return -errno;
	}
	rc = pthread_create(&stop_thread, NULL, stop_main, se);
	if (rc != 0)
		return -rc;
	stop_running = true;
	return 0;
}

void stop_begin(void)
{
	ssize_t n;

	if (!stop_running)
		return;
	n = write(stop_pipe[1], "e", 1);
	(void)n;
}

void stop_end(void)
{
	ssize_t n;

	if (!stop_running)
		return;
	n = write(stop_pipe[1], "q", 1);
	(void)n;
	pthread_join(stop_thread, NULL);
	stop_running = false;
	/* libfuse's handlers again, which fuse_remove_signal_handlers then
	 * resets: a second Ctrl-C during the unmount's appends kills. */
	for (size_t i = 0; i < STOP_NSIGNALS; i++)
		sigaction(stop_signals[i], &stop_prev[i], NULL);
	net_abort_clear();
}

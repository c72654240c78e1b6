/* stop: ending the daemon promptly.
 *
 * A mount is stopped by SIGTERM, SIGINT or SIGHUP (systemctl stop) or by
 * an unmount.  libfuse then ends its loop once the requests in flight are
 * answered, and a request waiting on a server that went quiet answers
 * only at -o timeout.  So, once told to stop, the requests get
 * STOP_GRACE_MS to end on their own (a healthy server's APPEND or FETCH in
 * flight completes as before); after that every network wait is cancelled
 * (net_abort) and they fail at once. */
#ifndef IMAPFS_STOP_H
#define IMAPFS_STOP_H

struct fuse_session;

#define STOP_GRACE_MS 2000

/* After fuse_set_signal_handlers and fuse_session_mount: chains a handler
 * before libfuse's for the three signals and starts the thread that waits
 * for them or for the unmount (POLLERR on the session's /dev/fuse).
 * -errno when it cannot; the mount then stops as before. */
int stop_start(struct fuse_session *se);

/* After the loop returned: starts the grace period, if no signal or
 * unmount did (a loop that ended on an error). */
void stop_begin(void);
/* Once the background threads are stopped: ends the thread and lifts the
 * cancellation.  Harmless without stop_start. */
void stop_end(void);

#endif

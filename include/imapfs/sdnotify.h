/* sdnotify: tells a service manager (systemd's Type=notify) how the daemon
 * is doing.  The protocol of sd_notify(3), written out rather than linked
 * from libsystemd: each message is one datagram of newline-separated
 * VARIABLE=VALUE lines (READY=1, STOPPING=1, STATUS=text) sent to the
 * AF_UNIX datagram socket named by $NOTIFY_SOCKET, a file system path, or
 * "@name" for the abstract namespace.  Without $NOTIFY_SOCKET every call
 * does nothing and succeeds. */
#ifndef IMAPFS_SDNOTIFY_H
#define IMAPFS_SDNOTIFY_H

#include <stdbool.h>
#include <sys/types.h>

/* Takes $NOTIFY_SOCKET and removes it from the environment, so that child
 * processes (password_command, fusermount3) cannot speak for the daemon.
 * Returns true when there is a socket to talk to (an address that is
 * neither an absolute path nor "@name", or too long, is ignored with a
 * warning).  Call once at start-up, before threads exist. */
bool sdnotify_init(void);

/* Sends one message, formatted as printf does (at most 1 KiB).  Returns 0,
 * or -errno; callers may ignore it: a service manager that went away is no
 * reason for the daemon to stop.  Thread-safe. */
int sdnotify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Readiness that is proven, not assumed: starts a thread that calls
 * stat(path) on the freshly mounted mount point and, once that returns
 * with a device other than unmounted_dev (the device of the directory
 * before the mount), sends "READY=1\nSTATUS=<status>".  The stat is a real
 * request (FUSE INIT, then GETATTR of the root), so it is answered only
 * when the session loop runs: call this after mounting, right before the
 * loop, and never wait for the thread before the loop has ended.  A stat
 * that fails (the loop ended first) sends nothing.  Does nothing (returns
 * 0) without a socket; -errno when the thread cannot start. */
int sdnotify_ready_when_answering(const char *path, dev_t unmounted_dev, const char *status);

/* Waits for that thread, if one was started.  Call only once the session
 * is gone (unmounted and its /dev/fuse closed): the stat has returned
 * then, one way or the other. */
void sdnotify_ready_join(void);

#endif

/* main: the daemon's life.  Everything that can fail for a reason the user
 * can fix (options, password, network, TLS, login, mount point) is done
 * before mounting and reported as one line "imapfs: ..." with exit 1 (2 for
 * usage); only then does the process mount, go to the background and serve.
 */
#include <dirent.h>
#include <errno.h>
#include <fuse_lowlevel.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imapfs/cache_block.h"
#include "imapfs/fs.h"
#include "imapfs/imap_conn.h"
#include "imapfs/imap_pool.h"
#include "imapfs/log.h"
#include "imapfs/mail_name.h"
#include "imapfs/mountpoint.h"
#include "imapfs/opts.h"
#include "imapfs/sdnotify.h"
#include "imapfs/secret.h"
#include "imapfs/stop.h"

#define MAIN_ERRLEN 512

static const char main_usage[] =
	"usage: imapfs [OPTIONS] SERVER MOUNTPOINT\n"
	"       imapfs [OPTIONS] ACCOUNT [MOUNTPOINT]\n"
	"\n"
	"Mounts the IMAP account SERVER at MOUNTPOINT: mailboxes are directories,\n"
	"messages are 'YYYY-MM-DD SUBJECT [UID].eml' files, their decoded parts\n"
	"files in 'YYYY-MM-DD SUBJECT [UID].parts/'.\n"
	"\n"
	"SERVER:\n"
	"    imaps://USER@HOST[:PORT]    implicit TLS (default port 993)\n"
	"    imap://USER@HOST[:PORT]     STARTTLS, mandatory (default port 143)\n"
	"\n"
	"Options:\n"
	"    -f                          stay in the foreground\n"
	"    -d                          debug: foreground, -o debug=all, protocol trace\n"
	"                                on stderr (passwords redacted)\n"
	"    -o debug=LIST               debug lines of net, cache, fs or all (comma-\n"
	"                                separated) on stderr, or in syslog when in the\n"
	"                                background\n"
	"    -o password_command=CMD     the first line CMD prints is the password\n"
	"    -o oauth_command=CMD        the first line CMD prints is an OAuth 2.0\n"
	"                                access token (OAUTHBEARER/XOAUTH2: Gmail, Outlook)\n"
	"    -o cafile=FILE              trust the PEM certificates in FILE\n"
	"    -o timeout=SECONDS          longest a system call waits on the network (30)\n"
	"    -o connections=N            IMAP connections in the pool, 1..32 (4)\n"
	"    -o watch=N                  mailboxes in use watched with IDLE, 0..8 (2)\n"
	"    -o cache_dir=DIR            on-disk cache (~/.cache/imapfs/USER@HOST)\n"
	"    -o cache_size=SIZE          bound of the block cache, K/M/G (1G)\n"
	"    -o parts=hidden|visible     list STEM.parts/ beside each message (hidden)\n"
	"    -h, --help                  this text\n"
	"    -V, --version               the version\n"
	"Other -o options go to FUSE (allow_other, ro, ...); mount(8)'s noauto, user,\n"
	"_netdev, nofail, x-* and the like are ignored.\n"
	"\n"
	"ACCOUNT names a group of ~/.config/imapfs/config ($XDG_CONFIG_HOME), e.g.\n"
	"    [work]\n"
	"    server = imaps://me%40example.org@mail.example.org\n"
	"    mountpoint = ~/Mail/work\n"
	"    password_command = pass show mail/work\n"
	"whose keys are server, mountpoint and the -o options above; the command\n"
	"line overrides them.\n"
	"\n"
	"The password comes from password_command, $IMAPFS_PASSWORD, ~/.netrc or a\n"
	"prompt, in that order; with oauth_command none is needed.\n"
	"Unmount with: fusermount3 -u MOUNTPOINT\n"
	"mount(8) and fstab work through mount.fuse3 with the type fuse.imapfs;\n"
	"systemctl --user enable --now imapfs@ACCOUNT mounts an account at login.\n"
	"See imapfs(1).\n";

/* The last message libfuse logged, so that a libfuse failure before the
 * mount is ready is still reported as one line.  Written only before
 * threads start. */
static char main_fuse_msg[MAIN_ERRLEN];
static bool main_fuse_quiet = true;

static void main_fuse_log(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char msg[MAIN_ERRLEN];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	if (main_fuse_quiet) {
		snprintf(main_fuse_msg, sizeof(main_fuse_msg), "%s", msg);
		return;
	}
	if (level <= FUSE_LOG_WARNING)
		log_warnx("%s", msg);
	else
		log_debug(LOG_FS, "%s", msg);
}

/* mount.fuse3 -o drop_privileges mounts itself and hands over the
 * /dev/fuse descriptor as /dev/fd/N (libfuse takes it from there). */
static bool main_is_fd_mountpoint(const char *path)
{
	unsigned fd;
	char end;

	return sscanf(path, "/dev/fd/%u%c", &fd, &end) == 1;
}

/* Checks that path is an empty directory; *dev_r is its device (to tell,
 * later, that the mount is on top of it).  A dead imapfs mount there (left
 * by a daemon that died: ENOTCONN) is detached first, so that a restart
 * after a crash works. */
static int main_check_mountpoint(const char *path, dev_t *dev_r, char *err, size_t errlen)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	*dev_r = 0;
	if (main_is_fd_mountpoint(path))
		return 0;
	if (stat(path, &st) < 0 && errno == ENOTCONN &&
	    mountpoint_clear_dead(path, "fuse.imapfs") == 0)
		log_info("detached the dead imapfs mount at %s left by a daemon that ended without "
			 "unmounting",
			 path);
	if (stat(path, &st) < 0) {
		int e = errno;
		if (e == ENOENT)
			snprintf(err, errlen, "mount point %s does not exist; create it with mkdir",
				 path);
		else if (e == ENOTCONN)
			snprintf(err, errlen,
				 "mount point %s is a dead FUSE mount; run 'fusermount3 -u %s'",
				 path, path);
		else
			snprintf(err, errlen, "mount point %s: %s", path, strerror(e));
		return -e;
	}
	*dev_r = st.st_dev;
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "mount point %s is not a directory", path);
		return -ENOTDIR;
	}
	d = opendir(path);
	if (!d) {
		int e = errno;
		snprintf(err, errlen, "mount point %s: %s", path, strerror(e));
		return -e;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(err, errlen,
				 "mount point %s is not empty; choose an empty directory", path);
			ret = -ENOTEMPTY;
			break;
		}
	}
	closedir(d);
	return ret;
}

/* Creates the cache directory and its parents 0700 (SPEC §1); an existing
 * one must be a directory of ours, and is made private if it was not. */
static int main_make_cache_dir(const char *path, char *err, size_t errlen)
{
	char *p = strdup(path);
	struct stat st;
	int ret = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1;; s++) {
		bool last = *s == '\0';
		if (*s != '/' && !last)
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			ret = -errno;
			snprintf(err, errlen, "cannot create cache directory %.300s: %s", p,
				 strerror(errno));
			goto out;
		}
		if (last)
			break;
		*s = '/';
	}
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid()) {
		snprintf(err, errlen, "cache directory %.300s is not a directory of yours", path);
		ret = -ENOTDIR;
		goto out;
	}
	if ((st.st_mode & 077) && chmod(path, 0700) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot make cache directory %.300s private: %s", path,
			 strerror(errno));
	}
out:
	free(p);
	return ret;
}

/* imap_oauth_fn over the token that oauth_command prints. */
static int main_oauth_token(void *arg, const char *refused, char **token_r, char *err,
			    size_t errlen)
{
	return secret_token_get(arg, refused, token_r, err, errlen);
}

/* Serves until unmounted or told to stop: 0 then (a SIGTERM, SIGINT or
 * SIGHUP is a requested stop, as systemctl stop sends it), else -errno. */
static int main_serve(struct fuse_session *se)
{
	struct fuse_loop_config *lc = fuse_loop_cfg_create();
	int ret;

	if (!lc)
		return -ENOMEM;
	fuse_loop_cfg_set_max_threads(lc, 16);
	fuse_loop_cfg_set_idle_threads(lc, 4);
	ret = fuse_session_loop_mt(se, lc);
	fuse_loop_cfg_destroy(lc);
	/* libfuse returns the number of the signal that ended the loop. */
	if (ret > 0) {
		log_info("stopping on signal %d (%s)", ret, strsignal(ret));
		ret = 0;
	}
	return ret < 0 ? ret : 0;
}

/* Where the readiness probe looks: the mount point as an absolute path
 * (fuse_daemonize changes to "/"), or NULL when the mount cannot be
 * looked at (a /dev/fd/N mount point). */
static char *main_probe_path(const char *mountpoint)
{
	char *p;

	if (main_is_fd_mountpoint(mountpoint))
		return NULL;
	p = realpath(mountpoint, NULL);
	return p ? p : strdup(mountpoint);
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct opts o;
	char err[MAIN_ERRLEN];
	char *password = NULL;
	struct secret_token *token = NULL;
	struct imap_conn *conn = NULL;
	struct imap_pool *pool = NULL;
	struct cache_block *cache = NULL;
	struct fs *fs = NULL;
	struct fuse_session *se = NULL;
	char *probe_path = NULL;
	char ready[MAIN_ERRLEN];
	dev_t unmounted_dev;
	int status = 1;
	int ret;

	fuse_set_log_func(main_fuse_log);
	ret = opts_parse(argc, argv, &o, &args, err, sizeof(err));
	if (ret < 0) {
		/* A message about the accounts file starts with its path
		 * and line: --help would not help there. */
		fprintf(stderr, "imapfs: %s%s\n", err,
			err[0] == '/' ? "" : " (try 'imapfs --help')");
		status = 2;
		goto out_opts;
	}
	if (ret == OPTS_EXIT) {
		if (o.show_help)
			fputs(main_usage, stdout);
		else
			printf("imapfs %s (libfuse %s)\n", IMAPFS_VERSION, fuse_pkgversion());
		status = 0;
		goto out_opts;
	}
	log_init("imapfs", o.debug_cats | (o.debug ? LOG_CATS_ALL : 0));
	/* First: password_command must not inherit $NOTIFY_SOCKET. */
	sdnotify_init();
	/* A peer that closes mid-write must give EPIPE, not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);

	if (main_check_mountpoint(o.mountpoint, &unmounted_dev, err, sizeof(err)) < 0)
		goto out_err;
	if (main_make_cache_dir(o.cache_dir, err, sizeof(err)) < 0)
		goto out_err;
	/* With oauth_command no password is looked for (SPEC §6).  The first
	 * token is got before connecting: the command may prompt (a pinentry)
	 * for longer than a server waits for a login. */
	if (o.oauth_command) {
		char *first = NULL;

		/* A service manager shows what a slow start waits for. */
		sdnotify_send("STATUS=running oauth_command for a token");
		token = secret_token_new(o.oauth_command, (int)o.timeout_s * 1000);
		if (secret_token_get(token, NULL, &first, err, sizeof(err)) < 0)
			goto out_err;
		secret_free(&first);
	} else {
		if (o.password_command)
			sdnotify_send("STATUS=running password_command for the password");
		if (secret_get_password(o.password_command, o.url.user, o.url.host, &password, err,
					sizeof(err)) < 0)
			goto out_err;
	}

	mail_init();
	sdnotify_send("STATUS=logging in to %s", o.server);
	struct imap_conn_opts co = {
		.host = o.url.host,
		.port = o.url.port,
		.implicit_tls = o.url.implicit_tls,
		.cafile = o.cafile,
		.timeout_ms = (int)o.timeout_s * 1000,
		.user = o.url.user,
		.password = password,
		.oauth_token = token ? main_oauth_token : NULL,
		.oauth_arg = token,
	};
	if (imap_conn_open(&co, &conn, err, sizeof(err)) < 0)
		goto out_mail;
	pool = imap_pool_new(&co, o.connections, conn);
	conn = NULL;
	secret_free(&password); /* the pool keeps its own copy */
	if (cache_block_open(o.cache_dir, o.cache_size, &cache, err, sizeof(err)) < 0)
		goto out_fs;

	struct fs_config fc = {
		.pool = pool,
		.cache = cache,
		.uid = getuid(),
		.gid = getgid(),
		.list_ttl_s = 10,
		.attr_timeout_s = 60.0,
		.cache_dir = o.cache_dir,
		.parts_visible = o.parts_visible,
		.watch = o.watch,
		.timeout_ms = (int)o.timeout_s * 1000,
	};
	fs = fs_new(&fc);
	if (fs_load(fs, err, sizeof(err)) < 0)
		goto out_fs;

	char fsname[MAIN_ERRLEN];
	snprintf(fsname, sizeof(fsname), "-ofsname=imapfs#%s@%s,subtype=imapfs", o.url.user,
		 o.url.host);
	if (fuse_opt_add_arg(&args, fsname) < 0) {
		snprintf(err, sizeof(err), "out of memory");
		goto out_fs;
	}
	se = fuse_session_new(&args, fs_ops(), sizeof(struct fuse_lowlevel_ops), fs);
	if (!se) {
		snprintf(err, sizeof(err), "%.400s",
			 main_fuse_msg[0] ? main_fuse_msg : "cannot create the FUSE session");
		status = 2; /* libfuse refuses only options it does not know */
		goto out_fs;
	}
	fs_set_session(fs, se);
	if (fuse_set_signal_handlers(se) < 0) {
		snprintf(err, sizeof(err), "cannot install signal handlers");
		goto out_session;
	}
	probe_path = main_probe_path(o.mountpoint);
	if (fuse_session_mount(se, o.mountpoint) < 0) {
		snprintf(err, sizeof(err), "cannot mount on %.200s: %.250s", o.mountpoint,
			 main_fuse_msg[0] ? main_fuse_msg : "see the system log");
		goto out_signals;
	}
	main_fuse_quiet = false;
	/* The mount answers from here on (the kernel queues requests until the
	 * loop runs), so the shell may get its prompt back. */
	if (!o.foreground) {
		if (fuse_daemonize(0) < 0) {
			snprintf(err, sizeof(err), "cannot go to the background");
			goto out_unmount;
		}
		log_use_syslog(true);
	}
	/* After the fork: the cache's scan thread must run in the daemon. */
	cache_block_start(cache);
	if (o.account)
		log_info("mounted account %s (%s) at %s", o.account, o.server, o.mountpoint);
	else
		log_info("mounted %s at %s", o.server, o.mountpoint);
	/* READY=1 once a stat of the mount point has been answered, which
	 * needs the loop below: the probe runs beside it. */
	snprintf(ready, sizeof(ready), "mounted %.200s at %.250s", o.server, o.mountpoint);
	if (!probe_path)
		sdnotify_send("READY=1\nSTATUS=%s", ready);
	else if (sdnotify_ready_when_answering(probe_path, unmounted_dev, ready) < 0)
		log_warnx("cannot start the readiness probe; not reporting ready");
	if (stop_start(se) < 0)
		log_warnx("cannot watch for the stop; a stop may wait for -o timeout");
	status = main_serve(se) == 0 ? 0 : 1;
	stop_begin();
	sdnotify_send("STOPPING=1\nSTATUS=unmounting %s", o.mountpoint);
	log_info("unmounting %s", o.mountpoint);
	err[0] = '\0';

out_unmount:
	fuse_session_unmount(se);
	/* The background threads end within the grace period (stop.h); the
	 * staged messages go after, in the FUSE destroy. */
	fs_stop_workers(fs);
	stop_end();
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
	sdnotify_ready_join();
out_fs:
	fs_free(&fs);
	cache_block_free(&cache);
	imap_pool_free(&pool);
out_mail:
	imap_conn_close(&conn);
	mail_shutdown();
out_err:
	secret_free(&password);
	secret_token_free(&token);
	free(probe_path);
	if (err[0] && status != 0) {
		log_errx("%s", err);
		sdnotify_send("STATUS=%s", err);
	}
out_opts:
	fuse_opt_free_args(&args);
	opts_clear(&o);
	return status;
}

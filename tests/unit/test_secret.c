/* Unit tests of secret: password sources and their order (SPEC §1).  Each
 * test runs in its own process (Check's fork mode) with HOME pointed at a
 * fresh directory, IMAPFS_PASSWORD unset and stdin from /dev/null; the
 * prompt is driven through a pseudo-terminal. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "imapfs/secret.h"

#define HOST "mail.example.org"
#define USER "me"

static char base[PATH_MAX]; /* one per test case, made in the parent */
static char home[PATH_MAX]; /* one per test, inside base */
static char netrc[PATH_MAX + 16];

static void base_setup(void)
{
	snprintf(base, sizeof(base), "%s/imapfs-test-secret-XXXXXX", P_tmpdir);
	if (!mkdtemp(base))
		abort();
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void base_teardown(void)
{
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	int fd;

	ck_assert_int_lt(snprintf(home, sizeof(home), "%.*s/home-XXXXXX", PATH_MAX - 32, base),
			 (int)sizeof(home));
	ck_assert_ptr_nonnull(mkdtemp(home));
	snprintf(netrc, sizeof(netrc), "%s/.netrc", home);
	ck_assert_int_eq(setenv("HOME", home, 1), 0);
	unsetenv("IMAPFS_PASSWORD");
	fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
}

static void write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void write_netrc(const char *text, mode_t mode)
{
	write_file(netrc, text, strlen(text), mode);
}

/* Looks USER/HOST up in a .netrc holding text; expect NULL for a failure
 * with want_rc. */
static void ck_netrc(const char *text, const char *host, const char *user, int want_rc,
		     const char *want_pw)
{
	char *pw = (char *)"untouched";
	int r;

	write_netrc(text, 0600);
	r = secret_netrc_lookup(netrc, host, user, &pw);
	ck_assert_msg(r == want_rc, "rc %d, want %d for:\n%s", r, want_rc, text);
	if (want_pw)
		ck_assert_str_eq(pw, want_pw);
	else
		ck_assert_ptr_null(pw);
	secret_free(&pw);
	ck_assert_ptr_null(pw);
}

static int get(const char *cmd, char **pw_r, char *err, size_t errlen)
{
	return secret_get_password(cmd, USER, HOST, pw_r, err, errlen);
}

/* Runs get() with a command and expects the password want. */
static void ck_command_ok(const char *cmd, const char *want)
{
	char *pw = NULL, err[256] = "";

	ck_assert_msg(get(cmd, &pw, err, sizeof(err)) == 0, "'%s': %s", cmd, err);
	ck_assert_str_eq(pw, want);
	secret_free(&pw);
}

/* Runs get() with a command, expects rc and an error containing want and
 * never the text leak. */
static void ck_command_fails(const char *cmd, int rc, const char *want, const char *leak)
{
	char *pw = NULL, err[256] = "";

	ck_assert_int_eq(get(cmd, &pw, err, sizeof(err)), rc);
	ck_assert_ptr_null(pw);
	ck_assert_msg(strstr(err, want), "'%s': error '%s' lacks '%s'", cmd, err, want);
	ck_assert_ptr_null(strchr(err, '\n'));
	if (leak)
		ck_assert_msg(!strstr(err, leak), "'%s': error '%s' leaks", cmd, err);
}

/* ---- password_command ---- */

START_TEST(command_first_line_is_password)
{
	ck_command_ok("echo s3cret", "s3cret");
	ck_command_ok("printf 'first\\nsecond\\n'", "first");
	ck_command_ok("printf 'crlf\\r\\nx\\r\\n'", "crlf");
	ck_command_ok("printf no-newline", "no-newline");
	ck_command_ok("printf ' spaced out \\n'", " spaced out ");
}
END_TEST

START_TEST(command_output_after_first_line_is_drained)
{
	/* Far more than a pipe holds: the command must not block. */
	ck_command_ok("echo pw; head -c 2000000 /dev/zero", "pw");
}
END_TEST

START_TEST(command_failure_names_exit_status)
{
	ck_command_fails("echo hunter2; exit 3", -EIO, "exit status 3", "hunter2");
	ck_command_fails("false", -EIO, "exit status 1", NULL);
	ck_command_fails("no-such-command-imapfs-test 2>/dev/null", -EIO, "exit status 127", NULL);
}
END_TEST

START_TEST(command_killed_by_signal)
{
	ck_command_fails("echo hunter2; kill -9 $$", -EIO, "signal 9", "hunter2");
}
END_TEST

START_TEST(command_empty_output_is_an_error)
{
	ck_command_fails("true", -EINVAL, "no password", NULL);
	ck_command_fails("echo; echo second", -EINVAL, "no password", "second");
	ck_command_fails("printf '\\r\\n'", -EINVAL, "no password", NULL);
}
END_TEST

START_TEST(command_nul_or_overlong_line_is_an_error)
{
	ck_command_fails("printf 'a\\000b\\n'", -EINVAL, "NUL", NULL);
	ck_command_fails("head -c 9000 /dev/zero | tr '\\0' x; echo", -EINVAL, "longer", NULL);
}
END_TEST

START_TEST(command_gets_default_signal_handling)
{
	sigset_t block;

	/* imapfs ignores SIGPIPE and may block signals; the command must not
	 * inherit that, or "kill -PIPE $$" would be survived. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	ck_command_fails("kill -PIPE $$; echo survived", -EIO, "signal 13", "survived");
	ck_command_fails("kill -TERM $$; echo survived", -EIO, "signal 15", "survived");
}
END_TEST

START_TEST(command_stdin_is_dev_null)
{
	int p[2];

	/* Our stdin has a line waiting; the command must not see it. */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "leaked\n", 7), 7);
	close(p[1]);
	ck_assert_int_eq(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	close(p[0]);
	ck_command_ok("if read x; then echo \"got $x\"; else echo eof; fi", "eof");
}
END_TEST

START_TEST(command_stderr_passes_through)
{
	char path[PATH_MAX + 16], buf[64] = "";
	int fd, saved = dup(STDERR_FILENO);
	ssize_t n;

	snprintf(path, sizeof(path), "%s/stderr", home);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	ck_command_ok("echo 'pinentry says hi' >&2; echo pw", "pw");
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(buf, "pinentry says hi\n");
	close(fd);
}
END_TEST

/* ---- order of the sources ---- */

START_TEST(order_command_beats_env_and_netrc)
{
	setenv("IMAPFS_PASSWORD", "from-env", 1);
	write_netrc("machine " HOST " password from-netrc\n", 0600);
	ck_command_ok("echo from-command", "from-command");
}
END_TEST

START_TEST(order_failing_command_does_not_fall_back)
{
	setenv("IMAPFS_PASSWORD", "from-env", 1);
	write_netrc("machine " HOST " password from-netrc\n", 0600);
	ck_command_fails("exit 2", -EIO, "exit status 2", "from-");
}
END_TEST

START_TEST(order_env_beats_netrc)
{
	char *pw = NULL, err[256];

	setenv("IMAPFS_PASSWORD", "from-env", 1);
	write_netrc("machine " HOST " password from-netrc\n", 0600);
	ck_assert_int_eq(get(NULL, &pw, err, sizeof(err)), 0);
	ck_assert_str_eq(pw, "from-env");
	/* Taken: wiped from the environment. */
	ck_assert_ptr_null(getenv("IMAPFS_PASSWORD"));
	secret_free(&pw);
}
END_TEST

START_TEST(order_empty_env_is_ignored)
{
	char *pw = NULL, err[256];

	setenv("IMAPFS_PASSWORD", "", 1);
	write_netrc("machine " HOST " password from-netrc\n", 0600);
	ck_assert_int_eq(get(NULL, &pw, err, sizeof(err)), 0);
	ck_assert_str_eq(pw, "from-netrc");
	secret_free(&pw);
}
END_TEST

START_TEST(order_netrc_from_home)
{
	char *pw = NULL, err[256];

	write_netrc("machine " HOST " login " USER " password from-netrc\n", 0600);
	ck_assert_int_eq(get(NULL, &pw, err, sizeof(err)), 0);
	ck_assert_str_eq(pw, "from-netrc");
	secret_free(&pw);
}
END_TEST

START_TEST(order_nothing_without_terminal)
{
	char *pw = NULL, err[256] = "";

	/* No command, no env, no .netrc, stdin is /dev/null. */
	ck_assert_int_eq(get(NULL, &pw, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_null(pw);
	ck_assert_ptr_nonnull(strstr(err, USER "@" HOST));
	/* A .netrc without our host changes nothing. */
	write_netrc("machine elsewhere password x\n", 0600);
	ck_assert_int_eq(get(NULL, &pw, err, sizeof(err)), -ENOENT);
}
END_TEST

START_TEST(order_netrc_problems_are_reported)
{
	char *pw = NULL, err[512] = "";

	write_netrc("machine " HOST " password open-secret\n", 0644);
	ck_assert_int_eq(get(NULL, &pw, err, sizeof(err)), -EPERM);
	ck_assert_ptr_nonnull(strstr(err, "chmod 600"));
	ck_assert_ptr_null(strstr(err, "open-secret"));
	ck_assert_ptr_null(pw);

	write_netrc("machine " HOST " password \"unterminated\n", 0600);
	ck_assert_int_eq(get(NULL, &pw, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "malformed"));
	ck_assert_ptr_null(strstr(err, "unterminated"));
}
END_TEST

/* ---- .netrc ---- */

START_TEST(netrc_machine_and_login)
{
	static const char text[] = "machine " HOST " login " USER " password pw-me\n"
				   "machine " HOST " login other password pw-other\n";

	ck_netrc(text, HOST, USER, 0, "pw-me");
	ck_netrc(text, HOST, "other", 0, "pw-other");
	ck_netrc(text, HOST, "third", -ENOENT, NULL);
	ck_netrc(text, "other.example.org", USER, -ENOENT, NULL);
}
END_TEST

START_TEST(netrc_machine_without_login)
{
	ck_netrc("machine " HOST " password any-user\n", HOST, USER, 0, "any-user");
	ck_netrc("machine " HOST " password any-user\n", HOST, "someone", 0, "any-user");
}
END_TEST

START_TEST(netrc_host_is_case_insensitive)
{
	ck_netrc("machine MAIL.Example.ORG password pw\n", HOST, USER, 0, "pw");
	ck_netrc("machine mail.example.org.evil password pw\n", HOST, USER, -ENOENT, NULL);
	ck_netrc("machine mail.example password pw\n", HOST, USER, -ENOENT, NULL);
}
END_TEST

START_TEST(netrc_first_matching_entry_decides)
{
	ck_netrc("machine " HOST " password first\nmachine " HOST " password second\n", HOST, USER,
		 0, "first");
	/* The first match has no password: the prompt's turn, not a later
	 * entry's or the default's. */
	ck_netrc("machine " HOST " login " USER "\nmachine " HOST " password later\n"
		 "default password dflt\n",
		 HOST, USER, -ENOENT, NULL);
}
END_TEST

START_TEST(netrc_default_entry)
{
	static const char text[] =
	    "machine other password a\ndefault login " USER " password dflt\n";

	ck_netrc(text, HOST, USER, 0, "dflt");
	ck_netrc(text, HOST, "you", -ENOENT, NULL);
	ck_netrc(text, "other", USER, 0, "a");
	/* A machine entry wins even after the default. */
	ck_netrc("default password dflt\nmachine " HOST " password exact\n", HOST, USER, 0,
		 "exact");
}
END_TEST

START_TEST(netrc_macdef_bodies_are_skipped)
{
	ck_netrc("macdef init\ncd pub\nmachine " HOST " password from-macro\n\n"
		 "machine " HOST " login " USER " password real\n",
		 HOST, USER, 0, "real");
	ck_netrc("machine x password y macdef m\r\npassword evil\r\n\r\n"
		 "machine " HOST " password real\n",
		 HOST, USER, 0, "real");
	/* A macro may run to the end of the file. */
	ck_netrc("machine " HOST " password real\nmacdef m\nmachine " HOST " password z\n", HOST,
		 USER, 0, "real");
	/* After a macro, values need a new entry. */
	ck_netrc("machine " HOST "\nmacdef m\nx\n\npassword orphan\n", HOST, USER, -EINVAL, NULL);
}
END_TEST

START_TEST(netrc_quoting_and_escapes)
{
	ck_netrc("machine " HOST " password \"with space\"\n", HOST, USER, 0, "with space");
	ck_netrc("machine " HOST " password \"q\\\"uote\\\\d\"\n", HOST, USER, 0, "q\"uote\\d");
	ck_netrc("machine " HOST " password back\\ slash\n", HOST, USER, 0, "back slash");
	/* An empty password is no password. */
	ck_netrc("machine " HOST " password \"\"\n", HOST, USER, -ENOENT, NULL);
	ck_netrc("machine \"" HOST "\" login \"" USER "\" password x\n", HOST, USER, 0, "x");
	ck_netrc("machine " HOST " password a#b,c\n", HOST, USER, 0, "a#b,c");
}
END_TEST

START_TEST(netrc_layout_and_comments)
{
	ck_netrc("machine " HOST " login " USER " password one-line", HOST, USER, 0, "one-line");
	ck_netrc("\n\n  machine\t" HOST "\r\n\tlogin " USER "\r\n\tpassword crlf\r\n", HOST, USER,
		 0, "crlf");
	ck_netrc("# machine " HOST " password commented\nmachine " HOST
		 " password real # trailing words\n",
		 HOST, USER, 0, "real");
	ck_netrc("machine " HOST " password #notacomment\n", HOST, USER, 0, "#notacomment");
}
END_TEST

START_TEST(netrc_no_match_or_no_file)
{
	char *pw = (char *)"untouched";
	char path[PATH_MAX + 16];

	ck_netrc("", HOST, USER, -ENOENT, NULL);
	ck_netrc("machine other password x\n", HOST, USER, -ENOENT, NULL);
	ck_assert_int_eq(unlink(netrc), 0);
	ck_assert_int_eq(secret_netrc_lookup(netrc, HOST, USER, &pw), -ENOENT);
	ck_assert_ptr_null(pw);
	/* Not a regular file: ignored, never blocking (a FIFO has no
	 * writer here). */
	ck_assert_int_eq(mkdir(netrc, 0700), 0);
	ck_assert_int_eq(secret_netrc_lookup(netrc, HOST, USER, &pw), -ENOENT);
	snprintf(path, sizeof(path), "%s/fifo", home);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(secret_netrc_lookup(path, HOST, USER, &pw), -ENOENT);
}
END_TEST

START_TEST(netrc_malformed)
{
	static const char *const bad[] = {
	    "machine",
	    "machine " HOST " password",
	    "machine " HOST " login",
	    "machine " HOST " account",
	    "macdef",
	    "machine " HOST " password \"unterminated\n",
	    "login " USER " password x\n",
	    "password x\n",
	    "machine " HOST " port 993 password x\n",
	    "machine " HOST " passwd x\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_netrc(bad[i], HOST, USER, -EINVAL, NULL);

	char *pw = NULL;
	static const char nul[] = "machine " HOST " password a\0b\n";
	write_file(netrc, nul, sizeof(nul) - 1, 0600);
	ck_assert_int_eq(secret_netrc_lookup(netrc, HOST, USER, &pw), -EINVAL);
	ck_assert_ptr_null(pw);
}
END_TEST

START_TEST(netrc_account_is_accepted)
{
	ck_netrc("machine " HOST " login " USER " account acct password pw\n", HOST, USER, 0, "pw");
}
END_TEST

START_TEST(netrc_must_be_private_when_it_matches)
{
	static const mode_t open_modes[] = {0644, 0640, 0604, 0620, 0602, 0610, 0601};
	char *pw = NULL;

	for (size_t i = 0; i < sizeof(open_modes) / sizeof(open_modes[0]); i++) {
		write_netrc("machine " HOST " password pw\n", open_modes[i]);
		ck_assert_int_eq(secret_netrc_lookup(netrc, HOST, USER, &pw), -EPERM);
		ck_assert_ptr_null(pw);
	}
	/* Readable by others but holding nothing for us: no complaint. */
	write_netrc("machine other password pw\n", 0644);
	ck_assert_int_eq(secret_netrc_lookup(netrc, HOST, USER, &pw), -ENOENT);
	write_netrc("machine " HOST " password pw\n", 0400);
	ck_assert_int_eq(secret_netrc_lookup(netrc, HOST, USER, &pw), 0);
	ck_assert_str_eq(pw, "pw");
	secret_free(&pw);
}
END_TEST

START_TEST(netrc_must_be_owned)
{
	char *pw = NULL;

	if (geteuid() != 0)
		return; /* only root can give a file away */
	write_netrc("machine " HOST " password pw\n", 0600);
	ck_assert_int_eq(chown(netrc, 65534, 65534), 0);
	ck_assert_int_eq(secret_netrc_lookup(netrc, HOST, USER, &pw), -EPERM);
	ck_assert_ptr_null(pw);
}
END_TEST

START_TEST(netrc_too_large)
{
	size_t len = 1024 * 1024 + 1;
	char *big = malloc(len);
	char *pw = NULL;

	memset(big, ' ', len);
	memcpy(big, "machine " HOST " password pw", strlen("machine " HOST " password pw"));
	write_file(netrc, big, len, 0600);
	free(big);
	ck_assert_int_eq(secret_netrc_lookup(netrc, HOST, USER, &pw), -EFBIG);
	ck_assert_ptr_null(pw);
}
END_TEST

START_TEST(free_nulls_pointer)
{
	char *pw = strdup("x");

	secret_free(&pw);
	ck_assert_ptr_null(pw);
	secret_free(&pw);
	secret_free(NULL);
}
END_TEST

/* ---- the prompt, on a pseudo-terminal ---- */

struct prompt_child {
	pid_t pid;
	int master, slave, result;
};

/* Starts a process whose controlling terminal is a new pty and that asks
 * for the password with no other source available. */
static void prompt_start(struct prompt_child *pc)
{
	int p[2];

	ck_assert_int_eq(openpty(&pc->master, &pc->slave, NULL, NULL, NULL), 0);
	ck_assert_int_eq(pipe(p), 0);
	pc->pid = fork();
	ck_assert_int_ge(pc->pid, 0);
	if (pc->pid == 0) {
		char *pw = NULL, err[256] = "";
		int r;

		close(pc->master);
		close(p[0]);
		/* As at imapfs start-up: default dispositions, not Check's
		 * handlers (which kill the test's process group). */
		sigset_t none;

		for (int sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (setsid() < 0 || ioctl(pc->slave, TIOCSCTTY, 0) < 0)
			_exit(100);
		dup2(pc->slave, STDIN_FILENO);
		dup2(pc->slave, STDOUT_FILENO);
		dup2(pc->slave, STDERR_FILENO);
		close(pc->slave);
		r = secret_get_password(NULL, USER, HOST, &pw, err, sizeof(err));
		dprintf(p[1], "%d %s", r, r == 0 ? pw : err);
		secret_free(&pw);
		_exit(0);
	}
	close(p[1]);
	pc->result = p[0];
}

/* Reads from fd until want shows up (true) or 10 s pass; returns what was
 * read in buf. */
static bool read_until(int fd, char *buf, size_t size, const char *want)
{
	size_t len = 0;
	time_t end = time(NULL) + 10;

	buf[0] = '\0';
	while (!strstr(buf, want) && time(NULL) < end && len < size - 1) {
		struct pollfd pfd = {fd, POLLIN, 0};
		ssize_t n;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return strstr(buf, want) != NULL;
}

/* What the terminal has shown so far, waiting only briefly. */
static void drain(int fd, char *buf, size_t size)
{
	size_t len = 0;
	struct pollfd pfd = {fd, POLLIN, 0};

	while (len < size - 1 && poll(&pfd, 1, 200) > 0) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
}

static bool echo_on(int fd)
{
	struct termios t;

	ck_assert_int_eq(tcgetattr(fd, &t), 0);
	return (t.c_lflag & ECHO) != 0;
}

static void prompt_finish(struct prompt_child *pc, char *result, size_t size, int *status_r)
{
	read_until(pc->result, result, size, "\x01never");
	ck_assert_int_eq(waitpid(pc->pid, status_r, 0), pc->pid);
	close(pc->result);
}

START_TEST(prompt_reads_password_without_echo)
{
	struct prompt_child pc;
	char out[512], result[512];
	int status;

	prompt_start(&pc);
	ck_assert(read_until(pc.master, out, sizeof(out), "Password for " USER "@" HOST ": "));
	ck_assert(!echo_on(pc.slave));
	ck_assert_int_eq(write(pc.master, "s3cr3t pw\n", 10), 10);
	prompt_finish(&pc, result, sizeof(result), &status);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_str_eq(result, "0 s3cr3t pw");
	ck_assert(echo_on(pc.slave));
	/* Nothing typed was shown. */
	drain(pc.master, out, sizeof(out));
	ck_assert_ptr_null(strstr(out, "s3cr3t"));
	close(pc.master);
	close(pc.slave);
}
END_TEST

START_TEST(prompt_empty_line_is_refused)
{
	struct prompt_child pc;
	char out[512], result[512];
	int status;

	prompt_start(&pc);
	ck_assert(read_until(pc.master, out, sizeof(out), "Password for "));
	ck_assert_int_eq(write(pc.master, "\n", 1), 1);
	prompt_finish(&pc, result, sizeof(result), &status);
	ck_assert_int_eq(atoi(result), -ECANCELED);
	ck_assert(echo_on(pc.slave));
	close(pc.master);
	close(pc.slave);
}
END_TEST

START_TEST(prompt_interrupt_restores_terminal)
{
	struct prompt_child pc;
	char out[512], result[512];
	int status;

	prompt_start(&pc);
	ck_assert(read_until(pc.master, out, sizeof(out), "Password for "));
	ck_assert(!echo_on(pc.slave));
	/* ^C on the terminal: SIGINT to the prompting process. */
	ck_assert_int_eq(write(pc.master, "par\x03", 4), 4);
	prompt_finish(&pc, result, sizeof(result), &status);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
	ck_assert_str_eq(result, "");
	ck_assert(echo_on(pc.slave));
	close(pc.master);
	close(pc.slave);
}
END_TEST

START_TEST(prompt_terminated_restores_terminal)
{
	struct prompt_child pc;
	char out[512], result[512];
	int status;

	prompt_start(&pc);
	ck_assert(read_until(pc.master, out, sizeof(out), "Password for "));
	ck_assert_int_eq(kill(pc.pid, SIGTERM), 0);
	prompt_finish(&pc, result, sizeof(result), &status);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ck_assert(echo_on(pc.slave));
	close(pc.master);
	close(pc.slave);
}
END_TEST

/* ^Z: the terminal is restored for the shell, and the prompt starts over
 * when the process goes on.  (The test's process group is orphaned, so the
 * kernel does not actually stop it; the restart is what is checked.) */
START_TEST(prompt_restarts_after_suspend)
{
	struct prompt_child pc;
	char out[512], result[512];
	int status;

	prompt_start(&pc);
	ck_assert(read_until(pc.master, out, sizeof(out), "Password for "));
	ck_assert_int_eq(kill(pc.pid, SIGTSTP), 0);
	ck_assert(read_until(pc.master, out, sizeof(out), "Password for "));
	ck_assert(!echo_on(pc.slave));
	ck_assert_int_eq(write(pc.master, "again\n", 6), 6);
	prompt_finish(&pc, result, sizeof(result), &status);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_str_eq(result, "0 again");
	ck_assert(echo_on(pc.slave));
	close(pc.master);
	close(pc.slave);
}
END_TEST

/* ---- oauth_command ---- */

/* A command printing "tok-N" at its N-th run (N counted in a file). */
static char *token_command(const char *extra)
{
	char *cmd;

	ck_assert_int_ge(asprintf(&cmd,
				  "n=$(cat '%s/runs' 2>/dev/null || echo 0); n=$((n + 1)); "
				  "echo $n > '%s/runs'; %s echo \"  tok-$n \"",
				  home, home, extra),
			 0);
	return cmd;
}

static void ck_token(struct secret_token *t, const char *refused, const char *want)
{
	char *tok = NULL, err[256] = "";

	ck_assert_msg(secret_token_get(t, refused, &tok, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(tok, want);
	secret_free(&tok);
}

START_TEST(token_kept_until_refused)
{
	char *cmd = token_command("");
	struct secret_token *t = secret_token_new(cmd, 5000);

	/* Blanks around the token are dropped; the token is kept. */
	ck_token(t, NULL, "tok-1");
	ck_token(t, NULL, "tok-1");
	/* A refusal of the kept token runs the command again, once. */
	ck_token(t, "tok-1", "tok-2");
	ck_token(t, NULL, "tok-2");
	/* A refusal of a token already replaced (another connection got a
	 * fresh one meanwhile) gets the kept one without a run. */
	ck_token(t, "tok-1", "tok-2");
	ck_token(t, "tok-2", "tok-3");
	secret_token_free(&t);
	ck_assert_ptr_null(t);
	free(cmd);
}
END_TEST

START_TEST(token_failure_keeps_the_old_token)
{
	char *cmd = token_command("[ $n = 2 ] && exit 4;");
	struct secret_token *t = secret_token_new(cmd, 5000);
	char *tok = (char *)1, err[256] = "";

	ck_token(t, NULL, "tok-1");
	ck_assert_int_eq(secret_token_get(t, "tok-1", &tok, err, sizeof(err)), -EIO);
	ck_assert_ptr_null(tok);
	ck_assert_ptr_nonnull(strstr(err, "oauth_command failed (exit status 4)"));
	ck_token(t, NULL, "tok-1");
	secret_token_free(&t);
	free(cmd);
}
END_TEST

START_TEST(token_empty_or_blank_is_an_error)
{
	struct secret_token *t = secret_token_new("echo '   '", 5000);
	char *tok = (char *)1, err[256] = "";

	ck_assert_int_eq(secret_token_get(t, NULL, &tok, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(tok);
	ck_assert_ptr_nonnull(strstr(err, "oauth_command printed no token"));
	secret_token_free(&t);
	t = secret_token_new("true", 5000);
	ck_assert_int_eq(secret_token_get(t, NULL, &tok, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "oauth_command printed no token"));
	secret_token_free(&t);
}
END_TEST

START_TEST(token_later_runs_have_a_deadline)
{
	char *cmd = token_command("[ $n = 2 ] && sleep 20;");
	struct secret_token *t = secret_token_new(cmd, 300);
	char *tok = (char *)1, err[256] = "";
	struct timespec a, b;

	/* The first run may take its time (a prompt); later ones not. */
	ck_token(t, NULL, "tok-1");
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(secret_token_get(t, "tok-1", &tok, err, sizeof(err)), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_ptr_null(tok);
	ck_assert_ptr_nonnull(strstr(err, "oauth_command did not finish within 1 s"));
	ck_assert_int_lt((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000, 3000);
	ck_token(t, "tok-1", "tok-3");
	secret_token_free(&t);
	free(cmd);
}
END_TEST

static Suite *secret_suite(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, command_first_line_is_password);
	tcase_add_test(tc, command_output_after_first_line_is_drained);
	tcase_add_test(tc, command_failure_names_exit_status);
	tcase_add_test(tc, command_killed_by_signal);
	tcase_add_test(tc, command_empty_output_is_an_error);
	tcase_add_test(tc, command_nul_or_overlong_line_is_an_error);
	tcase_add_test(tc, command_gets_default_signal_handling);
	tcase_add_test(tc, command_stdin_is_dev_null);
	tcase_add_test(tc, command_stderr_passes_through);
	tcase_add_test(tc, order_command_beats_env_and_netrc);
	tcase_add_test(tc, order_failing_command_does_not_fall_back);
	tcase_add_test(tc, order_env_beats_netrc);
	tcase_add_test(tc, order_empty_env_is_ignored);
	tcase_add_test(tc, order_netrc_from_home);
	tcase_add_test(tc, order_nothing_without_terminal);
	tcase_add_test(tc, order_netrc_problems_are_reported);
	tcase_add_test(tc, netrc_machine_and_login);
	tcase_add_test(tc, netrc_machine_without_login);
	tcase_add_test(tc, netrc_host_is_case_insensitive);
	tcase_add_test(tc, netrc_first_matching_entry_decides);
	tcase_add_test(tc, netrc_default_entry);
	tcase_add_test(tc, netrc_macdef_bodies_are_skipped);
	tcase_add_test(tc, netrc_quoting_and_escapes);
	tcase_add_test(tc, netrc_layout_and_comments);
	tcase_add_test(tc, netrc_no_match_or_no_file);
	tcase_add_test(tc, netrc_malformed);
	tcase_add_test(tc, netrc_account_is_accepted);
	tcase_add_test(tc, netrc_must_be_private_when_it_matches);
	tcase_add_test(tc, netrc_must_be_owned);
	tcase_add_test(tc, netrc_too_large);
	tcase_add_test(tc, free_nulls_pointer);
	tcase_add_test(tc, token_kept_until_refused);
	tcase_add_test(tc, token_failure_keeps_the_old_token);
	tcase_add_test(tc, token_empty_or_blank_is_an_error);
	tcase_add_test(tc, token_later_runs_have_a_deadline);
	tcase_add_test(tc, prompt_reads_password_without_echo);
	tcase_add_test(tc, prompt_empty_line_is_refused);
	tcase_add_test(tc, prompt_interrupt_restores_terminal);
	tcase_add_test(tc, prompt_terminated_restores_terminal);
	tcase_add_test(tc, prompt_restarts_after_suspend);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(secret_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

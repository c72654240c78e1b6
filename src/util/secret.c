/* secret: the password sources of SPEC §1, tried in order, and the OAuth
 * token of oauth_command (SPEC §6).  Every buffer that held a password or
 * a token is wiped before it is freed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "imapfs/secret.h"
#include "imapfs/xdg.h"

extern char **environ;

#define SECRET_MAX 8192		       /* bytes of one password line */
#define SECRET_NETRC_MAX (1024 * 1024) /* bytes of a .netrc */

static void secret_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void secret_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void secret_free(char **pw)
{
	if (!pw || !*pw)
		return;
	explicit_bzero(*pw, strlen(*pw));
	free(*pw);
	*pw = NULL;
}

static void secret_wipe_free(void *p, size_t len)
{
	if (!p)
		return;
	explicit_bzero(p, len);
	free(p);
}

/* ---- password_command, oauth_command ---- */

static int64_t secret_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs cmd (the option called name) and takes the first line it prints.
 * timeout_ms < 0: no deadline; otherwise the command is killed when it
 * has not finished by then. */
static int secret_command(const char *name, const char *cmd, int timeout_ms, char **pw_r, char *err,
			  size_t errlen)
{
	char *line = NULL, scratch[4096];
	size_t len = 0;
	bool eol = false, toolong = false, late = false;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t sigs;
	int fds[2] = {-1, -1}, status, r;
	int64_t deadline = timeout_ms < 0 ? 0 : secret_now_ms() + timeout_ms;
	pid_t pid;
	char *argv[] = {"sh", "-c", (char *)cmd, NULL};

	if (pipe2(fds, O_CLOEXEC) < 0) {
		r = -errno;
		secret_err(err, errlen, "cannot run %s: %s", name, strerror(-r));
		return r;
	}
	/* stdin is /dev/null so that a command cannot eat our terminal input;
	 * stderr is ours, so its complaints reach the user. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	/* An ignored SIGPIPE (the daemon ignores it) or a blocked signal
	 * would be inherited across exec and break ordinary pipelines such as
	 * "pass show x | head -n 1". */
	posix_spawnattr_init(&attr);
	sigfillset(&sigs);
	posix_spawnattr_setsigdefault(&attr, &sigs);
	sigemptyset(&sigs);
	posix_spawnattr_setsigmask(&attr, &sigs);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	r = -posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (r < 0) {
		close(fds[0]);
		secret_err(err, errlen, "cannot run %s with /bin/sh: %s", name, strerror(-r));
		return r;
	}

	line = malloc(SECRET_MAX + 1);
	if (!line)
		abort();
	/* Read to the end even past the first line: a command blocked on a
	 * full pipe would never exit. */
	for (;;) {
		struct pollfd pf = {fds[0], POLLIN, 0};
		int wait_ms = -1;

		if (timeout_ms >= 0) {
			int64_t left = deadline - secret_now_ms();
			if (left <= 0) {
				late = true;
				break;
			}
			wait_ms = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		int pr = poll(&pf, 1, wait_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			continue; /* the deadline, looked at above */
		ssize_t n = read(fds[0], scratch, sizeof(scratch));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n && !eol; i++) {
			if (scratch[i] == '\n')
				eol = true;
			else if (len < SECRET_MAX)
				line[len++] = scratch[i];
			else
				toolong = true;
		}
	}
	explicit_bzero(scratch, sizeof(scratch));
	close(fds[0]);
	if (late)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r = -errno;
			secret_err(err, errlen, "%s: %s", name, strerror(-r));
			goto out;
		}
	}

	if (late) {
		r = -ETIMEDOUT;
		secret_err(err, errlen, "%s did not finish within %d s; killed", name,
			   (timeout_ms + 999) / 1000);
		goto out;
	}
	if (WIFSIGNALED(status)) {
		r = -EIO;
		secret_err(err, errlen, "%s was killed by signal %d (%s)", name, WTERMSIG(status),
			   strsignal(WTERMSIG(status)));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		r = -EIO;
		secret_err(err, errlen, "%s failed (exit status %d)", name,
			   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto out;
	}
	if (toolong) {
		r = -EINVAL;
		secret_err(err, errlen, "%s printed a first line longer than %d bytes", name,
			   SECRET_MAX);
		goto out;
	}
	if (len && line[len - 1] == '\r')
		len--;
	if (!len) {
		r = -EINVAL;
		secret_err(err, errlen, "%s printed no %s (empty first line)", name,
			   strcmp(name, "oauth_command") == 0 ? "token" : "password");
		goto out;
	}
	if (memchr(line, '\0', len)) {
		r = -EINVAL;
		secret_err(err, errlen, "%s printed a NUL byte", name);
		goto out;
	}
	line[len] = '\0';
	*pw_r = line;
	line = NULL;
	r = 0;
out:
	secret_wipe_free(line, SECRET_MAX + 1);
	return r;
}

/* ---- oauth_command: a token kept between logins ---- */

struct secret_token {
	char *command;
	int timeout_ms;
	pthread_mutex_t lock;
	char *token;   /* protected by lock: the last token printed, or NULL */
	unsigned runs; /* protected by lock */
};

struct secret_token *secret_token_new(const char *command, int timeout_ms)
{
	struct secret_token *t = calloc(1, sizeof(*t));

	if (!t)
		abort();
	t->command = strdup(command);
	if (!t->command)
		abort();
	t->timeout_ms = timeout_ms;
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void secret_token_free(struct secret_token **tp)
{
	struct secret_token *t = *tp;

	if (!t)
		return;
	secret_free(&t->token);
	pthread_mutex_destroy(&t->lock);
	free(t->command);
	free(t);
	*tp = NULL;
}

/* Drops blanks around the token: they cannot be part of one (RFC 6750),
 * and a script's stray space should not cost a failed login. */
static void secret_trim(char *s)
{
	size_t n = strlen(s), k = strspn(s, " \t");

	while (n > k && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	memmove(s, s + k, n - k);
	explicit_bzero(s + (n - k), strlen(s + (n - k)));
}

int secret_token_get(struct secret_token *t, const char *refused, char **token_r, char *err,
		     size_t errlen)
{
	int r = 0;

	*token_r = NULL;
	if (err && errlen)
		err[0] = '\0';
	/* Held while the command runs: the connections that were refused
	 * the same token wait for the one run that replaces it. */
	pthread_mutex_lock(&t->lock);
	if (!t->token || (refused && strcmp(refused, t->token) == 0)) {
		char *fresh = NULL;

		/* The first run may prompt (a pinentry unlocking the refresh
		 * token); later ones hold up a file system request. */
		r = secret_command("oauth_command", t->command, t->runs ? t->timeout_ms : -1,
				   &fresh, err, errlen);
		t->runs++;
		if (r == 0) {
			secret_trim(fresh);
			if (!fresh[0]) {
				secret_err(err, errlen, "oauth_command printed no token");
				secret_free(&fresh);
				r = -EINVAL;
			}
		}
		if (r == 0) {
			secret_free(&t->token);
			t->token = fresh;
		}
	}
	if (r == 0) {
		*token_r = strdup(t->token);
		if (!*token_r)
			abort();
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

/* ---- .netrc ---- */

struct netrc_lex {
	const char *p, *end;
	char *tok; /* scratch as large as the file */
};

static bool netrc_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Skips white space, and with comments also '#' to the end of the line. */
static void netrc_skip(struct netrc_lex *lx, bool comments)
{
	for (;;) {
		while (lx->p < lx->end && netrc_space(*lx->p))
			lx->p++;
		if (!comments || lx->p >= lx->end || *lx->p != '#')
			return;
		while (lx->p < lx->end && *lx->p != '\n')
			lx->p++;
	}
}

/* Reads the next token into lx->tok: 1, 0 at the end, -EINVAL for an
 * unterminated quote. */
static int netrc_token(struct netrc_lex *lx, bool comments)
{
	size_t n = 0;

	netrc_skip(lx, comments);
	if (lx->p >= lx->end)
		return 0;
	if (*lx->p == '"') {
		for (lx->p++;; lx->p++) {
			if (lx->p >= lx->end)
				return -EINVAL;
			if (*lx->p == '"')
				break;
			if (*lx->p == '\\' && lx->p + 1 < lx->end)
				lx->p++;
			lx->tok[n++] = *lx->p;
		}
		lx->p++;
	} else {
		for (; lx->p < lx->end && !netrc_space(*lx->p); lx->p++) {
			if (*lx->p == '\\' && lx->p + 1 < lx->end)
				lx->p++;
			lx->tok[n++] = *lx->p;
		}
	}
	lx->tok[n] = '\0';
	return 1;
}

/* A macdef body runs from the next line to the first empty line. */
static void netrc_skip_macro(struct netrc_lex *lx)
{
	while (lx->p < lx->end && *lx->p != '\n')
		lx->p++;
	while (lx->p < lx->end) {
		const char *nl;

		lx->p++; /* the '\n' ending the previous line */
		if (lx->p < lx->end && *lx->p == '\r')
			lx->p++;
		if (lx->p >= lx->end || *lx->p == '\n') {
			if (lx->p < lx->end)
				lx->p++;
			return;
		}
		nl = memchr(lx->p, '\n', (size_t)(lx->end - lx->p));
		lx->p = nl ? nl : lx->end;
	}
}

static bool netrc_host_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? *a + 32 : *a;
		char y = *b >= 'A' && *b <= 'Z' ? *b + 32 : *b;

		if (x != y)
			return false;
	}
	return *a == *b;
}

enum netrc_kind { NETRC_NONE, NETRC_MACHINE, NETRC_DEFAULT };

struct netrc_entry {
	enum netrc_kind kind;
	bool host_match;
	char *login;
	char *password;
};

static void netrc_entry_clear(struct netrc_entry *e)
{
	secret_free(&e->login);
	secret_free(&e->password);
	e->kind = NETRC_NONE;
	e->host_match = false;
}

struct netrc_result {
	bool machine_decided; /* a matching machine entry was seen */
	char *machine_pw;     /* its password, if it had one */
	bool default_seen;
	char *default_pw;
};

/* Ends the current entry: keeps what the lookup needs, drops the rest. */
static void netrc_entry_end(struct netrc_entry *e, const char *user, struct netrc_result *res)
{
	bool login_ok = !e->login || (user && !strcmp(e->login, user));

	if (e->kind == NETRC_MACHINE && e->host_match && login_ok && !res->machine_decided) {
		res->machine_decided = true;
		res->machine_pw = e->password;
		e->password = NULL;
	} else if (e->kind == NETRC_DEFAULT && login_ok && !res->default_seen) {
		res->default_seen = true;
		res->default_pw = e->password;
		e->password = NULL;
	}
	netrc_entry_clear(e);
}

static int netrc_parse(const char *data, size_t len, const char *host, const char *user,
		       char **pw_r)
{
	struct netrc_lex lx = {data, data + len, NULL};
	struct netrc_entry e = {NETRC_NONE, false, NULL, NULL};
	struct netrc_result res = {false, NULL, false, NULL};
	int r;

	if (memchr(data, '\0', len))
		return -EINVAL;
	lx.tok = malloc(len + 1);
	if (!lx.tok)
		abort();
	for (;;) {
		char **field = NULL;

		r = netrc_token(&lx, true);
		if (r <= 0)
			break;
		if (!strcmp(lx.tok, "machine")) {
			netrc_entry_end(&e, user, &res);
			if ((r = netrc_token(&lx, false)) <= 0)
				goto bad;
			e.kind = NETRC_MACHINE;
			e.host_match = netrc_host_eq(lx.tok, host);
		} else if (!strcmp(lx.tok, "default")) {
			netrc_entry_end(&e, user, &res);
			e.kind = NETRC_DEFAULT;
		} else if (!strcmp(lx.tok, "macdef")) {
			netrc_entry_end(&e, user, &res);
			if ((r = netrc_token(&lx, false)) <= 0)
				goto bad;
			netrc_skip_macro(&lx);
		} else if (!strcmp(lx.tok, "login")) {
			field = &e.login;
		} else if (!strcmp(lx.tok, "password")) {
			field = &e.password;
		} else if (!strcmp(lx.tok, "account")) {
			field = NULL;
			if (e.kind == NETRC_NONE || netrc_token(&lx, false) <= 0)
				goto bad;
		} else {
			goto bad;
		}
		if (field) {
			if (e.kind == NETRC_NONE || netrc_token(&lx, false) <= 0)
				goto bad;
			secret_free(field);
			*field = strdup(lx.tok);
			if (!*field)
				abort();
		}
	}
	if (r < 0)
		goto bad;
	netrc_entry_end(&e, user, &res);

	/* An empty password is as good as none. */
	if (res.machine_pw && !res.machine_pw[0])
		secret_free(&res.machine_pw);
	if (res.default_pw && !res.default_pw[0])
		secret_free(&res.default_pw);
	if (res.machine_decided) {
		r = res.machine_pw ? 0 : -ENOENT;
		*pw_r = res.machine_pw;
		res.machine_pw = NULL;
	} else if (res.default_pw) {
		r = 0;
		*pw_r = res.default_pw;
		res.default_pw = NULL;
	} else {
		r = -ENOENT;
	}
	goto out;
bad:
	r = -EINVAL;
out:
	netrc_entry_clear(&e);
	secret_free(&res.machine_pw);
	secret_free(&res.default_pw);
	secret_wipe_free(lx.tok, len + 1);
	return r;
}

int secret_netrc_lookup(const char *path, const char *host, const char *user, char **pw_r)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int fd, r;

	*pw_r = NULL;
	/* O_NONBLOCK: a FIFO planted as .netrc must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -ENOENT;
		goto out;
	}
	if (st.st_size > SECRET_NETRC_MAX) {
		r = -EFBIG;
		goto out;
	}
	data = malloc((size_t)st.st_size + 1);
	if (!data)
		abort();
	while (len < (size_t)st.st_size + 1) {
		ssize_t n = read(fd, data + len, (size_t)st.st_size + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > (size_t)st.st_size) {
		r = -EFBIG; /* grew while we read it */
		goto out;
	}
	r = netrc_parse(data, len, host, user, pw_r);
	if (r == 0 && ((st.st_mode & 077) || st.st_uid != geteuid())) {
		secret_free(pw_r);
		r = -EPERM;
	}
out:
	secret_wipe_free(data, len);
	close(fd);
	return r;
}

static char *secret_netrc_path(void)
{
	char *home;
	char *path;

	if (xdg_home(&home) < 0)
		return NULL;
	if (asprintf(&path, "%s/.netrc", home) < 0)
		abort();
	free(home);
	return path;
}

/* ---- prompt ---- */

static volatile sig_atomic_t secret_signo;

static void secret_on_signal(int sig)
{
	secret_signo = sig;
}

static const int secret_signals[] = {SIGALRM, SIGHUP,  SIGINT,	SIGPIPE, SIGQUIT,
				     SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU};
#define SECRET_NSIG (sizeof(secret_signals) / sizeof(secret_signals[0]))

static void secret_write(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* Reads one line with echo off.  While echo is off, the signals that end or
 * stop a process are caught so that the terminal is restored first; they
 * are then delivered again, and after a stop (^Z, fg) the prompt starts
 * over, as OpenBSD's readpassphrase(3) does. */
static int secret_prompt(const char *user, const char *host, char **pw_r, char *err, size_t errlen)
{
	struct sigaction sa, saved[SECRET_NSIG];
	sigset_t block, oldmask;
	struct termios old, quiet;
	char *line = NULL, *prompt = NULL, c = 0;
	size_t len = 0;
	bool toolong = false, restore = false;
	int fd, in, out, r, sig;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	in = fd >= 0 ? fd : STDIN_FILENO;
	out = fd >= 0 ? fd : STDERR_FILENO;
	if (asprintf(&prompt, "Password for %s@%s: ", user, host) < 0)
		abort();
	line = malloc(SECRET_MAX + 1);
	if (!line)
		abort();

restart:
	len = 0;
	toolong = false;
	r = 0;
	secret_signo = 0;
	/* The signals stay blocked except inside ppoll(), so one cannot slip
	 * in between checking the flag and waiting (and then be missed). */
	sigemptyset(&block);
	for (size_t i = 0; i < SECRET_NSIG; i++)
		sigaddset(&block, secret_signals[i]);
	sigprocmask(SIG_BLOCK, &block, &oldmask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = secret_on_signal;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < SECRET_NSIG; i++)
		sigaction(secret_signals[i], &sa, &saved[i]);

	if (tcgetattr(in, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		restore = tcsetattr(in, TCSAFLUSH, &quiet) == 0;
	}
	secret_write(out, prompt);
	while (!secret_signo) {
		struct pollfd pfd = {in, POLLIN, 0};
		ssize_t n;

		if (ppoll(&pfd, 1, NULL, &oldmask) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		n = read(in, &c, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -ECANCELED;
			break;
		}
		if (c == '\n')
			break;
		if (len < SECRET_MAX)
			line[len++] = c;
		else
			toolong = true;
	}
	explicit_bzero(&c, sizeof(c));
	if (restore) {
		tcsetattr(in, TCSAFLUSH, &old);
		restore = false;
	}
	/* Echo was off, so the user's Enter did not show. */
	secret_write(out, "\n");
	for (size_t i = 0; i < SECRET_NSIG; i++)
		sigaction(secret_signals[i], &saved[i], NULL);
	sig = secret_signo;
	/* Now that the terminal is sane and the old handlers are back, let
	 * what was caught (and anything pending) take its usual course. */
	if (sig)
		kill(getpid(), sig);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (sig) {
		explicit_bzero(line, SECRET_MAX + 1);
		if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
			goto restart;
		r = -EINTR;
		secret_err(err, errlen, "password prompt interrupted");
		goto out;
	}
	if (r < 0 && r != -ECANCELED) {
		secret_err(err, errlen, "cannot read the password from the terminal: %s",
			   strerror(-r));
		goto out;
	}
	if (toolong) {
		r = -EINVAL;
		secret_err(err, errlen, "password longer than %d bytes", SECRET_MAX);
		goto out;
	}
	if (len && line[len - 1] == '\r')
		len--;
	if (!len) {
		r = -ECANCELED;
		secret_err(err, errlen, "no password entered for %s@%s", user, host);
		goto out;
	}
	line[len] = '\0';
	*pw_r = line;
	line = NULL;
	r = 0;
out:
	secret_wipe_free(line, SECRET_MAX + 1);
	free(prompt);
	if (fd >= 0)
		close(fd);
	return r;
}

/* ---- the order of SPEC §1 ---- */

int secret_get_password(const char *password_command, const char *user, const char *host,
			char **pw_r, char *err, size_t errlen)
{
	const char *env;
	char *path;
	int r;

	*pw_r = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (password_command)
		return secret_command("password_command", password_command, -1, pw_r, err, errlen);

	env = getenv("IMAPFS_PASSWORD");
	if (env && env[0]) {
		*pw_r = strdup(env);
		if (!*pw_r)
			abort();
		/* The variable's bytes are the process's own (for the initial
		 * environment, what /proc/PID/environ shows): wipe them, and
		 * remove the variable so that no child (fusermount3) gets it. */
		explicit_bzero((char *)env, strlen(env));
		unsetenv("IMAPFS_PASSWORD");
		return 0;
	}

	path = secret_netrc_path();
	if (path) {
		r = secret_netrc_lookup(path, host, user, pw_r);
		switch (r) {
		case 0:
		case -ENOENT:
			break;
		case -EPERM:
			secret_err(err, errlen,
				   "%s holds the password for %s but other users may access it; "
				   "run 'chmod 600 %s' (and make sure you own it)",
				   path, host, path);
			break;
		case -EINVAL:
			secret_err(err, errlen, "%s is malformed; see netrc(5)", path);
			break;
		case -EFBIG:
			secret_err(err, errlen, "%s is larger than 1 MiB", path);
			break;
		default:
			secret_err(err, errlen, "cannot read %s: %s", path, strerror(-r));
			break;
		}
		free(path);
		if (r != -ENOENT)
			return r;
	}

	if (isatty(STDIN_FILENO))
		return secret_prompt(user, host, pw_r, err, errlen);
	secret_err(err, errlen,
		   "no password for %s@%s: use -o password_command=CMD, IMAPFS_PASSWORD, "
		   "~/.netrc or run from a terminal",
		   user, host);
	return -ENOENT;
}

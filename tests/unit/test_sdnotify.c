/* Unit tests of sdnotify: the datagrams of sd_notify(3) against sockets
 * this test listens on (a path and an abstract name), the environment
 * taken away from children, and the readiness probe's stat() rule. */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "imapfs/sdnotify.h"

/* Binds a datagram socket at name ("@x": abstract); returns its fd. */
static int listen_at(const char *name)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memcpy(a.sun_path, name, len);
	if (name[0] == '@')
		a.sun_path[0] = '\0';
	else
		unlink(name);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)),
			 0);
	return fd;
}

/* The next datagram within timeout_ms, NUL-terminated; "" when none. */
static const char *next_msg(int fd, int timeout_ms)
{
	static char buf[2048];
	struct pollfd p = {fd, POLLIN, 0};
	ssize_t n;

	buf[0] = '\0';
	if (poll(&p, 1, timeout_ms) != 1)
		return buf;
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static char sock_path[64];

static void setup(void)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/imapfs-sdnotify-%d", (int)getpid());
}

static void teardown(void)
{
	unlink(sock_path);
	unsetenv("NOTIFY_SOCKET");
}

START_TEST(test_path_socket_gets_each_message)
{
	int fd = listen_at(sock_path);

	setenv("NOTIFY_SOCKET", sock_path, 1);
	ck_assert(sdnotify_init());
	ck_assert_int_eq(sdnotify_send("STATUS=logging in to %s", "imaps://me@host"), 0);
	ck_assert_int_eq(sdnotify_send("STOPPING=1"), 0);
	ck_assert_str_eq(next_msg(fd, 1000), "STATUS=logging in to imaps://me@host");
	ck_assert_str_eq(next_msg(fd, 1000), "STOPPING=1");
	close(fd);
}
END_TEST

START_TEST(test_abstract_socket)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "@imapfs-sdnotify-test-%d", (int)getpid());
	fd = listen_at(name);
	setenv("NOTIFY_SOCKET", name, 1);
	ck_assert(sdnotify_init());
	ck_assert_int_eq(sdnotify_send("READY=1"), 0);
	ck_assert_str_eq(next_msg(fd, 1000), "READY=1");
	close(fd);
}
END_TEST

/* password_command and fusermount3 must not inherit the socket. */
START_TEST(test_init_takes_the_variable_away)
{
	setenv("NOTIFY_SOCKET", sock_path, 1);
	ck_assert(sdnotify_init());
	ck_assert_ptr_null(getenv("NOTIFY_SOCKET"));
}
END_TEST

START_TEST(test_without_socket_nothing_is_sent)
{
	unsetenv("NOTIFY_SOCKET");
	ck_assert(!sdnotify_init());
	ck_assert_int_eq(sdnotify_send("READY=1"), 0);
	ck_assert_int_eq(sdnotify_ready_when_answering("/", 0, "x"), 0);
	sdnotify_ready_join();
}
END_TEST

START_TEST(test_bad_addresses_are_ignored)
{
	const char *bad[] = {"relative/path", "", "@", "vsock:2:1234"};
	char longpath[200];

	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("NOTIFY_SOCKET", bad[i], 1);
		ck_assert_msg(!sdnotify_init(), "%s", bad[i]);
		ck_assert_ptr_null(getenv("NOTIFY_SOCKET"));
	}
	setenv("NOTIFY_SOCKET", longpath, 1);
	ck_assert(!sdnotify_init());
}
END_TEST

START_TEST(test_send_to_a_missing_socket_fails_quietly)
{
	setenv("NOTIFY_SOCKET", sock_path, 1);
	unlink(sock_path);
	ck_assert(sdnotify_init());
	ck_assert_int_eq(sdnotify_send("READY=1"), -ENOENT);
}
END_TEST

/* The probe sends READY=1 when the stat()ed directory is on another device
 * than the one given (a mount on top of it), and nothing when it is on the
 * same one (the mount is gone) or cannot be stat()ed. */
START_TEST(test_probe_needs_another_device)
{
	struct stat st;
	int fd = listen_at(sock_path);

	ck_assert_int_eq(stat("/tmp", &st), 0);
	setenv("NOTIFY_SOCKET", sock_path, 1);
	ck_assert(sdnotify_init());

	ck_assert_int_eq(sdnotify_ready_when_answering("/tmp", st.st_dev, "mounted x"), 0);
	sdnotify_ready_join();
	ck_assert_str_eq(next_msg(fd, 200), "");

	ck_assert_int_eq(sdnotify_ready_when_answering("/nonexistent/dir", st.st_dev + 1, "x"), 0);
	sdnotify_ready_join();
	ck_assert_str_eq(next_msg(fd, 200), "");

	ck_assert_int_eq(sdnotify_ready_when_answering("/tmp", st.st_dev + 1, "mounted y"), 0);
	sdnotify_ready_join();
	ck_assert_str_eq(next_msg(fd, 1000), "READY=1\nSTATUS=mounted y");
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sdnotify");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_path_socket_gets_each_message);
	tcase_add_test(tc, test_abstract_socket);
	tcase_add_test(tc, test_init_takes_the_variable_away);
	tcase_add_test(tc, test_without_socket_nothing_is_sent);
	tcase_add_test(tc, test_bad_addresses_are_ignored);
	tcase_add_test(tc, test_send_to_a_missing_socket_fails_quietly);
	tcase_add_test(tc, test_probe_needs_another_device);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

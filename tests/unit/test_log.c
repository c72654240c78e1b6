/* Unit tests of log: debug category names, which lines a category set
 * lets through, and the two formats of stderr (plain, and the journal's
 * "<N>" priority prefixes when $JOURNAL_STREAM names stderr). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imapfs/log.h"

START_TEST(test_cats_parse)
{
	unsigned c = 0;

	ck_assert_int_eq(log_cats_parse("net", &c), 0);
	ck_assert_uint_eq(c, LOG_NET);
	ck_assert_int_eq(log_cats_parse("cache,fs", &c), 0);
	ck_assert_uint_eq(c, LOG_CACHE | LOG_FS);
	ck_assert_int_eq(log_cats_parse("all", &c), 0);
	ck_assert_uint_eq(c, LOG_CATS_ALL);
	ck_assert_int_eq(log_cats_parse("fs,all,fs", &c), 0);
	ck_assert_uint_eq(c, LOG_CATS_ALL);
}
END_TEST

START_TEST(test_cats_parse_refuses)
{
	const char *bad[] = {"", "foo", "net,", ",net", "net,,fs", "NET", "net cache", "cach"};
	unsigned c = 12345;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(log_cats_parse(bad[i], &c) == -EINVAL, "'%s' accepted", bad[i]);
		ck_assert_uint_eq(c, 12345);
	}
	ck_assert_str_eq(log_cats_names, "net, cache, fs, all");
}
END_TEST

static char path[64];
static int saved_stderr = -1;

/* stderr into a fresh file (unbuffered, as stderr is). */
static void capture(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/imapfs-log-test-%d", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Restores stderr; returns what was written (static buffer). */
static const char *captured(void)
{
	static char buf[4096];
	ssize_t n;
	int fd;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return buf;
}

static void set_journal_stream(int fd, int ino_delta)
{
	struct stat st;
	char v[64];

	ck_assert_int_eq(fstat(fd, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + (unsigned long long)ino_delta);
	setenv("JOURNAL_STREAM", v, 1);
}

START_TEST(test_plain_stderr_and_categories)
{
	unsetenv("JOURNAL_STREAM");
	capture();
	log_init("imapfs", LOG_CACHE);
	log_warnx("warned %d", 1);
	log_debug(LOG_CACHE, "cache line");
	log_debug(LOG_NET, "net line");
	log_debug(LOG_FS, "fs line");
	log_trace(1, 'C', "a1 NOOP", 7);
	log_errx("failed");
	ck_assert_str_eq(captured(), "imapfs: warned 1\nimapfs: cache line\nimapfs: failed\n");
}
END_TEST

START_TEST(test_net_category_is_the_trace)
{
	unsetenv("JOURNAL_STREAM");
	capture();
	log_init("imapfs", LOG_NET);
	log_trace(3, 'S', "* OK hi\r\n", 9);
	log_debug(LOG_CACHE, "cache line");
	ck_assert_str_eq(captured(), "imapfs: [3] S: * OK hi\\r\\n\n");
}
END_TEST

START_TEST(test_journal_gets_priorities)
{
	capture();
	set_journal_stream(STDERR_FILENO, 0);
	log_init("imapfs", LOG_FS);
	log_errx("e");
	log_warnx("w");
	log_info("i");
	log_debug(LOG_FS, "d");
	unsetenv("JOURNAL_STREAM");
	ck_assert_str_eq(captured(), "<3>e\n<4>w\n<6>i\n<7>d\n");
}
END_TEST

/* Inherited by a process whose stderr goes elsewhere: plain lines. */
START_TEST(test_journal_stream_of_another_file_is_ignored)
{
	capture();
	set_journal_stream(STDERR_FILENO, 1);
	log_init("imapfs", 0);
	log_warnx("w");
	setenv("JOURNAL_STREAM", "garbage", 1);
	log_init("imapfs", 0);
	log_warnx("x");
	unsetenv("JOURNAL_STREAM");
	ck_assert_str_eq(captured(), "imapfs: w\nimapfs: x\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_cats_parse);
	tcase_add_test(tc, test_cats_parse_refuses);
	tcase_add_test(tc, test_plain_stderr_and_categories);
	tcase_add_test(tc, test_net_category_is_the_trace);
	tcase_add_test(tc, test_journal_gets_priorities);
	tcase_add_test(tc, test_journal_stream_of_another_file_is_ignored);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

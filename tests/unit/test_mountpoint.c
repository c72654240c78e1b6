/* Unit tests of mountpoint: mountinfo look-ups (escapes, stacked mounts,
 * malformed lines) and what clearing a dead mount leaves alone. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imapfs/mountpoint.h"

static char table[64];

static void write_table(const char *text)
{
	FILE *f;

	snprintf(table, sizeof(table), "/tmp/imapfs-mountinfo-%d", (int)getpid());
	f = fopen(table, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void teardown(void)
{
	unlink(table);
}

static const char sample[] =
    "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "40 22 0:35 / /home/me/My\\040Mail rw,nosuid,nodev,relatime shared:2 master:1 - "
    "fuse.imapfs imapfs#me@mail.example.org rw,user_id=1000,group_id=1000\n"
    "41 22 0:36 / /mnt rw - tmpfs tmpfs rw\n"
    "42 41 0:37 / /mnt rw - fuse.sshfs me@host: rw\n"
    "43 22 0:38 / /back\\134slash rw - fuse.imapfs x rw\n";

START_TEST(test_fstype_with_escapes)
{
	char *t = NULL;

	write_table(sample);
	ck_assert_int_eq(mountpoint_fstype(table, "/home/me/My Mail", &t), 0);
	ck_assert_str_eq(t, "fuse.imapfs");
	free(t);
	ck_assert_int_eq(mountpoint_fstype(table, "/back\\slash", &t), 0);
	ck_assert_str_eq(t, "fuse.imapfs");
	free(t);
	ck_assert_int_eq(mountpoint_fstype(table, "/", &t), 0);
	ck_assert_str_eq(t, "ext4");
	free(t);
}
END_TEST

START_TEST(test_the_mount_on_top_wins)
{
	char *t = NULL;

	write_table(sample);
	ck_assert_int_eq(mountpoint_fstype(table, "/mnt", &t), 0);
	ck_assert_str_eq(t, "fuse.sshfs");
	free(t);
}
END_TEST

START_TEST(test_not_mounted)
{
	char *t = (char *)"untouched";

	write_table(sample);
	ck_assert_int_eq(mountpoint_fstype(table, "/home/me/My\\040Mail", &t), -ENOENT);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(mountpoint_fstype(table, "/home/me", &t), -ENOENT);
	ck_assert_int_eq(mountpoint_fstype("/nonexistent/mountinfo", "/", &t), -ENOENT);
}
END_TEST

START_TEST(test_malformed_line)
{
	char *t = NULL;

	write_table("22 1 254:1 / / rw,relatime shared:1 ext4 /dev/vda1 rw\n");
	ck_assert_int_eq(mountpoint_fstype(table, "/", &t), -EINVAL);
	write_table("22 1 254:1 /\n");
	ck_assert_int_eq(mountpoint_fstype(table, "/", &t), -EINVAL);
	ck_assert_ptr_null(t);
}
END_TEST

/* The real table of this process has a root. */
START_TEST(test_proc_self_mountinfo)
{
	char *t = NULL;

	ck_assert_int_eq(mountpoint_fstype("/proc/self/mountinfo", "/", &t), 0);
	ck_assert(t[0] != '\0');
	free(t);
}
END_TEST

/* Only a mount that answers ENOTCONN is touched. */
START_TEST(test_clear_dead_leaves_live_paths_alone)
{
	ck_assert_int_eq(mountpoint_clear_dead("/", "fuse.imapfs"), -ENOENT);
	ck_assert_int_eq(mountpoint_clear_dead("/tmp", "fuse.imapfs"), -ENOENT);
	ck_assert_int_eq(mountpoint_clear_dead("/nonexistent/dir", "fuse.imapfs"), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mountpoint");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_fstype_with_escapes);
	tcase_add_test(tc, test_the_mount_on_top_wins);
	tcase_add_test(tc, test_not_mounted);
	tcase_add_test(tc, test_malformed_line);
	tcase_add_test(tc, test_proc_self_mountinfo);
	tcase_add_test(tc, test_clear_dead_leaves_live_paths_alone);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

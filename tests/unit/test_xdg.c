/* Unit tests of xdg: which home directory and base directories are used. */
#include <check.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imapfs/xdg.h"

static const char *passwd_home(void)
{
	struct passwd *pw = getpwuid(getuid());

	return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

static char *home_of(void)
{
	char *h = NULL;
	int ret = xdg_home(&h);

	return ret == 0 ? h : NULL;
}

START_TEST(test_home_from_env)
{
	char *h;

	/* A HOME that does not exist (yet) is still taken. */
	setenv("HOME", "/nonexistent/home/u", 1);
	h = home_of();
	ck_assert_str_eq(h, "/nonexistent/home/u");
	free(h);
}
END_TEST

START_TEST(test_home_unset_or_relative_uses_passwd)
{
	const char *want = passwd_home();
	char *h;

	if (!want)
		return; /* no passwd home to compare with */
	unsetenv("HOME");
	h = home_of();
	ck_assert_str_eq(h, want);
	free(h);
	setenv("HOME", "relative/dir", 1);
	h = home_of();
	ck_assert_str_eq(h, want);
	free(h);
}
END_TEST

/* mount.fuse3 sets HOME=/root for a user's fstab mount: another user's
 * home directory is never taken. */
START_TEST(test_home_of_another_user_is_ignored)
{
	char dir[] = "/tmp/imapfs-test-xdg-XXXXXX";
	const char *want = passwd_home();
	char *h;

	if (!want)
		return;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	if (getuid() == 0) {
		ck_assert_int_eq(chown(dir, 65534, 65534), 0);
		setenv("HOME", dir, 1);
	} else {
		setenv("HOME", "/", 1); /* root's */
	}
	h = home_of();
	ck_assert_str_eq(h, want);
	free(h);
	rmdir(dir);
}
END_TEST

START_TEST(test_base_dir)
{
	char *d;

	setenv("HOME", "/nonexistent/u", 1);
	setenv("XDG_CONFIG_HOME", "/etc/xdg-u", 1);
	ck_assert_int_eq(xdg_base_dir("XDG_CONFIG_HOME", ".config", &d), 0);
	ck_assert_str_eq(d, "/etc/xdg-u");
	free(d);
	/* Relative: ignored, as the XDG Base Directory spec says. */
	setenv("XDG_CONFIG_HOME", "cfg", 1);
	ck_assert_int_eq(xdg_base_dir("XDG_CONFIG_HOME", ".config", &d), 0);
	ck_assert_str_eq(d, "/nonexistent/u/.config");
	free(d);
	unsetenv("XDG_CONFIG_HOME");
	ck_assert_int_eq(xdg_base_dir("XDG_CONFIG_HOME", ".config", &d), 0);
	ck_assert_str_eq(d, "/nonexistent/u/.config");
	free(d);
}
END_TEST

START_TEST(test_expand_tilde)
{
	char *p;

	setenv("HOME", "/nonexistent/u", 1);
	ck_assert_int_eq(xdg_expand_tilde("~/Mail/work", &p), 0);
	ck_assert_str_eq(p, "/nonexistent/u/Mail/work");
	free(p);
	ck_assert_int_eq(xdg_expand_tilde("~", &p), 0);
	ck_assert_str_eq(p, "/nonexistent/u");
	free(p);
	ck_assert_int_eq(xdg_expand_tilde("~/", &p), 0);
	ck_assert_str_eq(p, "/nonexistent/u");
	free(p);
	/* ~user is not expanded; nor is a ~ anywhere else. */
	ck_assert_int_eq(xdg_expand_tilde("~bob/Mail", &p), 0);
	ck_assert_str_eq(p, "~bob/Mail");
	free(p);
	ck_assert_int_eq(xdg_expand_tilde("/srv/~/x", &p), 0);
	ck_assert_str_eq(p, "/srv/~/x");
	free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xdg");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_home_from_env);
	tcase_add_test(tc, test_home_unset_or_relative_uses_passwd);
	tcase_add_test(tc, test_home_of_another_user_is_ignored);
	tcase_add_test(tc, test_base_dir);
	tcase_add_test(tc, test_expand_tilde);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

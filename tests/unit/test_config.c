/* Unit tests of config: reading the accounts file (SPEC §6), and the line
 * numbers GKeyFile does not give. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imapfs/config.h"

static char path[] = "/tmp/imapfs-test-config-XXXXXX";

static void write_config(const char *text, size_t len)
{
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void remove_config(void)
{
	unlink(path);
	strcpy(path, "/tmp/imapfs-test-config-XXXXXX");
}

static const struct config_entry *entry(const struct config_account *a, const char *key)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->entries[i].key, key) == 0)
			return &a->entries[i];
	return NULL;
}

static const char good[] = "# my accounts\n"
			   "\n"
			   "[home]\n"
			   "server = imaps://me@home.example\n"
			   "[work]\n"
			   "server = imaps://me%40example.org@mail.example.org\n"
			   "  mountpoint=~/Mail/work\r\n"
			   "password_command = pass show mail/work\n"
			   "connections = 2\n"
			   "connections\t= 6\n"
			   "cafile = /etc/a\\sb.pem\n";

START_TEST(test_reads_one_account_with_lines)
{
	struct config_account a;
	char err[256] = "";
	const struct config_entry *e;

	write_config(good, strlen(good));
	ck_assert_int_eq(config_read(path, "work", &a, err, sizeof(err)), 0);
	ck_assert_uint_eq(a.line, 5);
	ck_assert_uint_eq(a.n, 5);
	e = entry(&a, "server");
	ck_assert_str_eq(e->value, "imaps://me%40example.org@mail.example.org");
	ck_assert_uint_eq(e->line, 6);
	e = entry(&a, "mountpoint");
	ck_assert_str_eq(e->value, "~/Mail/work");
	ck_assert_uint_eq(e->line, 7);
	e = entry(&a, "password_command");
	ck_assert_str_eq(e->value, "pass show mail/work");
	/* A key given twice: the last one counts, at its line. */
	e = entry(&a, "connections");
	ck_assert_str_eq(e->value, "6");
	ck_assert_uint_eq(e->line, 10);
	/* GKeyFile's escapes. */
	ck_assert_str_eq(entry(&a, "cafile")->value, "/etc/a b.pem");
	/* In the order of the file. */
	for (size_t i = 1; i < a.n; i++)
		ck_assert_uint_lt(a.entries[i - 1].line, a.entries[i].line);
	config_account_clear(&a);
	remove_config();
}
END_TEST

START_TEST(test_unknown_account_lists_accounts)
{
	struct config_account a;
	char err[256] = "";

	write_config(good, strlen(good));
	ck_assert_int_eq(config_read(path, "play", &a, err, sizeof(err)), -ESRCH);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "'play'"));
	ck_assert_ptr_nonnull(strstr(err, "home, work"));
	config_account_clear(&a);
	remove_config();
	write_config("# nothing yet\n", 14);
	ck_assert_int_eq(config_read(path, "play", &a, err, sizeof(err)), -ESRCH);
	ck_assert_ptr_nonnull(strstr(err, "defines none"));
	config_account_clear(&a);
	remove_config();
}
END_TEST

/* Each malformed file and the line its message must name. */
static const struct {
	const char *text;
	unsigned line;
} malformed[] = {
	{"[a]\nserver = x\nfoo bar\n", 3},
	{"server = x\n[a]\n", 1},
	{"# c\n\n[a\nx=1\n", 3},
	{"[a]\nx=1\n[]\n", 3},
	{"[a]\nx=1\n[a]b\n", 3},
	{"[a]\n = 5\n", 2},
	{"[a]\nx[=1\n", 2},
};

START_TEST(test_malformed_file_names_the_line)
{
	struct config_account a;
	char err[256] = "";
	char want[128];

	write_config(malformed[_i].text, strlen(malformed[_i].text));
	ck_assert_int_eq(config_read(path, "a", &a, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:%u: ", path, malformed[_i].line);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "case %d: '%s' does not start '%s'",
		      _i, err, want);
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_uint_eq(config_bad_line(malformed[_i].text), malformed[_i].line);
	config_account_clear(&a);
	remove_config();
}
END_TEST

START_TEST(test_bad_value_names_the_line)
{
	static const char text[] = "[a]\nserver = imaps://u@h\ncafile = \xff\xfe\n";
	static const char escape[] = "[a]\nserver = imaps://u@h\n\ncafile = a\\qb\n";
	struct config_account a;
	char err[256] = "";
	char want[128];

	write_config(text, strlen(text));
	ck_assert_int_eq(config_read(path, "a", &a, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: ", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "'%s'", err);
	config_account_clear(&a);
	remove_config();
	write_config(escape, strlen(escape));
	ck_assert_int_eq(config_read(path, "a", &a, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:4: ", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "'%s'", err);
	config_account_clear(&a);
	remove_config();
}
END_TEST

START_TEST(test_nul_byte_and_missing_file)
{
	static const char text[] = "[a]\nserver = x\0y\n";
	struct config_account a;
	char err[256] = "";

	write_config(text, sizeof(text) - 1);
	ck_assert_int_eq(config_read(path, "a", &a, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
	config_account_clear(&a);
	remove_config();
	ck_assert_int_eq(config_read("/nonexistent/imapfs/config", "a", &a, err, sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/imapfs/config"));
	config_account_clear(&a);
}
END_TEST

START_TEST(test_key_line)
{
	static const char text[] = "[a]\n"	 /* 1 */
				   "x = 1\n"	 /* 2 */
				   "[b]\n"	 /* 3 */
				   "x = 2\n"	 /* 4 */
				   "  # x = 3\n" /* 5 */
				   "[a]\n"	 /* 6 */
				   "  x\t= 4\n"	 /* 7 */
				   "xx = 5\n"	 /* 8 */
				   "[ a ]\n"	 /* 9 */
				   "x = 6\n";	 /* 10 */

	ck_assert_uint_eq(config_key_line(text, "a", "x"), 7);
	ck_assert_uint_eq(config_key_line(text, "b", "x"), 4);
	ck_assert_uint_eq(config_key_line(text, "a", NULL), 6);
	ck_assert_uint_eq(config_key_line(text, "a", "xx"), 8);
	ck_assert_uint_eq(config_key_line(text, " a ", "x"), 10);
	ck_assert_uint_eq(config_key_line(text, "a", "y"), 0);
	ck_assert_uint_eq(config_key_line(text, "c", NULL), 0);
	ck_assert_uint_eq(config_bad_line(text), 0);
}
END_TEST

START_TEST(test_path)
{
	char *p;

	setenv("HOME", "/nonexistent/u", 1);
	unsetenv("XDG_CONFIG_HOME");
	ck_assert_int_eq(config_path(&p), 0);
	ck_assert_str_eq(p, "/nonexistent/u/.config/imapfs/config");
	free(p);
	setenv("XDG_CONFIG_HOME", "/nonexistent/cfg", 1);
	ck_assert_int_eq(config_path(&p), 0);
	ck_assert_str_eq(p, "/nonexistent/cfg/imapfs/config");
	free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_reads_one_account_with_lines);
	tcase_add_test(tc, test_unknown_account_lists_accounts);
	tcase_add_loop_test(tc, test_malformed_file_names_the_line, 0,
			    sizeof(malformed) / sizeof(malformed[0]));
	tcase_add_test(tc, test_bad_value_names_the_line);
	tcase_add_test(tc, test_nul_byte_and_missing_file);
	tcase_add_test(tc, test_key_line);
	tcase_add_test(tc, test_path);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

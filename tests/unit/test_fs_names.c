/* Unit tests of the fs name rules: which names are probes answered
 * locally, and how raw mailbox names become safe path components. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/fs.h"

#include "fs_names.h"

START_TEST(test_probe_names_of_spec_are_probes)
{
	static const char *const probes[] = {
	    ".Trash",	   ".Trash-1000", ".Trash-0",  ".xdg-volume-info",
	    "autorun.inf", "AUTORUN.INF", ".hidden",   ".directory",
	    "desktop.ini", "Desktop.ini", ".git",      ".svn",
	    ".hg",	   ".bzr",	  ".DS_Store", "Thumbs.db",
	    "thumbs.db",
	};

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		ck_assert_msg(fs_is_probe_name(probes[i]), "%s should be a probe", probes[i]);
}
END_TEST

START_TEST(test_plausible_mailbox_names_are_not_probes)
{
	static const char *const names[] = {
	    "INBOX", "Trash",	"Deleted Items", ".Trashcan", "Trash-2020", "git",
	    ".gitx", "HEAD",	"objects",	 "refs",      "._foo",	    ".hiddenstuff",
	    "Sent",  "Archive", ".Trash ",	 "x.git",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg(!fs_is_probe_name(names[i]), "%s must not be hidden", names[i]);
}
END_TEST

START_TEST(test_component_rules)
{
	char longest[FS_NAME_MAX + 2];

	ck_assert(fs_names_component_ok("INBOX"));
	ck_assert(fs_names_component_ok("Entwürfe"));
	ck_assert(fs_names_component_ok("a b"));
	ck_assert(fs_names_component_ok("..."));
	ck_assert(fs_names_component_ok(".x"));
	ck_assert(!fs_names_component_ok(""));
	ck_assert(!fs_names_component_ok("."));
	ck_assert(!fs_names_component_ok(".."));
	ck_assert(!fs_names_component_ok("a/b"));
	ck_assert(!fs_names_component_ok("a\tb"));
	ck_assert(!fs_names_component_ok("a\nb"));
	ck_assert(!fs_names_component_ok("a\x1b[31m"));
	ck_assert(!fs_names_component_ok("a\x7f"));
	ck_assert(!fs_names_component_ok("a\xc2\x85")); /* U+0085 NEL */
	ck_assert(!fs_names_component_ok("a\xc2\x9f")); /* U+009F */
	ck_assert(fs_names_component_ok("a\xc2\xa0"));	/* U+00A0 is no control */
	memset(longest, 'x', FS_NAME_MAX);
	longest[FS_NAME_MAX] = '\0';
	ck_assert(fs_names_component_ok(longest));
	longest[FS_NAME_MAX] = 'x';
	longest[FS_NAME_MAX + 1] = '\0';
	ck_assert(!fs_names_component_ok(longest));
}
END_TEST

/* Splits and checks the expected components and raw prefix lengths. */
static void split_ok(const char *raw, char delim, size_t n, const char *const *comps,
		     const size_t *rawlen)
{
	struct fs_names_path p;
	const char *why = "unset";

	ck_assert_msg(fs_names_split(raw, delim, &p, &why) == 0, "%s refused: %s", raw, why);
	ck_assert_uint_eq(p.n, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(p.comp[i], comps[i]);
		ck_assert_uint_eq(p.rawlen[i], rawlen[i]);
	}
	fs_names_path_clear(&p);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_ptr_null(p.comp);
}

static void split_bad(const char *raw, char delim)
{
	struct fs_names_path p;
	const char *why = NULL;

	ck_assert_msg(fs_names_split(raw, delim, &p, &why) == -EINVAL, "%s accepted", raw);
	ck_assert_ptr_nonnull(why);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_ptr_null(p.comp);
}

START_TEST(test_split_plain_hierarchies)
{
	split_ok("INBOX", '/', 1, (const char *[]){"INBOX"}, (size_t[]){5});
	split_ok("Archive/2002/Q1", '/', 3, (const char *[]){"Archive", "2002", "Q1"},
		 (size_t[]){7, 12, 15});
	split_ok("INBOX.Sent", '.', 2, (const char *[]){"INBOX", "Sent"}, (size_t[]){5, 10});
	/* With '.' as delimiter '/' is a character... which a component may
	 * not hold, so such a name is skipped. */
	split_bad("INBOX.a/b", '.');
	/* Flat namespace: the delimiter is NIL and '/' still unsafe. */
	split_ok("a.b", 0, 1, (const char *[]){"a.b"}, (size_t[]){3});
	split_bad("a/b", 0);
}
END_TEST

START_TEST(test_split_decodes_modified_utf7)
{
	/* RFC 3501 §5.1.3's example. */
	split_ok("~peter/mail/&U,BTFw-/&ZeVnLIqe-", '/', 4,
		 (const char *[]){"~peter", "mail", "\xe5\x8f\xb0\xe5\x8c\x97",
				  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"},
		 (size_t[]){6, 11, 20, 31});
	split_ok("Entw&APw-rfe", '/', 1, (const char *[]){"Entw\xc3\xbcrfe"}, (size_t[]){12});
	split_ok("Tom &- Jerry", '/', 1, (const char *[]){"Tom & Jerry"}, (size_t[]){12});
}
END_TEST

START_TEST(test_split_ignores_delimiter_inside_base64)
{
	/* ',' is in the modified base64 alphabet: "&U,BTFw-" must not be
	 * cut at its comma even when ',' is the delimiter. */
	split_ok("a,&U,BTFw-", ',', 2, (const char *[]){"a", "\xe5\x8f\xb0\xe5\x8c\x97"},
		 (size_t[]){1, 10});
}
END_TEST

START_TEST(test_split_refuses_unsafe_names)
{
	split_bad("", '/');
	split_bad("/INBOX", '/');
	split_bad("a//b", '/');
	split_bad("a/", '/');
	split_bad("a/../b", '/');
	split_bad("..", '/');
	split_bad("a/.", '/');
	split_bad("a\tb", '/');
	split_bad("a\x1b", '/');
	split_bad("&AC8-etc", '/');    /* "/" hidden in base64: invalid anyway */
	split_bad("&AAo-", '/');       /* LF encoded in base64 */
	split_bad("&AIU-", '/');       /* U+0085 encoded in base64 */
	split_bad("caf\xc3\xa9", '/'); /* 8-bit bytes are not modified UTF-7 */
	split_bad("a&U,BTFw", '/');    /* unterminated base64 */
	split_bad("&Jjo", '/');
}
END_TEST

static Suite *fs_names_suite(void)
{
	Suite *s = suite_create("fs_names");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_probe_names_of_spec_are_probes);
	tcase_add_test(tc, test_plausible_mailbox_names_are_not_probes);
	tcase_add_test(tc, test_component_rules);
	tcase_add_test(tc, test_split_plain_hierarchies);
	tcase_add_test(tc, test_split_decodes_modified_utf7);
	tcase_add_test(tc, test_split_ignores_delimiter_inside_base64);
	tcase_add_test(tc, test_split_refuses_unsafe_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fs_names_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

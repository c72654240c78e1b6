/* Unit tests of cache_index: a saved index loads back exactly; a file
 * that is truncated, bit-flipped, garbage, of another version, or of
 * another mailbox is refused (-EBADMSG); files are 0600 in a 0700
 * directory; a save replaces the old file whole and leaves no temporary
 * behind. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imapfs/cache_index.h"

static char *dir;

static void setup(void)
{
	dir = g_dir_make_tmp("test_cache_index.XXXXXX", NULL);
	ck_assert_ptr_nonnull(dir);
}

static void rm_rf(const char *path)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", path);

	ck_assert_int_eq(system(cmd), 0);
	g_free(cmd);
}

static void teardown(void)
{
	rm_rf(dir);
	g_free(dir);
}

static const struct cache_index_head head = {
    .uidvalidity = 1234, .uidnext = 20001, .exists = 3, .highestmodseq = 99};

static void save_n(const char *mbox, uint32_t n, const char *tag)
{
	struct cache_index_writer *w = cache_index_writer_new(mbox, &head);

	for (uint32_t i = 1; i <= n; i++) {
		char name[64], flags[32], msgid[64];
		struct cache_index_msg m = {
		    .uid = i * 3,
		    .size_exact = i % 2 == 0,
		    .internaldate = 1600000000 + (time_t)i,
		    .size = 1000 + i,
		    .flags = flags,
		    .name = name,
		    .message_id = i % 3 == 0 ? NULL : msgid,
		};
		snprintf(name, sizeof(name), "2020-09-13 %s subject %u.eml", tag, i);
		snprintf(flags, sizeof(flags), i % 2 ? "\\Seen" : "");
		snprintf(msgid, sizeof(msgid), "<%u@%s>", i, tag);
		ck_assert_int_eq(cache_index_writer_add(w, &m), 0);
	}
	ck_assert_int_eq(cache_index_writer_save(w, dir), 0);
	cache_index_writer_free(&w);
	ck_assert_ptr_null(w);
}

static void save_fails(const char *mbox, uint32_t n, const char *tag)
{
	struct cache_index_writer *w = cache_index_writer_new(mbox, &head);

	for (uint32_t i = 1; i <= n; i++) {
		char name[64];
		struct cache_index_msg m = {.uid = i, .flags = "", .name = name};

		snprintf(name, sizeof(name), "%s %u.eml", tag, i);
		ck_assert_int_eq(cache_index_writer_add(w, &m), 0);
	}
	ck_assert_int_eq(cache_index_writer_save(w, dir), -EFBIG);
	cache_index_writer_free(&w);
}

/* Files in the index directory, temporaries included. */
static unsigned count_files(void)
{
	char *idir = g_strdup_printf("%s/index", dir);
	struct dirent *e;
	unsigned files = 0;
	DIR *d = opendir(idir);

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			files++;
	closedir(d);
	g_free(idir);
	return files;
}

static void check_n(const char *mbox, uint32_t n, const char *tag)
{
	struct cache_index *idx = NULL;
	const struct cache_index_head *h;

	ck_assert_int_eq(cache_index_load(dir, mbox, &idx), 0);
	h = cache_index_head(idx);
	ck_assert_uint_eq(h->uidvalidity, head.uidvalidity);
	ck_assert_uint_eq(h->uidnext, head.uidnext);
	ck_assert_uint_eq(h->exists, head.exists);
	ck_assert_uint_eq(h->highestmodseq, head.highestmodseq);
	ck_assert_uint_eq(cache_index_count(idx), n);
	for (uint32_t i = 1; i <= n; i++) {
		struct cache_index_msg m;
		char name[64], msgid[64];

		cache_index_get(idx, i - 1, &m);
		snprintf(name, sizeof(name), "2020-09-13 %s subject %u.eml", tag, i);
		snprintf(msgid, sizeof(msgid), "<%u@%s>", i, tag);
		ck_assert_uint_eq(m.uid, i * 3);
		ck_assert(m.size_exact == (i % 2 == 0));
		ck_assert_int_eq((long)m.internaldate, 1600000000L + i);
		ck_assert_uint_eq(m.size, 1000 + i);
		ck_assert_str_eq(m.flags, i % 2 ? "\\Seen" : "");
		ck_assert_str_eq(m.name, name);
		if (i % 3 == 0)
			ck_assert_ptr_null(m.message_id);
		else
			ck_assert_str_eq(m.message_id, msgid);
	}
	cache_index_free(&idx);
	ck_assert_ptr_null(idx);
}

static GByteArray *slurp(const char *mbox)
{
	char *path = cache_index_path(dir, mbox);
	gchar *data;
	gsize len;

	ck_assert(g_file_get_contents(path, &data, &len, NULL));
	g_free(path);
	return g_byte_array_new_take((guint8 *)data, len);
}

static void spit(const char *mbox, const guint8 *data, size_t len)
{
	char *path = cache_index_path(dir, mbox);

	ck_assert(g_file_set_contents(path, (const gchar *)data, (gssize)len, NULL));
	g_free(path);
}

static int load_rc(const char *mbox)
{
	struct cache_index *idx = NULL;
	int rc = cache_index_load(dir, mbox, &idx);

	if (rc < 0)
		ck_assert_ptr_null(idx);
	cache_index_free(&idx);
	return rc;
}

START_TEST(test_round_trip_keeps_every_field)
{
	save_n("INBOX", 500, "a");
	check_n("INBOX", 500, "a");
	save_n("Archive/2020", 0, "b");
	check_n("Archive/2020", 0, "b");
	/* The other mailbox's file did not disturb the first. */
	check_n("INBOX", 500, "a");
}
END_TEST

START_TEST(test_missing_index_is_enoent)
{
	ck_assert_int_eq(load_rc("INBOX"), -ENOENT);
	ck_assert_int_eq(cache_index_remove(dir, "INBOX"), 0);
}
END_TEST

START_TEST(test_files_are_private)
{
	struct stat st;
	char *path, *idir = g_strdup_printf("%s/index", dir);

	save_n("INBOX", 3, "a");
	path = cache_index_path(dir, "INBOX");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(stat(idir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	/* The file name says nothing about the mailbox. */
	ck_assert_ptr_null(strstr(path + strlen(idir), "INBOX"));
	g_free(path);
	g_free(idir);
}
END_TEST

START_TEST(test_every_truncation_is_rejected)
{
	GByteArray *b;

	save_n("INBOX", 20, "a");
	b = slurp("INBOX");
	for (size_t len = 0; len < b->len; len++) {
		spit("INBOX", b->data, len);
		ck_assert_msg(load_rc("INBOX") == -EBADMSG, "truncated to %zu loaded", len);
	}
	spit("INBOX", b->data, b->len);
	check_n("INBOX", 20, "a");
	g_byte_array_free(b, TRUE);
}
END_TEST

START_TEST(test_every_bit_flip_is_rejected)
{
	GByteArray *b;

	save_n("INBOX", 5, "a");
	b = slurp("INBOX");
	for (size_t i = 0; i < b->len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			b->data[i] ^= (guint8)(1u << bit);
			spit("INBOX", b->data, b->len);
			ck_assert_msg(load_rc("INBOX") == -EBADMSG, "flip at %zu bit %d loaded", i,
				      bit);
			b->data[i] ^= (guint8)(1u << bit);
		}
	}
	g_byte_array_free(b, TRUE);
}
END_TEST

START_TEST(test_garbage_and_appended_bytes_are_rejected)
{
	GByteArray *b;
	guint8 junk[4096];

	save_n("INBOX", 5, "a"); /* makes the directory */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (guint8)(i * 131 + 7);
	spit("INBOX", junk, sizeof(junk));
	ck_assert_int_eq(load_rc("INBOX"), -EBADMSG);
	/* The right magic and version, then garbage. */
	memcpy(junk, "IMAPFSIX\1\0\0\0", 12);
	spit("INBOX", junk, sizeof(junk));
	ck_assert_int_eq(load_rc("INBOX"), -EBADMSG);

	save_n("INBOX", 5, "a");
	b = slurp("INBOX");
	g_byte_array_append(b, (const guint8 *)"x", 1);
	spit("INBOX", b->data, b->len);
	ck_assert_int_eq(load_rc("INBOX"), -EBADMSG);
	g_byte_array_free(b, TRUE);
}
END_TEST

/* Rewrites the checksum, as a file of a (future) layout that is intact
 * but not ours would have. */
static void reseal(GByteArray *b)
{
	guint8 sum[32];
	gsize len = sizeof(sum);
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);

	g_checksum_update(ck, b->data, b->len - 32);
	g_checksum_get_digest(ck, sum, &len);
	g_checksum_free(ck);
	memcpy(b->data + b->len - 32, sum, 32);
}

START_TEST(test_other_version_is_rejected)
{
	GByteArray *b;
	uint32_t v = CACHE_INDEX_VERSION + 1;

	save_n("INBOX", 5, "a");
	b = slurp("INBOX");
	memcpy(b->data + 8, &v, sizeof(v));
	reseal(b);
	spit("INBOX", b->data, b->len);
	ck_assert_int_eq(load_rc("INBOX"), -EBADMSG);
	g_byte_array_free(b, TRUE);
}
END_TEST

START_TEST(test_uid_at_or_above_uidnext_is_rejected)
{
	GByteArray *b;
	uint32_t big = head.uidnext;
	size_t rec = 48 + strlen("INBOX");

	save_n("INBOX", 2, "a");
	b = slurp("INBOX");
	memcpy(b->data + rec, &big, sizeof(big));
	reseal(b);
	spit("INBOX", b->data, b->len);
	ck_assert_int_eq(load_rc("INBOX"), -EBADMSG);
	g_byte_array_free(b, TRUE);
}
END_TEST

START_TEST(test_index_of_another_mailbox_is_rejected)
{
	GByteArray *b;

	save_n("Other", 5, "a");
	b = slurp("Other");
	spit("INBOX", b->data, b->len);
	ck_assert_int_eq(load_rc("INBOX"), -EBADMSG);
	check_n("Other", 5, "a");
	g_byte_array_free(b, TRUE);
}
END_TEST

START_TEST(test_save_replaces_whole_and_leaves_no_temporary)
{
	save_n("INBOX", 300, "old");
	save_n("INBOX", 7, "new");
	check_n("INBOX", 7, "new");
	ck_assert_uint_eq(count_files(), 1);
	ck_assert_int_eq(cache_index_remove(dir, "INBOX"), 0);
	ck_assert_int_eq(load_rc("INBOX"), -ENOENT);
	ck_assert_uint_eq(count_files(), 0);
}
END_TEST

START_TEST(test_failed_save_keeps_old_index)
{
	struct rlimit rl;

	save_n("INBOX", 4, "a");
	/* A write that fails half-way (a full disk) even for root: the old
	 * index must stay whole and no temporary file be left. */
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	signal(SIGXFSZ, SIG_IGN);
	rl.rlim_cur = 200;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	save_fails("INBOX", 300, "b");
	rl.rlim_cur = rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	check_n("INBOX", 4, "a");
	ck_assert_uint_eq(count_files(), 1);
}
END_TEST

START_TEST(test_invalid_messages_are_refused)
{
	struct cache_index_writer *w = cache_index_writer_new("INBOX", &head);
	struct cache_index_msg m = {.uid = 1, .flags = "", .name = "a/b.eml"};
	char *huge = g_malloc(70000);

	ck_assert_int_eq(cache_index_writer_add(w, &m), -EINVAL);
	m.name = "";
	ck_assert_int_eq(cache_index_writer_add(w, &m), -EINVAL);
	m.name = "ok.eml";
	m.uid = 0;
	ck_assert_int_eq(cache_index_writer_add(w, &m), -EINVAL);
	m.uid = 1;
	memset(huge, 'x', 69999);
	huge[69999] = '\0';
	m.message_id = huge;
	ck_assert_int_eq(cache_index_writer_add(w, &m), -EINVAL);
	m.message_id = NULL;
	ck_assert_int_eq(cache_index_writer_add(w, &m), 0);
	ck_assert_int_eq(cache_index_writer_save(w, dir), 0);
	cache_index_writer_free(&w);
	g_free(huge);
	ck_assert_int_eq(load_rc("INBOX"), 0);
}
END_TEST

static Suite *cache_index_suite(void)
{
	Suite *s = suite_create("cache_index");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_round_trip_keeps_every_field);
	tcase_add_test(tc, test_missing_index_is_enoent);
	tcase_add_test(tc, test_files_are_private);
	tcase_add_test(tc, test_every_truncation_is_rejected);
	tcase_add_test(tc, test_every_bit_flip_is_rejected);
	tcase_add_test(tc, test_garbage_and_appended_bytes_are_rejected);
	tcase_add_test(tc, test_other_version_is_rejected);
	tcase_add_test(tc, test_uid_at_or_above_uidnext_is_rejected);
	tcase_add_test(tc, test_index_of_another_mailbox_is_rejected);
	tcase_add_test(tc, test_save_replaces_whole_and_leaves_no_temporary);
	tcase_add_test(tc, test_failed_save_keeps_old_index);
	tcase_add_test(tc, test_invalid_messages_are_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cache_index_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

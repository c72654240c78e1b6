/* Unit tests of buf: growth, NUL termination, consume, steal, reset. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/buf.h"

START_TEST(test_append_grows_and_terminates)
{
	struct buf b = BUF_INIT;
	char big[10000];

	ck_assert_ptr_null(b.data);
	buf_append(&b, "ab", 2);
	ck_assert_uint_eq(b.len, 2);
	ck_assert_str_eq(b.data, "ab");
	ck_assert_uint_gt(b.cap, b.len);
	buf_appends(&b, "cd");
	ck_assert_str_eq(b.data, "abcd");
	/* Binary bytes, NUL included, are kept as they are. */
	buf_append(&b, "\0x", 2);
	ck_assert_uint_eq(b.len, 6);
	ck_assert_mem_eq(b.data, "abcd\0x", 7);
	/* Growth far past the first allocation keeps the contents. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	buf_append(&b, big, sizeof(big));
	ck_assert_uint_eq(b.len, 6 + sizeof(big));
	ck_assert_mem_eq(b.data, "abcd\0x", 6);
	ck_assert_mem_eq(b.data + 6, big, sizeof(big));
	ck_assert_int_eq(b.data[b.len], '\0');
	ck_assert_uint_gt(b.cap, b.len);
	buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(test_append_nothing)
{
	struct buf b = BUF_INIT;

	buf_append(&b, NULL, 0);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	buf_appends(&b, "");
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_appendf)
{
	struct buf b = BUF_INIT;
	char long_arg[300];

	buf_appendf(&b, "%s-%d", "x", 42);
	ck_assert_str_eq(b.data, "x-42");
	ck_assert_uint_eq(b.len, 4);
	buf_appendf(&b, "%s", "");
	ck_assert_uint_eq(b.len, 4);
	/* Longer than the first allocation: formatted into grown memory. */
	memset(long_arg, 'z', sizeof(long_arg) - 1);
	long_arg[sizeof(long_arg) - 1] = '\0';
	buf_appendf(&b, "[%s]%u", long_arg, 7u);
	ck_assert_uint_eq(b.len, 4 + 1 + 299 + 1 + 1);
	ck_assert_int_eq(strncmp(b.data, "x-42[zzz", 8), 0);
	ck_assert_str_eq(b.data + b.len - 2, "]7");
	buf_free(&b);
}
END_TEST

START_TEST(test_consume)
{
	struct buf b = BUF_INIT;

	buf_appends(&b, "hello world");
	buf_consume(&b, 0);
	ck_assert_str_eq(b.data, "hello world");
	buf_consume(&b, 6);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_str_eq(b.data, "world");
	buf_appends(&b, "!");
	ck_assert_str_eq(b.data, "world!");
	buf_consume(&b, b.len);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	/* Consuming from an empty, never-allocated buffer is harmless. */
	buf_free(&b);
	buf_consume(&b, 0);
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(test_reset_keeps_memory)
{
	struct buf b = BUF_INIT;
	char *data;
	size_t cap;

	buf_appends(&b, "some text");
	data = b.data;
	cap = b.cap;
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	ck_assert_ptr_eq(b.data, data);
	ck_assert_uint_eq(b.cap, cap);
	buf_appends(&b, "new");
	ck_assert_str_eq(b.data, "new");
	buf_free(&b);
	buf_reset(&b); /* on a freed buffer */
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(test_steal)
{
	struct buf b = BUF_INIT;
	char *s;

	buf_appends(&b, "mine");
	s = buf_steal(&b);
	ck_assert_str_eq(s, "mine");
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	free(s);
	/* An empty buffer still yields a string the caller can free. */
	s = buf_steal(&b);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "");
	free(s);
	/* The buffer is usable after a steal. */
	buf_appends(&b, "again");
	ck_assert_str_eq(b.data, "again");
	buf_free(&b);
}
END_TEST

static Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, test_append_grows_and_terminates);
	tcase_add_test(tc, test_append_nothing);
	tcase_add_test(tc, test_appendf);
	tcase_add_test(tc, test_consume);
	tcase_add_test(tc, test_reset_keeps_memory);
	tcase_add_test(tc, test_steal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(buf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

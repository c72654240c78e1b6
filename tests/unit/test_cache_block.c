/* Unit tests of cache_block: hits and misses, least-recently-used eviction
 * within the byte bound, dropping a mailbox, and that every key field
 * takes part in identity. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/cache_block.h"

static char out[CACHE_BLOCK_SIZE];

static struct cache_key key(const char *mbox, uint32_t uid, uint64_t block)
{
	struct cache_key k = {
	    .mailbox = mbox, .uidvalidity = 7, .uid = uid, .section = "", .block = block};
	return k;
}

/* A block whose bytes say which (uid, block) it belongs to. */
static void fill(char *buf, size_t len, uint32_t uid, uint64_t block)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(uid * 31 + block * 7 + i);
}

static void put(struct cache_block *c, const char *mbox, uint32_t uid, uint64_t block, size_t len)
{
	static char buf[CACHE_BLOCK_SIZE];
	struct cache_key k = key(mbox, uid, block);

	fill(buf, len, uid, block);
	cache_block_put(c, &k, buf, len);
}

static bool has(struct cache_block *c, const char *mbox, uint32_t uid, uint64_t block)
{
	struct cache_key k = key(mbox, uid, block);

	return cache_block_get(c, &k, out) >= 0;
}

START_TEST(test_miss_then_hit_returns_exact_bytes)
{
	struct cache_block *c = cache_block_new(1 << 20);
	struct cache_key k = key("INBOX", 5, 3);
	char want[1000];

	ck_assert_int_eq(cache_block_get(c, &k, out), -ENOENT);
	fill(want, sizeof(want), 5, 3);
	cache_block_put(c, &k, want, sizeof(want));
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(cache_block_get(c, &k, out), (ssize_t)sizeof(want));
	ck_assert_mem_eq(out, want, sizeof(want));
	ck_assert_uint_eq(cache_block_bytes(c), sizeof(want));
	cache_block_free(&c);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(test_empty_last_block_is_a_hit_of_length_zero)
{
	struct cache_block *c = cache_block_new(1 << 20);
	struct cache_key k = key("INBOX", 1, 0);

	cache_block_put(c, &k, "", 0);
	ck_assert_int_eq(cache_block_get(c, &k, out), 0);
	cache_block_free(&c);
}
END_TEST

START_TEST(test_put_same_key_replaces_and_keeps_count)
{
	struct cache_block *c = cache_block_new(1 << 20);
	struct cache_key k = key("INBOX", 1, 0);

	cache_block_put(c, &k, "aaaa", 4);
	cache_block_put(c, &k, "bb", 2);
	ck_assert_int_eq(cache_block_get(c, &k, out), 2);
	ck_assert_mem_eq(out, "bb", 2);
	ck_assert_uint_eq(cache_block_bytes(c), 2);
	cache_block_free(&c);
}
END_TEST

START_TEST(test_eviction_takes_least_recently_used_and_respects_bound)
{
	/* Room for exactly three full blocks. */
	struct cache_block *c = cache_block_new(3 * CACHE_BLOCK_SIZE);

	put(c, "INBOX", 1, 0, CACHE_BLOCK_SIZE);
	put(c, "INBOX", 2, 0, CACHE_BLOCK_SIZE);
	put(c, "INBOX", 3, 0, CACHE_BLOCK_SIZE);
	ck_assert_uint_eq(cache_block_bytes(c), 3 * CACHE_BLOCK_SIZE);
	/* Touch 1, so 2 is now the least recently used. */
	ck_assert(has(c, "INBOX", 1, 0));
	put(c, "INBOX", 4, 0, CACHE_BLOCK_SIZE);
	ck_assert(!has(c, "INBOX", 2, 0));
	ck_assert(has(c, "INBOX", 1, 0));
	ck_assert(has(c, "INBOX", 3, 0));
	ck_assert(has(c, "INBOX", 4, 0));
	ck_assert_uint_le(cache_block_bytes(c), 3 * CACHE_BLOCK_SIZE);
	/* Order is now (old to new) 1 3 4 after the gets above; two more
	 * blocks evict 1 and 3. */
	put(c, "INBOX", 5, 0, CACHE_BLOCK_SIZE);
	put(c, "INBOX", 6, 0, CACHE_BLOCK_SIZE);
	ck_assert(!has(c, "INBOX", 1, 0));
	ck_assert(!has(c, "INBOX", 3, 0));
	ck_assert(has(c, "INBOX", 4, 0));
	ck_assert(has(c, "INBOX", 5, 0));
	ck_assert(has(c, "INBOX", 6, 0));
	ck_assert_uint_le(cache_block_bytes(c), 3 * CACHE_BLOCK_SIZE);
	cache_block_free(&c);
}
END_TEST

START_TEST(test_bound_holds_under_many_small_and_large_puts)
{
	const size_t max = 200000;
	struct cache_block *c = cache_block_new(max);
	size_t total = 0;

	for (uint32_t i = 1; i <= 500; i++) {
		size_t len = (i * 7919u) % CACHE_BLOCK_SIZE;

		put(c, "INBOX", i, i % 3, len);
		total += len;
		ck_assert_uint_le(cache_block_bytes(c), max);
	}
	ck_assert_uint_gt(total, max);
	/* The newest block always survives its own put. */
	ck_assert(has(c, "INBOX", 500, 500 % 3));
	ck_assert_int_eq(cache_block_get(c, &(struct cache_key){"INBOX", 7, 500, "", 500 % 3}, out),
			 (ssize_t)((500u * 7919u) % CACHE_BLOCK_SIZE));
	cache_block_free(&c);
}
END_TEST

START_TEST(test_block_larger_than_bound_is_not_stored)
{
	struct cache_block *c = cache_block_new(1000);

	put(c, "INBOX", 1, 0, 500);
	put(c, "INBOX", 2, 0, 1001);
	ck_assert(!has(c, "INBOX", 2, 0));
	/* Refusing the oversized block must not have evicted anything. */
	ck_assert(has(c, "INBOX", 1, 0));
	ck_assert_uint_eq(cache_block_bytes(c), 500);
	cache_block_free(&c);
}
END_TEST

START_TEST(test_drop_mailbox_drops_only_that_mailbox)
{
	struct cache_block *c = cache_block_new(1 << 24);

	for (uint32_t uid = 1; uid <= 10; uid++) {
		put(c, "INBOX", uid, 0, 100);
		put(c, "INBOX.Sent", uid, 0, 100);
		put(c, "INBOX.Sent", uid, 1, 50);
		put(c, "Archive", uid, 0, 10);
	}
	cache_block_drop_mailbox(c, "INBOX.Sent");
	for (uint32_t uid = 1; uid <= 10; uid++) {
		ck_assert(has(c, "INBOX", uid, 0));
		ck_assert(has(c, "Archive", uid, 0));
		ck_assert(!has(c, "INBOX.Sent", uid, 0));
		ck_assert(!has(c, "INBOX.Sent", uid, 1));
	}
	ck_assert_uint_eq(cache_block_bytes(c), 10 * 110);
	cache_block_drop_mailbox(c, "Nonexistent");
	ck_assert_uint_eq(cache_block_bytes(c), 10 * 110);
	cache_block_free(&c);
}
END_TEST

START_TEST(test_each_key_field_distinguishes_blocks)
{
	struct cache_block *c = cache_block_new(1 << 20);
	struct cache_key base = {
	    .mailbox = "INBOX", .uidvalidity = 1, .uid = 2, .section = "", .block = 3};
	struct cache_key v[6];
	char buf[8];

	for (int i = 0; i < 6; i++)
		v[i] = base;
	v[1].mailbox = "INBOX2";
	v[2].uidvalidity = 9;
	v[3].uid = 9;
	v[4].section = "1.2";
	v[5].block = 9;
	for (int i = 0; i < 6; i++) {
		memset(buf, 'a' + i, sizeof(buf));
		cache_block_put(c, &v[i], buf, (size_t)i + 1);
	}
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(cache_block_get(c, &v[i], out), i + 1);
		ck_assert_int_eq(out[0], 'a' + i);
	}
	/* A key equal in every field but built from other storage hits. */
	char mbox[] = "INBOX", sect[] = "";
	struct cache_key copy = {mbox, 1, 2, sect, 3};
	ck_assert_int_eq(cache_block_get(c, &copy, out), 1);
	cache_block_free(&c);
}
END_TEST

static Suite *cache_block_suite(void)
{
	Suite *s = suite_create("cache_block");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_miss_then_hit_returns_exact_bytes);
	tcase_add_test(tc, test_empty_last_block_is_a_hit_of_length_zero);
	tcase_add_test(tc, test_put_same_key_replaces_and_keeps_count);
	tcase_add_test(tc, test_eviction_takes_least_recently_used_and_respects_bound);
	tcase_add_test(tc, test_bound_holds_under_many_small_and_large_puts);
	tcase_add_test(tc, test_block_larger_than_bound_is_not_stored);
	tcase_add_test(tc, test_drop_mailbox_drops_only_that_mailbox);
	tcase_add_test(tc, test_each_key_field_distinguishes_blocks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cache_block_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

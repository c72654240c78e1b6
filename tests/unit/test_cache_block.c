/* Unit tests of cache_block, against a temporary directory: hits and
 * misses, persistence across close and reopen, least-recently-used
 * eviction within the byte bound (also after a reopen with a smaller
 * bound), every way a file can be damaged being a miss (never wrong
 * bytes), a writer killed mid-put, disk errors, and concurrent use. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "imapfs/cache_block.h"

/* Header (48) + "INBOX", each file rounded up to 4 KiB. */
#define COST(len) (((48u + 5u + (len)) + 4095u) / 4096u * 4096u)

static char out[CACHE_BLOCK_SIZE];
static char *tmpdir;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void setup(void)
{
	GError *e = NULL;

	tmpdir = g_dir_make_tmp("cache-block-XXXXXX", &e);
	ck_assert_ptr_nonnull(tmpdir);
}

static void teardown(void)
{
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	g_free(tmpdir);
}

static struct cache_block *open_cache(uint64_t max)
{
	struct cache_block *c = NULL;
	char err[256];

	ck_assert_int_eq(cache_block_open(tmpdir, max, &c, err, sizeof(err)), 0);
	cache_block_sync(c);
	return c;
}

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
		buf[i] = (char)(uid * 31 + block * 7 + i + (i >> 8));
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

/* A hit must return exactly what was put. */
static bool has_exact(struct cache_block *c, const char *mbox, uint32_t uid, uint64_t block,
		      size_t len)
{
	static char want[CACHE_BLOCK_SIZE];
	struct cache_key k = key(mbox, uid, block);
	ssize_t n = cache_block_get(c, &k, out);

	if (n < 0)
		return false;
	fill(want, len, uid, block);
	ck_assert_int_eq(n, (ssize_t)len);
	ck_assert(memcmp(out, want, len) == 0);
	return true;
}

static void path_of(struct cache_block *c, const char *mbox, uint32_t uid, uint64_t block, char *p)
{
	struct cache_key k = key(mbox, uid, block);

	ck_assert_int_eq(cache_block_path(c, &k, p, PATH_MAX), 0);
}

/* The bytes the files under the cache directory take, counted as the
 * cache counts them, and how many there are. */
static uint64_t disk_bytes, disk_files;
static int du_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)p, (void)ftw;
	if (flag == FTW_F) {
		disk_bytes += ((uint64_t)st->st_size + 4095) / 4096 * 4096;
		disk_files++;
	}
	return 0;
}
static uint64_t du(void)
{
	disk_bytes = disk_files = 0;
	nftw(tmpdir, du_one, 16, FTW_PHYS);
	return disk_bytes;
}

START_TEST(test_miss_then_hit_returns_exact_bytes)
{
	struct cache_block *c = open_cache(1 << 20);

	ck_assert(!has(c, "INBOX", 1, 0));
	put(c, "INBOX", 1, 0, 1000);
	ck_assert(has_exact(c, "INBOX", 1, 0, 1000));
	ck_assert_uint_eq(cache_block_bytes(c), COST(1000));
	ck_assert_uint_eq(du(), COST(1000));
	cache_block_free(&c);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(test_files_are_private)
{
	struct cache_block *c = open_cache(1 << 20);
	char p[PATH_MAX], *d;
	struct stat st;

	put(c, "INBOX", 1, 0, 10);
	path_of(c, "INBOX", 1, 0, p);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	d = g_path_get_dirname(p);
	ck_assert_int_eq(stat(d, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	g_free(d);
	cache_block_free(&c);
}
END_TEST

START_TEST(test_empty_last_block_is_a_hit_of_length_zero)
{
	struct cache_block *c = open_cache(1 << 20);
	struct cache_key k = key("INBOX", 1, 2);

	cache_block_put(c, &k, "", 0);
	ck_assert_int_eq(cache_block_get(c, &k, out), 0);
	cache_block_free(&c);
}
END_TEST

START_TEST(test_put_same_key_replaces_and_keeps_count)
{
	struct cache_block *c = open_cache(1 << 20);
	struct cache_key k = key("INBOX", 1, 0);

	cache_block_put(c, &k, "aaaa", 4);
	cache_block_put(c, &k, "bb", 2);
	ck_assert_int_eq(cache_block_get(c, &k, out), 2);
	ck_assert(memcmp(out, "bb", 2) == 0);
	ck_assert_uint_eq(cache_block_bytes(c), COST(2));
	cache_block_free(&c);
}
END_TEST

START_TEST(test_persists_across_close_and_reopen)
{
	struct cache_block *c = open_cache(1 << 22);
	uint64_t bytes;

	for (uint32_t uid = 1; uid <= 20; uid++)
		put(c, "INBOX", uid, uid % 2, uid == 20 ? CACHE_BLOCK_SIZE : uid * 100);
	bytes = cache_block_bytes(c);
	cache_block_free(&c);
	c = open_cache(1 << 22);
	ck_assert_uint_eq(cache_block_bytes(c), bytes);
	for (uint32_t uid = 1; uid <= 20; uid++)
		ck_assert(
		    has_exact(c, "INBOX", uid, uid % 2, uid == 20 ? CACHE_BLOCK_SIZE : uid * 100));
	ck_assert(!has(c, "INBOX", 21, 1));
	cache_block_free(&c);
}
END_TEST

START_TEST(test_eviction_takes_least_recently_used_and_respects_bound)
{
	/* Room for exactly three full blocks. */
	struct cache_block *c = open_cache(3 * COST(CACHE_BLOCK_SIZE));

	put(c, "INBOX", 1, 0, CACHE_BLOCK_SIZE);
	put(c, "INBOX", 2, 0, CACHE_BLOCK_SIZE);
	put(c, "INBOX", 3, 0, CACHE_BLOCK_SIZE);
	ck_assert_uint_eq(cache_block_bytes(c), 3 * COST(CACHE_BLOCK_SIZE));
	/* Touch 1, so 2 is now the least recently used. */
	ck_assert(has(c, "INBOX", 1, 0));
	put(c, "INBOX", 4, 0, CACHE_BLOCK_SIZE);
	ck_assert(!has(c, "INBOX", 2, 0));
	ck_assert(has(c, "INBOX", 1, 0));
	ck_assert(has(c, "INBOX", 3, 0));
	ck_assert(has(c, "INBOX", 4, 0));
	ck_assert_uint_le(cache_block_bytes(c), 3 * COST(CACHE_BLOCK_SIZE));
	/* Order is now (old to new) 1 3 4; two more blocks evict 1 and 3. */
	put(c, "INBOX", 5, 0, CACHE_BLOCK_SIZE);
	put(c, "INBOX", 6, 0, CACHE_BLOCK_SIZE);
	ck_assert(!has(c, "INBOX", 1, 0));
	ck_assert(!has(c, "INBOX", 3, 0));
	ck_assert(has(c, "INBOX", 4, 0));
	ck_assert(has(c, "INBOX", 5, 0));
	ck_assert(has(c, "INBOX", 6, 0));
	ck_assert_uint_le(cache_block_bytes(c), 3 * COST(CACHE_BLOCK_SIZE));
	/* The files are gone too, not just the index entries. */
	ck_assert_uint_le(du(), 3 * COST(CACHE_BLOCK_SIZE));
	ck_assert_uint_eq(disk_files, 3);
	cache_block_free(&c);
}
END_TEST

START_TEST(test_bound_holds_under_many_small_and_large_puts)
{
	const uint64_t max = 400000;
	struct cache_block *c = open_cache(max);
	uint64_t total = 0;

	for (uint32_t i = 1; i <= 300; i++) {
		size_t len = (i * 7919u) % CACHE_BLOCK_SIZE;

		put(c, "INBOX", i, i % 3, len);
		total += len;
		ck_assert_uint_le(cache_block_bytes(c), max);
	}
	ck_assert_uint_gt(total, max);
	ck_assert_uint_le(du(), max);
	/* The newest block always survives its own put. */
	ck_assert(has_exact(c, "INBOX", 300, 300 % 3, (300u * 7919u) % CACHE_BLOCK_SIZE));
	cache_block_free(&c);
}
END_TEST

START_TEST(test_block_larger_than_bound_is_not_stored)
{
	struct cache_block *c = open_cache(8192);

	put(c, "INBOX", 1, 0, 4000);
	put(c, "INBOX", 2, 0, 9000);
	ck_assert(!has(c, "INBOX", 2, 0));
	/* Refusing the oversized block must not have evicted anything. */
	ck_assert(has(c, "INBOX", 1, 0));
	ck_assert_uint_eq(cache_block_bytes(c), COST(4000));
	cache_block_free(&c);
}
END_TEST

/* Sets the file's last-use time (mtime), which orders a reopened cache. */
static void set_mtime(struct cache_block *c, uint32_t uid, time_t t)
{
	struct timespec ts[2] = {{t, 0}, {t, 0}};
	char p[PATH_MAX];

	path_of(c, "INBOX", uid, 0, p);
	ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
}

START_TEST(test_reopen_with_smaller_bound_evicts_least_recently_used)
{
	struct cache_block *c = open_cache(1 << 24);
	time_t now = time(NULL);

	for (uint32_t uid = 1; uid <= 10; uid++)
		put(c, "INBOX", uid, 0, 20000);
	/* Uses in the order 10, 9, ..., 1 (1 most recent), a minute apart. */
	for (uint32_t uid = 1; uid <= 10; uid++)
		set_mtime(c, uid, now - 3600 - 60 * (time_t)uid);
	cache_block_free(&c);

	c = open_cache(3 * COST(20000));
	ck_assert_uint_le(cache_block_bytes(c), 3 * COST(20000));
	ck_assert_uint_le(du(), 3 * COST(20000));
	ck_assert_uint_eq(disk_files, 3);
	for (uint32_t uid = 1; uid <= 10; uid++)
		ck_assert_int_eq(has_exact(c, "INBOX", uid, 0, 20000), uid <= 3);
	cache_block_free(&c);
}
END_TEST

/* A hit refreshes the last-use time on disk, so the order survives a
 * reopen: the block read last is kept although it was stored first. */
START_TEST(test_hit_is_remembered_across_reopen)
{
	struct cache_block *c = open_cache(1 << 24);
	time_t now = time(NULL);

	for (uint32_t uid = 1; uid <= 10; uid++)
		put(c, "INBOX", uid, 0, 20000);
	for (uint32_t uid = 1; uid <= 10; uid++)
		set_mtime(c, uid, now - 3600 - 60 * (time_t)uid);
	ck_assert(has(c, "INBOX", 10, 0)); /* the oldest, now the newest */
	cache_block_free(&c);

	c = open_cache(2 * COST(20000));
	ck_assert(has_exact(c, "INBOX", 10, 0, 20000));
	ck_assert(has_exact(c, "INBOX", 1, 0, 20000));
	for (uint32_t uid = 2; uid <= 9; uid++)
		ck_assert(!has(c, "INBOX", uid, 0));
	cache_block_free(&c);
}
END_TEST

START_TEST(test_drop_mailbox_drops_only_that_mailbox)
{
	struct cache_block *c = open_cache(1 << 24);

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
	ck_assert_uint_eq(cache_block_bytes(c), 20 * 4096);
	ck_assert_uint_eq(du(), 20 * 4096);
	cache_block_drop_mailbox(c, "Nonexistent");
	ck_assert_uint_eq(cache_block_bytes(c), 20 * 4096);
	cache_block_free(&c);
}
END_TEST

START_TEST(test_each_key_field_distinguishes_blocks)
{
	struct cache_block *c = open_cache(1 << 20);
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

/* --- damage ---------------------------------------------------------------- */

static void write_file(const char *p, const void *data, size_t len)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void flip(const char *p, off_t at)
{
	int fd = open(p, O_RDWR);
	unsigned char b;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, at), 1);
	b ^= 0x10;
	ck_assert_int_eq(pwrite(fd, &b, 1, at), 1);
	close(fd);
}

static off_t file_size(const char *p)
{
	struct stat st;

	ck_assert_int_eq(stat(p, &st), 0);
	return st.st_size;
}

/* Damages the file of (INBOX, 1, 0) in way `how`, which must make it a
 * miss and remove it, leaving (INBOX, 2, 0) alone; then the block can be
 * stored again.  Every position of the header and many of the data are
 * tried. */
static void damage_is_a_miss(struct cache_block *c, const char *how, off_t at)
{
	char p1[PATH_MAX], p2[PATH_MAX];
	const size_t len = CACHE_BLOCK_SIZE;
	const off_t hdr = 48 + 5;

	put(c, "INBOX", 1, 0, len);
	put(c, "INBOX", 2, 0, 3000);
	path_of(c, "INBOX", 1, 0, p1);
	path_of(c, "INBOX", 2, 0, p2);
	if (strcmp(how, "truncate") == 0) {
		ck_assert_int_eq(truncate(p1, at), 0);
	} else if (strcmp(how, "extend") == 0) {
		int fd = open(p1, O_WRONLY | O_APPEND);

		ck_assert_int_eq(write(fd, "x", 1), 1);
		close(fd);
	} else if (strcmp(how, "flip") == 0) {
		flip(p1, at);
	} else if (strcmp(how, "garbage") == 0) {
		char g[2000];

		for (size_t i = 0; i < sizeof(g); i++)
			g[i] = (char)rand();
		write_file(p1, g, (size_t)at < sizeof(g) ? (size_t)at : sizeof(g));
	} else if (strcmp(how, "other key") == 0) {
		/* A whole, valid entry of another key renamed into place. */
		char cp[PATH_MAX + 8];

		snprintf(cp, sizeof(cp), "%s.copy", p2);
		put(c, "INBOX", 2, 0, len);
		ck_assert_int_eq(link(p2, cp), 0);
		ck_assert_int_eq(rename(cp, p1), 0);
	} else {
		ck_abort_msg("unknown damage %s", how);
	}
	ck_assert_msg(!has(c, "INBOX", 1, 0), "%s at %lld was a hit", how, (long long)at);
	ck_assert_msg(access(p1, F_OK) < 0 && errno == ENOENT, "%s: damaged file kept", how);
	ck_assert(has(c, "INBOX", 2, 0));
	put(c, "INBOX", 1, 0, len);
	ck_assert(has_exact(c, "INBOX", 1, 0, len));
	(void)hdr;
}

START_TEST(test_every_damage_is_a_miss_never_wrong_bytes)
{
	struct cache_block *c = open_cache(1 << 24);
	const off_t hdr = 48 + 5, whole = hdr + CACHE_BLOCK_SIZE;

	/* Sanity: the file is exactly header, key and data. */
	put(c, "INBOX", 1, 0, CACHE_BLOCK_SIZE);
	{
		char p[PATH_MAX];

		path_of(c, "INBOX", 1, 0, p);
		ck_assert_int_eq(file_size(p), whole);
	}
	/* A bit flip in every byte of the header and the key. */
	for (off_t at = 0; at < hdr; at++)
		damage_is_a_miss(c, "flip", at);
	/* ... and in the data, first, last and spread between. */
	for (off_t at = hdr; at < whole; at += 4099)
		damage_is_a_miss(c, "flip", at);
	damage_is_a_miss(c, "flip", whole - 1);
	/* Truncated anywhere, to nothing included; extended. */
	damage_is_a_miss(c, "truncate", 0);
	damage_is_a_miss(c, "truncate", 20);
	damage_is_a_miss(c, "truncate", hdr);
	damage_is_a_miss(c, "truncate", hdr + 1);
	damage_is_a_miss(c, "truncate", whole - 1);
	damage_is_a_miss(c, "extend", 0);
	damage_is_a_miss(c, "garbage", 1);
	damage_is_a_miss(c, "garbage", 100);
	damage_is_a_miss(c, "garbage", 2000);
	damage_is_a_miss(c, "other key", 0);
	cache_block_free(&c);
}
END_TEST

START_TEST(test_damage_found_after_reopen_is_a_miss)
{
	struct cache_block *c = open_cache(1 << 24);
	char p[PATH_MAX];

	put(c, "INBOX", 1, 0, 5000);
	put(c, "INBOX", 2, 0, 5000);
	path_of(c, "INBOX", 1, 0, p);
	cache_block_free(&c);
	flip(p, 48 + 5 + 4000);
	c = open_cache(1 << 24);
	ck_assert(!has(c, "INBOX", 1, 0));
	ck_assert(has_exact(c, "INBOX", 2, 0, 5000));
	/* The damaged entry no longer counts. */
	ck_assert_uint_eq(cache_block_bytes(c), COST(5000));
	cache_block_free(&c);
}
END_TEST

START_TEST(test_temp_file_left_by_a_crash_is_never_served_and_is_removed)
{
	struct cache_block *c = open_cache(1 << 24);
	char p[PATH_MAX], tmp[PATH_MAX + 32], young[PATH_MAX + 32], *d, *slash;
	struct timespec old[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
	static char half[CACHE_BLOCK_SIZE];

	path_of(c, "INBOX", 1, 0, p);
	d = g_path_get_dirname(p);
	ck_assert(g_mkdir_with_parents(d, 0700) == 0);
	/* What a put killed before its rename leaves: a partial temp file. */
	slash = strrchr(p, '/');
	snprintf(tmp, sizeof(tmp), "%.*s/.t%s.99999.1", (int)(slash - p), p, slash + 1);
	snprintf(young, sizeof(young), "%.*s/.t%s.99999.2", (int)(slash - p), p, slash + 1);
	write_file(tmp, half, sizeof(half) / 2);
	write_file(young, half, 10);
	ck_assert_int_eq(utimensat(AT_FDCWD, tmp, old, 0), 0);
	ck_assert(!has(c, "INBOX", 1, 0));
	cache_block_free(&c);
	c = open_cache(1 << 24);
	ck_assert(!has(c, "INBOX", 1, 0));
	/* The stale one is removed; a recent one may be a put in progress. */
	ck_assert(access(tmp, F_OK) < 0);
	ck_assert(access(young, F_OK) == 0);
	g_free(d);
	cache_block_free(&c);
}
END_TEST

/* A writer killed with SIGKILL at arbitrary moments: whatever it left,
 * every block is a miss or exactly right. */
START_TEST(test_writer_killed_mid_put_leaves_no_wrong_bytes)
{
	for (int round = 0; round < 5; round++) {
		struct cache_block *c;
		int ready[2], status, hits = 0;
		pid_t pid;
		char b;

		ck_assert_int_eq(pipe(ready), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			c = open_cache(1 << 26);
			for (uint32_t i = 0;; i++) {
				put(c, "INBOX", i % 64, 0, CACHE_BLOCK_SIZE - (i % 64));
				if (i == 0 && write(ready[1], "r", 1) != 1)
					_exit(1);
			}
		}
		/* Killed at some point of its puts, after the first is stored. */
		ck_assert_int_eq(read(ready[0], &b, 1), 1);
		usleep(3000 + 7000 * (useconds_t)round);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		close(ready[0]);
		close(ready[1]);
		c = open_cache(1 << 26);
		for (uint32_t uid = 0; uid < 64; uid++)
			hits += has_exact(c, "INBOX", uid, 0, CACHE_BLOCK_SIZE - uid);
		ck_assert_int_gt(hits, 0);
		cache_block_free(&c);
	}
}
END_TEST

START_TEST(test_disk_error_degrades_to_not_cached)
{
	struct cache_block *c = open_cache(1 << 24);
	char p[PATH_MAX], *d;

	/* Its subdirectory is a file: every create and open there fails. */
	path_of(c, "INBOX", 1, 0, p);
	d = g_path_get_dirname(p);
	write_file(d, "x", 1);
	put(c, "INBOX", 1, 0, 100);
	ck_assert(!has(c, "INBOX", 1, 0));
	ck_assert_uint_eq(cache_block_bytes(c), 0);
	/* Blocks elsewhere still work. */
	for (uint32_t uid = 2; uid < 40; uid++) {
		char q[PATH_MAX];

		path_of(c, "INBOX", uid, 0, q);
		if (strncmp(q, d, strlen(d)) != 0) {
			put(c, "INBOX", uid, 0, 100);
			ck_assert(has_exact(c, "INBOX", uid, 0, 100));
			break;
		}
	}
	g_free(d);
	cache_block_free(&c);
}
END_TEST

START_TEST(test_open_fails_with_a_reason_when_dir_is_missing)
{
	struct cache_block *c = NULL;
	char err[256] = "", missing[PATH_MAX];

	snprintf(missing, sizeof(missing), "%s/no/such", tmpdir);
	ck_assert_int_eq(cache_block_open(missing, 1 << 20, &c, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_null(c);
	ck_assert(strstr(err, "no/such") != NULL);
}
END_TEST

/* --- threads --------------------------------------------------------------- */

struct worker {
	struct cache_block *c;
	unsigned seed;
	int hits;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char *buf = malloc(CACHE_BLOCK_SIZE), *want = malloc(CACHE_BLOCK_SIZE);

	for (int i = 0; i < 400; i++) {
		uint32_t uid = (uint32_t)rand_r(&w->seed) % 40;
		size_t len = 1000 + uid * 1000;
		struct cache_key k = key("INBOX", uid, 0);
		ssize_t n;

		if (rand_r(&w->seed) % 2) {
			fill(want, len, uid, 0);
			cache_block_put(w->c, &k, want, len);
		}
		n = cache_block_get(w->c, &k, buf);
		if (n >= 0) {
			fill(want, len, uid, 0);
			ck_assert_int_eq(n, (ssize_t)len);
			ck_assert(memcmp(buf, want, len) == 0);
			w->hits++;
		}
		if (i % 97 == 0)
			cache_block_drop_mailbox(w->c, "Other");
	}
	free(buf);
	free(want);
	return NULL;
}

START_TEST(test_concurrent_put_and_get_never_return_wrong_bytes)
{
	const uint64_t max = 300000; /* far less than the 40 blocks: evicts */
	struct cache_block *c = open_cache(max);
	struct worker w[4];
	pthread_t t[4];
	int hits = 0;

	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){.c = c, .seed = (unsigned)i + 1};
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		hits += w[i].hits;
	}
	ck_assert_int_gt(hits, 0);
	ck_assert_uint_le(cache_block_bytes(c), max);
	ck_assert_uint_le(du(), max);
	cache_block_free(&c);
}
END_TEST

static Suite *cache_block_suite(void)
{
	Suite *s = suite_create("cache_block");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_miss_then_hit_returns_exact_bytes);
	tcase_add_test(tc, test_files_are_private);
	tcase_add_test(tc, test_empty_last_block_is_a_hit_of_length_zero);
	tcase_add_test(tc, test_put_same_key_replaces_and_keeps_count);
	tcase_add_test(tc, test_persists_across_close_and_reopen);
	tcase_add_test(tc, test_eviction_takes_least_recently_used_and_respects_bound);
	tcase_add_test(tc, test_bound_holds_under_many_small_and_large_puts);
	tcase_add_test(tc, test_block_larger_than_bound_is_not_stored);
	tcase_add_test(tc, test_reopen_with_smaller_bound_evicts_least_recently_used);
	tcase_add_test(tc, test_hit_is_remembered_across_reopen);
	tcase_add_test(tc, test_drop_mailbox_drops_only_that_mailbox);
	tcase_add_test(tc, test_each_key_field_distinguishes_blocks);
	tcase_add_test(tc, test_every_damage_is_a_miss_never_wrong_bytes);
	tcase_add_test(tc, test_damage_found_after_reopen_is_a_miss);
	tcase_add_test(tc, test_temp_file_left_by_a_crash_is_never_served_and_is_removed);
	tcase_add_test(tc, test_writer_killed_mid_put_leaves_no_wrong_bytes);
	tcase_add_test(tc, test_disk_error_degrades_to_not_cached);
	tcase_add_test(tc, test_open_fails_with_a_reason_when_dir_is_missing);
	tcase_add_test(tc, test_concurrent_put_and_get_never_return_wrong_bytes);
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

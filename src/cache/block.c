/* cache_block: the in-memory block store.  One hash table finds a block by
 * its full key; an intrusive doubly linked list orders blocks from most to
 * least recently used, so eviction takes the tail in O(1).  The bound
 * counts content bytes only: per-block bookkeeping is a few dozen bytes
 * against 64 KiB of data. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "imapfs/cache_block.h"
#include "imapfs/log.h"

struct cache_ent {
	struct cache_key key; /* first: the table hashes &ent->key */
	struct cache_ent *newer;
	struct cache_ent *older;
	size_t len;
	char data[];
};

struct cache_block {
	pthread_mutex_t lock;
	/* Everything below is protected by lock. */
	GHashTable *table; /* struct cache_key * -> struct cache_ent * */
	struct cache_ent *newest;
	struct cache_ent *oldest;
	size_t bytes;
	size_t max_bytes;
};

static guint cache_key_hash(gconstpointer p)
{
	const struct cache_key *k = p;
	guint h = g_str_hash(k->mailbox);

	h = h * 31 + k->uidvalidity;
	h = h * 31 + k->uid;
	h = h * 31 + g_str_hash(k->section);
	h = h * 31 + (guint)(k->block ^ (k->block >> 32));
	return h;
}

static gboolean cache_key_equal(gconstpointer a, gconstpointer b)
{
	const struct cache_key *x = a, *y = b;

	return x->uidvalidity == y->uidvalidity && x->uid == y->uid && x->block == y->block &&
	       strcmp(x->mailbox, y->mailbox) == 0 && strcmp(x->section, y->section) == 0;
}

struct cache_block *cache_block_new(size_t max_bytes)
{
	struct cache_block *c = calloc(1, sizeof(*c));

	if (c == NULL)
		abort();
	pthread_mutex_init(&c->lock, NULL);
	c->table = g_hash_table_new(cache_key_hash, cache_key_equal);
	c->max_bytes = max_bytes;
	return c;
}

static void cache_ent_unlink(struct cache_block *c, struct cache_ent *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void cache_ent_push(struct cache_block *c, struct cache_ent *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest != NULL)
		c->newest->newer = e;
	c->newest = e;
	if (c->oldest == NULL)
		c->oldest = e;
}

static void cache_ent_free(struct cache_ent *e)
{
	free((char *)e->key.mailbox);
	free((char *)e->key.section);
	free(e);
}

/* Removes e from the table and the list and frees it. */
static void cache_ent_drop(struct cache_block *c, struct cache_ent *e)
{
	g_hash_table_remove(c->table, &e->key);
	cache_ent_unlink(c, e);
	c->bytes -= e->len;
	cache_ent_free(e);
}

void cache_block_free(struct cache_block **cp)
{
	struct cache_block *c = *cp;

	if (c == NULL)
		return;
	while (c->oldest != NULL)
		cache_ent_drop(c, c->oldest);
	g_hash_table_destroy(c->table);
	pthread_mutex_destroy(&c->lock);
	free(c);
	*cp = NULL;
}

ssize_t cache_block_get(struct cache_block *c, const struct cache_key *k, char *buf)
{
	struct cache_ent *e;
	ssize_t ret = -ENOENT;

	pthread_mutex_lock(&c->lock);
	e = g_hash_table_lookup(c->table, k);
	if (e != NULL) {
		cache_ent_unlink(c, e);
		cache_ent_push(c, e);
		memcpy(buf, e->data, e->len);
		ret = (ssize_t)e->len;
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

void cache_block_put(struct cache_block *c, const struct cache_key *k, const char *data, size_t len)
{
	struct cache_ent *e, *old;

	if (len > CACHE_BLOCK_SIZE || len > c->max_bytes)
		return;
	/* Built before taking the lock: allocation and copying need none. */
	e = malloc(sizeof(*e) + len);
	if (e == NULL)
		abort();
	e->key = *k;
	e->key.mailbox = strdup(k->mailbox);
	e->key.section = strdup(k->section);
	if (e->key.mailbox == NULL || e->key.section == NULL)
		abort();
	e->newer = e->older = NULL;
	e->len = len;
	memcpy(e->data, data, len);

	pthread_mutex_lock(&c->lock);
	old = g_hash_table_lookup(c->table, k);
	if (old != NULL)
		cache_ent_drop(c, old);
	while (c->bytes + len > c->max_bytes && c->oldest != NULL)
		cache_ent_drop(c, c->oldest);
	g_hash_table_insert(c->table, &e->key, e);
	cache_ent_push(c, e);
	c->bytes += len;
	pthread_mutex_unlock(&c->lock);
	log_debug(LOG_CACHE, "cache: put %s/%u/%u/%s block %llu (%zu bytes)", k->mailbox,
		  k->uidvalidity, k->uid, k->section, (unsigned long long)k->block, len);
}

void cache_block_drop_mailbox(struct cache_block *c, const char *mailbox)
{
	struct cache_ent *e, *older;
	size_t n = 0;

	pthread_mutex_lock(&c->lock);
	for (e = c->newest; e != NULL; e = older) {
		older = e->older;
		if (strcmp(e->key.mailbox, mailbox) == 0) {
			cache_ent_drop(c, e);
			n++;
		}
	}
	pthread_mutex_unlock(&c->lock);
	log_debug(LOG_CACHE, "cache: dropped %zu blocks of %s", n, mailbox);
}

size_t cache_block_bytes(struct cache_block *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->bytes;
	pthread_mutex_unlock(&c->lock);
	return n;
}

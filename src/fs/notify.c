/* fs notify: tells the kernel that a name it may have cached no longer
 * means what it did (a message moved and took its new canonical name, a
 * staged file became a message, a mailbox was renamed).  libfuse forbids
 * sending these notifications from the request that caused them (the
 * kernel holds the directory lock that the invalidation needs), so they
 * are queued and sent by one thread of their own.
 *
 * Locking: the queue is a GAsyncQueue (its own lock); nothing here takes
 * fs->lock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imapfs/log.h"

#include "fs_int.h"

struct fs_notify {
	struct fuse_session *se;
	GAsyncQueue *queue;
	pthread_t thread;
	bool running;
};

struct fs_notify_item {
	uint64_t parent; /* 0: the stop sentinel */
	char name[];
};

static void *fs_notify_main(void *arg)
{
	struct fs_notify *nt = arg;

	for (;;) {
		struct fs_notify_item *it = g_async_queue_pop(nt->queue);
		int ret;

		if (it->parent == 0) {
			free(it);
			return NULL;
		}
		ret = fuse_lowlevel_notify_inval_entry(nt->se, it->parent, it->name,
						       strlen(it->name));
		/* ENOENT: the kernel had not cached it, which is fine. */
		if (ret < 0 && ret != -ENOENT)
			log_debug(LOG_FS, "fs: invalidating \"%s\" in %llu: %s", it->name,
				  (unsigned long long)it->parent, strerror(-ret));
		free(it);
	}
}

void fs_notify_start(struct fs *fs)
{
	struct fs_notify *nt;

	if (fs->session == NULL)
		return;
	nt = calloc(1, sizeof(*nt));
	if (nt == NULL)
		abort();
	nt->se = fs->session;
	nt->queue = g_async_queue_new();
	if (pthread_create(&nt->thread, NULL, fs_notify_main, nt) != 0) {
		log_warnx("fs: cannot start the notification thread; renamed files may show "
			  "under their old names until the kernel forgets them");
		g_async_queue_unref(nt->queue);
		free(nt);
		return;
	}
	fs->notify = nt;
}

static void fs_notify_push(struct fs_notify *nt, uint64_t parent, const char *name)
{
	size_t len = strlen(name);
	struct fs_notify_item *it = malloc(sizeof(*it) + len + 1);

	if (it == NULL)
		abort();
	it->parent = parent;
	memcpy(it->name, name, len + 1);
	g_async_queue_push(nt->queue, it);
}

void fs_notify_entry(struct fs *fs, uint64_t parent, const char *name)
{
	if (fs->notify != NULL)
		fs_notify_push(fs->notify, parent, name);
}

void fs_notify_stop(struct fs *fs)
{
	struct fs_notify *nt = fs->notify;

	if (nt == NULL)
		return;
	fs_notify_push(nt, 0, "");
	pthread_join(nt->thread, NULL);
	/* Whatever was queued after the sentinel concerns a kernel that is
	 * going away. */
	for (struct fs_notify_item *it; (it = g_async_queue_try_pop(nt->queue)) != NULL;)
		free(it);
	g_async_queue_unref(nt->queue);
	free(nt);
	fs->notify = NULL;
}

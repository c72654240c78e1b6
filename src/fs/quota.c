/* fs quota: what df shows (statfs, SPEC §5).
 *
 * statfs never waits on the network: it answers from what was learned
 * last.  Where the server has QUOTA (RFC 9208 / 2087), GETQUOTAROOT INBOX
 * is asked at mount (fs_load, before the mount answers) and then again
 * when a statfs finds the answer older than FS_QUOTA_TTL_S: by that
 * statfs's own thread, after it has replied, so that no thread of its own
 * is needed and df never waits.  At most one such refresh runs at a time;
 * a failed one keeps the old numbers and is tried again FS_QUOTA_RETRY_S
 * later; a server without QUOTA is never asked again.
 *
 * The numbers:
 *  - with a STORAGE limit: blocks of 1 KiB (IMAP's unit), total = the
 *    limit, free = available = limit - usage (0 when over quota);
 *  - without one (no QUOTA, or no root limiting STORAGE): the server does
 *    not say how much room there is, so used = the bytes of the messages
 *    listed so far and free = available = FS_QUOTA_UNKNOWN_FREE, a stand-in
 *    for "unknown" (as rclone reports for remotes that do not say): a free
 *    count of 0 would make df show 100% used, and file managers that check
 *    the free space before a copy (Nautilus) refuse to copy at all.  A
 *    full mailbox shows as EDQUOT at APPEND ([OVERQUOTA]);
 *  - files: a MESSAGE limit the same way, else the messages listed so far
 *    and FS_QUOTA_UNKNOWN_FILES free.
 *
 * Locking: fs->quota is protected by fs->lock, which is not held across
 * the GETQUOTAROOT. */
#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>

#include "imapfs/imap_pool.h"
#include "imapfs/log.h"

#include "fs_int.h"

#define FS_QUOTA_TTL_S 60
/* After a failed refresh (server down): soon again, at most this often. */
#define FS_QUOTA_RETRY_S 10
#define FS_QUOTA_BLOCK 1024u
#define FS_QUOTA_UNKNOWN_FREE (1ull << 50) /* bytes: 1 PiB */
#define FS_QUOTA_UNKNOWN_FILES (1ull << 32)

/* With fs->lock held: whether a refresh is due now; if so it is marked
 * running and the caller must call fs_quota_refresh. */
static bool fs_quota_due(struct fs *fs)
{
	struct fs_quota *q = &fs->quota;
	gint64 now = g_get_monotonic_time();

	if (q->unsupported || q->refreshing || now < q->next_at)
		return false;
	q->refreshing = true;
	return true;
}

bool fs_quota_statfs(struct fs *fs, struct statvfs *sv)
{
	const struct imap_quota *iq = &fs->quota.q;

	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = 4096; /* the I/O size; sizes are in f_frsize units */
	sv->f_frsize = FS_QUOTA_BLOCK;
	sv->f_namemax = FS_NAME_MAX;
	if (iq->has_storage && iq->storage_limit > 0) {
		sv->f_blocks = (fsblkcnt_t)iq->storage_limit;
		sv->f_bfree = (fsblkcnt_t)(iq->storage_limit > iq->storage_used
					       ? iq->storage_limit - iq->storage_used
					       : 0);
	} else {
		sv->f_bfree = FS_QUOTA_UNKNOWN_FREE / FS_QUOTA_BLOCK;
		sv->f_blocks =
		    (fsblkcnt_t)((fs->nbytes + FS_QUOTA_BLOCK - 1) / FS_QUOTA_BLOCK) + sv->f_bfree;
	}
	sv->f_bavail = sv->f_bfree;
	if (iq->has_message && iq->message_limit > 0) {
		sv->f_files = (fsfilcnt_t)iq->message_limit;
		sv->f_ffree = (fsfilcnt_t)(iq->message_limit > iq->message_used
					       ? iq->message_limit - iq->message_used
					       : 0);
	} else {
		sv->f_ffree = FS_QUOTA_UNKNOWN_FILES;
		sv->f_files = (fsfilcnt_t)fs->nmsgs + sv->f_ffree;
	}
	sv->f_favail = sv->f_ffree;
	return fs_quota_due(fs);
}

void fs_quota_refresh(struct fs *fs)
{
	struct imap_conn *c = NULL;
	struct imap_quota iq;
	int ret;

	ret = imap_pool_get(fs->cfg.pool, NULL, &c);
	if (ret == 0) {
		ret = imap_conn_getquotaroot(c, "INBOX", &iq);
		if (ret < 0 && ret != -EOPNOTSUPP)
			log_debug(LOG_FS, "fs: quota: %s", imap_conn_error(c));
		imap_pool_put(fs->cfg.pool, c);
	}
	pthread_mutex_lock(&fs->lock);
	fs->quota.refreshing = false;
	fs->quota.next_at = g_get_monotonic_time() +
			    (gint64)(ret == 0 ? FS_QUOTA_TTL_S : FS_QUOTA_RETRY_S) * G_USEC_PER_SEC;
	if (ret == -EOPNOTSUPP)
		fs->quota.unsupported = true;
	else if (ret == 0)
		fs->quota.q = iq;
	pthread_mutex_unlock(&fs->lock);
	if (ret == 0)
		log_debug(
		    LOG_FS, "fs: quota: storage %s %llu of %llu KiB, messages %s %llu of %llu",
		    iq.has_storage ? "limited" : "unlimited", (unsigned long long)iq.storage_used,
		    (unsigned long long)iq.storage_limit, iq.has_message ? "limited" : "unlimited",
		    (unsigned long long)iq.message_used, (unsigned long long)iq.message_limit);
}

void fs_quota_load(struct fs *fs)
{
	bool due;

	pthread_mutex_lock(&fs->lock);
	due = fs_quota_due(fs);
	pthread_mutex_unlock(&fs->lock);
	if (due)
		fs_quota_refresh(fs);
}

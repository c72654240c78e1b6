/* fs extended attributes of message files (SPEC §2) and of staged ones
 * (their flags to be).  Values are what the listing holds; nothing here
 * talks to the server.  Setting them is change.c's and stage.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/xattr.h>

#include "imapfs/buf.h"

#include "fs_int.h"

#define FS_XATTR_FLAGS "user.imap.flags"
#define FS_XATTR_UID "user.imap.uid"
#define FS_XATTR_MSGID "user.imap.message_id"
#define FS_XATTR_MIME "user.mime_type"

int fs_xattr_get(struct fs *fs, uint64_t ino, const char *name, char **val_r, size_t *len_r)
{
	struct buf b = BUF_INIT;
	struct fs_node *n;
	int ret = 0;

	/* Only the user namespace exists here.  Saying so (EOPNOTSUPP, not
	 * ENODATA) for security.selinux and system.posix_acl_access lets
	 * ls -l remember it per file system instead of asking for every
	 * file: two round trips per entry, most of a cached ls -l. */
	if (name != NULL && strncmp(name, XATTR_USER_PREFIX, XATTR_USER_PREFIX_LEN) != 0)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&fs->lock);
	n = fs_inode_get(fs, ino);
	if (n == NULL) {
		ret = -ENOENT;
		goto out;
	}
	if (name == NULL) {
		/* The list: NUL-terminated names, back to back. */
		if (n->kind == FS_STAGED) {
			buf_append(&b, FS_XATTR_FLAGS, sizeof(FS_XATTR_FLAGS));
		} else if (n->kind == FS_MSG) {
			buf_append(&b, FS_XATTR_FLAGS, sizeof(FS_XATTR_FLAGS));
			buf_append(&b, FS_XATTR_UID, sizeof(FS_XATTR_UID));
			if (n->message_id != NULL)
				buf_append(&b, FS_XATTR_MSGID, sizeof(FS_XATTR_MSGID));
			buf_append(&b, FS_XATTR_MIME, sizeof(FS_XATTR_MIME));
		}
	} else if (n->kind == FS_STAGED) {
		/* The flags it will be appended with. */
		if (strcmp(name, FS_XATTR_FLAGS) == 0)
			buf_appends(&b, n->flags);
		else
			ret = -ENODATA;
	} else if (n->kind != FS_MSG) {
		ret = -ENODATA;
	} else if (strcmp(name, FS_XATTR_FLAGS) == 0) {
		buf_appends(&b, n->flags);
	} else if (strcmp(name, FS_XATTR_UID) == 0) {
		buf_appendf(&b, "%u", n->uid);
	} else if (strcmp(name, FS_XATTR_MSGID) == 0 && n->message_id != NULL) {
		buf_appends(&b, n->message_id);
	} else if (strcmp(name, FS_XATTR_MIME) == 0) {
		buf_appends(&b, "message/rfc822");
	} else {
		ret = -ENODATA;
	}
out:
	pthread_mutex_unlock(&fs->lock);
	if (ret < 0) {
		buf_free(&b);
		return ret;
	}
	*len_r = b.len;
	*val_r = buf_steal(&b);
	return 0;
}

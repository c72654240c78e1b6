/* mountpoint: /proc/self/mountinfo look-ups, and clearing a dead FUSE
 * mount.  A mount is dead only when the kernel says ENOTCONN: its
 * connection was aborted (the daemon's /dev/fuse descriptor is closed), so
 * no process can still be serving it.  A daemon that merely hangs makes
 * stat() wait instead, and is never touched here. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "imapfs/mountpoint.h"

extern char **environ;

/* Decodes mountinfo's octal escapes (\040 space, \011 tab, \012 newline,
 * \134 backslash) in place. */
static void mountpoint_unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE
 * SUPEROPTIONS": the mount point and the type, or -EINVAL. */
static int mountpoint_parse_line(char *line, char **mnt_r, char **fstype_r)
{
	char *save = NULL, *tok;
	unsigned field = 0;

	*mnt_r = *fstype_r = NULL;
	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (field == 4)
			*mnt_r = tok;
		if (field >= 6 && strcmp(tok, "-") == 0) {
			*fstype_r = strtok_r(NULL, " \n", &save);
			break;
		}
		field++;
	}
	if (!*mnt_r || !*fstype_r)
		return -EINVAL;
	mountpoint_unescape(*mnt_r);
	mountpoint_unescape(*fstype_r);
	return 0;
}

int mountpoint_fstype(const char *table, const char *path, char **fstype_r)
{
	FILE *f = fopen(table, "re");
	char *line = NULL, *mnt, *type, *found = NULL;
	size_t cap = 0;
	int rc = 0;

	*fstype_r = NULL;
	if (!f)
		return -errno;
	/* Later lines are mounted on top of earlier ones. */
	while (getline(&line, &cap, f) > 0) {
		rc = mountpoint_parse_line(line, &mnt, &type);
		if (rc < 0)
			break;
		if (strcmp(mnt, path) != 0)
			continue;
		free(found);
		found = strdup(type);
		if (!found) {
			rc = -ENOMEM;
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = -EIO;
	if (rc == 0 && !found)
		rc = -ENOENT;
	if (rc == 0)
		*fstype_r = found;
	else
		free(found);
	free(line);
	fclose(f);
	return rc;
}

/* The canonical path of a mount point that cannot be stat()ed itself:
 * realpath() of its parent, plus its last component. */
static char *mountpoint_canonical(const char *path)
{
	char *a = strdup(path), *b = strdup(path), *dir = NULL, *res = NULL;

	if (!a || !b)
		goto out;
	dir = realpath(dirname(a), NULL);
	if (!dir)
		goto out;
	if (asprintf(&res, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", basename(b)) < 0)
		res = NULL;
out:
	free(dir);
	free(b);
	free(a);
	return res;
}

static int mountpoint_fusermount_u(const char *path)
{
	char *argv[] = {"fusermount3", "-u", "-z", (char *)path, NULL};
	posix_spawn_file_actions_t fa;
	int status, rc;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	rc = -posix_spawnp(&pid, "fusermount3", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc < 0)
		return rc;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

int mountpoint_clear_dead(const char *path, const char *fstype)
{
	struct stat st;
	char *canon = NULL, *type = NULL;
	int rc;

	if (stat(path, &st) == 0 || errno != ENOTCONN)
		return -ENOENT;
	canon = mountpoint_canonical(path);
	if (!canon)
		return errno ? -errno : -ENOMEM;
	rc = mountpoint_fstype("/proc/self/mountinfo", canon, &type);
	if (rc == -ENOENT || (rc == 0 && strcmp(type, fstype) != 0)) {
		rc = -ENOTCONN;
		goto out;
	}
	if (rc < 0)
		goto out;
	if (geteuid() == 0)
		rc = umount2(canon, MNT_DETACH) < 0 ? -errno : 0;
	else
		rc = mountpoint_fusermount_u(canon);
	if (rc == 0 && stat(path, &st) < 0 && errno == ENOTCONN)
		rc = -ENOTCONN; /* another dead mount below it */
	else if (rc < 0)
		rc = -ENOTCONN;
out:
	free(type);
	free(canon);
	return rc;
}

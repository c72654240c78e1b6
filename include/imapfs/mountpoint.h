/* mountpoint: what is mounted where, and the removal of a FUSE mount whose
 * daemon died without unmounting (a crash, SIGKILL, the OOM killer): the
 * kernel keeps such a mount, every access to it fails with ENOTCONN, and
 * nothing can be mounted there until it is gone -- so a restarted daemon
 * (systemd's Restart=on-failure) must clear it first. */
#ifndef IMAPFS_MOUNTPOINT_H
#define IMAPFS_MOUNTPOINT_H

/* Looks up path (absolute and canonical) in table, a file in the format
 * of /proc/self/mountinfo (proc(5); octal escapes such as \040 decoded):
 * *fstype_r (malloc'd) is the type of the mount on top of path, e.g.
 * "fuse.imapfs".  -ENOENT when nothing is mounted there, -EINVAL for a
 * malformed line, other -errno when the table cannot be read. */
int mountpoint_fstype(const char *table, const char *path, char **fstype_r);

/* When path is a dead mount (stat fails with ENOTCONN) of type fstype in
 * /proc/self/mountinfo, detaches it: umount2(MNT_DETACH) as root, else
 * "fusermount3 -u -z" (found in $PATH, else /bin:/usr/bin; its output
 * discarded).  Returns 0 once path is usable again; -ENOTCONN untouched
 * when the dead mount is of another type or cannot be detached (another
 * user's); -ENOENT when path is no dead mount; other -errno. */
int mountpoint_clear_dead(const char *path, const char *fstype);

#endif

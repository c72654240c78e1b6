/* xdg: where the user's own files are: the home directory and the XDG base
 * directories ($XDG_CONFIG_HOME, $XDG_CACHE_HOME), for the accounts file,
 * the default cache directory and ~/.netrc. */
#ifndef IMAPFS_XDG_H
#define IMAPFS_XDG_H

/* The home directory, malloc'd in *home_r: $HOME when it is an absolute
 * path and not an existing directory of another user, else the passwd
 * entry's.  (mount.fuse3 sets HOME=/root when mount(8) left it unset, also
 * when it runs as the user of a "user" fstab entry.)  -ENOENT when neither
 * gives an absolute path. */
int xdg_home(char **home_r);

/* The XDG base directory named by the environment variable var, malloc'd
 * in *dir_r: its value when it is an absolute path (a relative one is
 * ignored, as the XDG Base Directory spec says), else HOME/fallback, e.g.
 * xdg_base_dir("XDG_CONFIG_HOME", ".config", &d).  -ENOENT without a
 * home. */
int xdg_base_dir(const char *var, const char *fallback, char **dir_r);

/* Expands a leading "~" or "~/" of path with the home directory; any other
 * path is copied.  The result is malloc'd in *path_r.  -ENOENT when path
 * needs a home and there is none. */
int xdg_expand_tilde(const char *path, char **path_r);

#endif

/* xdg: the home directory and the XDG base directories. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imapfs/xdg.h"

/* Whether $HOME may be used: absolute, and not someone else's directory.
 * A HOME that does not exist (yet) is the caller's business. */
static int xdg_home_is_ours(const char *home)
{
	struct stat st;

	if (!home || home[0] != '/')
		return 0;
	if (stat(home, &st) < 0)
		return 1;
	return st.st_uid == getuid();
}

int xdg_home(char **home_r)
{
	const char *home = getenv("HOME");

	if (!xdg_home_is_ours(home)) {
		struct passwd *pw = getpwuid(getuid());

		home = pw ? pw->pw_dir : NULL;
		if (!home || home[0] != '/')
			return -ENOENT;
	}
	*home_r = strdup(home);
	return *home_r ? 0 : -ENOMEM;
}

int xdg_base_dir(const char *var, const char *fallback, char **dir_r)
{
	const char *v = getenv(var);
	char *home;
	int n;
	int ret;

	if (v && v[0] == '/') {
		*dir_r = strdup(v);
		return *dir_r ? 0 : -ENOMEM;
	}
	ret = xdg_home(&home);
	if (ret < 0)
		return ret;
	n = asprintf(dir_r, "%s/%s", home, fallback);
	free(home);
	if (n < 0) {
		*dir_r = NULL;
		return -ENOMEM;
	}
	return 0;
}

int xdg_expand_tilde(const char *path, char **path_r)
{
	char *home;
	int n;
	int ret;

	if (path[0] != '~' || (path[1] != '\0' && path[1] != '/')) {
		*path_r = strdup(path);
		return *path_r ? 0 : -ENOMEM;
	}
	ret = xdg_home(&home);
	if (ret < 0)
		return ret;
	/* "~/" alone is the home itself, without a trailing slash. */
	n = asprintf(path_r, "%s%s", home, path[1] && path[2] ? path + 1 : "");
	free(home);
	if (n < 0) {
		*path_r = NULL;
		return -ENOMEM;
	}
	return 0;
}

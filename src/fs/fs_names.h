/* fs names: the pure, unit-tested rules that turn raw mailbox names into
 * path components (SPEC §2).  No libfuse, no locks, no I/O. */
#ifndef IMAPFS_FS_NAMES_H
#define IMAPFS_FS_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* The longest component the kernel will ever ask about (NAME_MAX). */
#define FS_NAME_MAX 255

/* A raw mailbox name split at its hierarchy delimiter and decoded. */
struct fs_names_path {
	size_t n;
	char **comp;	/* n decoded UTF-8 components */
	size_t *rawlen; /* rawlen[i]: bytes of the raw name up to the end of comp[i] */
};

/* True when comp, a decoded UTF-8 component, may be shown as a file name:
 * not empty, not "." or "..", at most FS_NAME_MAX bytes, and free of '/',
 * C0 and C1 control characters and DEL. */
bool fs_names_component_ok(const char *comp);

/* Splits raw (modified UTF-7) at delim (0: flat, one component) and
 * decodes every component.  A delimiter inside a "&...-" run is data, not
 * a split point.  Returns 0, or -EINVAL when the name is unsafe, with a
 * static reason in *why_r ("invalid modified UTF-7", "empty component",
 * ...).  On success the caller clears p with fs_names_path_clear. */
int fs_names_split(const char *raw, char delim, struct fs_names_path *p, const char **why_r);
void fs_names_path_clear(struct fs_names_path *p);

#endif

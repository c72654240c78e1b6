/* fs names: probe names and mailbox-name sanitizing (SPEC §2). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapfs/fs.h"
#include "imapfs/imap_utf7.h"

#include "fs_names.h"

/*
 * Names that desktops, shells and editors look up in every directory they
 * visit.  Answering them locally keeps `ls`, a file manager or a shell
 * prompt from costing server round trips, and no mailbox may ever take
 * one of these names.  The list is kept to names no one plausibly gives a
 * mail folder:
 *  - .Trash, .Trash-UID: the freedesktop trash spec, probed by gio/KDE at
 *    the top of every mount;
 *  - .xdg-volume-info: gvfs's volume name and icon;
 *  - .hidden (GTK file chooser, Nautilus), .directory (KDE Dolphin);
 *  - autorun.inf, desktop.ini, Thumbs.db: Windows conventions that
 *    desktops and Samba-minded tools probe; compared without case as
 *    Windows does;
 *  - .DS_Store: what macOS Finder leaves and Linux file managers skip;
 *  - .git, .svn, .hg, .bzr: shell prompts and editors walk up every
 *    directory looking for a repository.
 * Deliberately not listed: git's bare-repository probes (HEAD, objects,
 * refs) and AppleDouble "._*" files: those could be real folder names,
 * and a name that is not a message file name nor a known mailbox is
 * answered locally anyway.
 */
static const char *const fs_probe_names[] = {
    ".Trash", ".xdg-volume-info", ".hidden", ".directory", ".DS_Store", ".git", ".svn", ".hg",
    ".bzr",
};

static const char *const fs_probe_names_nocase[] = {
    "autorun.inf",
    "desktop.ini",
    "Thumbs.db",
};

#define FS_NELEM(a) (sizeof(a) / sizeof((a)[0]))

bool fs_is_probe_name(const char *name)
{
	size_t i;

	for (i = 0; i < FS_NELEM(fs_probe_names); i++)
		if (strcmp(name, fs_probe_names[i]) == 0)
			return true;
	for (i = 0; i < FS_NELEM(fs_probe_names_nocase); i++)
		if (strcasecmp(name, fs_probe_names_nocase[i]) == 0)
			return true;
	return strncmp(name, ".Trash-", 7) == 0;
}

bool fs_names_component_ok(const char *comp)
{
	const unsigned char *s = (const unsigned char *)comp;
	size_t len = strlen(comp);

	if (len == 0 || len > FS_NAME_MAX || strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '/' || s[i] < 0x20 || s[i] == 0x7f)
			return false;
		/* U+0080..U+009F (C1 controls) are C2 80..C2 9F in UTF-8. */
		if (s[i] == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			return false;
	}
	return true;
}

void fs_names_path_clear(struct fs_names_path *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->comp[i]);
	free(p->comp);
	free(p->rawlen);
	p->comp = NULL;
	p->rawlen = NULL;
	p->n = 0;
}

int fs_names_split(const char *raw, char delim, struct fs_names_path *p, const char **why_r)
{
	size_t len = strlen(raw), start = 0, cap = 1;
	bool in_b64 = false;
	char *whole = NULL, *piece = NULL;
	int ret;

	p->n = 0;
	p->comp = NULL;
	p->rawlen = NULL;
	*why_r = NULL;

	/* Decoding the whole name first rejects every encoding error at once,
	 * including a base64 run cut by what looks like a delimiter. */
	ret = imap_utf7_decode(raw, &whole);
	if (ret < 0) {
		*why_r = "invalid modified UTF-7";
		goto out;
	}
	free(whole);

	for (size_t i = 0; i < len; i++)
		if (raw[i] == delim && delim != 0)
			cap++;
	p->comp = calloc(cap, sizeof(*p->comp));
	p->rawlen = calloc(cap, sizeof(*p->rawlen));
	if (p->comp == NULL || p->rawlen == NULL)
		abort();

	for (size_t i = 0; i <= len; i++) {
		char ch = raw[i];

		if (i < len) {
			if (in_b64) {
				if (ch == '-')
					in_b64 = false;
				continue;
			}
			if (ch == '&') {
				in_b64 = true;
				continue;
			}
			if (delim == 0 || ch != delim)
				continue;
		}
		/* raw[start..i) is one component. */
		piece = strndup(raw + start, i - start);
		if (piece == NULL)
			abort();
		ret = imap_utf7_decode(piece, &p->comp[p->n]);
		free(piece);
		if (ret < 0) {
			*why_r = "invalid modified UTF-7";
			goto out;
		}
		p->rawlen[p->n] = i;
		p->n++;
		if (p->comp[p->n - 1][0] == '\0') {
			*why_r = "empty component";
			ret = -EINVAL;
			goto out;
		}
		if (!fs_names_component_ok(p->comp[p->n - 1])) {
			*why_r = "unsafe component ('.', '..', '/', control character or too long)";
			ret = -EINVAL;
			goto out;
		}
		start = i + 1;
	}
	ret = 0;
out:
	if (ret < 0)
		fs_names_path_clear(p);
	return ret;
}

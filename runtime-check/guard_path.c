/* runtime-check/guard_path.c: who may write an agent and the folders above. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sbx/err.h>
#include <sbx/policy.h>

#include "guard_int.h"

/*
 * The walk resolves the path one component at a time, as the kernel
 * does, and checks every folder on the way and the file at the end,
 * including the folders that hold a symbolic link: whoever can write
 * any of them can make the path name another file between the check
 * and the JVM's open. The components still to walk are kept in rest,
 * a path relative to cur.
 */
struct walk {
	const struct sbx_policy *p;
	char		 cur[PATH_MAX];	/* resolved so far; "" is "/" */
	char		 rest[PATH_MAX];
	int		 links;
	struct sbx_err	*err;
};

/*
 * A folder that others may write is still safe with the sticky bit
 * (as /tmp): only an entry's owner, the folder's owner or root may then
 * rename or remove the entry, and the entry's owner is checked next.
 */
static int
check_node(struct walk *w, const char *path, const struct stat *st,
    bool last)
{
	const struct sbx_policy *p = w->p;
	bool sticky_dir = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) &&
	    !last;

	if (!sbx_policy_allows_owner(p, st->st_uid))
		return sbx_err_reject(w->err, SBX_V_UNSAFE_PATH,
		    "%s is owned by uid %u, which the policy does not allow",
		    path, (unsigned)st->st_uid);
	if (p->paths.forbid_world_writable && (st->st_mode & S_IWOTH) &&
	    !sticky_dir)
		return sbx_err_reject(w->err, SBX_V_UNSAFE_PATH,
		    "%s is writable by anyone", path);
	if (p->paths.forbid_group_writable && (st->st_mode & S_IWGRP) &&
	    !sticky_dir)
		return sbx_err_reject(w->err, SBX_V_UNSAFE_PATH,
		    "%s is writable by its group (gid %u)", path,
		    (unsigned)st->st_gid);
	return SBX_OK;
}

/* Take the first component of w->rest into comp (NAME_MAX + 1 bytes). */
static int
next_component(struct walk *w, char *comp)
{
	char *s = w->rest, *slash;
	size_t len;

	s += strspn(s, "/");
	slash = strchr(s, '/');
	len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (len > NAME_MAX)
		return sbx_err_set(w->err, SBX_EIO, "%.*s...: name too long",
		    40, s);
	memcpy(comp, s, len);
	comp[len] = '\0';
	memmove(w->rest, s + len, strlen(s + len) + 1);
	return SBX_OK;
}

static bool
rest_is_empty(const struct walk *w)
{
	return w->rest[strspn(w->rest, "/")] == '\0';
}

/* A symbolic link: its target goes in front of what is left. */
static int
follow(struct walk *w, const char *link)
{
	char target[PATH_MAX], joined[PATH_MAX];
	ssize_t n;

	if (++w->links > GUARD_MAX_LINKS)
		return sbx_err_reject(w->err, SBX_V_UNSAFE_PATH,
		    "%s: too many symbolic links", link);
	if ((n = readlink(link, target, sizeof(target) - 1)) == -1)
		return sbx_err_set(w->err, SBX_EIO, "%s: %s", link,
		    strerror(errno));
	target[n] = '\0';
	if (snprintf(joined, sizeof(joined), "%s/%s", target, w->rest) >=
	    (int)sizeof(joined))
		return sbx_err_set(w->err, SBX_EIO, "%s: path too long", link);
	memcpy(w->rest, joined, sizeof(joined));
	if (target[0] == '/')
		w->cur[0] = '\0';
	return SBX_OK;
}

/* One step of the walk; *done once the path is used up or missing. */
static int
step(struct walk *w, bool must_exist, struct stat *st, bool *done)
{
	char comp[NAME_MAX + 1], next[PATH_MAX];
	char *slash;
	int rc;

	if ((rc = next_component(w, comp)) != SBX_OK)
		return rc;
	if (comp[0] == '\0' || strcmp(comp, ".") == 0) {
		*done = rest_is_empty(w);
		return SBX_OK;
	}
	if (strcmp(comp, "..") == 0) {
		if ((slash = strrchr(w->cur, '/')) != NULL)
			*slash = '\0';
		return SBX_OK;
	}
	if (snprintf(next, sizeof(next), "%s/%s", w->cur, comp) >=
	    (int)sizeof(next))
		return sbx_err_set(w->err, SBX_EIO, "%s: path too long", next);
	if (lstat(next, st) == -1) {
		*done = errno == ENOENT && !must_exist;
		if (*done)
			return SBX_OK;
		return sbx_err_set(w->err, SBX_EIO, "%s: %s", next,
		    strerror(errno));
	}
	if (S_ISLNK(st->st_mode))
		return follow(w, next);
	if ((rc = check_node(w, next, st, rest_is_empty(w))) != SBX_OK)
		return rc;
	memcpy(w->cur, next, sizeof(next));
	*done = rest_is_empty(w);
	return SBX_OK;
}

/*
 * Check path (absolute) and every folder above it against the policy's
 * ownership and mode rules. want, when not NULL, is the file the
 * caller opened: the path must still name it. A path that does not
 * exist is fine when !must_exist, once the folders that do exist pass:
 * only their owners could create it later. SBX_OK, SBX_EREJECT with
 * SBX_V_UNSAFE_PATH, or SBX_EIO.
 */
int
gpath_check(struct sbx_guard *g, const char *path, const struct stat *want,
    bool must_exist, struct sbx_err *err)
{
	struct walk w = { .p = g->policy, .err = err };
	struct stat st;
	bool done = false;
	int rc;

	if (snprintf(w.rest, sizeof(w.rest), "%s", path) >=
	    (int)sizeof(w.rest))
		return sbx_err_set(err, SBX_EIO, "%s: path too long", path);
	if (lstat("/", &st) == -1)
		return sbx_err_set(err, SBX_EIO, "/: %s", strerror(errno));
	if ((rc = check_node(&w, "/", &st, false)) != SBX_OK)
		return rc;
	memset(&st, 0, sizeof(st));
	while (!done)
		if ((rc = step(&w, must_exist, &st, &done)) != SBX_OK)
			return rc;
	if (want != NULL && w.cur[0] != '\0' &&
	    (st.st_dev != want->st_dev || st.st_ino != want->st_ino))
		return sbx_err_reject(err, SBX_V_UNSAFE_PATH,
		    "%s changed while it was being checked", path);
	return SBX_OK;
}

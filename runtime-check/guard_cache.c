/* runtime-check/guard_cache.c: verdicts kept as safely as the keyring. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <sbx/buf.h>
#include <sbx/err.h>
#include <sbx/file.h>
#include <sbx/policy.h>

#include "guard_int.h"

/*
 * One JSON file per file verdict, named by the file's device and inode
 * and the policy's, holding the full identity of the file, of its
 * provenance, of the policy and of the keyring (device, inode, size,
 * mtime and ctime to the nanosecond): a hit needs no hashing, so no
 * OpenSSL, and any change to any of them is a miss. Only acceptances
 * are kept; a refusal is checked again, and written down again.
 *
 * Whoever can write the cache can make the guard accept anything, like
 * whoever can write the keyring; so the folder and its files must be
 * owned by the keyring's owner and writable by nobody else, and every
 * folder above must be owned by root or that owner. A cache that fails
 * this is not used (each start is then a full check). Only the
 * keyring's owner writes entries; other users read them.
 */

#define CACHE_VERSION	1
#define CACHE_ENTRY_MAX	65536
#define CACHE_SUBDIR	".sbx-guard-cache"

void
gid_from_stat(struct gid *id, const struct stat *st)
{
	id->present = true;
	id->dev = (uint64_t)st->st_dev;
	id->ino = (uint64_t)st->st_ino;
	id->size = (int64_t)st->st_size;
	id->mtime_s = (int64_t)st->st_mtim.tv_sec;
	id->mtime_ns = (int64_t)st->st_mtim.tv_nsec;
	id->ctime_s = (int64_t)st->st_ctim.tv_sec;
	id->ctime_ns = (int64_t)st->st_ctim.tv_nsec;
}

bool
gid_eq(const struct gid *a, const struct gid *b)
{
	if (a->present != b->present)
		return false;
	return !a->present || (a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtime_s == b->mtime_s &&
	    a->mtime_ns == b->mtime_ns && a->ctime_s == b->ctime_s &&
	    a->ctime_ns == b->ctime_ns);
}

static bool
safe_entry(const struct stat *st, uid_t owner, bool dir)
{
	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
		return false;
	return st->st_uid == owner && (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/* Every folder from real (a resolved path) up to / is owner's or root's. */
static bool
safe_chain(const char *real, uid_t owner)
{
	char p[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(p, sizeof(p), "%s", real);
	while ((slash = strrchr(p, '/')) != NULL) {
		*slash = '\0';
		if (lstat(p[0] != '\0' ? p : "/", &st) == -1 ||
		    (st.st_uid != 0 && st.st_uid != owner) ||
		    ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
		    (st.st_mode & S_ISVTX) == 0))
			return false;
	}
	return true;
}

static bool
stat_gid(struct gid *id, const char *path)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (path == NULL)
		return true;
	if (stat(path, &st) == -1)
		return false;
	gid_from_stat(id, &st);
	return true;
}

void
gcache_open(struct sbx_guard *g)
{
	struct gcache *c = &g->cache;
	char kr[PATH_MAX], real[PATH_MAX];
	struct stat st;

	memset(c, 0, sizeof(*c));
	if (stat(g->policy->keyring, &st) == -1)
		return;
	c->owner = st.st_uid;
	if (!stat_gid(&c->keyring, g->policy->keyring) ||
	    !stat_gid(&c->policy, g->policy->path))
		return;
	snprintf(kr, sizeof(kr), "%s", g->policy->keyring);
	if (g->conf.cache_dir != NULL)
		snprintf(c->dir, sizeof(c->dir), "%s", g->conf.cache_dir);
	else if (snprintf(c->dir, sizeof(c->dir), "%s/%s", dirname(kr),
	    CACHE_SUBDIR) >= (int)sizeof(c->dir))
		return;
	if (lstat(c->dir, &st) == -1 && errno == ENOENT &&
	    geteuid() == c->owner)
		(void)mkdir(c->dir, 0755);
	if (lstat(c->dir, &st) == -1 || !safe_entry(&st, c->owner, true) ||
	    realpath(c->dir, real) == NULL || !safe_chain(real, c->owner))
		return;
	c->usable = true;
	c->writable = geteuid() == c->owner && access(c->dir, W_OK) == 0;
}

static const char *
role_prefix(enum grole role)
{
	return role == ROLE_APP ? "app" : role == ROLE_NATIVE ? "lib" : "jar";
}

static bool
entry_path(char *out, size_t n, const struct sbx_guard *g,
    const struct gfile *f)
{
	const struct gid *p = g->cache.policy.present ? &g->cache.policy :
	    &g->cache.keyring;
	int len;

	len = snprintf(out, n, "%s/%s-%llx-%llx-%llx-%llx.json", g->cache.dir,
	    role_prefix(f->role), (unsigned long long)f->st.st_dev,
	    (unsigned long long)f->st.st_ino, (unsigned long long)p->dev,
	    (unsigned long long)p->ino);
	return len > 0 && (size_t)len < n;
}

static json_t *
gid_json(const struct gid *id)
{
	if (!id->present)
		return json_null();
	return json_pack("[I,I,I,I,I,I,I]", (json_int_t)id->dev,
	    (json_int_t)id->ino, (json_int_t)id->size,
	    (json_int_t)id->mtime_s, (json_int_t)id->mtime_ns,
	    (json_int_t)id->ctime_s, (json_int_t)id->ctime_ns);
}

static bool
gid_matches(const json_t *j, const struct gid *id)
{
	json_int_t v[7];

	if (json_is_null(j))
		return !id->present;
	if (!id->present || json_unpack((json_t *)j, "[IIIIIII]", &v[0],
	    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) != 0)
		return false;
	return (uint64_t)v[0] == id->dev && (uint64_t)v[1] == id->ino &&
	    v[2] == id->size && v[3] == id->mtime_s && v[4] == id->mtime_ns &&
	    v[5] == id->ctime_s && v[6] == id->ctime_ns;
}

static json_t *
load_entry(const char *path, uid_t owner)
{
	struct sbx_buf b = { 0 };
	unsigned char *at;
	struct stat st;
	json_t *j = NULL;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == 0 && safe_entry(&st, owner, false) &&
	    st.st_size > 0 && st.st_size < CACHE_ENTRY_MAX &&
	    sbx_buf_extend(&b, (size_t)st.st_size, &at, NULL) == SBX_OK &&
	    (n = pread(fd, at, (size_t)st.st_size, 0)) == st.st_size)
		j = json_loadb((char *)at, (size_t)n, 0, NULL);
	close(fd);
	sbx_buf_free(&b);
	return j;
}

static bool
copy_str(char *out, size_t n, json_t *j)
{
	const char *s = json_string_value(j);

	if (s == NULL || strlen(s) >= n)
		return false;
	memcpy(out, s, strlen(s) + 1);
	return true;
}

/* Fill f from a matching entry; false on any doubt. */
static bool
take_entry(struct sbx_guard *g, struct gfile *f, json_t *j)
{
	struct gid id;
	json_t *deps, *d;
	size_t i;

	gid_from_stat(&id, &f->st);
	if (json_integer_value(json_object_get(j, "v")) != CACHE_VERSION ||
	    !gid_matches(json_object_get(j, "file"), &id) ||
	    !gid_matches(json_object_get(j, "provenance"), &f->prov) ||
	    !gid_matches(json_object_get(j, "policy"), &g->cache.policy) ||
	    !gid_matches(json_object_get(j, "keyring"), &g->cache.keyring) ||
	    json_integer_value(json_object_get(j, "until")) <= g->now ||
	    !copy_str(f->sha256, sizeof(f->sha256),
	    json_object_get(j, "sha256")) ||
	    !copy_str(f->key_id, sizeof(f->key_id),
	    json_object_get(j, "key_id")) ||
	    !copy_str(f->signer, sizeof(f->signer),
	    json_object_get(j, "signer")) ||
	    !copy_str(f->subject, sizeof(f->subject),
	    json_object_get(j, "subject")) ||
	    !json_is_array(deps = json_object_get(j, "deps")))
		return false;
	f->launcher_agent = json_is_true(json_object_get(j, "launcher_agent"));
	f->class_path = json_is_true(json_object_get(j, "class_path"));
	f->nboot = (size_t)json_integer_value(json_object_get(j, "nboot"));
	f->until = json_integer_value(json_object_get(j, "until"));
	json_array_foreach(deps, i, d)
		if (!json_is_string(d) || sbx_jvm_strs_add(&f->deps,
		    json_string_value(d), strlen(json_string_value(d)), NULL) !=
		    SBX_OK)
			return false;
	return f->nboot <= f->deps.n;
}

/*
 * May a verdict on f stand for its bytes? Its identity says no write
 * happened, except one: a write through a shared mapping to a page
 * already dirty changes no time at all (on tmpfs no mapped write ever
 * does). So a verdict is kept and used only for a file as trusted as
 * the cache: owned by root or the keyring's owner, writable by no one
 * else; and, where the kernel can tell, that nobody holds open for
 * writing, a writable mapping included, when it is kept or used (a
 * read lease is refused while anyone does). A swap through a mapping
 * needs that mapping from before the verdict was kept to after, so it
 * is seen, provided the verdict was kept by a guard that could ask:
 * one that cannot (not the file's owner, no CAP_LEASE; a file system
 * without leases) uses verdicts but does not keep them.
 */
enum writers { WRITERS_NONE, WRITERS_SOME, WRITERS_UNKNOWN };

static enum writers
open_for_writing(int fd)
{
	if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
		(void)fcntl(fd, F_SETLEASE, F_UNLCK);
		return WRITERS_NONE;
	}
	return errno == EAGAIN || errno == EBUSY ? WRITERS_SOME :
	    WRITERS_UNKNOWN;
}

static bool
cache_trusts(const struct sbx_guard *g, const struct gfile *f, bool keep)
{
	enum writers w;

	if (f->fd == -1 ||
	    (f->st.st_uid != 0 && f->st.st_uid != g->cache.owner) ||
	    (f->st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return false;
	w = open_for_writing(f->fd);
	return w == WRITERS_NONE || (w == WRITERS_UNKNOWN && !keep);
}

bool
gcache_get(struct sbx_guard *g, struct gfile *f)
{
	char path[PATH_MAX];
	json_t *j;
	bool ok;

	if (!g->cache.usable || !cache_trusts(g, f, false) ||
	    !entry_path(path, sizeof(path), g, f) ||
	    (j = load_entry(path, g->cache.owner)) == NULL)
		return false;
	ok = take_entry(g, f, j);
	json_decref(j);
	if (!ok) {
		sbx_jvm_strs_free(&f->deps);
		f->nboot = 0;
		return false;
	}
	f->checked = f->accepted = f->from_cache = true;
	return true;
}

static json_t *
entry_json(const struct sbx_guard *g, const struct gfile *f)
{
	json_t *j, *deps;
	struct gid id;
	size_t i;

	gid_from_stat(&id, &f->st);
	if ((deps = json_array()) == NULL)
		return NULL;
	for (i = 0; i < f->deps.n; i++)
		json_array_append_new(deps, json_string(f->deps.v[i]));
	j = json_pack("{s:i, s:s, s:o, s:o, s:o, s:o, s:I, s:s, s:s, s:s, "
	    "s:s, s:b, s:b, s:I, s:o}", "v", CACHE_VERSION, "path", f->path,
	    "file", gid_json(&id), "provenance", gid_json(&f->prov),
	    "policy", gid_json(&g->cache.policy), "keyring",
	    gid_json(&g->cache.keyring), "until", (json_int_t)f->until,
	    "sha256", f->sha256, "key_id", f->key_id, "signer", f->signer,
	    "subject", f->subject, "launcher_agent", f->launcher_agent,
	    "class_path", f->class_path, "nboot", (json_int_t)f->nboot,
	    "deps", deps);
	return j;
}

/*
 * Keep an acceptance. Writing is best effort: a full disk or a cache
 * that cannot be written only costs the next start a full check.
 */
void
gcache_put(struct sbx_guard *g, const struct gfile *f)
{
	char path[PATH_MAX], *text;
	json_t *j;

	if (!g->cache.writable || !f->accepted || f->until <= g->now ||
	    !cache_trusts(g, f, true) ||
	    !entry_path(path, sizeof(path), g, f) ||
	    (j = entry_json(g, f)) == NULL)
		return;
	if ((text = json_dumps(j, JSON_COMPACT)) != NULL)
		(void)sbx_file_write_atomic(path, text, strlen(text), 0644,
		    NULL);
	free(text);
	json_decref(j);
}

/*
 * A policy whose URLs a guard has checked (sbx_policy_load_flags()): an
 * entry named by the policy file's device and inode, holding its full
 * identity. An edit changes the identity, so the next guard checks
 * again.
 */
static bool
policy_entry_path(char *out, size_t n, const struct sbx_guard *g)
{
	int len;

	len = snprintf(out, n, "%s/policy-%llx-%llx.json", g->cache.dir,
	    (unsigned long long)g->cache.policy.dev,
	    (unsigned long long)g->cache.policy.ino);
	return g->cache.policy.present && len > 0 && (size_t)len < n;
}

bool
gcache_policy_checked(const struct sbx_guard *g)
{
	char path[PATH_MAX];
	json_t *j;
	bool ok;

	if (!g->cache.usable || !policy_entry_path(path, sizeof(path), g) ||
	    (j = load_entry(path, g->cache.owner)) == NULL)
		return false;
	ok = json_integer_value(json_object_get(j, "v")) == CACHE_VERSION &&
	    gid_matches(json_object_get(j, "policy"), &g->cache.policy) &&
	    json_is_true(json_object_get(j, "urls_checked"));
	json_decref(j);
	return ok;
}

void
gcache_policy_put(const struct sbx_guard *g)
{
	char path[PATH_MAX], *text;
	json_t *j;

	if (!g->cache.writable || !policy_entry_path(path, sizeof(path), g) ||
	    (j = json_pack("{s:i, s:s, s:o, s:b}", "v", CACHE_VERSION, "path",
	    g->policy->path, "policy", gid_json(&g->cache.policy),
	    "urls_checked", 1)) == NULL)
		return;
	if ((text = json_dumps(j, JSON_COMPACT)) != NULL)
		(void)sbx_file_write_atomic(path, text, strlen(text), 0644,
		    NULL);
	free(text);
	json_decref(j);
}

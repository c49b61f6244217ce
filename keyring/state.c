/* keyring/state.c: the highest keyring version this host has accepted. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <sbx/file.h>
#include <sbx/root.h>

#include "keyring_int.h"

#define STATE_TYPE	"sbx-keyring-state"
#define STATE_MAX	4096

struct sbx_keyring_state {
	char		*path;
	int		 lock_fd;
	uint64_t	 version;	/* 0: nothing accepted yet */
};

static const char *const state_fields[] = {
	"type", "version", "accepted", NULL
};

int
sbx_keyring_state_path(char *out, size_t n, const char *keyring_path,
    const char *state_dir, struct sbx_err *err)
{
	const char *base = strrchr(keyring_path, '/');
	int w;

	base = base != NULL ? base + 1 : keyring_path;
	if (*base == '\0')
		return sbx_err_set(err, SBX_ECONFIG, "%s: not a file name",
		    keyring_path);
	if (state_dir != NULL)
		w = snprintf(out, n, "%s/%s.state", state_dir, base);
	else
		w = snprintf(out, n, "%s.state", keyring_path);
	if (w < 0 || (size_t)w >= n)
		return sbx_err_set(err, SBX_ECONFIG, "%s: state file path too "
		    "long", keyring_path);
	return SBX_OK;
}

/*
 * One lock for the read, the comparison and the write, so that two
 * runs at once cannot record a lower version over a higher one. The
 * lock file is opened read-only where it cannot be created or written:
 * a host that only reads a state file kept by root can still check it.
 */
static int
lock(int *fd_out, const char *path, struct sbx_err *err)
{
	char lpath[PATH_MAX];
	int fd;

	*fd_out = -1;
	if (snprintf(lpath, sizeof(lpath), "%s.lock", path) >=
	    (int)sizeof(lpath))
		return sbx_err_set(err, SBX_ECONFIG, "%s: path too long",
		    path);
	fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1 && (errno == EACCES || errno == EROFS))
		fd = open(lpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return sbx_err_set(err, SBX_EIO, "%s: %s", lpath,
		    strerror(errno));
	while (flock(fd, LOCK_EX) == -1) {
		if (errno == EINTR)
			continue;
		close(fd);
		return sbx_err_set(err, SBX_EIO, "%s: cannot lock: %s", lpath,
		    strerror(errno));
	}
	*fd_out = fd;
	return SBX_OK;
}

static int
parse_state(struct sbx_keyring_state *st, const struct sbx_buf *b,
    struct sbx_err *err)
{
	struct sbx_kr_where w = { .path = st->path };
	json_error_t jerr;
	json_t *doc;
	const char *type;
	int64_t t;
	bool present;
	int rc;

	doc = json_loadb((const char *)b->p, b->len, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (doc == NULL)
		return sbx_err_set(err, SBX_ECONFIG, "%s:%d:%d: %s", st->path,
		    jerr.line, jerr.column, jerr.text);
	if (!json_is_object(doc))
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: not a keyring state "
		    "file (a JSON object)", st->path);
	else if ((rc = sbx_kr_check_fields(doc, state_fields, &w, err)) ==
	    SBX_OK &&
	    (rc = sbx_kr_get_str(&type, doc, "type", true, &w, err)) ==
	    SBX_OK) {
		if (strcmp(type, STATE_TYPE) != 0)
			rc = sbx_kr_bad(err, &w, "type", "must be \""
			    STATE_TYPE "\"");
		else if ((rc = sbx_kr_get_count(&st->version, doc, "version",
		    &w, err)) == SBX_OK)
			rc = sbx_kr_get_time(&t, &present, doc, "accepted",
			    false, &w, err);
	}
	json_decref(doc);
	return rc;
}

int
sbx_keyring_state_open(struct sbx_keyring_state **out, const char *path,
    struct sbx_err *err)
{
	struct sbx_keyring_state *st;
	struct sbx_buf b = { 0 };
	int rc;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(path)) == NULL) {
		free(st);
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	}
	st->lock_fd = -1;
	if ((rc = lock(&st->lock_fd, path, err)) != SBX_OK)
		goto done;
	rc = sbx_file_read(&b, path, STATE_MAX, err);
	if (rc == SBX_EIO && access(path, F_OK) == -1 && errno == ENOENT)
		rc = SBX_OK;		/* first use: nothing accepted yet */
	else if (rc == SBX_EREJECT)
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: larger than %d bytes: "
		    "not a state file", path, STATE_MAX);
	else if (rc == SBX_OK)
		rc = parse_state(st, &b, err);
	if (rc != SBX_OK)
		goto done;
	*out = st;
	st = NULL;
done:
	sbx_keyring_state_close(st);
	sbx_buf_free(&b);
	return rc;
}

uint64_t
sbx_keyring_state_version(const struct sbx_keyring_state *st)
{
	return st->version;
}

int
sbx_keyring_state_allows(const struct sbx_keyring_state *st,
    uint64_t version, struct sbx_err *err)
{
	if (version >= st->version)
		return SBX_OK;
	return sbx_err_reject(err, SBX_V_ROLLBACK, "keyring version %llu is "
	    "older than version %llu, accepted before on this host (%s)",
	    (unsigned long long)version, (unsigned long long)st->version,
	    st->path);
}

int
sbx_keyring_state_record(struct sbx_keyring_state *st, uint64_t version,
    struct sbx_err *err)
{
	char now[SBX_TIME_LEN + 1];
	struct sbx_buf b = { 0 };
	int rc;

	if (version <= st->version)
		return SBX_OK;
	sbx_keyring_time_format(now, (int64_t)time(NULL));
	rc = sbx_buf_printf(&b, err, "{\n  \"type\": \"" STATE_TYPE "\",\n"
	    "  \"version\": %llu,\n  \"accepted\": \"%s\"\n}\n",
	    (unsigned long long)version, now);
	if (rc == SBX_OK)
		rc = sbx_file_write_atomic(st->path, b.p, b.len, 0644, err);
	if (rc == SBX_OK)
		st->version = version;
	sbx_buf_free(&b);
	return rc;
}

void
sbx_keyring_state_close(struct sbx_keyring_state *st)
{
	if (st == NULL)
		return;
	if (st->lock_fd != -1)
		close(st->lock_fd);	/* releases the lock */
	free(st->path);
	free(st);
}

int
sbx_keyring_accept(const struct sbx_keyring *kr, const struct sbx_root *r,
    const char *state_path, int64_t now, struct sbx_err *err)
{
	struct sbx_keyring_state *st = NULL;
	int rc;

	if ((rc = sbx_root_verify_keyring(r, kr, now, err)) != SBX_OK)
		return rc;
	if ((rc = sbx_keyring_state_open(&st, state_path, err)) != SBX_OK)
		return rc;
	if ((rc = sbx_keyring_state_allows(st, sbx_keyring_version(kr),
	    err)) == SBX_OK)
		rc = sbx_keyring_state_record(st, sbx_keyring_version(kr), err);
	sbx_keyring_state_close(st);
	return rc;
}

int
sbx_keyring_load_rooted(struct sbx_keyring **out, const char *path,
    const char *root_path, const char *state_dir, int64_t now,
    struct sbx_err *err)
{
	struct sbx_keyring *kr = NULL;
	struct sbx_root *r = NULL;
	char state[PATH_MAX];
	int rc;

	*out = NULL;
	if ((rc = sbx_keyring_load(&kr, path, err)) != SBX_OK)
		return rc;
	if (root_path != NULL) {
		if ((rc = sbx_keyring_state_path(state, sizeof(state), path,
		    state_dir, err)) != SBX_OK ||
		    (rc = sbx_root_load(&r, root_path, err)) != SBX_OK)
			goto done;
		rc = sbx_keyring_accept(kr, r, state, now, err);
		if (rc == SBX_EREJECT)
			sbx_err_prefix(err, path);
		if (rc != SBX_OK)
			goto done;
	}
	*out = kr;
	kr = NULL;
done:
	sbx_root_free(r);
	sbx_keyring_free(kr);
	return rc;
}

/* runtime-check/lazy-full.c: the guard's slow half, loaded when needed. */
/* SPDX-License-Identifier: ISC */
/*
 * sbx-guard and libsbxguard.so run before every guarded JVM, and most
 * starts find every verdict in the cache (docs/guard.md). What such a
 * start needs (the option parser, the policy, the cache, the path rules)
 * links against libc, jansson and the two inflaters only. Verifying a
 * JAR, loading the keyring and writing the audit event and the metrics
 * need OpenSSL, whose loading alone costs more than the whole cached
 * check: those live in libsbxguard-full.so, beside the front end, and
 * this file stands in for them, loading that library the first time
 * one is called. (What needs libcurl and libgit2, with their forty-odd
 * dependencies, is one step further: runtime-check/lazy-net.c.)
 *
 * Each function here has the name and the type of the one it stands
 * for (the headers say so to the compiler). The full library is linked
 * with -Bsymbolic and opened RTLD_LOCAL, so its own calls never land
 * here. If it cannot be loaded, every call fails with the reason, and
 * a failure is a refusal: nothing here can turn into a pass.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include <sbx/encode.h>
#include <sbx/err.h>
#include <sbx/guard.h>
#include <sbx/keyring.h>
#include <sbx/provenance.h>
#include <sbx/root.h>
#include <sbx/url.h>

#include "lazy.h"

#define FULL_NAME	"libsbxguard-full.so"

/* The functions of the full library that the front ends call. */
static struct {
	int	(*artifact_verify_fd)(struct sbx_artifact_verdict *, int,
		    const char *, const struct sbx_artifact_opts *,
		    struct sbx_err *);
	int64_t	(*keyring_expires)(const struct sbx_keyring *);
	const struct sbx_keyring_key *(*keyring_find)(
		    const struct sbx_keyring *, const char *);
	void	(*keyring_free)(struct sbx_keyring *);
	int	(*keyring_load)(struct sbx_keyring **, const char *,
		    struct sbx_err *);
	int	(*keyring_load_rooted)(struct sbx_keyring **, const char *,
		    const char *, const char *, int64_t, struct sbx_err *);
	int	(*guard_report)(struct sbx_guard *, int, char *const *,
		    struct sbx_err *);
	int	(*guard_report_violation)(struct sbx_guard *,
		    enum sbx_violation, const char *, struct sbx_err *);
	int	(*guard_report_premain)(struct sbx_guard *, double,
		    struct sbx_err *);
	int	(*sha256)(unsigned char *, const void *, size_t,
		    struct sbx_err *);
	int	(*sha256_fd)(unsigned char *, int, const char *,
		    struct sbx_err *);
	const char *(*url_check)(const char *);
} F;

static pthread_once_t find_once = PTHREAD_ONCE_INIT;
static pthread_once_t full_once = PTHREAD_ONCE_INIT;
static int full_fd = -1;		/* the checked file, open for good */
static struct sbx_err full_err;		/* why it could not be loaded */
static bool full_ok;

static void
full_find_once(void)
{
	full_fd = sbx_lazy_find(FULL_NAME, &full_err);
}

static int
full_ready(struct sbx_err *err)
{
	pthread_once(&find_once, full_find_once);
	if (full_fd != -1)
		return SBX_OK;
	return sbx_err_set(err, full_err.code, "%s", full_err.msg);
}

static void
full_load_once(void)
{
	void *h;

	if (full_ready(NULL) != SBX_OK ||
	    (h = sbx_lazy_load(full_fd, FULL_NAME, &full_err)) == NULL)
		return;
#define SYM(f, name)	sbx_lazy_sym(h, &F.f, name)
	full_ok = SYM(artifact_verify_fd, "sbx_artifact_verify_fd") &&
	    SYM(keyring_expires, "sbx_keyring_expires") &&
	    SYM(keyring_find, "sbx_keyring_find") &&
	    SYM(keyring_free, "sbx_keyring_free") &&
	    SYM(keyring_load, "sbx_keyring_load") &&
	    SYM(keyring_load_rooted, "sbx_keyring_load_rooted") &&
	    SYM(guard_report, "sbx_guard_report") &&
	    SYM(guard_report_violation, "sbx_guard_report_violation") &&
	    SYM(guard_report_premain, "sbx_guard_report_premain") &&
	    SYM(sha256, "sbx_sha256") &&
	    SYM(sha256_fd, "sbx_sha256_fd") &&
	    SYM(url_check, "sbx_url_check");
#undef SYM
	if (!full_ok)
		sbx_err_set(&full_err, SBX_EIO, "%s: a function is missing: "
		    "not the one built with this guard", FULL_NAME);
}

int
sbx_lazy_recorder_ready(const struct sbx_guard *g, struct sbx_err *err)
{
	int rc;

	if (!sbx_guard_records(g))
		return SBX_OK;
	if ((rc = full_ready(err)) != SBX_OK)
		return rc;
	return sbx_guard_can_record(g, err);
}

/* Load the full library once, from any thread; SBX_OK or why not. */
static int
full_load(struct sbx_err *err)
{
	pthread_once(&full_once, full_load_once);
	if (full_ok)
		return SBX_OK;
	return sbx_err_set(err, full_err.code, "%s", full_err.msg);
}

int
sbx_artifact_verify_fd(struct sbx_artifact_verdict *v, int fd,
    const char *path, const struct sbx_artifact_opts *o, struct sbx_err *err)
{
	int rc;

	if ((rc = full_load(err)) != SBX_OK)
		return rc;
	return F.artifact_verify_fd(v, fd, path, o, err);
}

int
sbx_keyring_load(struct sbx_keyring **out, const char *path,
    struct sbx_err *err)
{
	int rc;

	*out = NULL;
	if ((rc = full_load(err)) != SBX_OK)
		return rc;
	return F.keyring_load(out, path, err);
}

int
sbx_keyring_load_rooted(struct sbx_keyring **out, const char *path,
    const char *root_path, const char *state_dir, int64_t now,
    struct sbx_err *err)
{
	int rc;

	*out = NULL;
	if ((rc = full_load(err)) != SBX_OK)
		return rc;
	return F.keyring_load_rooted(out, path, root_path, state_dir, now, err);
}

/* Only a keyring the full library made reaches these three. */
int64_t
sbx_keyring_expires(const struct sbx_keyring *kr)
{
	return F.keyring_expires(kr);
}

const struct sbx_keyring_key *
sbx_keyring_find(const struct sbx_keyring *kr, const char *id_or_name)
{
	return F.keyring_find(kr, id_or_name);
}

void
sbx_keyring_free(struct sbx_keyring *kr)
{
	if (kr != NULL)
		F.keyring_free(kr);
}

int
sbx_guard_report(struct sbx_guard *g, int argc, char *const *argv,
    struct sbx_err *err)
{
	int rc;

	if ((rc = full_load(err)) != SBX_OK)
		return rc;
	return F.guard_report(g, argc, argv, err);
}

int
sbx_guard_report_violation(struct sbx_guard *g, enum sbx_violation type,
    const char *detail, struct sbx_err *err)
{
	int rc;

	if ((rc = full_load(err)) != SBX_OK)
		return rc;
	return F.guard_report_violation(g, type, detail, err);
}

int
sbx_guard_report_premain(struct sbx_guard *g, double seconds,
    struct sbx_err *err)
{
	int rc;

	if ((rc = full_load(err)) != SBX_OK)
		return rc;
	return F.guard_report_premain(g, seconds, err);
}

int
sbx_sha256(unsigned char *out, const void *in, size_t n, struct sbx_err *err)
{
	int rc;

	if ((rc = full_load(err)) != SBX_OK)
		return rc;
	return F.sha256(out, in, n, err);
}

int
sbx_sha256_fd(unsigned char out[32], int fd, const char *name,
    struct sbx_err *err)
{
	int rc;

	if ((rc = full_load(err)) != SBX_OK)
		return rc;
	return F.sha256_fd(out, fd, name, err);
}

/* A URL that cannot be checked is not a good one. */
const char *
sbx_url_check(const char *url)
{
	static char why[sizeof(full_err.msg) + 32];

	if (full_load(NULL) != SBX_OK) {
		snprintf(why, sizeof(why), "cannot be checked: %s",
		    full_err.msg);
		return why;
	}
	return F.url_check(url);
}

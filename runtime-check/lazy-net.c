/* runtime-check/lazy-net.c: sbx's network half, loaded when needed. */
/* SPDX-License-Identifier: ISC */
/*
 * Linked into libsbxguard-full.so and sbx-verify in place of what needs
 * libcurl, libgit2 or libarchive: HTTP audit sinks, the Pushgateway,
 * URL checks, the source repository check, downloads and bundles.
 * Those libraries bring some forty others: loading them costs about
 * 6 ms of CPU and 7.6 MiB of memory next to 1.4 ms and 5 MiB for
 * OpenSSL and jansson (docs/guard.md), which a policy that writes only
 * to a file, the journal and a textfile, or a verification of local
 * files, never pays. The functions live in libsbx-net.so, loaded on the
 * first call as lazy-full.c loads the full library, with the same rule:
 * a failure to load is an error, never a pass.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include <sbx/bundle.h>
#include <sbx/err.h>
#include <sbx/fetch.h>
#include <sbx/policy.h>
#include <sbx/provenance.h>
#include <sbx/url.h>

#include "../lib/audit_int.h"
#include "../lib/metrics_int.h"
#include "lazy.h"

#define NET_NAME	"libsbx-net.so"

static struct {
	int	(*http_new)(struct audit_http **, const char *, const char *,
		    struct sbx_err *);
	int	(*http_post)(struct audit_http *, const void *, size_t,
		    unsigned, struct sbx_err *);
	void	(*http_free)(struct audit_http *);
	int	(*push_target)(char *, size_t, const char *,
		    struct sbx_err *);
	int	(*push_body)(const char *, const char *,
		    const struct sbx_buf *, long, struct sbx_err *);
	const char *(*url_check)(const char *);
	int	(*source_check)(const char *, const char *,
		    const struct sbx_policy *, struct sbx_err *);
	int	(*fetch)(bool *, int, const char *,
		    const struct sbx_fetch_opts *, struct sbx_err *);
	int	(*fetch_url_check)(char *, size_t, char *, size_t,
		    const char *, bool, struct sbx_err *);
	int	(*fetch_url_suffix)(char **, const char *, const char *,
		    struct sbx_err *);
	int	(*bundle_verify)(struct sbx_artifact_verdict *, const char *,
		    const struct sbx_artifact_opts *, struct sbx_err *);
	int	(*bundle_install)(struct sbx_artifact_verdict *, const char *,
		    const char *, const struct sbx_artifact_opts *,
		    struct sbx_err *);
} N;

static pthread_once_t net_once = PTHREAD_ONCE_INIT;
static struct sbx_err net_err;		/* why it could not be loaded */
static bool net_ok;

static void
net_load_once(void)
{
	void *h;
	int fd;

	/* The descriptor stays open: see sbx_lazy_load(). */
	if ((fd = sbx_lazy_find(NET_NAME, &net_err)) == -1)
		return;
	if ((h = sbx_lazy_load(fd, NET_NAME, &net_err)) == NULL) {
		close(fd);
		return;
	}
#define SYM(f, name)	sbx_lazy_sym(h, &N.f, name)
	net_ok = SYM(http_new, "sbx_audit__http_new") &&
	    SYM(http_post, "sbx_audit__http_post") &&
	    SYM(http_free, "sbx_audit__http_free") &&
	    SYM(push_target, "sbx_metrics__push_target") &&
	    SYM(push_body, "sbx_metrics__push_body") &&
	    SYM(url_check, "sbx_url_check") &&
	    SYM(source_check, "sbx_source_check") &&
	    SYM(fetch, "sbx_fetch") &&
	    SYM(fetch_url_check, "sbx_fetch_url_check") &&
	    SYM(fetch_url_suffix, "sbx_fetch_url_suffix") &&
	    SYM(bundle_verify, "sbx_bundle_verify") &&
	    SYM(bundle_install, "sbx_bundle_install");
#undef SYM
	if (!net_ok)
		sbx_err_set(&net_err, SBX_EIO, "%s: a function is missing: "
		    "not the one built with this guard", NET_NAME);
}

static int
net_load(struct sbx_err *err)
{
	pthread_once(&net_once, net_load_once);
	if (net_ok)
		return SBX_OK;
	return sbx_err_set(err, net_err.code, "%s", net_err.msg);
}

int
sbx_audit__http_new(struct audit_http **out, const char *url,
    const char *content_type, struct sbx_err *err)
{
	int rc;

	*out = NULL;
	if ((rc = net_load(err)) != SBX_OK)
		return rc;
	return N.http_new(out, url, content_type, err);
}

/* Only a connection the network library made reaches these two. */
int
sbx_audit__http_post(struct audit_http *h, const void *body, size_t len,
    unsigned timeout_ms, struct sbx_err *err)
{
	return N.http_post(h, body, len, timeout_ms, err);
}

void
sbx_audit__http_free(struct audit_http *h)
{
	if (h != NULL)
		N.http_free(h);
}

int
sbx_metrics__push_target(char *out, size_t n, const char *url,
    struct sbx_err *err)
{
	int rc;

	snprintf(out, n, "invalid");
	if ((rc = net_load(err)) != SBX_OK)
		return rc;
	return N.push_target(out, n, url, err);
}

int
sbx_metrics__push_body(const char *url, const char *target,
    const struct sbx_buf *body, long ms, struct sbx_err *err)
{
	int rc;

	if ((rc = net_load(err)) != SBX_OK)
		return rc;
	return N.push_body(url, target, body, ms, err);
}

/* A URL that cannot be checked is not a good one. */
const char *
sbx_url_check(const char *url)
{
	static char why[sizeof(net_err.msg) + 32];

	if (net_load(NULL) != SBX_OK) {
		snprintf(why, sizeof(why), "cannot be checked: %s",
		    net_err.msg);
		return why;
	}
	return N.url_check(url);
}

int
sbx_source_check(const char *dir, const char *commit,
    const struct sbx_policy *policy, struct sbx_err *err)
{
	int rc;

	if ((rc = net_load(err)) != SBX_OK)
		return rc;
	return N.source_check(dir, commit, policy, err);
}

int
sbx_fetch(bool *found, int fd, const char *url,
    const struct sbx_fetch_opts *o, struct sbx_err *err)
{
	int rc;

	if ((rc = net_load(err)) != SBX_OK)
		return rc;
	return N.fetch(found, fd, url, o, err);
}

int
sbx_fetch_url_check(char *name, size_t n, char *shown, size_t sn,
    const char *url, bool allow_http, struct sbx_err *err)
{
	int rc;

	if ((rc = net_load(err)) != SBX_OK)
		return rc;
	return N.fetch_url_check(name, n, shown, sn, url, allow_http, err);
}

int
sbx_fetch_url_suffix(char **out, const char *url, const char *suffix,
    struct sbx_err *err)
{
	int rc;

	*out = NULL;
	if ((rc = net_load(err)) != SBX_OK)
		return rc;
	return N.fetch_url_suffix(out, url, suffix, err);
}

int
sbx_bundle_verify(struct sbx_artifact_verdict *v, const char *path,
    const struct sbx_artifact_opts *o, struct sbx_err *err)
{
	int rc;

	if ((rc = net_load(err)) != SBX_OK)
		return sbx_artifact_verdict_fail(v, rc, err);
	return N.bundle_verify(v, path, o, err);
}

int
sbx_bundle_install(struct sbx_artifact_verdict *v, const char *path,
    const char *dir, const struct sbx_artifact_opts *o,
    struct sbx_err *err)
{
	int rc;

	if ((rc = net_load(err)) != SBX_OK)
		return sbx_artifact_verdict_fail(v, rc, err);
	return N.bundle_install(v, path, dir, o, err);
}

/* policy/policy.c: load and free policies, and the questions checks ask. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sbx/file.h>
#include <sbx/policy.h>

#include "locate.h"
#include "parse.h"

#define POLICY_MAX	(1024 * 1024)	/* far above any real policy */
#define CLOCK_SKEW	300		/* seconds a build may be ahead */

/* Read the file and the folder its relative paths start from. */
static int
read_policy(struct sbx_buf *text, char **dir, struct stat *st,
    const char *path, struct sbx_err *err)
{
	char *copy;
	int rc;

	*dir = NULL;
	rc = sbx_file_read_stat(text, path, POLICY_MAX, st, err);
	if (rc == SBX_EREJECT)
		return sbx_err_set(err, SBX_ECONFIG, "%s: larger than %d bytes",
		    path, POLICY_MAX);
	if (rc != SBX_OK)
		return rc;
	if ((copy = strdup(path)) == NULL ||
	    (*dir = strdup(dirname(copy))) == NULL) {
		free(copy);
		return sbx_err_set(err, SBX_ENOMEM, "%s: out of memory", path);
	}
	free(copy);
	return SBX_OK;
}

int
sbx_policy_load_flags(struct sbx_policy **out, const char *path,
    unsigned flags, struct sbx_err *err)
{
	struct sbx_buf text = { 0 };
	struct stat st;
	char *dir = NULL;
	int rc;

	*out = NULL;
	if ((rc = read_policy(&text, &dir, &st, path, err)) == SBX_OK)
		rc = sbx_policy__parse(out, text.p, text.len, path, dir,
		    flags, err);
	if (rc == SBX_OK)
		(*out)->file_st = st;
	sbx_buf_free(&text);
	free(dir);
	return rc;
}

int
sbx_policy_load(struct sbx_policy **out, const char *path,
    struct sbx_err *err)
{
	return sbx_policy_load_flags(out, path, 0, err);
}

static void
strs_free(struct sbx_policy_strs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static void
audit_free(struct sbx_policy_audit *a)
{
	free(a->file);
	free(a->sinks.journal.url);
	free(a->sinks.syslog.host);
	free(a->sinks.loki.url);
	free(a->sinks.otlp.url);
	free(a->spool_dir);
}

void
sbx_policy_free(struct sbx_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	free(p->path);
	free(p->text);
	free(p->keyring);
	free(p->root);
	free(p->tenant);
	strs_free(&p->provenance.builders);
	strs_free(&p->provenance.repositories);
	strs_free(&p->provenance.refs);
	for (i = 0; i < p->n_signers; i++) {
		free(p->signers[i].artifacts);
		strs_free(&p->signers[i].keys);
	}
	free(p->signers);
	for (i = 0; i < p->n_versions; i++) {
		free(p->versions[i].artifacts);
		free(p->versions[i].min);
	}
	free(p->versions);
	strs_free(&p->jvm.forbidden_flags);
	strs_free(&p->jvm.required_flags);
	for (i = 0; i < p->jvm.n_native_agents; i++)
		free(p->jvm.native_agents[i].path);
	free(p->jvm.native_agents);
	free(p->paths.owners);
	audit_free(&p->audit);
	free(p->metrics.textfile_dir);
	free(p->metrics.pushgateway);
	free(p->metrics.job);
	free(p->metrics.instance);
	free(p);
}

/* Can the keyring be opened for reading, and is it a regular file? */
static int
keyring_readable(const char *path, struct sbx_err *err)
{
	struct stat st;
	int fd, rc = SBX_OK;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return sbx_err_set(err, SBX_EIO, "%s", strerror(errno));
	if (fstat(fd, &st) == -1)
		rc = sbx_err_set(err, SBX_EIO, "%s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = sbx_err_set(err, SBX_EIO, "not a regular file");
	close(fd);
	return rc;
}

int
sbx_policy_check_file(const char *path, struct sbx_err *err)
{
	static const struct sbx_jstep at_keyring = { "keyring", 0 };
	struct sbx_policy *p = NULL;
	struct sbx_buf text = { 0 };
	struct sbx_err why = { 0 };
	struct stat st;
	char *dir = NULL;
	int rc, line, col;
	size_t off;

	if ((rc = read_policy(&text, &dir, &st, path, err)) != SBX_OK)
		goto done;
	rc = sbx_policy_parse_mem(&p, text.p, text.len, path, dir, err);
	if (rc != SBX_OK)
		goto done;

	if (keyring_readable(p->keyring, &why) != SBX_OK) {
		off = sbx_jtext_locate((const char *)text.p, text.len,
		    &at_keyring, 1, NULL);
		sbx_jtext_linecol((const char *)text.p, text.len, off, &line,
		    &col);
		rc = sbx_err_set(err, SBX_EIO, "%s:%d:%d: keyring: %s: %s",
		    path, line, col, p->keyring, why.msg);
	}
done:
	sbx_policy_free(p);
	sbx_buf_free(&text);
	free(dir);
	return rc;
}

bool
sbx_policy_allows_digest(const struct sbx_policy *p, unsigned digest)
{
	return digest != 0 && (p->digests & digest) == digest;
}

bool
sbx_policy_allows_sigalg(const struct sbx_policy *p, unsigned sigalg)
{
	return sigalg != 0 && (p->sigalgs & sigalg) == sigalg;
}

bool
sbx_policy_allows_rsa_bits(const struct sbx_policy *p, int bits)
{
	return bits >= p->min_rsa_bits;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

bool
sbx_policy_allows_signer(const struct sbx_policy *p,
    const char *artifact_name, const char *key_id, const char *key_name)
{
	const struct sbx_policy_signer *r;
	const char *base, *k;
	size_t i, j;

	if (p->n_signers == 0)
		return true;
	if (artifact_name == NULL)
		return false;
	base = base_name(artifact_name);
	for (i = 0; i < p->n_signers; i++) {
		r = &p->signers[i];
		if (fnmatch(r->artifacts, base, 0) != 0)
			continue;
		for (j = 0; j < r->keys.n; j++) {
			k = r->keys.v[j];
			if ((key_id != NULL && strcasecmp(k, key_id) == 0) ||
			    (key_name != NULL && strcmp(k, key_name) == 0))
				return true;
		}
	}
	return false;
}

/* Empty list: anything; else s must match one glob, '/' literally. */
static bool
matches_any(const struct sbx_policy_strs *l, const char *s)
{
	size_t i;

	if (l->n == 0)
		return true;
	if (s == NULL)
		return false;
	for (i = 0; i < l->n; i++)
		if (fnmatch(l->v[i], s, FNM_PATHNAME) == 0)
			return true;
	return false;
}

bool
sbx_policy_allows_builder(const struct sbx_policy *p,
    const char *builder_id)
{
	return matches_any(&p->provenance.builders, builder_id);
}

bool
sbx_policy_allows_repo(const struct sbx_policy *p, const char *repo)
{
	return matches_any(&p->provenance.repositories, repo);
}

bool
sbx_policy_allows_ref(const struct sbx_policy *p, const char *ref)
{
	return matches_any(&p->provenance.refs, ref);
}

bool
sbx_policy_provenance_fresh(const struct sbx_policy *p, int64_t built,
    int64_t now)
{
	/* A date from the future cannot be trusted to be young. */
	if (built > now && built - now > CLOCK_SKEW)
		return false;
	if (p->provenance.max_age == 0 || built >= now)
		return true;
	return now - built <= p->provenance.max_age;
}

const char *
sbx_policy_min_version(const struct sbx_policy *p, const char *artifact_name)
{
	const char *base, *min = NULL;
	size_t i;

	if (p->n_versions == 0 || artifact_name == NULL)
		return NULL;
	base = base_name(artifact_name);
	for (i = 0; i < p->n_versions; i++) {
		if (fnmatch(p->versions[i].artifacts, base, 0) != 0)
			continue;
		if (min == NULL || sbx_version_cmp(p->versions[i].min, min) > 0)
			min = p->versions[i].min;
	}
	return min;
}

bool
sbx_policy_allows_version(const struct sbx_policy *p,
    const char *artifact_name, const char *version, const char **min_out)
{
	const char *min = sbx_policy_min_version(p, artifact_name);

	if (min_out != NULL)
		*min_out = min;
	if (min == NULL)
		return true;
	if (version == NULL || !sbx_version_valid(version))
		return false;
	return sbx_version_cmp(version, min) >= 0;
}

const char *
sbx_policy_forbidden_flag(const struct sbx_policy *p, const char *flag)
{
	size_t i;

	for (i = 0; i < p->jvm.forbidden_flags.n; i++)
		if (fnmatch(p->jvm.forbidden_flags.v[i], flag, 0) == 0)
			return p->jvm.forbidden_flags.v[i];
	return NULL;
}

const char *
sbx_policy_missing_flag(const struct sbx_policy *p,
    const char *const *flags, size_t n)
{
	const char *pat;
	size_t i, k;

	for (i = 0; i < p->jvm.required_flags.n; i++) {
		pat = p->jvm.required_flags.v[i];
		for (k = 0; k < n; k++)
			if (fnmatch(pat, flags[k], 0) == 0)
				break;
		if (k == n)
			return pat;
	}
	return NULL;
}

bool
sbx_policy_allows_native_agent(const struct sbx_policy *p, const char *path,
    const char *sha256_hex)
{
	const struct sbx_policy_native_agent *a;
	size_t i;

	if (path == NULL || sha256_hex == NULL)
		return false;
	for (i = 0; i < p->jvm.n_native_agents; i++) {
		a = &p->jvm.native_agents[i];
		if (strcmp(a->path, path) == 0 &&
		    strcasecmp(a->sha256, sha256_hex) == 0)
			return true;
	}
	return false;
}

bool
sbx_policy_allows_owner(const struct sbx_policy *p, uid_t uid)
{
	size_t i;

	for (i = 0; i < p->paths.n_owners; i++)
		if (p->paths.owners[i] == uid)
			return true;
	return false;
}

const char *
sbx_mode_name(enum sbx_mode mode)
{
	return mode == SBX_MODE_AUDIT ? "audit" : "enforce";
}

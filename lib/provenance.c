/* lib/provenance.c: build identity, the Statement, writing provenance. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <sbx/file.h>
#include <sbx/provenance.h>

#ifndef SBX_VERSION
#define SBX_VERSION "unknown"
#endif

void
sbx_build_free(struct sbx_build *b)
{
	if (b == NULL)
		return;
	free(b->builder_id);
	free(b->invocation_id);
	sbx_source_free(&b->source);
	free(b->workflow_path);
	free(b->workflow_ref);
	free(b->event_name);
	free(b->repository_id);
	free(b->repository_owner_id);
	free(b->runner_environment);
	memset(b, 0, sizeof(*b));
}

/* A GitHub variable that must be set and pass ok(); else NULL. */
static const char *
gh_var(const char *name, bool (*ok)(const char *), struct sbx_err *err)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		sbx_err_set(err, SBX_ECONFIG, "GitHub Actions: %s is not set",
		    name);
		return NULL;
	}
	if (ok != NULL && !ok(v)) {
		sbx_err_set(err, SBX_ECONFIG, "GitHub Actions: %s is "
		    "malformed: '%.64s'", name, v);
		return NULL;
	}
	return v;
}

static bool
is_digits(const char *s)
{
	return *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

static bool
is_commit(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n == strlen(s) && (n == 40 || n == 64);
}

/* "owner/name", nothing that could escape a URL path. */
static bool
is_repo_name(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash != NULL && slash != s && slash[1] != '\0' &&
	    strchr(slash + 1, '/') == NULL && strcspn(s, " ?#@:\\") ==
	    strlen(s);
}

static bool
is_server(const char *s)
{
	size_t n = strlen(s);

	return (strncmp(s, "https://", 8) == 0 ||
	    strncmp(s, "http://", 7) == 0) && n > 8 && s[n - 1] != '/' &&
	    strcspn(s, " ?#@") == n;
}

static bool
is_workflow_ref(const char *s)
{
	return strrchr(s, '@') != NULL && strchr(s, '/') != NULL &&
	    strcspn(s, " ?#") == strlen(s);
}

static int
dup_to(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
dup_to(char **out, const char *fmt, ...)
{
	va_list ap;
	int n;

	free(*out);
	va_start(ap, fmt);
	n = vasprintf(out, fmt, ap);
	va_end(ap);
	if (n < 0) {
		*out = NULL;
		return -1;
	}
	return 0;
}

/* An optional variable, copied when set. */
static int
gh_optional(char **out, const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		return 0;
	return dup_to(out, "%s", v);
}

/* ".github/workflows/x.yml" and "refs/heads/main" of "o/r/.github/...@ref". */
static int
split_workflow(struct sbx_build *b, const char *repo, const char *wref)
{
	const char *at = strrchr(wref, '@'), *path = wref;
	size_t n = strlen(repo);

	if (strncmp(wref, repo, n) == 0 && wref[n] == '/')
		path = wref + n + 1;
	if (dup_to(&b->workflow_ref, "%s", at + 1) != 0 ||
	    dup_to(&b->workflow_path, "%.*s", (int)(at - path), path) != 0)
		return -1;
	return 0;
}

int
sbx_build_from_github(struct sbx_build *b, struct sbx_err *err)
{
	const char *server, *repo, *sha, *wref, *run, *attempt, *ref;
	const char *flag = getenv("GITHUB_ACTIONS");
	int bad = 0;

	if (flag == NULL || strcmp(flag, "true") != 0)
		return SBX_OK;
	if ((server = gh_var("GITHUB_SERVER_URL", is_server, err)) == NULL ||
	    (repo = gh_var("GITHUB_REPOSITORY", is_repo_name, err)) == NULL ||
	    (sha = gh_var("GITHUB_SHA", is_commit, err)) == NULL ||
	    (wref = gh_var("GITHUB_WORKFLOW_REF", is_workflow_ref, err)) ==
	    NULL ||
	    (run = gh_var("GITHUB_RUN_ID", is_digits, err)) == NULL ||
	    (attempt = gh_var("GITHUB_RUN_ATTEMPT", is_digits, err)) == NULL)
		return SBX_ECONFIG;
	ref = getenv("GITHUB_REF");

	/* The workflow file that ran is the builder a policy names. */
	bad |= dup_to(&b->builder_id, "%s/%s", server, wref);
	bad |= dup_to(&b->invocation_id, "%s/%s/actions/runs/%s/attempts/%s",
	    server, repo, run, attempt);
	bad |= dup_to(&b->source.repository, "%s/%s", server, repo);
	if (ref != NULL && *ref != '\0')
		bad |= dup_to(&b->source.ref, "%s", ref);
	snprintf(b->source.commit, sizeof(b->source.commit), "%s", sha);
	bad |= split_workflow(b, repo, wref);
	bad |= gh_optional(&b->event_name, "GITHUB_EVENT_NAME");
	bad |= gh_optional(&b->repository_id, "GITHUB_REPOSITORY_ID");
	bad |= gh_optional(&b->repository_owner_id,
	    "GITHUB_REPOSITORY_OWNER_ID");
	bad |= gh_optional(&b->runner_environment, "RUNNER_ENVIRONMENT");
	if (bad)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	b->github = true;
	b->has_source = true;
	return SBX_OK;
}

/* In GitHub Actions the environment names the source; git must agree. */
static int
merge_source(struct sbx_build *b, struct sbx_source *git, const char *dir,
    struct sbx_err *err)
{
	if (!b->github) {
		sbx_source_free(&b->source);
		b->source = *git;
		memset(git, 0, sizeof(*git));
		b->has_source = true;
		return SBX_OK;
	}
	if (strcmp(git->commit, b->source.commit) != 0)
		return sbx_err_set(err, SBX_ECONFIG, "%s: HEAD is %.12s but "
		    "GITHUB_SHA is %.12s: the provenance would name a commit "
		    "that was not built", dir, git->commit, b->source.commit);
	b->source.dirty = git->dirty;
	b->source.dirty_path = git->dirty_path;
	git->dirty_path = NULL;
	return SBX_OK;
}

int
sbx_build_source(struct sbx_build *b, const char *dir, struct sbx_err *err)
{
	struct sbx_source git;
	const char *where = dir != NULL ? dir : ".";
	bool found;
	int rc;

	if ((rc = sbx_source_read(&git, &found, dir, err)) != SBX_OK)
		return rc;
	if (found && (rc = merge_source(b, &git, where, err)) != SBX_OK)
		goto done;
	if (b->source.dirty && !b->allow_dirty) {
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: the work tree has "
		    "uncommitted changes (%s); commit them or pass "
		    "--allow-dirty", where, b->source.dirty_path != NULL ?
		    b->source.dirty_path : "?");
		goto done;
	}
	if (b->builder_id == NULL &&
	    (b->builder_id = strdup(SBX_LOCAL_BUILDER)) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	rc = SBX_OK;
done:
	sbx_source_free(&git);
	return rc;
}

/* Set key to a new string value when v is not NULL. */
static int
put_str(json_t *o, const char *key, const char *v)
{
	if (v == NULL)
		return 0;
	return json_object_set_new(o, key, json_string(v));
}

static json_t *
source_json(const struct sbx_build *b)
{
	json_t *o = json_object();
	int bad = 0;

	if (o == NULL)
		return NULL;
	bad |= put_str(o, "repository", b->source.repository);
	bad |= put_str(o, "ref", b->source.ref);
	bad |= json_object_set_new(o, "dirty", json_boolean(b->source.dirty));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
external_json(const struct sbx_build *b)
{
	json_t *o = json_object(), *w;
	int bad = 0;

	if (o == NULL)
		return NULL;
	if (b->has_source)
		bad |= json_object_set_new(o, "source", source_json(b));
	if (b->github) {
		w = json_object();
		bad |= json_object_set_new(o, "workflow", w);
		bad |= put_str(w, "repository", b->source.repository);
		bad |= put_str(w, "path", b->workflow_path);
		bad |= put_str(w, "ref", b->workflow_ref);
	}
	bad |= json_object_set_new(o, "sbx", json_pack("{s:b, s:b}",
	    "detached", b->detached, "allowDirty", b->allow_dirty));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
internal_json(const struct sbx_build *b)
{
	json_t *g = json_object();
	int bad = 0;

	if (g == NULL)
		return NULL;
	bad |= put_str(g, "eventName", b->event_name);
	bad |= put_str(g, "repositoryId", b->repository_id);
	bad |= put_str(g, "repositoryOwnerId", b->repository_owner_id);
	bad |= put_str(g, "runnerEnvironment", b->runner_environment);
	if (bad) {
		json_decref(g);
		return NULL;
	}
	return json_pack("{s:o}", "github", g);
}

/* [{uri: "git+REPO@REF", digest: {gitCommit}}], or [] without a commit. */
static json_t *
dependencies_json(const struct sbx_build *b)
{
	const struct sbx_source *s = &b->source;
	json_t *a = json_array(), *dep;
	char *uri = NULL;
	int bad = 0;

	if (a == NULL || !b->has_source || s->commit[0] == '\0')
		return a;
	if ((dep = json_object()) == NULL) {
		json_decref(a);
		return NULL;
	}
	bad |= json_array_append_new(a, dep);
	if (s->repository != NULL) {
		bad |= dup_to(&uri, "git+%s%s%s", s->repository,
		    s->ref != NULL ? "@" : "", s->ref != NULL ? s->ref : "");
		bad |= put_str(dep, "uri", uri);
		free(uri);
	}
	bad |= json_object_set_new(dep, "digest", json_pack("{s:s}",
	    "gitCommit", s->commit));
	if (bad) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static json_t *
build_definition_json(const struct sbx_build *b)
{
	json_t *o = json_object();
	int bad = 0;

	if (o == NULL)
		return NULL;
	bad |= json_object_set_new(o, "buildType", json_string(SBX_BUILD_TYPE));
	bad |= json_object_set_new(o, "externalParameters", external_json(b));
	if (b->github)
		bad |= json_object_set_new(o, "internalParameters",
		    internal_json(b));
	bad |= json_object_set_new(o, "resolvedDependencies",
	    dependencies_json(b));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
run_details_json(const struct sbx_build *b)
{
	char started[32], finished[32];
	json_t *meta;

	sbx_time_format(started, sizeof(started), b->started_on);
	sbx_time_format(finished, sizeof(finished), b->finished_on);
	meta = json_object();
	if (meta == NULL || put_str(meta, "invocationId", b->invocation_id) ||
	    put_str(meta, "startedOn", started) ||
	    put_str(meta, "finishedOn", finished)) {
		json_decref(meta);
		return NULL;
	}
	return json_pack("{s:{s:s, s:{s:s}}, s:o}", "builder", "id",
	    b->builder_id, "version", "sbx", SBX_VERSION, "metadata", meta);
}

int
sbx_statement_write(struct sbx_buf *out, const char *name,
    const unsigned char sha256[32], const struct sbx_build *b,
    struct sbx_err *err)
{
	char hex[65], *text = NULL;
	json_t *doc;
	int rc;

	if (b->builder_id == NULL)
		return sbx_err_set(err, SBX_ECONFIG, "no builder id");
	sbx_hex(hex, sha256, 32);
	doc = json_pack("{s:s, s:[{s:s, s:{s:s}}], s:s, s:{s:o, s:o}}",
	    "_type", SBX_STATEMENT_TYPE,
	    "subject", "name", name, "digest", "sha256", hex,
	    "predicateType", SBX_SLSA_PREDICATE,
	    "predicate", "buildDefinition", build_definition_json(b),
	    "runDetails", run_details_json(b));
	if (doc == NULL || (text = json_dumps(doc, JSON_COMPACT)) == NULL)
		rc = sbx_err_set(err, SBX_ENOMEM, "cannot make the statement "
		    "for %s", name);
	else
		rc = sbx_buf_puts(out, text, err);
	free(text);
	json_decref(doc);
	return rc;
}

static int
hash_path(unsigned char out[32], const char *path, struct sbx_err *err)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    strerror(errno));
	rc = sbx_sha256_fd(out, fd, path, err);
	close(fd);
	return rc;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/* Sign payload with pad and write it to path as an envelope or a bundle. */
static int
write_signed(const char *path, bool bundle, enum sbx_padding pad,
    const struct sbx_buf *payload, struct sbx_key *key, struct sbx_err *err)
{
	struct sbx_dsse *env = NULL;
	struct sbx_buf out = { 0 };
	int rc;

	rc = sbx_dsse_sign(&env, key, pad, SBX_DSSE_PAYLOAD_TYPE, payload->p,
	    payload->len, err);
	if (rc == SBX_OK)
		rc = bundle ? sbx_bundle_write(&out, env, sbx_key_id(key),
		    err) : sbx_dsse_write(&out, env, err);
	if (rc == SBX_OK)
		rc = sbx_file_write_atomic(path, out.p, out.len, 0644, err);
	sbx_buf_free(&out);
	sbx_dsse_free(env);
	return rc;
}

int
sbx_provenance_sign(const char *artifact, const struct sbx_prov_sign_opts *o,
    struct sbx_err *err)
{
	struct sbx_buf stmt = { 0 };
	unsigned char digest[32];
	int rc;

	if ((rc = hash_path(digest, artifact, err)) != SBX_OK)
		goto done;
	rc = sbx_statement_write(&stmt, base_name(artifact), digest, o->build,
	    err);
	if (rc != SBX_OK)
		goto done;

	/*
	 * PSS for sbx's own file; Sigstore verifiers take an RSA key to
	 * mean PKCS#1 v1.5, so the bundle carries that (docs/provenance.md).
	 */
	rc = write_signed(o->out, false, SBX_PAD_PSS, &stmt, o->key, err);
	if (rc == SBX_OK && o->bundle != NULL)
		rc = write_signed(o->bundle, true, SBX_PAD_PKCS1, &stmt, o->key,
		    err);
done:
	sbx_buf_free(&stmt);
	return rc;
}

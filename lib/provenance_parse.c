/* lib/provenance_parse.c: read an in-toto Statement with SLSA provenance. */
/* SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <sbx/provenance.h>

static const char *const statement_members[] = {
	"_type", "subject", "predicateType", "predicate", NULL
};

struct pctx {
	const char		*name;
	struct sbx_err		*err;
	struct sbx_statement	*st;
};

static int
bad(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
bad(struct pctx *c, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sbx_err_reject(c->err, SBX_V_PROVENANCE_MISMATCH, "%s: %s",
	    c->name, msg);
}

void
sbx_statement_free(struct sbx_statement *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nsubjects; i++)
		free(st->subjects[i].name);
	free(st->subjects);
	free(st->build_type);
	free(st->builder_id);
	free(st->invocation_id);
	free(st->repository);
	free(st->ref);
	free(st);
}

/* A copy of the string member key of o into *out; required or not. */
static int
take_string(char **out, json_t *o, const char *key, bool required,
    const char *what, struct pctx *c)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL && !required)
		return SBX_OK;
	if (!json_is_string(v))
		return bad(c, "%s.%s is %s", what, key, v == NULL ?
		    "missing" : "not a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return bad(c, "%s.%s holds a NUL", what, key);
	if ((*out = strdup(json_string_value(v))) == NULL)
		return sbx_err_set(c->err, SBX_ENOMEM, "out of memory");
	return SBX_OK;
}

/* The object member key of o, required or not; NULL when absent. */
static int
get_object(json_t **out, json_t *o, const char *key, bool required,
    const char *what, struct pctx *c)
{
	*out = json_object_get(o, key);
	if (*out == NULL && !required)
		return SBX_OK;
	if (!json_is_object(*out))
		return bad(c, "%s.%s is %s", what, key, *out == NULL ?
		    "missing" : "not an object");
	return SBX_OK;
}

static bool
is_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

static int
parse_digest(struct sbx_subject *s, json_t *digest, size_t i, struct pctx *c)
{
	const char *alg;
	json_t *v;
	size_t j;

	if (!json_is_object(digest) || json_object_size(digest) == 0)
		return bad(c, "subject[%zu].digest is not a non-empty object",
		    i);
	json_object_foreach(digest, alg, v) {
		if (!json_is_string(v))
			return bad(c, "subject[%zu].digest.%.32s is not a "
			    "string", i, alg);
	}
	if ((v = json_object_get(digest, "sha256")) == NULL)
		return SBX_OK;
	if (!is_hex(json_string_value(v), 64))
		return bad(c, "subject[%zu].digest.sha256 is not 64 lower-case "
		    "hex digits", i);
	for (j = 0; j < 32; j++)
		sscanf(json_string_value(v) + 2 * j, "%2hhx", &s->sha256[j]);
	s->has_sha256 = true;
	return SBX_OK;
}

static int
parse_subjects(struct pctx *c, json_t *a)
{
	struct sbx_statement *st = c->st;
	json_t *o;
	char what[32];
	size_t i, n;
	int rc;

	if (!json_is_array(a) || (n = json_array_size(a)) == 0)
		return bad(c, "subject is not a non-empty array");
	if (n > SBX_STATEMENT_MAX_SUBJECTS)
		return bad(c, "more than %d subjects",
		    SBX_STATEMENT_MAX_SUBJECTS);
	if ((st->subjects = calloc(n, sizeof(*st->subjects))) == NULL)
		return sbx_err_set(c->err, SBX_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		o = json_array_get(a, i);
		st->nsubjects = i + 1;
		snprintf(what, sizeof(what), "subject[%zu]", i);
		if (!json_is_object(o))
			return bad(c, "%s is not an object", what);
		rc = take_string(&st->subjects[i].name, o, "name", true, what,
		    c);
		if (rc != SBX_OK)
			return rc;
		rc = parse_digest(&st->subjects[i], json_object_get(o,
		    "digest"), i, c);
		if (rc != SBX_OK)
			return rc;
	}
	return SBX_OK;
}

/* "git+REPO@refs/..." or "git+REPO": the source a SLSA provenance names. */
static int
split_git_uri(struct pctx *c, const char *uri)
{
	struct sbx_statement *st = c->st;
	const char *repo = uri + 4, *at = strrchr(repo, '@');
	size_t n = strlen(repo);

	if (at != NULL && strncmp(at + 1, "refs/", 5) == 0) {
		n = (size_t)(at - repo);
		if ((st->ref = strdup(at + 1)) == NULL)
			return sbx_err_set(c->err, SBX_ENOMEM, "out of memory");
	}
	if (n == 0)
		return bad(c, "resolvedDependencies: \"%.64s\" names no "
		    "repository", uri);
	if ((st->repository = strndup(repo, n)) == NULL)
		return sbx_err_set(c->err, SBX_ENOMEM, "out of memory");
	return SBX_OK;
}

/* The first dependency that is a git source: repository, ref, commit. */
static int
parse_dependencies(struct pctx *c, json_t *a)
{
	json_t *d, *uri, *commit;
	size_t i;

	if (a == NULL)
		return SBX_OK;
	if (!json_is_array(a))
		return bad(c, "resolvedDependencies is not an array");
	json_array_foreach(a, i, d) {
		if (!json_is_object(d))
			return bad(c, "resolvedDependencies[%zu] is not an "
			    "object", i);
		uri = json_object_get(d, "uri");
		commit = json_object_get(json_object_get(d, "digest"),
		    "gitCommit");
		if (commit == NULL || (uri != NULL &&
		    (!json_is_string(uri) || strncmp(json_string_value(uri),
		    "git+", 4) != 0)))
			continue;
		if (!json_is_string(commit) ||
		    (!is_hex(json_string_value(commit), 40) &&
		    !is_hex(json_string_value(commit), 64)))
			return bad(c, "resolvedDependencies[%zu].digest."
			    "gitCommit is not a lower-case hex commit id", i);
		snprintf(c->st->commit, sizeof(c->st->commit), "%s",
		    json_string_value(commit));
		return uri != NULL ? split_git_uri(c, json_string_value(uri)) :
		    SBX_OK;
	}
	return SBX_OK;
}

/* What sbx-sign records of its own options, read for its buildType only. */
static void
parse_sbx_parameters(struct sbx_statement *st, json_t *ext)
{
	if (strcmp(st->build_type, SBX_BUILD_TYPE) != 0)
		return;
	st->detached = json_is_true(json_object_get(json_object_get(ext,
	    "sbx"), "detached"));
	st->dirty = json_is_true(json_object_get(json_object_get(ext,
	    "source"), "dirty"));
}

static int
parse_build_definition(struct pctx *c, json_t *pred)
{
	json_t *bd, *ext, *internal;
	int rc;

	if ((rc = get_object(&bd, pred, "buildDefinition", true, "predicate",
	    c)) != SBX_OK)
		return rc;
	if ((rc = take_string(&c->st->build_type, bd, "buildType", true,
	    "buildDefinition", c)) != SBX_OK)
		return rc;
	if ((rc = get_object(&ext, bd, "externalParameters", true,
	    "buildDefinition", c)) != SBX_OK)
		return rc;
	if ((rc = get_object(&internal, bd, "internalParameters", false,
	    "buildDefinition", c)) != SBX_OK)
		return rc;
	parse_sbx_parameters(c->st, ext);
	return parse_dependencies(c, json_object_get(bd,
	    "resolvedDependencies"));
}

static int
parse_time(int64_t *out, bool *has, json_t *meta, const char *key,
    struct pctx *c)
{
	json_t *v = json_object_get(meta, key);

	if (v == NULL)
		return SBX_OK;
	if (!json_is_string(v) || sbx_time_parse(out, json_string_value(v))
	    != SBX_OK)
		return bad(c, "runDetails.metadata.%s is not an RFC 3339 time",
		    key);
	if (has != NULL)
		*has = true;
	return SBX_OK;
}

static int
parse_run_details(struct pctx *c, json_t *pred)
{
	json_t *rd, *builder, *meta;
	int rc;

	if ((rc = get_object(&rd, pred, "runDetails", true, "predicate", c))
	    != SBX_OK)
		return rc;
	if ((rc = get_object(&builder, rd, "builder", true, "runDetails", c))
	    != SBX_OK)
		return rc;
	if ((rc = take_string(&c->st->builder_id, builder, "id", true,
	    "runDetails.builder", c)) != SBX_OK)
		return rc;
	if ((rc = get_object(&meta, rd, "metadata", false, "runDetails", c))
	    != SBX_OK || meta == NULL)
		return rc;
	if ((rc = take_string(&c->st->invocation_id, meta, "invocationId",
	    false, "runDetails.metadata", c)) != SBX_OK)
		return rc;
	if ((rc = parse_time(&c->st->started_on, NULL, meta, "startedOn", c))
	    != SBX_OK)
		return rc;
	return parse_time(&c->st->finished_on, &c->st->has_finished, meta,
	    "finishedOn", c);
}

static int
parse_doc(struct pctx *c, json_t *doc)
{
	const char *key, *s;
	json_t *v, *pred;
	size_t i;
	int rc;

	if (!json_is_object(doc))
		return bad(c, "the statement is not an object");
	json_object_foreach(doc, key, v) {
		for (i = 0; statement_members[i] != NULL; i++)
			if (strcmp(key, statement_members[i]) == 0)
				break;
		if (statement_members[i] == NULL)
			return bad(c, "unknown member \"%.64s\" in the "
			    "statement", key);
	}
	s = json_string_value(json_object_get(doc, "_type"));
	if (s == NULL || strcmp(s, SBX_STATEMENT_TYPE) != 0)
		return bad(c, "_type is not \"%s\"", SBX_STATEMENT_TYPE);
	s = json_string_value(json_object_get(doc, "predicateType"));
	if (s == NULL || strcmp(s, SBX_SLSA_PREDICATE) != 0)
		return bad(c, "predicateType is not \"%s\"",
		    SBX_SLSA_PREDICATE);
	if ((rc = parse_subjects(c, json_object_get(doc, "subject"))) != 0)
		return rc;
	if ((rc = get_object(&pred, doc, "predicate", true, "statement", c))
	    != SBX_OK)
		return rc;
	if ((rc = parse_build_definition(c, pred)) != SBX_OK)
		return rc;
	return parse_run_details(c, pred);
}

int
sbx_statement_parse(struct sbx_statement **out, const void *buf, size_t len,
    const char *name, struct sbx_err *err)
{
	struct sbx_statement *st;
	struct pctx c = { name, err, NULL };
	json_error_t jerr;
	json_t *doc;
	int rc;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	c.st = st;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		rc = bad(&c, "statement: malformed JSON at line %d, column "
		    "%d: %s", jerr.line, jerr.column, jerr.text);
	else
		rc = parse_doc(&c, doc);
	json_decref(doc);
	if (rc != SBX_OK) {
		sbx_statement_free(st);
		return rc;
	}
	*out = st;
	return SBX_OK;
}

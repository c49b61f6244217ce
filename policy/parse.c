/* policy/parse.c: the policy file's fields, defaults and their parser. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <sbx/encode.h>
#include <sbx/policy.h>
#include <sbx/url.h>

#include "locate.h"
#include "parse.h"

#define PATH_DEPTH	8		/* deepest: a.b.c.d, a[i].b[j] */

/* Where the parser is: for messages, and for resolving paths. */
struct pctx {
	const char	*name;		/* the file, in messages */
	const char	*text;
	size_t		 len;
	const char	*dir;		/* the policy's folder */
	struct sbx_jstep path[PATH_DEPTH];
	size_t		 depth;
	unsigned	 flags;		/* SBX_POLICY_DEFER_URLS */
	bool		 deferred;	/* a URL was left unchecked */
	struct sbx_err	*err;
};

struct field;
typedef int parse_fn(struct pctx *, json_t *, void *, const struct field *);

/* One member of an object: its name, parser, place and argument. */
struct field {
	const char	*name;
	parse_fn	*parse;
	size_t		 off;		/* of the value */
	const void	*arg;
	bool		 required;
};

struct object_spec {
	const struct field *fields;
	size_t		 n;
	size_t		 enabled_off;	/* bool to set, or NONE */
};

/* An array of objects: pointer at the field's off, count at count_off. */
struct array_spec {
	const struct object_spec *obj;
	size_t		 elem_size;
	size_t		 count_off;
};

struct range {
	long long	 min, max;
};

/* A string check: NULL if s is fine, else what is wrong. */
typedef const char *check_fn(const char *s);

struct name_value {
	const char	*name;
	unsigned	 value;
};

#define NONE		((size_t)-1)
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- messages --------------------------------------------------------- */

static void
push(struct pctx *c, const char *key, size_t index)
{
	/* The tables are at most PATH_DEPTH deep; deeper input is refused
	 * as an unknown field or a wrong type before it gets here. */
	if (c->depth < PATH_DEPTH) {
		c->path[c->depth].key = key;
		c->path[c->depth].index = index;
	}
	c->depth++;
}

static void
pop(struct pctx *c)
{
	c->depth--;
}

/* Keys come from the file: show only printable bytes of them. */
static void
path_string(char *out, size_t outsz, const struct pctx *c)
{
	size_t i, o = 0;
	const char *k;
	int n;

	out[0] = '\0';
	for (i = 0; i < c->depth && i < PATH_DEPTH; i++) {
		if (c->path[i].key == NULL) {
			n = snprintf(out + o, outsz - o, "[%zu]",
			    c->path[i].index);
			if (n < 0 || (size_t)n >= outsz - o)
				return;
			o += (size_t)n;
			continue;
		}
		if (i > 0 && o + 1 < outsz)
			out[o++] = '.';
		for (k = c->path[i].key; *k != '\0' && o + 1 < outsz; k++) {
			unsigned char u = (unsigned char)*k;

			out[o++] = u >= 0x80 || isprint(u) ? (char)u : '?';
		}
		out[o] = '\0';
		if (o + 1 >= outsz)
			return;
	}
}

/*
 * Fail with "FILE:LINE:COLUMN: FIELD.PATH: why". here: the node at the
 * current path exists; otherwise (a required member) point at its
 * parent object.
 */
static int
fail(struct pctx *c, bool here, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct pctx *c, bool here, const char *fmt, ...)
{
	char why[160], where[96];
	size_t depth, off;
	va_list ap;
	int line, col;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);

	depth = c->depth < PATH_DEPTH ? c->depth : PATH_DEPTH;
	if (!here && depth > 0)
		depth--;
	off = sbx_jtext_locate(c->text, c->len, c->path, depth, NULL);
	sbx_jtext_linecol(c->text, c->len, off, &line, &col);
	path_string(where, sizeof(where), c);
	if (where[0] == '\0')
		return sbx_err_set(c->err, SBX_ECONFIG, "%s:%d:%d: %s",
		    c->name, line, col, why);
	return sbx_err_set(c->err, SBX_ECONFIG, "%s:%d:%d: %s: %s", c->name,
	    line, col, where, why);
}

static int
nomem(struct pctx *c)
{
	return sbx_err_set(c->err, SBX_ENOMEM, "%s: out of memory", c->name);
}

/* ---- string checks ---------------------------------------------------- */

static const char *
check_nonempty(const char *s)
{
	return s[0] == '\0' ? "must not be empty" : NULL;
}

static bool
only_chars(const char *s, const char *extra, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return false;
	return true;
}

/* Tenants are metric labels and journal fields: keep them plain. */
static const char *
check_tenant(const char *s)
{
	return only_chars(s, "._-", 64) ? NULL :
	    "must be 1 to 64 letters, digits, '.', '_' or '-'";
}

/* Job and instance become Pushgateway URL path segments. */
static const char *
check_label(const char *s)
{
	return only_chars(s, "._:-", 128) ? NULL :
	    "must be 1 to 128 letters, digits, '.', '_', ':' or '-'";
}

static const char *
check_flag(const char *s)
{
	const char *p;

	if (s[0] != '-' || s[1] == '\0')
		return "must be a JVM option pattern starting with '-'";
	for (p = s; *p != '\0'; p++)
		if (isspace((unsigned char)*p))
			return "must not contain white space";
	return NULL;
}

static const char *
check_abspath(const char *s)
{
	return s[0] == '/' ? NULL : "must be an absolute path";
}

static const char *
check_version(const char *s)
{
	return sbx_version_valid(s) ? NULL :
	    "must be a version like \"2.3.0\" or \"1.0-rc1\"";
}

static const char *
check_host(const char *s)
{
	const char *p;

	if (s[0] == '\0' || strlen(s) > 253)
		return "must be a host name or address";
	for (p = s; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p) || *p == '/')
			return "must be a host name or address";
	return NULL;
}

/* ---- scalar parsers --------------------------------------------------- */

#define AT(base, f, type)	((type *)(void *)((char *)(base) + (f)->off))

static int
want_string(struct pctx *c, json_t *j, const struct field *f,
    const char **out)
{
	check_fn *check = (check_fn *)(uintptr_t)f->arg;
	const char *why;

	if (!json_is_string(j))
		return fail(c, true, "must be a string");
	*out = json_string_value(j);
	if (check == sbx_url_check && (c->flags & SBX_POLICY_DEFER_URLS)) {
		c->deferred = true;
		return SBX_OK;
	}
	if (check != NULL && (why = check(*out)) != NULL)
		return fail(c, true, "%s", why);
	return SBX_OK;
}

static int
replace(struct pctx *c, char **dst, char *s)
{
	if (s == NULL)
		return nomem(c);
	free(*dst);
	*dst = s;
	return SBX_OK;
}

static int
p_string(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	const char *s;
	int rc;

	if ((rc = want_string(c, j, f, &s)) != SBX_OK)
		return rc;
	return replace(c, AT(base, f, char *), strdup(s));
}

/* dir + "/" + s unless s is absolute. */
static char *
join_path(const char *dir, const char *s)
{
	size_t n;
	char *out;

	if (s[0] == '/')
		return strdup(s);
	n = strlen(dir);
	if (asprintf(&out, "%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" :
	    "/", s) == -1)
		return NULL;
	return out;
}

static int
p_path(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	const char *s;
	int rc;

	if ((rc = want_string(c, j, f, &s)) != SBX_OK)
		return rc;
	return replace(c, AT(base, f, char *), join_path(c->dir, s));
}

/* "$schema" lets editors validate the file; its value is not used. */
static int
p_ignored(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	const char *s;

	return want_string(c, j, f, &s);
}

static int
p_bool(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	if (!json_is_boolean(j))
		return fail(c, true, "must be true or false");
	*AT(base, f, bool) = json_is_true(j);
	return SBX_OK;
}

static int
want_int(struct pctx *c, json_t *j, const struct field *f, long long *out)
{
	const struct range *r = f->arg;

	if (!json_is_integer(j))
		return fail(c, true, "must be an integer");
	*out = json_integer_value(j);
	if (*out < r->min || *out > r->max)
		return fail(c, true, "must be from %lld to %lld", r->min,
		    r->max);
	return SBX_OK;
}

static int
p_int(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	long long v = 0;
	int rc;

	if ((rc = want_int(c, j, f, &v)) == SBX_OK)
		*AT(base, f, int) = (int)v;
	return rc;
}

static int
p_int64(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	long long v = 0;
	int rc;

	if ((rc = want_int(c, j, f, &v)) == SBX_OK)
		*AT(base, f, int64_t) = (int64_t)v;
	return rc;
}

static int
p_count(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	long long v = 0;
	int rc;

	if ((rc = want_int(c, j, f, &v)) == SBX_OK)
		*AT(base, f, unsigned) = (unsigned)v;
	return rc;
}

static int
p_rate(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	double v;

	if (!json_is_number(j))
		return fail(c, true, "must be a number");
	v = json_number_value(j);
	if (!(v >= 0.0 && v <= 1.0))
		return fail(c, true, "must be from 0 to 1");
	*AT(base, f, double) = v;
	return SBX_OK;
}

static int
p_duration(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	struct sbx_err e = { 0 };
	const char *s;
	int rc;

	if ((rc = want_string(c, j, f, &s)) != SBX_OK)
		return rc;
	if (sbx_duration_parse(AT(base, f, int64_t), s, &e) != SBX_OK)
		return fail(c, true, "%s", e.msg);
	return SBX_OK;
}

static int
lookup(struct pctx *c, json_t *j, const struct name_value *nv, size_t n,
    unsigned *out)
{
	char list[128] = "";
	size_t i;

	if (!json_is_string(j))
		return fail(c, true, "must be a string");
	for (i = 0; i < n; i++) {
		if (strcmp(json_string_value(j), nv[i].name) == 0) {
			*out = nv[i].value;
			return SBX_OK;
		}
	}
	for (i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s\"%s\"", i == 0 ? "" : i + 1 == n ? " or " : ", ",
		    nv[i].name);
	return fail(c, true, "must be %s", list);
}

static const struct name_value modes[] = {
	{ "enforce", SBX_MODE_ENFORCE }, { "audit", SBX_MODE_AUDIT },
};

static int
p_mode(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	unsigned v;
	int rc;

	if ((rc = lookup(c, j, modes, NELEM(modes), &v)) == SBX_OK)
		*AT(base, f, enum sbx_mode) = (enum sbx_mode)v;
	return rc;
}

static const struct name_value transports[] = {
	{ "tcp", SBX_SYSLOG_TCP }, { "udp", SBX_SYSLOG_UDP },
};

static int
p_transport(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	unsigned v;
	int rc;

	if ((rc = lookup(c, j, transports, NELEM(transports), &v)) == SBX_OK)
		*AT(base, f, enum sbx_syslog_transport) =
		    (enum sbx_syslog_transport)v;
	return rc;
}

static int
p_sha256(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	char *out = AT(base, f, char);
	const char *s;
	size_t i;
	int rc;

	if ((rc = want_string(c, j, f, &s)) != SBX_OK)
		return rc;
	if (strlen(s) != 64 || strspn(s, "0123456789abcdefABCDEF") != 64)
		return fail(c, true, "must be 64 hex digits (SHA-256)");
	for (i = 0; i < 64; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[64] = '\0';
	return SBX_OK;
}

/* ---- list parsers ----------------------------------------------------- */

static int
want_array(struct pctx *c, json_t *j, bool nonempty)
{
	if (!json_is_array(j))
		return fail(c, true, "must be an array");
	if (nonempty && json_array_size(j) == 0)
		return fail(c, true, "must not be empty");
	return SBX_OK;
}

static void
strs_free(struct sbx_policy_strs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* A list of strings, each checked by the field's check function. */
static int
strs(struct pctx *c, json_t *j, void *base, const struct field *f,
    bool nonempty)
{
	struct sbx_policy_strs *l = AT(base, f, struct sbx_policy_strs);
	const char *s;
	json_t *e;
	size_t i;
	int rc;

	if ((rc = want_array(c, j, nonempty)) != SBX_OK)
		return rc;
	strs_free(l);
	if (json_array_size(j) == 0)
		return SBX_OK;
	if ((l->v = calloc(json_array_size(j), sizeof(*l->v))) == NULL)
		return nomem(c);
	json_array_foreach(j, i, e) {
		push(c, NULL, i);
		rc = want_string(c, e, f, &s);
		pop(c);
		if (rc != SBX_OK)
			return rc;
		if ((l->v[l->n] = strdup(s)) == NULL)
			return nomem(c);
		l->n++;
	}
	return SBX_OK;
}

static int
p_strs(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	return strs(c, j, base, f, false);
}

static int
p_strs1(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	return strs(c, j, base, f, true);
}

/* A set of names, each once, stored as a bit mask; never empty. */
static int
bits(struct pctx *c, json_t *j, const struct name_value *nv, size_t n,
    unsigned *out)
{
	unsigned mask = 0, v;
	json_t *e;
	size_t i;
	int rc;

	if ((rc = want_array(c, j, true)) != SBX_OK)
		return rc;
	json_array_foreach(j, i, e) {
		push(c, NULL, i);
		rc = lookup(c, e, nv, n, &v);
		if (rc == SBX_OK && (mask & v) != 0)
			rc = fail(c, true, "listed twice");
		pop(c);
		if (rc != SBX_OK)
			return rc;
		mask |= v;
	}
	*out = mask;
	return SBX_OK;
}

static const struct name_value digests[] = {
	{ "sha256", SBX_DIGEST_SHA256 }, { "sha384", SBX_DIGEST_SHA384 },
	{ "sha512", SBX_DIGEST_SHA512 },
};

static int
p_digests(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	return bits(c, j, digests, NELEM(digests), AT(base, f, unsigned));
}

static const struct name_value sigalgs[] = {
	{ "rsa-pkcs1", SBX_SIGALG_RSA_PKCS1 },
	{ "rsa-pss", SBX_SIGALG_RSA_PSS },
};

static int
p_sigalgs(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	return bits(c, j, sigalgs, NELEM(sigalgs), AT(base, f, unsigned));
}

static int
owner_uid(struct pctx *c, json_t *e, uid_t *out)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int e2;

	if (json_is_integer(e)) {
		/* (uid_t)-1 means "no change" to chown(2): never an owner. */
		if (json_integer_value(e) < 0 ||
		    json_integer_value(e) >= (json_int_t)(uid_t)-1)
			return fail(c, true, "must be a valid uid");
		*out = (uid_t)json_integer_value(e);
		return SBX_OK;
	}
	if (!json_is_string(e))
		return fail(c, true, "must be a user name or a uid");
	e2 = getpwnam_r(json_string_value(e), &pw, buf, sizeof(buf), &res);
	if (res == NULL && e2 != 0 && e2 != ENOENT && e2 != ESRCH)
		return fail(c, true, "cannot look up user \"%s\": %s",
		    json_string_value(e), strerror(e2));
	if (res == NULL)
		return fail(c, true, "no such user \"%s\"",
		    json_string_value(e));
	*out = pw.pw_uid;
	return SBX_OK;
}

/* User names are resolved now, so a check needs no lookup later. */
static int
p_owners(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	struct sbx_policy_paths *paths = base;
	json_t *e;
	size_t i;
	int rc;

	if ((rc = want_array(c, j, true)) != SBX_OK)
		return rc;
	free(paths->owners);
	paths->n_owners = 0;
	paths->owners = calloc(json_array_size(j), sizeof(uid_t));
	if (paths->owners == NULL)
		return nomem(c);
	json_array_foreach(j, i, e) {
		push(c, NULL, i);
		rc = owner_uid(c, e, &paths->owners[i]);
		pop(c);
		if (rc != SBX_OK)
			return rc;
		paths->n_owners++;
	}
	return SBX_OK;
}

/* ---- objects ---------------------------------------------------------- */

static const struct field *
find_field(const struct object_spec *spec, const char *key, size_t *idx)
{
	size_t i;

	for (i = 0; i < spec->n; i++) {
		if (strcmp(spec->fields[i].name, key) == 0) {
			*idx = i;
			return &spec->fields[i];
		}
	}
	return NULL;
}

static int
parse_object(struct pctx *c, json_t *j, void *base,
    const struct object_spec *spec)
{
	const struct field *f;
	unsigned long long seen = 0;
	const char *key;
	json_t *v;
	size_t i = 0;
	int rc;

	if (!json_is_object(j))
		return fail(c, true, "must be an object");
	/* Members in the order written, so the first error is reported. */
	json_object_foreach(j, key, v) {
		push(c, key, 0);
		if ((f = find_field(spec, key, &i)) == NULL)
			rc = fail(c, true, "unknown field");
		else
			rc = f->parse(c, v, base, f);
		pop(c);
		if (rc != SBX_OK)
			return rc;
		seen |= 1ULL << i;
	}
	for (i = 0; i < spec->n; i++) {
		if (!spec->fields[i].required || (seen & (1ULL << i)) != 0)
			continue;
		push(c, spec->fields[i].name, 0);
		rc = fail(c, false, "required");
		pop(c);
		return rc;
	}
	if (spec->enabled_off != NONE)
		*(bool *)(void *)((char *)base + spec->enabled_off) = true;
	return SBX_OK;
}

static int
p_object(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	return parse_object(c, j, (char *)base + f->off, f->arg);
}

/* The array is stored before its elements are parsed, so a failure
 * half-way leaves nothing that sbx_policy_free() cannot release. */
static int
p_objects(struct pctx *c, json_t *j, void *base, const struct field *f)
{
	const struct array_spec *a = f->arg;
	void **arr = AT(base, f, void *);
	size_t *count = (size_t *)(void *)((char *)base + a->count_off);
	json_t *e;
	size_t i;
	int rc;

	if ((rc = want_array(c, j, false)) != SBX_OK)
		return rc;
	if (json_array_size(j) == 0)
		return SBX_OK;
	if ((*arr = calloc(json_array_size(j), a->elem_size)) == NULL)
		return nomem(c);
	*count = json_array_size(j);
	json_array_foreach(j, i, e) {
		push(c, NULL, i);
		rc = parse_object(c, e, (char *)*arr + i * a->elem_size,
		    a->obj);
		pop(c);
		if (rc != SBX_OK)
			return rc;
	}
	return SBX_OK;
}

/* ---- the tables: one row per field of docs/policy.md ------------------ */

#define FN(fn)		((const void *)(uintptr_t)(fn))
#define OBJ(t)		{ t, NELEM(t), NONE }
#define SINK(t, s)	{ t, NELEM(t), offsetof(s, enabled) }

static const struct range rsa_bits = { 2048, 16384 };
static const struct range ports = { 1, 65535 };
static const struct range budget = { 1, 10000 };
static const struct range per_minute = { 0, 1000000000 };
static const struct range facilities = { 0, 23 };
static const struct range spool_max = { 4096, 1LL << 40 };

static const struct field provenance_fields[] = {
#define S struct sbx_policy_provenance
	{ "required", p_bool, offsetof(S, required), NULL, false },
	{ "max_age", p_duration, offsetof(S, max_age), NULL, false },
	{ "builders", p_strs, offsetof(S, builders), FN(check_nonempty),
	    false },
	{ "repositories", p_strs, offsetof(S, repositories),
	    FN(check_nonempty), false },
	{ "refs", p_strs, offsetof(S, refs), FN(check_nonempty), false },
#undef S
};
static const struct object_spec provenance_spec = OBJ(provenance_fields);

static const struct field signer_fields[] = {
#define S struct sbx_policy_signer
	{ "artifacts", p_string, offsetof(S, artifacts), FN(check_nonempty),
	    true },
	{ "keys", p_strs1, offsetof(S, keys), FN(check_nonempty), true },
#undef S
};
static const struct object_spec signer_spec = OBJ(signer_fields);
static const struct array_spec signers_array = {
	&signer_spec, sizeof(struct sbx_policy_signer),
	offsetof(struct sbx_policy, n_signers)
};

static const struct field version_fields[] = {
#define S struct sbx_policy_version
	{ "artifacts", p_string, offsetof(S, artifacts), FN(check_nonempty),
	    true },
	{ "min", p_string, offsetof(S, min), FN(check_version), true },
#undef S
};
static const struct object_spec version_spec = OBJ(version_fields);
static const struct array_spec versions_array = {
	&version_spec, sizeof(struct sbx_policy_version),
	offsetof(struct sbx_policy, n_versions)
};

static const struct field native_fields[] = {
#define S struct sbx_policy_native_agent
	{ "path", p_string, offsetof(S, path), FN(check_abspath), true },
	{ "sha256", p_sha256, offsetof(S, sha256), NULL, true },
#undef S
};
static const struct object_spec native_spec = OBJ(native_fields);
static const struct array_spec natives_array = {
	&native_spec, sizeof(struct sbx_policy_native_agent),
	offsetof(struct sbx_policy_jvm, n_native_agents)
};

static const struct field jvm_fields[] = {
#define S struct sbx_policy_jvm
	{ "forbidden_flags", p_strs, offsetof(S, forbidden_flags),
	    FN(check_flag), false },
	{ "required_flags", p_strs, offsetof(S, required_flags),
	    FN(check_flag), false },
	{ "native_agents", p_objects, offsetof(S, native_agents),
	    &natives_array, false },
#undef S
};
static const struct object_spec jvm_spec = OBJ(jvm_fields);

static const struct field paths_fields[] = {
#define S struct sbx_policy_paths
	{ "owners", p_owners, offsetof(S, owners), NULL, false },
	{ "forbid_group_writable", p_bool,
	    offsetof(S, forbid_group_writable), NULL, false },
	{ "forbid_world_writable", p_bool,
	    offsetof(S, forbid_world_writable), NULL, false },
#undef S
};
static const struct object_spec paths_spec = OBJ(paths_fields);

static const struct field journal_fields[] = {
	{ "url", p_string, offsetof(struct sbx_policy_http_sink, url),
	    FN(sbx_url_check), false },
};
static const struct field http_sink_fields[] = {
	{ "url", p_string, offsetof(struct sbx_policy_http_sink, url),
	    FN(sbx_url_check), true },
};
static const struct field syslog_fields[] = {
#define S struct sbx_policy_syslog
	{ "host", p_string, offsetof(S, host), FN(check_host), false },
	{ "port", p_int, offsetof(S, port), &ports, false },
	{ "transport", p_transport, offsetof(S, transport), NULL, false },
	{ "facility", p_int, offsetof(S, facility), &facilities, false },
#undef S
};
static const struct object_spec journal_spec =
    SINK(journal_fields, struct sbx_policy_http_sink);
static const struct object_spec http_sink_spec =
    SINK(http_sink_fields, struct sbx_policy_http_sink);
static const struct object_spec syslog_spec =
    SINK(syslog_fields, struct sbx_policy_syslog);

static const struct field sinks_fields[] = {
#define S struct sbx_policy_sinks
	{ "journal", p_object, offsetof(S, journal), &journal_spec, false },
	{ "syslog", p_object, offsetof(S, syslog), &syslog_spec, false },
	{ "loki", p_object, offsetof(S, loki), &http_sink_spec, false },
	{ "otlp", p_object, offsetof(S, otlp), &http_sink_spec, false },
#undef S
};
static const struct object_spec sinks_spec = OBJ(sinks_fields);

static const struct field sampling_fields[] = {
#define S struct sbx_policy_sampling
	{ "per_minute_after", p_count, offsetof(S, per_minute_after),
	    &per_minute, false },
	{ "rate", p_rate, offsetof(S, rate), NULL, false },
#undef S
};
static const struct object_spec sampling_spec = OBJ(sampling_fields);

static const struct field audit_fields[] = {
#define S struct sbx_policy_audit
	{ "file", p_path, offsetof(S, file), FN(check_nonempty), false },
	{ "log_passing", p_bool, offsetof(S, log_passing), NULL, false },
	{ "fsync", p_bool, offsetof(S, fsync), NULL, false },
	{ "sinks", p_object, offsetof(S, sinks), &sinks_spec, false },
	{ "sampling", p_object, offsetof(S, sampling), &sampling_spec,
	    false },
	{ "spool_dir", p_path, offsetof(S, spool_dir), FN(check_nonempty),
	    false },
	{ "spool_max_bytes", p_int64, offsetof(S, spool_max_bytes),
	    &spool_max, false },
	{ "budget_ms", p_int, offsetof(S, budget_ms), &budget, false },
#undef S
};
static const struct object_spec audit_spec = OBJ(audit_fields);

static const struct field metrics_fields[] = {
#define S struct sbx_policy_metrics
	{ "textfile_dir", p_path, offsetof(S, textfile_dir),
	    FN(check_nonempty), false },
	{ "pushgateway", p_string, offsetof(S, pushgateway), FN(sbx_url_check),
	    false },
	{ "job", p_string, offsetof(S, job), FN(check_label), false },
	{ "instance", p_string, offsetof(S, instance), FN(check_label),
	    false },
	{ "budget_ms", p_int, offsetof(S, budget_ms), &budget, false },
#undef S
};
static const struct object_spec metrics_spec = OBJ(metrics_fields);

static const struct field policy_fields[] = {
#define S struct sbx_policy
	{ "$schema", p_ignored, 0, NULL, false },
	{ "keyring", p_path, offsetof(S, keyring), FN(check_nonempty), true },
	{ "root", p_path, offsetof(S, root), FN(check_nonempty), false },
	{ "mode", p_mode, offsetof(S, mode), NULL, false },
	{ "tenant", p_string, offsetof(S, tenant), FN(check_tenant), false },
	{ "min_rsa_bits", p_int, offsetof(S, min_rsa_bits), &rsa_bits,
	    false },
	{ "digests", p_digests, offsetof(S, digests), NULL, false },
	{ "signature_algorithms", p_sigalgs, offsetof(S, sigalgs), NULL,
	    false },
	{ "provenance", p_object, offsetof(S, provenance), &provenance_spec,
	    false },
	{ "signers", p_objects, offsetof(S, signers), &signers_array, false },
	{ "versions", p_objects, offsetof(S, versions), &versions_array,
	    false },
	{ "jvm", p_object, offsetof(S, jvm), &jvm_spec, false },
	{ "paths", p_object, offsetof(S, paths), &paths_spec, false },
	{ "audit", p_object, offsetof(S, audit), &audit_spec, false },
	{ "metrics", p_object, offsetof(S, metrics), &metrics_spec, false },
#undef S
};
static const struct object_spec policy_spec = OBJ(policy_fields);

/* ---- defaults and whole-policy rules ---------------------------------- */

/* Turning bytecode verification off voids every check sbx makes. */
static const char *const default_forbidden[] = {
	"-Xverify:none", "-noverify", "-XX:-BytecodeVerificationRemote",
};

static int
strs_set(struct sbx_policy_strs *l, const char *const *v, size_t n)
{
	if ((l->v = calloc(n, sizeof(*l->v))) == NULL)
		return SBX_ENOMEM;
	for (l->n = 0; l->n < n; l->n++)
		if ((l->v[l->n] = strdup(v[l->n])) == NULL)
			return SBX_ENOMEM;
	return SBX_OK;
}

static char *
host_name(void)
{
	char h[256];

	if (gethostname(h, sizeof(h)) != 0 || h[0] == '\0')
		return strdup("localhost");
	h[sizeof(h) - 1] = '\0';
	return strdup(h);
}

static struct sbx_policy *
policy_new(void)
{
	struct sbx_policy *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->min_rsa_bits = 4096;
	p->digests = SBX_DIGEST_SHA256 | SBX_DIGEST_SHA384 | SBX_DIGEST_SHA512;
	p->sigalgs = SBX_SIGALG_RSA_PKCS1 | SBX_SIGALG_RSA_PSS;
	p->mode = SBX_MODE_ENFORCE;
	p->paths.forbid_group_writable = true;
	p->paths.forbid_world_writable = true;
	p->audit.log_passing = true;
	p->audit.fsync = true;
	p->audit.sampling.rate = 1.0;
	p->audit.spool_max_bytes = 16 << 20;
	p->audit.budget_ms = 50;
	p->audit.sinks.syslog.port = 514;
	p->audit.sinks.syslog.transport = SBX_SYSLOG_TCP;
	p->audit.sinks.syslog.facility = 10;	/* authpriv */
	p->metrics.budget_ms = 50;
	p->tenant = strdup("default");
	p->audit.sinks.syslog.host = strdup("127.0.0.1");
	p->metrics.job = strdup("sbx");
	p->metrics.instance = host_name();
	if (p->tenant == NULL || p->audit.sinks.syslog.host == NULL ||
	    p->metrics.job == NULL || p->metrics.instance == NULL ||
	    strs_set(&p->jvm.forbidden_flags, default_forbidden,
	    NELEM(default_forbidden)) != SBX_OK) {
		sbx_policy_free(p);
		return NULL;
	}
	return p;
}

/* Defaults that depend on other fields or on the process. */
static int
finish_defaults(struct sbx_policy *p)
{
	uid_t self = geteuid();

	if (p->paths.n_owners == 0) {
		if ((p->paths.owners = calloc(2, sizeof(uid_t))) == NULL)
			return SBX_ENOMEM;
		p->paths.owners[p->paths.n_owners++] = 0;
		if (self != 0)
			p->paths.owners[p->paths.n_owners++] = self;
	}
	if (p->audit.spool_dir == NULL && p->audit.file != NULL &&
	    asprintf(&p->audit.spool_dir, "%s.spool", p->audit.file) == -1) {
		p->audit.spool_dir = NULL;
		return SBX_ENOMEM;
	}
	return SBX_OK;
}

/* A required pattern that a forbidden one matches refuses every start. */
static int
check_flag_conflict(struct pctx *c, const struct sbx_policy *p)
{
	const struct sbx_policy_strs *req = &p->jvm.required_flags;
	const struct sbx_policy_strs *fb = &p->jvm.forbidden_flags;
	size_t i, k;
	int rc;

	for (i = 0; i < req->n; i++) {
		for (k = 0; k < fb->n; k++) {
			if (fnmatch(fb->v[k], req->v[i], 0) != 0)
				continue;
			push(c, "jvm", 0);
			push(c, "required_flags", 0);
			push(c, NULL, i);
			rc = fail(c, true, "\"%s\" is also forbidden by "
			    "jvm.forbidden_flags[%zu]", req->v[i], k);
			pop(c);
			pop(c);
			pop(c);
			return rc;
		}
	}
	return SBX_OK;
}

/* ---- public ----------------------------------------------------------- */

/* An absolute folder: dir as given if absolute, else under the cwd. */
static char *
absolute_dir(const char *dir)
{
	char cwd[PATH_MAX];

	if (dir != NULL && dir[0] == '/')
		return strdup(dir);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	if (dir == NULL || strcmp(dir, ".") == 0)
		return strdup(cwd);
	return join_path(cwd, dir);
}

static int
syntax_error(struct pctx *c, const json_error_t *je)
{
	char where[96];
	size_t off;
	int line, col;

	/* jansson points past the duplicate key: name it and its start. */
	if (json_error_code(je) == json_error_duplicate_key &&
	    je->position > 0) {
		off = sbx_jtext_key_at(where, sizeof(where), c->text, c->len,
		    (size_t)je->position - 1);
		if (off != SBX_JNONE) {
			sbx_jtext_linecol(c->text, c->len, off, &line, &col);
			return sbx_err_set(c->err, SBX_ECONFIG,
			    "%s:%d:%d: %s: duplicate key", c->name, line,
			    col, where);
		}
	}
	return sbx_err_set(c->err, SBX_ECONFIG, "%s:%d:%d: invalid JSON: %s",
	    c->name, je->line, je->column > 0 ? je->column : 1, je->text);
}

/* Keep the bytes: sbx_policy_sha256() digests them when asked. */
static int
keep_text(struct sbx_policy *p, const void *buf, size_t len,
    struct sbx_err *err)
{
	if ((p->text = malloc(len ? len : 1)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	memcpy(p->text, buf, len);
	p->text_len = len;
	return SBX_OK;
}

int
sbx_policy_sha256(char *out, const struct sbx_policy *p, struct sbx_err *err)
{
	unsigned char md[32];
	int rc;

	out[0] = '\0';
	if (p->text == NULL)
		return SBX_OK;
	if ((rc = sbx_sha256(md, p->text, p->text_len, err)) == SBX_OK)
		sbx_hex(out, md, sizeof(md));
	return rc;
}

int
sbx_policy_parse_mem(struct sbx_policy **out, const void *buf, size_t len,
    const char *name, const char *dir, struct sbx_err *err)
{
	return sbx_policy__parse(out, buf, len, name, dir, 0, err);
}

int
sbx_policy__parse(struct sbx_policy **out, const void *buf, size_t len,
    const char *name, const char *dir, unsigned flags, struct sbx_err *err)
{
	struct pctx c = { 0 };
	struct sbx_policy *p = NULL;
	json_error_t je;
	json_t *root = NULL;
	char *absdir = NULL;
	int rc = SBX_EINTERNAL;

	*out = NULL;
	c.name = name;
	c.text = buf;
	c.len = len;
	c.flags = flags;
	c.err = err;

	if ((absdir = absolute_dir(dir)) == NULL) {
		rc = sbx_err_set(err, SBX_EIO, "%s: cannot find the current "
		    "folder: %s", name, strerror(errno));
		goto done;
	}
	c.dir = absdir;
	if ((p = policy_new()) == NULL || (p->path = strdup(name)) == NULL) {
		rc = nomem(&c);
		goto done;
	}

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		rc = syntax_error(&c, &je);
		goto done;
	}
	if ((rc = parse_object(&c, root, p, &policy_spec)) != SBX_OK ||
	    (rc = check_flag_conflict(&c, p)) != SBX_OK)
		goto done;
	if (finish_defaults(p) != SBX_OK) {
		rc = nomem(&c);
		goto done;
	}
	if ((rc = keep_text(p, buf, len, err)) != SBX_OK)
		goto done;
	p->urls_unchecked = c.deferred;

	*out = p;
	p = NULL;
	rc = SBX_OK;
done:
	sbx_policy_free(p);
	json_decref(root);
	free(absdir);
	return rc;
}

int
sbx_policy_default(struct sbx_policy **out, const char *keyring_path,
    struct sbx_err *err)
{
	struct sbx_policy *p = NULL;
	char *cwd = NULL;
	int rc = SBX_EINTERNAL;

	*out = NULL;
	if (keyring_path == NULL || keyring_path[0] == '\0') {
		rc = sbx_err_set(err, SBX_ECONFIG, "no keyring given");
		goto done;
	}
	if ((cwd = absolute_dir(NULL)) == NULL) {
		rc = sbx_err_set(err, SBX_EIO, "cannot find the current "
		    "folder: %s", strerror(errno));
		goto done;
	}
	if ((p = policy_new()) == NULL ||
	    (p->keyring = join_path(cwd, keyring_path)) == NULL ||
	    finish_defaults(p) != SBX_OK) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}

	*out = p;
	p = NULL;
	rc = SBX_OK;
done:
	sbx_policy_free(p);
	free(cwd);
	return rc;
}

static int
list_fields(struct sbx_buf *out, const char *prefix,
    const struct object_spec *spec, struct sbx_err *err)
{
	const struct field *f;
	char *sub = NULL;
	size_t i;
	int rc = SBX_OK;

	for (i = 0; i < spec->n && rc == SBX_OK; i++) {
		f = &spec->fields[i];
		rc = sbx_buf_printf(out, err, "%s%s\n", prefix, f->name);
		if (rc != SBX_OK || (f->parse != p_object &&
		    f->parse != p_objects))
			continue;
		if (asprintf(&sub, "%s%s%s.", prefix, f->name,
		    f->parse == p_objects ? "[]" : "") == -1)
			return sbx_err_set(err, SBX_ENOMEM, "out of memory");
		rc = list_fields(out, sub, f->parse == p_object ? f->arg :
		    ((const struct array_spec *)f->arg)->obj, err);
		free(sub);
	}
	return rc;
}

int
sbx_policy_field_paths(struct sbx_buf *out, struct sbx_err *err)
{
	return list_fields(out, "", &policy_spec, err);
}

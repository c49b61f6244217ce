/* runtime-check/guard_file.c: verify one agent, JAR or library, or recall it */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sbx/encode.h>
#include <sbx/err.h>
#include <sbx/keyring.h>
#include <sbx/manifest.h>
#include <sbx/policy.h>
#include <sbx/root.h>
#include <sbx/provenance.h>
#include <sbx/zip.h>

#include "guard_int.h"

#define MANIFEST_MAX	((size_t)1 << 20)

/*
 * Open the file, check that it is a regular file, note whether a
 * provenance lies beside it, and (except for the -jar file, which is
 * the program and not an agent until its manifest says so) check the
 * path rules against the file that was opened.
 */
/*
 * sbx-guard hands the JVM /proc/self/fd/N, which libsbxguard.so then
 * finds in the command. The file open there is checked, under the name
 * it was opened as: the name decides whether it is a JAR, which
 * provenance lies beside it and which signers rules apply. The path
 * rules then check that the name still leads to the same file.
 */
static int
descriptor_name(struct gfile *f, struct sbx_err *err)
{
	static const char *const dirs[] = { "/proc/self/fd/", "/dev/fd/" };
	char name[PATH_MAX], *copy;
	const char *p = NULL;
	ssize_t n;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && p == NULL; i++)
		if (strncmp(f->path, dirs[i], strlen(dirs[i])) == 0)
			p = f->path + strlen(dirs[i]);
	if (p == NULL || *p == '\0' || p[strspn(p, "0123456789")] != '\0')
		return SBX_OK;
	if ((n = readlink(f->path, name, sizeof(name) - 1)) <= 0 ||
	    name[0] != '/')
		return sbx_err_set(err, SBX_EIO, "%s: not a file with a name",
		    f->path);
	name[n] = '\0';
	if (n > 10 && strcmp(name + n - 10, " (deleted)") == 0)
		name[n - 10] = '\0';
	if ((copy = strdup(name)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	free(f->path);
	f->path = copy;
	return SBX_OK;
}

int
gfile_open(struct sbx_guard *g, struct gfile *f, struct sbx_err *err)
{
	char prov[PATH_MAX];
	struct stat st;
	int rc;

	if ((f->fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: cannot open: %s",
		    f->path, strerror(errno));
	if ((rc = descriptor_name(f, err)) != SBX_OK)
		return rc;
	if (fstat(f->fd, &f->st) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: %s", f->path,
		    strerror(errno));
	if (!S_ISREG(f->st.st_mode))
		return sbx_err_reject(err, SBX_V_UNSIGNED, "%s: not a file, so "
		    "it cannot be signed", f->path);
	memset(&f->prov, 0, sizeof(f->prov));
	if (!sbx_provenance_path(prov, sizeof(prov), f->path))
		return sbx_err_set(err, SBX_EIO, "%s: path too long", f->path);
	if (stat(prov, &st) == 0)
		gid_from_stat(&f->prov, &st);
	else if (errno != ENOENT)
		return sbx_err_set(err, SBX_EIO, "%s: %s", prov,
		    strerror(errno));
	if (f->role == ROLE_APP)
		return SBX_OK;
	return gpath_check(g, f->path, &f->st, true, err);
}

static int
load_keyring(struct sbx_guard *g, struct sbx_err *err)
{
	if (g->kr != NULL)
		return SBX_OK;
	/* A policy that pins a root file trusts only a keyring under it. */
	if (g->policy->root != NULL)
		return sbx_keyring_load_rooted(&g->kr, g->policy->keyring,
		    g->policy->root, NULL, (int64_t)time(NULL), err);
	return sbx_keyring_load(&g->kr, g->policy->keyring, err);
}

/* The SHA-256 of the whole file, in hex. */
static int
file_sha256(struct gfile *f, struct sbx_err *err)
{
	unsigned char md[32];
	int rc;

	if (lseek(f->fd, 0, SEEK_SET) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: %s", f->path,
		    strerror(errno));
	if ((rc = sbx_sha256_fd(md, f->fd, f->path, err)) == SBX_OK)
		sbx_hex(f->sha256, md, sizeof(md));
	return rc;
}

/* %XX escapes of a URI path, decoded in place; false if malformed. */
static bool
uri_decode(char *s)
{
	char *w = s;
	unsigned v;

	for (; *s != '\0'; s++) {
		if (*s != '%') {
			*w++ = *s;
			continue;
		}
		if (sscanf(s + 1, "%2x", &v) != 1 || s[1] == '\0' ||
		    s[2] == '\0' || v == 0)
			return false;
		*w++ = (char)v;
		s += 2;
	}
	*w = '\0';
	return true;
}

/*
 * One manifest path, as the JVM resolves it, made absolute against
 * base: Boot-Class-Path as libinstrument does (a URI path without its
 * query, against the agent's canonical folder), Class-Path as
 * URLClassPath does (a relative URL or a file: URL, against the JAR's
 * folder). A URL of another scheme is refused: java could fetch code.
 */
static int
resolve_dep(struct gfile *f, const char *base, const char *tok, bool boot,
    struct sbx_err *err)
{
	char path[PATH_MAX], abs[PATH_MAX];
	size_t scheme = strspn(tok, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");

	snprintf(path, sizeof(path), "%s", tok);
	if (boot)
		path[strcspn(path, "?")] = '\0';
	else if (strncmp(path, "file:", 5) == 0)
		memmove(path, path + 5 + (strncmp(path + 5, "//", 2) == 0 ?
		    2 : 0), strlen(path + 5) + 1);
	else if (scheme > 1 && tok[scheme] == ':')
		return sbx_err_reject(err, SBX_V_UNSIGNED, "%s: Class-Path "
		    "names %s, which java could fetch", f->path, tok);
	if (!uri_decode(path))
		return sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE, "%s: bad "
		    "escape in manifest path %s", f->path, tok);
	if (path[0] == '/')
		snprintf(abs, sizeof(abs), "%s", path);
	else if (snprintf(abs, sizeof(abs), "%s/%s", base, path) >=
	    (int)sizeof(abs))
		return sbx_err_set(err, SBX_EIO, "%s: path too long", tok);
	return sbx_jvm_strs_add(&f->deps, abs, strlen(abs), err);
}

static int
add_deps(struct gfile *f, const struct sbx_mf_attr *a, const char *base,
    bool boot, struct sbx_err *err)
{
	char *list, *tok, *save = NULL;
	int rc = SBX_OK;

	if (a == NULL)
		return SBX_OK;
	if ((list = strdup(a->value)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	for (tok = strtok_r(list, " ", &save); rc == SBX_OK && tok != NULL;
	    tok = strtok_r(NULL, " ", &save))
		rc = resolve_dep(f, base, tok, boot, err);
	free(list);
	if (rc == SBX_OK && boot)
		f->nboot = f->deps.n;
	return rc;
}

/* The folders the JVM resolves manifest paths against. */
static int
dep_bases(const struct gfile *f, char *canon, char *lexical, size_t n,
    struct sbx_err *err)
{
	char *slash;

	if (realpath(f->path, canon) == NULL)
		return sbx_err_set(err, SBX_EIO, "%s: %s", f->path,
		    strerror(errno));
	snprintf(lexical, n, "%s", f->path);
	if ((slash = strrchr(canon, '/')) != NULL)
		*slash = '\0';
	if ((slash = strrchr(lexical, '/')) != NULL)
		*slash = '\0';
	return SBX_OK;
}

/*
 * Read what the main section of the manifest pulls in. The JAR has
 * been verified, so these bytes are the signed ones.
 */
static int
read_manifest(struct gfile *f, bool *launcher_agent, struct sbx_err *err)
{
	char canon[PATH_MAX], lexical[PATH_MAX];
	const struct sbx_zip_entry *e;
	struct sbx_manifest *m = NULL;
	struct sbx_zip *z = NULL;
	unsigned char *text = NULL;
	size_t len;
	int rc;

	if ((rc = sbx_zip_open_fd(&z, f->fd, f->path, err)) != SBX_OK)
		goto done;
	if ((e = sbx_zip_find(z, "META-INF/MANIFEST.MF")) == NULL)
		goto done;
	if ((rc = sbx_zip_read(&text, &len, z, e, MANIFEST_MAX, err)) !=
	    SBX_OK || (rc = sbx_manifest_parse(&m, text, len, f->path, err)) !=
	    SBX_OK || (rc = dep_bases(f, canon, lexical, sizeof(canon), err)) !=
	    SBX_OK)
		goto done;
	*launcher_agent = sbx_manifest_attr(&m->main,
	    "Launcher-Agent-Class") != NULL;
	f->class_path = sbx_manifest_attr(&m->main, "Class-Path") != NULL;
	if ((rc = add_deps(f, sbx_manifest_attr(&m->main, "Boot-Class-Path"),
	    canon, true, err)) == SBX_OK)
		rc = add_deps(f, sbx_manifest_attr(&m->main, "Class-Path"),
		    lexical, false, err);
done:
	sbx_manifest_free(m);
	free(text);
	sbx_zip_free(z);
	return rc;
}

/*
 * How long the verdict holds: the cache's time to live, the signer's
 * validity in the keyring, the keyring's own, a provenance's age.
 */
static void
verdict_until(struct sbx_guard *g, struct gfile *f,
    const struct sbx_artifact_verdict *v)
{
	const struct sbx_keyring_key *k = NULL;
	int64_t t = g->now + GUARD_CACHE_TTL, max_age;

	if (f->key_id[0] != '\0')
		k = sbx_keyring_find(g->kr, f->key_id);
	if (k != NULL && k->not_after > 0 && k->not_after < t)
		t = k->not_after;
	if (sbx_keyring_expires(g->kr) > 0 && sbx_keyring_expires(g->kr) < t)
		t = sbx_keyring_expires(g->kr);
	max_age = g->policy->provenance.max_age;
	if (v->prov.verified && max_age > 0 && v->prov.finished_on > 0 &&
	    v->prov.finished_on + max_age < t)
		t = v->prov.finished_on + max_age;
	f->until = t;
}

static void
take_signer(struct gfile *f, const struct sbx_artifact_verdict *v)
{
	if (v->jar_checked && v->jar.signer.key_id[0] != '\0') {
		snprintf(f->key_id, sizeof(f->key_id), "%s",
		    v->jar.signer.key_id);
		snprintf(f->signer, sizeof(f->signer), "%s",
		    v->jar.signer.name);
		snprintf(f->subject, sizeof(f->subject), "%s",
		    v->jar.signer.subject);
	} else if (v->prov.verified) {
		snprintf(f->key_id, sizeof(f->key_id), "%s", v->prov.key_id);
		snprintf(f->signer, sizeof(f->signer), "%s", v->prov.key_name);
	}
	if (v->prov.verified)
		snprintf(f->sha256, sizeof(f->sha256), "%s", v->prov.sha256);
}

/* The file must not have changed while it was verified. */
static int
unchanged(const struct gfile *f, struct sbx_err *err)
{
	struct stat st;
	struct gid a, b;

	if (fstat(f->fd, &st) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: %s", f->path,
		    strerror(errno));
	gid_from_stat(&a, &f->st);
	gid_from_stat(&b, &st);
	if (!gid_eq(&a, &b))
		return sbx_err_reject(err, SBX_V_UNSAFE_PATH,
		    "%s changed while it was being checked", f->path);
	return SBX_OK;
}

/* Verify as sbx-verify would: signature, provenance, keyring, policy. */
static int
verify(struct sbx_guard *g, struct gfile *f, struct sbx_err *err)
{
	struct sbx_artifact_opts o = { .policy = g->policy, .now = g->now };
	struct sbx_artifact_verdict v;
	int rc;

	if ((rc = load_keyring(g, err)) != SBX_OK)
		return rc;
	o.keyring = g->kr;
	if ((rc = sbx_artifact_verify_fd(&v, f->fd, f->path, &o, err)) !=
	    SBX_OK)
		return rc;
	take_signer(f, &v);
	if (f->sha256[0] == '\0' && (rc = file_sha256(f, err)) != SBX_OK)
		return rc;
	verdict_until(g, f, &v);
	g->verified++;
	return SBX_OK;
}

int
gfile_jar(struct sbx_guard *g, struct gfile *f, struct sbx_err *err)
{
	bool launcher = false;
	int rc;

	if (gcache_get(g, f)) {
		g->hits++;
		return SBX_OK;
	}
	if ((rc = verify(g, f, err)) != SBX_OK ||
	    (rc = read_manifest(f, &launcher, err)) != SBX_OK ||
	    (rc = unchanged(f, err)) != SBX_OK)
		return rc;
	f->launcher_agent = launcher && f->role == ROLE_APP;
	f->checked = f->accepted = true;
	gcache_put(g, f);
	return SBX_OK;
}

/*
 * The -jar file: an agent only when its manifest names a
 * Launcher-Agent-Class; then it is verified as one (the caller checks
 * its path then, as for any agent).
 */
int
gfile_app(struct sbx_guard *g, struct gfile *f, struct sbx_err *err)
{
	bool launcher = false;
	int rc;

	if (gcache_get(g, f)) {
		g->hits++;
		return SBX_OK;
	}
	if ((rc = read_manifest(f, &launcher, err)) != SBX_OK)
		return rc;
	sbx_jvm_strs_free(&f->deps);
	f->nboot = 0;
	if (!launcher) {
		f->until = g->now + GUARD_CACHE_TTL;
		f->checked = f->accepted = true;
		gcache_put(g, f);
		return SBX_OK;
	}
	return gfile_jar(g, f, err);
}

/*
 * A native agent: allowed by the policy's list (its resolved path and
 * its SHA-256), or by a provenance beside it.
 */
int
gfile_native(struct sbx_guard *g, struct gfile *f, struct sbx_err *err)
{
	char real[PATH_MAX];
	int rc;

	if (gcache_get(g, f)) {
		g->hits++;
		return SBX_OK;
	}
	if (realpath(f->path, real) == NULL)
		return sbx_err_set(err, SBX_EIO, "%s: %s", f->path,
		    strerror(errno));
	if ((rc = file_sha256(f, err)) != SBX_OK)
		return rc;
	if (sbx_policy_allows_native_agent(g->policy, real, f->sha256) ||
	    sbx_policy_allows_native_agent(g->policy, f->path, f->sha256)) {
		f->until = g->now + GUARD_CACHE_TTL;
		g->verified++;
	} else if (!f->prov.present)
		return sbx_err_reject(err, SBX_V_UNSIGNED, "%s: native agent "
		    "(sha256 %s) is neither in the policy's native_agents nor "
		    "signed by a provenance", f->path, f->sha256);
	else if ((rc = verify(g, f, err)) != SBX_OK)
		return rc;
	if ((rc = unchanged(f, err)) != SBX_OK)
		return rc;
	f->checked = f->accepted = true;
	gcache_put(g, f);
	return SBX_OK;
}

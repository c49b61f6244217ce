/* lib/provenance_verify.c: check provenance; which signature counts. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <sbx/provenance.h>
#include <sbx/zip.h>

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/* A refusal about the provenance: "PROVENANCE: cause". */
static int
refuse(struct sbx_err *err, enum sbx_violation v, const char *prov,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
refuse(struct sbx_err *err, enum sbx_violation v, const char *prov,
    const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sbx_err_reject(err, v, "%s: %s", prov, msg);
}

/* Copy what the statement says into the result. */
static void
describe(struct sbx_prov_result *r, const struct sbx_statement *st)
{
	snprintf(r->builder_id, sizeof(r->builder_id), "%s", st->builder_id);
	snprintf(r->repository, sizeof(r->repository), "%s",
	    st->repository != NULL ? st->repository : "");
	snprintf(r->ref, sizeof(r->ref), "%s", st->ref != NULL ? st->ref : "");
	snprintf(r->commit, sizeof(r->commit), "%s", st->commit);
	snprintf(r->invocation_id, sizeof(r->invocation_id), "%s",
	    st->invocation_id != NULL ? st->invocation_id : "");
	r->finished_on = st->has_finished ? st->finished_on : 0;
	r->detached = st->detached;
	r->dirty = st->dirty;
}

/* The one subject named base, with a SHA-256 the policy allows. */
static int
find_subject(const struct sbx_subject **out, const struct sbx_statement *st,
    const char *base, const struct sbx_policy *p, const char *prov,
    struct sbx_err *err)
{
	size_t i;

	*out = NULL;
	for (i = 0; i < st->nsubjects; i++) {
		if (strcmp(st->subjects[i].name, base) != 0)
			continue;
		if (*out != NULL)
			return refuse(err, SBX_V_PROVENANCE_MISMATCH, prov,
			    "several subjects are named %s", base);
		*out = &st->subjects[i];
	}
	if (*out == NULL)
		return refuse(err, SBX_V_PROVENANCE_MISMATCH, prov, "no "
		    "subject is named %s", base);
	if (!(*out)->has_sha256)
		return refuse(err, SBX_V_PROVENANCE_MISMATCH, prov, "subject "
		    "%s has no sha256 digest", base);
	if (!sbx_policy_allows_digest(p, SBX_DIGEST_SHA256))
		return refuse(err, SBX_V_WEAK_ALGORITHM, prov, "the policy "
		    "does not allow SHA-256 digests");
	return SBX_OK;
}

static int
check_digest(struct sbx_prov_result *r, const struct sbx_subject *s, int fd,
    const char *name, const char *prov, struct sbx_err *err)
{
	unsigned char md[32];
	char want[65];
	int rc;

	if ((rc = sbx_sha256_fd(md, fd, name, err)) != SBX_OK)
		return rc;
	sbx_hex(r->sha256, md, sizeof(md));
	if (CRYPTO_memcmp(md, s->sha256, sizeof(md)) != 0) {
		sbx_hex(want, s->sha256, sizeof(s->sha256));
		return refuse(err, SBX_V_PROVENANCE_MISMATCH, prov, "digest "
		    "of file differs from subject (file %.16s, subject %.16s)",
		    r->sha256, want);
	}
	return SBX_OK;
}

/* Builder, repository, ref, age: the policy's "provenance" rules. */
static int
check_policy(const struct sbx_statement *st, const struct sbx_policy *p,
    int64_t now, const char *prov, struct sbx_err *err)
{
	char when[32];

	if (!sbx_policy_allows_builder(p, st->builder_id))
		return refuse(err, SBX_V_SOURCE_NOT_ALLOWED, prov, "builder "
		    "not allowed: %.128s", st->builder_id);
	if (!sbx_policy_allows_repo(p, st->repository))
		return refuse(err, SBX_V_SOURCE_NOT_ALLOWED, prov, "source "
		    "repository not allowed: %.128s", st->repository != NULL ?
		    st->repository : "(none recorded)");
	if (!sbx_policy_allows_ref(p, st->ref))
		return refuse(err, SBX_V_SOURCE_NOT_ALLOWED, prov, "ref not "
		    "allowed: %.128s", st->ref != NULL ? st->ref :
		    "(none recorded)");
	if (p->provenance.max_age != 0 && !st->has_finished)
		return refuse(err, SBX_V_PROVENANCE_MISMATCH, prov, "no "
		    "finishedOn time, and the policy limits the age");
	if (st->has_finished &&
	    !sbx_policy_provenance_fresh(p, st->finished_on, now)) {
		sbx_time_format(when, sizeof(when), st->finished_on);
		return refuse(err, SBX_V_PROVENANCE_MISMATCH, prov, "%s "
		    "(finished %s)", st->finished_on > now ? "made in the "
		    "future" : "older than the policy's max_age", when);
	}
	return SBX_OK;
}

/* Signature first: nothing unauthenticated is parsed beyond the envelope. */
static int
open_statement(struct sbx_statement **st, struct sbx_prov_result *r,
    const char *prov, const struct sbx_prov_verify_opts *o,
    struct sbx_err *err)
{
	struct sbx_dsse *env = NULL;
	struct sbx_dsse_signer signer;
	int rc;

	*st = NULL;
	if ((rc = sbx_dsse_load(&env, prov, err)) != SBX_OK)
		goto done;
	rc = sbx_dsse_verify(&signer, env, o->keyring, o->policy, o->now,
	    prov, err);
	if (rc != SBX_OK)
		goto done;
	snprintf(r->key_id, sizeof(r->key_id), "%s", signer.key->id);
	snprintf(r->key_name, sizeof(r->key_name), "%s",
	    signer.key->name != NULL ? signer.key->name : "");
	r->scheme = sbx_dsse_scheme_name(signer.pad);
	rc = sbx_statement_parse(st, env->payload.p, env->payload.len, prov,
	    err);
done:
	sbx_dsse_free(env);
	return rc;
}

static int
verify_statement(struct sbx_prov_result *r, const struct sbx_statement *st,
    int fd, const char *name, const char *prov,
    const struct sbx_prov_verify_opts *o, struct sbx_err *err)
{
	const struct sbx_subject *s;
	const char *base = base_name(name);
	int rc;

	describe(r, st);
	if ((rc = find_subject(&s, st, base, o->policy, prov, err)) != 0)
		return rc;
	snprintf(r->subject, sizeof(r->subject), "%s", s->name);
	if ((rc = check_digest(r, s, fd, name, prov, err)) != SBX_OK)
		return rc;
	if (!sbx_policy_allows_signer(o->policy, base, r->key_id,
	    r->key_name))
		return refuse(err, SBX_V_UNTRUSTED_KEY, prov, "key %.16s (%s) "
		    "may not sign %s under the policy", r->key_id, r->key_name,
		    base);
	if ((rc = check_policy(st, o->policy, o->now, prov, err)) != SBX_OK)
		return rc;
	if (o->source_repo != NULL) {
		rc = sbx_source_check(o->source_repo, st->commit, o->policy,
		    err);
		if (rc != SBX_OK) {
			sbx_err_prefix(err, prov);
			return rc;
		}
		r->source_checked = true;
	}
	return SBX_OK;
}

int
sbx_provenance_verify_fd(struct sbx_prov_result *r, int fd, const char *name,
    const char *prov_path, const struct sbx_prov_verify_opts *o,
    struct sbx_err *err)
{
	struct sbx_statement *st = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	r->present = true;
	snprintf(r->path, sizeof(r->path), "%s", prov_path);

	if ((rc = open_statement(&st, r, prov_path, o, err)) == SBX_OK)
		rc = verify_statement(r, st, fd, name, prov_path, o, err);
	sbx_statement_free(st);
	if (rc != SBX_OK) {
		sbx_err_prefix(err, name);
		return rc;
	}
	r->verified = true;
	return SBX_OK;
}

int
sbx_provenance_verify(struct sbx_prov_result *r, const char *path,
    const char *prov_path, const struct sbx_prov_verify_opts *o,
    struct sbx_err *err)
{
	int fd, rc;

	memset(r, 0, sizeof(*r));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    strerror(errno));
	rc = sbx_provenance_verify_fd(r, fd, path, prov_path, o, err);
	close(fd);
	return rc;
}

int
sbx_artifact_verdict_fail(struct sbx_artifact_verdict *v, int rc,
    struct sbx_err *err)
{
	v->accepted = false;
	v->by = SBX_SIGNED_NONE;
	v->violation = rc == SBX_EREJECT && err != NULL ? err->violation :
	    SBX_V_INTERNAL_ERROR;
	if (err != NULL)
		snprintf(v->reason, sizeof(v->reason), "%s", err->msg);
	return rc;
}

/* Is there a provenance to check, and where? */
static int
find_provenance(const char **prov, char *buf, size_t n, const char *path,
    const struct sbx_artifact_opts *o, struct sbx_err *err)
{
	struct stat st;

	*prov = o->provenance;
	if (*prov != NULL)
		return SBX_OK;		/* named: it must be there */
	if (!sbx_provenance_path(buf, n, path))
		return sbx_err_set(err, SBX_EIO, "%s: path too long", path);
	if (lstat(buf, &st) == 0) {
		*prov = buf;
		return SBX_OK;
	}
	if (errno != ENOENT)
		return sbx_err_set(err, SBX_EIO, "%s: %s", buf,
		    strerror(errno));
	return SBX_OK;
}

/* No provenance: fine for a JAR unless the policy wants one. */
static int
without_provenance(const struct sbx_artifact_verdict *v, const char *path,
    const struct sbx_artifact_opts *o, struct sbx_err *err)
{
	if (o->policy->provenance.required)
		return sbx_err_reject(err, SBX_V_PROVENANCE_MISSING, "%s: no "
		    "provenance (%s%s), and the policy requires one", path,
		    base_name(path), SBX_PROVENANCE_SUFFIX);
	if (!v->is_jar)
		return sbx_err_reject(err, SBX_V_UNSIGNED, "%s: no provenance "
		    "(%s%s): a file that is not a JAR is signed only by its "
		    "provenance", path, base_name(path), SBX_PROVENANCE_SUFFIX);
	return SBX_OK;
}

static int
check_jar(struct sbx_artifact_verdict *v, int fd, const char *path,
    const struct sbx_artifact_opts *o, struct sbx_err *err)
{
	struct sbx_jar_verify_opts jo = {
		.policy = o->policy, .keyring = o->keyring, .now = o->now,
		.threads = o->threads
	};
	struct sbx_zip *z = NULL;
	int rc;

	v->jar_checked = true;
	rc = sbx_zip_open_fd(&z, fd, path, err);
	if (rc == SBX_OK)
		rc = sbx_jar_verify(&v->jar, z, &jo, err);
	sbx_zip_free(z);
	return rc;
}

int
sbx_artifact_verify_fd(struct sbx_artifact_verdict *v, int fd,
    const char *path, const struct sbx_artifact_opts *o, struct sbx_err *err)
{
	struct sbx_prov_verify_opts po = {
		.policy = o->policy, .keyring = o->keyring, .now = o->now,
		.source_repo = o->source_repo
	};
	char buf[4096];
	const char *prov = NULL;
	int rc;

	memset(v, 0, sizeof(*v));
	v->violation = SBX_V_INTERNAL_ERROR;
	v->is_jar = sbx_is_jar_name(path);
	if ((rc = find_provenance(&prov, buf, sizeof(buf), path, o, err)) != 0)
		goto done;
	if (lseek(fd, 0, SEEK_SET) == -1) {
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    strerror(errno));
		goto done;
	}

	/* Whole-file first: it also sees bytes no JAR signature covers. */
	if (prov != NULL)
		rc = sbx_provenance_verify_fd(&v->prov, fd, path, prov, &po,
		    err);
	else
		rc = without_provenance(v, path, o, err);
	if (rc != SBX_OK)
		goto done;

	/* A detached provenance is the signature; else the JAR's counts. */
	if (v->is_jar && !(prov != NULL && v->prov.detached)) {
		if ((rc = check_jar(v, fd, path, o, err)) != SBX_OK)
			goto done;
		v->by = prov != NULL ? SBX_SIGNED_BOTH : SBX_SIGNED_JAR;
	} else
		v->by = SBX_SIGNED_PROVENANCE;
	v->accepted = true;
	v->violation = SBX_V_NONE;
	rc = SBX_OK;
done:
	if (rc != SBX_OK)
		return sbx_artifact_verdict_fail(v, rc, err);
	return SBX_OK;
}

int
sbx_artifact_verify(struct sbx_artifact_verdict *v, const char *path,
    const struct sbx_artifact_opts *o, struct sbx_err *err)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		memset(v, 0, sizeof(*v));
		v->is_jar = sbx_is_jar_name(path);
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    strerror(errno));
		return sbx_artifact_verdict_fail(v, rc, err);
	}
	rc = sbx_artifact_verify_fd(v, fd, path, o, err);
	close(fd);
	return rc;
}

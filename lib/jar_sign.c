/* lib/jar_sign.c: sign a JAR in the standard signed-JAR format. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>

#include <sbx/buf.h>
#include <sbx/encode.h>
#include <sbx/file.h>
#include <sbx/jar.h>
#include <sbx/jarint.h>
#include <sbx/manifest.h>
#include <sbx/tsa.h>

#define SIGFILE_MAX	16000000
#define CREATED_BY	"sbx " SBX_VERSION

struct sctx {
	const struct sbx_jar_sign_opts *o;
	struct sbx_zip		*z;
	const char		*jar;
	char			 alias[9];
	const struct sbx_zip_entry *old_mf;
	unsigned char		*old_bytes;
	size_t			 old_len;
	struct sbx_manifest	*old;		/* the manifest we found */
	bool			 other_signers;
	struct sbx_jar_hash_job	*jobs;		/* entries to list */
	size_t			 njobs;
	struct sbx_buf		 mf;		/* the manifest we write */
	struct sbx_manifest	*parsed;	/* ... read back */
	struct sbx_buf		 sf;
	struct sbx_buf		 block;
};

/*
 * jarsigner's rule: the first 8 characters of the alias, upper case,
 * anything outside A-Z 0-9 _ - turned into '_'. Old verifiers expect
 * no more.
 */
static void
make_alias(char *out, const char *alias)
{
	size_t i;
	unsigned char ch;

	if (alias == NULL || *alias == '\0')
		alias = "SIGNER";
	for (i = 0; i < 8 && alias[i] != '\0'; i++) {
		ch = (unsigned char)toupper((unsigned char)alias[i]);
		out[i] = (isalnum(ch) && ch < 0x80) || ch == '-' ||
		    ch == '_' ? (char)ch : '_';
	}
	out[i] = '\0';
}

static bool
is_ours(const struct sctx *c, const char *name)
{
	char alias[64];

	if (!sbx_jar_is_signature_file(name) ||
	    strcasecmp(name, "META-INF/MANIFEST.MF") == 0)
		return false;
	sbx_jar_alias_of(alias, sizeof(alias), name);
	return strcasecmp(alias, c->alias) == 0;
}

static int
find_old(struct sctx *c, struct sbx_err *err)
{
	const struct sbx_zip_entry *e;
	char what[512];
	size_t i;
	int rc;

	for (i = 0; i < sbx_zip_count(c->z); i++) {
		e = sbx_zip_entry(c->z, i);
		if (strcasecmp(e->name, "META-INF/MANIFEST.MF") == 0) {
			if (c->old_mf != NULL)
				return sbx_err_reject(err,
				    SBX_V_MALFORMED_ARCHIVE, "%s: more than "
				    "one META-INF/MANIFEST.MF", c->jar);
			c->old_mf = e;
		} else if (sbx_jar_is_signature_file(e->name) &&
		    !is_ours(c, e->name))
			c->other_signers = true;
	}
	if (c->old_mf == NULL)
		return SBX_OK;

	rc = sbx_zip_read(&c->old_bytes, &c->old_len, c->z, c->old_mf,
	    SIGFILE_MAX, err);
	if (rc != SBX_OK)
		return rc;
	snprintf(what, sizeof(what), "%s: %s", c->jar, c->old_mf->name);
	return sbx_manifest_parse(&c->old, c->old_bytes, c->old_len, what,
	    err);
}

static int
hash_entries(struct sctx *c, struct sbx_err *err)
{
	const struct sbx_zip_entry *e;
	size_t i, n = sbx_zip_count(c->z);

	if ((c->jobs = calloc(n + 1, sizeof(*c->jobs))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		e = sbx_zip_entry(c->z, i);
		if (e->is_dir || sbx_jar_is_signature_file(e->name))
			continue;
		c->jobs[c->njobs].entry = e;
		c->jobs[c->njobs++].md = EVP_sha256();
	}
	return sbx_jar_hash_entries(c->jobs, c->njobs, c->z, c->o->threads,
	    err);
}

static bool
is_digest_attr(const char *name)
{
	size_t n = strlen(name);

	return n >= 7 && strcasecmp(name + n - 7, "-Digest") == 0;
}

static int
put_digest(struct sbx_buf *out, const char *attr, const unsigned char *md,
    size_t n, struct sbx_err *err)
{
	struct sbx_buf b64 = { 0 };
	int rc;

	if ((rc = sbx_b64_encode(&b64, md, n, err)) == SBX_OK)
		rc = sbx_manifest_put(out, attr, (char *)b64.p, b64.len, err);
	sbx_buf_free(&b64);
	return rc;
}

/* A section: Name, the attributes we keep, and our digest if any. */
static int
put_section(struct sbx_buf *out, const char *name,
    const struct sbx_mf_section *old, const struct sbx_jar_hash_job *job,
    struct sbx_err *err)
{
	const struct sbx_mf_attr *a;
	size_t i;
	int rc;

	rc = sbx_manifest_put(out, "Name", name, strlen(name), err);
	for (i = 0; rc == SBX_OK && old != NULL && i < old->nattrs; i++) {
		a = &old->attrs[i];
		if (strcasecmp(a->name, "Name") == 0 || is_digest_attr(a->name))
			continue;
		rc = sbx_manifest_put(out, a->name, a->value, a->value_len,
		    err);
	}
	if (rc == SBX_OK && job != NULL)
		rc = put_digest(out, "SHA-256-Digest", job->digest,
		    job->digest_len, err);
	if (rc == SBX_OK)
		rc = sbx_manifest_end_section(out, err);
	return rc;
}

static bool
ends_with_blank_line(const unsigned char *p, size_t n)
{
	return (n >= 2 && p[n - 1] == '\n' && p[n - 2] == '\n') ||
	    (n >= 2 && p[n - 1] == '\r' && p[n - 2] == '\r') ||
	    (n >= 4 && memcmp(p + n - 4, "\r\n\r\n", 4) == 0);
}

static int
job_cmp(const void *a, const void *b)
{
	const struct sbx_jar_hash_job *const *x = a, *const *y = b;

	return strcmp((*x)->entry->name, (*y)->entry->name);
}

static struct sbx_jar_hash_job *
job_for(struct sbx_jar_hash_job **sorted, size_t n, const char *name)
{
	struct sbx_jar_hash_job key, *kp = &key, **hit;
	struct sbx_zip_entry e = { .name = name };

	key.entry = &e;
	hit = bsearch(&kp, sorted, n, sizeof(*sorted), job_cmp);
	return hit != NULL ? *hit : NULL;
}

static bool
has_extra_attrs(const struct sbx_mf_section *s)
{
	size_t i;

	for (i = 0; i < s->nattrs; i++)
		if (strcasecmp(s->attrs[i].name, "Name") != 0 &&
		    !is_digest_attr(s->attrs[i].name))
			return true;
	return false;
}

/*
 * Without other signers the manifest is ours to rewrite: the main
 * section's bytes stay as they were (Premain-Class and all), each
 * entry's section gets a fresh SHA-256 digest and keeps its other
 * attributes, sections for entries that are gone lose their digests.
 */
static int
build_fresh(struct sctx *c, struct sbx_jar_hash_job **sorted,
    struct sbx_err *err)
{
	const struct sbx_mf_section *s;
	struct sbx_jar_hash_job *job;
	bool *done = NULL;
	size_t i;
	int rc = SBX_OK;

	if (c->old == NULL)
		rc = sbx_buf_puts(&c->mf, "Manifest-Version: 1.0\r\n"
		    "Created-By: " CREATED_BY "\r\n\r\n", err);
	else {
		rc = sbx_buf_add(&c->mf, c->old->main.raw,
		    c->old->main.raw_len, err);
		if (rc == SBX_OK && !ends_with_blank_line(c->mf.p, c->mf.len))
			rc = sbx_manifest_end_section(&c->mf, err);
	}
	if (rc != SBX_OK)
		return rc;

	if ((done = calloc(c->njobs + 1, sizeof(*done))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	for (i = 0; rc == SBX_OK && c->old != NULL &&
	    i < c->old->nsections; i++) {
		s = &c->old->sections[i];
		job = job_for(sorted, c->njobs, s->name);
		if (job != NULL && done[job - c->jobs])
			job = NULL;
		if (job == NULL && !has_extra_attrs(s))
			continue;
		if (job != NULL)
			done[job - c->jobs] = true;
		rc = put_section(&c->mf, s->name, s, job, err);
	}
	for (i = 0; rc == SBX_OK && i < c->njobs; i++)
		if (!done[i])
			rc = put_section(&c->mf, c->jobs[i].entry->name, NULL,
			    &c->jobs[i], err);
	free(done);
	return rc;
}

/* Does some section of the name already hold this entry's SHA-256? */
static int
old_digest_state(const struct sbx_jar_msec *m, size_t nm,
    const struct sbx_jar_hash_job *job)
{
	const struct sbx_mf_attr *a;
	struct sbx_buf want = { 0 };
	size_t i;
	int state = 0;			/* 0 none, 1 equal, -1 different */

	for (i = 0; i < nm && state == 0; i++) {
		if ((a = sbx_manifest_attr(m[i].s, "SHA-256-Digest")) == NULL)
			continue;
		want.len = 0;
		state = sbx_b64_decode(&want, a->value, a->value_len, NULL)
		    == SBX_OK && want.len == job->digest_len &&
		    memcmp(want.p, job->digest, want.len) == 0 ? 1 : -1;
	}
	sbx_buf_free(&want);
	return state;
}

/*
 * Other signers vouch for the manifest's raw bytes, so it may only
 * grow: sections for new entries are appended, nothing is rewritten.
 */
static int
build_append(struct sctx *c, struct sbx_err *err)
{
	struct sbx_jar_msec *idx = NULL;
	const struct sbx_jar_msec *m;
	size_t i, nm;
	int rc, state;

	if (!ends_with_blank_line(c->old_bytes, c->old_len))
		return sbx_err_set(err, SBX_ECONFIG, "%s: cannot add a signer: "
		    "the signed manifest does not end with a blank line",
		    c->jar);
	if ((rc = sbx_buf_add(&c->mf, c->old_bytes, c->old_len, err)) != 0)
		return rc;
	if ((rc = sbx_jar_index(&idx, c->old, err)) != SBX_OK)
		return rc;

	for (i = 0; rc == SBX_OK && i < c->njobs; i++) {
		m = sbx_jar_lookup(idx, c->old->nsections,
		    c->jobs[i].entry->name, &nm);
		state = m != NULL ? old_digest_state(m, nm, &c->jobs[i]) : 0;
		if (state == 1)
			continue;
		if (state == -1)
			rc = sbx_err_reject(err, SBX_V_DIGEST_MISMATCH,
			    "%s: %s changed after it was signed; refusing to "
			    "add a signer", c->jar, c->jobs[i].entry->name);
		else if (m != NULL)
			rc = sbx_err_set(err, SBX_ECONFIG, "%s: cannot add a "
			    "signer: the manifest section for %s has no "
			    "SHA-256 digest and other signers forbid "
			    "rewriting it", c->jar, c->jobs[i].entry->name);
		else
			rc = put_section(&c->mf, c->jobs[i].entry->name, NULL,
			    &c->jobs[i], err);
	}
	free(idx);
	return rc;
}

static int
build_manifest(struct sctx *c, struct sbx_err *err)
{
	struct sbx_jar_hash_job **sorted;
	char what[512];
	size_t i;
	int rc;

	if (c->other_signers && c->old != NULL)
		rc = build_append(c, err);
	else {
		if ((sorted = calloc(c->njobs + 1, sizeof(*sorted))) == NULL)
			return sbx_err_set(err, SBX_ENOMEM, "out of memory");
		for (i = 0; i < c->njobs; i++)
			sorted[i] = &c->jobs[i];
		qsort(sorted, c->njobs, sizeof(*sorted), job_cmp);
		rc = build_fresh(c, sorted, err);
		free(sorted);
	}
	if (rc != SBX_OK)
		return rc;

	/* Read back what we wrote: the .SF digests its raw sections. */
	snprintf(what, sizeof(what), "%s: new manifest", c->jar);
	return sbx_manifest_parse(&c->parsed, c->mf.p, c->mf.len, what, err);
}

static int
digest_into(struct sbx_buf *out, const char *attr, const void *data,
    size_t n, struct sbx_err *err)
{
	unsigned char md[32];
	int rc;

	if ((rc = sbx_sha256(md, data, n, err)) != SBX_OK)
		return rc;
	return put_digest(out, attr, md, sizeof(md), err);
}

static int
section_digest(struct sbx_buf *out, const struct sbx_jar_msec *m, size_t nm,
    struct sbx_err *err)
{
	unsigned char md[32];
	unsigned int mdlen;
	EVP_MD_CTX *ctx;
	size_t i;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (i = 0; ok && i < nm; i++)
		ok = EVP_DigestUpdate(ctx, m[i].s->raw, m[i].s->raw_len);
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return sbx_err_ssl(err, SBX_EINTERNAL, "cannot digest");
	return put_digest(out, "SHA-256-Digest", md, mdlen, err);
}

/*
 * The .SF always carries both whole-manifest and main-attributes
 * digests: without the latter, a verifier that falls back to section
 * digests leaves the main attributes unprotected.
 */
static int
build_sf(struct sctx *c, struct sbx_err *err)
{
	struct sbx_jar_msec *idx = NULL;
	const struct sbx_jar_msec *m;
	const char *name;
	size_t i, nm;
	int rc;

	rc = sbx_buf_puts(&c->sf, "Signature-Version: 1.0\r\n"
	    "Created-By: " CREATED_BY "\r\n", err);
	if (rc == SBX_OK)
		rc = digest_into(&c->sf, "SHA-256-Digest-Manifest", c->mf.p,
		    c->mf.len, err);
	if (rc == SBX_OK)
		rc = digest_into(&c->sf, "SHA-256-Digest-Manifest-Main-"
		    "Attributes", c->parsed->main.raw,
		    c->parsed->main.raw_len, err);
	if (rc == SBX_OK)
		rc = sbx_manifest_end_section(&c->sf, err);
	if (rc == SBX_OK)
		rc = sbx_jar_index(&idx, c->parsed, err);

	/*
	 * One .SF section for every named manifest section, not only for
	 * entries: the JDK refuses a package section (Sealed and the like)
	 * that a signer does not cover. Sections sharing a name are one.
	 */
	for (i = 0; rc == SBX_OK && i < c->parsed->nsections; i++) {
		name = c->parsed->sections[i].name;
		m = sbx_jar_lookup(idx, c->parsed->nsections, name, &nm);
		if (m == NULL || m[0].order != i)
			continue;
		rc = sbx_manifest_put(&c->sf, "Name", name, strlen(name), err);
		if (rc == SBX_OK)
			rc = section_digest(&c->sf, m, nm, err);
		if (rc == SBX_OK)
			rc = sbx_manifest_end_section(&c->sf, err);
	}
	free(idx);
	return rc;
}

/* JAR-SIGNING.md 7: jarsigner -tsa's token, over the signature value. */
static int
add_timestamp(struct sctx *c, CMS_SignerInfo *si, struct sbx_err *err)
{
	int rc;

	if (c->o->tsa == NULL)
		return SBX_OK;
	if ((rc = sbx_tsa_stamp_signer(si, c->o->tsa, err)) != SBX_OK)
		sbx_err_prefix(err, c->jar);
	return rc;
}

/*
 * A detached SignedData over the .SF, signer named by issuer and
 * serial (the only form the JDK reads), PKCS#1 v1.5 with SHA-256 (the
 * widest reach: PSS in JARs needs JDK 16+). signingTime is set from
 * opts->when, so the same input and SOURCE_DATE_EPOCH give the same
 * bytes.
 */
static int
build_block(struct sctx *c, struct sbx_err *err)
{
	const int flags = CMS_BINARY | CMS_DETACHED | CMS_PARTIAL |
	    CMS_NOSMIMECAP;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	ASN1_TIME *t = NULL;
	BIO *data = NULL;
	unsigned char *der = NULL;
	int n, rc = SBX_EINTERNAL;

	if (sbx_key_cert(c->o->key) == NULL)
		return sbx_err_set(err, SBX_ECONFIG, "the signing key has no "
		    "certificate (use --cert)");
	if ((cms = CMS_sign(NULL, NULL, sbx_key_chain(c->o->key), NULL,
	    flags)) == NULL)
		goto ssl;
	si = CMS_add1_signer(cms, sbx_key_cert(c->o->key),
	    sbx_key_pkey(c->o->key), EVP_sha256(), flags);
	if (si == NULL)
		goto ssl;
	if ((t = ASN1_TIME_set(NULL, (time_t)c->o->when)) == NULL ||
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, t->type,
	    t, -1) != 1)
		goto ssl;
	if ((data = BIO_new_mem_buf(c->sf.p, (int)c->sf.len)) == NULL ||
	    CMS_final(cms, data, NULL, flags) != 1)
		goto ssl;
	if ((rc = add_timestamp(c, si, err)) != SBX_OK)
		goto done;
	if ((n = i2d_CMS_ContentInfo(cms, &der)) <= 0)
		goto ssl;
	rc = sbx_buf_add(&c->block, der, (size_t)n, err);
	goto done;
ssl:
	rc = sbx_err_ssl(err, SBX_ECONFIG, "%s: cannot sign", c->jar);
done:
	OPENSSL_free(der);
	BIO_free(data);
	ASN1_TIME_free(t);
	CMS_ContentInfo_free(cms);
	return rc;
}

static bool
is_meta_dir(const char *name)
{
	return strcasecmp(name, "META-INF/") == 0;
}

/*
 * jarsigner's order, which streaming readers (JarInputStream) need:
 * META-INF/, the manifest, signature files, then everything else.
 */
static int
write_entries(struct sctx *c, struct sbx_zip_writer *w, struct sbx_err *err)
{
	const struct sbx_zip_entry *e;
	char name[64];
	uint16_t mtime, mdate;
	size_t i, n = sbx_zip_count(c->z);
	int rc = SBX_OK, pass;

	sbx_zip_dos_time(c->o->when, &mtime, &mdate);
	for (i = 0; rc == SBX_OK && i < n; i++)
		if (is_meta_dir((e = sbx_zip_entry(c->z, i))->name))
			rc = sbx_zip_writer_copy(w, c->z, e, err);
	if (rc == SBX_OK)
		rc = sbx_zip_writer_add(w, "META-INF/MANIFEST.MF", c->mf.p,
		    c->mf.len, mtime, mdate, err);

	/* Pass 0: other signers' files; pass 1: everything else. */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1 && rc == SBX_OK) {
			snprintf(name, sizeof(name), "META-INF/%s.SF",
			    c->alias);
			rc = sbx_zip_writer_add(w, name, c->sf.p, c->sf.len,
			    mtime, mdate, err);
			snprintf(name, sizeof(name), "META-INF/%s.RSA",
			    c->alias);
			if (rc == SBX_OK)
				rc = sbx_zip_writer_add(w, name, c->block.p,
				    c->block.len, mtime, mdate, err);
		}
		for (i = 0; rc == SBX_OK && i < n; i++) {
			e = sbx_zip_entry(c->z, i);
			if (e == c->old_mf || is_meta_dir(e->name) ||
			    is_ours(c, e->name))
				continue;
			if (sbx_jar_is_signature_file(e->name) != (pass == 0))
				continue;
			rc = sbx_zip_writer_copy(w, c->z, e, err);
		}
	}
	return rc;
}

static int
write_jar(struct sctx *c, const char *out_path, mode_t mode,
    struct sbx_err *err)
{
	struct sbx_zip_writer *w = NULL;
	const unsigned char *comment;
	char tmp[PATH_MAX];
	size_t clen;
	int fd, rc;

	if ((fd = sbx_file_tmp_open(tmp, out_path, err)) == -1)
		return SBX_EIO;
	rc = sbx_zip_writer_new(&w, fd, out_path, err);
	if (rc == SBX_OK)
		rc = write_entries(c, w, err);
	comment = sbx_zip_comment(c->z, &clen);
	if (rc == SBX_OK)
		rc = sbx_zip_writer_finish(w, comment, clen, err);
	sbx_zip_writer_free(w);

	if (rc != SBX_OK) {
		sbx_file_tmp_abort(fd, tmp);
		return rc;
	}
	return sbx_file_tmp_commit(fd, tmp, out_path, mode, err);
}

static void
free_ctx(struct sctx *c)
{
	sbx_zip_free(c->z);
	sbx_manifest_free(c->old);
	sbx_manifest_free(c->parsed);
	free(c->old_bytes);
	free(c->jobs);
	sbx_buf_free(&c->mf);
	sbx_buf_free(&c->sf);
	sbx_buf_free(&c->block);
}

int
sbx_jar_sign(const char *in_path, const char *out_path,
    const struct sbx_jar_sign_opts *opts, struct sbx_err *err)
{
	struct sctx c = { .o = opts, .jar = in_path };
	struct stat st;
	int rc;

	make_alias(c.alias, opts->alias);
	if ((rc = sbx_zip_open(&c.z, in_path, err)) != SBX_OK)
		goto done;
	if (stat(in_path, &st) == -1) {
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", in_path,
		    strerror(errno));
		goto done;
	}
	if ((rc = find_old(&c, err)) != SBX_OK)
		goto done;
	if ((rc = hash_entries(&c, err)) != SBX_OK)
		goto done;
	if ((rc = build_manifest(&c, err)) != SBX_OK)
		goto done;
	if ((rc = build_sf(&c, err)) != SBX_OK)
		goto done;
	if ((rc = build_block(&c, err)) != SBX_OK)
		goto done;
	rc = write_jar(&c, out_path, st.st_mode & 0777, err);
done:
	free_ctx(&c);
	return rc;
}

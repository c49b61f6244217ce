/* lib/jar_verify.c: verify a signed JAR as the JDK would, but strictly. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <sbx/encode.h>
#include <sbx/jar.h>
#include <sbx/jarint.h>
#include <sbx/manifest.h>
#include <sbx/tsa.h>

/* jdk.jar.maxSignatureFileSize: the JDK refuses larger signature files. */
#define SIGFILE_MAX	16000000

/* One signer: a META-INF/X.SF and its signature block. */
struct signer {
	char			 alias[64];
	const struct sbx_zip_entry *sf_entry;
	const struct sbx_zip_entry *block_entry;
	const unsigned char	*sf;		/* the .SF bytes, in sfm */
	size_t			 sf_len;
	struct sbx_manifest	*sfm;
	bool			 whole_manifest;	/* digest matched */
	struct sbx_jar_signer	 info;
	const char		**covered;	/* .SF section names, sorted */
	size_t			 ncovered;
	const struct sbx_keyring_key *key;	/* NULL: not trusted */
	struct sbx_err		 trust_err;	/* why not */
};

struct vctx {
	struct sbx_zip		*z;
	const struct sbx_jar_verify_opts *o;
	const char		*jar;
	struct sbx_manifest	*mf;
	struct sbx_jar_msec		*byname;	/* sorted sections */
	size_t			 nbyname;
	struct signer		*signers;
	size_t			 nsigners;
	struct sbx_jar_hash_job	*jobs;
	const struct sbx_mf_attr **want;	/* expected digest per job */
	size_t			 njobs;
};

static const struct sbx_jar_msec *
find_sections(const struct vctx *c, const char *name, size_t *count)
{
	return sbx_jar_lookup(c->byname, c->nbyname, name, count);
}

static int
read_small(unsigned char **out, size_t *len, struct vctx *c,
    const struct sbx_zip_entry *e, struct sbx_err *err)
{
	int rc;

	rc = sbx_zip_read(out, len, c->z, e, SIGFILE_MAX, err);
	if (rc != SBX_OK)
		sbx_err_prefix(err, c->jar);
	return rc;
}

static int
load_manifest(struct vctx *c, struct sbx_err *err)
{
	const struct sbx_zip_entry *e, *found = NULL;
	unsigned char *bytes;
	char what[512];
	size_t i, len;
	int rc;

	/* Two manifests differing in case would be read differently. */
	for (i = 0; i < sbx_zip_count(c->z); i++) {
		e = sbx_zip_entry(c->z, i);
		if (strcasecmp(e->name, "META-INF/MANIFEST.MF") != 0)
			continue;
		if (found != NULL)
			return sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE,
			    "%s: more than one META-INF/MANIFEST.MF", c->jar);
		found = e;
	}
	if (found == NULL)
		return sbx_err_reject(err, SBX_V_UNSIGNED, "%s: not signed: "
		    "no META-INF/MANIFEST.MF", c->jar);
	/* The launcher reads the manifest by its exact name only. */
	if (strcmp(found->name, "META-INF/MANIFEST.MF") != 0)
		return sbx_err_reject(err, SBX_V_UNSIGNED, "%s: the manifest "
		    "is named %s, which the JVM does not read as "
		    "META-INF/MANIFEST.MF", c->jar, found->name);

	if ((rc = read_small(&bytes, &len, c, found, err)) != 0)
		return rc;
	snprintf(what, sizeof(what), "%s: %s", c->jar, found->name);
	if ((rc = sbx_manifest_parse_owned(&c->mf, bytes, len, what, err))
	    != SBX_OK)
		return rc;

	c->nbyname = c->mf->nsections;
	return sbx_jar_index(&c->byname, c->mf, err);
}

/* The entry whose name equals want, ignoring case, as the JDK pairs. */
static const struct sbx_zip_entry *
find_nocase(struct vctx *c, const char *want)
{
	const struct sbx_zip_entry *e;
	size_t i;

	for (i = 0; i < sbx_zip_count(c->z); i++) {
		e = sbx_zip_entry(c->z, i);
		if (strcasecmp(e->name, want) == 0)
			return e;
	}
	return NULL;
}

static const struct sbx_zip_entry *
find_block(struct vctx *c, const char *alias)
{
	static const char *const exts[] = { "RSA", "DSA", "EC" };
	const struct sbx_zip_entry *e;
	char want[128];
	size_t j;

	for (j = 0; j < sizeof(exts) / sizeof(exts[0]); j++) {
		snprintf(want, sizeof(want), "META-INF/%s.%s", alias, exts[j]);
		if ((e = find_nocase(c, want)) != NULL)
			return e;
	}
	return NULL;
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/*
 * Pair every .SF with its block. Where the JDK would quietly ignore a
 * signature file (a .SF without a block, a block without a .SF, SIG-*
 * files), the JAR would run as unsigned: refuse and say so.
 */
static int
find_signers(struct vctx *c, struct sbx_err *err)
{
	const struct sbx_zip_entry *e;
	struct signer *s;
	char alias[64], want[128];
	size_t i, nsf, n = sbx_zip_count(c->z);

	for (i = 0, nsf = 0; i < n; i++) {
		e = sbx_zip_entry(c->z, i);
		if (sbx_jar_is_signature_file(e->name) &&
		    has_suffix(e->name, ".SF"))
			nsf++;
	}
	if ((c->signers = calloc(nsf + 1, sizeof(*c->signers))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");

	for (i = 0; i < n; i++) {
		e = sbx_zip_entry(c->z, i);
		if (!sbx_jar_is_signature_file(e->name) ||
		    strcasecmp(e->name, "META-INF/MANIFEST.MF") == 0)
			continue;
		sbx_jar_alias_of(alias, sizeof(alias), e->name);

		if (!has_suffix(e->name, ".SF")) {
			if (has_suffix(e->name, ".RSA") ||
			    has_suffix(e->name, ".DSA") ||
			    has_suffix(e->name, ".EC")) {
				snprintf(want, sizeof(want),
				    "META-INF/%s.SF", alias);
				if (find_nocase(c, want) == NULL)
					return sbx_err_reject(err,
					    SBX_V_UNSIGNED, "%s: %s: signature "
					    "block without a .SF file", c->jar,
					    e->name);
				if (find_block(c, alias) != e)
					return sbx_err_reject(err,
					    SBX_V_MALFORMED_ARCHIVE, "%s: %s: "
					    "a second signature block for %s",
					    c->jar, e->name, alias);
				continue;
			}
			return sbx_err_reject(err, SBX_V_UNSIGNED_ENTRY,
			    "%s: %s: signature-related file that no "
			    "signature covers", c->jar, e->name);
		}

		s = &c->signers[c->nsigners++];
		snprintf(s->alias, sizeof(s->alias), "%s", alias);
		snprintf(s->info.alias, sizeof(s->info.alias), "%s", alias);
		s->sf_entry = e;
		if ((s->block_entry = find_block(c, alias)) == NULL)
			return sbx_err_reject(err, SBX_V_UNSIGNED, "%s: %s has "
			    "no signature block (.RSA, .DSA or .EC): the JDK "
			    "would treat the JAR as unsigned", c->jar,
			    e->name);
	}

	if (c->nsigners == 0)
		return sbx_err_reject(err, SBX_V_UNSIGNED, "%s: not signed: "
		    "no META-INF/*.SF signature file", c->jar);
	return SBX_OK;
}

static void
describe_cert(struct sbx_jar_signer *info, X509 *cert)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);

	X509_NAME_oneline(X509_get_subject_name(cert), info->subject,
	    sizeof(info->subject));
	info->bits = pub != NULL ? EVP_PKEY_get_bits(pub) : 0;
	if (pub == NULL || sbx_keyid(info->key_id, pub, NULL) != SBX_OK)
		info->key_id[0] = '\0';
}

/*
 * The JDK finds the signer's certificate by issuer and serial number
 * and cannot parse the SubjectKeyIdentifier form: such a JAR runs as
 * unsigned, so sbx refuses it rather than accept what the JVM ignores.
 */
static int
signer_cert(X509 **out, CMS_ContentInfo *cms, CMS_SignerInfo *si,
    const char *what, struct sbx_err *err)
{
	STACK_OF(X509) *certs;
	ASN1_OCTET_STRING *keyid = NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *serial = NULL;
	int i;

	*out = NULL;
	if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial) != 1)
		return sbx_err_reject(err, SBX_V_UNSIGNED, "%s: no signer id",
		    what);
	if (keyid != NULL)
		return sbx_err_reject(err, SBX_V_UNSIGNED, "%s: signer named "
		    "by subject key identifier, which the JDK cannot use: it "
		    "would treat the JAR as unsigned", what);

	certs = CMS_get1_certs(cms);
	for (i = 0; certs != NULL && i < sk_X509_num(certs); i++) {
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0) {
			*out = sk_X509_value(certs, i);
			X509_up_ref(*out);
			break;
		}
	}
	sk_X509_pop_free(certs, X509_free);
	if (*out == NULL)
		return sbx_err_reject(err, SBX_V_UNSIGNED, "%s: the signer's "
		    "certificate is not in the block", what);
	return SBX_OK;
}

/* Digest and signature algorithms, key type and size against policy. */
static int
check_algorithms(CMS_SignerInfo *si, X509 *cert, const struct sbx_policy *p,
    const char *what, struct sbx_err *err)
{
	X509_ALGOR *dig = NULL, *sig = NULL;
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	int dnid, snid, bits;
	unsigned bit = 0;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	dnid = dig != NULL ? OBJ_obj2nid(dig->algorithm) : NID_undef;
	snid = sig != NULL ? OBJ_obj2nid(sig->algorithm) : NID_undef;

	if (dnid == NID_sha256)
		bit = SBX_DIGEST_SHA256;
	else if (dnid == NID_sha384)
		bit = SBX_DIGEST_SHA384;
	else if (dnid == NID_sha512)
		bit = SBX_DIGEST_SHA512;
	if ((bit & p->digests) == 0)
		return sbx_err_reject(err, SBX_V_WEAK_ALGORITHM,
		    "%s: signature digest %s is not allowed", what,
		    OBJ_nid2sn(dnid));

	if (pub == NULL || EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA)
		return sbx_err_reject(err, SBX_V_WEAK_ALGORITHM, "%s: only RSA "
		    "signer keys are allowed", what);
	if (snid == NID_rsassaPss) {
		if ((p->sigalgs & SBX_SIGALG_RSA_PSS) == 0)
			return sbx_err_reject(err, SBX_V_WEAK_ALGORITHM, "%s: "
			    "RSASSA-PSS is not allowed", what);
	} else if (snid == NID_rsaEncryption ||
	    snid == NID_sha256WithRSAEncryption ||
	    snid == NID_sha384WithRSAEncryption ||
	    snid == NID_sha512WithRSAEncryption) {
		if ((p->sigalgs & SBX_SIGALG_RSA_PKCS1) == 0)
			return sbx_err_reject(err, SBX_V_WEAK_ALGORITHM, "%s: "
			    "RSA PKCS#1 v1.5 is not allowed", what);
	} else
		return sbx_err_reject(err, SBX_V_WEAK_ALGORITHM,
		    "%s: signature algorithm %s is not allowed", what,
		    OBJ_nid2sn(snid));

	bits = EVP_PKEY_get_bits(pub);
	if (bits < p->min_rsa_bits)
		return sbx_err_reject(err, SBX_V_WEAK_ALGORITHM,
		    "%s: RSA key of %d bits is below the policy's minimum of "
		    "%d", what, bits, p->min_rsa_bits);
	return SBX_OK;
}

/*
 * What the JVM demands of a signer certificate at run time (a critical
 * extension it does not know is a hard error; KeyUsage must allow
 * signing) and what jarsigner -strict adds (ExtendedKeyUsage, when
 * present, must allow code signing).
 */
static int
check_cert_usage(X509 *cert, const char *what, struct sbx_err *err)
{
	uint32_t ku = X509_get_key_usage(cert);
	uint32_t xku = X509_get_extended_key_usage(cert);

	if (X509_get_extension_flags(cert) & EXFLAG_CRITICAL)
		return sbx_err_reject(err, SBX_V_UNTRUSTED_KEY, "%s: signer "
		    "certificate has an unsupported critical extension", what);
	if (ku != UINT32_MAX &&
	    (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0)
		return sbx_err_reject(err, SBX_V_UNTRUSTED_KEY, "%s: signer "
		    "certificate's key usage does not allow signing", what);
	if (xku != UINT32_MAX && (xku & (XKU_CODE_SIGN | XKU_ANYEKU)) == 0)
		return sbx_err_reject(err, SBX_V_UNTRUSTED_KEY, "%s: signer "
		    "certificate's extended key usage does not allow code "
		    "signing", what);
	return SBX_OK;
}

/* DER of an AlgorithmIdentifier, re-tagged [tag] IMPLICIT when tag > 0. */
static int
append_alg(struct sbx_buf *b, const X509_ALGOR *alg, int tag,
    struct sbx_err *err)
{
	unsigned char *der = NULL;
	int n, rc;

	if ((n = i2d_X509_ALGOR(alg, &der)) <= 0)
		return sbx_err_ssl(err, SBX_EINTERNAL, "cannot encode "
		    "algorithm");
	if (tag > 0)
		der[0] = (unsigned char)(0xa0 | tag);
	rc = sbx_buf_add(b, der, (size_t)n, err);
	OPENSSL_free(der);
	return rc;
}

/*
 * RFC 6211 CMSAlgorithmProtection, when present, must name exactly the
 * SignerInfo's digest and signature algorithms: the JDK refuses the JAR
 * otherwise, so a block that only OpenSSL accepts would not run.
 */
static int
check_alg_protection(CMS_SignerInfo *si, const char *what,
    struct sbx_err *err)
{
	X509_ALGOR *dig = NULL, *sig = NULL;
	X509_ATTRIBUTE *attr;
	ASN1_OBJECT *oid;
	ASN1_TYPE *t;
	struct sbx_buf want = { 0 }, body = { 0 };
	int i, rc;

	if ((oid = OBJ_txt2obj("1.2.840.113549.1.9.52", 1)) == NULL)
		return sbx_err_ssl(err, SBX_EINTERNAL, "bad object id");
	i = CMS_signed_get_attr_by_OBJ(si, oid, -1);
	ASN1_OBJECT_free(oid);
	if (i < 0)
		return SBX_OK;

	attr = CMS_signed_get_attr(si, i);
	t = X509_ATTRIBUTE_get0_type(attr, 0);
	if (X509_ATTRIBUTE_count(attr) != 1 || t == NULL ||
	    t->type != V_ASN1_SEQUENCE)
		return sbx_err_reject(err, SBX_V_BAD_SIGNATURE, "%s: malformed "
		    "CMSAlgorithmProtection attribute", what);

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	rc = append_alg(&body, dig, 0, err);
	if (rc == SBX_OK)
		rc = append_alg(&body, sig, 1, err);
	/* SEQUENCE { digestAlgorithm, [1] IMPLICIT signatureAlgorithm } */
	if (rc == SBX_OK && body.len < 128)
		rc = sbx_buf_printf(&want, err, "%c%c", 0x30, (int)body.len);
	else if (rc == SBX_OK)
		rc = sbx_buf_printf(&want, err, "%c%c%c", 0x30, 0x81,
		    (int)body.len);
	if (rc == SBX_OK)
		rc = sbx_buf_add(&want, body.p, body.len, err);
	if (rc == SBX_OK && ((size_t)t->value.sequence->length != want.len ||
	    memcmp(t->value.sequence->data, want.p, want.len) != 0))
		rc = sbx_err_reject(err, SBX_V_BAD_SIGNATURE, "%s: "
		    "CMSAlgorithmProtection does not match the SignerInfo's "
		    "algorithms", what);
	sbx_buf_free(&want);
	sbx_buf_free(&body);
	return rc;
}

/*
 * The block must hold exactly one SignerInfo whose signature over the
 * exact .SF bytes verifies. An embedded copy of the .SF (jarsigner
 * -internalsf) must equal the file.
 */
static int
check_cms(CMS_ContentInfo *cms, const struct signer *s, const char *what,
    struct sbx_err *err)
{
	ASN1_OCTET_STRING **content;
	BIO *data = NULL;
	int ok;

	content = CMS_get0_content(cms);
	if (content != NULL && *content != NULL) {
		if ((size_t)ASN1_STRING_length(*content) != s->sf_len ||
		    memcmp(ASN1_STRING_get0_data(*content), s->sf,
		    s->sf_len) != 0)
			return sbx_err_reject(err, SBX_V_BAD_SIGNATURE, "%s: "
			    "the .SF embedded in the block differs from "
			    "META-INF/%s.SF", what, s->alias);
	} else if ((data = BIO_new_mem_buf(s->sf, (int)s->sf_len)) == NULL)
		return sbx_err_ssl(err, SBX_ENOMEM, "out of memory");

	ok = CMS_verify(cms, NULL, NULL, data, NULL,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY);
	BIO_free(data);
	if (ok != 1) {
		sbx_err_ssl(err, SBX_EREJECT, "%s: signature over "
		    "META-INF/%s.SF does not verify", what, s->alias);
		if (err != NULL)
			err->violation = SBX_V_BAD_SIGNATURE;
		return SBX_EREJECT;
	}
	return SBX_OK;
}

static int
parse_block(CMS_ContentInfo **out, struct vctx *c, struct signer *s,
    const char *what, struct sbx_err *err)
{
	unsigned char *block = NULL;
	const unsigned char *p;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = read_small(&block, &len, c, s->block_entry, err)) != SBX_OK)
		return rc;

	p = block;
	*out = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (*out == NULL || p != block + len) {
		CMS_ContentInfo_free(*out);
		*out = NULL;
		free(block);
		ERR_clear_error();
		return sbx_err_reject(err, SBX_V_UNSIGNED, "%s: cannot parse "
		    "the signature block: the JDK would treat the JAR as "
		    "unsigned", what);
	}
	free(block);

	if (OBJ_obj2nid(CMS_get0_type(*out)) != NID_pkcs7_signed ||
	    sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(*out)) != 1) {
		CMS_ContentInfo_free(*out);
		*out = NULL;
		return sbx_err_reject(err, SBX_V_UNSIGNED, "%s: not a "
		    "SignedData with exactly one signer", what);
	}
	return SBX_OK;
}

/* A "Signature-Version" other than 1.0 makes the JDK ignore the .SF. */
static int
load_sf(struct vctx *c, struct signer *s, struct sbx_err *err)
{
	const struct sbx_mf_attr *a;
	unsigned char *bytes;
	char what[512];
	size_t len;
	int rc;

	if ((rc = read_small(&bytes, &len, c, s->sf_entry, err)) != 0)
		return rc;
	snprintf(what, sizeof(what), "%s: %s", c->jar, s->sf_entry->name);
	if ((rc = sbx_manifest_parse_owned(&s->sfm, bytes, len, what, err))
	    != SBX_OK)
		return rc;
	s->sf = s->sfm->bytes;		/* borrowed from the parsed .SF */
	s->sf_len = s->sfm->len;

	a = sbx_manifest_attr(&s->sfm->main, "Signature-Version");
	if (a == NULL || strcmp(a->value, "1.0") != 0)
		return sbx_err_reject(err, SBX_V_UNSIGNED, "%s: "
		    "Signature-Version is not 1.0: the JDK would treat the "
		    "JAR as unsigned", what);
	return SBX_OK;
}

/*
 * A valid signature by a key the keyring does not vouch for is not an
 * error by itself (a vendor's signature may sit beside ours); the
 * reason is kept in case no trusted signer covers the JAR.
 */
static int
trust_signer(struct vctx *c, struct signer *s, CMS_ContentInfo *cms,
    X509 *cert, int64_t when, struct sbx_err *err)
{
	STACK_OF(X509) *certs;
	int rc;

	certs = CMS_get1_certs(cms);
	rc = sbx_keyring_trust(&s->key, c->o->keyring, X509_get0_pubkey(cert),
	    cert, certs, SBX_ROLE_JAR, when, &s->trust_err);
	sk_X509_pop_free(certs, X509_free);

	if (rc == SBX_OK) {
		s->info.trusted = true;
		snprintf(s->info.name, sizeof(s->info.name), "%s",
		    s->key->name);
		return SBX_OK;
	}
	s->key = NULL;
	if (rc != SBX_EREJECT) {
		if (err != NULL)
			*err = s->trust_err;
		return rc;
	}
	sbx_err_prefix(&s->trust_err, c->jar);
	return SBX_OK;
}

/*
 * JAR-SIGNING.md 7: an RFC 3161 timestamp by a TSA that the keyring
 * trusts (role tsa) is the signing time, so a retired key's earlier
 * signatures keep verifying; any other signer is judged now.
 */
static int64_t
signing_time(const struct vctx *c, struct signer *s, CMS_SignerInfo *si)
{
	int64_t when = c->o->now;

	if (sbx_tsa_signer_time(&when, si, c->o->keyring, NULL) == SBX_OK)
		s->info.timestamp = when;
	return when;
}

static int
check_block(struct vctx *c, struct signer *s, struct sbx_err *err)
{
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	X509 *cert = NULL;
	char what[512];
	int rc;

	snprintf(what, sizeof(what), "%s: %s", c->jar, s->block_entry->name);
	if ((rc = parse_block(&cms, c, s, what, err)) != SBX_OK)
		return rc;
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);

	if ((rc = signer_cert(&cert, cms, si, what, err)) != SBX_OK)
		goto done;
	describe_cert(&s->info, cert);
	if ((rc = check_algorithms(si, cert, c->o->policy, what, err)) != 0)
		goto done;
	if ((rc = check_cert_usage(cert, what, err)) != SBX_OK)
		goto done;
	if ((rc = check_alg_protection(si, what, err)) != SBX_OK)
		goto done;
	if ((rc = check_cms(cms, s, what, err)) != SBX_OK)
		goto done;

	/* Trust is decided last: a forged block must read as forged. */
	rc = trust_signer(c, s, cms, cert, signing_time(c, s, si), err);
done:
	X509_free(cert);
	CMS_ContentInfo_free(cms);
	return rc;
}

/* Does the base64 digest in attribute a equal md over the bytes? */
static int
digest_matches(bool *match, const struct sbx_jar_digest *d,
    const struct sbx_mf_attr *a, const struct sbx_jar_msec *secs, size_t nsecs,
    const unsigned char *raw, size_t raw_len, struct sbx_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct sbx_buf want = { 0 };
	EVP_MD_CTX *ctx;
	size_t i;
	int rc = SBX_EINTERNAL;

	*match = false;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if (EVP_DigestInit_ex(ctx, sbx_jar_digest_md(d), NULL) != 1)
		goto ssl;
	/* Sections that share a name are digested as one, in order. */
	for (i = 0; i < nsecs; i++)
		if (EVP_DigestUpdate(ctx, secs[i].s->raw, secs[i].s->raw_len)
		    != 1)
			goto ssl;
	if (raw != NULL && EVP_DigestUpdate(ctx, raw, raw_len) != 1)
		goto ssl;
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		goto ssl;

	/* Undecodable is unequal: the digest vouches for nothing. */
	if (sbx_b64_decode(&want, a->value, a->value_len, NULL) == SBX_OK)
		*match = want.len == mdlen && memcmp(want.p, md, mdlen) == 0;
	rc = SBX_OK;
	goto done;
ssl:
	rc = sbx_err_ssl(err, SBX_EINTERNAL, "cannot compute digest");
done:
	sbx_buf_free(&want);
	EVP_MD_CTX_free(ctx);
	return rc;
}

static int
check_main_digest(struct vctx *c, struct signer *s, const char *what,
    struct sbx_err *err)
{
	const struct sbx_jar_digest *d;
	const struct sbx_mf_attr *a;
	bool match = false;
	int rc;

	rc = sbx_jar_pick_digest(&d, &s->sfm->main, "Digest-Manifest",
	    c->o->policy->digests, &a);
	if (rc == SBX_OK && (rc = digest_matches(&match, d, a, NULL, 0,
	    c->mf->bytes, c->mf->len, err)) != SBX_OK)
		return rc;
	s->whole_manifest = a != NULL && match;

	/*
	 * Without this digest, once the whole-manifest digest fails (any
	 * appended section makes it fail), nothing protects the main
	 * attributes: Premain-Class or Boot-Class-Path could be changed.
	 */
	rc = sbx_jar_pick_digest(&d, &s->sfm->main,
	    "Digest-Manifest-Main-Attributes", c->o->policy->digests, &a);
	if (rc == SBX_V_WEAK_ALGORITHM)
		return sbx_err_reject(err, rc, "%s: the main-attributes "
		    "digest uses an algorithm the policy does not allow",
		    what);
	if (rc != SBX_OK)
		return sbx_err_reject(err, SBX_V_UNSIGNED_ENTRY, "%s: no "
		    "Digest-Manifest-Main-Attributes: the manifest's main "
		    "attributes (Premain-Class, Boot-Class-Path) would be "
		    "unprotected", what);
	if ((rc = digest_matches(&match, d, a, NULL, 0, c->mf->main.raw,
	    c->mf->main.raw_len, err)) != SBX_OK)
		return rc;
	if (!match)
		return sbx_err_reject(err, SBX_V_DIGEST_MISMATCH, "%s: the "
		    "manifest's main attributes changed after signing", what);
	return SBX_OK;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Each .SF section vouches for one manifest section: its digest must
 * match the section's raw bytes unless the whole-manifest digest did.
 */
static int
check_sections(struct vctx *c, struct signer *s, const char *what,
    struct sbx_err *err)
{
	const struct sbx_mf_section *sec;
	const struct sbx_jar_digest *d;
	const struct sbx_mf_attr *a;
	const struct sbx_jar_msec *m;
	size_t i, nm;
	bool match;
	int rc;

	s->covered = calloc(s->sfm->nsections + 1, sizeof(*s->covered));
	if (s->covered == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");

	for (i = 0; i < s->sfm->nsections; i++) {
		sec = &s->sfm->sections[i];
		if ((m = find_sections(c, sec->name, &nm)) == NULL)
			return sbx_err_reject(err, SBX_V_BAD_SIGNATURE, "%s: "
			    "no manifest section for signature file entry %s",
			    what, sec->name);
		s->covered[s->ncovered++] = sec->name;
		if (s->whole_manifest)
			continue;

		rc = sbx_jar_pick_digest(&d, sec, "Digest",
		    c->o->policy->digests, &a);
		if (rc != SBX_OK)
			return sbx_err_reject(err, rc, "%s: %s: %s", what,
			    sec->name, rc == SBX_V_WEAK_ALGORITHM ? "only "
			    "digests the policy does not allow" : "no digest");
		if ((rc = digest_matches(&match, d, a, m, nm, NULL, 0, err))
		    != SBX_OK)
			return rc;
		if (!match)
			return sbx_err_reject(err, SBX_V_DIGEST_MISMATCH, "%s: "
			    "the manifest section for %s changed after "
			    "signing", what, sec->name);
	}

	qsort(s->covered, s->ncovered, sizeof(*s->covered), name_cmp);
	for (i = 1; i < s->ncovered; i++)
		if (strcmp(s->covered[i - 1], s->covered[i]) == 0)
			return sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE,
			    "%s: two sections for %s", what, s->covered[i]);
	return SBX_OK;
}

static int
check_signer(struct vctx *c, struct signer *s, struct sbx_err *err)
{
	char what[512];
	int rc;

	if ((rc = load_sf(c, s, err)) != SBX_OK)
		return rc;
	if ((rc = check_block(c, s, err)) != SBX_OK)
		return rc;

	snprintf(what, sizeof(what), "%s: %s", c->jar, s->sf_entry->name);
	if ((rc = check_main_digest(c, s, what, err)) != SBX_OK)
		return rc;
	return check_sections(c, s, what, err);
}

static bool
covers(const struct signer *s, const char *name)
{
	return bsearch(&name, s->covered, s->ncovered, sizeof(*s->covered),
	    name_cmp) != NULL;
}

/* The first of a name's sections that carries an acceptable digest. */
static int
entry_digest(const struct sbx_jar_digest **d, const struct sbx_mf_attr **a,
    const struct sbx_jar_msec *m, size_t nm, unsigned allowed)
{
	size_t i;
	int rc = SBX_V_UNSIGNED_ENTRY, r;

	for (i = 0; i < nm; i++) {
		r = sbx_jar_pick_digest(d, m[i].s, "Digest", allowed, a);
		if (r == SBX_OK)
			return SBX_OK;
		if (r == SBX_V_WEAK_ALGORITHM)
			rc = r;
	}
	return rc;
}

/*
 * Every entry but directories and signature files must be listed in
 * the manifest with an acceptable digest and be vouched for by the
 * accepted signer's .SF: anything else would load unsigned.
 */
static int
plan_entries(struct vctx *c, const struct signer *s, struct sbx_err *err)
{
	const struct sbx_zip_entry *e;
	const struct sbx_jar_digest *d;
	const struct sbx_mf_attr *a;
	const struct sbx_jar_msec *m;
	size_t i, nm, n = sbx_zip_count(c->z);
	int rc;

	c->jobs = calloc(n + 1, sizeof(*c->jobs));
	c->want = calloc(n + 1, sizeof(*c->want));
	if (c->jobs == NULL || c->want == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");

	for (i = 0; i < n; i++) {
		e = sbx_zip_entry(c->z, i);
		/*
		 * A directory holds no bytes the JVM loads, but data hidden
		 * in one must still inflate to nothing, or streaming readers
		 * (JarInputStream) and we would disagree about the archive.
		 */
		if (e->is_dir && e->csize > 0) {
			c->jobs[c->njobs].entry = e;
			c->jobs[c->njobs].md = EVP_sha256();
			c->want[c->njobs++] = NULL;
			continue;
		}
		if (e->is_dir || sbx_jar_is_signature_file(e->name))
			continue;
		if ((m = find_sections(c, e->name, &nm)) == NULL)
			return sbx_err_reject(err, SBX_V_UNSIGNED_ENTRY, "%s: "
			    "%s is not signed: it has no manifest section",
			    c->jar, e->name);
		if (!covers(s, e->name))
			return sbx_err_reject(err, SBX_V_UNSIGNED_ENTRY, "%s: "
			    "%s is not signed by %s", c->jar, e->name,
			    s->alias);
		rc = entry_digest(&d, &a, m, nm, c->o->policy->digests);
		if (rc != SBX_OK)
			return sbx_err_reject(err, rc, "%s: %s: %s", c->jar,
			    e->name, rc == SBX_V_WEAK_ALGORITHM ? "only "
			    "digests the policy does not allow" :
			    "no digest in the manifest");
		c->jobs[c->njobs].entry = e;
		c->jobs[c->njobs].md = sbx_jar_digest_md(d);
		c->want[c->njobs++] = a;
	}
	return SBX_OK;
}

/*
 * Every named section of the manifest must be vouched for: the JDK
 * throws "Untrusted manifest entry" for a package section (Sealed,
 * Implementation-Version) that not every signer covers, so an
 * unsigned one would let anyone stop an accepted JAR from starting. A
 * digest for an entry that is not in the archive means the entry was
 * removed.
 */
static int
check_sections_signed(struct vctx *c, const struct signer *accepted,
    struct sbx_err *err)
{
	const struct sbx_mf_section *sec;
	const struct sbx_jar_digest *d;
	const struct sbx_mf_attr *a;
	size_t i, k;
	bool entry;

	for (i = 0; i < c->mf->nsections; i++) {
		sec = &c->mf->sections[i];
		entry = sbx_zip_find(c->z, sec->name) != NULL;
		if (!entry && sbx_jar_pick_digest(&d, sec, "Digest", ~0u, &a)
		    != SBX_V_UNSIGNED_ENTRY)
			return sbx_err_reject(err, SBX_V_DIGEST_MISMATCH, "%s: "
			    "%s is signed in the manifest but missing from the "
			    "JAR", c->jar, sec->name);
		if (!covers(accepted, sec->name))
			return sbx_err_reject(err, SBX_V_UNSIGNED_ENTRY, "%s: "
			    "manifest section %s is not signed by %s", c->jar,
			    sec->name, accepted->alias);
		for (k = 0; !entry && k < c->nsigners; k++)
			if (!covers(&c->signers[k], sec->name))
				return sbx_err_reject(err,
				    SBX_V_UNSIGNED_ENTRY, "%s: manifest "
				    "section %s is not signed by %s", c->jar,
				    sec->name, c->signers[k].alias);
	}
	return SBX_OK;
}

static int
compare_digests(struct vctx *c, struct sbx_err *err)
{
	struct sbx_buf want = { 0 };
	struct sbx_jar_hash_job *j;
	size_t i;
	int rc = SBX_OK;

	for (i = 0; i < c->njobs && rc == SBX_OK; i++) {
		j = &c->jobs[i];
		if (c->want[i] == NULL)
			continue;	/* a directory: inflated, checked */
		want.len = 0;
		if (sbx_b64_decode(&want, c->want[i]->value,
		    c->want[i]->value_len, NULL) != SBX_OK ||
		    want.len != j->digest_len ||
		    memcmp(want.p, j->digest, j->digest_len) != 0)
			rc = sbx_err_reject(err, SBX_V_DIGEST_MISMATCH, "%s: "
			    "%s: %s does not match the manifest", c->jar,
			    j->entry->name, c->want[i]->name);
	}
	sbx_buf_free(&want);
	return rc;
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/*
 * The first signer the keyring trusts and the policy lets sign this
 * artifact. When none qualifies, err says why: the policy's refusal if
 * a trusted signer was turned away, else the first trust failure.
 */
static const struct signer *
pick_signer(const struct vctx *c, struct sbx_err *err)
{
	const struct signer *s;
	const char *name = base_name(c->jar);
	size_t i;
	bool turned_away = false;

	for (i = 0; i < c->nsigners; i++) {
		s = &c->signers[i];
		if (s->key == NULL)
			continue;
		if (sbx_policy_allows_signer(c->o->policy, name, s->key->id,
		    s->key->name))
			return s;
		if (!turned_away)
			sbx_err_reject(err, SBX_V_UNTRUSTED_KEY, "%s: the "
			    "policy does not let key %s (%.16s) sign %s",
			    c->jar, s->key->name, s->key->id, name);
		turned_away = true;
	}
	if (!turned_away && err != NULL)
		*err = c->signers[0].trust_err;
	return NULL;
}

/* Rollback: the manifest's Implementation-Version against the policy. */
static int
check_version(struct vctx *c, struct sbx_jar_verdict *v, struct sbx_err *err)
{
	const struct sbx_mf_attr *ver;
	const char *min = NULL, *name = base_name(c->jar);

	ver = sbx_manifest_attr(&c->mf->main, "Implementation-Version");
	if (ver != NULL)
		snprintf(v->version, sizeof(v->version), "%s", ver->value);
	if (sbx_policy_allows_version(c->o->policy, name,
	    ver != NULL ? ver->value : NULL, &min))
		return SBX_OK;
	return sbx_err_reject(err, SBX_V_ROLLBACK, "%s: version %s is below "
	    "the lowest the policy accepts for %s (%s)", c->jar,
	    ver != NULL ? ver->value : "(none: no Implementation-Version)",
	    name, min != NULL ? min : "?");
}

static int
verify_all(struct sbx_jar_verdict *v, struct vctx *c, struct sbx_err *err)
{
	const struct signer *s;
	size_t i;
	int rc;

	if ((rc = load_manifest(c, err)) != SBX_OK)
		return rc;
	if ((rc = find_signers(c, err)) != SBX_OK)
		return rc;
	for (i = 0; i < c->nsigners; i++)
		if ((rc = check_signer(c, &c->signers[i], err)) != SBX_OK)
			return rc;
	v->nsigners = c->nsigners;
	v->signer = c->signers[0].info;

	if ((s = pick_signer(c, err)) == NULL)
		return SBX_EREJECT;
	v->signer = s->info;

	if ((rc = plan_entries(c, s, err)) != SBX_OK)
		return rc;
	if ((rc = check_sections_signed(c, s, err)) != SBX_OK)
		return rc;
	if ((rc = sbx_jar_hash_entries(c->jobs, c->njobs, c->z,
	    c->o->threads, err)) != SBX_OK) {
		if (rc != SBX_EREJECT)
			sbx_err_prefix(err, c->jar);
		return rc;
	}
	if ((rc = compare_digests(c, err)) != SBX_OK)
		return rc;

	v->entries = c->njobs;
	return check_version(c, v, err);
}

static void
free_ctx(struct vctx *c)
{
	size_t i;

	for (i = 0; i < c->nsigners; i++) {
		free(c->signers[i].covered);
		sbx_manifest_free(c->signers[i].sfm);
	}
	free(c->signers);
	free(c->jobs);
	free(c->want);
	free(c->byname);
	sbx_manifest_free(c->mf);
}

int
sbx_jar_verify(struct sbx_jar_verdict *v, struct sbx_zip *z,
    const struct sbx_jar_verify_opts *opts, struct sbx_err *err)
{
	struct vctx c = { .z = z, .o = opts, .jar = sbx_zip_name(z) };
	struct sbx_err local = { 0 };
	int rc;

	/* Refused until every check has passed. */
	memset(v, 0, sizeof(*v));
	v->violation = SBX_V_INTERNAL_ERROR;
	snprintf(v->reason, sizeof(v->reason), "not checked");
	if (err == NULL)
		err = &local;

	rc = verify_all(v, &c, err);
	if (rc == SBX_OK) {
		v->accepted = true;
		v->violation = SBX_V_NONE;
		snprintf(v->reason, sizeof(v->reason), "signed by %s",
		    v->signer.name);
	} else {
		if (rc != SBX_EREJECT)
			err->violation = SBX_V_INTERNAL_ERROR;
		v->violation = err->violation;
		snprintf(v->reason, sizeof(v->reason), "%s", err->msg);
	}
	free_ctx(&c);
	return rc;
}

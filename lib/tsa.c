/* lib/tsa.c: checking RFC 3161 time-stamp tokens of JAR signatures. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include <sbx/encode.h>
#include <sbx/key.h>
#include <sbx/tsa.h>

#include "tsa_int.h"

#define TSA_SKEW	300		/* seconds a genTime may run ahead */

/* ---- checking a token ---- */

const char *
sbx_tsa_cert_fault(X509 *cert)
{
	int i = X509_get_ext_by_NID(cert, NID_ext_key_usage, -1);

	if (i < 0 || !(X509_get_extension_flags(cert) & EXFLAG_XKUSAGE))
		return "has no extended key usage timeStamping";
	if (X509_get_extended_key_usage(cert) != XKU_TIMESTAMP)
		return "has an extended key usage other than timeStamping "
		    "alone";
	if (!X509_EXTENSION_get_critical(X509_get_ext(cert, i)))
		return "has a timeStamping extended key usage that is not "
		    "critical";
	return NULL;
}

static int
bad_token(struct sbx_err *err, const char *what)
{
	return sbx_err_reject(err, SBX_V_BAD_SIGNATURE, "%s", what);
}

/*
 * The signer must be a certificate the token carries. It is made the
 * only trust anchor of the store, valid at genTime: OpenSSL then
 * checks the signature, the ESS binding and the timeStamping purpose,
 * and whether the TSA is trusted at all is the keyring's to say.
 */
static int
signer_store(X509_STORE **out, X509 **signer, PKCS7 *token, int64_t when,
    struct sbx_err *err)
{
	STACK_OF(X509) *signers;
	X509_STORE *store = NULL;
	X509_VERIFY_PARAM *param;

	*out = NULL;
	*signer = NULL;
	signers = PKCS7_get0_signers(token, NULL, 0);
	ERR_clear_error();
	if (signers == NULL || sk_X509_num(signers) != 1) {
		sk_X509_free(signers);
		return bad_token(err, "timestamp token: the TSA's "
		    "certificate is not in the token");
	}
	*signer = sk_X509_value(signers, 0);
	sk_X509_free(signers);
	if ((store = X509_STORE_new()) == NULL ||
	    !X509_STORE_add_cert(store, *signer)) {
		X509_STORE_free(store);
		return sbx_err_ssl(err, SBX_ENOMEM, "out of memory");
	}
	param = X509_STORE_get0_param(store);
	X509_VERIFY_PARAM_set_time(param, (time_t)when);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	*out = store;
	return SBX_OK;
}

int
sbx_tsa__gen_time(int64_t *out, PKCS7 *token, struct sbx_err *err)
{
	TS_TST_INFO *tst;
	int rc;

	if ((tst = PKCS7_to_TS_TST_INFO(token)) == NULL) {
		ERR_clear_error();
		return bad_token(err, "timestamp token: no TSTInfo "
		    "inside");
	}
	rc = sbx_asn1_time(out, TS_TST_INFO_get_time(tst), err);
	TS_TST_INFO_free(tst);
	if (rc != SBX_OK)
		return bad_token(err, "timestamp token: bad genTime");
	if (*out > (int64_t)time(NULL) + TSA_SKEW)
		return bad_token(err, "timestamp token: genTime is in "
		    "the future");
	return SBX_OK;
}

int
sbx_tsa__verify_token(X509 **signer, TS_VERIFY_CTX *ctx, PKCS7 *token,
    int64_t when, struct sbx_err *err)
{
	X509_STORE *store = NULL;
	const char *fault;
	char what[200];
	int rc;

	*signer = NULL;
	if ((rc = signer_store(&store, signer, token, when, err)) != SBX_OK)
		goto done;
	TS_VERIFY_CTX_set_store(ctx, store);	/* ctx owns it now */
	/* First what sbx demands, in words; then OpenSSL's own checks. */
	if ((fault = sbx_tsa_cert_fault(*signer)) != NULL) {
		rc = sbx_err_reject(err, SBX_V_BAD_SIGNATURE, "timestamp "
		    "token: the TSA's certificate %s", fault);
		goto done;
	}
	TS_VERIFY_CTX_add_flags(ctx, TS_VFY_SIGNATURE);
	if (TS_RESP_verify_token(ctx, token) != 1) {
		snprintf(what, sizeof(what), "timestamp token: %s",
		    ERR_reason_error_string(ERR_peek_last_error()) != NULL ?
		    ERR_reason_error_string(ERR_peek_last_error()) :
		    "does not verify");
		ERR_clear_error();
		rc = bad_token(err, what);
		goto done;
	}
	rc = SBX_OK;
done:
	TS_VERIFY_CTX_free(ctx);
	if (rc != SBX_OK)
		*signer = NULL;
	return rc;
}

static int
parse_token(PKCS7 **out, const void *der, size_t len, struct sbx_err *err)
{
	const unsigned char *p = der;

	*out = d2i_PKCS7(NULL, &p, (long)len);
	if (*out == NULL || p != (const unsigned char *)der + len ||
	    !PKCS7_type_is_signed(*out)) {
		PKCS7_free(*out);
		*out = NULL;
		ERR_clear_error();
		return bad_token(err, "timestamp token: not a DER "
		    "SignedData");
	}
	return SBX_OK;
}

int
sbx_tsa_check(struct sbx_tsa_token *out, const void *der, size_t len,
    const void *data, size_t n, struct sbx_err *err)
{
	TS_VERIFY_CTX *ctx = NULL;
	PKCS7 *token = NULL;
	BIO *bio = NULL;
	X509 *signer;
	int64_t when;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = parse_token(&token, der, len, err)) != SBX_OK ||
	    (rc = sbx_tsa__gen_time(&when, token, err)) != SBX_OK)
		goto done;
	if ((ctx = TS_VERIFY_CTX_new()) == NULL ||
	    (bio = BIO_new_mem_buf(data, (int)n)) == NULL) {
		TS_VERIFY_CTX_free(ctx);
		rc = sbx_err_ssl(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_DATA);
	TS_VERIFY_CTX_set_data(ctx, bio);	/* ctx owns it now */
	if ((rc = sbx_tsa__verify_token(&signer, ctx, token, when, err)) !=
	    SBX_OK)
		goto done;
	if (!X509_up_ref(signer) || (out->certs =
	    X509_chain_up_ref(token->d.sign->cert)) == NULL) {
		rc = sbx_err_ssl(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	out->cert = signer;
	out->gen_time = when;
done:
	if (rc != SBX_OK)
		sbx_tsa_token_clear(out);
	PKCS7_free(token);
	return rc;
}

void
sbx_tsa_token_clear(struct sbx_tsa_token *t)
{
	X509_free(t->cert);
	sk_X509_pop_free(t->certs, X509_free);
	memset(t, 0, sizeof(*t));
}

static int
find_token(const ASN1_STRING **out, CMS_SignerInfo *si, struct sbx_err *err)
{
	const int nid = NID_id_smime_aa_timeStampToken;
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *t;
	int i;

	*out = NULL;
	if ((i = CMS_unsigned_get_attr_by_NID(si, nid, -1)) < 0)
		return sbx_err_reject(err, SBX_V_BAD_SIGNATURE, "no timestamp");
	if (CMS_unsigned_get_attr_by_NID(si, nid, i) >= 0)
		return bad_token(err, "more than one timestamp");
	attr = CMS_unsigned_get_attr(si, i);
	t = X509_ATTRIBUTE_get0_type(attr, 0);
	if (X509_ATTRIBUTE_count(attr) != 1 || t == NULL ||
	    t->type != V_ASN1_SEQUENCE)
		return bad_token(err, "malformed timestamp attribute");
	*out = t->value.sequence;
	return SBX_OK;
}

int
sbx_tsa_signer_time(int64_t *when, CMS_SignerInfo *si,
    const struct sbx_keyring *kr, struct sbx_err *err)
{
	ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
	const struct sbx_keyring_key *k;
	struct sbx_tsa_token tok;
	const ASN1_STRING *der;
	int rc;

	if ((rc = find_token(&der, si, err)) != SBX_OK)
		return rc;
	rc = sbx_tsa_check(&tok, ASN1_STRING_get0_data(der),
	    (size_t)ASN1_STRING_length(der), ASN1_STRING_get0_data(sig),
	    (size_t)ASN1_STRING_length(sig), err);
	if (rc != SBX_OK)
		return rc;
	rc = sbx_keyring_trust(&k, kr, NULL, tok.cert, tok.certs,
	    SBX_ROLE_TSA, tok.gen_time, err);
	if (rc == SBX_OK)
		*when = tok.gen_time;
	sbx_tsa_token_clear(&tok);
	return rc;
}

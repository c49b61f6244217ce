/* lib/tsa.c: RFC 3161 time-stamp tokens for JAR signatures. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include <sbx/encode.h>
#include <sbx/key.h>
#include <sbx/tsa.h>

#define TSA_TIMEOUT_MS	30000L
#define TSA_REPLY_MAX	(1 << 20)	/* bytes */
#define TSA_SKEW	300		/* seconds a genTime may run ahead */

/* ---- the query ---- */

/* The message imprint is SHA-256 of data; the nonce 64 random bits. */
static int
make_query(TS_REQ **out, const void *data, size_t n, struct sbx_err *err)
{
	unsigned char md[32];
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn = BN_new();
	int rc;

	*out = NULL;
	if ((rc = sbx_sha256(md, data, n, err)) != SBX_OK)
		goto done;
	rc = SBX_ENOMEM;
	if (req == NULL || mi == NULL || alg == NULL || bn == NULL ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL,
	    NULL) ||
	    !TS_MSG_IMPRINT_set_algo(mi, alg) ||
	    !TS_MSG_IMPRINT_set_msg(mi, md, sizeof(md)) ||
	    !TS_REQ_set_version(req, 1) ||
	    !TS_REQ_set_msg_imprint(req, mi) ||
	    !BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    (nonce = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    !TS_REQ_set_nonce(req, nonce) || !TS_REQ_set_cert_req(req, 1)) {
		sbx_err_ssl(err, rc, "cannot build a time-stamp query");
		goto done;
	}
	*out = req;
	req = NULL;
	rc = SBX_OK;
done:
	TS_REQ_free(req);
	TS_MSG_IMPRINT_free(mi);
	X509_ALGOR_free(alg);
	ASN1_INTEGER_free(nonce);
	BN_free(bn);
	return rc;
}

/* ---- HTTP ---- */

struct sink {
	struct sbx_buf	*buf;
	bool		 full;
};

static size_t
keep(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (s->buf->len + n > TSA_REPLY_MAX ||
	    sbx_buf_add(s->buf, data, n, NULL) != SBX_OK) {
		s->full = true;
		return 0;
	}
	return size * n;
}

/*
 * The URL as messages show it: a TSA's user, password or query may be
 * credentials. One libcurl cannot parse is shown as given.
 */
static void
shown_url(char *out, size_t n, const char *url)
{
	static const CURLUPart secret[] = { CURLUPART_USER,
	    CURLUPART_PASSWORD, CURLUPART_OPTIONS, CURLUPART_QUERY,
	    CURLUPART_FRAGMENT };
	CURLU *u = curl_url();
	char *s = NULL;
	size_t i;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) ==
	    CURLUE_OK) {
		for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
			curl_url_set(u, secret[i], NULL, 0);
		curl_url_get(u, CURLUPART_URL, &s, 0);
	}
	snprintf(out, n, "%s", s != NULL ? s : url);
	curl_free(s);
	curl_url_cleanup(u);
}

/* RFC 3161 section 3.4: a POST of the DER query, any scheme of HTTP. */
static int
post_curl(struct sbx_buf *reply, const char *url, const char *shown,
    const void *query, size_t n, const struct sbx_tsa_opts *o,
    struct sbx_err *err)
{
	char cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr = NULL, *h;
	struct sink s = { .buf = reply };
	long status = 0, ms = o->timeout_ms > 0 ? o->timeout_ms :
	    TSA_TIMEOUT_MS;
	CURLcode cc;
	CURL *c;
	int rc = SBX_EIO;

	if ((c = curl_easy_init()) == NULL ||
	    (h = curl_slist_append(NULL, "Content-Type: "
	    "application/timestamp-query")) == NULL ||
	    (hdr = curl_slist_append(h, "Expect:")) == NULL) {
		curl_easy_cleanup(c);
		return sbx_err_set(err, SBX_ENOMEM, "%s: cannot start curl",
		    shown);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, query);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	if (o->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);

	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (s.full)
		sbx_err_set(err, rc, "%s: reply larger than %d bytes", shown,
		    TSA_REPLY_MAX);
	else if (cc != CURLE_OK)
		sbx_err_set(err, rc, "%s: %s", shown, cerr[0] != '\0' ? cerr :
		    curl_easy_strerror(cc));
	else if (status != 200)
		sbx_err_set(err, rc, "%s: HTTP status %ld", shown, status);
	else
		rc = SBX_OK;
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return rc;
}

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

static int
gen_time(int64_t *out, PKCS7 *token, struct sbx_err *err)
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

/* ctx carries what to compare (imprint or data, nonce); it is freed. */
static int
verify_token(X509 **signer, TS_VERIFY_CTX *ctx, PKCS7 *token, int64_t when,
    struct sbx_err *err)
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
	    (rc = gen_time(&when, token, err)) != SBX_OK)
		goto done;
	if ((ctx = TS_VERIFY_CTX_new()) == NULL ||
	    (bio = BIO_new_mem_buf(data, (int)n)) == NULL) {
		TS_VERIFY_CTX_free(ctx);
		rc = sbx_err_ssl(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_DATA);
	TS_VERIFY_CTX_set_data(ctx, bio);	/* ctx owns it now */
	if ((rc = verify_token(&signer, ctx, token, when, err)) != SBX_OK)
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

/* ---- asking for a token ---- */

static int
reply_status(TS_RESP *resp, const char *url, struct sbx_err *err)
{
	TS_STATUS_INFO *si = TS_RESP_get_status_info(resp);
	long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));

	/* granted (0) or grantedWithMods (1); anything else is a no. */
	if (status == 0 || status == 1)
		return SBX_OK;
	return sbx_err_reject(err, SBX_V_BAD_SIGNATURE, "%s: the TSA refused "
	    "the request (PKIStatus %ld)", url, status);
}

/* The reply must answer this query: same imprint, same nonce. */
static int
check_reply(struct sbx_buf *token, TS_REQ *req, const struct sbx_buf *raw,
    const char *url, struct sbx_err *err)
{
	const unsigned char *p = raw->p;
	TS_VERIFY_CTX *ctx;
	TS_RESP *resp;
	X509 *signer;
	unsigned char *der = NULL;
	int64_t when;
	int len, rc;

	resp = d2i_TS_RESP(NULL, &p, (long)raw->len);
	if (resp == NULL || p != raw->p + raw->len) {
		TS_RESP_free(resp);
		ERR_clear_error();
		return sbx_err_reject(err, SBX_V_BAD_SIGNATURE, "%s: not a "
		    "time-stamp reply", url);
	}
	if ((rc = reply_status(resp, url, err)) != SBX_OK ||
	    (rc = gen_time(&when, TS_RESP_get_token(resp), err)) != SBX_OK)
		goto done;
	if ((ctx = TS_REQ_to_TS_VERIFY_CTX(req, NULL)) == NULL) {
		rc = sbx_err_ssl(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	rc = verify_token(&signer, ctx, TS_RESP_get_token(resp), when, err);
	if (rc != SBX_OK) {
		sbx_err_prefix(err, url);
		goto done;
	}
	if ((len = i2d_PKCS7(TS_RESP_get_token(resp), &der)) <= 0) {
		rc = sbx_err_ssl(err, SBX_ENOMEM, "cannot encode the token");
		goto done;
	}
	rc = sbx_buf_add(token, der, (size_t)len, err);
	OPENSSL_free(der);
done:
	TS_RESP_free(resp);
	return rc;
}

static int
ask(struct sbx_buf *token, const struct sbx_tsa_opts *o, const char *url,
    TS_REQ *req, const unsigned char *query, size_t n, struct sbx_err *err)
{
	struct sbx_buf reply = { 0 };
	char shown[512];
	int rc;

	shown_url(shown, sizeof(shown), url);
	if (o->post != NULL)
		rc = o->post(&reply, url, query, n, o->post_arg, err);
	else
		rc = post_curl(&reply, url, shown, query, n, o, err);
	if (rc == SBX_OK)
		rc = check_reply(token, req, &reply, shown, err);
	sbx_buf_free(&reply);
	return rc;
}

/* A TSA that is down or answers wrongly is skipped for the next one. */
int
sbx_tsa_stamp(struct sbx_buf *token, const struct sbx_tsa_opts *o,
    const void *data, size_t n, struct sbx_err *err)
{
	TS_REQ *req = NULL;
	unsigned char *query = NULL;
	size_t i;
	int len, rc;

	if (o->nurls == 0)
		return sbx_err_set(err, SBX_ECONFIG, "no time-stamp authority "
		    "given");
	if ((rc = make_query(&req, data, n, err)) != SBX_OK)
		return rc;
	if ((len = i2d_TS_REQ(req, &query)) <= 0) {
		rc = sbx_err_ssl(err, SBX_ENOMEM, "cannot encode the query");
		goto done;
	}
	for (i = 0; i < o->nurls; i++)
		if ((rc = ask(token, o, o->urls[i], req, query, (size_t)len,
		    err)) == SBX_OK || rc == SBX_ENOMEM)
			break;
done:
	OPENSSL_free(query);
	TS_REQ_free(req);
	return rc;
}

/* ---- in a JAR signature block ---- */

int
sbx_tsa_stamp_signer(CMS_SignerInfo *si, const struct sbx_tsa_opts *o,
    struct sbx_err *err)
{
	ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
	struct sbx_buf token = { 0 };
	int rc;

	/* JAR-SIGNING.md 7: the imprint covers the signature value. */
	rc = sbx_tsa_stamp(&token, o, ASN1_STRING_get0_data(sig),
	    (size_t)ASN1_STRING_length(sig), err);
	if (rc == SBX_OK && CMS_unsigned_add1_attr_by_NID(si,
	    NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE, token.p,
	    (int)token.len) != 1)
		rc = sbx_err_ssl(err, SBX_ENOMEM, "cannot add the timestamp");
	sbx_buf_free(&token);
	return rc;
}

/* The one token of the SignerInfo, as DER. */
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

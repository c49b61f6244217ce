/* lib/tsa_stamp.c: asking a time-stamp authority for an RFC 3161 token. */
/* SPDX-License-Identifier: ISC */
/*
 * Apart from lib/tsa.c (checking tokens) so that what only verifies,
 * such as the guard (docs/guard.md), does not load libcurl.
 */
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

#include "tsa_int.h"

#define TSA_TIMEOUT_MS	30000L
#define TSA_REPLY_MAX	(1 << 20)	/* bytes */

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
	    (rc = sbx_tsa__gen_time(&when, TS_RESP_get_token(resp), err)) !=
	    SBX_OK)
		goto done;
	if ((ctx = TS_REQ_to_TS_VERIFY_CTX(req, NULL)) == NULL) {
		rc = sbx_err_ssl(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	rc = sbx_tsa__verify_token(&signer, ctx, TS_RESP_get_token(resp),
	    when, err);
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

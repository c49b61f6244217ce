/* tests/unit/check_tsa.c: RFC 3161 tokens asked for, checked and trusted. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include <sbx/key.h>
#include <sbx/keyring.h>
#include <sbx/tsa.h>

#ifndef SBX_TEST_DATA
#define SBX_TEST_DATA "tests/data"
#endif
#define KEYS SBX_TEST_DATA "/keys"
#define DAY 86400

static const char data[] = "the signature value a TSA stamps";

/* ---- keys and certificates made for each test ---- */

static EVP_PKEY *
read_key(const char *name)
{
	char p[256];
	EVP_PKEY *k;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s.key", KEYS, name);
	ck_assert_ptr_nonnull(f = fopen(p, "r"));
	ck_assert_ptr_nonnull(k = PEM_read_PrivateKey(f, NULL, NULL, NULL));
	fclose(f);
	return k;
}

static X509 *
read_cert(const char *name)
{
	char p[256];
	X509 *x = NULL;

	snprintf(p, sizeof(p), "%s/%s.crt", KEYS, name);
	ck_assert_int_eq(sbx_cert_load(&x, p, NULL), SBX_OK);
	return x;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ck_assert_ptr_nonnull(ext = X509V3_EXT_conf_nid(NULL, &ctx, nid,
	    value));
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/*
 * A certificate for key, issued by issuer (NULL: self-signed), valid
 * from nb to na, with extended key usage eku (NULL: none).
 */
static X509 *
make_cert(EVP_PKEY *key, EVP_PKEY *ikey, X509 *issuer, const char *cn,
    const char *eku, int64_t nb, int64_t na)
{
	static long serial = 1000;
	X509 *x;

	ck_assert_ptr_nonnull(x = X509_new());
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : X509_get_subject_name(x));
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb);
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na);
	X509_set_pubkey(x, key);
	add_ext(x, issuer != NULL ? issuer : x, NID_key_usage,
	    "critical,digitalSignature");
	if (eku != NULL)
		add_ext(x, issuer != NULL ? issuer : x, NID_ext_key_usage,
		    eku);
	ck_assert_int_gt(X509_sign(x, ikey != NULL ? ikey : key,
	    EVP_sha256()), 0);
	return x;
}

/* An authority of the test's own: fixture dates are those of the run. */
static X509 *
make_ca(EVP_PKEY *key, int64_t nb, int64_t na)
{
	X509 *x;

	ck_assert_ptr_nonnull(x = X509_new());
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"sbx test TSA CA", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb);
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na);
	X509_set_pubkey(x, key);
	add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	return x;
}

/* ---- a TSA in the process, behind sbx_tsa_opts.post ---- */

struct mock {
	EVP_PKEY	*key;
	X509		*cert;
	long		 gen_time;
	int		 calls;
};

static struct mock tsa;
static int64_t now;

static void
setup(void)
{
	now = (int64_t)time(NULL);
	tsa.key = read_key("plain");
	tsa.cert = make_cert(tsa.key, NULL, NULL, "sbx test TSA",
	    "critical,timeStamping", now - 30 * DAY, now + 30 * DAY);
	tsa.gen_time = (long)(now - 3600);
	tsa.calls = 0;
}

static void
teardown(void)
{
	EVP_PKEY_free(tsa.key);
	X509_free(tsa.cert);
}

static int
time_cb(TS_RESP_CTX *ctx, void *arg, long *sec, long *usec)
{
	*sec = *(long *)arg;
	*usec = 0;
	return 1;
}

static TS_RESP *
answer(const void *query, size_t n)
{
	TS_RESP_CTX *ctx;
	TS_RESP *resp;
	ASN1_OBJECT *policy;
	BIO *in;

	ck_assert_ptr_nonnull(ctx = TS_RESP_CTX_new());
	ck_assert_ptr_nonnull(policy = OBJ_txt2obj("1.2.3.4.1", 1));
	TS_RESP_CTX_set_signer_cert(ctx, tsa.cert);
	TS_RESP_CTX_set_signer_key(ctx, tsa.key);
	TS_RESP_CTX_set_def_policy(ctx, policy);
	TS_RESP_CTX_add_md(ctx, EVP_sha256());
	TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha256());
	TS_RESP_CTX_set_time_cb(ctx, time_cb, &tsa.gen_time);
	in = BIO_new_mem_buf(query, (int)n);
	ck_assert_ptr_nonnull(resp = TS_RESP_create_response(ctx, in));
	BIO_free(in);
	ASN1_OBJECT_free(policy);
	TS_RESP_CTX_free(ctx);
	return resp;
}

/* A query of its own, as a TSA that mixes up its clients would answer. */
static TS_RESP *
answer_other(void)
{
	unsigned char md[32] = { 1, 2, 3 }, *der = NULL;
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *nonce = ASN1_INTEGER_new();
	TS_RESP *resp;
	int len;

	X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL);
	TS_MSG_IMPRINT_set_algo(mi, alg);
	TS_MSG_IMPRINT_set_msg(mi, md, sizeof(md));
	TS_REQ_set_version(req, 1);
	TS_REQ_set_msg_imprint(req, mi);
	ASN1_INTEGER_set(nonce, 42);
	TS_REQ_set_nonce(req, nonce);
	TS_REQ_set_cert_req(req, 1);
	ck_assert_int_gt(len = i2d_TS_REQ(req, &der), 0);
	resp = answer(der, (size_t)len);
	OPENSSL_free(der);
	TS_REQ_free(req);
	TS_MSG_IMPRINT_free(mi);
	X509_ALGOR_free(alg);
	ASN1_INTEGER_free(nonce);
	return resp;
}

static TS_RESP *
refusal(void)
{
	TS_RESP *resp = TS_RESP_new();
	TS_STATUS_INFO *si = TS_STATUS_INFO_new();

	TS_STATUS_INFO_set_status(si, TS_STATUS_REJECTION);
	TS_RESP_set_status_info(resp, si);
	TS_STATUS_INFO_free(si);
	return resp;
}

static void
put_resp(struct sbx_buf *reply, TS_RESP *resp)
{
	unsigned char *der = NULL;
	int len;

	ck_assert_int_gt(len = i2d_TS_RESP(resp, &der), 0);
	ck_assert_int_eq(sbx_buf_add(reply, der, (size_t)len, NULL), SBX_OK);
	OPENSSL_free(der);
	TS_RESP_free(resp);
}

/* The URL says how this TSA behaves: mock:good, mock:down, ... */
static int
post(struct sbx_buf *reply, const char *url, const void *query, size_t n,
    void *arg, struct sbx_err *err)
{
	tsa.calls++;
	if (strcmp(url, "mock:down") == 0)
		return sbx_err_set(err, SBX_EIO, "%s: HTTP status 503", url);
	if (strcmp(url, "mock:garbage") == 0)
		return sbx_buf_puts(reply, "<html>busy</html>", err);
	if (strcmp(url, "mock:other") == 0)
		put_resp(reply, answer_other());
	else if (strcmp(url, "mock:refuse") == 0)
		put_resp(reply, refusal());
	else
		put_resp(reply, answer(query, n));
	return SBX_OK;
}

static int
stamp(struct sbx_buf *token, const char *const *urls, size_t n,
    struct sbx_err *err)
{
	struct sbx_tsa_opts o = { .urls = urls, .nurls = n, .post = post };

	return sbx_tsa_stamp(token, &o, data, strlen(data), err);
}

static void
good_token(struct sbx_buf *token)
{
	static const char *const urls[] = { "mock:good" };
	struct sbx_err err = { 0 };

	ck_assert_msg(stamp(token, urls, 1, &err) == SBX_OK, "%s", err.msg);
}

/* ---- asking ---- */

START_TEST(stamp_gives_a_token_that_checks_over_the_same_bytes)
{
	struct sbx_buf token = { 0 };
	struct sbx_tsa_token t;
	struct sbx_err err = { 0 };

	good_token(&token);
	ck_assert_int_eq(tsa.calls, 1);
	ck_assert_msg(sbx_tsa_check(&t, token.p, token.len, data,
	    strlen(data), &err) == SBX_OK, "%s", err.msg);
	ck_assert_int_eq(t.gen_time, tsa.gen_time);
	ck_assert_int_eq(X509_cmp(t.cert, tsa.cert), 0);
	ck_assert_int_ge(sk_X509_num(t.certs), 1);
	sbx_tsa_token_clear(&t);
	sbx_buf_free(&token);
}
END_TEST

START_TEST(token_over_other_bytes_is_refused)
{
	struct sbx_buf token = { 0 };
	struct sbx_tsa_token t;
	struct sbx_err err = { 0 };

	good_token(&token);
	ck_assert_int_eq(sbx_tsa_check(&t, token.p, token.len, "other", 5,
	    &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_BAD_SIGNATURE);
	ck_assert_str_eq(err.msg, "timestamp token: message imprint "
	    "mismatch");
	ck_assert_ptr_null(t.cert);
	sbx_buf_free(&token);
}
END_TEST

START_TEST(tampered_token_is_refused)
{
	struct sbx_buf token = { 0 };
	struct sbx_tsa_token t;
	struct sbx_err err = { 0 };

	good_token(&token);
	token.p[token.len - 1] ^= 1;	/* the signature's last byte */
	ck_assert_int_eq(sbx_tsa_check(&t, token.p, token.len, data,
	    strlen(data), &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_BAD_SIGNATURE);
	ck_assert_str_eq(err.msg, "timestamp token: signature failure");
	token.len -= 1;
	ck_assert_int_eq(sbx_tsa_check(&t, token.p, token.len, data,
	    strlen(data), &err), SBX_EREJECT);
	ck_assert_str_eq(err.msg, "timestamp token: not a DER SignedData");
	sbx_buf_free(&token);
}
END_TEST

START_TEST(reply_to_another_query_is_refused)
{
	static const char *const urls[] = { "mock:other" };
	struct sbx_buf token = { 0 };
	struct sbx_err err = { 0 };

	ck_assert_int_eq(stamp(&token, urls, 1, &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_BAD_SIGNATURE);
	ck_assert_str_eq(err.msg, "mock:other: timestamp token: message "
	    "imprint mismatch");
	ck_assert_uint_eq(token.len, 0);
}
END_TEST

START_TEST(refusal_and_garbage_are_refused)
{
	static const char *const refuse[] = { "mock:refuse" };
	static const char *const garbage[] = { "mock:garbage" };
	struct sbx_buf token = { 0 };
	struct sbx_err err = { 0 };

	ck_assert_int_eq(stamp(&token, refuse, 1, &err), SBX_EREJECT);
	ck_assert_str_eq(err.msg, "mock:refuse: the TSA refused the request "
	    "(PKIStatus 2)");
	ck_assert_int_eq(stamp(&token, garbage, 1, &err), SBX_EREJECT);
	ck_assert_str_eq(err.msg, "mock:garbage: not a time-stamp reply");
	ck_assert_uint_eq(token.len, 0);
}
END_TEST

START_TEST(next_tsa_answers_when_one_is_down_or_wrong)
{
	static const char *const urls[] = { "mock:down", "mock:other",
	    "mock:good" };
	struct sbx_buf token = { 0 };
	struct sbx_err err = { 0 };

	ck_assert_msg(stamp(&token, urls, 3, &err) == SBX_OK, "%s", err.msg);
	ck_assert_int_eq(tsa.calls, 3);
	ck_assert_uint_gt(token.len, 0);
	sbx_buf_free(&token);
}
END_TEST

START_TEST(all_tsas_down_is_an_io_error)
{
	static const char *const urls[] = { "mock:down", "mock:down" };
	struct sbx_buf token = { 0 };
	struct sbx_err err = { 0 };

	ck_assert_int_eq(stamp(&token, urls, 2, &err), SBX_EIO);
	ck_assert_str_eq(err.msg, "mock:down: HTTP status 503");
	ck_assert_int_eq(tsa.calls, 2);
	ck_assert_int_eq(stamp(&token, urls, 0, &err), SBX_ECONFIG);
}
END_TEST

/* RFC 3161 2.3, with a reason per row. */
static const struct {
	const char	*eku;
	const char	*fault;
	const char	*why;
} ekus[] = {
	{ "critical,timeStamping", NULL, "as the RFC asks" },
	{ NULL, "has no extended key usage timeStamping", "no EKU" },
	{ "timeStamping", "has a timeStamping extended key usage that is not "
	    "critical", "not critical" },
	{ "critical,codeSigning", "has an extended key usage other than "
	    "timeStamping alone", "a code signer is no TSA" },
	{ "critical,timeStamping,codeSigning", "has an extended key usage "
	    "other than timeStamping alone", "timeStamping must be alone" },
};

/*
 * OpenSSL's TSA will not sign with an unfit certificate, so the token
 * is re-signed here: the TSTInfo of a good token, signed by cert.
 */
static void
resign(struct sbx_buf *token, X509 *cert)
{
	const int flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
	const unsigned char *p = token->p;
	ASN1_OCTET_STRING **content;
	CMS_ContentInfo *good, *cms;
	unsigned char *der = NULL;
	BIO *in;
	int len;

	ck_assert_ptr_nonnull(good = d2i_CMS_ContentInfo(NULL, &p,
	    (long)token->len));
	content = CMS_get0_content(good);
	in = BIO_new_mem_buf(ASN1_STRING_get0_data(*content),
	    ASN1_STRING_length(*content));
	ck_assert_ptr_nonnull(cms = CMS_sign(cert, tsa.key, NULL, NULL,
	    flags));
	ck_assert_int_eq(CMS_set1_eContentType(cms,
	    OBJ_nid2obj(NID_id_smime_ct_TSTInfo)), 1);
	ck_assert_int_eq(CMS_final(cms, in, NULL, flags), 1);
	ck_assert_int_gt(len = i2d_CMS_ContentInfo(cms, &der), 0);
	token->len = 0;
	ck_assert_int_eq(sbx_buf_add(token, der, (size_t)len, NULL), SBX_OK);
	OPENSSL_free(der);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	CMS_ContentInfo_free(good);
}

START_TEST(tsa_certificate_needs_critical_timestamping_alone)
{
	struct sbx_buf token = { 0 };
	struct sbx_tsa_token t;
	struct sbx_err err = { 0 };
	char want[200];
	X509 *cert;
	int rc;

	cert = make_cert(tsa.key, NULL, NULL, "sbx test TSA", ekus[_i].eku,
	    now - DAY, now + DAY);
	good_token(&token);
	resign(&token, cert);
	rc = sbx_tsa_check(&t, token.p, token.len, data, strlen(data), &err);
	if (ekus[_i].fault == NULL) {
		ck_assert_ptr_null(sbx_tsa_cert_fault(cert));
		/* Re-signed without the ESS binding: OpenSSL says so. */
		ck_assert_int_eq(rc, SBX_EREJECT);
		ck_assert_str_eq(err.msg, "timestamp token: missing signing "
		    "certificate attribute");
	} else {
		ck_assert_int_eq(rc, SBX_EREJECT);
		ck_assert_int_eq(err.violation, SBX_V_BAD_SIGNATURE);
		snprintf(want, sizeof(want), "timestamp token: the TSA's "
		    "certificate %s", ekus[_i].fault);
		ck_assert_msg(strcmp(err.msg, want) == 0, "%s: %s",
		    ekus[_i].why, err.msg);
		ck_assert_str_eq(sbx_tsa_cert_fault(cert), ekus[_i].fault);
	}
	X509_free(cert);
	sbx_buf_free(&token);
}
END_TEST

START_TEST(gen_time_in_the_future_is_refused)
{
	static const char *const urls[] = { "mock:good" };
	struct sbx_buf token = { 0 };
	struct sbx_err err = { 0 };

	tsa.gen_time = (long)(now + 3600);
	ck_assert_int_eq(stamp(&token, urls, 1, &err), SBX_EREJECT);
	ck_assert_str_eq(err.msg, "timestamp token: genTime is in the "
	    "future");
}
END_TEST

/* jarsigner's rule too: what matters is validity at the stamped time. */
START_TEST(tsa_certificate_is_judged_at_gen_time)
{
	struct sbx_buf token = { 0 };
	struct sbx_tsa_token t;
	struct sbx_err err = { 0 };

	X509_free(tsa.cert);
	tsa.cert = make_cert(tsa.key, NULL, NULL, "sbx old TSA",
	    "critical,timeStamping", now - 10 * DAY, now - 5 * DAY);
	tsa.gen_time = (long)(now - 7 * DAY);
	good_token(&token);
	ck_assert_msg(sbx_tsa_check(&t, token.p, token.len, data,
	    strlen(data), &err) == SBX_OK, "%s", err.msg);
	sbx_tsa_token_clear(&t);
	sbx_buf_free(&token);

	tsa.gen_time = (long)(now - 11 * DAY);
	ck_assert_int_eq(stamp(&token, (const char *const[]){ "mock:good" },
	    1, &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_BAD_SIGNATURE);
	ck_assert_ptr_nonnull(strstr(err.msg, "timestamp token: "));
}
END_TEST

/* ---- in a SignerInfo, judged by the keyring ---- */

static CMS_ContentInfo *
signed_cms(void)
{
	const int flags = CMS_BINARY | CMS_DETACHED;
	EVP_PKEY *key = read_key("leaf");
	X509 *cert = read_cert("leaf");
	CMS_ContentInfo *cms;
	BIO *in = BIO_new_mem_buf(data, (int)strlen(data));

	ck_assert_ptr_nonnull(cms = CMS_sign(cert, key, NULL, in, flags));
	BIO_free(in);
	X509_free(cert);
	EVP_PKEY_free(key);
	return cms;
}

static CMS_SignerInfo *
first_signer(CMS_ContentInfo *cms)
{
	return sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
}

/* Stamp, encode, decode: the token must survive the round trip. */
static CMS_ContentInfo *
stamped_cms(void)
{
	static const char *const urls[] = { "mock:good" };
	struct sbx_tsa_opts o = { .urls = urls, .nurls = 1, .post = post };
	struct sbx_err err = { 0 };
	CMS_ContentInfo *cms = signed_cms(), *again;
	unsigned char *der = NULL;
	const unsigned char *p;
	int len;

	ck_assert_msg(sbx_tsa_stamp_signer(first_signer(cms), &o, &err) ==
	    SBX_OK, "%s", err.msg);
	ck_assert_int_gt(len = i2d_CMS_ContentInfo(cms, &der), 0);
	p = der;
	ck_assert_ptr_nonnull(again = d2i_CMS_ContentInfo(NULL, &p, len));
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	return again;
}

static struct sbx_keyring *
keyring_with(X509 *cert, const char *name, unsigned roles)
{
	struct sbx_keyring *kr = NULL;
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_keyring_new(&kr, NULL), SBX_OK);
	if (cert != NULL)
		ck_assert_msg(sbx_keyring_add_cert(kr, cert, name, roles,
		    &err) == SBX_OK, "%s", err.msg);
	return kr;
}

START_TEST(trusted_tsa_gives_the_signing_time)
{
	CMS_ContentInfo *cms = stamped_cms();
	struct sbx_keyring *kr = keyring_with(tsa.cert, "tsa", SBX_ROLE_TSA);
	struct sbx_err err = { 0 };
	int64_t when = 7;

	ck_assert_msg(sbx_tsa_signer_time(&when, first_signer(cms), kr,
	    &err) == SBX_OK, "%s", err.msg);
	ck_assert_int_eq(when, tsa.gen_time);
	sbx_keyring_free(kr);
	CMS_ContentInfo_free(cms);
}
END_TEST

START_TEST(unknown_revoked_or_unfit_tsa_gives_no_time)
{
	CMS_ContentInfo *cms = stamped_cms();
	struct sbx_keyring *kr = keyring_with(NULL, NULL, 0);
	struct sbx_err err = { 0 };
	char keyid[SBX_KEYID_LEN + 1];
	int64_t when = 7;

	ck_assert_int_eq(sbx_keyid(keyid, tsa.key, NULL), SBX_OK);
	ck_assert_int_eq(sbx_tsa_signer_time(&when, first_signer(cms), kr,
	    &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_UNTRUSTED_KEY);
	ck_assert_ptr_nonnull(strstr(err.msg, keyid));
	ck_assert_int_eq(when, 7);
	sbx_keyring_free(kr);

	/* A key trusted for JARs is not thereby a trusted clock. */
	kr = keyring_with(tsa.cert, "tsa", SBX_ROLE_PROVENANCE);
	ck_assert_int_eq(sbx_tsa_signer_time(&when, first_signer(cms), kr,
	    &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_UNTRUSTED_KEY);
	ck_assert_ptr_nonnull(strstr(err.msg, "may not sign for role tsa"));
	sbx_keyring_free(kr);

	kr = keyring_with(tsa.cert, "tsa", SBX_ROLE_TSA);
	ck_assert_int_eq(sbx_keyring_revoke(kr, "tsa", now, "clock off",
	    NULL), SBX_OK);
	ck_assert_int_eq(sbx_tsa_signer_time(&when, first_signer(cms), kr,
	    &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_REVOKED_KEY);
	ck_assert_int_eq(when, 7);
	sbx_keyring_free(kr);
	CMS_ContentInfo_free(cms);
}
END_TEST

START_TEST(retired_tsa_vouches_only_for_times_before_retirement)
{
	CMS_ContentInfo *cms = stamped_cms();
	struct sbx_keyring *kr = keyring_with(tsa.cert, "tsa", SBX_ROLE_TSA);
	struct sbx_err err = { 0 };
	int64_t when = 7;

	ck_assert_int_eq(sbx_keyring_retire(kr, "tsa", tsa.gen_time + 60,
	    NULL), SBX_OK);
	ck_assert_int_eq(sbx_tsa_signer_time(&when, first_signer(cms), kr,
	    &err), SBX_OK);
	sbx_keyring_free(kr);

	kr = keyring_with(tsa.cert, "tsa", SBX_ROLE_TSA);
	ck_assert_int_eq(sbx_keyring_retire(kr, "tsa", tsa.gen_time - 60,
	    NULL), SBX_OK);
	ck_assert_int_eq(sbx_tsa_signer_time(&when, first_signer(cms), kr,
	    &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_EXPIRED_KEY);
	sbx_keyring_free(kr);
	CMS_ContentInfo_free(cms);
}
END_TEST

START_TEST(tsa_certified_by_a_keyring_authority_is_trusted)
{
	EVP_PKEY *ca_key = read_key("ca");
	X509 *ca = make_ca(ca_key, now - 30 * DAY, now + 30 * DAY);
	CMS_ContentInfo *cms;
	struct sbx_keyring *kr;
	struct sbx_err err = { 0 };
	int64_t when = 7;

	X509_free(tsa.cert);
	tsa.cert = make_cert(tsa.key, ca_key, ca, "sbx CA-issued TSA",
	    "critical,timeStamping", now - DAY, now + DAY);
	cms = stamped_cms();

	kr = keyring_with(ca, "ca", SBX_ROLE_CA | SBX_ROLE_TSA);
	ck_assert_msg(sbx_tsa_signer_time(&when, first_signer(cms), kr,
	    &err) == SBX_OK, "%s", err.msg);
	ck_assert_int_eq(when, tsa.gen_time);
	sbx_keyring_free(kr);

	/* The authority vouches for JAR signers only: not for clocks. */
	kr = keyring_with(ca, "ca", SBX_ROLE_CA | SBX_ROLE_JAR);
	ck_assert_int_eq(sbx_tsa_signer_time(&when, first_signer(cms), kr,
	    &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_UNTRUSTED_KEY);
	sbx_keyring_free(kr);

	CMS_ContentInfo_free(cms);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
}
END_TEST

START_TEST(signer_without_timestamp_gives_no_time)
{
	CMS_ContentInfo *cms = signed_cms();
	struct sbx_keyring *kr = keyring_with(tsa.cert, "tsa", SBX_ROLE_TSA);
	struct sbx_err err = { 0 };
	int64_t when = 7;

	ck_assert_int_eq(sbx_tsa_signer_time(&when, first_signer(cms), kr,
	    &err), SBX_EREJECT);
	ck_assert_str_eq(err.msg, "no timestamp");
	ck_assert_int_eq(when, 7);
	sbx_keyring_free(kr);
	CMS_ContentInfo_free(cms);
}
END_TEST

/* A token moved onto another signature stamps nothing there. */
START_TEST(token_moved_to_another_signature_gives_no_time)
{
	CMS_ContentInfo *cms = stamped_cms(), *other = signed_cms();
	struct sbx_keyring *kr = keyring_with(tsa.cert, "tsa", SBX_ROLE_TSA);
	CMS_SignerInfo *si = first_signer(cms);
	X509_ATTRIBUTE *attr;
	struct sbx_err err = { 0 };
	int64_t when = 7;

	/* A second SignerInfo over other bytes: CMS_sign with fresh data. */
	attr = CMS_unsigned_get_attr(si, CMS_unsigned_get_attr_by_NID(si,
	    NID_id_smime_aa_timeStampToken, -1));
	ck_assert_int_eq(CMS_unsigned_add1_attr(first_signer(other), attr),
	    1);
	ASN1_STRING_set(CMS_SignerInfo_get0_signature(first_signer(other)),
	    "not the stamped value", 21);
	ck_assert_int_eq(sbx_tsa_signer_time(&when, first_signer(other), kr,
	    &err), SBX_EREJECT);
	ck_assert_str_eq(err.msg, "timestamp token: message imprint "
	    "mismatch");
	ck_assert_int_eq(when, 7);
	sbx_keyring_free(kr);
	CMS_ContentInfo_free(cms);
	CMS_ContentInfo_free(other);
}
END_TEST

START_TEST(keyring_takes_only_fit_tsa_certificates)
{
	struct sbx_keyring *kr = keyring_with(NULL, NULL, 0);
	struct sbx_err err = { 0 };
	X509 *code = make_cert(tsa.key, NULL, NULL, "code signer",
	    "critical,codeSigning", now - DAY, now + DAY);

	ck_assert_int_eq(sbx_keyring_add_cert(kr, code, "code", SBX_ROLE_TSA,
	    &err), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "has an extended key usage "
	    "other than timeStamping alone"));
	ck_assert_int_eq(sbx_keyring_add_cert(kr, tsa.cert, "tsa",
	    SBX_ROLE_TSA, &err), SBX_OK);
	X509_free(code);
	sbx_keyring_free(kr);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("tsa");
	TCase *tc = tcase_create("tsa");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, stamp_gives_a_token_that_checks_over_the_same_bytes);
	tcase_add_test(tc, token_over_other_bytes_is_refused);
	tcase_add_test(tc, tampered_token_is_refused);
	tcase_add_test(tc, reply_to_another_query_is_refused);
	tcase_add_test(tc, refusal_and_garbage_are_refused);
	tcase_add_test(tc, next_tsa_answers_when_one_is_down_or_wrong);
	tcase_add_test(tc, all_tsas_down_is_an_io_error);
	tcase_add_loop_test(tc,
	    tsa_certificate_needs_critical_timestamping_alone, 0,
	    (int)(sizeof(ekus) / sizeof(ekus[0])));
	tcase_add_test(tc, gen_time_in_the_future_is_refused);
	tcase_add_test(tc, tsa_certificate_is_judged_at_gen_time);
	tcase_add_test(tc, trusted_tsa_gives_the_signing_time);
	tcase_add_test(tc, unknown_revoked_or_unfit_tsa_gives_no_time);
	tcase_add_test(tc,
	    retired_tsa_vouches_only_for_times_before_retirement);
	tcase_add_test(tc, tsa_certified_by_a_keyring_authority_is_trusted);
	tcase_add_test(tc, signer_without_timestamp_gives_no_time);
	tcase_add_test(tc, token_moved_to_another_signature_gives_no_time);
	tcase_add_test(tc, keyring_takes_only_fit_tsa_certificates);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* tests/unit/check_dsse.c: DSSE: PAE, signing, strict parsing, verifying. */
/* SPDX-License-Identifier: ISC */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include <sbx/dsse.h>
#include <sbx/keyring.h>
#include <sbx/policy.h>

#ifndef SBX_TEST_DATA
#define SBX_TEST_DATA "tests/data"
#endif
#define KEYS SBX_TEST_DATA "/keys"
#define STORE_PASS "keytool-store-pass"
#define PT SBX_DSSE_PAYLOAD_TYPE

static const char statement[] = "{\"_type\":\"https://in-toto.io/"
    "Statement/v1\"}";

/* keytool.p12: RSA-4096 with a certificate; plain.key: RSA-2048. */
static struct sbx_key *big, *small;

static void
load_keys(void)
{
	struct sbx_secret *pass = NULL;
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_secret_from(&pass, STORE_PASS,
	    strlen(STORE_PASS), NULL), SBX_OK);
	ck_assert_msg(sbx_key_load(&big, "pkcs12:" KEYS "/keytool.p12", NULL,
	    pass, &err) == SBX_OK, "%s", err.msg);
	sbx_secret_free(pass);
	ck_assert_msg(sbx_key_load(&small, KEYS "/plain.key", NULL, NULL,
	    &err) == SBX_OK, "%s", err.msg);
	ck_assert_msg(sbx_key_set_cert_file(small, KEYS "/plain.crt", &err) ==
	    SBX_OK, "%s", err.msg);
}

static void
free_keys(void)
{
	sbx_key_free(big);
	sbx_key_free(small);
	big = small = NULL;
}

/* A keyring trusting key under name for roles. */
static struct sbx_keyring *
ring(struct sbx_key *key, const char *name, unsigned roles)
{
	struct sbx_keyring *kr = NULL;
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_keyring_new(&kr, &err), SBX_OK);
	if (key != NULL)
		ck_assert_msg(sbx_keyring_add_cert(kr, sbx_key_cert(key), name,
		    roles, &err) == SBX_OK, "%s", err.msg);
	return kr;
}

static struct sbx_policy *
policy(const char *json)
{
	struct sbx_policy *p = NULL;
	struct sbx_err err = { 0 };

	ck_assert_msg(sbx_policy_parse_mem(&p, json, strlen(json),
	    "test-policy.json", "/tmp", &err) == SBX_OK, "%s", err.msg);
	return p;
}

static struct sbx_dsse *
signed_env(struct sbx_key *key, enum sbx_padding pad)
{
	struct sbx_dsse *env = NULL;
	struct sbx_err err = { 0 };

	ck_assert_msg(sbx_dsse_sign(&env, key, pad, PT, statement,
	    strlen(statement), &err) == SBX_OK, "%s", err.msg);
	return env;
}

/* The envelope's text, as a .intoto.jsonl line, into a static buffer. */
static const char *
text_of(const struct sbx_dsse *env)
{
	static char out[8192];
	struct sbx_buf b = { 0 };

	ck_assert_int_eq(sbx_dsse_write(&b, env, NULL), SBX_OK);
	ck_assert_uint_lt(b.len, sizeof(out));
	memcpy(out, b.p, b.len);
	out[b.len] = '\0';
	sbx_buf_free(&b);
	return out;
}

START_TEST(pae_matches_the_dsse_specification_vector)
{
	static const char want[] =
	    "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
	struct sbx_buf b = { 0 };

	ck_assert_int_eq(sbx_dsse_pae(&b, "http://example.com/HelloWorld",
	    "hello world", 11, NULL), SBX_OK);
	ck_assert_uint_eq(b.len, strlen(want));
	ck_assert(memcmp(b.p, want, b.len) == 0);
	sbx_buf_free(&b);
}
END_TEST

START_TEST(pae_counts_bytes_not_characters_and_allows_empty_payload)
{
	static const char want[] = "DSSEv1 28 application/vnd.in-toto+json 0 ";
	static const char utf8[] = "\xc3\xa9";	/* one character, two bytes */
	struct sbx_buf b = { 0 };

	ck_assert_int_eq(sbx_dsse_pae(&b, PT, "", 0, NULL), SBX_OK);
	ck_assert_uint_eq(b.len, strlen(want));
	ck_assert(memcmp(b.p, want, b.len) == 0);
	sbx_buf_free(&b);

	ck_assert_int_eq(sbx_dsse_pae(&b, "t", utf8, 2, NULL), SBX_OK);
	ck_assert(memcmp(b.p, "DSSEv1 1 t 2 \xc3\xa9", b.len) == 0);
	sbx_buf_free(&b);
}
END_TEST

START_TEST(signed_envelope_round_trips_through_text)
{
	struct sbx_dsse *env, *back = NULL;
	struct sbx_err err = { 0 };
	const char *text;

	load_keys();
	env = signed_env(big, SBX_PAD_PSS);
	text = text_of(env);
	ck_assert_ptr_nonnull(strstr(text, "\"payloadType\":\"" PT "\""));
	ck_assert_int_eq(text[strlen(text) - 1], '\n');
	ck_assert_ptr_null(strchr(text, ' '));

	ck_assert_msg(sbx_dsse_parse(&back, text, strlen(text), "e.jsonl",
	    &err) == SBX_OK, "%s", err.msg);
	ck_assert_str_eq(back->payload_type, PT);
	ck_assert_uint_eq(back->payload.len, strlen(statement));
	ck_assert(memcmp(back->payload.p, statement, back->payload.len) == 0);
	ck_assert_uint_eq(back->nsigs, 1);
	ck_assert_str_eq(back->sigs[0].keyid, sbx_key_id(big));
	ck_assert_uint_eq(back->sigs[0].sig_len, 512);
	ck_assert(memcmp(back->sigs[0].sig, env->sigs[0].sig, 512) == 0);
	sbx_dsse_free(back);
	sbx_dsse_free(env);
	free_keys();
}
END_TEST

/* Accepts both schemes, and says which one and which key verified. */
START_TEST(verify_accepts_pss_and_pkcs1_by_a_provenance_key)
{
	static const enum sbx_padding pads[] = { SBX_PAD_PSS, SBX_PAD_PKCS1 };
	struct sbx_dsse_signer s;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr;
	struct sbx_dsse *env;
	size_t i;

	load_keys();
	kr = ring(big, "release", SBX_ROLE_PROVENANCE);
	for (i = 0; i < 2; i++) {
		env = signed_env(big, pads[i]);
		ck_assert_msg(sbx_dsse_verify(&s, env, kr, NULL, time(NULL),
		    "e.jsonl", &err) == SBX_OK, "%s", err.msg);
		ck_assert_int_eq(s.pad, pads[i]);
		ck_assert_str_eq(s.key->name, "release");
		ck_assert_uint_eq(s.index, 0);
		sbx_dsse_free(env);
	}
	ck_assert_str_eq(sbx_dsse_scheme_name(SBX_PAD_PSS),
	    "rsassa-pss-sha256");
	ck_assert_str_eq(sbx_dsse_scheme_name(SBX_PAD_PKCS1),
	    "rsa-pkcs1v15-sha256");
	sbx_keyring_free(kr);
	free_keys();
}
END_TEST

/* keyid is a hint: a wrong or empty one does not stop verification. */
START_TEST(verify_ignores_a_wrong_keyid_hint)
{
	struct sbx_dsse_signer s;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr;
	struct sbx_dsse *env;

	load_keys();
	kr = ring(big, "release", SBX_ROLE_PROVENANCE);
	env = signed_env(big, SBX_PAD_PSS);
	free(env->sigs[0].keyid);
	env->sigs[0].keyid = strdup("not-an-sbx-key-id");
	ck_assert_msg(sbx_dsse_verify(&s, env, kr, NULL, time(NULL), "e",
	    &err) == SBX_OK, "%s", err.msg);
	ck_assert_str_eq(s.key->id, sbx_key_id(big));
	sbx_dsse_free(env);
	sbx_keyring_free(kr);
	free_keys();
}
END_TEST

START_TEST(verify_rejects_signature_by_unknown_key)
{
	struct sbx_dsse_signer s;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr;
	struct sbx_dsse *env;

	load_keys();
	kr = ring(small, "other", SBX_ROLE_PROVENANCE);
	env = signed_env(big, SBX_PAD_PSS);
	ck_assert_int_eq(sbx_dsse_verify(&s, env, kr, NULL, time(NULL),
	    "a.jar.intoto.jsonl", &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_UNTRUSTED_KEY);
	ck_assert_ptr_nonnull(strstr(err.msg,
	    "a.jar.intoto.jsonl: signature by unknown key"));
	ck_assert_ptr_null(s.key);
	sbx_dsse_free(env);
	sbx_keyring_free(kr);
	free_keys();
}
END_TEST

START_TEST(verify_rejects_changed_payload_as_bad_signature)
{
	struct sbx_dsse_signer s;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr;
	struct sbx_dsse *env;

	load_keys();
	kr = ring(big, "release", SBX_ROLE_PROVENANCE);
	env = signed_env(big, SBX_PAD_PSS);
	env->payload.p[2] ^= 1;
	ck_assert_int_eq(sbx_dsse_verify(&s, env, kr, NULL, time(NULL), "e",
	    &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_BAD_SIGNATURE);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not verify with key"));
	sbx_dsse_free(env);
	sbx_keyring_free(kr);
	free_keys();
}
END_TEST

/* The payload type is signed too: changing it breaks the signature. */
START_TEST(verify_rejects_changed_payload_type)
{
	struct sbx_dsse_signer s;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr;
	struct sbx_dsse *env;

	load_keys();
	kr = ring(big, "release", SBX_ROLE_PROVENANCE);
	env = signed_env(big, SBX_PAD_PSS);
	free(env->payload_type);
	env->payload_type = strdup("application/vnd.in-toto+jsoN");
	ck_assert_int_eq(sbx_dsse_verify(&s, env, kr, NULL, time(NULL), "e",
	    &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_BAD_SIGNATURE);
	sbx_dsse_free(env);
	sbx_keyring_free(kr);
	free_keys();
}
END_TEST

START_TEST(verify_rejects_key_without_provenance_role)
{
	struct sbx_dsse_signer s;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr;
	struct sbx_dsse *env;

	load_keys();
	kr = ring(big, "jar-only", SBX_ROLE_JAR);
	env = signed_env(big, SBX_PAD_PSS);
	ck_assert_int_eq(sbx_dsse_verify(&s, env, kr, NULL, time(NULL), "e",
	    &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_UNTRUSTED_KEY);
	ck_assert_ptr_nonnull(strstr(err.msg, "jar-only"));
	ck_assert_ptr_null(strstr(err.msg, "unknown key"));
	sbx_dsse_free(env);
	sbx_keyring_free(kr);
	free_keys();
}
END_TEST

/* Trust is judged now: a retired or revoked key signs nothing more. */
START_TEST(verify_rejects_revoked_and_retired_keys)
{
	struct sbx_dsse_signer s;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr;
	struct sbx_dsse *env;
	int64_t now = (int64_t)time(NULL), nb;

	load_keys();
	env = signed_env(big, SBX_PAD_PSS);
	kr = ring(big, "release", SBX_ROLE_PROVENANCE);
	ck_assert_int_eq(sbx_keyring_revoke(kr, "release", now - 60,
	    "key leaked", &err), SBX_OK);
	ck_assert_int_eq(sbx_dsse_verify(&s, env, kr, NULL, now, "e", &err),
	    SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_REVOKED_KEY);
	ck_assert_ptr_nonnull(strstr(err.msg, "e: "));
	sbx_keyring_free(kr);

	/* Retired ten seconds into its life: valid before, not after. */
	kr = ring(big, "release", SBX_ROLE_PROVENANCE);
	nb = sbx_keyring_find(kr, "release")->not_before;
	ck_assert_int_lt(nb + 10, now);
	ck_assert_int_eq(sbx_keyring_retire(kr, "release", nb + 10, &err),
	    SBX_OK);
	ck_assert_int_eq(sbx_dsse_verify(&s, env, kr, NULL, now, "e", &err),
	    SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_EXPIRED_KEY);
	ck_assert_msg(sbx_dsse_verify(&s, env, kr, NULL, nb + 5, "e",
	    &err) == SBX_OK, "%s", err.msg);
	sbx_keyring_free(kr);
	sbx_dsse_free(env);
	free_keys();
}
END_TEST

START_TEST(verify_applies_policy_scheme_and_key_size)
{
	struct sbx_dsse_signer s;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr, *kr_small;
	struct sbx_policy *pkcs1_only, *dflt;
	struct sbx_dsse *pss, *pkcs1, *weak;

	load_keys();
	kr = ring(big, "release", SBX_ROLE_PROVENANCE);
	kr_small = ring(small, "small", SBX_ROLE_PROVENANCE);
	pkcs1_only = policy("{\"keyring\": \"k.json\", "
	    "\"signature_algorithms\": [\"rsa-pkcs1\"]}");
	dflt = policy("{\"keyring\": \"k.json\"}");
	pss = signed_env(big, SBX_PAD_PSS);
	pkcs1 = signed_env(big, SBX_PAD_PKCS1);
	weak = signed_env(small, SBX_PAD_PSS);

	ck_assert_int_eq(sbx_dsse_verify(&s, pss, kr, pkcs1_only, time(NULL),
	    "e", &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_WEAK_ALGORITHM);
	ck_assert_ptr_nonnull(strstr(err.msg, "rsassa-pss-sha256 is not "
	    "allowed"));
	ck_assert_msg(sbx_dsse_verify(&s, pkcs1, kr, pkcs1_only, time(NULL),
	    "e", &err) == SBX_OK, "%s", err.msg);

	/* RSA-2048 under the default minimum of 4096 bits. */
	ck_assert_int_eq(sbx_dsse_verify(&s, weak, kr_small, dflt,
	    time(NULL), "e", &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_WEAK_ALGORITHM);
	ck_assert_ptr_nonnull(strstr(err.msg, "has 2048 bits"));
	ck_assert_msg(sbx_dsse_verify(&s, pss, kr, dflt, time(NULL), "e",
	    &err) == SBX_OK, "%s", err.msg);

	sbx_dsse_free(pss);
	sbx_dsse_free(pkcs1);
	sbx_dsse_free(weak);
	sbx_policy_free(pkcs1_only);
	sbx_policy_free(dflt);
	sbx_keyring_free(kr);
	sbx_keyring_free(kr_small);
	free_keys();
}
END_TEST

/* Of two signatures, the one by a trusted key is enough. */
START_TEST(verify_accepts_any_trusted_signature_of_several)
{
	struct sbx_dsse_signer s;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr;
	struct sbx_dsse *env, *other;

	load_keys();
	kr = ring(big, "release", SBX_ROLE_PROVENANCE);
	env = signed_env(small, SBX_PAD_PKCS1);
	other = signed_env(big, SBX_PAD_PSS);
	env->sigs = realloc(env->sigs, 2 * sizeof(*env->sigs));
	env->sigs[1] = other->sigs[0];
	env->nsigs = 2;
	other->nsigs = 0;
	ck_assert_msg(sbx_dsse_verify(&s, env, kr, NULL, time(NULL), "e",
	    &err) == SBX_OK, "%s", err.msg);
	ck_assert_uint_eq(s.index, 1);
	sbx_dsse_free(other);
	sbx_dsse_free(env);
	sbx_keyring_free(kr);
	free_keys();
}
END_TEST

/* What the parser refuses, and the words it uses. */
static const struct {
	const char	*text;
	const char	*says;
	const char	*why;
} refusals[] = {
	{ "", "malformed JSON", "empty file" },
	{ "{\"payload\":", "malformed JSON", "cut short" },
	{ "[]", "the envelope is not an object", "an array" },
	{ "{\"payload\":\"e30=\",\"payload\":\"e30=\",\"payloadType\":\""
	    PT "\",\"signatures\":[{\"sig\":\"AAAA\"}]}", "duplicate",
	    "a member twice" },
	{ "{\"payloadType\":\"" PT "\",\"signatures\":[{\"sig\":\"AAAA\"}]}",
	    "the envelope has no \"payload\"", "payload missing" },
	{ "{\"payload\":\"e30=\",\"signatures\":[{\"sig\":\"AAAA\"}]}",
	    "has no \"payloadType\"", "payloadType missing" },
	{ "{\"payload\":\"e30=\",\"payloadType\":\"" PT "\"}",
	    "has no \"signatures\"", "signatures missing" },
	{ "{\"payload\":\"e30=\",\"payloadType\":\"" PT "\",\"signatures\":"
	    "[{\"sig\":\"AAAA\"}],\"extra\":1}", "unknown member \"extra\"",
	    "a member sbx does not know" },
	{ "{\"payload\":\"e30=\",\"payloadType\":\"text/plain\","
	    "\"signatures\":[{\"sig\":\"AAAA\"}]}",
	    "payloadType is \"text/plain\"", "not in-toto" },
	{ "{\"payload\":\"e30=\",\"payloadType\":7,\"signatures\":"
	    "[{\"sig\":\"AAAA\"}]}", "payloadType is not a string",
	    "a number for a type" },
	{ "{\"payload\":\"e3!=\",\"payloadType\":\"" PT "\",\"signatures\":"
	    "[{\"sig\":\"AAAA\"}]}", "payload: bad base64", "a bad character" },
	{ "{\"payload\":\"ab+_\",\"payloadType\":\"" PT "\",\"signatures\":"
	    "[{\"sig\":\"AAAA\"}]}", "payload: bad base64", "two alphabets" },
	{ "{\"payload\":\"abcde\",\"payloadType\":\"" PT "\",\"signatures\":"
	    "[{\"sig\":\"AAAA\"}]}", "payload: bad base64", "5 characters" },
	{ "{\"payload\":\"e30\",\"payloadType\":\"" PT "\",\"signatures\":"
	    "[{\"sig\":\"AA=A\"}]}", "signatures[0].sig: bad base64",
	    "padding inside" },
	{ "{\"payload\":\"e30=\",\"payloadType\":\"" PT "\",\"signatures\":"
	    "[]}", "the envelope has no signature", "no signature" },
	{ "{\"payload\":\"e30=\",\"payloadType\":\"" PT "\",\"signatures\":"
	    "{}}", "signatures is not an array", "an object" },
	{ "{\"payload\":\"e30=\",\"payloadType\":\"" PT "\",\"signatures\":"
	    "[\"AAAA\"]}", "signatures[0] is not an object", "a bare string" },
	{ "{\"payload\":\"e30=\",\"payloadType\":\"" PT "\",\"signatures\":"
	    "[{\"keyid\":\"k\"}]}", "signatures[0] has no \"sig\"",
	    "sig missing" },
	{ "{\"payload\":\"e30=\",\"payloadType\":\"" PT "\",\"signatures\":"
	    "[{\"sig\":\"\"}]}", "signatures[0].sig is empty", "empty sig" },
	{ "{\"payload\":\"e30=\",\"payloadType\":\"" PT "\",\"signatures\":"
	    "[{\"sig\":\"AAAA\",\"cert\":\"x\"}]}",
	    "unknown member \"cert\" in signatures[0]", "unknown in a sig" },
	{ "{\"payload\":\"e30=\",\"payloadType\":\"" PT "\",\"signatures\":"
	    "[{\"sig\":\"AAAA\",\"keyid\":5}]}",
	    "signatures[0].keyid is not a string", "numeric keyid" },
	{ "{\"payload\":\"e30=\",\"payloadType\":\"" PT "\",\"signatures\":"
	    "[{\"sig\":\"AAAA\"}]}\n{\"payload\":\"e30=\"}",
	    "more than one JSON value", "two envelopes in one file" },
	{ "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.2+json\","
	    "\"verificationMaterial\":{},\"dsseEnvelope\":{}}",
	    "bundle mediaType", "an older bundle" },
	{ "{\"mediaType\":\"" SBX_BUNDLE_MEDIA_TYPE "\",\"verificationMaterial"
	    "\":{},\"messageSignature\":{}}", "unknown member "
	    "\"messageSignature\" in the bundle", "a bundle without DSSE" },
	{ "{\"mediaType\":\"" SBX_BUNDLE_MEDIA_TYPE "\",\"verificationMaterial"
	    "\":[],\"dsseEnvelope\":{}}", "verificationMaterial is not an "
	    "object", "material of the wrong type" },
};

START_TEST(parse_refuses_malformed_envelopes)
{
	struct sbx_dsse *env = (struct sbx_dsse *)1;
	struct sbx_err err = { 0 };
	const char *t = refusals[_i].text;

	ck_assert_msg(sbx_dsse_parse(&env, t, strlen(t), "p.intoto.jsonl",
	    &err) == SBX_EREJECT, "accepted: %s", refusals[_i].why);
	ck_assert_ptr_null(env);
	ck_assert_int_eq(err.violation, SBX_V_PROVENANCE_MISMATCH);
	ck_assert_msg(strncmp(err.msg, "p.intoto.jsonl: ", 16) == 0,
	    "%s: no file name in '%s'", refusals[_i].why, err.msg);
	ck_assert_msg(strstr(err.msg, refusals[_i].says) != NULL,
	    "%s: '%s' not in '%s'", refusals[_i].why, refusals[_i].says,
	    err.msg);
}
END_TEST

START_TEST(parse_refuses_too_many_signatures)
{
	struct sbx_dsse *env = NULL;
	struct sbx_err err = { 0 };
	struct sbx_buf b = { 0 };
	int i;

	sbx_buf_puts(&b, "{\"payload\":\"e30=\",\"payloadType\":\"" PT
	    "\",\"signatures\":[", NULL);
	for (i = 0; i <= SBX_DSSE_MAX_SIGS; i++)
		sbx_buf_puts(&b, i ? ",{\"sig\":\"AAAA\"}" :
		    "{\"sig\":\"AAAA\"}", NULL);
	sbx_buf_puts(&b, "]}", NULL);
	ck_assert_int_eq(sbx_dsse_parse(&env, b.p, b.len, "p", &err),
	    SBX_EREJECT);
	ck_assert_ptr_nonnull(strstr(err.msg, "more than 16 signatures"));
	sbx_buf_free(&b);
}
END_TEST

/* DSSE allows the URL-safe alphabet and unpadded text. */
START_TEST(parse_accepts_url_safe_unpadded_base64)
{
	static const char text[] = "{\"payload\":\"-_-_\",\"payloadType\":\""
	    PT "\",\"signatures\":[{\"sig\":\"AQ\"}]}\n";
	struct sbx_dsse *env = NULL;
	struct sbx_err err = { 0 };

	ck_assert_msg(sbx_dsse_parse(&env, text, strlen(text), "p", &err) ==
	    SBX_OK, "%s", err.msg);
	ck_assert_uint_eq(env->payload.len, 3);
	ck_assert(memcmp(env->payload.p, "\xfb\xff\xbf", 3) == 0);
	ck_assert_uint_eq(env->sigs[0].sig_len, 1);
	ck_assert_int_eq(env->sigs[0].sig[0], 1);
	ck_assert_str_eq(env->sigs[0].keyid, "");
	sbx_dsse_free(env);
}
END_TEST

START_TEST(parse_refuses_input_over_the_size_limit)
{
	struct sbx_dsse *env = NULL;
	struct sbx_err err = { 0 };
	size_t n = SBX_DSSE_MAX_SIZE + 1;
	char *big_text = malloc(n);

	memset(big_text, ' ', n);
	ck_assert_int_eq(sbx_dsse_parse(&env, big_text, n, "huge", &err),
	    SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_PROVENANCE_MISMATCH);
	ck_assert_ptr_nonnull(strstr(err.msg, "huge: larger than 16777216"));
	free(big_text);
}
END_TEST

/* A sparse 1 GiB file is refused by its size, not read. */
START_TEST(load_refuses_huge_file_before_reading)
{
	char path[] = "/tmp/sbx-dsse-huge.XXXXXX";
	struct sbx_dsse *env = NULL;
	struct sbx_err err = { 0 };
	int fd = mkstemp(path);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(ftruncate(fd, (off_t)1 << 30), 0);
	close(fd);
	ck_assert_int_eq(sbx_dsse_load(&env, path, &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_PROVENANCE_MISMATCH);
	ck_assert_ptr_nonnull(strstr(err.msg, "larger than"));
	unlink(path);

	ck_assert_int_eq(sbx_dsse_load(&env, "/nonexistent/x.intoto.jsonl",
	    &err), SBX_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/x.intoto.jsonl"));
}
END_TEST

/* A bundle written by sbx reads back and verifies. */
START_TEST(bundle_round_trips_and_verifies)
{
	struct sbx_dsse *env, *back = NULL;
	struct sbx_dsse_signer s;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr;
	struct sbx_buf b = { 0 };
	char hint[128];

	load_keys();
	kr = ring(big, "release", SBX_ROLE_PROVENANCE);
	env = signed_env(big, SBX_PAD_PKCS1);
	ck_assert_int_eq(sbx_bundle_write(&b, env, sbx_key_id(big), &err),
	    SBX_OK);
	sbx_buf_terminate(&b, NULL);
	ck_assert_ptr_nonnull(strstr((char *)b.p, "\"mediaType\":\""
	    SBX_BUNDLE_MEDIA_TYPE "\""));
	snprintf(hint, sizeof(hint), "\"publicKey\":{\"hint\":\"%s\"}",
	    sbx_key_id(big));
	ck_assert_ptr_nonnull(strstr((char *)b.p, hint));
	ck_assert_ptr_nonnull(strstr((char *)b.p, "\"tlogEntries\":[]"));

	ck_assert_msg(sbx_dsse_parse(&back, b.p, b.len, "b.sigstore.json",
	    &err) == SBX_OK, "%s", err.msg);
	ck_assert_msg(sbx_dsse_verify(&s, back, kr, NULL, time(NULL), "b",
	    &err) == SBX_OK, "%s", err.msg);
	ck_assert_int_eq(s.pad, SBX_PAD_PKCS1);

	/* Sigstore verifiers read only the first signature: one only. */
	env->nsigs = 2;
	ck_assert_int_eq(sbx_bundle_write(&b, env, "x", &err), SBX_EINTERNAL);
	env->nsigs = 1;

	sbx_buf_free(&b);
	sbx_dsse_free(back);
	sbx_dsse_free(env);
	sbx_keyring_free(kr);
	free_keys();
}
END_TEST

static Suite *
dsse_suite(void)
{
	Suite *s = suite_create("dsse");
	TCase *tc = tcase_create("dsse");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, pae_matches_the_dsse_specification_vector);
	tcase_add_test(tc,
	    pae_counts_bytes_not_characters_and_allows_empty_payload);
	tcase_add_test(tc, signed_envelope_round_trips_through_text);
	tcase_add_test(tc, verify_accepts_pss_and_pkcs1_by_a_provenance_key);
	tcase_add_test(tc, verify_ignores_a_wrong_keyid_hint);
	tcase_add_test(tc, verify_rejects_signature_by_unknown_key);
	tcase_add_test(tc, verify_rejects_changed_payload_as_bad_signature);
	tcase_add_test(tc, verify_rejects_changed_payload_type);
	tcase_add_test(tc, verify_rejects_key_without_provenance_role);
	tcase_add_test(tc, verify_rejects_revoked_and_retired_keys);
	tcase_add_test(tc, verify_applies_policy_scheme_and_key_size);
	tcase_add_test(tc, verify_accepts_any_trusted_signature_of_several);
	tcase_add_loop_test(tc, parse_refuses_malformed_envelopes, 0,
	    (int)(sizeof(refusals) / sizeof(refusals[0])));
	tcase_add_test(tc, parse_refuses_too_many_signatures);
	tcase_add_test(tc, parse_accepts_url_safe_unpadded_base64);
	tcase_add_test(tc, parse_refuses_input_over_the_size_limit);
	tcase_add_test(tc, load_refuses_huge_file_before_reading);
	tcase_add_test(tc, bundle_round_trips_and_verifies);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dsse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

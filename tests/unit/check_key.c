/* tests/unit/check_key.c: private keys, raw signatures, certificates. */
/* SPDX-License-Identifier: ISC */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <sbx/file.h>
#include <sbx/key.h>

/*
 * libp11 keeps its RSA method and module state for the whole process
 * and allocates again in its engine's destroy callback at exit: leak
 * checking stops for the rest of the (forked) test that loads it.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LSAN_IGNORE 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define LSAN_IGNORE 1
#endif
#ifdef LSAN_IGNORE
#include <sanitizer/lsan_interface.h>
#define LSAN_OFF() __lsan_disable()
#else
#define LSAN_OFF() do { } while (0)
#endif

#ifndef SBX_TEST_DATA
#define SBX_TEST_DATA "tests/data"
#endif
#define KEYS SBX_TEST_DATA "/keys"
#define SIGNER_PASS "correct horse battery staple"
#define SOFTHSM "/usr/lib/softhsm/libsofthsm2.so"
#define P11_URI "pkcs11:token=sbx-unit;object=unitkey;type=private" \
	"?module-path=" SOFTHSM
#define STORE_PASS "keytool-store-pass"

static const char data[] = "what the signer vouches for";

static struct sbx_secret *
secret(const char *s)
{
	struct sbx_secret *sec = NULL;

	ck_assert_int_eq(sbx_secret_from(&sec, s, strlen(s), NULL), SBX_OK);
	return sec;
}

/* The key id that openssl computed when the fixtures were made. */
static void
expected_id(char *out, const char *name)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.keyid", KEYS, name);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_int_eq(fscanf(f, "%64s", out), 1);
	fclose(f);
}

static struct sbx_key *
load_ok(const char *spec, const char *alias, const char *pass)
{
	struct sbx_err err = { 0 };
	struct sbx_secret *sec = pass != NULL ? secret(pass) : NULL;
	struct sbx_key *key = NULL;
	int rc;

	rc = sbx_key_load(&key, spec, alias, sec, &err);
	sbx_secret_free(sec);
	ck_assert_msg(rc == SBX_OK, "%s: %s", spec, err.msg);
	return key;
}

static int
load_fail(struct sbx_err *err, const char *spec, const char *alias,
    const char *pass)
{
	struct sbx_secret *sec = pass != NULL ? secret(pass) : NULL;
	struct sbx_key *key = NULL;
	int rc;

	rc = sbx_key_load(&key, spec, alias, sec, err);
	sbx_secret_free(sec);
	ck_assert_ptr_null(key);
	return rc;
}

static EVP_PKEY *
public_of(EVP_PKEY *pkey)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *pub;
	int n;

	ck_assert_int_gt(n = i2d_PUBKEY(pkey, &der), 0);
	p = der;
	ck_assert_ptr_nonnull(pub = d2i_PUBKEY(NULL, &p, n));
	OPENSSL_free(der);
	return pub;
}

static char *
tmpdir(void)
{
	static char dir[64];

	static int n;

	/* pid and count: each forked test gets its own folder. */
	snprintf(dir, sizeof(dir), "/tmp/check_key.%d.%d", (int)getpid(),
	    n++);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	return dir;
}

static void
rmtree(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(pem_loads_with_passphrase_from_file)
{
	struct sbx_err err = { 0 };
	struct sbx_secret *pass = NULL;
	struct sbx_key *key = NULL;
	char id[SBX_KEYID_LEN + 1];

	/* The file ends in a newline, which the secret loader drops. */
	ck_assert_int_eq(sbx_secret_load(&pass, SBX_SECRET_FILE,
	    KEYS "/signer.pass", &err), SBX_OK);
	ck_assert_int_eq(sbx_key_load(&key, KEYS "/signer.key", NULL, pass,
	    &err), SBX_OK);
	expected_id(id, "signer");
	ck_assert_str_eq(sbx_key_id(key), id);
	ck_assert_int_eq(sbx_key_bits(key), 2048);
	ck_assert_ptr_null(sbx_key_cert(key));
	ck_assert_int_eq(sk_X509_num(sbx_key_chain(key)), 0);
	sbx_key_free(key);
	sbx_secret_free(pass);
}
END_TEST

START_TEST(pem_wrong_passphrase_names_file_not_passphrase)
{
	struct sbx_err err = { 0 };

	ck_assert_int_eq(load_fail(&err, KEYS "/signer.key", NULL,
	    "Tr0ub4dor&3"), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, KEYS "/signer.key: cannot "
	    "decrypt the private key: wrong passphrase?"));
	ck_assert_ptr_null(strstr(err.msg, "Tr0ub4dor"));
}
END_TEST

START_TEST(pem_encrypted_key_without_passphrase_is_refused)
{
	struct sbx_err err = { 0 };

	ck_assert_int_eq(load_fail(&err, KEYS "/signer.key", NULL, NULL),
	    SBX_ECONFIG);
	ck_assert_str_eq(err.msg, KEYS "/signer.key: the key is encrypted "
	    "and no passphrase was given");
}
END_TEST

START_TEST(pem_unencrypted_key_loads_without_passphrase)
{
	struct sbx_key *key = load_ok(KEYS "/plain.key", NULL, NULL);
	char id[SBX_KEYID_LEN + 1];

	expected_id(id, "plain");
	ck_assert_str_eq(sbx_key_id(key), id);
	sbx_key_free(key);
}
END_TEST

START_TEST(pem_certificate_is_not_a_private_key)
{
	struct sbx_err err = { 0 };

	ck_assert_int_eq(load_fail(&err, KEYS "/signer.crt", NULL, NULL),
	    SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, KEYS "/signer.crt: not a PEM "
	    "private key"));
}
END_TEST

START_TEST(missing_key_file_is_io_error)
{
	struct sbx_err err = { 0 };

	ck_assert_int_eq(load_fail(&err, KEYS "/absent.key", NULL, NULL),
	    SBX_EIO);
	ck_assert_str_eq(err.msg, KEYS "/absent.key: No such file or "
	    "directory");
	ck_assert_int_eq(load_fail(&err, "pkcs12:" KEYS "/absent.p12", NULL,
	    STORE_PASS), SBX_EIO);
	ck_assert_str_eq(err.msg, KEYS "/absent.p12: No such file or "
	    "directory");
}
END_TEST

START_TEST(ec_key_is_refused)
{
	struct sbx_err err = { 0 };

	ck_assert_int_eq(load_fail(&err, KEYS "/ec.key", NULL, NULL),
	    SBX_ECONFIG);
	ck_assert_str_eq(err.msg, KEYS "/ec.key: key type EC, not RSA");
}
END_TEST

START_TEST(alias_on_pem_key_is_refused)
{
	struct sbx_err err = { 0 };

	ck_assert_int_eq(load_fail(&err, KEYS "/plain.key", "x", NULL),
	    SBX_ECONFIG);
	ck_assert_str_eq(err.msg, KEYS "/plain.key: a key alias applies to "
	    "pkcs12: keystores only");
}
END_TEST

START_TEST(keytool_store_loads_by_alias_with_certificate)
{
	struct sbx_key *key;
	char id[SBX_KEYID_LEN + 1];

	/* keytool aliases ignore case; the store says "sbxsigner". */
	key = load_ok("pkcs12:" KEYS "/keytool.p12", "SbxSigner", STORE_PASS);
	expected_id(id, "keytool");
	ck_assert_str_eq(sbx_key_id(key), id);
	ck_assert_int_eq(sbx_key_bits(key), 4096);
	ck_assert_ptr_nonnull(sbx_key_cert(key));
	ck_assert_int_eq(X509_check_private_key(sbx_key_cert(key),
	    sbx_key_pkey(key)), 1);
	sbx_key_free(key);

	/* The only key is taken when no alias is given. */
	key = load_ok("pkcs12:" KEYS "/keytool.p12", NULL, STORE_PASS);
	ck_assert_str_eq(sbx_key_id(key), id);
	sbx_key_free(key);
}
END_TEST

START_TEST(keytool_store_wrong_alias_lists_aliases)
{
	struct sbx_err err = { 0 };

	ck_assert_int_eq(load_fail(&err, "pkcs12:" KEYS "/keytool.p12",
	    "nope", STORE_PASS), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, KEYS "/keytool.p12: no key with alias "
	    "'nope' (aliases: sbxsigner)");
}
END_TEST

START_TEST(keytool_store_wrong_passphrase_is_refused)
{
	struct sbx_err err = { 0 };

	ck_assert_int_eq(load_fail(&err, "pkcs12:" KEYS "/keytool.p12",
	    "sbxsigner", "not-the-store-pass"), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, KEYS "/keytool.p12: wrong keystore "
	    "passphrase (MAC check failed)");
	ck_assert_int_eq(load_fail(&err, "pkcs12:" KEYS "/keytool.p12",
	    NULL, NULL), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, KEYS "/keytool.p12: the keystore needs a "
	    "passphrase");
}
END_TEST

START_TEST(store_with_two_keys_needs_an_alias)
{
	struct sbx_err err = { 0 };
	struct sbx_key *key;
	char id[SBX_KEYID_LEN + 1];

	ck_assert_int_eq(load_fail(&err, "pkcs12:" KEYS "/two.p12", NULL,
	    STORE_PASS), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, KEYS "/two.p12: 2 keys in the keystore, "
	    "pick one by alias (aliases: alpha, beta)");

	key = load_ok("pkcs12:" KEYS "/two.p12", "beta", STORE_PASS);
	expected_id(id, "beta");
	ck_assert_str_eq(sbx_key_id(key), id);
	ck_assert_int_eq(X509_check_private_key(sbx_key_cert(key),
	    sbx_key_pkey(key)), 1);
	sbx_key_free(key);
}
END_TEST

START_TEST(pem_file_is_not_a_keystore)
{
	struct sbx_err err = { 0 };

	ck_assert_int_eq(load_fail(&err, "pkcs12:" KEYS "/plain.key", NULL,
	    NULL), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, KEYS "/plain.key: not a "
	    "PKCS#12 keystore"));
}
END_TEST

START_TEST(pkcs11_messages_never_show_the_pin)
{
	struct sbx_err err = { 0 };

	/* No token is called this: whatever fails, the PIN stays out. */
	LSAN_OFF();
	ck_assert_int_eq(load_fail(&err, "pkcs11:token=sbx-no-such-token;"
	    "pin-value=s3cret-pin;object=k?module-path="
	    "/usr/lib/softhsm/libsofthsm2.so",
	    NULL, NULL), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg,
	    "pkcs11:token=sbx-no-such-token;object=k: "));
	ck_assert_ptr_null(strstr(err.msg, "s3cret"));
}
END_TEST

/* A throwaway SoftHSM token in dir with one RSA-2048 key, "unitkey". */
static void
make_token(const char *dir)
{
	char conf[PATH_MAX], cmd[2 * PATH_MAX];
	FILE *f;

	snprintf(conf, sizeof(conf), "%s/tokens", dir);
	ck_assert_int_eq(mkdir(conf, 0700), 0);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
	ck_assert_ptr_nonnull(f = fopen(conf, "w"));
	fprintf(f, "directories.tokendir = %s/tokens\n"
	    "objectstore.backend = file\nlog.level = ERROR\n", dir);
	fclose(f);
	ck_assert_int_eq(setenv("SOFTHSM2_CONF", conf, 1), 0);
	snprintf(cmd, sizeof(cmd), "softhsm2-util --init-token --free "
	    "--label sbx-unit --pin 1234 --so-pin 5678 >/dev/null && "
	    "pkcs11-tool --module %s --token-label sbx-unit --login "
	    "--pin 1234 --keypairgen --key-type rsa:2048 --id 01 "
	    "--label unitkey >/dev/null 2>&1", SOFTHSM);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(pkcs11_key_signs_with_both_paddings)
{
	static const enum sbx_padding pads[] = { SBX_PAD_PKCS1, SBX_PAD_PSS };
	struct sbx_err err = { 0 };
	struct sbx_buf sig = { 0 };
	struct sbx_key *key;
	EVP_PKEY *pub;
	char dir[64];
	size_t i;

	LSAN_OFF();
	snprintf(dir, sizeof(dir), "%s", tmpdir());
	make_token(dir);

	/* First: the token stays logged in for this process once opened. */
	ck_assert_int_eq(load_fail(&err, P11_URI, NULL, "4321"), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "pkcs11:token=sbx-unit;"
	    "object=unitkey;type=private: cannot load the private key"));
	ck_assert_ptr_nonnull(strstr(err.msg, "PIN incorrect"));
	ck_assert_ptr_null(strstr(err.msg, "4321"));

	key = load_ok(P11_URI, NULL, "1234");
	ck_assert_int_eq(sbx_key_bits(key), 2048);
	pub = public_of(sbx_key_pkey(key));
	for (i = 0; i < 2; i++) {
		sig.len = 0;
		ck_assert_msg(sbx_key_sign(&sig, key, pads[i], data,
		    sizeof(data), &err) == SBX_OK, "%s", err.msg);
		ck_assert_int_eq(sbx_sig_verify(pub, pads[i], data,
		    sizeof(data), sig.p, sig.len, &err), SBX_OK);
		sig.p[7] ^= 0x80;
		ck_assert_int_eq(sbx_sig_verify(pub, pads[i], data,
		    sizeof(data), sig.p, sig.len, &err), SBX_EREJECT);
	}
	ck_assert_int_eq(sbx_key_set_cert_file(key, KEYS "/plain.crt", &err),
	    SBX_ECONFIG);
	sbx_buf_free(&sig);
	EVP_PKEY_free(pub);
	sbx_key_free(key);
	rmtree(dir);
}
END_TEST

START_TEST(certificate_must_match_key)
{
	struct sbx_err err = { 0 };
	struct sbx_key *key = load_ok(KEYS "/signer.key", NULL, SIGNER_PASS);
	char id[SBX_KEYID_LEN + 1], want[256];

	expected_id(id, "signer");
	ck_assert_int_eq(sbx_key_set_cert_file(key, KEYS "/plain.crt", &err),
	    SBX_ECONFIG);
	snprintf(want, sizeof(want), "%s: the certificate is not for key %s",
	    KEYS "/plain.crt", id);
	ck_assert_str_eq(err.msg, want);
	ck_assert_ptr_null(sbx_key_cert(key));

	ck_assert_int_eq(sbx_key_set_cert_file(key, KEYS "/signer.crt", &err),
	    SBX_OK);
	ck_assert_ptr_nonnull(sbx_key_cert(key));
	sbx_key_free(key);
}
END_TEST

START_TEST(certificate_file_chain_follows_the_leaf)
{
	struct sbx_err err = { 0 };
	struct sbx_key *key = load_ok(KEYS "/leaf.key", NULL, NULL);
	char dir[64], path[PATH_MAX], cmd[3 * PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", tmpdir());
	snprintf(path, sizeof(path), "%s/chain.pem", dir);
	snprintf(cmd, sizeof(cmd), "cat %s/leaf.crt %s/ca.crt >%s", KEYS,
	    KEYS, path);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(sbx_key_set_cert_file(key, path, &err), SBX_OK);
	ck_assert_int_eq(sk_X509_num(sbx_key_chain(key)), 1);
	ck_assert_int_eq(X509_check_issued(sk_X509_value(sbx_key_chain(key),
	    0), sbx_key_cert(key)), X509_V_OK);
	sbx_key_free(key);
	rmtree(dir);
}
END_TEST

/* Each padding signs, verifies, and refuses the other padding. */
START_TEST(signatures_round_trip_and_refuse_changes)
{
	static const enum sbx_padding pads[] = { SBX_PAD_PKCS1, SBX_PAD_PSS };
	struct sbx_err err = { 0 };
	struct sbx_key *key = load_ok(KEYS "/signer.key", NULL, SIGNER_PASS);
	EVP_PKEY *pub = public_of(sbx_key_pkey(key));
	struct sbx_buf sig = { 0 };
	size_t i;

	for (i = 0; i < 2; i++) {
		sig.len = 0;
		ck_assert_int_eq(sbx_key_sign(&sig, key, pads[i], data,
		    sizeof(data), &err), SBX_OK);
		ck_assert_uint_eq(sig.len, 256);
		ck_assert_int_eq(sbx_sig_verify(pub, pads[i], data,
		    sizeof(data), sig.p, sig.len, &err), SBX_OK);

		ck_assert_int_eq(sbx_sig_verify(pub, pads[1 - i], data,
		    sizeof(data), sig.p, sig.len, &err), SBX_EREJECT);
		ck_assert_int_eq(err.violation, SBX_V_BAD_SIGNATURE);

		sig.p[100] ^= 0x01;
		ck_assert_int_eq(sbx_sig_verify(pub, pads[i], data,
		    sizeof(data), sig.p, sig.len, &err), SBX_EREJECT);
		ck_assert_int_eq(err.violation, SBX_V_BAD_SIGNATURE);
		sig.p[100] ^= 0x01;

		ck_assert_int_eq(sbx_sig_verify(pub, pads[i], data,
		    sizeof(data) - 1, sig.p, sig.len, &err), SBX_EREJECT);
		ck_assert_int_eq(sbx_sig_verify(pub, pads[i], data,
		    sizeof(data), sig.p, sig.len - 1, &err), SBX_EREJECT);
	}
	ck_assert_str_eq(err.msg, "the RSA-PSS signature does not verify");
	sbx_buf_free(&sig);
	EVP_PKEY_free(pub);
	sbx_key_free(key);
}
END_TEST

static int
openssl_pss_verify(EVP_PKEY *pub, int saltlen, const struct sbx_buf *sig)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	ck_assert_int_eq(EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL,
	    pub), 1);
	EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
	EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen);
	ok = EVP_DigestVerify(md, sig->p, sig->len,
	    (const unsigned char *)data, sizeof(data));
	EVP_MD_CTX_free(md);
	return ok;
}

START_TEST(pss_salt_is_digest_length_and_any_salt_verifies)
{
	struct sbx_err err = { 0 };
	struct sbx_key *key = load_ok(KEYS "/plain.key", NULL, NULL);
	EVP_PKEY *pub = public_of(sbx_key_pkey(key));
	struct sbx_buf sig = { 0 };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t len = 256;

	ck_assert_int_eq(sbx_key_sign(&sig, key, SBX_PAD_PSS, data,
	    sizeof(data), &err), SBX_OK);
	ck_assert_int_eq(openssl_pss_verify(pub, 32, &sig), 1);
	ck_assert_int_ne(openssl_pss_verify(pub, 20, &sig), 1);

	/* A salt of 20 bytes, as other signers choose, still verifies. */
	ck_assert_int_eq(EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL,
	    sbx_key_pkey(key)), 1);
	EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
	EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 20);
	ck_assert_int_eq(EVP_DigestSign(md, sig.p, &len,
	    (const unsigned char *)data, sizeof(data)), 1);
	ck_assert_int_eq(sbx_sig_verify(pub, SBX_PAD_PSS, data, sizeof(data),
	    sig.p, len, &err), SBX_OK);
	EVP_MD_CTX_free(md);
	sbx_buf_free(&sig);
	EVP_PKEY_free(pub);
	sbx_key_free(key);
}
END_TEST

START_TEST(signature_by_another_key_is_refused)
{
	struct sbx_err err = { 0 };
	struct sbx_key *a = load_ok(KEYS "/plain.key", NULL, NULL);
	struct sbx_key *b = load_ok(KEYS "/leaf.key", NULL, NULL);
	EVP_PKEY *pub_b = public_of(sbx_key_pkey(b));
	struct sbx_buf sig = { 0 };

	ck_assert_int_eq(sbx_key_sign(&sig, a, SBX_PAD_PKCS1, data,
	    sizeof(data), &err), SBX_OK);
	ck_assert_int_eq(sbx_sig_verify(pub_b, SBX_PAD_PKCS1, data,
	    sizeof(data), sig.p, sig.len, &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_BAD_SIGNATURE);
	ck_assert_str_eq(err.msg, "the RSA PKCS#1 v1.5 signature does not "
	    "verify");
	sbx_buf_free(&sig);
	EVP_PKEY_free(pub_b);
	sbx_key_free(a);
	sbx_key_free(b);
}
END_TEST

START_TEST(ec_public_key_cannot_verify)
{
	struct sbx_err err = { 0 };
	struct sbx_buf pem = { 0 };
	EVP_PKEY *ec;
	BIO *bio;

	ck_assert_int_eq(sbx_file_read(&pem, KEYS "/ec.key", 4096, &err),
	    SBX_OK);
	bio = BIO_new_mem_buf(pem.p, (int)pem.len);
	ck_assert_ptr_nonnull(ec = PEM_read_bio_PrivateKey(bio, NULL, NULL,
	    NULL));
	ck_assert_int_eq(sbx_sig_verify(ec, SBX_PAD_PKCS1, data, 1,
	    (const unsigned char *)data, 64, &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_WEAK_ALGORITHM);
	ck_assert_str_eq(err.msg, "key type EC, not RSA");
	EVP_PKEY_free(ec);
	BIO_free(bio);
	sbx_buf_free(&pem);
}
END_TEST

START_TEST(generate_refuses_short_keys)
{
	struct sbx_err err = { 0 };
	EVP_PKEY *pkey = NULL;

	ck_assert_int_eq(sbx_key_generate(&pkey, 1024, &err), SBX_ECONFIG);
	ck_assert_ptr_null(pkey);
	ck_assert_str_eq(err.msg, "RSA keys have 2048 to 16384 bits, not "
	    "1024");
}
END_TEST

static mode_t
mode_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static int
starts_with_file(const char *path, const char *prefix)
{
	struct sbx_buf b = { 0 };
	int ok;

	ck_assert_int_eq(sbx_file_read(&b, path, 1 << 20, NULL), SBX_OK);
	ok = b.len >= strlen(prefix) && memcmp(b.p, prefix,
	    strlen(prefix)) == 0;
	sbx_buf_free(&b);
	return ok;
}

START_TEST(written_key_is_encrypted_and_private)
{
	struct sbx_err err = { 0 };
	struct sbx_secret *pass = secret("a new passphrase");
	struct sbx_key *key;
	EVP_PKEY *pkey = NULL;
	char dir[64], path[PATH_MAX], id[SBX_KEYID_LEN + 1];

	snprintf(dir, sizeof(dir), "%s", tmpdir());
	snprintf(path, sizeof(path), "%s/new.key", dir);
	ck_assert_int_eq(sbx_key_generate(&pkey, 2048, &err), SBX_OK);
	ck_assert_int_eq(sbx_keyid(id, pkey, &err), SBX_OK);

	/* A wide umask must not widen the key file, even for a moment. */
	umask(0);
	ck_assert_int_eq(sbx_key_write(path, pkey, pass, &err), SBX_OK);
	ck_assert_int_eq(mode_of(path), 0600);
	ck_assert(starts_with_file(path, "-----BEGIN ENCRYPTED PRIVATE "
	    "KEY-----\n"));

	key = load_ok(path, NULL, "a new passphrase");
	ck_assert_str_eq(sbx_key_id(key), id);
	sbx_key_free(key);
	ck_assert_int_eq(load_fail(&err, path, NULL, "an old passphrase"),
	    SBX_ECONFIG);

	ck_assert_int_eq(sbx_key_write(path, pkey, NULL, &err), SBX_OK);
	ck_assert(starts_with_file(path, "-----BEGIN PRIVATE KEY-----\n"));
	ck_assert_int_eq(mode_of(path), 0600);
	EVP_PKEY_free(pkey);
	sbx_secret_free(pass);
	rmtree(dir);
}
END_TEST

START_TEST(key_write_to_missing_folder_is_io_error)
{
	struct sbx_err err = { 0 };
	struct sbx_key *key = load_ok(KEYS "/plain.key", NULL, NULL);

	ck_assert_int_eq(sbx_key_write("/nonexistent-dir/k.key",
	    sbx_key_pkey(key), NULL, &err), SBX_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent-dir/k.key: "));
	sbx_key_free(key);
}
END_TEST

static X509 *
selfsign_ok(EVP_PKEY *pkey, const char *subject, int days)
{
	struct sbx_err err = { 0 };
	X509 *cert = NULL;

	ck_assert_msg(sbx_cert_selfsign(&cert, pkey, subject, days, &err) ==
	    SBX_OK, "%s", err.msg);
	return cert;
}

static void
name_text(char *out, size_t n, X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int len;

	X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
	    XN_FLAG_RFC2253);
	len = BIO_read(bio, out, (int)n - 1);
	out[len > 0 ? len : 0] = '\0';
	BIO_free(bio);
}

START_TEST(selfsigned_certificate_is_for_code_signing)
{
	struct sbx_err err = { 0 };
	struct sbx_key *key = load_ok(KEYS "/plain.key", NULL, NULL);
	X509 *cert = selfsign_ok(sbx_key_pkey(key), "CN=sbx release, O=Acme",
	    30);
	ASN1_BIT_STRING *ku;
	BIGNUM *serial;
	char name[256];
	int64_t nb, na;
	int crit = -1;

	name_text(name, sizeof(name), cert);
	ck_assert_str_eq(name, "O=Acme,CN=sbx release");
	ck_assert_int_eq(X509_get_version(cert), 2);
	ck_assert_int_eq(X509_verify(cert, sbx_key_pkey(key)), 1);
	ck_assert_int_eq(X509_check_private_key(cert, sbx_key_pkey(key)), 1);
	ck_assert_int_eq(X509_get_signature_nid(cert),
	    NID_sha256WithRSAEncryption);
	ck_assert_uint_eq(X509_get_key_usage(cert), KU_DIGITAL_SIGNATURE);
	ku = X509_get_ext_d2i(cert, NID_key_usage, &crit, NULL);
	ck_assert_int_eq(crit, 1);
	ASN1_BIT_STRING_free(ku);
	ck_assert_uint_eq(X509_get_extended_key_usage(cert), XKU_CODE_SIGN);
	ck_assert_ptr_nonnull(X509_get0_subject_key_id(cert));
	serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	ck_assert_int_gt(BN_num_bits(serial), 64);
	BN_free(serial);
	ck_assert_int_eq(sbx_asn1_time(&nb, X509_get0_notBefore(cert), &err),
	    SBX_OK);
	ck_assert_int_eq(sbx_asn1_time(&na, X509_get0_notAfter(cert), &err),
	    SBX_OK);
	ck_assert_int_eq(na - nb, 30 * 86400);
	ck_assert_int_le(llabs(nb - (int64_t)time(NULL)), 5);
	X509_free(cert);
	sbx_key_free(key);
}
END_TEST

START_TEST(subject_in_slash_form_and_escapes)
{
	struct sbx_key *key = load_ok(KEYS "/plain.key", NULL, NULL);
	X509 *cert;
	char name[256];

	cert = selfsign_ok(sbx_key_pkey(key), "/CN=a, b/O=Acme", 1);
	name_text(name, sizeof(name), cert);
	ck_assert_str_eq(name, "O=Acme,CN=a\\, b");
	X509_free(cert);

	cert = selfsign_ok(sbx_key_pkey(key), "CN=a\\,b,OU=x", 1);
	name_text(name, sizeof(name), cert);
	ck_assert_str_eq(name, "OU=x,CN=a\\,b");
	X509_free(cert);
	sbx_key_free(key);
}
END_TEST

/* Bad subjects and lifetimes, each with its reason. */
static const struct {
	const char	*subject;
	int		 days;
	const char	*msg;
} bad_certs[] = {
	/* no "=" */
	{ "CN", 1, "subject 'CN': 'CN' is not TYPE=value" },
	/* empty value */
	{ "CN=", 1, "subject 'CN=': 'CN=' is not TYPE=value" },
	/* an empty part between commas */
	{ "CN=a,,O=b", 1, "subject 'CN=a,,O=b': '' is not TYPE=value" },
	/* nothing at all */
	{ "", 1, "subject '': '' is not TYPE=value" },
	/* an attribute OpenSSL does not know */
	{ "XYZ=1", 1, "subject 'XYZ=1': bad XYZ" },
	/* no lifetime */
	{ "CN=a", 0, "a certificate is valid for 1 to 36500 days, not 0" },
	/* beyond a century */
	{ "CN=a", 40000,
	    "a certificate is valid for 1 to 36500 days, not 40000" },
};

START_TEST(bad_subjects_and_lifetimes_are_refused)
{
	struct sbx_err err = { 0 };
	struct sbx_key *key = load_ok(KEYS "/plain.key", NULL, NULL);
	X509 *cert = NULL;

	ck_assert_int_eq(sbx_cert_selfsign(&cert, sbx_key_pkey(key),
	    bad_certs[_i].subject, bad_certs[_i].days, &err), SBX_ECONFIG);
	ck_assert_ptr_null(cert);
	ck_assert_msg(strncmp(err.msg, bad_certs[_i].msg,
	    strlen(bad_certs[_i].msg)) == 0, "row %d: %s", _i, err.msg);
	sbx_key_free(key);
}
END_TEST

START_TEST(certificates_load_as_pem_or_der_and_write_back)
{
	struct sbx_err err = { 0 };
	X509 *pem = NULL, *der = NULL, *again = NULL;
	char dir[64], path[PATH_MAX], cmd[3 * PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", tmpdir());
	snprintf(path, sizeof(path), "%s/c.der", dir);
	snprintf(cmd, sizeof(cmd), "openssl x509 -in %s/signer.crt -outform "
	    "DER -out %s", KEYS, path);
	ck_assert_int_eq(system(cmd), 0);

	ck_assert_int_eq(sbx_cert_load(&pem, KEYS "/signer.crt", &err),
	    SBX_OK);
	ck_assert_int_eq(sbx_cert_load(&der, path, &err), SBX_OK);
	ck_assert_int_eq(X509_cmp(pem, der), 0);

	snprintf(path, sizeof(path), "%s/c.pem", dir);
	ck_assert_int_eq(sbx_cert_write(path, pem, &err), SBX_OK);
	ck_assert_int_eq(mode_of(path), 0644);
	ck_assert_int_eq(sbx_cert_load(&again, path, &err), SBX_OK);
	ck_assert_int_eq(X509_cmp(pem, again), 0);
	X509_free(pem);
	X509_free(der);
	X509_free(again);
	rmtree(dir);
}
END_TEST

START_TEST(non_certificates_are_refused)
{
	struct sbx_err err = { 0 };
	X509 *cert = NULL;
	char dir[64], path[PATH_MAX], cmd[3 * PATH_MAX];

	ck_assert_int_eq(sbx_cert_load(&cert, KEYS "/plain.key", &err),
	    SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, KEYS "/plain.key: not a "
	    "certificate (PEM or DER)"));
	ck_assert_int_eq(sbx_cert_load(&cert, KEYS "/absent.crt", &err),
	    SBX_EIO);

	snprintf(dir, sizeof(dir), "%s", tmpdir());
	snprintf(path, sizeof(path), "%s/two.pem", dir);
	snprintf(cmd, sizeof(cmd), "cat %s/leaf.crt %s/ca.crt >%s", KEYS,
	    KEYS, path);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(sbx_cert_load(&cert, path, &err), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, ": 2 certificates where one "
	    "was expected"));
	ck_assert_ptr_null(cert);
	rmtree(dir);
}
END_TEST

START_TEST(asn1_times_convert_to_epoch_seconds)
{
	struct sbx_err err = { 0 };
	ASN1_TIME *t = ASN1_TIME_new();
	int64_t s;

	ck_assert(ASN1_TIME_set_string(t, "20260101000000Z"));
	ck_assert_int_eq(sbx_asn1_time(&s, t, &err), SBX_OK);
	ck_assert_int_eq(s, 1767225600);
	ck_assert(ASN1_TIME_set_string(t, "491231235959Z"));
	ck_assert_int_eq(sbx_asn1_time(&s, t, &err), SBX_OK);
	ck_assert_int_eq(s, 2524607999);
	ck_assert(ASN1_TIME_set_string(t, "21250601120000Z"));
	ck_assert_int_eq(sbx_asn1_time(&s, t, &err), SBX_OK);
	ck_assert_int_eq(s, 4904452800);
	ck_assert_int_eq(sbx_asn1_time(&s, NULL, &err), SBX_ECONFIG);
	ASN1_TIME_free(t);
}
END_TEST

static Suite *
key_suite(void)
{
	Suite *s = suite_create("key");
	TCase *tc = tcase_create("key");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, pem_loads_with_passphrase_from_file);
	tcase_add_test(tc, pem_wrong_passphrase_names_file_not_passphrase);
	tcase_add_test(tc, pem_encrypted_key_without_passphrase_is_refused);
	tcase_add_test(tc, pem_unencrypted_key_loads_without_passphrase);
	tcase_add_test(tc, pem_certificate_is_not_a_private_key);
	tcase_add_test(tc, missing_key_file_is_io_error);
	tcase_add_test(tc, ec_key_is_refused);
	tcase_add_test(tc, alias_on_pem_key_is_refused);
	tcase_add_test(tc, keytool_store_loads_by_alias_with_certificate);
	tcase_add_test(tc, keytool_store_wrong_alias_lists_aliases);
	tcase_add_test(tc, keytool_store_wrong_passphrase_is_refused);
	tcase_add_test(tc, store_with_two_keys_needs_an_alias);
	tcase_add_test(tc, pem_file_is_not_a_keystore);
	tcase_add_test(tc, pkcs11_messages_never_show_the_pin);
	tcase_add_test(tc, pkcs11_key_signs_with_both_paddings);
	tcase_add_test(tc, certificate_must_match_key);
	tcase_add_test(tc, certificate_file_chain_follows_the_leaf);
	tcase_add_test(tc, signatures_round_trip_and_refuse_changes);
	tcase_add_test(tc, pss_salt_is_digest_length_and_any_salt_verifies);
	tcase_add_test(tc, signature_by_another_key_is_refused);
	tcase_add_test(tc, ec_public_key_cannot_verify);
	tcase_add_test(tc, generate_refuses_short_keys);
	tcase_add_test(tc, written_key_is_encrypted_and_private);
	tcase_add_test(tc, key_write_to_missing_folder_is_io_error);
	tcase_add_test(tc, selfsigned_certificate_is_for_code_signing);
	tcase_add_test(tc, subject_in_slash_form_and_escapes);
	tcase_add_loop_test(tc, bad_subjects_and_lifetimes_are_refused, 0,
	    (int)(sizeof(bad_certs) / sizeof(bad_certs[0])));
	tcase_add_test(tc, certificates_load_as_pem_or_der_and_write_back);
	tcase_add_test(tc, non_certificates_are_refused);
	tcase_add_test(tc, asn1_times_convert_to_epoch_seconds);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(key_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

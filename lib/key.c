/* lib/key.c: private signing keys, certificates, raw RSA signatures. */
/* SPDX-License-Identifier: ISC */

/*
 * The pkcs11: route goes through OpenSSL's ENGINE API, deprecated in
 * OpenSSL 3. Its replacement, pkcs11-provider, is not in Debian 12
 * (only in bookworm-backports: see COMPONENTS.md section 7), so this
 * file alone asks for the 1.1.0 API. load_pkcs11() is the only user and
 * an OSSL_STORE_open() route can replace it when the provider arrives.
 */
#define OPENSSL_API_COMPAT 0x10100000L

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ui.h>
#include <openssl/x509v3.h>

#include <sbx/file.h>
#include <sbx/key.h>

#define KEY_FILE_MAX	(1 << 20)	/* keys and keystores are small */
#define SALT_LEN	32		/* PSS salt: the SHA-256 length */
#define BITS_MIN	2048
#define BITS_MAX	16384
#define DAYS_MAX	36500
#define P12_DEPTH_MAX	4		/* nested safe contents bags */

struct sbx_key {
	EVP_PKEY	*pkey;
	X509		*cert;
	STACK_OF(X509)	*chain;
	ENGINE		*engine;	/* holds the token for pkcs11 keys */
	char		 id[SBX_KEYID_LEN + 1];
};

/* What the PEM passphrase callback saw, to word the error. */
struct pem_pass {
	const struct sbx_secret	*pass;
	bool			 asked;
	bool			 too_long;
};

/* A PKCS#12 walk: the alias wanted, the key found, every cert seen. */
struct p12_walk {
	const char	*path;
	const char	*alias;
	const char	*pass;
	int		 passlen;
	EVP_PKEY	*pkey;
	int		 nkeys;
	char		 names[128];	/* aliases seen, for the message */
	STACK_OF(X509)	*certs;
};

static const char *
type_name(const EVP_PKEY *pkey)
{
	const char *name = EVP_PKEY_get0_type_name(pkey);

	return name != NULL ? name : "unknown";
}

static int
pem_pass_cb(char *buf, int size, int rwflag, void *u)
{
	struct pem_pass *pp = u;

	pp->asked = true;
	if (pp->pass == NULL)
		return -1;
	if (pp->pass->len >= (size_t)size) {
		pp->too_long = true;
		return -1;
	}
	memcpy(buf, pp->pass->buf, pp->pass->len);
	return (int)pp->pass->len;
}

static int
load_pem(EVP_PKEY **out, const char *path, const struct sbx_secret *pass,
    struct sbx_err *err)
{
	struct sbx_buf b = { 0 };
	struct pem_pass pp = { .pass = pass };
	BIO *bio = NULL;
	int rc;

	*out = NULL;
	if ((rc = sbx_file_read(&b, path, KEY_FILE_MAX, err)) != SBX_OK) {
		if (rc == SBX_EREJECT)
			rc = sbx_err_set(err, SBX_ECONFIG, "%s: larger than "
			    "%d bytes: not a private key", path, KEY_FILE_MAX);
		goto done;
	}
	if ((bio = BIO_new_mem_buf(b.p, (int)b.len)) == NULL) {
		rc = sbx_err_ssl(err, SBX_ENOMEM, "%s: out of memory", path);
		goto done;
	}

	/* Always our callback: OpenSSL's default would prompt on a tty. */
	*out = PEM_read_bio_PrivateKey(bio, NULL, pem_pass_cb, &pp);
	if (*out != NULL)
		rc = SBX_OK;
	else if (pp.too_long)
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: the passphrase is "
		    "longer than %d bytes", path, PEM_BUFSIZE - 1);
	else if (pp.asked && pass == NULL)
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: the key is encrypted "
		    "and no passphrase was given", path);
	else if (pp.asked)
		rc = sbx_err_ssl(err, SBX_ECONFIG, "%s: cannot decrypt the "
		    "private key: wrong passphrase?", path);
	else
		rc = sbx_err_ssl(err, SBX_ECONFIG, "%s: not a PEM private "
		    "key", path);
done:
	ERR_clear_error();
	BIO_free(bio);
	sbx_buf_wipe(&b);
	return rc;
}

static void
note_alias(struct p12_walk *w, const char *name)
{
	size_t n = strlen(w->names);

	snprintf(w->names + n, sizeof(w->names) - n, "%s%s",
	    n > 0 ? ", " : "", name != NULL ? name : "(unnamed)");
}

static int
p12_key_bag(struct p12_walk *w, const PKCS12_SAFEBAG *bag, int nid,
    struct sbx_err *err)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	const PKCS8_PRIV_KEY_INFO *p8c;
	char *name;
	bool want;

	/* keytool keeps the alias as friendlyName; aliases ignore case. */
	name = PKCS12_get_friendlyname((PKCS12_SAFEBAG *)bag);
	want = w->alias == NULL ||
	    (name != NULL && strcasecmp(name, w->alias) == 0);
	note_alias(w, name);
	OPENSSL_free(name);
	if (!want)
		return SBX_OK;
	if (++w->nkeys > 1)
		return SBX_OK;

	if (nid == NID_keyBag) {
		p8c = PKCS12_SAFEBAG_get0_p8inf(bag);
	} else {
		p8 = PKCS12_decrypt_skey(bag, w->pass, w->passlen);
		p8c = p8;
	}
	if (p8c == NULL || (w->pkey = EVP_PKCS82PKEY(p8c)) == NULL) {
		PKCS8_PRIV_KEY_INFO_free(p8);
		return sbx_err_ssl(err, SBX_ECONFIG, "%s: cannot decrypt the "
		    "private key", w->path);
	}
	PKCS8_PRIV_KEY_INFO_free(p8);
	return SBX_OK;
}

static int p12_bags(struct p12_walk *w, const STACK_OF(PKCS12_SAFEBAG) *bags,
    int depth, struct sbx_err *err);

static int
p12_bag(struct p12_walk *w, const PKCS12_SAFEBAG *bag, int depth,
    struct sbx_err *err)
{
	X509 *x;
	int nid = PKCS12_SAFEBAG_get_nid(bag);

	switch (nid) {
	case NID_keyBag:
	case NID_pkcs8ShroudedKeyBag:
		return p12_key_bag(w, bag, nid, err);
	case NID_certBag:
		if (PKCS12_SAFEBAG_get_bag_nid(bag) != NID_x509Certificate)
			return SBX_OK;
		if ((x = PKCS12_SAFEBAG_get1_cert(bag)) == NULL)
			return sbx_err_ssl(err, SBX_ECONFIG, "%s: bad "
			    "certificate", w->path);
		if (sk_X509_push(w->certs, x) == 0) {
			X509_free(x);
			return sbx_err_set(err, SBX_ENOMEM, "out of memory");
		}
		return SBX_OK;
	case NID_safeContentsBag:
		if (depth >= P12_DEPTH_MAX)
			return sbx_err_set(err, SBX_ECONFIG, "%s: safe "
			    "contents nested too deep", w->path);
		return p12_bags(w, PKCS12_SAFEBAG_get0_safes(bag), depth + 1,
		    err);
	default:
		return SBX_OK;		/* CRLs and secrets are not ours */
	}
}

static int
p12_bags(struct p12_walk *w, const STACK_OF(PKCS12_SAFEBAG) *bags, int depth,
    struct sbx_err *err)
{
	int i, rc;

	for (i = 0; i < sk_PKCS12_SAFEBAG_num(bags); i++) {
		rc = p12_bag(w, sk_PKCS12_SAFEBAG_value(bags, i), depth, err);
		if (rc != SBX_OK)
			return rc;
	}
	return SBX_OK;
}

static int
p12_walk_all(struct p12_walk *w, PKCS12 *p12, struct sbx_err *err)
{
	STACK_OF(PKCS7) *safes;
	STACK_OF(PKCS12_SAFEBAG) *bags;
	PKCS7 *p7;
	int i, rc = SBX_OK;

	if ((safes = PKCS12_unpack_authsafes(p12)) == NULL)
		return sbx_err_ssl(err, SBX_ECONFIG, "%s: bad keystore",
		    w->path);
	for (i = 0; rc == SBX_OK && i < sk_PKCS7_num(safes); i++) {
		p7 = sk_PKCS7_value(safes, i);
		if (PKCS7_type_is_data(p7))
			bags = PKCS12_unpack_p7data(p7);
		else if (PKCS7_type_is_encrypted(p7))
			bags = PKCS12_unpack_p7encdata(p7, w->pass,
			    w->passlen);
		else
			continue;
		if (bags == NULL) {
			rc = sbx_err_ssl(err, SBX_ECONFIG, "%s: cannot "
			    "decrypt the keystore", w->path);
			break;
		}
		rc = p12_bags(w, bags, 0, err);
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	}
	sk_PKCS7_pop_free(safes, PKCS7_free);
	return rc;
}

/* The MAC proves the passphrase; an absent passphrase may be "" or none. */
static int
p12_check_mac(struct p12_walk *w, PKCS12 *p12, const struct sbx_secret *pass,
    struct sbx_err *err)
{
	if (pass != NULL) {
		w->pass = pass->buf;
		w->passlen = (int)pass->len;
	}
	if (!PKCS12_mac_present(p12))
		return sbx_err_set(err, SBX_ECONFIG, "%s: the keystore has "
		    "no integrity MAC", w->path);
	if (PKCS12_verify_mac(p12, w->pass, w->passlen))
		return SBX_OK;
	if (pass == NULL && PKCS12_verify_mac(p12, "", 0)) {
		w->pass = "";
		return SBX_OK;
	}
	ERR_clear_error();
	if (pass == NULL)
		return sbx_err_set(err, SBX_ECONFIG, "%s: the keystore needs "
		    "a passphrase", w->path);
	return sbx_err_set(err, SBX_ECONFIG, "%s: wrong keystore passphrase "
	    "(MAC check failed)", w->path);
}

/* Leaf: the cert of the key; chain: each issuer in turn, no loops. */
static int
p12_pick_certs(struct sbx_key *key, STACK_OF(X509) *certs)
{
	X509 *at = NULL, *x;
	int i, n = sk_X509_num(certs);

	for (i = 0; i < n && at == NULL; i++) {
		x = sk_X509_value(certs, i);
		if (X509_check_private_key(x, key->pkey) == 1)
			at = x;
	}
	ERR_clear_error();
	if (at == NULL)
		return SBX_OK;
	if (!X509_up_ref(at))
		return SBX_ENOMEM;
	key->cert = at;

	while (sk_X509_num(key->chain) < n) {
		for (i = 0, x = NULL; i < n && x == NULL; i++) {
			x = sk_X509_value(certs, i);
			if (X509_cmp(x, at) == 0 ||
			    X509_check_issued(x, at) != X509_V_OK)
				x = NULL;
		}
		if (x == NULL || !X509_up_ref(x))
			break;
		if (sk_X509_push(key->chain, x) == 0) {
			X509_free(x);
			return SBX_ENOMEM;
		}
		at = x;
	}
	return SBX_OK;
}

static int
p12_choose(struct sbx_key *key, struct p12_walk *w, struct sbx_err *err)
{
	if (w->nkeys == 0 && w->alias != NULL)
		return sbx_err_set(err, SBX_ECONFIG, "%s: no key with alias "
		    "'%s' (aliases: %s)", w->path, w->alias,
		    w->names[0] != '\0' ? w->names : "none");
	if (w->nkeys == 0)
		return sbx_err_set(err, SBX_ECONFIG, "%s: no private key in "
		    "the keystore", w->path);
	if (w->nkeys > 1 && w->alias == NULL)
		return sbx_err_set(err, SBX_ECONFIG, "%s: %d keys in the "
		    "keystore, pick one by alias (aliases: %s)", w->path,
		    w->nkeys, w->names);
	if (w->nkeys > 1)
		return sbx_err_set(err, SBX_ECONFIG, "%s: %d keys have alias "
		    "'%s'", w->path, w->nkeys, w->alias);
	key->pkey = w->pkey;
	w->pkey = NULL;
	if (p12_pick_certs(key, w->certs) != SBX_OK)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	return SBX_OK;
}

static int
load_pkcs12(struct sbx_key *key, const char *path, const char *alias,
    const struct sbx_secret *pass, struct sbx_err *err)
{
	struct p12_walk w = { .path = path, .alias = alias };
	struct sbx_buf b = { 0 };
	const unsigned char *p;
	PKCS12 *p12 = NULL;
	int rc;

	if ((rc = sbx_file_read(&b, path, KEY_FILE_MAX, err)) != SBX_OK) {
		if (rc == SBX_EREJECT)
			rc = sbx_err_set(err, SBX_ECONFIG, "%s: larger than "
			    "%d bytes: not a keystore", path, KEY_FILE_MAX);
		goto done;
	}
	p = b.p;
	if ((p12 = d2i_PKCS12(NULL, &p, (long)b.len)) == NULL ||
	    p != b.p + b.len) {
		rc = sbx_err_ssl(err, SBX_ECONFIG, "%s: not a PKCS#12 "
		    "keystore", path);
		goto done;
	}
	if ((w.certs = sk_X509_new_null()) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = p12_check_mac(&w, p12, pass, err)) != SBX_OK)
		goto done;
	if ((rc = p12_walk_all(&w, p12, err)) != SBX_OK)
		goto done;
	rc = p12_choose(key, &w, err);
done:
	EVP_PKEY_free(w.pkey);
	sk_X509_pop_free(w.certs, X509_free);
	PKCS12_free(p12);
	sbx_buf_wipe(&b);
	return rc;
}

/* A pkcs11: URI taken apart for libp11 and for messages. */
struct p11_uri {
	char	*clean;			/* for libp11: no module-path */
	size_t	 clean_len;
	size_t	 clean_cap;
	char	 shown[256];		/* for messages: no pin-value either */
	size_t	 shown_len;
	char	 module[PATH_MAX];	/* module-path, or "" */
	bool	 has_pin;
};

static void
append(char *buf, size_t cap, size_t *len, char sep, const char *s,
    size_t n)
{
	int w;

	if (*len >= cap)
		return;
	w = snprintf(buf + *len, cap - *len, "%c%.*s", sep, (int)n, s);
	*len += w > 0 ? (size_t)w : 0;
}

/*
 * libp11 knows neither module-path (RFC 7512 section 2.4; it becomes
 * the engine's MODULE_PATH, taken literally) nor that pin-value must
 * stay out of messages. Every attribute, path or query, is split on
 * the separators ";?&" as libp11 does.
 */
static void
split_uri(struct p11_uri *u, const char *uri)
{
	const char *p = uri + strlen("pkcs11:");
	size_t n;
	char sep = ':';

	u->clean_len = u->shown_len = 0;
	u->module[0] = '\0';
	u->has_pin = false;
	snprintf(u->clean, u->clean_cap, "pkcs11");
	snprintf(u->shown, sizeof(u->shown), "pkcs11");
	u->clean_len = u->shown_len = strlen("pkcs11");
	for (;;) {
		n = strcspn(p, ";?&");
		if (strncmp(p, "module-path=", 12) == 0) {
			snprintf(u->module, sizeof(u->module), "%.*s",
			    (int)n - 12, p + 12);
		} else {
			if (strncmp(p, "pin-value=", 10) == 0)
				u->has_pin = true;
			else
				append(u->shown, sizeof(u->shown),
				    &u->shown_len, sep, p, n);
			append(u->clean, u->clean_cap, &u->clean_len, sep, p,
			    n);
		}
		if (p[n] == '\0')
			break;
		sep = p[n];
		p += n + 1;
	}
}

/* A UI method that never prompts: a missing PIN is an error. */
static int
ui_refuse(UI *ui, UI_STRING *uis)
{
	return 0;
}

static int
engine_open(ENGINE **out, const char *module, const char *shown,
    struct sbx_err *err)
{
	ENGINE *e;

	*out = NULL;
	if ((e = ENGINE_by_id("pkcs11")) == NULL)
		return sbx_err_ssl(err, SBX_ECONFIG, "%s: OpenSSL's pkcs11 "
		    "engine is not available (libengine-pkcs11-openssl)",
		    shown);
	/* libp11 writes to stderr unless told not to; libsbx never does. */
	if (!ENGINE_ctrl_cmd_string(e, "QUIET", NULL, 1))
		ERR_clear_error();
	if (module[0] != '\0' &&
	    !ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module, 0)) {
		ENGINE_free(e);
		return sbx_err_ssl(err, SBX_ECONFIG, "%s: bad module-path",
		    shown);
	}
	if (!ENGINE_init(e)) {
		ENGINE_free(e);
		return sbx_err_ssl(err, SBX_ECONFIG, "%s: cannot start the "
		    "pkcs11 engine", shown);
	}
	*out = e;
	return SBX_OK;
}

static int
load_pkcs11(struct sbx_key *key, const char *uri,
    const struct sbx_secret *pin, struct sbx_err *err)
{
	struct p11_uri u = { .clean_cap = strlen(uri) + 1 };
	UI_METHOD *ui = NULL;
	int rc;

	if ((u.clean = malloc(u.clean_cap)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	split_uri(&u, uri);
	rc = engine_open(&key->engine, u.module, u.shown, err);
	if (rc != SBX_OK)
		goto done;
	if (pin != NULL && !u.has_pin &&
	    !ENGINE_ctrl_cmd_string(key->engine, "PIN", pin->buf, 0)) {
		rc = sbx_err_ssl(err, SBX_ECONFIG, "%s: the engine refused "
		    "the PIN", u.shown);
		goto done;
	}
	if ((ui = UI_create_method("sbx: no prompts")) == NULL ||
	    UI_method_set_reader(ui, ui_refuse) != 0) {
		rc = sbx_err_ssl(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	key->pkey = ENGINE_load_private_key(key->engine, u.clean, ui, NULL);
	if (key->pkey == NULL) {
		rc = sbx_err_ssl(err, SBX_ECONFIG, "%s: cannot load the "
		    "private key%s", u.shown, pin == NULL && !u.has_pin ?
		    " (no PIN was given)" : "");
		goto done;
	}
	rc = SBX_OK;
done:
	UI_destroy_method(ui);
	OPENSSL_cleanse(u.clean, u.clean_cap);
	free(u.clean);
	return rc;
}

static int
finish_load(struct sbx_key *key, const char *shown, struct sbx_err *err)
{
	int type = EVP_PKEY_get_base_id(key->pkey);

	/* RSA only: what the JVM and jarsigner take from JDK 8 on. */
	if (type != EVP_PKEY_RSA)
		return sbx_err_set(err, SBX_ECONFIG, "%s: key type %s, not "
		    "RSA", shown, type == EVP_PKEY_RSA_PSS ? "RSA-PSS" :
		    type_name(key->pkey));
	return sbx_keyid(key->id, key->pkey, err);
}

int
sbx_key_load(struct sbx_key **out, const char *spec, const char *alias,
    const struct sbx_secret *pass, struct sbx_err *err)
{
	struct sbx_key *key = NULL;
	const char *shown = spec;
	int rc;

	*out = NULL;
	if ((key = calloc(1, sizeof(*key))) == NULL ||
	    (key->chain = sk_X509_new_null()) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}

	if (strncmp(spec, "pkcs12:", 7) == 0) {
		shown = spec + 7;
		rc = load_pkcs12(key, shown, alias, pass, err);
	} else if (alias != NULL) {
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: a key alias applies "
		    "to pkcs12: keystores only", spec);
	} else if (strncmp(spec, "pkcs11:", 7) == 0) {
		shown = "pkcs11 key";
		rc = load_pkcs11(key, spec, pass, err);
	} else {
		rc = load_pem(&key->pkey, spec, pass, err);
	}
	if (rc != SBX_OK)
		goto done;
	if ((rc = finish_load(key, shown, err)) != SBX_OK)
		goto done;

	*out = key;
	key = NULL;
done:
	sbx_key_free(key);
	return rc;
}

static int
read_certs(STACK_OF(X509) *out, const char *path, struct sbx_err *err)
{
	struct sbx_buf b = { 0 };
	const unsigned char *p;
	BIO *bio = NULL;
	X509 *x = NULL;
	int rc;

	if ((rc = sbx_file_read(&b, path, KEY_FILE_MAX, err)) != SBX_OK) {
		if (rc == SBX_EREJECT)
			rc = sbx_err_set(err, SBX_ECONFIG, "%s: larger than "
			    "%d bytes: not a certificate", path, KEY_FILE_MAX);
		goto done;
	}
	if ((bio = BIO_new_mem_buf(b.p, (int)b.len)) == NULL) {
		rc = sbx_err_ssl(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(out, x) == 0) {
			rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
			goto done;
		}
		x = NULL;
	}
	ERR_clear_error();

	/* No PEM block at all: the whole file must be one DER cert. */
	p = b.p;
	if (sk_X509_num(out) == 0 &&
	    ((x = d2i_X509(NULL, &p, (long)b.len)) == NULL ||
	    p != b.p + b.len || sk_X509_push(out, x) == 0)) {
		rc = sbx_err_ssl(err, SBX_ECONFIG, "%s: not a certificate "
		    "(PEM or DER)", path);
		goto done;
	}
	x = NULL;
	rc = SBX_OK;
done:
	X509_free(x);
	BIO_free(bio);
	sbx_buf_free(&b);
	return rc;
}

int
sbx_key_set_cert_file(struct sbx_key *key, const char *path,
    struct sbx_err *err)
{
	STACK_OF(X509) *certs;
	X509 *leaf;
	int rc;

	if ((certs = sk_X509_new_null()) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if ((rc = read_certs(certs, path, err)) != SBX_OK)
		goto done;

	leaf = sk_X509_value(certs, 0);
	if (X509_check_private_key(leaf, key->pkey) != 1) {
		ERR_clear_error();
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: the certificate is "
		    "not for key %s", path, key->id);
		goto done;
	}
	X509_free(key->cert);
	sk_X509_pop_free(key->chain, X509_free);
	key->cert = sk_X509_shift(certs);
	key->chain = certs;
	certs = NULL;
	rc = SBX_OK;
done:
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

EVP_PKEY *
sbx_key_pkey(const struct sbx_key *key)
{
	return key->pkey;
}

X509 *
sbx_key_cert(const struct sbx_key *key)
{
	return key->cert;
}

STACK_OF(X509) *
sbx_key_chain(const struct sbx_key *key)
{
	return key->chain;
}

const char *
sbx_key_id(const struct sbx_key *key)
{
	return key->id;
}

int
sbx_key_bits(const struct sbx_key *key)
{
	return EVP_PKEY_get_bits(key->pkey);
}

static int
set_padding(EVP_PKEY_CTX *pctx, enum sbx_padding pad, int saltlen)
{
	if (pad == SBX_PAD_PKCS1)
		return EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_PADDING) > 0;
	if (pad != SBX_PAD_PSS)
		return 0;
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0 &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) > 0;
}

int
sbx_key_sign(struct sbx_buf *sig, struct sbx_key *key, enum sbx_padding pad,
    const void *data, size_t n, struct sbx_err *err)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *at;
	size_t max, len;
	int rc;

	if ((md = EVP_MD_CTX_new()) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	if (EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL,
	    key->pkey) != 1 || !set_padding(pctx, pad, SALT_LEN)) {
		rc = sbx_err_ssl(err, SBX_EINTERNAL, "key %s: cannot start "
		    "signing", key->id);
		goto done;
	}
	max = len = (size_t)EVP_PKEY_get_size(key->pkey);
	if ((rc = sbx_buf_extend(sig, max, &at, err)) != SBX_OK)
		goto done;
	if (EVP_DigestSign(md, at, &len, data, n) != 1 || len > max) {
		sig->len -= max;
		rc = sbx_err_ssl(err, SBX_EINTERNAL, "key %s: signing failed",
		    key->id);
		goto done;
	}
	sig->len -= max - len;
	rc = SBX_OK;
done:
	EVP_MD_CTX_free(md);
	return rc;
}

int
sbx_sig_verify(EVP_PKEY *pub, enum sbx_padding pad, const void *data,
    size_t n, const unsigned char *sig, size_t sig_len, struct sbx_err *err)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int rc = SBX_EREJECT, ok;

	/* The signer picks the salt; the policy judges key and digest. */
	if (EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA) {
		rc = sbx_err_reject(err, SBX_V_WEAK_ALGORITHM, "key type %s, "
		    "not RSA", type_name(pub));
		goto done;
	}
	if ((md = EVP_MD_CTX_new()) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	if (EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pub) != 1 ||
	    !set_padding(pctx, pad, RSA_PSS_SALTLEN_AUTO)) {
		rc = sbx_err_ssl(err, SBX_EINTERNAL, "cannot start "
		    "verifying");
		goto done;
	}
	ok = EVP_DigestVerify(md, sig, sig_len, data, n);
	ERR_clear_error();
	if (ok != 1) {
		rc = sbx_err_reject(err, SBX_V_BAD_SIGNATURE, "the %s "
		    "signature does not verify", pad == SBX_PAD_PSS ?
		    "RSA-PSS" : "RSA PKCS#1 v1.5");
		goto done;
	}
	rc = SBX_OK;
done:
	EVP_MD_CTX_free(md);
	return rc;
}

void
sbx_key_free(struct sbx_key *key)
{
	if (key == NULL)
		return;
	/* RSA_free wipes the private numbers; the engine goes last. */
	EVP_PKEY_free(key->pkey);
	X509_free(key->cert);
	sk_X509_pop_free(key->chain, X509_free);
	if (key->engine != NULL) {
		ENGINE_finish(key->engine);
		ENGINE_free(key->engine);
	}
	free(key);
}

int
sbx_key_generate(EVP_PKEY **out, int bits, struct sbx_err *err)
{
	*out = NULL;
	if (bits < BITS_MIN || bits > BITS_MAX)
		return sbx_err_set(err, SBX_ECONFIG, "RSA keys have %d to %d "
		    "bits, not %d", BITS_MIN, BITS_MAX, bits);
	if ((*out = EVP_RSA_gen((unsigned)bits)) == NULL)
		return sbx_err_ssl(err, SBX_EINTERNAL, "cannot generate an "
		    "RSA-%d key", bits);
	return SBX_OK;
}

int
sbx_key_write(const char *path, EVP_PKEY *pkey,
    const struct sbx_secret *pass, struct sbx_err *err)
{
	char tmp[PATH_MAX];
	BIO *bio = NULL;
	int fd, ok, rc;

	if ((fd = sbx_file_tmp_open(tmp, path, err)) == -1)
		return SBX_EIO;

	/* Narrow first, whatever mkostemp and umask did: the key is next. */
	if (fchmod(fd, 0600) == -1) {
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if ((bio = BIO_new_fd(fd, BIO_NOCLOSE)) == NULL) {
		rc = sbx_err_ssl(err, SBX_ENOMEM, "out of memory");
		goto fail;
	}
	/* With no passphrase no cipher: else OpenSSL would prompt. */
	ok = pass != NULL ?
	    PEM_write_bio_PKCS8PrivateKey(bio, pkey, EVP_aes_256_cbc(),
	    pass->buf, (int)pass->len, NULL, NULL) :
	    PEM_write_bio_PKCS8PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
	    NULL);
	if (!ok || BIO_flush(bio) != 1) {
		rc = sbx_err_ssl(err, SBX_EIO, "%s: cannot write the key",
		    path);
		goto fail;
	}
	BIO_free(bio);
	return sbx_file_tmp_commit(fd, tmp, path, 0600, err);
fail:
	BIO_free(bio);
	sbx_file_tmp_abort(fd, tmp);
	return rc;
}

/* Move one "KEY=value" of a one-line name into name. */
static int
add_rdn(X509_NAME *name, char *part, const char *subject,
    struct sbx_err *err)
{
	char *eq = strchr(part, '=');

	if (eq == NULL || eq == part || eq[1] == '\0')
		return sbx_err_set(err, SBX_ECONFIG, "subject '%s': '%s' is "
		    "not TYPE=value", subject, part);
	*eq = '\0';
	if (!X509_NAME_add_entry_by_txt(name, part, MBSTRING_UTF8,
	    (unsigned char *)eq + 1, -1, -1, 0))
		return sbx_err_ssl(err, SBX_ECONFIG, "subject '%s': bad %s",
		    subject, part);
	return SBX_OK;
}

/* Trim spaces around a ","-form part; "/"-form parts are taken as is. */
static char *
trim(char *s, char sep)
{
	size_t n;

	if (sep != ',')
		return s;
	while (*s == ' ')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	return s;
}

static int
parse_subject(X509_NAME *name, const char *subject, struct sbx_err *err)
{
	char part[1024];
	const char *p = subject;
	char sep = ',';
	size_t n = 0;
	int rc;

	if (*p == '/') {
		sep = '/';
		p++;
	}
	for (;; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == sep || *p == '\0') {
			part[n] = '\0';
			rc = add_rdn(name, trim(part, sep), subject, err);
			if (rc != SBX_OK || *p == '\0')
				return rc;
			n = 0;
			continue;
		}
		if (n + 1 >= sizeof(part))
			return sbx_err_set(err, SBX_ECONFIG, "subject: a part "
			    "is longer than %zu bytes", sizeof(part) - 1);
		part[n++] = *p;
	}
}

static int
add_ext(X509 *cert, int nid, const char *value, struct sbx_err *err)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value)) == NULL)
		return sbx_err_ssl(err, SBX_EINTERNAL, "cannot make %s",
		    OBJ_nid2sn(nid));
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	if (!ok)
		return sbx_err_ssl(err, SBX_ENOMEM, "out of memory");
	return SBX_OK;
}

static int
set_serial(X509 *cert, struct sbx_err *err)
{
	unsigned char r[16];
	BIGNUM *bn = NULL;
	int ok;

	ok = RAND_bytes(r, sizeof(r)) == 1 &&
	    (bn = BN_bin2bn(r, sizeof(r), NULL)) != NULL &&
	    (!BN_is_zero(bn) || BN_one(bn)) &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
	BN_free(bn);
	if (!ok)
		return sbx_err_ssl(err, SBX_EINTERNAL, "cannot make a serial "
		    "number");
	return SBX_OK;
}

/* Constraints from JAR-SIGNING.md section 4: what JDK 8 to 21 accept. */
static int
fill_cert(X509 *cert, EVP_PKEY *pkey, const char *subject, int days,
    struct sbx_err *err)
{
	X509_NAME *name = X509_get_subject_name(cert);
	int rc;

	if ((rc = parse_subject(name, subject, err)) != SBX_OK)
		return rc;
	if (!X509_set_version(cert, 2) || !X509_set_issuer_name(cert, name) ||
	    !X509_set_pubkey(cert, pkey) ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), 0) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, NULL) == NULL)
		return sbx_err_ssl(err, SBX_EINTERNAL, "cannot fill in the "
		    "certificate");
	if ((rc = set_serial(cert, err)) != SBX_OK ||
	    (rc = add_ext(cert, NID_key_usage, "critical,digitalSignature",
	    err)) != SBX_OK ||
	    (rc = add_ext(cert, NID_ext_key_usage, "codeSigning", err)) !=
	    SBX_OK ||
	    (rc = add_ext(cert, NID_subject_key_identifier, "hash", err)) !=
	    SBX_OK)
		return rc;
	return SBX_OK;
}

int
sbx_cert_selfsign(X509 **out, EVP_PKEY *pkey, const char *subject, int days,
    struct sbx_err *err)
{
	X509 *cert = NULL;
	int rc;

	*out = NULL;
	if (days < 1 || days > DAYS_MAX) {
		rc = sbx_err_set(err, SBX_ECONFIG, "a certificate is valid "
		    "for 1 to %d days, not %d", DAYS_MAX, days);
		goto done;
	}
	if ((cert = X509_new()) == NULL) {
		rc = sbx_err_ssl(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = fill_cert(cert, pkey, subject, days, err)) != SBX_OK)
		goto done;
	if (X509_sign(cert, pkey, EVP_sha256()) <= 0) {
		rc = sbx_err_ssl(err, SBX_ECONFIG, "cannot sign the "
		    "certificate");
		goto done;
	}
	*out = cert;
	cert = NULL;
	rc = SBX_OK;
done:
	X509_free(cert);
	return rc;
}

int
sbx_cert_load(X509 **out, const char *path, struct sbx_err *err)
{
	STACK_OF(X509) *certs;
	int rc;

	*out = NULL;
	if ((certs = sk_X509_new_null()) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if ((rc = read_certs(certs, path, err)) == SBX_OK) {
		if (sk_X509_num(certs) == 1)
			*out = sk_X509_shift(certs);
		else
			rc = sbx_err_set(err, SBX_ECONFIG, "%s: %d "
			    "certificates where one was expected", path,
			    sk_X509_num(certs));
	}
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

int
sbx_cert_write(const char *path, X509 *cert, struct sbx_err *err)
{
	BIO *bio;
	BUF_MEM *mem;
	int rc;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return sbx_err_ssl(err, SBX_ENOMEM, "out of memory");
	if (PEM_write_bio_X509(bio, cert) != 1) {
		rc = sbx_err_ssl(err, SBX_EINTERNAL, "%s: cannot encode the "
		    "certificate", path);
		goto done;
	}
	BIO_get_mem_ptr(bio, &mem);
	rc = sbx_file_write_atomic(path, mem->data, mem->length, 0644, err);
done:
	BIO_free(bio);
	return rc;
}

int
sbx_asn1_time(int64_t *out, const ASN1_TIME *t, struct sbx_err *err)
{
	struct tm tm;
	time_t s;

	*out = 0;
	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return sbx_err_ssl(err, SBX_ECONFIG, "bad ASN.1 time");
	if ((s = timegm(&tm)) == (time_t)-1)
		return sbx_err_set(err, SBX_ECONFIG, "ASN.1 time out of "
		    "range");
	*out = (int64_t)s;
	return SBX_OK;
}

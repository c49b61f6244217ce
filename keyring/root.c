/* keyring/root.c: root files, and keyrings judged by them. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include <sbx/file.h>
#include <sbx/key.h>
#include <sbx/root.h>

#include "keyring_int.h"

#define ROOT_TYPE	"sbx-root"
#define ROOT_MIN_BITS	2048
#define ROOT_MAX_KEYS	64

struct sbx_root {
	char		*name;		/* the file, for messages */
	uint64_t	 version;
	int64_t		 expires;
	unsigned	 threshold;
	struct sbx_keyring_key **keys;
	size_t		 nkeys;
	json_t		*signatures;
};

static const char *const top_fields[] = {
	"type", "version", "expires", "threshold", "keys", "signatures", NULL
};

static const char *const key_fields[] = {
	"id", "certificate", "public_key", NULL
};

static int
root_alloc(struct sbx_root **out, const char *name, struct sbx_err *err)
{
	struct sbx_root *r;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->keys = calloc(ROOT_MAX_KEYS, sizeof(*r->keys))) == NULL ||
	    (r->name = strdup(name)) == NULL) {
		sbx_root_free(r);
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	}
	*out = r;
	return SBX_OK;
}

void
sbx_root_free(struct sbx_root *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nkeys; i++)
		sbx_kr_key_free(r->keys[i]);
	free(r->keys);
	free(r->name);
	json_decref(r->signatures);
	free(r);
}

int
sbx_root_new(struct sbx_root **out, unsigned threshold, int64_t expires,
    struct sbx_err *err)
{
	int rc;

	if (threshold < 1 || threshold > ROOT_MAX_KEYS)
		return sbx_err_set(err, SBX_ECONFIG, "a threshold is 1 to %d, "
		    "not %u", ROOT_MAX_KEYS, threshold);
	if ((rc = root_alloc(out, "root file", err)) != SBX_OK)
		return rc;
	(*out)->version = 1;
	(*out)->threshold = threshold;
	(*out)->expires = expires;
	return SBX_OK;
}

int
sbx_root_next(struct sbx_root **out, const struct sbx_root *old,
    unsigned threshold, int64_t expires, struct sbx_err *err)
{
	int rc;

	if ((rc = sbx_root_new(out, threshold, expires, err)) != SBX_OK)
		return rc;
	(*out)->version = old->version + 1;
	return SBX_OK;
}

/* Root keys sign for a whole fleet: RSA, and not a weak one. */
static const char *
key_fault(EVP_PKEY *pub)
{
	if (EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA)
		return "is not an RSA key";
	if (EVP_PKEY_get_bits(pub) < ROOT_MIN_BITS)
		return "has fewer than 2048 bits";
	return NULL;
}

static bool
has_id(const struct sbx_root *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->nkeys; i++)
		if (strcmp(r->keys[i]->id, id) == 0)
			return true;
	return false;
}

int
sbx_root_add_cert(struct sbx_root *r, X509 *cert, struct sbx_err *err)
{
	struct sbx_keyring_key *k;
	const char *fault;
	int rc;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if ((k->pub = X509_get_pubkey(cert)) == NULL) {
		rc = sbx_err_ssl(err, SBX_ECONFIG, "certificate: unreadable "
		    "public key");
		goto done;
	}
	if ((rc = sbx_keyid(k->id, k->pub, err)) != SBX_OK)
		goto done;
	rc = SBX_ECONFIG;
	if ((fault = key_fault(k->pub)) != NULL) {
		sbx_err_set(err, rc, "root key %s %s", k->id, fault);
		goto done;
	}
	if (has_id(r, k->id)) {
		sbx_err_set(err, rc, "root key %s is listed twice", k->id);
		goto done;
	}
	if (r->nkeys == ROOT_MAX_KEYS) {
		sbx_err_set(err, rc, "at most %d root keys", ROOT_MAX_KEYS);
		goto done;
	}
	X509_up_ref(cert);
	k->cert = cert;
	r->keys[r->nkeys++] = k;
	k = NULL;
	json_decref(r->signatures);
	r->signatures = NULL;
	rc = SBX_OK;
done:
	sbx_kr_key_free(k);
	return rc;
}

/* ---- reading ---- */

static int
parse_key(struct sbx_root *r, json_t *obj, struct sbx_kr_where *w,
    struct sbx_err *err)
{
	struct sbx_keyring_key *k;
	const char *fault;
	int rc;

	if (!json_is_object(obj))
		return sbx_kr_bad(err, w, "", "must be an object");
	if ((rc = sbx_kr_check_fields(obj, key_fields, w, err)) != SBX_OK)
		return rc;
	if (r->nkeys == ROOT_MAX_KEYS)
		return sbx_kr_bad(err, w, "", "at most %d root keys",
		    ROOT_MAX_KEYS);
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if ((rc = sbx_kr_get_key(k, obj, w, err)) != SBX_OK)
		goto done;
	if ((fault = key_fault(k->pub)) != NULL)
		rc = sbx_kr_bad(err, w, "", "key %s", fault);
	else if (has_id(r, k->id))
		rc = sbx_kr_bad(err, w, "id", "key %s is listed twice", k->id);
	else {
		r->keys[r->nkeys++] = k;
		k = NULL;
	}
done:
	sbx_kr_key_free(k);
	return rc;
}

static int
parse_keys(struct sbx_root *r, json_t *doc, struct sbx_kr_where *w,
    struct sbx_err *err)
{
	json_t *keys = json_object_get(doc, "keys"), *k;
	size_t i;
	int rc;

	if (keys == NULL)
		return sbx_kr_bad(err, w, "keys", "missing");
	if (!json_is_array(keys) || json_array_size(keys) == 0)
		return sbx_kr_bad(err, w, "keys", "must be a list of at least "
		    "one key");
	json_array_foreach(keys, i, k) {
		snprintf(w->at, sizeof(w->at), "keys[%zu]", i);
		if ((rc = parse_key(r, k, w, err)) != SBX_OK)
			return rc;
	}
	w->at[0] = '\0';
	if (r->threshold > r->nkeys)
		return sbx_kr_bad(err, w, "threshold", "%u is more than the "
		    "%zu keys listed", r->threshold, r->nkeys);
	return SBX_OK;
}

static int
parse_top(struct sbx_root *r, json_t *doc, struct sbx_kr_where *w,
    struct sbx_err *err)
{
	const char *type;
	uint64_t threshold;
	bool present;
	int rc;

	if (!json_is_object(doc))
		return sbx_err_set(err, SBX_ECONFIG, "%s: not a root file (a "
		    "JSON object)", w->path);
	if ((rc = sbx_kr_check_fields(doc, top_fields, w, err)) != SBX_OK ||
	    (rc = sbx_kr_get_str(&type, doc, "type", true, w, err)) != SBX_OK)
		return rc;
	if (strcmp(type, ROOT_TYPE) != 0)
		return sbx_kr_bad(err, w, "type", "must be \"" ROOT_TYPE "\", "
		    "not \"%s\"", type);
	if ((rc = sbx_kr_get_count(&r->version, doc, "version", w, err)) !=
	    SBX_OK ||
	    (rc = sbx_kr_get_count(&threshold, doc, "threshold", w, err)) !=
	    SBX_OK)
		return rc;
	if (threshold > ROOT_MAX_KEYS)
		return sbx_kr_bad(err, w, "threshold", "must be at most %d",
		    ROOT_MAX_KEYS);
	r->threshold = (unsigned)threshold;
	/* A root that never expires would pin its keys forever. */
	return sbx_kr_get_time(&r->expires, &present, doc, "expires", true,
	    w, err);
}

int
sbx_root_parse(struct sbx_root **out, const char *name, const void *buf,
    size_t len, struct sbx_err *err)
{
	struct sbx_root *r = NULL;
	struct sbx_kr_where w = { .path = name };
	json_error_t jerr;
	json_t *doc = NULL;
	int rc;

	*out = NULL;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		rc = sbx_err_set(err, SBX_ECONFIG, "%s:%d:%d: %s", name,
		    jerr.line, jerr.column, jerr.text);
		goto done;
	}
	if ((rc = root_alloc(&r, name, err)) != SBX_OK)
		goto done;
	if ((rc = parse_top(r, doc, &w, err)) != SBX_OK ||
	    (rc = parse_keys(r, doc, &w, err)) != SBX_OK ||
	    (rc = sbx_kr_sigs_parse(&r->signatures, doc, &w, err)) != SBX_OK)
		goto done;
	*out = r;
	r = NULL;
done:
	sbx_root_free(r);
	json_decref(doc);
	return rc;
}

int
sbx_root_load(struct sbx_root **out, const char *path, struct sbx_err *err)
{
	struct sbx_buf b = { 0 };
	int rc;

	*out = NULL;
	if ((rc = sbx_file_read(&b, path, SBX_KEYRING_MAX, err)) != SBX_OK) {
		if (rc == SBX_EREJECT)
			rc = sbx_err_set(err, SBX_ECONFIG, "%s: larger than "
			    "%d bytes", path, SBX_KEYRING_MAX);
	} else
		rc = sbx_root_parse(out, path, b.p, b.len, err);
	sbx_buf_free(&b);
	return rc;
}

/* ---- writing ---- */

static json_t *
key_json(const struct sbx_keyring_key *k)
{
	json_t *pem = sbx_kr_pem_json(k);

	if (pem == NULL)
		return NULL;
	return json_pack("{s:s, s:o}", "id", k->id,
	    k->cert != NULL ? "certificate" : "public_key", pem);
}

static json_t *
root_json(const struct sbx_root *r, bool with_signatures)
{
	json_t *keys = json_array(), *k, *doc;
	size_t i;

	for (i = 0; keys != NULL && i < r->nkeys; i++) {
		if ((k = key_json(r->keys[i])) == NULL ||
		    json_array_append_new(keys, k) != 0) {
			json_decref(keys);
			return NULL;
		}
	}
	doc = json_pack("{s:s, s:I, s:o, s:I, s:o}", "type", ROOT_TYPE,
	    "version", (json_int_t)r->version,
	    "expires", sbx_kr_time_json(r->expires, true),
	    "threshold", (json_int_t)r->threshold, "keys", keys);
	if (doc != NULL && with_signatures && json_object_set_new(doc,
	    "signatures", r->signatures != NULL ?
	    json_incref(r->signatures) : json_array()) != 0) {
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}

/* A file that could never be accepted is refused before it is written. */
static int
check_shape(const struct sbx_root *r, struct sbx_err *err)
{
	if (r->nkeys == 0)
		return sbx_err_set(err, SBX_ECONFIG, "%s: a root file needs at "
		    "least one key", r->name);
	if (r->threshold > r->nkeys)
		return sbx_err_set(err, SBX_ECONFIG, "%s: threshold %u is more "
		    "than the %zu keys listed", r->name, r->threshold,
		    r->nkeys);
	return SBX_OK;
}

int
sbx_root_save(const struct sbx_root *r, const char *path,
    struct sbx_err *err)
{
	struct sbx_buf b = { 0 };
	json_t *doc = NULL;
	char *text = NULL;
	int rc;

	if ((rc = check_shape(r, err)) != SBX_OK)
		return rc;
	if ((doc = root_json(r, true)) == NULL ||
	    (text = json_dumps(doc, JSON_INDENT(2))) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "%s: cannot encode the root "
		    "file", path);
		goto done;
	}
	if ((rc = sbx_buf_printf(&b, err, "%s\n", text)) == SBX_OK)
		rc = sbx_file_write_atomic(path, b.p, b.len, 0644, err);
done:
	sbx_buf_free(&b);
	free(text);
	json_decref(doc);
	return rc;
}

uint64_t
sbx_root_version(const struct sbx_root *r)
{
	return r->version;
}

int64_t
sbx_root_expires(const struct sbx_root *r)
{
	return r->expires;
}

unsigned
sbx_root_threshold(const struct sbx_root *r)
{
	return r->threshold;
}

size_t
sbx_root_count(const struct sbx_root *r)
{
	return r->nkeys;
}

size_t
sbx_root_nsignatures(const struct sbx_root *r)
{
	return r->signatures != NULL ? json_array_size(r->signatures) : 0;
}

const struct sbx_keyring_key *
sbx_root_key(const struct sbx_root *r, size_t i)
{
	return i < r->nkeys ? r->keys[i] : NULL;
}

bool
sbx_root_has_key(const struct sbx_root *r, const char *keyid)
{
	return has_id(r, keyid);
}

/* ---- signatures ---- */

static int
signed_bytes(struct sbx_buf *out, const struct sbx_root *r,
    struct sbx_err *err)
{
	json_t *doc;
	int rc;

	if ((doc = root_json(r, false)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "cannot encode the root "
		    "file");
	rc = sbx_kr_signed_bytes(out, doc, SBX_ROOT_PAYLOAD, err);
	json_decref(doc);
	return rc;
}

int
sbx_root_sign(struct sbx_root *r, struct sbx_key *key, struct sbx_err *err)
{
	struct sbx_buf bytes = { 0 };
	int rc;

	if ((rc = check_shape(r, err)) == SBX_OK &&
	    (rc = signed_bytes(&bytes, r, err)) == SBX_OK)
		rc = sbx_kr_sigs_add(&r->signatures, key, &bytes, err);
	sbx_buf_free(&bytes);
	return rc;
}

/* How many of keys' signatures in sigs verify over bytes. */
static int
tally(size_t *valid, char bad[SBX_KEYID_LEN + 1], json_t *sigs,
    const struct sbx_root *keys, const struct sbx_buf *bytes,
    struct sbx_err *err)
{
	return sbx_kr_sigs_tally(valid, bad, sigs, keys->keys, keys->nkeys,
	    bytes, err);
}

int
sbx_root_tally(size_t *own, size_t *by_old, const struct sbx_root *r,
    const struct sbx_root *old, struct sbx_err *err)
{
	struct sbx_buf bytes = { 0 };
	char bad[SBX_KEYID_LEN + 1];
	int rc;

	*own = *by_old = 0;
	if ((rc = signed_bytes(&bytes, r, err)) == SBX_OK)
		rc = tally(own, bad, r->signatures, r, &bytes, err);
	if (rc == SBX_OK && old != NULL)
		rc = tally(by_old, bad, r->signatures, old, &bytes, err);
	sbx_buf_free(&bytes);
	return rc;
}

/*
 * "[FILE: ]signed by 1 of the 2 keys of ROOT it needs (...)"; what is
 * NULL for a keyring, whose caller names it.
 */
static int
below_threshold(const char *what, size_t valid, const struct sbx_root *by,
    const char *bad, struct sbx_err *err)
{
	char note[96] = "";

	if (bad[0] != '\0')
		snprintf(note, sizeof(note), "; the signature by %.16s does "
		    "not verify", bad);
	return sbx_err_reject(err, SBX_V_BAD_SIGNATURE, "%s%ssigned by %zu "
	    "of the %u keys of %s (root version %llu) it needs%s",
	    what != NULL ? what : "", what != NULL ? ": " : "", valid,
	    by->threshold, by->name, (unsigned long long)by->version, note);
}

/* Is what (bytes, sigs) signed by a threshold of by's keys? */
static int
need_threshold(const char *what, json_t *sigs, const struct sbx_buf *bytes,
    const struct sbx_root *by, struct sbx_err *err)
{
	char bad[SBX_KEYID_LEN + 1];
	size_t valid;
	int rc;

	if ((rc = tally(&valid, bad, sigs, by, bytes, err)) != SBX_OK)
		return rc;
	if (valid < by->threshold)
		return below_threshold(what, valid, by, bad, err);
	return SBX_OK;
}

static int
not_expired(const char *what, int64_t expires, int64_t now,
    struct sbx_err *err)
{
	char t[SBX_TIME_LEN + 1];

	if (expires == 0)
		return sbx_err_reject(err, SBX_V_EXPIRED_KEY, "%s%shas no "
		    "expiry, and a signed one must have one",
		    what != NULL ? what : "", what != NULL ? ": " : "");
	if (now <= expires)
		return SBX_OK;
	sbx_keyring_time_format(t, expires);
	return sbx_err_reject(err, SBX_V_EXPIRED_KEY, "%s%sexpired at %s",
	    what != NULL ? what : "", what != NULL ? ": " : "", t);
}

int
sbx_root_check(const struct sbx_root *r, int64_t now, struct sbx_err *err)
{
	struct sbx_buf bytes = { 0 };
	int rc;

	if ((rc = check_shape(r, err)) == SBX_OK &&
	    (rc = signed_bytes(&bytes, r, err)) == SBX_OK &&
	    (rc = need_threshold(r->name, r->signatures, &bytes, r, err)) ==
	    SBX_OK)
		rc = not_expired(r->name, r->expires, now, err);
	sbx_buf_free(&bytes);
	return rc;
}

/*
 * Both thresholds: the old keys hand over, the new keys accept. A
 * thief of fewer than a threshold of old keys cannot install keys of
 * his own, and a typo in the new set cannot lock the fleet out.
 */
int
sbx_root_check_next(const struct sbx_root *old, const struct sbx_root *next,
    struct sbx_err *err)
{
	struct sbx_buf bytes = { 0 };
	int rc;

	if (next->version != old->version + 1)
		return sbx_err_reject(err, next->version <= old->version ?
		    SBX_V_ROLLBACK : SBX_V_BAD_SIGNATURE, "%s: version %llu "
		    "cannot follow version %llu of %s: rotations go one "
		    "version at a time", next->name,
		    (unsigned long long)next->version,
		    (unsigned long long)old->version, old->name);
	if ((rc = check_shape(next, err)) == SBX_OK &&
	    (rc = signed_bytes(&bytes, next, err)) == SBX_OK &&
	    (rc = need_threshold(next->name, next->signatures, &bytes, old,
	    err)) == SBX_OK)
		rc = need_threshold(next->name, next->signatures, &bytes, next,
		    err);
	sbx_buf_free(&bytes);
	return rc;
}

int
sbx_root_tally_keyring(size_t *valid, const struct sbx_root *r,
    const struct sbx_keyring *kr, struct sbx_err *err)
{
	struct sbx_buf bytes = { 0 };
	char bad[SBX_KEYID_LEN + 1];
	int rc;

	*valid = 0;
	if ((rc = sbx_keyring_signed_bytes(&bytes, kr, err)) == SBX_OK)
		rc = tally(valid, bad, sbx_kr_keyring_sigs(kr), r, &bytes, err);
	sbx_buf_free(&bytes);
	return rc;
}

int
sbx_root_verify_keyring(const struct sbx_root *r,
    const struct sbx_keyring *kr, int64_t now, struct sbx_err *err)
{
	struct sbx_buf bytes = { 0 };
	int rc;

	if ((rc = sbx_root_check(r, now, err)) != SBX_OK)
		return rc;
	if ((rc = sbx_keyring_signed_bytes(&bytes, kr, err)) == SBX_OK &&
	    (rc = need_threshold(NULL, sbx_kr_keyring_sigs(kr), &bytes, r,
	    err)) == SBX_OK)
		rc = not_expired(NULL, sbx_keyring_expires(kr), now, err);
	sbx_buf_free(&bytes);
	return rc;
}

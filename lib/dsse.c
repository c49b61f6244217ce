/* lib/dsse.c: DSSE envelopes and Sigstore bundles: sign, parse, verify. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include <sbx/dsse.h>
#include <sbx/file.h>

/* Why a signature failed, most telling last. */
enum why {
	WHY_NONE = 0,
	WHY_UNKNOWN,		/* no keyring key verifies it */
	WHY_BAD,		/* the hinted key does not verify it */
	WHY_TRUST		/* verifies, but not trusted or not allowed */
};

static const char *const envelope_members[] = {
	"payload", "payloadType", "signatures", NULL
};
static const char *const signature_members[] = { "keyid", "sig", NULL };
static const char *const bundle_members[] = {
	"mediaType", "verificationMaterial", "dsseEnvelope", NULL
};

static int
malformed(struct sbx_err *err, const char *name, const char *what)
{
	return sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH, "%s: %s",
	    name, what);
}

int
sbx_dsse_pae(struct sbx_buf *out, const char *type, const void *payload,
    size_t n, struct sbx_err *err)
{
	int rc;

	rc = sbx_buf_printf(out, err, "DSSEv1 %zu %s %zu ", strlen(type),
	    type, n);
	if (rc != SBX_OK)
		return rc;
	return sbx_buf_add(out, payload, n, err);
}

void
sbx_dsse_free(struct sbx_dsse *env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; i < env->nsigs; i++) {
		free(env->sigs[i].keyid);
		free(env->sigs[i].sig);
	}
	free(env->sigs);
	free(env->payload_type);
	sbx_buf_free(&env->payload);
	free(env);
}

static int
env_new(struct sbx_dsse **out, size_t nsigs, struct sbx_err *err)
{
	struct sbx_dsse *env;

	*out = NULL;
	if ((env = calloc(1, sizeof(*env))) == NULL ||
	    (env->sigs = calloc(nsigs, sizeof(*env->sigs))) == NULL) {
		free(env);
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	}
	*out = env;
	return SBX_OK;
}

int
sbx_dsse_sign(struct sbx_dsse **out, struct sbx_key *key,
    enum sbx_padding pad, const char *type, const void *payload, size_t n,
    struct sbx_err *err)
{
	struct sbx_dsse *env = NULL;
	struct sbx_buf pae = { 0 }, sig = { 0 };
	int rc;

	*out = NULL;
	if ((rc = env_new(&env, 1, err)) != SBX_OK)
		goto done;
	if ((env->payload_type = strdup(type)) == NULL ||
	    (env->sigs[0].keyid = strdup(sbx_key_id(key))) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	env->nsigs = 1;
	if ((rc = sbx_buf_add(&env->payload, payload, n, err)) != SBX_OK)
		goto done;

	/* The signature covers type and length too: no confusion attacks. */
	if ((rc = sbx_dsse_pae(&pae, type, payload, n, err)) != SBX_OK)
		goto done;
	if ((rc = sbx_key_sign(&sig, key, pad, pae.p, pae.len, err)) != 0)
		goto done;
	env->sigs[0].sig = sig.p;
	env->sigs[0].sig_len = sig.len;
	sig.p = NULL;

	*out = env;
	env = NULL;
	rc = SBX_OK;
done:
	sbx_buf_free(&pae);
	sbx_buf_free(&sig);
	sbx_dsse_free(env);
	return rc;
}

/* Base64 text of n bytes as a new JSON string. */
static json_t *
b64_string(const void *p, size_t n, struct sbx_err *err)
{
	struct sbx_buf b = { 0 };
	json_t *s = NULL;

	if (sbx_b64_encode(&b, p, n, err) == SBX_OK)
		s = json_stringn((const char *)b.p, b.len);
	sbx_buf_free(&b);
	return s;
}

static json_t *
envelope_json(const struct sbx_dsse *env, struct sbx_err *err)
{
	json_t *o, *sigs, *s;
	size_t i;
	int bad = 0;

	o = json_object();
	sigs = json_array();
	if (o == NULL || sigs == NULL) {
		json_decref(o);
		json_decref(sigs);
		return NULL;
	}
	bad |= json_object_set_new(o, "payload",
	    b64_string(env->payload.p, env->payload.len, err));
	bad |= json_object_set_new(o, "payloadType",
	    json_string(env->payload_type));
	for (i = 0; i < env->nsigs; i++) {
		s = json_object();
		bad |= json_array_append_new(sigs, s);
		bad |= json_object_set_new(s, "keyid",
		    json_string(env->sigs[i].keyid));
		bad |= json_object_set_new(s, "sig", b64_string(
		    env->sigs[i].sig, env->sigs[i].sig_len, err));
	}
	bad |= json_object_set_new(o, "signatures", sigs);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Append doc as compact JSON and a newline. */
static int
dump_line(struct sbx_buf *out, json_t *doc, struct sbx_err *err)
{
	char *text;
	int rc;

	if (doc == NULL || (text = json_dumps(doc, JSON_COMPACT)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	rc = sbx_buf_puts(out, text, err);
	free(text);
	if (rc == SBX_OK)
		rc = sbx_buf_puts(out, "\n", err);
	return rc;
}

int
sbx_dsse_write(struct sbx_buf *out, const struct sbx_dsse *env,
    struct sbx_err *err)
{
	json_t *doc = envelope_json(env, err);
	int rc;

	rc = dump_line(out, doc, err);
	json_decref(doc);
	return rc;
}

int
sbx_bundle_write(struct sbx_buf *out, const struct sbx_dsse *env,
    const char *hint, struct sbx_err *err)
{
	json_t *doc = NULL, *env_doc = NULL;
	int rc;

	if (env->nsigs != 1)
		return sbx_err_set(err, SBX_EINTERNAL, "a bundle holds "
		    "exactly one signature, not %zu", env->nsigs);
	if ((env_doc = envelope_json(env, err)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	/* No transparency log, no timestamp: the keyring is the trust. */
	doc = json_pack("{s:s, s:{s:{s:s}, s:[]}, s:o}",
	    "mediaType", SBX_BUNDLE_MEDIA_TYPE,
	    "verificationMaterial", "publicKey", "hint", hint,
	    "tlogEntries", "dsseEnvelope", env_doc);
	rc = dump_line(out, doc, err);
	json_decref(doc);
	return rc;
}

/*
 * Refuse members not in allowed (a strict reading: the DSSE text says
 * consumers ignore them, but an envelope sbx cannot fully understand
 * is not one it vouches for) and require those in required.
 */
static int
check_members(json_t *obj, const char *const *allowed,
    const char *const *required, const char *what, const char *name,
    struct sbx_err *err)
{
	const char *key;
	json_t *v;
	size_t i;
	bool known;

	json_object_foreach(obj, key, v) {
		known = false;
		for (i = 0; allowed[i] != NULL && !known; i++)
			known = strcmp(key, allowed[i]) == 0;
		if (!known)
			return sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH,
			    "%s: unknown member \"%.64s\" in %s", name, key,
			    what);
	}
	for (i = 0; required[i] != NULL; i++)
		if (json_object_get(obj, required[i]) == NULL)
			return sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH,
			    "%s: %s has no \"%s\"", name, what, required[i]);
	return SBX_OK;
}

/* The string member key of obj, checked; NULL and a message if not. */
static const char *
get_string(json_t *obj, const char *key, size_t *len, const char *what,
    const char *name, struct sbx_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v)) {
		sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH, "%s: %s.%s is "
		    "not a string", name, what, key);
		return NULL;
	}
	*len = json_string_length(v);
	return json_string_value(v);
}

/*
 * DSSE allows the standard or the URL-safe alphabet; padding may be
 * left out. One alphabet per value: a mix is not base64 at all.
 */
static int
b64_decode(struct sbx_buf *out, const char *s, size_t n, const char *what,
    const char *name, struct sbx_err *err)
{
	struct sbx_buf tmp = { 0 };
	bool std = strcspn(s, "+/") < n, url = strcspn(s, "-_") < n;
	size_t i;
	int rc;

	if ((std && url) || n % 4 == 1 || (memchr(s, '=', n) && n % 4)) {
		rc = sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH,
		    "%s: %s: bad base64", name, what);
		goto done;
	}
	if ((rc = sbx_buf_add(&tmp, s, n, err)) != SBX_OK)
		goto done;
	for (i = 0; url && i < n; i++)
		if (tmp.p[i] == '-' || tmp.p[i] == '_')
			tmp.p[i] = tmp.p[i] == '-' ? '+' : '/';
	while (tmp.len % 4 != 0)
		if ((rc = sbx_buf_add(&tmp, "=", 1, err)) != SBX_OK)
			goto done;

	rc = sbx_b64_decode(out, (const char *)tmp.p, tmp.len, err);
	if (rc == SBX_EREJECT)
		rc = sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH,
		    "%s: %s: bad base64", name, what);
done:
	sbx_buf_free(&tmp);
	return rc;
}

static int
parse_sig(struct sbx_dsse_sig *sig, json_t *o, size_t i, const char *name,
    struct sbx_err *err)
{
	static const char *const required[] = { "sig", NULL };
	struct sbx_buf raw = { 0 };
	const char *s;
	char what[48];
	size_t n;
	int rc;

	snprintf(what, sizeof(what), "signatures[%zu]", i);
	if (!json_is_object(o))
		return sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH, "%s: %s "
		    "is not an object", name, what);
	rc = check_members(o, signature_members, required, what, name, err);
	if (rc != SBX_OK)
		return rc;

	/* An absent keyid is the same as an empty one (DSSE). */
	s = "";
	n = 0;
	if (json_object_get(o, "keyid") != NULL &&
	    (s = get_string(o, "keyid", &n, what, name, err)) == NULL)
		return SBX_EREJECT;
	if (n > SBX_DSSE_MAX_KEYID_LEN || strlen(s) != n)
		return sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH, "%s: "
		    "%s.keyid is longer than %d bytes", name, what,
		    SBX_DSSE_MAX_KEYID_LEN);
	if ((sig->keyid = strdup(s)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");

	if ((s = get_string(o, "sig", &n, what, name, err)) == NULL)
		return SBX_EREJECT;
	if (n == 0 || n > (SBX_DSSE_MAX_SIG_LEN + 2) / 3 * 4)
		return sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH, "%s: "
		    "%s.sig is %s", name, what, n == 0 ? "empty" :
		    "too long");
	snprintf(what, sizeof(what), "signatures[%zu].sig", i);
	if ((rc = b64_decode(&raw, s, n, what, name, err)) != SBX_OK) {
		sbx_buf_free(&raw);
		return rc;
	}
	sig->sig = raw.p;
	sig->sig_len = raw.len;
	return SBX_OK;
}

/* The payloadType and the signatures array, checked; NULL if refused. */
static json_t *
check_header(json_t *o, const char **type, const char *name,
    struct sbx_err *err)
{
	json_t *sigs;
	size_t n;

	if ((*type = get_string(o, "payloadType", &n, "envelope", name,
	    err)) == NULL)
		return NULL;
	if (strcmp(*type, SBX_DSSE_PAYLOAD_TYPE) != 0 || strlen(*type) != n) {
		sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH, "%s: "
		    "payloadType is \"%.64s\", not \"%s\"", name, *type,
		    SBX_DSSE_PAYLOAD_TYPE);
		return NULL;
	}
	sigs = json_object_get(o, "signatures");
	if (!json_is_array(sigs))
		malformed(err, name, "signatures is not an array");
	else if (json_array_size(sigs) == 0)
		malformed(err, name, "the envelope has no signature");
	else if (json_array_size(sigs) > SBX_DSSE_MAX_SIGS)
		sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH, "%s: more than "
		    "%d signatures", name, SBX_DSSE_MAX_SIGS);
	else
		return sigs;
	return NULL;
}

static int
parse_envelope(struct sbx_dsse **out, json_t *o, const char *name,
    struct sbx_err *err)
{
	struct sbx_dsse *env = NULL;
	json_t *sigs;
	const char *s;
	size_t n, i;
	int rc;

	*out = NULL;
	if (!json_is_object(o))
		return malformed(err, name, "the envelope is not an object");
	rc = check_members(o, envelope_members, envelope_members, "the "
	    "envelope", name, err);
	if (rc != SBX_OK)
		return rc;
	if ((sigs = check_header(o, &s, name, err)) == NULL)
		return SBX_EREJECT;

	if ((rc = env_new(&env, json_array_size(sigs), err)) != SBX_OK)
		return rc;
	if ((env->payload_type = strdup(s)) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < json_array_size(sigs); i++) {
		env->nsigs = i + 1;
		rc = parse_sig(&env->sigs[i], json_array_get(sigs, i), i, name,
		    err);
		if (rc != SBX_OK)
			goto done;
	}
	if ((s = get_string(o, "payload", &n, "envelope", name, err)) ==
	    NULL) {
		rc = SBX_EREJECT;
		goto done;
	}
	if ((rc = b64_decode(&env->payload, s, n, "payload", name, err)) != 0)
		goto done;

	*out = env;
	env = NULL;
	rc = SBX_OK;
done:
	sbx_dsse_free(env);
	return rc;
}

/*
 * A bundle's verification material is not read: whatever key or
 * certificate it names, only the keyring decides whom to trust.
 */
static int
parse_bundle(struct sbx_dsse **out, json_t *o, const char *name,
    struct sbx_err *err)
{
	static const char *const v03_alt =
	    "application/vnd.dev.sigstore.bundle+json;version=0.3";
	const char *s;
	size_t n;
	int rc;

	*out = NULL;
	rc = check_members(o, bundle_members, bundle_members, "the bundle",
	    name, err);
	if (rc != SBX_OK)
		return rc;
	if ((s = get_string(o, "mediaType", &n, "bundle", name, err)) ==
	    NULL)
		return SBX_EREJECT;
	if (strlen(s) != n || (strcmp(s, SBX_BUNDLE_MEDIA_TYPE) != 0 &&
	    strcmp(s, v03_alt) != 0))
		return sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH, "%s: "
		    "bundle mediaType \"%.64s\" is not %s", name, s,
		    SBX_BUNDLE_MEDIA_TYPE);
	if (!json_is_object(json_object_get(o, "verificationMaterial")))
		return malformed(err, name, "verificationMaterial is not an "
		    "object");
	return parse_envelope(out, json_object_get(o, "dsseEnvelope"), name,
	    err);
}

/* Blank space after the one value is fine; anything else is not. */
static bool
only_space(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' &&
		    p[i] != '\n')
			return false;
	return true;
}

int
sbx_dsse_parse(struct sbx_dsse **out, const void *buf, size_t len,
    const char *name, struct sbx_err *err)
{
	json_error_t jerr;
	json_t *doc = NULL;
	int rc;

	*out = NULL;
	if (len > SBX_DSSE_MAX_SIZE)
		return sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH, "%s: "
		    "larger than %zu bytes", name, SBX_DSSE_MAX_SIZE);

	/* One value only; a .intoto.jsonl of several is not sbx's. */
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES |
	    JSON_DISABLE_EOF_CHECK, &jerr);
	if (doc == NULL) {
		rc = sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH, "%s: "
		    "malformed JSON at line %d, column %d: %s", name,
		    jerr.line, jerr.column, jerr.text);
		goto done;
	}
	if (!only_space((const unsigned char *)buf + jerr.position,
	    len - (size_t)jerr.position)) {
		rc = malformed(err, name, "more than one JSON value (sbx "
		    "reads one envelope a file)");
		goto done;
	}
	if (!json_is_object(doc)) {
		rc = malformed(err, name, "the envelope is not an object");
		goto done;
	}
	if (json_object_get(doc, "mediaType") != NULL)
		rc = parse_bundle(out, doc, name, err);
	else
		rc = parse_envelope(out, doc, name, err);
done:
	json_decref(doc);
	return rc;
}

int
sbx_dsse_load(struct sbx_dsse **out, const char *path, struct sbx_err *err)
{
	struct sbx_buf b = { 0 };
	struct stat st;
	int rc;

	*out = NULL;
	/* Refuse a huge file before reading any of it. */
	if (stat(path, &st) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    strerror(errno));
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > SBX_DSSE_MAX_SIZE)
		return sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH, "%s: "
		    "larger than %zu bytes", path, SBX_DSSE_MAX_SIZE);

	rc = sbx_file_read(&b, path, SBX_DSSE_MAX_SIZE, err);
	if (rc == SBX_EREJECT)
		rc = sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH, "%s: "
		    "larger than %zu bytes", path, SBX_DSSE_MAX_SIZE);
	if (rc == SBX_OK)
		rc = sbx_dsse_parse(out, b.p, b.len, path, err);
	sbx_buf_free(&b);
	return rc;
}

const char *
sbx_dsse_scheme_name(enum sbx_padding pad)
{
	return pad == SBX_PAD_PSS ? "rsassa-pss-sha256" :
	    "rsa-pkcs1v15-sha256";
}

/* The best reason so far for refusing, and its rank. */
struct refusal {
	enum why	 why;
	struct sbx_err	 err;
};

static void
note(struct refusal *r, enum why why, const struct sbx_err *e)
{
	if (why > r->why) {
		r->why = why;
		r->err = *e;
	}
}

/* Does sig verify with pub? Which padding did, in *pad. */
static int
sig_matches(bool *ok, enum sbx_padding *pad, EVP_PKEY *pub,
    const struct sbx_buf *pae, const struct sbx_dsse_sig *sig,
    struct sbx_err *err)
{
	static const enum sbx_padding pads[] = { SBX_PAD_PSS, SBX_PAD_PKCS1 };
	struct sbx_err e = { 0 };
	size_t i;
	int rc;

	*ok = false;
	for (i = 0; i < sizeof(pads) / sizeof(pads[0]); i++) {
		rc = sbx_sig_verify(pub, pads[i], pae->p, pae->len, sig->sig,
		    sig->sig_len, &e);
		if (rc == SBX_OK) {
			*ok = true;
			*pad = pads[i];
			return SBX_OK;
		}
		if (rc != SBX_EREJECT) {
			if (err != NULL)
				*err = e;
			return rc;
		}
	}
	return SBX_OK;
}

/* The policy's word on a scheme and key size that verified. */
static int
check_algorithm(const struct sbx_policy *p, EVP_PKEY *pub,
    enum sbx_padding pad, const char *id, struct sbx_err *err)
{
	int bits = EVP_PKEY_get_bits(pub);

	if (p == NULL)
		return SBX_OK;
	if (!sbx_policy_allows_sigalg(p, pad == SBX_PAD_PSS ?
	    SBX_SIGALG_RSA_PSS : SBX_SIGALG_RSA_PKCS1))
		return sbx_err_reject(err, SBX_V_WEAK_ALGORITHM, "signature "
		    "scheme %s is not allowed by the policy (key %.16s)",
		    sbx_dsse_scheme_name(pad), id);
	if (!sbx_policy_allows_rsa_bits(p, bits))
		return sbx_err_reject(err, SBX_V_WEAK_ALGORITHM, "key %.16s "
		    "has %d bits, below the policy's minimum of %d", id, bits,
		    p->min_rsa_bits);
	return SBX_OK;
}

struct vctx {
	const struct sbx_dsse	*env;
	const struct sbx_keyring *kr;
	const struct sbx_policy	*policy;
	int64_t			 now;
	struct sbx_buf		 pae;
	struct refusal		 best;
};

/*
 * Try signature i with keyring key k. SBX_OK with *done set when it is
 * accepted; SBX_OK otherwise, the reason noted; an error code when the
 * check itself failed.
 */
static int
try_key(struct sbx_dsse_signer *out, bool *done, struct vctx *c, size_t i,
    const struct sbx_keyring_key *k, struct sbx_err *err)
{
	const struct sbx_dsse_sig *sig = &c->env->sigs[i];
	const struct sbx_keyring_key *trusted = NULL;
	struct sbx_err e = { 0 };
	enum sbx_padding pad = SBX_PAD_PSS;
	bool ok, hinted = strcasecmp(sig->keyid, k->id) == 0;
	int rc;

	*done = false;
	if (k->pub == NULL || EVP_PKEY_get_base_id(k->pub) != EVP_PKEY_RSA)
		return SBX_OK;
	if ((rc = sig_matches(&ok, &pad, k->pub, &c->pae, sig, err)) != 0)
		return rc;
	if (!ok) {
		if (hinted) {
			sbx_err_reject(&e, SBX_V_BAD_SIGNATURE, "signature "
			    "%zu does not verify with key %.16s (%s)", i,
			    k->id, k->name);
			note(&c->best, WHY_BAD, &e);
		}
		return SBX_OK;
	}

	rc = check_algorithm(c->policy, k->pub, pad, k->id, &e);
	if (rc == SBX_OK)
		rc = sbx_keyring_trust(&trusted, c->kr, k->pub, k->cert, NULL,
		    SBX_ROLE_PROVENANCE, c->now, &e);
	if (rc == SBX_EREJECT) {
		note(&c->best, WHY_TRUST, &e);
		return SBX_OK;
	}
	if (rc != SBX_OK) {
		if (err != NULL)
			*err = e;
		return rc;
	}
	out->key = trusted;
	out->pad = pad;
	out->index = i;
	*done = true;
	return SBX_OK;
}

/* The hinted key first (usually the only one that can match). */
static int
try_sig(struct sbx_dsse_signer *out, bool *done, struct vctx *c, size_t i,
    struct sbx_err *err)
{
	const struct sbx_keyring_key *hint, *k;
	size_t j, n = sbx_keyring_count(c->kr);
	int rc;

	hint = c->env->sigs[i].keyid[0] != '\0' ?
	    sbx_keyring_find(c->kr, c->env->sigs[i].keyid) : NULL;
	if (hint != NULL && strcasecmp(hint->id, c->env->sigs[i].keyid) != 0)
		hint = NULL;		/* found by name: not a key id */
	if (hint != NULL) {
		if ((rc = try_key(out, done, c, i, hint, err)) != SBX_OK ||
		    *done)
			return rc;
	}
	for (j = 0; j < n; j++) {
		k = sbx_keyring_key(c->kr, j);
		if (k == hint)
			continue;
		if ((rc = try_key(out, done, c, i, k, err)) != SBX_OK || *done)
			return rc;
	}
	return SBX_OK;
}

int
sbx_dsse_verify(struct sbx_dsse_signer *out, const struct sbx_dsse *env,
    const struct sbx_keyring *kr, const struct sbx_policy *policy,
    int64_t now, const char *name, struct sbx_err *err)
{
	struct vctx c = { env, kr, policy, now, { 0 }, { WHY_NONE, { 0 } } };
	bool done = false;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sbx_dsse_pae(&c.pae, env->payload_type, env->payload.p,
	    env->payload.len, err);
	for (i = 0; rc == SBX_OK && !done && i < env->nsigs; i++)
		rc = try_sig(out, &done, &c, i, err);
	if (rc != SBX_OK)
		goto done;
	if (done) {
		rc = SBX_OK;
		goto done;
	}

	if (c.best.why == WHY_NONE) {
		sbx_err_reject(&c.best.err, SBX_V_UNTRUSTED_KEY, "signature "
		    "by unknown key%s%.16s%s", env->sigs[0].keyid[0] ? " (" :
		    "", env->sigs[0].keyid, env->sigs[0].keyid[0] ? ")" : "");
	}
	if (err != NULL)
		*err = c.best.err;
	sbx_err_prefix(err, name);
	memset(out, 0, sizeof(*out));
	rc = SBX_EREJECT;
done:
	sbx_buf_free(&c.pae);
	return rc;
}

/* keyring/keyring.c: the keyring of trusted keys and authorities. */
/* SPDX-License-Identifier: ISC */
#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <sbx/file.h>
#include <sbx/key.h>
#include <sbx/keyring.h>
#include <sbx/tsa.h>

#include "keyring_int.h"

#define KEYRING_TYPE	"sbx-keyring"
#define KEYRING_MAX	SBX_KEYRING_MAX	/* bytes of JSON */
#define NAME_MAX_LEN	64

struct sbx_keyring {
	uint64_t	 version;
	int64_t		 expires;		/* 0: never */
	bool		 changed;		/* version raised already */
	struct sbx_keyring_key **keys;
	size_t		 nkeys;
	size_t		 cap;
	json_t		*signatures;		/* as read; see root.c */
};

static const struct {
	const char	*name;
	unsigned	 bit;
} role_names[] = {
	{ "jar", SBX_ROLE_JAR },
	{ "provenance", SBX_ROLE_PROVENANCE },
	{ "keyring", SBX_ROLE_KEYRING },
	{ "tsa", SBX_ROLE_TSA },
	{ "ca", SBX_ROLE_CA },
};

static const char *const status_names[] = {
	[SBX_KEY_ACTIVE] = "active",
	[SBX_KEY_RETIRED] = "retired",
	[SBX_KEY_REVOKED] = "revoked",
};

static const char *const top_fields[] = {
	"type", "version", "expires", "keys", "signatures", NULL
};

static const char *const key_fields[] = {
	"id", "name", "roles", "status", "status_time", "reason",
	"not_before", "not_after", "added", "certificate", "public_key", NULL
};

/* "PATH: keys[2].status: what", or "PATH: what" at the top. */
int
sbx_kr_bad(struct sbx_err *err, const struct sbx_kr_where *w,
    const char *field, const char *fmt, ...)
{
	char what[160], at[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(at, sizeof(at), "%s%s%s", w->at, w->at[0] != '\0' &&
	    field[0] != '\0' ? "." : "", field);
	if (at[0] == '\0')
		return sbx_err_set(err, SBX_ECONFIG, "%s: %s", w->path, what);
	return sbx_err_set(err, SBX_ECONFIG, "%s: %s: %s", w->path, at,
	    what);
}

void
sbx_kr_key_free(struct sbx_keyring_key *k)
{
	if (k == NULL)
		return;
	free(k->name);
	free(k->reason);
	X509_free(k->cert);
	EVP_PKEY_free(k->pub);
	free(k);
}

void
sbx_keyring_time_format(char out[SBX_TIME_LEN + 1], int64_t t)
{
	struct tm tm;
	time_t s = (time_t)t;

	if (gmtime_r(&s, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0 ||
	    strftime(out, SBX_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) !=
	    SBX_TIME_LEN)
		snprintf(out, SBX_TIME_LEN + 1, "%s", t < 0 ?
		    "0000-01-01T00:00:00Z" : "9999-12-31T23:59:59Z");
}

/* Only the one spelling the keyring writes: no zones, no fractions. */
bool
sbx_keyring_time_parse(int64_t *out, const char *s)
{
	char again[SBX_TIME_LEN + 1];
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != SBX_TIME_LEN)
		return false;
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return false;
	if ((t = timegm(&tm)) == (time_t)-1)
		return false;
	/* A round trip refuses what timegm would normalise (Feb 30). */
	sbx_keyring_time_format(again, (int64_t)t);
	if (strcmp(again, s) != 0)
		return false;
	*out = (int64_t)t;
	return true;
}

bool
sbx_kr_is_hex_id(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == SBX_KEYID_LEN;
}

/* Names go into messages, metrics labels and command lines. */
static bool
is_good_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN || s[0] == '-' || sbx_kr_is_hex_id(s))
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    strchr("._@+-", s[i]) != NULL))
			return false;
	return true;
}

int
sbx_roles_parse(unsigned *out, const char *list, struct sbx_err *err)
{
	const char *p = list;
	size_t i, n;
	unsigned bit;

	*out = 0;
	for (;;) {
		n = strcspn(p, ",");
		for (i = 0, bit = 0; i < sizeof(role_names) /
		    sizeof(role_names[0]) && bit == 0; i++)
			if (strlen(role_names[i].name) == n &&
			    strncmp(role_names[i].name, p, n) == 0)
				bit = role_names[i].bit;
		if (bit == 0 || (*out & bit) != 0) {
			*out = 0;
			return sbx_err_set(err, SBX_ECONFIG, "role '%.*s' %s: "
			    "roles are jar, provenance, keyring, tsa and ca",
			    (int)n, p, bit == 0 ? "is unknown" :
			    "is given twice");
		}
		*out |= bit;
		if (p[n] == '\0')
			return SBX_OK;
		p += n + 1;
	}
}

void
sbx_roles_format(char *buf, size_t n, unsigned roles)
{
	size_t i, at = 0;
	int w;

	if (n > 0)
		buf[0] = '\0';
	for (i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++) {
		if ((roles & role_names[i].bit) == 0 || at >= n)
			continue;
		w = snprintf(buf + at, n - at, "%s%s", at > 0 ? "," : "",
		    role_names[i].name);
		at += w > 0 ? (size_t)w : 0;
	}
}

int
sbx_keyring_new(struct sbx_keyring **out, struct sbx_err *err)
{
	struct sbx_keyring *kr;

	*out = NULL;
	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	kr->version = 1;
	kr->changed = true;
	*out = kr;
	return SBX_OK;
}

uint64_t
sbx_keyring_version(const struct sbx_keyring *kr)
{
	return kr->version;
}

int64_t
sbx_keyring_expires(const struct sbx_keyring *kr)
{
	return kr->expires;
}

/*
 * A changed keyring is a new version, raised once per run; no
 * signature covers a change, even one made after signing.
 */
static void
touch(struct sbx_keyring *kr)
{
	json_decref(kr->signatures);
	kr->signatures = NULL;
	if (kr->changed)
		return;
	kr->changed = true;
	kr->version++;
}

void
sbx_keyring_set_expires(struct sbx_keyring *kr, int64_t expires)
{
	kr->expires = expires;
	touch(kr);
}

static int
push_key(struct sbx_keyring *kr, struct sbx_keyring_key *k,
    struct sbx_err *err)
{
	struct sbx_keyring_key **keys;
	size_t cap;

	if (kr->nkeys == kr->cap) {
		cap = kr->cap == 0 ? 8 : kr->cap * 2;
		if ((keys = reallocarray(kr->keys, cap, sizeof(*keys))) ==
		    NULL)
			return sbx_err_set(err, SBX_ENOMEM, "out of memory");
		kr->keys = keys;
		kr->cap = cap;
	}
	kr->keys[kr->nkeys++] = k;
	return SBX_OK;
}

static const struct sbx_keyring_key *
find_id(const struct sbx_keyring *kr, const char *id)
{
	size_t i;

	for (i = 0; i < kr->nkeys; i++)
		if (strcasecmp(kr->keys[i]->id, id) == 0)
			return kr->keys[i];
	return NULL;
}

static const struct sbx_keyring_key *
find_name(const struct sbx_keyring *kr, const char *name)
{
	size_t i;

	for (i = 0; i < kr->nkeys; i++)
		if (strcmp(kr->keys[i]->name, name) == 0)
			return kr->keys[i];
	return NULL;
}

/*
 * What the JVM and jarsigner -strict demand of a JAR signer's
 * certificate (JAR-SIGNING.md section 4): no critical extension they
 * cannot handle, digitalSignature (or nonRepudiation) if key usage is
 * there, codeSigning (or any) if extended key usage is there.
 */
static const char *
code_signing_fault(X509 *cert)
{
	uint32_t flags = X509_get_extension_flags(cert);

	if (flags & EXFLAG_CRITICAL)
		return "has a critical extension that Java cannot handle";
	if ((flags & EXFLAG_KUSAGE) && (X509_get_key_usage(cert) &
	    (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0)
		return "has a key usage without digitalSignature";
	if ((flags & EXFLAG_XKUSAGE) && (X509_get_extended_key_usage(cert) &
	    (XKU_CODE_SIGN | XKU_ANYEKU)) == 0)
		return "has an extended key usage without codeSigning";
	return NULL;
}

/* What a signer's own certificate must allow for the role. */
static const char *
leaf_fault(X509 *cert, unsigned role)
{
	if (role & SBX_ROLE_TSA)
		return sbx_tsa_cert_fault(cert);
	return code_signing_fault(cert);
}

static const char *
entry_fault(X509 *cert, unsigned roles)
{
	if ((roles & SBX_ROLE_CA) && cert == NULL)
		return "role ca needs a certificate";
	if ((roles & SBX_ROLE_CA) && X509_check_ca(cert) != 1)
		return "role ca needs a CA certificate (basicConstraints "
		    "CA:TRUE)";
	if ((roles & SBX_ROLE_JAR) && !(roles & SBX_ROLE_CA) &&
	    cert != NULL && code_signing_fault(cert) != NULL)
		return code_signing_fault(cert);
	if ((roles & SBX_ROLE_TSA) && !(roles & SBX_ROLE_CA) &&
	    cert != NULL)
		return sbx_tsa_cert_fault(cert);
	return NULL;
}

static int
cert_window(struct sbx_keyring_key *k, X509 *cert, struct sbx_err *err)
{
	if (sbx_asn1_time(&k->not_before, X509_get0_notBefore(cert), err) !=
	    SBX_OK ||
	    sbx_asn1_time(&k->not_after, X509_get0_notAfter(cert), err) !=
	    SBX_OK)
		return SBX_ECONFIG;
	return SBX_OK;
}

int
sbx_keyring_add_cert(struct sbx_keyring *kr, X509 *cert, const char *name,
    unsigned roles, struct sbx_err *err)
{
	struct sbx_keyring_key *k = NULL;
	const char *fault;
	int rc;

	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->name = strdup(name)) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	if ((k->pub = X509_get_pubkey(cert)) == NULL) {
		rc = sbx_err_ssl(err, SBX_ECONFIG, "certificate: unreadable "
		    "public key");
		goto done;
	}
	if ((rc = sbx_keyid(k->id, k->pub, err)) != SBX_OK)
		goto done;
	if (!is_good_name(name)) {
		rc = sbx_err_set(err, SBX_ECONFIG, "name '%s': 1 to %d of "
		    "A-Z a-z 0-9 . _ @ + -, not starting with -, not a key "
		    "id", name, NAME_MAX_LEN);
		goto done;
	}
	if (roles == 0 || (roles & ~(unsigned)(SBX_ROLE_JAR |
	    SBX_ROLE_PROVENANCE | SBX_ROLE_KEYRING | SBX_ROLE_TSA |
	    SBX_ROLE_CA)) != 0) {
		rc = sbx_err_set(err, SBX_ECONFIG, "key %s: bad roles", name);
		goto done;
	}
	if ((fault = entry_fault(cert, roles)) != NULL) {
		rc = sbx_err_set(err, SBX_ECONFIG, "certificate of key %s %s",
		    k->id, fault);
		goto done;
	}
	if (find_id(kr, k->id) != NULL) {
		rc = sbx_err_set(err, SBX_ECONFIG, "key %s is already in the "
		    "keyring as %s", k->id, find_id(kr, k->id)->name);
		goto done;
	}
	if (find_name(kr, name) != NULL) {
		rc = sbx_err_set(err, SBX_ECONFIG, "name %s is already in "
		    "use by key %s", name, find_name(kr, name)->id);
		goto done;
	}
	if ((rc = cert_window(k, cert, err)) != SBX_OK)
		goto done;
	if (!X509_up_ref(cert)) {
		rc = sbx_err_ssl(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	k->cert = cert;
	k->roles = roles;
	k->status = SBX_KEY_ACTIVE;
	k->added = (int64_t)time(NULL);
	if ((rc = push_key(kr, k, err)) != SBX_OK)
		goto done;
	k = NULL;
	touch(kr);
done:
	sbx_kr_key_free(k);
	return rc;
}

size_t
sbx_keyring_count(const struct sbx_keyring *kr)
{
	return kr->nkeys;
}

const struct sbx_keyring_key *
sbx_keyring_key(const struct sbx_keyring *kr, size_t i)
{
	return i < kr->nkeys ? kr->keys[i] : NULL;
}

const struct sbx_keyring_key *
sbx_keyring_find(const struct sbx_keyring *kr, const char *id_or_name)
{
	const struct sbx_keyring_key *k = NULL;

	if (strlen(id_or_name) == SBX_KEYID_LEN)
		k = find_id(kr, id_or_name);
	return k != NULL ? k : find_name(kr, id_or_name);
}

static int
find_mutable(struct sbx_keyring_key **out, struct sbx_keyring *kr,
    const char *id_or_name, struct sbx_err *err)
{
	const struct sbx_keyring_key *k = sbx_keyring_find(kr, id_or_name);
	size_t i;

	*out = NULL;
	for (i = 0; i < kr->nkeys; i++)
		if (kr->keys[i] == k)
			*out = kr->keys[i];
	if (*out == NULL)
		return sbx_err_set(err, SBX_ECONFIG, "no key with id or name "
		    "'%s'", id_or_name);
	if ((*out)->status == SBX_KEY_REVOKED)
		return sbx_err_set(err, SBX_ECONFIG, "key %s (%s) is already "
		    "revoked", (*out)->name, (*out)->id);
	return SBX_OK;
}

int
sbx_keyring_retire(struct sbx_keyring *kr, const char *id_or_name,
    int64_t when, struct sbx_err *err)
{
	struct sbx_keyring_key *k;
	int rc;

	if ((rc = find_mutable(&k, kr, id_or_name, err)) != SBX_OK)
		return rc;
	if (k->status == SBX_KEY_RETIRED)
		return sbx_err_set(err, SBX_ECONFIG, "key %s (%s) is already "
		    "retired", k->name, k->id);
	k->status = SBX_KEY_RETIRED;
	k->status_time = when;
	touch(kr);
	return SBX_OK;
}

int
sbx_keyring_revoke(struct sbx_keyring *kr, const char *id_or_name,
    int64_t when, const char *reason, struct sbx_err *err)
{
	struct sbx_keyring_key *k;
	char *copy;
	int rc;

	if (reason == NULL || reason[0] == '\0')
		return sbx_err_set(err, SBX_ECONFIG, "a revocation needs a "
		    "reason");
	if ((rc = find_mutable(&k, kr, id_or_name, err)) != SBX_OK)
		return rc;
	if ((copy = strdup(reason)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	free(k->reason);
	k->reason = copy;
	k->status = SBX_KEY_REVOKED;
	k->status_time = when;
	touch(kr);
	return SBX_OK;
}

void
sbx_keyring_free(struct sbx_keyring *kr)
{
	size_t i;

	if (kr == NULL)
		return;
	for (i = 0; i < kr->nkeys; i++)
		sbx_kr_key_free(kr->keys[i]);
	free(kr->keys);
	json_decref(kr->signatures);
	free(kr);
}

/* ---- reading ---- */

int
sbx_kr_check_fields(json_t *obj, const char *const *allowed,
    const struct sbx_kr_where *w, struct sbx_err *err)
{
	const char *name;
	json_t *v;
	size_t i;

	json_object_foreach(obj, name, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], name) == 0)
				break;
		if (allowed[i] == NULL)
			return sbx_kr_bad(err, w, "", "unknown field '%s'",
			    name);
	}
	return SBX_OK;
}

/* A string field; absent or null gives NULL unless required. */
int
sbx_kr_get_str(const char **out, json_t *obj, const char *field,
    bool required, const struct sbx_kr_where *w, struct sbx_err *err)
{
	json_t *v = json_object_get(obj, field);

	*out = NULL;
	if ((v == NULL || json_is_null(v)) && !required)
		return SBX_OK;
	if (v == NULL)
		return sbx_kr_bad(err, w, field, "%s", "missing");
	if (!json_is_string(v))
		return sbx_kr_bad(err, w, field, "%s", "must be a string");
	*out = json_string_value(v);
	if ((*out)[0] == '\0')
		return sbx_kr_bad(err, w, field, "%s", "must not be empty");
	return SBX_OK;
}

int
sbx_kr_get_time(int64_t *out, bool *present, json_t *obj,
    const char *field, bool required, const struct sbx_kr_where *w,
    struct sbx_err *err)
{
	const char *s;
	int rc;

	*out = 0;
	*present = false;
	if ((rc = sbx_kr_get_str(&s, obj, field, required, w, err)) !=
	    SBX_OK || s == NULL)
		return rc;
	if (!sbx_keyring_time_parse(out, s))
		return sbx_kr_bad(err, w, field, "'%s' is not a time such as "
		    "2026-12-03T00:00:00Z", s);
	*present = true;
	return SBX_OK;
}

static int
get_roles(unsigned *out, json_t *obj, const struct sbx_kr_where *w,
    struct sbx_err *err)
{
	json_t *v = json_object_get(obj, "roles"), *r;
	struct sbx_err sub = { 0 };
	unsigned bit;
	size_t i;

	*out = 0;
	if (v == NULL)
		return sbx_kr_bad(err, w, "roles", "missing");
	if (!json_is_array(v) || json_array_size(v) == 0)
		return sbx_kr_bad(err, w, "roles", "must be a list of roles");
	json_array_foreach(v, i, r) {
		if (!json_is_string(r) ||
		    strchr(json_string_value(r), ',') != NULL ||
		    sbx_roles_parse(&bit, json_string_value(r), &sub) !=
		    SBX_OK || (*out & bit) != 0)
			return sbx_kr_bad(err, w, "roles", "must name jar, "
			    "provenance, keyring, tsa or ca, each once");
		*out |= bit;
	}
	return SBX_OK;
}

static int
get_status(enum sbx_key_status *out, json_t *obj,
    const struct sbx_kr_where *w, struct sbx_err *err)
{
	const char *s;
	size_t i;
	int rc;

	if ((rc = sbx_kr_get_str(&s, obj, "status", true, w, err)) != SBX_OK)
		return rc;
	for (i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(s, status_names[i]) == 0) {
			*out = (enum sbx_key_status)i;
			return SBX_OK;
		}
	return sbx_kr_bad(err, w, "status", "'%s' is not active, retired or "
	    "revoked", s);
}

int
sbx_kr_get_count(uint64_t *out, json_t *obj, const char *field,
    const struct sbx_kr_where *w, struct sbx_err *err)
{
	json_t *v = json_object_get(obj, field);

	*out = 0;
	if (v == NULL)
		return sbx_kr_bad(err, w, field, "missing");
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return sbx_kr_bad(err, w, field, "must be a whole number "
		    "from 1");
	*out = (uint64_t)json_integer_value(v);
	return SBX_OK;
}

/* One PEM object and nothing but white space after it. */
static int
get_pem(struct sbx_keyring_key *k, json_t *obj, const struct sbx_kr_where *w,
    struct sbx_err *err)
{
	const char *cert, *pub, *field;
	BIO *bio = NULL;
	char rest[8];
	int rc, n;

	if ((rc = sbx_kr_get_str(&cert, obj, "certificate", false, w,
	    err)) != SBX_OK ||
	    (rc = sbx_kr_get_str(&pub, obj, "public_key", false, w, err)) !=
	    SBX_OK)
		return rc;
	if ((cert == NULL) == (pub == NULL))
		return sbx_kr_bad(err, w, "", "needs either certificate or "
		    "public_key");
	field = cert != NULL ? "certificate" : "public_key";
	if (strncmp(cert != NULL ? cert : pub, "-----BEGIN ", 11) != 0)
		return sbx_kr_bad(err, w, field, "%s", "must start with "
		    "-----BEGIN");
	if ((bio = BIO_new_mem_buf(cert != NULL ? cert : pub, -1)) == NULL)
		return sbx_err_ssl(err, SBX_ENOMEM, "out of memory");
	if (cert != NULL && (k->cert = PEM_read_bio_X509(bio, NULL, NULL,
	    NULL)) != NULL)
		k->pub = X509_get_pubkey(k->cert);
	else if (pub != NULL)
		k->pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	while ((n = BIO_read(bio, rest, 1)) == 1 && strchr(" \t\r\n",
	    rest[0]) != NULL)
		;
	BIO_free(bio);
	ERR_clear_error();
	if (k->pub == NULL || n == 1)
		return sbx_kr_bad(err, w, field, "%s", cert != NULL ?
		    "not one PEM certificate" : "not one PEM public key");
	return SBX_OK;
}

int
sbx_kr_get_key(struct sbx_keyring_key *k, json_t *obj,
    const struct sbx_kr_where *w, struct sbx_err *err)
{
	const char *id;
	int rc;

	if ((rc = sbx_kr_get_str(&id, obj, "id", true, w, err)) != SBX_OK)
		return rc;
	if (!sbx_kr_is_hex_id(id))
		return sbx_kr_bad(err, w, "id", "must be 64 lower-case hex "
		    "digits");
	if ((rc = get_pem(k, obj, w, err)) != SBX_OK)
		return rc;

	/* The id is a claim; the key is the fact. */
	if ((rc = sbx_keyid(k->id, k->pub, err)) != SBX_OK)
		return rc;
	if (strcmp(k->id, id) != 0)
		return sbx_kr_bad(err, w, "id", "does not match the key, whose "
		    "id is %s", k->id);
	return SBX_OK;
}

static int
get_window(struct sbx_keyring_key *k, json_t *obj,
    const struct sbx_kr_where *w, struct sbx_err *err)
{
	bool present;
	int rc;

	if ((rc = sbx_kr_get_time(&k->not_before, &present, obj,
	    "not_before", true, w, err)) != SBX_OK ||
	    (rc = sbx_kr_get_time(&k->not_after, &present, obj, "not_after",
	    true, w, err)) != SBX_OK ||
	    (rc = sbx_kr_get_time(&k->added, &present, obj, "added", true, w,
	    err)) != SBX_OK)
		return rc;
	if (k->not_after <= k->not_before)
		return sbx_kr_bad(err, w, "not_after", "must be after "
		    "not_before");
	return SBX_OK;
}

/* active: no time, no reason; retired: a time; revoked: both. */
static int
get_state(struct sbx_keyring_key *k, json_t *obj,
    const struct sbx_kr_where *w, struct sbx_err *err)
{
	const char *reason;
	bool timed;
	int rc;

	if ((rc = get_status(&k->status, obj, w, err)) != SBX_OK ||
	    (rc = sbx_kr_get_time(&k->status_time, &timed, obj, "status_time",
	    k->status != SBX_KEY_ACTIVE, w, err)) != SBX_OK ||
	    (rc = sbx_kr_get_str(&reason, obj, "reason", k->status ==
	    SBX_KEY_REVOKED, w, err)) != SBX_OK)
		return rc;
	if (k->status == SBX_KEY_ACTIVE && timed)
		return sbx_kr_bad(err, w, "status_time", "must be null for an "
		    "active key");
	if (k->status != SBX_KEY_REVOKED && reason != NULL)
		return sbx_kr_bad(err, w, "reason", "is for revoked keys only");
	if (reason != NULL && (k->reason = strdup(reason)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	return SBX_OK;
}

static int
get_identity(struct sbx_keyring_key *k, json_t *obj,
    const struct sbx_kr_where *w, struct sbx_err *err)
{
	const char *name, *fault;
	int rc;

	if ((rc = sbx_kr_get_str(&name, obj, "name", true, w, err)) !=
	    SBX_OK)
		return rc;
	if (!is_good_name(name))
		return sbx_kr_bad(err, w, "name", "'%s' is not a good name: "
		    "use 1 to 64 of A-Z a-z 0-9 . _ @ + -", name);
	if ((k->name = strdup(name)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if ((rc = sbx_kr_get_key(k, obj, w, err)) != SBX_OK)
		return rc;
	if ((fault = entry_fault(k->cert, k->roles)) != NULL)
		return sbx_kr_bad(err, w, "certificate", "%s", fault);
	return SBX_OK;
}

static int
parse_key(struct sbx_keyring *kr, json_t *obj, struct sbx_kr_where *w,
    struct sbx_err *err)
{
	struct sbx_keyring_key *k = NULL;
	int rc;

	if (!json_is_object(obj))
		return sbx_kr_bad(err, w, "", "must be an object");
	if ((rc = sbx_kr_check_fields(obj, key_fields, w, err)) != SBX_OK)
		return rc;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if ((rc = get_roles(&k->roles, obj, w, err)) != SBX_OK ||
	    (rc = get_identity(k, obj, w, err)) != SBX_OK ||
	    (rc = get_window(k, obj, w, err)) != SBX_OK ||
	    (rc = get_state(k, obj, w, err)) != SBX_OK)
		goto done;
	if (find_id(kr, k->id) != NULL) {
		rc = sbx_kr_bad(err, w, "id", "key %s is listed twice", k->id);
		goto done;
	}
	if (find_name(kr, k->name) != NULL) {
		rc = sbx_kr_bad(err, w, "name", "%s is used twice", k->name);
		goto done;
	}
	if ((rc = push_key(kr, k, err)) != SBX_OK)
		goto done;
	k = NULL;
done:
	sbx_kr_key_free(k);
	return rc;
}

static int
parse_keys(struct sbx_keyring *kr, json_t *doc, struct sbx_kr_where *w,
    struct sbx_err *err)
{
	json_t *keys = json_object_get(doc, "keys"), *k;
	size_t i;
	int rc;

	if (keys == NULL)
		return sbx_kr_bad(err, w, "keys", "missing");
	if (!json_is_array(keys))
		return sbx_kr_bad(err, w, "keys", "must be a list");
	json_array_foreach(keys, i, k) {
		snprintf(w->at, sizeof(w->at), "keys[%zu]", i);
		if ((rc = parse_key(kr, k, w, err)) != SBX_OK)
			return rc;
	}
	w->at[0] = '\0';
	return SBX_OK;
}

static int
parse_top(struct sbx_keyring *kr, json_t *doc, struct sbx_kr_where *w,
    struct sbx_err *err)
{
	const char *type;
	bool present;
	int rc;

	if (!json_is_object(doc))
		return sbx_err_set(err, SBX_ECONFIG, "%s: not a keyring (a "
		    "JSON object)", w->path);
	if ((rc = sbx_kr_check_fields(doc, top_fields, w, err)) != SBX_OK ||
	    (rc = sbx_kr_get_str(&type, doc, "type", true, w, err)) != SBX_OK)
		return rc;
	if (strcmp(type, KEYRING_TYPE) != 0)
		return sbx_kr_bad(err, w, "type", "must be \"" KEYRING_TYPE
		    "\", not \"%s\"", type);
	if ((rc = sbx_kr_get_count(&kr->version, doc, "version", w, err)) !=
	    SBX_OK)
		return rc;
	return sbx_kr_get_time(&kr->expires, &present, doc, "expires", false,
	    w, err);
}

/*
 * Signatures by root keys are checked against a root file that the
 * operator pins (root.c); without one they vouch for nothing, so here
 * only their shape is checked and they are kept for saving.
 */
int
sbx_keyring_parse(struct sbx_keyring **out, const char *name,
    const void *buf, size_t len, struct sbx_err *err)
{
	struct sbx_keyring *kr = NULL;
	struct sbx_kr_where w = { .path = name };
	json_error_t jerr;
	json_t *doc = NULL;
	int rc;

	*out = NULL;
	/* A second "status" must not hide the first: no duplicates. */
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		rc = sbx_err_set(err, SBX_ECONFIG, "%s:%d:%d: %s", name,
		    jerr.line, jerr.column, jerr.text);
		goto done;
	}
	if ((rc = sbx_keyring_new(&kr, err)) != SBX_OK)
		goto done;
	if ((rc = parse_top(kr, doc, &w, err)) != SBX_OK ||
	    (rc = parse_keys(kr, doc, &w, err)) != SBX_OK ||
	    (rc = sbx_kr_sigs_parse(&kr->signatures, doc, &w, err)) !=
	    SBX_OK)
		goto done;
	kr->changed = false;
	*out = kr;
	kr = NULL;
done:
	sbx_keyring_free(kr);
	json_decref(doc);
	return rc;
}

int
sbx_keyring_load(struct sbx_keyring **out, const char *path,
    struct sbx_err *err)
{
	struct sbx_buf b = { 0 };
	int rc;

	*out = NULL;
	if ((rc = sbx_file_read(&b, path, KEYRING_MAX, err)) != SBX_OK) {
		if (rc == SBX_EREJECT)
			rc = sbx_err_set(err, SBX_ECONFIG, "%s: larger than "
			    "%d bytes", path, KEYRING_MAX);
	} else
		rc = sbx_keyring_parse(out, path, b.p, b.len, err);
	sbx_buf_free(&b);
	return rc;
}

/* ---- writing ---- */

json_t *
sbx_kr_time_json(int64_t t, bool present)
{
	char buf[SBX_TIME_LEN + 1];

	if (!present)
		return json_null();
	sbx_keyring_time_format(buf, t);
	return json_string(buf);
}

json_t *
sbx_kr_pem_json(const struct sbx_keyring_key *k)
{
	BUF_MEM *mem;
	json_t *s = NULL;
	BIO *bio;
	int ok;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	ok = k->cert != NULL ? PEM_write_bio_X509(bio, k->cert) :
	    PEM_write_bio_PUBKEY(bio, k->pub);
	BIO_get_mem_ptr(bio, &mem);
	if (ok)
		s = json_stringn(mem->data, mem->length);
	BIO_free(bio);
	return s;
}

static json_t *
roles_json(unsigned roles)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < sizeof(role_names) /
	    sizeof(role_names[0]); i++) {
		if ((roles & role_names[i].bit) == 0 ||
		    json_array_append_new(a,
		    json_string(role_names[i].name)) == 0)
			continue;
		json_decref(a);
		a = NULL;
	}
	return a;
}

static json_t *
key_json(const struct sbx_keyring_key *k)
{
	json_t *pem = sbx_kr_pem_json(k), *o;

	if (pem == NULL)
		return NULL;
	o = json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", k->id,
	    "name", k->name,
	    "roles", roles_json(k->roles),
	    "status", status_names[k->status],
	    "status_time", sbx_kr_time_json(k->status_time,
	    k->status != SBX_KEY_ACTIVE),
	    "reason", k->reason != NULL ? json_string(k->reason) :
	    json_null(),
	    "not_before", sbx_kr_time_json(k->not_before, true),
	    "not_after", sbx_kr_time_json(k->not_after, true),
	    "added", sbx_kr_time_json(k->added, true),
	    k->cert != NULL ? "certificate" : "public_key", pem);
	return o;
}

static json_t *
keyring_json(const struct sbx_keyring *kr)
{
	json_t *keys = json_array(), *k;
	size_t i;

	for (i = 0; keys != NULL && i < kr->nkeys; i++) {
		if ((k = key_json(kr->keys[i])) == NULL ||
		    json_array_append_new(keys, k) != 0) {
			json_decref(keys);
			return NULL;
		}
	}
	return json_pack("{s:s, s:I, s:o, s:o, s:o}",
	    "type", KEYRING_TYPE,
	    "version", (json_int_t)kr->version,
	    "expires", sbx_kr_time_json(kr->expires, kr->expires != 0),
	    "keys", keys,
	    "signatures", kr->signatures != NULL ?
	    json_incref(kr->signatures) : json_array());
}

int
sbx_keyring_save(const struct sbx_keyring *kr, const char *path,
    struct sbx_err *err)
{
	struct sbx_buf b = { 0 };
	json_t *doc;
	char *text = NULL;
	int rc;

	if ((doc = keyring_json(kr)) == NULL ||
	    (text = json_dumps(doc, JSON_INDENT(2))) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "%s: cannot encode the "
		    "keyring", path);
		goto done;
	}
	/* A final newline, as editors and diff expect. */
	if ((rc = sbx_buf_printf(&b, err, "%s\n", text)) != SBX_OK)
		goto done;
	rc = sbx_file_write_atomic(path, b.p, b.len, 0644, err);
done:
	sbx_buf_free(&b);
	free(text);
	json_decref(doc);
	return rc;
}

/* ---- signatures ---- */

/*
 * The signed body is rebuilt from what was parsed, not taken from the
 * file's bytes: what the signature vouches for is exactly what the
 * verifier goes on to use.
 */
int
sbx_keyring_signed_bytes(struct sbx_buf *out, const struct sbx_keyring *kr,
    struct sbx_err *err)
{
	json_t *doc;
	int rc;

	if ((doc = keyring_json(kr)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "cannot encode the "
		    "keyring");
	json_object_del(doc, "signatures");
	rc = sbx_kr_signed_bytes(out, doc, SBX_KEYRING_PAYLOAD, err);
	json_decref(doc);
	return rc;
}

int
sbx_keyring_sign(struct sbx_keyring *kr, struct sbx_key *key,
    struct sbx_err *err)
{
	struct sbx_buf bytes = { 0 };
	int rc;

	if (kr->expires == 0)
		return sbx_err_set(err, SBX_ECONFIG, "the keyring has no "
		    "expiry, and a signed keyring must have one (sbx-keyring "
		    "expire)");
	if ((rc = sbx_keyring_signed_bytes(&bytes, kr, err)) == SBX_OK)
		rc = sbx_kr_sigs_add(&kr->signatures, key, &bytes, err);
	sbx_buf_free(&bytes);
	return rc;
}

size_t
sbx_keyring_nsignatures(const struct sbx_keyring *kr)
{
	return kr->signatures != NULL ? json_array_size(kr->signatures) : 0;
}

json_t *
sbx_kr_keyring_sigs(const struct sbx_keyring *kr)
{
	return kr->signatures;
}

/* ---- trust ---- */

static int
judge_entry(const struct sbx_keyring_key *k, unsigned role, int64_t when,
    const char *via, struct sbx_err *err)
{
	char roles[64], a[SBX_TIME_LEN + 1], b[SBX_TIME_LEN + 1],
	    t[SBX_TIME_LEN + 1];

	sbx_keyring_time_format(t, when);
	if (k->status == SBX_KEY_REVOKED) {
		sbx_keyring_time_format(a, k->status_time);
		return sbx_err_reject(err, SBX_V_REVOKED_KEY, "%skey %s (%s) "
		    "was revoked at %s: %s", via, k->name, k->id, a,
		    k->reason != NULL ? k->reason : "no reason given");
	}
	if ((k->roles & role) != role) {
		sbx_roles_format(roles, sizeof(roles), role);
		return sbx_err_reject(err, SBX_V_UNTRUSTED_KEY, "%skey %s "
		    "(%s) may not sign for role %s", via, k->name, k->id,
		    roles);
	}
	if (k->status == SBX_KEY_RETIRED && k->status_time <= when) {
		sbx_keyring_time_format(a, k->status_time);
		return sbx_err_reject(err, SBX_V_EXPIRED_KEY, "%skey %s (%s) "
		    "was retired at %s, not after the signing time %s", via,
		    k->name, k->id, a, t);
	}
	if (when < k->not_before || when > k->not_after) {
		sbx_keyring_time_format(a, k->not_before);
		sbx_keyring_time_format(b, k->not_after);
		return sbx_err_reject(err, SBX_V_EXPIRED_KEY, "%skey %s (%s) "
		    "is valid from %s to %s, not at %s", via, k->name, k->id,
		    a, b, t);
	}
	return SBX_OK;
}

static X509_STORE *
ca_store(const struct sbx_keyring *kr)
{
	X509_STORE *store;
	size_t i;

	if ((store = X509_STORE_new()) == NULL)
		return NULL;
	for (i = 0; i < kr->nkeys; i++)
		if ((kr->keys[i]->roles & SBX_ROLE_CA) &&
		    kr->keys[i]->cert != NULL &&
		    !X509_STORE_add_cert(store, kr->keys[i]->cert)) {
			X509_STORE_free(store);
			return NULL;
		}
	return store;
}

/* Revoking a CA or an intermediate in the keyring revokes below it. */
static int
judge_chain(const struct sbx_keyring_key **anchor_out,
    const struct sbx_keyring *kr, STACK_OF(X509) *chain,
    const char *leaf_id, struct sbx_err *err)
{
	const struct sbx_keyring_key *k;
	char id[SBX_KEYID_LEN + 1];
	X509 *x;
	int i, rc, n = sk_X509_num(chain);

	*anchor_out = NULL;
	for (i = 1; i < n; i++) {
		x = sk_X509_value(chain, i);
		if ((rc = sbx_keyid(id, X509_get0_pubkey(x), err)) != SBX_OK)
			return rc;
		if ((k = find_id(kr, id)) == NULL)
			continue;
		if (k->status == SBX_KEY_REVOKED || i == n - 1)
			*anchor_out = k;
		if (k->status == SBX_KEY_REVOKED)
			break;
	}
	k = *anchor_out;
	if (k == NULL || (k->status != SBX_KEY_REVOKED &&
	    !(k->roles & SBX_ROLE_CA)))
		return sbx_err_reject(err, SBX_V_UNTRUSTED_KEY, "signer key "
		    "%s: its chain does not end at a keyring authority",
		    leaf_id);
	return SBX_OK;
}

static int
chain_reject(X509_STORE_CTX *ctx, const char *id, struct sbx_err *err)
{
	int e = X509_STORE_CTX_get_error(ctx);

	if (e == X509_V_ERR_CERT_HAS_EXPIRED ||
	    e == X509_V_ERR_CERT_NOT_YET_VALID)
		return sbx_err_reject(err, SBX_V_EXPIRED_KEY, "signer key %s: "
		    "its certificate chain is not valid at the signing time "
		    "(%s)", id, X509_verify_cert_error_string(e));
	return sbx_err_reject(err, SBX_V_UNTRUSTED_KEY, "signer key %s is not "
	    "in the keyring and does not chain to a keyring authority (%s)",
	    id, X509_verify_cert_error_string(e));
}

/*
 * A signer that the keyring does not list may still be certified by an
 * authority it lists, as jarsigner trusts a keystore's CA entries.
 * OpenSSL 3.0 has no code-signing purpose: the leaf's usages are
 * checked by hand after the chain is built (time stamping for role
 * tsa, code signing for the others).
 */
static int
trust_via_ca(const struct sbx_keyring_key **out, const struct sbx_keyring *kr,
    X509 *cert, STACK_OF(X509) *extra, const char *id, unsigned role,
    int64_t when, struct sbx_err *err)
{
	const struct sbx_keyring_key *anchor;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	const char *fault;
	char via[128];
	int rc;

	if ((store = ca_store(kr)) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_CTX_init(ctx, store, cert, extra)) {
		rc = sbx_err_ssl(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, (time_t)when);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_verify_cert(ctx) != 1) {
		ERR_clear_error();
		rc = chain_reject(ctx, id, err);
		goto done;
	}
	if ((fault = leaf_fault(cert, role)) != NULL) {
		rc = sbx_err_reject(err, SBX_V_UNTRUSTED_KEY, "signer key %s: "
		    "its certificate %s", id, fault);
		goto done;
	}
	rc = judge_chain(&anchor, kr, X509_STORE_CTX_get0_chain(ctx), id,
	    err);
	if (rc != SBX_OK)
		goto done;
	snprintf(via, sizeof(via), "signer key %.16s via authority ", id);
	if ((rc = judge_entry(anchor, role, when, via, err)) == SBX_OK)
		*out = anchor;
done:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

static bool
has_ca(const struct sbx_keyring *kr)
{
	size_t i;

	for (i = 0; i < kr->nkeys; i++)
		if (kr->keys[i]->roles & SBX_ROLE_CA)
			return true;
	return false;
}

int
sbx_keyring_trust(const struct sbx_keyring_key **out,
    const struct sbx_keyring *kr, EVP_PKEY *pub, X509 *cert,
    STACK_OF(X509) *extra, unsigned role, int64_t when,
    struct sbx_err *err)
{
	const struct sbx_keyring_key *k;
	char id[SBX_KEYID_LEN + 1], t[SBX_TIME_LEN + 1];
	int rc;

	assert(role != 0 && (pub != NULL || cert != NULL));
	*out = NULL;
	if (pub == NULL)
		pub = X509_get0_pubkey(cert);
	if (pub == NULL || (rc = sbx_keyid(id, pub, err)) != SBX_OK)
		return sbx_err_reject(err, SBX_V_UNTRUSTED_KEY, "the signer's "
		    "public key cannot be read");
	if (kr->expires != 0 && (int64_t)time(NULL) > kr->expires) {
		sbx_keyring_time_format(t, kr->expires);
		return sbx_err_reject(err, SBX_V_EXPIRED_KEY, "the keyring "
		    "expired at %s and trusts no key", t);
	}
	if (cert != NULL && EVP_PKEY_eq(X509_get0_pubkey(cert), pub) != 1)
		return sbx_err_reject(err, SBX_V_UNTRUSTED_KEY, "signer key %s "
		    "is not the key of its certificate", id);

	if ((k = find_id(kr, id)) != NULL) {
		if (k->status != SBX_KEY_REVOKED && (k->roles & SBX_ROLE_CA))
			return sbx_err_reject(err, SBX_V_UNTRUSTED_KEY, "key "
			    "%s (%s) is an authority: it certifies signers "
			    "and signs nothing itself", k->name, k->id);
		if ((rc = judge_entry(k, role, when, "", err)) == SBX_OK)
			*out = k;
		return rc;
	}
	if (cert != NULL && has_ca(kr))
		return trust_via_ca(out, kr, cert, extra, id, role, when, err);
	return sbx_err_reject(err, SBX_V_UNTRUSTED_KEY, "signer key %s is not "
	    "in the keyring", id);
}

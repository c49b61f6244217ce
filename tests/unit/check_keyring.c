/* tests/unit/check_keyring.c: the keyring, its trust decisions, root files. */
/* SPDX-License-Identifier: ISC */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include <sbx/key.h>
#include <sbx/keyring.h>
#include <sbx/root.h>

#ifndef SBX_TEST_DATA
#define SBX_TEST_DATA "tests/data"
#endif
#define KEYS SBX_TEST_DATA "/keys"

static char dir[64];
static char path[128];			/* the keyring under test */

static void
setup(void)
{
	static int n;

	/* pid and count: each forked test gets its own folder. */
	snprintf(dir, sizeof(dir), "/tmp/check_keyring.%d.%d", (int)getpid(),
	    n++);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/keyring.json", dir);
}

static void
teardown(void)
{
	char cmd[PATH_MAX];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static X509 *
cert(const char *name)
{
	char p[PATH_MAX];
	X509 *x = NULL;

	snprintf(p, sizeof(p), "%s/%s.crt", KEYS, name);
	ck_assert_int_eq(sbx_cert_load(&x, p, NULL), SBX_OK);
	return x;
}

static const char *
keyid_of(const char *name)
{
	static char ids[4][SBX_KEYID_LEN + 1];
	static int next;
	char p[PATH_MAX];
	char *id = ids[next++ % 4];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s.keyid", KEYS, name);
	ck_assert_ptr_nonnull(f = fopen(p, "r"));
	ck_assert_int_eq(fscanf(f, "%64s", id), 1);
	fclose(f);
	return id;
}

static void
add(struct sbx_keyring *kr, const char *certname, const char *name,
    unsigned roles)
{
	struct sbx_err err = { 0 };
	X509 *x = cert(certname);

	ck_assert_msg(sbx_keyring_add_cert(kr, x, name, roles, &err) ==
	    SBX_OK, "%s", err.msg);
	X509_free(x);
}

/* A keyring with signer's key as "release" for jar and provenance. */
static struct sbx_keyring *
release_keyring(void)
{
	struct sbx_keyring *kr = NULL;

	ck_assert_int_eq(sbx_keyring_new(&kr, NULL), SBX_OK);
	add(kr, "signer", "release", SBX_ROLE_JAR | SBX_ROLE_PROVENANCE);
	return kr;
}

static struct sbx_keyring *
reload(struct sbx_keyring *kr)
{
	struct sbx_err err = { 0 };
	struct sbx_keyring *again = NULL;

	ck_assert_int_eq(sbx_keyring_save(kr, path, &err), SBX_OK);
	sbx_keyring_free(kr);
	ck_assert_msg(sbx_keyring_load(&again, path, &err) == SBX_OK, "%s",
	    err.msg);
	return again;
}

static json_t *
saved_json(void)
{
	struct sbx_keyring *kr = release_keyring();
	json_error_t jerr;
	json_t *doc;

	ck_assert_int_eq(sbx_keyring_save(kr, path, NULL), SBX_OK);
	sbx_keyring_free(kr);
	ck_assert_ptr_nonnull(doc = json_load_file(path, 0, &jerr));
	return doc;
}

static void
write_json(json_t *doc)
{
	ck_assert_int_eq(json_dump_file(doc, path, JSON_INDENT(2)), 0);
	json_decref(doc);
}

static void
write_text(const char *text)
{
	FILE *f;

	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static int
load_fail(struct sbx_err *err)
{
	struct sbx_keyring *kr = NULL;
	int rc;

	rc = sbx_keyring_load(&kr, path, err);
	ck_assert_ptr_null(kr);
	return rc;
}

static int64_t
cert_time(const char *name, bool after)
{
	X509 *x = cert(name);
	int64_t t;

	ck_assert_int_eq(sbx_asn1_time(&t, after ? X509_get0_notAfter(x) :
	    X509_get0_notBefore(x), NULL), SBX_OK);
	X509_free(x);
	return t;
}

START_TEST(added_certificate_saves_and_loads)
{
	struct sbx_keyring *kr = release_keyring();
	const struct sbx_keyring_key *k;
	int64_t now = (int64_t)time(NULL);

	ck_assert_uint_eq(sbx_keyring_version(kr), 1);
	kr = reload(kr);
	ck_assert_uint_eq(sbx_keyring_count(kr), 1);
	ck_assert_uint_eq(sbx_keyring_version(kr), 1);
	ck_assert_int_eq(sbx_keyring_expires(kr), 0);
	k = sbx_keyring_key(kr, 0);
	ck_assert_str_eq(k->id, keyid_of("signer"));
	ck_assert_str_eq(k->name, "release");
	ck_assert_uint_eq(k->roles, SBX_ROLE_JAR | SBX_ROLE_PROVENANCE);
	ck_assert_int_eq(k->status, SBX_KEY_ACTIVE);
	ck_assert_ptr_null(k->reason);
	ck_assert_int_eq(k->not_before, cert_time("signer", false));
	ck_assert_int_eq(k->not_after, cert_time("signer", true));
	ck_assert_int_le(llabs(k->added - now), 5);
	ck_assert_ptr_nonnull(k->cert);
	ck_assert_ptr_nonnull(k->pub);
	ck_assert_ptr_null(sbx_keyring_key(kr, 1));
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(saved_file_has_the_documented_shape)
{
	json_t *doc = saved_json(), *k;
	const char *field;
	json_t *v;
	char buf[8];
	FILE *f;
	size_t n = 0;
	static const char *const fields[] = { "id", "name", "roles", "status",
	    "status_time", "reason", "not_before", "not_after", "added",
	    "certificate" };

	ck_assert_str_eq(json_string_value(json_object_get(doc, "type")),
	    "sbx-keyring");
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "version")),
	    1);
	ck_assert(json_is_null(json_object_get(doc, "expires")));
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "signatures")),
	    0);
	k = json_array_get(json_object_get(doc, "keys"), 0);
	json_object_foreach(k, field, v) {
		ck_assert_str_eq(field, fields[n]);
		n++;
	}
	ck_assert_uint_eq(n, sizeof(fields) / sizeof(fields[0]));
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(k,
	    "roles"), 1)), "provenance");
	ck_assert(json_is_null(json_object_get(k, "status_time")));
	ck_assert_int_eq(strncmp(json_string_value(json_object_get(k,
	    "certificate")), "-----BEGIN CERTIFICATE-----\n", 28), 0);
	json_decref(doc);

	/* The file ends in a newline. */
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	fseek(f, -1, SEEK_END);
	ck_assert_uint_eq(fread(buf, 1, 1, f), 1);
	ck_assert_int_eq(buf[0], '\n');
	fclose(f);
}
END_TEST

START_TEST(first_change_raises_version_once_and_drops_signatures)
{
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = NULL;
	json_t *doc = saved_json(), *sigs;

	json_object_set_new(doc, "version", json_integer(7));
	json_object_set_new(doc, "signatures", json_pack("[{s:s, s:s}]",
	    "keyid", keyid_of("ca"), "sig", "c2lnbmF0dXJl"));
	write_json(doc);

	ck_assert_int_eq(sbx_keyring_load(&kr, path, &err), SBX_OK);
	ck_assert_uint_eq(sbx_keyring_version(kr), 7);
	kr = reload(kr);			/* unchanged: kept as is */
	ck_assert_uint_eq(sbx_keyring_version(kr), 7);

	add(kr, "plain", "second", SBX_ROLE_JAR);
	ck_assert_uint_eq(sbx_keyring_version(kr), 8);
	ck_assert_int_eq(sbx_keyring_retire(kr, "release", 1000, &err),
	    SBX_OK);
	ck_assert_uint_eq(sbx_keyring_version(kr), 8);
	kr = reload(kr);
	ck_assert_uint_eq(sbx_keyring_version(kr), 8);
	ck_assert_uint_eq(sbx_keyring_count(kr), 2);
	sbx_keyring_free(kr);

	doc = json_load_file(path, 0, NULL);
	sigs = json_object_get(doc, "signatures");
	ck_assert(json_is_array(sigs));
	ck_assert_uint_eq(json_array_size(sigs), 0);
	json_decref(doc);
}
END_TEST

START_TEST(retired_and_revoked_states_survive_a_round_trip)
{
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = release_keyring();
	const struct sbx_keyring_key *k;

	add(kr, "plain", "old", SBX_ROLE_PROVENANCE);
	ck_assert_int_eq(sbx_keyring_retire(kr, "old", 1767225600, &err),
	    SBX_OK);
	ck_assert_int_eq(sbx_keyring_revoke(kr, keyid_of("signer"),
	    1767312000, "laptop stolen", &err), SBX_OK);
	kr = reload(kr);
	k = sbx_keyring_find(kr, "old");
	ck_assert_int_eq(k->status, SBX_KEY_RETIRED);
	ck_assert_int_eq(k->status_time, 1767225600);
	ck_assert_ptr_null(k->reason);
	k = sbx_keyring_find(kr, "release");
	ck_assert_int_eq(k->status, SBX_KEY_REVOKED);
	ck_assert_int_eq(k->status_time, 1767312000);
	ck_assert_str_eq(k->reason, "laptop stolen");
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(public_key_entry_loads_without_certificate)
{
	struct sbx_keyring *kr = NULL;
	struct sbx_err err = { 0 };
	const struct sbx_keyring_key *k;
	json_t *doc = saved_json(), *key;
	char cmd[PATH_MAX * 2];
	json_error_t jerr;
	FILE *f;
	char pem[2048];
	size_t n;

	snprintf(cmd, sizeof(cmd), "openssl x509 -in %s/signer.crt -pubkey "
	    "-noout", KEYS);
	ck_assert_ptr_nonnull(f = popen(cmd, "r"));
	n = fread(pem, 1, sizeof(pem) - 1, f);
	pem[n] = '\0';
	ck_assert_int_eq(pclose(f), 0);

	key = json_array_get(json_object_get(doc, "keys"), 0);
	json_object_del(key, "certificate");
	json_object_set_new(key, "public_key", json_string(pem));
	write_json(doc);
	ck_assert_msg(sbx_keyring_load(&kr, path, &err) == SBX_OK, "%s",
	    err.msg);
	k = sbx_keyring_key(kr, 0);
	ck_assert_ptr_null(k->cert);
	ck_assert_str_eq(k->id, keyid_of("signer"));

	/* Saved back as a public key again. */
	kr = reload(kr);
	sbx_keyring_free(kr);
	ck_assert_ptr_nonnull(doc = json_load_file(path, 0, &jerr));
	key = json_array_get(json_object_get(doc, "keys"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(key,
	    "public_key")), pem);
	json_decref(doc);
}
END_TEST

/* ---- refusals on load: one mutation of a good file each ---- */

enum where { TOP, KEY };

static const struct bad_case {
	enum where	 where;
	const char	*field;
	const char	*json;		/* new value; NULL deletes the field */
	const char	*msg;		/* after "PATH: " */
} bad_cases[] = {
	/* a field no reader knows could carry a restriction: refuse it */
	{ TOP, "colour", "\"red\"", "unknown field 'colour'" },
	{ KEY, "colour", "\"red\"", "keys[0]: unknown field 'colour'" },
	{ TOP, "type", "\"sbx-policy\"",
	    "type: must be \"sbx-keyring\", not \"sbx-policy\"" },
	{ TOP, "type", NULL, "type: missing" },
	{ TOP, "version", "0", "version: must be a whole number from 1" },
	{ TOP, "version", "\"2\"", "version: must be a whole number from 1" },
	{ TOP, "keys", NULL, "keys: missing" },
	{ TOP, "keys", "{}", "keys: must be a list" },
	{ TOP, "expires", "\"tomorrow\"", "expires: 'tomorrow' is not a "
	    "time such as 2026-12-03T00:00:00Z" },
	/* ids: the form, then the fact */
	{ KEY, "id", "\"ABCDEF\"", "keys[0].id: must be 64 lower-case hex "
	    "digits" },
	{ KEY, "id", "\"@SIGNER@\"", "keys[0].id: must be 64 lower-case "
	    "hex digits" },
	{ KEY, "id", "\"@plain@\"", "keys[0].id: does not match the key, "
	    "whose id is @signer@" },
	{ KEY, "name", "\"release 2026\"", "keys[0].name: 'release 2026' is "
	    "not a good name" },
	{ KEY, "name", "\"-rf\"", "keys[0].name: '-rf' is not a good name" },
	{ KEY, "name", "7", "keys[0].name: must be a string" },
	{ KEY, "roles", "[]", "keys[0].roles: must be a list of roles" },
	{ KEY, "roles", "[\"admin\"]", "keys[0].roles: must name jar, "
	    "provenance, keyring, tsa or ca, each once" },
	{ KEY, "roles", "[\"jar\", \"jar\"]", "keys[0].roles: must name jar" },
	{ KEY, "roles", "[\"jar,provenance\"]", "keys[0].roles: must name "
	    "jar" },
	{ KEY, "roles", "[\"ca\"]", "keys[0].certificate: role ca needs a CA "
	    "certificate (basicConstraints CA:TRUE)" },
	{ KEY, "status", "\"paused\"", "keys[0].status: 'paused' is not "
	    "active, retired or revoked" },
	{ KEY, "status", NULL, "keys[0].status: missing" },
	{ KEY, "status_time", "\"2026-01-01T00:00:00Z\"",
	    "keys[0].status_time: must be null for an active key" },
	{ KEY, "reason", "\"lost\"", "keys[0].reason: is for revoked keys "
	    "only" },
	/* times: one spelling, real dates, a window that is not empty */
	{ KEY, "not_after", "\"2026-02-30T00:00:00Z\"", "keys[0].not_after: "
	    "'2026-02-30T00:00:00Z' is not a time" },
	{ KEY, "not_after", "\"2026-01-01T00:00:00+01:00\"",
	    "keys[0].not_after: '2026-01-01T00:00:00+01:00' is not a time" },
	{ KEY, "not_after", "\"2026-1-01T00:00:00Z\"", "keys[0].not_after: "
	    "'2026-1-01T00:00:00Z' is not a time" },
	{ KEY, "not_after", "\"1970-01-01T00:00:00Z\"", "keys[0].not_after: "
	    "must be after not_before" },
	{ KEY, "added", NULL, "keys[0].added: missing" },
	{ KEY, "certificate", NULL, "keys[0]: needs either certificate or "
	    "public_key" },
	{ KEY, "certificate", "\"garbage\"", "keys[0].certificate: must "
	    "start with -----BEGIN" },
	{ KEY, "certificate", "\"-----BEGIN CERTIFICATE-----\\nAAAA\\n"
	    "-----END CERTIFICATE-----\\n\"", "keys[0].certificate: not one "
	    "PEM certificate" },
	{ KEY, "public_key", "\"-----BEGIN PUBLIC KEY-----\\n\"",
	    "keys[0]: needs either certificate or public_key" },
	{ TOP, "signatures", "[{\"keyid\": \"x\", \"sig\": \"AAAA\"}]",
	    "signatures[0].keyid: must be 64 lower-case hex digits" },
	{ TOP, "signatures", "[{\"keyid\": \"@plain@\", \"sig\": "
	    "\"A!==\"}]", "signatures[0].sig: is not base64" },
	{ TOP, "signatures", "[{\"keyid\": \"@plain@\", \"sig\": \"AAAA\", "
	    "\"method\": \"x\"}]", "signatures[0]: unknown field 'method'" },
	{ TOP, "signatures", "{}", "signatures: must be a list" },
};

/* The table names fixture key ids as @signer@, @SIGNER@, @plain@. */
static void
subst(char *out, size_t n, const char *in)
{
	const char *ids[] = { "@signer@", "@SIGNER@", "@plain@" };
	const char *p;
	size_t i, at = 0, j;

	for (p = in; *p != '\0' && at + 1 < n; ) {
		for (i = 0; i < 3; i++)
			if (strncmp(p, ids[i], strlen(ids[i])) == 0)
				break;
		if (i == 3) {
			out[at++] = *p++;
			continue;
		}
		snprintf(out + at, n - at, "%s",
		    keyid_of(i == 2 ? "plain" : "signer"));
		for (j = at; i == 1 && out[j] != '\0'; j++)
			if (out[j] >= 'a' && out[j] <= 'f')
				out[j] -= 'a' - 'A';
		at += strlen(out + at);
		p += strlen(ids[i]);
	}
	out[at < n ? at : n - 1] = '\0';
}

START_TEST(bad_keyrings_are_refused_with_the_field)
{
	const struct bad_case *c = &bad_cases[_i];
	struct sbx_err err = { 0 };
	json_t *doc = saved_json(), *obj, *v;
	char want[768], text[512];

	obj = c->where == TOP ? doc :
	    json_array_get(json_object_get(doc, "keys"), 0);
	if (c->json == NULL) {
		json_object_del(obj, c->field);
	} else {
		subst(text, sizeof(text), c->json);
		ck_assert_ptr_nonnull(v = json_loads(text, JSON_DECODE_ANY,
		    NULL));
		json_object_set_new(obj, c->field, v);
	}
	write_json(doc);

	ck_assert_int_eq(load_fail(&err), SBX_ECONFIG);
	subst(text, sizeof(text), c->msg);
	snprintf(want, sizeof(want), "%s: %s", path, text);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0,
	    "row %d: got '%s'", _i, err.msg);
}
END_TEST

START_TEST(listed_twice_is_refused)
{
	struct sbx_err err = { 0 };
	json_t *doc = saved_json(), *keys, *copy;
	char want[512];

	keys = json_object_get(doc, "keys");
	copy = json_deep_copy(json_array_get(keys, 0));
	json_object_set_new(copy, "name", json_string("again"));
	json_array_append_new(keys, copy);
	write_json(doc);
	ck_assert_int_eq(load_fail(&err), SBX_ECONFIG);
	snprintf(want, sizeof(want), "%s: keys[1].id: key %s is listed twice",
	    path, keyid_of("signer"));
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(bad_json_names_line_and_column)
{
	struct sbx_err err = { 0 };
	char want[512];

	write_text("{\n  \"type\": \"sbx-keyring\",\n  \"version\": 1,,\n"
	    "  \"keys\": []\n}\n");
	ck_assert_int_eq(load_fail(&err), SBX_ECONFIG);
	snprintf(want, sizeof(want), "%s:3:16: string or '}' expected near "
	    "','", path);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(duplicate_json_field_is_refused)
{
	struct sbx_err err = { 0 };
	char want[512];

	/* A second "version" must not silently win. */
	write_text("{\"type\": \"sbx-keyring\", \"version\": 1,\n"
	    "\"keys\": [], \"version\": 2}\n");
	ck_assert_int_eq(load_fail(&err), SBX_ECONFIG);
	snprintf(want, sizeof(want), "%s:2:", path);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s",
	    err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "duplicate object key"));
}
END_TEST

START_TEST(not_an_object_and_missing_file)
{
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = NULL;
	char want[512];

	write_text("[]\n");
	ck_assert_int_eq(load_fail(&err), SBX_ECONFIG);
	snprintf(want, sizeof(want), "%s: not a keyring (a JSON object)",
	    path);
	ck_assert_str_eq(err.msg, want);

	ck_assert_int_eq(sbx_keyring_load(&kr, "/nonexistent/k.json", &err),
	    SBX_EIO);
	ck_assert_str_eq(err.msg, "/nonexistent/k.json: No such file or "
	    "directory");
}
END_TEST

/* ---- changes through the API ---- */

START_TEST(add_refuses_duplicates_bad_names_and_unfit_certificates)
{
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = release_keyring();
	X509 *signer = cert("signer"), *plain = cert("plain"),
	    *nosign = cert("nosign"), *server = cert("server");
	char want[256];

	ck_assert_int_eq(sbx_keyring_add_cert(kr, signer, "other",
	    SBX_ROLE_JAR, &err), SBX_ECONFIG);
	snprintf(want, sizeof(want), "key %s is already in the keyring as "
	    "release", keyid_of("signer"));
	ck_assert_str_eq(err.msg, want);

	ck_assert_int_eq(sbx_keyring_add_cert(kr, plain, "release",
	    SBX_ROLE_JAR, &err), SBX_ECONFIG);
	snprintf(want, sizeof(want), "name release is already in use by key "
	    "%s", keyid_of("signer"));
	ck_assert_str_eq(err.msg, want);

	ck_assert_int_eq(sbx_keyring_add_cert(kr, plain, "a/b",
	    SBX_ROLE_JAR, &err), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "name 'a/b': 1 to 64 of A-Z a-z 0-9 . _ @ "
	    "+ -, not starting with -, not a key id");

	ck_assert_int_eq(sbx_keyring_add_cert(kr, plain, "p", 0, &err),
	    SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "key p: bad roles");

	/* JAR-SIGNING.md 4: the JVM and jarsigner would refuse these. */
	ck_assert_int_eq(sbx_keyring_add_cert(kr, nosign, "nosign",
	    SBX_ROLE_JAR, &err), SBX_ECONFIG);
	snprintf(want, sizeof(want), "certificate of key %s has a key usage "
	    "without digitalSignature", keyid_of("plain"));
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(sbx_keyring_add_cert(kr, server, "server",
	    SBX_ROLE_JAR, &err), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "has an extended key usage "
	    "without codeSigning"));
	ck_assert_int_eq(sbx_keyring_add_cert(kr, plain, "not-a-ca",
	    SBX_ROLE_CA, &err), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "role ca needs a CA "
	    "certificate"));

	/* Provenance is not a JAR: the JDK's rules do not apply. */
	ck_assert_int_eq(sbx_keyring_add_cert(kr, nosign, "prov",
	    SBX_ROLE_PROVENANCE, &err), SBX_OK);
	ck_assert_uint_eq(sbx_keyring_count(kr), 2);
	X509_free(signer);
	X509_free(plain);
	X509_free(nosign);
	X509_free(server);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(retire_and_revoke_refuse_what_makes_no_sense)
{
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = release_keyring();
	char want[256];

	ck_assert_int_eq(sbx_keyring_retire(kr, "nobody", 1, &err),
	    SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "no key with id or name 'nobody'");
	ck_assert_int_eq(sbx_keyring_revoke(kr, "release", 1, "", &err),
	    SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "a revocation needs a reason");

	ck_assert_int_eq(sbx_keyring_retire(kr, "release", 1, &err), SBX_OK);
	ck_assert_int_eq(sbx_keyring_retire(kr, "release", 2, &err),
	    SBX_ECONFIG);
	snprintf(want, sizeof(want), "key release (%s) is already retired",
	    keyid_of("signer"));
	ck_assert_str_eq(err.msg, want);

	/* A retired key may still be revoked; then nothing more. */
	ck_assert_int_eq(sbx_keyring_revoke(kr, "release", 3, "leaked",
	    &err), SBX_OK);
	ck_assert_int_eq(sbx_keyring_revoke(kr, "release", 4, "again", &err),
	    SBX_ECONFIG);
	ck_assert_int_eq(sbx_keyring_retire(kr, "release", 5, &err),
	    SBX_ECONFIG);
	snprintf(want, sizeof(want), "key release (%s) is already revoked",
	    keyid_of("signer"));
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(sbx_keyring_find(kr, "release")->status_time, 3);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(find_by_id_in_any_case_or_by_name)
{
	struct sbx_keyring *kr = release_keyring();
	char upper[SBX_KEYID_LEN + 1];
	size_t i;

	snprintf(upper, sizeof(upper), "%s", keyid_of("signer"));
	for (i = 0; upper[i] != '\0'; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] -= 'a' - 'A';
	ck_assert_str_eq(sbx_keyring_find(kr, keyid_of("signer"))->name,
	    "release");
	ck_assert_str_eq(sbx_keyring_find(kr, upper)->name, "release");
	ck_assert_str_eq(sbx_keyring_find(kr, "release")->id,
	    keyid_of("signer"));
	ck_assert_ptr_null(sbx_keyring_find(kr, "Release"));
	ck_assert_ptr_null(sbx_keyring_find(kr, keyid_of("plain")));
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(roles_parse_and_format)
{
	struct sbx_err err = { 0 };
	unsigned roles = 99;
	char buf[64];

	ck_assert_int_eq(sbx_roles_parse(&roles, "provenance,jar", &err),
	    SBX_OK);
	ck_assert_uint_eq(roles, SBX_ROLE_JAR | SBX_ROLE_PROVENANCE);
	ck_assert_int_eq(sbx_roles_parse(&roles, "jar,keyring,ca", &err),
	    SBX_OK);
	sbx_roles_format(buf, sizeof(buf), roles);
	ck_assert_str_eq(buf, "jar,keyring,ca");

	ck_assert_int_eq(sbx_roles_parse(&roles, "jar,admin", &err),
	    SBX_ECONFIG);
	ck_assert_uint_eq(roles, 0);
	ck_assert_str_eq(err.msg, "role 'admin' is unknown: roles are jar, "
	    "provenance, keyring, tsa and ca");
	ck_assert_int_eq(sbx_roles_parse(&roles, "jar,jar", &err),
	    SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "role 'jar' is given twice: roles are jar, "
	    "provenance, keyring, tsa and ca");
	ck_assert_int_eq(sbx_roles_parse(&roles, "tsa,ca,jar", &err),
	    SBX_OK);
	ck_assert_uint_eq(roles, SBX_ROLE_TSA | SBX_ROLE_CA | SBX_ROLE_JAR);
	sbx_roles_format(buf, sizeof(buf), roles);
	ck_assert_str_eq(buf, "jar,tsa,ca");
	ck_assert_int_eq(sbx_roles_parse(&roles, "", &err), SBX_ECONFIG);
	ck_assert_int_eq(sbx_roles_parse(&roles, "jar,", &err), SBX_ECONFIG);
	ck_assert_int_eq(sbx_roles_parse(&roles, "JAR", &err), SBX_ECONFIG);
}
END_TEST

/* ---- trust decisions ---- */

static int
trust(const struct sbx_keyring_key **k, struct sbx_keyring *kr,
    const char *certname, unsigned role, int64_t when, struct sbx_err *err)
{
	X509 *x = cert(certname);
	int rc;

	rc = sbx_keyring_trust(k, kr, X509_get0_pubkey(x), x, NULL, role,
	    when, err);
	X509_free(x);
	return rc;
}

static void
assert_refused(int rc, const struct sbx_err *err, enum sbx_violation v,
    const char *want)
{
	ck_assert_int_eq(rc, SBX_EREJECT);
	ck_assert_int_eq(err->violation, v);
	ck_assert_str_eq(err->msg, want);
}

START_TEST(active_key_is_trusted_for_its_roles_only)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = release_keyring();
	int64_t now = (int64_t)time(NULL);
	char want[256];

	ck_assert_int_eq(trust(&k, kr, "signer", SBX_ROLE_JAR, now, &err),
	    SBX_OK);
	ck_assert_str_eq(k->name, "release");
	ck_assert_int_eq(trust(&k, kr, "signer", SBX_ROLE_PROVENANCE, now,
	    &err), SBX_OK);

	snprintf(want, sizeof(want), "key release (%s) may not sign for role "
	    "keyring", keyid_of("signer"));
	assert_refused(trust(&k, kr, "signer", SBX_ROLE_KEYRING, now, &err),
	    &err, SBX_V_UNTRUSTED_KEY, want);
	ck_assert_ptr_null(k);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(unknown_key_is_untrusted)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = release_keyring();
	char want[256];

	snprintf(want, sizeof(want), "signer key %s is not in the keyring",
	    keyid_of("plain"));
	assert_refused(trust(&k, kr, "plain", SBX_ROLE_JAR, time(NULL), &err),
	    &err, SBX_V_UNTRUSTED_KEY, want);
	ck_assert_ptr_null(k);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(certificate_of_another_key_is_untrusted)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = release_keyring();
	X509 *signer = cert("signer"), *plain = cert("plain");
	char want[256];

	snprintf(want, sizeof(want), "signer key %s is not the key of its "
	    "certificate", keyid_of("signer"));
	assert_refused(sbx_keyring_trust(&k, kr, X509_get0_pubkey(signer),
	    plain, NULL, SBX_ROLE_JAR, time(NULL), &err), &err,
	    SBX_V_UNTRUSTED_KEY, want);

	/* A bare public key is enough for a listed key. */
	ck_assert_int_eq(sbx_keyring_trust(&k, kr, X509_get0_pubkey(signer),
	    NULL, NULL, SBX_ROLE_JAR, time(NULL), &err), SBX_OK);
	X509_free(signer);
	X509_free(plain);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(revoked_key_verifies_nothing_whatever_the_time)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = release_keyring();
	int64_t nb = cert_time("signer", false);
	char want[256];

	ck_assert_int_eq(sbx_keyring_revoke(kr, "release", 1893456000,
	    "key leaked", &err), SBX_OK);
	snprintf(want, sizeof(want), "key release (%s) was revoked at "
	    "2030-01-01T00:00:00Z: key leaked", keyid_of("signer"));
	assert_refused(trust(&k, kr, "signer", SBX_ROLE_JAR, nb + 1, &err),
	    &err, SBX_V_REVOKED_KEY, want);
	assert_refused(trust(&k, kr, "signer", SBX_ROLE_KEYRING, nb + 1,
	    &err), &err, SBX_V_REVOKED_KEY, want);
	ck_assert_ptr_null(k);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(retired_key_verifies_only_what_came_before)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = release_keyring();
	int64_t at = cert_time("signer", false) + 86400;
	char want[256];

	ck_assert_int_eq(sbx_keyring_retire(kr, "release", at, &err), SBX_OK);
	ck_assert_int_eq(trust(&k, kr, "signer", SBX_ROLE_JAR, at - 1, &err),
	    SBX_OK);
	ck_assert_ptr_nonnull(k);

	kr = reload(kr);
	snprintf(want, sizeof(want), "key release (%s) was retired at ",
	    keyid_of("signer"));
	ck_assert_int_eq(trust(&k, kr, "signer", SBX_ROLE_JAR, at, &err),
	    SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_EXPIRED_KEY);
	ck_assert_ptr_nonnull(strstr(err.msg, want));
	ck_assert_int_eq(trust(&k, kr, "signer", SBX_ROLE_JAR, at + 1, &err),
	    SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_EXPIRED_KEY);
	ck_assert_ptr_null(k);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(key_is_trusted_only_inside_its_window)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = release_keyring();
	int64_t nb = cert_time("signer", false), na = cert_time("signer",
	    true);
	char want[256], a[SBX_TIME_LEN + 1], b[SBX_TIME_LEN + 1],
	    t[SBX_TIME_LEN + 1];

	ck_assert_int_eq(trust(&k, kr, "signer", SBX_ROLE_JAR, nb, &err),
	    SBX_OK);
	ck_assert_int_eq(trust(&k, kr, "signer", SBX_ROLE_JAR, na, &err),
	    SBX_OK);

	sbx_keyring_time_format(a, nb);
	sbx_keyring_time_format(b, na);
	sbx_keyring_time_format(t, nb - 1);
	snprintf(want, sizeof(want), "key release (%s) is valid from %s to "
	    "%s, not at %s", keyid_of("signer"), a, b, t);
	assert_refused(trust(&k, kr, "signer", SBX_ROLE_JAR, nb - 1, &err),
	    &err, SBX_V_EXPIRED_KEY, want);
	ck_assert_int_eq(trust(&k, kr, "signer", SBX_ROLE_JAR, na + 1, &err),
	    SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_EXPIRED_KEY);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(window_edited_in_the_file_is_the_one_that_counts)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = NULL;
	json_t *doc = saved_json(), *key;

	key = json_array_get(json_object_get(doc, "keys"), 0);
	json_object_set_new(key, "not_after",
	    json_string("2030-01-01T00:00:00Z"));
	write_json(doc);
	ck_assert_int_eq(sbx_keyring_load(&kr, path, &err), SBX_OK);
	ck_assert_int_eq(trust(&k, kr, "signer", SBX_ROLE_JAR, 1893456000,
	    &err), SBX_OK);
	ck_assert_int_eq(trust(&k, kr, "signer", SBX_ROLE_JAR, 1893456001,
	    &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_EXPIRED_KEY);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(expired_keyring_trusts_nothing)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = NULL;
	json_t *doc = saved_json();

	json_object_set_new(doc, "expires",
	    json_string("2020-01-01T00:00:00Z"));
	write_json(doc);
	ck_assert_int_eq(sbx_keyring_load(&kr, path, &err), SBX_OK);
	ck_assert_int_eq(sbx_keyring_expires(kr), 1577836800);
	assert_refused(trust(&k, kr, "signer", SBX_ROLE_JAR, time(NULL),
	    &err), &err, SBX_V_EXPIRED_KEY, "the keyring expired at "
	    "2020-01-01T00:00:00Z and trusts no key");
	sbx_keyring_free(kr);
}
END_TEST

/* ---- certificate authorities ---- */

static struct sbx_keyring *
ca_keyring(void)
{
	struct sbx_keyring *kr = NULL;

	ck_assert_int_eq(sbx_keyring_new(&kr, NULL), SBX_OK);
	add(kr, "ca", "test-ca", SBX_ROLE_CA | SBX_ROLE_JAR);
	return kr;
}

START_TEST(leaf_certified_by_keyring_ca_is_trusted)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = reload(ca_keyring());

	ck_assert_msg(trust(&k, kr, "leaf", SBX_ROLE_JAR, time(NULL), &err) ==
	    SBX_OK, "%s", err.msg);
	ck_assert_str_eq(k->name, "test-ca");
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(leaf_of_ca_is_refused_outside_the_ca_roles)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = ca_keyring();
	char want[256];

	snprintf(want, sizeof(want), "signer key %.16s via authority key "
	    "test-ca (%s) may not sign for role provenance",
	    keyid_of("leaf"), keyid_of("ca"));
	assert_refused(trust(&k, kr, "leaf", SBX_ROLE_PROVENANCE, time(NULL),
	    &err), &err, SBX_V_UNTRUSTED_KEY, want);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(leaf_without_code_signing_usage_is_refused)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = ca_keyring();
	char want[256];

	snprintf(want, sizeof(want), "signer key %s: its certificate has an "
	    "extended key usage without codeSigning", keyid_of("leaf"));
	assert_refused(trust(&k, kr, "leaf-server", SBX_ROLE_JAR, time(NULL),
	    &err), &err, SBX_V_UNTRUSTED_KEY, want);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(leaf_of_another_ca_is_refused)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = ca_keyring();
	char want[256];

	snprintf(want, sizeof(want), "signer key %s is not in the keyring and "
	    "does not chain to a keyring authority (unable to get local "
	    "issuer certificate)", keyid_of("leaf"));
	assert_refused(trust(&k, kr, "leaf-other", SBX_ROLE_JAR, time(NULL),
	    &err), &err, SBX_V_UNTRUSTED_KEY, want);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(revoked_ca_revokes_its_leaves)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = ca_keyring();
	char want[256];

	ck_assert_int_eq(sbx_keyring_revoke(kr, "test-ca", 1767225600,
	    "CA compromised", &err), SBX_OK);
	snprintf(want, sizeof(want), "signer key %.16s via authority key "
	    "test-ca (%s) was revoked at 2026-01-01T00:00:00Z: CA "
	    "compromised", keyid_of("leaf"), keyid_of("ca"));
	assert_refused(trust(&k, kr, "leaf", SBX_ROLE_JAR, time(NULL), &err),
	    &err, SBX_V_REVOKED_KEY, want);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(leaf_can_be_revoked_alone)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = ca_keyring();

	add(kr, "leaf", "leaf", SBX_ROLE_JAR);
	ck_assert_int_eq(sbx_keyring_revoke(kr, "leaf", 1767225600, "lost",
	    &err), SBX_OK);
	ck_assert_int_eq(trust(&k, kr, "leaf", SBX_ROLE_JAR, time(NULL), &err),
	    SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_REVOKED_KEY);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(leaf_chain_is_judged_at_the_signing_time)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = ca_keyring();
	int64_t na = cert_time("leaf", true);
	char want[256];

	snprintf(want, sizeof(want), "signer key %s: its certificate chain is "
	    "not valid at the signing time (certificate has expired)",
	    keyid_of("leaf"));
	assert_refused(trust(&k, kr, "leaf", SBX_ROLE_JAR, na + 86400, &err),
	    &err, SBX_V_EXPIRED_KEY, want);
	sbx_keyring_free(kr);
}
END_TEST

static int
trust_via(const struct sbx_keyring_key **k, struct sbx_keyring *kr,
    const char *leaf, const char *sent, struct sbx_err *err)
{
	STACK_OF(X509) *extra = sk_X509_new_null();
	X509 *x = cert(leaf);
	int rc;

	if (sent != NULL)
		ck_assert_int_gt(sk_X509_push(extra, cert(sent)), 0);
	rc = sbx_keyring_trust(k, kr, X509_get0_pubkey(x), x, extra,
	    SBX_ROLE_JAR, time(NULL), err);
	sk_X509_pop_free(extra, X509_free);
	X509_free(x);
	return rc;
}

START_TEST(intermediate_in_keyring_is_an_anchor)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = NULL;

	/* Not self-signed, yet the keyring's word is enough. */
	ck_assert_int_eq(sbx_keyring_new(&kr, NULL), SBX_OK);
	add(kr, "inter", "inter", SBX_ROLE_CA | SBX_ROLE_JAR);
	ck_assert_msg(trust_via(&k, kr, "leaf2", NULL, &err) == SBX_OK, "%s",
	    err.msg);
	ck_assert_str_eq(k->name, "inter");
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(intermediate_sent_along_reaches_the_root)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = ca_keyring();
	char want[256];

	ck_assert_msg(trust_via(&k, kr, "leaf2", "inter", &err) == SBX_OK,
	    "%s", err.msg);
	ck_assert_str_eq(k->name, "test-ca");

	snprintf(want, sizeof(want), "signer key %s is not in the keyring and "
	    "does not chain to a keyring authority (unable to get local "
	    "issuer certificate)", keyid_of("leaf2"));
	assert_refused(trust_via(&k, kr, "leaf2", NULL, &err), &err,
	    SBX_V_UNTRUSTED_KEY, want);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(revoked_intermediate_revokes_below_it)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = ca_keyring();
	char want[256];

	add(kr, "inter", "inter", SBX_ROLE_CA | SBX_ROLE_JAR);
	ck_assert_int_eq(sbx_keyring_revoke(kr, "inter", 1767225600,
	    "issued a rogue leaf", &err), SBX_OK);
	snprintf(want, sizeof(want), "signer key %.16s via authority key "
	    "inter (%s) was revoked at 2026-01-01T00:00:00Z: issued a rogue "
	    "leaf", keyid_of("leaf2"), keyid_of("inter"));
	assert_refused(trust_via(&k, kr, "leaf2", "inter", &err), &err,
	    SBX_V_REVOKED_KEY, want);
	assert_refused(trust_via(&k, kr, "leaf2", NULL, &err), &err,
	    SBX_V_REVOKED_KEY, want);
	ck_assert_ptr_null(k);

	/* Its siblings under the root are not touched. */
	ck_assert_int_eq(trust(&k, kr, "leaf", SBX_ROLE_JAR, time(NULL), &err),
	    SBX_OK);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(authority_key_does_not_sign_itself)
{
	const struct sbx_keyring_key *k = NULL;
	struct sbx_err err = { 0 };
	struct sbx_keyring *kr = ca_keyring();
	char want[256];

	snprintf(want, sizeof(want), "key test-ca (%s) is an authority: it "
	    "certifies signers and signs nothing itself", keyid_of("ca"));
	assert_refused(trust(&k, kr, "ca", SBX_ROLE_JAR, time(NULL), &err),
	    &err, SBX_V_UNTRUSTED_KEY, want);
	sbx_keyring_free(kr);
}
END_TEST

/* ---- signed keyrings, root files, rollback state ---- */

/* Unencrypted fixture keys sign for the root. */
static struct sbx_key *
signing_key(const char *name)
{
	struct sbx_key *k = NULL;
	struct sbx_err err = { 0 };
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s.key", KEYS, name);
	ck_assert_msg(sbx_key_load(&k, p, NULL, NULL, &err) == SBX_OK, "%s",
	    err.msg);
	return k;
}

static void
sign_root(struct sbx_root *r, const char *keyname)
{
	struct sbx_key *k = signing_key(keyname);
	struct sbx_err err = { 0 };

	ck_assert_msg(sbx_root_sign(r, k, &err) == SBX_OK, "%s", err.msg);
	sbx_key_free(k);
}

static void
sign_keyring(struct sbx_keyring *kr, const char *keyname)
{
	struct sbx_key *k = signing_key(keyname);
	struct sbx_err err = { 0 };

	ck_assert_msg(sbx_keyring_sign(kr, k, &err) == SBX_OK, "%s",
	    err.msg);
	sbx_key_free(k);
}

/* A root of the named certificates' keys, m of them needed. */
static struct sbx_root *
make_root(unsigned m, const char *const *names, size_t n)
{
	struct sbx_root *r = NULL;
	struct sbx_err err = { 0 };
	size_t i;
	X509 *x;

	ck_assert_int_eq(sbx_root_new(&r, m, time(NULL) + 86400, &err),
	    SBX_OK);
	for (i = 0; i < n; i++) {
		x = cert(names[i]);
		ck_assert_msg(sbx_root_add_cert(r, x, &err) == SBX_OK, "%s",
		    err.msg);
		X509_free(x);
	}
	return r;
}

static const char *const root_names[] = { "plain", "leaf", "leaf2" };

/* Root 2 of {plain, leaf, leaf2}, signed by plain and leaf, reloaded. */
static struct sbx_root *
pinned_root(void)
{
	struct sbx_root *r = make_root(2, root_names, 3), *again = NULL;
	struct sbx_err err = { 0 };
	char p[PATH_MAX];

	sign_root(r, "plain");
	sign_root(r, "leaf");
	snprintf(p, sizeof(p), "%s/root.json", dir);
	ck_assert_int_eq(sbx_root_save(r, p, &err), SBX_OK);
	sbx_root_free(r);
	ck_assert_msg(sbx_root_load(&again, p, &err) == SBX_OK, "%s",
	    err.msg);
	return again;
}

/* release_keyring() with an expiry a day ahead. */
static struct sbx_keyring *
expiring_keyring(void)
{
	struct sbx_keyring *kr = release_keyring();

	sbx_keyring_set_expires(kr, time(NULL) + 86400);
	return kr;
}

static void
assert_reject(int rc, const struct sbx_err *err, enum sbx_violation v,
    const char *needle)
{
	ck_assert_int_eq(rc, SBX_EREJECT);
	ck_assert_int_eq(err->violation, v);
	ck_assert_msg(strstr(err->msg, needle) != NULL, "'%s' not in '%s'",
	    needle, err->msg);
}

START_TEST(keyring_signed_by_threshold_is_accepted_after_reload)
{
	struct sbx_root *r = pinned_root();
	struct sbx_keyring *kr = expiring_keyring();
	struct sbx_err err = { 0 };
	size_t valid;

	sign_keyring(kr, "plain");
	sign_keyring(kr, "leaf2");
	kr = reload(kr);
	ck_assert_uint_eq(sbx_keyring_nsignatures(kr), 2);
	ck_assert_msg(sbx_root_verify_keyring(r, kr, time(NULL), &err) ==
	    SBX_OK, "%s", err.msg);
	ck_assert_int_eq(sbx_root_tally_keyring(&valid, r, kr, &err), SBX_OK);
	ck_assert_uint_eq(valid, 2);
	sbx_keyring_free(kr);
	sbx_root_free(r);
}
END_TEST

START_TEST(keyring_below_threshold_is_refused)
{
	struct sbx_root *r = pinned_root();
	struct sbx_keyring *kr = expiring_keyring();
	struct sbx_err err = { 0 };
	char want[512];

	sign_keyring(kr, "plain");
	sign_keyring(kr, "ca");		/* not a root key: counts for nothing */
	sign_keyring(kr, "plain");	/* the same key twice is one signer */
	kr = reload(kr);
	ck_assert_uint_eq(sbx_keyring_nsignatures(kr), 2);
	snprintf(want, sizeof(want), "signed by 1 of the 2 keys of "
	    "%s/root.json (root version 1) it needs", dir);
	ck_assert_int_eq(sbx_root_verify_keyring(r, kr, time(NULL), &err),
	    SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_BAD_SIGNATURE);
	ck_assert_str_eq(err.msg, want);
	sbx_keyring_free(kr);
	sbx_root_free(r);
}
END_TEST

/* Any byte that the keyring's meaning rests on is covered. */
START_TEST(tampered_keyring_is_refused)
{
	struct sbx_root *r = pinned_root();
	struct sbx_keyring *kr = expiring_keyring();
	struct sbx_err err = { 0 };
	json_error_t jerr;
	json_t *doc;
	char want[96];

	sign_keyring(kr, "plain");
	sign_keyring(kr, "leaf");
	ck_assert_int_eq(sbx_keyring_save(kr, path, NULL), SBX_OK);
	sbx_keyring_free(kr);
	ck_assert_ptr_nonnull(doc = json_load_file(path, 0, &jerr));
	json_object_set_new(json_array_get(json_object_get(doc, "keys"), 0),
	    "roles", json_pack("[s, s, s]", "jar", "provenance", "keyring"));
	write_json(doc);
	ck_assert_int_eq(sbx_keyring_load(&kr, path, &err), SBX_OK);
	snprintf(want, sizeof(want), "the signature by %.16s does not "
	    "verify", keyid_of("plain"));
	assert_reject(sbx_root_verify_keyring(r, kr, time(NULL), &err), &err,
	    SBX_V_BAD_SIGNATURE, "signed by 0 of the 2 keys");
	ck_assert_ptr_nonnull(strstr(err.msg, want));
	sbx_keyring_free(kr);
	sbx_root_free(r);
}
END_TEST

/* The signature covers what was parsed, not the spelling of the file. */
START_TEST(reformatted_keyring_still_verifies)
{
	struct sbx_root *r = pinned_root();
	struct sbx_keyring *kr = expiring_keyring();
	struct sbx_err err = { 0 };
	json_error_t jerr;
	json_t *doc;

	sign_keyring(kr, "plain");
	sign_keyring(kr, "leaf");
	ck_assert_int_eq(sbx_keyring_save(kr, path, NULL), SBX_OK);
	sbx_keyring_free(kr);
	ck_assert_ptr_nonnull(doc = json_load_file(path, 0, &jerr));
	ck_assert_int_eq(json_dump_file(doc, path, JSON_COMPACT |
	    JSON_SORT_KEYS), 0);
	json_decref(doc);
	ck_assert_int_eq(sbx_keyring_load(&kr, path, &err), SBX_OK);
	ck_assert_msg(sbx_root_verify_keyring(r, kr, time(NULL), &err) ==
	    SBX_OK, "%s", err.msg);
	sbx_keyring_free(kr);
	sbx_root_free(r);
}
END_TEST

START_TEST(signed_bytes_are_the_documented_encoding)
{
	struct sbx_keyring *kr = NULL;
	struct sbx_buf b = { 0 };
	const char *want = "DSSEv1 32 application/vnd.sbx.keyring+json 77 "
	    "{\"expires\":\"2027-01-01T00:00:00Z\",\"keys\":[],"
	    "\"type\":\"sbx-keyring\",\"version\":2}";

	ck_assert_int_eq(sbx_keyring_new(&kr, NULL), SBX_OK);
	ck_assert_int_eq(sbx_keyring_save(kr, path, NULL), SBX_OK);
	sbx_keyring_free(kr);
	ck_assert_int_eq(sbx_keyring_load(&kr, path, NULL), SBX_OK);
	sbx_keyring_set_expires(kr, 1798761600);
	ck_assert_int_eq(sbx_keyring_signed_bytes(&b, kr, NULL), SBX_OK);
	ck_assert_uint_eq(b.len, strlen(want));
	ck_assert_msg(memcmp(b.p, want, b.len) == 0, "%.*s", (int)b.len,
	    (const char *)b.p);
	sbx_buf_free(&b);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(change_after_signing_drops_signatures)
{
	struct sbx_keyring *kr = expiring_keyring();
	struct sbx_err err = { 0 };
	uint64_t v;

	sign_keyring(kr, "plain");
	kr = reload(kr);
	v = sbx_keyring_version(kr);
	ck_assert_uint_eq(sbx_keyring_nsignatures(kr), 1);
	sign_keyring(kr, "leaf");
	ck_assert_uint_eq(sbx_keyring_nsignatures(kr), 2);
	ck_assert_int_eq(sbx_keyring_retire(kr, "release", time(NULL),
	    &err), SBX_OK);
	ck_assert_uint_eq(sbx_keyring_nsignatures(kr), 0);
	ck_assert_uint_eq(sbx_keyring_version(kr), v + 1);
	sign_keyring(kr, "plain");
	sbx_keyring_set_expires(kr, time(NULL) + 7200);
	ck_assert_uint_eq(sbx_keyring_nsignatures(kr), 0);
	ck_assert_uint_eq(sbx_keyring_version(kr), v + 1);
	sbx_keyring_free(kr);
}
END_TEST

START_TEST(keyring_without_expiry_is_neither_signed_nor_accepted)
{
	struct sbx_root *r = pinned_root();
	struct sbx_keyring *kr = release_keyring();
	struct sbx_key *k = signing_key("plain");
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_keyring_sign(kr, k, &err), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "the keyring has no expiry, and a signed "
	    "keyring must have one (sbx-keyring expire)");
	assert_reject(sbx_root_verify_keyring(r, kr, time(NULL), &err), &err,
	    SBX_V_BAD_SIGNATURE, "signed by 0 of the 2 keys");
	sbx_key_free(k);
	sbx_keyring_free(kr);
	sbx_root_free(r);
}
END_TEST

START_TEST(expired_keyring_and_expired_root_fail_closed)
{
	struct sbx_root *r = pinned_root();
	struct sbx_keyring *kr = release_keyring();
	struct sbx_err err = { 0 };
	int64_t t = time(NULL);
	char want[512];

	sbx_keyring_set_expires(kr, t - 60);
	sign_keyring(kr, "plain");
	sign_keyring(kr, "leaf");
	ck_assert_int_eq(sbx_root_verify_keyring(r, kr, t - 120, &err),
	    SBX_OK);
	assert_reject(sbx_root_verify_keyring(r, kr, t, &err), &err,
	    SBX_V_EXPIRED_KEY, "expired at ");

	sbx_keyring_set_expires(kr, t + 3 * 86400);
	sign_keyring(kr, "plain");
	sign_keyring(kr, "leaf");
	ck_assert_int_eq(sbx_root_verify_keyring(r, kr, t, &err), SBX_OK);
	snprintf(want, sizeof(want), "%s/root.json: expired at ", dir);
	assert_reject(sbx_root_verify_keyring(r, kr, t + 2 * 86400, &err),
	    &err, SBX_V_EXPIRED_KEY, want);
	sbx_keyring_free(kr);
	sbx_root_free(r);
}
END_TEST

START_TEST(root_below_its_own_threshold_is_not_pinned)
{
	struct sbx_root *r = make_root(2, root_names, 3);
	struct sbx_keyring *kr = expiring_keyring();
	struct sbx_err err = { 0 };

	sign_root(r, "plain");
	sign_keyring(kr, "plain");
	sign_keyring(kr, "leaf");
	assert_reject(sbx_root_verify_keyring(r, kr, time(NULL), &err), &err,
	    SBX_V_BAD_SIGNATURE, "root file: signed by 1 of the 2 keys of "
	    "root file (root version 1) it needs");
	sign_root(r, "leaf2");
	ck_assert_msg(sbx_root_verify_keyring(r, kr, time(NULL), &err) ==
	    SBX_OK, "%s", err.msg);
	sbx_keyring_free(kr);
	sbx_root_free(r);
}
END_TEST

static char state[256];

static int
accept_version(struct sbx_root *r, uint64_t version, struct sbx_err *err)
{
	struct sbx_keyring *kr = expiring_keyring();
	int rc;

	/* The first change raises 1 to 2; then set the version wanted. */
	while (sbx_keyring_version(kr) < version) {
		kr = reload(kr);
		sbx_keyring_set_expires(kr, time(NULL) + 86400);
	}
	sign_keyring(kr, "plain");
	sign_keyring(kr, "leaf");
	rc = sbx_keyring_accept(kr, r, state, time(NULL), err);
	sbx_keyring_free(kr);
	return rc;
}

static uint64_t
recorded(void)
{
	struct sbx_keyring_state *st = NULL;
	struct sbx_err err = { 0 };
	uint64_t v;

	ck_assert_msg(sbx_keyring_state_open(&st, state, &err) == SBX_OK, "%s",
	    err.msg);
	v = sbx_keyring_state_version(st);
	sbx_keyring_state_close(st);
	return v;
}

START_TEST(older_keyring_version_is_refused_as_rollback)
{
	struct sbx_root *r = pinned_root();
	struct sbx_err err = { 0 };
	char want[512];

	ck_assert_int_eq(sbx_keyring_state_path(state, sizeof(state), path,
	    NULL, &err), SBX_OK);
	ck_assert_uint_eq(recorded(), 0);
	ck_assert_msg(accept_version(r, 4, &err) == SBX_OK, "%s", err.msg);
	ck_assert_uint_eq(recorded(), 4);
	snprintf(want, sizeof(want), "keyring version 3 is older than "
	    "version 4, accepted before on this host (%s)", state);
	ck_assert_int_eq(accept_version(r, 3, &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_ROLLBACK);
	ck_assert_str_eq(err.msg, want);
	ck_assert_uint_eq(recorded(), 4);
	ck_assert_int_eq(accept_version(r, 4, &err), SBX_OK);
	ck_assert_int_eq(accept_version(r, 5, &err), SBX_OK);
	ck_assert_uint_eq(recorded(), 5);
	sbx_root_free(r);
}
END_TEST

START_TEST(state_file_is_where_the_options_say_and_strict)
{
	struct sbx_keyring_state *st = NULL;
	struct sbx_err err = { 0 };
	char want[512];
	FILE *f;

	ck_assert_int_eq(sbx_keyring_state_path(state, sizeof(state),
	    "/etc/sbx/keyring.json", NULL, &err), SBX_OK);
	ck_assert_str_eq(state, "/etc/sbx/keyring.json.state");
	ck_assert_int_eq(sbx_keyring_state_path(state, sizeof(state),
	    "/etc/sbx/keyring.json", "/var/lib/sbx", &err), SBX_OK);
	ck_assert_str_eq(state, "/var/lib/sbx/keyring.json.state");
	ck_assert_int_eq(sbx_keyring_state_path(state, sizeof(state),
	    "/etc/sbx/", NULL, &err), SBX_ECONFIG);

	snprintf(state, sizeof(state), "%s/k.state", dir);
	ck_assert_ptr_nonnull(f = fopen(state, "w"));
	fputs("{\"type\": \"sbx-keyring-state\", \"version\": 3, "
	    "\"colour\": 1}", f);
	fclose(f);
	snprintf(want, sizeof(want), "%s: unknown field 'colour'", state);
	ck_assert_int_eq(sbx_keyring_state_open(&st, state, &err),
	    SBX_ECONFIG);
	ck_assert_str_eq(err.msg, want);
	ck_assert_ptr_null(st);

	snprintf(state, sizeof(state), "%s/nodir/k.state", dir);
	ck_assert_int_eq(sbx_keyring_state_open(&st, state, &err), SBX_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "nodir/k.state.lock"));
}
END_TEST

/* The successor of pinned_root(): keys ca and inter, 2 of 2. */
static struct sbx_root *
successor(const struct sbx_root *old)
{
	static const char *const names[] = { "ca", "inter" };
	struct sbx_root *r = NULL;
	struct sbx_err err = { 0 };
	size_t i;
	X509 *x;

	ck_assert_int_eq(sbx_root_next(&r, old, 2, time(NULL) + 86400, &err),
	    SBX_OK);
	for (i = 0; i < 2; i++) {
		x = cert(names[i]);
		ck_assert_int_eq(sbx_root_add_cert(r, x, &err), SBX_OK);
		X509_free(x);
	}
	return r;
}

START_TEST(root_rotation_needs_both_thresholds)
{
	struct sbx_root *old = pinned_root(), *next = successor(old);
	struct sbx_err err = { 0 };
	char want[512];

	ck_assert_uint_eq(sbx_root_version(next), 2);
	sign_root(next, "ca");
	sign_root(next, "inter");
	snprintf(want, sizeof(want), "root file: signed by 0 of the 2 keys "
	    "of %s/root.json (root version 1) it needs", dir);
	ck_assert_int_eq(sbx_root_check_next(old, next, &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_BAD_SIGNATURE);
	ck_assert_str_eq(err.msg, want);

	sign_root(next, "leaf2");
	ck_assert_int_eq(sbx_root_check_next(old, next, &err), SBX_EREJECT);
	sign_root(next, "plain");
	ck_assert_msg(sbx_root_check_next(old, next, &err) == SBX_OK, "%s",
	    err.msg);
	ck_assert_int_eq(sbx_root_check(next, time(NULL), &err), SBX_OK);
	sbx_root_free(next);

	/* Old keys alone cannot hand the fleet to keys that did not sign. */
	next = successor(old);
	sign_root(next, "plain");
	sign_root(next, "leaf");
	sign_root(next, "inter");
	assert_reject(sbx_root_check_next(old, next, &err), &err,
	    SBX_V_BAD_SIGNATURE, "root file: signed by 1 of the 2 keys of "
	    "root file (root version 2) it needs");
	sbx_root_free(next);
	sbx_root_free(old);
}
END_TEST

START_TEST(root_rotation_goes_one_version_at_a_time)
{
	struct sbx_root *old = pinned_root(), *same = NULL, *skip = NULL;
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_root_new(&same, 2, time(NULL) + 60, &err),
	    SBX_OK);
	assert_reject(sbx_root_check_next(old, same, &err), &err,
	    SBX_V_ROLLBACK, "version 1 cannot follow version 1");
	ck_assert_int_eq(sbx_root_next(&skip, same, 2, time(NULL) + 60,
	    &err), SBX_OK);
	sbx_root_free(same);
	ck_assert_int_eq(sbx_root_next(&same, skip, 2, time(NULL) + 60,
	    &err), SBX_OK);
	assert_reject(sbx_root_check_next(old, same, &err), &err,
	    SBX_V_BAD_SIGNATURE, "version 3 cannot follow version 1");
	sbx_root_free(same);
	sbx_root_free(skip);
	sbx_root_free(old);
}
END_TEST

/* A root file's faults, each with the field it names. */
static const struct {
	const char	*field;
	const char	*value;		/* JSON; NULL deletes the field */
	const char	*want;
} bad_roots[] = {
	{ "type", "\"sbx-keyring\"", "type: must be \"sbx-root\"" },
	{ "version", "0", "version: must be a whole number from 1" },
	{ "threshold", "4", "threshold: 4 is more than the 3 keys listed" },
	{ "threshold", "0", "threshold: must be a whole number from 1" },
	{ "expires", NULL, "expires: missing" },
	{ "expires", "null", "expires: must be a string" },
	{ "keys", "[]", "keys: must be a list of at least one key" },
	{ "colour", "1", "unknown field 'colour'" },
	{ "signatures", "[{\"keyid\": \"00\", \"sig\": \"AA==\"}]",
	    "signatures[0].keyid: must be 64 lower-case hex digits" },
};

START_TEST(bad_root_files_are_refused_with_the_field)
{
	struct sbx_root *r = pinned_root();
	struct sbx_err err = { 0 };
	json_error_t jerr;
	json_t *doc;
	char p[256], want[512];

	snprintf(p, sizeof(p), "%s/root.json", dir);
	sbx_root_free(r);
	ck_assert_ptr_nonnull(doc = json_load_file(p, 0, &jerr));
	if (bad_roots[_i].value == NULL)
		json_object_del(doc, bad_roots[_i].field);
	else
		json_object_set_new(doc, bad_roots[_i].field,
		    json_loads(bad_roots[_i].value, JSON_DECODE_ANY, &jerr));
	ck_assert_int_eq(json_dump_file(doc, p, JSON_INDENT(2)), 0);
	json_decref(doc);
	r = NULL;
	ck_assert_int_eq(sbx_root_load(&r, p, &err), SBX_ECONFIG);
	ck_assert_ptr_null(r);
	snprintf(want, sizeof(want), "%s: %s", p, bad_roots[_i].want);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "row %d: %s",
	    _i, err.msg);
}
END_TEST

START_TEST(root_keys_are_distinct_rsa_keys)
{
	struct sbx_root *r = make_root(1, root_names, 1);
	struct sbx_err err = { 0 };
	char want[256];
	X509 *x = cert("plain");

	snprintf(want, sizeof(want), "root key %s is listed twice",
	    keyid_of("plain"));
	ck_assert_int_eq(sbx_root_add_cert(r, x, &err), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, want);
	X509_free(x);
	sbx_root_free(r);

	ck_assert_int_eq(sbx_root_new(&r, 2, time(NULL) + 60, &err), SBX_OK);
	x = cert("plain");
	ck_assert_int_eq(sbx_root_add_cert(r, x, &err), SBX_OK);
	snprintf(want, sizeof(want), "%s/r.json", dir);
	ck_assert_int_eq(sbx_root_save(r, want, &err), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "root file: threshold 2 is more than the 1 "
	    "keys listed");
	X509_free(x);
	sbx_root_free(r);
}
END_TEST

START_TEST(a_key_signs_a_keyring_once)
{
	struct sbx_keyring *kr = expiring_keyring();
	struct sbx_err err = { 0 };
	json_error_t jerr;
	json_t *doc, *sigs;
	char want[512];

	sign_keyring(kr, "plain");
	ck_assert_int_eq(sbx_keyring_save(kr, path, NULL), SBX_OK);
	sbx_keyring_free(kr);
	ck_assert_ptr_nonnull(doc = json_load_file(path, 0, &jerr));
	sigs = json_object_get(doc, "signatures");
	json_array_append(sigs, json_array_get(sigs, 0));
	write_json(doc);
	snprintf(want, sizeof(want), "%s: signatures[1].keyid: key %s signs "
	    "twice", path, keyid_of("plain"));
	ck_assert_int_eq(load_fail(&err), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

static Suite *
keyring_suite(void)
{
	Suite *s = suite_create("keyring");
	TCase *tc = tcase_create("keyring");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, added_certificate_saves_and_loads);
	tcase_add_test(tc, saved_file_has_the_documented_shape);
	tcase_add_test(tc,
	    first_change_raises_version_once_and_drops_signatures);
	tcase_add_test(tc, retired_and_revoked_states_survive_a_round_trip);
	tcase_add_test(tc, public_key_entry_loads_without_certificate);
	tcase_add_loop_test(tc, bad_keyrings_are_refused_with_the_field, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, listed_twice_is_refused);
	tcase_add_test(tc, bad_json_names_line_and_column);
	tcase_add_test(tc, duplicate_json_field_is_refused);
	tcase_add_test(tc, not_an_object_and_missing_file);
	tcase_add_test(tc,
	    add_refuses_duplicates_bad_names_and_unfit_certificates);
	tcase_add_test(tc, retire_and_revoke_refuse_what_makes_no_sense);
	tcase_add_test(tc, find_by_id_in_any_case_or_by_name);
	tcase_add_test(tc, roles_parse_and_format);
	tcase_add_test(tc, active_key_is_trusted_for_its_roles_only);
	tcase_add_test(tc, unknown_key_is_untrusted);
	tcase_add_test(tc, certificate_of_another_key_is_untrusted);
	tcase_add_test(tc, revoked_key_verifies_nothing_whatever_the_time);
	tcase_add_test(tc, retired_key_verifies_only_what_came_before);
	tcase_add_test(tc, key_is_trusted_only_inside_its_window);
	tcase_add_test(tc, window_edited_in_the_file_is_the_one_that_counts);
	tcase_add_test(tc, expired_keyring_trusts_nothing);
	tcase_add_test(tc, leaf_certified_by_keyring_ca_is_trusted);
	tcase_add_test(tc, leaf_of_ca_is_refused_outside_the_ca_roles);
	tcase_add_test(tc, leaf_without_code_signing_usage_is_refused);
	tcase_add_test(tc, leaf_of_another_ca_is_refused);
	tcase_add_test(tc, revoked_ca_revokes_its_leaves);
	tcase_add_test(tc, leaf_can_be_revoked_alone);
	tcase_add_test(tc, leaf_chain_is_judged_at_the_signing_time);
	tcase_add_test(tc, intermediate_in_keyring_is_an_anchor);
	tcase_add_test(tc, intermediate_sent_along_reaches_the_root);
	tcase_add_test(tc, revoked_intermediate_revokes_below_it);
	tcase_add_test(tc, authority_key_does_not_sign_itself);
	suite_add_tcase(s, tc);

	tc = tcase_create("root");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc,
	    keyring_signed_by_threshold_is_accepted_after_reload);
	tcase_add_test(tc, keyring_below_threshold_is_refused);
	tcase_add_test(tc, tampered_keyring_is_refused);
	tcase_add_test(tc, reformatted_keyring_still_verifies);
	tcase_add_test(tc, signed_bytes_are_the_documented_encoding);
	tcase_add_test(tc, change_after_signing_drops_signatures);
	tcase_add_test(tc,
	    keyring_without_expiry_is_neither_signed_nor_accepted);
	tcase_add_test(tc, expired_keyring_and_expired_root_fail_closed);
	tcase_add_test(tc, root_below_its_own_threshold_is_not_pinned);
	tcase_add_test(tc, older_keyring_version_is_refused_as_rollback);
	tcase_add_test(tc, state_file_is_where_the_options_say_and_strict);
	tcase_add_test(tc, root_rotation_needs_both_thresholds);
	tcase_add_test(tc, root_rotation_goes_one_version_at_a_time);
	tcase_add_loop_test(tc, bad_root_files_are_refused_with_the_field, 0,
	    (int)(sizeof(bad_roots) / sizeof(bad_roots[0])));
	tcase_add_test(tc, root_keys_are_distinct_rsa_keys);
	tcase_add_test(tc, a_key_signs_a_keyring_once);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(keyring_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* tests/fuzz/fuzz_keyring.c: keyring and root file parsers and checks. */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sbx/keyring.h>
#include <sbx/root.h>

/*
 * The input is a keyring, a root file, or a root file and a keyring
 * separated by a line "--". Whatever parses is put through the checks
 * a verifier runs, and their answers must agree with each other.
 */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW	1796256000		/* 2026-12-03T00:00:00Z */

/* The same keyring must always give the same signed bytes. */
static void
signed_twice(const struct sbx_keyring *kr)
{
	struct sbx_buf a = { 0 }, b = { 0 };
	int ra, rb;

	ra = sbx_keyring_signed_bytes(&a, kr, NULL);
	rb = sbx_keyring_signed_bytes(&b, kr, NULL);
	if (ra != rb || a.len != b.len || (a.len > 0 &&
	    memcmp(a.p, b.p, a.len) != 0))
		abort();
	sbx_buf_free(&a);
	sbx_buf_free(&b);
}

/* Every key judged for every role, at three times. */
static void
judge_all(const struct sbx_keyring *kr)
{
	static const unsigned roles[] = { SBX_ROLE_JAR, SBX_ROLE_PROVENANCE,
	    SBX_ROLE_KEYRING, SBX_ROLE_TSA };
	static const int64_t times[] = { 0, NOW, 4102444800 };
	const struct sbx_keyring_key *k, *by;
	size_t i, r, t;
	int rc;

	for (i = 0; i < sbx_keyring_count(kr); i++) {
		k = sbx_keyring_key(kr, i);
		if (sbx_keyring_find(kr, k->id) != k)
			abort();
		for (r = 0; r < 4; r++)
			for (t = 0; t < 3; t++) {
				rc = sbx_keyring_trust(&by, kr, k->pub,
				    k->cert, NULL, roles[r], times[t], NULL);
				if ((rc == SBX_OK) != (by != NULL))
					abort();
				if (rc == SBX_OK && k->status ==
				    SBX_KEY_REVOKED)
					abort();
			}
	}
}

static void
keyring(const uint8_t *data, size_t size, const struct sbx_root *r)
{
	struct sbx_keyring *kr = NULL;
	size_t valid = 0;
	int rc;

	if (sbx_keyring_parse(&kr, "fuzz.json", data, size, NULL) != SBX_OK)
		return;
	signed_twice(kr);
	judge_all(kr);
	if (r != NULL) {
		rc = sbx_root_verify_keyring(r, kr, NOW, NULL);
		if (sbx_root_tally_keyring(&valid, r, kr, NULL) != SBX_OK)
			valid = 0;
		/* Accepted means enough signers and an expiry to come. */
		if (rc == SBX_OK && (valid < sbx_root_threshold(r) ||
		    sbx_keyring_expires(kr) == 0 ||
		    sbx_keyring_expires(kr) < NOW ||
		    valid > sbx_keyring_nsignatures(kr)))
			abort();
	}
	sbx_keyring_free(kr);
}

static struct sbx_root *
root(const uint8_t *data, size_t size)
{
	struct sbx_root *r = NULL;
	size_t own, old;
	int rc;

	if (sbx_root_parse(&r, "root.json", data, size, NULL) != SBX_OK)
		return NULL;
	if (sbx_root_threshold(r) < 1 ||
	    sbx_root_threshold(r) > sbx_root_count(r))
		abort();
	rc = sbx_root_check(r, NOW, NULL);
	if (sbx_root_tally(&own, &old, r, r, NULL) == SBX_OK &&
	    rc == SBX_OK && (own < sbx_root_threshold(r) || own != old))
		abort();
	/* A file can never follow itself. */
	if (sbx_root_check_next(r, r, NULL) == SBX_OK)
		abort();
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = NULL;
	struct sbx_root *r;
	size_t i;

	for (i = 0; i + 4 <= size && sep == NULL; i++)
		if (memcmp(data + i, "\n--\n", 4) == 0)
			sep = data + i;
	if (sep == NULL) {
		keyring(data, size, NULL);
		sbx_root_free(root(data, size));
		return 0;
	}
	r = root(data, (size_t)(sep - data));
	keyring(sep + 4, size - (size_t)(sep - data) - 4, r);
	sbx_root_free(r);
	return 0;
}

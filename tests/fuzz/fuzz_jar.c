/* tests/fuzz/fuzz_jar.c: the whole JAR verifier over hostile archives. */
/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <sbx/jar.h>
#include <sbx/keyring.h>
#include <sbx/policy.h>
#include <sbx/zip.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sbx_policy *policy;
static struct sbx_keyring *keyring;

/*
 * An empty keyring: every path up to the trust decision (archive,
 * manifest, .SF, PKCS#7 parsing and signature checks) still runs.
 */
static void
setup(void)
{
	if (policy != NULL)
		return;
	if (sbx_policy_default(&policy, "/nonexistent/keyring.json", NULL)
	    != SBX_OK || sbx_keyring_new(&keyring, NULL) != SBX_OK)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_jar_verify_opts o = { 0 };
	struct sbx_jar_verdict v;
	struct sbx_zip *z = NULL;
	int rc;

	setup();
	o.policy = policy;
	o.keyring = keyring;
	o.now = 1764000000;
	o.threads = 1;
	if (sbx_zip_open_mem(&z, data, size, "fuzz.jar", NULL) != SBX_OK)
		return 0;
	rc = sbx_jar_verify(&v, z, &o, NULL);
	/* Nothing is trusted, so nothing may be accepted. */
	if (rc == SBX_OK || v.accepted)
		abort();
	sbx_zip_free(z);
	return 0;
}

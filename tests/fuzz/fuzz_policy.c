/* tests/fuzz/fuzz_policy.c: policy parser and position locator on any bytes. */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sbx/policy.h>

#include "../../policy/locate.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The questions checks ask must be answerable for any loaded policy. */
static void
ask(const struct sbx_policy *p)
{
	static const char *const flags[] = {
		"-noverify", "-XX:+DisableAttachMechanism", "-agentlib:jdwp=x",
	};
	const char *min;

	(void)sbx_policy_allows_signer(p, "/x/acme-agent-1.jar", "ab", "rel");
	(void)sbx_policy_allows_builder(p, "https://github.com/acme/a");
	(void)sbx_policy_allows_repo(p, "https://github.com/acme/a");
	(void)sbx_policy_allows_ref(p, "refs/heads/main");
	(void)sbx_policy_provenance_fresh(p, 1000, 2000);
	(void)sbx_policy_allows_version(p, "acme-agent-1.jar", "1.0-rc1", &min);
	(void)sbx_policy_forbidden_flag(p, flags[0]);
	(void)sbx_policy_missing_flag(p, flags, 3);
	(void)sbx_policy_allows_native_agent(p, "/opt/a.so", "00");
	(void)sbx_policy_allows_owner(p, 0);
}

/* The locator must stay inside the text whatever it is given. */
static void
locate(const char *text, size_t size)
{
	static const struct sbx_jstep path[] = {
		{ "audit", 0 }, { "sinks", 0 }, { "syslog", 0 }, { "port", 0 },
	};
	static const struct sbx_jstep elem[] = {
		{ "signers", 0 }, { NULL, 1 }, { "keys", 0 }, { NULL, 0 },
	};
	char where[64];
	size_t off, found;
	int line, col;

	off = sbx_jtext_locate(text, size, path, 4, &found);
	if (off > size || found > 4)
		abort();
	off = sbx_jtext_locate(text, size, elem, 4, &found);
	if (off > size || found > 4)
		abort();
	sbx_jtext_linecol(text, size, off, &line, &col);
	if (line < 1 || col < 1)
		abort();
	if (size > 0) {
		off = sbx_jtext_key_at(where, sizeof(where), text, size,
		    size / 2);
		if (off != SBX_JNONE && off >= size)
			abort();
		if (strlen(where) >= sizeof(where))
			abort();
	}
}

static void
strings(const uint8_t *data, size_t size)
{
	char s[160];
	int64_t secs;
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;

	memcpy(s, data, n);
	s[n] = '\0';
	if (sbx_duration_parse(&secs, s, NULL) == SBX_OK &&
	    (secs <= 0 || secs > 36500LL * 86400))
		abort();
	if (sbx_version_valid(s) && sbx_version_cmp(s, s) != 0)
		abort();
	if (sbx_version_cmp(s, "1.0") != -sbx_version_cmp("1.0", s))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_policy *p = NULL;
	struct sbx_err err = { 0 };
	int rc;

	rc = sbx_policy_parse_mem(&p, data, size, "fuzz.json", "/nonexistent",
	    &err);
	if (rc == SBX_OK) {
		if (p == NULL || p->keyring == NULL)
			abort();
		ask(p);
		sbx_policy_free(p);
	} else if (p != NULL || (rc == SBX_ECONFIG &&
	    strncmp(err.msg, "fuzz.json:", 10) != 0) ||
	    (rc != SBX_ECONFIG && rc != SBX_ENOMEM)) {
		abort();
	}

	locate((const char *)data, size);
	strings(data, size);
	return 0;
}

/* tests/fuzz/fuzz_dsse.c: envelopes, bundles and Statements, hostile. */
/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sbx/dsse.h>
#include <sbx/provenance.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What sbx writes must read back as the same envelope. */
static void
round_trip(const struct sbx_dsse *env)
{
	struct sbx_dsse *back = NULL;
	struct sbx_buf text = { 0 };
	size_t i;

	if (sbx_dsse_write(&text, env, NULL) != SBX_OK)
		abort();
	if (sbx_dsse_parse(&back, text.p, text.len, "again", NULL) != SBX_OK)
		abort();
	if (back->payload.len != env->payload.len ||
	    memcmp(back->payload.p, env->payload.p, env->payload.len) != 0 ||
	    back->nsigs != env->nsigs)
		abort();
	for (i = 0; i < env->nsigs; i++)
		if (back->sigs[i].sig_len != env->sigs[i].sig_len ||
		    memcmp(back->sigs[i].sig, env->sigs[i].sig,
		    env->sigs[i].sig_len) != 0 ||
		    strcmp(back->sigs[i].keyid, env->sigs[i].keyid) != 0)
			abort();
	sbx_dsse_free(back);
	sbx_buf_free(&text);
}

/* No key is trusted: every envelope must be refused, never accepted. */
static void
verify_untrusted(const struct sbx_dsse *env)
{
	static struct sbx_keyring *empty;
	struct sbx_dsse_signer s;
	struct sbx_err err = { 0 };

	if (empty == NULL && sbx_keyring_new(&empty, NULL) != SBX_OK)
		abort();
	if (sbx_dsse_verify(&s, env, empty, NULL, (int64_t)time(NULL), "f",
	    &err) != SBX_EREJECT || err.violation != SBX_V_UNTRUSTED_KEY)
		abort();
}

static void
statement(const void *p, size_t n)
{
	struct sbx_statement *st = NULL;
	struct sbx_err err = { 0 };

	if (sbx_statement_parse(&st, p, n, "fuzz", &err) == SBX_OK) {
		if (st->nsubjects == 0 || st->builder_id == NULL ||
		    st->build_type == NULL)
			abort();
	} else if (err.code != SBX_EREJECT && err.code != SBX_ENOMEM)
		abort();
	sbx_statement_free(st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_dsse *env = NULL;
	struct sbx_err err = { 0 };
	char *text;
	int64_t t;

	if (sbx_dsse_parse(&env, data, size, "fuzz", &err) == SBX_OK) {
		round_trip(env);
		verify_untrusted(env);
		statement(env->payload.p, env->payload.len);
		sbx_dsse_free(env);
	} else if (err.code != SBX_EREJECT && err.code != SBX_ENOMEM)
		abort();

	/* The same bytes as a bare Statement, and as a time. */
	statement(data, size);
	if ((text = strndup((const char *)data, size > 64 ? 64 : size)) !=
	    NULL) {
		(void)sbx_time_parse(&t, text);
		free(text);
	}
	return 0;
}

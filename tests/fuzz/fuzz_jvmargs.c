/* tests/fuzz/fuzz_jvmargs.c: the tokenizers of argfiles, options and flags. */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sbx/jvmargs.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * An attacker writes @argfiles, VM options files and the *_OPTIONS
 * variables. Each tokenizer must hold, and what the guard writes back
 * for a JVM must read back as the same tokens.
 */
static void
round_trip(const struct sbx_jvm_strs *t)
{
	struct sbx_jvm_strs again = { 0 };
	struct sbx_buf text = { 0 };
	size_t i;

	if (sbx_jvm_join_options(&text, t, NULL) != SBX_OK)
		goto done;
	if (sbx_jvm_split_options(&again, (const char *)text.p, text.len,
	    "joined", NULL) != SBX_OK || again.n != t->n)
		abort();
	for (i = 0; i < t->n; i++)
		if (strcmp(again.v[i], t->v[i]) != 0)
			abort();
done:
	sbx_jvm_strs_free(&again);
	sbx_buf_free(&text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_jvm_strs a = { 0 }, o = { 0 }, f = { 0 };
	const char *text = (const char *)data;

	if (sbx_jvm_split_argfile(&a, text, size, "fuzz", NULL) == SBX_OK)
		round_trip(&a);
	if (sbx_jvm_split_options(&o, text, size, "fuzz", NULL) == SBX_OK)
		round_trip(&o);
	if (sbx_jvm_split_flags(&f, text, size, "fuzz", NULL) == SBX_OK)
		round_trip(&f);
	sbx_jvm_strs_free(&a);
	sbx_jvm_strs_free(&o);
	sbx_jvm_strs_free(&f);
	return 0;
}

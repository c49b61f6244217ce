/* tests/fuzz/fuzz_zip.c: open any bytes as a zip and inflate every entry. */
/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sbx/zip.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
discard(void *ctx, const unsigned char *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return SBX_OK;
}

/*
 * Whatever the input, the reader returns a code with a message, reads
 * nothing outside the buffer and inflates no more than each entry's
 * stated size.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_err err = { 0 };
	const struct sbx_zip_entry *e;
	struct sbx_zip *z;
	unsigned char *out;
	size_t i, n;

	if (sbx_zip_open_mem(&z, data, size, "fuzz.zip", &err) != SBX_OK) {
		if (err.msg[0] == '\0' || err.code == SBX_OK)
			abort();
		return 0;
	}
	for (i = 0; i < sbx_zip_count(z); i++) {
		e = sbx_zip_entry(z, i);
		if (sbx_zip_find(z, e->name) != e)
			abort();
		if (sbx_zip_stream(z, e, discard, NULL, &err) != SBX_OK)
			continue;
		if (sbx_zip_read(&out, &n, z, e, 1 << 20, &err) == SBX_OK) {
			if (n != e->usize)
				abort();
			free(out);
		}
	}
	sbx_zip_free(z);
	return 0;
}

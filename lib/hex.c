/* lib/hex.c: lower-case hex of a digest. */
/* SPDX-License-Identifier: ISC */
#include <stddef.h>

#include <sbx/encode.h>

void
sbx_hex(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

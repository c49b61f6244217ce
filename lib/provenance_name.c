/* lib/provenance_name.c: where a provenance lives, and what a JAR is. */
/* SPDX-License-Identifier: ISC */
/*
 * Apart from lib/provenance.c so that the guard's front ends (docs/guard.md)
 * can name the files a cached verdict depends on without linking OpenSSL.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sbx/provenance.h>

bool
sbx_provenance_path(char *out, size_t n, const char *artifact)
{
	int w = snprintf(out, n, "%s%s", artifact, SBX_PROVENANCE_SUFFIX);

	return w >= 0 && (size_t)w < n;
}

bool
sbx_is_jar_name(const char *path)
{
	size_t n = strlen(path);

	return n >= 4 && strcasecmp(path + n - 4, ".jar") == 0;
}

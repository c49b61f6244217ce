/* verify/bundle_name.c: what a bundle is by its name, and tree removal. */
/* SPDX-License-Identifier: ISC */
/*
 * Apart from verify/bundle.c (libarchive) so that sbx-verify asks these
 * of every file without loading libarchive and libcurl (docs/guard.md,
 * "What it costs": they live in libsbx-net.so).
 */
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <sbx/bundle.h>

static const char *const bundle_suffixes[] = {
	".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".zip"
};

bool
sbx_bundle_is_name(const char *path)
{
	size_t i, n = strlen(path), k;

	for (i = 0; i < sizeof(bundle_suffixes) / sizeof(*bundle_suffixes);
	    i++) {
		k = strlen(bundle_suffixes[i]);
		if (n > k && strcasecmp(path + n - k, bundle_suffixes[i]) == 0)
			return true;
	}
	return false;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

void
sbx_bundle_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* runtime-check/lazy.c: find and load a part of sbx beside this one. */
/* SPDX-License-Identifier: ISC */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <sbx/err.h>

#include "lazy.h"

/*
 * The folder of the object this code is linked into: for a library the
 * path it was loaded from; for the program the kernel's name of the
 * executable (argv[0], which dladdr() would give, is the caller's).
 */
static int
own_dir(char *out, size_t n)
{
	Dl_info me, exe;
	char path[PATH_MAX];
	ssize_t len;

	if (dladdr((void *)own_dir, &me) == 0 ||
	    dladdr((void *)getauxval(AT_PHDR), &exe) == 0)
		return -1;
	if (me.dli_fbase != exe.dli_fbase) {
		if (realpath(me.dli_fname, path) == NULL)
			return -1;
	} else {
		len = readlink("/proc/self/exe", path, sizeof(path) - 1);
		if (len <= 0)
			return -1;
		path[len] = '\0';
	}
	*strrchr(path, '/') = '\0';
	return snprintf(out, n, "%s", path) < (int)n ? 0 : -1;
}

#ifndef SBX_BUILD_ID
#error "SBX_BUILD_ID: the Makefile defines it"
#endif

const char *
sbx_lazy_build_id(void)
{
	return SBX_BUILD_ID;
}

/* The part in h must come from this build: see sbx_lazy_build_id(). */
static bool
same_build(void *h, const char *name, struct sbx_err *err)
{
	const char *(*id)(void);

	if (!sbx_lazy_sym(h, &id, "sbx_lazy_build_id")) {
		sbx_err_set(err, SBX_EIO, "cannot load %s: not a part of sbx",
		    name);
		return false;
	}
	if (strcmp(id(), SBX_BUILD_ID) != 0) {
		sbx_err_set(err, SBX_EIO, "cannot load %s: it is from another "
		    "build of sbx (%.12s, this is %.12s): reinstall sbx", name,
		    id(), SBX_BUILD_ID);
		return false;
	}
	return true;
}

void *
sbx_lazy_open(const char *name, struct sbx_err *err)
{
	static const char *const where[] = { "/", "/../lib/sbx/" };
	const char *why = "not found beside the guard";
	char dir[PATH_MAX], path[PATH_MAX + 64];
	void *h = NULL;
	size_t i;

	if (own_dir(dir, sizeof(dir)) != 0) {
		sbx_err_set(err, SBX_EIO, "cannot load %s: cannot find the "
		    "guard's own folder", name);
		return NULL;
	}
	for (i = 0; h == NULL && i < sizeof(where) / sizeof(where[0]); i++) {
		snprintf(path, sizeof(path), "%s%s%s", dir, where[i], name);
		if (access(path, F_OK) != 0)
			continue;
		if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
			why = dlerror();
	}
	if (h == NULL) {
		sbx_err_set(err, SBX_EIO, "cannot load %s: %s", name, why);
		return NULL;
	}
	if (!same_build(h, name, err)) {
		dlclose(h);
		return NULL;
	}
	return h;
}

bool
sbx_lazy_sym(void *h, void *fn, const char *name)
{
	void *p = dlsym(h, name);

	memcpy(fn, &p, sizeof(p));
	return p != NULL;
}

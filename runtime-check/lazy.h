/* runtime-check/lazy.h: load a part of sbx the first time it is needed. */
#ifndef SBX_LAZY_H
#define SBX_LAZY_H

#include <stdbool.h>

#include <sbx/err.h>

/*
 * dlopen() NAME, RTLD_NOW | RTLD_LOCAL, from beside the program or
 * library this code is part of, else from ../lib/sbx there (an
 * installed sbx-guard). Never from a path the environment names:
 * whoever sets JAVA_TOOL_OPTIONS must not choose the code that decides.
 * NULL with err set (SBX_EIO) when it cannot be loaded or is not from
 * this very build.
 */
void	*sbx_lazy_open(const char *name, struct sbx_err *err);

/*
 * What this build of sbx is: a digest of every source file. The parts
 * of the guard share their structures, so a part from another build
 * (a half-done upgrade) is refused rather than called.
 */
const char *sbx_lazy_build_id(void);

/* *(void **)fn = the address of symbol name in h; false if none. */
bool	 sbx_lazy_sym(void *h, void *fn, const char *name);

#endif

/* runtime-check/lazy.h: load a part of sbx the first time it is needed. */
#ifndef SBX_LAZY_H
#define SBX_LAZY_H

#include <stdbool.h>

#include <sbx/err.h>

/*
 * Open NAME from beside the program or library this code is part of
 * (for a program in a folder named bin, from ../lib/sbx there when it
 * is not beside it: an installed sbx-guard). Never from a path the
 * environment names: whoever sets JAVA_TOOL_OPTIONS must not choose
 * the code that decides. The part is code the guard runs, so it gets
 * the rules the guard applies to agents: a regular file, not a link,
 * owned by root or by the owner of the program or library looking for
 * it, writable by no one else, in folders that only root or that owner
 * may change (sticky ones aside). Returns the open descriptor, checked,
 * or -1 with err set (SBX_EIO) saying which rule failed.
 */
int	 sbx_lazy_find(const char *name, struct sbx_err *err);

/*
 * dlopen() the part open on fd (from sbx_lazy_find(), kept open for
 * good), RTLD_NOW | RTLD_LOCAL, so that the file checked is the file
 * loaded; then check that it is from this very build. NULL with err set
 * (SBX_EIO) when it cannot be loaded or is not.
 */
void	*sbx_lazy_load(int fd, const char *name, struct sbx_err *err);

/*
 * What this build of sbx is: a digest of every source file. The parts
 * of the guard share their structures, so a part from another build
 * (a half-done upgrade) is refused rather than called.
 */
const char *sbx_lazy_build_id(void);

/* *(void **)fn = the address of symbol name in h; false if none. */
bool	 sbx_lazy_sym(void *h, void *fn, const char *name);

/*
 * In the front ends only (runtime-check/lazy-full.c): can the event of
 * an accepted start be written later? SBX_OK when the policy records
 * nothing; else the full library must be there, safe and of this build
 * (its file is kept open for the later load), and the audit file
 * writable (sbx_guard_can_record()). Checked before the start is let
 * through; "cannot record this start" is the caller's to say.
 */
struct sbx_guard;
int	 sbx_lazy_recorder_ready(const struct sbx_guard *g,
	    struct sbx_err *err);

#endif

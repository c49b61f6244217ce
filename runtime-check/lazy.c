/* runtime-check/lazy.c: find and load a part of sbx beside this one. */
/* SPDX-License-Identifier: ISC */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sbx/err.h>

#include "lazy.h"

#ifndef SBX_BUILD_ID
#error "SBX_BUILD_ID: the Makefile defines it"
#endif

/*
 * The build's digest, also as an ELF note in every part (ld gathers
 * .note.* sections into the PT_NOTE segment), so that a part can be
 * known for this build's without loading it: see note_matches().
 */
#define BUILD_NOTE_TYPE		1
#define BUILD_ID_LEN		64
#define NOTE_MAX		4096	/* bytes of notes read in a part */

struct build_note {
	uint32_t	 namesz, descsz, type;
	char		 name[4];		/* "SBX" */
	char		 desc[BUILD_ID_LEN];	/* no NUL */
};

__attribute__((section(".note.sbx.build"), aligned(4), used))
static const struct build_note build_note = {
	4, BUILD_ID_LEN, BUILD_NOTE_TYPE, "SBX", SBX_BUILD_ID
};

/* Where this object lives, and who owns it. */
struct origin {
	char	 dir[PATH_MAX];
	uid_t	 owner;
};

/*
 * The object this code is linked into: for a library the path it was
 * loaded from; for the program the kernel's name of the executable
 * (argv[0], which dladdr() would give, is the caller's to choose).
 */
static int
own_origin(struct origin *o)
{
	Dl_info me, exe;
	char path[PATH_MAX];
	struct stat st;
	ssize_t len;

	if (dladdr((void *)own_origin, &me) == 0 ||
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
	if (stat(path, &st) == -1)
		return -1;
	o->owner = st.st_uid;
	*strrchr(path, '/') = '\0';
	return snprintf(o->dir, sizeof(o->dir), "%s", path) <
	    (int)sizeof(o->dir) ? 0 : -1;
}

/* Owned by root or by owner, and only they may change it. */
static const char *
stat_fault(const struct stat *st, uid_t owner, bool dir)
{
	if (st->st_uid != 0 && st->st_uid != owner)
		return "owned by someone other than root or the guard's owner";
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return NULL;
	/* A sticky folder (/tmp): others may not replace what is ours. */
	if (dir && (st->st_mode & S_ISVTX) != 0)
		return NULL;
	return "writable by others";
}

/* The part's folder and every one above it, as stat_fault() asks. */
static int
check_folders(const char *file, uid_t owner, const char *name,
    struct sbx_err *err)
{
	char p[PATH_MAX];
	const char *why;
	struct stat st;
	char *slash;

	if (realpath(file, p) == NULL)
		return sbx_err_set(err, SBX_EIO, "cannot load %s: %s: %s",
		    name, file, strerror(errno));
	while ((slash = strrchr(p, '/')) != NULL) {
		*slash = '\0';
		if (lstat(p[0] != '\0' ? p : "/", &st) == -1)
			return sbx_err_set(err, SBX_EIO, "cannot load %s: "
			    "%s: %s", name, p, strerror(errno));
		if ((why = stat_fault(&st, owner, true)) != NULL)
			return sbx_err_set(err, SBX_EIO, "cannot load %s: "
			    "folder %s is %s", name, p[0] ? p : "/", why);
	}
	return SBX_OK;
}

/*
 * The path must name, with no symbolic link on the way, the very file
 * open on fd: a link in a folder that others may change would let them
 * choose what is checked, or swap it between the open and the checks.
 */
static const char *
path_fault(const char *path, const struct stat *st)
{
	char real[PATH_MAX];
	struct stat now;

	if (realpath(path, real) == NULL || strcmp(real, path) != 0)
		return "reached through a symbolic link";
	if (stat(real, &now) == -1 || now.st_dev != st->st_dev ||
	    now.st_ino != st->st_ino)
		return "replaced while it was being checked";
	return NULL;
}

/* Open path and check the file through its descriptor; -1 if unfit. */
static int
open_part(const char *path, uid_t owner, const char *name,
    struct sbx_err *err)
{
	const char *why = NULL;
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		sbx_err_set(err, SBX_EIO, "cannot load %s: %s: %s", name,
		    path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if ((why = stat_fault(&st, owner, false)) == NULL)
		why = path_fault(path, &st);
	if (why == NULL && check_folders(path, owner, name, err) != SBX_OK) {
		close(fd);
		return -1;
	}
	if (why != NULL) {
		sbx_err_set(err, SBX_EIO, "cannot load %s: %s is %s", name,
		    path, why);
		close(fd);
		return -1;
	}
	return fd;
}

/* Does the note segment at off hold this build's note? */
static bool
notes_match(int fd, off_t off, size_t len)
{
	unsigned char buf[NOTE_MAX];
	struct build_note n;
	size_t at = 0, step;

	if (len > sizeof(buf) || pread(fd, buf, len, off) != (ssize_t)len)
		return false;
	while (at + 12 <= len) {
		memcpy(&n, buf + at, 12);
		step = 12 + ((n.namesz + 3u) & ~3u) + ((n.descsz + 3u) & ~3u);
		if (n.namesz > len || n.descsz > len || step > len - at)
			return false;
		if (n.namesz == 4 && n.descsz == BUILD_ID_LEN &&
		    n.type == BUILD_NOTE_TYPE &&
		    memcmp(buf + at + 12, "SBX", 4) == 0)
			return memcmp(buf + at + 16, build_note.desc,
			    BUILD_ID_LEN) == 0;
		at += step;
	}
	return false;
}

/*
 * Is the part open on fd from this build? Read from its program
 * headers and notes, without loading it: a part from another build
 * (a half-done upgrade) is known before anything of it runs.
 */
static bool
note_matches(int fd)
{
	ElfW(Ehdr) eh;
	ElfW(Phdr) ph;
	size_t i;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_phentsize != sizeof(ph) || eh.e_phnum > 64)
		return false;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff +
		    i * sizeof(ph))) != (ssize_t)sizeof(ph))
			return false;
		if (ph.p_type == PT_NOTE &&
		    notes_match(fd, (off_t)ph.p_offset, ph.p_filesz))
			return true;
	}
	return false;
}

int
sbx_lazy_find(const char *name, struct sbx_err *err)
{
	struct origin o;
	char path[PATH_MAX + 64];
	const char *slash;
	int fd;

	if (own_origin(&o) != 0) {
		sbx_err_set(err, SBX_EIO, "cannot load %s: cannot find the "
		    "guard's own folder", name);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", o.dir, name);
	slash = strrchr(o.dir, '/');

	/* An installed sbx-guard: PREFIX/bin, its parts in PREFIX/lib/sbx. */
	if (access(path, F_OK) != 0 && slash != NULL &&
	    strcmp(slash + 1, "bin") == 0)
		snprintf(path, sizeof(path), "%.*s/lib/sbx/%s",
		    (int)(slash - o.dir), o.dir, name);
	if ((fd = open_part(path, o.owner, name, err)) == -1)
		return -1;
	if (!note_matches(fd)) {
		sbx_err_set(err, SBX_EIO, "cannot load %s: it is not from this "
		    "build of sbx (%.12s): reinstall sbx", name, SBX_BUILD_ID);
		close(fd);
		return -1;
	}
	return fd;
}

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

/*
 * Through the descriptor that was checked, which stays open for good:
 * the loaded part finds its own folder through that name.
 */
void *
sbx_lazy_load(int fd, const char *name, struct sbx_err *err)
{
	char path[64];
	const char *why;
	void *h;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		sbx_err_set(err, SBX_EIO, "cannot load %s: %s", name,
		    why != NULL ? why : "dlopen failed");
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

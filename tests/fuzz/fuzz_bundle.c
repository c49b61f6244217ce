/* tests/fuzz/fuzz_bundle.c: bundle member names and walks over any bytes. */
/* SPDX-License-Identifier: ISC */
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sbx/bundle.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char stage_real[PATH_MAX];
static size_t stage_len;

/*
 * The first byte picks the target: 0 a member name, 1 a walk that
 * unpacks nothing, 2 a walk that unpacks into a fresh folder.
 */
static void
fuzz_name(const uint8_t *data, size_t size)
{
	char in[2048], out[SBX_BUNDLE_NAME_MAX + 1], again[sizeof(out)];
	struct sbx_err err = { 0 };
	const char *p;

	if (size >= sizeof(in))
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';
	if (sbx_bundle_member_name(out, sizeof(out), in, &err) != SBX_OK) {
		if (err.violation != SBX_V_UNSAFE_PATH || err.msg[0] == '\0' ||
		    strchr(err.msg, '\n') != NULL)
			abort();
		return;
	}
	/* A normal name stays inside and is its own normal form. */
	if (out[0] == '/' || strstr(out, "//") != NULL ||
	    strlen(out) > SBX_BUNDLE_NAME_MAX)
		abort();
	for (p = out; *p != '\0'; p += strcspn(p, "/"), p += *p == '/')
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			abort();
	if (out[0] != '\0' && (sbx_bundle_member_name(again, sizeof(again),
	    out, &err) != SBX_OK || strcmp(again, out) != 0))
		abort();
}

static int
jar_ok(void *ctx, int fd, const char *member, struct sbx_err *err)
{
	struct stat st;

	(void)ctx;
	(void)err;
	if (fstat(fd, &st) == -1 || member[0] == '\0' || member[0] == '/')
		abort();
	return SBX_OK;
}

/* Every link in the unpacked tree resolves inside it, or nowhere. */
static int
check_link(const char *path, const struct stat *st, int flag,
    struct FTW *f)
{
	char real[PATH_MAX];

	(void)st;
	(void)f;
	if (flag != FTW_SL && flag != FTW_SLN)
		return 0;
	if (realpath(path, real) == NULL)
		return 0;
	if (strncmp(real, stage_real, stage_len) != 0 ||
	    (real[stage_len] != '/' && real[stage_len] != '\0'))
		abort();
	return 0;
}

static int
count(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	if (dp == NULL)
		abort();
	while ((d = readdir(dp)) != NULL)
		n += strcmp(d->d_name, ".") != 0 &&
		    strcmp(d->d_name, "..") != 0;
	closedir(dp);
	return n;
}

static void
fuzz_walk(const uint8_t *data, size_t size, bool unpack)
{
	struct sbx_bundle_walk w = { .stage_fd = -1, .jar = jar_ok,
	    .max_members = 512, .max_bytes = 4 << 20 };
	struct sbx_err err = { 0 };
	char parent[] = "/tmp/fuzz_bundle.XXXXXX", stage[64];
	int fd, rc;

	if ((fd = memfd_create("bundle", MFD_CLOEXEC)) == -1 ||
	    write(fd, data, size) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	if (unpack) {
		if (mkdtemp(parent) == NULL)
			abort();
		snprintf(stage, sizeof(stage), "%s/stage", parent);
		if (mkdir(stage, 0700) == -1 ||
		    (w.stage_fd = open(stage, O_RDONLY | O_DIRECTORY)) == -1 ||
		    realpath(stage, stage_real) == NULL)
			abort();
		stage_len = strlen(stage_real);
	}

	rc = sbx_bundle_walk(fd, "fuzz.tar", &w, &err);
	if (rc != SBX_OK && (err.msg[0] == '\0' ||
	    strncmp(err.msg, "fuzz.tar: ", 10) != 0))
		abort();
	if (unpack) {
		/* Accepted or not, nothing was written beside the stage. */
		if (count(parent) != 1)
			abort();
		if (rc == SBX_OK)
			nftw(stage, check_link, 16, FTW_PHYS);
		close(w.stage_fd);
		sbx_bundle_rmtree(parent);
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_name(data + 1, size - 1);
		break;
	case 1:
		fuzz_walk(data + 1, size - 1, false);
		break;
	default:
		fuzz_walk(data + 1, size - 1, true);
		break;
	}
	return 0;
}

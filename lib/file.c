/* lib/file.c: whole-file reads and atomic, durable writes. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sbx/file.h>

int
sbx_file_read(struct sbx_buf *out, const char *path, size_t max,
    struct sbx_err *err)
{
	struct stat st;

	return sbx_file_read_stat(out, path, max, &st, err);
}

int
sbx_file_read_stat(struct sbx_buf *out, const char *path, size_t max,
    struct stat *st, struct sbx_err *err)
{
	unsigned char chunk[65536];
	size_t total = 0;
	ssize_t n;
	int fd, rc = SBX_OK;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    strerror(errno));
	if (fstat(fd, st) == -1) {
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    strerror(errno));
		close(fd);
		return rc;
	}

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = sbx_err_set(err, SBX_EIO, "%s: %s", path,
			    strerror(errno));
			break;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > max) {
			rc = sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE,
			    "%s: larger than %zu bytes", path, max);
			break;
		}
		if ((rc = sbx_buf_add(out, chunk, (size_t)n, err)) != SBX_OK)
			break;
	}
	close(fd);
	return rc;
}

int
sbx_file_tmp_open(char *tmp_out, const char *path, struct sbx_err *err)
{
	int fd, n;

	/* Same folder as the target, so rename() cannot cross devices. */
	n = snprintf(tmp_out, PATH_MAX, "%s.sbx-tmp.XXXXXX", path);
	if (n < 0 || n >= PATH_MAX) {
		sbx_err_set(err, SBX_EIO, "%s: path too long", path);
		return -1;
	}
	if ((fd = mkostemp(tmp_out, O_CLOEXEC)) == -1) {
		sbx_err_set(err, SBX_EIO, "%s: cannot create temporary file: "
		    "%s", path, strerror(errno));
		return -1;
	}
	return fd;
}

static void
sync_parent(const char *path)
{
	char copy[PATH_MAX];
	int dfd;

	snprintf(copy, sizeof(copy), "%s", path);
	if ((dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY)) == -1)
		return;
	fsync(dfd);
	close(dfd);
}

int
sbx_file_tmp_commit(int fd, const char *tmp, const char *path, mode_t mode,
    struct sbx_err *err)
{
	if (fchmod(fd, mode) == -1 || fsync(fd) == -1) {
		sbx_err_set(err, SBX_EIO, "%s: %s", path, strerror(errno));
		sbx_file_tmp_abort(fd, tmp);
		return SBX_EIO;
	}
	if (close(fd) == -1) {
		sbx_err_set(err, SBX_EIO, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return SBX_EIO;
	}
	if (rename(tmp, path) == -1) {
		sbx_err_set(err, SBX_EIO, "%s: cannot rename into place: %s",
		    path, strerror(errno));
		unlink(tmp);
		return SBX_EIO;
	}
	sync_parent(path);
	return SBX_OK;
}

void
sbx_file_tmp_abort(int fd, const char *tmp)
{
	if (fd != -1)
		close(fd);
	unlink(tmp);
}

static int
write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
sbx_file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct sbx_err *err)
{
	char tmp[PATH_MAX];
	int fd;

	if ((fd = sbx_file_tmp_open(tmp, path, err)) == -1)
		return SBX_EIO;

	if (write_all(fd, data, len) == -1) {
		sbx_err_set(err, SBX_EIO, "%s: %s", path, strerror(errno));
		sbx_file_tmp_abort(fd, tmp);
		return SBX_EIO;
	}
	return sbx_file_tmp_commit(fd, tmp, path, mode, err);
}

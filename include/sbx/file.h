/* include/sbx/file.h: whole-file reads and atomic, durable writes. */
#ifndef SBX_FILE_H
#define SBX_FILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <sbx/buf.h>
#include <sbx/err.h>

/*
 * Read all of path into out (appending), refusing files larger than max
 * bytes. Returns SBX_OK, SBX_EIO (cannot open or read: message names
 * path and errno) or SBX_EREJECT with SBX_V_MALFORMED_ARCHIVE when the
 * file is larger than max.
 */
int	sbx_file_read(struct sbx_buf *out, const char *path, size_t max,
	    struct sbx_err *err);

/*
 * The same, and *st from fstat() of the very file read (a path can name
 * another file a moment later; the descriptor cannot).
 */
int	sbx_file_read_stat(struct sbx_buf *out, const char *path, size_t max,
	    struct stat *st, struct sbx_err *err);

/*
 * Write len bytes to path atomically: a temporary file in the same
 * folder, fsync, chmod to mode, rename over path, fsync the folder.
 * On failure path is untouched and no temporary file is left.
 */
int	sbx_file_write_atomic(const char *path, const void *data, size_t len,
	    mode_t mode, struct sbx_err *err);

/*
 * The same in two steps for writers that stream: sbx_file_tmp_open()
 * creates the temporary file beside path (name in tmp_out, a buffer of
 * PATH_MAX bytes) and returns its descriptor or -1;
 * sbx_file_tmp_commit() fsyncs, chmods, closes and renames it into
 * place; sbx_file_tmp_abort() closes and unlinks it.
 */
int	sbx_file_tmp_open(char *tmp_out, const char *path,
	    struct sbx_err *err);
int	sbx_file_tmp_commit(int fd, const char *tmp, const char *path,
	    mode_t mode, struct sbx_err *err);
void	sbx_file_tmp_abort(int fd, const char *tmp);

#endif

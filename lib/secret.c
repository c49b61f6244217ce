/* lib/secret.c: passphrases and PINs from files, descriptors, variables. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <sbx/buf.h>
#include <sbx/secret.h>

#define SECRET_MAX	4096		/* longer is not a passphrase */

static int
read_fd(struct sbx_buf *b, int fd, const char *what, struct sbx_err *err)
{
	char chunk[512];
	ssize_t n;
	int rc = SBX_OK;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = sbx_err_set(err, SBX_EIO, "%s: %s", what,
			    strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (b->len + (size_t)n > SECRET_MAX) {
			rc = sbx_err_set(err, SBX_ECONFIG,
			    "%s: longer than %d bytes", what, SECRET_MAX);
			break;
		}
		if ((rc = sbx_buf_add(b, chunk, (size_t)n, err)) != SBX_OK)
			break;
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	return rc;
}

static int
parse_fd(int *fd, const char *arg, struct sbx_err *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < 0 || v > INT_MAX)
		return sbx_err_set(err, SBX_ECONFIG,
		    "--passphrase-fd: '%s' is not a descriptor number", arg);
	*fd = (int)v;
	return SBX_OK;
}

static int
gather(struct sbx_buf *b, enum sbx_secret_source source, const char *arg,
    struct sbx_err *err)
{
	const char *v;
	int fd = -1, rc;

	switch (source) {
	case SBX_SECRET_FILE:
		if ((fd = open(arg, O_RDONLY | O_CLOEXEC)) == -1)
			return sbx_err_set(err, SBX_EIO, "%s: %s", arg,
			    strerror(errno));
		rc = read_fd(b, fd, arg, err);
		close(fd);
		return rc;
	case SBX_SECRET_FD:
		if ((rc = parse_fd(&fd, arg, err)) != SBX_OK)
			return rc;
		return read_fd(b, fd, "passphrase descriptor", err);
	case SBX_SECRET_ENV:
		if ((v = getenv(arg)) == NULL)
			return sbx_err_set(err, SBX_ECONFIG,
			    "environment variable %s is not set", arg);
		if (strlen(v) > SECRET_MAX)
			return sbx_err_set(err, SBX_ECONFIG,
			    "environment variable %s is too long", arg);
		return sbx_buf_puts(b, v, err);
	default:
		return sbx_err_set(err, SBX_EINTERNAL, "bad secret source");
	}
}

int
sbx_secret_load(struct sbx_secret **out, enum sbx_secret_source source,
    const char *arg, struct sbx_err *err)
{
	struct sbx_buf b = { 0 };
	int rc;

	*out = NULL;
	if (source == SBX_SECRET_NONE)
		return SBX_OK;

	if ((rc = gather(&b, source, arg, err)) != SBX_OK)
		goto done;

	/* Files written by editors and echo end in a newline: drop one. */
	if (b.len > 0 && b.p[b.len - 1] == '\n')
		b.len--;
	if (b.len > 0 && b.p[b.len - 1] == '\r')
		b.len--;
	if (b.len == 0) {
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: the passphrase is "
		    "empty", source == SBX_SECRET_ENV ? arg :
		    source == SBX_SECRET_FILE ? arg : "passphrase descriptor");
		goto done;
	}
	rc = sbx_secret_from(out, b.p, b.len, err);
done:
	sbx_buf_wipe(&b);
	return rc;
}

int
sbx_secret_from(struct sbx_secret **out, const void *bytes, size_t len,
    struct sbx_err *err)
{
	struct sbx_secret *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->buf = malloc(len + 1)) == NULL) {
		free(s);
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	}
	memcpy(s->buf, bytes, len);
	s->buf[len] = '\0';
	s->len = len;
	*out = s;
	return SBX_OK;
}

void
sbx_secret_free(struct sbx_secret *s)
{
	if (s == NULL)
		return;
	if (s->buf != NULL) {
		OPENSSL_cleanse(s->buf, s->len);
		free(s->buf);
	}
	free(s);
}

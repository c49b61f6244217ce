/* lib/buf.c: a growable byte buffer. */
/* SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sbx/buf.h>

static int
reserve(struct sbx_buf *b, size_t extra, struct sbx_err *err)
{
	size_t cap;
	unsigned char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return sbx_err_set(err, SBX_ENOMEM, "buffer too large");
	if (b->len + extra + 1 <= b->cap)
		return SBX_OK;

	cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap = cap > SIZE_MAX / 2 ? b->len + extra + 1 : cap * 2;

	if ((p = realloc(b->p, cap)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	b->p = p;
	b->cap = cap;
	return SBX_OK;
}

int
sbx_buf_add(struct sbx_buf *b, const void *data, size_t n,
    struct sbx_err *err)
{
	int rc;

	if ((rc = reserve(b, n, err)) != SBX_OK)
		return rc;
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return SBX_OK;
}

int
sbx_buf_extend(struct sbx_buf *b, size_t n, unsigned char **at,
    struct sbx_err *err)
{
	int rc;

	*at = NULL;
	if ((rc = reserve(b, n, err)) != SBX_OK)
		return rc;
	*at = b->p + b->len;
	b->len += n;
	b->p[b->len] = '\0';
	return SBX_OK;
}

int
sbx_buf_puts(struct sbx_buf *b, const char *s, struct sbx_err *err)
{
	return sbx_buf_add(b, s, strlen(s), err);
}

int
sbx_buf_printf(struct sbx_buf *b, struct sbx_err *err, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return sbx_err_set(err, SBX_EINTERNAL, "bad format");

	if ((rc = reserve(b, (size_t)n, err)) != SBX_OK)
		return rc;

	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return SBX_OK;
}

int
sbx_buf_terminate(struct sbx_buf *b, struct sbx_err *err)
{
	int rc;

	if ((rc = reserve(b, 0, err)) != SBX_OK)
		return rc;
	b->p[b->len] = '\0';
	return SBX_OK;
}

void
sbx_buf_free(struct sbx_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
sbx_buf_wipe(struct sbx_buf *b)
{
	if (b->p != NULL)
		explicit_bzero(b->p, b->cap);
	sbx_buf_free(b);
}

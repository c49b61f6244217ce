/* include/sbx/buf.h: a growable byte buffer. */
#ifndef SBX_BUF_H
#define SBX_BUF_H

#include <stddef.h>

#include <sbx/err.h>

/* Zero-initialise ({ 0 }) before use; the buffer owns p. */
struct sbx_buf {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
};

/* Append n bytes. Returns SBX_OK or SBX_ENOMEM. */
int	sbx_buf_add(struct sbx_buf *b, const void *data, size_t n,
	    struct sbx_err *err);

/*
 * Grow len by n bytes left for the caller to fill; *at points at them.
 * The pointer is valid until the next call that grows the buffer.
 */
int	sbx_buf_extend(struct sbx_buf *b, size_t n, unsigned char **at,
	    struct sbx_err *err);

/* Append a NUL-terminated string (without its NUL). */
int	sbx_buf_puts(struct sbx_buf *b, const char *s, struct sbx_err *err);

/* Append formatted text. */
int	sbx_buf_printf(struct sbx_buf *b, struct sbx_err *err,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Make sure p[len] is a NUL (not counted in len), so the contents can
 * be used as a C string.
 */
int	sbx_buf_terminate(struct sbx_buf *b, struct sbx_err *err);

/* Release the memory; b is then empty and reusable. */
void	sbx_buf_free(struct sbx_buf *b);

/* As sbx_buf_free(), but wipe the bytes first (secrets). */
void	sbx_buf_wipe(struct sbx_buf *b);

#endif

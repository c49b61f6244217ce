/* include/sbx/secret.h: passphrases and PINs, kept out of argv. */
#ifndef SBX_SECRET_H
#define SBX_SECRET_H

#include <stddef.h>

#include <sbx/err.h>

/*
 * A secret: NUL-terminated bytes and their length. Loaded from a file,
 * a descriptor or a named environment variable, never from argv; one
 * trailing newline (LF or CRLF) is dropped. Wiped by sbx_secret_free().
 */
struct sbx_secret {
	char	*buf;
	size_t	 len;
};

enum sbx_secret_source {
	SBX_SECRET_NONE = 0,		/* --no-passphrase */
	SBX_SECRET_FILE,		/* --passphrase-file PATH */
	SBX_SECRET_ENV,			/* --passphrase-env NAME */
	SBX_SECRET_FD			/* --passphrase-fd N */
};

/*
 * Load a secret from source; arg is the path, the variable's name or the
 * descriptor number as text. On SBX_SECRET_NONE *out is NULL. Returns
 * SBX_OK, SBX_ECONFIG (unset variable, bad descriptor number, empty
 * secret) or SBX_EIO (unreadable file or descriptor). The message names
 * the source, never the secret.
 */
int	sbx_secret_load(struct sbx_secret **out, enum sbx_secret_source source,
	    const char *arg, struct sbx_err *err);

/* Wrap a copy of len bytes (for tests and PINs taken from a URI). */
int	sbx_secret_from(struct sbx_secret **out, const void *bytes,
	    size_t len, struct sbx_err *err);

/* Wipe and free; NULL is fine. */
void	sbx_secret_free(struct sbx_secret *s);

#endif

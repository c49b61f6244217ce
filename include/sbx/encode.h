/* include/sbx/encode.h: hex, base64 and key ids (OpenSSL underneath). */
#ifndef SBX_ENCODE_H
#define SBX_ENCODE_H

#include <stddef.h>

#include <openssl/evp.h>

#include <sbx/buf.h>
#include <sbx/err.h>

#define SBX_KEYID_LEN	64		/* hex characters, no NUL */

/* Write 2n lower-case hex digits and a NUL to out. */
void	sbx_hex(char *out, const unsigned char *in, size_t n);

/* Append the standard base64 (with padding) of in to out. */
int	sbx_b64_encode(struct sbx_buf *out, const void *in, size_t n,
	    struct sbx_err *err);

/*
 * Append the bytes that base64 text decodes to. Standard alphabet,
 * padding required, no whitespace; anything else is SBX_EREJECT.
 */
int	sbx_b64_decode(struct sbx_buf *out, const char *in, size_t n,
	    struct sbx_err *err);

/*
 * The key id of a public key: SHA-256 of its DER SubjectPublicKeyInfo,
 * in hex (out holds SBX_KEYID_LEN + 1 bytes).
 */
int	sbx_keyid(char *out, EVP_PKEY *pkey, struct sbx_err *err);

/* SHA-256 of a buffer into out (32 bytes). */
int	sbx_sha256(unsigned char *out, const void *in, size_t n,
	    struct sbx_err *err);

#endif

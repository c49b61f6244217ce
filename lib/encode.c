/* lib/encode.c: base64, key ids and SHA-256 with OpenSSL. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <sbx/encode.h>
#include <sbx/provenance.h>

int
sbx_b64_encode(struct sbx_buf *out, const void *in, size_t n,
    struct sbx_err *err)
{
	unsigned char *at;
	int rc;

	if (n > (((size_t)1 << 30) / 4) * 3)
		return sbx_err_set(err, SBX_ENOMEM, "base64 input too large");
	rc = sbx_buf_extend(out, 4 * ((n + 2) / 3), &at, err);
	if (rc != SBX_OK)
		return rc;
	EVP_EncodeBlock(at, in, (int)n);
	return SBX_OK;
}

static int
is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int
sbx_b64_decode(struct sbx_buf *out, const char *in, size_t n,
    struct sbx_err *err)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i, pad = 0, len;
	unsigned char *at;
	int got, rc;

	/* EVP_DecodeBlock is lax about padding and spaces: check first. */
	if (n % 4 != 0)
		return sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE,
		    "bad base64: length %zu is not a multiple of 4", n);
	if (n > 0 && s[n - 1] == '=')
		pad++;
	if (pad == 1 && n > 1 && s[n - 2] == '=')
		pad++;
	for (i = 0; i < n - pad; i++)
		if (!is_b64(s[i]))
			return sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE,
			    "bad base64: character %zu", i + 1);
	if (n > (size_t)1 << 30)
		return sbx_err_set(err, SBX_ENOMEM, "base64 input too large");

	len = n / 4 * 3;
	if ((rc = sbx_buf_extend(out, len, &at, err)) != SBX_OK)
		return rc;
	got = EVP_DecodeBlock(at, s, (int)n);
	out->len -= len;
	if (got < 0 || (size_t)got != len)
		return sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE,
		    "bad base64");
	out->len += len - pad;
	out->p[out->len] = '\0';
	return SBX_OK;
}

int
sbx_keyid(char *out, EVP_PKEY *pkey, struct sbx_err *err)
{
	unsigned char *der = NULL, md[32];
	int n;

	out[0] = '\0';
	if ((n = i2d_PUBKEY(pkey, &der)) <= 0)
		return sbx_err_ssl(err, SBX_EINTERNAL,
		    "cannot encode public key");
	if (EVP_Digest(der, (size_t)n, md, NULL, EVP_sha256(), NULL) != 1) {
		OPENSSL_free(der);
		return sbx_err_ssl(err, SBX_EINTERNAL, "cannot hash key");
	}
	OPENSSL_free(der);
	sbx_hex(out, md, sizeof(md));
	return SBX_OK;
}

int
sbx_sha256(unsigned char *out, const void *in, size_t n, struct sbx_err *err)
{
	if (EVP_Digest(in, n, out, NULL, EVP_sha256(), NULL) != 1)
		return sbx_err_ssl(err, SBX_EINTERNAL, "cannot hash");
	return SBX_OK;
}

int
sbx_sha256_fd(unsigned char out[32], int fd, const char *name,
    struct sbx_err *err)
{
	static const size_t chunk = 1 << 20;
	unsigned char *buf = NULL;
	EVP_MD_CTX *md = NULL;
	off_t off = 0;
	ssize_t n;
	int rc = SBX_EINTERNAL;

	/* One pass in large reads: SHA-256, not I/O, sets the pace. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if ((buf = malloc(chunk)) == NULL || (md = EVP_MD_CTX_new()) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = sbx_err_ssl(err, SBX_EINTERNAL, "cannot hash");
		goto done;
	}
	for (;;) {
		n = pread(fd, buf, chunk, off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = sbx_err_set(err, SBX_EIO, "%s: %s", name,
			    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1) {
			rc = sbx_err_ssl(err, SBX_EINTERNAL, "cannot hash");
			goto done;
		}
		off += n;
	}
	if (EVP_DigestFinal_ex(md, out, NULL) != 1) {
		rc = sbx_err_ssl(err, SBX_EINTERNAL, "cannot hash");
		goto done;
	}
	rc = SBX_OK;
done:
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

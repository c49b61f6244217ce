/* include/sbx/key.h: private signing keys, certificates, raw signatures. */
#ifndef SBX_KEY_H
#define SBX_KEY_H

#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <sbx/buf.h>
#include <sbx/encode.h>
#include <sbx/err.h>
#include <sbx/secret.h>

struct sbx_key;				/* opaque */

/*
 * Load a private key. spec is one of:
 *   PATH            PEM private key (encrypted PKCS#8 or plain); pass
 *                   decrypts it, NULL for an unencrypted key
 *   pkcs12:PATH     a PKCS#12 keystore (keytool's default); alias picks
 *                   the entry by friendly name (NULL: the only key); its
 *                   certificate and chain come with it; pass opens it
 *   pkcs11:URI      a key in a token through OpenSSL's pkcs11 ENGINE
 *                   (libengine-pkcs11-openssl); pass is the PIN unless
 *                   the URI has pin-value; the certificate must then be
 *                   given with sbx_key_set_cert_file()
 * (a PEM file whose name starts with "pkcs1" is given as ./NAME). Only
 * RSA keys are taken. Nothing ever prompts: a missing passphrase or PIN
 * is an error. In a pkcs11: URI, the RFC 7512 query attribute
 * module-path names the PKCS#11 module (else the engine's default,
 * p11-kit-proxy on Debian); messages show the URI without pin-value.
 * Once a key of a token was loaded, libp11 keeps the token logged in
 * for the rest of the process, so later loads from it do not check the
 * PIN again. An alias matches keytool's case-insensitively; with no
 * alias a keystore must hold exactly one key. Returns SBX_OK, SBX_EIO
 * (file unreadable) or SBX_ECONFIG (wrong passphrase, not a private
 * key, not RSA, alias not found, token error).
 */
int	sbx_key_load(struct sbx_key **out, const char *spec, const char *alias,
	    const struct sbx_secret *pass, struct sbx_err *err);

/*
 * Attach the signer certificate from a PEM or DER file; further PEM
 * certificates in the file become the chain. SBX_ECONFIG when the
 * certificate's public key is not the private key's.
 */
int	sbx_key_set_cert_file(struct sbx_key *key, const char *path,
	    struct sbx_err *err);

/* Borrowed objects; the certificate and chain may be NULL / empty. */
EVP_PKEY *sbx_key_pkey(const struct sbx_key *key);
X509	*sbx_key_cert(const struct sbx_key *key);
STACK_OF(X509) *sbx_key_chain(const struct sbx_key *key);
const char *sbx_key_id(const struct sbx_key *key);	/* hex key id */
int	sbx_key_bits(const struct sbx_key *key);

enum sbx_padding {
	SBX_PAD_PKCS1 = 1,		/* RSASSA-PKCS1-v1_5 */
	SBX_PAD_PSS			/* RSASSA-PSS, MGF1-SHA256, salt 32 */
};

/* Append the SHA-256 RSA signature of n bytes to sig. */
int	sbx_key_sign(struct sbx_buf *sig, struct sbx_key *key,
	    enum sbx_padding pad, const void *data, size_t n,
	    struct sbx_err *err);

/*
 * Check an RSA SHA-256 signature with a public key (PSS: any salt
 * length). SBX_OK when valid, SBX_EREJECT (SBX_V_BAD_SIGNATURE) when
 * not, SBX_EREJECT (SBX_V_WEAK_ALGORITHM) when pub is not an RSA key.
 */
int	sbx_sig_verify(EVP_PKEY *pub, enum sbx_padding pad, const void *data,
	    size_t n, const unsigned char *sig, size_t sig_len,
	    struct sbx_err *err);

void	sbx_key_free(struct sbx_key *key);	/* NULL is fine */

/* A new RSA key of bits (>= 2048) bits. */
int	sbx_key_generate(EVP_PKEY **out, int bits, struct sbx_err *err);

/*
 * Write pkey to path as PKCS#8 PEM, encrypted with AES-256-CBC under
 * pass (NULL: unencrypted), mode 0600 before the first byte is written,
 * atomically.
 */
int	sbx_key_write(const char *path, EVP_PKEY *pkey,
	    const struct sbx_secret *pass, struct sbx_err *err);

/*
 * A self-signed X.509 v3 certificate for a code-signing key: subject
 * from an OpenSSL one-line name ("CN=x,O=y" or "/CN=x/O=y"), random
 * 128-bit serial, valid from now for days, SHA-256 with RSA, critical
 * KeyUsage digitalSignature, ExtendedKeyUsage codeSigning, subject key
 * identifier.
 */
int	sbx_cert_selfsign(X509 **out, EVP_PKEY *pkey, const char *subject,
	    int days, struct sbx_err *err);

/* Read one certificate (PEM or DER) from path. */
int	sbx_cert_load(X509 **out, const char *path, struct sbx_err *err);

/* Write a certificate as PEM, atomically, mode 0644. */
int	sbx_cert_write(const char *path, X509 *cert, struct sbx_err *err);

/* ASN1_TIME to seconds since the epoch (UTC). */
int	sbx_asn1_time(int64_t *out, const ASN1_TIME *t, struct sbx_err *err);

#endif

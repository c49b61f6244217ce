/* lib/tsa_int.h: what lib/tsa.c and lib/tsa_stamp.c share. */
#ifndef SBX_TSA_INT_H
#define SBX_TSA_INT_H

#include <stdint.h>

#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include <sbx/err.h>

/* The token's genTime, refused when it runs ahead of this host's clock. */
int	sbx_tsa__gen_time(int64_t *out, PKCS7 *token, struct sbx_err *err);

/*
 * Check the token's signature by its TSA's certificate as of when, and
 * what ctx carries to compare (imprint or data, nonce); ctx is freed.
 * *signer is the TSA's certificate, owned by the token.
 */
int	sbx_tsa__verify_token(X509 **signer, TS_VERIFY_CTX *ctx,
	    PKCS7 *token, int64_t when, struct sbx_err *err);

#endif

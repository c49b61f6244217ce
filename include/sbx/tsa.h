/* include/sbx/tsa.h: RFC 3161 time-stamp tokens: ask for one, check one. */
#ifndef SBX_TSA_H
#define SBX_TSA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/cms.h>
#include <openssl/x509.h>

#include <sbx/buf.h>
#include <sbx/err.h>
#include <sbx/keyring.h>

/*
 * How one time-stamp query travels: POST the DER query to url as
 * application/timestamp-query and append the reply's body to reply.
 * NULL in sbx_tsa_opts means libcurl; tests put a TSA in-process.
 */
typedef int (*sbx_tsa_post_fn)(struct sbx_buf *reply, const char *url,
    const void *query, size_t n, void *arg, struct sbx_err *err);

struct sbx_tsa_opts {
	const char *const *urls;	/* tried in order until one answers */
	size_t		 nurls;
	const char	*ca_file;	/* for https TSAs; NULL: the system's */
	long		 timeout_ms;	/* per TSA; 0: 30 s */
	sbx_tsa_post_fn	 post;		/* NULL: HTTP with libcurl */
	void		*post_arg;
};

/* A token that checked out, and what it says. */
struct sbx_tsa_token {
	int64_t		 gen_time;	/* seconds since the epoch */
	X509		*cert;		/* the TSA's, from the token */
	STACK_OF(X509)	*certs;		/* all the token carries */
};

/*
 * Ask for a token over n bytes of data, as jarsigner -tsa does: a
 * SHA-256 imprint, a random 64-bit nonce, certReq set. The reply must
 * grant the request, and its token must carry the same imprint and
 * nonce, verify under the TSA certificate it carries, and that
 * certificate must pass sbx_tsa_cert_fault(). The TSAs are tried in
 * order; the first good token is appended (DER ContentInfo) to token.
 * Whether the TSA is trusted is decided at verification, by the
 * keyring. SBX_EIO when no TSA answered, SBX_EREJECT when a reply was
 * bad (the last TSA's reason in err), SBX_ENOMEM.
 */
int	sbx_tsa_stamp(struct sbx_buf *token, const struct sbx_tsa_opts *o,
	    const void *data, size_t n, struct sbx_err *err);

/*
 * Check a token (DER) over data: one signer, the signature by the
 * certificate it names (and ESS signing-certificate binding), the
 * TSTInfo version and an imprint equal to the hash of data under the
 * token's own digest, the TSA certificate valid at genTime and fit
 * (sbx_tsa_cert_fault()). On SBX_OK *out is filled (free it with
 * sbx_tsa_token_clear()); otherwise SBX_EREJECT with
 * SBX_V_BAD_SIGNATURE and the reason.
 */
int	sbx_tsa_check(struct sbx_tsa_token *out, const void *der,
	    size_t len, const void *data, size_t n, struct sbx_err *err);

void	sbx_tsa_token_clear(struct sbx_tsa_token *t);

/*
 * What RFC 3161 section 2.3 demands of a TSA's certificate: an
 * extended key usage that is critical and is id-kp-timeStamping only.
 * NULL if it complies, else what is wrong.
 */
const char *sbx_tsa_cert_fault(X509 *cert);

/*
 * JAR signatures (JAR-SIGNING.md section 7): stamp the SignerInfo's
 * signature value and add the token as the unsigned attribute
 * id-aa-signatureTimeStampToken. Errors of sbx_tsa_stamp().
 */
int	sbx_tsa_stamp_signer(CMS_SignerInfo *si, const struct sbx_tsa_opts *o,
	    struct sbx_err *err);

/*
 * The trusted signing time of a SignerInfo: its one
 * id-aa-signatureTimeStampToken must pass sbx_tsa_check() over the
 * signature value, and its TSA must be trusted by kr for role tsa at
 * genTime (sbx_keyring_trust()). SBX_OK with *when = genTime;
 * otherwise SBX_EREJECT saying why (no token, a bad one, an untrusted
 * TSA), and *when is left alone: the caller then judges at the time
 * of the check.
 */
int	sbx_tsa_signer_time(int64_t *when, CMS_SignerInfo *si,
	    const struct sbx_keyring *kr, struct sbx_err *err);

#endif

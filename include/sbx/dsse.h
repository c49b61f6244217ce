/* include/sbx/dsse.h: DSSE envelopes and Sigstore bundles. */
#ifndef SBX_DSSE_H
#define SBX_DSSE_H

#include <stddef.h>
#include <stdint.h>

#include <sbx/buf.h>
#include <sbx/encode.h>
#include <sbx/err.h>
#include <sbx/key.h>
#include <sbx/keyring.h>
#include <sbx/policy.h>

/*
 * The Dead Simple Signing Envelope (DSSE v1) as sbx writes and reads
 * it (docs/formats.md, "Provenance"): a JSON object with exactly the
 * members payload (base64), payloadType and signatures, each
 * signature {keyid, sig}. The signature is RSA with SHA-256 over the
 * pre-authentication encoding (PAE), never over the payload alone.
 */
#define SBX_DSSE_PAYLOAD_TYPE	"application/vnd.in-toto+json"
#define SBX_BUNDLE_MEDIA_TYPE	"application/vnd.dev.sigstore.bundle.v0.3+json"

/* Limits that apply before anything else is believed. */
#define SBX_DSSE_MAX_SIZE	((size_t)16 << 20)	/* a whole file */
#define SBX_DSSE_MAX_SIGS	16
#define SBX_DSSE_MAX_SIG_LEN	2048	/* bytes: RSA-16384 */
#define SBX_DSSE_MAX_KEYID_LEN	256

struct sbx_dsse_sig {
	char		*keyid;		/* "" when absent: only a hint */
	unsigned char	*sig;
	size_t		 sig_len;
};

/* A parsed or freshly signed envelope; owns everything in it. */
struct sbx_dsse {
	char		*payload_type;
	struct sbx_buf	 payload;	/* the decoded payload bytes */
	struct sbx_dsse_sig *sigs;
	size_t		 nsigs;
};

/*
 * Append PAE(type, payload) to out:
 * "DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload, the
 * lengths in ASCII decimal bytes.
 */
int	sbx_dsse_pae(struct sbx_buf *out, const char *type,
	    const void *payload, size_t n, struct sbx_err *err);

/*
 * A new envelope over a copy of the n payload bytes of type, with one
 * signature by key (SHA-256, padding pad) whose keyid is the sbx key
 * id. The caller frees *out with sbx_dsse_free(). Errors are those of
 * sbx_key_sign() and SBX_ENOMEM.
 */
int	sbx_dsse_sign(struct sbx_dsse **out, struct sbx_key *key,
	    enum sbx_padding pad, const char *type, const void *payload,
	    size_t n, struct sbx_err *err);

/*
 * Append the envelope as one line of compact JSON, ending in a
 * newline (the form of a .intoto.jsonl file).
 */
int	sbx_dsse_write(struct sbx_buf *out, const struct sbx_dsse *env,
	    struct sbx_err *err);

/*
 * Append a Sigstore bundle (v0.3) holding env, whose verification
 * material is a public key named by hint (the sbx key id). env must
 * hold exactly one signature: Sigstore verifiers check only the first.
 */
int	sbx_bundle_write(struct sbx_buf *out, const struct sbx_dsse *env,
	    const char *hint, struct sbx_err *err);

/*
 * Parse len bytes holding one envelope (optionally followed by one
 * newline) or one Sigstore bundle with a DSSE envelope; name is used in
 * messages. Refused, with SBX_EREJECT and SBX_V_PROVENANCE_MISMATCH and
 * a message naming the cause: more than SBX_DSSE_MAX_SIZE bytes,
 * malformed JSON, duplicate, unknown or missing members, a member of
 * the wrong type, base64 that is neither standard nor URL-safe, a
 * payloadType other than SBX_DSSE_PAYLOAD_TYPE, no signatures or more
 * than SBX_DSSE_MAX_SIGS, a signature or keyid over its limit, a
 * second envelope. SBX_ENOMEM otherwise.
 */
int	sbx_dsse_parse(struct sbx_dsse **out, const void *buf, size_t len,
	    const char *name, struct sbx_err *err);

/*
 * Read and parse the file at path: SBX_EIO when it cannot be read,
 * else as sbx_dsse_parse() (an oversized file is refused before it is
 * read).
 */
int	sbx_dsse_load(struct sbx_dsse **out, const char *path,
	    struct sbx_err *err);

void	sbx_dsse_free(struct sbx_dsse *env);	/* NULL is fine */

/* Which signature verified, and with which key. */
struct sbx_dsse_signer {
	const struct sbx_keyring_key *key;	/* borrowed from the keyring */
	enum sbx_padding pad;
	size_t		 index;			/* into env->sigs */
};

/*
 * Accept env when one of its signatures verifies over the PAE with a
 * keyring key (RSASSA-PSS or PKCS#1 v1.5, SHA-256: other tools write
 * either; keyid only says which key to try first) that the keyring
 * trusts for SBX_ROLE_PROVENANCE at now, with a scheme and key size
 * the policy allows (policy may be NULL: both schemes, any size).
 * Otherwise SBX_EREJECT, message prefixed with name:
 *   SBX_V_UNTRUSTED_KEY	"signature by unknown key", or a known
 *				key without the provenance role
 *   SBX_V_BAD_SIGNATURE	a keyid names a keyring key, but its
 *				signature does not verify
 *   SBX_V_REVOKED_KEY, SBX_V_EXPIRED_KEY	as sbx_keyring_trust()
 *   SBX_V_WEAK_ALGORITHM	scheme or key size not allowed
 * Of several failing signatures the most telling reason is kept, in
 * the order of this list from the bottom up.
 */
int	sbx_dsse_verify(struct sbx_dsse_signer *out,
	    const struct sbx_dsse *env, const struct sbx_keyring *kr,
	    const struct sbx_policy *policy, int64_t now, const char *name,
	    struct sbx_err *err);

/* "rsassa-pss-sha256" or "rsa-pkcs1v15-sha256" (securesystemslib's names). */
const char *sbx_dsse_scheme_name(enum sbx_padding pad);

#endif

/* include/sbx/keyring.h: the keyring of trusted keys and authorities. */
#ifndef SBX_KEYRING_H
#define SBX_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <sbx/buf.h>
#include <sbx/encode.h>
#include <sbx/err.h>

struct sbx_key;

/*
 * Roles a key may sign for; a bit mask. SBX_ROLE_TSA is a time-stamp
 * authority whose RFC 3161 tokens give a trusted signing time.
 */
enum {
	SBX_ROLE_JAR = 1 << 0,
	SBX_ROLE_PROVENANCE = 1 << 1,
	SBX_ROLE_KEYRING = 1 << 2,
	SBX_ROLE_CA = 1 << 3,
	SBX_ROLE_TSA = 1 << 4
};

enum sbx_key_status {
	SBX_KEY_ACTIVE = 0,
	SBX_KEY_RETIRED,
	SBX_KEY_REVOKED
};

/* One key of the keyring; borrowed from the keyring. */
struct sbx_keyring_key {
	char		 id[SBX_KEYID_LEN + 1];	/* SHA-256 of DER SPKI, hex */
	char		*name;
	unsigned	 roles;
	int64_t		 not_before;		/* seconds since the epoch */
	int64_t		 not_after;
	enum sbx_key_status status;
	int64_t		 status_time;		/* retired or revoked at */
	char		*reason;		/* revocation reason or NULL */
	int64_t		 added;
	X509		*cert;			/* NULL when only a key */
	EVP_PKEY	*pub;
};

struct sbx_keyring;			/* opaque */

/* An empty keyring (version 1). */
int	sbx_keyring_new(struct sbx_keyring **out, struct sbx_err *err);

/*
 * The keyring's version. The first change made to a loaded keyring
 * (add, retire, revoke, expiry) raises it by one; every change drops
 * the keyring's signatures, which no longer cover it. A new keyring
 * starts at 1. Signatures are judged against a root file (root.h).
 */
uint64_t sbx_keyring_version(const struct sbx_keyring *kr);

/* When the keyring itself stops being trusted; 0 for never. */
int64_t	sbx_keyring_expires(const struct sbx_keyring *kr);

/*
 * Set the keyring's expiry (0: never). A change like add: the version
 * rises and the signatures are dropped.
 */
void	sbx_keyring_set_expires(struct sbx_keyring *kr, int64_t expires);

/*
 * Load the keyring JSON at path (docs/formats.md). SBX_EIO when it
 * cannot be read; SBX_ECONFIG, naming file, line and column, when it
 * is not a valid keyring (unknown fields, bad key ids, a key id that is
 * not the SHA-256 of the certificate's key, duplicates).
 */
int	sbx_keyring_load(struct sbx_keyring **out, const char *path,
	    struct sbx_err *err);

/* The same from len bytes in memory; name stands for the file. */
int	sbx_keyring_parse(struct sbx_keyring **out, const char *name,
	    const void *buf, size_t len, struct sbx_err *err);

/* Write the keyring atomically (mode 0644). */
int	sbx_keyring_save(const struct sbx_keyring *kr, const char *path,
	    struct sbx_err *err);

void	sbx_keyring_free(struct sbx_keyring *kr);

size_t	sbx_keyring_count(const struct sbx_keyring *kr);
const struct sbx_keyring_key *sbx_keyring_key(const struct sbx_keyring *kr,
	    size_t i);

/* The key with this key id, or else this name; NULL if none. */
const struct sbx_keyring_key *sbx_keyring_find(const struct sbx_keyring *kr,
	    const char *id_or_name);

/*
 * Add a certificate's key as name with roles, valid over the
 * certificate's own window. SBX_ECONFIG if the key or name is already
 * there.
 */
int	sbx_keyring_add_cert(struct sbx_keyring *kr, X509 *cert,
	    const char *name, unsigned roles, struct sbx_err *err);

/*
 * Retire a key (by key id or name) as of when: signatures made before
 * then still verify, later ones do not. Revoke it as of when, with a
 * reason: nothing it signed verifies any more, whatever the time.
 * SBX_ECONFIG when there is no such key, or it is already retired
 * (retire) or revoked (both).
 */
int	sbx_keyring_retire(struct sbx_keyring *kr, const char *id_or_name,
	    int64_t when, struct sbx_err *err);
int	sbx_keyring_revoke(struct sbx_keyring *kr, const char *id_or_name,
	    int64_t when, const char *reason, struct sbx_err *err);

/*
 * Decide whether a signer is trusted for role at time when (seconds
 * since the epoch; the signing time when it can be trusted, else now).
 * The signer is named by its public key, and its certificate and the
 * certificates that came with the signature when there are any.
 * On SBX_OK *out is the keyring entry that vouches for it. Otherwise
 * SBX_EREJECT with violation SBX_V_UNTRUSTED_KEY (unknown key, or
 * known but without role), SBX_V_REVOKED_KEY, SBX_V_EXPIRED_KEY
 * (outside its validity window, or retired before when), and a message
 * naming the key id.
 *
 * A key listed in the keyring is judged by its own entry: revoked
 * first (always refused), then role (an entry with role ca certifies
 * signers and never signs itself), then retirement and window. A key
 * that is not listed is trusted through an entry with role ca when
 * cert chains to that entry's certificate at when (OpenSSL's chain
 * validation, with extra as untrusted intermediates); the leaf must
 * then allow code signing (key usage digitalSignature and extended key
 * usage codeSigning where present) or, for SBX_ROLE_TSA, carry the
 * critical extended key usage timeStamping alone, and the CA entry is
 * judged as above for role, which *out names. A keyring past its own
 * expiry trusts nothing (SBX_V_EXPIRED_KEY).
 */
int	sbx_keyring_trust(const struct sbx_keyring_key **out,
	    const struct sbx_keyring *kr, EVP_PKEY *pub, X509 *cert,
	    STACK_OF(X509) *extra, unsigned role, int64_t when,
	    struct sbx_err *err);

/*
 * The bytes a signature over the keyring covers (docs/formats.md): the
 * DSSE pre-authentication encoding of type
 * "application/vnd.sbx.keyring+json" and the canonical body, which is
 * the keyring as sbx_keyring_save() writes it without "signatures",
 * serialized by jansson with JSON_COMPACT | JSON_SORT_KEYS |
 * JSON_ENSURE_ASCII. Appended to out.
 */
int	sbx_keyring_signed_bytes(struct sbx_buf *out,
	    const struct sbx_keyring *kr, struct sbx_err *err);

/*
 * Add a signature by key (RSA-PSS, SHA-256) over the keyring; an
 * earlier signature by the same key is replaced. Signing is not a
 * change: the version stays. SBX_ECONFIG when the keyring has no
 * expiry (a signed keyring must not be trusted forever) or the key
 * is not RSA; errors of sbx_key_sign() otherwise.
 */
int	sbx_keyring_sign(struct sbx_keyring *kr, struct sbx_key *key,
	    struct sbx_err *err);

/* How many signatures the keyring carries, whoever made them. */
size_t	sbx_keyring_nsignatures(const struct sbx_keyring *kr);

/* t as the keyring writes times, "2026-12-03T00:00:00Z" (UTC). */
#define SBX_TIME_LEN	20
void	sbx_keyring_time_format(char out[SBX_TIME_LEN + 1], int64_t t);

/* Parse exactly that spelling; false for anything else. */
bool	sbx_keyring_time_parse(int64_t *out, const char *s);

/*
 * Parse "jar,provenance" into a role mask; SBX_ECONFIG on a bad name.
 * The names: jar, provenance, keyring, tsa, ca.
 */
int	sbx_roles_parse(unsigned *out, const char *list, struct sbx_err *err);

/* "jar,provenance" for a mask, into buf of size n. */
void	sbx_roles_format(char *buf, size_t n, unsigned roles);

#endif

/* include/sbx/keyring.h: the keyring of trusted keys and authorities. */
#ifndef SBX_KEYRING_H
#define SBX_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <sbx/encode.h>
#include <sbx/err.h>

/* Roles a key may sign for; a bit mask. */
enum {
	SBX_ROLE_JAR = 1 << 0,
	SBX_ROLE_PROVENANCE = 1 << 1,
	SBX_ROLE_KEYRING = 1 << 2,
	SBX_ROLE_CA = 1 << 3
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
 * Load the keyring JSON at path (docs/formats.md). SBX_EIO when it
 * cannot be read; SBX_ECONFIG, naming file, line and column, when it
 * is not a valid keyring (unknown fields, bad key ids, a key id that is
 * not the SHA-256 of the certificate's key, duplicates).
 */
int	sbx_keyring_load(struct sbx_keyring **out, const char *path,
	    struct sbx_err *err);

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
 * Decide whether a signer is trusted for role at time when (seconds
 * since the epoch; the signing time when it can be trusted, else now).
 * The signer is named by its public key, and its certificate and the
 * certificates that came with the signature when there are any.
 * On SBX_OK *out is the keyring entry that vouches for it. Otherwise
 * SBX_EREJECT with violation SBX_V_UNTRUSTED_KEY (unknown key, or
 * known but without role), SBX_V_REVOKED_KEY, SBX_V_EXPIRED_KEY
 * (outside its validity window, or retired before when), and a message
 * naming the key id.
 */
int	sbx_keyring_trust(const struct sbx_keyring_key **out,
	    const struct sbx_keyring *kr, EVP_PKEY *pub, X509 *cert,
	    STACK_OF(X509) *extra, unsigned role, int64_t when,
	    struct sbx_err *err);

/* Parse "jar,provenance" into a role mask; SBX_ECONFIG on a bad name. */
int	sbx_roles_parse(unsigned *out, const char *list, struct sbx_err *err);

/* "jar,provenance" for a mask, into buf of size n. */
void	sbx_roles_format(char *buf, size_t n, unsigned roles);

#endif

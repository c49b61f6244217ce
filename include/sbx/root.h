/* include/sbx/root.h: root files, signed keyrings, rollback state, pull. */
#ifndef SBX_ROOT_H
#define SBX_ROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <sbx/buf.h>
#include <sbx/err.h>
#include <sbx/keyring.h>

struct sbx_key;

/*
 * A root file (docs/formats.md, "Root") lists the root keys that an
 * operator pins, and how many of them (the threshold, m of n) must
 * sign a keyring, or the next root file, for it to be accepted. It
 * has its own version and expiry and is signed by its own keys.
 *
 * Refusals are SBX_EREJECT with one of these violations:
 * SBX_V_BAD_SIGNATURE  fewer valid signatures by distinct root keys
 *                      than the threshold (a tampered file lands here)
 * SBX_V_EXPIRED_KEY    the keyring or root file has expired, or a
 *                      keyring has no expiry at all
 * SBX_V_ROLLBACK       a version lower than the one accepted before
 */
struct sbx_root;			/* opaque */

/*
 * A new, unsigned root file of version 1 that needs threshold
 * signatures and expires at expires. Keys are added with
 * sbx_root_add_cert(); the threshold is checked against them when the
 * file is signed, saved or checked.
 */
int	sbx_root_new(struct sbx_root **out, unsigned threshold,
	    int64_t expires, struct sbx_err *err);

/*
 * The successor of old for a rotation: version + 1, no keys and no
 * signatures yet (add the new set with sbx_root_add_cert()).
 */
int	sbx_root_next(struct sbx_root **out, const struct sbx_root *old,
	    unsigned threshold, int64_t expires, struct sbx_err *err);

/*
 * Add the key of cert (RSA, at least 2048 bits). SBX_ECONFIG when it
 * is not such a key or is already listed. Drops the signatures.
 */
int	sbx_root_add_cert(struct sbx_root *r, X509 *cert, struct sbx_err *err);

/*
 * Read a root file. SBX_EIO when it cannot be read, SBX_ECONFIG naming
 * the file and field when it is not a valid root file. Signatures are
 * only checked by sbx_root_check() and the functions below.
 */
int	sbx_root_load(struct sbx_root **out, const char *path,
	    struct sbx_err *err);
int	sbx_root_parse(struct sbx_root **out, const char *name,
	    const void *buf, size_t len, struct sbx_err *err);

/* Write it atomically, mode 0644, as sbx_keyring_save() writes. */
int	sbx_root_save(const struct sbx_root *r, const char *path,
	    struct sbx_err *err);

void	sbx_root_free(struct sbx_root *r);	/* NULL is fine */

uint64_t sbx_root_version(const struct sbx_root *r);
int64_t	sbx_root_expires(const struct sbx_root *r);
unsigned sbx_root_threshold(const struct sbx_root *r);
size_t	sbx_root_count(const struct sbx_root *r);
size_t	sbx_root_nsignatures(const struct sbx_root *r);

/* Key i (id, and cert or pub; no name or roles), borrowed; or NULL. */
const struct sbx_keyring_key *sbx_root_key(const struct sbx_root *r,
	    size_t i);
bool	sbx_root_has_key(const struct sbx_root *r, const char *keyid);

/*
 * Add a signature by key over the root file's canonical body (as for
 * keyrings, with type "application/vnd.sbx.root+json"), replacing an
 * earlier one by the same key. The caller decides which keys may
 * sign: the file's own, and for a rotation those of the previous one.
 */
int	sbx_root_sign(struct sbx_root *r, struct sbx_key *key,
	    struct sbx_err *err);

/*
 * How many of r's own keys signed it, and of old's keys (NULL: none
 * counted). For reports; the checks below decide.
 */
int	sbx_root_tally(size_t *own, size_t *by_old, const struct sbx_root *r,
	    const struct sbx_root *old, struct sbx_err *err);

/*
 * Is r fit to be pinned at now: signed by a threshold of its own keys
 * and not expired?
 */
int	sbx_root_check(const struct sbx_root *r, int64_t now,
	    struct sbx_err *err);

/*
 * Rotation, as TUF does it: next is accepted in place of old only if
 * its version is old's plus one and it is signed by a threshold of
 * old's keys and by a threshold of its own. Expiry is not judged here
 * (a chain of rotations may pass through expired files); check the
 * last one with sbx_root_check().
 */
int	sbx_root_check_next(const struct sbx_root *old,
	    const struct sbx_root *next, struct sbx_err *err);

/* How many root keys signed the keyring (valid signatures only). */
int	sbx_root_tally_keyring(size_t *valid, const struct sbx_root *r,
	    const struct sbx_keyring *kr, struct sbx_err *err);

/*
 * Is the keyring vouched for by the root at now: the root fit to be
 * pinned, the keyring signed by a threshold of root keys, carrying an
 * expiry that has not passed? Says nothing of versions (see below).
 */
int	sbx_root_verify_keyring(const struct sbx_root *r,
	    const struct sbx_keyring *kr, int64_t now, struct sbx_err *err);

/*
 * Rollback state: the highest keyring version accepted on this host,
 * kept in a small JSON file (docs/formats.md, "Keyring state"). The
 * state file of a keyring is KEYRING.state beside it, or
 * STATE_DIR/BASENAME.state when state_dir is given.
 */
int	sbx_keyring_state_path(char *out, size_t n, const char *keyring_path,
	    const char *state_dir, struct sbx_err *err);

struct sbx_keyring_state;		/* opaque */

/*
 * Open the state file at path under an exclusive lock (flock on
 * PATH.lock, created if need be) and read it; a missing file is
 * version 0. SBX_EIO when it cannot be read or locked, SBX_ECONFIG
 * when it is not a state file. The lock holds until close.
 */
int	sbx_keyring_state_open(struct sbx_keyring_state **out,
	    const char *path, struct sbx_err *err);
uint64_t sbx_keyring_state_version(const struct sbx_keyring_state *st);

/* Refuse version below the recorded one (SBX_V_ROLLBACK). */
int	sbx_keyring_state_allows(const struct sbx_keyring_state *st,
	    uint64_t version, struct sbx_err *err);

/* Record version atomically when it is higher than the recorded one. */
int	sbx_keyring_state_record(struct sbx_keyring_state *st,
	    uint64_t version, struct sbx_err *err);

void	sbx_keyring_state_close(struct sbx_keyring_state *st);

/*
 * All of it for a keyring read from disk: sbx_root_verify_keyring(),
 * then, under the state file's lock, refuse a version below the one
 * recorded and record a higher one. A state file that cannot be
 * written is SBX_EIO: rollback protection that cannot remember is
 * none.
 */
int	sbx_keyring_accept(const struct sbx_keyring *kr,
	    const struct sbx_root *r, const char *state_path, int64_t now,
	    struct sbx_err *err);

/*
 * What a verifier does: load the keyring at path and, when root_path
 * is not NULL, accept it under that root file as sbx_keyring_accept()
 * does, with the state file that sbx_keyring_state_path() names for
 * path and state_dir (NULL: beside the keyring). A refusal names the
 * keyring file. Without a root file this is sbx_keyring_load().
 */
int	sbx_keyring_load_rooted(struct sbx_keyring **out, const char *path,
	    const char *root_path, const char *state_dir, int64_t now,
	    struct sbx_err *err);

/* `sbx-keyring pull`: where from, where to, and the transport's bounds. */
struct sbx_pull_opts {
	const char	*url;		/* https:// (http:// if allow_http) */
	const char	*out;		/* the installed keyring */
	const char	*state_path;	/* sbx_keyring_state_path() */
	const char	*ca_file;	/* NULL: the system's CAs */
	bool		 allow_http;
	long		 timeout_ms;	/* whole transfer; 0: 30 s */
	size_t		 max_bytes;	/* 0: 16 MiB */
};

struct sbx_pull_result {
	char		 url[512];	/* as messages show it: no secrets */
	uint64_t	 version;	/* of the keyring installed */
	uint64_t	 previous;	/* recorded before; 0: none */
	int64_t		 expires;
	size_t		 signers;	/* root keys that signed it */
};

/*
 * Fetch the keyring at o->url with libcurl (TLS peer and host always
 * verified, redirects only to allowed schemes, size and time bounded),
 * parse it, accept it as sbx_keyring_accept() does, and only then
 * write the fetched bytes to o->out atomically and record the
 * version. On any failure o->out and the state file are as they were.
 * Messages show the URL without user, password, query or fragment,
 * which may hold credentials. SBX_EIO for transport failures,
 * SBX_ECONFIG for a bad URL or a fetched file that is not a keyring,
 * SBX_EREJECT as above.
 */
int	sbx_keyring_pull(struct sbx_pull_result *res, const struct sbx_root *r,
	    const struct sbx_pull_opts *o, struct sbx_err *err);

#endif

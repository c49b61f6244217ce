/* keyring/keyring_int.h: what the keyring, root, state and pull code share. */
#ifndef SBX_KEYRING_INT_H
#define SBX_KEYRING_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <sbx/buf.h>
#include <sbx/err.h>
#include <sbx/key.h>
#include <sbx/keyring.h>

/* The DSSE payload types that keyring and root signatures cover. */
#define SBX_KEYRING_PAYLOAD	"application/vnd.sbx.keyring+json"
#define SBX_ROOT_PAYLOAD	"application/vnd.sbx.root+json"

/* The largest keyring or root file read or fetched, in bytes. */
#define SBX_KEYRING_MAX		(16 << 20)

/* Where a field sits, for messages: "FILE: keys[2].status: ...". */
struct sbx_kr_where {
	const char	*path;
	char		 at[48];
};

/* "PATH: AT.field: what" as SBX_ECONFIG; returns it. */
int	sbx_kr_bad(struct sbx_err *err, const struct sbx_kr_where *w,
	    const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* Refuse any member of obj that allowed (NULL-terminated) lacks. */
int	sbx_kr_check_fields(json_t *obj, const char *const *allowed,
	    const struct sbx_kr_where *w, struct sbx_err *err);

/* A non-empty string member; absent or null gives NULL unless required. */
int	sbx_kr_get_str(const char **out, json_t *obj, const char *field,
	    bool required, const struct sbx_kr_where *w, struct sbx_err *err);

/* A time member as sbx_keyring_time_parse() reads it. */
int	sbx_kr_get_time(int64_t *out, bool *present, json_t *obj,
	    const char *field, bool required, const struct sbx_kr_where *w,
	    struct sbx_err *err);

/* A whole number member from 1 up; required. */
int	sbx_kr_get_count(uint64_t *out, json_t *obj, const char *field,
	    const struct sbx_kr_where *w, struct sbx_err *err);

/*
 * Exactly one of "certificate" and "public_key", one PEM object each,
 * into k->cert and k->pub; then the key id is computed into k->id and
 * compared with the "id" member.
 */
int	sbx_kr_get_key(struct sbx_keyring_key *k, json_t *obj,
	    const struct sbx_kr_where *w, struct sbx_err *err);

bool	sbx_kr_is_hex_id(const char *s);
void	sbx_kr_key_free(struct sbx_keyring_key *k);

/* JSON of a time (null when !present) and of a key's PEM. */
json_t	*sbx_kr_time_json(int64_t t, bool present);
json_t	*sbx_kr_pem_json(const struct sbx_keyring_key *k);

/* Parse "signatures" of doc: NULL when absent or empty, else a ref. */
int	sbx_kr_sigs_parse(json_t **out, json_t *doc,
	    struct sbx_kr_where *w, struct sbx_err *err);

/*
 * Append PAE(type, canonical body) to out; body is the document
 * without its "signatures" member.
 */
int	sbx_kr_signed_bytes(struct sbx_buf *out, json_t *body,
	    const char *type, struct sbx_err *err);

/*
 * Sign bytes with key (RSA-PSS, SHA-256) into the list *sigs (created
 * if NULL), replacing an earlier signature by the same key.
 */
int	sbx_kr_sigs_add(json_t **sigs, struct sbx_key *key,
	    const struct sbx_buf *bytes, struct sbx_err *err);

/*
 * Count the distinct keys of keys[0..n) whose signature in sigs
 * verifies over bytes. Signatures by other keys count for nothing;
 * one that names a listed key but does not verify is noted in bad
 * (the first such key id, "" if none) and counts for nothing.
 */
int	sbx_kr_sigs_tally(size_t *valid, char bad[SBX_KEYID_LEN + 1],
	    json_t *sigs, struct sbx_keyring_key *const *keys, size_t n,
	    const struct sbx_buf *bytes, struct sbx_err *err);

/* The keyring's signatures as kept (NULL: none); borrowed. */
json_t	*sbx_kr_keyring_sigs(const struct sbx_keyring *kr);

#endif

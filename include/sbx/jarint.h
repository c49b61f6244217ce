/* include/sbx/jarint.h: helpers shared by the JAR signer and verifier. */
#ifndef SBX_JARINT_H
#define SBX_JARINT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include <sbx/manifest.h>

/* A digest as the manifest names it ("SHA-256-Digest"). */
struct sbx_jar_digest {
	const char	*jca;		/* JCA name: "SHA-256" */
	unsigned	 bit;		/* SBX_DIGEST_*, 0 for weak ones */
	bool		 strong;	/* may be accepted at all */
};

/* Every digest name the verifier knows, strongest first. */
const struct sbx_jar_digest *sbx_jar_digests(size_t *n);

/* The OpenSSL digest of a strong entry, or NULL. */
const EVP_MD *sbx_jar_digest_md(const struct sbx_jar_digest *d);

/*
 * Find the strongest "<ALG>-<suffix>" attribute of s whose algorithm is
 * in allowed. Returns SBX_OK with *out and *attr_out set; otherwise the
 * violation to report: SBX_V_WEAK_ALGORITHM when only forbidden
 * algorithms are present, SBX_V_UNSIGNED_ENTRY when none is.
 */
int	sbx_jar_pick_digest(const struct sbx_jar_digest **out,
	    const struct sbx_mf_section *s, const char *suffix,
	    unsigned allowed, const struct sbx_mf_attr **attr_out);

/* "ALIAS" of "META-INF/ALIAS.SF" (or .RSA ...), into out of size n. */
void	sbx_jar_alias_of(char *out, size_t n, const char *name);

/* Manifest sections sorted by name, then by their order in the file. */
struct sbx_jar_msec {
	const struct sbx_mf_section *s;
	size_t			 order;
};

/* Index the named sections of m (caller frees *out). */
int	sbx_jar_index(struct sbx_jar_msec **out, const struct sbx_manifest *m,
	    struct sbx_err *err);

/* The first section named name in idx, and how many share the name. */
const struct sbx_jar_msec *sbx_jar_lookup(const struct sbx_jar_msec *idx,
	    size_t n, const char *name, size_t *count);

#endif

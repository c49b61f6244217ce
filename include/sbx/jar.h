/* include/sbx/jar.h: sign and verify JARs in the standard signed-JAR format. */
#ifndef SBX_JAR_H
#define SBX_JAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <sbx/encode.h>
#include <sbx/err.h>
#include <sbx/key.h>
#include <sbx/keyring.h>
#include <sbx/policy.h>
#include <sbx/zip.h>

/*
 * Signature-related files, as the JDK classifies them: directly in
 * META-INF/ (case-insensitive), MANIFEST.MF, *.SF, *.RSA, *.DSA, *.EC
 * and SIG-*. They are not digested in the manifest; every other entry
 * that is not a directory must be.
 */
bool	sbx_jar_is_signature_file(const char *name);

/* Who signed, as far as the verifier could tell. */
struct sbx_jar_signer {
	char	 alias[64];		/* X of META-INF/X.SF */
	char	 key_id[SBX_KEYID_LEN + 1];
	char	 name[128];		/* keyring name, "" if untrusted */
	char	 subject[256];		/* certificate subject, one line */
	int	 bits;
	bool	 trusted;		/* vouched for by the keyring */
	int64_t	 timestamp;		/* trusted RFC 3161 time, 0: none */
};

/*
 * The outcome of verifying one JAR. accepted is set only on the path
 * where every check passed; violation and reason say why otherwise.
 */
struct sbx_jar_verdict {
	bool	 accepted;
	enum sbx_violation violation;
	char	 reason[256];
	struct sbx_jar_signer signer;	/* the accepted (or first) signer */
	size_t	 nsigners;
	size_t	 entries;		/* entries whose digest was checked */
	char	 version[64];		/* Implementation-Version, or "" */
};

struct sbx_jar_verify_opts {
	const struct sbx_policy *policy;
	const struct sbx_keyring *keyring;
	int64_t	 now;			/* seconds since the epoch */
	int	 threads;		/* 0: one per online CPU, at most 8 */
};

/*
 * Verify the JAR z. Returns SBX_OK when accepted; SBX_EREJECT with
 * err->violation and a message naming the entry or signature file
 * when the JAR is not acceptable; SBX_EIO or SBX_ENOMEM when it could
 * not be checked (which callers must also treat as a refusal). The
 * verdict is filled in every case.
 */
int	sbx_jar_verify(struct sbx_jar_verdict *v, struct sbx_zip *z,
	    const struct sbx_jar_verify_opts *opts, struct sbx_err *err);

struct sbx_tsa_opts;

struct sbx_jar_sign_opts {
	struct sbx_key	*key;		/* with its certificate */
	const char	*alias;		/* NULL: "SIGNER"; made upper case */
	int64_t		 when;		/* entry times and signingTime */
	int		 threads;	/* as for verification */
	const struct sbx_tsa_opts *tsa;	/* NULL: no timestamp (tsa.h) */
};

/*
 * Sign the JAR at in_path and write the signed JAR to out_path
 * atomically (they may be the same path). Existing main attributes and
 * other signers are kept; signing with an alias that is already there
 * replaces that signer. Compressed entries are copied unchanged.
 * Deterministic: the same input, key and opts give the same bytes,
 * except for the RFC 3161 timestamp that opts->tsa asks for.
 */
int	sbx_jar_sign(const char *in_path, const char *out_path,
	    const struct sbx_jar_sign_opts *opts, struct sbx_err *err);

/* One entry to digest, and the digest once done. */
struct sbx_jar_hash_job {
	const struct sbx_zip_entry *entry;
	const EVP_MD	*md;
	unsigned char	 digest[EVP_MAX_MD_SIZE];
	unsigned int	 digest_len;
};

/*
 * Inflate and digest the n entries of jobs, spread over threads
 * threads (0: one per online CPU, at most 8). On failure the
 * lowest-numbered failing job's error is returned, so messages do not
 * depend on scheduling.
 */
int	sbx_jar_hash_entries(struct sbx_jar_hash_job *jobs, size_t n,
	    struct sbx_zip *z, int threads, struct sbx_err *err);

#endif

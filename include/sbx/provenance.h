/* include/sbx/provenance.h: signed whole-file provenance (in-toto, SLSA). */
#ifndef SBX_PROVENANCE_H
#define SBX_PROVENANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sbx/buf.h>
#include <sbx/dsse.h>
#include <sbx/err.h>
#include <sbx/jar.h>
#include <sbx/key.h>
#include <sbx/keyring.h>
#include <sbx/policy.h>

/*
 * The whole-file provenance of DESIGN.md, field by field in
 * docs/formats.md ("Provenance"): an in-toto Statement v1 whose
 * subject is the artifact's base name and the SHA-256 of all its
 * bytes, with a SLSA provenance v1 predicate, in a DSSE envelope
 * stored beside the artifact as NAME.intoto.jsonl.
 */
#define SBX_STATEMENT_TYPE	"https://in-toto.io/Statement/v1"
#define SBX_SLSA_PREDICATE	"https://slsa.dev/provenance/v1"
#define SBX_BUILD_TYPE		"urn:sbx:buildtype:sign:v1"
#define SBX_LOCAL_BUILDER	"urn:sbx:builder:local"
#define SBX_PROVENANCE_SUFFIX	".intoto.jsonl"
#define SBX_BUNDLE_SUFFIX	".sigstore.json"
#define SBX_STATEMENT_MAX_SUBJECTS 1024

/*
 * Where the source came from, as read with libgit2 or from GitHub
 * Actions. Strings are owned; NULL when unknown.
 */
struct sbx_source {
	char	*repository;	/* remote URL without credentials */
	char	*ref;		/* "refs/heads/main"; NULL when detached */
	char	 commit[41];	/* hex; "" when there is no repository */
	bool	 dirty;		/* tracked files differ from HEAD */
	char	*dirty_path;	/* the first such file, for messages */
};

/*
 * Read the source identity of the git repository at dir (or the one
 * that contains it), or with dir NULL the one that contains the
 * current folder, if any: then *found is false and SBX_OK returned
 * when there is none. The remote is "origin", else the current
 * branch's upstream, else the first in the configuration; its URL is
 * taken as configured (no insteadOf rewriting), less any user name and
 * password. Dirty means tracked files with changes, staged or not
 * (untracked files do not count, as for git describe --dirty).
 * SBX_ECONFIG when dir is given and holds no repository, when HEAD has
 * no commit, or libgit2 fails.
 */
int	sbx_source_read(struct sbx_source *out, bool *found, const char *dir,
	    struct sbx_err *err);
void	sbx_source_free(struct sbx_source *s);	/* NULL is fine */

/* What a provenance says about the build that made the artifact. */
struct sbx_build {
	char	*builder_id;		/* runDetails.builder.id */
	char	*invocation_id;		/* NULL when unknown */
	int64_t	 started_on;		/* seconds since the epoch */
	int64_t	 finished_on;
	struct sbx_source source;
	bool	 has_source;
	bool	 detached;		/* the JAR itself was not signed */
	bool	 allow_dirty;		/* --allow-dirty was given */
	/* GitHub Actions only (github true); owned, NULL when unset. */
	bool	 github;
	char	*workflow_path;		/* ".github/workflows/release.yml" */
	char	*workflow_ref;		/* "refs/heads/main" */
	char	*event_name;
	char	*repository_id;
	char	*repository_owner_id;
	char	*runner_environment;
};

void	sbx_build_free(struct sbx_build *b);	/* the members; NULL is fine */

/*
 * Fill b from the environment of a GitHub Actions job when
 * GITHUB_ACTIONS is "true" (else leave it as it is): builder id
 * "$GITHUB_SERVER_URL/$GITHUB_WORKFLOW_REF", invocation id
 * ".../$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID/attempts/
 * $GITHUB_RUN_ATTEMPT", repository, ref and commit from
 * GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_REF, GITHUB_SHA, and the
 * workflow and run details. SBX_ECONFIG naming a variable that is
 * missing or malformed.
 */
int	sbx_build_from_github(struct sbx_build *b, struct sbx_err *err);

/*
 * Complete b with the git repository at dir (NULL: the one around the
 * current folder, if any). Outside GitHub Actions repository, ref and
 * commit come from git; in it they stay those of the environment, and
 * git's HEAD must be GITHUB_SHA. A dirty tree is SBX_ECONFIG unless
 * b->allow_dirty; it is then recorded. Without a builder id so far,
 * SBX_LOCAL_BUILDER is used.
 */
int	sbx_build_source(struct sbx_build *b, const char *dir,
	    struct sbx_err *err);

/*
 * Append the Statement (compact JSON, the exact bytes to be signed)
 * for an artifact named name (a base name) with SHA-256 sha256.
 */
int	sbx_statement_write(struct sbx_buf *out, const char *name,
	    const unsigned char sha256[32], const struct sbx_build *b,
	    struct sbx_err *err);

/* A parsed Statement: what the verifier reads from it. */
struct sbx_subject {
	char		*name;
	unsigned char	 sha256[32];
	bool		 has_sha256;
};

struct sbx_statement {
	struct sbx_subject *subjects;
	size_t		 nsubjects;
	char		*build_type;
	char		*builder_id;
	char		*invocation_id;		/* NULL if absent */
	char		*repository;		/* from resolvedDependencies */
	char		*ref;
	char		 commit[41];		/* "" if absent */
	int64_t		 started_on;
	int64_t		 finished_on;
	bool		 has_finished;
	bool		 detached;		/* sbx's buildType only */
	bool		 dirty;
};

/*
 * Parse a Statement v1 with a SLSA provenance v1 predicate. Refused
 * (SBX_EREJECT, SBX_V_PROVENANCE_MISMATCH, message prefixed with name):
 * malformed JSON, duplicate members, members other than _type,
 * subject, predicateType and predicate, a wrong _type or
 * predicateType, no subject or more than SBX_STATEMENT_MAX_SUBJECTS, a
 * digest that is not lower-case hex of the right length, a missing
 * builder id or buildType, a time that is not RFC 3339.
 */
int	sbx_statement_parse(struct sbx_statement **out, const void *buf,
	    size_t len, const char *name, struct sbx_err *err);
void	sbx_statement_free(struct sbx_statement *st);	/* NULL is fine */

/*
 * The SHA-256 of everything readable from fd (from where it stands),
 * streamed. SBX_EIO naming name when a read fails.
 */
int	sbx_sha256_fd(unsigned char out[32], int fd, const char *name,
	    struct sbx_err *err);

/* artifact + SBX_PROVENANCE_SUFFIX into out (n bytes); false if too long. */
bool	sbx_provenance_path(char *out, size_t n, const char *artifact);

/* Is path treated as a JAR: does its name end in ".jar", any case? */
bool	sbx_is_jar_name(const char *path);

/* How sbx-sign writes a provenance. */
struct sbx_prov_sign_opts {
	struct sbx_key	*key;
	const struct sbx_build *build;
	const char	*out;		/* the .intoto.jsonl to write */
	const char	*bundle;	/* a Sigstore bundle too, or NULL */
};

/*
 * Hash the artifact, make its Statement, sign it (RSASSA-PSS, SHA-256)
 * and write the envelope to o->out; with o->bundle also write a bundle
 * whose one signature uses PKCS#1 v1.5 (docs/provenance.md says why).
 * Both files are written atomically, mode 0644.
 */
int	sbx_provenance_sign(const char *artifact,
	    const struct sbx_prov_sign_opts *o, struct sbx_err *err);

/* What a verified (or refused) provenance said. */
struct sbx_prov_result {
	bool	 present;		/* a provenance file was found */
	bool	 verified;		/* every check passed */
	char	 path[4096];		/* the provenance file */
	char	 key_id[SBX_KEYID_LEN + 1];
	char	 key_name[128];
	const char *scheme;		/* sbx_dsse_scheme_name() */
	char	 subject[256];
	char	 sha256[65];		/* of the file, hex */
	char	 builder_id[512];
	char	 repository[512];
	char	 ref[256];
	char	 commit[41];
	char	 invocation_id[512];
	int64_t	 finished_on;		/* 0 when absent */
	bool	 detached;
	bool	 dirty;
	bool	 source_checked;	/* --source-repo found the commit */
};

struct sbx_prov_verify_opts {
	const struct sbx_policy *policy;	/* required */
	const struct sbx_keyring *keyring;	/* required */
	int64_t	 now;
	const char *source_repo;	/* check the commit there, or NULL */
};

/*
 * Verify the provenance at prov_path for the artifact open at fd
 * (read from its start) and named name (its base name must match a
 * subject). On SBX_OK r->verified is set. Otherwise SBX_EREJECT with:
 *   SBX_V_PROVENANCE_MISMATCH	malformed envelope or Statement, no
 *				subject of that name, "digest of file
 *				differs from subject", too old, no commit
 *				in the --source-repo repository
 *   SBX_V_SOURCE_NOT_ALLOWED	builder, repository or ref not allowed,
 *				commit not reachable from an allowed ref
 *   SBX_V_UNTRUSTED_KEY ...	as sbx_dsse_verify(), or a key the
 *				policy's signers rules refuse for name
 * or SBX_EIO, SBX_ECONFIG, SBX_ENOMEM. r is filled as far as known.
 */
int	sbx_provenance_verify_fd(struct sbx_prov_result *r, int fd,
	    const char *name, const char *prov_path,
	    const struct sbx_prov_verify_opts *o, struct sbx_err *err);

/* The same for the artifact at path. */
int	sbx_provenance_verify(struct sbx_prov_result *r, const char *path,
	    const char *prov_path, const struct sbx_prov_verify_opts *o,
	    struct sbx_err *err);

/*
 * Check with libgit2 that commit exists in the repository at dir and
 * is reachable from a ref the policy allows (a remote-tracking ref
 * refs/remotes/R/B counts as refs/heads/B). SBX_EREJECT with
 * SBX_V_PROVENANCE_MISMATCH (no such commit) or
 * SBX_V_SOURCE_NOT_ALLOWED (not reachable); SBX_ECONFIG when dir is not
 * a repository.
 */
int	sbx_source_check(const char *dir, const char *commit,
	    const struct sbx_policy *policy, struct sbx_err *err);

/*
 * How an artifact was accepted: by its JAR signature, by its
 * provenance alone (a non-JAR file, or a JAR signed with --detached),
 * or both.
 */
enum sbx_signed_by {
	SBX_SIGNED_NONE = 0,
	SBX_SIGNED_JAR,
	SBX_SIGNED_PROVENANCE,
	SBX_SIGNED_BOTH
};

struct sbx_artifact_verdict {
	bool	 accepted;
	bool	 is_jar;
	enum sbx_signed_by by;
	enum sbx_violation violation;
	char	 reason[256];
	bool	 jar_checked;
	struct sbx_jar_verdict jar;
	struct sbx_prov_result prov;
};

struct sbx_artifact_opts {
	const struct sbx_policy *policy;	/* required */
	const struct sbx_keyring *keyring;	/* required */
	int64_t	 now;
	int	 threads;		/* for the JAR's entries */
	const char *provenance;		/* NULL: PATH.intoto.jsonl if there */
	const char *source_repo;	/* or NULL */
};

/*
 * Verify one artifact by the rules of docs/formats.md ("Which
 * signature counts"): a provenance that is present must verify, and is
 * checked first, over every byte of the file; a JAR also needs a valid
 * JAR signature unless its provenance says it was signed with
 * --detached; a file that is not a JAR needs its provenance; a policy
 * that requires provenance refuses an artifact without one
 * (SBX_V_PROVENANCE_MISSING). The verdict is filled in every case;
 * codes as sbx_provenance_verify() and sbx_jar_verify().
 */
int	sbx_artifact_verify(struct sbx_artifact_verdict *v, const char *path,
	    const struct sbx_artifact_opts *o, struct sbx_err *err);

/*
 * The same for the artifact open at fd (read from its start; fd stays
 * open), named path: a guard that hands fd on knows that exactly the
 * bytes it checked are used.
 */
/*
 * Record a refusal, or a failure to check, in v (not accepted, the
 * violation from err, internal_error for a failure, err's message as the
 * reason) and return rc: for whatever produces a verdict.
 */
int	sbx_artifact_verdict_fail(struct sbx_artifact_verdict *v, int rc,
	    struct sbx_err *err);

int	sbx_artifact_verify_fd(struct sbx_artifact_verdict *v, int fd,
	    const char *path, const struct sbx_artifact_opts *o,
	    struct sbx_err *err);

/* RFC 3339 "2024-05-01T12:00:00Z" for t into out (21 bytes at least). */
void	sbx_time_format(char *out, size_t n, int64_t t);

/*
 * Parse an RFC 3339 date-time (fractions of a second are dropped; an
 * offset other than Z is applied). SBX_OK or SBX_EREJECT.
 */
int	sbx_time_parse(int64_t *out, const char *s);

#endif

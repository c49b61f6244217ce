/* include/sbx/policy.h: the policy: what sbx accepts and where it reports. */
#ifndef SBX_POLICY_H
#define SBX_POLICY_H

#include <stdbool.h>
#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sbx/buf.h>
#include <sbx/err.h>

/*
 * A policy is a JSON file (docs/policy.md, docs/formats.md, schema in
 * policy/schema.json). Loading it gives a plain struct that the checks
 * read directly; every field but the keyring has a safe default, and
 * every path in it is absolute (relative ones are resolved against the
 * policy file's folder). All strings and arrays belong to the policy
 * and live until sbx_policy_free().
 */

enum sbx_mode {
	SBX_MODE_ENFORCE = 0,		/* a violation refuses */
	SBX_MODE_AUDIT			/* a violation is logged only */
};

/* Digests allowed for JAR entries and provenance subjects; a bit mask. */
enum {
	SBX_DIGEST_SHA256 = 1,
	SBX_DIGEST_SHA384 = 2,
	SBX_DIGEST_SHA512 = 4
};

/* RSA signature schemes allowed; a bit mask. */
enum {
	SBX_SIGALG_RSA_PKCS1 = 1,	/* RSASSA-PKCS1-v1_5 */
	SBX_SIGALG_RSA_PSS = 2		/* RSASSA-PSS */
};

/* A list of strings (globs, flags, key names). */
struct sbx_policy_strs {
	char		**v;
	size_t		  n;
};

/*
 * "provenance": what a whole-file provenance must say. Builder ids,
 * repositories and refs are fnmatch(3) globs with FNM_PATHNAME (a `*`
 * never crosses a `/`), matched against the whole string; an empty list
 * allows any value.
 */
struct sbx_policy_provenance {
	bool		 required;	/* default false */
	int64_t		 max_age;	/* seconds; 0: no limit */
	struct sbx_policy_strs builders;	/* runDetails.builder.id */
	struct sbx_policy_strs repositories;	/* source repository URL */
	struct sbx_policy_strs refs;		/* "refs/heads/main" */
};

/*
 * One "signers" rule: artifacts whose base name matches the glob may be
 * signed by the keys listed, by key id (hex) or by keyring name.
 */
struct sbx_policy_signer {
	char		*artifacts;	/* glob on the base name */
	struct sbx_policy_strs keys;	/* key ids or names, at least one */
};

/* One "versions" rule: the lowest version accepted (rollback). */
struct sbx_policy_version {
	char		*artifacts;	/* glob on the base name */
	char		*min;		/* sbx_version_valid() */
};

/* One native agent that may be loaded with -agentpath or -agentlib. */
struct sbx_policy_native_agent {
	char		*path;		/* absolute; compared as is */
	char		 sha256[65];	/* lower-case hex of the file */
};

/*
 * "jvm": flags are fnmatch(3) globs without FNM_PATHNAME, matched
 * against one whole JVM option as the JVM sees it ("-agentlib:jdwp*"
 * matches "-agentlib:jdwp=transport=dt_socket"). Each must start with
 * '-'. A pattern may not be both required and forbidden.
 */
struct sbx_policy_jvm {
	/* default: -Xverify:none, -noverify, -XX:-BytecodeVerificationRemote */
	struct sbx_policy_strs forbidden_flags;
	struct sbx_policy_strs required_flags;	/* default none */
	struct sbx_policy_native_agent *native_agents;	/* default none */
	size_t		 n_native_agents;
};

/*
 * "paths": who may own agent files and every folder above them up to
 * the root, and which write bits are refused on them.
 */
struct sbx_policy_paths {
	uid_t		*owners;	/* default: 0 and geteuid() */
	size_t		 n_owners;	/* at least one */
	bool		 forbid_group_writable;	/* default true */
	bool		 forbid_world_writable;	/* default true */
};

/*
 * An HTTP sink: enabled when its object is present. url is the full
 * endpoint (http or https). For the journal a missing url means the
 * local journald (native protocol) rather than an upload.
 */
struct sbx_policy_http_sink {
	bool		 enabled;
	char		*url;		/* NULL: native journal */
};

enum sbx_syslog_transport {
	SBX_SYSLOG_TCP = 0,		/* RFC 6587 */
	SBX_SYSLOG_UDP			/* RFC 5426 */
};

/* The syslog sink (RFC 5424 with structured data). */
struct sbx_policy_syslog {
	bool		 enabled;
	char		*host;		/* default "127.0.0.1" */
	int		 port;		/* default 514 */
	enum sbx_syslog_transport transport;	/* default TCP */
	int		 facility;	/* 0..23; default 10 (authpriv) */
};

/* "audit.sinks": where events go besides the local file. */
struct sbx_policy_sinks {
	struct sbx_policy_http_sink journal;	/* url: journal-remote */
	struct sbx_policy_syslog syslog;
	struct sbx_policy_http_sink loki;	/* .../loki/api/v1/push */
	struct sbx_policy_http_sink otlp;	/* .../v1/logs */
};

/*
 * "audit.sampling": after the first per_minute_after events of passing
 * checks in a minute (per tenant), keep a fraction rate of them. Events
 * of violations are never sampled out. Default: keep everything.
 */
struct sbx_policy_sampling {
	unsigned	 per_minute_after;	/* default 0 */
	double		 rate;		/* 0..1, default 1 */
};

/* "audit": the tamper-evident event log and its sinks. */
struct sbx_policy_audit {
	char		*file;		/* default NULL: no file */
	bool		 log_passing;	/* default true: every check */
	bool		 fsync;		/* default true */
	struct sbx_policy_sinks sinks;
	struct sbx_policy_sampling sampling;
	char		*spool_dir;	/* default "<file>.spool" */
	int64_t		 spool_max_bytes;	/* per sink; 16 MiB */
	int		 budget_ms;	/* default 50 */
};

/* "metrics": where Prometheus metrics go. */
struct sbx_policy_metrics {
	char		*textfile_dir;	/* default NULL: none */
	char		*pushgateway;	/* base URL; default NULL */
	char		*job;		/* default "sbx" */
	char		*instance;	/* default: the host name */
	int		 budget_ms;	/* default 50 */
};

struct sbx_policy {
	char	*path;		/* the file; NULL: default policy */
	char	*keyring;	/* resolved against the policy's folder */
	char	*root;		/* root file (formats.md, Root); NULL: none */
	int	 min_rsa_bits;	/* default 4096 */
	unsigned digests;	/* JAR/provenance digests; default all */
	unsigned sigalgs;	/* default both */
	enum sbx_mode mode;	/* default enforce */
	char	*tenant;	/* default "default" */
	unsigned char *text;	/* the file's bytes; NULL: default policy */
	size_t	 text_len;
	bool	 urls_unchecked;	/* SBX_POLICY_DEFER_URLS left some */
	struct stat file_st;	/* fstat() of the file as read; path
				   NULL (default policy): zero */
	struct sbx_policy_provenance provenance;
	struct sbx_policy_signer *signers;	/* default none: any key */
	size_t	 n_signers;
	struct sbx_policy_version *versions;	/* default none */
	size_t	 n_versions;
	struct sbx_policy_jvm jvm;
	struct sbx_policy_paths paths;
	struct sbx_policy_audit audit;
	struct sbx_policy_metrics metrics;
};

/*
 * Load the policy file at path into *out; the caller frees it with
 * sbx_policy_free(). Returns SBX_OK, SBX_EIO (cannot read the file) or
 * SBX_ECONFIG for anything wrong in it, with a message of the form
 * "FILE:LINE:COLUMN: FIELD.PATH: what is wrong" (the column counts
 * characters, as jansson does; the position is that of the member's
 * key or of the array element, and for a missing member that of the
 * key or element holding the object that lacks it).
 * Does not open the keyring.
 */
int	sbx_policy_load(struct sbx_policy **out, const char *path,
	    struct sbx_err *err);

/*
 * As sbx_policy_load(), with flags. SBX_POLICY_DEFER_URLS leaves the
 * URLs (sinks, Pushgateway) unchecked and sets urls_unchecked if there
 * were any: checking them loads libcurl, which costs a guarded JVM start
 * more than its whole cached check (docs/guard.md). Such a policy must
 * not be used before its URLs are known to be good: loaded again without
 * the flag, or vouched for by an earlier load of the same file.
 */
#define SBX_POLICY_DEFER_URLS	0x1u
int	sbx_policy_load_flags(struct sbx_policy **out, const char *path,
	    unsigned flags, struct sbx_err *err);

/*
 * The same from len bytes in memory: name is used in messages and kept
 * as path, dir is the folder that relative paths are resolved against
 * (NULL: the current folder). sbx_policy_load() reads the file and
 * calls this with the file's folder.
 */
int	sbx_policy_parse_mem(struct sbx_policy **out, const void *buf,
	    size_t len, const char *name, const char *dir,
	    struct sbx_err *err);

/*
 * The smallest policy, {"keyring": keyring_path}, with path NULL: what
 * a tool given only --keyring uses. keyring_path is made absolute
 * against the current folder.
 */
/*
 * The SHA-256 of the policy file's bytes as read, in hex, into out (65
 * bytes); "" for the default policy. Computed on demand, so a guarded
 * JVM start that finds its verdict cached never starts OpenSSL.
 */
int	sbx_policy_sha256(char *out, const struct sbx_policy *p,
	    struct sbx_err *err);

int	sbx_policy_default(struct sbx_policy **out, const char *keyring_path,
	    struct sbx_err *err);

void	sbx_policy_free(struct sbx_policy *p);	/* NULL is fine */

/*
 * `sbx-verify --check-policy`: load and validate path, check that its
 * keyring file can be opened for reading (SBX_EIO, naming the field's
 * position, if not), free it. SBX_OK when all is well.
 */
int	sbx_policy_check_file(const char *path, struct sbx_err *err);

/* Predicates for the checks; each takes a loaded policy. */
bool	sbx_policy_allows_digest(const struct sbx_policy *p,
	    unsigned digest);
bool	sbx_policy_allows_sigalg(const struct sbx_policy *p,
	    unsigned sigalg);
bool	sbx_policy_allows_rsa_bits(const struct sbx_policy *p, int bits);

/*
 * May the key (key_id hex, key_name; either may be NULL) sign the
 * artifact? artifact_name may be a path: its base name is matched.
 * With no signers rules any trusted key may; once there are rules, an
 * artifact that no rule matches may be signed by no key (fail closed:
 * add a "*" rule for the rest), and a key is allowed if any matching
 * rule lists its id (case-insensitive) or its name.
 */
bool	sbx_policy_allows_signer(const struct sbx_policy *p,
	    const char *artifact_name, const char *key_id,
	    const char *key_name);

/* Provenance builder id, source repository, ref (globs, see above). */
bool	sbx_policy_allows_builder(const struct sbx_policy *p,
	    const char *builder_id);
bool	sbx_policy_allows_repo(const struct sbx_policy *p,
	    const char *repo);
bool	sbx_policy_allows_ref(const struct sbx_policy *p, const char *ref);

/*
 * Is a provenance made at built (seconds since the epoch) young enough
 * at now? Always true without max_age; a time in the future beyond
 * five minutes of clock skew is refused.
 */
bool	sbx_policy_provenance_fresh(const struct sbx_policy *p,
	    int64_t built, int64_t now);

/*
 * The lowest version accepted for the artifact (base name matched; of
 * several matching rules the highest minimum wins), or NULL if none.
 * Borrowed from the policy.
 */
const char *sbx_policy_min_version(const struct sbx_policy *p,
	    const char *artifact_name);

/*
 * Is version acceptable for the artifact? True when no minimum applies;
 * otherwise version must be valid and not lower than the minimum (a
 * NULL or invalid version is refused). *min_out (if not NULL) gets the
 * minimum that applied, or NULL.
 */
bool	sbx_policy_allows_version(const struct sbx_policy *p,
	    const char *artifact_name, const char *version,
	    const char **min_out);

/*
 * The first forbidden pattern that the JVM option flag matches, or NULL.
 * Borrowed from the policy.
 */
const char *sbx_policy_forbidden_flag(const struct sbx_policy *p,
	    const char *flag);

/*
 * The first required pattern that none of the n options in flags
 * matches, or NULL when all are present. The caller passes the options
 * in effect (a later -XX:-X cancels an earlier -XX:+X; that is the
 * command-line parser's business, not the policy's).
 */
const char *sbx_policy_missing_flag(const struct sbx_policy *p,
	    const char *const *flags, size_t n);

/* Is the native agent at path (absolute) with this SHA-256 hex allowed? */
bool	sbx_policy_allows_native_agent(const struct sbx_policy *p,
	    const char *path, const char *sha256_hex);

/* May uid own an agent file or a folder above it? */
bool	sbx_policy_allows_owner(const struct sbx_policy *p, uid_t uid);

/* "enforce" or "audit". */
const char *sbx_mode_name(enum sbx_mode mode);

/*
 * Parse a duration: a positive decimal number and one unit, s, m, h or
 * d ("45s", "90m", "12h", "30d"), at most 36500 days. SBX_OK with the
 * seconds in *out, or SBX_ECONFIG.
 */
int	sbx_duration_parse(int64_t *out, const char *s, struct sbx_err *err);

/*
 * Versions: a release of dotted numbers, then an optional qualifier,
 * made of letters, digits and the separators . - _ + (no two separators
 * in a row, none at the end, at most 128 characters; the first
 * character is a digit). "2.3.0", "1.0-rc1", "5.4.2.RELEASE", "21.0.1+12".
 */
bool	sbx_version_valid(const char *v);

/*
 * Compare two valid versions: < 0, 0 or > 0 as a is lower, equal or
 * higher. Release numbers compare numerically, missing ones count as 0
 * ("1.2" == "1.2.0"). Then the qualifier, split into words and numbers
 * ("rc12" is "rc", 12), ranks by its first part, case-insensitively:
 * alpha or a < beta or b < milestone or m < rc or cr < snapshot < no
 * qualifier == ga == final == release < a number < sp < any other
 * word. Within a rank the parts after a known word (or all parts, for
 * a number or another word) compare one by one: a missing part lowest,
 * then words (case-insensitively), then numbers (numerically):
 * "1.0-rc" < "1.0-rc1" < "1.0-rc2" < "1.0" < "1.0-1" < "1.0-sp1".
 * Invalid versions sort below valid ones and among themselves by strcmp.
 */
int	sbx_version_cmp(const char *a, const char *b);

/*
 * Append the dotted path of every field the parser knows, one a line,
 * in table order ("provenance", "provenance.max_age", "signers[].keys"):
 * for the test that keeps policy/schema.json in step with the parser.
 */
int	sbx_policy_field_paths(struct sbx_buf *out, struct sbx_err *err);

#endif

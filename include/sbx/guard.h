/* include/sbx/guard.h: the JVM start-up check of sbx-guard and libsbxguard. */
#ifndef SBX_GUARD_H
#define SBX_GUARD_H

/*
 * A guard's refusal ends the process with this status (sbx-guard and
 * libsbxguard.so alike): a shell's "found but may not run".
 */
#define SBX_GUARD_REFUSED_STATUS	126

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sbx/err.h>
#include <sbx/jvmargs.h>

/*
 * One check of one JVM start (docs/guard.md): every agent and boot
 * class path JAR the command gives the JVM (sbx_jvmargs_parse()) is
 * verified as sbx-verify would, and so is every JAR an agent pulls in
 * through its manifest's Boot-Class-Path or Class-Path; native agents
 * must be on the policy's list (path and SHA-256) or carry a valid
 * provenance; options in effect are matched against the policy's
 * forbidden and required patterns; every file and every folder above it
 * must pass the policy's ownership and mode rules. Verdicts of files
 * that did not change are kept in a cache (below), so an unchanged
 * agent costs a few stat() calls and a small read.
 *
 * In enforce mode any violation, and any error, refuses the start; in
 * audit mode the JVM starts and the violations are still reported.
 * Each check makes one audit event and updates the metrics.
 */

enum sbx_guard_verdict {
	SBX_GUARD_ACCEPTED = 0,
	SBX_GUARD_REFUSED,		/* enforce: the JVM must not start */
	SBX_GUARD_AUDITED		/* audit mode: violations, JVM starts */
};

/* Strings are borrowed and must outlive the guard. */
struct sbx_guard_conf {
	const char	*policy;	/* the policy file, or NULL ... */
	const char	*keyring;	/* ... and the default policy on this */
	const char	*tenant;	/* overrides the policy's, or NULL */
	const char	*tool;		/* metrics label: "guard" or "agent" */
	const char	*progname;	/* audit "tool" field: "sbx-guard" */
	const char	*cache_dir;	/* NULL: .sbx-guard-cache beside the
					   keyring */
	const char	*java_home;	/* the JDK of the JVM, for -agentlib:
					   names; NULL: from argv[0] */
	const char	*self;		/* the guard library, which may be
					   named as -agentpath without being
					   listed in the policy; or NULL */
	bool		 handover;	/* keep checked files open so that
					   sbx_guard_exec_args() can pass
					   their descriptors on */
	bool		 must_see_self;	/* the command must load conf->self:
					   a guard inside the JVM that does
					   not find itself is not reading
					   this JVM's command */
};

/* One violation, in the order found. */
struct sbx_guard_finding {
	enum sbx_violation type;
	char		 subject[512];	/* the file or the option */
	char		 reason[256];	/* one line */
	const char	*rule;		/* the policy pattern, or NULL */
};

struct sbx_guard;			/* opaque */

/*
 * Load the policy (or make the default one over conf->keyring) and get
 * ready. SBX_ECONFIG or SBX_EIO, naming the file, when the policy
 * cannot be loaded; the caller must then refuse the start.
 */
int	sbx_guard_new(struct sbx_guard **out, const struct sbx_guard_conf *conf,
	    struct sbx_err *err);

/*
 * Check the command in. Returns SBX_OK when the JVM may start
 * (accepted, or audited in audit mode) and SBX_EREJECT when it must
 * not; err then holds the first violation as "SUBJECT: TYPE: REASON".
 * Errors while checking (unreadable files, a broken keyring) are
 * findings of type internal_error, so they refuse in enforce mode.
 */
int	sbx_guard_check(struct sbx_guard *g, const struct sbx_jvm_input *in,
	    struct sbx_err *err);

enum sbx_guard_verdict sbx_guard_verdict(const struct sbx_guard *g);

/*
 * After an accepted or audited check: do the paths still name the
 * files that were checked (device, inode, size, mtime, ctime)? For a
 * guard that cannot hand the JVM descriptors (libsbxguard.so), run
 * just before the JVM opens the files. A change is a finding of type
 * unsafe_path, and the verdict is then taken again: SBX_EREJECT with
 * err as sbx_guard_check() in enforce mode, SBX_OK otherwise.
 */
int	sbx_guard_recheck(struct sbx_guard *g, struct sbx_err *err);

/*
 * Does the policy record anything (an audit file, a textfile or a
 * Pushgateway for the metrics)? When it does not, a start loads none of
 * what writes events.
 */
bool	sbx_guard_records(const struct sbx_guard *g);

/*
 * Can the event of an accepted start be written to the policy's audit
 * file (when it logs passing checks)? The file opens for appending, or
 * its folder is there and writable. The event is
 * written after the JVM starts; this catches a log that never could be.
 * SBX_OK, or SBX_EIO naming the file and why.
 */
int	sbx_guard_can_record(const struct sbx_guard *g, struct sbx_err *err);

/* Is the policy in audit mode (violations let through)? */
bool	sbx_guard_audit_mode(const struct sbx_guard *g);
size_t	sbx_guard_nfindings(const struct sbx_guard *g);
const struct sbx_guard_finding *sbx_guard_finding(const struct sbx_guard *g,
	    size_t i);

/* The parsed command (borrowed; NULL before a check or when unparsable). */
const struct sbx_jvmargs *sbx_guard_args(const struct sbx_guard *g);

/* Verdicts taken from the cache, and files verified, in the last check. */
void	sbx_guard_counts(const struct sbx_guard *g, size_t *hits,
	    size_t *verified);

/* Seconds the last check took. */
double	sbx_guard_seconds(const struct sbx_guard *g);

/*
 * Write the check's audit event (to the policy's audit file and sinks)
 * and its metrics (the policy's textfile folder and Pushgateway).
 * argv (argc entries, may be NULL) is the JVM command for the event;
 * NULL: the process's own. SBX_EIO when the audit log could not be
 * written; in enforce mode the caller refuses the start then, since a
 * check that leaves no trace is not allowed to pass.
 */
int	sbx_guard_report(struct sbx_guard *g, int argc, char *const *argv,
	    struct sbx_err *err);

/*
 * A violation that a sandbox inside the JVM reports (the Java API of
 * libsbxguard.so): one audit event of kind sbx.violation, operation
 * "sandbox", and sbx_violations_total{type,tenant}. Returns as
 * sbx_guard_report(). Not thread-safe: callers serialize.
 */
int	sbx_guard_report_violation(struct sbx_guard *g, enum sbx_violation type,
	    const char *detail, struct sbx_err *err);

/* sbx_agent_premain_seconds: the time the JVM spent starting agents. */
int	sbx_guard_report_premain(struct sbx_guard *g, double seconds,
	    struct sbx_err *err);

/*
 * For sbx-guard after an accepted or audited check made with
 * conf->handover: the argv and environment that make the JVM load
 * exactly the files checked. Each checked agent, boot class path JAR
 * and native agent is named as /proc/self/fd/N of a descriptor left
 * open across exec (a JAR whose manifest has a Class-Path keeps its
 * path: the JVM resolves that attribute against the JAR's folder);
 * @argfiles are expanded in place; -XX:VMOptionsFile= and -XX:Flags=
 * files become memfd copies of what was checked; JDK_JAVA_OPTIONS,
 * JAVA_TOOL_OPTIONS and _JAVA_OPTIONS are rewritten to match. envp is
 * the environment to start from (NULL: the process's). The arrays and
 * their strings are the caller's (free each, then the array).
 */
int	sbx_guard_exec_args(char ***argv_out, char ***envp_out,
	    struct sbx_guard *g, char *const *envp, struct sbx_err *err);

/* "accepted", "refused", "audited". */
const char *sbx_guard_verdict_name(enum sbx_guard_verdict v);

void	sbx_guard_free(struct sbx_guard *g);	/* NULL is fine */

#endif

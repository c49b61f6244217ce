/* include/sbx/metrics.h: Prometheus metrics of checks, signing and audit. */
#ifndef SBX_METRICS_H
#define SBX_METRICS_H

#include <stdbool.h>
#include <time.h>

#include <sbx/audit.h>
#include <sbx/buf.h>
#include <sbx/err.h>

/*
 * One struct sbx_metrics collects what a run records; nothing is global,
 * so every JVM thread, tool or test may keep its own. A struct is also
 * safe to share between threads: each call takes its own mutex.
 *
 * Recording never does I/O. sbx_metrics_flush() hands the values to a
 * node_exporter textfile folder, a Pushgateway, or both; docs/metrics.md
 * lists every metric, its labels and what the two outputs promise.
 *
 * Label values (tool, tenant, sink, key id, key name) must be valid
 * UTF-8 of at most SBX_METRICS_LABEL_MAX bytes; anything else is refused
 * with SBX_ECONFIG and nothing is recorded.
 */
struct sbx_metrics;

#define SBX_METRICS_LABEL_MAX	128
#define SBX_METRICS_BUDGET_MS	50	/* default push time budget */

/* The result label of sbx_checks_total. */
enum sbx_check_result {
	SBX_CHECK_ACCEPTED,		/* "accepted" */
	SBX_CHECK_REJECTED,		/* "rejected": refused (enforce) */
	SBX_CHECK_AUDITED		/* "audited": violation let through */
};

/*
 * Where sbx_metrics_flush() sends the values; the policy's "metrics"
 * section fills it. NULL textfile_dir or pushgateway means "not there".
 *   textfile_dir  node_exporter textfile folder (must exist); sbx keeps
 *                 .sbx-metrics.state and two lock files beside sbx.prom
 *   pushgateway   base URL, such as "http://127.0.0.1:9091"
 *   job, instance grouping key; NULL job is "sbx", NULL instance is
 *                 the host name
 *   budget_ms     most time the Pushgateway may cost a flush; <= 0
 *                 means SBX_METRICS_BUDGET_MS
 */
struct sbx_metrics_conf {
	const char	*textfile_dir;
	const char	*pushgateway;
	const char	*job;
	const char	*instance;
	int		 budget_ms;
};

/*
 * A new, empty collection holding only sbx_build_info{version} 1. The
 * caller frees it with sbx_metrics_free(). Returns SBX_OK or
 * SBX_ENOMEM / SBX_EINTERNAL (mutex).
 */
int	sbx_metrics_new(struct sbx_metrics **out, struct sbx_err *err);
void	sbx_metrics_free(struct sbx_metrics *m);	/* NULL is fine */

/*
 * One check by tool ("verify", "guard", "agent") for tenant, which took
 * seconds: sbx_checks_total{tool,result,tenant} += 1 and one observation
 * of sbx_check_duration_seconds{tool,tenant}. The other results of this
 * tool and tenant, and every violation type of the tenant, appear at 0,
 * so that rate() and increase() see their first rise.
 */
int	sbx_metrics_check(struct sbx_metrics *m, const char *tool,
	    enum sbx_check_result result, const char *tenant, double seconds,
	    struct sbx_err *err);

/*
 * sbx_violations_total{type,tenant} += 1, type named by
 * sbx_violation_name(). SBX_V_NONE or an unknown value is refused with
 * SBX_EINTERNAL.
 */
int	sbx_metrics_violation(struct sbx_metrics *m, enum sbx_violation type,
	    const char *tenant, struct sbx_err *err);

/*
 * One observation of sbx_agent_premain_seconds{tenant}: the time a JVM
 * spent starting its Java agents (libsbxguard.so measures it).
 */
int	sbx_metrics_premain(struct sbx_metrics *m, const char *tenant,
	    double seconds, struct sbx_err *err);

/*
 * One signing operation: sbx_sign_total{result="signed"|"failed"} += 1
 * and one observation of sbx_sign_duration_seconds.
 */
int	sbx_metrics_sign(struct sbx_metrics *m, bool signed_ok,
	    double seconds, struct sbx_err *err);

/* sbx_key_expiry_timestamp_seconds{key_id,name} = not_after (a gauge). */
int	sbx_metrics_key_expiry(struct sbx_metrics *m, const char *key_id,
	    const char *name, time_t not_after, struct sbx_err *err);

/*
 * sbx_audit_events_total{sink,outcome} += n; outcome is audit.h's enum
 * (label values "written", "sampled_out", "failed", "spooled",
 * "replayed"), sink a name such as sbx_audit_sink_name() gives. The
 * other outcomes of the sink appear at 0.
 */
int	sbx_metrics_audit(struct sbx_metrics *m, const char *sink,
	    enum sbx_audit_outcome outcome, unsigned long n,
	    struct sbx_err *err);

/*
 * Append m's values that are not yet flushed to a textfile state, in
 * the Prometheus text exposition format (HELP and TYPE for each family
 * with samples, series sorted, no timestamps, last line ends in "\n").
 */
int	sbx_metrics_render(struct sbx_buf *out, struct sbx_metrics *m,
	    struct sbx_err *err);

/*
 * Send m's values where conf says.
 *
 * Textfile: under an exclusive lock, add m's counts to the folder's
 * state, then replace the state and sbx.prom atomically, so that
 * counters add up exactly across any number of processes, concurrent
 * ones too. m is then emptied (so flushing again never counts twice).
 * A state file that cannot be read back as sbx wrote it is moved aside
 * to .sbx-metrics.state.corrupt, the counters restart from this run's
 * values (Prometheus sees a counter reset), sbx_metrics_state_resets_total
 * counts it, and SBX_EIO is returned after the textfile was written.
 *
 * Pushgateway: PUT to URL/metrics/job/JOB/instance/INSTANCE. With a
 * textfile folder the cumulative state is pushed (the same numbers as
 * sbx.prom); without one, m's own values. The whole push, including
 * waiting for a concurrent pusher, ends within budget_ms; a failure is
 * counted in sbx_metrics_push_failures_total{target} and returned as
 * SBX_EIO, which the caller may ignore.
 *
 * Returns SBX_OK, SBX_EIO, SBX_ENOMEM or SBX_EINTERNAL; when both
 * outputs fail, err describes the textfile failure.
 */
int	sbx_metrics_flush(struct sbx_metrics *m,
	    const struct sbx_metrics_conf *conf, struct sbx_err *err);

/* The label value of a check result ("accepted"); "unknown" if none. */
const char *sbx_check_result_name(enum sbx_check_result r);

#endif

/* include/sbx/report.h: one check or signing, to the audit log and metrics. */
#ifndef SBX_REPORT_H
#define SBX_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <sbx/audit.h>
#include <sbx/err.h>
#include <sbx/metrics.h>
#include <sbx/policy.h>

/* What a tool knows about one check (or signing) it made. */
struct sbx_report {
	const char		*tool;		/* "sbx-verify" */
	const char		*operation;	/* "verify", "sign" */
	/* The kind of an event without violation, and the check's result. */
	enum sbx_audit_kind	 kind;
	enum sbx_check_result	 result;	/* accepted, rejected, ... */
	enum sbx_violation	 violation;	/* SBX_V_NONE when accepted */
	const char		*detail;	/* the reason, one line */
	const char		*artifact;	/* path */
	const char		*sha256;	/* of the artifact, or NULL */
	int64_t			 size;		/* < 0: unknown */
	const char		*key_id;	/* signer, or NULL */
	const char		*signer;
	const char		*subject;
	double			 seconds;	/* how long the check took */
};

/*
 * Write the audit event and update the metrics that the policy asks
 * for (neither, for the default policy of a bare --keyring). Violations
 * become sbx.violation events whatever r->kind says. The audit file
 * comes first and its failure is returned: a check that cannot be
 * logged must not pass unnoticed. Metrics are best effort, within the
 * policy's time budget; a failure there is counted, not returned.
 */
int	sbx_report(const struct sbx_policy *p, const struct sbx_report *r,
	    struct sbx_err *err);

/*
 * Write one audit event where the policy says (nothing when it names no
 * audit file), with the policy's path and digest filled in, and count
 * what each sink did in m (which may be NULL). The writer's code.
 */
int	sbx_report_emit(const struct sbx_policy *p, struct sbx_audit_event *ev,
	    struct sbx_metrics *m, struct sbx_err *err);

/* Where the policy's "metrics" section says metrics go. */
void	sbx_report_metrics_conf(struct sbx_metrics_conf *out,
	    const struct sbx_policy *p);

/* Seconds on the monotonic clock, for measuring a check. */
double	sbx_report_clock(void);

#endif

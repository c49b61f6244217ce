/* lib/report.c: one check or signing, to the audit log and metrics. */
/* SPDX-License-Identifier: ISC */
#include <string.h>
#include <time.h>

#include <sbx/report.h>

static enum sbx_audit_decision
decision_of(enum sbx_check_result r)
{
	switch (r) {
	case SBX_CHECK_ACCEPTED:
		return SBX_AUDIT_ACCEPTED;
	case SBX_CHECK_AUDITED:
		return SBX_AUDIT_AUDITED;
	default:
		return SBX_AUDIT_REFUSED;
	}
}

static void
fill_event(struct sbx_audit_event *ev, const struct sbx_policy *p,
    const struct sbx_report *r)
{
	sbx_audit_event_init(ev, r->violation != SBX_V_NONE ?
	    SBX_AUDIT_VIOLATION : r->kind, r->tool);
	ev->tenant = p->tenant;
	ev->operation = r->operation;
	ev->artifact.path = r->artifact;
	ev->artifact.sha256 = r->sha256 != NULL && r->sha256[0] != '\0' ?
	    r->sha256 : NULL;
	ev->artifact.size = r->size;
	ev->signer.key_id = r->key_id != NULL && r->key_id[0] != '\0' ?
	    r->key_id : NULL;
	ev->signer.name = r->signer != NULL && r->signer[0] != '\0' ?
	    r->signer : NULL;
	ev->signer.subject = r->subject != NULL && r->subject[0] != '\0' ?
	    r->subject : NULL;
	ev->violation.type = r->violation;
	ev->violation.detail = r->violation != SBX_V_NONE ? r->detail : NULL;
	ev->decision = decision_of(r->result);
}

int
sbx_report_emit(const struct sbx_policy *p, struct sbx_audit_event *ev,
    struct sbx_metrics *m, struct sbx_err *err)
{
	struct sbx_audit_conf conf;
	struct sbx_audit_result res;
	char digest[65];
	int rc, s, o;

	if (p->audit.file == NULL || p->path == NULL)
		return SBX_OK;
	/* Digested here, never on a guarded start that writes nothing. */
	if ((rc = sbx_policy_sha256(digest, p, err)) != SBX_OK)
		return rc;
	if ((rc = sbx_audit_conf_load(&conf, p->path, err)) != SBX_OK)
		return rc;
	ev->policy.path = p->path;
	ev->policy.sha256 = digest[0] != '\0' ? digest : NULL;

	memset(&res, 0, sizeof(res));
	rc = sbx_audit_emit(&res, &conf, ev, err);
	for (s = 0; m != NULL && s < SBX_SINK_COUNT; s++)
		for (o = 0; o < SBX_AUDIT_OUTCOME_COUNT; o++)
			if (res.counts[s][o] > 0)
				(void)sbx_metrics_audit(m,
				    sbx_audit_sink_name(s), o,
				    res.counts[s][o], NULL);
	sbx_audit_conf_release(&conf);
	return rc;
}

static void
write_metrics(const struct sbx_policy *p, const struct sbx_report *r,
    struct sbx_metrics *m)
{
	struct sbx_metrics_conf conf;
	bool ok;

	sbx_report_metrics_conf(&conf, p);
	if (conf.textfile_dir == NULL && conf.pushgateway == NULL)
		return;
	if (strcmp(r->operation, "sign") == 0) {
		ok = r->result == SBX_CHECK_ACCEPTED;
		(void)sbx_metrics_sign(m, ok, r->seconds, NULL);
	} else {
		(void)sbx_metrics_check(m, r->tool, r->result, p->tenant,
		    r->seconds, NULL);
		if (r->violation != SBX_V_NONE)
			(void)sbx_metrics_violation(m, r->violation,
			    p->tenant, NULL);
	}
	(void)sbx_metrics_flush(m, &conf, NULL);
}

int
sbx_report(const struct sbx_policy *p, const struct sbx_report *r,
    struct sbx_err *err)
{
	struct sbx_audit_event ev;
	struct sbx_metrics *m = NULL;
	int rc;

	if (sbx_metrics_new(&m, NULL) != SBX_OK)
		m = NULL;
	fill_event(&ev, p, r);
	rc = sbx_report_emit(p, &ev, m, err);
	if (m != NULL)
		write_metrics(p, r, m);
	sbx_metrics_free(m);
	return rc;
}

void
sbx_report_metrics_conf(struct sbx_metrics_conf *out,
    const struct sbx_policy *p)
{
	memset(out, 0, sizeof(*out));
	out->textfile_dir = p->metrics.textfile_dir;
	out->pushgateway = p->metrics.pushgateway;
	out->job = p->metrics.job;
	out->instance = p->metrics.instance;
	out->budget_ms = p->metrics.budget_ms;
}

double
sbx_report_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

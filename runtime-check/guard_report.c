/* runtime-check/guard_report.c: the audit event and the metrics of a check. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sbx/audit.h>
#include <sbx/err.h>
#include <sbx/guard.h>
#include <sbx/metrics.h>
#include <sbx/policy.h>
#include <sbx/report.h>

#include "guard_int.h"

#define DETAIL_MAX	1024

/*
 * The file the event is about: the one the first finding names, else
 * the first agent (the first file at all for a command without one).
 */
static const struct gfile *
event_file(const struct sbx_guard *g)
{
	size_t i;

	if (g->nf > 0) {
		for (i = 0; i < g->nfiles; i++)
			if (strcmp(g->files[i]->path, g->f[0].subject) == 0)
				return g->files[i];
		return NULL;
	}
	for (i = 0; i < g->nfiles; i++)
		if (g->files[i]->role == ROLE_AGENT)
			return g->files[i];
	return g->nfiles > 0 ? g->files[0] : NULL;
}

/*
 * The first finding's reason (after its subject when that is not the
 * event's artifact: an option), then the others in short.
 */
static void
detail(char *out, size_t n, const struct sbx_guard *g, bool named)
{
	size_t i, len;

	if (named)
		snprintf(out, n, "%s", g->f[0].reason);
	else
		snprintf(out, n, "%s: %s", g->f[0].subject, g->f[0].reason);
	for (i = 1; i < g->nf && (len = strlen(out)) + 1 < n; i++)
		snprintf(out + len, n - len, "%s %s: %s (%s)", i == 1 ?
		    "; also" : ";", g->f[i].subject,
		    sbx_violation_name(g->f[i].type), g->f[i].reason);
}

static void
fill_event(struct sbx_audit_event *ev, const struct sbx_guard *g,
    int argc, char *const *argv, char *buf, size_t n)
{
	const struct gfile *f = event_file(g);

	sbx_audit_event_init(ev, g->verdict == SBX_GUARD_ACCEPTED ?
	    SBX_AUDIT_CHECK : SBX_AUDIT_VIOLATION, g->conf.progname);
	ev->tenant = g->tenant;
	ev->operation = "guard";
	ev->artifact.size = -1;
	if (f != NULL) {
		ev->artifact.path = f->path;
		ev->artifact.sha256 = f->sha256[0] ? f->sha256 : NULL;
		ev->artifact.size = f->fd != -1 || f->checked ?
		    (int64_t)f->st.st_size : -1;
		ev->signer.key_id = f->key_id[0] ? f->key_id : NULL;
		ev->signer.name = f->signer[0] ? f->signer : NULL;
		ev->signer.subject = f->subject[0] ? f->subject : NULL;
	}
	if (g->nf > 0) {
		detail(buf, n, g, f != NULL);
		ev->violation.type = g->f[0].type;
		ev->violation.detail = buf;
		ev->policy.rule = g->f[0].rule;
	}
	ev->decision = g->verdict == SBX_GUARD_ACCEPTED ? SBX_AUDIT_ACCEPTED :
	    g->verdict == SBX_GUARD_AUDITED ? SBX_AUDIT_AUDITED :
	    SBX_AUDIT_REFUSED;
	if (argv != NULL) {
		ev->process.pid = getpid();
		ev->process.uid = getuid();
		ev->process.executable = g->java_exe[0] ? g->java_exe : NULL;
		ev->process.argc = argc;
		ev->process.argv = argv;
	}
}

static int
write_audit(struct sbx_guard *g, struct sbx_metrics *m, int argc,
    char *const *argv, struct sbx_err *err)
{
	struct sbx_audit_event ev;
	char buf[DETAIL_MAX];

	fill_event(&ev, g, argc, argv, buf, sizeof(buf));
	return sbx_report_emit(g->policy, &ev, m, err);
}

static bool
has_metrics(const struct sbx_guard *g)
{
	return g->policy->metrics.textfile_dir != NULL ||
	    g->policy->metrics.pushgateway != NULL;
}

static int
write_metrics(struct sbx_guard *g, struct sbx_metrics *m,
    struct sbx_err *err)
{
	struct sbx_metrics_conf conf;
	enum sbx_check_result r = g->verdict == SBX_GUARD_ACCEPTED ?
	    SBX_CHECK_ACCEPTED : g->verdict == SBX_GUARD_AUDITED ?
	    SBX_CHECK_AUDITED : SBX_CHECK_REJECTED;
	size_t i;
	int rc;

	if (!has_metrics(g))
		return SBX_OK;
	sbx_report_metrics_conf(&conf, g->policy);
	if ((rc = sbx_metrics_check(m, g->conf.tool, r, g->tenant, g->seconds,
	    err)) != SBX_OK)
		return rc;
	for (i = 0; i < g->nf; i++)
		if ((rc = sbx_metrics_violation(m, g->f[i].type, g->tenant,
		    err)) != SBX_OK)
			return rc;
	return sbx_metrics_flush(m, &conf, err);
}

/*
 * The audit event first: its failure is what the caller acts on. The
 * metrics are best effort (a Pushgateway that is down must not stop a
 * JVM), but their time counts in the check's budget all the same.
 */
int
sbx_guard_report(struct sbx_guard *g, int argc, char *const *argv,
    struct sbx_err *err)
{
	struct sbx_metrics *m = NULL;
	struct sbx_err merr = { 0 };
	int rc;

	if (sbx_metrics_new(&m, &merr) != SBX_OK)
		m = NULL;
	rc = write_audit(g, m, argc, argv, err);
	if (m != NULL)
		(void)write_metrics(g, m, &merr);
	sbx_metrics_free(m);
	return rc;
}

/* One sandbox report: its own event and count. */
static int
emit_violation(struct sbx_guard *g, struct sbx_metrics *m,
    enum sbx_violation type, const char *detail, struct sbx_err *err)
{
	struct sbx_audit_event ev;
	int rc;

	sbx_audit_event_init(&ev, SBX_AUDIT_VIOLATION, g->conf.progname);
	ev.tenant = g->tenant;
	ev.operation = "sandbox";
	ev.artifact.size = -1;
	ev.violation.type = type;
	ev.violation.detail = detail;
	rc = sbx_report_emit(g->policy, &ev, m, err);
	if (m != NULL)
		(void)sbx_metrics_violation(m, type, g->tenant, NULL);
	return rc;
}

int
sbx_guard_report_violation(struct sbx_guard *g, enum sbx_violation type,
    const char *detail, struct sbx_err *err)
{
	struct sbx_metrics_conf conf;
	struct sbx_metrics *m = NULL;
	int rc;

	if (type <= SBX_V_NONE || type >= SBX_V_COUNT)
		return sbx_err_set(err, SBX_ECONFIG, "unknown violation type");
	if (has_metrics(g) && sbx_metrics_new(&m, NULL) != SBX_OK)
		m = NULL;
	rc = emit_violation(g, m, type, detail, err);
	if (m != NULL) {
		sbx_report_metrics_conf(&conf, g->policy);
		(void)sbx_metrics_flush(m, &conf, NULL);
	}
	sbx_metrics_free(m);
	return rc;
}

int
sbx_guard_report_premain(struct sbx_guard *g, double seconds,
    struct sbx_err *err)
{
	struct sbx_metrics_conf conf;
	struct sbx_metrics *m = NULL;
	int rc;

	if (!has_metrics(g))
		return SBX_OK;
	if ((rc = sbx_metrics_new(&m, err)) != SBX_OK)
		return rc;
	sbx_report_metrics_conf(&conf, g->policy);
	if ((rc = sbx_metrics_premain(m, g->tenant, seconds, err)) == SBX_OK)
		rc = sbx_metrics_flush(m, &conf, err);
	sbx_metrics_free(m);
	return rc;
}

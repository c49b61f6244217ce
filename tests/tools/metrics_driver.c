/* tests/tools/metrics_driver.c: record a scripted run with libsbx metrics. */
/* SPDX-License-Identifier: ISC */
/*
 * Stands in for a tool run in tests/e2e/60-metrics.sh: each EVENT is
 * recorded through include/sbx/metrics.h, then the run is flushed.
 *
 *   metrics_driver [-p] [-d DIR] [-g URL] [-j JOB] [-i INSTANCE]
 *       [-b BUDGET_MS] EVENT...
 *
 *   check:TOOL:accepted|rejected|audited:TENANT:SECONDS
 *   violation:TYPE:TENANT          (TYPE as sbx_violation_name())
 *   sign:signed|failed:SECONDS
 *   key:KEY_ID:NAME:NOT_AFTER      (Unix time)
 *   audit:SINK:OUTCOME:N           (OUTCOME as sbx_audit_outcome_name())
 *
 * -p prints this run's exposition on stdout before flushing. The exit
 * status is sbx_exit_status() of the first failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sbx/metrics.h>

#define MAXF	6

static const char *progname = "metrics_driver";

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-p] [-d dir] [-g url] [-j job] "
	    "[-i instance] [-b budget_ms] event...\n", progname);
	exit(2);
}

/* Split s at ':' into at most MAXF fields; returns their number. */
static int
split(char **f, char *s)
{
	int n = 0;

	while (n < MAXF) {
		f[n++] = s;
		if ((s = strchr(s, ':')) == NULL)
			break;
		*s++ = '\0';
	}
	return n;
}

static double
number(const char *s)
{
	char *end;
	double d = strtod(s, &end);

	if (*s == '\0' || *end != '\0') {
		fprintf(stderr, "%s: %s: not a number\n", progname, s);
		exit(2);
	}
	return d;
}

static int
by_name(const char *s, const char *(*name)(int), int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(name(i), s) == 0)
			return i;
	fprintf(stderr, "%s: %s: unknown name\n", progname, s);
	exit(2);
}

static const char *
result_name(int i)
{
	return sbx_check_result_name((enum sbx_check_result)i);
}

static const char *
outcome_name(int i)
{
	const char *s = sbx_audit_outcome_name((enum sbx_audit_outcome)i);

	return s != NULL ? s : "";
}

static const char *
violation_name(int i)
{
	return i == SBX_V_NONE ? "" : sbx_violation_name((enum sbx_violation)i);
}

static int
record(struct sbx_metrics *m, char *event, struct sbx_err *err)
{
	char *f[MAXF];
	int n = split(f, event);

	if (strcmp(f[0], "check") == 0 && n == 5)
		return sbx_metrics_check(m, f[1], (enum sbx_check_result)
		    by_name(f[2], result_name, SBX_CHECK_AUDITED + 1), f[3],
		    number(f[4]), err);
	if (strcmp(f[0], "violation") == 0 && n == 3)
		return sbx_metrics_violation(m, (enum sbx_violation)
		    by_name(f[1], violation_name, SBX_V_COUNT), f[2], err);
	if (strcmp(f[0], "sign") == 0 && n == 3)
		return sbx_metrics_sign(m, strcmp(f[1], "signed") == 0,
		    number(f[2]), err);
	if (strcmp(f[0], "key") == 0 && n == 4)
		return sbx_metrics_key_expiry(m, f[1], f[2],
		    (time_t)number(f[3]), err);
	if (strcmp(f[0], "audit") == 0 && n == 4)
		return sbx_metrics_audit(m, f[1], (enum sbx_audit_outcome)
		    by_name(f[2], outcome_name, SBX_AUDIT_OUTCOME_COUNT),
		    (unsigned long)number(f[3]), err);
	fprintf(stderr, "%s: %s: unknown event\n", progname, f[0]);
	exit(2);
}

int
main(int argc, char **argv)
{
	struct sbx_metrics_conf conf = { 0 };
	struct sbx_metrics *m = NULL;
	struct sbx_err err = { 0 };
	struct sbx_buf text = { 0 };
	int c, rc, print = 0;

	while ((c = getopt(argc, argv, "b:d:g:i:j:p")) != -1) {
		switch (c) {
		case 'b':
			conf.budget_ms = atoi(optarg);
			break;
		case 'd':
			conf.textfile_dir = optarg;
			break;
		case 'g':
			conf.pushgateway = optarg;
			break;
		case 'i':
			conf.instance = optarg;
			break;
		case 'j':
			conf.job = optarg;
			break;
		case 'p':
			print = 1;
			break;
		default:
			usage();
		}
	}
	if ((rc = sbx_metrics_new(&m, &err)) != SBX_OK)
		goto done;
	for (c = optind; c < argc; c++)
		if ((rc = record(m, argv[c], &err)) != SBX_OK)
			goto done;
	if (print) {
		if ((rc = sbx_metrics_render(&text, m, &err)) != SBX_OK)
			goto done;
		fwrite(text.p, 1, text.len, stdout);
	}
	rc = sbx_metrics_flush(m, &conf, &err);
done:
	if (rc != SBX_OK)
		fprintf(stderr, "%s: %s\n", progname, err.msg);
	sbx_buf_free(&text);
	sbx_metrics_free(m);
	return sbx_exit_status(rc);
}

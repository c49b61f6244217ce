/* tests/unit/check_metrics.c: exposition, textfile state, push budget. */
/* SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include <sbx/file.h>
#include <sbx/metrics.h>

static char dir[PATH_MAX];

static void
make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_metrics.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
remove_dir(void)
{
	char path[PATH_MAX + 300];
	struct dirent *e;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* The whole of a file in dir as a C string; the caller frees it. */
static char *
slurp(const char *name)
{
	char path[PATH_MAX + 64];
	struct sbx_buf b = { 0 };
	struct sbx_err err = { 0 };

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(sbx_file_read(&b, path, 1 << 24, &err), SBX_OK);
	ck_assert_int_eq(sbx_buf_terminate(&b, &err), SBX_OK);
	return (char *)b.p;
}

static void
spill(const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	struct sbx_err err = { 0 };

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(sbx_file_write_atomic(path, text, strlen(text), 0644,
	    &err), SBX_OK);
}

static bool
exists(const char *name)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* True when text holds line as a whole line. */
static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
		p++;
	}
	return false;
}

static char *
render(struct sbx_metrics *m)
{
	struct sbx_buf b = { 0 };
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_metrics_render(&b, m, &err), SBX_OK);
	ck_assert_int_eq(sbx_buf_terminate(&b, &err), SBX_OK);
	return (char *)b.p;
}

static struct sbx_metrics *
fresh(void)
{
	struct sbx_metrics *m = NULL;
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_metrics_new(&m, &err), SBX_OK);
	return m;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

#define SIGN_BUCKETS(c1, c2) \
	"sbx_sign_duration_seconds_bucket{le=\"0.0001\"} " c1 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"0.00025\"} " c1 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"0.0005\"} " c1 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"0.001\"} " c1 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"0.0025\"} " c1 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"0.005\"} " c1 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"0.01\"} " c1 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"0.025\"} " c1 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"0.05\"} " c1 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"0.1\"} " c1 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"0.25\"} " c2 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"0.5\"} " c2 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"1\"} " c2 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"2.5\"} " c2 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"5\"} " c2 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"10\"} " c2 "\n" \
	"sbx_sign_duration_seconds_bucket{le=\"+Inf\"} " c2 "\n"

static const char expected_sign_key_audit[] =
    "# HELP sbx_build_info Version of sbx that last wrote these metrics "
    "(always 1).\n"
    "# TYPE sbx_build_info gauge\n"
    "sbx_build_info{version=\"" SBX_VERSION "\"} 1\n"
    "# HELP sbx_sign_total Signing operations by result (signed or "
    "failed).\n"
    "# TYPE sbx_sign_total counter\n"
    "sbx_sign_total{result=\"failed\"} 1\n"
    "sbx_sign_total{result=\"signed\"} 1\n"
    "# HELP sbx_sign_duration_seconds Time one signing operation took.\n"
    "# TYPE sbx_sign_duration_seconds histogram\n"
    SIGN_BUCKETS("1", "2")
    "sbx_sign_duration_seconds_sum 0.2001\n"
    "sbx_sign_duration_seconds_count 2\n"
    "# HELP sbx_key_expiry_timestamp_seconds End of the validity of a "
    "keyring key, in Unix time.\n"
    "# TYPE sbx_key_expiry_timestamp_seconds gauge\n"
    "sbx_key_expiry_timestamp_seconds{key_id=\"0123abcd\","
    "name=\"release-2025\"} 1767225600\n"
    "# HELP sbx_audit_events_total Audit events by sink and outcome.\n"
    "# TYPE sbx_audit_events_total counter\n"
    "sbx_audit_events_total{sink=\"file\",outcome=\"failed\"} 0\n"
    "sbx_audit_events_total{sink=\"file\",outcome=\"replayed\"} 0\n"
    "sbx_audit_events_total{sink=\"file\",outcome=\"sampled_out\"} 0\n"
    "sbx_audit_events_total{sink=\"file\",outcome=\"spooled\"} 0\n"
    "sbx_audit_events_total{sink=\"file\",outcome=\"written\"} 1\n"
    "sbx_audit_events_total{sink=\"loki\",outcome=\"failed\"} 0\n"
    "sbx_audit_events_total{sink=\"loki\",outcome=\"replayed\"} 0\n"
    "sbx_audit_events_total{sink=\"loki\",outcome=\"sampled_out\"} 0\n"
    "sbx_audit_events_total{sink=\"loki\",outcome=\"spooled\"} 3\n"
    "sbx_audit_events_total{sink=\"loki\",outcome=\"written\"} 0\n";

START_TEST(render_gives_exact_exposition_for_known_calls)
{
	struct sbx_metrics *m = fresh();
	struct sbx_err err = { 0 };
	char *text;

	ck_assert_int_eq(sbx_metrics_sign(m, true, 0.2, &err), SBX_OK);
	ck_assert_int_eq(sbx_metrics_sign(m, false, 0.0001, &err), SBX_OK);
	ck_assert_int_eq(sbx_metrics_key_expiry(m, "0123abcd",
	    "release-2025", 1767225600, &err), SBX_OK);
	ck_assert_int_eq(sbx_metrics_audit(m, "loki", SBX_AUDIT_SPOOLED, 3,
	    &err), SBX_OK);
	ck_assert_int_eq(sbx_metrics_audit(m, "file", SBX_AUDIT_WRITTEN, 1,
	    &err), SBX_OK);

	text = render(m);
	ck_assert_str_eq(text, expected_sign_key_audit);
	free(text);
	sbx_metrics_free(m);
}
END_TEST

START_TEST(check_creates_zero_series_for_first_rise)
{
	struct sbx_metrics *m = fresh();
	struct sbx_err err = { 0 };
	char *text;

	ck_assert_int_eq(sbx_metrics_check(m, "guard", SBX_CHECK_REJECTED,
	    "payments", 0.003, &err), SBX_OK);
	ck_assert_int_eq(sbx_metrics_violation(m, SBX_V_DIGEST_MISMATCH,
	    "payments", &err), SBX_OK);
	text = render(m);

	ck_assert(has_line(text, "sbx_checks_total{tool=\"guard\","
	    "result=\"rejected\",tenant=\"payments\"} 1"));
	ck_assert(has_line(text, "sbx_checks_total{tool=\"guard\","
	    "result=\"accepted\",tenant=\"payments\"} 0"));
	ck_assert(has_line(text, "sbx_checks_total{tool=\"guard\","
	    "result=\"audited\",tenant=\"payments\"} 0"));
	ck_assert(has_line(text, "sbx_violations_total{type="
	    "\"digest_mismatch\",tenant=\"payments\"} 1"));
	ck_assert(has_line(text, "sbx_violations_total{type=\"rollback\","
	    "tenant=\"payments\"} 0"));
	ck_assert(has_line(text, "sbx_violations_total{type=\"unsigned\","
	    "tenant=\"payments\"} 0"));
	ck_assert(has_line(text, "sbx_check_duration_seconds_count{tool="
	    "\"guard\",tenant=\"payments\"} 1"));
	ck_assert(has_line(text, "sbx_check_duration_seconds_sum{tool="
	    "\"guard\",tenant=\"payments\"} 0.003"));
	ck_assert(has_line(text, "# TYPE sbx_check_duration_seconds "
	    "histogram"));
	/* Every violation type but "none", one line each. */
	ck_assert_ptr_null(strstr(text, "type=\"none\""));
	free(text);
	sbx_metrics_free(m);
}
END_TEST

/* Upper bounds are inclusive: a value on a bound falls into it. */
static const struct {
	double		 seconds;
	const char	*first_le;	/* first bucket holding it */
	const char	*reason;
} placements[] = {
	{ 0, "0.0001", "zero goes into the smallest bucket" },
	{ 0.00005, "0.0001", "below the smallest bound" },
	{ 0.0001, "0.0001", "on the smallest bound" },
	{ 0.000100001, "0.00025", "just above a bound" },
	{ 0.001, "0.001", "one millisecond" },
	{ 0.049, "0.05", "a guard within the default budget" },
	{ 2.5, "2.5", "on a fractional bound" },
	{ 10, "10", "on the largest bound" },
	{ 10.001, "+Inf", "above every bound" },
	{ 3600, "+Inf", "an hour" },
};

START_TEST(histogram_places_each_duration_in_its_bucket)
{
	static const char *const les[] = { "0.0001", "0.00025", "0.0005",
	    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
	    "0.25", "0.5", "1", "2.5", "5", "10", "+Inf" };
	struct sbx_metrics *m = fresh();
	struct sbx_err err = { 0 };
	char line[256], *text;
	size_t i;
	int before = 1;

	ck_assert_int_eq(sbx_metrics_check(m, "verify", SBX_CHECK_ACCEPTED,
	    "t", placements[_i].seconds, &err), SBX_OK);
	text = render(m);
	for (i = 0; i < sizeof(les) / sizeof(les[0]); i++) {
		if (strcmp(les[i], placements[_i].first_le) == 0)
			before = 0;
		snprintf(line, sizeof(line), "sbx_check_duration_seconds_bucket"
		    "{tool=\"verify\",tenant=\"t\",le=\"%s\"} %d", les[i],
		    before ? 0 : 1);
		ck_assert_msg(has_line(text, line), "%s: missing %s",
		    placements[_i].reason, line);
	}
	free(text);
	sbx_metrics_free(m);
}
END_TEST

START_TEST(label_values_are_escaped)
{
	struct sbx_metrics *m = fresh();
	struct sbx_err err = { 0 };
	char *text;

	ck_assert_int_eq(sbx_metrics_audit(m, "a\"b\\c\nd", SBX_AUDIT_FAILED,
	    2, &err), SBX_OK);
	ck_assert_int_eq(sbx_metrics_check(m, "verify", SBX_CHECK_ACCEPTED,
	    "z\xc3\xbcrich", 0.01, &err), SBX_OK);
	text = render(m);
	ck_assert(has_line(text, "sbx_audit_events_total{sink="
	    "\"a\\\"b\\\\c\\nd\",outcome=\"failed\"} 2"));
	ck_assert(has_line(text, "sbx_checks_total{tool=\"verify\","
	    "result=\"accepted\",tenant=\"z\xc3\xbcrich\"} 1"));
	free(text);
	sbx_metrics_free(m);
}
END_TEST

/* Values the exposition cannot carry are refused, and nothing counted. */
static const struct {
	const char	*tenant;
	const char	*reason;
} bad_labels[] = {
	{ "\xff", "a byte that never starts UTF-8" },
	{ "a\xc3", "a sequence cut short" },
	{ "\xc0\xaf", "an overlong slash" },
	{ "\xed\xa0\x80", "a UTF-16 surrogate" },
	{ "\xf4\x90\x80\x80", "beyond U+10FFFF" },
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "x", "129 bytes" },
};

START_TEST(bad_label_values_are_refused)
{
	struct sbx_metrics *m = fresh();
	struct sbx_err err = { 0 };
	char *text;
	int rc;

	rc = sbx_metrics_check(m, "verify", SBX_CHECK_ACCEPTED,
	    bad_labels[_i].tenant, 0.01, &err);
	ck_assert_msg(rc == SBX_ECONFIG, "%s: got %d", bad_labels[_i].reason,
	    rc);
	ck_assert_str_eq(err.msg, "metrics: check: label value is not UTF-8 "
	    "of at most 128 bytes");
	text = render(m);
	ck_assert_ptr_null(strstr(text, "sbx_checks_total"));
	free(text);
	sbx_metrics_free(m);
}
END_TEST

START_TEST(bad_durations_and_types_are_refused)
{
	struct sbx_metrics *m = fresh();
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_metrics_check(m, "verify", SBX_CHECK_ACCEPTED,
	    "t", -0.5, &err), SBX_EINTERNAL);
	ck_assert_str_eq(err.msg, "metrics: duration -0.5 is not a time");
	ck_assert_int_eq(sbx_metrics_sign(m, true, NAN, &err), SBX_EINTERNAL);
	ck_assert_str_eq(err.msg, "metrics: duration nan is not a time");
	ck_assert_int_eq(sbx_metrics_violation(m, SBX_V_NONE, "t", &err),
	    SBX_EINTERNAL);
	ck_assert_str_eq(err.msg, "metrics: violation type 0 is unknown");
	ck_assert_int_eq(sbx_metrics_violation(m, SBX_V_COUNT, "t", &err),
	    SBX_EINTERNAL);
	ck_assert_int_eq(sbx_metrics_audit(m, "file",
	    SBX_AUDIT_OUTCOME_COUNT, 1, &err), SBX_EINTERNAL);
	ck_assert_str_eq(err.msg, "metrics: audit outcome 5 is unknown");
	ck_assert_int_eq(sbx_metrics_check(m, "verify",
	    (enum sbx_check_result)3, "t", 0.1, &err), SBX_EINTERNAL);
	ck_assert_str_eq(err.msg, "metrics: check result 3 is unknown");
	sbx_metrics_free(m);
}
END_TEST

static int
flush_dir(struct sbx_metrics *m, struct sbx_err *err)
{
	struct sbx_metrics_conf conf = { .textfile_dir = dir };

	return sbx_metrics_flush(m, &conf, err);
}

START_TEST(textfile_counts_add_up_and_never_twice)
{
	struct sbx_metrics *m = fresh(), *m2 = fresh();
	struct sbx_err err = { 0 };
	char *text, *state;

	make_dir();
	ck_assert_int_eq(sbx_metrics_check(m, "verify", SBX_CHECK_ACCEPTED,
	    "t", 0.01, &err), SBX_OK);
	ck_assert_int_eq(flush_dir(m, &err), SBX_OK);
	/* A second flush of the same run adds nothing. */
	ck_assert_int_eq(flush_dir(m, &err), SBX_OK);
	ck_assert_int_eq(sbx_metrics_check(m2, "verify", SBX_CHECK_ACCEPTED,
	    "t", 0.02, &err), SBX_OK);
	ck_assert_int_eq(sbx_metrics_key_expiry(m2, "k1", "old", 100, &err),
	    SBX_OK);
	ck_assert_int_eq(flush_dir(m2, &err), SBX_OK);

	text = slurp("sbx.prom");
	ck_assert(has_line(text, "sbx_checks_total{tool=\"verify\","
	    "result=\"accepted\",tenant=\"t\"} 2"));
	ck_assert(has_line(text, "sbx_check_duration_seconds_sum{tool="
	    "\"verify\",tenant=\"t\"} 0.03"));
	ck_assert(has_line(text, "sbx_key_expiry_timestamp_seconds{key_id="
	    "\"k1\",name=\"old\"} 100"));
	ck_assert(has_line(text, "sbx_build_info{version=\"" SBX_VERSION
	    "\"} 1"));
	ck_assert(has_line(text, "sbx_metrics_state_resets_total 0"));
	state = slurp(".sbx-metrics.state");
	ck_assert_ptr_nonnull(strstr(state, "\"seq\":3"));
	ck_assert(!exists(".sbx-metrics.state.corrupt"));
	free(state);
	free(text);
	sbx_metrics_free(m);
	sbx_metrics_free(m2);
	remove_dir();
}
END_TEST

#define CHILDREN	20
#define CHECKS		5

/* Each child is its own short-lived process: record, flush, exit. */
static void
child_run(int k)
{
	struct sbx_metrics *m;
	struct sbx_err err = { 0 };
	int i;

	if (sbx_metrics_new(&m, &err) != SBX_OK)
		_exit(10);
	for (i = 0; i < CHECKS; i++) {
		if (sbx_metrics_check(m, "guard", k % 2 ? SBX_CHECK_ACCEPTED :
		    SBX_CHECK_REJECTED, "t1", 0.0004, &err) != SBX_OK)
			_exit(11);
		if (k % 2 == 0 && sbx_metrics_violation(m, SBX_V_UNSIGNED,
		    "t1", &err) != SBX_OK)
			_exit(12);
		if (i % 2 == 0 && flush_dir(m, &err) != SBX_OK)
			_exit(13);
	}
	if (flush_dir(m, &err) != SBX_OK)
		_exit(14);
	sbx_metrics_free(m);
	_exit(0);
}

START_TEST(concurrent_flushes_add_up_exactly)
{
	pid_t pid[CHILDREN];
	char *text;
	int k, st;

	make_dir();
	for (k = 0; k < CHILDREN; k++) {
		pid[k] = fork();
		ck_assert_int_ne(pid[k], -1);
		if (pid[k] == 0)
			child_run(k);
	}
	for (k = 0; k < CHILDREN; k++) {
		ck_assert_int_eq(waitpid(pid[k], &st, 0), pid[k]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "child %d ended with status %d", k, st);
	}

	text = slurp("sbx.prom");
	ck_assert(has_line(text, "sbx_checks_total{tool=\"guard\","
	    "result=\"accepted\",tenant=\"t1\"} 50"));
	ck_assert(has_line(text, "sbx_checks_total{tool=\"guard\","
	    "result=\"rejected\",tenant=\"t1\"} 50"));
	ck_assert(has_line(text, "sbx_violations_total{type=\"unsigned\","
	    "tenant=\"t1\"} 50"));
	ck_assert(has_line(text, "sbx_check_duration_seconds_count{tool="
	    "\"guard\",tenant=\"t1\"} 100"));
	ck_assert(has_line(text, "sbx_check_duration_seconds_bucket{tool="
	    "\"guard\",tenant=\"t1\",le=\"0.0005\"} 100"));
	ck_assert(has_line(text, "sbx_check_duration_seconds_bucket{tool="
	    "\"guard\",tenant=\"t1\",le=\"0.00025\"} 0"));
	free(text);
	remove_dir();
}
END_TEST

/* States that sbx never writes: each restarts the counters, loudly. */
static const struct {
	const char	*state;
	const char	*why;		/* in the error message */
} corrupt_states[] = {
	{ "{\"format\":\"sbx-metrics-st", "line 1 column 25: premature "
	  "end of input" },
	{ "", ".sbx-metrics.state: empty (moved" },
	{ "[]", "not an sbx metrics state" },
	{ "{\"format\":\"other\",\"version\":1,\"seq\":1,\"series\":[]}",
	  "not an sbx metrics state" },
	{ "{\"format\":\"sbx-metrics-state\",\"version\":1,\"seq\":1,"
	  "\"series\":[],\"extra\":1}", "not an sbx metrics state" },
	{ "{\"format\":\"sbx-metrics-state\",\"version\":1,\"seq\":1,"
	  "\"series\":[{\"name\":\"sbx_sign_total\",\"labels\":{\"result\":"
	  "\"signed\"},\"value\":-4}]}", "series 0 is malformed" },
	{ "{\"format\":\"sbx-metrics-state\",\"version\":1,\"seq\":1,"
	  "\"series\":[{\"name\":\"sbx_sign_total\",\"labels\":{\"result\":"
	  "\"signed\"},\"value\":4.5}]}", "series 0 is malformed" },
	{ "{\"format\":\"sbx-metrics-state\",\"version\":1,\"seq\":1,"
	  "\"series\":[{\"name\":\"sbx_nope_total\",\"labels\":{},"
	  "\"value\":1}]}", "series 0 is malformed" },
	{ "{\"format\":\"sbx-metrics-state\",\"version\":1,\"seq\":1,"
	  "\"series\":[{\"name\":\"sbx_sign_total\",\"labels\":{\"tenant\":"
	  "\"x\"},\"value\":1}]}", "series 0 is malformed" },
	{ "{\"format\":\"sbx-metrics-state\",\"version\":1,\"seq\":1,"
	  "\"series\":[{\"name\":\"sbx_sign_total\",\"labels\":{\"result\":"
	  "\"signed\"},\"value\":1},{\"name\":\"sbx_sign_total\",\"labels\":"
	  "{\"result\":\"signed\"},\"value\":2}]}", "series 1 is malformed" },
	{ "{\"format\":\"sbx-metrics-state\",\"version\":1,\"seq\":1,"
	  "\"series\":[{\"name\":\"sbx_sign_duration_seconds\",\"labels\":{},"
	  "\"buckets\":[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],\"sum\":0.1,"
	  "\"count\":2}]}", "series 0 is malformed" },
	{ "{\"format\":\"sbx-metrics-state\",\"version\":1,\"seq\":1,"
	  "\"series\":[{\"name\":\"sbx_sign_duration_seconds\",\"labels\":{},"
	  "\"buckets\":[1,0],\"sum\":0.1,\"count\":1}]}",
	  "series 0 is malformed" },
};

START_TEST(corrupt_state_restarts_counters_with_an_error)
{
	struct sbx_metrics *m = fresh();
	struct sbx_err err = { 0 };
	char *text, *kept;

	make_dir();
	spill(".sbx-metrics.state", corrupt_states[_i].state);
	ck_assert_int_eq(sbx_metrics_sign(m, true, 0.1, &err), SBX_OK);

	ck_assert_int_eq(flush_dir(m, &err), SBX_EIO);
	ck_assert_msg(strstr(err.msg, corrupt_states[_i].why) != NULL,
	    "message %s lacks %s", err.msg, corrupt_states[_i].why);
	ck_assert_ptr_nonnull(strstr(err.msg, "/.sbx-metrics.state: "));
	ck_assert_ptr_nonnull(strstr(err.msg,
	    "(moved to .sbx-metrics.state.corrupt); counters restart"));

	/* The bad file is kept for the operator, this run still counts. */
	kept = slurp(".sbx-metrics.state.corrupt");
	ck_assert_str_eq(kept, corrupt_states[_i].state);
	text = slurp("sbx.prom");
	ck_assert(has_line(text, "sbx_sign_total{result=\"signed\"} 1"));
	ck_assert(has_line(text, "sbx_metrics_state_resets_total 1"));
	free(text);
	free(kept);

	/* The next run adds up again from there. */
	ck_assert_int_eq(sbx_metrics_sign(m, true, 0.1, &err), SBX_OK);
	ck_assert_int_eq(flush_dir(m, &err), SBX_OK);
	text = slurp("sbx.prom");
	ck_assert(has_line(text, "sbx_sign_total{result=\"signed\"} 2"));
	ck_assert(has_line(text, "sbx_metrics_state_resets_total 1"));
	free(text);
	sbx_metrics_free(m);
	remove_dir();
}
END_TEST

START_TEST(missing_state_beside_textfile_is_a_reset)
{
	struct sbx_metrics *m = fresh();
	struct sbx_err err = { 0 };
	char *text;

	make_dir();
	spill("sbx.prom", "sbx_sign_total{result=\"signed\"} 7\n");
	ck_assert_int_eq(sbx_metrics_sign(m, true, 0.1, &err), SBX_OK);
	ck_assert_int_eq(flush_dir(m, &err), SBX_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "/.sbx-metrics.state: missing "
	    "while sbx.prom exists; counters restart"));
	text = slurp("sbx.prom");
	ck_assert(has_line(text, "sbx_sign_total{result=\"signed\"} 1"));
	ck_assert(has_line(text, "sbx_metrics_state_resets_total 1"));
	free(text);
	sbx_metrics_free(m);
	remove_dir();
}
END_TEST

START_TEST(newer_state_is_left_alone)
{
	static const char newer[] = "{\"format\":\"sbx-metrics-state\","
	    "\"version\":2,\"seq\":1,\"series\":[]}";
	struct sbx_metrics *m = fresh();
	struct sbx_err err = { 0 };
	char *text;

	make_dir();
	spill(".sbx-metrics.state", newer);
	ck_assert_int_eq(sbx_metrics_sign(m, true, 0.1, &err), SBX_OK);
	ck_assert_int_eq(flush_dir(m, &err), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "/.sbx-metrics.state: state "
	    "version 2 is newer than this sbx (1)"));
	text = slurp(".sbx-metrics.state");
	ck_assert_str_eq(text, newer);
	ck_assert(!exists("sbx.prom"));
	free(text);

	/* Kept for the next flush, nothing is lost. */
	text = render(m);
	ck_assert(has_line(text, "sbx_sign_total{result=\"signed\"} 1"));
	free(text);
	sbx_metrics_free(m);
	remove_dir();
}
END_TEST

START_TEST(missing_textfile_dir_is_an_io_error)
{
	struct sbx_metrics_conf conf = {
		.textfile_dir = "/nonexistent/sbx-metrics"
	};
	struct sbx_metrics *m = fresh();
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_metrics_flush(m, &conf, &err), SBX_EIO);
	ck_assert_str_eq(err.msg, "/nonexistent/sbx-metrics/.sbx-metrics.lock:"
	    " No such file or directory");
	sbx_metrics_free(m);
}
END_TEST

/*
 * A gateway that accepts connections and never answers: the kernel
 * completes the handshake from the backlog, then nothing comes back.
 */
static int
silent_listener(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A port with nothing behind it: connections are refused at once. */
static int
closed_port(void)
{
	int port, fd = silent_listener(&port);

	close(fd);
	return port;
}

#define BUDGET	120
#define SLACK	150

START_TEST(silent_gateway_costs_at_most_the_budget)
{
	struct sbx_metrics_conf conf = { .budget_ms = BUDGET };
	struct sbx_metrics *m = fresh();
	struct sbx_err err = { 0 };
	char url[128], want[160], *text;
	double t0, ms;
	int fd, port;

	fd = silent_listener(&port);
	snprintf(url, sizeof(url), "http://user:hunter2@127.0.0.1:%d", port);
	conf.pushgateway = url;
	ck_assert_int_eq(sbx_metrics_check(m, "guard", SBX_CHECK_ACCEPTED,
	    "t", 0.001, &err), SBX_OK);

	t0 = now_ms();
	ck_assert_int_eq(sbx_metrics_flush(m, &conf, &err), SBX_EIO);
	ms = now_ms() - t0;
	ck_assert_msg(ms >= BUDGET - 5 && ms < BUDGET + SLACK,
	    "flush took %.1f ms for a %d ms budget", ms, BUDGET);
	snprintf(want, sizeof(want), "http://127.0.0.1:%d: push failed: ",
	    port);
	ck_assert_ptr_nonnull(strstr(err.msg, want));
	ck_assert_ptr_nonnull(strstr(err.msg, "imed out"));
	ck_assert_ptr_null(strstr(err.msg, "hunter2"));

	/* Without a textfile the failure waits in m for the next push. */
	text = render(m);
	snprintf(want, sizeof(want), "sbx_metrics_push_failures_total{target="
	    "\"http://127.0.0.1:%d\"} 1", port);
	ck_assert(has_line(text, want));
	ck_assert_ptr_null(strstr(text, "hunter2"));
	free(text);
	close(fd);
	sbx_metrics_free(m);
}
END_TEST

START_TEST(dead_gateway_is_counted_in_the_textfile)
{
	struct sbx_metrics_conf conf = { .budget_ms = BUDGET };
	struct sbx_metrics *m = fresh();
	struct sbx_err err = { 0 };
	char url[128], want[160], *text;
	double t0, ms;
	int port = closed_port();

	make_dir();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	conf.pushgateway = url;
	conf.textfile_dir = dir;
	ck_assert_int_eq(sbx_metrics_check(m, "guard", SBX_CHECK_ACCEPTED,
	    "t", 0.001, &err), SBX_OK);

	t0 = now_ms();
	ck_assert_int_eq(sbx_metrics_flush(m, &conf, &err), SBX_EIO);
	ms = now_ms() - t0;
	ck_assert_msg(ms < BUDGET + SLACK, "flush took %.1f ms", ms);
	ck_assert_ptr_nonnull(strstr(err.msg, ": push failed: "));

	text = slurp("sbx.prom");
	ck_assert(has_line(text, "sbx_checks_total{tool=\"guard\","
	    "result=\"accepted\",tenant=\"t\"} 1"));
	snprintf(want, sizeof(want), "sbx_metrics_push_failures_total{target="
	    "\"http://127.0.0.1:%d\"} 1", port);
	ck_assert(has_line(text, want));
	free(text);
	sbx_metrics_free(m);
	remove_dir();
}
END_TEST

START_TEST(busy_push_lock_gives_up_at_the_budget)
{
	struct sbx_metrics_conf conf = { .budget_ms = BUDGET };
	struct sbx_metrics *m = fresh();
	struct sbx_err err = { 0 };
	char url[64], path[PATH_MAX + 64];
	double t0, ms;
	int fd;

	make_dir();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
	conf.pushgateway = url;
	conf.textfile_dir = dir;
	snprintf(path, sizeof(path), "%s/.sbx-metrics.push.lock", dir);
	fd = open(path, O_RDWR | O_CREAT, 0644);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);

	t0 = now_ms();
	ck_assert_int_eq(sbx_metrics_flush(m, &conf, &err), SBX_EIO);
	ms = now_ms() - t0;
	ck_assert_msg(ms >= BUDGET - 5 && ms < BUDGET + SLACK,
	    "flush took %.1f ms", ms);
	ck_assert_ptr_nonnull(strstr(err.msg, "/.sbx-metrics.push.lock: "
	    "still locked when the time budget ran out"));
	close(fd);
	sbx_metrics_free(m);
	remove_dir();
}
END_TEST

START_TEST(non_http_gateway_is_a_config_error)
{
	struct sbx_metrics_conf conf = { .pushgateway = "file:///etc/passwd" };
	struct sbx_metrics *m = fresh();
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_metrics_flush(m, &conf, &err), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "metrics: pushgateway is not an http or "
	    "https URL");
	sbx_metrics_free(m);
}
END_TEST

START_TEST(result_names_are_the_label_values)
{
	ck_assert_str_eq(sbx_check_result_name(SBX_CHECK_ACCEPTED),
	    "accepted");
	ck_assert_str_eq(sbx_check_result_name(SBX_CHECK_REJECTED),
	    "rejected");
	ck_assert_str_eq(sbx_check_result_name(SBX_CHECK_AUDITED), "audited");
	ck_assert_str_eq(sbx_check_result_name((enum sbx_check_result)7),
	    "unknown");
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, render_gives_exact_exposition_for_known_calls);
	tcase_add_test(tc, check_creates_zero_series_for_first_rise);
	tcase_add_loop_test(tc, histogram_places_each_duration_in_its_bucket,
	    0, sizeof(placements) / sizeof(placements[0]));
	tcase_add_test(tc, label_values_are_escaped);
	tcase_add_loop_test(tc, bad_label_values_are_refused, 0,
	    sizeof(bad_labels) / sizeof(bad_labels[0]));
	tcase_add_test(tc, bad_durations_and_types_are_refused);
	tcase_add_test(tc, textfile_counts_add_up_and_never_twice);
	tcase_add_test(tc, concurrent_flushes_add_up_exactly);
	tcase_add_loop_test(tc, corrupt_state_restarts_counters_with_an_error,
	    0, sizeof(corrupt_states) / sizeof(corrupt_states[0]));
	tcase_add_test(tc, missing_state_beside_textfile_is_a_reset);
	tcase_add_test(tc, newer_state_is_left_alone);
	tcase_add_test(tc, missing_textfile_dir_is_an_io_error);
	tcase_add_test(tc, silent_gateway_costs_at_most_the_budget);
	tcase_add_test(tc, dead_gateway_is_counted_in_the_textfile);
	tcase_add_test(tc, busy_push_lock_gives_up_at_the_budget);
	tcase_add_test(tc, non_http_gateway_is_a_config_error);
	tcase_add_test(tc, result_names_are_the_label_values);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(metrics_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* lib/metrics.c: Prometheus metrics of checks, signing and audit. */
/* SPDX-License-Identifier: ISC */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <sbx/encode.h>
#include <sbx/file.h>
#include <sbx/metrics.h>

#include "metrics_int.h"

#ifndef SBX_VERSION
#error "SBX_VERSION must come from the Makefile"
#endif

#define NLABELS_MAX	3
#define NBOUNDS		16
#define NBUCKETS	(NBOUNDS + 1)		/* the last is +Inf */
#define STATE_VERSION	1
#define STATE_FORMAT	"sbx-metrics-state"
#define STATE_MAX	(16u * 1024 * 1024)
#define LOCK_POLL_NS	1000000L

enum kind { COUNTER, GAUGE, HISTOGRAM };

enum {
	F_BUILD_INFO,
	F_CHECKS,
	F_CHECK_DURATION,
	F_VIOLATIONS,
	F_SIGN,
	F_SIGN_DURATION,
	F_KEY_EXPIRY,
	F_AUDIT,
	F_PUSH_FAILURES,
	F_STATE_RESETS,
	F_PREMAIN,
	F_COUNT
};

struct family {
	const char	*name;
	enum kind	 kind;
	const char	*help;
	int		 nlabels;
	const char	*label[NLABELS_MAX];
};

static const struct family families[F_COUNT] = {
	[F_BUILD_INFO] = { "sbx_build_info", GAUGE,
	    "Version of sbx that last wrote these metrics (always 1).",
	    1, { "version" } },
	[F_CHECKS] = { "sbx_checks_total", COUNTER,
	    "Checks of agents and JVM commands by tool, result and tenant.",
	    3, { "tool", "result", "tenant" } },
	[F_CHECK_DURATION] = { "sbx_check_duration_seconds", HISTOGRAM,
	    "Time one check took, by tool and tenant.",
	    2, { "tool", "tenant" } },
	[F_VIOLATIONS] = { "sbx_violations_total", COUNTER,
	    "Policy violations found, by violation type and tenant.",
	    2, { "type", "tenant" } },
	[F_SIGN] = { "sbx_sign_total", COUNTER,
	    "Signing operations by result (signed or failed).",
	    1, { "result" } },
	[F_SIGN_DURATION] = { "sbx_sign_duration_seconds", HISTOGRAM,
	    "Time one signing operation took.", 0, { NULL } },
	[F_KEY_EXPIRY] = { "sbx_key_expiry_timestamp_seconds", GAUGE,
	    "End of the validity of a keyring key, in Unix time.",
	    2, { "key_id", "name" } },
	[F_AUDIT] = { "sbx_audit_events_total", COUNTER,
	    "Audit events by sink and outcome.",
	    2, { "sink", "outcome" } },
	[F_PUSH_FAILURES] = { "sbx_metrics_push_failures_total", COUNTER,
	    "Pushes to a Pushgateway that failed or ran out of time budget.",
	    1, { "target" } },
	[F_STATE_RESETS] = { "sbx_metrics_state_resets_total", COUNTER,
	    "Times a corrupt or missing metrics state restarted the counters.",
	    0, { NULL } },
	[F_PREMAIN] = { "sbx_agent_premain_seconds", HISTOGRAM,
	    "Time a JVM spent starting its Java agents, by tenant.",
	    1, { "tenant" } },
};

/* Buckets from 100 us (a cached guard verdict) to 10 s (a huge JAR). */
static const struct {
	double		 le;
	const char	*text;
} bounds[NBOUNDS] = {
	{ 0.0001, "0.0001" }, { 0.00025, "0.00025" }, { 0.0005, "0.0005" },
	{ 0.001, "0.001" }, { 0.0025, "0.0025" }, { 0.005, "0.005" },
	{ 0.01, "0.01" }, { 0.025, "0.025" }, { 0.05, "0.05" },
	{ 0.1, "0.1" }, { 0.25, "0.25" }, { 0.5, "0.5" }, { 1, "1" },
	{ 2.5, "2.5" }, { 5, "5" }, { 10, "10" },
};

static const char *const check_results[] = {
	[SBX_CHECK_ACCEPTED] = "accepted",
	[SBX_CHECK_REJECTED] = "rejected",
	[SBX_CHECK_AUDITED] = "audited",
};

/* audit.h's enum, spelled here so that no value goes unnamed. */
static const char *const audit_outcomes[SBX_AUDIT_OUTCOME_COUNT] = {
	[SBX_AUDIT_WRITTEN] = "written",
	[SBX_AUDIT_SAMPLED_OUT] = "sampled_out",
	[SBX_AUDIT_FAILED] = "failed",
	[SBX_AUDIT_SPOOLED] = "spooled",
	[SBX_AUDIT_REPLAYED] = "replayed",
};

#define NRESULTS	(sizeof(check_results) / sizeof(check_results[0]))
#define NOUTCOMES	((size_t)SBX_AUDIT_OUTCOME_COUNT)

/*
 * One series. Counters keep count; gauges keep value; histograms keep
 * per-bucket (not cumulative) counts, the observation count in count
 * and the sum in value.
 */
struct series {
	int		 fam;
	char		*label[NLABELS_MAX];
	uint64_t	 count;
	double		 value;
	uint64_t	 bucket[NBUCKETS];
};

struct set {
	struct series	*v;
	size_t		 n;
	size_t		 cap;
	uint64_t	 seq;		/* merges into a state so far */
};

struct sbx_metrics {
	pthread_mutex_t	 mu;
	struct set	 set;
};

/* The files of a textfile folder. */
struct paths {
	char	 state[PATH_MAX];
	char	 corrupt[PATH_MAX];
	char	 lock[PATH_MAX];
	char	 push_lock[PATH_MAX];
	char	 prom[PATH_MAX];
};

static void
series_clear(struct series *s)
{
	int i;

	for (i = 0; i < NLABELS_MAX; i++)
		free(s->label[i]);
	memset(s, 0, sizeof(*s));
}

static void
set_free(struct set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		series_clear(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static struct series *
set_find(const struct set *s, int fam, const char *const *label)
{
	size_t i;
	int j;

	for (i = 0; i < s->n; i++) {
		if (s->v[i].fam != fam)
			continue;
		for (j = 0; j < families[fam].nlabels; j++)
			if (strcmp(s->v[i].label[j], label[j]) != 0)
				break;
		if (j == families[fam].nlabels)
			return &s->v[i];
	}
	return NULL;
}

/* The series of fam with these label values; a new one starts at 0. */
static int
set_get(struct series **out, struct set *s, int fam,
    const char *const *label, struct sbx_err *err)
{
	struct series *p, *v;
	size_t cap;
	int i;

	if ((*out = set_find(s, fam, label)) != NULL)
		return SBX_OK;

	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 32;
		if ((v = realloc(s->v, cap * sizeof(*v))) == NULL)
			return sbx_err_set(err, SBX_ENOMEM, "out of memory");
		s->v = v;
		s->cap = cap;
	}
	p = &s->v[s->n];
	memset(p, 0, sizeof(*p));
	p->fam = fam;
	for (i = 0; i < families[fam].nlabels; i++) {
		if ((p->label[i] = strdup(label[i])) == NULL) {
			series_clear(p);
			return sbx_err_set(err, SBX_ENOMEM, "out of memory");
		}
	}
	s->n++;
	*out = p;
	return SBX_OK;
}

/* Drop the series of fam (keep == false) or of every other family. */
static void
set_filter(struct set *s, int fam, bool keep)
{
	size_t i, k = 0;

	for (i = 0; i < s->n; i++) {
		if ((s->v[i].fam == fam) != keep)
			series_clear(&s->v[i]);
		else
			s->v[k++] = s->v[i];
	}
	s->n = k;
}

static void
set_remove_family(struct set *s, int fam)
{
	set_filter(s, fam, false);
}

static void
set_keep_only(struct set *s, int fam)
{
	set_filter(s, fam, true);
}

/* Counters and histograms add up; gauges take the newer value. */
static int
set_merge(struct set *dst, const struct set *src, struct sbx_err *err)
{
	const struct series *from;
	struct series *to;
	size_t i;
	int j, rc;

	for (i = 0; i < src->n; i++) {
		from = &src->v[i];
		/* Only the newest writer's version is current. */
		if (from->fam == F_BUILD_INFO)
			set_remove_family(dst, F_BUILD_INFO);
		rc = set_get(&to, dst, from->fam,
		    (const char *const *)from->label, err);
		if (rc != SBX_OK)
			return rc;
		to->count += from->count;
		if (families[from->fam].kind == GAUGE) {
			to->value = from->value;
			continue;
		}
		to->value += from->value;
		for (j = 0; j < NBUCKETS; j++)
			to->bucket[j] += from->bucket[j];
	}
	return SBX_OK;
}

/* Exposition label values must be UTF-8; long ones mean a caller bug. */
static bool
label_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	int more;

	if (len > SBX_METRICS_LABEL_MAX)
		return false;
	while (*p != '\0') {
		if (*p < 0x80)
			more = 0;
		else if (*p >= 0xc2 && *p <= 0xdf)
			more = 1;
		else if (*p >= 0xe0 && *p <= 0xef)
			more = 2;
		else if (*p >= 0xf0 && *p <= 0xf4)
			more = 3;
		else
			return false;
		if ((p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] >= 0xa0) ||
		    (p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] >= 0x90))
			return false;	/* overlong, surrogate, too high */
		for (p++; more > 0; more--, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

static int
check_labels(const char *what, const char *const *v, int n,
    struct sbx_err *err)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!label_ok(v[i]))
			return sbx_err_set(err, SBX_ECONFIG, "metrics: %s: "
			    "label value is not UTF-8 of at most %d bytes",
			    what, SBX_METRICS_LABEL_MAX);
	}
	return SBX_OK;
}

static int
check_seconds(double seconds, struct sbx_err *err)
{
	if (!isfinite(seconds) || seconds < 0)
		return sbx_err_set(err, SBX_EINTERNAL,
		    "metrics: duration %g is not a time", seconds);
	return SBX_OK;
}

static void
observe(struct series *s, double seconds)
{
	int i;

	for (i = 0; i < NBOUNDS; i++)
		if (seconds <= bounds[i].le)
			break;
	s->bucket[i]++;
	s->count++;
	s->value += seconds;
}

/*
 * Shortest text that reads back as the same double: integers plainly,
 * other values with the fewest digits that round-trip.
 */
static void
fmt_double(char *out, size_t n, double d)
{
	int prec;

	if (isnan(d)) {
		snprintf(out, n, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(out, n, d > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (d == floor(d) && fabs(d) < 9007199254740992.0) {
		snprintf(out, n, "%.0f", d);
		return;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(out, n, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
	snprintf(out, n, "%.17g", d);
}

static int
put_labels(struct sbx_buf *b, const struct series *s, const char *le,
    struct sbx_err *err)
{
	const struct family *f = &families[s->fam];
	const char *p, *sep = "";
	int i, rc;

	if (f->nlabels == 0 && le == NULL)
		return SBX_OK;
	if ((rc = sbx_buf_puts(b, "{", err)) != SBX_OK)
		return rc;
	for (i = 0; i < f->nlabels; i++) {
		if ((rc = sbx_buf_printf(b, err, "%s%s=\"", sep,
		    f->label[i])) != SBX_OK)
			return rc;
		/* The format escapes exactly these three. */
		for (p = s->label[i]; *p != '\0'; p++) {
			if (*p == '\\')
				rc = sbx_buf_puts(b, "\\\\", err);
			else if (*p == '"')
				rc = sbx_buf_puts(b, "\\\"", err);
			else if (*p == '\n')
				rc = sbx_buf_puts(b, "\\n", err);
			else
				rc = sbx_buf_add(b, p, 1, err);
			if (rc != SBX_OK)
				return rc;
		}
		if ((rc = sbx_buf_puts(b, "\"", err)) != SBX_OK)
			return rc;
		sep = ",";
	}
	if (le != NULL && (rc = sbx_buf_printf(b, err, "%sle=\"%s\"", sep,
	    le)) != SBX_OK)
		return rc;
	return sbx_buf_puts(b, "}", err);
}

static int
put_sample(struct sbx_buf *b, const struct series *s, const char *suffix,
    const char *le, const char *value, struct sbx_err *err)
{
	int rc;

	if ((rc = sbx_buf_printf(b, err, "%s%s", families[s->fam].name,
	    suffix)) != SBX_OK)
		return rc;
	if ((rc = put_labels(b, s, le, err)) != SBX_OK)
		return rc;
	return sbx_buf_printf(b, err, " %s\n", value);
}

static int
put_histogram(struct sbx_buf *b, const struct series *s,
    struct sbx_err *err)
{
	char num[64];
	uint64_t cum = 0;
	int i, rc;

	for (i = 0; i < NBUCKETS; i++) {
		cum += s->bucket[i];
		snprintf(num, sizeof(num), "%llu", (unsigned long long)cum);
		rc = put_sample(b, s, "_bucket",
		    i < NBOUNDS ? bounds[i].text : "+Inf", num, err);
		if (rc != SBX_OK)
			return rc;
	}
	fmt_double(num, sizeof(num), s->value);
	if ((rc = put_sample(b, s, "_sum", NULL, num, err)) != SBX_OK)
		return rc;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)s->count);
	return put_sample(b, s, "_count", NULL, num, err);
}

static int
put_series(struct sbx_buf *b, const struct series *s, struct sbx_err *err)
{
	char num[64];

	switch (families[s->fam].kind) {
	case COUNTER:
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)s->count);
		return put_sample(b, s, "", NULL, num, err);
	case GAUGE:
		fmt_double(num, sizeof(num), s->value);
		return put_sample(b, s, "", NULL, num, err);
	case HISTOGRAM:
		return put_histogram(b, s, err);
	}
	return sbx_err_set(err, SBX_EINTERNAL, "metrics: bad family kind");
}

static int
series_cmp(const void *a, const void *b)
{
	const struct series *x = *(const struct series *const *)a;
	const struct series *y = *(const struct series *const *)b;
	int i, c;

	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	for (i = 0; i < families[x->fam].nlabels; i++)
		if ((c = strcmp(x->label[i], y->label[i])) != 0)
			return c;
	return 0;
}

/* Families in table order, series sorted by label values. */
static int
set_render(struct sbx_buf *b, const struct set *s, struct sbx_err *err)
{
	const struct series **order = NULL;
	const struct family *f;
	size_t i;
	int last = -1, rc = SBX_OK;

	if (s->n == 0)
		return SBX_OK;
	if ((order = calloc(s->n, sizeof(*order))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	for (i = 0; i < s->n; i++)
		order[i] = &s->v[i];
	qsort(order, s->n, sizeof(*order), series_cmp);

	for (i = 0; i < s->n && rc == SBX_OK; i++) {
		if (order[i]->fam != last) {
			last = order[i]->fam;
			f = &families[last];
			rc = sbx_buf_printf(b, err, "# HELP %s %s\n# TYPE %s "
			    "%s\n", f->name, f->help, f->name,
			    f->kind == COUNTER ? "counter" :
			    f->kind == GAUGE ? "gauge" : "histogram");
			if (rc != SBX_OK)
				break;
		}
		rc = put_series(b, order[i], err);
	}
	free(order);
	return rc;
}

/* State files: JSON through jansson, checked field by field on load. */

static json_t *
series_to_json(const struct series *s)
{
	const struct family *f = &families[s->fam];
	json_t *o, *labels, *buckets;
	int i;

	labels = json_object();
	for (i = 0; i < f->nlabels; i++)
		json_object_set_new(labels, f->label[i],
		    json_string(s->label[i]));
	if (f->kind == COUNTER)
		return json_pack("{s:s, s:o, s:I}", "name", f->name,
		    "labels", labels, "value", (json_int_t)s->count);
	if (f->kind == GAUGE)
		return json_pack("{s:s, s:o, s:f}", "name", f->name,
		    "labels", labels, "value", s->value);
	buckets = json_array();
	for (i = 0; i < NBUCKETS; i++)
		json_array_append_new(buckets,
		    json_integer((json_int_t)s->bucket[i]));
	o = json_pack("{s:s, s:o, s:o, s:f, s:I}", "name", f->name,
	    "labels", labels, "buckets", buckets, "sum", s->value,
	    "count", (json_int_t)s->count);
	return o;
}

static int
state_dump(char **out, const struct set *s, struct sbx_err *err)
{
	json_t *root = NULL, *arr, *o;
	size_t i;
	int rc = SBX_ENOMEM;

	*out = NULL;
	if ((arr = json_array()) == NULL)
		goto done;
	root = json_pack("{s:s, s:i, s:I, s:o}", "format", STATE_FORMAT,
	    "version", STATE_VERSION, "seq", (json_int_t)s->seq,
	    "series", arr);
	if (root == NULL)
		goto done;
	for (i = 0; i < s->n; i++) {
		if ((o = series_to_json(&s->v[i])) == NULL ||
		    json_array_append_new(arr, o) == -1)
			goto done;
	}
	if ((*out = json_dumps(root, JSON_COMPACT)) == NULL)
		goto done;
	rc = SBX_OK;
done:
	json_decref(root);
	if (rc != SBX_OK)
		sbx_err_set(err, SBX_ENOMEM, "metrics: out of memory");
	return rc;
}

static int
family_by_name(const char *name)
{
	int i;

	for (i = 0; i < F_COUNT; i++)
		if (strcmp(families[i].name, name) == 0)
			return i;
	return -1;
}

/* Label values of a series object, in the family's label order. */
static int
labels_from_json(const char **v, int fam, json_t *labels)
{
	const struct family *f = &families[fam];
	json_t *val;
	int i;

	if (!json_is_object(labels) ||
	    json_object_size(labels) != (size_t)f->nlabels)
		return -1;
	for (i = 0; i < f->nlabels; i++) {
		val = json_object_get(labels, f->label[i]);
		if (!json_is_string(val) || !label_ok(json_string_value(val)))
			return -1;
		v[i] = json_string_value(val);
	}
	return 0;
}

static int
histogram_from_json(struct series *s, json_t *buckets, double sum,
    json_int_t count)
{
	json_t *b;
	uint64_t total = 0;
	size_t i;

	if (!json_is_array(buckets) || json_array_size(buckets) != NBUCKETS)
		return -1;
	if (!isfinite(sum) || sum < 0 || count < 0)
		return -1;
	json_array_foreach(buckets, i, b) {
		if (!json_is_integer(b) || json_integer_value(b) < 0)
			return -1;
		s->bucket[i] = (uint64_t)json_integer_value(b);
		total += s->bucket[i];
	}
	if (total != (uint64_t)count)
		return -1;
	s->count = (uint64_t)count;
	s->value = sum;
	return 0;
}

/* One series object into st; -1 means the state is not what sbx wrote. */
static int
series_from_json(struct set *st, json_t *o)
{
	const char *label[NLABELS_MAX] = { NULL }, *name;
	json_t *labels, *buckets;
	json_int_t n = 0;
	double d = 0;
	struct series *s;
	int fam;

	if (json_unpack(o, "{s:s}", "name", &name) == -1 ||
	    (fam = family_by_name(name)) == -1)
		return -1;
	switch (families[fam].kind) {
	case COUNTER:
		if (json_unpack(o, "{s:s, s:o, s:I !}", "name", &name,
		    "labels", &labels, "value", &n) == -1 || n < 0)
			return -1;
		break;
	case GAUGE:
		if (json_unpack(o, "{s:s, s:o, s:F !}", "name", &name,
		    "labels", &labels, "value", &d) == -1 || !isfinite(d))
			return -1;
		break;
	case HISTOGRAM:
		if (json_unpack(o, "{s:s, s:o, s:o, s:F, s:I !}", "name",
		    &name, "labels", &labels, "buckets", &buckets, "sum", &d,
		    "count", &n) == -1)
			return -1;
		break;
	}
	if (labels_from_json(label, fam, labels) == -1 ||
	    set_find(st, fam, label) != NULL)
		return -1;
	if (set_get(&s, st, fam, label, NULL) != SBX_OK)
		return -2;
	if (families[fam].kind == HISTOGRAM)
		return histogram_from_json(s, buckets, d, n);
	s->count = (uint64_t)n;
	s->value = d;
	return 0;
}

/*
 * Parse a state file. SBX_EREJECT: not a state that sbx wrote (the
 * caller resets); SBX_ECONFIG: written by a newer sbx (left alone).
 */
static int
state_parse(struct set *st, const char *path, const struct sbx_buf *text,
    struct sbx_err *err)
{
	json_t *root = NULL, *series, *o;
	json_error_t jerr;
	json_int_t version, seq;
	const char *format;
	size_t i;
	int rc = SBX_EINTERNAL, r;

	if (text->len == 0) {
		rc = sbx_err_reject(err, SBX_V_INTERNAL_ERROR, "%s: empty",
		    path);
		goto done;
	}
	root = json_loadb((const char *)text->p, text->len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		rc = sbx_err_reject(err, SBX_V_INTERNAL_ERROR, "%s: line %d "
		    "column %d: %s", path, jerr.line, jerr.column, jerr.text);
		goto done;
	}
	if (json_unpack(root, "{s:s, s:I, s:I, s:o !}", "format", &format,
	    "version", &version, "seq", &seq, "series", &series) == -1 ||
	    strcmp(format, STATE_FORMAT) != 0 || seq < 0 ||
	    !json_is_array(series)) {
		rc = sbx_err_reject(err, SBX_V_INTERNAL_ERROR,
		    "%s: not an sbx metrics state", path);
		goto done;
	}
	if (version > STATE_VERSION) {
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: state version %lld "
		    "is newer than this sbx (%d)", path, (long long)version,
		    STATE_VERSION);
		goto done;
	}
	st->seq = (uint64_t)seq;
	json_array_foreach(series, i, o) {
		if ((r = series_from_json(st, o)) == -2) {
			rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
			goto done;
		}
		if (r == -1) {
			rc = sbx_err_reject(err, SBX_V_INTERNAL_ERROR,
			    "%s: series %zu is malformed", path, i);
			goto done;
		}
	}
	rc = SBX_OK;
done:
	json_decref(root);
	return rc;
}

/*
 * Load the state at path into the empty st. A missing file is an empty
 * state; returns SBX_OK, SBX_EIO, SBX_ECONFIG or SBX_EREJECT (corrupt).
 */
static int
state_load(struct set *st, const char *path, struct sbx_err *err)
{
	struct sbx_buf text = { 0 };
	struct stat sb;
	int rc;

	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return SBX_OK;
		return sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    strerror(errno));
	}
	if (!S_ISREG(sb.st_mode))
		return sbx_err_reject(err, SBX_V_INTERNAL_ERROR,
		    "%s: not a regular file", path);
	rc = sbx_file_read(&text, path, STATE_MAX, err);
	if (rc == SBX_OK)
		rc = state_parse(st, path, &text, err);
	sbx_buf_free(&text);
	if (rc != SBX_OK)
		set_free(st);
	return rc;
}

static int
paths_make(struct paths *p, const char *dir, struct sbx_err *err)
{
	int n = 0;

	n |= snprintf(p->state, PATH_MAX, "%s/.sbx-metrics.state", dir) >=
	    PATH_MAX;
	n |= snprintf(p->corrupt, PATH_MAX, "%s/.sbx-metrics.state.corrupt",
	    dir) >= PATH_MAX;
	n |= snprintf(p->lock, PATH_MAX, "%s/.sbx-metrics.lock", dir) >=
	    PATH_MAX;
	n |= snprintf(p->push_lock, PATH_MAX, "%s/.sbx-metrics.push.lock",
	    dir) >= PATH_MAX;
	n |= snprintf(p->prom, PATH_MAX, "%s/sbx.prom", dir) >= PATH_MAX;
	if (n != 0)
		return sbx_err_set(err, SBX_EIO, "%s: path too long", dir);
	return SBX_OK;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/*
 * Open and lock path exclusively. A negative deadline waits as long as
 * it takes (the state lock is held only for local file I/O); otherwise
 * give up at deadline (now_ms() time). Returns the descriptor or -1.
 */
static int
lock_take(const char *path, double deadline, struct sbx_err *err)
{
	const struct timespec pause = { 0, LOCK_POLL_NS };
	int fd, r;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1 && errno == EACCES)	/* another user's lock file */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		sbx_err_set(err, SBX_EIO, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		r = flock(fd, deadline < 0 ? LOCK_EX : LOCK_EX | LOCK_NB);
		if (r == 0)
			return fd;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || now_ms() >= deadline)
			break;
		nanosleep(&pause, NULL);
	}
	sbx_err_set(err, SBX_EIO, "%s: %s", path, errno == EWOULDBLOCK ?
	    "still locked when the time budget ran out" : strerror(errno));
	close(fd);
	return -1;
}

static void
lock_release(int fd)
{
	if (fd != -1)
		close(fd);		/* closing drops the flock */
}

/* Replace the state, then sbx.prom, both atomically. */
static int
state_store(const struct set *st, const struct paths *p, bool *stored,
    struct sbx_err *err)
{
	struct sbx_buf prom = { 0 };
	char *json = NULL;
	int rc;

	if ((rc = state_dump(&json, st, err)) != SBX_OK)
		goto done;
	rc = sbx_file_write_atomic(p->state, json, strlen(json), 0644, err);
	if (rc != SBX_OK)
		goto done;
	*stored = true;
	if ((rc = set_render(&prom, st, err)) != SBX_OK)
		goto done;
	rc = sbx_file_write_atomic(p->prom, prom.p, prom.len, 0644, err);
done:
	free(json);
	sbx_buf_free(&prom);
	return rc;
}

/*
 * Counters restart after a corrupt or vanished state: moving on with
 * zero keeps violations counted (an attacker who spoils the file must
 * not silence the alerts), and the reset itself is counted and told.
 */
static int
state_reset(struct set *st, const struct paths *p, bool corrupt,
    char *why, size_t whylen, struct sbx_err *err)
{
	struct series *s;
	int rc;

	set_free(st);
	if (corrupt && rename(p->state, p->corrupt) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: cannot move aside: %s",
		    p->state, strerror(errno));
	if (corrupt)
		snprintf(why, whylen, "%s (moved to %s)", err->msg,
		    ".sbx-metrics.state.corrupt");
	else
		snprintf(why, whylen, "%s: missing while sbx.prom exists",
		    p->state);
	if ((rc = set_get(&s, st, F_STATE_RESETS, NULL, err)) != SBX_OK)
		return rc;
	s->count = 1;
	return SBX_OK;
}

/* Add delta to the folder's state under its lock. */
static int
textfile_merge(const struct set *delta, const struct paths *p, bool *stored,
    struct sbx_err *err)
{
	struct sbx_err lerr = { 0 };
	struct set st = { 0 };
	struct series *s;
	struct stat sb;
	char why[PATH_MAX + 512] = "";
	int fd, rc;

	*stored = false;
	if ((fd = lock_take(p->lock, -1, err)) == -1)
		return SBX_EIO;

	rc = state_load(&st, p->state, &lerr);
	if (rc == SBX_EREJECT)
		rc = state_reset(&st, p, true, why, sizeof(why), &lerr);
	else if (rc == SBX_OK && st.seq == 0 && lstat(p->prom, &sb) == 0)
		rc = state_reset(&st, p, false, why, sizeof(why), &lerr);
	if (rc != SBX_OK) {
		if (err != NULL)
			*err = lerr;
		goto done;
	}

	/* At 0 from the start, so that increase() sees the first reset. */
	if ((rc = set_get(&s, &st, F_STATE_RESETS, NULL, err)) != SBX_OK ||
	    (rc = set_merge(&st, delta, err)) != SBX_OK)
		goto done;
	st.seq++;
	rc = state_store(&st, p, stored, err);
	if (rc != SBX_OK)
		goto done;
	if (why[0] != '\0')
		rc = sbx_err_set(err, SBX_EIO, "%s; counters restart", why);
done:
	lock_release(fd);
	set_free(&st);
	return rc;
}

/* Pushgateway */

/* "/NAME@base64/VALUE": survives any byte, "/" and "" included. */
static int
put_group(struct sbx_buf *b, const char *name, const char *value,
    struct sbx_err *err)
{
	struct sbx_buf enc = { 0 };
	size_t i;
	int rc;

	if ((rc = sbx_b64_encode(&enc, value, strlen(value), err)) != SBX_OK)
		goto done;
	for (i = 0; i < enc.len; i++) {
		if (enc.p[i] == '+')
			enc.p[i] = '-';
		else if (enc.p[i] == '/')
			enc.p[i] = '_';
	}
	if ((rc = sbx_buf_printf(b, err, "/%s@base64/", name)) != SBX_OK)
		goto done;
	if (enc.len == 0)
		rc = sbx_buf_puts(b, "=", err);
	else
		rc = sbx_buf_add(b, enc.p, enc.len, err);
done:
	sbx_buf_free(&enc);
	return rc;
}

static int
push_url(struct sbx_buf *url, const struct sbx_metrics_conf *conf,
    struct sbx_err *err)
{
	char host[256] = "";
	const char *instance = conf->instance;
	size_t n = strlen(conf->pushgateway);
	int rc;

	while (n > 0 && conf->pushgateway[n - 1] == '/')
		n--;
	if (instance == NULL) {
		if (gethostname(host, sizeof(host) - 1) == -1)
			snprintf(host, sizeof(host), "unknown");
		instance = host;
	}
	if ((rc = sbx_buf_add(url, conf->pushgateway, n, err)) != SBX_OK ||
	    (rc = sbx_buf_puts(url, "/metrics", err)) != SBX_OK ||
	    (rc = put_group(url, "job", conf->job ? conf->job : "sbx",
	    err)) != SBX_OK ||
	    (rc = put_group(url, "instance", instance, err)) != SBX_OK)
		return rc;
	return sbx_buf_terminate(url, err);
}

static long
ms_left(double deadline)
{
	double left = deadline - now_ms();

	return left < 1 ? 0 : (long)left;
}

/*
 * Push the folder's cumulative state. The push lock orders the pushes,
 * and each pusher renders the state only once it holds it, so a stale
 * body can never overwrite a newer one at the gateway. Runs merged by
 * others meanwhile are pushed too while time is left.
 */
static int
push_state(const char *url, const char *target, const struct paths *p,
    double deadline, struct sbx_err *err)
{
	struct sbx_buf body = { 0 };
	struct set st = { 0 };
	uint64_t pushed = 0;
	bool any = false;
	int fd, rc;

	if ((fd = lock_take(p->push_lock, deadline, err)) == -1) {
		sbx_err_prefix(err, target);
		return SBX_EIO;
	}
	for (;;) {
		/* The state is replaced by rename: a read sees a whole one. */
		if ((rc = state_load(&st, p->state, err)) != SBX_OK)
			break;
		if (any && (st.seq == pushed || ms_left(deadline) == 0))
			break;
		body.len = 0;
		if ((rc = set_render(&body, &st, err)) != SBX_OK)
			break;
		rc = sbx_metrics__push_body(url, target, &body,
		    ms_left(deadline), err);
		if (rc != SBX_OK)
			break;
		pushed = st.seq;
		any = true;
		set_free(&st);
	}
	lock_release(fd);
	set_free(&st);
	sbx_buf_free(&body);
	return rc;
}

/* What a failed push leaves behind: one more failure, counted. */
static void
push_failed(struct sbx_metrics *m, const char *target,
    const struct paths *p)
{
	struct set one = { 0 };
	struct series *s;
	const char *label[1] = { target };
	bool stored;

	if (p == NULL) {
		if (set_get(&s, &m->set, F_PUSH_FAILURES, label, NULL) ==
		    SBX_OK)
			s->count++;
		return;
	}
	if (set_get(&s, &one, F_PUSH_FAILURES, label, NULL) == SBX_OK) {
		s->count = 1;
		textfile_merge(&one, p, &stored, NULL);
	}
	set_free(&one);
}

static int
flush_push(struct sbx_metrics *m, const struct sbx_metrics_conf *conf,
    const char *target, const struct paths *p, struct sbx_err *err)
{
	struct sbx_buf url = { 0 }, body = { 0 };
	double deadline;
	int budget, rc;

	budget = conf->budget_ms > 0 ? conf->budget_ms : SBX_METRICS_BUDGET_MS;
	deadline = now_ms() + budget;

	if ((rc = push_url(&url, conf, err)) != SBX_OK)
		goto done;
	if (p != NULL) {
		rc = push_state((const char *)url.p, target, p, deadline, err);
	} else {
		pthread_mutex_lock(&m->mu);
		rc = set_render(&body, &m->set, err);
		pthread_mutex_unlock(&m->mu);
		if (rc == SBX_OK)
			rc = sbx_metrics__push_body((const char *)url.p,
			    target, &body, ms_left(deadline), err);
	}
done:
	if (rc != SBX_OK) {
		if (p == NULL)
			pthread_mutex_lock(&m->mu);
		push_failed(m, target, p);
		if (p == NULL)
			pthread_mutex_unlock(&m->mu);
	}
	sbx_buf_free(&url);
	sbx_buf_free(&body);
	return rc;
}

/* Public functions */

int
sbx_metrics_new(struct sbx_metrics **out, struct sbx_err *err)
{
	struct sbx_metrics *m;
	struct series *s;
	const char *version[1] = { SBX_VERSION };

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if (pthread_mutex_init(&m->mu, NULL) != 0) {
		free(m);
		return sbx_err_set(err, SBX_EINTERNAL, "metrics: no mutex");
	}
	if (set_get(&s, &m->set, F_BUILD_INFO, version, err) != SBX_OK) {
		sbx_metrics_free(m);
		return SBX_ENOMEM;
	}
	s->value = 1;
	*out = m;
	return SBX_OK;
}

void
sbx_metrics_free(struct sbx_metrics *m)
{
	if (m == NULL)
		return;
	set_free(&m->set);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

/* The series a check touches, all created before any is counted. */
static int
record_check(struct set *s, const char *tool, enum sbx_check_result result,
    const char *tenant, double seconds, struct sbx_err *err)
{
	struct series *hit = NULL, *hist, *z;
	const char *label[NLABELS_MAX];
	size_t i;
	int rc;

	for (i = 0; i < NRESULTS; i++) {
		label[0] = tool;
		label[1] = check_results[i];
		label[2] = tenant;
		if ((rc = set_get(&z, s, F_CHECKS, label, err)) != SBX_OK)
			return rc;
		if (i == (size_t)result)
			hit = z;
	}
	for (i = SBX_V_NONE + 1; i < SBX_V_COUNT; i++) {
		label[0] = sbx_violation_name((enum sbx_violation)i);
		label[1] = tenant;
		if ((rc = set_get(&z, s, F_VIOLATIONS, label, err)) != SBX_OK)
			return rc;
	}
	label[0] = tool;
	label[1] = tenant;
	if ((rc = set_get(&hist, s, F_CHECK_DURATION, label, err)) != SBX_OK)
		return rc;
	hit->count++;
	observe(hist, seconds);
	return SBX_OK;
}

int
sbx_metrics_check(struct sbx_metrics *m, const char *tool,
    enum sbx_check_result result, const char *tenant, double seconds,
    struct sbx_err *err)
{
	const char *label[2] = { tool, tenant };
	int rc;

	assert(m != NULL && tool != NULL && tenant != NULL);
	if ((unsigned)result >= NRESULTS)
		return sbx_err_set(err, SBX_EINTERNAL, "metrics: check result "
		    "%d is unknown", (int)result);
	if ((rc = check_labels("check", label, 2, err)) != SBX_OK ||
	    (rc = check_seconds(seconds, err)) != SBX_OK)
		return rc;

	pthread_mutex_lock(&m->mu);
	rc = record_check(&m->set, tool, result, tenant, seconds, err);
	pthread_mutex_unlock(&m->mu);
	return rc;
}

int
sbx_metrics_violation(struct sbx_metrics *m, enum sbx_violation type,
    const char *tenant, struct sbx_err *err)
{
	const char *label[2] = { NULL, tenant };
	struct series *s;
	int rc;

	assert(m != NULL && tenant != NULL);
	if (type <= SBX_V_NONE || type >= SBX_V_COUNT)
		return sbx_err_set(err, SBX_EINTERNAL, "metrics: violation "
		    "type %d is unknown", (int)type);
	if ((rc = check_labels("violation", &label[1], 1, err)) != SBX_OK)
		return rc;
	label[0] = sbx_violation_name(type);

	pthread_mutex_lock(&m->mu);
	if ((rc = set_get(&s, &m->set, F_VIOLATIONS, label, err)) == SBX_OK)
		s->count++;
	pthread_mutex_unlock(&m->mu);
	return rc;
}

int
sbx_metrics_premain(struct sbx_metrics *m, const char *tenant,
    double seconds, struct sbx_err *err)
{
	const char *label[1] = { tenant };
	struct series *hist;
	int rc;

	assert(m != NULL && tenant != NULL);
	if ((rc = check_seconds(seconds, err)) != SBX_OK ||
	    (rc = check_labels("tenant", label, 1, err)) != SBX_OK)
		return rc;

	pthread_mutex_lock(&m->mu);
	if ((rc = set_get(&hist, &m->set, F_PREMAIN, label, err)) == SBX_OK)
		observe(hist, seconds);
	pthread_mutex_unlock(&m->mu);
	return rc;
}

int
sbx_metrics_sign(struct sbx_metrics *m, bool signed_ok, double seconds,
    struct sbx_err *err)
{
	const char *ok[1] = { "signed" }, *failed[1] = { "failed" };
	struct series *s_ok, *s_failed, *hist;
	int rc;

	assert(m != NULL);
	if ((rc = check_seconds(seconds, err)) != SBX_OK)
		return rc;

	pthread_mutex_lock(&m->mu);
	if ((rc = set_get(&s_ok, &m->set, F_SIGN, ok, err)) == SBX_OK &&
	    (rc = set_get(&s_failed, &m->set, F_SIGN, failed, err)) ==
	    SBX_OK &&
	    (rc = set_get(&hist, &m->set, F_SIGN_DURATION, NULL, err)) ==
	    SBX_OK) {
		if (signed_ok)
			s_ok->count++;
		else
			s_failed->count++;
		observe(hist, seconds);
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}

int
sbx_metrics_key_expiry(struct sbx_metrics *m, const char *key_id,
    const char *name, time_t not_after, struct sbx_err *err)
{
	const char *label[2] = { key_id, name };
	struct series *s;
	int rc;

	assert(m != NULL && key_id != NULL && name != NULL);
	if ((rc = check_labels("key", label, 2, err)) != SBX_OK)
		return rc;

	pthread_mutex_lock(&m->mu);
	if ((rc = set_get(&s, &m->set, F_KEY_EXPIRY, label, err)) == SBX_OK)
		s->value = (double)not_after;
	pthread_mutex_unlock(&m->mu);
	return rc;
}

int
sbx_metrics_audit(struct sbx_metrics *m, const char *sink,
    enum sbx_audit_outcome outcome, unsigned long n, struct sbx_err *err)
{
	const char *label[2] = { sink, NULL };
	struct series *hit = NULL, *s;
	size_t i;
	int rc;

	assert(m != NULL && sink != NULL);
	if ((unsigned)outcome >= NOUTCOMES)
		return sbx_err_set(err, SBX_EINTERNAL, "metrics: audit "
		    "outcome %d is unknown", (int)outcome);
	if ((rc = check_labels("audit", label, 1, err)) != SBX_OK)
		return rc;

	pthread_mutex_lock(&m->mu);
	for (i = 0; i < NOUTCOMES; i++) {
		label[1] = audit_outcomes[i];
		if ((rc = set_get(&s, &m->set, F_AUDIT, label, err)) !=
		    SBX_OK)
			break;
		if (i == (size_t)outcome)
			hit = s;
	}
	if (rc == SBX_OK)
		hit->count += n;
	pthread_mutex_unlock(&m->mu);
	return rc;
}

int
sbx_metrics_render(struct sbx_buf *out, struct sbx_metrics *m,
    struct sbx_err *err)
{
	int rc;

	assert(m != NULL);
	pthread_mutex_lock(&m->mu);
	rc = set_render(out, &m->set, err);
	pthread_mutex_unlock(&m->mu);
	return rc;
}

int
sbx_metrics_flush(struct sbx_metrics *m, const struct sbx_metrics_conf *conf,
    struct sbx_err *err)
{
	struct sbx_err perr = { 0 };
	struct series *s;
	struct paths p;
	char target[512] = "";
	const char *label[1] = { target };
	bool stored = false;
	int trc = SBX_OK, prc = SBX_OK;

	assert(m != NULL && conf != NULL);
	if (conf->pushgateway != NULL) {
		prc = sbx_metrics__push_target(target, sizeof(target),
		    conf->pushgateway, &perr);
		/* At 0 before any failure: increase() sees the first. */
		pthread_mutex_lock(&m->mu);
		if (prc == SBX_OK)
			set_get(&s, &m->set, F_PUSH_FAILURES, label, NULL);
		pthread_mutex_unlock(&m->mu);
	}
	if (conf->textfile_dir != NULL) {
		if ((trc = paths_make(&p, conf->textfile_dir, err)) != SBX_OK)
			return trc;
		pthread_mutex_lock(&m->mu);
		trc = textfile_merge(&m->set, &p, &stored, err);
		/* Counted in the state now: never merge them twice. */
		if (stored)
			set_keep_only(&m->set, F_BUILD_INFO);
		pthread_mutex_unlock(&m->mu);
		/* Without a state there is no cumulative body to push. */
		if (!stored)
			return trc;
	}
	if (conf->pushgateway != NULL && prc == SBX_OK)
		prc = flush_push(m, conf, target,
		    conf->textfile_dir != NULL ? &p : NULL, &perr);
	if (trc != SBX_OK)
		return trc;
	if (prc != SBX_OK && err != NULL)
		*err = perr;
	return prc;
}

const char *
sbx_check_result_name(enum sbx_check_result r)
{
	return (unsigned)r < NRESULTS ? check_results[r] : "unknown";
}

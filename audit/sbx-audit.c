/* audit/sbx-audit.c: verify, search, summarise and write the audit log. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <sbx/audit.h>
#include <sbx/buf.h>
#include <sbx/err.h>
#include <sbx/file.h>

#define CMDLINE_MAX	65536

static const char *progname = "sbx-audit";

/* What show and report select. */
struct filter {
	const char	*tenant, *event, *operation, *rule, *decision;
	const char	*violation, *artifact;
	int64_t		 since, until;
	bool		 json;
};

/* Called for each event line of the logs; returns 0 to go on. */
typedef int (*line_fn)(json_t *ev, const char *line, size_t len, void *arg);

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: %s verify [-q] [--allow-partial] [--anchor HASH] LOG ...\n"
	    "       %s show [--json] [--tenant T] [--event E] "
	    "[--operation O] [--rule R]\n"
	    "                 [--decision D] [--violation TYPE] "
	    "[--artifact PATH|SHA256]\n"
	    "                 [--since TIME] [--until TIME] LOG ...\n"
	    "       %s report [--json] [--since TIME] [--until TIME] LOG ...\n"
	    "       %s rotate [-q] [--no-fsync] LOG\n"
	    "       %s emit [--json] --conf-json FILE --event-json FILE\n"
	    "       %s flush [--json] [--budget-ms N] --conf-json FILE\n",
	    progname, progname, progname, progname, progname, progname);
	exit(2);
}

static int
fail(int rc, const struct sbx_err *err)
{
	fprintf(stderr, "%s: %s\n", progname, err->msg);
	return sbx_exit_status(rc);
}

static int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "anchor", required_argument, NULL, 'a' },
		{ "allow-partial", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	const struct sbx_audit_finding *f;
	struct sbx_audit_verify *v = NULL;
	struct sbx_err err = { 0 };
	const char *anchor = NULL;
	bool quiet = false, partial = false;
	size_t i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
		if (c == 'a')
			anchor = optarg;
		else if (c == 'p')
			partial = true;
		else if (c == 'q')
			quiet = true;
		else
			usage();
	}
	if (optind == argc)
		usage();
	if ((rc = sbx_audit_verify_new(&v, anchor, &err)) != SBX_OK)
		return fail(rc, &err);
	for (i = (size_t)optind; i < (size_t)argc; i++)
		if ((rc = sbx_audit_verify_file(v, argv[i], &err)) != SBX_OK)
			goto done;
	rc = sbx_audit_verify_finish(v, partial, &err);
	for (i = 0; (f = sbx_audit_verify_finding(v, i)) != NULL; i++)
		fprintf(stderr, "%s: %s:%lu: %s: %s\n", progname, f->file,
		    f->line, sbx_audit_problem_name(f->problem), f->detail);
	if (!quiet && rc == SBX_OK)
		printf("%" PRIu64 " event%s, chain intact; last seq %" PRIu64
		    ", hash %s\n", sbx_audit_verify_events(v),
		    sbx_audit_verify_events(v) == 1 ? "" : "s",
		    sbx_audit_verify_last_seq(v),
		    sbx_audit_verify_events(v) ? sbx_audit_verify_last_hash(v) :
		    SBX_AUDIT_GENESIS);
	sbx_audit_verify_free(v);
	return sbx_exit_status(rc);
done:
	sbx_audit_verify_free(v);
	return fail(rc, &err);
}

/* Read each log line by line; lines that are not events are noted. */
static int
each_line(char **files, int n, line_fn fn, void *arg, struct sbx_err *err)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned long no;
	ssize_t len;
	json_t *ev;
	FILE *f;
	int i, rc = SBX_OK;

	for (i = 0; i < n && rc == SBX_OK; i++) {
		if ((f = fopen(files[i], "re")) == NULL) {
			rc = sbx_err_set(err, SBX_EIO, "%s: cannot open: %s",
			    files[i], strerror(errno));
			break;
		}
		for (no = 1; rc == SBX_OK && (len = getline(&line, &cap, f)) >
		    0; no++) {
			ev = NULL;
			if (line[len - 1] == '\n' && len <= SBX_AUDIT_LINE_MAX)
				ev = json_loadb(line, (size_t)len - 1, 0, NULL);
			if (!json_is_object(ev))
				fprintf(stderr, "%s: %s:%lu: not an audit "
				    "event, skipped\n", progname, files[i], no);
			else if (fn(ev, line, (size_t)len - 1, arg) != 0)
				rc = sbx_err_set(err, SBX_ENOMEM, "out of "
				    "memory");
			json_decref(ev);
		}
		if (ferror(f))
			rc = sbx_err_set(err, SBX_EIO, "%s: cannot read",
			    files[i]);
		fclose(f);
	}
	free(line);
	return rc;
}

static const char *
str(json_t *ev, const char *obj, const char *member)
{
	json_t *x = json_object_get(ev, obj);

	if (member != NULL)
		x = json_object_get(x, member);
	return json_string_value(x);
}

static bool
is(const char *want, const char *have)
{
	return want == NULL || (have != NULL && strcmp(want, have) == 0);
}

static int64_t
event_time(json_t *ev)
{
	int64_t ms = 0;
	const char *t = str(ev, "time", NULL);

	if (t == NULL || !sbx_audit_time_parse(&ms, t, 0))
		return INT64_MIN;
	return ms;
}

static bool
in_window(const struct filter *f, json_t *ev)
{
	int64_t t = event_time(ev);

	return t >= f->since && t <= f->until;
}

static bool
selected(const struct filter *f, json_t *ev)
{
	const char *e = str(ev, "event", NULL);
	char full[64];

	/* "--event violation" is short for "--event sbx.violation". */
	if (f->event != NULL) {
		snprintf(full, sizeof(full), "%s%s", strncmp(f->event, "sbx.",
		    4) == 0 ? "" : "sbx.", f->event);
		if (!is(full, e))
			return false;
	}
	if (f->artifact != NULL && !is(f->artifact, str(ev, "artifact",
	    "path")) && !is(f->artifact, str(ev, "artifact", "sha256")))
		return false;
	return is(f->tenant, str(ev, "tenant", NULL)) &&
	    is(f->operation, str(ev, "operation", NULL)) &&
	    is(f->rule, str(ev, "policy", "rule")) &&
	    is(f->decision, str(ev, "decision", NULL)) &&
	    is(f->violation, str(ev, "violation", "type")) && in_window(f, ev);
}

/* " key=value", quoted when the value has spaces or quotes. */
static void
kv(const char *key, const char *value)
{
	const char *p;

	if (value == NULL)
		return;
	if (strpbrk(value, " \"\\") == NULL && value[0] != '\0') {
		printf(" %s=%s", key, value);
		return;
	}
	printf(" %s=\"", key);
	for (p = value; *p != '\0'; p++)
		printf("%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
	printf("\"");
}

static int
show_line(json_t *ev, const char *line, size_t len, void *arg)
{
	const struct filter *f = arg;
	json_t *seq = json_object_get(ev, "seq");
	json_t *n = json_object_get(json_object_get(ev, "sampled"), "count");
	char count[32];

	if (!selected(f, ev))
		return 0;
	if (f->json) {
		printf("%.*s\n", (int)len, line);
		return 0;
	}
	printf("#%" JSON_INTEGER_FORMAT " %s %s", json_integer_value(seq),
	    str(ev, "time", NULL) ? str(ev, "time", NULL) : "-",
	    str(ev, "event", NULL) ? str(ev, "event", NULL) : "-");
	kv("tenant", str(ev, "tenant", NULL));
	kv("operation", str(ev, "operation", NULL));
	kv("decision", str(ev, "decision", NULL));
	kv("violation", str(ev, "violation", "type"));
	kv("rule", str(ev, "policy", "rule"));
	kv("artifact", str(ev, "artifact", "path"));
	kv("sha256", str(ev, "artifact", "sha256"));
	kv("signer", str(ev, "signer", "name"));
	kv("tool", str(ev, "tool", NULL));
	kv("previous", str(ev, "rotation", "previous"));
	if (json_is_integer(n)) {
		snprintf(count, sizeof(count), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(n));
		kv("sampled_out", count);
	}
	kv("detail", str(ev, "violation", "detail"));
	printf("\n");
	return 0;
}

static bool
parse_time_opt(int64_t *out, const char *arg)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (sbx_audit_time_parse(out, arg, (int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000))
		return true;
	fprintf(stderr, "%s: %s: not a time (RFC 3339, or 30s, 15m, 24h, "
	    "7d)\n", progname, arg);
	exit(2);
}

static void
filter_opts(struct filter *f, int argc, char **argv, bool report)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "tenant", required_argument, NULL, 't' },
		{ "event", required_argument, NULL, 'e' },
		{ "operation", required_argument, NULL, 'o' },
		{ "rule", required_argument, NULL, 'r' },
		{ "decision", required_argument, NULL, 'd' },
		{ "violation", required_argument, NULL, 'v' },
		{ "artifact", required_argument, NULL, 'a' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(f, 0, sizeof(*f));
	f->since = INT64_MIN + 1;
	f->until = INT64_MAX;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j')
			f->json = true;
		else if (c == 's')
			parse_time_opt(&f->since, optarg);
		else if (c == 'u')
			parse_time_opt(&f->until, optarg);
		else if (report || c == '?')
			usage();
		else
			*(c == 't' ? &f->tenant : c == 'e' ? &f->event :
			    c == 'o' ? &f->operation : c == 'r' ? &f->rule :
			    c == 'd' ? &f->decision : c == 'v' ? &f->violation :
			    &f->artifact) = optarg;
	}
	if (optind == argc)
		usage();
}

static int
cmd_show(int argc, char **argv)
{
	struct sbx_err err = { 0 };
	struct filter f;
	int rc;

	filter_opts(&f, argc, argv, false);
	rc = each_line(argv + optind, argc - optind, show_line, &f, &err);
	if (fflush(stdout) == EOF && rc == SBX_OK)
		rc = sbx_err_set(&err, SBX_EIO, "standard output: %s",
		    strerror(errno));
	return rc == SBX_OK ? 0 : fail(rc, &err);
}

/* report: rows per tenant, rule, artifact and violation type. */
enum dim { D_TENANT, D_RULE, D_ARTIFACT, D_VIOLATION, D_COUNT };

static const char *const dim_names[D_COUNT] = {
	"by_tenant", "by_rule", "by_artifact", "by_violation"
};

struct report {
	const struct filter	*f;
	json_t			*dims[D_COUNT];	/* key -> row */
	json_int_t		 events, violations, sampled_out;
	char			 first[25], last[25];
};

static void
bump(json_t *row, const char *key, json_int_t by)
{
	json_object_set_new(row, key, json_integer(json_integer_value(
	    json_object_get(row, key)) + by));
}

/* The row for key in dimension d, made with its identifying members. */
static json_t *
row_for(struct report *r, enum dim d, json_t *ev)
{
	static const char *const dn[] = { "tenant", "rule", NULL, "type" };
	const char *path = str(ev, "artifact", "path");
	const char *sha = str(ev, "artifact", "sha256");
	const char *k = d == D_TENANT ? str(ev, "tenant", NULL) :
	    d == D_RULE ? str(ev, "policy", "rule") :
	    d == D_VIOLATION ? str(ev, "violation", "type") : NULL;
	char key[2200];
	json_t *row;

	if (d == D_ARTIFACT && path == NULL && sha == NULL)
		return NULL;
	if (d == D_ARTIFACT)
		snprintf(key, sizeof(key), "%s\n%s", path ? path : "",
		    sha ? sha : "");
	else if (k == NULL)
		return NULL;
	else
		snprintf(key, sizeof(key), "%s", k);
	if ((row = json_object_get(r->dims[d], key)) != NULL)
		return row;
	row = json_pack("{s:I, s:I, s:I, s:I}", "events", (json_int_t)0,
	    "accepted", (json_int_t)0, "refused", (json_int_t)0, "audited",
	    (json_int_t)0);
	if (d == D_ARTIFACT) {
		json_object_set_new(row, "path", path ? json_string(path) :
		    json_null());
		json_object_set_new(row, "sha256", sha ? json_string(sha) :
		    json_null());
	} else {
		json_object_set_new(row, dn[d], json_string(k));
	}
	json_object_set_new(r->dims[d], key, row);
	return row;
}

static void
count_in(json_t *row, json_t *ev)
{
	const char *d = str(ev, "decision", NULL), *t = str(ev, "time", NULL);

	if (row == NULL || t == NULL)
		return;
	bump(row, "events", 1);
	if (d != NULL && json_object_get(row, d) != NULL)
		bump(row, d, 1);
	if (json_object_get(row, "first_seen") == NULL)
		json_object_set_new(row, "first_seen", json_string(t));
	json_object_set_new(row, "last_seen", json_string(t));
}

static int
report_line(json_t *ev, const char *line, size_t len, void *arg)
{
	struct report *r = arg;
	const char *e = str(ev, "event", NULL), *t = str(ev, "time", NULL);
	json_int_t n;
	int d;

	if (!in_window(r->f, ev) || e == NULL || t == NULL ||
	    strcmp(e, "sbx.rotate") == 0)
		return 0;
	if (strcmp(e, "sbx.sampled") == 0) {
		n = json_integer_value(json_object_get(json_object_get(ev,
		    "sampled"), "count"));
		r->sampled_out += n;
		bump(row_for(r, D_TENANT, ev), "sampled_out", n);
		return 0;
	}
	r->events++;
	r->violations += str(ev, "violation", "type") != NULL;
	if (r->first[0] == '\0')
		snprintf(r->first, sizeof(r->first), "%s", t);
	snprintf(r->last, sizeof(r->last), "%s", t);
	for (d = 0; d < D_COUNT; d++)
		count_in(row_for(r, (enum dim)d, ev), ev);
	return 0;
}

static int
row_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t ex = json_integer_value(json_object_get(x, "events"));
	json_int_t ey = json_integer_value(json_object_get(y, "events"));

	if (ex != ey)
		return ex > ey ? -1 : 1;
	return strcmp(json_string_value(json_object_get(x, "first_seen")) ?
	    json_string_value(json_object_get(x, "first_seen")) : "",
	    json_string_value(json_object_get(y, "first_seen")) ?
	    json_string_value(json_object_get(y, "first_seen")) : "");
}

/* The rows of a dimension as an array, most events first. */
static json_t *
sorted_rows(json_t *dim)
{
	size_t n = json_object_size(dim), i = 0;
	json_t **rows, *arr = json_array(), *row;
	const char *key;

	if ((rows = calloc(n + 1, sizeof(*rows))) == NULL)
		return arr;
	json_object_foreach(dim, key, row)
		rows[i++] = row;
	qsort(rows, n, sizeof(*rows), row_cmp);
	for (i = 0; i < n; i++)
		json_array_append(arr, rows[i]);
	free(rows);
	return arr;
}

static void
print_rows(const char *title, json_t *rows, enum dim d)
{
	size_t i;
	json_t *row;
	char name[2200];

	if (json_array_size(rows) == 0)
		return;
	printf("\n%-40s %7s %8s %7s %7s  %-24s  %s\n", title, "events",
	    "accepted", "refused", "audited", "first seen", "last seen");
	json_array_foreach(rows, i, row) {
		if (d == D_ARTIFACT)
			snprintf(name, sizeof(name), "%s%s%.12s",
			    str(row, "path", NULL) ? str(row, "path", NULL) :
			    "", str(row, "sha256", NULL) ? " sha256:" : "",
			    str(row, "sha256", NULL) ? str(row, "sha256",
			    NULL) : "");
		else
			snprintf(name, sizeof(name), "%s", str(row, d ==
			    D_TENANT ? "tenant" : d == D_RULE ? "rule" : "type",
			    NULL));
		printf("%-40s %7" JSON_INTEGER_FORMAT " %8" JSON_INTEGER_FORMAT
		    " %7" JSON_INTEGER_FORMAT " %7" JSON_INTEGER_FORMAT
		    "  %-24s  %s", name,
		    json_integer_value(json_object_get(row, "events")),
		    json_integer_value(json_object_get(row, "accepted")),
		    json_integer_value(json_object_get(row, "refused")),
		    json_integer_value(json_object_get(row, "audited")),
		    str(row, "first_seen", NULL) ? str(row, "first_seen",
		    NULL) : "-", str(row, "last_seen", NULL) ?
		    str(row, "last_seen", NULL) : "-");
		if (json_object_get(row, "sampled_out") != NULL)
			printf("  (%" JSON_INTEGER_FORMAT " sampled out)",
			    json_integer_value(json_object_get(row,
			    "sampled_out")));
		printf("\n");
	}
}

static void
print_report(struct report *r, json_t *out)
{
	static const char *const titles[D_COUNT] = {
		"tenant", "rule", "artifact", "violation type"
	};
	int d;

	if (r->f->json) {
		json_dumpf(out, stdout, JSON_COMPACT);
		printf("\n");
		return;
	}
	printf("sbx audit report: %" JSON_INTEGER_FORMAT " events, %"
	    JSON_INTEGER_FORMAT " with a violation, %" JSON_INTEGER_FORMAT
	    " sampled out\n", r->events, r->violations, r->sampled_out);
	if (r->events > 0)
		printf("from %s to %s\n", r->first, r->last);
	for (d = 0; d < D_COUNT; d++)
		print_rows(titles[d], json_object_get(out, dim_names[d]),
		    (enum dim)d);
}

static int
cmd_report(int argc, char **argv)
{
	struct sbx_err err = { 0 };
	struct report r = { 0 };
	struct filter f;
	json_t *out = NULL;
	int d, rc = SBX_ENOMEM;

	filter_opts(&f, argc, argv, true);
	r.f = &f;
	for (d = 0; d < D_COUNT; d++)
		if ((r.dims[d] = json_object()) == NULL)
			goto done;
	rc = each_line(argv + optind, argc - optind, report_line, &r, &err);
	if (rc != SBX_OK)
		goto done;
	out = json_pack("{s:I, s:I, s:I, s:s?, s:s?}", "events", r.events,
	    "violations", r.violations, "sampled_out", r.sampled_out,
	    "first_seen", r.first[0] ? r.first : NULL, "last_seen",
	    r.last[0] ? r.last : NULL);
	for (d = 0; out != NULL && d < D_COUNT; d++)
		json_object_set_new(out, dim_names[d], sorted_rows(r.dims[d]));
	if (out == NULL) {
		rc = sbx_err_set(&err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	print_report(&r, out);
	rc = fflush(stdout) == EOF ? sbx_err_set(&err, SBX_EIO, "standard "
	    "output: %s", strerror(errno)) : SBX_OK;
done:
	for (d = 0; d < D_COUNT; d++)
		json_decref(r.dims[d]);
	json_decref(out);
	return rc == SBX_OK ? 0 : fail(rc, &err);
}

static int
cmd_rotate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-fsync", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	char rotated[PATH_MAX], hash[SBX_AUDIT_HASH_LEN + 1];
	struct sbx_err err = { 0 };
	bool quiet = false, sync = true;
	uint64_t seq;
	int c, rc;

	while ((c = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
		if (c == 'n')
			sync = false;
		else if (c == 'q')
			quiet = true;
		else
			usage();
	}
	if (optind != argc - 1)
		usage();
	rc = sbx_audit_rotate(rotated, &seq, hash, argv[optind], sync, &err);
	if (rc != SBX_OK)
		return fail(rc, &err);
	if (!quiet)
		printf("%s: rotated to %s (last seq %" PRIu64 ", hash %s); "
		    "the chain goes on in %s\n", argv[optind], rotated, seq,
		    hash, argv[optind]);
	return 0;
}

/* The process that runs us, a script logging into the chain. */
struct parent {
	char		  exe[PATH_MAX];
	struct sbx_buf	  cmdline;
	char		**argv;
};

static int
describe_parent(struct sbx_audit_event *ev, struct parent *p,
    struct sbx_err *err)
{
	char path[64];
	ssize_t n;
	size_t i;
	int argc = 0;

	ev->process.pid = getppid();
	ev->process.uid = getuid();
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)ev->process.pid);
	n = readlink(path, p->exe, sizeof(p->exe) - 1);
	snprintf(p->exe + (n > 0 ? n : 0), sizeof(p->exe) - (n > 0 ?
	    (size_t)n : 0), "%s", n > 0 ? "" : "unknown");
	ev->process.executable = p->exe;

	/* Unreadable (another user's process): an empty argv, not ours. */
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)ev->process.pid);
	if (sbx_file_read(&p->cmdline, path, CMDLINE_MAX, NULL) != SBX_OK)
		p->cmdline.len = 0;
	if (sbx_buf_terminate(&p->cmdline, err) != SBX_OK ||
	    (p->argv = calloc(p->cmdline.len + 1, sizeof(char *))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	for (i = 0; i < p->cmdline.len; i += strlen(p->argv[argc - 1]) + 1)
		p->argv[argc++] = (char *)p->cmdline.p + i;
	ev->process.argc = argc;
	ev->process.argv = p->argv;
	return SBX_OK;
}

static void
print_result(const struct sbx_audit_result *res, bool json)
{
	json_t *out, *counts, *sink;
	int s, o;

	if (res->sink_msg[0] != '\0')
		fprintf(stderr, "%s: warning: %s\n", progname, res->sink_msg);
	if (!json)
		return;
	counts = json_object();
	for (s = 0; s < SBX_SINK_COUNT; s++) {
		sink = json_object();
		for (o = 0; o < SBX_AUDIT_OUTCOME_COUNT; o++)
			if (res->counts[s][o] > 0)
				json_object_set_new(sink,
				    sbx_audit_outcome_name(o), json_integer(
				    (json_int_t)res->counts[s][o]));
		if (json_object_size(sink) > 0)
			json_object_set_new(counts, sbx_audit_sink_name(s),
			    sink);
		else
			json_decref(sink);
	}
	out = json_pack("{s:I, s:s?, s:o}", "seq", (json_int_t)res->seq,
	    "hash", res->seq ? res->hash : NULL, "counts", counts);
	json_dumpf(out, stdout, JSON_COMPACT);
	printf("\n");
	json_decref(out);
}

static json_t *
load_json(const char *path, struct sbx_err *err)
{
	json_error_t jerr;
	json_t *j;

	if (strcmp(path, "-") == 0)
		j = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	else
		j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		sbx_err_set(err, jerr.line < 0 ? SBX_EIO : SBX_ECONFIG,
		    "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
	return j;
}

static void
conf_opts(int argc, char **argv, const char **conf, const char **event,
    long *budget, bool *json)
{
	static const struct option opts[] = {
		{ "conf-json", required_argument, NULL, 'c' },
		{ "event-json", required_argument, NULL, 'e' },
		{ "budget-ms", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'c')
			*conf = optarg;
		else if (c == 'e' && event != NULL)
			*event = optarg;
		else if (c == 'j')
			*json = true;
		else if (c == 'b' && budget != NULL) {
			*budget = strtol(optarg, &end, 10);
			if (*end != '\0' || *budget < 1 || *budget > 600000)
				usage();
		} else
			usage();
	}
	if (optind != argc || *conf == NULL ||
	    (event != NULL && *event == NULL))
		usage();
}

static int
cmd_emit(int argc, char **argv)
{
	struct sbx_audit_conf conf;
	struct sbx_audit_event ev;
	struct sbx_audit_result res;
	struct sbx_err err = { 0 };
	struct parent parent = { .cmdline = { 0 } };
	const char *cpath = NULL, *epath = NULL;
	json_t *j = NULL;
	bool json = false;
	int rc;

	conf_opts(argc, argv, &cpath, &epath, NULL, &json);
	sbx_audit_conf_init(&conf);
	if ((rc = sbx_audit_conf_load(&conf, cpath, &err)) != SBX_OK)
		goto done;
	if ((j = load_json(epath, &err)) == NULL) {
		rc = err.code;
		goto done;
	}
	if ((rc = sbx_audit_event_from_json(&ev, j, &err)) != SBX_OK) {
		sbx_err_prefix(&err, epath);
		goto done;
	}
	if (ev.tool == NULL)
		ev.tool = progname;
	if ((rc = describe_parent(&ev, &parent, &err)) != SBX_OK)
		goto done;
	rc = sbx_audit_emit(&res, &conf, &ev, &err);
	if (rc == SBX_OK)
		print_result(&res, json);
done:
	json_decref(j);
	sbx_audit_conf_release(&conf);
	sbx_buf_free(&parent.cmdline);
	free(parent.argv);
	return rc == SBX_OK ? 0 : fail(rc, &err);
}

static int
cmd_flush(int argc, char **argv)
{
	struct sbx_audit_conf conf;
	struct sbx_audit_result res;
	struct sbx_err err = { 0 };
	const char *cpath = NULL;
	long budget = 0;
	bool json = false;
	int rc;

	conf_opts(argc, argv, &cpath, NULL, &budget, &json);
	if ((rc = sbx_audit_conf_load(&conf, cpath, &err)) != SBX_OK)
		return fail(rc, &err);
	/* Run by hand or by cron: it may take longer than a JVM start. */
	conf.budget_ms = budget > 0 ? (unsigned)budget : 10000;
	rc = sbx_audit_flush(&res, &conf, &err);
	if (rc == SBX_OK)
		print_result(&res, json);
	sbx_audit_conf_release(&conf);
	return rc == SBX_OK ? 0 : fail(rc, &err);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char	*name;
		int		(*fn)(int, char **);
	} cmds[] = {
		{ "verify", cmd_verify }, { "show", cmd_show },
		{ "report", cmd_report }, { "rotate", cmd_rotate },
		{ "emit", cmd_emit }, { "flush", cmd_flush },
	};
	size_t i;

	if (argc < 2)
		usage();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	usage();
}

/* tests/unit/check_audit.c: the audit log, its chain, sampling and sinks. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include <sbx/audit.h>
#include <sbx/buf.h>
#include <sbx/err.h>
#include <sbx/file.h>

#define T0		1714557600000LL		/* 2024-05-01T10:00:00Z */
#define SHA_A \
	"abababababababababababababababababababababababababababababababab"
#define TRACE	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
#define MAXLINES	64

static char dir[64];
static char logpath[128];
static char *const test_argv[] = {
	"/usr/bin/java", "-javaagent:/opt/agents/a.jar", "-jar", "app.jar",
	NULL
};

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_audit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(logpath, sizeof(logpath), "%s/audit.jsonl", dir);
}

static void
teardown(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
conf_for(struct sbx_audit_conf *c, const char *file)
{
	sbx_audit_conf_init(c);
	c->file = file;
	c->fsync = false;
}

/* A fully specified event, so that nothing comes from the host. */
static void
fill(struct sbx_audit_event *ev, enum sbx_audit_kind kind, const char *tenant,
    int64_t t)
{
	sbx_audit_event_init(ev, kind, "sbx-guard");
	ev->time_ms = t;
	ev->tenant = tenant;
	ev->operation = "guard";
	ev->artifact.path = "/opt/agents/a.jar";
	ev->artifact.sha256 = SHA_A;
	ev->artifact.size = 1234;
	ev->signer.key_id = SHA_A;
	ev->signer.name = "release-2024";
	ev->signer.subject = "CN=release";
	ev->policy.path = "/etc/sbx/policy.json";
	ev->policy.rule = "agents.signed";
	if (kind == SBX_AUDIT_VIOLATION) {
		ev->decision = SBX_AUDIT_REFUSED;
		ev->violation.type = SBX_V_DIGEST_MISMATCH;
		ev->violation.detail = "com/acme/Agent.class";
	} else {
		ev->decision = SBX_AUDIT_ACCEPTED;
	}
	ev->process.pid = 4242;
	ev->process.uid = 1000;
	ev->process.executable = "/usr/bin/java";
	ev->process.argc = 4;
	ev->process.argv = test_argv;
	ev->host = "host1";
	ev->traceparent = TRACE;
}

static void
emit_n(const char *file, const char *tenant, int n)
{
	struct sbx_audit_conf c;
	struct sbx_audit_event ev;
	struct sbx_audit_result res;
	struct sbx_err err = { 0 };
	int i;

	conf_for(&c, file);
	for (i = 0; i < n; i++) {
		fill(&ev, i % 2 ? SBX_AUDIT_CHECK : SBX_AUDIT_VIOLATION,
		    tenant, T0 + i * 1000);
		ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err), SBX_OK);
		ck_assert_uint_gt(res.seq, 0);
	}
}

/* The lines of a file, each without its newline. */
static int
read_lines(const char *file, char **lines)
{
	struct sbx_buf b = { 0 };
	char *p, *nl;
	int n = 0;

	ck_assert_int_eq(sbx_file_read(&b, file, 1 << 24, NULL), SBX_OK);
	ck_assert_int_eq(sbx_buf_terminate(&b, NULL), SBX_OK);
	for (p = (char *)b.p; *p != '\0' && n < MAXLINES; p = nl + 1) {
		nl = strchr(p, '\n');
		ck_assert_ptr_nonnull(nl);
		lines[n++] = strndup(p, (size_t)(nl - p));
	}
	sbx_buf_free(&b);
	return n;
}

static void
write_lines(const char *file, char **lines, int n, const char *tail)
{
	FILE *f = fopen(file, "w");
	int i;

	ck_assert_ptr_nonnull(f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s\n", lines[i]);
	if (tail != NULL)
		fputs(tail, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void
free_lines(char **lines, int n)
{
	while (n > 0)
		free(lines[--n]);
}

static char vfile[PATH_MAX];

/* Verify file alone; the code, and the first finding or NULL. */
static int
verify(const char *file, bool allow_partial, struct sbx_audit_finding *first,
    uint64_t *events)
{
	struct sbx_audit_verify *v;
	struct sbx_err err = { 0 };
	int rc;

	ck_assert_int_eq(sbx_audit_verify_new(&v, NULL, &err), SBX_OK);
	ck_assert_int_eq(sbx_audit_verify_file(v, file, &err), SBX_OK);
	rc = sbx_audit_verify_finish(v, allow_partial, &err);
	memset(first, 0, sizeof(*first));
	if (sbx_audit_verify_nfindings(v) > 0) {
		*first = *sbx_audit_verify_finding(v, 0);
		snprintf(vfile, sizeof(vfile), "%s", first->file);
		first->file = vfile;
	}
	if (events != NULL)
		*events = sbx_audit_verify_events(v);
	sbx_audit_verify_free(v);
	return rc;
}

START_TEST(intact_log_verifies)
{
	struct sbx_audit_finding f;
	uint64_t events;

	emit_n(logpath, "payments", 6);
	ck_assert_int_eq(verify(logpath, false, &f, &events), SBX_OK);
	ck_assert_int_eq(f.problem, 0);
	ck_assert_uint_eq(events, 6);
}
END_TEST

/* Each kind of tampering, and the line verify must name. */
enum tamper { T_REMOVE, T_REMOVE_FIRST, T_EDIT, T_EDIT_REHASH, T_SWAP,
	T_INSERT_FOREIGN, T_INSERT_COPY, T_TRUNCATE, T_GARBAGE };

static const struct {
	enum tamper		 how;
	enum sbx_audit_problem	 problem;
	unsigned long		 line;
	const char		*why;
} tamper_cases[] = {
	{ T_REMOVE, SBX_AUDIT_REMOVED, 3, "line 3 deleted: line 3 is seq 4" },
	{ T_REMOVE_FIRST, SBX_AUDIT_REMOVED, 1, "first line deleted" },
	{ T_EDIT, SBX_AUDIT_EDITED, 4, "tenant changed, hash left" },
	{ T_EDIT_REHASH, SBX_AUDIT_EDITED, 4, "changed and hash recomputed" },
	{ T_SWAP, SBX_AUDIT_REORDERED, 3, "lines 3 and 4 swapped" },
	{ T_INSERT_FOREIGN, SBX_AUDIT_INSERTED, 3, "event of another log" },
	{ T_INSERT_COPY, SBX_AUDIT_INSERTED, 5, "line 2 replayed at 5" },
	{ T_TRUNCATE, SBX_AUDIT_PARTIAL, 6, "last line cut in half" },
	{ T_GARBAGE, SBX_AUDIT_MALFORMED, 2, "a line that is not JSON" },
};

static char *
rehashed(const char *line, const char *tenant)
{
	char hash[SBX_AUDIT_HASH_LEN + 1];
	json_t *ev = json_loads(line, 0, NULL);
	char *out;

	ck_assert_ptr_nonnull(ev);
	json_object_set_new(ev, "tenant", json_string(tenant));
	ck_assert_int_eq(sbx_audit_hash(hash, ev, NULL), SBX_OK);
	json_object_set_new(ev, "hash", json_string(hash));
	out = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(ev);
	return out;
}

static void
tamper(enum tamper how, char **l, int *n, const char *foreign)
{
	char *p;
	int i;

	switch (how) {
	case T_REMOVE:
	case T_REMOVE_FIRST:
		i = how == T_REMOVE ? 2 : 0;
		free(l[i]);
		memmove(l + i, l + i + 1, (size_t)(*n - i - 1) * sizeof(*l));
		(*n)--;
		break;
	case T_EDIT:
		p = strstr(l[3], "\"tenant\":\"payments\"");
		ck_assert_ptr_nonnull(p);
		memcpy(p + 10, "PAYMENTS", 8);
		break;
	case T_EDIT_REHASH:
		p = rehashed(l[3], "other");
		free(l[3]);
		l[3] = p;
		break;
	case T_SWAP:
		p = l[2];
		l[2] = l[3];
		l[3] = p;
		break;
	case T_INSERT_FOREIGN:
	case T_INSERT_COPY:
		i = how == T_INSERT_FOREIGN ? 2 : 4;
		memmove(l + i + 1, l + i, (size_t)(*n - i) * sizeof(*l));
		l[i] = strdup(how == T_INSERT_FOREIGN ? foreign : l[1]);
		(*n)++;
		break;
	case T_TRUNCATE:
		l[*n - 1][strlen(l[*n - 1]) / 2] = '\0';
		break;
	case T_GARBAGE:
		memmove(l + 2, l + 1, (size_t)(*n - 1) * sizeof(*l));
		l[1] = strdup("this line was typed by hand");
		(*n)++;
		break;
	}
}

START_TEST(verify_names_first_tampered_line)
{
	char *lines[MAXLINES], *other[MAXLINES], path[PATH_MAX];
	char otherpath[PATH_MAX];
	struct sbx_audit_finding f;
	int n, no, rc;

	snprintf(otherpath, sizeof(otherpath), "%s/other.jsonl", dir);
	snprintf(path, sizeof(path), "%s/tampered.jsonl", dir);
	emit_n(logpath, "payments", 6);
	emit_n(otherpath, "intruder", 3);
	n = read_lines(logpath, lines);
	no = read_lines(otherpath, other);
	ck_assert_int_eq(n, 6);

	tamper(tamper_cases[_i].how, lines, &n, other[2]);
	write_lines(path, lines, n - (tamper_cases[_i].how == T_TRUNCATE),
	    tamper_cases[_i].how == T_TRUNCATE ? lines[n - 1] : NULL);
	rc = verify(path, false, &f, NULL);

	ck_assert_msg(rc == SBX_EREJECT, "%s: rc %d", tamper_cases[_i].why,
	    rc);
	ck_assert_msg(f.problem == tamper_cases[_i].problem, "%s: got %s",
	    tamper_cases[_i].why, sbx_audit_problem_name(f.problem));
	ck_assert_msg(f.line == tamper_cases[_i].line, "%s: line %lu",
	    tamper_cases[_i].why, f.line);
	ck_assert_str_eq(f.file, path);
	free_lines(lines, n);
	free_lines(other, no);
}
END_TEST

START_TEST(verify_message_names_file_line_and_problem)
{
	struct sbx_audit_verify *v;
	struct sbx_err err = { 0 };
	char *lines[MAXLINES];
	int n;

	emit_n(logpath, "payments", 5);
	n = read_lines(logpath, lines);
	free(lines[1]);
	memmove(lines + 1, lines + 2, 3 * sizeof(*lines));
	write_lines(logpath, lines, n - 1, NULL);

	ck_assert_int_eq(sbx_audit_verify_new(&v, NULL, &err), SBX_OK);
	ck_assert_int_eq(sbx_audit_verify_file(v, logpath, &err), SBX_OK);
	ck_assert_int_eq(sbx_audit_verify_finish(v, false, &err), SBX_EREJECT);
	ck_assert_ptr_nonnull(strstr(err.msg, "audit.jsonl:2: removed: "
	    "events seq 2 to 2 are missing before this line"));
	ck_assert_uint_eq(sbx_audit_verify_nfindings(v), 1);
	sbx_audit_verify_free(v);
	free_lines(lines, n - 1);
}
END_TEST

START_TEST(verify_rejects_bad_anchor_and_reads_missing_file_as_eio)
{
	struct sbx_audit_verify *v;
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_audit_verify_new(&v, "ABC", &err), SBX_ECONFIG);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(sbx_audit_verify_new(&v, NULL, &err), SBX_OK);
	ck_assert_int_eq(sbx_audit_verify_file(v, "/nonexistent/a.jsonl",
	    &err), SBX_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/a.jsonl"));
	sbx_audit_verify_free(v);
}
END_TEST

START_TEST(rotation_keeps_the_chain_across_files)
{
	char rotated[PATH_MAX], hash[SBX_AUDIT_HASH_LEN + 1], *lines[4];
	struct sbx_audit_verify *v;
	struct sbx_audit_finding f;
	struct sbx_err err = { 0 };
	uint64_t seq;
	json_t *first;
	int n;

	emit_n(logpath, "payments", 3);
	ck_assert_int_eq(sbx_audit_rotate(rotated, &seq, hash, logpath, false,
	    &err), SBX_OK);
	ck_assert_uint_eq(seq, 3);
	ck_assert_str_eq(rotated + strlen(logpath), ".1");
	emit_n(logpath, "payments", 2);

	/* The new file opens with sbx.rotate, chained to the old end. */
	n = read_lines(logpath, lines);
	ck_assert_int_eq(n, 3);
	first = json_loads(lines[0], 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(first, "event")),
	    "sbx.rotate");
	ck_assert_str_eq(json_string_value(json_object_get(first,
	    "prev_hash")), hash);
	ck_assert_int_eq(json_integer_value(json_object_get(first, "seq")), 4);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    first, "rotation"), "previous")), "audit.jsonl.1");
	json_decref(first);
	free_lines(lines, n);

	ck_assert_int_eq(sbx_audit_verify_new(&v, NULL, &err), SBX_OK);
	ck_assert_int_eq(sbx_audit_verify_file(v, rotated, &err), SBX_OK);
	ck_assert_int_eq(sbx_audit_verify_file(v, logpath, &err), SBX_OK);
	ck_assert_int_eq(sbx_audit_verify_finish(v, false, &err), SBX_OK);
	ck_assert_uint_eq(sbx_audit_verify_events(v), 6);
	ck_assert_uint_eq(sbx_audit_verify_last_seq(v), 6);
	sbx_audit_verify_free(v);

	/* Alone, the new file does not start the chain... */
	ck_assert_int_eq(verify(logpath, false, &f, NULL), SBX_EREJECT);
	ck_assert_int_eq(f.problem, SBX_AUDIT_REMOVED);
	ck_assert_uint_eq(f.line, 1);
	/* ...unless its anchor is given. */
	ck_assert_int_eq(sbx_audit_verify_new(&v, hash, &err), SBX_OK);
	ck_assert_int_eq(sbx_audit_verify_file(v, logpath, &err), SBX_OK);
	ck_assert_int_eq(sbx_audit_verify_finish(v, false, &err), SBX_OK);
	sbx_audit_verify_free(v);

	/* A second rotation takes the next number. */
	ck_assert_int_eq(sbx_audit_rotate(rotated, &seq, hash, logpath, false,
	    &err), SBX_OK);
	ck_assert_str_eq(rotated + strlen(logpath), ".2");
	ck_assert_uint_eq(seq, 6);
}
END_TEST

/* Junk longer than a writer looks back: rotation gets writing going. */
START_TEST(rotation_recovers_a_log_that_ends_in_junk)
{
	char rotated[PATH_MAX], hash[SBX_AUDIT_HASH_LEN + 1], *junk;
	struct sbx_audit_conf c;
	struct sbx_audit_event ev;
	struct sbx_audit_result res;
	struct sbx_audit_verify *v;
	struct sbx_err err = { 0 };
	uint64_t seq;
	FILE *f;

	emit_n(logpath, "payments", 3);
	junk = malloc(600000);
	memset(junk, 'j', 599999);
	junk[599999] = '\0';
	f = fopen(logpath, "a");
	fprintf(f, "%s\n", junk);
	fclose(f);
	free(junk);

	conf_for(&c, logpath);
	fill(&ev, SBX_AUDIT_VIOLATION, "payments", T0);
	ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err), SBX_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "no complete event in its last "
	    "524288 bytes; rotate it (sbx-audit rotate)"));
	ck_assert_uint_eq(res.counts[SBX_SINK_FILE][SBX_AUDIT_FAILED], 1);

	ck_assert_int_eq(sbx_audit_rotate(rotated, &seq, hash, logpath, false,
	    &err), SBX_OK);
	ck_assert_uint_eq(seq, 3);
	ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err), SBX_OK);
	ck_assert_uint_eq(res.seq, 5);

	ck_assert_int_eq(sbx_audit_verify_new(&v, NULL, &err), SBX_OK);
	ck_assert_int_eq(sbx_audit_verify_file(v, rotated, &err), SBX_OK);
	ck_assert_int_eq(sbx_audit_verify_file(v, logpath, &err), SBX_OK);
	ck_assert_int_eq(sbx_audit_verify_finish(v, false, &err), SBX_EREJECT);
	ck_assert_uint_eq(sbx_audit_verify_nfindings(v), 1);
	ck_assert_int_eq(sbx_audit_verify_finding(v, 0)->problem,
	    SBX_AUDIT_MALFORMED);
	ck_assert_uint_eq(sbx_audit_verify_finding(v, 0)->line, 4);
	ck_assert_str_eq(sbx_audit_verify_finding(v, 0)->detail,
	    "line too long");
	ck_assert_uint_eq(sbx_audit_verify_events(v), 5);
	sbx_audit_verify_free(v);
}
END_TEST

START_TEST(rotate_of_missing_log_is_eio)
{
	char rotated[PATH_MAX], hash[SBX_AUDIT_HASH_LEN + 1];
	struct sbx_err err = { 0 };
	uint64_t seq;

	ck_assert_int_eq(sbx_audit_rotate(rotated, &seq, hash, logpath, false,
	    &err), SBX_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "audit.jsonl: cannot open"));
}
END_TEST

/* A writer killed mid-line: by hand, half of a real event. */
START_TEST(partial_line_is_reported_and_next_writer_goes_on)
{
	char *lines[MAXLINES], half[4096];
	struct sbx_audit_finding f;
	uint64_t events;
	int n;

	emit_n(logpath, "payments", 4);
	n = read_lines(logpath, lines);
	snprintf(half, sizeof(half), "%.*s", (int)strlen(lines[3]) / 2,
	    lines[3]);
	write_lines(logpath, lines, 3, half);
	free_lines(lines, n);

	ck_assert_int_eq(verify(logpath, false, &f, &events), SBX_EREJECT);
	ck_assert_int_eq(f.problem, SBX_AUDIT_PARTIAL);
	ck_assert_uint_eq(f.line, 4);
	ck_assert_str_eq(f.detail, "unfinished last line (a writer stopped "
	    "mid-write)");
	ck_assert_int_eq(verify(logpath, true, &f, NULL), SBX_OK);
	ck_assert_uint_eq(events, 3);

	/* The next writer ends the fragment and chains to line 3. */
	emit_n(logpath, "payments", 1);
	ck_assert_int_eq(verify(logpath, false, &f, &events), SBX_EREJECT);
	ck_assert_int_eq(f.problem, SBX_AUDIT_PARTIAL);
	ck_assert_uint_eq(f.line, 4);
	ck_assert_str_eq(f.detail, "unfinished line, ended by a later writer");
	ck_assert_int_eq(verify(logpath, true, &f, &events), SBX_OK);
	ck_assert_uint_eq(events, 4);
	n = read_lines(logpath, lines);
	ck_assert_int_eq(n, 5);
	ck_assert_str_eq(lines[3], half);
	ck_assert_ptr_nonnull(strstr(lines[4], "\"seq\":4"));
	free_lines(lines, n);
}
END_TEST

/* Lines of file that parse as JSON objects. */
static uint64_t
count_events(const char *file)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t n = 0;
	json_t *ev;
	FILE *fp = fopen(file, "r");

	ck_assert_ptr_nonnull(fp);
	while ((len = getline(&line, &cap, fp)) > 0) {
		ev = json_loadb(line, (size_t)len, 0, NULL);
		n += json_is_object(ev);
		json_decref(ev);
	}
	fclose(fp);
	free(line);
	return n;
}

/* Writers killed at random moments never cost a complete event. */
START_TEST(sigkill_during_appends_loses_no_complete_event)
{
	struct sbx_audit_finding f;
	struct sbx_audit_conf c;
	struct sbx_audit_event ev;
	struct sbx_audit_result res;
	struct sbx_err err = { 0 };
	char detail[8000];
	uint64_t events;
	size_t i;
	pid_t pid;
	int round, status;
	struct timespec nap = { 0, 2000000 };

	memset(detail, 'x', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	conf_for(&c, logpath);
	for (round = 0; round < 8; round++) {
		if ((pid = fork()) == 0) {
			for (i = 0; i < 100000; i++) {
				fill(&ev, SBX_AUDIT_VIOLATION, "t", T0);
				ev.violation.detail = detail;
				sbx_audit_emit(&res, &c, &ev, &err);
			}
			_exit(0);
		}
		nap.tv_nsec = 1000000 + 700000 * round;
		nanosleep(&nap, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	emit_n(logpath, "after", 1);
	ck_assert_int_eq(verify(logpath, true, &f, &events), SBX_OK);
	/* Every line that is a whole event is in the chain. */
	ck_assert_uint_eq(events, count_events(logpath));
	ck_assert_uint_ge(events, 2);
}
END_TEST

START_TEST(fifty_processes_append_without_interleaving)
{
	struct sbx_audit_finding f;
	char tenant[16], *line = NULL;
	int counts[50] = { 0 }, i, status;
	uint64_t events, seen[1001] = { 0 };
	size_t cap = 0;
	json_t *ev;
	FILE *fp;
	pid_t pids[50];

	for (i = 0; i < 50; i++) {
		if ((pids[i] = fork()) == 0) {
			snprintf(tenant, sizeof(tenant), "t%02d", i);
			emit_n(logpath, tenant, 20);
			_exit(0);
		}
	}
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_int_eq(WEXITSTATUS(status), 0);
	}
	ck_assert_int_eq(verify(logpath, false, &f, &events), SBX_OK);
	ck_assert_uint_eq(events, 1000);

	/* Each line a whole event; each child's 20; each seq once. */
	fp = fopen(logpath, "r");
	while (getline(&line, &cap, fp) > 0) {
		ev = json_loads(line, 0, NULL);
		ck_assert_ptr_nonnull(ev);
		counts[atoi(json_string_value(json_object_get(ev,
		    "tenant")) + 1)]++;
		seen[json_integer_value(json_object_get(ev, "seq"))]++;
		json_decref(ev);
	}
	fclose(fp);
	free(line);
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(counts[i], 20);
	for (i = 1; i <= 1000; i++)
		ck_assert_uint_eq(seen[i], 1);
}
END_TEST

static const struct {
	const char	*prev, *arg, *want, *why;
} redact_cases[] = {
	{ NULL, "--passphrase-file", "--passphrase-file", "option kept" },
	{ "--passphrase-file", "/run/k.pass", "[redacted]",
	    "value after --passphrase*" },
	{ "--passphrase", "hunter2", "[redacted]", "plain --passphrase" },
	{ "--pin", "1234", "[redacted]", "value after --pin" },
	{ NULL, "--pin=1234", "--pin=[redacted]", "--pin=VALUE" },
	{ NULL, "--db-password=hunter2", "--db-password=[redacted]",
	    "*password* with =" },
	{ "--AUTH-TOKEN", "abc", "[redacted]", "case does not matter" },
	{ "--client-secret", "abc", "[redacted]", "*secret*" },
	{ NULL, "-Djavax.net.ssl.keyStorePassword=changeit",
	    "-Djavax.net.ssl.keyStorePassword=[redacted]", "Java property" },
	{ NULL, "pkcs11:token=sbx;object=k?pin-value=1234",
	    "pkcs11:token=[redacted];object=k?pin-value=[redacted]",
	    "pin-value= in a PKCS#11 URI (and the token label)" },
	{ NULL, "-javaagent:/opt/a.jar=apiToken=abc,mode=x",
	    "-javaagent:/opt/a.jar=apiToken=[redacted],mode=x",
	    "agent option ends at a comma" },
	{ NULL, "https://ci:s3cr3t@repo.example/x.jar",
	    "https://ci:[redacted]@repo.example/x.jar", "URL user info" },
	{ NULL, "--verbose", "--verbose", "ordinary option" },
	{ "--verbose", "a.jar", "a.jar", "after an ordinary option" },
	{ "-XX:+UseSecretSauce", "x", "x", "a JVM flag is not an option name" },
	{ NULL, "--pinned=yes", "--pinned=yes", "pin is a whole word" },
	{ NULL, "--token=", "--token=", "nothing to hide" },
	{ NULL, "https://repo.example/x.jar", "https://repo.example/x.jar",
	    "URL without user info" },
	{ NULL, "https://b.example/x.jar?X-Amz-Signature=abc&e=1",
	    "https://b.example/x.jar?[redacted]", "a URL's query" },
	{ NULL, "https://ci:pw@b.example/x.jar?sig=abc",
	    "https://ci:[redacted]@b.example/x.jar?[redacted]",
	    "user info and query" },
	{ NULL, "a.jar?x=1", "a.jar?x=1", "not a URL" },
	{ "--token", "--verbose", "[redacted]",
	    "whatever follows a secret option" },
};

/* Writers racing a rotation follow it into the new file. */
START_TEST(appends_during_rotations_keep_one_chain)
{
	char rotated[PATH_MAX], hash[SBX_AUDIT_HASH_LEN + 1], name[PATH_MAX];
	struct sbx_audit_verify *v;
	struct sbx_err err = { 0 };
	struct timespec nap = { 0, 3000000 };
	uint64_t seq;
	pid_t pids[20];
	int i, status;

	emit_n(logpath, "first", 1);
	for (i = 0; i < 20; i++)
		if ((pids[i] = fork()) == 0) {
			emit_n(logpath, "racer", 20);
			_exit(0);
		}
	for (i = 0; i < 3; i++) {
		nanosleep(&nap, NULL);
		ck_assert_int_eq(sbx_audit_rotate(rotated, &seq, hash, logpath,
		    false, &err), SBX_OK);
	}
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_int_eq(WEXITSTATUS(status), 0);
	}
	ck_assert_int_eq(sbx_audit_verify_new(&v, NULL, &err), SBX_OK);
	for (i = 1; i <= 3; i++) {
		snprintf(name, sizeof(name), "%s.%d", logpath, i);
		ck_assert_int_eq(sbx_audit_verify_file(v, name, &err), SBX_OK);
	}
	ck_assert_int_eq(sbx_audit_verify_file(v, logpath, &err), SBX_OK);
	ck_assert_msg(sbx_audit_verify_finish(v, false, &err) == SBX_OK, "%s",
	    err.msg);
	/* 1 + 20 * 20 events and three sbx.rotate. */
	ck_assert_uint_eq(sbx_audit_verify_events(v), 404);
	ck_assert_uint_eq(sbx_audit_verify_last_seq(v), 404);
	sbx_audit_verify_free(v);
}
END_TEST

START_TEST(redaction_table)
{
	struct sbx_buf b = { 0 };

	ck_assert_int_eq(sbx_audit_redact_arg(&b, redact_cases[_i].prev,
	    redact_cases[_i].arg, NULL), SBX_OK);
	ck_assert_int_eq(sbx_buf_terminate(&b, NULL), SBX_OK);
	ck_assert_msg(strcmp((char *)b.p, redact_cases[_i].want) == 0,
	    "%s: got %s", redact_cases[_i].why, (char *)b.p);
	sbx_buf_free(&b);
}
END_TEST

START_TEST(redacted_argv_is_capped)
{
	char *argv[200], arg[100];
	json_t *a;
	int i;

	for (i = 0; i < 200; i++) {
		snprintf(arg, sizeof(arg), "-Dk%03d=%080d", i, i);
		argv[i] = strdup(arg);
	}
	a = sbx_audit_redact_argv(200, argv);
	ck_assert_ptr_nonnull(a);
	/* 8192 bytes of arguments, then a count of what was left out. */
	ck_assert_uint_eq(json_array_size(a), 95);
	ck_assert_str_eq(json_string_value(json_array_get(a, 94)),
	    "[106 more]");
	json_decref(a);
	for (i = 0; i < 200; i++)
		free(argv[i]);
}
END_TEST

static const struct {
	const char	*value;
	bool		 ok;
	const char	*why;
} trace_cases[] = {
	{ TRACE, true, "the W3C example" },
	{ "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
	    true, "a later version may add parts" },
	{ "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
	    false, "version 00 has exactly four parts" },
	{ "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
	    false, "extra text without a dash" },
	{ "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false,
	    "upper-case hex" },
	{ "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false,
	    "version ff is invalid" },
	{ "00-00000000000000000000000000000000-00f067aa0ba902b7-01", false,
	    "all-zero trace id" },
	{ "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false,
	    "all-zero parent id" },
	{ "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", false,
	    "no flags" },
	{ "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", false,
	    "wrong separators" },
	{ "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", false,
	    "not hex" },
	{ "", false, "empty" },
	{ NULL, false, "unset" },
};

START_TEST(traceparent_table)
{
	char tid[33] = "", sid[17] = "", flags[3] = "";
	bool ok;

	ok = sbx_audit_traceparent(tid, sid, flags, trace_cases[_i].value);
	ck_assert_msg(ok == trace_cases[_i].ok, "%s", trace_cases[_i].why);
	if (ok) {
		ck_assert_str_eq(tid, "4bf92f3577b34da6a3ce929d0e0e4736");
		ck_assert_str_eq(sid, "00f067aa0ba902b7");
		ck_assert_str_eq(flags, "01");
	}
}
END_TEST

START_TEST(malformed_traceparent_is_left_out_of_the_event)
{
	struct sbx_audit_conf c;
	struct sbx_audit_event ev;
	struct sbx_audit_result res;
	struct sbx_err err = { 0 };
	char *lines[4];
	json_t *e;
	int n;

	conf_for(&c, logpath);
	fill(&ev, SBX_AUDIT_CHECK, "payments", T0);
	ev.traceparent = NULL;
	setenv("TRACEPARENT", "00-zz-00f067aa0ba902b7-01", 1);
	ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err), SBX_OK);
	setenv("TRACEPARENT", TRACE, 1);
	ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err), SBX_OK);
	unsetenv("TRACEPARENT");

	n = read_lines(logpath, lines);
	e = json_loads(lines[0], 0, NULL);
	ck_assert_ptr_null(json_object_get(e, "trace"));
	json_decref(e);
	e = json_loads(lines[1], 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e,
	    "trace"), "trace_id")), "4bf92f3577b34da6a3ce929d0e0e4736");
	json_decref(e);
	free_lines(lines, n);
}
END_TEST

/*
 * The canonical form, checked against an independent computation:
 * Python's json.dumps(sort_keys=True, separators=(",", ":"),
 * ensure_ascii=False) with \u001f written \u001F, then SHA-256.
 */
START_TEST(canonical_hash_fixed_vector)
{
	char hash[SBX_AUDIT_HASH_LEN + 1];
	json_t *ev;

	ev = json_loads("{\"hash\":\"ignored\",\"b\":\"x\\u00e9/\\n\\u001f\","
	    "\"a\":1,\"c\":{\"z\":[1,\"two\"],\"y\":null}}", 0, NULL);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(sbx_audit_hash(hash, ev, NULL), SBX_OK);
	ck_assert_str_eq(hash, "0288ef8c08f392e6fc23753e969b0786"
	    "b900bfee0a94ca7ce1c5fa87263ce86c");
	/* The hash member itself is never covered. */
	json_object_set_new(ev, "hash", json_string("other"));
	ck_assert_int_eq(sbx_audit_hash(hash, ev, NULL), SBX_OK);
	ck_assert_str_eq(hash, "0288ef8c08f392e6fc23753e969b0786"
	    "b900bfee0a94ca7ce1c5fa87263ce86c");
	json_decref(ev);
}
END_TEST

START_TEST(event_line_has_the_documented_members)
{
	char *lines[2], *canon;
	const char *key;
	json_t *e, *x;
	size_t i;
	int n;
	static const char *const keys[] = { "artifact", "decision", "event",
	    "hash", "host", "operation", "policy", "prev_hash", "process",
	    "seq", "signer", "tenant", "time", "tool", "trace", "version",
	    "violation" };

	emit_n(logpath, "payments", 1);
	n = read_lines(logpath, lines);
	e = json_loads(lines[0], 0, NULL);
	i = 0;
	json_object_foreach(e, key, x) {
		ck_assert_uint_lt(i, sizeof(keys) / sizeof(*keys));
		ck_assert_str_eq(key, keys[i++]);
	}
	ck_assert_uint_eq(i, sizeof(keys) / sizeof(*keys));
	ck_assert_str_eq(json_string_value(json_object_get(e, "time")),
	    "2024-05-01T10:00:00.000Z");
	ck_assert_str_eq(json_string_value(json_object_get(e, "prev_hash")),
	    SBX_AUDIT_GENESIS);
	ck_assert_str_eq(json_string_value(json_object_get(e, "version")),
	    SBX_VERSION);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e,
	    "violation"), "type")), "digest_mismatch");
	x = json_object_get(e, "process");
	ck_assert_int_eq(json_integer_value(json_object_get(x, "pid")), 4242);
	ck_assert_int_eq(json_integer_value(json_object_get(x, "uid")), 1000);
	ck_assert_uint_eq(json_array_size(json_object_get(x, "argv")), 4);
	/* Written canonically: the line is its own canonical form. */
	canon = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_str_eq(lines[0], canon);
	free(canon);
	json_decref(e);
	free_lines(lines, n);
}
END_TEST

static const struct {
	const char	*text;
	bool		 ok;
	int64_t		 ms;
} time_cases[] = {
	{ "2024-05-01T10:00:00Z", true, T0 },
	{ "2024-05-01T10:00:00.250Z", true, T0 + 250 },
	{ "2024-05-01T12:00:00.25+02:00", true, T0 + 250 },
	{ "2024-05-01T09:30:00-00:30", true, T0 },
	{ "2024-05-01", true, T0 - 36000000 },
	{ "15m", true, T0 + 3600000 - 900000 },
	{ "2h", true, T0 - 3600000 },
	{ "1d", true, T0 + 3600000 - 86400000 },
	{ "2024-05-01T10:00:00", false, 0 },
	{ "2024-13-01T10:00:00Z", false, 0 },
	{ "yesterday", false, 0 },
	{ "15x", false, 0 },
	{ "-5m", false, 0 },
	{ "", false, 0 },
};

START_TEST(time_parse_table)
{
	int64_t ms = 0;
	bool ok;

	ok = sbx_audit_time_parse(&ms, time_cases[_i].text, T0 + 3600000);
	ck_assert_msg(ok == time_cases[_i].ok, "%s", time_cases[_i].text);
	if (ok)
		ck_assert_msg(ms == time_cases[_i].ms, "%s: %lld",
		    time_cases[_i].text, (long long)ms);
}
END_TEST

static json_t *
line_json(const char *file, int i)
{
	char *lines[MAXLINES];
	json_t *e;
	int n;

	n = read_lines(file, lines);
	ck_assert_int_lt(i, n);
	e = json_loads(lines[i], 0, NULL);
	free_lines(lines, n);
	ck_assert_ptr_nonnull(e);
	return e;
}

START_TEST(sampling_counts_and_summarises)
{
	static const int kept[10] = { 1, 1, 1, 0, 1, 0, 1, 0, 1, 0 };
	struct sbx_audit_conf c;
	struct sbx_audit_event ev;
	struct sbx_audit_result res;
	struct sbx_audit_finding f;
	struct sbx_err err = { 0 };
	unsigned long out = 0;
	json_t *e, *s;
	uint64_t events;
	int i;

	conf_for(&c, logpath);
	c.sample_first = 3;
	c.sample_rate = 0.5;
	for (i = 0; i < 10; i++) {
		fill(&ev, SBX_AUDIT_CHECK, "noisy", T0 + i * 100);
		ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err), SBX_OK);
		ck_assert_uint_eq(res.counts[SBX_SINK_FILE][SBX_AUDIT_WRITTEN],
		    (unsigned long)kept[i]);
		ck_assert_uint_eq(res.counts[SBX_SINK_FILE]
		    [SBX_AUDIT_SAMPLED_OUT], (unsigned long)!kept[i]);
		out += res.counts[SBX_SINK_FILE][SBX_AUDIT_SAMPLED_OUT];
		/* Violations are never sampled, and do not count. */
		if (i == 5 || i == 8) {
			fill(&ev, SBX_AUDIT_VIOLATION, "noisy", T0 + i * 100);
			ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err),
			    SBX_OK);
			ck_assert_uint_eq(res.counts[SBX_SINK_FILE]
			    [SBX_AUDIT_WRITTEN], 1);
		}
	}
	ck_assert_uint_eq(out, 4);
	/* Another tenant has its own count. */
	fill(&ev, SBX_AUDIT_CHECK, "quiet", T0 + 2000);
	ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err), SBX_OK);
	ck_assert_uint_eq(res.counts[SBX_SINK_FILE][SBX_AUDIT_WRITTEN], 1);

	/* The next minute: the summary goes first, then the event. */
	fill(&ev, SBX_AUDIT_CHECK, "noisy", T0 + 60000);
	ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err), SBX_OK);
	ck_assert_uint_eq(res.counts[SBX_SINK_FILE][SBX_AUDIT_WRITTEN], 2);
	ck_assert_uint_eq(res.seq, 11);
	e = line_json(logpath, 9);
	ck_assert_str_eq(json_string_value(json_object_get(e, "event")),
	    "sbx.sampled");
	ck_assert_str_eq(json_string_value(json_object_get(e, "tenant")),
	    "noisy");
	s = json_object_get(e, "sampled");
	ck_assert_int_eq(json_integer_value(json_object_get(s, "count")), 4);
	ck_assert_int_eq(json_integer_value(json_object_get(s, "seen")), 10);
	ck_assert_str_eq(json_string_value(json_object_get(s, "from")),
	    "2024-05-01T10:00:00.000Z");
	ck_assert_str_eq(json_string_value(json_object_get(s, "until")),
	    "2024-05-01T10:01:00.000Z");
	json_decref(e);
	e = line_json(logpath, 10);
	ck_assert_str_eq(json_string_value(json_object_get(e, "event")),
	    "sbx.check");
	json_decref(e);
	ck_assert_int_eq(verify(logpath, false, &f, &events), SBX_OK);
	ck_assert_uint_eq(events, 11);
}
END_TEST

START_TEST(flush_writes_due_summaries)
{
	struct sbx_audit_conf c;
	struct sbx_audit_event ev;
	struct sbx_audit_result res;
	struct sbx_err err = { 0 };
	json_t *e;
	int i;

	conf_for(&c, logpath);
	c.sample_first = 1;
	c.sample_rate = 0;
	for (i = 0; i < 5; i++) {
		fill(&ev, SBX_AUDIT_CHECK, "noisy", T0 + i);
		ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err), SBX_OK);
	}
	ck_assert_int_eq(sbx_audit_flush(&res, &c, &err), SBX_OK);
	ck_assert_uint_eq(res.counts[SBX_SINK_FILE][SBX_AUDIT_WRITTEN], 1);
	e = line_json(logpath, 1);
	ck_assert_str_eq(json_string_value(json_object_get(e, "event")),
	    "sbx.sampled");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(e,
	    "sampled"), "count")), 4);
	json_decref(e);
	/* Nothing is due twice. */
	ck_assert_int_eq(sbx_audit_flush(&res, &c, &err), SBX_OK);
	ck_assert_uint_eq(res.counts[SBX_SINK_FILE][SBX_AUDIT_WRITTEN], 0);
}
END_TEST

START_TEST(log_passing_off_keeps_only_refusals)
{
	struct sbx_audit_conf c;
	struct sbx_audit_event ev;
	struct sbx_audit_result res;
	struct sbx_err err = { 0 };
	json_t *e;

	conf_for(&c, logpath);
	c.log_passing = false;
	fill(&ev, SBX_AUDIT_CHECK, "t", T0);
	ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err), SBX_OK);
	ck_assert_uint_eq(res.seq, 0);
	ck_assert_uint_eq(res.counts[SBX_SINK_FILE][SBX_AUDIT_WRITTEN], 0);
	fill(&ev, SBX_AUDIT_VIOLATION, "t", T0);
	ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err), SBX_OK);
	ck_assert_uint_eq(res.seq, 1);
	e = line_json(logpath, 0);
	ck_assert_str_eq(json_string_value(json_object_get(e, "event")),
	    "sbx.violation");
	json_decref(e);
}
END_TEST

static void
emit_one(struct sbx_audit_result *res, const struct sbx_audit_conf *c)
{
	struct sbx_audit_event ev;
	struct sbx_err err = { 0 };

	fill(&ev, SBX_AUDIT_VIOLATION, "payments", T0);
	ck_assert_int_eq(sbx_audit_emit(res, c, &ev, &err), SBX_OK);
}

/* The permission bits of logpath followed by suffix. */
static mode_t
mode_of(const char *suffix)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", logpath, suffix);
	ck_assert_msg(stat(path, &st) == 0, "%s missing", path);
	return st.st_mode & 07777;
}

/* Files beside the log are as writable as the log, past the umask. */
START_TEST(files_beside_the_log_take_its_mode)
{
	struct sbx_audit_conf c;
	struct sbx_audit_result res;
	char sock[PATH_MAX];
	mode_t old = umask(022);
	int fd;

	fd = open(logpath, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_eq(fchmod(fd, 0660), 0);
	close(fd);
	snprintf(sock, sizeof(sock), "%s/down.sock", dir);
	conf_for(&c, logpath);
	c.sample_first = 5;
	c.journal_socket = sock;
	emit_one(&res, &c);
	ck_assert_uint_eq(res.counts[SBX_SINK_JOURNAL][SBX_AUDIT_SPOOLED], 1);
	ck_assert_uint_eq(mode_of(""), 0660);
	ck_assert_uint_eq(mode_of(".sampling"), 0660);
	ck_assert_uint_eq(mode_of(".spool"), 0770);
	ck_assert_uint_eq(mode_of(".spool/journal.spool"), 0660);
	ck_assert_uint_eq(mode_of(".spool/journal.lock"), 0660);
	umask(old);
}
END_TEST

START_TEST(emit_into_unwritable_folder_is_eio)
{
	struct sbx_audit_conf c;
	struct sbx_audit_event ev;
	struct sbx_audit_result res;
	struct sbx_err err = { 0 };

	conf_for(&c, "/nonexistent/folder/audit.jsonl");
	fill(&ev, SBX_AUDIT_VIOLATION, "t", T0);
	ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err), SBX_EIO);
	ck_assert_str_eq(err.msg, "/nonexistent/folder/audit.jsonl: cannot "
	    "open: No such file or directory");
	ck_assert_uint_eq(res.counts[SBX_SINK_FILE][SBX_AUDIT_FAILED], 1);
	conf_for(&c, NULL);
	ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "audit: no log file configured");
}
END_TEST

static void
write_file(const char *path, const char *text)
{
	ck_assert_int_eq(sbx_file_write_atomic(path, text, strlen(text), 0644,
	    NULL), SBX_OK);
}

START_TEST(conf_loads_every_key)
{
	char path[PATH_MAX], want[PATH_MAX];
	struct sbx_audit_conf c;
	struct sbx_err err = { 0 };

	snprintf(path, sizeof(path), "%s/audit.json", dir);
	write_file(path, "{\"file\": \"log/audit.jsonl\", \"fsync\": false,"
	    " \"log_passing\": false, \"sampling\": {\"per_minute_after\":"
	    " 100, \"rate\": 0.25}, \"spool_dir\": \"/var/spool/sbx\", "
	    "\"spool_max_bytes\": 65536, \"budget_ms\": 20, \"sinks\": {"
	    "\"journal\": {\"url\": \"http://127.0.0.1:19532/upload\"}, "
	    "\"syslog\": {\"host\": \"::1\", \"port\": 6514, "
	    "\"transport\": \"udp\", \"facility\": 13}, "
	    "\"loki\": {\"url\": \"http://127.0.0.1:3100/loki/api/v1/push\"}, "
	    "\"otlp\": {\"url\": \"https://collector:4318/v1/logs\"}}}");
	ck_assert_int_eq(sbx_audit_conf_load(&c, path, &err), SBX_OK);
	snprintf(want, sizeof(want), "%s/log/audit.jsonl", dir);
	ck_assert_str_eq(c.file, want);
	ck_assert(!c.fsync);
	ck_assert(!c.log_passing);
	ck_assert_uint_eq(c.sample_first, 100);
	ck_assert(c.sample_rate == 0.25);
	ck_assert_str_eq(c.spool_dir, "/var/spool/sbx");
	ck_assert_uint_eq(c.spool_max, 65536);
	ck_assert_uint_eq(c.budget_ms, 20);
	ck_assert_uint_eq(c.lock_timeout_ms, 5000);
	ck_assert_ptr_null(c.journal_socket);
	ck_assert_str_eq(c.journal_remote, "http://127.0.0.1:19532/upload");
	ck_assert_str_eq(c.syslog_host, "::1");
	ck_assert_int_eq(c.syslog_port, 6514);
	ck_assert(!c.syslog_tcp);
	ck_assert_int_eq(c.syslog_facility, 13);
	ck_assert_str_eq(c.loki, "http://127.0.0.1:3100/loki/api/v1/push");
	ck_assert_str_eq(c.otlp, "https://collector:4318/v1/logs");
	sbx_audit_conf_release(&c);
	ck_assert_ptr_null(c.file);

	/* A whole policy: its audit member; "journal": {} is journald,
	 * a syslog sink without details goes to 127.0.0.1:514 over TCP. */
	write_file(path, "{\"keyring\": \"k.json\", \"tenant\": \"x\", "
	    "\"audit\": {\"file\": \"/var/log/a.jsonl\", \"sinks\": "
	    "{\"journal\": {}, \"syslog\": {}}}}");
	ck_assert_int_eq(sbx_audit_conf_load(&c, path, &err), SBX_OK);
	ck_assert_str_eq(c.file, "/var/log/a.jsonl");
	ck_assert_str_eq(c.journal_socket, "/run/systemd/journal/socket");
	ck_assert_ptr_null(c.journal_remote);
	ck_assert_str_eq(c.syslog_host, "127.0.0.1");
	ck_assert_int_eq(c.syslog_port, 514);
	ck_assert(c.syslog_tcp);
	ck_assert_int_eq(c.syslog_facility, 10);
	ck_assert(c.fsync);
	ck_assert_uint_eq(c.budget_ms, 50);
	sbx_audit_conf_release(&c);
}
END_TEST

static const struct {
	const char	*json;
	int		 code;
	const char	*msg;
} bad_confs[] = {
	{ "{\"file\": \"a\", \"colour\": 1}", SBX_ECONFIG,
	    "audit.colour: unknown key or bad value" },
	{ "{\"file\": \"a\", \"sinks\": {\"syslog\": {\"port\": 0}}}",
	    SBX_ECONFIG, "audit.sinks.syslog.port: unknown key or bad value" },
	{ "{\"file\": \"a\", \"sinks\": {\"syslog\": {\"transport\": "
	    "\"tls\"}}}", SBX_ECONFIG,
	    "audit.sinks.syslog.transport: unknown key or bad value" },
	{ "{\"file\": \"a\", \"sinks\": {\"loki\": {\"url\": "
	    "\"ftp://x/\"}}}", SBX_ECONFIG,
	    "audit.sinks.loki.url: unknown key or bad value" },
	{ "{\"file\": \"a\", \"sinks\": {\"otlp\": {}}}", SBX_ECONFIG,
	    "audit.sinks.otlp.url: unknown key or bad value" },
	{ "{\"file\": \"a\", \"sinks\": {\"kafka\": {}}}", SBX_ECONFIG,
	    "audit.sinks.kafka: unknown key or bad value" },
	{ "{\"keyring\": \"k.json\"}", SBX_ECONFIG, "audit: missing" },
	{ "{\"file\": \"a\", \"budget_ms\": 0}", SBX_ECONFIG,
	    "audit.budget_ms: unknown key or bad value" },
	{ "{\"file\": \"a\", \"budget_ms\": 10001}", SBX_ECONFIG,
	    "audit.budget_ms: unknown key or bad value" },
	{ "{\"file\": \"a\", \"sampling\": {\"rate\": 2}}", SBX_ECONFIG,
	    "audit.sampling.rate: unknown key or bad value" },
	{ "{\"fsync\": true}", SBX_ECONFIG, "audit.file: missing" },
	{ "[]", SBX_ECONFIG, "audit: not an object" },
	{ "{\"file\": \"a\",\n \"file\": \"b\"}", SBX_ECONFIG,
	    ":2:" },
	{ "{\"file\": ", SBX_ECONFIG, ":1:" },
};

START_TEST(conf_refuses_bad_input)
{
	char path[PATH_MAX];
	struct sbx_audit_conf c;
	struct sbx_err err = { 0 };

	snprintf(path, sizeof(path), "%s/audit.json", dir);
	write_file(path, bad_confs[_i].json);
	ck_assert_int_eq(sbx_audit_conf_load(&c, path, &err),
	    bad_confs[_i].code);
	ck_assert_msg(strstr(err.msg, bad_confs[_i].msg) != NULL &&
	    strstr(err.msg, path) == err.msg, "%s", err.msg);
	ck_assert_ptr_null(c.file);
	ck_assert_int_eq(sbx_audit_conf_load(&c, "/nonexistent.json", &err),
	    SBX_EIO);
}
END_TEST

START_TEST(event_from_json_reads_members_and_refuses_writer_fields)
{
	struct sbx_audit_event ev;
	struct sbx_err err = { 0 };
	json_t *j;

	j = json_loads("{\"event\":\"sbx.sign\",\"tenant\":\"ci\","
	    "\"operation\":\"sign\",\"artifact\":{\"path\":\"a.jar\","
	    "\"sha256\":\"ab\",\"size\":7},\"signer\":{\"name\":\"rel\"},"
	    "\"violation\":{\"type\":\"revoked_key\",\"detail\":\"d\"},"
	    "\"decision\":\"audited\",\"policy\":{\"rule\":\"r\"},"
	    "\"tool\":\"deploy.sh\"}", 0, NULL);
	ck_assert_int_eq(sbx_audit_event_from_json(&ev, j, &err), SBX_OK);
	ck_assert_int_eq(ev.kind, SBX_AUDIT_SIGN);
	ck_assert_str_eq(ev.tenant, "ci");
	ck_assert_str_eq(ev.artifact.path, "a.jar");
	ck_assert_int_eq(ev.artifact.size, 7);
	ck_assert_str_eq(ev.signer.name, "rel");
	ck_assert_int_eq(ev.violation.type, SBX_V_REVOKED_KEY);
	ck_assert_int_eq(ev.decision, SBX_AUDIT_AUDITED);
	ck_assert_str_eq(ev.policy.rule, "r");
	ck_assert_str_eq(ev.tool, "deploy.sh");
	json_decref(j);

	j = json_loads("{\"event\":\"sbx.check\",\"seq\":5}", 0, NULL);
	ck_assert_int_eq(sbx_audit_event_from_json(&ev, j, &err), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "event: member \"seq\": unknown, bad value, "
	    "or set by the writer");
	json_decref(j);
	j = json_loads("{\"event\":\"sbx.rotate\"}", 0, NULL);
	ck_assert_int_eq(sbx_audit_event_from_json(&ev, j, &err), SBX_ECONFIG);
	json_decref(j);
	j = json_loads("{\"event\":\"sbx.check\",\"violation\":{\"type\":"
	    "\"nope\"}}", 0, NULL);
	ck_assert_int_eq(sbx_audit_event_from_json(&ev, j, &err), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"violation\""));
	json_decref(j);
	j = json_loads("{\"event\":\"sbx.check\",\"artifact\":{\"sha\":\"x\"}}",
	    0, NULL);
	ck_assert_int_eq(sbx_audit_event_from_json(&ev, j, &err), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"artifact.sha\""));
	json_decref(j);
	j = json_loads("{\"tenant\":\"x\"}", 0, NULL);
	ck_assert_int_eq(sbx_audit_event_from_json(&ev, j, &err), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "event: missing member \"event\"");
	json_decref(j);
}
END_TEST

/* One violation event line, as the log holds it. */
static char *
sample_line(void)
{
	char *lines[MAXLINES], *l;
	int n;

	emit_n(logpath, "payments", 1);
	n = read_lines(logpath, lines);
	l = lines[0];
	lines[0] = NULL;
	free_lines(lines + 1, n - 1);
	return l;
}

static json_t *
formatted(enum sbx_audit_sink sink, const char *line)
{
	struct sbx_buf b = { 0 };
	json_t *j;

	ck_assert_int_eq(sbx_audit_format(&b, sink, line, strlen(line), 10,
	    NULL), SBX_OK);
	j = json_loadb((char *)b.p, b.len, JSON_REJECT_DUPLICATES, NULL);
	ck_assert_ptr_nonnull(j);
	sbx_buf_free(&b);
	return j;
}

/* obj has exactly the members named (NULL-terminated). */
static void
members(json_t *obj, const char *const *names)
{
	size_t n = 0;

	ck_assert(json_is_object(obj));
	for (; names[n] != NULL; n++)
		ck_assert_msg(json_object_get(obj, names[n]) != NULL,
		    "member %s missing", names[n]);
	ck_assert_uint_eq(json_object_size(obj), n);
}

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Loki push API: {"streams":[{"stream":{...},"values":[[ns, line]]}]}. */
START_TEST(loki_payload_matches_push_api)
{
	static const char *const top[] = { "streams", NULL };
	static const char *const stream[] = { "stream", "values", NULL };
	static const char *const labels[] = { "job", "tenant", "event",
	    "operation", NULL };
	char *line = sample_line();
	json_t *j = formatted(SBX_SINK_LOKI, line), *s, *v;

	members(j, top);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "streams")), 1);
	s = json_array_get(json_object_get(j, "streams"), 0);
	members(s, stream);
	members(json_object_get(s, "stream"), labels);
	ck_assert_str_eq(jstr(json_object_get(s, "stream"), "job"), "sbx");
	ck_assert_str_eq(jstr(json_object_get(s, "stream"), "tenant"),
	    "payments");
	ck_assert_str_eq(jstr(json_object_get(s, "stream"), "event"),
	    "sbx.violation");
	ck_assert_str_eq(jstr(json_object_get(s, "stream"), "operation"),
	    "guard");
	ck_assert_uint_eq(json_array_size(json_object_get(s, "values")), 1);
	v = json_array_get(json_object_get(s, "values"), 0);
	ck_assert_uint_eq(json_array_size(v), 2);
	ck_assert_str_eq(json_string_value(json_array_get(v, 0)),
	    "1714557600000000000");
	ck_assert_str_eq(json_string_value(json_array_get(v, 1)), line);
	json_decref(j);
	free(line);
}
END_TEST

static json_t *
attribute(json_t *attrs, const char *key, const char *kind)
{
	size_t i;
	json_t *a;

	json_array_foreach(attrs, i, a) {
		if (strcmp(jstr(a, "key"), key) != 0)
			continue;
		ck_assert_uint_eq(json_object_size(a), 2);
		ck_assert_uint_eq(json_object_size(json_object_get(a,
		    "value")), 1);
		return json_object_get(json_object_get(a, "value"), kind);
	}
	ck_abort_msg("attribute %s missing", key);
	return NULL;
}

/* OTLP/HTTP JSON (opentelemetry-proto logs.proto, JSON encoding). */
START_TEST(otlp_payload_matches_logs_proto)
{
	static const char *const top[] = { "resourceLogs", NULL };
	static const char *const rl[] = { "resource", "scopeLogs", NULL };
	static const char *const sl[] = { "scope", "logRecords", NULL };
	static const char *const rec[] = { "timeUnixNano",
	    "observedTimeUnixNano", "severityNumber", "severityText", "body",
	    "attributes", "traceId", "spanId", "flags", NULL };
	char *line = sample_line();
	json_t *j = formatted(SBX_SINK_OTLP, line), *r, *s, *l, *a;

	members(j, top);
	r = json_array_get(json_object_get(j, "resourceLogs"), 0);
	members(r, rl);
	a = json_object_get(json_object_get(r, "resource"), "attributes");
	ck_assert_str_eq(json_string_value(attribute(a, "service.name",
	    "stringValue")), "sbx");
	ck_assert_str_eq(json_string_value(attribute(a, "host.name",
	    "stringValue")), "host1");
	s = json_array_get(json_object_get(r, "scopeLogs"), 0);
	members(s, sl);
	ck_assert_str_eq(jstr(json_object_get(s, "scope"), "name"),
	    "sbx.audit");
	ck_assert_uint_eq(json_array_size(json_object_get(s, "logRecords")),
	    1);
	l = json_array_get(json_object_get(s, "logRecords"), 0);
	members(l, rec);
	ck_assert_str_eq(jstr(l, "timeUnixNano"), "1714557600000000000");
	ck_assert_int_ge(strcmp(jstr(l, "observedTimeUnixNano"),
	    "1714557600000000000"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(l,
	    "severityNumber")), 13);
	ck_assert_str_eq(jstr(l, "severityText"), "WARN");
	ck_assert_str_eq(jstr(json_object_get(l, "body"), "stringValue"),
	    line);
	ck_assert_str_eq(jstr(l, "traceId"),
	    "4bf92f3577b34da6a3ce929d0e0e4736");
	ck_assert_str_eq(jstr(l, "spanId"), "00f067aa0ba902b7");
	ck_assert_int_eq(json_integer_value(json_object_get(l, "flags")), 1);
	a = json_object_get(l, "attributes");
	ck_assert_str_eq(json_string_value(attribute(a, "sbx.tenant",
	    "stringValue")), "payments");
	ck_assert_str_eq(json_string_value(attribute(a, "sbx.rule",
	    "stringValue")), "agents.signed");
	ck_assert_str_eq(json_string_value(attribute(a, "sbx.violation",
	    "stringValue")), "digest_mismatch");
	ck_assert_str_eq(json_string_value(attribute(a, "sbx.seq",
	    "intValue")), "1");
	json_decref(j);
	free(line);
}
END_TEST

/* Journal export format (journal-remote) and the native datagram. */
START_TEST(journal_entries_carry_search_fields)
{
	struct sbx_buf b = { 0 };
	char *line = sample_line(), want[8192];

	ck_assert_int_eq(sbx_audit_format(&b, SBX_SINK_JOURNAL_REMOTE, line,
	    strlen(line), 10, NULL), SBX_OK);
	ck_assert_int_eq(sbx_buf_terminate(&b, NULL), SBX_OK);
	snprintf(want, sizeof(want), "__REALTIME_TIMESTAMP=1714557600000000\n"
	    "_HOSTNAME=host1\nMESSAGE=%s\nPRIORITY=4\n"
	    "SYSLOG_IDENTIFIER=sbx-guard\nSBX_EVENT=sbx.violation\n"
	    "SBX_TENANT=payments\nSBX_OPERATION=guard\nSBX_DECISION=refused\n"
	    "SBX_RULE=agents.signed\nSBX_VIOLATION=digest_mismatch\n"
	    "SBX_ARTIFACT=/opt/agents/a.jar\nSBX_ARTIFACT_SHA256=" SHA_A "\n"
	    "SBX_KEY_ID=" SHA_A "\nSBX_TOOL=sbx-guard\n", line);
	ck_assert_int_eq(strncmp((char *)b.p, want, strlen(want)), 0);
	ck_assert_ptr_nonnull(strstr((char *)b.p, "\nSBX_SEQ=1\n\n"));
	ck_assert_uint_eq(b.len, strlen((char *)b.p));
	ck_assert_int_eq(memcmp(b.p + b.len - 2, "\n\n", 2), 0);

	/* Native: no timestamp or host (journald adds its own), no
	 * blank line. */
	b.len = 0;
	ck_assert_int_eq(sbx_audit_format(&b, SBX_SINK_JOURNAL, line,
	    strlen(line), 10, NULL), SBX_OK);
	ck_assert_int_eq(sbx_buf_terminate(&b, NULL), SBX_OK);
	ck_assert_int_eq(strncmp((char *)b.p, "MESSAGE=", 8), 0);
	ck_assert_ptr_null(strstr((char *)b.p, "_HOSTNAME"));
	ck_assert_int_ne(memcmp(b.p + b.len - 2, "\n\n", 2), 0);
	sbx_buf_free(&b);
	free(line);
}
END_TEST

START_TEST(journal_value_with_newline_is_length_framed)
{
	struct sbx_audit_conf c;
	struct sbx_audit_event ev;
	struct sbx_audit_result res;
	struct sbx_err err = { 0 };
	struct sbx_buf b = { 0 };
	char *lines[2];
	const char want[] = "SBX_TENANT\n\003\0\0\0\0\0\0\0a\nb\n";
	int n;

	conf_for(&c, logpath);
	fill(&ev, SBX_AUDIT_CHECK, "a\nb", T0);
	ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err), SBX_OK);
	n = read_lines(logpath, lines);
	ck_assert_int_eq(sbx_audit_format(&b, SBX_SINK_JOURNAL_REMOTE,
	    lines[0], strlen(lines[0]), 10, NULL), SBX_OK);
	ck_assert_ptr_nonnull(memmem(b.p, b.len, want, sizeof(want) - 1));
	/* The JSON line itself has no raw newline: MESSAGE stays plain. */
	ck_assert_ptr_nonnull(memmem(b.p, b.len, "\nMESSAGE={", 10));
	sbx_buf_free(&b);
	free_lines(lines, n);
}
END_TEST

START_TEST(syslog_message_is_rfc5424_with_structured_data)
{
	struct sbx_buf b = { 0 };
	char *line = sample_line(), want[512];

	ck_assert_int_eq(sbx_audit_format(&b, SBX_SINK_SYSLOG, line,
	    strlen(line), 10, NULL), SBX_OK);
	ck_assert_int_eq(sbx_buf_terminate(&b, NULL), SBX_OK);
	/* PRI 84 = authpriv (10) * 8 + warning (4). */
	snprintf(want, sizeof(want), "<84>1 2024-05-01T10:00:00.000Z host1 "
	    "sbx-guard 4242 sbx.violation [sbx@32473 event=\"sbx.violation\" "
	    "tenant=\"payments\" operation=\"guard\" decision=\"refused\" "
	    "rule=\"agents.signed\" violation=\"digest_mismatch\" "
	    "artifact=\"/opt/agents/a.jar\" sha256=\"%s\" key_id=\"%s\" "
	    "tool=\"sbx-guard\" hash=\"", SHA_A, SHA_A);
	ck_assert_int_eq(strncmp((char *)b.p, want, strlen(want)), 0);
	ck_assert_ptr_nonnull(strstr((char *)b.p, "\" seq=\"1\" "
	    "trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\" "
	    "span_id=\"00f067aa0ba902b7\"] {"));
	ck_assert_str_eq((char *)b.p + b.len - strlen(line), line);
	sbx_buf_free(&b);
	free(line);
}
END_TEST

START_TEST(syslog_escapes_structured_data_values)
{
	struct sbx_audit_conf c;
	struct sbx_audit_event ev;
	struct sbx_audit_result res;
	struct sbx_err err = { 0 };
	struct sbx_buf b = { 0 };
	char *lines[2];
	int n;

	conf_for(&c, logpath);
	fill(&ev, SBX_AUDIT_CHECK, "a\"b]c\\d", T0);
	ev.tool = "my tool";
	ck_assert_int_eq(sbx_audit_emit(&res, &c, &ev, &err), SBX_OK);
	n = read_lines(logpath, lines);
	ck_assert_int_eq(sbx_audit_format(&b, SBX_SINK_SYSLOG, lines[0],
	    strlen(lines[0]), 1, NULL), SBX_OK);
	ck_assert_int_eq(sbx_buf_terminate(&b, NULL), SBX_OK);
	/* user (1) * 8 + info (6); a space in APP-NAME becomes '_'. */
	ck_assert_int_eq(strncmp((char *)b.p, "<14>1 2024-05-01T10:00:00.000Z "
	    "host1 my_tool 4242 sbx.check [", 52), 0);
	ck_assert_ptr_nonnull(strstr((char *)b.p,
	    "tenant=\"a\\\"b\\]c\\\\d\""));
	sbx_buf_free(&b);
	free_lines(lines, n);
}
END_TEST

START_TEST(format_refuses_a_line_that_is_no_event)
{
	struct sbx_buf b = { 0 };
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_audit_format(&b, SBX_SINK_LOKI, "{\"a\":1}", 7, 10,
	    &err), SBX_EREJECT);
	ck_assert_str_eq(err.msg, "not an audit event");
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

static int
unix_receiver(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* The SBX_SEQ of each datagram waiting on fd, in arrival order. */
static int
received(int fd, uint64_t *seqs, int max)
{
	char buf[70000], *p;
	ssize_t n;
	int k = 0;

	while (k < max && (n = recv(fd, buf, sizeof(buf) - 1,
	    MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		ck_assert_int_eq(strncmp(buf, "MESSAGE={", 9), 0);
		p = strstr(buf, "\nSBX_SEQ=");
		ck_assert_ptr_nonnull(p);
		seqs[k++] = strtoull(p + 9, NULL, 10);
	}
	return k;
}


START_TEST(journal_sink_spools_while_down_and_replays_once_in_order)
{
	struct sbx_audit_conf c;
	struct sbx_audit_result res;
	char sock[PATH_MAX];
	uint64_t seqs[16];
	int fd, i, n;

	snprintf(sock, sizeof(sock), "%s/journal.sock", dir);
	conf_for(&c, logpath);
	c.journal_socket = sock;
	fd = unix_receiver(sock);
	for (i = 0; i < 2; i++) {
		emit_one(&res, &c);
		ck_assert_uint_eq(res.counts[SBX_SINK_JOURNAL]
		    [SBX_AUDIT_WRITTEN], 1);
	}
	ck_assert_int_eq(received(fd, seqs, 16), 2);
	ck_assert_uint_eq(seqs[0], 1);
	ck_assert_uint_eq(seqs[1], 2);

	/* Down: each event waits in the spool. */
	close(fd);
	unlink(sock);
	for (i = 0; i < 3; i++) {
		emit_one(&res, &c);
		ck_assert_uint_eq(res.counts[SBX_SINK_JOURNAL]
		    [SBX_AUDIT_SPOOLED], 1);
		ck_assert_uint_eq(res.counts[SBX_SINK_JOURNAL]
		    [SBX_AUDIT_WRITTEN], 0);
		ck_assert_int_eq(strncmp(res.sink_msg, "journal: ", 9), 0);
	}

	/* Up again: the spool goes first, in order, then the new one. */
	fd = unix_receiver(sock);
	emit_one(&res, &c);
	ck_assert_uint_eq(res.counts[SBX_SINK_JOURNAL][SBX_AUDIT_REPLAYED], 3);
	ck_assert_uint_eq(res.counts[SBX_SINK_JOURNAL][SBX_AUDIT_WRITTEN], 1);
	ck_assert_uint_eq(res.counts[SBX_SINK_JOURNAL][SBX_AUDIT_SPOOLED], 0);
	n = received(fd, seqs, 16);
	ck_assert_int_eq(n, 4);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(seqs[i], (uint64_t)i + 3);

	/* Exactly once: nothing is sent again. */
	emit_one(&res, &c);
	ck_assert_uint_eq(res.counts[SBX_SINK_JOURNAL][SBX_AUDIT_REPLAYED], 0);
	ck_assert_int_eq(received(fd, seqs, 16), 1);
	ck_assert_uint_eq(seqs[0], 7);
	close(fd);
}
END_TEST

START_TEST(full_spool_counts_failed_and_keeps_the_file_whole)
{
	struct sbx_audit_finding f;
	struct sbx_audit_conf c;
	struct sbx_audit_result res;
	char sock[PATH_MAX];
	unsigned long spooled = 0, failed = 0;
	uint64_t events;
	int i;

	snprintf(sock, sizeof(sock), "%s/nobody.sock", dir);
	conf_for(&c, logpath);
	c.journal_socket = sock;
	c.spool_max = 4096;
	for (i = 0; i < 8; i++) {
		emit_one(&res, &c);
		ck_assert_uint_eq(res.counts[SBX_SINK_FILE][SBX_AUDIT_WRITTEN],
		    1);
		spooled += res.counts[SBX_SINK_JOURNAL][SBX_AUDIT_SPOOLED];
		failed += res.counts[SBX_SINK_JOURNAL][SBX_AUDIT_FAILED];
	}
	/* About 1 KiB an event: four fit in 4 KiB. */
	ck_assert_uint_ge(spooled, 2);
	ck_assert_uint_eq(spooled + failed, 8);
	ck_assert_uint_ge(failed, 1);
	ck_assert_ptr_nonnull(strstr(res.sink_msg, "spool full (4096 bytes)"));
	ck_assert_int_eq(verify(logpath, false, &f, &events), SBX_OK);
	ck_assert_uint_eq(events, 8);
}
END_TEST

static int
tcp_listener(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A server that takes the connection and never answers: the caller
 * waits no longer than the budget, and the sinks that work still get
 * the event (a silent one does not eat the others' time).
 */
START_TEST(silent_sinks_never_hold_the_caller_past_the_budget)
{
	struct sbx_audit_conf c;
	struct sbx_audit_result res;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	char remote[128], loki[128], otlp[128], buf[16384];
	int64_t t;
	int fd, ufd, port;

	fd = tcp_listener(&port);
	snprintf(remote, sizeof(remote), "http://127.0.0.1:%d/upload", port);
	snprintf(loki, sizeof(loki), "http://127.0.0.1:%d/loki/api/v1/push",
	    port);
	snprintf(otlp, sizeof(otlp), "http://127.0.0.1:%d/v1/logs", port);
	ufd = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(ufd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(ufd, (struct sockaddr *)&sa, &len), 0);
	conf_for(&c, logpath);
	c.journal_remote = remote;
	c.syslog_host = "127.0.0.1";
	c.syslog_port = ntohs(sa.sin_port);
	c.syslog_tcp = false;
	c.loki = loki;
	c.otlp = otlp;
	c.budget_ms = 50;
	t = now_ms();
	emit_one(&res, &c);
	t = now_ms() - t;
	ck_assert_msg(t < 200, "emit took %lld ms", (long long)t);
	ck_assert_uint_eq(res.counts[SBX_SINK_FILE][SBX_AUDIT_WRITTEN], 1);
	ck_assert_uint_eq(res.counts[SBX_SINK_JOURNAL_REMOTE]
	    [SBX_AUDIT_SPOOLED], 1);
	ck_assert_uint_eq(res.counts[SBX_SINK_LOKI][SBX_AUDIT_SPOOLED], 1);
	ck_assert_uint_eq(res.counts[SBX_SINK_OTLP][SBX_AUDIT_SPOOLED], 1);
	ck_assert_uint_eq(res.counts[SBX_SINK_SYSLOG][SBX_AUDIT_WRITTEN], 1);
	ck_assert_int_gt(recv(ufd, buf, sizeof(buf), MSG_DONTWAIT), 0);
	ck_assert_int_eq(strncmp(res.sink_msg, "journal-remote: "
	    "http://127.0.0.1:", 33), 0);
	ck_assert_ptr_nonnull(strstr(res.sink_msg, "timed out"));
	close(ufd);
	close(fd);
}
END_TEST

START_TEST(syslog_sink_sends_octet_counted_tcp_and_udp_datagrams)
{
	struct sbx_audit_conf c;
	struct sbx_audit_result res;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	char buf[16384], *sp;
	int lfd, cfd, ufd, port;
	ssize_t n, got = 0;

	lfd = tcp_listener(&port);
	conf_for(&c, logpath);
	c.syslog_host = "localhost";		/* a name, resolved in time */
	c.syslog_port = port;
	emit_one(&res, &c);
	ck_assert_uint_eq(res.counts[SBX_SINK_SYSLOG][SBX_AUDIT_WRITTEN], 1);
	cfd = accept(lfd, NULL, NULL);
	while ((n = read(cfd, buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = '\0';
	/* RFC 6587 octet counting: "LEN SP MSG". */
	sp = strchr(buf, ' ');
	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(atoi(buf), (int)strlen(sp + 1));
	ck_assert_int_eq(strncmp(sp + 1, "<84>1 2024-05-01T10:00:00.000Z ",
	    31), 0);
	close(cfd);
	close(lfd);

	ufd = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(ufd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(ufd, (struct sockaddr *)&sa, &len), 0);
	c.syslog_host = "127.0.0.1";
	c.syslog_port = ntohs(sa.sin_port);
	c.syslog_tcp = false;
	emit_one(&res, &c);
	ck_assert_uint_eq(res.counts[SBX_SINK_SYSLOG][SBX_AUDIT_WRITTEN], 1);
	n = recv(ufd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_int_eq(strncmp(buf, "<84>1 2024-05-01T10:00:00.000Z host1 "
	    "sbx-guard 4242 sbx.violation [sbx@32473 ", 72), 0);
	ck_assert_ptr_nonnull(strstr(buf, "seq=\"2\""));
	close(ufd);
}
END_TEST

START_TEST(refused_connection_spools_and_flush_reports_it)
{
	struct sbx_audit_conf c;
	struct sbx_audit_result res;
	struct sbx_err err = { 0 };
	int fd, port;

	/* A port that was just free: nothing listens there. */
	fd = tcp_listener(&port);
	close(fd);
	conf_for(&c, logpath);
	c.syslog_host = "127.0.0.1";
	c.syslog_port = port;
	emit_one(&res, &c);
	ck_assert_uint_eq(res.counts[SBX_SINK_SYSLOG][SBX_AUDIT_SPOOLED], 1);
	ck_assert_ptr_nonnull(strstr(res.sink_msg, "Connection refused"));
	ck_assert_int_eq(sbx_audit_flush(&res, &c, &err), SBX_OK);
	ck_assert_uint_eq(res.counts[SBX_SINK_SYSLOG][SBX_AUDIT_REPLAYED], 0);
	ck_assert_ptr_nonnull(strstr(res.sink_msg, "syslog: "));
}
END_TEST

START_TEST(unresolvable_syslog_host_spools_within_the_budget)
{
	struct sbx_audit_conf c;
	struct sbx_audit_result res;
	int64_t t;

	conf_for(&c, logpath);
	c.syslog_host = "sbx-audit-test.invalid";
	c.budget_ms = 100;
	t = now_ms();
	emit_one(&res, &c);
	t = now_ms() - t;
	ck_assert_msg(t < 300, "emit took %lld ms", (long long)t);
	ck_assert_uint_eq(res.counts[SBX_SINK_SYSLOG][SBX_AUDIT_SPOOLED], 1);
	ck_assert_int_eq(strncmp(res.sink_msg, "syslog: "
	    "sbx-audit-test.invalid: ", 32), 0);
}
END_TEST

static Suite *
audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("audit");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, intact_log_verifies);
	tcase_add_loop_test(tc, verify_names_first_tampered_line, 0,
	    sizeof(tamper_cases) / sizeof(tamper_cases[0]));
	tcase_add_test(tc, verify_message_names_file_line_and_problem);
	tcase_add_test(tc,
	    verify_rejects_bad_anchor_and_reads_missing_file_as_eio);
	tcase_add_test(tc, rotation_keeps_the_chain_across_files);
	tcase_add_test(tc, rotation_recovers_a_log_that_ends_in_junk);
	tcase_add_test(tc, rotate_of_missing_log_is_eio);
	tcase_add_test(tc, partial_line_is_reported_and_next_writer_goes_on);
	tcase_add_test(tc, sigkill_during_appends_loses_no_complete_event);
	tcase_add_test(tc, fifty_processes_append_without_interleaving);
	tcase_add_test(tc, appends_during_rotations_keep_one_chain);
	tcase_add_loop_test(tc, redaction_table, 0,
	    sizeof(redact_cases) / sizeof(redact_cases[0]));
	tcase_add_test(tc, redacted_argv_is_capped);
	tcase_add_loop_test(tc, traceparent_table, 0,
	    sizeof(trace_cases) / sizeof(trace_cases[0]));
	tcase_add_test(tc, malformed_traceparent_is_left_out_of_the_event);
	tcase_add_test(tc, canonical_hash_fixed_vector);
	tcase_add_test(tc, event_line_has_the_documented_members);
	tcase_add_loop_test(tc, time_parse_table, 0,
	    sizeof(time_cases) / sizeof(time_cases[0]));
	tcase_add_test(tc, sampling_counts_and_summarises);
	tcase_add_test(tc, flush_writes_due_summaries);
	tcase_add_test(tc, log_passing_off_keeps_only_refusals);
	tcase_add_test(tc, files_beside_the_log_take_its_mode);
	tcase_add_test(tc, emit_into_unwritable_folder_is_eio);
	tcase_add_test(tc, conf_loads_every_key);
	tcase_add_loop_test(tc, conf_refuses_bad_input, 0,
	    sizeof(bad_confs) / sizeof(bad_confs[0]));
	tcase_add_test(tc,
	    event_from_json_reads_members_and_refuses_writer_fields);
	tcase_add_test(tc, loki_payload_matches_push_api);
	tcase_add_test(tc, otlp_payload_matches_logs_proto);
	tcase_add_test(tc, journal_entries_carry_search_fields);
	tcase_add_test(tc, journal_value_with_newline_is_length_framed);
	tcase_add_test(tc, syslog_message_is_rfc5424_with_structured_data);
	tcase_add_test(tc, syslog_escapes_structured_data_values);
	tcase_add_test(tc, format_refuses_a_line_that_is_no_event);
	tcase_add_test(tc,
	    journal_sink_spools_while_down_and_replays_once_in_order);
	tcase_add_test(tc, full_spool_counts_failed_and_keeps_the_file_whole);
	tcase_add_test(tc, silent_sinks_never_hold_the_caller_past_the_budget);
	tcase_add_test(tc,
	    syslog_sink_sends_octet_counted_tcp_and_udp_datagrams);
	tcase_add_test(tc, refused_connection_spools_and_flush_reports_it);
	tcase_add_test(tc, unresolvable_syslog_host_spools_within_the_budget);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(audit_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

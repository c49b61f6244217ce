/* tests/unit/check_provenance.c: Statements, sources, provenance rules. */
/* SPDX-License-Identifier: ISC */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include <sbx/file.h>
#include <sbx/provenance.h>

#ifndef SBX_TEST_DATA
#define SBX_TEST_DATA "tests/data"
#endif
#define KEYS SBX_TEST_DATA "/keys"
#define STORE_PASS "keytool-store-pass"
#define COMMIT40 "0123456789abcdef0123456789abcdef01234567"

static struct sbx_key *key;		/* RSA-4096, keytool.p12 */
static struct sbx_keyring *kr;		/* trusts it as "release" */
static char tmp[256];

/* Run a shell command built from fmt; it must succeed. */
static void
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* The first line a command prints. */
static void
sh_out(char *out, size_t n, const char *cmd)
{
	FILE *f = popen(cmd, "r");

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(out, (int)n, f));
	out[strcspn(out, "\n")] = '\0';
	pclose(f);
}

static void
setup(void)
{
	struct sbx_secret *pass = NULL;
	struct sbx_err err = { 0 };

	snprintf(tmp, sizeof(tmp), "/tmp/sbx-prov.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	ck_assert_int_eq(sbx_secret_from(&pass, STORE_PASS,
	    strlen(STORE_PASS), NULL), SBX_OK);
	ck_assert_msg(sbx_key_load(&key, "pkcs12:" KEYS "/keytool.p12", NULL,
	    pass, &err) == SBX_OK, "%s", err.msg);
	sbx_secret_free(pass);
	ck_assert_int_eq(sbx_keyring_new(&kr, &err), SBX_OK);
	ck_assert_msg(sbx_keyring_add_cert(kr, sbx_key_cert(key), "release",
	    SBX_ROLE_JAR | SBX_ROLE_PROVENANCE, &err) == SBX_OK, "%s",
	    err.msg);
}

static void
teardown(void)
{
	sh("rm -rf '%s'", tmp);
	sbx_keyring_free(kr);
	sbx_key_free(key);
	kr = NULL;
	key = NULL;
}

/* A repository in tmp/name on main with one commit and a remote. */
static void
make_repo(char *dir, size_t n, const char *name)
{
	snprintf(dir, n, "%s/%s", tmp, name);
	sh("set -e; git init -q -b main '%s'; cd '%s'; "
	    "git config user.email t@example.com; git config user.name t; "
	    "echo one >file.txt; git add file.txt; git commit -q -m one; "
	    "git remote add origin "
	    "https://builder:s3cret@example.com/acme/agent.git", dir, dir);
}

static struct sbx_policy *
policy(const char *json)
{
	struct sbx_policy *p = NULL;
	struct sbx_err err = { 0 };

	ck_assert_msg(sbx_policy_parse_mem(&p, json, strlen(json),
	    "test-policy.json", "/tmp", &err) == SBX_OK, "%s", err.msg);
	return p;
}

/* A build made now on the local builder from a known commit. */
static void
local_build(struct sbx_build *b)
{
	memset(b, 0, sizeof(*b));
	b->builder_id = strdup(SBX_LOCAL_BUILDER);
	b->started_on = b->finished_on = (int64_t)time(NULL);
	b->has_source = true;
	b->source.repository = strdup("https://example.com/acme/agent");
	b->source.ref = strdup("refs/heads/main");
	memcpy(b->source.commit, COMMIT40, sizeof(COMMIT40));
}

/* tmp/name holding text, its provenance signed by the test key. */
static void
signed_file(char *path, size_t n, const char *name, const char *text,
    const struct sbx_build *b)
{
	struct sbx_prov_sign_opts o = { .key = key, .build = b };
	struct sbx_err err = { 0 };
	char prov[PATH_MAX];

	snprintf(path, n, "%s/%s", tmp, name);
	ck_assert_int_eq(sbx_file_write_atomic(path, text, strlen(text), 0644,
	    &err), SBX_OK);
	ck_assert(sbx_provenance_path(prov, sizeof(prov), path));
	o.out = prov;
	ck_assert_msg(sbx_provenance_sign(path, &o, &err) == SBX_OK, "%s",
	    err.msg);
}

static int
verify(struct sbx_prov_result *r, const char *path, const char *pol,
    struct sbx_err *err)
{
	struct sbx_prov_verify_opts o = { .keyring = kr,
	    .now = (int64_t)time(NULL) };
	char prov[PATH_MAX];
	int rc;

	o.policy = policy(pol);
	ck_assert(sbx_provenance_path(prov, sizeof(prov), path));
	rc = sbx_provenance_verify(r, path, prov, &o, err);
	sbx_policy_free((struct sbx_policy *)o.policy);
	return rc;
}

#define MIN_POLICY "{\"keyring\": \"k.json\"}"

static const struct {
	const char	*text;
	int64_t		 t;
	int		 rc;
} times[] = {
	{ "2024-05-01T12:00:00Z", 1714564800, SBX_OK },
	{ "2024-05-01t12:00:00z", 1714564800, SBX_OK },
	{ "2024-05-01T12:00:00.123456Z", 1714564800, SBX_OK },
	{ "2024-05-01T14:30:00+02:30", 1714564800, SBX_OK },
	{ "2024-05-01T09:00:00-03:00", 1714564800, SBX_OK },
	{ "2024-05-01 12:00:00Z", 0, SBX_EREJECT },	/* no T */
	{ "2024-05-01T12:00:00", 0, SBX_EREJECT },	/* no zone */
	{ "2024-02-30T00:00:00Z", 0, SBX_EREJECT },	/* no such day */
	{ "2024-13-01T00:00:00Z", 0, SBX_EREJECT },
	{ "2024-05-01T12:00:00.Z", 0, SBX_EREJECT },	/* empty fraction */
	{ "2024-05-01T12:00:00+0200", 0, SBX_EREJECT },
	{ "2024-05-01T12:00:00Zjunk", 0, SBX_EREJECT },
	{ "", 0, SBX_EREJECT },
};

START_TEST(time_parse_reads_rfc3339_and_refuses_the_rest)
{
	int64_t t = -1;

	ck_assert_msg(sbx_time_parse(&t, times[_i].text) == times[_i].rc,
	    "%s", times[_i].text);
	ck_assert_int_eq(t, times[_i].t);
}
END_TEST

START_TEST(time_format_writes_utc_seconds)
{
	char s[32];

	sbx_time_format(s, sizeof(s), 1714564800);
	ck_assert_str_eq(s, "2024-05-01T12:00:00Z");
}
END_TEST

START_TEST(source_read_strips_credentials_and_reads_head)
{
	struct sbx_source s;
	struct sbx_err err = { 0 };
	char dir[PATH_MAX], cmd[PATH_MAX + 64], head[64];
	bool found;

	make_repo(dir, sizeof(dir), "repo");
	snprintf(cmd, sizeof(cmd), "git -C '%s' rev-parse HEAD", dir);
	sh_out(head, sizeof(head), cmd);
	ck_assert_msg(sbx_source_read(&s, &found, dir, &err) == SBX_OK, "%s",
	    err.msg);
	ck_assert(found);
	ck_assert_str_eq(s.commit, head);
	ck_assert_str_eq(s.ref, "refs/heads/main");
	ck_assert_str_eq(s.repository, "https://example.com/acme/agent.git");
	ck_assert(!s.dirty);
	sbx_source_free(&s);
}
END_TEST

START_TEST(source_read_takes_another_remote_without_origin)
{
	struct sbx_source s;
	struct sbx_err err = { 0 };
	char dir[PATH_MAX];
	bool found;

	make_repo(dir, sizeof(dir), "repo");
	sh("git -C '%s' remote rename origin mirror", dir);
	ck_assert_msg(sbx_source_read(&s, &found, dir, &err) == SBX_OK, "%s",
	    err.msg);
	ck_assert_str_eq(s.repository, "https://example.com/acme/agent.git");
	sbx_source_free(&s);

	sh("git -C '%s' remote remove mirror", dir);
	ck_assert_msg(sbx_source_read(&s, &found, dir, &err) == SBX_OK, "%s",
	    err.msg);
	ck_assert_ptr_null(s.repository);
	ck_assert_uint_eq(strlen(s.commit), 40);
	sbx_source_free(&s);
}
END_TEST

START_TEST(source_read_detached_head_has_no_ref)
{
	struct sbx_source s;
	struct sbx_err err = { 0 };
	char dir[PATH_MAX];
	bool found;

	make_repo(dir, sizeof(dir), "repo");
	sh("git -C '%s' checkout -q --detach HEAD", dir);
	ck_assert_msg(sbx_source_read(&s, &found, dir, &err) == SBX_OK, "%s",
	    err.msg);
	ck_assert_ptr_null(s.ref);
	ck_assert_uint_eq(strlen(s.commit), 40);
	sbx_source_free(&s);
}
END_TEST

START_TEST(source_read_outside_any_repository_finds_none)
{
	struct sbx_source s;
	struct sbx_err err = { 0 };
	bool found = true;

	ck_assert_int_eq(chdir(tmp), 0);
	ck_assert_int_eq(sbx_source_read(&s, &found, NULL, &err), SBX_OK);
	ck_assert(!found);
	ck_assert_int_eq(sbx_source_read(&s, &found, tmp, &err), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a git repository"));
	ck_assert_ptr_nonnull(strstr(err.msg, tmp));
}
END_TEST

START_TEST(dirty_tree_is_refused_without_allow_dirty)
{
	struct sbx_build b = { 0 };
	struct sbx_err err = { 0 };
	char dir[PATH_MAX];

	make_repo(dir, sizeof(dir), "repo");
	sh("echo two >>'%s/file.txt'", dir);
	ck_assert_int_eq(sbx_build_source(&b, dir, &err), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "uncommitted changes "
	    "(file.txt)"));
	ck_assert_ptr_nonnull(strstr(err.msg, "--allow-dirty"));
	sbx_build_free(&b);

	/* Staged counts as well. */
	sh("git -C '%s' add file.txt", dir);
	ck_assert_int_eq(sbx_build_source(&b, dir, &err), SBX_ECONFIG);
	sbx_build_free(&b);
}
END_TEST

START_TEST(dirty_tree_allowed_is_recorded_in_the_statement)
{
	struct sbx_build b = { 0 };
	struct sbx_statement *st = NULL;
	struct sbx_err err = { 0 };
	struct sbx_buf out = { 0 };
	unsigned char md[32] = { 0 };
	char dir[PATH_MAX];

	make_repo(dir, sizeof(dir), "repo");
	sh("echo two >>'%s/file.txt'", dir);
	b.allow_dirty = true;
	ck_assert_msg(sbx_build_source(&b, dir, &err) == SBX_OK, "%s",
	    err.msg);
	ck_assert(b.source.dirty);
	ck_assert_str_eq(b.builder_id, SBX_LOCAL_BUILDER);
	ck_assert_int_eq(sbx_statement_write(&out, "a.so", md, &b, &err),
	    SBX_OK);
	sbx_buf_terminate(&out, NULL);
	ck_assert_ptr_nonnull(strstr((char *)out.p, "\"dirty\":true"));
	ck_assert_ptr_nonnull(strstr((char *)out.p, "\"allowDirty\":true"));
	ck_assert_int_eq(sbx_statement_parse(&st, out.p, out.len, "s", &err),
	    SBX_OK);
	ck_assert(st->dirty);
	sbx_statement_free(st);
	sbx_buf_free(&out);
	sbx_build_free(&b);
}
END_TEST

START_TEST(untracked_files_do_not_make_the_tree_dirty)
{
	struct sbx_build b = { 0 };
	struct sbx_err err = { 0 };
	char dir[PATH_MAX];

	make_repo(dir, sizeof(dir), "repo");
	sh("echo new >'%s/agent.jar'", dir);
	ck_assert_msg(sbx_build_source(&b, dir, &err) == SBX_OK, "%s",
	    err.msg);
	ck_assert(!b.source.dirty);
	ck_assert_str_eq(b.source.ref, "refs/heads/main");
	sbx_build_free(&b);
}
END_TEST

static void
github_env(const char *sha)
{
	setenv("GITHUB_ACTIONS", "true", 1);
	setenv("GITHUB_SERVER_URL", "https://github.com", 1);
	setenv("GITHUB_REPOSITORY", "acme/agent", 1);
	setenv("GITHUB_REF", "refs/tags/v1.2.0", 1);
	setenv("GITHUB_SHA", sha, 1);
	setenv("GITHUB_WORKFLOW_REF", "acme/agent/.github/workflows/"
	    "release.yml@refs/tags/v1.2.0", 1);
	setenv("GITHUB_RUN_ID", "9876543210", 1);
	setenv("GITHUB_RUN_ATTEMPT", "2", 1);
	setenv("GITHUB_EVENT_NAME", "push", 1);
	setenv("RUNNER_ENVIRONMENT", "github-hosted", 1);
	unsetenv("GITHUB_REPOSITORY_ID");
	unsetenv("GITHUB_REPOSITORY_OWNER_ID");
}

START_TEST(github_environment_names_builder_and_invocation)
{
	struct sbx_build b = { 0 };
	struct sbx_err err = { 0 };
	struct sbx_buf out = { 0 };
	unsigned char md[32] = { 0 };

	github_env(COMMIT40);
	ck_assert_msg(sbx_build_from_github(&b, &err) == SBX_OK, "%s",
	    err.msg);
	ck_assert(b.github);
	ck_assert_str_eq(b.builder_id, "https://github.com/acme/agent/"
	    ".github/workflows/release.yml@refs/tags/v1.2.0");
	ck_assert_str_eq(b.invocation_id, "https://github.com/acme/agent/"
	    "actions/runs/9876543210/attempts/2");
	ck_assert_str_eq(b.source.repository, "https://github.com/acme/agent");
	ck_assert_str_eq(b.source.ref, "refs/tags/v1.2.0");
	ck_assert_str_eq(b.source.commit, COMMIT40);
	ck_assert_str_eq(b.workflow_path, ".github/workflows/release.yml");
	ck_assert_str_eq(b.workflow_ref, "refs/tags/v1.2.0");

	b.started_on = b.finished_on = 1714564800;
	ck_assert_int_eq(sbx_statement_write(&out, "a.jar", md, &b, &err),
	    SBX_OK);
	sbx_buf_terminate(&out, NULL);
	ck_assert_ptr_nonnull(strstr((char *)out.p, "\"resolvedDependencies\":"
	    "[{\"uri\":\"git+https://github.com/acme/agent@refs/tags/v1.2.0\","
	    "\"digest\":{\"gitCommit\":\"" COMMIT40 "\"}}]"));
	ck_assert_ptr_nonnull(strstr((char *)out.p, "\"internalParameters\":"
	    "{\"github\":{\"eventName\":\"push\",\"runnerEnvironment\":"
	    "\"github-hosted\"}}"));
	sbx_buf_free(&out);
	sbx_build_free(&b);
}
END_TEST

START_TEST(github_environment_must_be_complete_and_well_formed)
{
	struct sbx_build b = { 0 };
	struct sbx_err err = { 0 };

	github_env(COMMIT40);
	unsetenv("GITHUB_RUN_ID");
	ck_assert_int_eq(sbx_build_from_github(&b, &err), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "GitHub Actions: GITHUB_RUN_ID is not set");
	sbx_build_free(&b);

	github_env("not-a-commit");
	ck_assert_int_eq(sbx_build_from_github(&b, &err), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "GITHUB_SHA is malformed"));
	sbx_build_free(&b);

	/* Outside Actions nothing is read. */
	setenv("GITHUB_ACTIONS", "false", 1);
	ck_assert_int_eq(sbx_build_from_github(&b, &err), SBX_OK);
	ck_assert(!b.github);
	ck_assert_ptr_null(b.builder_id);
}
END_TEST

START_TEST(github_sha_must_be_the_checked_out_commit)
{
	struct sbx_build b = { 0 };
	struct sbx_err err = { 0 };
	char dir[PATH_MAX], cmd[PATH_MAX + 64], head[64];

	make_repo(dir, sizeof(dir), "repo");
	github_env(COMMIT40);
	ck_assert_int_eq(sbx_build_from_github(&b, &err), SBX_OK);
	ck_assert_int_eq(sbx_build_source(&b, dir, &err), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "GITHUB_SHA is 0123456789ab"));
	sbx_build_free(&b);

	snprintf(cmd, sizeof(cmd), "git -C '%s' rev-parse HEAD", dir);
	sh_out(head, sizeof(head), cmd);
	github_env(head);
	ck_assert_int_eq(sbx_build_from_github(&b, &err), SBX_OK);
	ck_assert_msg(sbx_build_source(&b, dir, &err) == SBX_OK, "%s",
	    err.msg);
	ck_assert_str_eq(b.source.repository, "https://github.com/acme/agent");
	sbx_build_free(&b);
}
END_TEST

START_TEST(statement_round_trips_every_field)
{
	struct sbx_build b;
	struct sbx_statement *st = NULL;
	struct sbx_err err = { 0 };
	struct sbx_buf out = { 0 };
	unsigned char md[32];
	size_t i;

	for (i = 0; i < sizeof(md); i++)
		md[i] = (unsigned char)i;
	local_build(&b);
	b.invocation_id = strdup("urn:uuid:1");
	b.started_on = 1714564700;
	b.finished_on = 1714564800;
	b.detached = true;
	ck_assert_int_eq(sbx_statement_write(&out, "agent.jar", md, &b, &err),
	    SBX_OK);
	ck_assert_msg(sbx_statement_parse(&st, out.p, out.len, "s", &err) ==
	    SBX_OK, "%s", err.msg);
	ck_assert_uint_eq(st->nsubjects, 1);
	ck_assert_str_eq(st->subjects[0].name, "agent.jar");
	ck_assert(st->subjects[0].has_sha256);
	ck_assert(memcmp(st->subjects[0].sha256, md, 32) == 0);
	ck_assert_str_eq(st->build_type, SBX_BUILD_TYPE);
	ck_assert_str_eq(st->builder_id, SBX_LOCAL_BUILDER);
	ck_assert_str_eq(st->invocation_id, "urn:uuid:1");
	ck_assert_str_eq(st->repository, "https://example.com/acme/agent");
	ck_assert_str_eq(st->ref, "refs/heads/main");
	ck_assert_str_eq(st->commit, COMMIT40);
	ck_assert_int_eq(st->started_on, 1714564700);
	ck_assert(st->has_finished);
	ck_assert_int_eq(st->finished_on, 1714564800);
	ck_assert(st->detached);
	ck_assert(!st->dirty);
	sbx_statement_free(st);
	sbx_buf_free(&out);
	sbx_build_free(&b);
}
END_TEST

#define STMT_HEAD "{\"_type\":\"https://in-toto.io/Statement/v1\","
#define SUBJ "\"subject\":[{\"name\":\"a\",\"digest\":{\"sha256\":\"" \
    "0000000000000000000000000000000000000000000000000000000000000000\"}}],"
#define PTYPE "\"predicateType\":\"https://slsa.dev/provenance/v1\","
#define PRED "\"predicate\":{\"buildDefinition\":{\"buildType\":\"x\"," \
    "\"externalParameters\":{}},\"runDetails\":{\"builder\":{\"id\":\"b\"}}}"

static const struct {
	const char	*text;
	const char	*says;
} bad_statements[] = {
	{ "{\"_type\":\"https://in-toto.io/Statement/v0.1\"," SUBJ PTYPE PRED
	    "}", "_type is not" },
	{ STMT_HEAD SUBJ "\"predicateType\":\"https://slsa.dev/provenance/"
	    "v0.2\"," PRED "}", "predicateType is not" },
	{ STMT_HEAD SUBJ PTYPE PRED ",\"extra\":true}", "unknown member "
	    "\"extra\" in the statement" },
	{ STMT_HEAD "\"subject\":[]," PTYPE PRED "}", "subject is not a "
	    "non-empty array" },
	{ STMT_HEAD "\"subject\":[{\"digest\":{\"sha256\":\"00\"}}]," PTYPE
	    PRED "}", "subject[0].name is missing" },
	{ STMT_HEAD "\"subject\":[{\"name\":\"a\",\"digest\":{\"sha256\":"
	    "\"ABCD\"}}]," PTYPE PRED "}", "sha256 is not 64 lower-case" },
	{ STMT_HEAD SUBJ PTYPE "\"predicate\":{\"buildDefinition\":{"
	    "\"externalParameters\":{}},\"runDetails\":{\"builder\":{\"id\":"
	    "\"b\"}}}}", "buildDefinition.buildType is missing" },
	{ STMT_HEAD SUBJ PTYPE "\"predicate\":{\"buildDefinition\":{"
	    "\"buildType\":\"x\",\"externalParameters\":{}},\"runDetails\":{"
	    "\"builder\":{}}}}", "runDetails.builder.id is missing" },
	{ STMT_HEAD SUBJ PTYPE "\"predicate\":{\"buildDefinition\":{"
	    "\"buildType\":\"x\",\"externalParameters\":{}},\"runDetails\":{"
	    "\"builder\":{\"id\":\"b\"},\"metadata\":{\"finishedOn\":"
	    "\"yesterday\"}}}}", "finishedOn is not an RFC 3339 time" },
	{ STMT_HEAD SUBJ PTYPE "\"predicate\":{\"buildDefinition\":{"
	    "\"buildType\":\"x\",\"externalParameters\":{},"
	    "\"resolvedDependencies\":[{\"uri\":\"git+https://x@refs/heads/m"
	    "\",\"digest\":{\"gitCommit\":\"XYZ\"}}]},\"runDetails\":{"
	    "\"builder\":{\"id\":\"b\"}}}}", "gitCommit is not a lower-case" },
	{ STMT_HEAD "\"_type\":\"x\"," SUBJ PTYPE PRED "}", "duplicate" },
	{ "[" STMT_HEAD SUBJ PTYPE PRED "}]",
	    "the statement is not an object" },
};

START_TEST(statement_parse_refuses_malformed_statements)
{
	struct sbx_statement *st = NULL;
	struct sbx_err err = { 0 };
	const char *t = bad_statements[_i].text;

	ck_assert_int_eq(sbx_statement_parse(&st, t, strlen(t), "p.jsonl",
	    &err), SBX_EREJECT);
	ck_assert_ptr_null(st);
	ck_assert_int_eq(err.violation, SBX_V_PROVENANCE_MISMATCH);
	ck_assert_msg(strstr(err.msg, bad_statements[_i].says) != NULL,
	    "'%s' not in '%s'", bad_statements[_i].says, err.msg);
	ck_assert_msg(strncmp(err.msg, "p.jsonl: ", 9) == 0, "%s", err.msg);
}
END_TEST

START_TEST(statement_parse_accepts_the_minimal_predicate)
{
	static const char text[] = STMT_HEAD SUBJ PTYPE PRED "}";
	struct sbx_statement *st = NULL;
	struct sbx_err err = { 0 };

	ck_assert_msg(sbx_statement_parse(&st, text, strlen(text), "p",
	    &err) == SBX_OK, "%s", err.msg);
	ck_assert_ptr_null(st->repository);
	ck_assert_str_eq(st->commit, "");
	ck_assert(!st->has_finished);
	ck_assert(!st->detached);
	sbx_statement_free(st);
}
END_TEST

START_TEST(verify_accepts_signed_file_and_reports_what_it_says)
{
	struct sbx_prov_result r;
	struct sbx_build b;
	struct sbx_err err = { 0 };
	char path[PATH_MAX];

	local_build(&b);
	signed_file(path, sizeof(path), "libagent.so", "\177ELF native", &b);
	ck_assert_msg(verify(&r, path, MIN_POLICY, &err) == SBX_OK, "%s",
	    err.msg);
	ck_assert(r.present);
	ck_assert(r.verified);
	ck_assert_str_eq(r.key_name, "release");
	ck_assert_str_eq(r.key_id, sbx_key_id(key));
	ck_assert_str_eq(r.scheme, "rsassa-pss-sha256");
	ck_assert_str_eq(r.subject, "libagent.so");
	ck_assert_str_eq(r.builder_id, SBX_LOCAL_BUILDER);
	ck_assert_str_eq(r.commit, COMMIT40);
	ck_assert_str_eq(r.ref, "refs/heads/main");
	ck_assert_int_eq(r.finished_on, b.finished_on);
	ck_assert_uint_eq(strlen(r.sha256), 64);
	sbx_build_free(&b);
}
END_TEST

START_TEST(verify_rejects_one_byte_appended)
{
	struct sbx_prov_result r;
	struct sbx_build b;
	struct sbx_err err = { 0 };
	char path[PATH_MAX];

	local_build(&b);
	signed_file(path, sizeof(path), "bundle.tar.gz", "tarball bytes", &b);
	sh("printf x >>'%s'", path);
	ck_assert_int_eq(verify(&r, path, MIN_POLICY, &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_PROVENANCE_MISMATCH);
	ck_assert_ptr_nonnull(strstr(err.msg, "digest of file differs from "
	    "subject"));
	ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "%s",
	    err.msg);
	ck_assert(!r.verified);
	sbx_build_free(&b);
}
END_TEST

START_TEST(verify_rejects_file_of_another_name)
{
	struct sbx_prov_result r;
	struct sbx_build b;
	struct sbx_err err = { 0 };
	char path[PATH_MAX], other[PATH_MAX];

	local_build(&b);
	signed_file(path, sizeof(path), "a.so", "same bytes", &b);
	snprintf(other, sizeof(other), "%s/b.so", tmp);
	sh("cp '%s' '%s' && cp '%s.intoto.jsonl' '%s.intoto.jsonl'", path,
	    other, path, other);
	ck_assert_int_eq(verify(&r, other, MIN_POLICY, &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_PROVENANCE_MISMATCH);
	ck_assert_ptr_nonnull(strstr(err.msg, "no subject is named b.so"));
	sbx_build_free(&b);
}
END_TEST

START_TEST(verify_rejects_provenance_by_unknown_key)
{
	struct sbx_prov_result r;
	struct sbx_build b;
	struct sbx_err err = { 0 };
	char path[PATH_MAX];

	local_build(&b);
	signed_file(path, sizeof(path), "a.so", "bytes", &b);
	sbx_keyring_free(kr);
	ck_assert_int_eq(sbx_keyring_new(&kr, &err), SBX_OK);
	ck_assert_int_eq(verify(&r, path, MIN_POLICY, &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_UNTRUSTED_KEY);
	ck_assert_ptr_nonnull(strstr(err.msg, "signature by unknown key"));
	sbx_build_free(&b);
}
END_TEST

/* Each provenance field of the policy, once allowing and once refusing. */
static const struct {
	const char	*policy;
	int		 rc;
	enum sbx_violation v;
	const char	*says;
} rules[] = {
	{ "{\"keyring\":\"k\",\"provenance\":{\"builders\":"
	    "[\"urn:sbx:builder:*\"]}}", SBX_OK, SBX_V_NONE, NULL },
	{ "{\"keyring\":\"k\",\"provenance\":{\"builders\":"
	    "[\"https://github.com/acme/*\"]}}", SBX_EREJECT,
	    SBX_V_SOURCE_NOT_ALLOWED, "builder not allowed: "
	    SBX_LOCAL_BUILDER },
	{ "{\"keyring\":\"k\",\"provenance\":{\"repositories\":"
	    "[\"https://example.com/acme/*\"]}}", SBX_OK, SBX_V_NONE, NULL },
	{ "{\"keyring\":\"k\",\"provenance\":{\"repositories\":"
	    "[\"https://example.com/other/*\"]}}", SBX_EREJECT,
	    SBX_V_SOURCE_NOT_ALLOWED, "source repository not allowed: "
	    "https://example.com/acme/agent" },
	{ "{\"keyring\":\"k\",\"provenance\":{\"refs\":[\"refs/heads/main\","
	    "\"refs/tags/v*\"]}}", SBX_OK, SBX_V_NONE, NULL },
	{ "{\"keyring\":\"k\",\"provenance\":{\"refs\":[\"refs/tags/*\"]}}",
	    SBX_EREJECT, SBX_V_SOURCE_NOT_ALLOWED,
	    "ref not allowed: refs/heads/main" },
	{ "{\"keyring\":\"k\",\"provenance\":{\"max_age\":\"1h\"}}", SBX_OK,
	    SBX_V_NONE, NULL },
	{ "{\"keyring\":\"k\",\"provenance\":{\"max_age\":\"60s\"}}",
	    SBX_EREJECT, SBX_V_PROVENANCE_MISMATCH,
	    "older than the policy's max_age" },
	{ "{\"keyring\":\"k\",\"signers\":[{\"artifacts\":\"*.so\","
	    "\"keys\":[\"release\"]}]}", SBX_OK, SBX_V_NONE, NULL },
	{ "{\"keyring\":\"k\",\"signers\":[{\"artifacts\":\"*.so\","
	    "\"keys\":[\"someone-else\"]}]}", SBX_EREJECT,
	    SBX_V_UNTRUSTED_KEY, "may not sign a.so under the policy" },
};

START_TEST(verify_applies_each_provenance_policy_field)
{
	struct sbx_prov_result r;
	struct sbx_build b;
	struct sbx_err err = { 0 };
	char path[PATH_MAX];
	int rc;

	local_build(&b);
	b.finished_on -= 600;		/* ten minutes ago */
	signed_file(path, sizeof(path), "a.so", "bytes", &b);
	rc = verify(&r, path, rules[_i].policy, &err);
	ck_assert_msg(rc == rules[_i].rc, "%s: %d %s", rules[_i].policy, rc,
	    err.msg);
	if (rc == SBX_OK) {
		ck_assert(r.verified);
	} else {
		ck_assert_int_eq(err.violation, rules[_i].v);
		ck_assert_msg(strstr(err.msg, rules[_i].says) != NULL,
		    "'%s' not in '%s'", rules[_i].says, err.msg);
	}
	sbx_build_free(&b);
}
END_TEST

START_TEST(verify_refuses_age_limit_without_finish_time)
{
	static const char stmt_tail[] = "\"}}],\"predicateType\":\"https://"
	    "slsa.dev/provenance/v1\",\"predicate\":{\"buildDefinition\":{"
	    "\"buildType\":\"x\",\"externalParameters\":{}},\"runDetails\":{"
	    "\"builder\":{\"id\":\"b\"}}}}";
	struct sbx_prov_result r;
	struct sbx_err err = { 0 };
	struct sbx_dsse *env = NULL;
	struct sbx_buf stmt = { 0 }, out = { 0 };
	unsigned char md[32];
	char path[PATH_MAX], prov[PATH_MAX], hex[65];

	snprintf(path, sizeof(path), "%s/a.so", tmp);
	ck_assert_int_eq(sbx_file_write_atomic(path, "x", 1, 0644, &err), 0);
	sbx_sha256(md, "x", 1, &err);
	sbx_hex(hex, md, 32);
	sbx_buf_printf(&stmt, &err, "{\"_type\":\"https://in-toto.io/"
	    "Statement/v1\",\"subject\":[{\"name\":\"a.so\",\"digest\":{"
	    "\"sha256\":\"%s%s", hex, stmt_tail);
	ck_assert_int_eq(sbx_dsse_sign(&env, key, SBX_PAD_PKCS1,
	    SBX_DSSE_PAYLOAD_TYPE, stmt.p, stmt.len, &err), SBX_OK);
	ck_assert_int_eq(sbx_dsse_write(&out, env, &err), SBX_OK);
	ck_assert(sbx_provenance_path(prov, sizeof(prov), path));
	ck_assert_int_eq(sbx_file_write_atomic(prov, out.p, out.len, 0644,
	    &err), SBX_OK);

	ck_assert_msg(verify(&r, path, MIN_POLICY, &err) == SBX_OK, "%s",
	    err.msg);
	ck_assert_str_eq(r.scheme, "rsa-pkcs1v15-sha256");
	ck_assert_int_eq(verify(&r, path, "{\"keyring\":\"k\",\"provenance\":"
	    "{\"max_age\":\"30d\"}}", &err), SBX_EREJECT);
	ck_assert_ptr_nonnull(strstr(err.msg, "no finishedOn time"));
	sbx_dsse_free(env);
	sbx_buf_free(&stmt);
	sbx_buf_free(&out);
}
END_TEST

START_TEST(verify_refuses_provenance_from_the_future)
{
	struct sbx_prov_result r;
	struct sbx_build b;
	struct sbx_err err = { 0 };
	char path[PATH_MAX];

	local_build(&b);
	b.finished_on += 86400;
	signed_file(path, sizeof(path), "a.so", "bytes", &b);
	ck_assert_int_eq(verify(&r, path, MIN_POLICY, &err), SBX_EREJECT);
	ck_assert_ptr_nonnull(strstr(err.msg, "made in the future"));
	sbx_build_free(&b);
}
END_TEST

static int
artifact(struct sbx_artifact_verdict *v, const char *path, const char *pol,
    struct sbx_err *err)
{
	struct sbx_artifact_opts o = { .keyring = kr,
	    .now = (int64_t)time(NULL) };
	int rc;

	o.policy = policy(pol);
	rc = sbx_artifact_verify(v, path, &o, err);
	sbx_policy_free((struct sbx_policy *)o.policy);
	return rc;
}

START_TEST(required_provenance_refuses_its_absence_and_takes_its_presence)
{
	static const char req[] = "{\"keyring\":\"k\",\"provenance\":"
	    "{\"required\":true}}";
	struct sbx_artifact_verdict v;
	struct sbx_build b;
	struct sbx_err err = { 0 };
	char path[PATH_MAX], bare[PATH_MAX];

	local_build(&b);
	signed_file(path, sizeof(path), "a.so", "bytes", &b);
	ck_assert_msg(artifact(&v, path, req, &err) == SBX_OK, "%s", err.msg);
	ck_assert(v.accepted);
	ck_assert_int_eq(v.by, SBX_SIGNED_PROVENANCE);

	snprintf(bare, sizeof(bare), "%s/plain.jar", tmp);
	sh("printf 'PK' >'%s'", bare);
	ck_assert_int_eq(artifact(&v, bare, req, &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_PROVENANCE_MISSING);
	ck_assert_int_eq(v.violation, SBX_V_PROVENANCE_MISSING);
	ck_assert_ptr_nonnull(strstr(err.msg, "no provenance "
	    "(plain.jar.intoto.jsonl), and the policy requires one"));
	ck_assert(!v.accepted);
	sbx_build_free(&b);
}
END_TEST

START_TEST(non_jar_without_provenance_is_unsigned)
{
	struct sbx_artifact_verdict v;
	struct sbx_err err = { 0 };
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/libx.so", tmp);
	sh("printf 'ELF' >'%s'", path);
	ck_assert_int_eq(artifact(&v, path, MIN_POLICY, &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_UNSIGNED);
	ck_assert_ptr_nonnull(strstr(err.msg, "signed only by its provenance"));
	ck_assert(!v.is_jar);
}
END_TEST

/* Without --detached the JAR's own signature is still required. */
START_TEST(jar_needs_its_signature_unless_provenance_is_detached)
{
	struct sbx_artifact_verdict v;
	struct sbx_build b;
	struct sbx_err err = { 0 };
	char path[PATH_MAX];

	local_build(&b);
	signed_file(path, sizeof(path), "agent.jar", "not really a zip", &b);
	ck_assert_int_eq(artifact(&v, path, MIN_POLICY, &err), SBX_EREJECT);
	ck_assert(v.is_jar);
	ck_assert(v.prov.verified);
	ck_assert(v.jar_checked);
	ck_assert_int_eq(v.violation, SBX_V_MALFORMED_ARCHIVE);

	b.detached = true;
	signed_file(path, sizeof(path), "agent.jar", "not really a zip", &b);
	ck_assert_msg(artifact(&v, path, MIN_POLICY, &err) == SBX_OK, "%s",
	    err.msg);
	ck_assert(v.accepted);
	ck_assert(!v.jar_checked);
	ck_assert(v.prov.detached);
	ck_assert_int_eq(v.by, SBX_SIGNED_PROVENANCE);
	sbx_build_free(&b);
}
END_TEST

/* main has one commit; feature one more; the clone sees both as remotes. */
static void
two_branches(char *dir, size_t n, char *main_head, char *feature_head)
{
	char cmd[PATH_MAX + 64];

	make_repo(dir, n, "src");
	snprintf(cmd, sizeof(cmd), "git -C '%s' rev-parse HEAD", dir);
	sh_out(main_head, 64, cmd);
	sh("set -e; cd '%s'; git checkout -q -b feature; echo f >f.txt; "
	    "git add f.txt; git commit -q -m f; git checkout -q main", dir);
	snprintf(cmd, sizeof(cmd), "git -C '%s' rev-parse feature", dir);
	sh_out(feature_head, 64, cmd);
}

START_TEST(source_check_finds_commit_reachable_from_allowed_ref)
{
	struct sbx_policy *main_only, *feat;
	struct sbx_err err = { 0 };
	char dir[PATH_MAX], clone[PATH_MAX], m[64], f[64];

	two_branches(dir, sizeof(dir), m, f);
	main_only = policy("{\"keyring\":\"k\",\"provenance\":{\"refs\":"
	    "[\"refs/heads/main\"]}}");
	feat = policy("{\"keyring\":\"k\",\"provenance\":{\"refs\":"
	    "[\"refs/heads/feature\"]}}");

	ck_assert_msg(sbx_source_check(dir, m, main_only, &err) == SBX_OK,
	    "%s", err.msg);
	ck_assert_int_eq(sbx_source_check(dir, f, main_only, &err),
	    SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_SOURCE_NOT_ALLOWED);
	ck_assert_ptr_nonnull(strstr(err.msg, "not reachable from a ref the "
	    "policy allows"));
	ck_assert_int_eq(sbx_source_check(dir, COMMIT40, main_only, &err),
	    SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_PROVENANCE_MISMATCH);
	ck_assert_ptr_nonnull(strstr(err.msg, "commit 0123456789ab is not "
	    "in"));

	/* A clone has feature only as refs/remotes/origin/feature. */
	snprintf(clone, sizeof(clone), "%s/clone", tmp);
	sh("git clone -q '%s' '%s'", dir, clone);
	ck_assert_msg(sbx_source_check(clone, f, feat, &err) == SBX_OK, "%s",
	    err.msg);
	ck_assert_int_eq(sbx_source_check(tmp, f, feat, &err), SBX_ECONFIG);

	sbx_policy_free(main_only);
	sbx_policy_free(feat);
}
END_TEST

static Suite *
provenance_suite(void)
{
	Suite *s = suite_create("provenance");
	TCase *tc = tcase_create("provenance");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, time_parse_reads_rfc3339_and_refuses_the_rest,
	    0, (int)(sizeof(times) / sizeof(times[0])));
	tcase_add_test(tc, time_format_writes_utc_seconds);
	tcase_add_test(tc, source_read_strips_credentials_and_reads_head);
	tcase_add_test(tc, source_read_takes_another_remote_without_origin);
	tcase_add_test(tc, source_read_detached_head_has_no_ref);
	tcase_add_test(tc, source_read_outside_any_repository_finds_none);
	tcase_add_test(tc, dirty_tree_is_refused_without_allow_dirty);
	tcase_add_test(tc, dirty_tree_allowed_is_recorded_in_the_statement);
	tcase_add_test(tc, untracked_files_do_not_make_the_tree_dirty);
	tcase_add_test(tc, github_environment_names_builder_and_invocation);
	tcase_add_test(tc, github_environment_must_be_complete_and_well_formed);
	tcase_add_test(tc, github_sha_must_be_the_checked_out_commit);
	tcase_add_test(tc, statement_round_trips_every_field);
	tcase_add_loop_test(tc, statement_parse_refuses_malformed_statements,
	    0, (int)(sizeof(bad_statements) / sizeof(bad_statements[0])));
	tcase_add_test(tc, statement_parse_accepts_the_minimal_predicate);
	tcase_add_test(tc, verify_accepts_signed_file_and_reports_what_it_says);
	tcase_add_test(tc, verify_rejects_one_byte_appended);
	tcase_add_test(tc, verify_rejects_file_of_another_name);
	tcase_add_test(tc, verify_rejects_provenance_by_unknown_key);
	tcase_add_loop_test(tc, verify_applies_each_provenance_policy_field,
	    0, (int)(sizeof(rules) / sizeof(rules[0])));
	tcase_add_test(tc, verify_refuses_age_limit_without_finish_time);
	tcase_add_test(tc, verify_refuses_provenance_from_the_future);
	tcase_add_test(tc,
	    required_provenance_refuses_its_absence_and_takes_its_presence);
	tcase_add_test(tc, non_jar_without_provenance_is_unsigned);
	tcase_add_test(tc,
	    jar_needs_its_signature_unless_provenance_is_detached);
	tcase_add_test(tc,
	    source_check_finds_commit_reachable_from_allowed_ref);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(provenance_suite());
	int failed;

	/* The tests set GITHUB_* and change folders: keep them apart. */
	unsetenv("GITHUB_ACTIONS");
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

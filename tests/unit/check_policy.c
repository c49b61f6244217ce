/* tests/unit/check_policy.c: the policy language, its errors and checks. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include <sbx/policy.h>

#define SRC_ROOT	SBX_TEST_DATA "/../.."
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static struct sbx_policy *
parse(const char *json, struct sbx_err *err, int *rc)
{
	struct sbx_policy *p = NULL;

	*rc = sbx_policy_parse_mem(&p, json, strlen(json), "policy.json",
	    "/etc/sbx", err);
	return p;
}

static void
join_strs(char *out, size_t n, const struct sbx_policy_strs *l,
    const char *sep)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < l->n; i++)
		snprintf(out + strlen(out), n - strlen(out), "%s%s",
		    i == 0 ? "" : sep, l->v[i]);
}

static const char *
on_off(bool b)
{
	return b ? "true" : "false";
}

static const char *
or_dash(const char *s)
{
	return s != NULL ? s : "-";
}

static void
describe_sink(char *out, size_t n, const struct sbx_policy_http_sink *s)
{
	if (s->enabled)
		snprintf(out, n, "on:%s", or_dash(s->url));
	else
		snprintf(out, n, "off");
}

static void
describe_lists(char *out, size_t n, const struct sbx_policy *p,
    const char *field)
{
	char keys[512];
	size_t i;

	out[0] = '\0';
	if (strcmp(field, "signers") == 0) {
		for (i = 0; i < p->n_signers; i++) {
			join_strs(keys, sizeof(keys), &p->signers[i].keys, "|");
			snprintf(out + strlen(out), n - strlen(out), "%s%s:%s",
			    i == 0 ? "" : ";", p->signers[i].artifacts, keys);
		}
	} else if (strcmp(field, "versions") == 0) {
		for (i = 0; i < p->n_versions; i++)
			snprintf(out + strlen(out), n - strlen(out),
			    "%s%s>=%s", i == 0 ? "" : ";",
			    p->versions[i].artifacts, p->versions[i].min);
	} else if (strcmp(field, "jvm.native_agents") == 0) {
		for (i = 0; i < p->jvm.n_native_agents; i++)
			snprintf(out + strlen(out), n - strlen(out), "%s%s=%s",
			    i == 0 ? "" : ";", p->jvm.native_agents[i].path,
			    p->jvm.native_agents[i].sha256);
	} else if (strcmp(field, "paths.owners") == 0) {
		for (i = 0; i < p->paths.n_owners; i++)
			snprintf(out + strlen(out), n - strlen(out), "%s%u",
			    i == 0 ? "" : ",", (unsigned)p->paths.owners[i]);
	} else {
		ck_abort_msg("no such list field: %s", field);
	}
}

/* The value of one field, as text: what the accept table compares. */
static void
describe(char *out, size_t n, const struct sbx_policy *p, const char *field)
{
	const struct sbx_policy_audit *a = &p->audit;
	const struct sbx_policy_metrics *m = &p->metrics;

	if (strcmp(field, "keyring") == 0)
		snprintf(out, n, "%s", p->keyring);
	else if (strcmp(field, "root") == 0)
		snprintf(out, n, "%s", p->root != NULL ? p->root : "(none)");
	else if (strcmp(field, "mode") == 0)
		snprintf(out, n, "%s", sbx_mode_name(p->mode));
	else if (strcmp(field, "tenant") == 0)
		snprintf(out, n, "%s", p->tenant);
	else if (strcmp(field, "min_rsa_bits") == 0)
		snprintf(out, n, "%d", p->min_rsa_bits);
	else if (strcmp(field, "digests") == 0)
		snprintf(out, n, "%u", p->digests);
	else if (strcmp(field, "signature_algorithms") == 0)
		snprintf(out, n, "%u", p->sigalgs);
	else if (strcmp(field, "provenance.required") == 0)
		snprintf(out, n, "%s", on_off(p->provenance.required));
	else if (strcmp(field, "provenance.max_age") == 0)
		snprintf(out, n, "%lld", (long long)p->provenance.max_age);
	else if (strcmp(field, "provenance.builders") == 0)
		join_strs(out, n, &p->provenance.builders, ",");
	else if (strcmp(field, "provenance.repositories") == 0)
		join_strs(out, n, &p->provenance.repositories, ",");
	else if (strcmp(field, "provenance.refs") == 0)
		join_strs(out, n, &p->provenance.refs, ",");
	else if (strcmp(field, "jvm.forbidden_flags") == 0)
		join_strs(out, n, &p->jvm.forbidden_flags, ",");
	else if (strcmp(field, "jvm.required_flags") == 0)
		join_strs(out, n, &p->jvm.required_flags, ",");
	else if (strcmp(field, "paths.forbid_group_writable") == 0)
		snprintf(out, n, "%s", on_off(p->paths.forbid_group_writable));
	else if (strcmp(field, "paths.forbid_world_writable") == 0)
		snprintf(out, n, "%s", on_off(p->paths.forbid_world_writable));
	else if (strcmp(field, "audit.file") == 0)
		snprintf(out, n, "%s", or_dash(a->file));
	else if (strcmp(field, "audit.log_passing") == 0)
		snprintf(out, n, "%s", on_off(a->log_passing));
	else if (strcmp(field, "audit.fsync") == 0)
		snprintf(out, n, "%s", on_off(a->fsync));
	else if (strcmp(field, "audit.sinks.journal") == 0)
		describe_sink(out, n, &a->sinks.journal);
	else if (strcmp(field, "audit.sinks.loki") == 0)
		describe_sink(out, n, &a->sinks.loki);
	else if (strcmp(field, "audit.sinks.otlp") == 0)
		describe_sink(out, n, &a->sinks.otlp);
	else if (strcmp(field, "audit.sinks.syslog") == 0)
		snprintf(out, n, "%s:%s:%d:%s:%d",
		    a->sinks.syslog.enabled ? "on" : "off",
		    a->sinks.syslog.host, a->sinks.syslog.port,
		    a->sinks.syslog.transport == SBX_SYSLOG_UDP ? "udp" : "tcp",
		    a->sinks.syslog.facility);
	else if (strcmp(field, "audit.sampling") == 0)
		snprintf(out, n, "%u:%g", a->sampling.per_minute_after,
		    a->sampling.rate);
	else if (strcmp(field, "audit.spool_dir") == 0)
		snprintf(out, n, "%s", or_dash(a->spool_dir));
	else if (strcmp(field, "audit.spool_max_bytes") == 0)
		snprintf(out, n, "%lld", (long long)a->spool_max_bytes);
	else if (strcmp(field, "audit.budget_ms") == 0)
		snprintf(out, n, "%d", a->budget_ms);
	else if (strcmp(field, "metrics.textfile_dir") == 0)
		snprintf(out, n, "%s", or_dash(m->textfile_dir));
	else if (strcmp(field, "metrics.pushgateway") == 0)
		snprintf(out, n, "%s", or_dash(m->pushgateway));
	else if (strcmp(field, "metrics.job") == 0)
		snprintf(out, n, "%s", m->job);
	else if (strcmp(field, "metrics.instance") == 0)
		snprintf(out, n, "%s", m->instance);
	else if (strcmp(field, "metrics.budget_ms") == 0)
		snprintf(out, n, "%d", m->budget_ms);
	else
		describe_lists(out, n, p, field);
}

/* ---- defaults ---------------------------------------------------------- */

static void
assert_defaults(const struct sbx_policy *p)
{
	char host[256] = "";

	ck_assert_int_eq(p->min_rsa_bits, 4096);
	ck_assert_uint_eq(p->digests,
	    SBX_DIGEST_SHA256 | SBX_DIGEST_SHA384 | SBX_DIGEST_SHA512);
	ck_assert_uint_eq(p->sigalgs,
	    SBX_SIGALG_RSA_PKCS1 | SBX_SIGALG_RSA_PSS);
	ck_assert_int_eq(p->mode, SBX_MODE_ENFORCE);
	ck_assert_str_eq(p->tenant, "default");

	ck_assert(!p->provenance.required);
	ck_assert_int_eq(p->provenance.max_age, 0);
	ck_assert_uint_eq(p->provenance.builders.n, 0);
	ck_assert_uint_eq(p->provenance.repositories.n, 0);
	ck_assert_uint_eq(p->provenance.refs.n, 0);
	ck_assert_uint_eq(p->n_signers, 0);
	ck_assert_uint_eq(p->n_versions, 0);

	ck_assert_uint_eq(p->jvm.forbidden_flags.n, 3);
	ck_assert_str_eq(p->jvm.forbidden_flags.v[0], "-Xverify:none");
	ck_assert_str_eq(p->jvm.forbidden_flags.v[1], "-noverify");
	ck_assert_str_eq(p->jvm.forbidden_flags.v[2],
	    "-XX:-BytecodeVerificationRemote");
	ck_assert_uint_eq(p->jvm.required_flags.n, 0);
	ck_assert_uint_eq(p->jvm.n_native_agents, 0);

	ck_assert_uint_eq(p->paths.n_owners, geteuid() == 0 ? 1 : 2);
	ck_assert_uint_eq(p->paths.owners[0], 0);
	if (geteuid() != 0)
		ck_assert_uint_eq(p->paths.owners[1], geteuid());
	ck_assert(p->paths.forbid_group_writable);
	ck_assert(p->paths.forbid_world_writable);

	ck_assert_ptr_null(p->audit.file);
	ck_assert(p->audit.log_passing);
	ck_assert(p->audit.fsync);
	ck_assert(!p->audit.sinks.journal.enabled);
	ck_assert(!p->audit.sinks.syslog.enabled);
	ck_assert(!p->audit.sinks.loki.enabled);
	ck_assert(!p->audit.sinks.otlp.enabled);
	ck_assert_uint_eq(p->audit.sampling.per_minute_after, 0);
	ck_assert(p->audit.sampling.rate == 1.0);
	ck_assert_ptr_null(p->audit.spool_dir);
	ck_assert_int_eq(p->audit.spool_max_bytes, 16 << 20);
	ck_assert_int_eq(p->audit.budget_ms, 50);

	ck_assert_ptr_null(p->metrics.textfile_dir);
	ck_assert_ptr_null(p->metrics.pushgateway);
	ck_assert_str_eq(p->metrics.job, "sbx");
	ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
	ck_assert_str_eq(p->metrics.instance, host);
	ck_assert_int_eq(p->metrics.budget_ms, 50);
}

START_TEST(smallest_policy_has_safe_defaults)
{
	char hex[65];
	struct sbx_err err = { 0 };
	struct sbx_policy *p;
	int rc;

	p = parse("{\"keyring\": \"keyring.json\"}", &err, &rc);

	ck_assert_msg(rc == SBX_OK, "%s", err.msg);
	ck_assert_str_eq(p->path, "policy.json");
	ck_assert_str_eq(p->keyring, "/etc/sbx/keyring.json");
	ck_assert_int_eq(sbx_policy_sha256(hex, p, &err), SBX_OK);
	ck_assert_uint_eq(strlen(hex), 64);
	assert_defaults(p);
	sbx_policy_free(p);
}
END_TEST

START_TEST(default_policy_is_the_smallest_policy)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p = NULL;
	char cwd[PATH_MAX], want[PATH_MAX + 32], hex[65];
	int rc;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/keys/keyring.json", cwd);

	rc = sbx_policy_default(&p, "keys/keyring.json", &err);

	ck_assert_msg(rc == SBX_OK, "%s", err.msg);
	ck_assert_ptr_null(p->path);
	ck_assert_str_eq(p->keyring, want);
	ck_assert_int_eq(sbx_policy_sha256(hex, p, &err), SBX_OK);
	ck_assert_str_eq(hex, "");
	assert_defaults(p);
	sbx_policy_free(p);
}
END_TEST

START_TEST(default_policy_needs_a_keyring)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p = (struct sbx_policy *)&err;

	ck_assert_int_eq(sbx_policy_default(&p, "", &err), SBX_ECONFIG);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err.msg, "no keyring given");
}
END_TEST

/* ---- every field: accepted values -------------------------------------- */

struct accept_row {
	const char	*reason;
	const char	*json;
	const char	*field;
	const char	*want;
};

static const struct accept_row accept_rows[] = {
	{ "keyring relative to the policy folder",
	    "{\"keyring\": \"keys/ring.json\"}",
	    "keyring", "/etc/sbx/keys/ring.json" },
	{ "keyring absolute stays",
	    "{\"keyring\": \"/var/lib/sbx/k.json\"}",
	    "keyring", "/var/lib/sbx/k.json" },
	{ "no root file by default",
	    "{\"keyring\": \"k\"}",
	    "root", "(none)" },
	{ "root file relative to the policy folder",
	    "{\"keyring\": \"k\", \"root\": \"keys/root.json\"}",
	    "root", "/etc/sbx/keys/root.json" },
	{ "mode audit",
	    "{\"keyring\": \"k\", \"mode\": \"audit\"}",
	    "mode", "audit" },
	{ "mode enforce",
	    "{\"keyring\": \"k\", \"mode\": \"enforce\"}",
	    "mode", "enforce" },
	{ "tenant with dots, dashes, underscores",
	    "{\"keyring\": \"k\", \"tenant\": \"team-a.prod_1\"}",
	    "tenant", "team-a.prod_1" },
	{ "tenant of 64 characters",
	    "{\"keyring\": \"k\", \"tenant\": \"ttttttttttttttttttttttttttt"
	    "ttttttttttttttttttttttttttttttttttttt\"}",
	    "tenant",
	    "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
	    "tt" },
	{ "min_rsa_bits 2048 is the floor",
	    "{\"keyring\": \"k\", \"min_rsa_bits\": 2048}",
	    "min_rsa_bits", "2048" },
	{ "min_rsa_bits 16384 is the ceiling",
	    "{\"keyring\": \"k\", \"min_rsa_bits\": 16384}",
	    "min_rsa_bits", "16384" },
	{ "digests sha384 and sha512 only",
	    "{\"keyring\": \"k\", \"digests\": [\"sha512\", \"sha384\"]}",
	    "digests", "6" },
	{ "signature_algorithms rsa-pss only",
	    "{\"keyring\": \"k\", \"signature_algorithms\": [\"rsa-pss\"]}",
	    "signature_algorithms", "2" },
	{ "signature_algorithms rsa-pkcs1 only",
	    "{\"keyring\": \"k\", \"signature_algorithms\": [\"rsa-pkcs1\"]"
	    "}",
	    "signature_algorithms", "1" },
	{ "provenance.required",
	    "{\"keyring\": \"k\", \"provenance\": {\"required\": true}}",
	    "provenance.required", "true" },
	{ "provenance.max_age in days",
	    "{\"keyring\": \"k\", \"provenance\": {\"max_age\": \"30d\"}}",
	    "provenance.max_age", "2592000" },
	{ "provenance.max_age in seconds",
	    "{\"keyring\": \"k\", \"provenance\": {\"max_age\": \"45s\"}}",
	    "provenance.max_age", "45" },
	{ "provenance.builders",
	    "{\"keyring\": \"k\", \"provenance\": {\"builders\": [\"https:/"
	    "/ci.example/*\", \"b\"]}}",
	    "provenance.builders", "https://ci.example/*,b" },
	{ "provenance.repositories",
	    "{\"keyring\": \"k\", \"provenance\": {\"repositories\": [\"htt"
	    "ps://github.com/acme/*\"]}}",
	    "provenance.repositories", "https://github.com/acme/*" },
	{ "provenance.refs",
	    "{\"keyring\": \"k\", \"provenance\": {\"refs\": [\"refs/heads/"
	    "main\", \"refs/tags/v*\"]}}",
	    "provenance.refs", "refs/heads/main,refs/tags/v*" },
	{ "provenance lists may be empty: any",
	    "{\"keyring\": \"k\", \"provenance\": {\"refs\": []}}",
	    "provenance.refs", "" },
	{ "signers",
	    "{\"keyring\": \"k\", \"signers\": [{\"artifacts\": \"acme-*.ja"
	    "r\", \"keys\": [\"rel\", \"abababababababababababababababababa"
	    "babababababababababababababab\"]}, {\"artifacts\": \"*\", \"ke"
	    "ys\": [\"ops\"]}]}",
	    "signers",
	    "acme-*.jar:rel|abababababababababababababababababababababababa"
	    "babababababababab;*:ops" },
	{ "signers may be empty: any key",
	    "{\"keyring\": \"k\", \"signers\": []}",
	    "signers", "" },
	{ "versions",
	    "{\"keyring\": \"k\", \"versions\": [{\"artifacts\": \"acme-*.j"
	    "ar\", \"min\": \"2.3.0-rc1\"}]}",
	    "versions", "acme-*.jar>=2.3.0-rc1" },
	{ "jvm.forbidden_flags replaces the default",
	    "{\"keyring\": \"k\", \"jvm\": {\"forbidden_flags\": [\"-agentl"
	    "ib:jdwp*\"]}}",
	    "jvm.forbidden_flags", "-agentlib:jdwp*" },
	{ "jvm.forbidden_flags may be emptied",
	    "{\"keyring\": \"k\", \"jvm\": {\"forbidden_flags\": []}}",
	    "jvm.forbidden_flags", "" },
	{ "jvm.required_flags",
	    "{\"keyring\": \"k\", \"jvm\": {\"required_flags\": [\"-XX:+Dis"
	    "ableAttachMechanism\"]}}",
	    "jvm.required_flags", "-XX:+DisableAttachMechanism" },
	{ "jvm.native_agents, upper-case hex kept lower",
	    "{\"keyring\": \"k\", \"jvm\": {\"native_agents\": [{\"path\": "
	    "\"/opt/a/libx.so\", \"sha256\": \"ABABABABABABABABABABABABABAB"
	    "ABABABABABABABABABABABABABABABABABAB\"}]}}",
	    "jvm.native_agents",
	    "/opt/a/libx.so=abababababababababababababababababababababababa"
	    "babababababababab" },
	{ "paths.owners by name and uid",
	    "{\"keyring\": \"k\", \"paths\": {\"owners\": [\"root\", 1000]}"
	    "}",
	    "paths.owners", "0,1000" },
	{ "paths.forbid_group_writable off",
	    "{\"keyring\": \"k\", \"paths\": {\"forbid_group_writable\": fa"
	    "lse}}",
	    "paths.forbid_group_writable", "false" },
	{ "paths.forbid_world_writable off",
	    "{\"keyring\": \"k\", \"paths\": {\"forbid_world_writable\": fa"
	    "lse}}",
	    "paths.forbid_world_writable", "false" },
	{ "audit.file relative to the policy folder",
	    "{\"keyring\": \"k\", \"audit\": {\"file\": \"log/audit.jsonl\""
	    "}}",
	    "audit.file", "/etc/sbx/log/audit.jsonl" },
	{ "audit.file gives a default spool_dir",
	    "{\"keyring\": \"k\", \"audit\": {\"file\": \"/var/log/a.jsonl"
	    "\"}}",
	    "audit.spool_dir", "/var/log/a.jsonl.spool" },
	{ "audit.log_passing off",
	    "{\"keyring\": \"k\", \"audit\": {\"log_passing\": false}}",
	    "audit.log_passing", "false" },
	{ "audit.fsync off",
	    "{\"keyring\": \"k\", \"audit\": {\"fsync\": false}}",
	    "audit.fsync", "false" },
	{ "audit.sinks.journal native",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"journal\": {}}}"
	    "}",
	    "audit.sinks.journal", "on:-" },
	{ "audit.sinks.journal upload",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"journal\": {\"u"
	    "rl\": \"http://127.0.0.1:19532/upload\"}}}}",
	    "audit.sinks.journal", "on:http://127.0.0.1:19532/upload" },
	{ "audit.sinks.syslog defaults",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"syslog\": {}}}}",
	    "audit.sinks.syslog", "on:127.0.0.1:514:tcp:10" },
	{ "audit.sinks.syslog fully set",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"syslog\": {\"ho"
	    "st\": \"siem.example\", \"port\": 6514, \"transport\": \"udp\""
	    ", \"facility\": 4}}}}",
	    "audit.sinks.syslog", "on:siem.example:6514:udp:4" },
	{ "audit.sinks.loki",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"loki\": {\"url"
	    "\": \"https://loki.example/loki/api/v1/push\"}}}}",
	    "audit.sinks.loki", "on:https://loki.example/loki/api/v1/push" },
	{ "audit.sinks.otlp",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"otlp\": {\"url"
	    "\": \"http://[::1]:4318/v1/logs\"}}}}",
	    "audit.sinks.otlp", "on:http://[::1]:4318/v1/logs" },
	{ "audit.sampling",
	    "{\"keyring\": \"k\", \"audit\": {\"sampling\": {\"per_minute_a"
	    "fter\": 100, \"rate\": 0.25}}}",
	    "audit.sampling", "100:0.25" },
	{ "audit.sampling.rate may be an integer",
	    "{\"keyring\": \"k\", \"audit\": {\"sampling\": {\"rate\": 0}}}",
	    "audit.sampling", "0:0" },
	{ "audit.spool_dir",
	    "{\"keyring\": \"k\", \"audit\": {\"spool_dir\": \"spool\"}}",
	    "audit.spool_dir", "/etc/sbx/spool" },
	{ "audit.spool_max_bytes",
	    "{\"keyring\": \"k\", \"audit\": {\"spool_max_bytes\": 4096}}",
	    "audit.spool_max_bytes", "4096" },
	{ "audit.budget_ms",
	    "{\"keyring\": \"k\", \"audit\": {\"budget_ms\": 10000}}",
	    "audit.budget_ms", "10000" },
	{ "metrics.textfile_dir",
	    "{\"keyring\": \"k\", \"metrics\": {\"textfile_dir\": \"/var/li"
	    "b/node_exporter/textfile\"}}",
	    "metrics.textfile_dir", "/var/lib/node_exporter/textfile" },
	{ "metrics.pushgateway",
	    "{\"keyring\": \"k\", \"metrics\": {\"pushgateway\": \"http://1"
	    "27.0.0.1:9091\"}}",
	    "metrics.pushgateway", "http://127.0.0.1:9091" },
	{ "metrics.job",
	    "{\"keyring\": \"k\", \"metrics\": {\"job\": \"sbx-guard\"}}",
	    "metrics.job", "sbx-guard" },
	{ "metrics.instance",
	    "{\"keyring\": \"k\", \"metrics\": {\"instance\": \"host-1:9100"
	    "\"}}",
	    "metrics.instance", "host-1:9100" },
	{ "metrics.budget_ms",
	    "{\"keyring\": \"k\", \"metrics\": {\"budget_ms\": 1}}",
	    "metrics.budget_ms", "1" },
	{ "$schema is accepted and ignored",
	    "{\"$schema\": \"../schema.json\", \"keyring\": \"k\"}",
	    "keyring", "/etc/sbx/k" },
};

START_TEST(field_accepts_valid_value)
{
	const struct accept_row *r = &accept_rows[_i];
	struct sbx_err err = { 0 };
	struct sbx_policy *p;
	char got[1024];
	int rc;

	p = parse(r->json, &err, &rc);

	ck_assert_msg(rc == SBX_OK, "%s: %s", r->reason, err.msg);
	describe(got, sizeof(got), p, r->field);
	ck_assert_msg(strcmp(got, r->want) == 0, "%s: %s is \"%s\", not \"%s\"",
	    r->reason, r->field, got, r->want);
	sbx_policy_free(p);
}
END_TEST

/* ---- every field: refused values, with file, line, column and field ---- */

struct reject_row {
	const char	*reason;
	const char	*json;
	const char	*msg;
};

static const struct reject_row reject_rows[] = {
	{ "keyring must be a string",
	    "{\"keyring\": 3}",
	    "policy.json:1:2: keyring: must be a string" },
	{ "keyring must not be empty",
	    "{\"keyring\": \"\"}",
	    "policy.json:1:2: keyring: must not be empty" },
	{ "keyring is required",
	    "{\"mode\": \"audit\"}",
	    "policy.json:1:1: keyring: required" },
	{ "root must not be empty",
	    "{\"keyring\": \"k\", \"root\": \"\"}",
	    "policy.json:1:18: root: must not be empty" },
	{ "mode is enforce or audit",
	    "{\"keyring\": \"k\", \"mode\": \"strict\"}",
	    "policy.json:1:18: mode: must be \"enforce\" or \"audit\"" },
	{ "mode is a string",
	    "{\"keyring\": \"k\", \"mode\": 1}",
	    "policy.json:1:18: mode: must be a string" },
	{ "tenant has no spaces",
	    "{\"keyring\": \"k\", \"tenant\": \"a b\"}",
	    "policy.json:1:18: tenant: must be 1 to 64 letters, digits, '.'"
	    ", '_' or '-'" },
	{ "tenant is not empty",
	    "{\"keyring\": \"k\", \"tenant\": \"\"}",
	    "policy.json:1:18: tenant: must be 1 to 64 letters, digits, '.'"
	    ", '_' or '-'" },
	{ "tenant is at most 64 characters",
	    "{\"keyring\": \"k\", \"tenant\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
	    "policy.json:1:18: tenant: must be 1 to 64 letters, digits, '.'"
	    ", '_' or '-'" },
	{ "min_rsa_bits below 2048 is weak",
	    "{\"keyring\": \"k\", \"min_rsa_bits\": 1024}",
	    "policy.json:1:18: min_rsa_bits: must be from 2048 to 16384" },
	{ "min_rsa_bits above 16384",
	    "{\"keyring\": \"k\", \"min_rsa_bits\": 32768}",
	    "policy.json:1:18: min_rsa_bits: must be from 2048 to 16384" },
	{ "min_rsa_bits is not a string",
	    "{\"keyring\": \"k\", \"min_rsa_bits\": \"4096\"}",
	    "policy.json:1:18: min_rsa_bits: must be an integer" },
	{ "min_rsa_bits is not a real",
	    "{\"keyring\": \"k\", \"min_rsa_bits\": 4096.0}",
	    "policy.json:1:18: min_rsa_bits: must be an integer" },
	{ "digests names known digests",
	    "{\"keyring\": \"k\", \"digests\": [\"sha256\", \"md5\"]}",
	    "policy.json:1:40: digests[1]: must be \"sha256\", \"sha384\" o"
	    "r \"sha512\"" },
	{ "digests is not empty",
	    "{\"keyring\": \"k\", \"digests\": []}",
	    "policy.json:1:18: digests: must not be empty" },
	{ "digests lists each once",
	    "{\"keyring\": \"k\", \"digests\": [\"sha256\", \"sha256\"]}",
	    "policy.json:1:40: digests[1]: listed twice" },
	{ "digests is an array",
	    "{\"keyring\": \"k\", \"digests\": \"sha256\"}",
	    "policy.json:1:18: digests: must be an array" },
	{ "signature_algorithms names known ones",
	    "{\"keyring\": \"k\", \"signature_algorithms\": [\"rsa\"]}",
	    "policy.json:1:43: signature_algorithms[0]: must be \"rsa-pkcs1"
	    "\" or \"rsa-pss\"" },
	{ "signature_algorithms is not empty",
	    "{\"keyring\": \"k\", \"signature_algorithms\": []}",
	    "policy.json:1:18: signature_algorithms: must not be empty" },
	{ "provenance is an object",
	    "{\"keyring\": \"k\", \"provenance\": []}",
	    "policy.json:1:18: provenance: must be an object" },
	{ "provenance.required is a boolean",
	    "{\"keyring\": \"k\", \"provenance\": {\"required\": \"yes\"}}",
	    "policy.json:1:33: provenance.required: must be true or false" },
	{ "provenance.max_age needs a unit",
	    "{\"keyring\": \"k\", \"provenance\": {\"max_age\": \"30\"}}",
	    "policy.json:1:33: provenance.max_age: must be a duration like "
	    "\"30d\", \"12h\", \"90m\" or \"45s\"" },
	{ "provenance.max_age has one unit",
	    "{\"keyring\": \"k\", \"provenance\": {\"max_age\": \"1d12h\"}}",
	    "policy.json:1:33: provenance.max_age: must be a duration like "
	    "\"30d\", \"12h\", \"90m\" or \"45s\"" },
	{ "provenance.max_age is positive",
	    "{\"keyring\": \"k\", \"provenance\": {\"max_age\": \"0d\"}}",
	    "policy.json:1:33: provenance.max_age: must be more than 0" },
	{ "provenance.max_age is at most 100 years",
	    "{\"keyring\": \"k\", \"provenance\": {\"max_age\": \"36501d\"}"
	    "}",
	    "policy.json:1:33: provenance.max_age: must be at most 36500d" },
	{ "provenance.max_age is a string",
	    "{\"keyring\": \"k\", \"provenance\": {\"max_age\": 30}}",
	    "policy.json:1:33: provenance.max_age: must be a string" },
	{ "provenance.builders has no empty glob",
	    "{\"keyring\": \"k\", \"provenance\": {\"builders\": [\"\"]}}",
	    "policy.json:1:46: provenance.builders[0]: must not be empty" },
	{ "provenance.repositories is an array",
	    "{\"keyring\": \"k\", \"provenance\": {\"repositories\": \"x\"}"
	    "}",
	    "policy.json:1:33: provenance.repositories: must be an array" },
	{ "provenance.refs holds strings",
	    "{\"keyring\": \"k\", \"provenance\": {\"refs\": [1]}}",
	    "policy.json:1:42: provenance.refs[0]: must be a string" },
	{ "signers is an array",
	    "{\"keyring\": \"k\", \"signers\": {}}",
	    "policy.json:1:18: signers: must be an array" },
	{ "signers[].artifacts is required",
	    "{\"keyring\": \"k\", \"signers\": [{\"keys\": [\"a\"]}]}",
	    "policy.json:1:30: signers[0].artifacts: required" },
	{ "signers[].keys is required",
	    "{\"keyring\": \"k\", \"signers\": [{\"artifacts\": \"*\"}]}",
	    "policy.json:1:30: signers[0].keys: required" },
	{ "signers[].keys is not empty",
	    "{\"keyring\": \"k\", \"signers\": [{\"artifacts\": \"*\", \"ke"
	    "ys\": []}]}",
	    "policy.json:1:49: signers[0].keys: must not be empty" },
	{ "signers[] has no unknown fields",
	    "{\"keyring\": \"k\", \"signers\": [{\"artifacts\": \"*\", \"ke"
	    "ys\": [\"a\"], \"key\": \"b\"}]}",
	    "policy.json:1:64: signers[0].key: unknown field" },
	{ "signers[] are objects",
	    "{\"keyring\": \"k\", \"signers\": [3]}",
	    "policy.json:1:30: signers[0]: must be an object" },
	{ "versions[].min is a version",
	    "{\"keyring\": \"k\", \"versions\": [{\"artifacts\": \"*\", \"m"
	    "in\": \"v1\"}]}",
	    "policy.json:1:50: versions[0].min: must be a version like \"2."
	    "3.0\" or \"1.0-rc1\"" },
	{ "versions[].min has no double separator",
	    "{\"keyring\": \"k\", \"versions\": [{\"artifacts\": \"*\", \"m"
	    "in\": \"1..2\"}]}",
	    "policy.json:1:50: versions[0].min: must be a version like \"2."
	    "3.0\" or \"1.0-rc1\"" },
	{ "versions[].min is required",
	    "{\"keyring\": \"k\", \"versions\": [{\"artifacts\": \"*\"}]}",
	    "policy.json:1:31: versions[0].min: required" },
	{ "versions[].artifacts is not empty",
	    "{\"keyring\": \"k\", \"versions\": [{\"artifacts\": \"\", \"mi"
	    "n\": \"1\"}]}",
	    "policy.json:1:32: versions[0].artifacts: must not be empty" },
	{ "jvm.forbidden_flags are options",
	    "{\"keyring\": \"k\", \"jvm\": {\"forbidden_flags\": [\"Xverify"
	    ":none\"]}}",
	    "policy.json:1:46: jvm.forbidden_flags[0]: must be a JVM option"
	    " pattern starting with '-'" },
	{ "jvm.required_flags have no spaces",
	    "{\"keyring\": \"k\", \"jvm\": {\"required_flags\": [\"-a b\"]}"
	    "}",
	    "policy.json:1:45: jvm.required_flags[0]: must not contain whit"
	    "e space" },
	{ "a required flag may not be forbidden",
	    "{\"keyring\": \"k\", \"jvm\": {\"forbidden_flags\": [\"-agentl"
	    "ib:*\"], \"required_flags\": [\"-Xmx1g\", \"-agentlib:jdwp\"]}"
	    "}",
	    "policy.json:1:91: jvm.required_flags[1]: \"-agentlib:jdwp\" is"
	    " also forbidden by jvm.forbidden_flags[0]" },
	{ "default forbidden flags cannot be required",
	    "{\"keyring\": \"k\", \"jvm\": {\"required_flags\": [\"-noverif"
	    "y\"]}}",
	    "policy.json:1:45: jvm.required_flags[0]: \"-noverify\" is also"
	    " forbidden by jvm.forbidden_flags[1]" },
	{ "jvm.native_agents[].path is absolute",
	    "{\"keyring\": \"k\", \"jvm\": {\"native_agents\": [{\"path\": "
	    "\"lib.so\", \"sha256\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}]}}",
	    "policy.json:1:45: jvm.native_agents[0].path: must be an absolu"
	    "te path" },
	{ "jvm.native_agents[].sha256 is 64 hex digits",
	    "{\"keyring\": \"k\", \"jvm\": {\"native_agents\": [{\"path\": "
	    "\"/l.so\", \"sha256\": \"abc\"}]}}",
	    "policy.json:1:62: jvm.native_agents[0].sha256: must be 64 hex "
	    "digits (SHA-256)" },
	{ "jvm.native_agents[].sha256 is hex",
	    "{\"keyring\": \"k\", \"jvm\": {\"native_agents\": [{\"path\": "
	    "\"/l.so\", \"sha256\": \"ggggggggggggggggggggggggggggggggggggg"
	    "ggggggggggggggggggggggggggg\"}]}}",
	    "policy.json:1:62: jvm.native_agents[0].sha256: must be 64 hex "
	    "digits (SHA-256)" },
	{ "jvm.native_agents[].sha256 is required",
	    "{\"keyring\": \"k\", \"jvm\": {\"native_agents\": [{\"path\": "
	    "\"/l.so\"}]}}",
	    "policy.json:1:44: jvm.native_agents[0].sha256: required" },
	{ "jvm has no unknown fields",
	    "{\"keyring\": \"k\", \"jvm\": {\"flags\": []}}",
	    "policy.json:1:26: jvm.flags: unknown field" },
	{ "paths.owners is not empty",
	    "{\"keyring\": \"k\", \"paths\": {\"owners\": []}}",
	    "policy.json:1:28: paths.owners: must not be empty" },
	{ "paths.owners names existing users",
	    "{\"keyring\": \"k\", \"paths\": {\"owners\": [\"root\", \"no-s"
	    "uch-user-sbx\"]}}",
	    "policy.json:1:47: paths.owners[1]: no such user \"no-such-user"
	    "-sbx\"" },
	{ "paths.owners has no negative uid",
	    "{\"keyring\": \"k\", \"paths\": {\"owners\": [-1]}}",
	    "policy.json:1:39: paths.owners[0]: must be a valid uid" },
	{ "paths.owners has no uid 4294967295",
	    "{\"keyring\": \"k\", \"paths\": {\"owners\": [4294967295]}}",
	    "policy.json:1:39: paths.owners[0]: must be a valid uid" },
	{ "paths.owners are names or uids",
	    "{\"keyring\": \"k\", \"paths\": {\"owners\": [true]}}",
	    "policy.json:1:39: paths.owners[0]: must be a user name or a ui"
	    "d" },
	{ "paths.forbid_group_writable is a boolean",
	    "{\"keyring\": \"k\", \"paths\": {\"forbid_group_writable\": 1}"
	    "}",
	    "policy.json:1:28: paths.forbid_group_writable: must be true or"
	    " false" },
	{ "paths.forbid_world_writable is a boolean",
	    "{\"keyring\": \"k\", \"paths\": {\"forbid_world_writable\": \""
	    "no\"}}",
	    "policy.json:1:28: paths.forbid_world_writable: must be true or"
	    " false" },
	{ "audit.file is a string",
	    "{\"keyring\": \"k\", \"audit\": {\"file\": 1}}",
	    "policy.json:1:28: audit.file: must be a string" },
	{ "audit.log_passing is a boolean",
	    "{\"keyring\": \"k\", \"audit\": {\"log_passing\": \"x\"}}",
	    "policy.json:1:28: audit.log_passing: must be true or false" },
	{ "audit.fsync is a boolean",
	    "{\"keyring\": \"k\", \"audit\": {\"fsync\": 0}}",
	    "policy.json:1:28: audit.fsync: must be true or false" },
	{ "audit.sinks is an object",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": []}}",
	    "policy.json:1:28: audit.sinks: must be an object" },
	{ "audit.sinks.journal.url is http",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"journal\": {\"u"
	    "rl\": \"ftp://h/x\"}}}}",
	    "policy.json:1:50: audit.sinks.journal.url: must be an http or "
	    "https URL" },
	{ "audit.sinks.journal is an object",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"journal\": true"
	    "}}}",
	    "policy.json:1:38: audit.sinks.journal: must be an object" },
	{ "audit.sinks.syslog.host has no slash",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"syslog\": {\"ho"
	    "st\": \"a/b\"}}}}",
	    "policy.json:1:49: audit.sinks.syslog.host: must be a host name"
	    " or address" },
	{ "audit.sinks.syslog.port is a port",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"syslog\": {\"po"
	    "rt\": 70000}}}}",
	    "policy.json:1:49: audit.sinks.syslog.port: must be from 1 to 6"
	    "5535" },
	{ "audit.sinks.syslog.transport is tcp or udp",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"syslog\": {\"tr"
	    "ansport\": \"tls\"}}}}",
	    "policy.json:1:49: audit.sinks.syslog.transport: must be \"tcp"
	    "\" or \"udp\"" },
	{ "audit.sinks.syslog.facility is 0..23",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"syslog\": {\"fa"
	    "cility\": 24}}}}",
	    "policy.json:1:49: audit.sinks.syslog.facility: must be from 0 "
	    "to 23" },
	{ "audit.sinks.loki.url is required",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"loki\": {}}}}",
	    "policy.json:1:38: audit.sinks.loki.url: required" },
	{ "audit.sinks.otlp.url is a URL",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"otlp\": {\"url"
	    "\": \"not a url\"}}}}",
	    "policy.json:1:47: audit.sinks.otlp.url: must be an http or htt"
	    "ps URL" },
	{ "audit.sinks has no unknown sink",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"kafka\": {}}}}",
	    "policy.json:1:38: audit.sinks.kafka: unknown field" },
	{ "audit.sampling.per_minute_after is not negative",
	    "{\"keyring\": \"k\", \"audit\": {\"sampling\": {\"per_minute_a"
	    "fter\": -1}}}",
	    "policy.json:1:41: audit.sampling.per_minute_after: must be fro"
	    "m 0 to 1000000000" },
	{ "audit.sampling.rate is at most 1",
	    "{\"keyring\": \"k\", \"audit\": {\"sampling\": {\"rate\": 1.5}"
	    "}}",
	    "policy.json:1:41: audit.sampling.rate: must be from 0 to 1" },
	{ "audit.sampling.rate is not negative",
	    "{\"keyring\": \"k\", \"audit\": {\"sampling\": {\"rate\": -0.1"
	    "}}}",
	    "policy.json:1:41: audit.sampling.rate: must be from 0 to 1" },
	{ "audit.sampling.rate is a number",
	    "{\"keyring\": \"k\", \"audit\": {\"sampling\": {\"rate\": \"0."
	    "5\"}}}",
	    "policy.json:1:41: audit.sampling.rate: must be a number" },
	{ "audit.spool_dir is not empty",
	    "{\"keyring\": \"k\", \"audit\": {\"spool_dir\": \"\"}}",
	    "policy.json:1:28: audit.spool_dir: must not be empty" },
	{ "audit.spool_max_bytes is at least 4096",
	    "{\"keyring\": \"k\", \"audit\": {\"spool_max_bytes\": 100}}",
	    "policy.json:1:28: audit.spool_max_bytes: must be from 4096 to "
	    "1099511627776" },
	{ "audit.budget_ms is positive",
	    "{\"keyring\": \"k\", \"audit\": {\"budget_ms\": 0}}",
	    "policy.json:1:28: audit.budget_ms: must be from 1 to 10000" },
	{ "audit.budget_ms is at most 10 s",
	    "{\"keyring\": \"k\", \"audit\": {\"budget_ms\": 10001}}",
	    "policy.json:1:28: audit.budget_ms: must be from 1 to 10000" },
	{ "metrics.textfile_dir is a string",
	    "{\"keyring\": \"k\", \"metrics\": {\"textfile_dir\": 5}}",
	    "policy.json:1:30: metrics.textfile_dir: must be a string" },
	{ "metrics.pushgateway needs a scheme",
	    "{\"keyring\": \"k\", \"metrics\": {\"pushgateway\": \"127.0.0."
	    "1:9091\"}}",
	    "policy.json:1:30: metrics.pushgateway: must be an http or http"
	    "s URL" },
	{ "metrics.job is a plain label",
	    "{\"keyring\": \"k\", \"metrics\": {\"job\": \"a/b\"}}",
	    "policy.json:1:30: metrics.job: must be 1 to 128 letters, digit"
	    "s, '.', '_', ':' or '-'" },
	{ "metrics.instance is not empty",
	    "{\"keyring\": \"k\", \"metrics\": {\"instance\": \"\"}}",
	    "policy.json:1:30: metrics.instance: must be 1 to 128 letters, "
	    "digits, '.', '_', ':' or '-'" },
	{ "metrics.budget_ms is an integer",
	    "{\"keyring\": \"k\", \"metrics\": {\"budget_ms\": \"50\"}}",
	    "policy.json:1:30: metrics.budget_ms: must be an integer" },
	{ "$schema is a string",
	    "{\"keyring\": \"k\", \"$schema\": 1}",
	    "policy.json:1:18: $schema: must be a string" },
	{ "unknown top-level field",
	    "{\"keyring\": \"k\", \"keyrings\": \"k\"}",
	    "policy.json:1:18: keyrings: unknown field" },
	{ "unknown nested field",
	    "{\"keyring\": \"k\", \"provenance\": {\"maxage\": \"1d\"}}",
	    "policy.json:1:33: provenance.maxage: unknown field" },
	{ "unknown field, deeply nested",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"syslog\": {\"ho"
	    "stname\": \"h\"}}}}",
	    "policy.json:1:49: audit.sinks.syslog.hostname: unknown field" },
	{ "escaped key names are found",
	    "{\"keyring\": \"k\", \"\\u0070rovenance\": {\"m\\u0061x_age\":"
	    " \"x\"}}",
	    "policy.json:1:38: provenance.max_age: must be a duration like "
	    "\"30d\", \"12h\", \"90m\" or \"45s\"" },
	{ "unknown key with control character is shown safely",
	    "{\"keyring\": \"k\", \"a\\tb\": 1}",
	    "policy.json:1:18: a?b: unknown field" },
	{ "multi-line: position on the right line",
	    "{\n  \"keyring\": \"k\",\n  \"provenance\": {\n    \"required"
	    "\": true,\n    \"max_age\": \"30x\"\n  }\n}\n",
	    "policy.json:5:5: provenance.max_age: must be a duration like "
	    "\"30d\", \"12h\", \"90m\" or \"45s\"" },
	{ "multi-byte characters count as one column",
	    "{\"keyring\": \"k\", \"$schema\": \"\303\251t\303\251\", \"mod"
	    "e\": \"x\"}",
	    "policy.json:1:36: mode: must be \"enforce\" or \"audit\"" },
	{ "root must be an object",
	    " [1, 2]",
	    "policy.json:1:2: must be an object" },
};

START_TEST(field_refuses_bad_value)
{
	const struct reject_row *r = &reject_rows[_i];
	struct sbx_err err = { 0 };
	struct sbx_policy *p;
	int rc;

	p = parse(r->json, &err, &rc);

	ck_assert_msg(rc == SBX_ECONFIG, "%s: rc %d", r->reason, rc);
	ck_assert_ptr_null(p);
	ck_assert_msg(strcmp(err.msg, r->msg) == 0, "%s: got \"%s\"",
	    r->reason, err.msg);
}
END_TEST

/* ---- JSON errors ------------------------------------------------------- */

static const struct reject_row json_rows[] = {
	{ "duplicate top-level key, named where it is repeated",
	    "{\"keyring\": \"k\",\n  \"mode\": \"audit\",\n  \"mode\": \"x\"}",
	    "policy.json:3:3: mode: duplicate key" },
	{ "duplicate nested key, with its path",
	    "{\"keyring\": \"k\", \"audit\": {\"sinks\": {\"loki\": "
	    "{\"url\": \"http://a\", \"url\": \"http://b\"}}}}",
	    "policy.json:1:66: audit.sinks.loki.url: duplicate key" },
	{ "duplicate key inside an array element",
	    "{\"keyring\": \"k\", \"signers\": [{\"artifacts\": \"a\", "
	    "\"keys\": [\"x\"]}, {\"keys\": [], \"keys\": []}]}",
	    "policy.json:1:78: signers[1].keys: duplicate key" },
	{ "missing colon: jansson's line and column",
	    "{\"keyring\": \"k\",\n  \"mode\" \"audit\"}",
	    "policy.json:2:16: invalid JSON: ':' expected near '\"audit\"'" },
	{ "trailing comma",
	    "{\"keyring\": \"k\",\n}",
	    "policy.json:2:1: invalid JSON: string or '}' expected near '}'" },
	{ "empty file",
	    "",
	    "policy.json:1:1: invalid JSON: '[' or '{' expected near end of "
	    "file" },
	{ "text after the object",
	    "{\"keyring\": \"k\"} {}",
	    "policy.json:1:18: invalid JSON: end of file expected near '{'" },
	{ "NUL escape in a string",
	    "{\"keyring\": \"a\\u0000b\"}",
	    "policy.json:1:22: invalid JSON: \\u0000 is not allowed without "
	    "JSON_ALLOW_NUL near '\"a\\u0000b\"'" },
};

START_TEST(json_error_has_position)
{
	const struct reject_row *r = &json_rows[_i];
	struct sbx_err err = { 0 };
	struct sbx_policy *p;
	int rc;

	p = parse(r->json, &err, &rc);

	ck_assert_msg(rc == SBX_ECONFIG, "%s: rc %d", r->reason, rc);
	ck_assert_ptr_null(p);
	ck_assert_msg(strcmp(err.msg, r->msg) == 0, "%s: got \"%s\"",
	    r->reason, err.msg);
}
END_TEST

START_TEST(invalid_utf8_is_refused)
{
	static const char text[] = "{\"keyring\": \"\xff\"}";
	struct sbx_policy *p = NULL;
	struct sbx_err err = { 0 };
	int rc;

	rc = sbx_policy_parse_mem(&p, text, sizeof(text) - 1, "p.json", "/",
	    &err);

	ck_assert_int_eq(rc, SBX_ECONFIG);
	ck_assert_ptr_null(p);
	ck_assert_msg(strncmp(err.msg, "p.json:1:", 9) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "invalid JSON: "));
}
END_TEST

/* ---- files: paths relative to the policy, check_file ------------------- */

static char tmpdir[PATH_MAX];

static void
make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_policy.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
remove_tmpdir(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static void
write_file(const char *rel, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static void
make_dir(const char *rel)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	ck_assert_int_eq(mkdir(path, 0700), 0);
}

START_TEST(paths_resolve_against_the_policy_folder)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p = NULL;
	char path[PATH_MAX * 2], want[PATH_MAX * 2];

	make_tmpdir();
	make_dir("etc");
	write_file("etc/policy.json", "{\"keyring\": \"keys/keyring.json\", "
	    "\"audit\": {\"file\": \"../log/audit.jsonl\"}, "
	    "\"metrics\": {\"textfile_dir\": \"/var/lib/tf\"}}");
	snprintf(path, sizeof(path), "%s/etc/policy.json", tmpdir);

	ck_assert_msg(sbx_policy_load(&p, path, &err) == SBX_OK, "%s",
	    err.msg);

	ck_assert_str_eq(p->path, path);
	snprintf(want, sizeof(want), "%s/etc/keys/keyring.json", tmpdir);
	ck_assert_str_eq(p->keyring, want);
	snprintf(want, sizeof(want), "%s/etc/../log/audit.jsonl", tmpdir);
	ck_assert_str_eq(p->audit.file, want);
	snprintf(want, sizeof(want), "%s/etc/../log/audit.jsonl.spool",
	    tmpdir);
	ck_assert_str_eq(p->audit.spool_dir, want);
	ck_assert_str_eq(p->metrics.textfile_dir, "/var/lib/tf");
	sbx_policy_free(p);
	remove_tmpdir();
}
END_TEST

START_TEST(relative_policy_path_gives_absolute_keyring)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p = NULL;
	char old[PATH_MAX], want[PATH_MAX * 2];

	make_tmpdir();
	make_dir("sub");
	write_file("sub/policy.json", "{\"keyring\": \"k.json\"}");
	ck_assert_ptr_nonnull(getcwd(old, sizeof(old)));
	ck_assert_int_eq(chdir(tmpdir), 0);

	ck_assert_msg(sbx_policy_load(&p, "sub/policy.json", &err) == SBX_OK,
	    "%s", err.msg);

	ck_assert_int_eq(chdir(old), 0);
	ck_assert_str_eq(p->path, "sub/policy.json");
	snprintf(want, sizeof(want), "%s/sub/k.json", tmpdir);
	ck_assert_str_eq(p->keyring, want);
	sbx_policy_free(p);
	remove_tmpdir();
}
END_TEST

START_TEST(load_names_the_file_in_errors)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p = NULL;
	char path[PATH_MAX * 2], want[PATH_MAX * 3];

	make_tmpdir();
	write_file("policy.json",
	    "{\n\t\"keyring\": \"k\",\n\t\"tenant\": 7\n}\n");
	snprintf(path, sizeof(path), "%s/policy.json", tmpdir);

	ck_assert_int_eq(sbx_policy_load(&p, path, &err), SBX_ECONFIG);

	ck_assert_ptr_null(p);
	snprintf(want, sizeof(want), "%s:3:2: tenant: must be a string", path);
	ck_assert_str_eq(err.msg, want);
	remove_tmpdir();
}
END_TEST

/* The guard defers URL checks; everything else is still checked. */
START_TEST(deferred_urls_are_flagged_not_checked)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p = NULL;
	char path[PATH_MAX * 2];

	make_tmpdir();
	write_file("policy.json", "{\"keyring\": \"k\", \"metrics\": "
	    "{\"pushgateway\": \"ftp://x\"}}\n");
	write_file("plain.json", "{\"keyring\": \"k\"}\n");
	write_file("bad.json", "{\"keyring\": \"k\", \"metrics\": "
	    "{\"pushgateway\": \"ftp://x\"}, \"mode\": \"loud\"}\n");

	snprintf(path, sizeof(path), "%s/policy.json", tmpdir);
	ck_assert_int_eq(sbx_policy_load(&p, path, &err), SBX_ECONFIG);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(sbx_policy_load_flags(&p, path,
	    SBX_POLICY_DEFER_URLS, &err), SBX_OK);
	ck_assert(p->urls_unchecked);
	ck_assert_str_eq(p->metrics.pushgateway, "ftp://x");
	sbx_policy_free(p);

	snprintf(path, sizeof(path), "%s/plain.json", tmpdir);
	ck_assert_int_eq(sbx_policy_load_flags(&p, path,
	    SBX_POLICY_DEFER_URLS, &err), SBX_OK);
	ck_assert(!p->urls_unchecked);
	sbx_policy_free(p);

	snprintf(path, sizeof(path), "%s/bad.json", tmpdir);
	ck_assert_int_eq(sbx_policy_load_flags(&p, path,
	    SBX_POLICY_DEFER_URLS, &err), SBX_ECONFIG);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(strstr(err.msg, "mode"));
	remove_tmpdir();
}
END_TEST

START_TEST(load_missing_file_is_eio)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p = NULL;

	ck_assert_int_eq(sbx_policy_load(&p, "/nonexistent/policy.json", &err),
	    SBX_EIO);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err.msg,
	    "/nonexistent/policy.json: No such file or directory");
}
END_TEST

START_TEST(load_refuses_huge_file)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p = NULL;
	char path[PATH_MAX * 2], want[PATH_MAX * 3];
	FILE *f;
	size_t i;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/big.json", tmpdir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("{\"keyring\": \"k\", \"$schema\": \"", f);
	for (i = 0; i < 1024 * 1024; i++)
		fputc('x', f);
	fputs("\"}", f);
	ck_assert_int_eq(fclose(f), 0);

	ck_assert_int_eq(sbx_policy_load(&p, path, &err), SBX_ECONFIG);

	ck_assert_ptr_null(p);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", path);
	ck_assert_str_eq(err.msg, want);
	remove_tmpdir();
}
END_TEST

START_TEST(check_file_accepts_policy_with_readable_keyring)
{
	struct sbx_err err = { 0 };
	char path[PATH_MAX * 2];

	make_tmpdir();
	write_file("keyring.json", "{}");
	write_file("policy.json", "{\"keyring\": \"keyring.json\"}");
	snprintf(path, sizeof(path), "%s/policy.json", tmpdir);

	ck_assert_msg(sbx_policy_check_file(path, &err) == SBX_OK, "%s",
	    err.msg);
	remove_tmpdir();
}
END_TEST

START_TEST(check_file_refuses_missing_keyring)
{
	struct sbx_err err = { 0 };
	char path[PATH_MAX * 2], want[PATH_MAX * 4];

	make_tmpdir();
	write_file("policy.json", "{\n  \"mode\": \"audit\",\n"
	    "  \"keyring\": \"keys/keyring.json\"\n}\n");
	snprintf(path, sizeof(path), "%s/policy.json", tmpdir);

	ck_assert_int_eq(sbx_policy_check_file(path, &err), SBX_EIO);

	snprintf(want, sizeof(want), "%s:3:3: keyring: %s/keys/keyring.json: "
	    "No such file or directory", path, tmpdir);
	ck_assert_str_eq(err.msg, want);
	remove_tmpdir();
}
END_TEST

START_TEST(check_file_refuses_keyring_folder)
{
	struct sbx_err err = { 0 };
	char path[PATH_MAX * 2], want[PATH_MAX * 4];

	make_tmpdir();
	make_dir("keyring.json");
	write_file("policy.json", "{\"keyring\": \"keyring.json\"}");
	snprintf(path, sizeof(path), "%s/policy.json", tmpdir);

	ck_assert_int_eq(sbx_policy_check_file(path, &err), SBX_EIO);

	snprintf(want, sizeof(want), "%s:1:2: keyring: %s/keyring.json: "
	    "not a regular file", path, tmpdir);
	ck_assert_str_eq(err.msg, want);
	remove_tmpdir();
}
END_TEST

START_TEST(check_file_refuses_bad_policy_as_config)
{
	struct sbx_err err = { 0 };
	char path[PATH_MAX * 2], want[PATH_MAX * 3];

	make_tmpdir();
	write_file("keyring.json", "{}");
	write_file("policy.json", "{\"keyring\": \"keyring.json\", "
	    "\"mode\": \"lenient\"}");
	snprintf(path, sizeof(path), "%s/policy.json", tmpdir);

	ck_assert_int_eq(sbx_policy_check_file(path, &err), SBX_ECONFIG);

	snprintf(want, sizeof(want), "%s:1:29: mode: must be \"enforce\" or "
	    "\"audit\"", path);
	ck_assert_str_eq(err.msg, want);
	remove_tmpdir();
}
END_TEST

START_TEST(check_file_missing_policy_is_eio)
{
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_policy_check_file("/nonexistent/p.json", &err),
	    SBX_EIO);
	ck_assert_str_eq(err.msg, "/nonexistent/p.json: No such file or "
	    "directory");
}
END_TEST

/* ---- matching: signers, provenance, flags, agents, owners -------------- */

static const char signers_policy[] =
    "{\"keyring\": \"k\", \"signers\": ["
    "{\"artifacts\": \"acme-*.jar\", \"keys\": [\"release-2025\", "
    "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"]},"
    "{\"artifacts\": \"acme-agent-*.jar\", \"keys\": [\"agent-team\"]},"
    "{\"artifacts\": \"*.so\", \"keys\": [\"native\"]}]}";

static const struct {
	const char	*reason;
	const char	*artifact, *key_id, *key_name;
	bool		 allowed;
} signer_rows[] = {
	{ "named key of a matching rule", "acme-core.jar", NULL,
	    "release-2025", true },
	{ "key id of a matching rule, upper case", "acme-core.jar",
	    "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
	    "someone", true },
	{ "path: only the base name is matched", "/opt/lib/acme-core.jar",
	    NULL, "release-2025", true },
	{ "second matching rule adds its key", "acme-agent-1.jar", NULL,
	    "agent-team", true },
	{ "first matching rule still applies", "acme-agent-1.jar", NULL,
	    "release-2025", true },
	{ "key of another rule", "acme-core.jar", NULL, "agent-team", false },
	{ "key of another rule for a .so", "libx.so", NULL, "release-2025",
	    false },
	{ "unknown key", "acme-core.jar", "ffff", "stranger", false },
	{ "no rule matches the artifact: fail closed", "other.jar", NULL,
	    "release-2025", false },
	{ "folder names are not matched", "/acme-x.jar/evil.jar", NULL,
	    "release-2025", false },
	{ "glob is case-sensitive", "ACME-core.jar", NULL, "release-2025",
	    false },
	{ "no key given", "acme-core.jar", NULL, NULL, false },
	{ "key name compared exactly", "acme-core.jar", NULL, "Release-2025",
	    false },
};

START_TEST(signer_globs_match_base_names)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p;
	size_t i;
	int rc;

	p = parse(signers_policy, &err, &rc);
	ck_assert_msg(rc == SBX_OK, "%s", err.msg);

	for (i = 0; i < NELEM(signer_rows); i++)
		ck_assert_msg(sbx_policy_allows_signer(p,
		    signer_rows[i].artifact, signer_rows[i].key_id,
		    signer_rows[i].key_name) == signer_rows[i].allowed, "%s",
		    signer_rows[i].reason);
	sbx_policy_free(p);
}
END_TEST

START_TEST(no_signer_rules_allow_any_key)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p;
	int rc;

	p = parse("{\"keyring\": \"k\"}", &err, &rc);
	ck_assert_int_eq(rc, SBX_OK);

	ck_assert(sbx_policy_allows_signer(p, "any.jar", "ab", "anyone"));
	ck_assert(sbx_policy_allows_signer(p, NULL, NULL, NULL));
	sbx_policy_free(p);
}
END_TEST

static const char provenance_policy[] =
    "{\"keyring\": \"k\", \"provenance\": {"
    "\"builders\": [\"https://github.com/acme/*/.github/workflows/"
    "release.yml@refs/heads/main\"],"
    "\"repositories\": [\"https://github.com/acme/*\", "
    "\"git+https://git.example/agent.git\"],"
    "\"refs\": [\"refs/heads/main\", \"refs/tags/v[0-9]*\", "
    "\"refs/heads/release/*\"]}}";

static const struct {
	const char	*reason;
	int		 what;		/* 0 builder, 1 repo, 2 ref */
	const char	*value;
	bool		 allowed;
} provenance_rows[] = {
	{ "builder of any acme repository", 0, "https://github.com/acme/"
	    "agent/.github/workflows/release.yml@refs/heads/main", true },
	{ "builder: * does not cross /", 0, "https://github.com/acme/a/b/"
	    ".github/workflows/release.yml@refs/heads/main", false },
	{ "builder from another branch", 0, "https://github.com/acme/"
	    "agent/.github/workflows/release.yml@refs/heads/dev", false },
	{ "builder missing", 0, NULL, false },
	{ "repository of the organisation", 1,
	    "https://github.com/acme/agent", true },
	{ "repository listed exactly", 1, "git+https://git.example/agent.git",
	    true },
	{ "repository of a fork", 1, "https://github.com/evil/agent", false },
	{ "repository nested below the organisation", 1,
	    "https://github.com/acme/agent/extra", false },
	{ "repository with a prefix", 1, "xhttps://github.com/acme/agent",
	    false },
	{ "main branch", 2, "refs/heads/main", true },
	{ "version tag", 2, "refs/tags/v1.2.3", true },
	{ "tag without a digit after v", 2, "refs/tags/vx", false },
	{ "release branch", 2, "refs/heads/release/2.x", true },
	{ "release branch below a folder: * stops at /", 2,
	    "refs/heads/release/2.x/hotfix", false },
	{ "another branch", 2, "refs/heads/feature", false },
	{ "short name is not a ref", 2, "main", false },
	{ "prefix of an allowed ref", 2, "refs/heads/mainline", false },
};

START_TEST(provenance_globs_match_whole_values)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p;
	size_t i;
	bool got;
	int rc;

	p = parse(provenance_policy, &err, &rc);
	ck_assert_msg(rc == SBX_OK, "%s", err.msg);

	for (i = 0; i < NELEM(provenance_rows); i++) {
		const char *v = provenance_rows[i].value;

		got = provenance_rows[i].what == 0 ?
		    sbx_policy_allows_builder(p, v) :
		    provenance_rows[i].what == 1 ?
		    sbx_policy_allows_repo(p, v) : sbx_policy_allows_ref(p, v);
		ck_assert_msg(got == provenance_rows[i].allowed, "%s",
		    provenance_rows[i].reason);
	}
	sbx_policy_free(p);
}
END_TEST

START_TEST(empty_provenance_lists_allow_anything)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p;
	int rc;

	p = parse("{\"keyring\": \"k\"}", &err, &rc);
	ck_assert_int_eq(rc, SBX_OK);

	ck_assert(sbx_policy_allows_builder(p, "anything"));
	ck_assert(sbx_policy_allows_repo(p, "https://x/y"));
	ck_assert(sbx_policy_allows_ref(p, "refs/heads/x"));
	sbx_policy_free(p);
}
END_TEST

START_TEST(provenance_age_against_max_age)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p, *unlimited;
	const int64_t now = 1700000000;
	int rc;

	p = parse("{\"keyring\": \"k\", \"provenance\": {\"max_age\": \"1h\"}}",
	    &err, &rc);
	ck_assert_int_eq(rc, SBX_OK);
	unlimited = parse("{\"keyring\": \"k\"}", &err, &rc);
	ck_assert_int_eq(rc, SBX_OK);

	ck_assert(sbx_policy_provenance_fresh(p, now - 3600, now));
	ck_assert(!sbx_policy_provenance_fresh(p, now - 3601, now));
	ck_assert(sbx_policy_provenance_fresh(p, now + 300, now));
	ck_assert(!sbx_policy_provenance_fresh(p, now + 301, now));
	ck_assert(sbx_policy_provenance_fresh(unlimited, 0, now));
	ck_assert(!sbx_policy_provenance_fresh(unlimited, now + 301, now));
	sbx_policy_free(p);
	sbx_policy_free(unlimited);
}
END_TEST

START_TEST(flags_forbidden_and_required)
{
	static const char *const ok[] = {
		"-Xmx1g", "-XX:+DisableAttachMechanism", "-javaagent:/a.jar",
	};
	static const char *const missing[] = { "-Xmx1g" };
	struct sbx_err err = { 0 };
	struct sbx_policy *p;
	int rc;

	p = parse("{\"keyring\": \"k\", \"jvm\": {\"forbidden_flags\": "
	    "[\"-agentlib:jdwp*\", \"-Xverify:none\", "
	    "\"-XX:+EnableDynamicAgentLoading\", \"-Xbootclasspath/a:*\"], "
	    "\"required_flags\": [\"-XX:+DisableAttachMechanism\"]}}",
	    &err, &rc);
	ck_assert_msg(rc == SBX_OK, "%s", err.msg);

	ck_assert_str_eq(sbx_policy_forbidden_flag(p,
	    "-agentlib:jdwp=transport=dt_socket,server=y"), "-agentlib:jdwp*");
	ck_assert_str_eq(sbx_policy_forbidden_flag(p, "-Xverify:none"),
	    "-Xverify:none");
	ck_assert_str_eq(sbx_policy_forbidden_flag(p,
	    "-Xbootclasspath/a:/tmp/x.jar"), "-Xbootclasspath/a:*");
	ck_assert_ptr_null(sbx_policy_forbidden_flag(p, "-Xverify:all"));
	ck_assert_ptr_null(sbx_policy_forbidden_flag(p,
	    "-XX:-EnableDynamicAgentLoading"));
	ck_assert_ptr_null(sbx_policy_forbidden_flag(p, "-agentlib:hprof"));
	ck_assert_ptr_null(sbx_policy_missing_flag(p, ok, NELEM(ok)));
	ck_assert_str_eq(sbx_policy_missing_flag(p, missing, NELEM(missing)),
	    "-XX:+DisableAttachMechanism");
	ck_assert_str_eq(sbx_policy_missing_flag(p, NULL, 0),
	    "-XX:+DisableAttachMechanism");
	sbx_policy_free(p);
}
END_TEST

#define DIGEST_A \
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define DIGEST_B \
	"10112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

START_TEST(native_agents_by_path_and_digest)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p;
	int rc;

	/* Upper-case hex in the policy matches lower-case hex of a file. */
	p = parse("{\"keyring\": \"k\", \"jvm\": {\"native_agents\": "
	    "[{\"path\": \"/opt/a/liba.so\", \"sha256\": "
	    "\"00112233445566778899AABBCCDDEEFF"
	    "00112233445566778899aabbccddeeff\"}]}}", &err, &rc);
	ck_assert_msg(rc == SBX_OK, "%s", err.msg);

	ck_assert(sbx_policy_allows_native_agent(p, "/opt/a/liba.so",
	    DIGEST_A));
	ck_assert(!sbx_policy_allows_native_agent(p, "/opt/a/liba.so",
	    DIGEST_B));
	ck_assert(!sbx_policy_allows_native_agent(p, "/opt/b/liba.so",
	    DIGEST_A));
	ck_assert(!sbx_policy_allows_native_agent(p, "/opt/a/liba.so", NULL));
	sbx_policy_free(p);
}
END_TEST

START_TEST(owners_resolved_at_load)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p;
	int rc;

	p = parse("{\"keyring\": \"k\", \"paths\": {\"owners\": "
	    "[\"root\", 4242]}}", &err, &rc);
	ck_assert_msg(rc == SBX_OK, "%s", err.msg);

	ck_assert(sbx_policy_allows_owner(p, 0));
	ck_assert(sbx_policy_allows_owner(p, 4242));
	ck_assert(!sbx_policy_allows_owner(p, 4243));
	sbx_policy_free(p);
}
END_TEST

START_TEST(digests_sigalgs_and_key_sizes)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p;
	int rc;

	p = parse("{\"keyring\": \"k\", \"digests\": [\"sha384\"], "
	    "\"signature_algorithms\": [\"rsa-pss\"], \"min_rsa_bits\": 3072}",
	    &err, &rc);
	ck_assert_msg(rc == SBX_OK, "%s", err.msg);

	ck_assert(sbx_policy_allows_digest(p, SBX_DIGEST_SHA384));
	ck_assert(!sbx_policy_allows_digest(p, SBX_DIGEST_SHA256));
	ck_assert(!sbx_policy_allows_digest(p, SBX_DIGEST_SHA512));
	ck_assert(!sbx_policy_allows_digest(p, 0));
	ck_assert(sbx_policy_allows_sigalg(p, SBX_SIGALG_RSA_PSS));
	ck_assert(!sbx_policy_allows_sigalg(p, SBX_SIGALG_RSA_PKCS1));
	ck_assert(sbx_policy_allows_rsa_bits(p, 3072));
	ck_assert(!sbx_policy_allows_rsa_bits(p, 2048));
	sbx_policy_free(p);
}
END_TEST

/* ---- versions ---------------------------------------------------------- */

static const struct {
	const char	*a, *b;
	int		 cmp;
	const char	*reason;
} version_rows[] = {
	{ "1.0", "1.0", 0, "same" },
	{ "1.2", "1.2.0", 0, "missing numbers count as 0" },
	{ "1.2.0.0", "1.2", 0, "trailing zeros do not count" },
	{ "1.10", "1.9", 1, "numbers compare numerically" },
	{ "2.0", "10.0", -1, "major numerically" },
	{ "01.002", "1.2", 0, "leading zeros ignored" },
	{ "1.2.3", "1.2.4", -1, "patch" },
	{ "1.0.1", "1.0", 1, "more numbers is higher" },
	{ "123456789012345678901234567890", "123456789012345678901234567889",
	    1, "numbers beyond 64 bits" },
	{ "1.0-alpha", "1.0-beta", -1, "alpha < beta" },
	{ "1.0-beta", "1.0-m1", -1, "beta < milestone" },
	{ "1.0-milestone-1", "1.0-m1", 0, "milestone == m" },
	{ "1.0-m2", "1.0-rc1", -1, "milestone < rc" },
	{ "1.0-rc1", "1.0-cr1", 0, "rc == cr" },
	{ "1.0-rc1", "1.0-rc2", -1, "rc numbers" },
	{ "1.0-rc", "1.0-rc1", -1, "missing part is lowest" },
	{ "1.0-rc9", "1.0-rc10", -1, "rc numbers numerically" },
	{ "1.0-rc1", "1.0-SNAPSHOT", -1, "rc < snapshot" },
	{ "1.0-SNAPSHOT", "1.0", -1, "snapshot < release" },
	{ "1.0-snapshot", "1.0-SNAPSHOT", 0, "words ignore case" },
	{ "1.0.Final", "1.0", 0, "final == release" },
	{ "5.4.2.RELEASE", "5.4.2", 0, "RELEASE == release" },
	{ "1.0-ga", "1.0.0", 0, "ga == release" },
	{ "1.0", "1.0-1", -1, "a build number is after the release" },
	{ "1.0-1", "1.0-2", -1, "build numbers" },
	{ "21.0.1+12", "21.0.1+9", 1, "build metadata numerically" },
	{ "1.0-1", "1.0-sp1", -1, "a number < sp" },
	{ "1.0-sp1", "1.0-sp2", -1, "sp numbers" },
	{ "1.0-sp1", "1.0-foo", -1, "sp < other words" },
	{ "1.0-bar", "1.0-foo", -1, "other words alphabetically" },
	{ "1.0a1", "1.0", -1, "a is alpha, without separator" },
	{ "1.0b2", "1.0a3", 1, "b is beta" },
	{ "1.0-rc1", "0.9", 1, "release numbers first" },
	{ "2.0-alpha", "1.99", 1, "a pre-release of a higher release" },
	{ "1.0-rc-a", "1.0-rc-1", -1, "word < number in the rest" },
	{ "x", "1.0", -1, "invalid is below valid" },
	{ "1.0", "1..0", 1, "invalid is below valid, second" },
	{ "a", "b", -1, "invalid among themselves by strcmp" },
	{ NULL, "1.0", -1, "NULL is below valid" },
};

START_TEST(version_comparison_table)
{
	size_t i;
	int got;

	for (i = 0; i < NELEM(version_rows); i++) {
		got = sbx_version_cmp(version_rows[i].a, version_rows[i].b);
		ck_assert_msg(got == version_rows[i].cmp,
		    "%s: %s vs %s gave %d", version_rows[i].reason,
		    version_rows[i].a ? version_rows[i].a : "NULL",
		    version_rows[i].b, got);
		got = sbx_version_cmp(version_rows[i].b, version_rows[i].a);
		ck_assert_msg(got == -version_rows[i].cmp, "%s (reversed)",
		    version_rows[i].reason);
	}
}
END_TEST

static const struct {
	const char	*v;
	bool		 valid;
	const char	*reason;
} version_valid_rows[] = {
	{ "1", true, "one number" },
	{ "2.3.0", true, "dotted" },
	{ "1.0-rc1", true, "qualifier" },
	{ "21.0.1+12", true, "build metadata" },
	{ "1.0_beta", true, "underscore" },
	{ "", false, "empty" },
	{ "v1.0", false, "starts with a letter" },
	{ "-1", false, "starts with a separator" },
	{ "1.", false, "ends with a separator" },
	{ "1..0", false, "two separators" },
	{ "1.0 rc", false, "space" },
	{ "1.0/2", false, "slash" },
	{ "1.0~rc1", false, "tilde" },
};

START_TEST(version_validity_table)
{
	char longest[130];
	size_t i;

	for (i = 0; i < NELEM(version_valid_rows); i++)
		ck_assert_msg(sbx_version_valid(version_valid_rows[i].v) ==
		    version_valid_rows[i].valid, "%s",
		    version_valid_rows[i].reason);

	memset(longest, '1', 128);
	longest[128] = '\0';
	ck_assert(sbx_version_valid(longest));
	longest[128] = '1';
	longest[129] = '\0';
	ck_assert(!sbx_version_valid(longest));
	ck_assert(!sbx_version_valid(NULL));
}
END_TEST

START_TEST(min_version_and_rollback)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p;
	const char *min;
	int rc;

	p = parse("{\"keyring\": \"k\", \"versions\": ["
	    "{\"artifacts\": \"acme-*.jar\", \"min\": \"2.3.0\"},"
	    "{\"artifacts\": \"acme-agent*.jar\", \"min\": \"2.4.0-rc1\"}]}",
	    &err, &rc);
	ck_assert_msg(rc == SBX_OK, "%s", err.msg);

	ck_assert_str_eq(sbx_policy_min_version(p, "acme-core.jar"), "2.3.0");
	ck_assert_str_eq(sbx_policy_min_version(p, "/x/acme-agent.jar"),
	    "2.4.0-rc1");
	ck_assert_ptr_null(sbx_policy_min_version(p, "other.jar"));

	ck_assert(sbx_policy_allows_version(p, "acme-core.jar", "2.3", &min));
	ck_assert_str_eq(min, "2.3.0");
	ck_assert(!sbx_policy_allows_version(p, "acme-core.jar", "2.2.9",
	    &min));
	ck_assert(!sbx_policy_allows_version(p, "acme-core.jar",
	    "2.3.0-SNAPSHOT", NULL));
	ck_assert(sbx_policy_allows_version(p, "acme-agent.jar", "2.4.0-rc2",
	    NULL));
	ck_assert(!sbx_policy_allows_version(p, "acme-agent.jar", "2.3.5",
	    NULL));
	ck_assert(!sbx_policy_allows_version(p, "acme-core.jar", NULL, NULL));
	ck_assert(!sbx_policy_allows_version(p, "acme-core.jar", "latest",
	    NULL));
	ck_assert(sbx_policy_allows_version(p, "other.jar", NULL, &min));
	ck_assert_ptr_null(min);
	sbx_policy_free(p);
}
END_TEST

/* ---- durations --------------------------------------------------------- */

static const struct {
	const char	*s;
	int		 rc;
	long long	 seconds;
	const char	*msg;
} duration_rows[] = {
	{ "45s", SBX_OK, 45, "" },
	{ "90m", SBX_OK, 5400, "" },
	{ "12h", SBX_OK, 43200, "" },
	{ "30d", SBX_OK, 2592000, "" },
	{ "1s", SBX_OK, 1, "" },
	{ "007d", SBX_OK, 604800, "" },
	{ "36500d", SBX_OK, 3153600000LL, "" },
	{ "876000h", SBX_OK, 3153600000LL, "" },
	{ "0s", SBX_ECONFIG, 0, "must be more than 0" },
	{ "36501d", SBX_ECONFIG, 0, "must be at most 36500d" },
	{ "876001h", SBX_ECONFIG, 0, "must be at most 36500d" },
	{ "99999999999999999999999d", SBX_ECONFIG, 0,
	    "must be at most 36500d" },
	{ "30", SBX_ECONFIG, 0,
	    "must be a duration like \"30d\", \"12h\", \"90m\" or \"45s\"" },
	{ "d", SBX_ECONFIG, 0,
	    "must be a duration like \"30d\", \"12h\", \"90m\" or \"45s\"" },
	{ "", SBX_ECONFIG, 0,
	    "must be a duration like \"30d\", \"12h\", \"90m\" or \"45s\"" },
	{ "1w", SBX_ECONFIG, 0,
	    "must be a duration like \"30d\", \"12h\", \"90m\" or \"45s\"" },
	{ "1d12h", SBX_ECONFIG, 0,
	    "must be a duration like \"30d\", \"12h\", \"90m\" or \"45s\"" },
	{ "-1d", SBX_ECONFIG, 0,
	    "must be a duration like \"30d\", \"12h\", \"90m\" or \"45s\"" },
	{ " 1d", SBX_ECONFIG, 0,
	    "must be a duration like \"30d\", \"12h\", \"90m\" or \"45s\"" },
	{ "1d ", SBX_ECONFIG, 0,
	    "must be a duration like \"30d\", \"12h\", \"90m\" or \"45s\"" },
	{ "1.5h", SBX_ECONFIG, 0,
	    "must be a duration like \"30d\", \"12h\", \"90m\" or \"45s\"" },
	{ "1D", SBX_ECONFIG, 0,
	    "must be a duration like \"30d\", \"12h\", \"90m\" or \"45s\"" },
};

START_TEST(duration_parsing_table)
{
	struct sbx_err err = { 0 };
	int64_t got;
	int rc;

	err.msg[0] = '\0';
	rc = sbx_duration_parse(&got, duration_rows[_i].s, &err);

	ck_assert_msg(rc == duration_rows[_i].rc, "\"%s\": rc %d",
	    duration_rows[_i].s, rc);
	ck_assert_int_eq(got, duration_rows[_i].seconds);
	ck_assert_str_eq(err.msg, duration_rows[_i].msg);
}
END_TEST

/* ---- the schema and the parser know the same fields -------------------- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and de-duplicate the lines of buf into one string. */
static char *
sorted_lines(struct sbx_buf *buf)
{
	char *lines[512], *s, *save = NULL, *out;
	size_t n = 0, i, len = 0;

	ck_assert_int_eq(sbx_buf_terminate(buf, NULL), SBX_OK);
	for (s = strtok_r((char *)buf->p, "\n", &save); s != NULL;
	    s = strtok_r(NULL, "\n", &save)) {
		ck_assert_uint_lt(n, NELEM(lines));
		lines[n++] = s;
		len += strlen(s) + 1;
	}
	qsort(lines, n, sizeof(lines[0]), cmp_str);
	ck_assert_ptr_nonnull(out = calloc(1, len + 1));
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(lines[i], lines[i - 1]) == 0)
			continue;
		strcat(out, lines[i]);
		strcat(out, "\n");
	}
	return out;
}

static void
schema_paths(struct sbx_buf *out, json_t *node, const char *prefix)
{
	json_t *props = json_object_get(node, "properties"), *v, *items;
	const char *key;
	char sub[256];

	json_object_foreach(props, key, v) {
		ck_assert_int_eq(sbx_buf_printf(out, NULL, "%s%s\n", prefix,
		    key), SBX_OK);
		if (json_object_get(v, "properties") != NULL) {
			snprintf(sub, sizeof(sub), "%s%s.", prefix, key);
			schema_paths(out, v, sub);
		}
		items = json_object_get(v, "items");
		if (items != NULL && json_object_get(items, "properties")) {
			snprintf(sub, sizeof(sub), "%s%s[].", prefix, key);
			schema_paths(out, items, sub);
		}
	}
}

static void
document_paths(struct sbx_buf *out, json_t *node, const char *prefix)
{
	const char *key;
	char sub[256];
	json_t *v, *e;
	size_t i;

	json_object_foreach(node, key, v) {
		ck_assert_int_eq(sbx_buf_printf(out, NULL, "%s%s\n", prefix,
		    key), SBX_OK);
		if (json_is_object(v)) {
			snprintf(sub, sizeof(sub), "%s%s.", prefix, key);
			document_paths(out, v, sub);
		}
		snprintf(sub, sizeof(sub), "%s%s[].", prefix, key);
		json_array_foreach(v, i, e)
			if (json_is_object(e))
				document_paths(out, e, sub);
	}
}

static const char full_policy[] =
    "{\"$schema\": \"../schema.json\", \"keyring\": \"keys/keyring.json\", "
    "\"root\": \"keys/root.json\", \"mode\": \"audit\", "
    "\"tenant\": \"payments\", \"min_rsa_bits\": 3072,"
    "\"digests\": [\"sha512\"], \"signature_algorithms\": [\"rsa-pss\"],"
    "\"provenance\": {\"required\": true, \"max_age\": \"30d\","
    "  \"builders\": [\"https://github.com/acme/*\"],"
    "  \"repositories\": [\"https://github.com/acme/agent\"],"
    "  \"refs\": [\"refs/heads/main\"]},"
    "\"signers\": [{\"artifacts\": \"acme-*.jar\", \"keys\": [\"rel\"]}],"
    "\"versions\": [{\"artifacts\": \"acme-*.jar\", \"min\": \"2.3.0\"}],"
    "\"jvm\": {\"forbidden_flags\": [\"-agentlib:jdwp*\"],"
    "  \"required_flags\": [\"-XX:+DisableAttachMechanism\"],"
    "  \"native_agents\": [{\"path\": \"/opt/y/liby.so\", \"sha256\": "
    "\"abababababababababababababababababababababababababababababababab\"}]},"
    "\"paths\": {\"owners\": [\"root\", 1000],"
    "  \"forbid_group_writable\": false, \"forbid_world_writable\": false},"
    "\"audit\": {\"file\": \"/var/log/sbx/audit.jsonl\", "
    "  \"log_passing\": false, \"fsync\": false,"
    "  \"sinks\": {\"journal\": {\"url\": \"http://127.0.0.1:19532/upload\"},"
    "    \"syslog\": {\"host\": \"siem\", \"port\": 6514,"
    "      \"transport\": \"udp\", \"facility\": 4},"
    "    \"loki\": {\"url\": \"http://loki:3100/loki/api/v1/push\"},"
    "    \"otlp\": {\"url\": \"http://otel:4318/v1/logs\"}},"
    "  \"sampling\": {\"per_minute_after\": 100, \"rate\": 0.25},"
    "  \"spool_dir\": \"spool\", \"spool_max_bytes\": 1048576,"
    "  \"budget_ms\": 20},"
    "\"metrics\": {\"textfile_dir\": \"textfile\","
    "  \"pushgateway\": \"http://127.0.0.1:9091\", \"job\": \"sbx-guard\","
    "  \"instance\": \"host-1\", \"budget_ms\": 30}}";

START_TEST(schema_and_parser_know_the_same_fields)
{
	struct sbx_buf from_schema = { 0 }, from_parser = { 0 };
	json_error_t je;
	json_t *schema;
	char *a, *b;

	schema = json_load_file(SRC_ROOT "/policy/schema.json", 0, &je);
	ck_assert_msg(schema != NULL, "schema.json:%d:%d: %s", je.line,
	    je.column, je.text);
	schema_paths(&from_schema, schema, "");
	ck_assert_int_eq(sbx_policy_field_paths(&from_parser, NULL), SBX_OK);

	a = sorted_lines(&from_schema);
	b = sorted_lines(&from_parser);
	ck_assert_str_eq(a, b);
	ck_assert_ptr_nonnull(strstr(a, "\naudit.sinks.syslog.facility\n"));
	ck_assert_ptr_nonnull(strstr(a, "\nsigners[].keys\n"));

	free(a);
	free(b);
	sbx_buf_free(&from_schema);
	sbx_buf_free(&from_parser);
	json_decref(schema);
}
END_TEST

START_TEST(policy_setting_every_schema_property_loads)
{
	struct sbx_buf from_schema = { 0 }, from_doc = { 0 };
	struct sbx_err err = { 0 };
	struct sbx_policy *p;
	json_t *schema, *doc;
	char *a, *b;
	int rc;

	schema = json_load_file(SRC_ROOT "/policy/schema.json", 0, NULL);
	doc = json_loads(full_policy, 0, NULL);
	ck_assert_ptr_nonnull(schema);
	ck_assert_ptr_nonnull(doc);
	schema_paths(&from_schema, schema, "");
	document_paths(&from_doc, doc, "");
	a = sorted_lines(&from_schema);
	b = sorted_lines(&from_doc);
	ck_assert_str_eq(a, b);

	p = parse(full_policy, &err, &rc);

	ck_assert_msg(rc == SBX_OK, "%s", err.msg);
	ck_assert_str_eq(p->keyring, "/etc/sbx/keys/keyring.json");
	ck_assert_str_eq(p->root, "/etc/sbx/keys/root.json");
	ck_assert_int_eq(p->mode, SBX_MODE_AUDIT);
	ck_assert_str_eq(p->tenant, "payments");
	ck_assert_int_eq(p->min_rsa_bits, 3072);
	ck_assert_uint_eq(p->digests, SBX_DIGEST_SHA512);
	ck_assert_uint_eq(p->sigalgs, SBX_SIGALG_RSA_PSS);
	ck_assert(p->provenance.required);
	ck_assert_int_eq(p->provenance.max_age, 30 * 86400);
	ck_assert_str_eq(p->provenance.builders.v[0],
	    "https://github.com/acme/*");
	ck_assert_str_eq(p->provenance.repositories.v[0],
	    "https://github.com/acme/agent");
	ck_assert_str_eq(p->provenance.refs.v[0], "refs/heads/main");
	ck_assert_uint_eq(p->n_signers, 1);
	ck_assert_str_eq(p->signers[0].keys.v[0], "rel");
	ck_assert_uint_eq(p->n_versions, 1);
	ck_assert_str_eq(p->versions[0].min, "2.3.0");
	ck_assert_str_eq(p->jvm.forbidden_flags.v[0], "-agentlib:jdwp*");
	ck_assert_uint_eq(p->jvm.forbidden_flags.n, 1);
	ck_assert_str_eq(p->jvm.required_flags.v[0],
	    "-XX:+DisableAttachMechanism");
	ck_assert_str_eq(p->jvm.native_agents[0].path, "/opt/y/liby.so");
	ck_assert_uint_eq(p->paths.n_owners, 2);
	ck_assert_uint_eq(p->paths.owners[1], 1000);
	ck_assert(!p->paths.forbid_group_writable);
	ck_assert(!p->paths.forbid_world_writable);
	ck_assert_str_eq(p->audit.file, "/var/log/sbx/audit.jsonl");
	ck_assert(!p->audit.log_passing);
	ck_assert(!p->audit.fsync);
	ck_assert(p->audit.sinks.journal.enabled);
	ck_assert_str_eq(p->audit.sinks.journal.url,
	    "http://127.0.0.1:19532/upload");
	ck_assert(p->audit.sinks.syslog.enabled);
	ck_assert_str_eq(p->audit.sinks.syslog.host, "siem");
	ck_assert_int_eq(p->audit.sinks.syslog.port, 6514);
	ck_assert_int_eq(p->audit.sinks.syslog.transport, SBX_SYSLOG_UDP);
	ck_assert_int_eq(p->audit.sinks.syslog.facility, 4);
	ck_assert_str_eq(p->audit.sinks.loki.url,
	    "http://loki:3100/loki/api/v1/push");
	ck_assert_str_eq(p->audit.sinks.otlp.url, "http://otel:4318/v1/logs");
	ck_assert_uint_eq(p->audit.sampling.per_minute_after, 100);
	ck_assert(p->audit.sampling.rate == 0.25);
	ck_assert_str_eq(p->audit.spool_dir, "/etc/sbx/spool");
	ck_assert_int_eq(p->audit.spool_max_bytes, 1048576);
	ck_assert_int_eq(p->audit.budget_ms, 20);
	ck_assert_str_eq(p->metrics.textfile_dir, "/etc/sbx/textfile");
	ck_assert_str_eq(p->metrics.pushgateway, "http://127.0.0.1:9091");
	ck_assert_str_eq(p->metrics.job, "sbx-guard");
	ck_assert_str_eq(p->metrics.instance, "host-1");
	ck_assert_int_eq(p->metrics.budget_ms, 30);

	sbx_policy_free(p);
	free(a);
	free(b);
	sbx_buf_free(&from_schema);
	sbx_buf_free(&from_doc);
	json_decref(schema);
	json_decref(doc);
}
END_TEST

/* ---- the example policies ---------------------------------------------- */

static struct sbx_policy *
load_example(const char *name)
{
	struct sbx_err err = { 0 };
	struct sbx_policy *p = NULL;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/policy/examples/%s", SRC_ROOT, name);
	ck_assert_msg(sbx_policy_load(&p, path, &err) == SBX_OK, "%s",
	    err.msg);
	return p;
}

START_TEST(example_ci_requires_provenance_from_ci)
{
	struct sbx_policy *p = load_example("ci.json");

	ck_assert_int_eq(p->mode, SBX_MODE_ENFORCE);
	ck_assert(p->provenance.required);
	ck_assert(p->provenance.max_age > 0);
	ck_assert(sbx_policy_allows_ref(p, "refs/heads/main"));
	ck_assert(!sbx_policy_allows_ref(p, "refs/heads/feature"));
	ck_assert_ptr_nonnull(p->metrics.pushgateway);
	sbx_policy_free(p);
}
END_TEST

START_TEST(example_deploy_guards_against_rollback)
{
	struct sbx_policy *p = load_example("deploy.json");

	ck_assert_int_eq(p->mode, SBX_MODE_ENFORCE);
	ck_assert_uint_gt(p->n_signers, 0);
	ck_assert_uint_gt(p->n_versions, 0);
	ck_assert_ptr_nonnull(p->audit.file);
	ck_assert_ptr_nonnull(p->metrics.textfile_dir);
	sbx_policy_free(p);
}
END_TEST

START_TEST(example_runtime_enforce_forbids_unsafe_flags)
{
	static const char *const forbidden[] = {
		"-Xverify:none", "-noverify", "-XX:-BytecodeVerificationRemote",
		"-agentlib:jdwp=transport=dt_socket,server=y,address=5005",
		"-XX:+EnableDynamicAgentLoading",
	};
	static const char *const required[] = {
		"-XX:+DisableAttachMechanism",
	};
	struct sbx_policy *p = load_example("runtime-enforce.json");
	size_t i;

	ck_assert_int_eq(p->mode, SBX_MODE_ENFORCE);
	for (i = 0; i < NELEM(forbidden); i++)
		ck_assert_msg(sbx_policy_forbidden_flag(p, forbidden[i]) !=
		    NULL, "%s is not forbidden", forbidden[i]);
	ck_assert_ptr_null(sbx_policy_forbidden_flag(p, "-Xmx512m"));
	ck_assert_ptr_null(sbx_policy_missing_flag(p, required, 1));
	ck_assert_str_eq(sbx_policy_missing_flag(p, NULL, 0),
	    "-XX:+DisableAttachMechanism");
	ck_assert(p->paths.forbid_group_writable);
	ck_assert(p->paths.forbid_world_writable);
	sbx_policy_free(p);
}
END_TEST

START_TEST(example_runtime_audit_is_audit_mode)
{
	struct sbx_policy *p = load_example("runtime-audit.json");

	ck_assert_int_eq(p->mode, SBX_MODE_AUDIT);
	ck_assert_ptr_nonnull(p->audit.file);
	ck_assert(p->audit.sampling.rate < 1.0);
	ck_assert_ptr_nonnull(sbx_policy_forbidden_flag(p, "-noverify"));
	sbx_policy_free(p);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, smallest_policy_has_safe_defaults);
	tcase_add_test(tc, default_policy_is_the_smallest_policy);
	tcase_add_test(tc, default_policy_needs_a_keyring);
	tcase_add_loop_test(tc, field_accepts_valid_value, 0,
	    NELEM(accept_rows));
	tcase_add_loop_test(tc, field_refuses_bad_value, 0,
	    NELEM(reject_rows));
	tcase_add_loop_test(tc, json_error_has_position, 0, NELEM(json_rows));
	tcase_add_test(tc, invalid_utf8_is_refused);
	tcase_add_test(tc, paths_resolve_against_the_policy_folder);
	tcase_add_test(tc, relative_policy_path_gives_absolute_keyring);
	tcase_add_test(tc, load_names_the_file_in_errors);
	tcase_add_test(tc, deferred_urls_are_flagged_not_checked);
	tcase_add_test(tc, load_missing_file_is_eio);
	tcase_add_test(tc, load_refuses_huge_file);
	tcase_add_test(tc, check_file_accepts_policy_with_readable_keyring);
	tcase_add_test(tc, check_file_refuses_missing_keyring);
	tcase_add_test(tc, check_file_refuses_keyring_folder);
	tcase_add_test(tc, check_file_refuses_bad_policy_as_config);
	tcase_add_test(tc, check_file_missing_policy_is_eio);
	tcase_add_test(tc, signer_globs_match_base_names);
	tcase_add_test(tc, no_signer_rules_allow_any_key);
	tcase_add_test(tc, provenance_globs_match_whole_values);
	tcase_add_test(tc, empty_provenance_lists_allow_anything);
	tcase_add_test(tc, provenance_age_against_max_age);
	tcase_add_test(tc, flags_forbidden_and_required);
	tcase_add_test(tc, native_agents_by_path_and_digest);
	tcase_add_test(tc, owners_resolved_at_load);
	tcase_add_test(tc, digests_sigalgs_and_key_sizes);
	tcase_add_test(tc, version_comparison_table);
	tcase_add_test(tc, version_validity_table);
	tcase_add_test(tc, min_version_and_rollback);
	tcase_add_loop_test(tc, duration_parsing_table, 0,
	    NELEM(duration_rows));
	tcase_add_test(tc, schema_and_parser_know_the_same_fields);
	tcase_add_test(tc, policy_setting_every_schema_property_loads);
	tcase_add_test(tc, example_ci_requires_provenance_from_ci);
	tcase_add_test(tc, example_deploy_guards_against_rollback);
	tcase_add_test(tc, example_runtime_enforce_forbids_unsafe_flags);
	tcase_add_test(tc, example_runtime_audit_is_audit_mode);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

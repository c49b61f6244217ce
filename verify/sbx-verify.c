/* verify/sbx-verify.c: verify JARs and provenance against a policy. */
/* SPDX-License-Identifier: ISC */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <sbx/encode.h>
#include <sbx/bundle.h>
#include <sbx/cli.h>
#include <sbx/deploy.h>
#include <sbx/err.h>
#include <sbx/jar.h>
#include <sbx/keyring.h>
#include <sbx/policy.h>
#include <sbx/provenance.h>
#include <sbx/report.h>
#include <sbx/root.h>

static const char *progname = "sbx-verify";

struct opts {
	const char	*keyring;
	const char	*policy;
	const char	*check_policy;
	const char	*provenance;	/* for the one FILE */
	const char	*source_repo;
	const char	*root;		/* overrides the policy's */
	const char	*state_dir;
	bool		 json;
	bool		 quiet;
	int		 threads;	/* 0: one per CPU, at most 8 */
	char		**files;
	int		 nfiles;
	struct sbx_deploy_opts deploy;	/* --fetch, --install and friends */
};

/* What one file came to. */
struct result {
	const char	*path;
	int		 rc;
	const char	*verdict;	/* accepted, rejected, audited */
	struct sbx_artifact_verdict v;
	struct sbx_err	 err;
	char		 installed[PATH_MAX];	/* where --install put it */
	char		 source[1024];	/* the URL as it may be shown */
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s (--keyring KEYRING | --policy POLICY) "
	    "[--json] [-q] [--threads N]\n"
	    "\t[--provenance FILE] [--source-repo DIR] [--root ROOT "
	    "[--state-dir DIR]] FILE...\n"
	    "       %s (--keyring KEYRING | --policy POLICY) --fetch URL\n"
	    "\t[--install DEST] [--allow-http] [--ca-file F] "
	    "[--max-size N]\n\t[--timeout S] [--retries N]\n"
	    "       %s (--keyring KEYRING | --policy POLICY) "
	    "--install DEST FILE\n"
	    "       %s --check-policy POLICY\n", progname, progname,
	    progname, progname);
	exit(2);
}

static void
parse(struct opts *o, int argc, char **argv)
{
	enum { O_KEYRING = 256, O_POLICY, O_CHECK_POLICY, O_JSON, O_PROV,
	    O_SOURCE_REPO, O_ROOT, O_STATE_DIR, O_THREADS };
	static const struct option longopts[] = {
		{ "keyring", required_argument, NULL, O_KEYRING },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "check-policy", required_argument, NULL, O_CHECK_POLICY },
		{ "json", no_argument, NULL, O_JSON },
		{ "provenance", required_argument, NULL, O_PROV },
		{ "source-repo", required_argument, NULL, O_SOURCE_REPO },
		{ "root", required_argument, NULL, O_ROOT },
		{ "state-dir", required_argument, NULL, O_STATE_DIR },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "quiet", no_argument, NULL, 'q' },
		SBX_DEPLOY_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct sbx_err err = { 0 };
	int ch, rc;

	sbx_deploy_opts_init(&o->deploy);
	while ((ch = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		switch (ch) {
		case O_KEYRING:
			o->keyring = optarg;
			break;
		case O_POLICY:
			o->policy = optarg;
			break;
		case O_CHECK_POLICY:
			o->check_policy = optarg;
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_PROV:
			o->provenance = optarg;
			break;
		case O_SOURCE_REPO:
			o->source_repo = optarg;
			break;
		case O_ROOT:
			o->root = optarg;
			break;
		case O_STATE_DIR:
			o->state_dir = optarg;
			break;
		case O_THREADS:
			if (sbx_cli_int(&o->threads, "--threads", optarg, 1, 8,
			    &err) != SBX_OK) {
				fprintf(stderr, "%s: %s\n", progname, err.msg);
				usage();
			}
			break;
		case 'q':
			o->quiet = true;
			break;
		default:
			if (sbx_deploy_option(&o->deploy, ch, optarg, &err) ==
			    SBX_OK)
				break;
			if (err.msg[0] != '\0')
				fprintf(stderr, "%s: %s\n", progname, err.msg);
			usage();
		}
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
	if ((rc = sbx_deploy_check(&o->deploy, o->nfiles, &err)) != SBX_OK) {
		fprintf(stderr, "%s: %s\n", progname, err.msg);
		/* A check that could not run is not a usage error. */
		if (rc != SBX_ECONFIG)
			exit(sbx_exit_status(rc));
		usage();
	}
	if (o->check_policy != NULL) {
		if (o->nfiles != 0 || o->keyring != NULL || o->policy != NULL ||
		    o->provenance != NULL || o->source_repo != NULL ||
		    o->root != NULL || o->state_dir != NULL)
			usage();
		return;
	}
	if ((o->nfiles == 0 && o->deploy.url == NULL) ||
	    (o->keyring == NULL) == (o->policy == NULL))
		usage();
	if (o->provenance != NULL && o->nfiles != 1) {
		fprintf(stderr, "%s: --provenance names the provenance of one "
		    "FILE\n", progname);
		usage();
	}
}

static int
load_trust(struct sbx_policy **policy, struct sbx_keyring **kr,
    const struct opts *o, struct sbx_err *err)
{
	int rc;

	if (o->policy != NULL)
		rc = sbx_policy_load(policy, o->policy, err);
	else
		rc = sbx_policy_default(policy, o->keyring, err);
	if (rc != SBX_OK)
		return rc;
	/* A keyring under a root file is refused whole if not accepted. */
	return sbx_keyring_load_rooted(kr, (*policy)->keyring,
	    o->root != NULL ? o->root : (*policy)->root, o->state_dir,
	    (int64_t)time(NULL), err);
}

/* The artifact's SHA-256 for its audit event, when nothing computed it. */
static void
file_digest(char *hex, int64_t *size, const char *path)
{
	unsigned char md[32];
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if (fstat(fd, &st) == 0)
		*size = (int64_t)st.st_size;
	if (sbx_sha256_fd(md, fd, path, NULL) == SBX_OK)
		sbx_hex(hex, md, sizeof(md));
	close(fd);
}

/*
 * Every check is an audit event and a count. A check that cannot be
 * logged does not pass: it becomes an output failure (exit 3).
 */
static void
report_one(struct result *r, const struct sbx_policy *policy,
    double seconds)
{
	const struct sbx_jar_signer *js = &r->v.jar.signer;
	struct sbx_report rep = {
		.tool = progname, .operation = "verify",
		.kind = SBX_AUDIT_VERIFY, .artifact = r->path, .size = -1,
		.seconds = seconds, .violation = SBX_V_NONE
	};
	struct sbx_err err = { 0 };
	struct stat st;
	char hex[65] = "";

	rep.result = r->rc == SBX_OK ? SBX_CHECK_ACCEPTED :
	    strcmp(r->verdict, "audited") == 0 ? SBX_CHECK_AUDITED :
	    SBX_CHECK_REJECTED;
	if (r->rc != SBX_OK) {
		rep.violation = r->v.violation != SBX_V_NONE ?
		    r->v.violation : SBX_V_INTERNAL_ERROR;
		rep.detail = r->v.reason;
	}
	if (stat(r->path, &st) == 0)
		rep.size = (int64_t)st.st_size;
	if (r->v.prov.sha256[0] != '\0')
		rep.sha256 = r->v.prov.sha256;
	else if (policy->audit.file != NULL) {
		file_digest(hex, &rep.size, r->path);
		rep.sha256 = hex;
	}
	if (js->key_id[0] != '\0') {
		rep.key_id = js->key_id;
		rep.signer = js->name;
		rep.subject = js->subject;
	} else if (r->v.prov.key_id[0] != '\0') {
		rep.key_id = r->v.prov.key_id;
		rep.signer = r->v.prov.key_name;
	}

	if (sbx_report(policy, &rep, &err) != SBX_OK) {
		fprintf(stderr, "%s: %s: audit: %s\n", progname, r->path,
		    err.msg);
		r->rc = SBX_EIO;
		r->verdict = "rejected";
	}
}

static void
verify_one(struct result *r, const struct opts *o,
    const struct sbx_policy *policy, const struct sbx_keyring *kr)
{
	struct sbx_artifact_opts ao = {
		.policy = policy, .keyring = kr, .now = (int64_t)time(NULL),
		.provenance = o->provenance, .source_repo = o->source_repo,
		.threads = o->threads
	};

	struct sbx_deploy_result res;
	bool deploy = o->deploy.url != NULL || o->deploy.dest != NULL ||
	    sbx_bundle_is_name(r->path);
	double t0 = sbx_report_clock();

	r->verdict = "rejected";
	/*
	 * A download, an install or a bundle goes through a private copy
	 * that only reaches DEST once it verified.
	 */
	if (deploy)
		r->rc = sbx_deploy_run(&r->v, &res, r->path, &o->deploy, &ao,
		    &r->err);
	else
		r->rc = sbx_artifact_verify(&r->v, r->path, &ao, &r->err);
	if (r->rc == SBX_OK && o->deploy.dest != NULL)
		snprintf(r->installed, sizeof(r->installed), "%s",
		    res.installed);
	/* Never the URL as given: it may hold a password or a signature. */
	if (deploy) {
		snprintf(r->source, sizeof(r->source), "%s", res.source);
		r->path = r->source;
	}
	/* Audit mode never installs what failed: nothing to let through. */
	if (r->rc == SBX_OK)
		r->verdict = "accepted";
	else if (r->rc != SBX_EIO && policy->mode == SBX_MODE_AUDIT &&
	    o->deploy.dest == NULL)
		r->verdict = "audited";
	report_one(r, policy, sbx_report_clock() - t0);
}

/* The reason without the leading "PATH: " the library put there. */
static const char *
bare_reason(const struct result *r)
{
	size_t n = strlen(r->path);

	if (strncmp(r->v.reason, r->path, n) == 0 &&
	    strncmp(r->v.reason + n, ": ", 2) == 0)
		return r->v.reason + n + 2;
	return r->v.reason;
}

static const char *
signed_by_name(enum sbx_signed_by by)
{
	switch (by) {
	case SBX_SIGNED_JAR:
		return "jar";
	case SBX_SIGNED_PROVENANCE:
		return "provenance";
	case SBX_SIGNED_BOTH:
		return "jar+provenance";
	default:
		return NULL;
	}
}

/* "provenance by NAME (key ID), builder B, commit C[, ...]" */
static void
print_provenance(const struct sbx_prov_result *p)
{
	printf("provenance by %s (key %.16s), builder %s", p->key_name,
	    p->key_id, p->builder_id);
	if (p->commit[0] != '\0')
		printf(", commit %.12s", p->commit);
	if (p->detached)
		printf(", detached");
	if (p->dirty)
		printf(", dirty tree");
	if (p->source_checked)
		printf(", source checked");
}

static void
print_text(const struct result *r)
{
	const struct sbx_jar_verdict *j = &r->v.jar;

	if (r->rc != SBX_OK) {
		printf("%s: %s: %s: %s\n", r->path, r->verdict,
		    sbx_violation_name(r->v.violation), bare_reason(r));
		return;
	}
	printf("%s: accepted: ", r->path);
	if (r->v.by == SBX_SIGNED_JAR || r->v.by == SBX_SIGNED_BOTH)
		printf("signed by %s (key %.16s), %zu entries",
		    j->signer.name, j->signer.key_id, j->entries);
	if (r->v.by == SBX_SIGNED_BOTH)
		printf("; ");
	if (r->v.by == SBX_SIGNED_PROVENANCE || r->v.by == SBX_SIGNED_BOTH)
		print_provenance(&r->v.prov);
	putchar('\n');
	if (r->installed[0] != '\0')
		printf("%s: installed from %s\n", r->installed, r->path);
}

static json_t *
provenance_json(const struct sbx_prov_result *p)
{
	char when[32] = "";

	if (!p->present)
		return json_null();
	if (p->finished_on != 0)
		sbx_time_format(when, sizeof(when), p->finished_on);
	return json_pack("{s:s, s:b, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, "
	    "s:s?, s:s?, s:s?, s:s?, s:s?, s:b, s:b, s:b}",
	    "path", p->path, "verified", p->verified,
	    "key_id", p->key_id[0] ? p->key_id : NULL,
	    "key_name", p->key_name[0] ? p->key_name : NULL,
	    "scheme", p->scheme,
	    "subject", p->subject[0] ? p->subject : NULL,
	    "sha256", p->sha256[0] ? p->sha256 : NULL,
	    "builder_id", p->builder_id[0] ? p->builder_id : NULL,
	    "repository", p->repository[0] ? p->repository : NULL,
	    "ref", p->ref[0] ? p->ref : NULL,
	    "commit", p->commit[0] ? p->commit : NULL,
	    "invocation_id", p->invocation_id[0] ? p->invocation_id : NULL,
	    "finished_on", when[0] ? when : NULL,
	    "detached", p->detached, "dirty", p->dirty,
	    "source_checked", p->source_checked);
}

static json_t *
result_json(const struct result *r)
{
	const struct sbx_jar_signer *s = &r->v.jar.signer;
	json_t *signer = json_null(), *prov;
	char stamped[SBX_TIME_LEN + 1];

	sbx_keyring_time_format(stamped, s->timestamp);
	if (r->v.jar_checked && s->key_id[0] != '\0')
		signer = json_pack("{s:s, s:s, s:s?, s:s, s:i, s:b, s:s?}",
		    "alias", s->alias, "key_id", s->key_id, "name",
		    s->name[0] ? s->name : NULL, "subject", s->subject,
		    "bits", s->bits, "trusted", s->trusted, "timestamp",
		    s->timestamp != 0 ? stamped : NULL);
	prov = provenance_json(&r->v.prov);
	return json_pack("{s:s, s:s, s:s?, s:s, s:s?, s:o, s:I, s:s?, s:o, "
	    "s:s?}",
	    "path", r->path, "verdict", r->verdict, "violation",
	    r->rc == SBX_OK ? NULL : sbx_violation_name(r->v.violation),
	    "reason", r->rc == SBX_OK ? "signed" : bare_reason(r),
	    "signed_by", signed_by_name(r->v.by),
	    "signer", signer ? signer : json_null(),
	    "entries", (json_int_t)r->v.jar.entries,
	    "version", r->v.jar.version[0] ? r->v.jar.version : NULL,
	    "provenance", prov ? prov : json_null(),
	    "installed", r->installed[0] != '\0' ? r->installed : NULL);
}

/* Worst first: a configuration error, unreadable input, a rejection. */
static int
combine(int acc, const struct result *r)
{
	int rc = r->rc;

	if (strcmp(r->verdict, "audited") == 0)
		rc = SBX_OK;
	if (acc == SBX_ECONFIG || rc == SBX_ECONFIG)
		return SBX_ECONFIG;
	if (acc == SBX_EIO || rc == SBX_EIO)
		return SBX_EIO;
	return acc != SBX_OK ? acc : rc;
}

static int
verify_files(const struct opts *o, struct sbx_err *err)
{
	struct sbx_policy *policy = NULL;
	struct sbx_keyring *kr = NULL;
	struct result r;
	json_t *doc = NULL, *list = NULL;
	int i, rc, acc = SBX_OK;

	if ((rc = load_trust(&policy, &kr, o, err)) != SBX_OK)
		goto done;
	if (o->json && ((doc = json_object()) == NULL ||
	    (list = json_array()) == NULL)) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}

	for (i = 0; i < (o->deploy.url != NULL ? 1 : o->nfiles); i++) {
		memset(&r, 0, sizeof(r));
		r.path = o->deploy.url != NULL ? o->deploy.url : o->files[i];
		verify_one(&r, o, policy, kr);
		if (r.rc == SBX_EIO)
			fprintf(stderr, "%s: %s\n", progname, r.err.msg);
		if (o->json)
			json_array_append_new(list, result_json(&r));
		else if (!o->quiet || r.rc != SBX_OK)
			print_text(&r);
		acc = combine(acc, &r);
	}

	if (o->json) {
		json_object_set_new(doc, "tool", json_string(progname));
		json_object_set_new(doc, "version", json_string(SBX_VERSION));
		json_object_set_new(doc, "mode", json_string(
		    sbx_mode_name(policy->mode)));
		json_object_set_new(doc, "results", list);
		list = NULL;
		json_dumpf(doc, stdout, JSON_COMPACT);
		putchar('\n');
	}
	rc = acc;
	/* Each file's own line already said why. */
	err->msg[0] = '\0';
done:
	json_decref(list);
	json_decref(doc);
	sbx_keyring_free(kr);
	sbx_policy_free(policy);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct sbx_err err = { 0 };
	int rc;

	parse(&o, argc, argv);
	if (o.check_policy != NULL) {
		rc = sbx_policy_check_file(o.check_policy, &err);
		if (rc == SBX_OK && !o.quiet)
			printf("%s: policy is valid\n", o.check_policy);
	} else
		rc = verify_files(&o, &err);
	if (rc != SBX_OK && err.msg[0] != '\0')
		fprintf(stderr, "%s: %s\n", progname, err.msg);
	return sbx_exit_status(rc);
}

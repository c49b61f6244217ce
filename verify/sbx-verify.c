/* verify/sbx-verify.c: verify signed JARs against a keyring and a policy. */
/* SPDX-License-Identifier: ISC */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <sbx/err.h>
#include <sbx/jar.h>
#include <sbx/keyring.h>
#include <sbx/policy.h>
#include <sbx/zip.h>

static const char *progname = "sbx-verify";

struct opts {
	const char	*keyring;
	const char	*policy;
	const char	*check_policy;
	bool		 json;
	bool		 quiet;
	char		**files;
	int		 nfiles;
};

/* What one file came to. */
struct result {
	const char	*path;
	int		 rc;
	const char	*verdict;	/* accepted, rejected, audited */
	struct sbx_jar_verdict v;
	struct sbx_err	 err;
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s (--keyring KEYRING | --policy POLICY) "
	    "[--json] [-q] FILE...\n"
	    "       %s --check-policy POLICY\n", progname, progname);
	exit(2);
}

static void
parse(struct opts *o, int argc, char **argv)
{
	enum { O_KEYRING = 256, O_POLICY, O_CHECK_POLICY, O_JSON };
	static const struct option longopts[] = {
		{ "keyring", required_argument, NULL, O_KEYRING },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "check-policy", required_argument, NULL, O_CHECK_POLICY },
		{ "json", no_argument, NULL, O_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

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
		case 'q':
			o->quiet = true;
			break;
		default:
			usage();
		}
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
	if (o->check_policy != NULL) {
		if (o->nfiles != 0 || o->keyring != NULL || o->policy != NULL)
			usage();
		return;
	}
	if (o->nfiles == 0 || (o->keyring == NULL) == (o->policy == NULL))
		usage();
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
	return sbx_keyring_load(kr, (*policy)->keyring, err);
}

static void
verify_one(struct result *r, const struct sbx_policy *policy,
    const struct sbx_keyring *kr)
{
	struct sbx_jar_verify_opts vo = {
		.policy = policy, .keyring = kr, .now = (int64_t)time(NULL)
	};
	struct sbx_zip *z = NULL;

	memset(&r->v, 0, sizeof(r->v));
	r->verdict = "rejected";
	r->rc = sbx_zip_open(&z, r->path, &r->err);
	if (r->rc == SBX_OK)
		r->rc = sbx_jar_verify(&r->v, z, &vo, &r->err);
	else {
		r->v.violation = r->err.violation;
		snprintf(r->v.reason, sizeof(r->v.reason), "%s", r->err.msg);
	}
	sbx_zip_free(z);

	if (r->rc == SBX_OK)
		r->verdict = "accepted";
	else if (r->rc != SBX_EIO && policy->mode == SBX_MODE_AUDIT)
		r->verdict = "audited";
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

static void
print_text(const struct result *r)
{
	if (r->rc == SBX_OK)
		printf("%s: accepted: signed by %s (key %.16s), %zu entries\n",
		    r->path, r->v.signer.name, r->v.signer.key_id,
		    r->v.entries);
	else
		printf("%s: %s: %s: %s\n", r->path, r->verdict,
		    sbx_violation_name(r->v.violation), bare_reason(r));
}

static json_t *
result_json(const struct result *r)
{
	const struct sbx_jar_signer *s = &r->v.signer;
	json_t *signer = json_null();

	if (s->key_id[0] != '\0')
		signer = json_pack("{s:s, s:s, s:s?, s:s, s:i, s:b}",
		    "alias", s->alias, "key_id", s->key_id, "name",
		    s->name[0] ? s->name : NULL, "subject", s->subject,
		    "bits", s->bits, "trusted", s->trusted);
	return json_pack("{s:s, s:s, s:s?, s:s, s:o, s:I, s:s?}",
	    "path", r->path, "verdict", r->verdict, "violation",
	    r->rc == SBX_OK ? NULL : sbx_violation_name(r->v.violation),
	    "reason", r->rc == SBX_OK ? "signed" : bare_reason(r),
	    "signer", signer ? signer : json_null(),
	    "entries", (json_int_t)r->v.entries,
	    "version", r->v.version[0] ? r->v.version : NULL);
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

	for (i = 0; i < o->nfiles; i++) {
		memset(&r, 0, sizeof(r));
		r.path = o->files[i];
		verify_one(&r, policy, kr);
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

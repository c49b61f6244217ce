/* sign/sbx-sign.c: sign agent JARs; write the provenance of any artifact. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sbx/cli.h>
#include <sbx/encode.h>
#include <sbx/err.h>
#include <sbx/jar.h>
#include <sbx/key.h>
#include <sbx/policy.h>
#include <sbx/provenance.h>
#include <sbx/report.h>
#include <sbx/secret.h>
#include <sbx/tsa.h>

static const char *progname = "sbx-sign";

/* The key that signed, for the audit event. */
static char signed_by[SBX_KEYID_LEN + 1];

struct opts {
	const char	*key;
	const char	*cert;
	const char	*key_alias;
	const char	*alias;
	const char	*out;
	const char	*jar;		/* the file to sign, JAR or not */
	struct sbx_cli_pass pass;
	bool		 quiet;
	/* Provenance. */
	const char	*provenance;	/* default OUT.intoto.jsonl */
	const char	*bundle;	/* with --bundle; "" for the default */
	const char	*source;
	const char	*builder_id;
	bool		 no_provenance;
	bool		 detached;
	bool		 allow_dirty;
	bool		 sign_jar;	/* a JAR, and not --detached */
	const char	*policy;	/* where audit events and metrics go */
	const char	*tsa[4];	/* RFC 3161 TSAs, tried in order */
	size_t		 ntsa;
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s --key KEY [--cert CERT] [--key-alias A]\n"
	    "\t[--passphrase-file F | --passphrase-env VAR | "
	    "--passphrase-fd N |\n\t --no-passphrase] [--alias NAME] "
	    "[-o OUT] [-q]\n"
	    "\t[--no-provenance | [--provenance FILE] [--bundle[=FILE]]\n"
	    "\t [--detached] [--source DIR] [--allow-dirty] "
	    "[--builder-id URI]]\n\t[--policy POLICY] [--tsa URL]... FILE\n",
	    progname);
	exit(2);
}

static void
usage_error(const char *msg)
{
	fprintf(stderr, "%s: %s\n", progname, msg);
	usage();
}

/* A URI has a scheme: letters, digits, + - . and a colon. */
static bool
is_uri(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");

	return n > 0 && s[n] == ':' && s[n + 1] != '\0' &&
	    strcspn(s, " \t\n") == strlen(s);
}

/* Combinations that cannot mean anything are refused before any work. */
static void
check_combinations(struct opts *o)
{
	o->sign_jar = sbx_is_jar_name(o->jar) && !o->detached;
	if (o->no_provenance && (o->provenance != NULL || o->bundle != NULL ||
	    o->detached || o->source != NULL || o->allow_dirty ||
	    o->builder_id != NULL))
		usage_error("--no-provenance excludes the provenance options");
	if (!o->sign_jar && o->out != NULL)
		usage_error("-o: only a JAR signed in the JAR format is "
		    "rewritten; this file stays as it is");
	if (!o->sign_jar && o->no_provenance)
		usage_error("--no-provenance: a file that is not a JAR (or is "
		    "--detached) is signed only by its provenance");
	if (o->builder_id != NULL && !is_uri(o->builder_id))
		usage_error("--builder-id: not a URI");
	if (o->ntsa > 0 && !o->sign_jar)
		usage_error("--tsa: only a JAR signature is timestamped");
}

static void
parse(struct opts *o, int argc, char **argv)
{
	enum { O_KEY = 256, O_CERT, O_KEY_ALIAS, O_ALIAS, O_PROV, O_NO_PROV,
	    O_BUNDLE, O_DETACHED, O_SOURCE, O_ALLOW_DIRTY, O_BUILDER,
	    O_POLICY, O_TSA };
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, O_KEY },
		{ "cert", required_argument, NULL, O_CERT },
		{ "key-alias", required_argument, NULL, O_KEY_ALIAS },
		{ "alias", required_argument, NULL, O_ALIAS },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "provenance", required_argument, NULL, O_PROV },
		{ "no-provenance", no_argument, NULL, O_NO_PROV },
		{ "bundle", optional_argument, NULL, O_BUNDLE },
		{ "detached", no_argument, NULL, O_DETACHED },
		{ "source", required_argument, NULL, O_SOURCE },
		{ "allow-dirty", no_argument, NULL, O_ALLOW_DIRTY },
		{ "builder-id", required_argument, NULL, O_BUILDER },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "tsa", required_argument, NULL, O_TSA },
		SBX_CLI_PASS_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct sbx_err err = { 0 };
	int ch;

	while ((ch = getopt_long(argc, argv, "o:q", longopts, NULL)) != -1) {
		switch (ch) {
		case O_KEY:
			o->key = optarg;
			break;
		case O_CERT:
			o->cert = optarg;
			break;
		case O_KEY_ALIAS:
			o->key_alias = optarg;
			break;
		case O_ALIAS:
			o->alias = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case O_PROV:
			o->provenance = optarg;
			break;
		case O_NO_PROV:
			o->no_provenance = true;
			break;
		case O_BUNDLE:
			o->bundle = optarg != NULL ? optarg : "";
			break;
		case O_DETACHED:
			o->detached = true;
			break;
		case O_SOURCE:
			o->source = optarg;
			break;
		case O_ALLOW_DIRTY:
			o->allow_dirty = true;
			break;
		case O_BUILDER:
			o->builder_id = optarg;
			break;
		case O_POLICY:
			o->policy = optarg;
			break;
		case O_TSA:
			if (o->ntsa == sizeof(o->tsa) / sizeof(o->tsa[0]))
				usage_error("--tsa: at most 4 time-stamp "
				    "authorities");
			o->tsa[o->ntsa++] = optarg;
			break;
		default:
			if (sbx_cli_pass_option(&o->pass, ch, optarg, &err)
			    == SBX_OK)
				break;
			if (err.msg[0] != '\0')
				fprintf(stderr, "%s: %s\n", progname, err.msg);
			usage();
		}
	}
	if (optind != argc - 1 || o->key == NULL)
		usage();
	o->jar = argv[optind];
	check_combinations(o);
}

/* SOURCE_DATE_EPOCH (reproducible builds) or the current time. */
static int
sign_time(int64_t *when, struct sbx_err *err)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (s == NULL || *s == '\0') {
		*when = (int64_t)time(NULL);
		return SBX_OK;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 315532800LL ||
	    v > 4354819199LL)
		return sbx_err_set(err, SBX_ECONFIG, "SOURCE_DATE_EPOCH: "
		    "'%s' is not a time between 1980 and 2107", s);
	*when = v;
	return SBX_OK;
}

static int
load_key(struct sbx_key **key, const struct opts *o, struct sbx_err *err)
{
	struct sbx_secret *pass = NULL;
	int rc;

	if ((rc = sbx_cli_pass_load(&pass, &o->pass, err)) != SBX_OK)
		return rc;
	rc = sbx_key_load(key, o->key, o->key_alias, pass, err);
	sbx_secret_free(pass);
	if (rc == SBX_OK && o->cert != NULL)
		rc = sbx_key_set_cert_file(*key, o->cert, err);
	return rc;
}

/*
 * Who built what from which source, gathered before anything is
 * written: a dirty tree or a bad GitHub environment stops here.
 */
static int
make_build(struct sbx_build *b, const struct opts *o, int64_t started,
    struct sbx_err *err)
{
	int rc;

	memset(b, 0, sizeof(*b));
	b->started_on = started;
	b->detached = o->detached;
	b->allow_dirty = o->allow_dirty;
	if ((rc = sbx_build_from_github(b, err)) != SBX_OK)
		return rc;
	if (o->builder_id != NULL) {
		free(b->builder_id);
		if ((b->builder_id = strdup(o->builder_id)) == NULL)
			return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	}
	return sbx_build_source(b, o->source, err);
}

static int
sign_jar(const struct opts *o, struct sbx_key *key, const char *out,
    struct sbx_err *err)
{
	struct sbx_jar_sign_opts so = { .key = key, .alias = o->alias };
	struct sbx_tsa_opts tsa = { .urls = o->tsa, .nurls = o->ntsa };
	char subject[256];
	int rc;

	if ((rc = sign_time(&so.when, err)) != SBX_OK)
		return rc;
	if (o->ntsa > 0)
		so.tsa = &tsa;
	rc = sbx_jar_sign(o->jar, out, &so, err);
	if (rc == SBX_OK && !o->quiet) {
		X509_NAME_oneline(X509_get_subject_name(sbx_key_cert(key)),
		    subject, sizeof(subject));
		printf("%s: signed by %s (key %.16s)\n", out, subject,
		    sbx_key_id(key));
	}
	return rc;
}

static int
write_provenance(const struct opts *o, struct sbx_key *key,
    struct sbx_build *b, const char *artifact, struct sbx_err *err)
{
	struct sbx_prov_sign_opts po = { .key = key, .build = b };
	char prov[PATH_MAX], bundle[PATH_MAX];
	int rc;

	po.out = o->provenance;
	if (po.out == NULL) {
		if (!sbx_provenance_path(prov, sizeof(prov), artifact))
			return sbx_err_set(err, SBX_EIO, "%s: path too long",
			    artifact);
		po.out = prov;
	}
	if (o->bundle != NULL) {
		po.bundle = o->bundle;
		if (*po.bundle == '\0' && snprintf(bundle, sizeof(bundle),
		    "%s%s", artifact, SBX_BUNDLE_SUFFIX) >= (int)sizeof(bundle))
			return sbx_err_set(err, SBX_EIO, "%s: path too long",
			    artifact);
		if (*po.bundle == '\0')
			po.bundle = bundle;
	}

	b->finished_on = (int64_t)time(NULL);
	if ((rc = sbx_provenance_sign(artifact, &po, err)) != SBX_OK)
		return rc;
	if (!o->quiet)
		printf("%s: provenance for %s (builder %s%s)%s%s\n", po.out,
		    artifact, b->builder_id, b->detached ? ", detached" : "",
		    po.bundle != NULL ? ", bundle " : "",
		    po.bundle != NULL ? po.bundle : "");
	return SBX_OK;
}

static int
run(const struct opts *o, struct sbx_err *err)
{
	struct sbx_build build = { 0 };
	struct sbx_key *key = NULL;
	const char *out = o->out != NULL ? o->out : o->jar;
	int64_t started = (int64_t)time(NULL);
	int rc;

	if ((rc = load_key(&key, o, err)) != SBX_OK)
		goto done;
	snprintf(signed_by, sizeof(signed_by), "%s", sbx_key_id(key));
	if (!o->no_provenance &&
	    (rc = make_build(&build, o, started, err)) != SBX_OK)
		goto done;
	if (o->sign_jar && (rc = sign_jar(o, key, out, err)) != SBX_OK)
		goto done;
	if (!o->no_provenance)
		rc = write_provenance(o, key, &build, out, err);
done:
	sbx_build_free(&build);
	sbx_key_free(key);
	return rc;
}

/*
 * With --policy, the signing is an sbx.sign audit event and counted in
 * sbx_sign_total; an audit log that cannot be written fails the run.
 */
static int
report(const struct opts *o, const struct sbx_policy *policy, int rc,
    const struct sbx_err *why, double seconds)
{
	struct sbx_report rep = {
		.tool = progname, .operation = "sign", .kind = SBX_AUDIT_SIGN,
		.artifact = o->out != NULL ? o->out : o->jar, .size = -1,
		.seconds = seconds, .violation = SBX_V_NONE,
		.result = rc == SBX_OK ? SBX_CHECK_ACCEPTED :
		    SBX_CHECK_REJECTED
	};
	struct sbx_err err = { 0 };
	unsigned char md[32];
	char hex[65] = "";
	struct stat st;
	int fd;

	if (rc != SBX_OK) {
		rep.violation = why->violation != SBX_V_NONE ?
		    why->violation : SBX_V_INTERNAL_ERROR;
		rep.detail = why->msg;
	} else if ((fd = open(rep.artifact, O_RDONLY | O_CLOEXEC)) != -1) {
		if (fstat(fd, &st) == 0)
			rep.size = (int64_t)st.st_size;
		if (sbx_sha256_fd(md, fd, rep.artifact, NULL) == SBX_OK) {
			sbx_hex(hex, md, sizeof(md));
			rep.sha256 = hex;
		}
		close(fd);
	}
	rep.key_id = signed_by;
	if (sbx_report(policy, &rep, &err) == SBX_OK)
		return rc;
	fprintf(stderr, "%s: audit: %s\n", progname, err.msg);
	return rc != SBX_OK ? rc : SBX_EIO;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct sbx_err err = { 0 };
	struct sbx_policy *policy = NULL;
	double t0;
	int rc;

	parse(&o, argc, argv);
	if (o.policy != NULL &&
	    (rc = sbx_policy_load(&policy, o.policy, &err)) != SBX_OK) {
		fprintf(stderr, "%s: %s\n", progname, err.msg);
		return sbx_exit_status(rc);
	}
	t0 = sbx_report_clock();
	rc = run(&o, &err);
	if (rc != SBX_OK)
		fprintf(stderr, "%s: %s\n", progname, err.msg);
	if (policy != NULL)
		rc = report(&o, policy, rc, &err, sbx_report_clock() - t0);
	sbx_policy_free(policy);
	return sbx_exit_status(rc);
}

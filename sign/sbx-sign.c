/* sign/sbx-sign.c: sign Java agent JARs in the standard signed-JAR format. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sbx/cli.h>
#include <sbx/err.h>
#include <sbx/jar.h>
#include <sbx/key.h>
#include <sbx/secret.h>

static const char *progname = "sbx-sign";

struct opts {
	const char	*key;
	const char	*cert;
	const char	*key_alias;
	const char	*alias;
	const char	*out;
	const char	*jar;
	struct sbx_cli_pass pass;
	bool		 quiet;
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s --key KEY [--cert CERT] [--key-alias A]\n"
	    "\t[--passphrase-file F | --passphrase-env VAR | "
	    "--passphrase-fd N |\n\t --no-passphrase] [--alias NAME] "
	    "[-o OUT] [-q] JAR\n", progname);
	exit(2);
}

static void
parse(struct opts *o, int argc, char **argv)
{
	enum { O_KEY = 256, O_CERT, O_KEY_ALIAS, O_ALIAS };
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, O_KEY },
		{ "cert", required_argument, NULL, O_CERT },
		{ "key-alias", required_argument, NULL, O_KEY_ALIAS },
		{ "alias", required_argument, NULL, O_ALIAS },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
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

static int
run(const struct opts *o, struct sbx_err *err)
{
	struct sbx_jar_sign_opts so = { .alias = o->alias };
	const char *out = o->out != NULL ? o->out : o->jar;
	int rc;

	if ((rc = sign_time(&so.when, err)) != SBX_OK)
		return rc;
	if ((rc = load_key(&so.key, o, err)) != SBX_OK)
		return rc;
	rc = sbx_jar_sign(o->jar, out, &so, err);
	if (rc == SBX_OK && !o->quiet)
		printf("%s: signed by %s (key %.16s)\n", out,
		    sbx_key_cert(so.key) != NULL ? "certificate holder" :
		    "key", sbx_key_id(so.key));
	sbx_key_free(so.key);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct sbx_err err = { 0 };
	int rc;

	parse(&o, argc, argv);
	rc = run(&o, &err);
	if (rc != SBX_OK)
		fprintf(stderr, "%s: %s\n", progname, err.msg);
	return sbx_exit_status(rc);
}

/* keyring/sbx-keyring.c: make signing keys and keep the keyring. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <sbx/cli.h>
#include <sbx/err.h>
#include <sbx/key.h>
#include <sbx/keyring.h>
#include <sbx/secret.h>

#define DAY		86400
#define DEFAULT_BITS	4096
#define DEFAULT_DAYS	730
#define DEFAULT_ROLES	"jar,provenance"

static const char *progname = "sbx-keyring";

enum {
	O_KEY = 1, O_CERT, O_SUBJECT, O_BITS, O_DAYS, O_FORCE, O_NAME,
	O_ROLE, O_JSON, O_REASON, O_WARN_DAYS, O_KEY_ALIAS, O_QUIET, O_PASS
};

#define OPT(o)	(1u << (o))

struct opts {
	const char	*key;
	const char	*key_alias;
	const char	*cert;
	const char	*subject;
	const char	*name;
	const char	*roles;
	const char	*reason;
	const char	*operand[2];	/* KEYRING, ID|NAME */
	int		 noperands;
	int		 bits;
	int		 days;
	int		 warn_days;
	bool		 force;
	bool		 json;
	bool		 quiet;
	unsigned	 seen;		/* OPT() of each option given */
	struct sbx_cli_pass pass;
};

struct command {
	const char	*name;
	int		 (*run)(const struct opts *, struct sbx_err *);
	unsigned	 allowed;	/* OPT() of the options it takes */
	unsigned	 required;
	int		 noperands;
};

static void __attribute__((noreturn))
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f, "usage: %s generate --key OUT.key --cert OUT.crt "
	    "--subject DN\n"
	    "           [--bits N] [--days N] [--force] PASSPHRASE\n"
	    "       %s selfsign --key KEY [--key-alias A] --cert OUT.crt\n"
	    "           --subject DN [--days N] [--force] PASSPHRASE\n"
	    "       %s init KEYRING\n"
	    "       %s add KEYRING --cert CERT --name NAME [--role ROLES]\n"
	    "       %s list KEYRING [--json]\n"
	    "       %s retire KEYRING ID|NAME\n"
	    "       %s revoke KEYRING ID|NAME --reason TEXT\n"
	    "       %s check KEYRING --warn-days N\n"
	    "PASSPHRASE: --passphrase-file F | --passphrase-env VAR | "
	    "--passphrase-fd N |\n"
	    "            --no-passphrase\n", progname, progname, progname,
	    progname, progname, progname, progname, progname);
	exit(status);
}

static void __attribute__((noreturn))
usage_error(const struct sbx_err *err)
{
	fprintf(stderr, "%s: %s\n", progname, err->msg);
	usage(2);
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 || errno != ENOENT;
}

/* Never replace a key, certificate or keyring by accident. */
static int
refuse_existing(const char *path, bool force, bool force_hint,
    struct sbx_err *err)
{
	if (!force && exists(path))
		return sbx_err_set(err, SBX_ECONFIG, "%s: exists%s", path,
		    force_hint ? "; --force replaces it" : ", not replaced");
	return SBX_OK;
}

static int
write_cert(const struct opts *o, X509 *cert, const char *id,
    struct sbx_err *err)
{
	char until[SBX_TIME_LEN + 1];
	int64_t na;
	int rc;

	if ((rc = sbx_cert_write(o->cert, cert, err)) != SBX_OK ||
	    (rc = sbx_asn1_time(&na, X509_get0_notAfter(cert), err)) !=
	    SBX_OK)
		return rc;
	sbx_keyring_time_format(until, na);
	if (!o->quiet)
		printf("key %s: certificate %s, valid until %s\n", id,
		    o->cert, until);
	return SBX_OK;
}

/* Everything that can be refused is checked before a file is written. */
static int
cmd_generate(const struct opts *o, struct sbx_err *err)
{
	struct sbx_secret *pass = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	char id[SBX_KEYID_LEN + 1];
	int rc;

	if ((rc = refuse_existing(o->key, o->force, true, err)) != SBX_OK ||
	    (rc = refuse_existing(o->cert, o->force, true, err)) != SBX_OK)
		goto done;
	if ((rc = sbx_cli_pass_load(&pass, &o->pass, err)) != SBX_OK)
		goto done;
	if ((rc = sbx_key_generate(&pkey, o->bits, err)) != SBX_OK ||
	    (rc = sbx_keyid(id, pkey, err)) != SBX_OK ||
	    (rc = sbx_cert_selfsign(&cert, pkey, o->subject, o->days,
	    err)) != SBX_OK)
		goto done;
	rc = sbx_key_write(o->key, pkey, pass, err);
	sbx_secret_free(pass);
	pass = NULL;
	if (rc != SBX_OK)
		goto done;
	if (!o->quiet)
		printf("key %s: RSA-%d, %s private key %s (mode 0600)\n", id,
		    o->bits, o->pass.source == SBX_SECRET_NONE ?
		    "unencrypted" : "encrypted", o->key);
	/* A key without its certificate is of no use: do not leave it. */
	if ((rc = write_cert(o, cert, id, err)) != SBX_OK)
		unlink(o->key);
done:
	sbx_secret_free(pass);
	X509_free(cert);
	EVP_PKEY_free(pkey);
	return rc;
}

/* A certificate for a key that already exists: in a token, say. */
static int
cmd_selfsign(const struct opts *o, struct sbx_err *err)
{
	struct sbx_secret *pass = NULL;
	struct sbx_key *key = NULL;
	X509 *cert = NULL;
	int rc;

	if ((rc = sbx_cli_key_spec("--key", o->key, err)) != SBX_OK ||
	    (rc = refuse_existing(o->cert, o->force, true, err)) != SBX_OK)
		goto done;
	if ((rc = sbx_cli_pass_load(&pass, &o->pass, err)) != SBX_OK)
		goto done;
	rc = sbx_key_load(&key, o->key, o->key_alias, pass, err);
	sbx_secret_free(pass);
	pass = NULL;
	if (rc != SBX_OK)
		goto done;
	if ((rc = sbx_cert_selfsign(&cert, sbx_key_pkey(key), o->subject,
	    o->days, err)) != SBX_OK)
		goto done;
	rc = write_cert(o, cert, sbx_key_id(key), err);
done:
	sbx_secret_free(pass);
	X509_free(cert);
	sbx_key_free(key);
	return rc;
}

static int
cmd_init(const struct opts *o, struct sbx_err *err)
{
	struct sbx_keyring *kr = NULL;
	int rc;

	if ((rc = refuse_existing(o->operand[0], false, false,
	    err)) != SBX_OK)
		return rc;
	if ((rc = sbx_keyring_new(&kr, err)) == SBX_OK &&
	    (rc = sbx_keyring_save(kr, o->operand[0], err)) == SBX_OK &&
	    !o->quiet)
		printf("%s: new empty keyring\n", o->operand[0]);
	sbx_keyring_free(kr);
	return rc;
}

typedef int (*edit_fn)(struct sbx_keyring *, const struct opts *, void *,
    struct sbx_err *);

/* Load, change with fn, save: a failed change leaves the file alone. */
static int
edit(const struct opts *o, edit_fn fn, void *arg, struct sbx_err *err)
{
	struct sbx_keyring *kr = NULL;
	int rc;

	if ((rc = sbx_keyring_load(&kr, o->operand[0], err)) != SBX_OK)
		return rc;
	if ((rc = fn(kr, o, arg, err)) != SBX_OK)
		sbx_err_prefix(err, o->operand[0]);
	else
		rc = sbx_keyring_save(kr, o->operand[0], err);
	sbx_keyring_free(kr);
	return rc;
}

struct add_arg {
	X509		*cert;
	unsigned	 roles;
};

static int
do_add(struct sbx_keyring *kr, const struct opts *o, void *arg,
    struct sbx_err *err)
{
	const struct add_arg *a = arg;
	const struct sbx_keyring_key *k;
	char list[64];
	int rc;

	rc = sbx_keyring_add_cert(kr, a->cert, o->name, a->roles, err);
	if (rc != SBX_OK)
		return rc;
	k = sbx_keyring_find(kr, o->name);
	sbx_roles_format(list, sizeof(list), k->roles);
	if (!o->quiet)
		printf("%s: added key %s as %s for %s\n", o->operand[0], k->id,
		    k->name, list);
	return SBX_OK;
}

static int
do_retire(struct sbx_keyring *kr, const struct opts *o, void *arg,
    struct sbx_err *err)
{
	int rc;

	rc = sbx_keyring_retire(kr, o->operand[1], (int64_t)time(NULL), err);
	if (rc == SBX_OK && !o->quiet)
		printf("%s: retired key %s\n", o->operand[0], o->operand[1]);
	return rc;
}

static int
do_revoke(struct sbx_keyring *kr, const struct opts *o, void *arg,
    struct sbx_err *err)
{
	int rc;

	rc = sbx_keyring_revoke(kr, o->operand[1], (int64_t)time(NULL),
	    o->reason, err);
	if (rc == SBX_OK && !o->quiet)
		printf("%s: revoked key %s\n", o->operand[0], o->operand[1]);
	return rc;
}

static int
cmd_add(const struct opts *o, struct sbx_err *err)
{
	struct add_arg a = { 0 };
	int rc;

	if ((rc = sbx_roles_parse(&a.roles, o->roles, err)) != SBX_OK) {
		sbx_err_prefix(err, "--role");
		return rc;
	}
	if ((rc = sbx_cert_load(&a.cert, o->cert, err)) != SBX_OK)
		return rc;
	rc = edit(o, do_add, &a, err);
	X509_free(a.cert);
	return rc;
}

static int
cmd_retire(const struct opts *o, struct sbx_err *err)
{
	return edit(o, do_retire, NULL, err);
}

static int
cmd_revoke(const struct opts *o, struct sbx_err *err)
{
	return edit(o, do_revoke, NULL, err);
}

static const char *const status_word[] = {
	[SBX_KEY_ACTIVE] = "active",
	[SBX_KEY_RETIRED] = "retired",
	[SBX_KEY_REVOKED] = "revoked",
};

/* Whole days from now to t, rounded down: -1 the day after expiry. */
static long long
days_left(int64_t t, int64_t now)
{
	int64_t d = t - now;

	return (long long)(d >= 0 ? d / DAY : -((-d + DAY - 1) / DAY));
}

static void
list_text(const struct sbx_keyring *kr, int64_t now)
{
	const struct sbx_keyring_key *k;
	char roles[64], until[SBX_TIME_LEN + 1];
	size_t i;

	printf("%-64s  %-16s  %-14s  %-7s  %-20s  %s\n", "ID", "NAME",
	    "ROLES", "STATUS", "NOT_AFTER", "DAYS_LEFT");
	for (i = 0; i < sbx_keyring_count(kr); i++) {
		k = sbx_keyring_key(kr, i);
		sbx_roles_format(roles, sizeof(roles), k->roles);
		sbx_keyring_time_format(until, k->not_after);
		printf("%-64s  %-16s  %-14s  %-7s  %-20s  %lld\n", k->id,
		    k->name, roles, status_word[k->status], until,
		    days_left(k->not_after, now));
	}
}

static json_t *
time_or_null(int64_t t, bool present)
{
	char buf[SBX_TIME_LEN + 1];

	if (!present)
		return json_null();
	sbx_keyring_time_format(buf, t);
	return json_string(buf);
}

static json_t *
key_entry(const struct sbx_keyring_key *k, int64_t now)
{
	char roles[64];
	json_t *list;
	char *p, *tok;

	sbx_roles_format(roles, sizeof(roles), k->roles);
	if ((list = json_array()) == NULL)
		return NULL;
	for (tok = strtok_r(roles, ",", &p); tok != NULL;
	    tok = strtok_r(NULL, ",", &p))
		json_array_append_new(list, json_string(tok));
	return json_pack("{s:s, s:s, s:o, s:s, s:o, s:o?, s:o, s:o, s:o, "
	    "s:I}", "id", k->id, "name", k->name, "roles", list,
	    "status", status_word[k->status],
	    "status_time", time_or_null(k->status_time,
	    k->status != SBX_KEY_ACTIVE),
	    "reason", k->reason != NULL ? json_string(k->reason) : NULL,
	    "not_before", time_or_null(k->not_before, true),
	    "not_after", time_or_null(k->not_after, true),
	    "added", time_or_null(k->added, true),
	    "days_left", (json_int_t)days_left(k->not_after, now));
}

static int
list_json(const struct sbx_keyring *kr, const char *path, int64_t now,
    struct sbx_err *err)
{
	json_t *keys = json_array(), *doc = NULL, *k;
	size_t i;
	int rc = SBX_ENOMEM;

	for (i = 0; keys != NULL && i < sbx_keyring_count(kr); i++)
		if ((k = key_entry(sbx_keyring_key(kr, i), now)) == NULL ||
		    json_array_append_new(keys, k) != 0)
			goto done;
	doc = json_pack("{s:s, s:I, s:o, s:O}", "keyring", path,
	    "version", (json_int_t)sbx_keyring_version(kr),
	    "expires", time_or_null(sbx_keyring_expires(kr),
	    sbx_keyring_expires(kr) != 0), "keys", keys);
	if (doc != NULL && json_dumpf(doc, stdout, JSON_COMPACT) == 0 &&
	    putchar('\n') != EOF)
		rc = SBX_OK;
done:
	json_decref(doc);
	json_decref(keys);
	if (rc != SBX_OK)
		return sbx_err_set(err, SBX_EIO, "%s: cannot write the list",
		    path);
	return SBX_OK;
}

static int
cmd_list(const struct opts *o, struct sbx_err *err)
{
	struct sbx_keyring *kr = NULL;
	int64_t now = (int64_t)time(NULL);
	int rc;

	if ((rc = sbx_keyring_load(&kr, o->operand[0], err)) != SBX_OK)
		return rc;
	if (o->json)
		rc = list_json(kr, o->operand[0], now, err);
	else
		list_text(kr, now);
	sbx_keyring_free(kr);
	if (rc == SBX_OK && fflush(stdout) != 0)
		rc = sbx_err_set(err, SBX_EIO, "standard output: %s",
		    strerror(errno));
	return rc;
}

/* For cron and CI: a rejection when an active key is about to lapse. */
static int
cmd_check(const struct opts *o, struct sbx_err *err)
{
	const struct sbx_keyring_key *k;
	struct sbx_keyring *kr = NULL;
	int64_t now = (int64_t)time(NULL);
	char until[SBX_TIME_LEN + 1];
	size_t i, n = 0;
	long long d;
	int rc;

	if ((rc = sbx_keyring_load(&kr, o->operand[0], err)) != SBX_OK)
		return rc;
	for (i = 0; i < sbx_keyring_count(kr); i++) {
		k = sbx_keyring_key(kr, i);
		if (k->status != SBX_KEY_ACTIVE ||
		    k->not_after - now >= (int64_t)o->warn_days * DAY)
			continue;
		n++;
		d = days_left(k->not_after, now);
		sbx_keyring_time_format(until, k->not_after);
		printf("%s: key %s (%s) %s %lld day%s (%s)\n", o->operand[0],
		    k->name, k->id, d < 0 ? "expired" : "expires in",
		    d < 0 ? -d : d, d == 1 || d == -1 ? "" : "s", until);
	}
	sbx_keyring_free(kr);
	if (n > 0)
		return sbx_err_reject(err, SBX_V_EXPIRED_KEY, "%s: %zu active "
		    "key%s expire%s within %d days", o->operand[0], n,
		    n == 1 ? "" : "s", n == 1 ? "s" : "", o->warn_days);
	if (!o->quiet)
		printf("%s: no active key expires within %d days\n",
		    o->operand[0], o->warn_days);
	return SBX_OK;
}

#define PASS_OPTS	OPT(O_PASS)
#define KEY_OUT_OPTS	(OPT(O_KEY) | OPT(O_CERT) | OPT(O_SUBJECT) | \
			    OPT(O_DAYS) | OPT(O_FORCE) | PASS_OPTS)

static const struct command commands[] = {
	{ "generate", cmd_generate, KEY_OUT_OPTS | OPT(O_BITS),
	    OPT(O_KEY) | OPT(O_CERT) | OPT(O_SUBJECT) | PASS_OPTS, 0 },
	{ "selfsign", cmd_selfsign, KEY_OUT_OPTS | OPT(O_KEY_ALIAS),
	    OPT(O_KEY) | OPT(O_CERT) | OPT(O_SUBJECT) | PASS_OPTS, 0 },
	{ "init", cmd_init, 0, 0, 1 },
	{ "add", cmd_add, OPT(O_CERT) | OPT(O_NAME) | OPT(O_ROLE),
	    OPT(O_CERT) | OPT(O_NAME), 1 },
	{ "list", cmd_list, OPT(O_JSON), 0, 1 },
	{ "retire", cmd_retire, 0, 0, 2 },
	{ "revoke", cmd_revoke, OPT(O_REASON), OPT(O_REASON), 2 },
	{ "check", cmd_check, OPT(O_WARN_DAYS), OPT(O_WARN_DAYS), 1 },
};

static const struct option longopts[] = {
	{ "key", required_argument, NULL, O_KEY },
	{ "key-alias", required_argument, NULL, O_KEY_ALIAS },
	{ "cert", required_argument, NULL, O_CERT },
	{ "subject", required_argument, NULL, O_SUBJECT },
	{ "bits", required_argument, NULL, O_BITS },
	{ "days", required_argument, NULL, O_DAYS },
	{ "force", no_argument, NULL, O_FORCE },
	{ "name", required_argument, NULL, O_NAME },
	{ "role", required_argument, NULL, O_ROLE },
	{ "json", no_argument, NULL, O_JSON },
	{ "reason", required_argument, NULL, O_REASON },
	{ "warn-days", required_argument, NULL, O_WARN_DAYS },
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "help", no_argument, NULL, 'h' },
	SBX_CLI_PASS_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static const char *
option_name(int o)
{
	size_t i;

	for (i = 0; longopts[i].name != NULL; i++)
		if (longopts[i].val == o)
			return longopts[i].name;
	return o == O_PASS ? "passphrase-file" : "?";
}

static int
take_option(struct opts *o, int ch, const char *arg, struct sbx_err *err)
{
	switch (ch) {
	case O_KEY:
		o->key = arg;
		break;
	case O_KEY_ALIAS:
		o->key_alias = arg;
		break;
	case O_CERT:
		o->cert = arg;
		break;
	case O_SUBJECT:
		o->subject = arg;
		break;
	case O_NAME:
		o->name = arg;
		break;
	case O_ROLE:
		o->roles = arg;
		break;
	case O_REASON:
		o->reason = arg;
		break;
	case O_FORCE:
		o->force = true;
		break;
	case O_JSON:
		o->json = true;
		break;
	case O_BITS:
		return sbx_cli_int(&o->bits, "--bits", arg, 2048, 16384, err);
	case O_DAYS:
		return sbx_cli_int(&o->days, "--days", arg, 1, 36500, err);
	case O_WARN_DAYS:
		return sbx_cli_int(&o->warn_days, "--warn-days", arg, 0,
		    36500, err);
	default:
		return sbx_err_set(err, SBX_EINTERNAL, "bad option");
	}
	return SBX_OK;
}

static void
parse(struct opts *o, const struct command **cmd, int argc, char **argv)
{
	struct sbx_err err = { 0 };
	int ch, bit;

	/* GNU getopt: options may follow operands; "--" ends them. */
	while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		if (ch == 'h')
			usage(0);
		if (ch == 'q' || ch == O_QUIET) {
			o->quiet = true;
			continue;
		}
		if (ch == '?' || ch == ':')
			usage(2);
		bit = ch;
		if (sbx_cli_pass_option(&o->pass, ch, optarg, &err) == SBX_OK)
			bit = O_PASS;
		else if (take_option(o, ch, optarg, &err) != SBX_OK)
			usage_error(&err);
		if (!((*cmd)->allowed & OPT(bit))) {
			sbx_err_set(&err, SBX_ECONFIG, "%s: --%s does not "
			    "apply", (*cmd)->name, option_name(ch));
			usage_error(&err);
		}
		o->seen |= OPT(bit);
	}
	while (optind < argc && o->noperands < 2)
		o->operand[o->noperands++] = argv[optind++];
}

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
check_args(const struct opts *o, const struct command *cmd, int extra)
{
	struct sbx_err err = { 0 };
	unsigned missing = cmd->required & ~o->seen;
	int i;

	for (i = 1; i < 32 && missing != 0; i++)
		if (missing & OPT(i)) {
			sbx_err_set(&err, SBX_ECONFIG, "%s: --%s is required%s",
			    cmd->name, option_name(i), i == O_PASS ?
			    " (or another passphrase option)" : "");
			usage_error(&err);
		}
	if (o->noperands != cmd->noperands || extra > 0) {
		sbx_err_set(&err, SBX_ECONFIG, "%s: %d operand%s expected",
		    cmd->name, cmd->noperands, cmd->noperands == 1 ? "" : "s");
		usage_error(&err);
	}
}

int
main(int argc, char **argv)
{
	struct opts o = { .bits = DEFAULT_BITS, .days = DEFAULT_DAYS,
	    .roles = DEFAULT_ROLES };
	const struct command *cmd;
	struct sbx_err err = { 0 };
	int rc;

	if (argc < 2)
		usage(2);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		usage(0);
	if ((cmd = find_command(argv[1])) == NULL) {
		sbx_err_set(&err, SBX_ECONFIG, "'%s' is not a command",
		    argv[1]);
		usage_error(&err);
	}
	parse(&o, &cmd, argc - 1, argv + 1);
	check_args(&o, cmd, argc - 1 - optind);

	rc = cmd->run(&o, &err);
	if (rc != SBX_OK)
		fprintf(stderr, "%s: %s\n", progname, err.msg);
	if (fflush(stdout) != 0 && rc == SBX_OK) {
		fprintf(stderr, "%s: standard output: %s\n", progname,
		    strerror(errno));
		rc = SBX_EIO;
	}
	return sbx_exit_status(rc);	/* the four codes of sbx-keyring(1) */
}

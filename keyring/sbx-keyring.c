/* keyring/sbx-keyring.c: make signing keys and keep the keyring. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
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
#include <sbx/file.h>
#include <sbx/key.h>
#include <sbx/keyring.h>
#include <sbx/metrics.h>
#include <sbx/policy.h>
#include <sbx/report.h>
#include <sbx/root.h>
#include <sbx/secret.h>

#define DAY		86400
#define DEFAULT_BITS	4096
#define DEFAULT_DAYS	730
#define ROOT_DAYS	365
#define DEFAULT_ROLES	"jar,provenance"
#define MAX_KEY_CERTS	64
#define ROOT_MAX	(16 << 20)	/* bytes, as sbx_root_load() reads */

static const char *progname = "sbx-keyring";

enum {
	O_KEY = 1, O_CERT, O_SUBJECT, O_BITS, O_DAYS, O_FORCE, O_NAME,
	O_ROLE, O_JSON, O_REASON, O_WARN_DAYS, O_KEY_ALIAS, O_QUIET, O_PASS,
	O_ROOT, O_THRESHOLD, O_KEY_CERT, O_PREV, O_OUT, O_CA_FILE,
	O_ALLOW_HTTP, O_STATE_DIR, O_TIMEOUT, O_POLICY
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
	const char	*root;
	const char	*prev;
	const char	*out;
	const char	*ca_file;
	const char	*state_dir;
	const char	*policy;
	const char	*key_certs[MAX_KEY_CERTS];
	int		 nkey_certs;
	const char	*operand[2];	/* KEYRING, ID|NAME */
	int		 noperands;
	int		 bits;
	int		 days;
	int		 warn_days;
	int		 threshold;
	int		 timeout;	/* seconds */
	bool		 force;
	bool		 json;
	bool		 quiet;
	bool		 allow_http;
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
	    "       %s expire KEYRING --days N\n"
	    "       %s sign KEYRING --key KEY [--key-alias A] [--cert CERT]\n"
	    "           [--root ROOT] PASSPHRASE\n"
	    "       %s verify KEYRING --root ROOT [--state-dir DIR]\n"
	    "       %s pull URL --root ROOT --out KEYRING [--ca-file F] "
	    "[--allow-http]\n"
	    "           [--state-dir DIR] [--timeout SECONDS]\n"
	    "       %s root init ROOT --threshold M --key-cert CERT... "
	    "[--days N]\n"
	    "       %s root rotate OLD NEW --key-cert CERT... "
	    "[--threshold M] [--days N]\n"
	    "       %s root sign ROOT --key KEY [--key-alias A] "
	    "[--cert CERT] [--prev OLD]\n"
	    "           PASSPHRASE\n"
	    "       %s root update ROOT NEW\n"
	    "       %s root show ROOT\n"
	    "PASSPHRASE: --passphrase-file F | --passphrase-env VAR | "
	    "--passphrase-fd N |\n"
	    "            --no-passphrase\n", progname, progname, progname,
	    progname, progname, progname, progname, progname, progname,
	    progname, progname, progname, progname, progname, progname,
	    progname, progname);
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
	doc = json_pack("{s:s, s:I, s:o, s:I, s:O}", "keyring", path,
	    "version", (json_int_t)sbx_keyring_version(kr),
	    "expires", time_or_null(sbx_keyring_expires(kr),
	    sbx_keyring_expires(kr) != 0),
	    "signatures", (json_int_t)sbx_keyring_nsignatures(kr),
	    "keys", keys);
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
/*
 * sbx_key_expiry_timestamp_seconds for each active key, where the
 * policy sends metrics: what the "key expiring" alert watches. Run
 * from cron beside the --warn-days check.
 */
static int
record_expiry(const struct sbx_keyring *kr, const char *policy_path,
    struct sbx_err *err)
{
	const struct sbx_keyring_key *k;
	struct sbx_policy *p = NULL;
	struct sbx_metrics *m = NULL;
	struct sbx_metrics_conf conf;
	size_t i;
	int rc;

	if ((rc = sbx_policy_load(&p, policy_path, err)) != SBX_OK)
		return rc;
	sbx_report_metrics_conf(&conf, p);
	if (conf.textfile_dir == NULL && conf.pushgateway == NULL)
		goto done;
	if ((rc = sbx_metrics_new(&m, err)) != SBX_OK)
		goto done;
	for (i = 0; rc == SBX_OK && i < sbx_keyring_count(kr); i++) {
		k = sbx_keyring_key(kr, i);
		if (k->status == SBX_KEY_ACTIVE)
			rc = sbx_metrics_key_expiry(m, k->id, k->name,
			    k->not_after, err);
	}
	if (rc == SBX_OK)
		rc = sbx_metrics_flush(m, &conf, err);
done:
	sbx_metrics_free(m);
	sbx_policy_free(p);
	return rc;
}

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
	if (o->policy != NULL && (rc = record_expiry(kr, o->policy, err))
	    != SBX_OK) {
		sbx_keyring_free(kr);
		return rc;
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

/* A key for signing keyrings and root files; --cert must then match. */
static int
load_signing_key(struct sbx_key **key, const struct opts *o,
    struct sbx_err *err)
{
	struct sbx_secret *pass = NULL;
	int rc;

	*key = NULL;
	if ((rc = sbx_cli_key_spec("--key", o->key, err)) != SBX_OK ||
	    (rc = sbx_cli_pass_load(&pass, &o->pass, err)) != SBX_OK)
		return rc;
	rc = sbx_key_load(key, o->key, o->key_alias, pass, err);
	sbx_secret_free(pass);
	if (rc == SBX_OK && o->cert != NULL)
		rc = sbx_key_set_cert_file(*key, o->cert, err);
	if (rc != SBX_OK) {
		sbx_key_free(*key);
		*key = NULL;
	}
	return rc;
}

/* Raise the expiry; like every change it raises the version. */
static int
cmd_expire(const struct opts *o, struct sbx_err *err)
{
	struct sbx_keyring *kr = NULL;
	char until[SBX_TIME_LEN + 1];
	int64_t t = (int64_t)time(NULL) + (int64_t)o->days * DAY;
	int rc;

	if ((rc = sbx_keyring_load(&kr, o->operand[0], err)) != SBX_OK)
		return rc;
	sbx_keyring_set_expires(kr, t);
	rc = sbx_keyring_save(kr, o->operand[0], err);
	sbx_keyring_time_format(until, t);
	if (rc == SBX_OK && !o->quiet)
		printf("%s: version %llu expires at %s; unsigned until signed "
		    "again\n", o->operand[0],
		    (unsigned long long)sbx_keyring_version(kr), until);
	sbx_keyring_free(kr);
	return rc;
}

static void
print_signed(const struct opts *o, const struct sbx_keyring *kr,
    const struct sbx_key *key, const struct sbx_root *r, size_t valid)
{
	if (o->quiet)
		return;
	printf("%s: version %llu signed by key %s", o->operand[0],
	    (unsigned long long)sbx_keyring_version(kr), sbx_key_id(key));
	if (r != NULL)
		printf(" (%zu of the %u signatures %s needs)", valid,
		    sbx_root_threshold(r), o->root);
	putchar('\n');
}

/* With --root, only a root key may sign: any other adds nothing. */
static int
cmd_sign(const struct opts *o, struct sbx_err *err)
{
	struct sbx_keyring *kr = NULL;
	struct sbx_root *r = NULL;
	struct sbx_key *key = NULL;
	size_t valid = 0;
	int rc;

	if ((o->root != NULL && (rc = sbx_root_load(&r, o->root, err)) !=
	    SBX_OK) ||
	    (rc = sbx_keyring_load(&kr, o->operand[0], err)) != SBX_OK ||
	    (rc = load_signing_key(&key, o, err)) != SBX_OK)
		goto done;
	if (r != NULL && !sbx_root_has_key(r, sbx_key_id(key))) {
		rc = sbx_err_set(err, SBX_ECONFIG, "key %s is not a root key "
		    "of %s", sbx_key_id(key), o->root);
		goto done;
	}
	if ((rc = sbx_keyring_sign(kr, key, err)) != SBX_OK) {
		sbx_err_prefix(err, o->operand[0]);
		goto done;
	}
	if (r != NULL && (rc = sbx_root_tally_keyring(&valid, r, kr, err)) !=
	    SBX_OK)
		goto done;
	if ((rc = sbx_keyring_save(kr, o->operand[0], err)) == SBX_OK)
		print_signed(o, kr, key, r, valid);
done:
	sbx_key_free(key);
	sbx_root_free(r);
	sbx_keyring_free(kr);
	return rc;
}

/* A keyring copied by hand is judged as a pulled one would be. */
static int
cmd_verify(const struct opts *o, struct sbx_err *err)
{
	struct sbx_keyring *kr = NULL;
	struct sbx_root *r = NULL;
	char state[PATH_MAX], until[SBX_TIME_LEN + 1];
	size_t valid = 0;
	int rc;

	if ((rc = sbx_keyring_state_path(state, sizeof(state),
	    o->operand[0], o->state_dir, err)) != SBX_OK ||
	    (rc = sbx_root_load(&r, o->root, err)) != SBX_OK ||
	    (rc = sbx_keyring_load(&kr, o->operand[0], err)) != SBX_OK)
		goto done;
	rc = sbx_keyring_accept(kr, r, state, (int64_t)time(NULL), err);
	if (rc != SBX_OK) {
		if (rc == SBX_EREJECT)
			sbx_err_prefix(err, o->operand[0]);
		goto done;
	}
	if ((rc = sbx_root_tally_keyring(&valid, r, kr, err)) != SBX_OK)
		goto done;
	sbx_keyring_time_format(until, sbx_keyring_expires(kr));
	if (!o->quiet)
		printf("%s: version %llu accepted: signed by %zu of %zu root "
		    "keys (%u needed), expires at %s\n", o->operand[0],
		    (unsigned long long)sbx_keyring_version(kr), valid,
		    sbx_root_count(r), sbx_root_threshold(r), until);
done:
	sbx_root_free(r);
	sbx_keyring_free(kr);
	return rc;
}

static int
cmd_pull(const struct opts *o, struct sbx_err *err)
{
	struct sbx_pull_opts po = {
		.url = o->operand[0], .out = o->out, .ca_file = o->ca_file,
		.allow_http = o->allow_http,
		.timeout_ms = (long)o->timeout * 1000L
	};
	struct sbx_pull_result res;
	struct sbx_root *r = NULL;
	char state[PATH_MAX], until[SBX_TIME_LEN + 1];
	int rc;

	if ((rc = sbx_keyring_state_path(state, sizeof(state), o->out,
	    o->state_dir, err)) != SBX_OK ||
	    (rc = sbx_root_load(&r, o->root, err)) != SBX_OK)
		goto done;
	po.state_path = state;
	if ((rc = sbx_keyring_pull(&res, r, &po, err)) != SBX_OK)
		goto done;
	sbx_keyring_time_format(until, res.expires);
	if (!o->quiet)
		printf("%s: installed version %llu (was %llu) from %s: signed "
		    "by %zu root keys (%u needed), expires at %s\n", o->out,
		    (unsigned long long)res.version,
		    (unsigned long long)res.previous, res.url,
		    res.signers, sbx_root_threshold(r), until);
done:
	sbx_root_free(r);
	return rc;
}

/* The new key set, from --key-cert, into a root file without them. */
static int
add_key_certs(struct sbx_root *r, const struct opts *o, struct sbx_err *err)
{
	X509 *cert;
	int i, rc = SBX_OK;

	for (i = 0; rc == SBX_OK && i < o->nkey_certs; i++) {
		if ((rc = sbx_cert_load(&cert, o->key_certs[i], err)) !=
		    SBX_OK)
			break;
		if ((rc = sbx_root_add_cert(r, cert, err)) != SBX_OK)
			sbx_err_prefix(err, o->key_certs[i]);
		X509_free(cert);
	}
	return rc;
}

static int64_t
root_expiry(const struct opts *o)
{
	int days = (o->seen & OPT(O_DAYS)) ? o->days : ROOT_DAYS;

	return (int64_t)time(NULL) + (int64_t)days * DAY;
}

static void
print_root(const struct opts *o, const char *path, const struct sbx_root *r,
    const char *what)
{
	char until[SBX_TIME_LEN + 1];

	if (o->quiet)
		return;
	sbx_keyring_time_format(until, sbx_root_expires(r));
	printf("%s: %s version %llu: %u of %zu keys must sign, expires at "
	    "%s; sign it with sbx-keyring root sign\n", path, what,
	    (unsigned long long)sbx_root_version(r), sbx_root_threshold(r),
	    sbx_root_count(r), until);
}

static int
cmd_root_init(const struct opts *o, struct sbx_err *err)
{
	struct sbx_root *r = NULL;
	int rc;

	if ((rc = refuse_existing(o->operand[0], false, false, err)) !=
	    SBX_OK)
		return rc;
	if ((rc = sbx_root_new(&r, (unsigned)o->threshold, root_expiry(o),
	    err)) == SBX_OK &&
	    (rc = add_key_certs(r, o, err)) == SBX_OK &&
	    (rc = sbx_root_save(r, o->operand[0], err)) == SBX_OK)
		print_root(o, o->operand[0], r, "new root file,");
	sbx_root_free(r);
	return rc;
}

static int
cmd_root_rotate(const struct opts *o, struct sbx_err *err)
{
	struct sbx_root *old = NULL, *r = NULL;
	unsigned m;
	int rc;

	if ((rc = refuse_existing(o->operand[1], false, false, err)) !=
	    SBX_OK || (rc = sbx_root_load(&old, o->operand[0], err)) != SBX_OK)
		goto done;
	m = (o->seen & OPT(O_THRESHOLD)) ? (unsigned)o->threshold :
	    sbx_root_threshold(old);
	if ((rc = sbx_root_next(&r, old, m, root_expiry(o), err)) == SBX_OK &&
	    (rc = add_key_certs(r, o, err)) == SBX_OK &&
	    (rc = sbx_root_save(r, o->operand[1], err)) == SBX_OK)
		print_root(o, o->operand[1], r, "successor of the root file, "
		    "to be signed by both key sets,");
done:
	sbx_root_free(old);
	sbx_root_free(r);
	return rc;
}

/* Its own keys sign a root file; so do the previous one's, on rotation. */
static int
cmd_root_sign(const struct opts *o, struct sbx_err *err)
{
	struct sbx_root *r = NULL, *prev = NULL;
	struct sbx_key *key = NULL;
	size_t own = 0, by_prev = 0;
	int rc;

	if ((rc = sbx_root_load(&r, o->operand[0], err)) != SBX_OK ||
	    (o->prev != NULL && (rc = sbx_root_load(&prev, o->prev, err)) !=
	    SBX_OK) || (rc = load_signing_key(&key, o, err)) != SBX_OK)
		goto done;
	if (!sbx_root_has_key(r, sbx_key_id(key)) && (prev == NULL ||
	    !sbx_root_has_key(prev, sbx_key_id(key)))) {
		rc = sbx_err_set(err, SBX_ECONFIG, "key %s is not a key of %s%s"
		    "%s", sbx_key_id(key), o->operand[0], prev != NULL ?
		    " nor of " : "", prev != NULL ? o->prev : "");
		goto done;
	}
	if ((rc = sbx_root_sign(r, key, err)) != SBX_OK ||
	    (rc = sbx_root_tally(&own, &by_prev, r, prev, err)) != SBX_OK ||
	    (rc = sbx_root_save(r, o->operand[0], err)) != SBX_OK)
		goto done;
	if (!o->quiet && prev != NULL)
		printf("%s: signed by key %s: %zu of %u own signatures, %zu of "
		    "%u by %s\n", o->operand[0], sbx_key_id(key), own,
		    sbx_root_threshold(r), by_prev, sbx_root_threshold(prev),
		    o->prev);
	else if (!o->quiet)
		printf("%s: signed by key %s: %zu of %u signatures\n",
		    o->operand[0], sbx_key_id(key), own,
		    sbx_root_threshold(r));
done:
	sbx_key_free(key);
	sbx_root_free(prev);
	sbx_root_free(r);
	return rc;
}

/* Replace the pinned root with its successor, byte for byte, if due. */
static int
cmd_root_update(const struct opts *o, struct sbx_err *err)
{
	struct sbx_root *old = NULL, *next = NULL;
	struct sbx_buf bytes = { 0 };
	int rc;

	if ((rc = sbx_root_load(&old, o->operand[0], err)) != SBX_OK)
		goto done;
	/* The very bytes checked are the bytes installed. */
	if ((rc = sbx_file_read(&bytes, o->operand[1], ROOT_MAX, err)) ==
	    SBX_EREJECT)
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: larger than %d bytes",
		    o->operand[1], ROOT_MAX);
	if (rc != SBX_OK || (rc = sbx_root_parse(&next, o->operand[1],
	    bytes.p, bytes.len, err)) != SBX_OK)
		goto done;
	if ((rc = sbx_root_check_next(old, next, err)) != SBX_OK ||
	    (rc = sbx_root_check(next, (int64_t)time(NULL), err)) != SBX_OK)
		goto done;
	rc = sbx_file_write_atomic(o->operand[0], bytes.p, bytes.len, 0644,
	    err);
	if (rc == SBX_OK && !o->quiet)
		printf("%s: now version %llu (was %llu), %u of %zu keys\n",
		    o->operand[0], (unsigned long long)sbx_root_version(next),
		    (unsigned long long)sbx_root_version(old),
		    sbx_root_threshold(next), sbx_root_count(next));
done:
	sbx_buf_free(&bytes);
	sbx_root_free(old);
	sbx_root_free(next);
	return rc;
}

/* Exit 0 when the file is fit to be pinned, else 1 with the reason. */
static int
cmd_root_show(const struct opts *o, struct sbx_err *err)
{
	struct sbx_root *r = NULL;
	char until[SBX_TIME_LEN + 1];
	size_t i, own = 0, by_old = 0;
	int rc;

	if ((rc = sbx_root_load(&r, o->operand[0], err)) != SBX_OK ||
	    (rc = sbx_root_tally(&own, &by_old, r, NULL, err)) != SBX_OK)
		goto done;
	sbx_keyring_time_format(until, sbx_root_expires(r));
	printf("%s: version %llu, expires at %s, %u of %zu keys must sign, "
	    "%zu valid signature%s\n", o->operand[0],
	    (unsigned long long)sbx_root_version(r), until,
	    sbx_root_threshold(r), sbx_root_count(r), own,
	    own == 1 ? "" : "s");
	for (i = 0; i < sbx_root_count(r); i++)
		printf("key %s\n", sbx_root_key(r, i)->id);
	rc = sbx_root_check(r, (int64_t)time(NULL), err);
done:
	sbx_root_free(r);
	return rc;
}

#define PASS_OPTS	OPT(O_PASS)
#define KEY_OUT_OPTS	(OPT(O_KEY) | OPT(O_CERT) | OPT(O_SUBJECT) | \
			    OPT(O_DAYS) | OPT(O_FORCE) | PASS_OPTS)
#define SIGN_OPTS	(OPT(O_KEY) | OPT(O_KEY_ALIAS) | OPT(O_CERT) | \
			    PASS_OPTS)
#define SIGN_REQ	(OPT(O_KEY) | PASS_OPTS)

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
	{ "check", cmd_check, OPT(O_WARN_DAYS) | OPT(O_POLICY),
	    OPT(O_WARN_DAYS), 1 },
	{ "expire", cmd_expire, OPT(O_DAYS), OPT(O_DAYS), 1 },
	{ "sign", cmd_sign, SIGN_OPTS | OPT(O_ROOT), SIGN_REQ, 1 },
	{ "verify", cmd_verify, OPT(O_ROOT) | OPT(O_STATE_DIR), OPT(O_ROOT),
	    1 },
	{ "pull", cmd_pull, OPT(O_ROOT) | OPT(O_OUT) | OPT(O_CA_FILE) |
	    OPT(O_ALLOW_HTTP) | OPT(O_STATE_DIR) | OPT(O_TIMEOUT),
	    OPT(O_ROOT) | OPT(O_OUT), 1 },
	{ "root init", cmd_root_init, OPT(O_THRESHOLD) | OPT(O_KEY_CERT) |
	    OPT(O_DAYS), OPT(O_THRESHOLD) | OPT(O_KEY_CERT), 1 },
	{ "root rotate", cmd_root_rotate, OPT(O_THRESHOLD) | OPT(O_KEY_CERT) |
	    OPT(O_DAYS), OPT(O_KEY_CERT), 2 },
	{ "root sign", cmd_root_sign, SIGN_OPTS | OPT(O_PREV), SIGN_REQ, 1 },
	{ "root update", cmd_root_update, 0, 0, 2 },
	{ "root show", cmd_root_show, 0, 0, 1 },
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
	{ "root", required_argument, NULL, O_ROOT },
	{ "threshold", required_argument, NULL, O_THRESHOLD },
	{ "key-cert", required_argument, NULL, O_KEY_CERT },
	{ "prev", required_argument, NULL, O_PREV },
	{ "out", required_argument, NULL, O_OUT },
	{ "ca-file", required_argument, NULL, O_CA_FILE },
	{ "allow-http", no_argument, NULL, O_ALLOW_HTTP },
	{ "state-dir", required_argument, NULL, O_STATE_DIR },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "policy", required_argument, NULL, O_POLICY },
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
	case O_ROOT:
		o->root = arg;
		break;
	case O_POLICY:
		o->policy = arg;
		break;
	case O_PREV:
		o->prev = arg;
		break;
	case O_OUT:
		o->out = arg;
		break;
	case O_CA_FILE:
		o->ca_file = arg;
		break;
	case O_STATE_DIR:
		o->state_dir = arg;
		break;
	case O_ALLOW_HTTP:
		o->allow_http = true;
		break;
	case O_KEY_CERT:
		if (o->nkey_certs == MAX_KEY_CERTS)
			return sbx_err_set(err, SBX_ECONFIG, "--key-cert: at "
			    "most %d", MAX_KEY_CERTS);
		o->key_certs[o->nkey_certs++] = arg;
		break;
	case O_THRESHOLD:
		return sbx_cli_int(&o->threshold, "--threshold", arg, 1,
		    MAX_KEY_CERTS, err);
	case O_TIMEOUT:
		return sbx_cli_int(&o->timeout, "--timeout", arg, 1, 3600,
		    err);
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
	char name[64];
	int rc, shift = 1;

	if (argc < 2)
		usage(2);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		usage(0);
	/* "root init" and its kin are two words, one command. */
	snprintf(name, sizeof(name), "%s", argv[1]);
	if (strcmp(argv[1], "root") == 0 && argc > 2) {
		snprintf(name, sizeof(name), "root %s", argv[2]);
		shift = 2;
	}
	if ((cmd = find_command(name)) == NULL) {
		sbx_err_set(&err, SBX_ECONFIG, "'%s' is not a command%s", name,
		    shift == 1 && strcmp(name, "root") == 0 ? ": root init, "
		    "rotate, sign, update or show" : "");
		usage_error(&err);
	}
	parse(&o, &cmd, argc - shift, argv + shift);
	check_args(&o, cmd, argc - shift - optind);

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

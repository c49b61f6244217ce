/* include/sbx/cli.h: command-line pieces the tools share (never prints). */
#ifndef SBX_CLI_H
#define SBX_CLI_H

#include <stdbool.h>

#include <sbx/err.h>
#include <sbx/secret.h>

/* Where the passphrase comes from, as the options said. */
struct sbx_cli_pass {
	enum sbx_secret_source	 source;
	const char		*arg;
	int			 given;		/* how many options */
};

enum {
	SBX_CLI_PASS_FILE = 0x1000,
	SBX_CLI_PASS_ENV,
	SBX_CLI_PASS_FD,
	SBX_CLI_NO_PASS
};

/* The getopt_long entries of the four passphrase options. */
#define SBX_CLI_PASS_OPTIONS \
	{ "passphrase-file", required_argument, NULL, SBX_CLI_PASS_FILE }, \
	{ "passphrase-env", required_argument, NULL, SBX_CLI_PASS_ENV }, \
	{ "passphrase-fd", required_argument, NULL, SBX_CLI_PASS_FD }, \
	{ "no-passphrase", no_argument, NULL, SBX_CLI_NO_PASS }

/*
 * Take option ch with its argument if it is a passphrase option.
 * Returns SBX_OK when taken, SBX_ECONFIG otherwise (err->msg stays
 * empty for an option that is simply not one of these).
 */
int	sbx_cli_pass_option(struct sbx_cli_pass *p, int ch, const char *arg,
	    struct sbx_err *err);

/*
 * Load the secret the options named; exactly one option must have been
 * given (--no-passphrase counts, and yields *out == NULL). SBX_ECONFIG
 * when none or several were given.
 */
int	sbx_cli_pass_load(struct sbx_secret **out, const struct sbx_cli_pass *p,
	    struct sbx_err *err);

/*
 * Parse arg, the value of option opt ("--bits"), as a whole number from
 * min to max. SBX_ECONFIG, naming the option, otherwise.
 */
int	sbx_cli_int(int *out, const char *opt, const char *arg, int min,
	    int max, struct sbx_err *err);

/*
 * Refuse a key spec that carries a secret on the command line, where
 * every user of the host can read it (/proc/PID/cmdline): a pkcs11: URI
 * with pin-value. SBX_ECONFIG naming opt ("--key").
 */
int	sbx_cli_key_spec(const char *opt, const char *spec,
	    struct sbx_err *err);

#endif

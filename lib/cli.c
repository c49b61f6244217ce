/* lib/cli.c: command-line pieces the tools share. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <sbx/cli.h>

int
sbx_cli_pass_option(struct sbx_cli_pass *p, int ch, const char *arg,
    struct sbx_err *err)
{
	switch (ch) {
	case SBX_CLI_PASS_FILE:
		p->source = SBX_SECRET_FILE;
		break;
	case SBX_CLI_PASS_ENV:
		p->source = SBX_SECRET_ENV;
		break;
	case SBX_CLI_PASS_FD:
		p->source = SBX_SECRET_FD;
		break;
	case SBX_CLI_NO_PASS:
		p->source = SBX_SECRET_NONE;
		break;
	default:
		if (err != NULL) {
			err->code = SBX_ECONFIG;
			err->msg[0] = '\0';
		}
		return SBX_ECONFIG;
	}
	p->arg = arg;
	p->given++;
	return SBX_OK;
}

int
sbx_cli_pass_load(struct sbx_secret **out, const struct sbx_cli_pass *p,
    struct sbx_err *err)
{
	*out = NULL;
	if (p->given == 0)
		return sbx_err_set(err, SBX_ECONFIG, "say where the passphrase "
		    "comes from: --passphrase-file, --passphrase-env, "
		    "--passphrase-fd or --no-passphrase");
	if (p->given > 1)
		return sbx_err_set(err, SBX_ECONFIG, "give only one of "
		    "--passphrase-file, --passphrase-env, --passphrase-fd and "
		    "--no-passphrase");
	return sbx_secret_load(out, p->source, p->arg, err);
}

int
sbx_cli_int(int *out, const char *opt, const char *arg, int min, int max,
    struct sbx_err *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > max)
		return sbx_err_set(err, SBX_ECONFIG, "%s: '%s' is not a whole "
		    "number from %d to %d", opt, arg, min, max);
	*out = (int)v;
	return SBX_OK;
}

int
sbx_cli_key_spec(const char *opt, const char *spec, struct sbx_err *err)
{
	const char *p;

	if (strncmp(spec, "pkcs11:", 7) != 0)
		return SBX_OK;
	for (p = spec + 7; *p != '\0'; p += strcspn(p, ";?&")) {
		if (*p == ';' || *p == '?' || *p == '&')
			p++;
		if (strncmp(p, "pin-value=", 10) == 0)
			return sbx_err_set(err, SBX_ECONFIG, "%s: a pin-value "
			    "in the URI would show in the process list; give "
			    "the PIN with --passphrase-file, --passphrase-env "
			    "or --passphrase-fd", opt);
	}
	return SBX_OK;
}

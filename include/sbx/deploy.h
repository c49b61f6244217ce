/* include/sbx/deploy.h: fetch, verify, and install only what verified. */
#ifndef SBX_DEPLOY_H
#define SBX_DEPLOY_H

#include <getopt.h>
#include <limits.h>
#include <stdbool.h>

#include <sbx/err.h>
#include <sbx/fetch.h>
#include <sbx/provenance.h>

/* What sbx-verify's --fetch, --install and download options said. */
struct sbx_deploy_opts {
	const char	*url;		/* --fetch URL */
	const char	*dest;		/* --install DEST */
	struct sbx_fetch_opts fetch;
	const char	*fetch_opt;	/* a download option given, or NULL */
};

enum {
	SBX_DEPLOY_FETCH = 0x1100,
	SBX_DEPLOY_INSTALL,
	SBX_DEPLOY_ALLOW_HTTP,
	SBX_DEPLOY_CA_FILE,
	SBX_DEPLOY_MAX_SIZE,
	SBX_DEPLOY_TIMEOUT,
	SBX_DEPLOY_RETRIES
};

/* The getopt_long entries of those options. */
#define SBX_DEPLOY_OPTIONS \
	{ "fetch", required_argument, NULL, SBX_DEPLOY_FETCH }, \
	{ "install", required_argument, NULL, SBX_DEPLOY_INSTALL }, \
	{ "allow-http", no_argument, NULL, SBX_DEPLOY_ALLOW_HTTP }, \
	{ "ca-file", required_argument, NULL, SBX_DEPLOY_CA_FILE }, \
	{ "max-size", required_argument, NULL, SBX_DEPLOY_MAX_SIZE }, \
	{ "timeout", required_argument, NULL, SBX_DEPLOY_TIMEOUT }, \
	{ "retries", required_argument, NULL, SBX_DEPLOY_RETRIES }

void	sbx_deploy_opts_init(struct sbx_deploy_opts *d);

/*
 * Take option ch with its argument if it is one of these. SBX_OK when
 * taken; SBX_ECONFIG otherwise, with err->msg empty for an option that
 * is not one of these and naming the option for a bad value.
 * --max-size takes bytes with an optional K, M or G (powers of 1024),
 * from 1 byte to 64G; --timeout whole seconds from 1 to 86400;
 * --retries 0 to 10.
 */
int	sbx_deploy_option(struct sbx_deploy_opts *d, int ch, const char *arg,
	    struct sbx_err *err);

/*
 * Do the options make sense with nfiles FILE operands? --fetch takes
 * none, --install without --fetch exactly one, the download options
 * need --fetch, and the URL must pass sbx_fetch_url_check(). SBX_ECONFIG
 * saying what is wrong otherwise.
 */
int	sbx_deploy_check(const struct sbx_deploy_opts *d, int nfiles,
	    struct sbx_err *err);

/* Where a run's artifact came from and went. */
struct sbx_deploy_result {
	char	 source[1024];		/* the URL as shown, or the path */
	char	 installed[PATH_MAX];	/* where it now is; "" if nowhere */
	bool	 bundle;
};

/*
 * Bring src (d->url, or a local file) into a private folder (mode 0700)
 * beside d->dest (or in TMPDIR when only verifying) under its own name:
 * downloaded with sbx_fetch(), or copied. Its provenance comes along:
 * o->provenance (a local file) if given, else SRC.intoto.jsonl, used
 * when there (a 404 means none). Verify that copy, and only when it is
 * accepted install it:
 *   - a bundle (sbx_bundle_is_name()) with sbx_bundle_install(), DEST
 *     being the folder to replace;
 *   - any other artifact by fsync and rename to DEST, or DEST/NAME when
 *     DEST is a folder, mode 0644; its provenance goes to
 *     DEST.intoto.jsonl, and a DEST.intoto.jsonl of an earlier version
 *     is removed when the new artifact came without one.
 * Unverified bytes never appear at DEST; on any failure DEST is as it
 * was and the private folder is gone. The verdict is filled as
 * sbx_artifact_verify() fills it, with messages naming the source
 * rather than the private copy. Codes as sbx_fetch(),
 * sbx_artifact_verify() and sbx_bundle_install().
 */
int	sbx_deploy_run(struct sbx_artifact_verdict *v,
	    struct sbx_deploy_result *res, const char *src,
	    const struct sbx_deploy_opts *d, const struct sbx_artifact_opts *o,
	    struct sbx_err *err);

#endif

/* keyring/pull.c: fetch a signed keyring; install it only if accepted. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include <sbx/file.h>
#include <sbx/root.h>

#include "keyring_int.h"

#define PULL_TIMEOUT_MS	30000L
#define PULL_MAX_REDIRS	5L

struct sink {
	struct sbx_buf	*buf;
	size_t		 max;
	bool		 too_big;
	int		 rc;
};

static size_t
keep(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (s->buf->len + n > s->max) {
		s->too_big = true;
		return 0;		/* curl stops: CURLE_WRITE_ERROR */
	}
	if ((s->rc = sbx_buf_add(s->buf, data, n, NULL)) != SBX_OK)
		return 0;
	return size * n;
}

/* The URL as messages show it: user, password, query may be secrets. */
static int
shown_url(char *out, size_t n, CURLU *u, struct sbx_err *err)
{
	static const CURLUPart secret[] = { CURLUPART_USER,
	    CURLUPART_PASSWORD, CURLUPART_OPTIONS, CURLUPART_QUERY,
	    CURLUPART_FRAGMENT };
	char *s = NULL;
	size_t i;

	for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
		curl_url_set(u, secret[i], NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	snprintf(out, n, "%s", s);
	curl_free(s);
	return SBX_OK;
}

/* Parsed by libcurl, as it will be fetched; https unless allowed. */
static int
check_url(char *shown, size_t n, const struct sbx_pull_opts *o,
    struct sbx_err *err)
{
	CURLU *u;
	char *scheme = NULL;
	int rc;

	if ((u = curl_url()) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, o->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		rc = sbx_err_set(err, SBX_ECONFIG, "pull: not a URL");
	else if (strcmp(scheme, "https") != 0 && !(o->allow_http &&
	    strcmp(scheme, "http") == 0))
		rc = sbx_err_set(err, SBX_ECONFIG, "pull: a keyring is "
		    "fetched over https:// only (http:// with --allow-http)");
	else
		rc = shown_url(shown, n, u, err);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

/* TLS is never relaxed: the peer and its name are always verified. */
static void
set_options(CURL *c, const struct sbx_pull_opts *o, struct sink *s,
    char *cerr)
{
	const char *schemes = o->allow_http ? "http,https" : "https";
	long ms = o->timeout_ms > 0 ? o->timeout_ms : PULL_TIMEOUT_MS;

	curl_easy_setopt(c, CURLOPT_URL, o->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, schemes);
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, schemes);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, PULL_MAX_REDIRS);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (o->ca_file != NULL) {
		/* Only the CAs named: the system's are not consulted. */
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "sbx-keyring/" SBX_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
}

static int
fetch(struct sbx_buf *out, const char *shown, const struct sbx_pull_opts *o,
    struct sbx_err *err)
{
	char cerr[CURL_ERROR_SIZE] = "";
	struct sink s = { .buf = out, .rc = SBX_OK };
	long status = 0;
	CURLcode cc;
	CURL *c;
	int rc;

	s.max = o->max_bytes > 0 ? o->max_bytes : SBX_KEYRING_MAX;
	if ((c = curl_easy_init()) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "%s: cannot start curl",
		    shown);
	set_options(c, o, &s, cerr);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);

	if (s.too_big || cc == CURLE_FILESIZE_EXCEEDED)
		rc = sbx_err_set(err, SBX_EIO, "%s: larger than %zu bytes",
		    shown, s.max);
	else if (s.rc != SBX_OK)
		rc = sbx_err_set(err, SBX_ENOMEM, "%s: out of memory", shown);
	else if (cc != CURLE_OK)
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", shown,
		    cerr[0] != '\0' ? cerr : curl_easy_strerror(cc));
	else if (status != 200)
		rc = sbx_err_set(err, SBX_EIO, "%s: HTTP status %ld", shown,
		    status);
	else
		rc = SBX_OK;
	return rc;
}

/*
 * Everything that can refuse runs before the first byte is written;
 * the state is recorded after the keyring is in place, both under
 * the state's lock, so no other run sees one without the other.
 */
static int
install(struct sbx_pull_result *res, const struct sbx_keyring *kr,
    const struct sbx_buf *bytes, const struct sbx_pull_opts *o,
    struct sbx_err *err)
{
	struct sbx_keyring_state *st = NULL;
	int rc;

	if ((rc = sbx_keyring_state_open(&st, o->state_path, err)) != SBX_OK)
		return rc;
	res->previous = sbx_keyring_state_version(st);
	if ((rc = sbx_keyring_state_allows(st, sbx_keyring_version(kr),
	    err)) != SBX_OK) {
		sbx_err_prefix(err, res->url);
		goto done;
	}
	if ((rc = sbx_file_write_atomic(o->out, bytes->p, bytes->len, 0644,
	    err)) != SBX_OK)
		goto done;
	rc = sbx_keyring_state_record(st, sbx_keyring_version(kr), err);
done:
	sbx_keyring_state_close(st);
	return rc;
}

int
sbx_keyring_pull(struct sbx_pull_result *res, const struct sbx_root *r,
    const struct sbx_pull_opts *o, struct sbx_err *err)
{
	struct sbx_keyring *kr = NULL;
	struct sbx_buf bytes = { 0 };
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = check_url(res->url, sizeof(res->url), o, err)) != SBX_OK ||
	    (rc = fetch(&bytes, res->url, o, err)) != SBX_OK ||
	    (rc = sbx_keyring_parse(&kr, res->url, bytes.p, bytes.len,
	    err)) != SBX_OK)
		goto done;
	if ((rc = sbx_root_verify_keyring(r, kr, (int64_t)time(NULL), err)) !=
	    SBX_OK) {
		sbx_err_prefix(err, res->url);
		goto done;
	}
	if ((rc = sbx_root_tally_keyring(&res->signers, r, kr, err)) !=
	    SBX_OK)
		goto done;
	res->version = sbx_keyring_version(kr);
	res->expires = sbx_keyring_expires(kr);
	rc = install(res, kr, &bytes, o, err);
done:
	sbx_keyring_free(kr);
	sbx_buf_free(&bytes);
	return rc;
}

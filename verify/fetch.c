/* verify/fetch.c: download an artifact over HTTPS, within limits. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include <sbx/fetch.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

/* One download: the handle and what the write callback saw. */
struct get {
	CURL		*c;
	char		 shown[512];
	char		 errbuf[CURL_ERROR_SIZE];
	int		 fd;
	uint64_t	 got;
	uint64_t	 max;
	bool		 too_large;
	int		 write_errno;
	long		 status;
	bool		 missing_ok;	/* 404 and 410 mean "not there" */
	bool		 missing;
};

static void
curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int
url_parse(CURLU **out, const char *url, struct sbx_err *err)
{
	CURLUcode uc;

	if ((*out = curl_url()) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	/* The URL itself is not repeated: it may hold a password. */
	if ((uc = curl_url_set(*out, CURLUPART_URL, url, 0)) != CURLUE_OK)
		return sbx_err_set(err, SBX_ECONFIG, "--fetch: not a URL: %s",
		    curl_url_strerror(uc));
	return SBX_OK;
}

static int
check_scheme(CURLU *u, bool allow_http, struct sbx_err *err)
{
	char *scheme = NULL;
	int rc = SBX_OK;

	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		return sbx_err_set(err, SBX_ECONFIG, "--fetch: URL without "
		    "a scheme");
	if (strcmp(scheme, "https") != 0 &&
	    !(allow_http && strcmp(scheme, "http") == 0))
		rc = sbx_err_set(err, SBX_ECONFIG, "--fetch: %s URLs are not "
		    "fetched: use https%s", scheme,
		    allow_http ? " or http" : " (or --allow-http for http)");
	curl_free(scheme);
	return rc;
}

/* The URL's last path segment, decoded, as a safe file name. */
static int
file_name(char *name, size_t n, CURLU *u, struct sbx_err *err)
{
	char *path = NULL, *dec = NULL;
	const char *seg, *p;
	int len = 0, rc = SBX_ECONFIG;

	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	seg = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	if ((dec = curl_easy_unescape(NULL, seg, 0, &len)) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	for (p = dec; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '/' ||
		    *p == '\\')
			break;
	if ((size_t)len != strlen(dec) || *p != '\0' || len == 0 ||
	    strcmp(dec, ".") == 0 || strcmp(dec, "..") == 0 ||
	    (size_t)len >= n || len > 255) {
		sbx_err_set(err, SBX_ECONFIG, "--fetch: the URL's path does "
		    "not end in a usable file name");
		goto done;
	}
	memcpy(name, dec, (size_t)len + 1);
	rc = SBX_OK;
done:
	curl_free(dec);
	curl_free(path);
	return rc;
}

/* The URL without what may be secret: user, password, query, fragment. */
static int
shown_url(char *out, size_t n, CURLU *u, struct sbx_err *err)
{
	CURLU *c;
	char *s = NULL;
	int rc = SBX_OK;

	if ((c = curl_url_dup(u)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	curl_url_set(c, CURLUPART_USER, NULL, 0);
	curl_url_set(c, CURLUPART_PASSWORD, NULL, 0);
	curl_url_set(c, CURLUPART_OPTIONS, NULL, 0);
	curl_url_set(c, CURLUPART_QUERY, NULL, 0);
	curl_url_set(c, CURLUPART_FRAGMENT, NULL, 0);
	if (curl_url_get(c, CURLUPART_URL, &s, 0) != CURLUE_OK)
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
	else
		snprintf(out, n, "%s", s);
	curl_free(s);
	curl_url_cleanup(c);
	return rc;
}

int
sbx_fetch_url_check(char *name, size_t n, char *shown, size_t sn,
    const char *url, bool allow_http, struct sbx_err *err)
{
	CURLU *u = NULL;
	int rc;

	if (n > 0)
		name[0] = '\0';
	if ((rc = url_parse(&u, url, err)) == SBX_OK &&
	    (rc = check_scheme(u, allow_http, err)) == SBX_OK &&
	    (rc = file_name(name, n, u, err)) == SBX_OK && shown != NULL)
		rc = shown_url(shown, sn, u, err);
	curl_url_cleanup(u);
	return rc;
}

int
sbx_fetch_url_suffix(char **out, const char *url, const char *suffix,
    struct sbx_err *err)
{
	CURLU *u = NULL;
	char *path = NULL, *joined = NULL, *s = NULL;
	int rc;

	*out = NULL;
	if ((rc = url_parse(&u, url, err)) != SBX_OK)
		goto done;
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK ||
	    asprintf(&joined, "%s%s", path, suffix) == -1) {
		joined = NULL;
		goto nomem;
	}
	if (curl_url_set(u, CURLUPART_PATH, joined, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK ||
	    (*out = strdup(s)) == NULL)
		goto nomem;
	rc = SBX_OK;
	goto done;
nomem:
	rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
done:
	curl_free(s);
	free(joined);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Counted before written: a body over the limit never reaches the disk. */
static size_t
sink(char *p, size_t size, size_t nmemb, void *arg)
{
	struct get *g = arg;
	size_t n = size * nmemb;

	if (g->got + n > g->max) {
		g->too_large = true;
		return 0;
	}
	if (write_all(g->fd, p, n) == -1) {
		g->write_errno = errno;
		return 0;
	}
	g->got += n;
	return n;
}

static int
setup(struct get *g, const char *url, const struct sbx_fetch_opts *o,
    struct sbx_err *err)
{
	const char *protos = o->allow_http ? "http,https" : "https";
	long timeout = o->timeout > 0 ? o->timeout : SBX_FETCH_TIMEOUT;
	CURL *c = g->c;

	if (o->ca_file != NULL && access(o->ca_file, R_OK) == -1)
		return sbx_err_set(err, SBX_ECONFIG, "--ca-file %s: %s",
		    o->ca_file, strerror(errno));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protos);
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protos);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "sbx-verify/" SBX_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, g->errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, g);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)g->max);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout < 30 ? timeout :
	    30L);
	/* A stalled server is given up on before the whole budget is gone. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, timeout < 60 ? timeout :
	    60L);
	if (o->ca_file != NULL) {
		/* Only the CAs named: the system's are not consulted. */
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	return SBX_OK;
}

static bool
status_transient(long status)
{
	return status == 408 || status == 429 || status == 500 ||
	    status == 502 || status == 503 || status == 504;
}

static bool
code_transient(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* One attempt; *transient says whether another may do better. */
static int
attempt(struct get *g, const struct sbx_fetch_opts *o, bool *transient,
    struct sbx_err *err)
{
	CURLcode cc;

	*transient = false;
	if (ftruncate(g->fd, 0) == -1 || lseek(g->fd, 0, SEEK_SET) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: temporary file: %s",
		    g->shown, strerror(errno));
	g->got = 0;
	g->too_large = false;
	g->write_errno = 0;
	g->status = 0;
	g->missing = false;
	g->errbuf[0] = '\0';

	cc = curl_easy_perform(g->c);
	curl_easy_getinfo(g->c, CURLINFO_RESPONSE_CODE, &g->status);
	if (g->too_large || cc == CURLE_FILESIZE_EXCEEDED)
		return sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE, "%s: "
		    "larger than %llu bytes (--max-size)", g->shown,
		    (unsigned long long)g->max);
	if (g->write_errno != 0)
		return sbx_err_set(err, SBX_EIO, "%s: temporary file: %s",
		    g->shown, strerror(g->write_errno));
	if (cc == CURLE_HTTP_RETURNED_ERROR && g->missing_ok &&
	    (g->status == 404 || g->status == 410)) {
		g->missing = true;
		return SBX_OK;
	}
	if (cc == CURLE_HTTP_RETURNED_ERROR || (cc == CURLE_OK &&
	    g->status != 200)) {
		*transient = status_transient(g->status);
		return sbx_err_set(err, SBX_EIO, "%s: HTTP %ld", g->shown,
		    g->status);
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		*transient = true;
		return sbx_err_set(err, SBX_EIO, "%s: timed out (--timeout "
		    "%d)", g->shown, o->timeout > 0 ? o->timeout :
		    SBX_FETCH_TIMEOUT);
	}
	if (cc == CURLE_UNSUPPORTED_PROTOCOL)
		return sbx_err_set(err, SBX_EIO, "%s: redirected to a scheme "
		    "that is not allowed (%s)", g->shown, o->allow_http ?
		    "https or http" : "https only; --allow-http for http");
	if (cc == CURLE_SSL_CACERT_BADFILE)
		return sbx_err_set(err, SBX_ECONFIG, "--ca-file %s: %s",
		    o->ca_file != NULL ? o->ca_file : "(system)",
		    g->errbuf[0] ? g->errbuf : curl_easy_strerror(cc));
	if (cc != CURLE_OK) {
		*transient = code_transient(cc);
		return sbx_err_set(err, SBX_EIO, "%s: %s", g->shown,
		    g->errbuf[0] ? g->errbuf : curl_easy_strerror(cc));
	}
	return SBX_OK;
}

static void
pause_before(int attempt_no)
{
	struct timespec ts = { .tv_sec = 1 };
	int i;

	for (i = 1; i < attempt_no && ts.tv_sec < SBX_FETCH_BACKOFF_MAX; i++)
		ts.tv_sec *= 2;
	if (ts.tv_sec > SBX_FETCH_BACKOFF_MAX)
		ts.tv_sec = SBX_FETCH_BACKOFF_MAX;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
attempts(struct get *g, bool *found, const struct sbx_fetch_opts *o,
    struct sbx_err *err)
{
	size_t len;
	bool transient;
	int n, rc;

	for (n = 1;; n++) {
		rc = attempt(g, o, &transient, err);
		if (rc == SBX_OK || !transient || n > o->retries)
			break;
		pause_before(n);
	}
	if (rc != SBX_OK) {
		len = strlen(err->msg);
		if (n > 1 && len < sizeof(err->msg))
			snprintf(err->msg + len, sizeof(err->msg) - len,
			    " (%d attempts)", n);
		return rc;
	}
	if (g->missing && ftruncate(g->fd, 0) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: temporary file: %s",
		    g->shown, strerror(errno));
	if (found != NULL)
		*found = !g->missing;
	return SBX_OK;
}

int
sbx_fetch(bool *found, int fd, const char *url,
    const struct sbx_fetch_opts *o, struct sbx_err *err)
{
	struct get g = { .fd = fd, .missing_ok = found != NULL };
	char name[256];
	int rc;

	if (found != NULL)
		*found = false;
	g.max = o->max_size > 0 ? o->max_size : SBX_FETCH_MAX_SIZE;
	if ((rc = sbx_fetch_url_check(name, sizeof(name), g.shown,
	    sizeof(g.shown), url, o->allow_http, err)) != SBX_OK)
		return rc;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return sbx_err_set(err, SBX_EINTERNAL, "libcurl: cannot start");
	if ((g.c = curl_easy_init()) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if ((rc = setup(&g, url, o, err)) == SBX_OK)
		rc = attempts(&g, found, o, err);
	curl_easy_cleanup(g.c);
	return rc;
}

/* lib/audit_http.c: audit events to HTTP sinks (journal-remote, Loki, OTLP). */
/* SPDX-License-Identifier: ISC */
/*
 * Apart from lib/audit_net.c (syslog, local sockets) so that a guarded
 * start whose policy names no HTTP sink does not load libcurl
 * (docs/guard.md).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include <sbx/audit.h>
#include <sbx/buf.h>
#include <sbx/err.h>

#include "audit_int.h"

struct audit_http {
	CURL			*curl;
	struct curl_slist	*headers;
	char			 url[1024];
	char			 errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void
curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

int
sbx_audit__http_new(struct audit_http **out, const char *url,
    const char *content_type, struct sbx_err *err)
{
	struct audit_http *h = NULL;
	char ct[128];
	int rc = SBX_EINTERNAL;

	*out = NULL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return sbx_err_set(err, SBX_EINTERNAL, "libcurl: cannot start");
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->curl = curl_easy_init()) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	snprintf(h->url, sizeof(h->url), "%s", url);
	snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
	/* "Expect:" off: no 100-continue round trip inside the budget. */
	if ((h->headers = curl_slist_append(NULL, ct)) == NULL ||
	    curl_slist_append(h->headers, "Expect:") == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	curl_easy_setopt(h->curl, CURLOPT_URL, h->url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
	*out = h;
	h = NULL;
	rc = SBX_OK;
done:
	sbx_audit__http_free(h);
	return rc;
}

/*
 * A peer that closes the connection makes a write raise SIGPIPE, which
 * would end the JVM or tool. libcurl with CURLOPT_NOSIGNAL does not
 * guard TLS writes, so block it in this thread for the call and take
 * any that came before unblocking (it is sent to the writing thread).
 */
static void
sigpipe_block(sigset_t *old)
{
	sigset_t pipe;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, old);
}

static void
sigpipe_restore(const sigset_t *old)
{
	struct timespec zero = { 0, 0 };
	sigset_t pipe, pending;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	if (!sigismember(old, SIGPIPE) && sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE))
		while (sigtimedwait(&pipe, NULL, &zero) == SIGPIPE)
			;
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

int
sbx_audit__http_post(struct audit_http *h, const void *body, size_t len,
    unsigned timeout_ms, struct sbx_err *err)
{
	long status = 0;
	sigset_t old;
	CURLcode c;

	/* 0 would mean "no limit" to libcurl. */
	if (timeout_ms == 0)
		timeout_ms = 1;
	h->errbuf[0] = '\0';
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	sigpipe_block(&old);
	c = curl_easy_perform(h->curl);
	sigpipe_restore(&old);
	if (c != CURLE_OK)
		return sbx_err_set(err, SBX_EIO, "%s: %s", h->url,
		    h->errbuf[0] ? h->errbuf : curl_easy_strerror(c));
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299)
		return sbx_err_set(err, SBX_EIO, "%s: HTTP status %ld", h->url,
		    status);
	return SBX_OK;
}

void
sbx_audit__http_free(struct audit_http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->headers);
	free(h);
}

/* lib/metrics_push.c: what the metrics say to a Pushgateway, over HTTP. */
/* SPDX-License-Identifier: ISC */
/*
 * Apart from lib/metrics.c so that a guarded start that writes only the
 * node_exporter textfile does not load libcurl (docs/guard.md).
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include <sbx/buf.h>
#include <sbx/err.h>

#include "metrics_int.h"

#define PUSH_REPLY_MAX	200

struct reply {
	char	 text[PUSH_REPLY_MAX + 1];
	size_t	 len;
};

static size_t
reply_keep(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t room = PUSH_REPLY_MAX - r->len, len = size * n;

	memcpy(r->text + r->len, data, len < room ? len : room);
	r->len += len < room ? len : room;
	r->text[r->len] = '\0';
	return len;
}

/*
 * scheme://host:port of the gateway URL: the target label, and what
 * messages name, so that credentials in the URL never leave it.
 */
int
sbx_metrics__push_target(char *out, size_t n, const char *url,
    struct sbx_err *err)
{
	char *scheme = NULL, *host = NULL, *port = NULL;
	CURLU *u;
	int rc = SBX_ECONFIG;

	snprintf(out, n, "invalid");
	if ((u = curl_url()) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		sbx_err_set(err, SBX_ECONFIG, "metrics: pushgateway is not an "
		    "http or https URL");
		goto done;
	}
	snprintf(out, n, "%s://%s:%s", scheme, host, port);
	rc = SBX_OK;
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* PUT body as the group's whole content, within ms milliseconds. */
int
sbx_metrics__push_body(const char *url, const char *target,
    const struct sbx_buf *body, long ms, struct sbx_err *err)
{
	char cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr = NULL, *h;
	struct reply reply = { .len = 0 };
	long status = 0;
	CURLcode cc;
	CURL *c;
	int rc = SBX_EIO;

	if (ms < 1)
		return sbx_err_set(err, SBX_EIO, "%s: no time left in the "
		    "budget", target);
	if ((c = curl_easy_init()) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "%s: cannot start curl",
		    target);
	h = curl_slist_append(NULL, "Content-Type: text/plain; version=0.0.4");
	if (h != NULL)
		hdr = curl_slist_append(h, "Expect:");
	if (hdr == NULL) {
		curl_slist_free_all(h);
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->p);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)body->len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	/* Inside a JVM no signal may be raised to time out a lookup. */
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reply_keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);

	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		rc = sbx_err_set(err, SBX_EIO, "%s: push failed: %s", target,
		    cerr[0] != '\0' ? cerr : curl_easy_strerror(cc));
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		reply.text[strcspn(reply.text, "\r\n")] = '\0';
		rc = sbx_err_set(err, SBX_EIO, "%s: push refused with HTTP "
		    "%ld: %s", target, status, reply.text);
		goto done;
	}
	rc = SBX_OK;
done:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return rc;
}

/* lib/url.c: is a URL one sbx can send to? */
/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <curl/curl.h>

#include <sbx/url.h>

const char *
sbx_url_check(const char *url)
{
	static const char *const bad = "must be an http or https URL";
	char *scheme = NULL, *host = NULL;
	const char *why = bad;
	CURLU *u;

	if ((u = curl_url()) == NULL)
		return "cannot be checked: out of memory";
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto done;
	if ((strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
	    host[0] != '\0')
		why = NULL;
done:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return why;
}

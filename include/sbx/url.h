/* include/sbx/url.h: the URLs sbx sends events and metrics to. */
#ifndef SBX_URL_H
#define SBX_URL_H

/*
 * NULL when url is an http or https URL with a host, as libcurl (which
 * will be the one to use it) parses it; else why not, in a few words.
 */
const char *sbx_url_check(const char *url);

#endif

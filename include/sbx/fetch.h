/* include/sbx/fetch.h: download an artifact over HTTPS, within limits. */
#ifndef SBX_FETCH_H
#define SBX_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sbx/err.h>

#define SBX_FETCH_MAX_SIZE	(256ULL << 20)	/* bytes */
#define SBX_FETCH_TIMEOUT	300		/* seconds per attempt */
#define SBX_FETCH_RETRIES	3
#define SBX_FETCH_BACKOFF_MAX	30		/* seconds between attempts */

/* How a download may go; sbx_fetch_opts_init() gives the defaults. */
struct sbx_fetch_opts {
	bool		 allow_http;	/* http:// too, not only https:// */
	const char	*ca_file;	/* trust only these CAs; NULL: system */
	uint64_t	 max_size;	/* bytes; larger bodies are refused */
	int		 timeout;	/* seconds an attempt may take */
	int		 retries;	/* attempts after a transient failure */
};

void	sbx_fetch_opts_init(struct sbx_fetch_opts *o);

/*
 * Check url for fetching: it must parse (libcurl's URL parser), use
 * https (or http when allow_http), and its path must end in a file
 * name: the last segment, URL-decoded, not empty, not "." or "..",
 * without '/', '\\' or control characters. On SBX_OK the name goes to
 * name (n bytes) and, when shown is not NULL, the URL as messages may
 * show it (no user name, password, query or fragment, which can hold
 * credentials such as a presigned URL's signature) to shown (sn
 * bytes). SBX_ECONFIG otherwise.
 */
int	sbx_fetch_url_check(char *name, size_t n, char *shown, size_t sn,
	    const char *url, bool allow_http, struct sbx_err *err);

/*
 * The URL of a file beside url: suffix appended to its path, the query
 * kept ("https://h/a.jar?x=1" + ".intoto.jsonl" is
 * "https://h/a.jar.intoto.jsonl?x=1"). The caller frees *out.
 */
int	sbx_fetch_url_suffix(char **out, const char *url, const char *suffix,
	    struct sbx_err *err);

/*
 * Download url into fd, an empty regular file open for writing (it is
 * truncated before each attempt). Redirects are followed (at most 5)
 * only to allowed schemes. Only a 200 response counts. A transient
 * failure (cannot connect, timed out, connection cut, HTTP 408, 429,
 * 500, 502, 503, 504) is tried again up to o->retries times, after
 * 1, 2, 4 ... seconds (at most SBX_FETCH_BACKOFF_MAX).
 *
 * With found NULL every failure is an error; otherwise HTTP 404 and 410
 * return SBX_OK with *found false (fd then empty). Returns SBX_OK,
 * SBX_EREJECT with SBX_V_MALFORMED_ARCHIVE when the body is larger than
 * o->max_size ("URL: larger than N bytes (--max-size)"), SBX_ECONFIG
 * for a URL that sbx_fetch_url_check() refuses or a CA file that cannot
 * be used, SBX_EIO for any other failure ("URL: HTTP 404", "URL: timed
 * out after N s (--timeout)", TLS failures with libcurl's reason; after
 * retries "... (N attempts)"), SBX_ENOMEM. Messages show the URL as
 * sbx_fetch_url_check() does.
 */
int	sbx_fetch(bool *found, int fd, const char *url,
	    const struct sbx_fetch_opts *o, struct sbx_err *err);

#endif

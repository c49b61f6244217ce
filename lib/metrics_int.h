/* lib/metrics_int.h: what lib/metrics.c and lib/metrics_push.c share. */
#ifndef SBX_METRICS_INT_H
#define SBX_METRICS_INT_H

#include <stddef.h>

#include <sbx/buf.h>
#include <sbx/err.h>

/*
 * scheme://host:port of the gateway URL into out (n bytes): the target
 * label, and what messages name, so that credentials in the URL never
 * leave it. SBX_ECONFIG when url is not an http or https URL.
 */
int	sbx_metrics__push_target(char *out, size_t n, const char *url,
	    struct sbx_err *err);

/* PUT body at url as the group's whole content, within ms milliseconds. */
int	sbx_metrics__push_body(const char *url, const char *target,
	    const struct sbx_buf *body, long ms, struct sbx_err *err);

#endif

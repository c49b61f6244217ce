/* verify/fetch_opts.c: the defaults of a download. */
/* SPDX-License-Identifier: ISC */
/*
 * Apart from verify/fetch.c (libcurl) so that setting up a deploy does
 * not load libcurl before anything is fetched.
 */
#include <string.h>

#include <sbx/fetch.h>

void
sbx_fetch_opts_init(struct sbx_fetch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_size = SBX_FETCH_MAX_SIZE;
	o->timeout = SBX_FETCH_TIMEOUT;
	o->retries = SBX_FETCH_RETRIES;
}

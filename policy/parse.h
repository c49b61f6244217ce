/* policy/parse.h: what policy/policy.c needs from policy/parse.c. */
#ifndef SBX_POLICY_PARSE_H
#define SBX_POLICY_PARSE_H

#include <stddef.h>

#include <sbx/err.h>
#include <sbx/policy.h>

/* sbx_policy_parse_mem() with sbx_policy_load_flags()'s flags. */
int	sbx_policy__parse(struct sbx_policy **out, const void *buf,
	    size_t len, const char *name, const char *dir, unsigned flags,
	    struct sbx_err *err);

#endif

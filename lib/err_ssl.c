/* lib/err_ssl.c: error records that carry OpenSSL's reason. */
/* SPDX-License-Identifier: ISC */
/*
 * Apart from lib/err.c so that what links the error records without
 * OpenSSL (the guard's front ends, docs/guard.md) does not load it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include <sbx/err.h>

int
sbx_err_ssl(struct sbx_err *err, int code, const char *fmt, ...)
{
	char reason[128] = "";
	unsigned long e;
	size_t n;
	va_list ap;

	e = ERR_peek_error();
	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();

	if (err == NULL)
		return code;

	va_start(ap, fmt);
	sbx_err_vset(err, code, fmt, ap);
	va_end(ap);
	err->violation = SBX_V_INTERNAL_ERROR;

	n = strlen(err->msg);
	if (reason[0] != '\0' && n + 3 < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, " (%s)", reason);
	return code;
}

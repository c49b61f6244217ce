/* lib/err.c: error records and the mapping of codes to exit statuses. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>

#include <sbx/err.h>

static const char *const violation_names[SBX_V_COUNT] = {
	[SBX_V_NONE] = "none",
	[SBX_V_UNSIGNED] = "unsigned",
	[SBX_V_BAD_SIGNATURE] = "bad_signature",
	[SBX_V_DIGEST_MISMATCH] = "digest_mismatch",
	[SBX_V_UNSIGNED_ENTRY] = "unsigned_entry",
	[SBX_V_UNTRUSTED_KEY] = "untrusted_key",
	[SBX_V_REVOKED_KEY] = "revoked_key",
	[SBX_V_EXPIRED_KEY] = "expired_key",
	[SBX_V_WEAK_ALGORITHM] = "weak_algorithm",
	[SBX_V_PROVENANCE_MISSING] = "provenance_missing",
	[SBX_V_PROVENANCE_MISMATCH] = "provenance_mismatch",
	[SBX_V_SOURCE_NOT_ALLOWED] = "source_not_allowed",
	[SBX_V_FORBIDDEN_FLAG] = "forbidden_flag",
	[SBX_V_UNSAFE_PATH] = "unsafe_path",
	[SBX_V_MALFORMED_ARCHIVE] = "malformed_archive",
	[SBX_V_ROLLBACK] = "rollback",
	[SBX_V_INTERNAL_ERROR] = "internal_error",
};

void
sbx_err_vset(struct sbx_err *err, int code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int
sbx_err_set(struct sbx_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;

	va_start(ap, fmt);
	sbx_err_vset(err, code, fmt, ap);
	va_end(ap);

	/* A failure that is not a rejection is still a refusal. */
	err->violation = code == SBX_OK ? SBX_V_NONE : SBX_V_INTERNAL_ERROR;
	return code;
}

int
sbx_err_reject(struct sbx_err *err, enum sbx_violation v, const char *fmt,
    ...)
{
	va_list ap;

	if (err == NULL)
		return SBX_EREJECT;

	va_start(ap, fmt);
	sbx_err_vset(err, SBX_EREJECT, fmt, ap);
	va_end(ap);
	err->violation = v;
	return SBX_EREJECT;
}


void
sbx_err_prefix(struct sbx_err *err, const char *prefix)
{
	char tmp[sizeof(err->msg)];
	size_t n;

	if (err == NULL || prefix == NULL)
		return;
	memcpy(tmp, err->msg, sizeof(tmp));
	n = strlen(prefix);
	if (n > sizeof(err->msg) - 3)
		n = sizeof(err->msg) - 3;
	memcpy(err->msg, prefix, n);
	memcpy(err->msg + n, ": ", 2);
	n += 2;
	memcpy(err->msg + n, tmp, sizeof(err->msg) - n - 1);
	err->msg[sizeof(err->msg) - 1] = '\0';
}

const char *
sbx_violation_name(enum sbx_violation v)
{
	if ((unsigned)v >= SBX_V_COUNT)
		return "internal_error";
	return violation_names[v];
}

int
sbx_exit_status(int code)
{
	switch (code) {
	case SBX_OK:
		return 0;
	case SBX_ECONFIG:
		return 2;
	case SBX_EIO:
		return 3;
	default:
		return 1;
	}
}

/* include/sbx/err.h: error codes, violation types and the error record. */
#ifndef SBX_ERR_H
#define SBX_ERR_H

#include <stdarg.h>

/*
 * Every libsbx function that can fail returns one of these. SBX_EREJECT
 * means the check ran and the answer is no; the others mean the check
 * could not run, which callers treat as a refusal too (fail closed).
 */
enum {
	SBX_OK = 0,
	SBX_EREJECT = -1,		/* checked: not acceptable */
	SBX_ECONFIG = -2,		/* usage, policy, keyring, key */
	SBX_EIO = -3,			/* input could not be read or written */
	SBX_ENOMEM = -4,
	SBX_EINTERNAL = -5
};

/*
 * Why an artifact was refused. The names (sbx_violation_name()) are the
 * values of the `type` label of sbx_violations_total and of the
 * violation.type field of audit events; docs/metrics.md lists them.
 */
enum sbx_violation {
	SBX_V_NONE = 0,
	SBX_V_UNSIGNED,
	SBX_V_BAD_SIGNATURE,
	SBX_V_DIGEST_MISMATCH,
	SBX_V_UNSIGNED_ENTRY,
	SBX_V_UNTRUSTED_KEY,
	SBX_V_REVOKED_KEY,
	SBX_V_EXPIRED_KEY,
	SBX_V_WEAK_ALGORITHM,
	SBX_V_PROVENANCE_MISSING,
	SBX_V_PROVENANCE_MISMATCH,
	SBX_V_SOURCE_NOT_ALLOWED,
	SBX_V_FORBIDDEN_FLAG,
	SBX_V_UNSAFE_PATH,
	SBX_V_MALFORMED_ARCHIVE,
	SBX_V_ROLLBACK,
	SBX_V_INTERNAL_ERROR,
	SBX_V_COUNT
};

/*
 * The caller's error record: the code, for a rejection the violation
 * type, and one line of text (no newline, never a secret).
 */
struct sbx_err {
	int			code;
	enum sbx_violation	violation;
	char			msg[256];
};

/* Fill err (which may be NULL) and return code. */
int	sbx_err_set(struct sbx_err *err, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* As sbx_err_set() with a va_list; leaves err->violation alone. */
void	sbx_err_vset(struct sbx_err *err, int code, const char *fmt,
	    va_list ap) __attribute__((format(printf, 3, 0)));

/* A rejection: code SBX_EREJECT with violation type v. Returns it. */
int	sbx_err_reject(struct sbx_err *err, enum sbx_violation v,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * As sbx_err_set(), then append OpenSSL's first queued reason and empty
 * the queue, so a later failure cannot report a stale cause.
 */
int	sbx_err_ssl(struct sbx_err *err, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Prefix err->msg with "prefix: " (a file name, an entry name). */
void	sbx_err_prefix(struct sbx_err *err, const char *prefix);

/* The stable lower-case name of a violation type ("digest_mismatch"). */
const char *sbx_violation_name(enum sbx_violation v);

/*
 * The process exit status of a result, the same for every tool:
 * SBX_OK 0, SBX_ECONFIG 2, SBX_EIO 3, anything else 1.
 */
int	sbx_exit_status(int code);

#endif

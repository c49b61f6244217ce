/* lib/audit.c: audit events: names, JSON form, redaction, trace, hash. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <sbx/audit.h>
#include <sbx/buf.h>
#include <sbx/encode.h>
#include <sbx/err.h>
#include <sbx/file.h>

#include "audit_int.h"

#ifndef SBX_VERSION
#define SBX_VERSION "unknown"
#endif

#define CMDLINE_MAX	65536

static const char *const kind_names[SBX_AUDIT_KIND_COUNT] = {
	[SBX_AUDIT_VIOLATION] = "sbx.violation",
	[SBX_AUDIT_CHECK] = "sbx.check",
	[SBX_AUDIT_SIGN] = "sbx.sign",
	[SBX_AUDIT_VERIFY] = "sbx.verify",
	[SBX_AUDIT_KEYRING] = "sbx.keyring",
	[SBX_AUDIT_SAMPLED] = "sbx.sampled",
	[SBX_AUDIT_ROTATE] = "sbx.rotate",
};

static const char *const decision_names[] = {
	[SBX_AUDIT_NO_DECISION] = NULL,
	[SBX_AUDIT_ACCEPTED] = "accepted",
	[SBX_AUDIT_REFUSED] = "refused",
	[SBX_AUDIT_AUDITED] = "audited",
};

static const char *const sink_names[SBX_SINK_COUNT] = {
	[SBX_SINK_FILE] = "file",
	[SBX_SINK_JOURNAL] = "journal",
	[SBX_SINK_JOURNAL_REMOTE] = "journal-remote",
	[SBX_SINK_SYSLOG] = "syslog",
	[SBX_SINK_LOKI] = "loki",
	[SBX_SINK_OTLP] = "otlp",
};

static const char *const outcome_names[SBX_AUDIT_OUTCOME_COUNT] = {
	[SBX_AUDIT_WRITTEN] = "written",
	[SBX_AUDIT_SAMPLED_OUT] = "sampled_out",
	[SBX_AUDIT_FAILED] = "failed",
	[SBX_AUDIT_SPOOLED] = "spooled",
	[SBX_AUDIT_REPLAYED] = "replayed",
};

/* Names whose values are secrets, in options and NAME=VALUE pairs. */
static const char *const secret_parts[] = {
	"password", "passwd", "token", "secret",
};

void
sbx_audit_event_init(struct sbx_audit_event *ev, enum sbx_audit_kind kind,
    const char *tool)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->tool = tool;
	ev->artifact.size = -1;
}

const char *
sbx_audit_kind_name(enum sbx_audit_kind kind)
{
	if ((unsigned)kind >= SBX_AUDIT_KIND_COUNT)
		return NULL;
	return kind_names[kind];
}

const char *
sbx_audit_decision_name(enum sbx_audit_decision d)
{
	if ((unsigned)d > SBX_AUDIT_AUDITED)
		return NULL;
	return decision_names[d];
}

const char *
sbx_audit_sink_name(enum sbx_audit_sink sink)
{
	if ((unsigned)sink >= SBX_SINK_COUNT)
		return NULL;
	return sink_names[sink];
}

const char *
sbx_audit_outcome_name(enum sbx_audit_outcome outcome)
{
	if ((unsigned)outcome >= SBX_AUDIT_OUTCOME_COUNT)
		return NULL;
	return outcome_names[outcome];
}

int64_t
sbx_audit__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (p[0] < 0x80)
		return p[0] == 0 ? 0 : 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

json_t *
sbx_audit__jstr(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k;
	struct sbx_buf b = { 0 };
	json_t *j = NULL;

	/*
	 * Text from argv and files need not be UTF-8, and JSON must be:
	 * each bad byte becomes '?', and a cut never splits a character.
	 */
	while (i < n) {
		k = utf8_seq(p + i, n - i);
		if (b.len + (k ? k : 1) > max) {
			if (sbx_buf_puts(&b, "...", NULL) != SBX_OK)
				goto done;
			break;
		}
		if (sbx_buf_add(&b, k ? (const char *)p + i : "?", k ? k : 1,
		    NULL) != SBX_OK)
			goto done;
		i += k ? k : 1;
	}
	j = json_stringn((const char *)(b.p ? b.p : (unsigned char *)""),
	    b.len);
done:
	sbx_buf_free(&b);
	return j;
}

void
sbx_audit_time_format(char *out, int64_t ms)
{
	struct tm tm;
	time_t s;
	int frac;

	s = (time_t)(ms / 1000);
	frac = (int)(ms % 1000);
	if (frac < 0) {
		frac += 1000;
		s--;
	}
	gmtime_r(&s, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%S", &tm);
	out[19] = '.';
	out[20] = (char)('0' + frac / 100);
	out[21] = (char)('0' + frac / 10 % 10);
	out[22] = (char)('0' + frac % 10);
	out[23] = 'Z';
	out[24] = '\0';
}

/* Read exactly n digits at *p into *v; advance *p. */
static bool
digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return true;
}

static bool
parse_duration(int64_t *ms_out, const char *text, int64_t now_ms)
{
	char *end;
	long long n;
	int64_t unit;

	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno != 0 || end == text || n < 0 || end[0] == '\0' ||
	    end[1] != '\0' || !isdigit((unsigned char)text[0]))
		return false;
	switch (end[0]) {
	case 's': unit = 1000; break;
	case 'm': unit = 60000; break;
	case 'h': unit = 3600000; break;
	case 'd': unit = 86400000; break;
	default: return false;
	}
	if (n > INT64_MAX / unit / 2)
		return false;
	*ms_out = now_ms - n * unit;
	return true;
}

/* The offset part of RFC 3339 ("Z", "+02:00"), in minutes east. */
static bool
parse_offset(const char *p, int *minutes)
{
	int h, m, sign;

	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
		*minutes = 0;
		return true;
	}
	if (p[0] != '+' && p[0] != '-')
		return false;
	sign = p[0] == '-' ? -1 : 1;
	p++;
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &m) ||
	    *p != '\0' || h > 23 || m > 59)
		return false;
	*minutes = sign * (h * 60 + m);
	return true;
}

bool
sbx_audit_time_parse(int64_t *ms_out, const char *text, int64_t now_ms)
{
	const char *p = text;
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, s = 0, ms = 0, off = 0, scale;

	if (parse_duration(ms_out, text, now_ms))
		return true;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 2, &d))
		return false;
	if (*p != '\0') {
		if ((*p != 'T' && *p != 't' && *p != ' ') || !(p++, 1) ||
		    !digits(&p, 2, &h) || *p++ != ':' ||
		    !digits(&p, 2, &mi) || *p++ != ':' || !digits(&p, 2, &s))
			return false;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				return false;
			/* Milliseconds count; finer digits are dropped. */
			for (scale = 100; isdigit((unsigned char)*p); p++) {
				ms += (*p - '0') * scale;
				scale /= 10;
			}
		}
		if (!parse_offset(p, &off))
			return false;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    s > 60)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	*ms_out = ((int64_t)timegm(&tm) - (int64_t)off * 60) * 1000 + ms;
	return true;
}

static bool
has_part(const char *name, size_t n, const char *part)
{
	size_t k = strlen(part), i;

	for (i = 0; i + k <= n; i++)
		if (strncasecmp(name + i, part, k) == 0)
			return true;
	return false;
}

/*
 * Does an option or key name hold a secret? The rules are listed in
 * docs/formats.md: passphrase*, pin, pin-value, *password*, *passwd*,
 * *token*, *secret*, case-insensitive, leading dashes ignored.
 */
static bool
secret_name(const char *name, size_t n)
{
	size_t i;

	while (n > 0 && *name == '-') {
		name++;
		n--;
	}
	if (n >= 10 && strncasecmp(name, "passphrase", 10) == 0)
		return true;
	if ((n == 3 && strncasecmp(name, "pin", 3) == 0) ||
	    (n == 9 && strncasecmp(name, "pin-value", 9) == 0))
		return true;
	for (i = 0; i < sizeof(secret_parts) / sizeof(secret_parts[0]); i++)
		if (has_part(name, n, secret_parts[i]))
			return true;
	return false;
}

static bool
name_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

/* An option that takes its value as the next argument: "--pin". */
static bool
secret_option(const char *arg)
{
	size_t i;

	if (arg == NULL || arg[0] != '-' || arg[1] == '\0')
		return false;
	for (i = 0; arg[i] != '\0'; i++)
		if (!name_char(arg[i]))
			return false;
	return secret_name(arg, i);
}

/* "scheme://user:PASSWORD@host": the end of the password, or 0. */
static size_t
userinfo_secret(const char *arg, size_t at, size_t *start)
{
	size_t i, colon = 0;

	if (strncmp(arg + at, "://", 3) != 0)
		return 0;
	for (i = at + 3; arg[i] != '\0' && arg[i] != '/' && arg[i] != '@';
	    i++)
		if (arg[i] == ':' && colon == 0)
			colon = i;
	if (arg[i] != '@' || colon == 0)
		return 0;
	*start = colon + 1;
	return i;
}

/* The part before the query, redacted as any argument, then "?[...]". */
static int
redact_url(struct sbx_buf *out, const char *prev, const char *arg,
    size_t qpos, struct sbx_err *err)
{
	char *head;
	int rc;

	if ((head = strndup(arg, qpos)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	rc = sbx_audit_redact_arg(out, prev, head, err);
	free(head);
	if (rc == SBX_OK)
		rc = sbx_buf_puts(out, "?" AUDIT_REDACTED, err);
	return rc;
}

int
sbx_audit_redact_arg(struct sbx_buf *out, const char *prev, const char *arg,
    struct sbx_err *err)
{
	const char *q;
	size_t i = 0, done = 0, n, end, start;
	int rc;

	if (secret_option(prev))
		return sbx_buf_puts(out, AUDIT_REDACTED, err);

	/*
	 * A URL's query is where presigned downloads keep their signature
	 * (X-Amz-Signature, sig=, token=): none of it goes to the log.
	 */
	if ((q = strchr(arg, '?')) != NULL && strstr(arg, "://") != NULL &&
	    strstr(arg, "://") < q)
		return redact_url(out, prev, arg, (size_t)(q - arg), err);

	/* Each NAME=VALUE whose NAME is secret loses VALUE, up to , ; &. */
	for (i = 0; arg[i] != '\0'; i++) {
		end = 0;
		if (arg[i] == '=') {
			for (n = i; n > 0 && name_char(arg[n - 1]); n--)
				;
			if (!secret_name(arg + n, i - n))
				continue;
			start = i + 1;
			for (end = start; arg[end] != '\0' &&
			    strchr(",;& ", arg[end]) == NULL; end++)
				;
		} else if (arg[i] == ':') {
			end = userinfo_secret(arg, i, &start);
		}
		if (end == 0 || end == start)
			continue;
		if ((rc = sbx_buf_add(out, arg + done, start - done, err)) !=
		    SBX_OK || (rc = sbx_buf_puts(out, AUDIT_REDACTED, err)) !=
		    SBX_OK)
			return rc;
		done = end;
		i = end - 1;
	}
	return sbx_buf_puts(out, arg + done, err);
}

json_t *
sbx_audit_redact_argv(int argc, char *const *argv)
{
	struct sbx_buf b = { 0 };
	json_t *arr, *s;
	size_t total = 0;
	int i;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < argc && argv[i] != NULL; i++) {
		b.len = 0;
		if (sbx_audit_redact_arg(&b, i > 0 ? argv[i - 1] : NULL,
		    argv[i], NULL) != SBX_OK || sbx_buf_terminate(&b, NULL) !=
		    SBX_OK)
			goto fail;
		/* A JVM's class path can be huge; the start says enough. */
		if (total + b.len > AUDIT_ARGV_MAX) {
			s = json_sprintf("[%d more]", argc - i);
			if (json_array_append_new(arr, s) == -1)
				goto fail;
			break;
		}
		total += b.len;
		s = sbx_audit__jstr((const char *)b.p, AUDIT_ARG_MAX);
		if (json_array_append_new(arr, s) == -1)
			goto fail;
	}
	sbx_buf_free(&b);
	return arr;
fail:
	sbx_buf_free(&b);
	json_decref(arr);
	return NULL;
}

static bool
lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) &&
		    (s[i] < 'a' || s[i] > 'f'))
			return false;
	return true;
}

static bool
all_zero(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != '0')
			return false;
	return true;
}

bool
sbx_audit_traceparent(char *trace_id, char *span_id, char *flags,
    const char *v)
{
	size_t len;

	/* version "-" trace-id "-" parent-id "-" trace-flags (W3C). */
	if (v == NULL || (len = strlen(v)) < 55)
		return false;
	if (!lower_hex(v, 2) || strncmp(v, "ff", 2) == 0 || v[2] != '-' ||
	    !lower_hex(v + 3, 32) || v[35] != '-' || !lower_hex(v + 36, 16) ||
	    v[52] != '-' || !lower_hex(v + 53, 2))
		return false;
	if (all_zero(v + 3, 32) || all_zero(v + 36, 16))
		return false;
	/* Version 00 has exactly four parts; later ones may add more. */
	if (strncmp(v, "00", 2) == 0 ? len != 55 : len > 55 && v[55] != '-')
		return false;
	memcpy(trace_id, v + 3, 32);
	trace_id[32] = '\0';
	memcpy(span_id, v + 36, 16);
	span_id[16] = '\0';
	memcpy(flags, v + 53, 2);
	flags[2] = '\0';
	return true;
}

bool
sbx_audit__is_hash(const char *s)
{
	return s != NULL && strlen(s) == SBX_AUDIT_HASH_LEN &&
	    lower_hex(s, SBX_AUDIT_HASH_LEN);
}

int
sbx_audit_hash(char *hash_out, const json_t *ev, struct sbx_err *err)
{
	unsigned char md[32];
	json_t *copy = NULL;
	char *text = NULL;
	int rc = SBX_EINTERNAL;

	hash_out[0] = '\0';
	/* The hash cannot cover itself: hash the event without it. */
	if ((copy = json_copy((json_t *)ev)) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	json_object_del(copy, "hash");
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "cannot serialise event");
		goto done;
	}
	if ((rc = sbx_sha256(md, text, strlen(text), err)) != SBX_OK)
		goto done;
	sbx_hex(hash_out, md, sizeof(md));
	rc = SBX_OK;
done:
	free(text);
	json_decref(copy);
	return rc;
}

/* Set key to a string of at most max bytes, when s is given. */
static int
put_str(json_t *obj, const char *key, const char *s, size_t max)
{
	if (s == NULL)
		return 0;
	return json_object_set_new(obj, key, sbx_audit__jstr(s, max));
}

/* Add obj under key unless it is empty; obj is consumed. */
static int
put_obj(json_t *parent, const char *key, json_t *obj)
{
	if (obj == NULL)
		return -1;
	if (json_object_size(obj) == 0) {
		json_decref(obj);
		return 0;
	}
	return json_object_set_new(parent, key, obj);
}

static json_t *
read_cmdline(void)
{
	struct sbx_buf b = { 0 };
	char **argv = NULL;
	json_t *arr = NULL;
	size_t i;
	int argc = 0;

	/* A missing /proc gives an empty argv rather than no event. */
	if (sbx_file_read(&b, "/proc/self/cmdline", CMDLINE_MAX, NULL) !=
	    SBX_OK || sbx_buf_terminate(&b, NULL) != SBX_OK) {
		sbx_buf_free(&b);
		return json_array();
	}
	if ((argv = calloc(b.len + 1, sizeof(*argv))) == NULL)
		goto done;
	for (i = 0; i < b.len; i += strlen((char *)b.p + i) + 1)
		argv[argc++] = (char *)b.p + i;
	arr = sbx_audit_redact_argv(argc, argv);
done:
	free(argv);
	sbx_buf_free(&b);
	return arr;
}

static json_t *
build_process(const struct sbx_audit_event *ev)
{
	char exe[PATH_MAX];
	json_t *p, *argv;
	ssize_t n;
	int bad = 0;

	if ((p = json_object()) == NULL)
		return NULL;
	bad |= json_object_set_new(p, "pid", json_integer(ev->process.pid ?
	    ev->process.pid : getpid()));
	bad |= json_object_set_new(p, "uid", json_integer(ev->process.pid ?
	    ev->process.uid : getuid()));
	if (ev->process.executable != NULL) {
		bad |= put_str(p, "executable", ev->process.executable,
		    AUDIT_STR_MAX);
	} else if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) >
	    0) {
		exe[n] = '\0';
		bad |= put_str(p, "executable", exe, AUDIT_STR_MAX);
	}
	if (ev->process.argv != NULL)
		argv = sbx_audit_redact_argv(ev->process.argc,
		    ev->process.argv);
	else
		argv = read_cmdline();
	bad |= json_object_set_new(p, "argv", argv);
	if (bad) {
		json_decref(p);
		return NULL;
	}
	return p;
}

static json_t *
build_trace(const struct sbx_audit_event *ev)
{
	char tid[33], sid[17], flags[3];
	const char *v = ev->traceparent;
	json_t *t;

	if (v == NULL)
		v = getenv("TRACEPARENT");
	if ((t = json_object()) == NULL)
		return NULL;
	/* A malformed header is ignored, as W3C asks of any receiver. */
	if (!sbx_audit_traceparent(tid, sid, flags, v))
		return t;
	if (json_object_set_new(t, "trace_id", json_string(tid)) ||
	    json_object_set_new(t, "span_id", json_string(sid)) ||
	    json_object_set_new(t, "flags", json_string(flags))) {
		json_decref(t);
		return NULL;
	}
	return t;
}

static int
build_parts(json_t *o, const struct sbx_audit_event *ev)
{
	json_t *a = json_object(), *s = json_object(), *v = json_object(),
	    *p = json_object();
	int bad = 0;

	if (a != NULL) {
		bad |= put_str(a, "path", ev->artifact.path, AUDIT_STR_MAX);
		bad |= put_str(a, "sha256", ev->artifact.sha256, 128);
		if (ev->artifact.size >= 0)
			bad |= json_object_set_new(a, "size",
			    json_integer(ev->artifact.size));
	}
	if (s != NULL) {
		bad |= put_str(s, "key_id", ev->signer.key_id, 128);
		bad |= put_str(s, "name", ev->signer.name, AUDIT_STR_MAX);
		bad |= put_str(s, "subject", ev->signer.subject,
		    AUDIT_STR_MAX);
	}
	if (v != NULL && (ev->violation.type != SBX_V_NONE ||
	    ev->violation.detail != NULL)) {
		bad |= put_str(v, "type", sbx_violation_name(
		    ev->violation.type), 64);
		bad |= put_str(v, "detail", ev->violation.detail,
		    AUDIT_DETAIL_MAX);
	}
	if (p != NULL) {
		bad |= put_str(p, "path", ev->policy.path, AUDIT_STR_MAX);
		bad |= put_str(p, "sha256", ev->policy.sha256, 128);
		bad |= put_str(p, "rule", ev->policy.rule, AUDIT_STR_MAX);
	}
	bad |= put_obj(o, "artifact", a);
	bad |= put_obj(o, "signer", s);
	bad |= put_obj(o, "violation", v);
	bad |= put_obj(o, "policy", p);
	return bad;
}

int
sbx_audit__build(json_t **out, const struct sbx_audit_event *ev,
    struct sbx_err *err)
{
	char when[25], host[256] = "";
	const char *kind, *decision;
	json_t *o = NULL;
	int bad = 0, rc = SBX_EINTERNAL;

	*out = NULL;
	if ((kind = sbx_audit_kind_name(ev->kind)) == NULL) {
		rc = sbx_err_set(err, SBX_ECONFIG, "audit: unknown event "
		    "kind %d", (int)ev->kind);
		goto done;
	}
	if ((o = json_object()) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	sbx_audit_time_format(when, ev->time_ms ? ev->time_ms :
	    sbx_audit__now_ms());
	bad |= json_object_set_new(o, "time", json_string(when));
	bad |= json_object_set_new(o, "event", json_string(kind));
	bad |= put_str(o, "tenant", ev->tenant ? ev->tenant : "default",
	    AUDIT_STR_MAX);
	bad |= put_str(o, "operation", ev->operation, AUDIT_STR_MAX);
	bad |= build_parts(o, ev);
	if ((decision = sbx_audit_decision_name(ev->decision)) != NULL)
		bad |= json_object_set_new(o, "decision",
		    json_string(decision));
	bad |= put_obj(o, "process", build_process(ev));
	if (ev->host == NULL)
		gethostname(host, sizeof(host) - 1);
	bad |= put_str(o, "host", ev->host ? ev->host : host, 255);
	bad |= put_obj(o, "trace", build_trace(ev));
	bad |= put_str(o, "tool", ev->tool ? ev->tool : "sbx", 128);
	bad |= json_object_set_new(o, "version", json_string(SBX_VERSION));
	if (bad) {
		rc = sbx_err_set(err, SBX_ENOMEM, "audit: cannot build event");
		goto done;
	}
	*out = o;
	o = NULL;
	rc = SBX_OK;
done:
	json_decref(o);
	return rc;
}

int
sbx_audit__seal(struct sbx_buf *out, char *hash_out, json_t *ev,
    uint64_t seq, const char *prev, struct sbx_err *err)
{
	char *text = NULL;
	int rc;

	hash_out[0] = '\0';
	json_object_del(ev, "hash");
	if (json_object_set_new(ev, "seq", json_integer((json_int_t)seq)) ||
	    json_object_set_new(ev, "prev_hash", json_string(prev)))
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if ((rc = sbx_audit_hash(hash_out, ev, err)) != SBX_OK)
		return rc;
	if (json_object_set_new(ev, "hash", json_string(hash_out)))
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");

	text = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "cannot serialise event");
	if (strlen(text) + 1 > SBX_AUDIT_LINE_MAX) {
		rc = sbx_err_set(err, SBX_EINTERNAL, "audit: event of %zu "
		    "bytes is longer than a line may be", strlen(text));
		goto done;
	}
	if ((rc = sbx_buf_puts(out, text, err)) == SBX_OK)
		rc = sbx_buf_add(out, "\n", 1, err);
done:
	free(text);
	return rc;
}

json_t *
sbx_audit__parse_line(const char *line, size_t len, json_error_t *jerr)
{
	json_t *ev, *seq;

	ev = json_loadb(line, len, JSON_REJECT_DUPLICATES, jerr);
	if (ev == NULL)
		return NULL;
	seq = json_object_get(ev, "seq");
	if (!json_is_object(ev) || !json_is_integer(seq) ||
	    json_integer_value(seq) < 1 ||
	    !sbx_audit__is_hash(json_string_value(json_object_get(ev,
	    "prev_hash"))) ||
	    !sbx_audit__is_hash(json_string_value(json_object_get(ev,
	    "hash")))) {
		json_decref(ev);
		return NULL;
	}
	return ev;
}

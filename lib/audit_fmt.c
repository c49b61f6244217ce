/* lib/audit_fmt.c: what each sink is sent for one audit event. */
/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <sbx/audit.h>
#include <sbx/buf.h>
#include <sbx/err.h>

#include "audit_int.h"

/*
 * RFC 5424 structured data needs an SD-ID with a private enterprise
 * number; sbx has none, so it uses 32473, the one RFC 5612 reserves
 * for documentation (docs/sinks.md).
 */
#define SD_ID		"sbx@32473"
#define SEV_WARNING	4
#define SEV_INFO	6

/* The fields that people search by, and their JSON paths. */
static const struct field {
	const char	*journal;	/* journal field name */
	const char	*sd;		/* RFC 5424 SD-PARAM name */
	const char	*otlp;		/* OTLP attribute key */
	const char	*obj;		/* JSON member, or parent object */
	const char	*member;	/* member of obj, or NULL */
} fields[] = {
	{ "SBX_EVENT", "event", "sbx.event", "event", NULL },
	{ "SBX_TENANT", "tenant", "sbx.tenant", "tenant", NULL },
	{ "SBX_OPERATION", "operation", "sbx.operation", "operation", NULL },
	{ "SBX_DECISION", "decision", "sbx.decision", "decision", NULL },
	{ "SBX_RULE", "rule", "sbx.rule", "policy", "rule" },
	{ "SBX_VIOLATION", "violation", "sbx.violation", "violation",
	    "type" },
	{ "SBX_ARTIFACT", "artifact", "sbx.artifact.path", "artifact",
	    "path" },
	{ "SBX_ARTIFACT_SHA256", "sha256", "sbx.artifact.sha256", "artifact",
	    "sha256" },
	{ "SBX_KEY_ID", "key_id", "sbx.signer.key_id", "signer", "key_id" },
	{ "SBX_TOOL", "tool", "sbx.tool", "tool", NULL },
	{ "SBX_HASH", "hash", "sbx.hash", "hash", NULL },
};

static const char *
get(json_t *ev, const char *obj, const char *member)
{
	json_t *x = json_object_get(ev, obj);

	if (member != NULL)
		x = json_object_get(x, member);
	return json_string_value(x);
}

static int64_t
event_ms(json_t *ev)
{
	int64_t ms = 0;

	sbx_audit_time_parse(&ms, get(ev, "time", NULL) ?
	    get(ev, "time", NULL) : "", 0);
	return ms;
}

static bool
warning(json_t *ev)
{
	const char *d = get(ev, "decision", NULL), *e = get(ev, "event", NULL);

	return (d != NULL && strcmp(d, "accepted") != 0) ||
	    (e != NULL && strcmp(e, "sbx.violation") == 0);
}

/* NAME=value, or NAME, a 64-bit little-endian length and the bytes. */
static int
jfield(struct sbx_buf *b, const char *name, const char *value, size_t n,
    struct sbx_err *err)
{
	unsigned char len[8];
	int i, rc;

	if (memchr(value, '\n', n) == NULL)
		return sbx_buf_printf(b, err, "%s=%.*s\n", name, (int)n,
		    value);
	for (i = 0; i < 8; i++)
		len[i] = (unsigned char)((uint64_t)n >> (8 * i));
	if ((rc = sbx_buf_printf(b, err, "%s\n", name)) != SBX_OK ||
	    (rc = sbx_buf_add(b, len, 8, err)) != SBX_OK ||
	    (rc = sbx_buf_add(b, value, n, err)) != SBX_OK)
		return rc;
	return sbx_buf_add(b, "\n", 1, err);
}

static int
journal(struct sbx_buf *b, json_t *ev, const char *line, size_t len,
    bool export, struct sbx_err *err)
{
	const char *v, *host = get(ev, "host", NULL);
	size_t i;
	int rc = SBX_OK;

	/* The export format's one required field (else the entry is
	 * dropped silently while the upload still answers 202). */
	if (export)
		rc = sbx_buf_printf(b, err, "__REALTIME_TIMESTAMP=%" PRId64
		    "\n", event_ms(ev) * 1000);
	if (rc == SBX_OK && export && host != NULL)
		rc = jfield(b, "_HOSTNAME", host, strlen(host), err);
	if (rc == SBX_OK)
		rc = jfield(b, "MESSAGE", line, len, err);
	if (rc == SBX_OK)
		rc = sbx_buf_printf(b, err, "PRIORITY=%d\n", warning(ev) ?
		    SEV_WARNING : SEV_INFO);
	if (rc == SBX_OK && (v = get(ev, "tool", NULL)) != NULL)
		rc = jfield(b, "SYSLOG_IDENTIFIER", v, strlen(v), err);
	for (i = 0; rc == SBX_OK && i < sizeof(fields) / sizeof(*fields);
	    i++)
		if ((v = get(ev, fields[i].obj, fields[i].member)) != NULL)
			rc = jfield(b, fields[i].journal, v, strlen(v), err);
	if (rc == SBX_OK)
		rc = sbx_buf_printf(b, err, "SBX_SEQ=%" JSON_INTEGER_FORMAT
		    "\n", json_integer_value(json_object_get(ev, "seq")));
	if (rc == SBX_OK && export)
		rc = sbx_buf_add(b, "\n", 1, err);
	return rc;
}

/* An RFC 5424 header field: printable US-ASCII, at most max, or "-". */
static int
header_field(struct sbx_buf *b, const char *s, size_t max,
    struct sbx_err *err)
{
	size_t i;
	int rc;

	if (s == NULL || s[0] == '\0')
		return sbx_buf_puts(b, "- ", err);
	for (i = 0; s[i] != '\0' && i < max; i++) {
		rc = sbx_buf_add(b, s[i] > 32 && s[i] < 127 ? &s[i] : "_", 1,
		    err);
		if (rc != SBX_OK)
			return rc;
	}
	return sbx_buf_add(b, " ", 1, err);
}

/* PARAM-VALUE: '"', '\' and ']' are escaped with a backslash. */
static int
sd_param(struct sbx_buf *b, const char *name, const char *v,
    struct sbx_err *err)
{
	int rc;

	if ((rc = sbx_buf_printf(b, err, " %s=\"", name)) != SBX_OK)
		return rc;
	for (; *v != '\0'; v++) {
		if (strchr("\"\\]", *v) != NULL &&
		    (rc = sbx_buf_add(b, "\\", 1, err)) != SBX_OK)
			return rc;
		if ((rc = sbx_buf_add(b, v, 1, err)) != SBX_OK)
			return rc;
	}
	return sbx_buf_add(b, "\"", 1, err);
}

static int
syslog5424(struct sbx_buf *b, json_t *ev, const char *line, size_t len,
    int facility, struct sbx_err *err)
{
	char pid[32] = "";
	const char *v;
	json_t *p;
	size_t i;
	int rc;

	p = json_object_get(json_object_get(ev, "process"), "pid");
	if (json_is_integer(p))
		snprintf(pid, sizeof(pid), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(p));
	rc = sbx_buf_printf(b, err, "<%d>1 ", facility * 8 + (warning(ev) ?
	    SEV_WARNING : SEV_INFO));
	if (rc == SBX_OK)
		rc = header_field(b, get(ev, "time", NULL), 32, err);
	if (rc == SBX_OK)
		rc = header_field(b, get(ev, "host", NULL), 255, err);
	if (rc == SBX_OK)
		rc = header_field(b, get(ev, "tool", NULL), 48, err);
	if (rc == SBX_OK)
		rc = header_field(b, pid, 128, err);
	if (rc == SBX_OK)
		rc = header_field(b, get(ev, "event", NULL), 32, err);
	if (rc == SBX_OK)
		rc = sbx_buf_puts(b, "[" SD_ID, err);
	for (i = 0; rc == SBX_OK && i < sizeof(fields) / sizeof(*fields);
	    i++)
		if ((v = get(ev, fields[i].obj, fields[i].member)) != NULL)
			rc = sd_param(b, fields[i].sd, v, err);
	if (rc == SBX_OK)
		rc = sbx_buf_printf(b, err, " seq=\"%" JSON_INTEGER_FORMAT
		    "\"", json_integer_value(json_object_get(ev, "seq")));
	if (rc == SBX_OK && (v = get(ev, "trace", "trace_id")) != NULL)
		rc = sd_param(b, "trace_id", v, err);
	if (rc == SBX_OK && (v = get(ev, "trace", "span_id")) != NULL)
		rc = sd_param(b, "span_id", v, err);
	if (rc == SBX_OK)
		rc = sbx_buf_puts(b, "] ", err);
	if (rc == SBX_OK)
		rc = sbx_buf_add(b, line, len, err);
	return rc;
}

static int
dump(struct sbx_buf *b, json_t *doc, struct sbx_err *err)
{
	char *text;
	int rc;

	if (doc == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (text == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	rc = sbx_buf_puts(b, text, err);
	free(text);
	return rc;
}

/* Loki: few labels (job, tenant, event, operation); all else in line. */
static int
loki(struct sbx_buf *b, json_t *ev, const char *line, size_t len,
    struct sbx_err *err)
{
	static const char *const labels[] = { "tenant", "event", "operation" };
	char ns[32];
	json_t *stream;
	const char *v;
	size_t i;

	snprintf(ns, sizeof(ns), "%" PRId64 "000000", event_ms(ev));
	if ((stream = json_pack("{s:s}", "job", "sbx")) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	for (i = 0; i < sizeof(labels) / sizeof(*labels); i++)
		if ((v = get(ev, labels[i], NULL)) != NULL && v[0] != '\0')
			json_object_set_new(stream, labels[i], json_string(v));
	return dump(b, json_pack("{s:[{s:o, s:[[s, s#]]}]}", "streams",
	    "stream", stream, "values", ns, line, (int)len), err);
}

static json_t *
attr(const char *key, const char *kind, json_t *value)
{
	return json_pack("{s:s, s:{s:o}}", "key", key, "value", kind, value);
}

static json_t *
otlp_attributes(json_t *ev)
{
	json_t *a = json_array();
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		if ((v = get(ev, fields[i].obj, fields[i].member)) != NULL)
			json_array_append_new(a, attr(fields[i].otlp,
			    "stringValue", json_string(v)));
	/* int64 values are decimal strings in OTLP's JSON encoding. */
	json_array_append_new(a, attr("sbx.seq", "intValue", json_sprintf(
	    "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(ev,
	    "seq")))));
	return a;
}

static json_t *
otlp_record(json_t *ev, const char *line, size_t len)
{
	char t[32], now[32];
	const char *tid = get(ev, "trace", "trace_id");
	const char *sid = get(ev, "trace", "span_id");
	const char *flags = get(ev, "trace", "flags");
	json_t *rec;

	snprintf(t, sizeof(t), "%" PRId64 "000000", event_ms(ev));
	snprintf(now, sizeof(now), "%" PRId64 "000000", sbx_audit__now_ms());
	rec = json_pack("{s:s, s:s, s:i, s:s, s:{s:s#}, s:o}",
	    "timeUnixNano", t, "observedTimeUnixNano", now,
	    "severityNumber", warning(ev) ? 13 : 9,
	    "severityText", warning(ev) ? "WARN" : "INFO",
	    "body", "stringValue", line, (int)len,
	    "attributes", otlp_attributes(ev));
	/* Trace ids are hex in OTLP/JSON, not base64 as protobuf's own
	 * JSON mapping would have them. */
	if (rec != NULL && tid != NULL && sid != NULL && flags != NULL) {
		json_object_set_new(rec, "traceId", json_string(tid));
		json_object_set_new(rec, "spanId", json_string(sid));
		json_object_set_new(rec, "flags", json_integer(strtol(flags,
		    NULL, 16)));
	}
	return rec;
}

static int
otlp(struct sbx_buf *b, json_t *ev, const char *line, size_t len,
    struct sbx_err *err)
{
	const char *host = get(ev, "host", NULL), *ver = get(ev, "version",
	    NULL);
	json_t *res;

	res = json_pack("[o, o, o]",
	    attr("service.name", "stringValue", json_string("sbx")),
	    attr("service.version", "stringValue", json_string(ver ? ver :
	    "unknown")),
	    attr("host.name", "stringValue", json_string(host ? host : "")));
	return dump(b, json_pack("{s:[{s:{s:o}, s:[{s:{s:s, s:s}, s:[o]}]}]}",
	    "resourceLogs", "resource", "attributes", res, "scopeLogs",
	    "scope", "name", "sbx.audit", "version", ver ? ver : "unknown",
	    "logRecords", otlp_record(ev, line, len)), err);
}

int
sbx_audit_format(struct sbx_buf *out, enum sbx_audit_sink sink,
    const char *line, size_t len, int facility, struct sbx_err *err)
{
	json_t *ev;
	int rc;

	if ((ev = sbx_audit__parse_line(line, len, NULL)) == NULL)
		return sbx_err_set(err, SBX_EREJECT, "not an audit event");
	switch (sink) {
	case SBX_SINK_JOURNAL:
		rc = journal(out, ev, line, len, false, err);
		break;
	case SBX_SINK_JOURNAL_REMOTE:
		rc = journal(out, ev, line, len, true, err);
		break;
	case SBX_SINK_SYSLOG:
		rc = syslog5424(out, ev, line, len, facility, err);
		break;
	case SBX_SINK_LOKI:
		rc = loki(out, ev, line, len, err);
		break;
	case SBX_SINK_OTLP:
		rc = otlp(out, ev, line, len, err);
		break;
	default:
		rc = sbx_buf_add(out, line, len, err);
		break;
	}
	json_decref(ev);
	return rc;
}

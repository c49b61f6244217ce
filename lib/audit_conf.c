/* lib/audit_conf.c: audit configuration and events read from JSON. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <sbx/audit.h>
#include <sbx/err.h>

#include "audit_int.h"

#define JOURNAL_SOCKET	"/run/systemd/journal/socket"

void
sbx_audit_conf_init(struct sbx_audit_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->fsync = true;
	conf->log_passing = true;
	conf->sample_rate = 1.0;
	conf->spool_max = 16u << 20;
	conf->budget_ms = 50;
	conf->lock_timeout_ms = 5000;
	conf->syslog_port = 514;
	conf->syslog_tcp = true;
	conf->syslog_facility = 10;		/* authpriv: security events */
}

void
sbx_audit_conf_release(struct sbx_audit_conf *conf)
{
	if (conf == NULL)
		return;
	json_decref(conf->owner);
	sbx_audit_conf_init(conf);
}

/* Keep s (relative to base_dir) in keep[key] and return it. */
static const char *
keep_path(json_t *keep, const char *key, const char *s, const char *base_dir)
{
	char joined[PATH_MAX];

	if (s[0] != '/' && base_dir != NULL && base_dir[0] != '\0') {
		if (snprintf(joined, sizeof(joined), "%s/%s", base_dir, s) >=
		    (int)sizeof(joined))
			return NULL;
		s = joined;
	}
	if (json_object_set_new(keep, key, json_string(s)) == -1)
		return NULL;
	return json_string_value(json_object_get(keep, key));
}

static bool
http_url(const char *s)
{
	return s != NULL && (strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "https://", 8) == 0) && strlen(s) > 8;
}

static bool
int_in(json_t *x, json_int_t lo, json_int_t hi)
{
	return json_is_integer(x) && json_integer_value(x) >= lo &&
	    json_integer_value(x) <= hi;
}

/* Where a bad member is named: "audit.sinks.syslog.port". */
struct where {
	const char	*name;		/* the file */
	const char	*path;		/* "audit.sampling" */
	struct sbx_err	*err;
};

static int
bad(const struct where *w, const char *key)
{
	return sbx_err_set(w->err, SBX_ECONFIG, "%s: %s.%s: unknown key or "
	    "bad value", w->name, w->path, key);
}

static int
conf_sampling(struct sbx_audit_conf *conf, json_t *v, struct where *w)
{
	const char *key;
	json_t *x;

	if (!json_is_object(v))
		return sbx_err_set(w->err, SBX_ECONFIG, "%s: %s: not an "
		    "object", w->name, w->path);
	json_object_foreach(v, key, x) {
		if (strcmp(key, "per_minute_after") == 0 &&
		    int_in(x, 0, 1000000000))
			conf->sample_first = (unsigned)json_integer_value(x);
		else if (strcmp(key, "rate") == 0 && json_is_number(x) &&
		    json_number_value(x) >= 0 && json_number_value(x) <= 1)
			conf->sample_rate = json_number_value(x);
		else
			return bad(w, key);
	}
	return SBX_OK;
}

static bool
host_ok(const char *s)
{
	const char *p;

	if (s == NULL || s[0] == '\0' || strlen(s) > 253)
		return false;
	for (p = s; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p) || *p == '/')
			return false;
	return true;
}

static int
conf_syslog(struct sbx_audit_conf *conf, json_t *v, struct where *w)
{
	const char *key, *s;
	json_t *x;

	conf->syslog_host = "127.0.0.1";
	json_object_foreach(v, key, x) {
		s = json_string_value(x);
		if (strcmp(key, "host") == 0 && host_ok(s))
			conf->syslog_host = s;
		else if (strcmp(key, "port") == 0 && int_in(x, 1, 65535))
			conf->syslog_port = (int)json_integer_value(x);
		else if (strcmp(key, "transport") == 0 && s != NULL &&
		    (strcmp(s, "tcp") == 0 || strcmp(s, "udp") == 0))
			conf->syslog_tcp = strcmp(s, "tcp") == 0;
		else if (strcmp(key, "facility") == 0 && int_in(x, 0, 23))
			conf->syslog_facility = (int)json_integer_value(x);
		else
			return bad(w, key);
	}
	return SBX_OK;
}

/* An HTTP sink: {"url": ...}; for the journal, {} is journald. */
static int
conf_url(const char **out, json_t *v, bool optional, struct where *w)
{
	const char *key;
	json_t *x;

	*out = NULL;
	json_object_foreach(v, key, x) {
		if (strcmp(key, "url") != 0 || !http_url(json_string_value(x)))
			return bad(w, key);
		*out = json_string_value(x);
	}
	if (*out == NULL && !optional)
		return bad(w, "url");
	return SBX_OK;
}

static int
conf_sinks(struct sbx_audit_conf *conf, json_t *v, struct where *w)
{
	struct where in = *w;
	char path[64];
	const char *key;
	json_t *x;
	int rc;

	if (!json_is_object(v))
		return sbx_err_set(w->err, SBX_ECONFIG, "%s: %s: not an "
		    "object", w->name, w->path);
	json_object_foreach(v, key, x) {
		if (!json_is_object(x))
			return bad(w, key);
		snprintf(path, sizeof(path), "%s.%s", w->path, key);
		in.path = path;
		if (strcmp(key, "journal") == 0) {
			rc = conf_url(&conf->journal_remote, x, true, &in);
			conf->journal_socket = conf->journal_remote ? NULL :
			    JOURNAL_SOCKET;
		} else if (strcmp(key, "syslog") == 0) {
			rc = conf_syslog(conf, x, &in);
		} else if (strcmp(key, "loki") == 0) {
			rc = conf_url(&conf->loki, x, false, &in);
		} else if (strcmp(key, "otlp") == 0) {
			rc = conf_url(&conf->otlp, x, false, &in);
		} else {
			return bad(w, key);
		}
		if (rc != SBX_OK)
			return rc;
	}
	return SBX_OK;
}

/* One scalar member of the audit object; false when unknown or bad. */
static bool
conf_member(struct sbx_audit_conf *conf, json_t *keep, const char *key,
    json_t *x, const char *base_dir)
{
	const char *s = json_string_value(x);

	if (strcmp(key, "file") == 0 && s != NULL && s[0] != '\0')
		return (conf->file = keep_path(keep, key, s, base_dir));
	if (strcmp(key, "spool_dir") == 0 && s != NULL && s[0] != '\0')
		return (conf->spool_dir = keep_path(keep, key, s, base_dir));
	if (strcmp(key, "fsync") == 0 && json_is_boolean(x))
		return conf->fsync = json_is_true(x), true;
	if (strcmp(key, "log_passing") == 0 && json_is_boolean(x))
		return conf->log_passing = json_is_true(x), true;
	if (strcmp(key, "spool_max_bytes") == 0 && int_in(x, 4096, 1LL << 40))
		return conf->spool_max = (size_t)json_integer_value(x), true;
	if (strcmp(key, "budget_ms") == 0 && int_in(x, 1, 10000))
		return conf->budget_ms = (unsigned)json_integer_value(x), true;
	return false;
}

int
sbx_audit_conf_from_json(struct sbx_audit_conf *conf, json_t *obj,
    const char *base_dir, const char *name, struct sbx_err *err)
{
	struct where w = { name, "audit", err };
	json_t *keep = NULL, *x;
	const char *key;
	int rc = SBX_EINTERNAL;

	sbx_audit_conf_init(conf);
	if (!json_is_object(obj)) {
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: audit: not an object",
		    name);
		goto done;
	}
	/* Resolved paths live in keep, which conf->owner holds. */
	if ((keep = json_object()) == NULL ||
	    json_object_set(keep, "conf", obj) == -1) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	json_object_foreach(obj, key, x) {
		w.path = strcmp(key, "sampling") == 0 ? "audit.sampling" :
		    strcmp(key, "sinks") == 0 ? "audit.sinks" : "audit";
		if (strcmp(key, "sampling") == 0)
			rc = conf_sampling(conf, x, &w);
		else if (strcmp(key, "sinks") == 0)
			rc = conf_sinks(conf, x, &w);
		else
			rc = conf_member(conf, keep, key, x, base_dir) ?
			    SBX_OK : bad(&w, key);
		if (rc != SBX_OK)
			goto done;
	}
	if (conf->file == NULL) {
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: audit.file: missing",
		    name);
		goto done;
	}
	conf->owner = keep;
	keep = NULL;
	rc = SBX_OK;
done:
	json_decref(keep);
	if (rc != SBX_OK)
		sbx_audit_conf_init(conf);
	return rc;
}

int
sbx_audit_conf_load(struct sbx_audit_conf *conf, const char *path,
    struct sbx_err *err)
{
	char copy[PATH_MAX];
	json_error_t jerr;
	json_t *root, *obj;
	FILE *f;
	int rc;

	sbx_audit_conf_init(conf);
	if ((f = fopen(path, "re")) == NULL)
		return sbx_err_set(err, SBX_EIO, "%s: cannot open: %s", path,
		    strerror(errno));
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (root == NULL)
		return sbx_err_set(err, SBX_ECONFIG, "%s:%d:%d: %s", path,
		    jerr.line, jerr.column, jerr.text);
	/* A whole policy: take its audit member. */
	obj = root;
	if (json_object_get(root, "keyring") != NULL) {
		obj = json_object_get(root, "audit");
		if (obj == NULL) {
			json_decref(root);
			return sbx_err_set(err, SBX_ECONFIG, "%s: audit: "
			    "missing", path);
		}
	}
	snprintf(copy, sizeof(copy), "%s", path);
	rc = sbx_audit_conf_from_json(conf, obj, dirname(copy), path, err);
	json_decref(root);
	return rc;
}

static int
kind_from(enum sbx_audit_kind *out, const char *s)
{
	int k;

	for (k = 0; k < SBX_AUDIT_KIND_COUNT; k++)
		if (s != NULL && strcmp(s, sbx_audit_kind_name(k)) == 0) {
			*out = (enum sbx_audit_kind)k;
			return k == SBX_AUDIT_SAMPLED || k == SBX_AUDIT_ROTATE ?
			    -1 : 0;
		}
	return -1;
}

static int
decision_from(enum sbx_audit_decision *out, const char *s)
{
	int d;

	for (d = SBX_AUDIT_ACCEPTED; d <= SBX_AUDIT_AUDITED; d++)
		if (s != NULL && strcmp(s, sbx_audit_decision_name(d)) == 0) {
			*out = (enum sbx_audit_decision)d;
			return 0;
		}
	return -1;
}

static int
violation_from(enum sbx_violation *out, const char *s)
{
	int v;

	for (v = SBX_V_NONE + 1; v < SBX_V_COUNT; v++)
		if (s != NULL && strcmp(s, sbx_violation_name(v)) == 0) {
			*out = (enum sbx_violation)v;
			return 0;
		}
	return -1;
}

static const char *const art_keys[] = { "path", "sha256", NULL };

/* Copy the string members of obj named in keys[] to the slots. */
static int
strings_from(json_t *obj, const char *const *keys, const char **slots[],
    const char **bad)
{
	const char *key;
	json_t *x;
	size_t i;

	json_object_foreach(obj, key, x) {
		/* artifact.size is the one number, read by the caller. */
		if (strcmp(key, "size") == 0 && keys == art_keys)
			continue;
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		if (keys[i] == NULL || !json_is_string(x)) {
			*bad = key;
			return -1;
		}
		*slots[i] = json_string_value(x);
	}
	return 0;
}

static int
part_from(struct sbx_audit_event *ev, const char *key, json_t *x,
    const char **bad)
{
	static const char *const sig[] = { "key_id", "name", "subject", NULL };
	static const char *const pol[] = { "path", "sha256", "rule", NULL };
	const char **aslot[] = { &ev->artifact.path, &ev->artifact.sha256 };
	const char **sslot[] = { &ev->signer.key_id, &ev->signer.name,
	    &ev->signer.subject };
	const char **pslot[] = { &ev->policy.path, &ev->policy.sha256,
	    &ev->policy.rule };
	json_t *size;

	*bad = key;
	if (!json_is_object(x))
		return -1;
	if (strcmp(key, "artifact") == 0) {
		size = json_object_get(x, "size");
		if (size != NULL && (!json_is_integer(size) ||
		    json_integer_value(size) < 0))
			return -1;
		ev->artifact.size = size ? json_integer_value(size) : -1;
		return strings_from(x, art_keys, aslot, bad);
	}
	if (strcmp(key, "signer") == 0)
		return strings_from(x, sig, sslot, bad);
	if (strcmp(key, "policy") == 0)
		return strings_from(x, pol, pslot, bad);
	return -1;
}

static int
violation_part(struct sbx_audit_event *ev, json_t *x)
{
	const char *key;
	json_t *y;

	if (!json_is_object(x))
		return -1;
	json_object_foreach(x, key, y) {
		if (strcmp(key, "type") == 0) {
			if (violation_from(&ev->violation.type,
			    json_string_value(y)) == -1)
				return -1;
		} else if (strcmp(key, "detail") == 0 && json_is_string(y)) {
			ev->violation.detail = json_string_value(y);
		} else {
			return -1;
		}
	}
	return 0;
}

int
sbx_audit_event_from_json(struct sbx_audit_event *ev, const json_t *obj,
    struct sbx_err *err)
{
	const char *key, *bad = NULL, *s;
	json_t *x;
	int r;

	sbx_audit_event_init(ev, SBX_AUDIT_CHECK, NULL);
	if (!json_is_object(obj))
		return sbx_err_set(err, SBX_ECONFIG, "event: not an object");
	if (json_object_get(obj, "event") == NULL)
		return sbx_err_set(err, SBX_ECONFIG, "event: missing member "
		    "\"event\"");
	json_object_foreach((json_t *)obj, key, x) {
		s = json_string_value(x);
		if (strcmp(key, "event") == 0)
			r = kind_from(&ev->kind, s);
		else if (strcmp(key, "decision") == 0)
			r = decision_from(&ev->decision, s);
		else if (strcmp(key, "violation") == 0)
			r = violation_part(ev, x);
		else if (strcmp(key, "tenant") == 0 && s != NULL)
			r = (ev->tenant = s, 0);
		else if (strcmp(key, "operation") == 0 && s != NULL)
			r = (ev->operation = s, 0);
		else if (strcmp(key, "tool") == 0 && s != NULL)
			r = (ev->tool = s, 0);
		else if (strcmp(key, "artifact") == 0 ||
		    strcmp(key, "signer") == 0 || strcmp(key, "policy") == 0)
			r = part_from(ev, key, x, &bad);
		else
			r = -1;
		if (r == -1)
			return sbx_err_set(err, SBX_ECONFIG, "event: member "
			    "\"%s%s%s\": unknown, bad value, or set by the "
			    "writer", key, bad && strcmp(bad, key) != 0 ? "." :
			    "", bad && strcmp(bad, key) != 0 ? bad : "");
		bad = NULL;
	}
	return SBX_OK;
}

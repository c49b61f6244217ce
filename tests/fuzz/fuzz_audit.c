/* tests/fuzz/fuzz_audit.c: audit verifier and sink formats, hostile input. */
/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <sbx/audit.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
count_lines(const uint8_t *data, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	return n + (size > 0 && data[size - 1] != '\n');
}

/* Findings must point into the input and name a known problem. */
static void
check_verify(const uint8_t *data, size_t size, bool allow_partial)
{
	const struct sbx_audit_finding *f;
	struct sbx_audit_verify *v = NULL;
	size_t i, lines = count_lines(data, size);
	int rc;

	if (sbx_audit_verify_new(&v, NULL, NULL) != SBX_OK)
		abort();
	if (sbx_audit_verify_buf(v, "fuzz", (const char *)data, size, NULL) !=
	    SBX_OK)
		goto done;
	rc = sbx_audit_verify_finish(v, allow_partial, NULL);
	if (rc != SBX_OK && rc != SBX_EREJECT && rc != SBX_ENOMEM)
		abort();
	if (sbx_audit_verify_events(v) > lines)
		abort();
	for (i = 0; (f = sbx_audit_verify_finding(v, i)) != NULL; i++) {
		if (f->line < 1 || f->line > lines ||
		    f->problem < SBX_AUDIT_EDITED ||
		    f->problem > SBX_AUDIT_PARTIAL)
			abort();
		/* Accepted means no finding but allowed partial lines. */
		if (rc == SBX_OK && (!allow_partial ||
		    f->problem != SBX_AUDIT_PARTIAL))
			abort();
	}
done:
	sbx_audit_verify_free(v);
}

/* Every sink can format every event line; JSON bodies are JSON. */
static void
check_formats(const char *line, size_t len)
{
	struct sbx_buf b = { 0 };
	json_t *j;
	int sink, rc;

	for (sink = SBX_SINK_FILE; sink < SBX_SINK_COUNT; sink++) {
		b.len = 0;
		rc = sbx_audit_format(&b, sink, line, len, 10, NULL);
		if (rc == SBX_EREJECT && sink == SBX_SINK_FILE)
			break;		/* not an event: no sink takes it */
		if (rc != SBX_OK && rc != SBX_ENOMEM)
			abort();
		if (rc == SBX_OK && (sink == SBX_SINK_LOKI ||
		    sink == SBX_SINK_OTLP)) {
			if ((j = json_loadb((char *)b.p, b.len, 0, NULL)) ==
			    NULL)
				abort();
			json_decref(j);
		}
	}
	sbx_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	char text[128];
	int64_t ms;
	char tid[33], sid[17], flags[3];

	check_verify(data, size, false);
	check_verify(data, size, true);
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		check_formats(p, (size_t)(nl - p));
	}

	/* The short text parsers, on the first bytes. */
	memcpy(text, data, size < sizeof(text) - 1 ? size : sizeof(text) - 1);
	text[size < sizeof(text) - 1 ? size : sizeof(text) - 1] = '\0';
	(void)sbx_audit_time_parse(&ms, text, 0);
	if (sbx_audit_traceparent(tid, sid, flags, text) &&
	    (strlen(tid) != 32 || strlen(sid) != 16 || strlen(flags) != 2))
		abort();
	return 0;
}

/* tests/fuzz/fuzz_manifest.c: parse, rewrite and reparse manifest text. */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sbx/buf.h>
#include <sbx/err.h>
#include <sbx/manifest.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
require(int ok)
{
	if (!ok)
		abort();
}

/* What any accepted section must look like. */
static void
check_section(const struct sbx_manifest *m, const struct sbx_mf_section *s,
    size_t *at)
{
	const struct sbx_mf_attr *a;
	size_t i;

	require(s->raw >= m->bytes + *at);
	require(s->raw + s->raw_len <= m->bytes + m->len);
	require(s->raw_len > 0);
	*at = (size_t)(s->raw - m->bytes) + s->raw_len;
	for (i = 0; i < s->nattrs; i++) {
		a = &s->attrs[i];
		require(strlen(a->name) >= 1 &&
		    strlen(a->name) <= SBX_MF_NAME_MAX);
		require(a->value[a->value_len] == '\0');
		require(memchr(a->value, '\0', a->value_len) == NULL);
		require(memchr(a->value, '\r', a->value_len) == NULL);
		require(memchr(a->value, '\n', a->value_len) == NULL);
		require(sbx_manifest_attr(s, a->name) == a);
	}
}

static void
write_section(struct sbx_buf *out, const struct sbx_mf_section *s)
{
	struct sbx_err err = { 0 };
	size_t i;

	for (i = 0; i < s->nattrs; i++)
		require(sbx_manifest_put(out, s->attrs[i].name,
		    s->attrs[i].value, s->attrs[i].value_len, &err) == SBX_OK);
	require(sbx_manifest_end_section(out, &err) == SBX_OK);
}

static void
same_section(const struct sbx_mf_section *a, const struct sbx_mf_section *b)
{
	size_t i;

	require(a->nattrs == b->nattrs);
	require((a->name == NULL) == (b->name == NULL));
	require(a->name == NULL || strcmp(a->name, b->name) == 0);
	for (i = 0; i < a->nattrs; i++) {
		require(strcmp(a->attrs[i].name, b->attrs[i].name) == 0);
		require(a->attrs[i].value_len == b->attrs[i].value_len);
		require(memcmp(a->attrs[i].value, b->attrs[i].value,
		    a->attrs[i].value_len) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_manifest *m = NULL, *again = NULL;
	struct sbx_buf out = { 0 };
	struct sbx_err err = { 0 };
	size_t i, at = 0;
	int rc;

	rc = sbx_manifest_parse(&m, data, size, "fuzz", &err);
	if (rc != SBX_OK) {
		require(rc == SBX_EREJECT && m == NULL);
		require(err.violation == SBX_V_MALFORMED_ARCHIVE);
		require(strncmp(err.msg, "fuzz: line ", 11) == 0);
		return 0;
	}

	require(m->main.raw == m->bytes && m->main.name == NULL);
	check_section(m, &m->main, &at);
	for (i = 0; i < m->nsections; i++) {
		check_section(m, &m->sections[i], &at);
		require(m->sections[i].nattrs >= 1);
		require(m->sections[i].name == m->sections[i].attrs[0].value);
		require(sbx_manifest_section(m, m->sections[i].name) <=
		    &m->sections[i]);
	}

	/* Written back by our writer, every value must read the same. */
	write_section(&out, &m->main);
	for (i = 0; i < m->nsections; i++)
		write_section(&out, &m->sections[i]);
	rc = sbx_manifest_parse(&again, out.p, out.len, "again", &err);
	require(rc == SBX_OK);
	require(again->nsections == m->nsections);
	same_section(&m->main, &again->main);
	for (i = 0; i < m->nsections; i++)
		same_section(&m->sections[i], &again->sections[i]);

	sbx_manifest_free(again);
	sbx_manifest_free(m);
	sbx_buf_free(&out);
	return 0;
}

/* lib/manifest.c: JAR manifest and signature-file text: parse and write. */
/* SPDX-License-Identifier: ISC */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sbx/manifest.h>

/* One physical line: off..off+len, then a line end of end-off-len bytes. */
struct mf_line {
	size_t	off;
	size_t	len;
	size_t	end;
};

struct mf_parser {
	struct sbx_manifest *m;
	const char	*what;
	size_t		 pos;		/* where the next line starts */
	size_t		 lineno;	/* number of the last line taken */
	size_t		 nblank;	/* empty lines: sections at most + 1 */
	struct sbx_err	*err;
};

static bool
ascii_eq_nocase(const char *a, const char *b)
{
	unsigned char ca, cb;

	do {
		ca = (unsigned char)*a++;
		cb = (unsigned char)*b++;
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return false;
	} while (ca != '\0');
	return true;
}

static int
ascii_cmp_nocase(const char *a, const char *b)
{
	unsigned char ca, cb;

	do {
		ca = (unsigned char)*a++;
		cb = (unsigned char)*b++;
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
	} while (ca == cb && ca != '\0');
	return (int)ca - (int)cb;
}

/* java.util.jar.Attributes.Name: 1 to 70 of A-Z a-z 0-9 - _. */
static bool
is_valid_name(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > SBX_MF_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/*
 * The line at offset pos: it ends at CRLF, LF or CR alone (the JAR
 * specification's newline). Without a line end, end == len.
 */
static bool
line_at(const unsigned char *p, size_t len, size_t pos, struct mf_line *l)
{
	size_t i;

	if (pos >= len)
		return false;
	for (i = pos; i < len && p[i] != '\r' && p[i] != '\n'; i++)
		continue;
	l->off = pos;
	l->len = i - pos;
	if (i < len && p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
		l->end = i + 2;
	else if (i < len)
		l->end = i + 1;
	else
		l->end = len;
	return true;
}

static int
reject_line(struct mf_parser *ps, size_t lineno, const char *why)
{
	return sbx_err_reject(ps->err, SBX_V_MALFORMED_ARCHIVE,
	    "%s: line %zu: %s", ps->what, lineno, why);
}

static int
nomem(struct mf_parser *ps)
{
	return sbx_err_set(ps->err, SBX_ENOMEM, "%s: out of memory",
	    ps->what);
}

/*
 * Byte-level checks of every line before any structure is read, so the
 * first bad line in the file is the one reported.
 */
static int
check_lines(struct mf_parser *ps)
{
	const unsigned char *p = ps->m->bytes;
	size_t len = ps->m->len, pos = 0, n = 0;
	struct mf_line l;

	if (len == 0)
		return reject_line(ps, 1, "empty manifest");

	while (line_at(p, len, pos, &l)) {
		n++;
		ps->nblank += l.len == 0;
		if (memchr(p + l.off, '\0', l.len) != NULL)
			return reject_line(ps, n, "NUL byte");
		if (l.end - l.off > SBX_MF_READ_MAX)
			return reject_line(ps, n, "line too long");
		/* The JDK silently drops an unterminated last line. */
		if (l.end == l.off + l.len)
			return reject_line(ps, n,
			    "no line end at the end of the input");
		pos = l.end;
	}
	return SBX_OK;
}

static bool
next_line(struct mf_parser *ps, struct mf_line *l)
{
	if (!line_at(ps->m->bytes, ps->m->len, ps->pos, l))
		return false;
	ps->pos = l->end;
	ps->lineno++;
	return true;
}

static bool
is_continuation(struct mf_parser *ps, size_t pos)
{
	struct mf_line l;

	if (!line_at(ps->m->bytes, ps->m->len, pos, &l))
		return false;
	return l.len > 0 && ps->m->bytes[l.off] == ' ';
}

/*
 * n bytes (copied from src unless NULL) and a NUL from the manifest's
 * string block. It was sized to the input: a name and its value take
 * no more than their header line, where ": " stands for the two NULs,
 * and a continuation line gives one byte less than it holds, so the
 * block cannot run out.
 */
static char *
put_string(struct mf_parser *ps, const void *src, size_t n)
{
	struct sbx_manifest *m = ps->m;
	char *at = m->strings + m->strings_len;

	assert(m->strings_len + n + 1 <= m->len + 1);
	if (src != NULL)
		memcpy(at, src, n);
	at[n] = '\0';
	m->strings_len += n + 1;
	return at;
}

static int
grow_attrs(struct mf_parser *ps, struct sbx_mf_section *s, size_t *cap)
{
	struct sbx_mf_attr *a;
	size_t n;

	if (s->nattrs < *cap)
		return SBX_OK;
	/* Most sections hold a name and one digest: start small. */
	n = *cap ? *cap * 2 : 2;
	if (n > SIZE_MAX / sizeof(*a) ||
	    (a = realloc(s->attrs, n * sizeof(*a))) == NULL)
		return nomem(ps);
	s->attrs = a;
	*cap = n;
	return SBX_OK;
}

/* Value bytes: the rest of the header line, then each continuation. */
static int
read_value(struct mf_parser *ps, struct sbx_mf_attr *a, size_t from,
    size_t to)
{
	const unsigned char *p = ps->m->bytes;
	struct mf_line l;
	size_t n = to - from, pos = ps->pos;

	while (is_continuation(ps, pos)) {
		line_at(p, ps->m->len, pos, &l);
		n += l.len - 1;
		pos = l.end;
	}
	a->value = put_string(ps, NULL, n);

	memcpy(a->value, p + from, to - from);
	a->value_len = to - from;
	while (is_continuation(ps, ps->pos)) {
		next_line(ps, &l);
		memcpy(a->value + a->value_len, p + l.off + 1, l.len - 1);
		a->value_len += l.len - 1;
	}
	a->value[a->value_len] = '\0';
	return SBX_OK;
}

/* A "Name: value" line l, with its continuations, as a new attribute. */
static int
add_attr(struct mf_parser *ps, struct sbx_mf_section *s, size_t *cap,
    const struct mf_line *l)
{
	const char *p = (const char *)ps->m->bytes + l->off;
	const char *colon;
	struct sbx_mf_attr *a;
	size_t nlen;
	int rc;

	colon = memchr(p, ':', l->len);
	if (colon == NULL || (size_t)(colon - p) + 1 >= l->len ||
	    colon[1] != ' ')
		return reject_line(ps, ps->lineno, "header without \": \"");
	nlen = (size_t)(colon - p);
	if (!is_valid_name(p, nlen))
		return reject_line(ps, ps->lineno, "bad header name");

	if ((rc = grow_attrs(ps, s, cap)) != SBX_OK)
		return rc;
	a = &s->attrs[s->nattrs];
	memset(a, 0, sizeof(*a));
	a->line = ps->lineno;
	a->name = put_string(ps, p, nlen);
	s->nattrs++;
	return read_value(ps, a, l->off + nlen + 2, l->off + l->len);
}

static int
cmp_attr(const void *x, const void *y)
{
	const struct sbx_mf_attr *a = *(const struct sbx_mf_attr *const *)x;
	const struct sbx_mf_attr *b = *(const struct sbx_mf_attr *const *)y;
	int c;

	if ((c = ascii_cmp_nocase(a->name, b->name)) != 0)
		return c;
	return a->line < b->line ? -1 : a->line > b->line;
}

/*
 * The JDK keeps the last of two equal names and a first-match reader
 * the first; refusing both keeps every reader on the same value. Sorted,
 * so a section of thousands of attributes stays cheap.
 */
static int
check_duplicates(struct mf_parser *ps, const struct sbx_mf_section *s)
{
	const struct sbx_mf_attr **v, *first = NULL, *dup = NULL;
	char why[160];
	size_t i;

	if (s->nattrs < 2)
		return SBX_OK;
	if ((v = calloc(s->nattrs, sizeof(*v))) == NULL)
		return nomem(ps);
	for (i = 0; i < s->nattrs; i++)
		v[i] = &s->attrs[i];
	qsort(v, s->nattrs, sizeof(*v), cmp_attr);

	/* Report the duplicate that comes first in the file. */
	for (i = 1; i < s->nattrs; i++) {
		if (ascii_cmp_nocase(v[i - 1]->name, v[i]->name) != 0)
			continue;
		if (dup == NULL || v[i]->line < dup->line) {
			first = v[i - 1];
			dup = v[i];
		}
	}
	free(v);
	if (dup == NULL)
		return SBX_OK;
	snprintf(why, sizeof(why), "duplicate attribute %s (first on line %zu)",
	    dup->name, first->line);
	return reject_line(ps, dup->line, why);
}

/* One section from ps->pos through its blank line or the end. */
static int
read_section(struct mf_parser *ps, struct sbx_mf_section *s, bool named)
{
	struct mf_line l;
	size_t start = ps->pos, cap = 0;
	int rc;

	s->line = ps->lineno + 1;
	while (next_line(ps, &l) && l.len > 0) {
		if (ps->m->bytes[l.off] == ' ')
			return reject_line(ps, ps->lineno,
			    "continuation line at the start of a section");
		if ((rc = add_attr(ps, s, &cap, &l)) != SBX_OK)
			return rc;
		if (named && s->nattrs == 1 &&
		    !ascii_eq_nocase(s->attrs[0].name, "Name"))
			return reject_line(ps, s->attrs[0].line,
			    "section does not start with Name:");
	}
	s->raw = ps->m->bytes + start;
	s->raw_len = ps->pos - start;
	if (named)
		s->name = s->attrs[0].value;
	return check_duplicates(ps, s);
}

static int
read_sections(struct mf_parser *ps)
{
	struct sbx_manifest *m = ps->m;
	struct sbx_mf_section *v;
	struct mf_line l;
	size_t cap = 0, n;
	int rc;

	if ((rc = read_section(ps, &m->main, false)) != SBX_OK)
		return rc;

	for (;;) {
		/* Extra blank lines: empty sections the JDK skips. */
		while (line_at(m->bytes, m->len, ps->pos, &l) && l.len == 0)
			next_line(ps, &l);
		if (ps->pos >= m->len)
			return SBX_OK;

		/* Each named section follows an empty line: one array. */
		if (m->nsections == cap) {
			n = cap ? cap * 2 : ps->nblank + 1;
			if (n > SIZE_MAX / sizeof(*v) || (v = realloc(
			    m->sections, n * sizeof(*v))) == NULL)
				return nomem(ps);
			m->sections = v;
			cap = n;
		}
		memset(&m->sections[m->nsections], 0, sizeof(*v));
		m->nsections++;
		rc = read_section(ps, &m->sections[m->nsections - 1], true);
		if (rc != SBX_OK)
			return rc;
	}
}

static void
free_section(struct sbx_mf_section *s)
{
	free(s->attrs);
}

static int
parse_owned(struct sbx_manifest **out, unsigned char *bytes, size_t len,
    const char *what, struct sbx_err *err)
{
	struct sbx_manifest *m = NULL;
	struct mf_parser ps = { .what = what, .err = err };
	int rc = SBX_EINTERNAL;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		free(bytes);
		return sbx_err_set(err, SBX_ENOMEM, "%s: out of memory", what);
	}
	m->bytes = bytes;
	m->len = len;
	ps.m = m;

	if ((rc = check_lines(&ps)) != SBX_OK)
		goto done;
	if ((m->strings = malloc(len + 1)) == NULL) {
		rc = nomem(&ps);
		goto done;
	}
	if ((rc = read_sections(&ps)) != SBX_OK)
		goto done;

	*out = m;
	m = NULL;
	rc = SBX_OK;
done:
	sbx_manifest_free(m);
	return rc;
}

int
sbx_manifest_parse(struct sbx_manifest **out, const void *buf, size_t len,
    const char *what, struct sbx_err *err)
{
	unsigned char *copy;

	assert(out != NULL && what != NULL && (buf != NULL || len == 0));
	*out = NULL;

	if ((copy = malloc(len ? len : 1)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "%s: out of memory", what);
	if (len > 0)
		memcpy(copy, buf, len);
	return parse_owned(out, copy, len, what, err);
}

int
sbx_manifest_parse_owned(struct sbx_manifest **out, unsigned char *buf,
    size_t len, const char *what, struct sbx_err *err)
{
	assert(out != NULL && what != NULL && buf != NULL);
	return parse_owned(out, buf, len, what, err);
}

void
sbx_manifest_free(struct sbx_manifest *m)
{
	size_t i;

	if (m == NULL)
		return;
	free_section(&m->main);
	for (i = 0; i < m->nsections; i++)
		free_section(&m->sections[i]);
	free(m->sections);
	free(m->strings);
	free(m->bytes);
	free(m);
}

const struct sbx_mf_attr *
sbx_manifest_attr(const struct sbx_mf_section *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nattrs; i++)
		if (ascii_eq_nocase(s->attrs[i].name, name))
			return &s->attrs[i];
	return NULL;
}

const struct sbx_mf_section *
sbx_manifest_section(const struct sbx_manifest *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nsections; i++)
		if (strcmp(m->sections[i].name, name) == 0)
			return &m->sections[i];
	return NULL;
}

/*
 * Fold line as java.util.jar.Manifest.println72 (JDK 11 and later): the
 * first line takes one byte more than the 71 after each "\r\n ".
 */
static int
put_folded(struct sbx_buf *out, const unsigned char *line, size_t n,
    struct sbx_err *err)
{
	size_t pos = 1;
	int rc;

	if ((rc = sbx_buf_add(out, line, 1, err)) != SBX_OK)
		return rc;
	while (n - pos > SBX_MF_LINE_MAX - 1) {
		if ((rc = sbx_buf_add(out, line + pos, SBX_MF_LINE_MAX - 1,
		    err)) != SBX_OK ||
		    (rc = sbx_buf_add(out, "\r\n ", 3, err)) != SBX_OK)
			return rc;
		pos += SBX_MF_LINE_MAX - 1;
	}
	if ((rc = sbx_buf_add(out, line + pos, n - pos, err)) != SBX_OK)
		return rc;
	return sbx_buf_add(out, "\r\n", 2, err);
}

static bool
has_line_break(const char *value, size_t n)
{
	return n > 0 && (memchr(value, '\r', n) != NULL ||
	    memchr(value, '\n', n) != NULL || memchr(value, '\0', n) != NULL);
}

int
sbx_manifest_put(struct sbx_buf *out, const char *name, const char *value,
    size_t value_len, struct sbx_err *err)
{
	struct sbx_buf line = { 0 };
	size_t nlen, was = out->len;
	int rc = SBX_EINTERNAL;

	assert(name != NULL && (value != NULL || value_len == 0));
	nlen = strlen(name);
	if (!is_valid_name(name, nlen)) {
		rc = sbx_err_set(err, SBX_EINTERNAL,
		    "manifest attribute name \"%.80s\" is not 1 to %d of "
		    "A-Z a-z 0-9 - _", name, SBX_MF_NAME_MAX);
		goto done;
	}
	if (has_line_break(value, value_len)) {
		rc = sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE,
		    "manifest value for %s holds a line break or NUL byte",
		    name);
		goto done;
	}

	if ((rc = sbx_buf_add(&line, name, nlen, err)) != SBX_OK ||
	    (rc = sbx_buf_add(&line, ": ", 2, err)) != SBX_OK ||
	    (rc = sbx_buf_add(&line, value, value_len, err)) != SBX_OK)
		goto done;
	rc = put_folded(out, line.p, line.len, err);
done:
	if (rc != SBX_OK && out->len > was) {
		out->len = was;
		out->p[was] = '\0';
	}
	sbx_buf_free(&line);
	return rc;
}

int
sbx_manifest_end_section(struct sbx_buf *out, struct sbx_err *err)
{
	return sbx_buf_add(out, "\r\n", 2, err);
}

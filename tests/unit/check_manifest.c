/* tests/unit/check_manifest.c: JAR manifest parser and writer. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <sbx/buf.h>
#include <sbx/err.h>
#include <sbx/file.h>
#include <sbx/manifest.h>

#define DATA	SBX_TEST_DATA "/manifest"

/* A byte string literal and its length, NULs included. */
#define S(x)	x, sizeof(x) - 1

/* Same as ManifestGen.NAME70. */
#define NAME70	"N234567890123456789012345678901234567890" \
		"123456789012345678901234567890"

static void
load(struct sbx_buf *b, const char *name)
{
	struct sbx_err err = { 0 };
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", DATA, name);
	ck_assert_msg(sbx_file_read(b, path, 1 << 20, &err) == SBX_OK,
	    "%s (run tests/data/make-manifest-fixtures.sh)", err.msg);
}

static struct sbx_manifest *
parse_ok(const void *p, size_t n)
{
	struct sbx_manifest *m = NULL;
	struct sbx_err err = { 0 };
	int rc;

	rc = sbx_manifest_parse(&m, p, n, "t.mf", &err);
	ck_assert_msg(rc == SBX_OK, "rc %d: %s", rc, err.msg);
	ck_assert_ptr_nonnull(m);
	return m;
}

static void
assert_raw(const struct sbx_mf_section *s, const char *raw, size_t n)
{
	ck_assert_uint_eq(s->raw_len, n);
	ck_assert_msg(memcmp(s->raw, raw, n) == 0, "raw bytes differ");
}

static void
assert_attr(const struct sbx_mf_section *s, size_t i, const char *name,
    const char *value, size_t line)
{
	ck_assert_uint_gt(s->nattrs, i);
	ck_assert_str_eq(s->attrs[i].name, name);
	ck_assert_uint_eq(s->attrs[i].value_len, strlen(value));
	ck_assert_str_eq(s->attrs[i].value, value);
	ck_assert_uint_eq(s->attrs[i].line, line);
}

/* "a7" is 7 bytes a..z, "e3" 3 U+00E9, "k3" 3 U+20AC, "g3" 3 U+1F600. */
static void
expand(struct sbx_buf *b, const char *spec)
{
	static const char *const utf8[] = {
		['e'] = "\xc3\xa9", ['k'] = "\xe2\x82\xac",
		['g'] = "\xf0\x9f\x98\x80",
	};
	struct sbx_err err = { 0 };
	char kind, c, *end;
	long k, n;

	while (*spec != '\0') {
		kind = *spec++;
		n = strtol(spec, &end, 10);
		spec = end;
		for (k = 0; k < n; k++) {
			c = (char)('a' + k % 26);
			ck_assert_int_eq(kind == 'a' ?
			    sbx_buf_add(b, &c, 1, &err) :
			    sbx_buf_puts(b, utf8[(unsigned char)kind], &err),
			    SBX_OK);
		}
	}
}

/* What ManifestGen.fold(id) gives to java.util.jar.Manifest.write(). */
static void
fold_expected(struct sbx_buf *out, struct sbx_buf *value, const char *id)
{
	struct sbx_err err = { 0 };
	const char *name = NULL, *spec;

	if (strncmp(id, "main-X-", 7) == 0) {
		name = "X";
		spec = id + 7;
	} else if (strncmp(id, "main-N70-", 9) == 0) {
		name = NAME70;
		spec = id + 9;
	} else {
		ck_assert_msg(strncmp(id, "entry-", 6) == 0, "bad id %s", id);
		spec = id + 6;
	}
	expand(value, spec);

	ck_assert_int_eq(sbx_manifest_put(out, "Manifest-Version", "1.0", 3,
	    &err), SBX_OK);
	if (name != NULL)
		ck_assert_int_eq(sbx_manifest_put(out, name,
		    (char *)value->p, value->len, &err), SBX_OK);
	ck_assert_int_eq(sbx_manifest_end_section(out, &err), SBX_OK);
	if (name != NULL)
		return;
	ck_assert_int_eq(sbx_manifest_put(out, "Name", (char *)value->p,
	    value->len, &err), SBX_OK);
	ck_assert_int_eq(sbx_manifest_put(out, "SHA-256-Digest",
	    S("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="), &err), SBX_OK);
	ck_assert_int_eq(sbx_manifest_end_section(out, &err), SBX_OK);
}

/*
 * Header line lengths around the cuts at 72, 143 (72 + 71) and 214 bytes;
 * "X: " is 3 bytes, "Name: " 6. Must match ManifestGen.FOLD.
 */
static const struct {
	const char *id;
	const char *reason;
} fold_cases[] = {
	{ "main-X-a0", "empty value: \"X: \" and nothing more" },
	{ "main-X-a68", "71-byte line: one short of the limit" },
	{ "main-X-a69", "72-byte line: exactly the limit, no fold" },
	{ "main-X-a70", "73 bytes: one byte moves to a continuation" },
	{ "main-X-a71", "74 bytes: two bytes continued" },
	{ "main-X-a72", "75 bytes" },
	{ "main-X-a73", "76 bytes" },
	{ "main-X-a74", "77 bytes" },
	{ "main-X-a75", "78 bytes" },
	{ "main-X-a139", "142 bytes: continuation one short of full" },
	{ "main-X-a140", "143 bytes: 72 + 71, no empty third line" },
	{ "main-X-a141", "144 bytes: one byte on a third line" },
	{ "main-X-a142", "145 bytes" },
	{ "main-X-a143", "146 bytes" },
	{ "main-X-a144", "147 bytes" },
	{ "main-X-a145", "148 bytes" },
	{ "main-X-a146", "149 bytes" },
	{ "main-X-a211", "214 bytes: 72 + 71 + 71 exactly" },
	{ "main-X-a212", "215 bytes: a fourth line" },
	{ "main-N70-a0", "longest name, empty value: 72 bytes" },
	{ "main-N70-a1", "longest name, 73 bytes" },
	{ "main-N70-a2", "longest name, 74 bytes" },
	{ "main-N70-a71", "longest name, 143 bytes" },
	{ "main-N70-a72", "longest name, 144 bytes" },
	{ "main-X-a68e1", "2-byte UTF-8 split 1|1 at byte 72" },
	{ "main-X-a67k1", "3-byte UTF-8 split 2|1" },
	{ "main-X-a68k1", "3-byte UTF-8 split 1|2" },
	{ "main-X-a66g1", "4-byte UTF-8 split 3|1" },
	{ "main-X-a67g1", "4-byte UTF-8 split 2|2" },
	{ "main-X-a68g1", "4-byte UTF-8 split 1|3" },
	{ "main-X-e100", "2-byte characters: split at 72, whole at 143" },
	{ "main-X-k60", "3-byte characters across three cuts" },
	{ "main-X-g50", "4-byte characters across three cuts" },
	{ "entry-a65", "Name: line of 71 bytes" },
	{ "entry-a66", "Name: line of 72 bytes" },
	{ "entry-a67", "Name: line of 73 bytes" },
	{ "entry-a68", "Name: line of 74 bytes" },
	{ "entry-a69", "Name: line of 75 bytes" },
	{ "entry-a137", "Name: line of 143 bytes" },
	{ "entry-a138", "Name: line of 144 bytes" },
	{ "entry-a139", "Name: line of 145 bytes" },
	{ "entry-a140", "Name: line of 146 bytes" },
	{ "entry-a65e1", "entry name: 2-byte character split" },
	{ "entry-a64k1", "entry name: 3-byte character split 2|1" },
	{ "entry-a65k1", "entry name: 3-byte character split 1|2" },
	{ "entry-a63g1", "entry name: 4-byte character split 3|1" },
	{ "entry-a64g1", "entry name: 4-byte character split 2|2" },
	{ "entry-a65g1", "entry name: 4-byte character split 1|3" },
	{ "entry-a136e1", "entry name: split at the second cut (143)" },
	{ "entry-e100", "entry name: whole at 72, split at 143" },
	{ "entry-k50", "entry name: 3-byte characters, 150 bytes" },
	{ "entry-g40", "entry name: 4-byte characters, 160 bytes" },
};

START_TEST(put_folds_exactly_like_java_manifest_write)
{
	struct sbx_buf want = { 0 }, got = { 0 }, value = { 0 };
	const struct sbx_mf_section *s;
	const struct sbx_mf_attr *a;
	struct sbx_manifest *m;
	char file[128];
	size_t i, start;

	snprintf(file, sizeof(file), "fold-%s.mf", fold_cases[_i].id);
	load(&want, file);
	fold_expected(&got, &value, fold_cases[_i].id);

	ck_assert_msg(got.len == want.len &&
	    memcmp(got.p, want.p, got.len) == 0, "%s: %s: got \"%s\"",
	    file, fold_cases[_i].reason, (char *)got.p);
	/* No line we write is over 72 bytes. */
	for (i = 0, start = 0; i < got.len; i++) {
		if (got.p[i] != '\n')
			continue;
		ck_assert_uint_le(i - 1 - start, SBX_MF_LINE_MAX);
		start = i + 1;
	}

	/* And the value reads back whole. */
	m = parse_ok(got.p, got.len);
	s = m->nsections ? &m->sections[0] : &m->main;
	a = &s->attrs[m->nsections ? 0 : 1];
	ck_assert_uint_eq(a->value_len, value.len);
	ck_assert(value.len == 0 || memcmp(a->value, value.p, value.len) == 0);
	sbx_manifest_free(m);
	sbx_buf_free(&want);
	sbx_buf_free(&got);
	sbx_buf_free(&value);
}
END_TEST

START_TEST(put_refuses_bad_names_and_line_breaks)
{
	static const struct {
		const char *name;
		const char *value;
		size_t len;
		int rc;
		const char *msg;
		const char *reason;
	} rows[] = {
		{ "", S("v"), SBX_EINTERNAL, "name \"\"",
		    "empty name" },
		{ NAME70 "1", S("v"), SBX_EINTERNAL, "1 to 70",
		    "71-byte name" },
		{ "A B", S("v"), SBX_EINTERNAL, "name \"A B\"",
		    "space in name" },
		{ "A:B", S("v"), SBX_EINTERNAL, "name \"A:B\"",
		    "colon in name" },
		{ "A.B", S("v"), SBX_EINTERNAL, "name \"A.B\"",
		    "dot in name" },
		{ "Name", S("a\nName: evil"), SBX_EREJECT,
		    "value for Name holds a line break",
		    "LF would forge a header" },
		{ "Name", S("a\rb"), SBX_EREJECT, "line break",
		    "CR alone is a line end too" },
		{ "Name", S("a\r\n"), SBX_EREJECT, "line break",
		    "CRLF at the end" },
		{ "Name", S("a\0b"), SBX_EREJECT, "NUL byte",
		    "NUL inside the value" },
	};
	struct sbx_buf out = { 0 };
	struct sbx_err err = { 0 };
	size_t i;
	int rc;

	ck_assert_int_eq(sbx_buf_puts(&out, "Keep: me\r\n", &err), SBX_OK);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&err, 0, sizeof(err));
		rc = sbx_manifest_put(&out, rows[i].name, rows[i].value,
		    rows[i].len, &err);
		ck_assert_msg(rc == rows[i].rc, "%s: rc %d", rows[i].reason,
		    rc);
		ck_assert_int_eq(err.violation, rows[i].rc == SBX_EREJECT ?
		    SBX_V_MALFORMED_ARCHIVE : SBX_V_INTERNAL_ERROR);
		ck_assert_msg(strstr(err.msg, rows[i].msg) != NULL,
		    "%s: %s", rows[i].reason, err.msg);
		/* A refused put leaves out as it was. */
		ck_assert_uint_eq(out.len, 10);
		ck_assert_str_eq((char *)out.p, "Keep: me\r\n");
	}
	sbx_buf_free(&out);
}
END_TEST

START_TEST(put_and_end_section_write_crlf)
{
	struct sbx_buf out = { 0 };
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_manifest_put(&out, "Manifest-Version", S("1.0"),
	    &err), SBX_OK);
	ck_assert_int_eq(sbx_manifest_end_section(&out, &err), SBX_OK);
	ck_assert_int_eq(sbx_manifest_put(&out, "Name", S("a b: c"), &err),
	    SBX_OK);
	ck_assert_int_eq(sbx_manifest_put(&out, "Empty", NULL, 0, &err),
	    SBX_OK);
	ck_assert_int_eq(sbx_manifest_end_section(&out, &err), SBX_OK);
	ck_assert_uint_eq(out.len, strlen((char *)out.p));
	ck_assert_str_eq((char *)out.p, "Manifest-Version: 1.0\r\n\r\n"
	    "Name: a b: c\r\nEmpty: \r\n\r\n");
	sbx_buf_free(&out);
}
END_TEST

/* One manifest, three line ends: the same attributes and sections. */
static const struct {
	const char *text;
	size_t main_len;
	size_t sec_len;
	const char *reason;
} eol_cases[] = {
	{ "Manifest-Version: 1.0\r\nCreated-By: t\r\n\r\n"
	    "Name: a/B.class\r\nSHA-256-Digest: x\r\n\r\n",
	    40, 38, "CRLF, as jarsigner writes" },
	{ "Manifest-Version: 1.0\nCreated-By: t\n\n"
	    "Name: a/B.class\nSHA-256-Digest: x\n\n",
	    37, 35, "LF alone" },
	{ "Manifest-Version: 1.0\rCreated-By: t\r\r"
	    "Name: a/B.class\rSHA-256-Digest: x\r\r",
	    37, 35, "CR alone" },
};

START_TEST(parse_accepts_crlf_lf_and_cr)
{
	const char *t = eol_cases[_i].text;
	struct sbx_manifest *m;

	m = parse_ok(t, strlen(t));
	ck_assert_uint_eq(m->len, strlen(t));
	ck_assert_ptr_ne(m->bytes, (const void *)t);
	ck_assert_ptr_null(m->main.name);
	ck_assert_uint_eq(m->main.line, 1);
	ck_assert_uint_eq(m->main.nattrs, 2);
	assert_attr(&m->main, 0, "Manifest-Version", "1.0", 1);
	assert_attr(&m->main, 1, "Created-By", "t", 2);
	assert_raw(&m->main, t, eol_cases[_i].main_len);

	ck_assert_uint_eq(m->nsections, 1);
	ck_assert_str_eq(m->sections[0].name, "a/B.class");
	ck_assert_uint_eq(m->sections[0].line, 4);
	assert_attr(&m->sections[0], 0, "Name", "a/B.class", 4);
	assert_attr(&m->sections[0], 1, "SHA-256-Digest", "x", 5);
	assert_raw(&m->sections[0], t + eol_cases[_i].main_len,
	    eol_cases[_i].sec_len);
	ck_assert_uint_eq(m->sections[0].raw_len + m->main.raw_len,
	    strlen(t));
	sbx_manifest_free(m);
}
END_TEST

START_TEST(parse_joins_continuation_lines_as_bytes)
{
	static const char t[] =
	    "Manifest-Version: 1.0\r\n"
	    "X-Joined: ab\r\n"
	    " cd\r\n"
	    " ef\r\n"
	    "X-Two-Spaces: ab\r\n"
	    "  cd\r\n"
	    "X-Empty-Cont: ab\r\n"
	    " \r\n"
	    " cd\r\n"
	    "X-Split-Utf8: caf\xc3\r\n"
	    " \xa9!\r\n"
	    "X-Colon: a: b\r\n"
	    "X-After: z\r\n"
	    "\r\n";
	struct sbx_manifest *m;

	m = parse_ok(S(t));
	ck_assert_uint_eq(m->main.nattrs, 7);
	assert_attr(&m->main, 1, "X-Joined", "abcdef", 2);
	/* Only the first space marks a continuation. */
	assert_attr(&m->main, 2, "X-Two-Spaces", "ab cd", 5);
	assert_attr(&m->main, 3, "X-Empty-Cont", "abcd", 7);
	/* A UTF-8 character cut by a writer is whole once joined. */
	assert_attr(&m->main, 4, "X-Split-Utf8", "caf\xc3\xa9!", 10);
	/* The first ": " ends the name; the rest is value. */
	assert_attr(&m->main, 5, "X-Colon", "a: b", 12);
	assert_attr(&m->main, 6, "X-After", "z", 13);
	assert_raw(&m->main, t, sizeof(t) - 1);
	ck_assert_uint_eq(m->nsections, 0);
	sbx_manifest_free(m);
}
END_TEST

START_TEST(parse_keeps_raw_bytes_of_each_section)
{
	/* Extra blank lines, a wrapped Name and an unterminated last one. */
	static const char t[] =
	    "Manifest-Version: 1.0\r\n"		/* 1 */
	    "\r\n"				/* 2 */
	    "\r\n"				/* 3: nobody's */
	    "\n"				/* 4: nobody's */
	    "Name: dir/long\r\n"		/* 5 */
	    " er.class\r\n"			/* 6 */
	    "SHA-256-Digest: x\r\n"		/* 7 */
	    "\r\n"				/* 8 */
	    "Name: b\n"				/* 9 */
	    "SHA-256-Digest: y\n";		/* 10 */
	static const char main_raw[] = "Manifest-Version: 1.0\r\n\r\n";
	static const char a_raw[] = "Name: dir/long\r\n er.class\r\n"
	    "SHA-256-Digest: x\r\n\r\n";
	static const char b_raw[] = "Name: b\nSHA-256-Digest: y\n";
	struct sbx_manifest *m;

	m = parse_ok(S(t));
	assert_raw(&m->main, main_raw, sizeof(main_raw) - 1);
	ck_assert_uint_eq(m->nsections, 2);
	ck_assert_str_eq(m->sections[0].name, "dir/longer.class");
	ck_assert_uint_eq(m->sections[0].line, 5);
	assert_raw(&m->sections[0], a_raw, sizeof(a_raw) - 1);
	ck_assert_ptr_eq(m->sections[0].raw, m->bytes + 28);
	ck_assert_str_eq(m->sections[1].name, "b");
	ck_assert_uint_eq(m->sections[1].line, 9);
	assert_attr(&m->sections[1], 1, "SHA-256-Digest", "y", 10);
	assert_raw(&m->sections[1], b_raw, sizeof(b_raw) - 1);
	ck_assert_ptr_eq(m->sections[1].raw + m->sections[1].raw_len,
	    m->bytes + m->len);
	sbx_manifest_free(m);
}
END_TEST

START_TEST(parse_keeps_attribute_order_and_duplicate_sections_apart)
{
	static const char t[] =
	    "Manifest-Version: 1.0\r\n"
	    "Zeta: 1\r\n"
	    "Alpha: 2\r\n"
	    "Mid: 3\r\n"
	    "Name: in-main\r\n"
	    "\r\n"
	    "Name: a.class\r\n"
	    "X-First: 1\r\n"
	    "\r\n"
	    "name: b.class\r\n"
	    "SHA-256-Digest: y\r\n"
	    "\r\n"
	    "Name: a.class\r\n"
	    "SHA-256-Digest: x\r\n"
	    "\r\n";
	const struct sbx_mf_section *s;
	struct sbx_manifest *m;

	m = parse_ok(S(t));
	ck_assert_uint_eq(m->main.nattrs, 5);
	assert_attr(&m->main, 1, "Zeta", "1", 2);
	assert_attr(&m->main, 2, "Alpha", "2", 3);
	assert_attr(&m->main, 3, "Mid", "3", 4);
	/* Name: in the main section is just an attribute. */
	assert_attr(&m->main, 4, "Name", "in-main", 5);
	ck_assert_ptr_null(m->main.name);

	ck_assert_uint_eq(m->nsections, 3);
	ck_assert_str_eq(m->sections[0].name, "a.class");
	ck_assert_str_eq(m->sections[1].name, "b.class");
	ck_assert_str_eq(m->sections[2].name, "a.class");
	assert_attr(&m->sections[0], 1, "X-First", "1", 8);
	assert_attr(&m->sections[2], 1, "SHA-256-Digest", "x", 14);

	/* Lookups: the first section with the exact name. */
	ck_assert_ptr_eq(sbx_manifest_section(m, "a.class"), &m->sections[0]);
	ck_assert_ptr_eq(sbx_manifest_section(m, "b.class"), &m->sections[1]);
	ck_assert_ptr_null(sbx_manifest_section(m, "A.class"));
	ck_assert_ptr_null(sbx_manifest_section(m, "in-main"));
	ck_assert_ptr_null(sbx_manifest_section(m, "a.clas"));

	/* Attribute names ignore case; values are exact. */
	s = &m->sections[1];
	ck_assert_ptr_eq(sbx_manifest_attr(s, "sha-256-digest"),
	    &s->attrs[1]);
	ck_assert_ptr_eq(sbx_manifest_attr(s, "NAME"), &s->attrs[0]);
	ck_assert_ptr_null(sbx_manifest_attr(s, "SHA-256-Digest-X"));
	ck_assert_ptr_null(sbx_manifest_attr(s, "SHA-256"));
	ck_assert_ptr_eq(sbx_manifest_attr(&m->main, "alpha"),
	    &m->main.attrs[2]);
	sbx_manifest_free(m);
}
END_TEST

START_TEST(parse_reads_leading_blank_line_as_empty_main_section)
{
	static const char t[] = "\r\nName: a\r\nX: 1\r\n\r\n";
	struct sbx_manifest *m;

	m = parse_ok(S(t));
	ck_assert_uint_eq(m->main.nattrs, 0);
	assert_raw(&m->main, "\r\n", 2);
	ck_assert_uint_eq(m->nsections, 1);
	ck_assert_uint_eq(m->sections[0].line, 2);
	assert_raw(&m->sections[0], t + 2, sizeof(t) - 3);
	sbx_manifest_free(m);
}
END_TEST

/* Long lines the JDK reads (limit: its 512-byte buffer). */
static const struct {
	size_t len;
	const char *eol;
	const char *reason;
} long_ok[] = {
	{ 73, "\r\n", "73 bytes, as in Debian's cdi-api.jar" },
	{ 510, "\r\n", "510 + CRLF fills the JDK's 512-byte buffer" },
	{ 511, "\n", "511 + LF fills it" },
	{ 511, "\r", "511 + CR fills it" },
};

START_TEST(parse_accepts_lines_the_jdk_reads)
{
	struct sbx_buf t = { 0 };
	struct sbx_err err = { 0 };
	struct sbx_manifest *m;
	size_t n = long_ok[_i].len - 3;

	ck_assert_int_eq(sbx_buf_printf(&t, &err, "M: 1%sX: %0*d%s%s",
	    long_ok[_i].eol, (int)n, 7, long_ok[_i].eol, long_ok[_i].eol),
	    SBX_OK);
	m = parse_ok(t.p, t.len);
	ck_assert_uint_eq(m->main.nattrs, 2);
	ck_assert_uint_eq(m->main.attrs[1].value_len, n);
	ck_assert_int_eq(m->main.attrs[1].value[n - 1], '7');
	assert_raw(&m->main, (char *)t.p, t.len);
	sbx_manifest_free(m);
	sbx_buf_free(&t);
}
END_TEST

/* Refusals: each names its line. */
static const struct {
	const char *text;
	size_t len;
	size_t line;
	const char *msg;
	const char *reason;
} bad[] = {
	{ S(""), 1, "empty manifest", "nothing to read" },
	{ S("A: 1\r\nB: x\0y\r\n\r\n"), 2, "NUL byte",
	    "NUL would end the value for C readers" },
	{ S("A: 1\r\n\r\n\0\r\n"), 3, "NUL byte", "NUL between sections" },
	{ S("A: 1\r\nB: 2"), 2, "no line end at the end of the input",
	    "the JDK drops an unterminated line" },
	{ S("A: 1\r\n\r\nName: x"), 3, "no line end",
	    "unterminated Name: line" },
	{ S("A: 1\r\nB:x\r\n"), 2, "header without \": \"",
	    "colon without space" },
	{ S("A: 1\r\nB\r\n"), 2, "header without \": \"", "no colon" },
	{ S("A: 1\r\nB:\r\n"), 2, "header without \": \"",
	    "colon at the end of the line" },
	{ S("A: 1\r\nB :x\r\n"), 2, "header without \": \"",
	    "space before the colon only" },
	{ S("A: 1\r\nX.Y: z\r\n"), 2, "bad header name", "dot in name" },
	{ S("A: 1\r\n: z\r\n"), 2, "bad header name", "empty name" },
	{ S("A: 1\r\nA B: c\r\n"), 2, "bad header name", "space in name" },
	{ S("\tA: 1\r\n"), 1, "bad header name", "tab before the name" },
	{ S("A: 1\r\n\xc3\x89: x\r\n"), 2, "bad header name",
	    "non-ASCII name" },
	{ S("A: 1\r\n" NAME70 "1: x\r\n"), 2, "bad header name",
	    "71-byte name" },
	{ S(" A: 1\r\n"), 1, "continuation line at the start of a section",
	    "continuation first in the main section" },
	{ S("A: 1\r\n\r\n x\r\n"), 3, "continuation line at the start",
	    "continuation first in a named section" },
	{ S("A: 1\r\n\r\n\r\n x\r\n"), 4, "continuation line at the start",
	    "continuation after extra blank lines" },
	{ S("A: 1\r\n\r\nB: x\r\n"), 3, "section does not start with Name:",
	    "named section without Name:" },
	{ S("A: 1\r\n\r\nB: x\r\nName: y\r\n\r\n"), 3,
	    "section does not start with Name:", "Name: second" },
	{ S("A: 1\r\n\r\nName-X: y\r\n\r\n"), 3,
	    "section does not start with Name:", "Name- prefix is not Name" },
	{ S("A: 1\r\nB: 2\r\na: 3\r\n\r\n"), 3,
	    "duplicate attribute a (first on line 1)",
	    "names differ only in case" },
	{ S("M: 1\r\n\r\nName: x\r\nSHA-256-Digest: a\r\n b\r\n"
	    "sha-256-DIGEST: c\r\n\r\n"), 6,
	    "duplicate attribute sha-256-DIGEST (first on line 4)",
	    "two digests for one entry: the JDK takes the last" },
	{ S("M: 1\r\n\r\nName: x\r\nname: y\r\n\r\n"), 4,
	    "duplicate attribute name (first on line 3)",
	    "two names for one section" },
	{ S("A: 1\r\nB: 1\r\nB: 2\r\nA: 2\r\n\r\n"), 3,
	    "duplicate attribute B (first on line 2)",
	    "the first duplicate in the file is reported" },
	{ S("M: 1\n\nName: a\nX: 1\n\nName: b\nbad\n"), 7,
	    "header without", "line numbers run across sections" },
	{ S("M: 1\rX: 1\r\rName: a\rbad\r"), 5, "header without",
	    "CR alone counts as a line end" },
	{ S("M: 1\r\r\nX: 2\r\n"), 3, "section does not start",
	    "CR then CRLF: a line and a blank line" },
};

/* Too-long lines, built at run time. */
static const struct {
	size_t len;
	const char *eol;
	const char *reason;
} long_bad[] = {
	{ 512, "\n", "512 + LF: the JDK says line too long" },
	{ 512, "\r", "512 + CR: the JDK says line too long" },
	{ 511, "\r\n", "511 + CRLF: the JDK sees a blank line after CR" },
	{ 4096, "\r\n", "far too long" },
};

static void
assert_refused(const void *text, size_t len, size_t line, const char *msg,
    const char *reason)
{
	struct sbx_manifest *m = (struct sbx_manifest *)1;
	struct sbx_err err = { 0 };
	char prefix[64];
	int rc;

	rc = sbx_manifest_parse(&m, text, len, "t.mf", &err);
	ck_assert_msg(rc == SBX_EREJECT, "%s: rc %d", reason, rc);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(err.code, SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_MALFORMED_ARCHIVE);
	snprintf(prefix, sizeof(prefix), "t.mf: line %zu: ", line);
	ck_assert_msg(strncmp(err.msg, prefix, strlen(prefix)) == 0 &&
	    strstr(err.msg, msg) != NULL, "%s: got \"%s\"", reason, err.msg);
}

START_TEST(parse_refuses_malformed_text)
{
	assert_refused(bad[_i].text, bad[_i].len, bad[_i].line, bad[_i].msg,
	    bad[_i].reason);
}
END_TEST

START_TEST(parse_refuses_lines_the_jdk_cannot_read)
{
	struct sbx_buf t = { 0 };
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_buf_printf(&t, &err, "M: 1%sX: %0*d%sY: 2%s%s",
	    long_bad[_i].eol, (int)long_bad[_i].len - 3, 7,
	    long_bad[_i].eol, long_bad[_i].eol, long_bad[_i].eol), SBX_OK);
	assert_refused(t.p, t.len, 2, "line too long", long_bad[_i].reason);
	sbx_buf_free(&t);
}
END_TEST

/* Hand-made layouts, read by the JDK. Must match ManifestGen.JDK. */
static const struct {
	const char *id;
	const char *reason;
} jdk_cases[] = {
	{ "crlf", "jarsigner's layout" },
	{ "lf", "LF line ends" },
	{ "cr", "CR line ends" },
	{ "mixed", "line ends mixed within and across sections" },
	{ "extra-blank", "extra blank lines belong to no section" },
	{ "no-last-blank", "last section runs to the end of the input" },
	{ "main-only", "main section without its blank line" },
	{ "dup-name", "sections sharing a name are digested together" },
	{ "wrapped-name", "Name: continued, UTF-8 split across lines" },
	{ "two-space", "continuations with extra and no bytes" },
	{ "lower-name", "nAmE: starts a section" },
	{ "leading-blank", "empty main section" },
	{ "cr-then-crlf", "CR then CRLF ends a section" },
	{ "long-line", "a 308-byte line" },
};

static size_t
unhex(unsigned char *out, const char *in, size_t n)
{
	size_t i;
	unsigned int b;

	for (i = 0; i < n / 2; i++) {
		ck_assert_int_eq(sscanf(in + 2 * i, "%2x", &b), 1);
		out[i] = (unsigned char)b;
	}
	return n / 2;
}

/* The raw bytes of every section called name, in order: the JDK's Entry. */
static void
raw_of(struct sbx_buf *out, const struct sbx_manifest *m, const char *name)
{
	struct sbx_err err = { 0 };
	size_t i;

	if (name == NULL) {
		ck_assert_int_eq(sbx_buf_add(out, m->main.raw,
		    m->main.raw_len, &err), SBX_OK);
		return;
	}
	for (i = 0; i < m->nsections; i++)
		if (strcmp(m->sections[i].name, name) == 0)
			ck_assert_int_eq(sbx_buf_add(out, m->sections[i].raw,
			    m->sections[i].raw_len, &err), SBX_OK);
}

/* The JDK keeps the last of repeated attributes across equal sections. */
static const struct sbx_mf_attr *
last_attr(const struct sbx_manifest *m, const char *sec, const char *attr)
{
	const struct sbx_mf_attr *a, *found = NULL;
	size_t i;

	if (sec == NULL)
		return sbx_manifest_attr(&m->main, attr);
	for (i = 0; i < m->nsections; i++)
		if (strcmp(m->sections[i].name, sec) == 0 &&
		    (a = sbx_manifest_attr(&m->sections[i], attr)) != NULL)
			found = a;
	return found;
}

START_TEST(parse_agrees_with_jdk_manifest_digester)
{
	struct sbx_buf mf = { 0 }, want = { 0 };
	struct sbx_manifest *m;
	char file[128], *line, *save = NULL, *f[4];
	unsigned char name[512], bytes[4096];
	size_t nraw = 0, nattr = 0, n, k, sections = 0;

	snprintf(file, sizeof(file), "jdk-%s.mf", jdk_cases[_i].id);
	load(&mf, file);
	snprintf(file, sizeof(file), "jdk-%s.txt", jdk_cases[_i].id);
	load(&want, file);
	m = parse_ok(mf.p, mf.len);

	for (line = strtok_r((char *)want.p, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		struct sbx_buf got = { 0 };
		const struct sbx_mf_attr *a;
		const char *sec = NULL;

		for (k = 0; k < 4; k++)
			f[k] = strsep(&line, "\t");
		if (strcmp(f[1], "-") != 0) {
			name[unhex(name, f[1], strlen(f[1]))] = '\0';
			sec = (char *)name;
		}
		if (f[0][0] == 'R') {
			n = unhex(bytes, f[2], strlen(f[2]));
			raw_of(&got, m, sec);
			ck_assert_msg(got.len == n &&
			    memcmp(got.p, bytes, n) == 0,
			    "%s: %s: raw of %s", file, jdk_cases[_i].reason,
			    sec ? sec : "main");
			sbx_buf_free(&got);
			nraw++;
			sections += sec != NULL;
		} else {
			n = unhex(bytes, f[3], strlen(f[3]));
			a = last_attr(m, sec, f[2]);
			ck_assert_msg(a != NULL && a->value_len == n &&
			    memcmp(a->value, bytes, n) == 0, "%s: %s: %s",
			    file, jdk_cases[_i].reason, f[2]);
			nattr++;
		}
	}
	ck_assert_uint_gt(nraw, 0);
	ck_assert_uint_gt(nattr, 0);
	/* Every distinct name we found, the JDK found. */
	for (n = 0, k = 0; k < m->nsections; k++)
		n += sbx_manifest_section(m, m->sections[k].name) ==
		    &m->sections[k];
	ck_assert_uint_eq(n, sections);
	sbx_manifest_free(m);
	sbx_buf_free(&mf);
	sbx_buf_free(&want);
}
END_TEST

/*
 * META-INF/MANIFEST.MF of Debian's JARs, unchanged. extra: bytes after
 * the main section's blank line (cdi-api.jar ends in a second blank
 * line, which no section owns).
 */
static const struct {
	const char *file;
	size_t extra;
	size_t nattrs;
	const char *premain;
	const char *agent;
	const char *check_name;
	const char *check_value;
} real[] = {
	{ "real-aspectjweaver.mf", 0, 7, "org.aspectj.weaver.loadtime.Agent",
	    "org.aspectj.weaver.loadtime.Agent", "Automatic-Module-Name",
	    "org.aspectj.weaver" },
	{ "real-byte-buddy-agent.mf", 0, 19, "net.bytebuddy.agent.Installer",
	    "net.bytebuddy.agent.Installer", "Bundle-Description",
	    "The Byte Buddy agent offers convenience for attaching an agent "
	    "to the local or a remote VM." },
	{ "real-jacocoagent.mf", 0, 8,
	    "org.jacoco.agent.rt.internal_0000.PreMain", NULL,
	    "Implementation-Title", "JaCoCo Java Agent" },
	{ "real-org.jacoco.agent.mf", 0, 16, NULL, NULL,
	    "Bundle-SymbolicName", "org.jacoco.agent" },
	{ "real-org.jacoco.agent.rt.mf", 0, 3, NULL, NULL, "Created-By",
	    "Maven JAR Plugin 3.3.0" },
	{ "real-org.jacoco.ant.mf", 0, 18, NULL, NULL, "Bundle-SymbolicName",
	    "org.jacoco.ant" },
	{ "real-org.jacoco.core.mf", 0, 17, NULL, NULL,
	    "Bundle-SymbolicName", "org.jacoco.core" },
	{ "real-org.jacoco.report.mf", 0, 17, NULL, NULL,
	    "Bundle-SymbolicName", "org.jacoco.report" },
	{ "real-cdi-api.mf", 1, 16, NULL, NULL, "Class-Path",
	    "/usr/share/java/atinject-jsr330-api.jar /usr/share/java/"
	    "el-api-3.0.jar "
	    "/usr/share/java/geronimo-interceptor-3.0-spec.jar" },
};

static void
assert_opt_attr(const struct sbx_mf_section *s, const char *name,
    const char *want)
{
	const struct sbx_mf_attr *a = sbx_manifest_attr(s, name);

	if (want == NULL) {
		ck_assert_ptr_null(a);
		return;
	}
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->value, want);
}

START_TEST(parse_reads_real_agent_manifests)
{
	struct sbx_buf mf = { 0 };
	struct sbx_manifest *m;

	load(&mf, real[_i].file);
	m = parse_ok(mf.p, mf.len);
	ck_assert_uint_eq(m->main.nattrs, real[_i].nattrs);
	assert_attr(&m->main, 0, "Manifest-Version", "1.0", 1);
	ck_assert_uint_eq(m->nsections, 0);
	assert_raw(&m->main, (char *)mf.p, mf.len - real[_i].extra);
	assert_opt_attr(&m->main, "Premain-Class", real[_i].premain);
	assert_opt_attr(&m->main, "Agent-Class", real[_i].agent);
	assert_opt_attr(&m->main, real[_i].check_name, real[_i].check_value);
	sbx_manifest_free(m);
	sbx_buf_free(&mf);
}
END_TEST

START_TEST(parse_copies_its_input)
{
	char t[] = "A: 1\r\n\r\nName: x\r\nB: 2\r\n\r\n";
	struct sbx_manifest *m;

	m = parse_ok(t, strlen(t));
	memset(t, 'z', strlen(t));
	ck_assert_str_eq(m->sections[0].name, "x");
	ck_assert(memcmp(m->main.raw, "A: 1\r\n\r\n", 8) == 0);
	sbx_manifest_free(m);
	sbx_manifest_free(NULL);
}
END_TEST

#define N(a)	((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
manifest_suite(void)
{
	Suite *s = suite_create("manifest");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, put_folds_exactly_like_java_manifest_write,
	    0, N(fold_cases));
	tcase_add_test(tc, put_refuses_bad_names_and_line_breaks);
	tcase_add_test(tc, put_and_end_section_write_crlf);
	tcase_add_loop_test(tc, parse_accepts_crlf_lf_and_cr, 0,
	    N(eol_cases));
	tcase_add_test(tc, parse_joins_continuation_lines_as_bytes);
	tcase_add_test(tc, parse_keeps_raw_bytes_of_each_section);
	tcase_add_test(tc,
	    parse_keeps_attribute_order_and_duplicate_sections_apart);
	tcase_add_test(tc,
	    parse_reads_leading_blank_line_as_empty_main_section);
	tcase_add_loop_test(tc, parse_accepts_lines_the_jdk_reads, 0,
	    N(long_ok));
	tcase_add_loop_test(tc, parse_refuses_malformed_text, 0, N(bad));
	tcase_add_loop_test(tc, parse_refuses_lines_the_jdk_cannot_read, 0,
	    N(long_bad));
	tcase_add_loop_test(tc, parse_agrees_with_jdk_manifest_digester, 0,
	    N(jdk_cases));
	tcase_add_loop_test(tc, parse_reads_real_agent_manifests, 0,
	    N(real));
	tcase_add_test(tc, parse_copies_its_input);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(manifest_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

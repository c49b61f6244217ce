/* policy/locate.c: find where a key path sits in JSON text, for messages. */
/* SPDX-License-Identifier: ISC */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "locate.h"

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
skip_ws(const char *t, size_t len, size_t i)
{
	while (i < len && is_ws(t[i]))
		i++;
	return i;
}

/* From the opening quote to just past the closing one (or len). */
static size_t
skip_string(const char *t, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (t[i] == '\\')
			i++;
		else if (t[i] == '"')
			return i + 1;
	}
	return len;
}

static bool
ends_scalar(char c)
{
	return c == ',' || c == '}' || c == ']' || c == ':' || is_ws(c);
}

/* Past the value that starts at i; containers by counting brackets. */
static size_t
skip_value(const char *t, size_t len, size_t i)
{
	size_t depth = 0;

	if (i >= len)
		return len;
	if (t[i] == '"')
		return skip_string(t, len, i);
	if (t[i] != '{' && t[i] != '[') {
		while (i < len && !ends_scalar(t[i]))
			i++;
		return i;
	}
	while (i < len) {
		if (t[i] == '"') {
			i = skip_string(t, len, i);
			continue;
		}
		if (t[i] == '{' || t[i] == '[')
			depth++;
		else if ((t[i] == '}' || t[i] == ']') && --depth == 0)
			return i + 1;
		i++;
	}
	return len;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at t[i..], or -1. */
static long
hex4(const char *t, size_t end, size_t i)
{
	long v = 0;
	int d, k;

	if (end < 4 || i > end - 4)
		return -1;
	for (k = 0; k < 4; k++) {
		if ((d = hexval(t[i + k])) < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static size_t
utf8_put(unsigned char *u, long cp)
{
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	u[0] = (unsigned char)(0xf0 | (cp >> 18));
	u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	u[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decode the escape at t[*i] (a backslash) into u; advance *i past it.
 * Returns the number of bytes, 0 for an escape jansson would refuse.
 */
static size_t
unescape(unsigned char *u, const char *t, size_t end, size_t *i)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *c;
	long cp, lo;

	if (*i + 1 >= end)
		return 0;
	if (t[*i + 1] != 'u') {
		if (t[*i + 1] == '\0' || (c = strchr(from, t[*i + 1])) == NULL)
			return 0;
		u[0] = (unsigned char)to[c - from];
		*i += 2;
		return 1;
	}
	if ((cp = hex4(t, end, *i + 2)) < 0)
		return 0;
	*i += 6;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return 0;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (*i + 1 >= end || t[*i] != '\\' || t[*i + 1] != 'u' ||
		    (lo = hex4(t, end, *i + 2)) < 0xdc00 || lo > 0xdfff)
			return 0;
		*i += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return utf8_put(u, cp);
}

/* Does the key written as t[s..e) (between its quotes) decode to want? */
static bool
key_equals(const char *t, size_t s, size_t e, const char *want)
{
	unsigned char u[4];
	size_t j = 0, n, wl = strlen(want);

	while (s < e) {
		if (t[s] != '\\') {
			if (j >= wl || want[j] != t[s])
				return false;
			j++;
			s++;
			continue;
		}
		n = unescape(u, t, e, &s);
		if (n == 0 || n > wl - j || memcmp(want + j, u, n) != 0)
			return false;
		j += n;
	}
	return j == wl;
}

/*
 * One member or element of the container that starts at t[*i]: *at is
 * where it is named (key quote or element), *key and *key_end bound the
 * key's text (SBX_JNONE for an element), *val is where its value
 * starts. Returns false at the container's end or on malformed text.
 * The first call passes *i at the opening bracket.
 */
struct member {
	size_t	at, key, key_end, val;
};

static bool
next_member(struct member *m, const char *t, size_t len, size_t *i,
    bool object)
{
	size_t k = *i;

	if (k < len && (t[k] == '{' || t[k] == '['))
		k++;
	else if (k < len && t[k] == ',')
		k++;
	else
		return false;
	k = skip_ws(t, len, k);
	if (k >= len || t[k] == '}' || t[k] == ']')
		return false;

	m->at = k;
	m->key = m->key_end = SBX_JNONE;
	if (object) {
		if (t[k] != '"')
			return false;
		m->key = k + 1;
		k = skip_string(t, len, k);
		m->key_end = k > m->key ? k - 1 : k;
		k = skip_ws(t, len, k);
		if (k >= len || t[k] != ':')
			return false;
		k = skip_ws(t, len, k + 1);
	}
	m->val = k;
	*i = skip_ws(t, len, skip_value(t, len, k));
	return true;
}

size_t
sbx_jtext_locate(const char *text, size_t len,
    const struct sbx_jstep *path, size_t depth, size_t *found)
{
	struct member m;
	size_t at, i, d, n;
	bool object, hit;

	i = at = skip_ws(text, len, 0);
	for (d = 0; d < depth; d++) {
		if (i >= len || (text[i] != '{' && text[i] != '['))
			break;
		object = text[i] == '{';
		if (object != (path[d].key != NULL))
			break;
		hit = false;
		for (n = 0; next_member(&m, text, len, &i, object); n++) {
			if (object ? key_equals(text, m.key, m.key_end,
			    path[d].key) : n == path[d].index) {
				hit = true;
				break;
			}
		}
		if (!hit)
			break;
		at = m.at;
		i = m.val;
	}
	if (found != NULL)
		*found = d;
	return at;
}

static void
append_key(char *out, size_t outsz, const char *key, size_t n)
{
	size_t used;

	if (outsz == 0)
		return;
	used = strlen(out);
	if (used + 1 < outsz)
		snprintf(out + used, outsz - used, "%s%.*s",
		    used > 0 ? "." : "", (int)n, key);
}

static void
append_index(char *out, size_t outsz, size_t index)
{
	size_t used;

	if (outsz == 0)
		return;
	used = strlen(out);
	if (used + 1 < outsz)
		snprintf(out + used, outsz - used, "[%zu]", index);
}

size_t
sbx_jtext_key_at(char *out, size_t outsz, const char *text, size_t len,
    size_t off)
{
	struct member m;
	size_t i, n;
	bool object, hit;

	if (outsz > 0)
		out[0] = '\0';
	i = skip_ws(text, len, 0);
	while (i < len && (text[i] == '{' || text[i] == '[')) {
		object = text[i] == '{';
		hit = false;
		for (n = 0; next_member(&m, text, len, &i, object); n++) {
			if (m.at <= off && off < i) {
				hit = true;
				break;
			}
		}
		if (!hit)
			return SBX_JNONE;
		if (object)
			append_key(out, outsz, text + m.key,
			    m.key_end - m.key);
		else
			append_index(out, outsz, n);
		if (object && off < m.val)
			return off <= m.key_end ? m.at : SBX_JNONE;
		i = m.val;
	}
	return SBX_JNONE;
}

void
sbx_jtext_linecol(const char *text, size_t len, size_t off, int *line,
    int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

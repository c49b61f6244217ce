/* policy/version.c: durations and version numbers of the policy language. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <sbx/policy.h>

#define MAX_DURATION	(36500LL * 86400)	/* 100 years */
#define VERSION_MAX	128

int
sbx_duration_parse(int64_t *out, const char *s, struct sbx_err *err)
{
	int64_t v = 0, unit;
	size_t i;

	*out = 0;
	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		/* Past the limit already: stop before v can overflow. */
		if (v > MAX_DURATION)
			break;
		v = v * 10 + (s[i] - '0');
	}
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0 || s[i] == '\0' || s[i + 1] != '\0')
		goto bad;
	switch (s[i]) {
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		goto bad;
	}
	if (v == 0)
		return sbx_err_set(err, SBX_ECONFIG, "must be more than 0");
	if (v > MAX_DURATION / unit)
		return sbx_err_set(err, SBX_ECONFIG, "must be at most 36500d");
	*out = v * unit;
	return SBX_OK;
bad:
	return sbx_err_set(err, SBX_ECONFIG,
	    "must be a duration like \"30d\", \"12h\", \"90m\" or \"45s\"");
}

/* A run of digits or of letters, and the separator written before it. */
struct vtok {
	const char	*s;
	size_t		 n;
	bool		 num;
	char		 sep;
};

static bool
is_vsep(char c)
{
	return c == '.' || c == '-' || c == '_' || c == '+';
}

/* Split v into at most VERSION_MAX tokens; false if v is not valid. */
static bool
tokenize(struct vtok *t, size_t *nt, const char *v)
{
	size_t i = 0, n = 0;
	char sep = '\0';

	*nt = 0;
	if (v == NULL || !isdigit((unsigned char)v[0]) ||
	    strnlen(v, VERSION_MAX + 1) > VERSION_MAX)
		return false;
	while (v[i] != '\0') {
		if (is_vsep(v[i])) {
			if (sep != '\0' || v[i + 1] == '\0')
				return false;
			sep = v[i++];
			continue;
		}
		if (!isalnum((unsigned char)v[i]))
			return false;
		t[n].s = v + i;
		t[n].num = isdigit((unsigned char)v[i]) != 0;
		t[n].sep = sep;
		while (isalnum((unsigned char)v[i]) &&
		    (isdigit((unsigned char)v[i]) != 0) == t[n].num)
			i++;
		t[n].n = (size_t)(v + i - t[n].s);
		n++;
		sep = '\0';
	}
	*nt = n;
	return true;
}

bool
sbx_version_valid(const char *v)
{
	struct vtok t[VERSION_MAX];
	size_t n;

	return tokenize(t, &n, v);
}

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

/* Numbers of any length: without leading zeros, longer is larger. */
static int
num_cmp(const struct vtok *a, const struct vtok *b)
{
	const char *x = a->s, *y = b->s;
	size_t xn = a->n, yn = b->n;

	while (xn > 1 && *x == '0') {
		x++;
		xn--;
	}
	while (yn > 1 && *y == '0') {
		y++;
		yn--;
	}
	if (xn != yn)
		return xn < yn ? -1 : 1;
	return sign(memcmp(x, y, xn));
}

static int
word_cmp(const struct vtok *a, const struct vtok *b)
{
	size_t i, n = a->n < b->n ? a->n : b->n;
	int d;

	for (i = 0; i < n; i++) {
		d = tolower((unsigned char)a->s[i]) -
		    tolower((unsigned char)b->s[i]);
		if (d != 0)
			return sign(d);
	}
	return a->n == b->n ? 0 : a->n < b->n ? -1 : 1;
}

static bool
word_is(const struct vtok *t, const char *w)
{
	size_t i;

	if (t->n != strlen(w))
		return false;
	for (i = 0; i < t->n; i++)
		if (tolower((unsigned char)t->s[i]) != w[i])
			return false;
	return true;
}

enum {
	RANK_ALPHA = 1, RANK_BETA, RANK_MILESTONE, RANK_RC, RANK_SNAPSHOT,
	RANK_RELEASE, RANK_NUMBER, RANK_SP, RANK_OTHER
};

static const struct {
	const char	*word;
	int		 rank;
} known_words[] = {
	{ "alpha", RANK_ALPHA }, { "a", RANK_ALPHA },
	{ "beta", RANK_BETA }, { "b", RANK_BETA },
	{ "milestone", RANK_MILESTONE }, { "m", RANK_MILESTONE },
	{ "rc", RANK_RC }, { "cr", RANK_RC },
	{ "snapshot", RANK_SNAPSHOT },
	{ "ga", RANK_RELEASE }, { "final", RANK_RELEASE },
	{ "release", RANK_RELEASE },
	{ "sp", RANK_SP },
};

/* The rank of the qualifier at t[0..n), and how many tokens it used. */
static int
qualifier_rank(const struct vtok *t, size_t n, size_t *used)
{
	size_t i;

	*used = 0;
	if (n == 0)
		return RANK_RELEASE;
	if (t[0].num)
		return RANK_NUMBER;
	for (i = 0; i < sizeof(known_words) / sizeof(known_words[0]); i++) {
		if (word_is(&t[0], known_words[i].word)) {
			*used = 1;
			return known_words[i].rank;
		}
	}
	return RANK_OTHER;
}

/* The leading numbers joined by dots: the release. */
static size_t
release_len(const struct vtok *t, size_t n)
{
	size_t r = 0;

	while (r < n && t[r].num && (r == 0 || t[r].sep == '.'))
		r++;
	return r;
}

static int
release_cmp(const struct vtok *a, size_t ra, const struct vtok *b,
    size_t rb)
{
	static const struct vtok zero = { "0", 1, true, '\0' };
	size_t i;
	int d;

	for (i = 0; i < ra || i < rb; i++) {
		d = num_cmp(i < ra ? &a[i] : &zero, i < rb ? &b[i] : &zero);
		if (d != 0)
			return d;
	}
	return 0;
}

static int
rest_cmp(const struct vtok *a, size_t na, const struct vtok *b, size_t nb)
{
	size_t i;
	int d;

	for (i = 0; i < na && i < nb; i++) {
		if (a[i].num != b[i].num)
			return a[i].num ? 1 : -1;
		d = a[i].num ? num_cmp(&a[i], &b[i]) : word_cmp(&a[i], &b[i]);
		if (d != 0)
			return d;
	}
	return na == nb ? 0 : na < nb ? -1 : 1;
}

int
sbx_version_cmp(const char *a, const char *b)
{
	struct vtok ta[VERSION_MAX], tb[VERSION_MAX];
	size_t na, nb, ra, rb, ua, ub;
	bool va, vb;
	int d, qa, qb;

	va = tokenize(ta, &na, a);
	vb = tokenize(tb, &nb, b);
	if (!va || !vb) {
		if (va != vb)
			return va ? 1 : -1;
		if (a == NULL || b == NULL)
			return (a != NULL) - (b != NULL);
		return sign(strcmp(a, b));
	}

	ra = release_len(ta, na);
	rb = release_len(tb, nb);
	if ((d = release_cmp(ta, ra, tb, rb)) != 0)
		return d;

	qa = qualifier_rank(ta + ra, na - ra, &ua);
	qb = qualifier_rank(tb + rb, nb - rb, &ub);
	if (qa != qb)
		return qa < qb ? -1 : 1;
	return rest_cmp(ta + ra + ua, na - ra - ua, tb + rb + ub,
	    nb - rb - ub);
}

/* lib/rfc3339.c: RFC 3339 times, as provenances and keyrings write them. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sbx/err.h>
#include <sbx/provenance.h>

void
sbx_time_format(char *out, size_t n, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, n, "1970-01-01T00:00:00Z");
}

/* n decimal digits at s into *v. */
static bool
digits(int *v, const char *s, int n)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

int
sbx_time_parse(int64_t *out, const char *s)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	struct tm tm = { 0 };
	const char *p;
	time_t t;

	*out = 0;
	if (strlen(s) < 20 || !digits(&y, s, 4) || s[4] != '-' ||
	    !digits(&mo, s + 5, 2) || s[7] != '-' || !digits(&d, s + 8, 2) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(&h, s + 11, 2) ||
	    s[13] != ':' || !digits(&mi, s + 14, 2) || s[16] != ':' ||
	    !digits(&sec, s + 17, 2))
		return SBX_EREJECT;
	p = s + 19;
	if (*p == '.') {
		if (!isdigit((unsigned char)p[1]))
			return SBX_EREJECT;
		for (p++; isdigit((unsigned char)*p); p++)
			continue;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		sign = 0;
	else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
	    digits(&oh, p + 1, 2) && p[3] == ':' && digits(&om, p + 4, 2) &&
	    oh < 24 && om < 60)
		sign = *p == '+' ? 1 : -1;
	else
		return SBX_EREJECT;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return SBX_EREJECT;

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1 || tm.tm_mday != d)
		return SBX_EREJECT;	/* February 30th and the like */
	*out = (int64_t)t - sign * (oh * 3600 + om * 60);
	return SBX_OK;
}

/* lib/jar_common.c: what signer and verifier agree on about JAR names. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sbx/jar.h>
#include <sbx/jarint.h>

/*
 * The JDK's rule (JarFile and SignatureFileVerifier): a file directly in
 * META-INF/, compared ignoring case, that is the manifest, a .SF, a
 * signature block, or a SIG-* file with an extension of 0 to 3 letters
 * or digits. Only these are left out of the manifest.
 */
bool
sbx_jar_is_signature_file(const char *name)
{
	const char *base, *dot;
	size_t n;

	if (strncasecmp(name, "META-INF/", 9) != 0)
		return false;
	base = name + 9;
	if (*base == '\0' || strchr(base, '/') != NULL)
		return false;
	if (strcasecmp(base, "MANIFEST.MF") == 0)
		return true;

	if (strncasecmp(base, "SIG-", 4) == 0) {
		if ((dot = strrchr(base, '.')) == NULL)
			return true;
		for (n = 0, dot++; dot[n] != '\0'; n++)
			if (!isalnum((unsigned char)dot[n]))
				return false;
		return n <= 3;
	}

	if ((dot = strrchr(base, '.')) == NULL || dot == base)
		return false;
	return strcasecmp(dot, ".SF") == 0 || strcasecmp(dot, ".RSA") == 0 ||
	    strcasecmp(dot, ".DSA") == 0 || strcasecmp(dot, ".EC") == 0;
}

static const struct sbx_jar_digest digests[] = {
	{ "SHA-512", SBX_DIGEST_SHA512, true },
	{ "SHA-384", SBX_DIGEST_SHA384, true },
	{ "SHA-256", SBX_DIGEST_SHA256, true },
	{ "SHA-224", 0, false },
	{ "SHA1", 0, false },
	{ "SHA-1", 0, false },
	{ "MD5", 0, false },
	{ "MD2", 0, false },
};

const struct sbx_jar_digest *
sbx_jar_digests(size_t *n)
{
	*n = sizeof(digests) / sizeof(digests[0]);
	return digests;
}

const EVP_MD *
sbx_jar_digest_md(const struct sbx_jar_digest *d)
{
	switch (d->bit) {
	case SBX_DIGEST_SHA256:
		return EVP_sha256();
	case SBX_DIGEST_SHA384:
		return EVP_sha384();
	case SBX_DIGEST_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

int
sbx_jar_pick_digest(const struct sbx_jar_digest **out,
    const struct sbx_mf_section *s, const char *suffix, unsigned allowed,
    const struct sbx_mf_attr **attr_out)
{
	const struct sbx_mf_attr *a;
	char attr[64];
	size_t i;
	bool weak = false;

	*out = NULL;
	*attr_out = NULL;

	/* Strongest first: one permitted algorithm that matches is enough. */
	for (i = 0; i < sizeof(digests) / sizeof(digests[0]); i++) {
		snprintf(attr, sizeof(attr), "%s-%s", digests[i].jca, suffix);
		if ((a = sbx_manifest_attr(s, attr)) == NULL)
			continue;
		if (digests[i].strong && (digests[i].bit & allowed)) {
			*out = &digests[i];
			*attr_out = a;
			return SBX_OK;
		}
		weak = true;
	}
	return weak ? SBX_V_WEAK_ALGORITHM : SBX_V_UNSIGNED_ENTRY;
}

void
sbx_jar_alias_of(char *out, size_t n, const char *name)
{
	const char *base = name + 9, *dot = strrchr(name, '.');
	size_t len = dot != NULL && dot > base ? (size_t)(dot - base) :
	    strlen(base);

	if (len >= n)
		len = n - 1;
	memcpy(out, base, len);
	out[len] = '\0';
}

static int
msec_cmp(const void *a, const void *b)
{
	const struct sbx_jar_msec *x = a, *y = b;
	int c = strcmp(x->s->name, y->s->name);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

int
sbx_jar_index(struct sbx_jar_msec **out, const struct sbx_manifest *m,
    struct sbx_err *err)
{
	struct sbx_jar_msec *idx;
	size_t i;

	*out = NULL;
	if ((idx = calloc(m->nsections + 1, sizeof(*idx))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	for (i = 0; i < m->nsections; i++) {
		idx[i].s = &m->sections[i];
		idx[i].order = i;
	}
	qsort(idx, m->nsections, sizeof(*idx), msec_cmp);
	*out = idx;
	return SBX_OK;
}

const struct sbx_jar_msec *
sbx_jar_lookup(const struct sbx_jar_msec *idx, size_t n, const char *name,
    size_t *count)
{
	size_t lo = 0, hi = n, mid;

	*count = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(idx[mid].s->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo + *count < n && strcmp(idx[lo + *count].s->name, name) == 0)
		(*count)++;
	return *count > 0 ? &idx[lo] : NULL;
}

/* tests/unit/check_jar.c: which names are signature files, aliases, digests. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <sbx/jar.h>
#include <sbx/jarint.h>
#include <sbx/manifest.h>

static const struct {
	const char	*name;
	bool		 sig;
	const char	*why;
} names[] = {
	{ "META-INF/MANIFEST.MF", true, "the manifest" },
	{ "meta-inf/manifest.mf", true, "compared ignoring case" },
	{ "META-INF/SIGNER.SF", true, "signature file" },
	{ "META-INF/SIGNER.RSA", true, "RSA block" },
	{ "META-INF/X.DSA", true, "DSA block" },
	{ "META-INF/X.EC", true, "EC block" },
	{ "META-INF/x.rsa", true, "lower-case block" },
	{ "META-INF/SIG-FOO", true, "SIG- without extension" },
	{ "META-INF/SIG-FOO.ABC", true, "SIG- with 3-char extension" },
	{ "META-INF/SIG-FOO.ABCD", false, "SIG- extension too long" },
	{ "META-INF/SIG-FOO.A_B", false, "SIG- extension not alphanumeric" },
	{ "META-INF/LICENSE", false, "other META-INF files are digested" },
	{ "META-INF/services/x.SF", false, "only directly in META-INF/" },
	{ "META-INF/maven/p/pom.xml", false, "maven metadata is digested" },
	{ "org/x/A.SF", false, "outside META-INF" },
	{ "META-INF/.SF", false, "no base name" },
	{ "META-INF/", false, "the folder itself" },
	{ "META-INF/A.SFX", false, "not the .SF extension" },
};

START_TEST(signature_files_are_classified_as_the_jdk_does)
{
	ck_assert_msg(sbx_jar_is_signature_file(names[_i].name) ==
	    names[_i].sig, "%s: %s", names[_i].name, names[_i].why);
}
END_TEST

START_TEST(alias_is_the_base_name)
{
	char a[64];

	sbx_jar_alias_of(a, sizeof(a), "META-INF/RELEASE.SF");
	ck_assert_str_eq(a, "RELEASE");
	sbx_jar_alias_of(a, sizeof(a), "META-INF/X.Y.RSA");
	ck_assert_str_eq(a, "X.Y");
	sbx_jar_alias_of(a, 4, "META-INF/LONGNAME.SF");
	ck_assert_str_eq(a, "LON");
}
END_TEST

static struct sbx_manifest *
parse(const char *text)
{
	struct sbx_manifest *m = NULL;
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_manifest_parse(&m, text, strlen(text), "t",
	    &err), SBX_OK);
	return m;
}

START_TEST(strongest_allowed_digest_is_picked)
{
	struct sbx_manifest *m = parse("Manifest-Version: 1.0\r\n\r\n"
	    "Name: a\r\nSHA1-Digest: AAAA\r\nSHA-256-Digest: BBBB\r\n"
	    "SHA-512-Digest: CCCC\r\n\r\n");
	const struct sbx_jar_digest *d;
	const struct sbx_mf_attr *a;

	ck_assert_int_eq(sbx_jar_pick_digest(&d, &m->sections[0], "Digest",
	    SBX_DIGEST_SHA256 | SBX_DIGEST_SHA512, &a), SBX_OK);
	ck_assert_str_eq(d->jca, "SHA-512");
	ck_assert_str_eq(a->value, "CCCC");

	ck_assert_int_eq(sbx_jar_pick_digest(&d, &m->sections[0], "Digest",
	    SBX_DIGEST_SHA256, &a), SBX_OK);
	ck_assert_str_eq(d->jca, "SHA-256");
	sbx_manifest_free(m);
}
END_TEST

START_TEST(weak_only_digest_is_a_weak_algorithm)
{
	struct sbx_manifest *m = parse("Manifest-Version: 1.0\r\n\r\n"
	    "Name: a\r\nSHA1-Digest: AAAA\r\nMD5-Digest: BBBB\r\n\r\n"
	    "Name: b\r\nX-Other: 1\r\n\r\n");
	const struct sbx_jar_digest *d;
	const struct sbx_mf_attr *a;

	ck_assert_int_eq(sbx_jar_pick_digest(&d, &m->sections[0], "Digest",
	    ~0u, &a), SBX_V_WEAK_ALGORITHM);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(sbx_jar_pick_digest(&d, &m->sections[1], "Digest",
	    ~0u, &a), SBX_V_UNSIGNED_ENTRY);
	sbx_manifest_free(m);
}
END_TEST

START_TEST(sections_are_found_by_name_in_file_order)
{
	struct sbx_manifest *m = parse("Manifest-Version: 1.0\r\n\r\n"
	    "Name: b\r\nX: 1\r\n\r\nName: a\r\nX: 2\r\n\r\n"
	    "Name: b\r\nX: 3\r\n\r\n");
	struct sbx_jar_msec *idx = NULL;
	const struct sbx_jar_msec *hit;
	size_t n;

	ck_assert_int_eq(sbx_jar_index(&idx, m, NULL), SBX_OK);
	hit = sbx_jar_lookup(idx, m->nsections, "b", &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(sbx_manifest_attr(hit[0].s, "X")->value, "1");
	ck_assert_str_eq(sbx_manifest_attr(hit[1].s, "X")->value, "3");
	ck_assert_ptr_null(sbx_jar_lookup(idx, m->nsections, "c", &n));
	ck_assert_uint_eq(n, 0);
	free(idx);
	sbx_manifest_free(m);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("jar");
	TCase *tc = tcase_create("names");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, signature_files_are_classified_as_the_jdk_does,
	    0, sizeof(names) / sizeof(names[0]));
	tcase_add_test(tc, alias_is_the_base_name);
	tcase_add_test(tc, strongest_allowed_digest_is_picked);
	tcase_add_test(tc, weak_only_digest_is_a_weak_algorithm);
	tcase_add_test(tc, sections_are_found_by_name_in_file_order);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

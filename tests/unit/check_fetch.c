/* tests/unit/check_fetch.c: URLs fit to fetch, deploy options and their use. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include <sbx/deploy.h>
#include <sbx/err.h>
#include <sbx/fetch.h>

struct url_case {
	const char	*url;
	bool		 allow_http;
	int		 rc;
	const char	*name;		/* the file name, or message part */
	const char	*shown;
	const char	*why;
};

static const struct url_case urls[] = {
	{ "https://repo.example.com/agents/agent-1.2.jar", false, SBX_OK,
	  "agent-1.2.jar", "https://repo.example.com/agents/agent-1.2.jar",
	  "plain https" },
	{ "HTTPS://Repo.Example.com/a.jar", false, SBX_OK, "a.jar",
	  "https://Repo.Example.com/a.jar", "scheme in capitals" },
	{ "https://ci:s3cret@repo.example.com/a.jar?X-Amz-Signature=abc#f",
	  false, SBX_OK, "a.jar", "https://repo.example.com/a.jar",
	  "credentials and query never shown" },
	{ "https://h/dir/my%20agent.jar", false, SBX_OK, "my agent.jar",
	  "https://h/dir/my%20agent.jar", "the name is decoded" },
	{ "http://h/a.jar", true, SBX_OK, "a.jar", "http://h/a.jar",
	  "http with --allow-http" },
	{ "http://h/a.jar", false, SBX_ECONFIG, "http URLs are not fetched: "
	  "use https (or --allow-http for http)", NULL, "http refused" },
	{ "ftp://h/a.jar", true, SBX_ECONFIG, "ftp URLs are not fetched: use "
	  "https or http", NULL, "ftp refused" },
	{ "file:///etc/passwd", false, SBX_ECONFIG, "file URLs are not "
	  "fetched", NULL, "file refused" },
	{ "not a url", false, SBX_ECONFIG, "--fetch: not a URL", NULL,
	  "no scheme" },
	{ "https://h/", false, SBX_ECONFIG, "does not end in a usable file "
	  "name", NULL, "no file name" },
	{ "https://h", false, SBX_ECONFIG, "does not end in a usable file "
	  "name", NULL, "no path at all" },
	{ "https://h/a/%2e%2e", false, SBX_ECONFIG, "usable file name", NULL,
	  "encoded .." },
	{ "https://h/a%2fb.jar", false, SBX_ECONFIG, "usable file name",
	  NULL, "encoded slash" },
	{ "https://h/a%0ab.jar", false, SBX_ECONFIG, "usable file name",
	  NULL, "encoded newline" },
	{ "https://h/a%00b.jar", false, SBX_ECONFIG, "usable file name",
	  NULL, "encoded NUL" },
	{ "https://h/a%5cb.jar", false, SBX_ECONFIG, "usable file name",
	  NULL, "encoded backslash" },
};

START_TEST(urls_are_checked_before_fetching)
{
	const struct url_case *c = &urls[_i];
	struct sbx_err err = { 0 };
	char name[256], shown[512] = "";
	int rc;

	rc = sbx_fetch_url_check(name, sizeof(name), shown, sizeof(shown),
	    c->url, c->allow_http, &err);
	ck_assert_msg(rc == c->rc, "%s: rc %d (%s)", c->why, rc, err.msg);
	if (rc != SBX_OK) {
		ck_assert_msg(strstr(err.msg, c->name) != NULL, "%s: %s",
		    c->why, err.msg);
		ck_assert_msg(strstr(err.msg, "s3cret") == NULL, "%s", c->why);
		return;
	}
	ck_assert_str_eq(name, c->name);
	ck_assert_str_eq(shown, c->shown);
}
END_TEST

START_TEST(provenance_urls_keep_the_query)
{
	struct sbx_err err = { 0 };
	char *u = NULL;

	ck_assert_int_eq(sbx_fetch_url_suffix(&u,
	    "https://h/a/agent.jar?token=1", ".intoto.jsonl", &err), SBX_OK);
	ck_assert_str_eq(u, "https://h/a/agent.jar.intoto.jsonl?token=1");
	free(u);
	ck_assert_int_eq(sbx_fetch_url_suffix(&u, "https://h/agent.jar",
	    ".intoto.jsonl", &err), SBX_OK);
	ck_assert_str_eq(u, "https://h/agent.jar.intoto.jsonl");
	free(u);
	ck_assert_int_eq(sbx_fetch_url_suffix(&u, "::", ".x", &err),
	    SBX_ECONFIG);
	ck_assert_ptr_null(u);
}
END_TEST

START_TEST(a_bad_url_is_refused_without_network)
{
	struct sbx_fetch_opts o;
	struct sbx_err err = { 0 };
	FILE *f = tmpfile();

	sbx_fetch_opts_init(&o);
	ck_assert_int_eq(sbx_fetch(NULL, fileno(f),
	    "http://127.0.0.1:9/a.jar", &o, &err), SBX_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "--allow-http"));
	o.ca_file = "/nonexistent/ca.pem";
	ck_assert_int_eq(sbx_fetch(NULL, fileno(f),
	    "https://127.0.0.1:9/a.jar", &o, &err), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "--ca-file /nonexistent/ca.pem: No such "
	    "file or directory");
	fclose(f);
}
END_TEST

START_TEST(nothing_listening_is_an_input_error_after_retries)
{
	struct sbx_fetch_opts o;
	struct sbx_err err = { 0 };
	FILE *f = tmpfile();

	sbx_fetch_opts_init(&o);
	o.allow_http = true;
	o.retries = 1;
	o.timeout = 5;
	/* Port 9 (discard) on loopback: nothing listens in a test box. */
	ck_assert_int_eq(sbx_fetch(NULL, fileno(f),
	    "http://127.0.0.1:9/a.jar", &o, &err), SBX_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "http://127.0.0.1:9/a.jar: "));
	ck_assert_ptr_nonnull(strstr(err.msg, " (2 attempts)"));
	fclose(f);
}
END_TEST

struct opt_case {
	int		 ch;
	const char	*arg;
	int		 rc;
	const char	*msg;
};

static const struct opt_case opts[] = {
	{ SBX_DEPLOY_MAX_SIZE, "1", SBX_OK, NULL },
	{ SBX_DEPLOY_MAX_SIZE, "64G", SBX_OK, NULL },
	{ SBX_DEPLOY_MAX_SIZE, "65G", SBX_ECONFIG, "--max-size: '65G' is "
	  "not a size from 1 to 64G (bytes, or with K, M or G)" },
	{ SBX_DEPLOY_MAX_SIZE, "0", SBX_ECONFIG, "--max-size: '0'" },
	{ SBX_DEPLOY_MAX_SIZE, "-1", SBX_ECONFIG, "--max-size: '-1'" },
	{ SBX_DEPLOY_MAX_SIZE, "10X", SBX_ECONFIG, "--max-size: '10X'" },
	{ SBX_DEPLOY_MAX_SIZE, "M", SBX_ECONFIG, "--max-size: 'M'" },
	{ SBX_DEPLOY_TIMEOUT, "0", SBX_ECONFIG, "--timeout: '0' is not a "
	  "whole number from 1 to 86400" },
	{ SBX_DEPLOY_RETRIES, "11", SBX_ECONFIG, "--retries: '11' is not a "
	  "whole number from 0 to 10" },
	{ SBX_DEPLOY_RETRIES, "0", SBX_OK, NULL },
	{ 'q', NULL, SBX_ECONFIG, "" },
};

START_TEST(deploy_options_take_their_values)
{
	const struct opt_case *c = &opts[_i];
	struct sbx_deploy_opts d;
	struct sbx_err err = { 0 };

	sbx_deploy_opts_init(&d);
	ck_assert_int_eq(sbx_deploy_option(&d, c->ch, c->arg, &err), c->rc);
	if (c->rc != SBX_OK)
		ck_assert_msg(strncmp(err.msg, c->msg, strlen(c->msg)) == 0 &&
		    (*c->msg != '\0' || *err.msg == '\0'), "%s", err.msg);
}
END_TEST

START_TEST(sizes_scale_by_1024)
{
	struct sbx_deploy_opts d;
	struct sbx_err err = { 0 };

	sbx_deploy_opts_init(&d);
	ck_assert_uint_eq(d.fetch.max_size, 256ULL << 20);
	ck_assert_int_eq(d.fetch.timeout, 300);
	ck_assert_int_eq(d.fetch.retries, 3);
	sbx_deploy_option(&d, SBX_DEPLOY_MAX_SIZE, "3k", &err);
	ck_assert_uint_eq(d.fetch.max_size, 3072);
	sbx_deploy_option(&d, SBX_DEPLOY_MAX_SIZE, "2M", &err);
	ck_assert_uint_eq(d.fetch.max_size, 2u << 20);
	sbx_deploy_option(&d, SBX_DEPLOY_MAX_SIZE, "12345", &err);
	ck_assert_uint_eq(d.fetch.max_size, 12345);
}
END_TEST

START_TEST(deploy_option_combinations)
{
	struct sbx_deploy_opts d;
	struct sbx_err err = { 0 };

	sbx_deploy_opts_init(&d);
	ck_assert_int_eq(sbx_deploy_check(&d, 2, &err), SBX_OK);
	sbx_deploy_option(&d, SBX_DEPLOY_TIMEOUT, "5", &err);
	ck_assert_int_eq(sbx_deploy_check(&d, 1, &err), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "--timeout applies to --fetch");
	sbx_deploy_opts_init(&d);
	d.dest = "/opt/agent";
	ck_assert_int_eq(sbx_deploy_check(&d, 2, &err), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "--install: give one FILE (or --fetch URL)");
	ck_assert_int_eq(sbx_deploy_check(&d, 1, &err), SBX_OK);
	d.url = "https://h/a.jar";
	ck_assert_int_eq(sbx_deploy_check(&d, 1, &err), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "--fetch: the URL is the one artifact; give "
	    "no FILE");
	ck_assert_int_eq(sbx_deploy_check(&d, 0, &err), SBX_OK);
	d.url = "http://h/a.jar";
	ck_assert_int_eq(sbx_deploy_check(&d, 0, &err), SBX_ECONFIG);
	ck_assert_str_eq(err.msg, "--fetch: http URLs are not fetched: use "
	    "https (or --allow-http for http)");
	d.fetch.allow_http = true;
	ck_assert_int_eq(sbx_deploy_check(&d, 0, &err), SBX_OK);
	d.dest = "";
	ck_assert_int_eq(sbx_deploy_check(&d, 0, &err), SBX_ECONFIG);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("fetch");
	TCase *t = tcase_create("urls");

	tcase_set_timeout(t, 30);
	tcase_add_loop_test(t, urls_are_checked_before_fetching, 0,
	    sizeof(urls) / sizeof(*urls));
	tcase_add_test(t, provenance_urls_keep_the_query);
	tcase_add_test(t, a_bad_url_is_refused_without_network);
	tcase_add_test(t, nothing_listening_is_an_input_error_after_retries);
	tcase_add_loop_test(t, deploy_options_take_their_values, 0,
	    sizeof(opts) / sizeof(*opts));
	tcase_add_test(t, sizes_scale_by_1024);
	tcase_add_test(t, deploy_option_combinations);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed == 0 ? 0 : 1;
}

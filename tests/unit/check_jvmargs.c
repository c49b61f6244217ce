/* tests/unit/check_jvmargs.c: the java command-line parser of the guard. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include <sbx/buf.h>
#include <sbx/err.h>
#include <sbx/file.h>
#include <sbx/jvmargs.h>

#define N(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Every expectation marked "java:" below was checked against JDK 17's
 * launcher with _JAVA_LAUNCHER_DEBUG=1, which prints the options it
 * hands to the VM.
 */

static char tmpdir[] = "/tmp/check_jvmargs.XXXXXX";

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(tmpdir, "/tmp/check_jvmargs.XXXXXX");
}

static void
put(const char *name, const char *text, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* The tokens joined by '|', for comparison with a table's row. */
static char *
joined(const struct sbx_jvm_strs *l)
{
	static char out[16384];
	size_t i;

	out[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			strcat(out, "|");
		strcat(out, l->v[i]);
	}
	return out;
}

/* --- @argfiles --------------------------------------------------------- */

struct split_case {
	const char	*in;
	const char	*want;		/* tokens joined by '|' */
	const char	*why;
};

static const struct split_case argfile_cases[] = {
	{ "-a  -b\t-c\f-d\r\n-e\n", "-a|-b|-c|-d|-e",
	    "space, tab, form feed, CR and LF separate" },
	{ "-a\v-b", "-a\v-b", "a vertical tab is not white space here" },
	{ "last", "last", "a last token without a newline counts" },
	{ "\"a b\" 'c d'", "a b|c d", "both quotes group words" },
	{ "x\"a b\"y", "xa by", "quoted parts join the token around them" },
	{ "\"it's\" 'say \"hi\"'", "it's|say \"hi\"",
	    "the other quote is plain inside quotes" },
	{ "\"a\\tb\\\\c\\\"d\\n\\x\"", "a\tb\\c\"d\nx",
	    "java: escapes work inside quotes only, unknown ones drop the "
	    "backslash" },
	{ "a\\tb c\\\\d", "a\\tb|c\\\\d",
	    "a backslash outside quotes is a plain character" },
	{ "\"abc\\\n     def\"", "abcdef",
	    "java: backslash-newline in quotes joins lines, dropping the "
	    "next line's indent" },
	{ "\"open quote \nnext", "open quote |next",
	    "java: a newline ends an open quote and the token" },
	{ "# comment\n-a # to the end\n-b", "-a|-b",
	    "# at a token start comments out the rest of the line" },
	{ "-Da1=x a#b -Da2=c\n-e", "-Da1=x|-e",
	    "java: # inside a token drops the token so far and the line" },
	{ "\"-Da3=x\"#c\n-Da4=y\n", "-Da3=x-Da4=y",
	    "java: a quoted part before a comment joins the next token" },
	{ "\"a#b\"", "a#b", "# is plain inside quotes" },
	{ "-Dx=\"\" y", "-Dx=|y", "an empty quoted part" },
	{ "\"\" y", "|y", "an empty token before white space" },
	{ "y \"\"", "y", "java: an empty token at the very end is dropped" },
	{ "y \"abc\\", "y",
	    "java: a pending escape at the end drops the token" },
	{ "@@literal @x", "@@literal|@x",
	    "java: tokens of a file are never expanded or unescaped" },
	{ "", "", "an empty file" },
};

START_TEST(argfile_splits_as_the_launcher_does)
{
	const struct split_case *c = &argfile_cases[_i];
	struct sbx_jvm_strs l = { 0 };
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_jvm_split_argfile(&l, c->in, strlen(c->in),
	    "t", &err), SBX_OK);
	ck_assert_msg(strcmp(joined(&l), c->want) == 0, "%s: got [%s]",
	    c->why, joined(&l));
	sbx_jvm_strs_free(&l);
}
END_TEST

/*
 * java reads 4096 bytes at a time and keeps a token's text at a block's
 * end even when a comment follows in the next block: both results
 * below are java's.
 */
START_TEST(argfile_keeps_the_launchers_4k_block_quirk)
{
	struct sbx_jvm_strs l = { 0 };
	struct sbx_err err = { 0 };
	char buf[5000];
	size_t pad;

	for (pad = 4091; pad <= 4092; pad++) {
		memset(buf, ' ', pad);
		strcpy(buf + pad, "-Dab#c\n=1\n");
		ck_assert_int_eq(sbx_jvm_split_argfile(&l, buf, strlen(buf),
		    "t", &err), SBX_OK);
		ck_assert_str_eq(joined(&l), pad == 4092 ? "-Dab=1" : "=1");
		sbx_jvm_strs_free(&l);
	}
}
END_TEST

START_TEST(argfile_token_across_blocks_is_whole)
{
	struct sbx_jvm_strs l = { 0 };
	struct sbx_err err = { 0 };
	char buf[9000];

	memset(buf, 'a', 8200);
	memcpy(buf + 4000, "\"x y\"", 5);
	strcpy(buf + 8200, " b");
	ck_assert_int_eq(sbx_jvm_split_argfile(&l, buf, strlen(buf), "t",
	    &err), SBX_OK);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(strlen(l.v[0]), 8198);
	ck_assert_str_eq(l.v[1], "b");
	sbx_jvm_strs_free(&l);
}
END_TEST

START_TEST(argfile_with_nul_is_refused)
{
	struct sbx_jvm_strs l = { 0 };
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_jvm_split_argfile(&l, "-a\0-javaagent:x", 15,
	    "a.args", &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_FORBIDDEN_FLAG);
	ck_assert_str_eq(err.msg, "a.args: holds a NUL byte, which java "
	    "would cut the option at");
	sbx_jvm_strs_free(&l);
}
END_TEST

/* --- variables and VM options files ------------------------------------ */

static const struct split_case option_cases[] = {
	{ "  -a   -b  ", "-a|-b", "runs of white space separate" },
	{ "-a\v-b\t-c\n-d", "-a|-b|-c|-d", "isspace(), vertical tab too" },
	{ "'-Dx=a b' \"-Dy=c d\"", "-Dx=a b|-Dy=c d", "both quotes" },
	{ "-Dx=\"a b\"c", "-Dx=a bc", "a quoted part inside a token" },
	{ "\"a\\\"", "a\\", "no escapes: a backslash is plain" },
	{ "'\"' \"'\"", "\"|'", "a quote inside the other quote" },
	{ "\"\" x", "|x", "an empty token" },
	{ "a#b #c", "a#b|#c", "no comments" },
};

START_TEST(options_split_as_the_vm_does)
{
	const struct split_case *c = &option_cases[_i];
	struct sbx_jvm_strs l = { 0 };
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_jvm_split_options(&l, c->in, strlen(c->in),
	    "t", &err), SBX_OK);
	ck_assert_msg(strcmp(joined(&l), c->want) == 0, "%s: got [%s]",
	    c->why, joined(&l));
	sbx_jvm_strs_free(&l);
}
END_TEST

START_TEST(options_with_unmatched_quote_are_refused)
{
	struct sbx_jvm_strs l = { 0 };
	struct sbx_err err = { 0 };
	const char *in = "-a '-javaagent:x.jar";

	ck_assert_int_eq(sbx_jvm_split_options(&l, in, strlen(in),
	    "JAVA_TOOL_OPTIONS", &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_FORBIDDEN_FLAG);
	ck_assert_str_eq(err.msg, "JAVA_TOOL_OPTIONS: unmatched quote (')");
	sbx_jvm_strs_free(&l);
}
END_TEST

static const struct split_case flags_cases[] = {
	{ "+PrintVMOptions\n-BytecodeVerificationRemote\n",
	    "+PrintVMOptions|-BytecodeVerificationRemote", "one a line" },
	{ "# comment\n+A # trailing\n", "+A", "# where a token could start" },
	{ "+A#x", "+A#x", "# inside a token is plain" },
	{ "Foo='a b' Bar=\"c\"", "Foo=a b|Bar=c", "quotes inside a token" },
	{ "Foo='a\nBar", "Foo=a|Bar", "a newline ends a token in quotes" },
	{ "'Foo=a'", "'Foo=a", "java: a quote that starts a token is kept" },
};

START_TEST(flags_file_splits_as_hotspot_does)
{
	const struct split_case *c = &flags_cases[_i];
	struct sbx_jvm_strs l = { 0 };
	struct sbx_err err = { 0 };

	ck_assert_int_eq(sbx_jvm_split_flags(&l, c->in, strlen(c->in), "t",
	    &err), SBX_OK);
	ck_assert_msg(strcmp(joined(&l), c->want) == 0, "%s: got [%s]",
	    c->why, joined(&l));
	sbx_jvm_strs_free(&l);
}
END_TEST

START_TEST(flags_file_with_huge_setting_is_refused)
{
	struct sbx_jvm_strs l = { 0 };
	struct sbx_err err = { 0 };
	char buf[1100];

	memset(buf, 'A', sizeof(buf));
	ck_assert_int_eq(sbx_jvm_split_flags(&l, buf, sizeof(buf), "f",
	    &err), SBX_EREJECT);
	ck_assert_ptr_nonnull(strstr(err.msg, "ignore the rest of the file"));
	sbx_jvm_strs_free(&l);
}
END_TEST

START_TEST(join_reads_back_as_the_same_tokens)
{
	const char *toks[] = { "-javaagent:/proc/self/fd/5=a b",
	    "it's \"quoted\"", "", "plain", "'\"'", "tab\there" };
	struct sbx_jvm_strs in = { (char **)toks, N(toks) }, back = { 0 };
	struct sbx_buf b = { 0 };
	struct sbx_err err = { 0 };
	size_t i;

	ck_assert_int_eq(sbx_jvm_join_options(&b, &in, &err), SBX_OK);
	ck_assert_int_eq(sbx_jvm_split_options(&back, (char *)b.p, b.len,
	    "t", &err), SBX_OK);
	ck_assert_uint_eq(back.n, N(toks));
	for (i = 0; i < N(toks); i++)
		ck_assert_str_eq(back.v[i], toks[i]);
	ck_assert_ptr_nonnull(memmem(b.p, b.len, "plain", 5));
	sbx_jvm_strs_free(&back);
	sbx_buf_free(&b);
}
END_TEST

/* --- the whole command ------------------------------------------------- */

struct env {
	const char	*jdk, *tool, *opts, *altvm;
};

static int
parse(struct sbx_jvmargs **a, const char *const *argv, const struct env *e,
    struct sbx_err *err)
{
	struct sbx_jvm_input in = { 0 };
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	in.argc = argc;
	in.argv = (char *const *)argv;
	in.dir = tmpdir;
	if (e != NULL) {
		in.jdk_java_options = e->jdk;
		in.java_tool_options = e->tool;
		in.java_options = e->opts;
		in.jdk_alternate_vm = e->altvm;
	}
	return sbx_jvmargs_parse(a, &in, err);
}

static struct sbx_jvmargs *
parse_ok(const char *const *argv, const struct env *e)
{
	struct sbx_jvmargs *a = NULL;
	struct sbx_err err = { 0 };
	int rc = parse(&a, argv, e, &err);

	ck_assert_msg(rc == SBX_OK, "rc %d: %s", rc, err.msg);
	return a;
}

/* Items as "kind:path[=args]@source", joined by '|'. */
static char *
items(const struct sbx_jvmargs *a)
{
	static char out[4096];
	const struct sbx_jvm_item *it;
	size_t i;

	out[0] = '\0';
	for (i = 0; i < a->nitems; i++) {
		it = &a->items[i];
		snprintf(out + strlen(out), sizeof(out) - strlen(out),
		    "%s%s:%s%s%s@%s", i ? "|" : "", sbx_jvm_kind_name(it->kind),
		    it->path ? it->path : "(none)", it->args ? "=" : "",
		    it->args ? it->args : "", it->opt == SBX_JVM_NO_OPT ?
		    "manifest" : sbx_jvm_source_name(a->opts[it->opt].source));
	}
	return out;
}

/* Options in effect, joined by '|'. */
static char *
effective(const struct sbx_jvmargs *a)
{
	static char out[4096];
	size_t i;

	out[0] = '\0';
	for (i = 0; i < a->nopts; i++)
		if (a->opts[i].in_effect)
			snprintf(out + strlen(out), sizeof(out) - strlen(out),
			    "%s%s", out[0] ? "|" : "", a->opts[i].text);
	return out;
}

struct cmd_case {
	const char	*argv[10];
	struct env	 env;
	const char	*items;
	const char	*why;
};

/* Files the cases read: written before each case. */
static void
put_files(void)
{
	static const char af[] = "-javaagent:\"/a b/x.jar\"=o # comment\n"
	    "-Xbootclasspath/a:b1.jar::b2.jar\n";
	static const char main_af[] = "-cp app.jar Main -javaagent:late.jar\n";
	static const char vmo[] = "-XX:+Foo '-javaagent:v m.jar=q'\n";

	put("agent.args", af, sizeof(af) - 1);
	put("main.args", main_af, sizeof(main_af) - 1);
	put("vm.opts", vmo, sizeof(vmo) - 1);
	put("flags", "-BytecodeVerificationRemote\n", 28);
	put("jdk.args", "-javaagent:f.jar\n", 17);
}

static const struct cmd_case cmd_cases[] = {
	{ { "java", "-Xruninstrument:a.jar=x=y", "-Xrunjdwp:s=y", "Main",
	    NULL }, { 0 }, "javaagent:a.jar=x=y@the command line|"
	    "agentlib:jdwp=s=y@the command line",
	    "-Xruninstrument: is a Java agent, other -Xrun libraries not" },
	{ { "java", "--patch-module", "java.base=p1.jar::p2.jar", "Main",
	    NULL }, { 0 }, "patch-jar:p1.jar=java.base@the command line|"
	    "patch-jar:p2.jar=java.base@the command line",
	    "--patch-module: each entry, the module as its argument" },
	{ { "java", "Main", NULL }, { "--patch-module=java.base=j.jar",
	    NULL, NULL, NULL }, "patch-jar:j.jar=java.base@JDK_JAVA_OPTIONS",
	    "--patch-module= in JDK_JAVA_OPTIONS" },
	{ { "java", "--patch-module", "noequals", "Main", NULL }, { 0 },
	    "patch-jar:(none)@the command line",
	    "--patch-module without a module names no file" },
	{ { "java", "--upgrade-module-path", "m1:m2", "Main", NULL }, { 0 },
	    "upgrade-module-path:m1:m2@the command line",
	    "--upgrade-module-path, whole" },
	{ { "java", "-javaagent:a.jar=x=y", "-cp", "app.jar", "Main",
	    NULL }, { 0 }, "javaagent:a.jar=x=y@the command line",
	    "options start after the first '='" },
	{ { "java", "-javaagent:a.jar", "Main", "-javaagent:b.jar", NULL },
	    { 0 }, "javaagent:a.jar@the command line",
	    "nothing after the main class reaches the JVM" },
	{ { "java", "-javaagent:a.jar", "-version", "-javaagent:b.jar",
	    NULL }, { 0 }, "javaagent:a.jar@the command line",
	    "java: the JVM starts for -version with what came before" },
	{ { "java", "@agent.args", "Main", NULL }, { 0 },
	    "javaagent:/a b/x.jar=o@@argfile|boot-jar:b1.jar@@argfile|"
	    "boot-jar:b2.jar@@argfile",
	    "an @argfile, quoted, with empty boot class path entries" },
	{ { "java", "@main.args", "@agent.args", NULL }, { 0 }, "",
	    "the main class in an @argfile stops expansion" },
	{ { "java", "@@agent.args", NULL }, { 0 }, "",
	    "@@ escapes an argument that starts with @" },
	{ { "java", "-cp", "x", "Main", NULL }, { "@jdk.args -Dz", NULL,
	    NULL, NULL }, "javaagent:f.jar@@argfile",
	    "an @argfile inside JDK_JAVA_OPTIONS" },
	{ { "java", "Main", NULL }, { "\"-javaagent:j d.jar\"", NULL, NULL,
	    NULL }, "javaagent:j d.jar@JDK_JAVA_OPTIONS",
	    "JDK_JAVA_OPTIONS, quoted" },
	{ { "java", "-javaagent:cmd.jar", "Main", NULL }, { NULL,
	    "-javaagent:tool.jar", "-javaagent:opts.jar", NULL },
	    "javaagent:tool.jar@JAVA_TOOL_OPTIONS|javaagent:cmd.jar@the "
	    "command line|javaagent:opts.jar@_JAVA_OPTIONS",
	    "the VM's order: JAVA_TOOL_OPTIONS, command, _JAVA_OPTIONS" },
	{ { "java", "-XX:VMOptionsFile=vm.opts", "Main", NULL }, { 0 },
	    "javaagent:v m.jar=q@-XX:VMOptionsFile",
	    "-XX:VMOptionsFile= on the command line" },
	{ { "java", "Main", NULL }, { NULL, "-XX:VMOptionsFile=vm.opts",
	    NULL, NULL }, "javaagent:v m.jar=q@-XX:VMOptionsFile",
	    "java: -XX:VMOptionsFile= in JAVA_TOOL_OPTIONS" },
	{ { "java", "-agentlib:instrument=i.jar=o", "-agentlib:jdwp=a=b",
	    "-agentpath:/l/libx.so=p", "-Xrunfoo:bar", "Main", NULL },
	    { 0 }, "javaagent:i.jar=o@the command line|agentlib:jdwp=a=b@"
	    "the command line|agentpath:/l/libx.so=p@the command line|"
	    "agentlib:foo=bar@the command line",
	    "java: -agentlib:instrument=JAR is a Java agent; -Xrun" },
	{ { "java", "-server", "-javaagent:s.jar", "-jar", "app.jar", "x",
	    NULL }, { 0 }, "javaagent:s.jar@the command line",
	    "-server is dropped; -jar names the program" },
};

START_TEST(command_gives_these_agents)
{
	const struct cmd_case *c = &cmd_cases[_i];
	struct sbx_jvmargs *a;

	put_files();
	a = parse_ok(c->argv, &c->env);
	ck_assert_msg(strcmp(items(a), c->items) == 0, "%s: got [%s]",
	    c->why, items(a));
	sbx_jvmargs_free(a);
}
END_TEST

START_TEST(jar_is_the_program_and_may_be_an_agent)
{
	const char *argv[] = { "java", "-jar", "app.jar", "-javaagent:x",
	    NULL };
	struct sbx_jvmargs *a = parse_ok(argv, NULL);
	struct sbx_err err = { 0 };

	ck_assert_int_eq(a->main_kind, SBX_JVM_MAIN_JAR);
	ck_assert_str_eq(a->main, "app.jar");
	ck_assert_uint_eq(a->main_token, 1);
	ck_assert_str_eq(items(a), "");
	ck_assert_int_eq(sbx_jvmargs_add_launcher_agent(a, &err), SBX_OK);
	ck_assert_str_eq(items(a), "launcher-agent:app.jar@manifest");
	ck_assert_str_eq(effective(a), "-Djava.class.path=app.jar");
	sbx_jvmargs_free(a);
}
END_TEST

START_TEST(later_options_override_earlier_ones)
{
	const char *argv[] = { "java", "-XX:Flags=flags",
	    "-XX:+BytecodeVerificationRemote", "-XX:-DisableAttachMechanism",
	    "-Dp=cmd", "-noverify", "-Xverify:remote", "Main", NULL };
	struct env e = { NULL, "-XX:+DisableAttachMechanism -Dp=tool "
	    "-Dq=tool", "-XX:+DisableAttachMechanism", NULL };
	struct sbx_jvmargs *a;

	put_files();
	a = parse_ok(argv, &e);
	ck_assert_str_eq(effective(a), "-Dq=tool|-XX:Flags=flags|"
	    "-XX:+BytecodeVerificationRemote|-Dp=cmd|-Xverify:remote|"
	    "-Djava.class.path=.|-XX:+DisableAttachMechanism");
	/* The flags file comes first, so the command line overrides it. */
	ck_assert_str_eq(a->opts[0].text, "-XX:-BytecodeVerificationRemote");
	ck_assert_int_eq(a->opts[0].source, SBX_JVM_SRC_FLAGS_FILE);
	ck_assert(!a->opts[0].in_effect);
	sbx_jvmargs_free(a);
}
END_TEST

START_TEST(launcher_spellings_become_vm_options)
{
	const char *argv[] = { "java", "-noverify", "-verifyremote",
	    "-mx64m", "-debug", "--add-opens", "java.base/java.lang=ALL",
	    "-p", "mods", NULL };
	struct sbx_jvmargs *a = parse_ok(argv, NULL);

	ck_assert_uint_eq(a->nopts, 6);
	ck_assert_str_eq(a->opts[0].text, "-Xverify:none");
	ck_assert_str_eq(a->opts[0].spelling, "-noverify");
	ck_assert(!a->opts[0].in_effect);
	ck_assert_str_eq(a->opts[1].text, "-Xverify:remote");
	ck_assert_str_eq(a->opts[2].text, "-Xmx64m");
	ck_assert_str_eq(a->opts[3].text, "-Xdebug");
	ck_assert_str_eq(a->opts[4].text,
	    "--add-opens=java.base/java.lang=ALL");
	ck_assert_str_eq(a->opts[5].text, "--module-path=mods");
	ck_assert_int_eq(a->main_kind, SBX_JVM_MAIN_NONE);
	sbx_jvmargs_free(a);
}
END_TEST

START_TEST(tokens_remember_where_they_were_written)
{
	const char *argv[] = { "java", "@agent.args", "Main", "@x", NULL };
	struct sbx_jvmargs *a;

	put_files();
	a = parse_ok(argv, &(struct env){ "-Dj=1", NULL, NULL, NULL });
	ck_assert_uint_eq(a->c[0].tokens.n, 5);
	ck_assert_int_eq(a->c[0].token_source[0],
	    SBX_JVM_SRC_JDK_JAVA_OPTIONS);
	ck_assert_int_eq(a->c[0].token_source[1], SBX_JVM_SRC_ARGFILE);
	ck_assert_str_eq(a->c[0].token_origin[1], "agent.args");
	ck_assert_int_eq(a->c[0].token_source[3], SBX_JVM_SRC_ARGV);
	/* "@x" after the main class is an argument of the program. */
	ck_assert_str_eq(a->c[0].tokens.v[4], "@x");
	ck_assert_uint_eq(a->expand_until, 4);
	ck_assert_uint_eq(a->env_tokens, 1);
	ck_assert_uint_eq(a->items[0].container, 0);
	ck_assert_uint_eq(a->items[0].token, 1);
	sbx_jvmargs_free(a);
}
END_TEST

START_TEST(options_file_is_a_container_of_its_own)
{
	const char *argv[] = { "java", "Main", NULL };
	struct env e = { NULL, "-Da -XX:VMOptionsFile=vm.opts", NULL, NULL };
	const struct sbx_jvm_container *c;
	struct sbx_jvmargs *a;

	put_files();
	a = parse_ok(argv, &e);
	ck_assert_uint_eq(a->nc, 3);
	c = &a->c[a->items[0].container];
	ck_assert_int_eq(c->source, SBX_JVM_SRC_VM_OPTIONS_FILE);
	ck_assert_str_eq(c->origin, "vm.opts");
	ck_assert_uint_eq(c->parent, 1);
	ck_assert_uint_eq(c->parent_token, 1);
	ck_assert_uint_eq(c->raw.len, 32);
	ck_assert_str_eq(c->tokens.v[a->items[0].token],
	    "-javaagent:v m.jar=q");
	sbx_jvmargs_free(a);
}
END_TEST

struct bad_case {
	const char	*argv[6];
	struct env	 env;
	int		 rc;
	const char	*msg;
};

static const struct bad_case bad_cases[] = {
	{ { "java", "Main", NULL }, { "'-javaagent:x", NULL, NULL, NULL },
	    SBX_EREJECT, "JDK_JAVA_OPTIONS: unmatched quote (')" },
	{ { "java", "Main", NULL }, { NULL, "\"-javaagent:x", NULL, NULL },
	    SBX_EREJECT, "JAVA_TOOL_OPTIONS: unmatched quote (\")" },
	{ { "java", "Main", NULL }, { NULL, NULL, "'x", NULL }, SBX_EREJECT,
	    "_JAVA_OPTIONS: unmatched quote (')" },
	{ { "java", "Main", NULL }, { "-jar x.jar", NULL, NULL, NULL },
	    SBX_EREJECT, "-jar in JDK_JAVA_OPTIONS: java refuses it there" },
	{ { "java", "x", NULL }, { "Main", NULL, NULL, NULL }, SBX_EREJECT,
	    "JDK_JAVA_OPTIONS names the main class (Main): java refuses it" },
	{ { "java", "Main", NULL }, { "@main.args", NULL, NULL, NULL },
	    SBX_EREJECT, "JDK_JAVA_OPTIONS names the main class (@main.args):"
	    " java refuses it" },
	{ { "java", "-XX:VMOptionsFile=vm.opts", "-XX:VMOptionsFile=vm.opts",
	    "Main", NULL }, { 0 }, SBX_EREJECT, "-XX:VMOptionsFile=vm.opts: a"
	    " second options file in the command line: java refuses it" },
	{ { "java", "-XX:VMOptionsFile=nest.opts", "Main", NULL }, { 0 },
	    SBX_EREJECT, "nest.opts: an options file naming another: java "
	    "refuses it" },
	{ { "java", "-XXaltjvm=/tmp/evil", "Main", NULL }, { 0 }, SBX_EREJECT,
	    "-XXaltjvm=/tmp/evil: another libjvm is native code the guard "
	    "cannot check" },
	{ { "java", "Main", NULL }, { NULL, NULL, NULL, "/tmp/evil" },
	    SBX_EREJECT, "JDK_ALTERNATE_VM=/tmp/evil: another libjvm is native"
	    " code the guard cannot check" },
	{ { "java", "-cp", NULL }, { 0 }, SBX_EREJECT,
	    "-cp: java refuses it (no class path given)" },
	{ { "java", "@missing.args", NULL }, { 0 }, SBX_EIO, NULL },
};

START_TEST(command_java_would_refuse_is_refused)
{
	const struct bad_case *c = &bad_cases[_i];
	struct sbx_jvmargs *a = NULL;
	struct sbx_err err = { 0 };

	put_files();
	put("nest.opts", "-XX:VMOptionsFile=vm.opts", 25);
	ck_assert_int_eq(parse(&a, c->argv, &c->env, &err), c->rc);
	ck_assert_ptr_null(a);
	if (c->msg != NULL) {
		ck_assert_int_eq(err.violation, SBX_V_FORBIDDEN_FLAG);
		ck_assert_str_eq(err.msg, c->msg);
	} else
		ck_assert_ptr_nonnull(strstr(err.msg, "missing.args"));
}
END_TEST

START_TEST(fullversion_creates_no_jvm)
{
	const char *argv[] = { "java", "-fullversion", "-javaagent:x", NULL };
	struct sbx_jvmargs *a = parse_ok(argv, NULL);

	ck_assert(!a->vm_created);
	ck_assert_uint_eq(a->nitems, 0);
	sbx_jvmargs_free(a);
}
END_TEST

START_TEST(input_env_reads_the_four_variables)
{
	char *envp[] = { "PATH=/bin", "JDK_JAVA_OPTIONS=-Da",
	    "JAVA_TOOL_OPTIONS=-Db", "_JAVA_OPTIONS=-Dc",
	    "JDK_ALTERNATE_VM=v", "XJAVA_TOOL_OPTIONS=-Dz", NULL };
	struct sbx_jvm_input in = { 0 };

	sbx_jvm_input_env(&in, envp);
	ck_assert_str_eq(in.jdk_java_options, "-Da");
	ck_assert_str_eq(in.java_tool_options, "-Db");
	ck_assert_str_eq(in.java_options, "-Dc");
	ck_assert_str_eq(in.jdk_alternate_vm, "v");
}
END_TEST

static Suite *
jvmargs_suite(void)
{
	Suite *s = suite_create("jvmargs");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, argfile_splits_as_the_launcher_does, 0,
	    N(argfile_cases));
	tcase_add_test(tc, argfile_keeps_the_launchers_4k_block_quirk);
	tcase_add_test(tc, argfile_token_across_blocks_is_whole);
	tcase_add_test(tc, argfile_with_nul_is_refused);
	tcase_add_loop_test(tc, options_split_as_the_vm_does, 0,
	    N(option_cases));
	tcase_add_test(tc, options_with_unmatched_quote_are_refused);
	tcase_add_loop_test(tc, flags_file_splits_as_hotspot_does, 0,
	    N(flags_cases));
	tcase_add_test(tc, flags_file_with_huge_setting_is_refused);
	tcase_add_test(tc, join_reads_back_as_the_same_tokens);
	tcase_add_loop_test(tc, command_gives_these_agents, 0,
	    N(cmd_cases));
	tcase_add_test(tc, jar_is_the_program_and_may_be_an_agent);
	tcase_add_test(tc, later_options_override_earlier_ones);
	tcase_add_test(tc, launcher_spellings_become_vm_options);
	tcase_add_test(tc, tokens_remember_where_they_were_written);
	tcase_add_test(tc, options_file_is_a_container_of_its_own);
	tcase_add_loop_test(tc, command_java_would_refuse_is_refused, 0,
	    N(bad_cases));
	tcase_add_test(tc, fullversion_creates_no_jvm);
	tcase_add_test(tc, input_env_reads_the_four_variables);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(jvmargs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

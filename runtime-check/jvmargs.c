/* runtime-check/jvmargs.c: a java command, read as the launcher and VM do. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sbx/buf.h>
#include <sbx/err.h>
#include <sbx/file.h>
#include <sbx/jvmargs.h>

extern char **environ;

/* The launcher refuses bigger argfiles; options files are far smaller. */
#define OPTIONS_FILE_MAX	((size_t)16 << 20)

/* A growable list of options, one per JVM option. */
struct optv {
	struct sbx_jvm_opt *v;
	size_t		 n;
};

/* Where a token of the launcher's list came from. */
struct tsrc {
	enum sbx_jvm_source src;
	const char	*origin;
};

/* The launcher's @argfile expansion state (its args.c). */
struct lx {
	struct sbx_jvmargs *a;
	const struct sbx_jvm_input *in;
	struct sbx_err	*err;
	bool		 main_found;	/* the main class or JAR is known */
	bool		 expecting;	/* the next token is an option's */
	bool		 stop;		/* --disable-@files was seen */
};

/* The launcher's option parse state (its java.c). */
struct lp {
	struct sbx_jvmargs *a;
	struct optv	*out;
	struct sbx_err	*err;
	size_t		*idx;		/* container 0 tokens left after
					   dropping -server and the like */
	size_t		 n;
	size_t		 p;
	enum { LM_UNKNOWN, LM_CLASS, LM_JAR, LM_MODULE, LM_SOURCE } mode;
	bool		 stopped;	/* -version and the like */
	bool		 have_cp;	/* a class path was given */
};

static const char *const source_names[] = {
	[SBX_JVM_SRC_ARGV] = "the command line",
	[SBX_JVM_SRC_ARGFILE] = "@argfile",
	[SBX_JVM_SRC_JDK_JAVA_OPTIONS] = "JDK_JAVA_OPTIONS",
	[SBX_JVM_SRC_JAVA_TOOL_OPTIONS] = "JAVA_TOOL_OPTIONS",
	[SBX_JVM_SRC_JAVA_OPTIONS] = "_JAVA_OPTIONS",
	[SBX_JVM_SRC_VM_OPTIONS_FILE] = "-XX:VMOptionsFile",
	[SBX_JVM_SRC_FLAGS_FILE] = "-XX:Flags",
	[SBX_JVM_SRC_MANIFEST] = "the -jar manifest",
};

static const char *const kind_names[] = {
	[SBX_JVM_JAVAAGENT] = "javaagent",
	[SBX_JVM_LAUNCHER_AGENT] = "launcher-agent",
	[SBX_JVM_AGENTPATH] = "agentpath",
	[SBX_JVM_AGENTLIB] = "agentlib",
	[SBX_JVM_BOOT_JAR] = "boot-jar",
	[SBX_JVM_PATCH_JAR] = "patch-jar",
	[SBX_JVM_UPGRADE_PATH] = "upgrade-module-path",
};

/* Options that stop the launcher's expansion when met in a variable. */
static const char *const terminal_opts[] = {
	"-jar", "-m", "--module", "--dry-run", "-h", "-?", "-help",
	"--help", "-X", "--help-extra", "-version", "--version",
	"-fullversion", "--full-version", NULL
};

/* The VM names of the JDK's lib/jvm.cfg, which the launcher drops. */
static const char *const vm_types[] = {
	"-server", "-client", "-zero", "-dcevm", NULL
};

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* java.c: IsClassPathOption, IsLauncherOption, IsModuleOption. */
static bool
is_launcher_option(const char *s)
{
	static const char *const l[] = { "-classpath", "-cp",
	    "--class-path", "--module", "-m", "--describe-module", "-d",
	    "--source", NULL };

	return in_list(s, l);
}

static bool
is_module_option(const char *s)
{
	static const char *const l[] = { "--module-path", "-p",
	    "--upgrade-module-path", "--add-modules",
	    "--enable-native-access", "--limit-modules", "--add-exports",
	    "--add-opens", "--add-reads", "--patch-module", NULL };

	return in_list(s, l);
}

static bool
is_long_module_option(const char *s)
{
	static const char *const l[] = { "--module-path=",
	    "--upgrade-module-path=", "--add-modules=",
	    "--enable-native-access=", "--limit-modules=", "--add-exports=",
	    "--add-reads=", "--patch-module=", NULL };
	size_t i;

	for (i = 0; l[i] != NULL; i++)
		if (starts(s, l[i]))
			return true;
	return false;
}

static bool
is_white_space_option(const char *s)
{
	return is_module_option(s) || is_launcher_option(s);
}

static bool
is_terminal_opt(const char *s)
{
	return in_list(s, terminal_opts) || starts(s, "--module=");
}

const char *
sbx_jvm_source_name(enum sbx_jvm_source s)
{
	if ((size_t)s >= sizeof(source_names) / sizeof(source_names[0]))
		return "?";
	return source_names[s];
}

const char *
sbx_jvm_kind_name(enum sbx_jvm_kind k)
{
	if ((size_t)k >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "?";
	return kind_names[k];
}

void
sbx_jvm_input_env(struct sbx_jvm_input *in, char *const *envp)
{
	struct { const char *name; const char **to; } vars[] = {
		{ "JDK_JAVA_OPTIONS=", &in->jdk_java_options },
		{ "JAVA_TOOL_OPTIONS=", &in->java_tool_options },
		{ "_JAVA_OPTIONS=", &in->java_options },
		{ "JDK_ALTERNATE_VM=", &in->jdk_alternate_vm },
		{ "LD_PRELOAD=", &in->ld_preload },
		{ "LD_AUDIT=", &in->ld_audit },
		{ "LD_LIBRARY_PATH=", &in->ld_library_path },
	};
	size_t i, k;

	if (envp == NULL)
		envp = environ;
	for (k = 0; k < sizeof(vars) / sizeof(vars[0]); k++)
		*vars[k].to = NULL;
	for (i = 0; envp[i] != NULL; i++)
		for (k = 0; k < sizeof(vars) / sizeof(vars[0]); k++)
			if (starts(envp[i], vars[k].name))
				*vars[k].to = envp[i] + strlen(vars[k].name);
}

static int
optv_push(struct optv *l, const char *text, const char *spelling,
    struct tsrc where, size_t container, size_t token, struct sbx_err *err)
{
	struct sbx_jvm_opt *v, *o;

	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	l->v = v;
	o = &v[l->n];
	memset(o, 0, sizeof(*o));
	o->text = strdup(text);
	o->spelling = spelling != NULL ? strdup(spelling) : NULL;
	if (o->text == NULL || (spelling != NULL && o->spelling == NULL)) {
		free(o->text);
		free(o->spelling);
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	}
	l->n++;
	o->source = where.src;
	o->origin = where.origin;
	o->in_effect = true;
	o->container = container;
	o->token = token;
	return SBX_OK;
}

static void
optv_free(struct optv *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].text);
		free(l->v[i].spelling);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Append an empty container; its index goes to *at. */
static int
container_add(struct sbx_jvmargs *a, enum sbx_jvm_source src,
    const char *origin, size_t *at, struct sbx_err *err)
{
	struct sbx_jvm_container *c;

	if ((c = realloc(a->c, (a->nc + 1) * sizeof(*c))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	a->c = c;
	c = &a->c[a->nc];
	memset(c, 0, sizeof(*c));
	c->source = src;
	if ((c->origin = strdup(origin)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	*at = a->nc++;
	return SBX_OK;
}

/* Read a file named by an option, relative to the input's folder. */
static int
read_named(struct sbx_buf *out, const struct sbx_jvm_input *in,
    const char *path, struct sbx_err *err)
{
	struct sbx_buf full = { 0 };
	int rc;

	if (in->dir == NULL || path[0] == '/')
		return sbx_file_read(out, path, OPTIONS_FILE_MAX, err);
	if ((rc = sbx_buf_printf(&full, err, "%s/%s", in->dir, path)) ==
	    SBX_OK && (rc = sbx_buf_terminate(&full, err)) == SBX_OK)
		rc = sbx_file_read(out, (char *)full.p, OPTIONS_FILE_MAX, err);
	sbx_buf_free(&full);
	return rc;
}

/* Keep a file name for the life of the result; *kept points at it. */
static int
keep_name(struct sbx_jvmargs *a, const char *name, const char **kept,
    struct sbx_err *err)
{
	int rc;

	if ((rc = sbx_jvm_strs_add(&a->names, name, strlen(name), err)) ==
	    SBX_OK)
		*kept = a->names.v[a->names.n - 1];
	return rc;
}

/* args.c checkArg: track where the main class is, for expansion. */
static void
check_arg(struct lx *x, const char *arg)
{
	bool main_here = false;

	if (arg[0] == '-') {
		x->expecting = false;
		if (is_white_space_option(arg))
			x->expecting = strcmp(arg, "--module") != 0 &&
			    strcmp(arg, "-m") != 0;
		else if (strcmp(arg, "--disable-@files") == 0)
			x->stop = true;
		else if (starts(arg, "--module="))
			main_here = true;
	} else {
		main_here = !x->expecting;
		x->expecting = false;
	}
	if (main_here)
		x->main_found = true;
}

/* Add one token to the launcher's list. */
static int
lx_add(struct lx *x, const char *tok, struct tsrc where)
{
	struct sbx_jvm_container *c0 = &x->a->c[0];
	enum sbx_jvm_source *s;
	char **o;
	bool was = x->main_found || x->stop;
	int rc;

	s = realloc(c0->token_source, (c0->tokens.n + 1) * sizeof(*s));
	if (s == NULL)
		return sbx_err_set(x->err, SBX_ENOMEM, "out of memory");
	c0->token_source = s;
	o = realloc(c0->token_origin, (c0->tokens.n + 1) * sizeof(*o));
	if (o == NULL)
		return sbx_err_set(x->err, SBX_ENOMEM, "out of memory");
	c0->token_origin = o;
	s[c0->tokens.n] = where.src;
	o[c0->tokens.n] = (char *)where.origin;
	if ((rc = sbx_jvm_strs_add(&c0->tokens, tok, strlen(tok), x->err)) !=
	    SBX_OK)
		return rc;
	check_arg(x, tok);
	if (!was && (x->main_found || x->stop))
		x->a->expand_until = c0->tokens.n;
	return SBX_OK;
}

/*
 * Add the tokens of an @argfile. In a variable or a --source value
 * (in_var) they may not name the program or stop the launcher.
 */
static int
lx_argfile(struct lx *x, const char *path, const char *var)
{
	struct sbx_buf text = { 0 };
	struct sbx_jvm_strs toks = { 0 };
	struct tsrc where = { SBX_JVM_SRC_ARGFILE, NULL };
	size_t i;
	int rc;

	if ((rc = keep_name(x->a, path, &where.origin, x->err)) != SBX_OK ||
	    (rc = read_named(&text, x->in, path, x->err)) != SBX_OK)
		goto done;
	rc = sbx_jvm_split_argfile(&toks, (char *)text.p, text.len, path,
	    x->err);
	for (i = 0; rc == SBX_OK && i < toks.n; i++) {
		if (var != NULL && is_terminal_opt(toks.v[i])) {
			rc = sbx_err_reject(x->err, SBX_V_FORBIDDEN_FLAG,
			    "%s in @%s in %s: java refuses it there",
			    toks.v[i], path, var);
			break;
		}
		rc = lx_add(x, toks.v[i], where);
	}
done:
	sbx_jvm_strs_free(&toks);
	sbx_buf_free(&text);
	return rc;
}

/* args.c JLI_PreprocessArg: one argument, expanded or as it is. */
static int
lx_arg(struct lx *x, const char *arg, struct tsrc where, const char *var)
{
	if (x->main_found || x->stop || arg[0] != '@' || arg[1] == '\0') {
		if (var != NULL && is_terminal_opt(arg))
			return sbx_err_reject(x->err, SBX_V_FORBIDDEN_FLAG,
			    "%s in %s: java refuses it there", arg, var);
		return lx_add(x, arg, where);
	}
	if (arg[1] == '@')
		return lx_add(x, arg + 1, where);
	return lx_argfile(x, arg + 1, var);
}

/*
 * args.c expand: JDK_JAVA_OPTIONS (quotes allowed) or a --source value
 * (split at white space only); neither may name the main class.
 */
static int
lx_expand(struct lx *x, const char *text, const char *var, struct tsrc where,
    bool quotes)
{
	struct sbx_jvm_strs toks = { 0 };
	size_t i, n;
	int rc = SBX_OK;

	if (quotes)
		rc = sbx_jvm_split_options(&toks, text, strlen(text), var,
		    x->err);
	for (; !quotes && rc == SBX_OK && *text != '\0'; text += n) {
		text += strspn(text, " \t\n\v\f\r");
		n = strcspn(text, " \t\n\v\f\r");
		if (n > 0)
			rc = sbx_jvm_strs_add(&toks, text, n, x->err);
	}
	for (i = 0; rc == SBX_OK && i < toks.n; i++) {
		rc = lx_arg(x, toks.v[i], where, var);
		if (rc == SBX_OK && x->main_found)
			rc = sbx_err_reject(x->err, SBX_V_FORBIDDEN_FLAG,
			    "%s names the main class (%s): java refuses it",
			    var, toks.v[i]);
	}
	sbx_jvm_strs_free(&toks);
	return rc;
}

/* The launcher's list: JDK_JAVA_OPTIONS, then the command line. */
static int
expand_launcher(struct sbx_jvmargs *a, const struct sbx_jvm_input *in,
    struct sbx_err *err)
{
	struct lx x = { .a = a, .in = in, .err = err };
	struct tsrc argv_src = { SBX_JVM_SRC_ARGV, NULL };
	struct tsrc env_src = { SBX_JVM_SRC_JDK_JAVA_OPTIONS, NULL };
	size_t c0;
	int i, rc;

	if ((rc = container_add(a, SBX_JVM_SRC_ARGV, "the command line", &c0,
	    err)) != SBX_OK)
		return rc;
	a->expand_until = (size_t)-1;
	if (in->jdk_java_options != NULL && (rc = lx_expand(&x,
	    in->jdk_java_options, "JDK_JAVA_OPTIONS", env_src, true)) !=
	    SBX_OK)
		return rc;
	a->env_tokens = a->c[0].tokens.n;
	for (i = 1; i < in->argc; i++) {
		const char *arg = in->argv[i];

		if (!x.main_found && !x.stop && starts(arg, "--source") &&
		    strchr(arg, ' ') != NULL)
			rc = lx_expand(&x, arg, "--source", argv_src, false);
		else
			rc = lx_arg(&x, arg, argv_src, NULL);
		if (rc != SBX_OK)
			return rc;
	}
	if (a->expand_until == (size_t)-1)
		a->expand_until = a->c[0].tokens.n;
	return SBX_OK;
}

/*
 * The dynamic loader's variables put native code in the JVM (and in
 * sbx-guard itself, which can only refuse to go on): refused when set
 * to anything.
 */
static int
check_loader_vars(struct lp *p, const struct sbx_jvm_input *in)
{
	const struct { const char *name, *value; } v[] = {
		{ "LD_PRELOAD", in->ld_preload },
		{ "LD_AUDIT", in->ld_audit },
		{ "LD_LIBRARY_PATH", in->ld_library_path },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i].value != NULL && v[i].value[0] != '\0')
			return sbx_err_reject(p->err, SBX_V_FORBIDDEN_FLAG,
			    "%s=%s: the dynamic loader would put native code "
			    "in the JVM that the guard cannot check",
			    v[i].name, v[i].value);
	return SBX_OK;
}

/*
 * java.c CheckJvmType: drop the VM type options before the main class,
 * refuse an alternate VM. The tokens that remain go to *idx.
 */
static int
check_jvm_type(struct lp *p, const struct sbx_jvm_input *in)
{
	struct sbx_jvm_strs *t = &p->a->c[0].tokens;
	size_t i;
	int rc;
	bool options = true;

	if (in->jdk_alternate_vm != NULL)
		return sbx_err_reject(p->err, SBX_V_FORBIDDEN_FLAG,
		    "JDK_ALTERNATE_VM=%s: another libjvm is native code the "
		    "guard cannot check", in->jdk_alternate_vm);
	if ((rc = check_loader_vars(p, in)) != SBX_OK)
		return rc;
	if ((p->idx = calloc(t->n + 1, sizeof(*p->idx))) == NULL)
		return sbx_err_set(p->err, SBX_ENOMEM, "out of memory");
	for (i = 0; i < t->n; i++) {
		const char *arg = t->v[i];

		if (options && is_white_space_option(arg)) {
			p->idx[p->n++] = i;
			if (i + 1 < t->n)
				p->idx[p->n++] = ++i;
			continue;
		}
		if (arg[0] != '-')
			options = false;
		if (options && (starts(arg, "-XXaltjvm=") ||
		    starts(arg, "-J-XXaltjvm=")))
			return sbx_err_reject(p->err, SBX_V_FORBIDDEN_FLAG,
			    "%s: another libjvm is native code the guard "
			    "cannot check", arg);
		if (!options || !in_list(arg, vm_types))
			p->idx[p->n++] = i;
	}
	return SBX_OK;
}

static struct tsrc
token_src(const struct sbx_jvmargs *a, size_t tok)
{
	struct tsrc s;

	s.src = a->c[0].token_source[tok];
	s.origin = a->c[0].token_origin[tok];
	return s;
}

/* A VM option made by the launcher from the token at idx[k]. */
static int
lp_add(struct lp *p, size_t k, const char *text, const char *spelling)
{
	size_t tok = p->idx[k];

	return optv_push(p->out, text, spelling, token_src(p->a, tok), 0, tok,
	    p->err);
}

static int
lp_add2(struct lp *p, size_t k, const char *a, const char *b,
    const char *spelling)
{
	struct sbx_buf s = { 0 };
	int rc;

	if ((rc = sbx_buf_printf(&s, p->err, "%s%s", a, b)) == SBX_OK &&
	    (rc = sbx_buf_terminate(&s, p->err)) == SBX_OK)
		rc = lp_add(p, k, (char *)s.p, spelling);
	sbx_buf_free(&s);
	return rc;
}

static int
lp_refuse(struct lp *p, const char *arg, const char *why)
{
	return sbx_err_reject(p->err, SBX_V_FORBIDDEN_FLAG,
	    "%s: java refuses it (%s)", arg, why);
}

/* The launcher's own spellings of VM options (java.c). */
static const char *
translated(const char *arg)
{
	static const char *const map[][2] = {
		{ "-verbosegc", "-verbose:gc" }, { "-t", "-Xt" },
		{ "-tm", "-Xtm" }, { "-debug", "-Xdebug" },
		{ "-noclassgc", "-Xnoclassgc" }, { "-Xfuture", "-Xverify:all" },
		{ "-verify", "-Xverify:all" },
		{ "-verifyremote", "-Xverify:remote" },
		{ "-noverify", "-Xverify:none" },
		{ "-Xdiag", "-Dsun.java.launcher.diag=true" },
		{ "--show-module-resolution",
		    "-Djdk.module.showModuleResolution=true" },
		{ "--validate-modules", "-Djdk.module.validation=true" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(arg, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* Options the launcher handles itself and never passes on. */
static bool
launcher_only(const char *arg)
{
	static const char *const l[] = { "--list-modules",
	    "--show-resolved-modules", "-showversion", "--show-version",
	    "--dry-run", "-checksource", "-cs", "-noasyncgc", NULL };

	return in_list(arg, l) || strcmp(arg, "-XshowSettings") == 0 ||
	    starts(arg, "-XshowSettings:") || starts(arg, "-splash:");
}

/* Options after which the launcher stops reading options. */
static int
lp_stop(struct lp *p, const char *arg, bool *stopped)
{
	static const char *const usage[] = { "-help", "-h", "-?", "--help",
	    "-version", "--version", "-X", "--help-extra", NULL };

	*stopped = true;
	if (in_list(arg, usage)) {
		p->stopped = true;
		return SBX_OK;
	}
	if (strcmp(arg, "-fullversion") == 0 ||
	    strcmp(arg, "--full-version") == 0) {
		p->stopped = true;
		p->a->vm_created = false;
		return SBX_OK;
	}
	*stopped = false;
	return SBX_OK;
}

static const char *
lp_tok(const struct lp *p, size_t k)
{
	return p->a->c[0].tokens.v[p->idx[k]];
}

/* java.c GetOpt: an option and the value it takes, if any. */
struct getopt {
	const char	*arg;
	const char	*option;	/* "-p" is "--module-path" */
	const char	*value;
	size_t		 k;		/* the option's place in idx */
	size_t		 vk;		/* the value's, when a token */
	enum { K_PLAIN, K_LAUNCHER, K_MAIN, K_VM_LONG, K_VM_LONG_ARG } kind;
};

static void
lp_getopt(struct lp *p, struct getopt *g)
{
	const char *eq;
	bool next = p->n - p->p > 1 && lp_tok(p, p->p + 1)[0] != '-';

	memset(g, 0, sizeof(*g));
	g->k = g->vk = p->p;
	g->arg = g->option = lp_tok(p, p->p++);
	if (is_launcher_option(g->arg) || is_module_option(g->arg)) {
		if (next) {
			g->vk = p->p;
			g->value = lp_tok(p, p->p++);
		}
		if (is_module_option(g->arg))
			g->kind = K_VM_LONG_ARG;
		else if (strcmp(g->arg, "--module") == 0 ||
		    strcmp(g->arg, "-m") == 0)
			g->kind = K_MAIN;
		else
			g->kind = K_LAUNCHER;
		if (strcmp(g->arg, "-p") == 0)
			g->option = "--module-path";
	} else if (starts(g->arg, "--") &&
	    (eq = strchr(g->arg, '=')) != NULL) {
		g->value = eq + 1;
		g->kind = starts(g->arg, "--describe-module=") ||
		    starts(g->arg, "--module=") ||
		    starts(g->arg, "--class-path=") ||
		    starts(g->arg, "--source=") ? K_LAUNCHER : K_VM_LONG;
	}
}

static bool
is_arg(const struct getopt *g, const char *a, const char *b, const char *pre)
{
	return strcmp(g->arg, a) == 0 || (b != NULL && strcmp(g->arg, b) ==
	    0) || (pre != NULL && starts(g->arg, pre));
}

/* -jar, -m/--module, --source, -cp: the ways to name the program. */
static int
lp_program(struct lp *p, const struct getopt *g, bool *handled, bool *brk)
{
	bool has_arg = g->value != NULL && *g->value != '\0';
	char *s;
	int rc;

	*handled = true;
	if (strcmp(g->arg, "-jar") == 0) {
		if (p->mode == LM_SOURCE)
			return lp_refuse(p, g->arg, "after --source");
		/* Nothing after -jar: java prints its usage and stops. */
		p->stopped = p->p == p->n;
		p->mode = LM_JAR;
	} else if (is_arg(g, "--module", "-m", "--module=")) {
		if (!has_arg)
			return lp_refuse(p, g->arg, "no module named");
		if (p->mode == LM_SOURCE)
			return lp_refuse(p, g->arg, "after --source");
		p->mode = LM_MODULE;
		p->a->main_token = p->idx[g->vk];
		*brk = true;
		/* java.c SetMainModule: the module, without "/class". */
		if (asprintf(&s, "-Djdk.module.main=%.*s",
		    (int)strcspn(g->value, "/"), g->value) < 0)
			return sbx_err_set(p->err, SBX_ENOMEM, "out of memory");
		rc = lp_add(p, g->k, s, g->arg);
		free(s);
		return rc;
	} else if (is_arg(g, "--source", NULL, "--source=")) {
		if (!has_arg)
			return lp_refuse(p, g->arg, "no release given");
		p->mode = LM_SOURCE;
		return lp_add2(p, g->k, "-Djdk.internal.javac.source=",
		    g->value, g->arg);
	} else if (is_arg(g, "--class-path", "-classpath", "--class-path=") ||
	    strcmp(g->arg, "-cp") == 0) {
		if (g->value == NULL)
			return lp_refuse(p, g->arg, "no class path given");
		if (p->mode != LM_SOURCE)
			p->mode = LM_CLASS;
		p->have_cp = true;
		return lp_add2(p, g->k, "-Djava.class.path=", g->value,
		    g->arg);
	} else
		*handled = false;
	return SBX_OK;
}

/* Module options and what the launcher keeps for itself. */
static int
lp_module(struct lp *p, const struct getopt *g, bool *handled)
{
	bool has_arg = g->value != NULL && *g->value != '\0';
	char *s;
	int rc;

	*handled = true;
	if (is_arg(g, "--describe-module", "-d", "--describe-module=")) {
		if (g->value == NULL)
			return lp_refuse(p, g->arg, "no module named");
	} else if (has_arg && g->kind == K_VM_LONG) {
		return lp_add(p, g->k, g->arg, NULL);
	} else if (has_arg && g->kind == K_VM_LONG_ARG) {
		if (asprintf(&s, "%s=%s", g->option, g->value) < 0)
			return sbx_err_set(p->err, SBX_ENOMEM, "out of memory");
		rc = lp_add(p, g->k, s, NULL);
		free(s);
		return rc;
	} else if (!has_arg && (is_module_option(g->arg) ||
	    is_long_module_option(g->arg))) {
		return lp_refuse(p, g->arg, "no value given");
	} else
		*handled = false;
	return SBX_OK;
}

/* Everything else: translated, kept by the launcher, or passed on. */
static int
lp_other(struct lp *p, const struct getopt *g)
{
	const char *arg = g->arg, *vm;
	char *s;
	bool stopped;
	int rc;

	if ((rc = lp_stop(p, arg, &stopped)) != SBX_OK || stopped)
		return rc;
	if ((vm = translated(arg)) != NULL)
		return lp_add(p, g->k, vm, arg);
	if (launcher_only(arg))
		return SBX_OK;
	if (starts(arg, "-ss") || starts(arg, "-oss") ||
	    starts(arg, "-ms") || starts(arg, "-mx")) {
		if (asprintf(&s, "-X%s", arg + 1) < 0)
			return sbx_err_set(p->err, SBX_ENOMEM, "out of memory");
		rc = lp_add(p, g->k, s, arg);
		free(s);
		return rc;
	}
	if (starts(arg, "-Djava.class.path="))
		p->have_cp = true;
	return lp_add(p, g->k, arg, NULL);
}

static bool
ends_java(const char *s)
{
	size_t n = strlen(s);

	return n >= 5 && strcmp(s + n - 5, ".java") == 0;
}

/*
 * What java.c adds after the options: the current folder as the class
 * path when none was given, the JDK's modules for a source file, the
 * JAR as the class path for -jar. k is the main token's place in idx.
 */
static int
lp_tail(struct lp *p, size_t k)
{
	struct sbx_jvmargs *a = p->a;
	int rc = SBX_OK;

	if (p->mode == LM_UNKNOWN && !p->have_cp)
		rc = lp_add(p, k, "-Djava.class.path=.", NULL);
	if (rc == SBX_OK && a->main_kind == SBX_JVM_MAIN_SOURCE)
		rc = lp_add(p, k, "--add-modules=ALL-DEFAULT", NULL);
	if (rc == SBX_OK && a->main_kind == SBX_JVM_MAIN_JAR)
		rc = lp_add2(p, k, "-Djava.class.path=", a->main, NULL);
	return rc;
}

/* The main class, JAR, module or source file, and its kind. */
static int
lp_main(struct lp *p)
{
	struct sbx_jvmargs *a = p->a;
	const char *m;
	size_t k = p->p;

	if (p->mode == LM_MODULE)
		a->main_kind = SBX_JVM_MAIN_MODULE;
	else if (p->stopped || p->p == p->n)
		return SBX_OK;
	else {
		a->main_token = p->idx[p->p];
		a->main_kind = p->mode == LM_JAR ? SBX_JVM_MAIN_JAR :
		    p->mode == LM_SOURCE ? SBX_JVM_MAIN_SOURCE :
		    SBX_JVM_MAIN_CLASS;
	}
	m = a->c[0].tokens.v[a->main_token];
	if (starts(m, "--module="))
		m += strlen("--module=");
	if (a->main_kind == SBX_JVM_MAIN_CLASS && ends_java(m))
		a->main_kind = SBX_JVM_MAIN_SOURCE;
	if ((a->main = strdup(m)) == NULL)
		return sbx_err_set(p->err, SBX_ENOMEM, "out of memory");
	return lp_tail(p, k);
}

/* java.c ParseArguments over the launcher's list. */
static int
parse_launcher(struct sbx_jvmargs *a, const struct sbx_jvm_input *in,
    struct optv *out, struct sbx_err *err)
{
	struct lp p = { .a = a, .out = out, .err = err };
	struct getopt g;
	bool handled, brk = false;
	int rc;

	a->vm_created = true;
	if ((rc = check_jvm_type(&p, in)) != SBX_OK)
		goto done;
	while (!brk && !p.stopped && p.p < p.n && lp_tok(&p, p.p)[0] == '-') {
		lp_getopt(&p, &g);
		if ((rc = lp_program(&p, &g, &handled, &brk)) != SBX_OK)
			goto done;
		if (!handled && (rc = lp_module(&p, &g, &handled)) != SBX_OK)
			goto done;
		if (!handled && (rc = lp_other(&p, &g)) != SBX_OK)
			goto done;
	}
	rc = lp_main(&p);
done:
	free(p.idx);
	return rc;
}

/* A variable's options, each a token of its own container. */
static int
env_opts(struct sbx_jvmargs *a, const char *value, enum sbx_jvm_source src,
    struct optv *out, struct sbx_err *err)
{
	const char *name = sbx_jvm_source_name(src);
	struct tsrc where = { src, NULL };
	size_t c, i;
	int rc;

	if ((rc = container_add(a, src, name, &c, err)) != SBX_OK)
		return rc;
	where.origin = a->c[c].origin;
	rc = sbx_jvm_split_options(&a->c[c].tokens, value, strlen(value),
	    name, err);
	for (i = 0; rc == SBX_OK && i < a->c[c].tokens.n; i++)
		rc = optv_push(out, a->c[c].tokens.v[i], NULL, where, c, i,
		    err);
	return rc;
}

/* Read the options file that opt names, as a container of its own. */
static int
vm_file(struct sbx_jvmargs *a, const struct sbx_jvm_input *in,
    const struct sbx_jvm_opt *opt, const char *path, enum sbx_jvm_source src,
    size_t *c, struct sbx_err *err)
{
	struct sbx_jvm_container *k;
	int rc;

	if ((rc = container_add(a, src, path, c, err)) != SBX_OK)
		return rc;
	k = &a->c[*c];
	k->parent = opt->container;
	k->parent_token = opt->token;
	if ((rc = read_named(&k->raw, in, path, err)) != SBX_OK)
		return rc;
	if (src == SBX_JVM_SRC_FLAGS_FILE)
		return sbx_jvm_split_flags(&k->tokens, (char *)k->raw.p,
		    k->raw.len, path, err);
	return sbx_jvm_split_options(&k->tokens, (char *)k->raw.p, k->raw.len,
	    path, err);
}

/*
 * HotSpot's match_special_option_and_act: -XX:VMOptionsFile=F is
 * followed by the options in F, once per place, never nested.
 */
static int
expand_vm_file(struct sbx_jvmargs *a, const struct sbx_jvm_input *in,
    struct optv *l, struct sbx_err *err)
{
	static const char vmf[] = "-XX:VMOptionsFile=";
	struct optv out = { 0 };
	struct tsrc where = { SBX_JVM_SRC_VM_OPTIONS_FILE, NULL };
	size_t i, j, c;
	bool seen = false;
	int rc = SBX_OK;

	for (i = 0; rc == SBX_OK && i < l->n; i++) {
		const struct sbx_jvm_opt *o = &l->v[i];
		struct tsrc at = { o->source, o->origin };

		rc = optv_push(&out, o->text, o->spelling, at, o->container,
		    o->token, err);
		if (rc != SBX_OK || !starts(o->text, vmf))
			continue;
		if (seen) {
			rc = sbx_err_reject(err, SBX_V_FORBIDDEN_FLAG, "%s: a "
			    "second options file in %s: java refuses it",
			    o->text, sbx_jvm_source_name(o->source));
			break;
		}
		seen = true;
		if ((rc = vm_file(a, in, o, o->text + strlen(vmf),
		    SBX_JVM_SRC_VM_OPTIONS_FILE, &c, err)) != SBX_OK)
			break;
		where.origin = a->c[c].origin;
		for (j = 0; rc == SBX_OK && j < a->c[c].tokens.n; j++) {
			if (starts(a->c[c].tokens.v[j], vmf))
				rc = sbx_err_reject(err, SBX_V_FORBIDDEN_FLAG,
				    "%s: an options file naming another: "
				    "java refuses it", a->c[c].origin);
			else
				rc = optv_push(&out, a->c[c].tokens.v[j], NULL,
				    where, c, j, err);
		}
	}
	optv_free(l);
	*l = out;
	return rc;
}

/* The last -XX:Flags= named anywhere; its settings come first. */
static int
flags_file(struct sbx_jvmargs *a, const struct sbx_jvm_input *in,
    struct optv *l, size_t nl, struct optv *out, struct sbx_err *err)
{
	const struct sbx_jvm_opt *last = NULL;
	struct tsrc where = { SBX_JVM_SRC_FLAGS_FILE, NULL };
	char *s;
	size_t i, j, c;
	int rc;

	for (i = 0; i < nl; i++)
		for (j = 0; j < l[i].n; j++)
			if (starts(l[i].v[j].text, "-XX:Flags="))
				last = &l[i].v[j];
	if (last == NULL)
		return SBX_OK;
	if ((rc = vm_file(a, in, last, last->text + strlen("-XX:Flags="),
	    SBX_JVM_SRC_FLAGS_FILE, &c, err)) != SBX_OK)
		return rc;
	where.origin = a->c[c].origin;
	for (j = 0; rc == SBX_OK && j < a->c[c].tokens.n; j++) {
		if (asprintf(&s, "-XX:%s", a->c[c].tokens.v[j]) < 0)
			return sbx_err_set(err, SBX_ENOMEM, "out of memory");
		rc = optv_push(out, s, NULL, where, c, j, err);
		free(s);
	}
	return rc;
}

/* Move the lists, in the VM's order, into a->opts. */
static int
assemble(struct sbx_jvmargs *a, struct optv *l, size_t nl,
    struct sbx_err *err)
{
	size_t i, total = 0;

	for (i = 0; i < nl; i++)
		total += l[i].n;
	if (total > 0 && (a->opts = calloc(total, sizeof(*a->opts))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	for (i = 0; i < nl; i++) {
		if (l[i].n > 0)
			memcpy(a->opts + a->nopts, l[i].v,
			    l[i].n * sizeof(*l[i].v));
		a->nopts += l[i].n;
		free(l[i].v);
		l[i].v = NULL;
		l[i].n = 0;
	}
	return SBX_OK;
}

/*
 * The name under which a later option overrides an earlier one, or
 * false for options that add up (agents, -Xbootclasspath/a:, ...).
 * Only the same spelling family counts: -Xverify:none and a later
 * -XX:+BytecodeVerificationRemote both stay in effect, which can only
 * refuse more.
 */
static bool
opt_key(const char *t, char *key, size_t n)
{
	static const char *const sizes[] = { "-Xms", "-Xmx", "-Xss", "-Xmn",
	    NULL };
	size_t i, len;

	if (starts(t, "-XX:") && !starts(t, "-XX:VMOptionsFile=")) {
		t += 4 + (t[4] == '+' || t[4] == '-');
		len = strspn(t, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		snprintf(key, n, "XX:%.*s", (int)len, t);
		return len > 0;
	}
	if (starts(t, "-D")) {
		snprintf(key, n, "D:%.*s", (int)strcspn(t + 2, "="), t + 2);
		return true;
	}
	if (starts(t, "-Xverify") || starts(t, "-Xshare:")) {
		snprintf(key, n, "%s", starts(t, "-Xverify") ? "Xverify" :
		    "Xshare");
		return true;
	}
	if (in_list(t, (const char *const[]){ "-Xint", "-Xmixed", "-Xcomp",
	    NULL })) {
		snprintf(key, n, "Xmode");
		return true;
	}
	for (i = 0; sizes[i] != NULL; i++)
		if (starts(t, sizes[i])) {
			snprintf(key, n, "%s", sizes[i] + 1);
			return true;
		}
	return false;
}

static void
mark_effect(struct sbx_jvmargs *a)
{
	char ki[300], kj[300];
	size_t i, j;

	for (i = 0; i < a->nopts; i++) {
		if (!opt_key(a->opts[i].text, ki, sizeof(ki)))
			continue;
		for (j = i + 1; j < a->nopts && a->opts[i].in_effect; j++)
			if (opt_key(a->opts[j].text, kj, sizeof(kj)) &&
			    strcmp(ki, kj) == 0)
				a->opts[i].in_effect = false;
	}
}

static int
item_add(struct sbx_jvmargs *a, enum sbx_jvm_kind kind, size_t opt,
    const char *path, size_t plen, const char *args, struct sbx_err *err)
{
	struct sbx_jvm_item *v, *it;

	if ((v = realloc(a->items, (a->nitems + 1) * sizeof(*v))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	a->items = v;
	it = &v[a->nitems];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->opt = opt;
	if (path != NULL && (it->path = strndup(path, plen)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if (args != NULL && (it->args = strdup(args)) == NULL) {
		free(it->path);
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	}
	if (opt != SBX_JVM_NO_OPT) {
		it->container = a->opts[opt].container;
		it->token = a->opts[opt].token;
	}
	a->nitems++;
	return SBX_OK;
}

/* NAME[SEP options]: the part before the first sep and what follows. */
static int
item_split(struct sbx_jvmargs *a, enum sbx_jvm_kind kind, size_t opt,
    const char *tail, char sep, struct sbx_err *err)
{
	const char *at = tail != NULL ? strchr(tail, sep) : NULL;

	if (tail == NULL)
		return item_add(a, kind, opt, NULL, 0, NULL, err);
	return item_add(a, kind, opt, tail, at != NULL ? (size_t)(at - tail) :
	    strlen(tail), at != NULL ? at + 1 : NULL, err);
}

/*
 * --patch-module MODULE=PATH[:PATH...]: each entry's classes replace the
 * platform module's, as boot class path JARs do, and so are as much to
 * be checked. Without "=" the JVM refuses the option; here it names no
 * file, which the guard refuses too.
 */
static int
patch_items(struct sbx_jvmargs *a, size_t i, const char *v,
    struct sbx_err *err)
{
	const char *eq = strchr(v, '='), *p;
	char module[256];
	size_t n;
	int rc = SBX_OK;

	if (eq == NULL || eq == v || (size_t)(eq - v) >= sizeof(module))
		return item_add(a, SBX_JVM_PATCH_JAR, i, NULL, 0, NULL, err);
	snprintf(module, sizeof(module), "%.*s", (int)(eq - v), v);
	for (p = eq + 1; rc == SBX_OK && *p != '\0'; p += n + (p[n] == ':')) {
		n = strcspn(p, ":");
		if (n > 0)
			rc = item_add(a, SBX_JVM_PATCH_JAR, i, p, n, module,
			    err);
	}
	return rc;
}

static int
classify(struct sbx_jvmargs *a, size_t i, struct sbx_err *err)
{
	const char *t = a->opts[i].text, *p;
	size_t n;
	int rc = SBX_OK;

	if (starts(t, "-javaagent:"))
		return item_split(a, SBX_JVM_JAVAAGENT, i, t + 11, '=', err);
	if (starts(t, "-agentlib:instrument=") ||
	    strcmp(t, "-agentlib:instrument") == 0) {
		/* libinstrument reads its options as JAR[=options]. */
		p = strchr(t, '=');
		return item_split(a, SBX_JVM_JAVAAGENT, i, p ? p + 1 : NULL,
		    '=', err);
	}
	if (starts(t, "-agentlib:"))
		return item_split(a, SBX_JVM_AGENTLIB, i, t + 10, '=', err);
	if (starts(t, "-agentpath:"))
		return item_split(a, SBX_JVM_AGENTPATH, i, t + 11, '=', err);
	/*
	 * HotSpot makes a -Xrun library without JVM_OnLoad an agent, and
	 * libinstrument reads what follows ':' as JAR[=options].
	 */
	if (starts(t, "-Xruninstrument:") || strcmp(t, "-Xruninstrument") == 0)
		return item_split(a, SBX_JVM_JAVAAGENT, i, t[15] == ':' ?
		    t + 16 : NULL, '=', err);
	if (starts(t, "-Xrun"))
		return item_split(a, SBX_JVM_AGENTLIB, i, t + 5, ':', err);
	if (starts(t, "--patch-module="))
		return patch_items(a, i, t + 15, err);
	if (starts(t, "--upgrade-module-path="))
		return item_add(a, SBX_JVM_UPGRADE_PATH, i, t + 22,
		    strlen(t + 22), NULL, err);
	if (!starts(t, "-Xbootclasspath/a:"))
		return SBX_OK;
	/* Empty entries name nothing: the VM skips them. */
	for (p = t + 18; rc == SBX_OK && *p != '\0'; p += n + (p[n] == ':')) {
		n = strcspn(p, ":");
		if (n > 0)
			rc = item_add(a, SBX_JVM_BOOT_JAR, i, p, n, NULL, err);
	}
	return rc;
}

/* HotSpot: JAVA_TOOL_OPTIONS, the command, _JAVA_OPTIONS; flags first. */
static int
parse_vm(struct sbx_jvmargs *a, const struct sbx_jvm_input *in,
    struct optv *cmd, struct sbx_err *err)
{
	struct optv l[4] = { { 0 } };	/* flags, tool, cmd, _JAVA_ */
	size_t i;
	int rc = SBX_OK;

	l[2] = *cmd;
	*cmd = (struct optv){ 0 };
	if (in->java_tool_options != NULL)
		rc = env_opts(a, in->java_tool_options,
		    SBX_JVM_SRC_JAVA_TOOL_OPTIONS, &l[1], err);
	if (rc == SBX_OK && in->java_options != NULL)
		rc = env_opts(a, in->java_options, SBX_JVM_SRC_JAVA_OPTIONS,
		    &l[3], err);
	for (i = 1; rc == SBX_OK && i < 4; i++)
		rc = expand_vm_file(a, in, &l[i], err);
	if (rc == SBX_OK)
		rc = flags_file(a, in, &l[1], 3, &l[0], err);
	if (rc == SBX_OK)
		rc = assemble(a, l, 4, err);
	for (i = 0; i < 4; i++)
		optv_free(&l[i]);
	if (rc != SBX_OK)
		return rc;
	mark_effect(a);
	for (i = 0; rc == SBX_OK && i < a->nopts; i++)
		rc = classify(a, i, err);
	return rc;
}

int
sbx_jvmargs_parse(struct sbx_jvmargs **out, const struct sbx_jvm_input *in,
    struct sbx_err *err)
{
	struct sbx_jvmargs *a;
	struct optv cmd = { 0 };
	int rc;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if ((rc = expand_launcher(a, in, err)) == SBX_OK &&
	    (rc = parse_launcher(a, in, &cmd, err)) == SBX_OK)
		rc = parse_vm(a, in, &cmd, err);
	optv_free(&cmd);
	if (rc != SBX_OK) {
		sbx_jvmargs_free(a);
		return rc;
	}
	*out = a;
	return SBX_OK;
}

int
sbx_jvmargs_add_launcher_agent(struct sbx_jvmargs *a, struct sbx_err *err)
{
	int rc;

	if (a->main_kind != SBX_JVM_MAIN_JAR)
		return sbx_err_set(err, SBX_EINTERNAL,
		    "no -jar file to add as an agent");
	rc = item_add(a, SBX_JVM_LAUNCHER_AGENT, SBX_JVM_NO_OPT, a->main,
	    strlen(a->main), NULL, err);
	if (rc == SBX_OK)
		a->items[a->nitems - 1].token = a->main_token;
	return rc;
}

void
sbx_jvmargs_free(struct sbx_jvmargs *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nc; i++) {
		free(a->c[i].origin);
		sbx_jvm_strs_free(&a->c[i].tokens);
		free(a->c[i].token_source);
		free(a->c[i].token_origin);
		sbx_buf_free(&a->c[i].raw);
	}
	free(a->c);
	for (i = 0; i < a->nopts; i++) {
		free(a->opts[i].text);
		free(a->opts[i].spelling);
	}
	free(a->opts);
	for (i = 0; i < a->nitems; i++) {
		free(a->items[i].path);
		free(a->items[i].args);
	}
	free(a->items);
	free(a->main);
	sbx_jvm_strs_free(&a->names);
	free(a);
}

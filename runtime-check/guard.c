/* runtime-check/guard.c: one check of one JVM start: agents, JARs, options. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sbx/err.h>
#include <sbx/guard.h>
#include <sbx/jvmargs.h>
#include <sbx/keyring.h>
#include <sbx/policy.h>

#include "guard_int.h"

/* Where dlopen() looks for a bare library name, after LD_LIBRARY_PATH. */
static const char *const system_lib_dirs[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64",
	"/usr/lib64", "/lib", "/usr/lib", NULL
};

static const char *const verdict_names[] = {
	[SBX_GUARD_ACCEPTED] = "accepted",
	[SBX_GUARD_REFUSED] = "refused",
	[SBX_GUARD_AUDITED] = "audited",
};

const char *
sbx_guard_verdict_name(enum sbx_guard_verdict v)
{
	if ((size_t)v >= sizeof(verdict_names) / sizeof(verdict_names[0]))
		return "?";
	return verdict_names[v];
}

int
guard_finding(struct sbx_guard *g, enum sbx_violation type,
    const char *subject, const char *rule, const char *fmt, ...)
{
	struct sbx_guard_finding *v, *f;
	va_list ap;

	if ((v = realloc(g->f, (g->nf + 1) * sizeof(*v))) == NULL)
		return SBX_ENOMEM;
	g->f = v;
	f = &v[g->nf++];
	memset(f, 0, sizeof(*f));
	f->type = type;
	f->rule = rule;
	snprintf(f->subject, sizeof(f->subject), "%s", subject);
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
	return SBX_OK;
}

/* A finding from a failed step; the message loses its "SUBJECT: ". */
int
guard_finding_err(struct sbx_guard *g, const char *subject,
    const struct sbx_err *err)
{
	const char *msg = err->msg;
	size_t n = strlen(subject);
	enum sbx_violation type = err->code == SBX_EREJECT &&
	    err->violation != SBX_V_NONE ? err->violation :
	    SBX_V_INTERNAL_ERROR;

	if (strncmp(msg, subject, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
		msg += n + 2;
	else if (strncmp(msg, subject, n) == 0 && msg[n] == ' ')
		msg += n + 1;
	return guard_finding(g, type, subject, NULL, "%s", msg);
}

int
guard_abs(char *out, size_t n, const struct sbx_guard *g, const char *path)
{
	const char *dir = g->in != NULL && g->in->dir != NULL ? g->in->dir :
	    g->cwd;

	if (path[0] == '/')
		return snprintf(out, n, "%s", path) < (int)n ? SBX_OK : SBX_EIO;
	return snprintf(out, n, "%s/%s", dir, path) < (int)n ? SBX_OK : SBX_EIO;
}

struct gfile *
guard_file_add(struct sbx_guard *g, enum grole role, const char *path,
    struct sbx_err *err)
{
	struct gfile **v, *f;

	if ((v = realloc(g->files, (g->nfiles + 1) * sizeof(*v))) == NULL ||
	    (g->files = v, (f = calloc(1, sizeof(*f))) == NULL)) {
		sbx_err_set(err, SBX_ENOMEM, "out of memory");
		return NULL;
	}
	if ((f->path = strdup(path)) == NULL) {
		free(f);
		sbx_err_set(err, SBX_ENOMEM, "out of memory");
		return NULL;
	}
	f->role = role;
	f->fd = -1;
	v[g->nfiles++] = f;
	return f;
}

static void
file_free(struct gfile *f)
{
	if (f == NULL)
		return;
	if (f->fd != -1)
		close(f->fd);
	free(f->path);
	sbx_jvm_strs_free(&f->deps);
	free(f);
}

/* Forget the last check. */
static void
reset(struct sbx_guard *g)
{
	size_t i;

	for (i = 0; i < g->nfiles; i++)
		file_free(g->files[i]);
	free(g->files);
	g->files = NULL;
	g->nfiles = 0;
	free(g->f);
	g->f = NULL;
	g->nf = 0;
	free(g->items);
	g->items = NULL;
	sbx_jvmargs_free(g->args);
	g->args = NULL;
	g->hits = g->verified = 0;
	g->verdict = SBX_GUARD_REFUSED;
}

/*
 * Checking the policy's URLs loads libcurl and some forty libraries
 * with it, more than a cached start costs: they are left unchecked
 * when the cache says a guard checked them in this very file before.
 * "This very file" is the identity of the descriptor read (fstat) and
 * of the path now (the cache's stat): both must match the entry's.
 * Else the policy is loaded again, checking them, and that is written
 * down.
 */
static bool
read_is_named(const struct sbx_guard *g)
{
	struct gid read;

	gid_from_stat(&read, &g->policy->file_st);
	return gid_eq(&read, &g->cache.policy);
}

static int
load_policy(struct sbx_guard *g, const char *path, struct sbx_err *err)
{
	int rc;

	rc = sbx_policy_load_flags(&g->policy, path, SBX_POLICY_DEFER_URLS,
	    err);
	if (rc != SBX_OK || !g->policy->urls_unchecked)
		return rc;
	gcache_open(g);
	if (read_is_named(g) && gcache_policy_checked(g))
		return SBX_OK;
	sbx_policy_free(g->policy);
	g->policy = NULL;
	if ((rc = sbx_policy_load(&g->policy, path, err)) != SBX_OK)
		return rc;
	gcache_open(g);
	if (read_is_named(g))
		gcache_policy_put(g);
	return SBX_OK;
}

int
sbx_guard_new(struct sbx_guard **out, const struct sbx_guard_conf *conf,
    struct sbx_err *err)
{
	struct sbx_guard *g;
	struct stat st;
	int rc;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	g->conf = *conf;
	g->verdict = SBX_GUARD_REFUSED;
	if (conf->policy != NULL)
		rc = load_policy(g, conf->policy, err);
	else if (conf->keyring != NULL)
		rc = sbx_policy_default(&g->policy, conf->keyring, err);
	else
		rc = sbx_err_set(err, SBX_ECONFIG, "no policy and no keyring");
	if (rc != SBX_OK) {
		sbx_guard_free(g);
		return rc;
	}
	g->tenant = conf->tenant != NULL ? conf->tenant : g->policy->tenant;
	if (getcwd(g->cwd, sizeof(g->cwd)) == NULL)
		snprintf(g->cwd, sizeof(g->cwd), "/");
	if (conf->self != NULL && stat(conf->self, &st) == 0)
		gid_from_stat(&g->self, &st);
	*out = g;
	return SBX_OK;
}

/* The java launcher: as given, or found in PATH as execvp() would. */
static bool
find_java(char *out, size_t n, const struct sbx_guard *g, const char *arg0)
{
	char cand[PATH_MAX], *path, *dir, *save = NULL;
	bool found = false;

	if (strchr(arg0, '/') != NULL)
		return guard_abs(cand, sizeof(cand), g, arg0) == SBX_OK &&
		    realpath(cand, out) != NULL;
	if (getenv("PATH") == NULL || (path = strdup(getenv("PATH"))) == NULL)
		return false;
	for (dir = strtok_r(path, ":", &save); dir != NULL && !found;
	    dir = strtok_r(NULL, ":", &save)) {
		snprintf(cand, sizeof(cand), "%s/%s", dir, arg0);
		found = access(cand, X_OK) == 0 && realpath(cand, out) != NULL;
	}
	free(path);
	(void)n;
	return found;
}

/* The JDK the command runs: for -agentlib: names and libinstrument. */
static void
find_java_home(struct sbx_guard *g)
{
	char java[PATH_MAX], lib[PATH_MAX + 32];
	struct stat st;
	size_t n;

	g->java_home[0] = g->java_exe[0] = '\0';
	memset(&g->instrument, 0, sizeof(g->instrument));
	if (g->conf.java_home != NULL)
		snprintf(g->java_home, sizeof(g->java_home), "%s",
		    g->conf.java_home);
	if (g->in->argc > 0 && find_java(java, sizeof(java), g,
	    g->in->argv[0])) {
		snprintf(g->java_exe, sizeof(g->java_exe), "%s", java);
		n = strlen(java);
		if (g->conf.java_home == NULL && n > 9 &&
		    strcmp(java + n - 9, "/bin/java") == 0)
			snprintf(g->java_home, sizeof(g->java_home), "%.*s",
			    (int)(n - 9), java);
	}
	snprintf(lib, sizeof(lib), "%s/lib/libinstrument.so", g->java_home);
	if (g->java_home[0] != '\0' && stat(lib, &st) == 0)
		gid_from_stat(&g->instrument, &st);
}

static bool
same_inode(const struct gid *id, const struct stat *st)
{
	return id->present && id->dev == (uint64_t)st->st_dev &&
	    id->ino == (uint64_t)st->st_ino;
}

static bool
same_class(enum grole a, enum grole b)
{
	return (a == ROLE_NATIVE) == (b == ROLE_NATIVE) &&
	    (a == ROLE_APP) == (b == ROLE_APP);
}

/* A file already checked under this path and kind, or SIZE_MAX. */
static size_t
file_lookup(const struct sbx_guard *g, enum grole role, const char *path)
{
	size_t i;

	for (i = 0; i < g->nfiles; i++)
		if (same_class(g->files[i]->role, role) &&
		    strcmp(g->files[i]->path, path) == 0)
			return i;
	return SIZE_MAX;
}

static size_t check_jar_tree(struct sbx_guard *, enum grole, const char *);
static int decide(struct sbx_guard *, bool, struct sbx_err *);

/* A JAR named in a manifest; one that is missing must stay missing. */
static void
check_dep(struct sbx_guard *g, enum grole role, const char *path)
{
	struct sbx_err err = { 0 };
	struct stat st;

	if (lstat(path, &st) == 0) {
		(void)check_jar_tree(g, role, path);
		return;
	}
	if (errno != ENOENT)
		sbx_err_set(&err, SBX_EIO, "%s: %s", path, strerror(errno));
	else if (gpath_check(g, path, NULL, false, &err) == SBX_OK)
		return;
	guard_finding_err(g, path, &err);
}

/*
 * Verify a JAR and what its manifest pulls in: an agent's
 * Boot-Class-Path and Class-Path, and the Class-Path of those found
 * through a Class-Path (URLClassPath follows them); the boot loader
 * reads no manifest. Returns the file's index.
 */
static size_t
check_jar_tree(struct sbx_guard *g, enum grole role, const char *path)
{
	struct sbx_err err = { 0 };
	struct gfile *f;
	size_t i, at;
	int rc;

	if ((at = file_lookup(g, role, path)) != SIZE_MAX)
		return at;
	if ((f = guard_file_add(g, role, path, &err)) == NULL) {
		guard_finding_err(g, path, &err);
		return SIZE_MAX;
	}
	at = g->nfiles - 1;
	rc = gfile_open(g, f, &err);
	if (rc == SBX_OK)
		rc = role == ROLE_APP ? gfile_app(g, f, &err) :
		    gfile_jar(g, f, &err);
	if (rc == SBX_OK && role == ROLE_APP && f->launcher_agent)
		rc = gpath_check(g, f->path, &f->st, true, &err);
	if (rc != SBX_OK) {
		guard_finding_err(g, f->path, &err);
		return at;
	}
	if (role == ROLE_BOOT || (role == ROLE_APP && !f->launcher_agent))
		return at;
	for (i = role == ROLE_DEP ? f->nboot : 0; i < f->deps.n; i++)
		check_dep(g, i < f->nboot ? ROLE_BOOT : ROLE_DEP, f->deps.v[i]);
	return at;
}

/*
 * Where dlopen() would find a bare library name (hotspot loads
 * -agentlib: names from the JDK's lib folder, then with dlopen()):
 * LD_LIBRARY_PATH, then the system folders. "" when not found: the
 * JVM would not start, and the guard does not guess.
 */
static void
find_library(char *out, size_t n, const char *file)
{
	const char *ld = getenv("LD_LIBRARY_PATH");
	char *dirs = ld != NULL ? strdup(ld) : NULL, *d, *save = NULL;
	size_t i;

	out[0] = '\0';
	for (d = dirs != NULL ? strtok_r(dirs, ":", &save) : NULL;
	    d != NULL && out[0] == '\0'; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, n, "%s/%s", d, file);
		if (access(out, F_OK) != 0)
			out[0] = '\0';
	}
	free(dirs);
	for (i = 0; system_lib_dirs[i] != NULL && out[0] == '\0'; i++) {
		snprintf(out, n, "%s/%s", system_lib_dirs[i], file);
		if (access(out, F_OK) != 0)
			out[0] = '\0';
	}
}

/*
 * A native agent library. The JDK's libinstrument named with
 * -agentpath: is a Java agent in disguise: its options name the JAR.
 * The guard library itself needs no listing; its path rules still
 * apply. Returns the file's index.
 */
static size_t
check_native(struct sbx_guard *g, const char *path, bool *via_instrument)
{
	struct sbx_err err = { 0 };
	struct gfile *f;
	size_t at;
	int rc;

	*via_instrument = false;
	if ((at = file_lookup(g, ROLE_NATIVE, path)) != SIZE_MAX)
		return at;
	if ((f = guard_file_add(g, ROLE_NATIVE, path, &err)) == NULL) {
		guard_finding_err(g, path, &err);
		return SIZE_MAX;
	}
	at = g->nfiles - 1;
	if ((rc = gfile_open(g, f, &err)) == SBX_OK &&
	    same_inode(&g->instrument, &f->st)) {
		f->checked = f->accepted = f->jdk_library = true;
		*via_instrument = true;
		return at;
	}
	if (rc == SBX_OK && same_inode(&g->self, &f->st)) {
		f->checked = f->accepted = f->self = true;
		return at;
	}
	if (rc == SBX_OK)
		rc = gfile_native(g, f, &err);
	if (rc != SBX_OK)
		guard_finding_err(g, f->path, &err);
	return at;
}

/* The option that named an item, for messages. */
static const char *
item_option(const struct sbx_guard *g, const struct sbx_jvm_item *it)
{
	if (it->opt == SBX_JVM_NO_OPT)
		return it->path != NULL ? it->path : "-jar";
	return g->args->opts[it->opt].text;
}

/* A library named by -agentpath: (or found for a bare name). */
static void
check_agentpath(struct sbx_guard *g, const struct sbx_jvm_item *it,
    struct gitem *gi)
{
	char abs[PATH_MAX], jar[PATH_MAX];
	bool via;
	size_t lib;

	if (strchr(it->path, '/') != NULL)
		(void)guard_abs(abs, sizeof(abs), g, it->path);
	else
		find_library(abs, sizeof(abs), it->path);
	if (abs[0] == '\0') {
		(void)guard_finding(g, SBX_V_INTERNAL_ERROR, item_option(g, it),
		    NULL, "no library %s where dlopen() looks: the JVM would "
		    "not start", it->path);
		return;
	}
	lib = check_native(g, abs, &via);
	gi->file = lib;
	if (!via)
		return;
	snprintf(jar, sizeof(jar), "%.*s", it->args != NULL ?
	    (int)strcspn(it->args, "=") : 0, it->args != NULL ? it->args : "");
	if (jar[0] == '\0' || guard_abs(abs, sizeof(abs), g, jar) != SBX_OK) {
		(void)guard_finding(g, SBX_V_UNSIGNED, item_option(g, it), NULL,
		    "libinstrument is given no agent JAR");
		return;
	}
	gi->file = check_jar_tree(g, ROLE_AGENT, abs);
	gi->via_instrument = true;
}

/*
 * -agentlib:NAME and -XrunNAME: a library of the JDK itself is judged
 * by the policy's option patterns (-agentlib:jdwp*); any other is a
 * native agent.
 */
static void
check_agentlib(struct sbx_guard *g, const struct sbx_jvm_item *it,
    struct gitem *gi)
{
	char file[NAME_MAX + 1], path[PATH_MAX + NAME_MAX + 8];
	struct stat st;
	bool via;

	snprintf(file, sizeof(file), "lib%s.so", it->path);
	snprintf(path, sizeof(path), "%s/lib/%s", g->java_home, file);
	if (g->java_home[0] != '\0' && strchr(it->path, '/') == NULL &&
	    stat(path, &st) == 0)
		return;
	find_library(path, sizeof(path), file);
	if (path[0] == '\0' || strchr(it->path, '/') != NULL) {
		(void)guard_finding(g, SBX_V_INTERNAL_ERROR, item_option(g, it),
		    NULL, "no library %s in the JDK or where dlopen() looks: "
		    "the JVM would not start", file);
		return;
	}
	gi->file = check_native(g, path, &via);
}

static void
check_item(struct sbx_guard *g, size_t i)
{
	const struct sbx_jvm_item *it = &g->args->items[i];
	struct gitem *gi = &g->items[i];
	char abs[PATH_MAX];

	gi->file = SIZE_MAX;
	if (it->kind == SBX_JVM_LAUNCHER_AGENT)
		return;
	if (it->path == NULL || it->path[0] == '\0') {
		(void)guard_finding(g, SBX_V_UNSIGNED, item_option(g, it), NULL,
		    "names no file");
		return;
	}
	switch (it->kind) {
	case SBX_JVM_UPGRADE_PATH:
		(void)guard_finding(g, SBX_V_FORBIDDEN_FLAG, item_option(g, it),
		    NULL, "puts modules in the platform's place, and the guard "
		    "cannot check what the JVM would take from that path");
		return;
	case SBX_JVM_JAVAAGENT:
	case SBX_JVM_BOOT_JAR:
	case SBX_JVM_PATCH_JAR:
		if (guard_abs(abs, sizeof(abs), g, it->path) != SBX_OK) {
			(void)guard_finding(g, SBX_V_INTERNAL_ERROR, it->path,
			    NULL, "path too long");
			return;
		}
		gi->file = check_jar_tree(g, it->kind == SBX_JVM_JAVAAGENT ?
		    ROLE_AGENT : ROLE_BOOT, abs);
		break;
	case SBX_JVM_AGENTPATH:
		check_agentpath(g, it, gi);
		break;
	default:
		check_agentlib(g, it, gi);
		break;
	}
}

/* The -jar file, an agent if it names a Launcher-Agent-Class. */
static int
check_main(struct sbx_guard *g, size_t *file)
{
	struct sbx_jvmargs *a = g->args;
	struct sbx_err err = { 0 };
	char abs[PATH_MAX];

	*file = SIZE_MAX;
	if (a->main_kind != SBX_JVM_MAIN_JAR)
		return SBX_OK;
	if (guard_abs(abs, sizeof(abs), g, a->main) != SBX_OK)
		return guard_finding(g, SBX_V_INTERNAL_ERROR, a->main, NULL,
		    "path too long");
	*file = check_jar_tree(g, ROLE_APP, abs);
	if (*file == SIZE_MAX || !g->files[*file]->launcher_agent)
		return SBX_OK;
	return sbx_jvmargs_add_launcher_agent(a, &err);
}

/* Where an option was written, for messages: "JAVA_TOOL_OPTIONS". */
static void
where(char *out, size_t n, const struct sbx_jvm_opt *o)
{
	if (o->source == SBX_JVM_SRC_ARGFILE || o->source ==
	    SBX_JVM_SRC_VM_OPTIONS_FILE || o->source == SBX_JVM_SRC_FLAGS_FILE)
		snprintf(out, n, "%s %s", sbx_jvm_source_name(o->source),
		    o->origin);
	else
		snprintf(out, n, "%s", sbx_jvm_source_name(o->source));
}

/* Options in effect against the forbidden and required patterns. */
static int
check_flags(struct sbx_guard *g)
{
	const struct sbx_jvmargs *a = g->args;
	const char **eff, *pat, *missing;
	char at[PATH_MAX + 32];
	size_t i, n = 0;

	if ((eff = calloc(2 * a->nopts + 1, sizeof(*eff))) == NULL)
		return SBX_ENOMEM;
	for (i = 0; i < a->nopts; i++) {
		const struct sbx_jvm_opt *o = &a->opts[i];

		if (!o->in_effect)
			continue;
		eff[n++] = o->text;
		if (o->spelling != NULL)
			eff[n++] = o->spelling;
		/* As written first: the message then quotes the user. */
		pat = o->spelling != NULL ?
		    sbx_policy_forbidden_flag(g->policy, o->spelling) : NULL;
		if (pat == NULL)
			pat = sbx_policy_forbidden_flag(g->policy, o->text);
		if (pat == NULL)
			continue;
		where(at, sizeof(at), o);
		(void)guard_finding(g, SBX_V_FORBIDDEN_FLAG,
		    o->spelling != NULL ? o->spelling : o->text, pat,
		    "forbidden by the policy (pattern %s), found in %s", pat,
		    at);
	}
	if ((missing = sbx_policy_missing_flag(g->policy, eff, n)) != NULL)
		(void)guard_finding(g, SBX_V_FORBIDDEN_FLAG, "java", missing,
		    "no option matches %s, which the policy requires",
		    missing);
	free(eff);
	return SBX_OK;
}

/*
 * The guard reads the command as the java launcher does; another
 * program (jar, a script named java) reads it otherwise and may start
 * a JVM with what the guard never saw. So the program must be
 * JAVA_HOME/bin/java beside that JDK's libjvm.so (inside the JVM: the
 * running executable, of the JVM's own java.home), and both must pass
 * the path rules, as code the guard does not verify.
 */
static void
check_launcher(struct sbx_guard *g)
{
	static const char *const vms[] = { "server", "client" };
	char exe[PATH_MAX], home[PATH_MAX], jvm[PATH_MAX + 32];
	struct sbx_err err = { 0 };
	struct stat st;
	const char *arg0 = g->in->argc > 0 ? g->in->argv[0] : "java";
	ssize_t n;
	size_t len, i;

	if (g->conf.must_see_self) {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
	} else
		snprintf(exe, sizeof(exe), "%s", g->java_exe);
	len = strlen(exe);
	if (len <= 9 || strcmp(exe + len - 9, "/bin/java") != 0) {
		(void)guard_finding(g, SBX_V_UNSAFE_PATH, arg0, NULL,
		    "runs %s, not the java launcher of a JDK: the guard reads "
		    "commands as java does", exe[0] ? exe : "nothing found");
		return;
	}
	snprintf(home, sizeof(home), "%.*s", (int)(len - 9), exe);
	for (i = 0; i < sizeof(vms) / sizeof(vms[0]); i++) {
		snprintf(jvm, sizeof(jvm), "%s/lib/%s/libjvm.so", home, vms[i]);
		if (stat(jvm, &st) == 0)
			break;
	}
	if (i == sizeof(vms) / sizeof(vms[0]) || (g->conf.must_see_self &&
	    g->conf.java_home != NULL && strcmp(home, g->conf.java_home))) {
		(void)guard_finding(g, SBX_V_UNSAFE_PATH, exe, NULL,
		    "is not the launcher of the JDK whose JVM would run (no "
		    "lib/server/libjvm.so beside it, or another java.home)");
		return;
	}
	if (gpath_check(g, exe, NULL, true, &err) != SBX_OK)
		(void)guard_finding_err(g, exe, &err);
	if (gpath_check(g, jvm, NULL, true, &err) != SBX_OK)
		(void)guard_finding_err(g, jvm, &err);
}

/*
 * A custom system class loader is made before the premains run and is
 * asked for the Java agents' classes: it could answer with its own.
 */
static void
check_system_loader(struct sbx_guard *g)
{
	const struct sbx_jvmargs *a = g->args;
	bool agents = false;
	size_t i;

	for (i = 0; i < a->nitems; i++)
		agents |= a->items[i].kind == SBX_JVM_JAVAAGENT ||
		    a->items[i].kind == SBX_JVM_LAUNCHER_AGENT;
	for (i = 0; agents && i < a->nopts; i++)
		if (a->opts[i].in_effect && strncmp(a->opts[i].text,
		    "-Djava.system.class.loader=", 27) == 0)
			(void)guard_finding(g, SBX_V_FORBIDDEN_FLAG,
			    a->opts[i].text, NULL, "a custom system class "
			    "loader is asked for the Java agents' classes and "
			    "could put its own in their place");
}

static bool
saw_self(const struct sbx_guard *g)
{
	size_t i;

	for (i = 0; i < g->nfiles; i++)
		if (g->files[i]->self)
			return true;
	return false;
}

/* Everything a parsed command gives the JVM. */
static int
check_command(struct sbx_guard *g)
{
	size_t i, app;
	int rc;

	if ((rc = check_main(g, &app)) != SBX_OK)
		return rc;
	if ((g->items = calloc(g->args->nitems + 1, sizeof(*g->items))) ==
	    NULL)
		return SBX_ENOMEM;
	for (i = 0; i < g->args->nitems; i++)
		check_item(g, i);
	if (app != SIZE_MAX && g->files[app]->launcher_agent)
		g->items[g->args->nitems - 1].file = app;
	check_launcher(g);
	check_system_loader(g);
	if (g->conf.must_see_self && !saw_self(g))
		(void)guard_finding(g, SBX_V_INTERNAL_ERROR, g->conf.self, NULL,
		    "the command, as java reads it, does not load this guard: "
		    "the JVM was not started by the java launcher, or in a way "
		    "the guard cannot read");
	return check_flags(g);
}

static void
close_files(struct sbx_guard *g)
{
	size_t i;

	for (i = 0; i < g->nfiles; i++)
		if (g->files[i]->fd != -1) {
			close(g->files[i]->fd);
			g->files[i]->fd = -1;
		}
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int
sbx_guard_check(struct sbx_guard *g, const struct sbx_jvm_input *in,
    struct sbx_err *err)
{
	struct sbx_err perr = { 0 };
	struct timespec t0;
	bool broken = false;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	reset(g);
	g->in = in;
	g->now = (int64_t)time(NULL);
	find_java_home(g);
	gcache_open(g);
	if ((rc = sbx_jvmargs_parse(&g->args, in, &perr)) != SBX_OK)
		broken = guard_finding_err(g, "java", &perr) != SBX_OK;
	else
		broken = check_command(g) != SBX_OK;
	if (!g->conf.handover)
		close_files(g);
	g->seconds = elapsed(&t0);
	return decide(g, broken, err);
}

/* The verdict from the findings so far; SBX_EREJECT when refused. */
static int
decide(struct sbx_guard *g, bool broken, struct sbx_err *err)
{
	const struct sbx_guard_finding *f;

	/* A finding that could not be recorded still counts. */
	if (g->nf == 0 && !broken)
		g->verdict = SBX_GUARD_ACCEPTED;
	else if (g->policy->mode == SBX_MODE_AUDIT)
		g->verdict = SBX_GUARD_AUDITED;
	else
		g->verdict = SBX_GUARD_REFUSED;
	if (g->verdict != SBX_GUARD_REFUSED)
		return SBX_OK;
	if (g->nf == 0)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	f = &g->f[0];
	return sbx_err_reject(err, f->type, "%s: %s: %s", f->subject,
	    sbx_violation_name(f->type), f->reason);
}

int
sbx_guard_recheck(struct sbx_guard *g, struct sbx_err *err)
{
	const struct gfile *f;
	struct stat st;
	struct gid was, now;
	size_t i, nf = g->nf;
	bool broken = false;

	if (g->verdict == SBX_GUARD_REFUSED)
		return sbx_err_set(err, SBX_EINTERNAL, "no accepted check");
	for (i = 0; i < g->nfiles; i++) {
		f = g->files[i];
		if (!f->checked || f->jdk_library ||
		    (f->role == ROLE_APP && !f->launcher_agent))
			continue;
		gid_from_stat(&was, &f->st);
		if (stat(f->path, &st) == 0)
			gid_from_stat(&now, &st);
		else
			memset(&now, 0, sizeof(now));
		if (!gid_eq(&was, &now))
			broken |= guard_finding(g, SBX_V_UNSAFE_PATH, f->path,
			    NULL, "changed after it was checked, before the "
			    "JVM opened it") != SBX_OK;
	}
	if (g->nf == nf && !broken)
		return SBX_OK;
	return decide(g, broken, err);
}

enum sbx_guard_verdict
sbx_guard_verdict(const struct sbx_guard *g)
{
	return g->verdict;
}

bool
sbx_guard_audit_mode(const struct sbx_guard *g)
{
	return g->policy->mode == SBX_MODE_AUDIT;
}

size_t
sbx_guard_nfindings(const struct sbx_guard *g)
{
	return g->nf;
}

const struct sbx_guard_finding *
sbx_guard_finding(const struct sbx_guard *g, size_t i)
{
	return i < g->nf ? &g->f[i] : NULL;
}

const struct sbx_jvmargs *
sbx_guard_args(const struct sbx_guard *g)
{
	return g->args;
}

void
sbx_guard_counts(const struct sbx_guard *g, size_t *hits, size_t *verified)
{
	*hits = g->hits;
	*verified = g->verified;
}

double
sbx_guard_seconds(const struct sbx_guard *g)
{
	return g->seconds;
}

void
sbx_guard_free(struct sbx_guard *g)
{
	if (g == NULL)
		return;
	reset(g);
	sbx_keyring_free(g->kr);
	sbx_policy_free(g->policy);
	free(g);
}

int
sbx_guard_can_record(const struct sbx_guard *g, struct sbx_err *err)
{
	const char *file = g->policy->audit.file;
	char dir[PATH_MAX], *slash;
	int fd;

	if (file == NULL || !g->policy->audit.log_passing)
		return SBX_OK;
	if ((fd = open(file, O_RDWR | O_APPEND | O_CLOEXEC)) != -1) {
		close(fd);
		return SBX_OK;
	}
	if (errno != ENOENT)
		return sbx_err_set(err, SBX_EIO, "%s: cannot open: %s", file,
		    strerror(errno));
	/* The log opens with O_CREAT: its folder must be there. */
	snprintf(dir, sizeof(dir), "%s", file);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	if (access(slash == NULL ? "." : dir[0] != '\0' ? dir : "/", W_OK) ==
	    0)
		return SBX_OK;
	return sbx_err_set(err, SBX_EIO, "%s: cannot be created: %s", file,
	    strerror(errno));
}

bool
sbx_guard_records(const struct sbx_guard *g)
{
	const struct sbx_policy *p = g->policy;

	return (p->audit.file != NULL && p->path != NULL) ||
	    p->metrics.textfile_dir != NULL || p->metrics.pushgateway != NULL;
}

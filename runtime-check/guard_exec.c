/* runtime-check/guard_exec.c: hand the JVM the descriptors that were checked */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sbx/buf.h>
#include <sbx/err.h>
#include <sbx/guard.h>
#include <sbx/jvmargs.h>

#include "guard_int.h"

extern char **environ;

/*
 * The JVM opens /proc/self/fd/N as a fresh open of the very inode the
 * guard verified through N, whatever the path names by then: no
 * window between check and use. The descriptor must survive exec, so
 * it loses FD_CLOEXEC here and nowhere else.
 */
static int
fd_path(char *out, size_t n, int fd, struct sbx_err *err)
{
	if (fcntl(fd, F_SETFD, 0) == -1)
		return sbx_err_set(err, SBX_EIO, "fcntl: %s", strerror(errno));
	snprintf(out, n, "/proc/self/fd/%d", fd);
	return SBX_OK;
}

static int
set_token(struct sbx_jvm_strs *t, size_t i, const char *text,
    struct sbx_err *err)
{
	char *s;

	if ((s = strdup(text)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	free(t->v[i]);
	t->v[i] = s;
	return SBX_OK;
}

/* The descriptor path of an item's file, or its own path. */
static int
item_name(char *out, size_t n, struct sbx_guard *g, size_t i,
    struct sbx_err *err)
{
	const struct sbx_jvm_item *it = &g->args->items[i];
	const struct gfile *f = g->items[i].file != SIZE_MAX ?
	    g->files[g->items[i].file] : NULL;

	/* Class-Path resolves against the JAR's folder: keep the path. */
	if (f == NULL || f->fd == -1 || !f->accepted || f->jdk_library ||
	    (f->class_path && f->role != ROLE_BOOT)) {
		snprintf(out, n, "%.*s", g->items[i].via_instrument &&
		    it->args != NULL ? (int)strcspn(it->args, "=") :
		    (int)strlen(it->path), g->items[i].via_instrument &&
		    it->args != NULL ? it->args : it->path);
		return SBX_OK;
	}
	return fd_path(out, n, f->fd, err);
}

static int
item_name_buf(struct sbx_guard *g, size_t i, struct sbx_buf *b,
    struct sbx_err *err)
{
	char name[PATH_MAX];
	int rc;

	if ((rc = item_name(name, sizeof(name), g, i, err)) != SBX_OK)
		return rc;
	return sbx_buf_puts(b, name, err);
}

/* -Xbootclasspath/a: again, each entry by descriptor where it can be. */
static int
rewrite_boot(struct sbx_guard *g, size_t i, struct sbx_buf *b,
    struct sbx_err *err)
{
	const struct sbx_jvmargs *a = g->args;
	bool first = true;
	size_t k;
	int rc;

	if ((rc = sbx_buf_puts(b, "-Xbootclasspath/a:", err)) != SBX_OK)
		return rc;
	for (k = 0; k < a->nitems; k++) {
		if (a->items[k].kind != SBX_JVM_BOOT_JAR ||
		    a->items[k].opt != a->items[i].opt)
			continue;
		if ((!first && (rc = sbx_buf_puts(b, ":", err)) != SBX_OK) ||
		    (rc = item_name_buf(g, k, b, err)) != SBX_OK)
			return rc;
		first = false;
	}
	return SBX_OK;
}

/* The option that names item i, rewritten. */
static int
rewrite_item(struct sbx_guard *g, size_t i, struct sbx_buf *b,
    struct sbx_err *err)
{
	const struct sbx_jvm_item *it = &g->args->items[i];
	const char *opt = g->args->opts[it->opt].text, *rest;
	char name[PATH_MAX];
	int rc;

	if ((rc = item_name(name, sizeof(name), g, i, err)) != SBX_OK)
		return rc;
	if (it->kind == SBX_JVM_JAVAAGENT)
		return sbx_buf_printf(b, err, "%s%s%s%s",
		    strncmp(opt, "-javaagent:", 11) == 0 ? "-javaagent:" :
		    strncmp(opt, "-Xrun", 5) == 0 ? "-Xruninstrument:" :
		    "-agentlib:instrument=", name, it->args ? "=" : "",
		    it->args ? it->args : "");
	if (it->kind == SBX_JVM_AGENTPATH && g->items[i].via_instrument) {
		rest = it->args != NULL ? strchr(it->args, '=') : NULL;
		return sbx_buf_printf(b, err, "-agentpath:%s=%s%s", it->path,
		    name, rest != NULL ? rest : "");
	}
	/* -Xrun libraries start at JVM_OnLoad: they keep their name. */
	if (strncmp(opt, "-Xrun", 5) == 0 || name[0] != '/')
		return sbx_buf_puts(b, opt, err);
	return sbx_buf_printf(b, err, "-agentpath:%s%s%s", name,
	    it->args ? "=" : "", it->args ? it->args : "");
}

static int
rewrite_items(struct sbx_guard *g, struct sbx_err *err)
{
	struct sbx_jvmargs *a = g->args;
	struct sbx_buf b = { 0 };
	size_t i;
	int rc = SBX_OK;

	for (i = 0; rc == SBX_OK && i < a->nitems; i++) {
		const struct sbx_jvm_item *it = &a->items[i];

		b.len = 0;
		if (it->kind == SBX_JVM_AGENTLIB &&
		    g->items[i].file == SIZE_MAX)
			continue;	/* the JDK's own */
		/*
		 * The launcher may have split the option over two arguments:
		 * patch JARs go by path (docs/LIMITATIONS.md).
		 */
		if (it->kind == SBX_JVM_PATCH_JAR ||
		    it->kind == SBX_JVM_UPGRADE_PATH)
			continue;
		if (it->kind == SBX_JVM_LAUNCHER_AGENT)
			rc = item_name_buf(g, i, &b, err);
		else if (it->kind == SBX_JVM_BOOT_JAR)
			rc = rewrite_boot(g, i, &b, err);
		else
			rc = rewrite_item(g, i, &b, err);
		if (rc == SBX_OK)
			rc = sbx_buf_terminate(&b, err);
		if (rc == SBX_OK)
			rc = set_token(&a->c[it->container].tokens, it->token,
			    (char *)b.p, err);
	}
	sbx_buf_free(&b);
	return rc;
}

/*
 * A memfd holding len bytes, left open across exec and sealed, so that
 * not even the JVM's own user can change what was checked; its fd or -1.
 */
static int
memfd(const void *data, size_t len, struct sbx_err *err)
{
	const char *p = data;
	ssize_t n;
	int fd;

	if ((fd = memfd_create("sbx-guard", MFD_ALLOW_SEALING)) == -1) {
		sbx_err_set(err, SBX_EIO, "memfd_create: %s", strerror(errno));
		return -1;
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) <= 0) {
			sbx_err_set(err, SBX_EIO, "memfd: %s", strerror(errno));
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW |
	    F_SEAL_SHRINK | F_SEAL_SEAL) == -1) {
		sbx_err_set(err, SBX_EIO, "memfd: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * An options or flags file: the bytes the guard checked (rewritten for
 * an options file) go to a memfd, and the option that named the file
 * names the memfd instead, so the file can change on disk to no avail.
 */
static int
rewrite_file(struct sbx_guard *g, size_t c, struct sbx_err *err)
{
	struct sbx_jvm_container *k = &g->args->c[c];
	struct sbx_buf b = { 0 };
	const char *opt;
	char text[64];
	int fd, rc;

	if (k->source == SBX_JVM_SRC_FLAGS_FILE) {
		opt = "-XX:Flags=";
		fd = memfd(k->raw.p, k->raw.len, err);
	} else {
		opt = "-XX:VMOptionsFile=";
		if ((rc = sbx_jvm_join_options(&b, &k->tokens, err)) != SBX_OK)
			return rc;
		fd = memfd(b.p, b.len, err);
		sbx_buf_free(&b);
	}
	if (fd == -1)
		return err->code;
	snprintf(text, sizeof(text), "%s/proc/self/fd/%d", opt, fd);
	return set_token(&g->args->c[k->parent].tokens, k->parent_token, text,
	    err);
}

/* A token the launcher would expand gets "@@" for its "@". */
static int
escaped(struct sbx_buf *b, const struct sbx_jvmargs *a, size_t i,
    struct sbx_err *err)
{
	const char *t = a->c[0].tokens.v[i];
	int rc;

	b->len = 0;
	if (i < a->expand_until && t[0] == '@' && t[1] != '\0' &&
	    (rc = sbx_buf_puts(b, "@", err)) != SBX_OK)
		return rc;
	if ((rc = sbx_buf_puts(b, t, err)) != SBX_OK)
		return rc;
	return sbx_buf_terminate(b, err);
}

static int
strv_add(char ***v, size_t *n, const char *s, struct sbx_err *err)
{
	char **nv, *copy;

	if ((copy = strdup(s)) == NULL ||
	    (nv = realloc(*v, (*n + 2) * sizeof(*nv))) == NULL) {
		free(copy);
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	}
	nv[(*n)++] = copy;
	nv[*n] = NULL;
	*v = nv;
	return SBX_OK;
}

static void
strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* argv[0], then the launcher's list after what JDK_JAVA_OPTIONS gave. */
static int
build_argv(char ***out, const struct sbx_guard *g, struct sbx_err *err)
{
	const struct sbx_jvmargs *a = g->args;
	struct sbx_buf b = { 0 };
	size_t i, n = 0;
	int rc;

	*out = NULL;
	rc = strv_add(out, &n, g->in->argv[0], err);
	for (i = a->env_tokens; rc == SBX_OK && i < a->c[0].tokens.n; i++)
		if ((rc = escaped(&b, a, i, err)) == SBX_OK)
			rc = strv_add(out, &n, (char *)b.p, err);
	sbx_buf_free(&b);
	return rc;
}

/* NAME=the tokens, quoted as the launcher and the VM read them back. */
static int
env_entry(char ***v, size_t *n, const char *name,
    const struct sbx_jvm_strs *t, struct sbx_err *err)
{
	struct sbx_buf b = { 0 };
	int rc;

	if ((rc = sbx_buf_printf(&b, err, "%s=", name)) == SBX_OK &&
	    (rc = sbx_jvm_join_options(&b, t, err)) == SBX_OK &&
	    (rc = sbx_buf_terminate(&b, err)) == SBX_OK)
		rc = strv_add(v, n, (char *)b.p, err);
	sbx_buf_free(&b);
	return rc;
}

/* JDK_JAVA_OPTIONS again: its share of the launcher's list, escaped. */
static int
jdk_tokens(struct sbx_jvm_strs *out, const struct sbx_jvmargs *a,
    struct sbx_err *err)
{
	struct sbx_buf b = { 0 };
	size_t i;
	int rc = SBX_OK;

	for (i = 0; rc == SBX_OK && i < a->env_tokens; i++)
		if ((rc = escaped(&b, a, i, err)) == SBX_OK)
			rc = sbx_jvm_strs_add(out, (char *)b.p, b.len, err);
	sbx_buf_free(&b);
	return rc;
}

static bool
is_var(const char *entry, const char *name)
{
	size_t n = strlen(name);

	return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

static int
build_env(char ***out, const struct sbx_guard *g, char *const *envp,
    struct sbx_err *err)
{
	const struct sbx_jvmargs *a = g->args;
	struct sbx_jvm_strs jdk = { 0 };
	size_t i, n = 0;
	int rc = SBX_OK;

	*out = NULL;
	for (i = 0; rc == SBX_OK && envp[i] != NULL; i++)
		if (!is_var(envp[i], "JDK_JAVA_OPTIONS") &&
		    !is_var(envp[i], "JAVA_TOOL_OPTIONS") &&
		    !is_var(envp[i], "_JAVA_OPTIONS"))
			rc = strv_add(out, &n, envp[i], err);
	if (rc == SBX_OK && g->in->jdk_java_options != NULL &&
	    (rc = jdk_tokens(&jdk, a, err)) == SBX_OK)
		rc = env_entry(out, &n, "JDK_JAVA_OPTIONS", &jdk, err);
	for (i = 1; rc == SBX_OK && i < a->nc; i++)
		if (a->c[i].source == SBX_JVM_SRC_JAVA_TOOL_OPTIONS ||
		    a->c[i].source == SBX_JVM_SRC_JAVA_OPTIONS)
			rc = env_entry(out, &n, sbx_jvm_source_name(
			    a->c[i].source), &a->c[i].tokens, err);
	sbx_jvm_strs_free(&jdk);
	if (rc == SBX_OK && *out == NULL &&
	    (*out = calloc(1, sizeof(**out))) == NULL)
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
	return rc;
}

int
sbx_guard_exec_args(char ***argv_out, char ***envp_out, struct sbx_guard *g,
    char *const *envp, struct sbx_err *err)
{
	size_t c;
	int rc;

	*argv_out = *envp_out = NULL;
	if (g->args == NULL || g->in == NULL || g->in->argc < 1)
		return sbx_err_set(err, SBX_EINTERNAL, "no command checked");
	if ((rc = rewrite_items(g, err)) != SBX_OK)
		return rc;
	/* Nested first: a file's rewritten tokens, then its parent's. */
	for (c = g->args->nc; c-- > 1;)
		if ((g->args->c[c].source == SBX_JVM_SRC_VM_OPTIONS_FILE ||
		    g->args->c[c].source == SBX_JVM_SRC_FLAGS_FILE) &&
		    (rc = rewrite_file(g, c, err)) != SBX_OK)
			return rc;
	if ((rc = build_argv(argv_out, g, err)) != SBX_OK ||
	    (rc = build_env(envp_out, g, envp != NULL ? envp : environ,
	    err)) != SBX_OK) {
		strv_free(*argv_out);
		strv_free(*envp_out);
		*argv_out = *envp_out = NULL;
	}
	return rc;
}

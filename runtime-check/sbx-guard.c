/* runtime-check/sbx-guard.c: check a java command, then become it. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sbx/err.h>
#include <sbx/guard.h>
#include <sbx/jvmargs.h>

#include "lazy.h"

/* The status a shell gives a command that exists but may not run. */
#define EXIT_REFUSED	SBX_GUARD_REFUSED_STATUS
#define EXIT_NO_JAVA	127

static const char *progname = "sbx-guard";

struct opts {
	const char	*policy;
	const char	*keyring;
	const char	*tenant;
	const char	*cache;
	int		 argc;		/* the java command */
	char		**argv;
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s (--policy POLICY | --keyring KEYRING) "
	    "[--tenant TENANT] [--cache DIR] -- java [ARG...]\n", progname);
	exit(2);
}

static void
parse(struct opts *o, int argc, char **argv)
{
	enum { O_POLICY = 256, O_KEYRING, O_TENANT, O_CACHE };
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, O_POLICY },
		{ "keyring", required_argument, NULL, O_KEYRING },
		{ "tenant", required_argument, NULL, O_TENANT },
		{ "cache", required_argument, NULL, O_CACHE },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	/* "+": stop at the first non-option, so java's own stay java's. */
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (ch == O_POLICY)
			o->policy = optarg;
		else if (ch == O_KEYRING)
			o->keyring = optarg;
		else if (ch == O_TENANT)
			o->tenant = optarg;
		else if (ch == O_CACHE)
			o->cache = optarg;
		else
			usage();
	}
	if (optind < 2 || strcmp(argv[optind - 1], "--") != 0 ||
	    optind == argc || (o->policy == NULL) == (o->keyring == NULL))
		usage();
	o->argc = argc - optind;
	o->argv = argv + optind;
}

/* libsbxguard.so as installed beside sbx-guard, if it is there. */
static const char *
self_library(char *buf, size_t n)
{
	static const char *const rel[] = { "libsbxguard.so",
	    "../lib/sbx/libsbxguard.so" };
	char exe[PATH_MAX];
	ssize_t len;
	size_t i;
	char *slash;

	if ((len = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return NULL;
	exe[len] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return NULL;
	*slash = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		if (snprintf(buf, n, "%s/%s", exe, rel[i]) < (int)n &&
		    access(buf, R_OK) == 0)
			return buf;
	}
	return NULL;
}

static void
refuse(const char *msg)
{
	fprintf(stderr, "%s: %s\n", progname, msg);
	exit(EXIT_REFUSED);
}

static int
report(struct sbx_guard *g, const struct opts *o)
{
	struct sbx_err err = { 0 };
	int rc;

	if ((rc = sbx_guard_report(g, o->argc, o->argv, &err)) != SBX_OK)
		fprintf(stderr, "%s: audit log not written: %s\n", progname,
		    err.msg);
	return rc;
}

/*
 * An acceptance is written down by a detached process, so that the JVM
 * does not wait for the audit log's and the metrics' fsync (3 ms here
 * on a quiet disk, tens on a busy one: docs/guard.md). It is forked
 * twice, so that java, which this process becomes, never has a child
 * it did not start and would leave unreaped. It runs at the lowest
 * priority: loading OpenSSL and writing are not to slow the JVM's start.
 */
static void
report_later(struct sbx_guard *g, const struct opts *o)
{
	pid_t pid;
	int null;

	if ((pid = fork()) == -1) {
		(void)report(g, o);
		return;
	}
	if (pid == 0) {
		if (fork() == 0) {
			(void)setpriority(PRIO_PROCESS, 0, 19);
			if ((null = open("/dev/null", O_RDWR)) != -1) {
				(void)dup2(null, STDIN_FILENO);
				(void)dup2(null, STDOUT_FILENO);
			}
			_exit(report(g, o) == SBX_OK ? 0 : 1);
		}
		_exit(0);
	}
	(void)waitpid(pid, NULL, 0);
}

/*
 * An acceptance is written down later, by libsbxguard-full.so: make sure
 * now that it can be loaded, or the start would go unrecorded.
 */
static void
need_recorder(const struct sbx_guard *g)
{
	struct sbx_err err = { 0 };
	char msg[sizeof(err.msg) + 64];

	if (sbx_lazy_recorder_ready(g, &err) == SBX_OK)
		return;
	snprintf(msg, sizeof(msg), "cannot record this start: %s", err.msg);
	if (!sbx_guard_audit_mode(g))
		refuse(msg);
	fprintf(stderr, "%s: %s\n", progname, msg);
}

/* Check, record, and say why when the answer is no or "audited". */
static struct sbx_guard *
check(const struct opts *o, struct sbx_jvm_input *in)
{
	char self[PATH_MAX];
	struct sbx_guard_conf conf = {
		.policy = o->policy, .keyring = o->keyring,
		.tenant = o->tenant, .tool = "guard", .progname = progname,
		.cache_dir = o->cache, .handover = true,
		.self = self_library(self, sizeof(self))
	};
	struct sbx_err err = { 0 };
	struct sbx_guard *g = NULL;
	int rc;

	if (sbx_guard_new(&g, &conf, &err) != SBX_OK)
		refuse(err.msg);
	rc = sbx_guard_check(g, in, &err);

	/* A violation is on record before the JVM runs, if it runs. */
	if (sbx_guard_verdict(g) == SBX_GUARD_ACCEPTED) {
		need_recorder(g);
		if (sbx_guard_records(g))
			report_later(g, o);
	} else if (report(g, o) != SBX_OK && !sbx_guard_audit_mode(g))
		exit(EXIT_REFUSED);
	if (rc != SBX_OK)
		refuse(err.msg);
	if (sbx_guard_verdict(g) == SBX_GUARD_AUDITED)
		fprintf(stderr, "%s: audited: %s: %s: %s\n", progname,
		    sbx_guard_finding(g, 0)->subject,
		    sbx_violation_name(sbx_guard_finding(g, 0)->type),
		    sbx_guard_finding(g, 0)->reason);
	return g;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct sbx_jvm_input in = { 0 };
	struct sbx_err err = { 0 };
	struct sbx_guard *g;
	char **nargv, **nenv;

	parse(&o, argc, argv);
	in.argc = o.argc;
	in.argv = o.argv;
	sbx_jvm_input_env(&in, NULL);
	g = check(&o, &in);
	if (sbx_guard_exec_args(&nargv, &nenv, g, NULL, &err) != SBX_OK)
		refuse(err.msg);

	/* java takes this process's place: no guard stays behind. */
	execvpe(nargv[0], nargv, nenv);
	fprintf(stderr, "%s: %s: cannot run: %s\n", progname, nargv[0],
	    strerror(errno));
	sbx_guard_free(g);
	return EXIT_NO_JAVA;
}

/* runtime-check/agent-guard.c: libsbxguard.so, the guard inside the JVM. */
/* SPDX-License-Identifier: ISC */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jni.h>
#include <jvmti.h>

#include <sbx/buf.h>
#include <sbx/err.h>
#include <sbx/guard.h>
#include <sbx/jvmargs.h>

#include "lazy.h"

/*
 * -agentpath:/path/libsbxguard.so=policy=FILE[,tenant=T][,cache=DIR]
 * (or keyring=FILE for policy=FILE). Agent_OnLoad reads the command the
 * JVM was started with (/proc/self/cmdline and the variables), runs the
 * check of sbx-guard and refuses by ending the process with status 126,
 * before any Java agent's premain runs, as sbx-guard does. Then it
 * stays to measure how long the JVM spends in agents' premain methods
 * and to take violations from the Java API
 * (org.sbx.guard.Sbx.reportViolation).
 */

#define PROGNAME	"libsbxguard"
#define CMDLINE_MAX	((size_t)4 << 20)

/*
 * One agent per JVM: the JVM loads the library once, and a native
 * method has no other way than a static to reach the guard.
 */
static struct agent {
	pthread_mutex_t	 mu;		/* the premain hand-over; reports */
	pthread_cond_t	 cv;
	struct sbx_guard *g;
	JavaVM		*vm;
	jvmtiEnv	*env;		/* made in Agent_OnLoad */
	jvmtiEnv	*last;		/* made at VMInit: the last of all */
	struct timespec	 vm_start;
	struct sbx_guard_conf conf;
	struct sbx_jvm_input in;
	struct sbx_buf	 cmdline;
	char		**argv;
	char		*opts;
	char		 self[PATH_MAX];
	char		 java_home[PATH_MAX];
	pthread_t	 reporter;
	bool		 reporter_started;
	bool		 reported;	/* the check's event is written */
	bool		 vm_inited;	/* VMInit came: start-up is done */
	bool		 premain_known;
	bool		 stop;
	double		 premain;
} A = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};

static void say(const char *, ...) __attribute__((format(printf, 1, 2)));

JNIEXPORT jint JNICALL Agent_OnLoad(JavaVM *, char *, void *);
JNIEXPORT void JNICALL Java_org_sbx_guard_Sbx_reportViolation(JNIEnv *,
    jclass, jstring, jstring);

/* One line on stderr, as sbx-guard writes it. */
static void
say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROGNAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
parse_options(char *opts, struct sbx_guard_conf *c, struct sbx_err *err)
{
	char *kv, *save = NULL, *v;

	for (kv = strtok_r(opts, ",", &save); kv != NULL;
	    kv = strtok_r(NULL, ",", &save)) {
		if ((v = strchr(kv, '=')) == NULL)
			return sbx_err_set(err, SBX_ECONFIG, "option %s: "
			    "expected NAME=VALUE", kv);
		*v++ = '\0';
		if (strcmp(kv, "policy") == 0)
			c->policy = v;
		else if (strcmp(kv, "keyring") == 0)
			c->keyring = v;
		else if (strcmp(kv, "tenant") == 0)
			c->tenant = v;
		else if (strcmp(kv, "cache") == 0)
			c->cache_dir = v;
		else
			return sbx_err_set(err, SBX_ECONFIG, "unknown option "
			    "%s (policy, keyring, tenant, cache)", kv);
	}
	if ((c->policy == NULL) == (c->keyring == NULL))
		return sbx_err_set(err, SBX_ECONFIG, "give policy=FILE or "
		    "keyring=FILE: -agentpath:libsbxguard.so=policy=FILE");
	return SBX_OK;
}

/* The JVM's own argv: what the launcher was started with. */
static int
read_cmdline(struct sbx_err *err)
{
	unsigned char *at;
	size_t i, n = 0;
	ssize_t got;
	int fd, rc = SBX_OK;

	if ((fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC)) == -1)
		return sbx_err_set(err, SBX_EIO, "/proc/self/cmdline: %s",
		    strerror(errno));
	do {
		if ((rc = sbx_buf_extend(&A.cmdline, 4096, &at, err)) != SBX_OK)
			break;
		got = read(fd, at, 4096);
		A.cmdline.len -= 4096 - (got > 0 ? (size_t)got : 0);
		if (got < 0)
			rc = sbx_err_set(err, SBX_EIO, "/proc/self/cmdline: %s",
			    strerror(errno));
	} while (rc == SBX_OK && got > 0 && A.cmdline.len < CMDLINE_MAX);
	close(fd);
	if (rc != SBX_OK || (rc = sbx_buf_terminate(&A.cmdline, err)) != SBX_OK)
		return rc;
	for (i = 0; i < A.cmdline.len; i++)
		n += A.cmdline.p[i] == '\0';
	if ((A.argv = calloc(n + 1, sizeof(*A.argv))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	for (i = 0; i < A.cmdline.len; i += strlen((char *)A.cmdline.p + i) + 1)
		A.argv[A.in.argc++] = (char *)A.cmdline.p + i;
	return A.in.argc > 0 ? SBX_OK : sbx_err_set(err, SBX_EIO,
	    "/proc/self/cmdline: empty");
}

/* Who we are (the -agentpath that loaded us) and which JDK runs us. */
static int
setup(const char *options, struct sbx_err *err)
{
	Dl_info info;
	char *home = NULL;

	A.conf.tool = "agent";
	A.conf.progname = PROGNAME;
	A.conf.must_see_self = true;
	if ((A.opts = strdup(options != NULL ? options : "")) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if (parse_options(A.opts, &A.conf, err) != SBX_OK)
		return err->code;
	if (dladdr((void *)&A, &info) == 0 || info.dli_fname == NULL)
		return sbx_err_set(err, SBX_EINTERNAL, "cannot tell which "
		    "library this is");
	snprintf(A.self, sizeof(A.self), "%s", info.dli_fname);
	A.conf.self = A.self;
	if ((*A.env)->GetSystemProperty(A.env, "java.home", &home) ==
	    JVMTI_ERROR_NONE && home != NULL) {
		snprintf(A.java_home, sizeof(A.java_home), "%s", home);
		A.conf.java_home = A.java_home;
		(*A.env)->Deallocate(A.env, (unsigned char *)home);
	}
	if (read_cmdline(err) != SBX_OK)
		return err->code;
	A.in.argv = A.argv;
	sbx_jvm_input_env(&A.in, NULL);
	return SBX_OK;
}

static double
since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Writes the check's audit event and metrics as soon as the VM is up
 * (VMInit, before any premain), then, once the JVM has run every
 * premain, the time that took. Not earlier: loading the full library
 * takes the dynamic loader's lock, which the JVM needs for its own
 * libraries while it starts; not later: a JVM killed during its first
 * second must still leave its record. The mutex only hands over the
 * events; the guard is only read.
 */
static void *
reporter(void *arg)
{
	struct sbx_err err = { 0 };
	bool known;

	pthread_mutex_lock(&A.mu);
	while (!A.vm_inited && !A.stop)
		pthread_cond_wait(&A.cv, &A.mu);
	pthread_mutex_unlock(&A.mu);
	if (!A.reported && sbx_guard_report(A.g, 0, NULL, &err) != SBX_OK)
		say("audit log not written: %s", err.msg);
	pthread_mutex_lock(&A.mu);
	while (!A.premain_known && !A.stop)
		pthread_cond_wait(&A.cv, &A.mu);
	known = A.premain_known;
	pthread_mutex_unlock(&A.mu);
	if (known && sbx_guard_report_premain(A.g, A.premain, &err) != SBX_OK)
		say("metrics not written: %s", err.msg);
	return arg;
}

/*
 * The JVM opens agent JARs by path, so a path that names another file
 * now than at the check would load unchecked code: look again just
 * before (VMStart, then this agent's VMInit, which comes before the
 * premain of every agent named after it), and stop the JVM if so.
 * What remains is the moment between this look and the JVM's open;
 * the path rules say who could use it (docs/guard.md).
 */
static void
recheck(void)
{
	struct sbx_err err = { 0 }, rerr = { 0 };

	if (sbx_guard_recheck(A.g, &err) == SBX_OK)
		return;
	say("%s", err.msg);
	if (sbx_guard_report(A.g, 0, NULL, &rerr) != SBX_OK)
		say("audit log not written: %s", rerr.msg);
	_exit(SBX_GUARD_REFUSED_STATUS);
}

static void JNICALL
on_vm_start(jvmtiEnv *env, JNIEnv *jni)
{
	clock_gettime(CLOCK_MONOTONIC, &A.vm_start);
	recheck();
}

/*
 * The VM posts VMInit to each JVMTI environment in the order they were
 * made, and java.lang.instrument runs premain in its own VMInit handler.
 * An environment made here is the last: its VMInit comes after every
 * premain. VMStart to then is the time agents cost (without agents the
 * JVM needs about 0.1 ms of it).
 */
static void JNICALL
on_last_init(jvmtiEnv *env, JNIEnv *jni, jthread thread)
{
	pthread_mutex_lock(&A.mu);
	A.premain = since(&A.vm_start);
	A.premain_known = true;
	pthread_cond_broadcast(&A.cv);
	pthread_mutex_unlock(&A.mu);
}

static void JNICALL
on_vm_init(jvmtiEnv *env, JNIEnv *jni, jthread thread)
{
	jvmtiEventCallbacks cb;

	recheck();
	pthread_mutex_lock(&A.mu);
	A.vm_inited = true;
	pthread_cond_broadcast(&A.cv);
	pthread_mutex_unlock(&A.mu);
	if ((*A.vm)->GetEnv(A.vm, (void **)&A.last, JVMTI_VERSION_1_2) !=
	    JNI_OK)
		return;
	memset(&cb, 0, sizeof(cb));
	cb.VMInit = on_last_init;
	(void)(*A.last)->SetEventCallbacks(A.last, &cb, sizeof(cb));
	(void)(*A.last)->SetEventNotificationMode(A.last, JVMTI_ENABLE,
	    JVMTI_EVENT_VM_INIT, NULL);
}

static void JNICALL
on_vm_death(jvmtiEnv *env, JNIEnv *jni)
{
	pthread_mutex_lock(&A.mu);
	A.stop = true;
	pthread_cond_broadcast(&A.cv);
	pthread_mutex_unlock(&A.mu);
	if (A.reporter_started)
		pthread_join(A.reporter, NULL);
	A.reporter_started = false;
}

/* Only VMStart, VMInit and VMDeath: no event per class, no cost. */
static void
watch(void)
{
	jvmtiEventCallbacks cb;
	jvmtiEventMode on = JVMTI_ENABLE;

	memset(&cb, 0, sizeof(cb));
	cb.VMStart = on_vm_start;
	cb.VMInit = on_vm_init;
	cb.VMDeath = on_vm_death;
	if ((*A.env)->SetEventCallbacks(A.env, &cb, sizeof(cb)) !=
	    JVMTI_ERROR_NONE)
		return;
	(void)(*A.env)->SetEventNotificationMode(A.env, on,
	    JVMTI_EVENT_VM_START, NULL);
	(void)(*A.env)->SetEventNotificationMode(A.env, on,
	    JVMTI_EVENT_VM_INIT, NULL);
	(void)(*A.env)->SetEventNotificationMode(A.env, on,
	    JVMTI_EVENT_VM_DEATH, NULL);
	/* A policy with no audit file and no metrics: nothing to load. */
	if (sbx_guard_records(A.g))
		A.reporter_started = pthread_create(&A.reporter, NULL,
		    reporter, NULL) == 0;
}

JNIEXPORT jint JNICALL
Agent_OnLoad(JavaVM *vm, char *options, void *reserved)
{
	const struct sbx_guard_finding *f;
	struct sbx_err err = { 0 }, rerr = { 0 };

	A.vm = vm;
	if ((*vm)->GetEnv(vm, (void **)&A.env, JVMTI_VERSION_1_2) != JNI_OK) {
		say("no JVMTI in this JVM");
		return JNI_ERR;
	}
	if (setup(options, &err) != SBX_OK) {
		say("%s", err.msg);
		return JNI_ERR;
	}
	/* A guard that cannot load its policy refuses, as sbx-guard. */
	if (sbx_guard_new(&A.g, &A.conf, &err) != SBX_OK) {
		say("%s", err.msg);
		_exit(SBX_GUARD_REFUSED_STATUS);
	}
	if (sbx_guard_check(A.g, &A.in, &err) != SBX_OK) {
		/* Refused: recorded now, since the JVM will not run. */
		say("%s", err.msg);
		if (sbx_guard_report(A.g, 0, NULL, &rerr) != SBX_OK)
			say("audit log not written: %s", rerr.msg);
		/*
		 * JNI_ERR would make java print two more lines and exit 1;
		 * a refusal is 126 through either guard, as sbx-guard(1)
		 * says, and no VM exists yet that could need a clean exit.
		 */
		_exit(SBX_GUARD_REFUSED_STATUS);
	}
	/* The reporter must be able to write what it will have to. */
	if (sbx_guard_verdict(A.g) == SBX_GUARD_ACCEPTED &&
	    sbx_lazy_recorder_ready(A.g, &err) != SBX_OK) {
		say("cannot record this start: %s", err.msg);
		if (!sbx_guard_audit_mode(A.g))
			_exit(SBX_GUARD_REFUSED_STATUS);
	}
	if (sbx_guard_verdict(A.g) == SBX_GUARD_AUDITED) {
		/* A violation is on record before the JVM runs. */
		f = sbx_guard_finding(A.g, 0);
		say("audited: %s: %s: %s", f->subject,
		    sbx_violation_name(f->type), f->reason);
		if (sbx_guard_report(A.g, 0, NULL, &rerr) != SBX_OK)
			say("audit log not written: %s", rerr.msg);
		A.reported = true;
	}
	watch();
	if (!A.reporter_started && !A.reported && sbx_guard_records(A.g) &&
	    sbx_guard_report(A.g, 0, NULL, &rerr) != SBX_OK)
		say("audit log not written: %s", rerr.msg);
	return JNI_OK;
}

static void
throw(JNIEnv *env, const char *cls, const char *msg)
{
	jclass c = (*env)->FindClass(env, cls);

	if (c != NULL)
		(*env)->ThrowNew(env, c, msg);
}

static enum sbx_violation
violation_by_name(const char *name)
{
	int v;

	for (v = SBX_V_NONE + 1; v < SBX_V_COUNT; v++)
		if (strcmp(name, sbx_violation_name(v)) == 0)
			return (enum sbx_violation)v;
	return SBX_V_NONE;
}

/*
 * org.sbx.guard.Sbx.reportViolation(String type, String detail).
 * HotSpot looks native methods up in agent libraries too, so this
 * symbol binds when the class first calls it, from any class loader,
 * with no class-load hook (which would cost every class a callback).
 */
JNIEXPORT void JNICALL
Java_org_sbx_guard_Sbx_reportViolation(JNIEnv *env, jclass cls, jstring type,
    jstring detail)
{
	struct sbx_err err = { 0 };
	const char *t, *d;
	enum sbx_violation v;
	int rc;

	if (type == NULL || detail == NULL) {
		throw(env, "java/lang/NullPointerException", "type and detail");
		return;
	}
	if ((t = (*env)->GetStringUTFChars(env, type, NULL)) == NULL)
		return;
	if ((d = (*env)->GetStringUTFChars(env, detail, NULL)) == NULL) {
		(*env)->ReleaseStringUTFChars(env, type, t);
		return;
	}
	if ((v = violation_by_name(t)) == SBX_V_NONE)
		throw(env, "java/lang/IllegalArgumentException",
		    "not an sbx violation type (docs/metrics.md)");
	else if (A.g == NULL)
		throw(env, "java/lang/IllegalStateException",
		    "libsbxguard is not loaded as an agent");
	else {
		pthread_mutex_lock(&A.mu);
		rc = sbx_guard_report_violation(A.g, v, d, &err);
		pthread_mutex_unlock(&A.mu);
		if (rc != SBX_OK)
			throw(env, "java/lang/IllegalStateException", err.msg);
	}
	(*env)->ReleaseStringUTFChars(env, detail, d);
	(*env)->ReleaseStringUTFChars(env, type, t);
}

/* runtime-check/guard_int.h: what the files of the guard module share. */
#ifndef SBX_GUARD_INT_H
#define SBX_GUARD_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <sbx/err.h>
#include <sbx/guard.h>
#include <sbx/jvmargs.h>
#include <sbx/keyring.h>
#include <sbx/policy.h>

/*
 * A cached verdict is used for at most this long, whatever the keys'
 * windows say: it bounds how stale a verdict that depends on the time
 * (a certificate that expires, a provenance that ages) can get.
 */
#define GUARD_CACHE_TTL		3600

/* Symbolic links followed while checking one path, as the kernel. */
#define GUARD_MAX_LINKS		40

/* What a file is to the JVM. */
enum grole {
	ROLE_AGENT = 0,		/* -javaagent JAR */
	ROLE_APP,		/* the -jar file */
	ROLE_BOOT,		/* -Xbootclasspath/a: JAR */
	ROLE_DEP,		/* named by an agent's Boot-Class-Path or
				   Class-Path */
	ROLE_NATIVE		/* -agentpath:, -agentlib: library */
};

/*
 * What a cached verdict is keyed by: any write to the file changes
 * its size, its mtime or at least its ctime, which nobody can set.
 */
struct gid {
	bool		 present;
	uint64_t	 dev;
	uint64_t	 ino;
	int64_t		 size;
	int64_t		 mtime_s, mtime_ns;
	int64_t		 ctime_s, ctime_ns;
};

/* One file the guard checked, or tried to. */
struct gfile {
	enum grole	 role;
	char		*path;		/* absolute; as the JVM names it */
	int		 fd;		/* -1 when closed */
	struct stat	 st;
	struct gid	 prov;		/* the NAME.intoto.jsonl beside it */
	bool		 checked;	/* verified, or taken from the cache */
	bool		 accepted;
	bool		 from_cache;
	bool		 launcher_agent;	/* ROLE_APP: it names one */
	bool		 class_path;	/* its manifest has a Class-Path */
	bool		 jdk_library;	/* -agentlib: of the JDK itself */
	bool		 self;		/* the guard library */
	char		 sha256[65];
	char		 key_id[SBX_KEYID_LEN + 1];
	char		 signer[128];
	char		 subject[256];
	struct sbx_jvm_strs deps;	/* Boot-Class-Path, then Class-Path */
	size_t		 nboot;		/* how many of deps are boot ones */
	int64_t		 until;		/* the verdict holds until then */
};

/* What the check made of one item of the command. */
struct gitem {
	size_t		 file;		/* index in files, or SIZE_MAX */
	bool		 via_instrument;	/* -agentpath: to the JDK's
					   libinstrument: file is the JAR */
};

struct gcache {
	bool		 usable;
	bool		 writable;
	char		 dir[PATH_MAX];
	uid_t		 owner;		/* the keyring's */
	struct gid	 policy;
	struct gid	 keyring;
};

struct sbx_guard {
	struct sbx_guard_conf conf;	/* strings borrowed */
	struct sbx_policy *policy;
	struct sbx_keyring *kr;		/* loaded at the first miss */
	struct gcache	 cache;
	const struct sbx_jvm_input *in;
	struct sbx_jvmargs *args;
	struct gfile	**files;	/* pointers: they outlive a realloc */
	size_t		 nfiles;
	struct gitem	*items;		/* one for each of args->items */
	struct sbx_guard_finding *f;
	size_t		 nf;
	enum sbx_guard_verdict verdict;
	double		 seconds;
	int64_t		 now;
	size_t		 hits;
	size_t		 verified;
	char		 cwd[PATH_MAX];
	char		 java_home[PATH_MAX];	/* "" when unknown */
	char		 java_exe[PATH_MAX];	/* the launcher, or "" */
	struct gid	 self;		/* the guard library, if known */
	struct gid	 instrument;	/* the JDK's libinstrument.so */
	const char	*tenant;	/* conf or policy; borrowed */
};

/* guard.c */
int	guard_finding(struct sbx_guard *g, enum sbx_violation type,
	    const char *subject, const char *rule, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
int	guard_finding_err(struct sbx_guard *g, const char *subject,
	    const struct sbx_err *err);
struct gfile *guard_file_add(struct sbx_guard *g, enum grole role,
	    const char *path, struct sbx_err *err);
void	gid_from_stat(struct gid *id, const struct stat *st);
bool	gid_eq(const struct gid *a, const struct gid *b);
int	guard_abs(char *out, size_t n, const struct sbx_guard *g,
	    const char *path);

/* guard_path.c */
int	gpath_check(struct sbx_guard *g, const char *path,
	    const struct stat *want, bool must_exist, struct sbx_err *err);

/* guard_cache.c */
void	gcache_open(struct sbx_guard *g);
bool	gcache_get(struct sbx_guard *g, struct gfile *f);
void	gcache_put(struct sbx_guard *g, const struct gfile *f);
bool	gcache_policy_checked(const struct sbx_guard *g);
void	gcache_policy_put(const struct sbx_guard *g);

/* guard_file.c */
int	gfile_open(struct sbx_guard *g, struct gfile *f, struct sbx_err *err);
int	gfile_jar(struct sbx_guard *g, struct gfile *f, struct sbx_err *err);
int	gfile_app(struct sbx_guard *g, struct gfile *f, struct sbx_err *err);
int	gfile_native(struct sbx_guard *g, struct gfile *f,
	    struct sbx_err *err);

#endif

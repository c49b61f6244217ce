/* include/sbx/jvmargs.h: the agents and options a java command gives a JVM. */
#ifndef SBX_JVMARGS_H
#define SBX_JVMARGS_H

#include <stdbool.h>
#include <stddef.h>

#include <sbx/buf.h>
#include <sbx/err.h>

/*
 * The parser reads a java command as the JDK 17 launcher and HotSpot do
 * (docs/guard.md, "What the guard sees"):
 *
 * 1. The launcher builds its argument list from JDK_JAVA_OPTIONS, then
 *    the command line, expanding @argfiles (quotes, escapes, comments
 *    and line continuations as the launcher's own reader, 4 KiB at a
 *    time) until the main class, the -jar file or the module is found;
 *    "@@x" stands for "@x". -server and -client are dropped.
 * 2. It turns its options into VM options (-noverify becomes
 *    -Xverify:none, -cp X becomes -Djava.class.path=X, ...); the first
 *    argument that is not an option is the main class or, after -jar,
 *    the JAR; nothing after it reaches the JVM. -version, -help and
 *    -X stop the parse (the JVM still starts, with what came before).
 * 3. The VM reads, in this order: the -XX:Flags= settings file (the
 *    last one named anywhere), JAVA_TOOL_OPTIONS, the launcher's
 *    options, _JAVA_OPTIONS. In each of the three, -XX:VMOptionsFile=F
 *    is replaced by the options in F. A later option overrides an
 *    earlier one of the same name (-XX:+X / -XX:-X, -Dp=, -Xverify:).
 *
 * What java itself would refuse, and what the guard cannot account for,
 * is refused here: an unmatched quote, a main class or -jar in
 * JDK_JAVA_OPTIONS, a NUL byte in a file, a second -XX:VMOptionsFile in
 * one place or one inside an options file, -XXaltjvm= and
 * JDK_ALTERNATE_VM (another libjvm is native code nobody checked).
 */

/* Where an option was written. */
enum sbx_jvm_source {
	SBX_JVM_SRC_ARGV = 0,		/* the command line */
	SBX_JVM_SRC_ARGFILE,		/* an @argfile */
	SBX_JVM_SRC_JDK_JAVA_OPTIONS,
	SBX_JVM_SRC_JAVA_TOOL_OPTIONS,
	SBX_JVM_SRC_JAVA_OPTIONS,	/* _JAVA_OPTIONS */
	SBX_JVM_SRC_VM_OPTIONS_FILE,	/* -XX:VMOptionsFile= */
	SBX_JVM_SRC_FLAGS_FILE,		/* -XX:Flags= */
	SBX_JVM_SRC_MANIFEST		/* Launcher-Agent-Class of the -jar */
};

/* What an item is. */
enum sbx_jvm_kind {
	SBX_JVM_JAVAAGENT = 0,		/* -javaagent:JAR[=opts] and
					   -agentlib:instrument=JAR[=opts] */
	SBX_JVM_LAUNCHER_AGENT,		/* -jar APP.jar naming a
					   Launcher-Agent-Class */
	SBX_JVM_AGENTPATH,		/* -agentpath:LIB[=opts] */
	SBX_JVM_AGENTLIB,		/* -agentlib:NAME[=opts], -XrunNAME */
	SBX_JVM_BOOT_JAR,		/* one -Xbootclasspath/a: entry */
	SBX_JVM_PATCH_JAR,		/* one --patch-module entry: code
					   put inside a platform module;
					   args: the module */
	SBX_JVM_UPGRADE_PATH		/* --upgrade-module-path: modules
					   put in the platform's place;
					   path: the whole value */
};

/* How the program is named, after the options. */
enum sbx_jvm_main {
	SBX_JVM_MAIN_NONE = 0,		/* -version, -help, --list-modules */
	SBX_JVM_MAIN_CLASS,
	SBX_JVM_MAIN_JAR,		/* -jar */
	SBX_JVM_MAIN_MODULE,		/* -m, --module */
	SBX_JVM_MAIN_SOURCE		/* a .java file, --source */
};

/* A list of strings, each owned. */
struct sbx_jvm_strs {
	char		**v;
	size_t		  n;
};

/*
 * A place options are written in, kept so that a guard can rewrite a
 * token and hand the JVM the result: the launcher's arguments (always
 * container 0: JDK_JAVA_OPTIONS and the command line with @argfiles
 * expanded, argv[0] left out), the two variables, each options file.
 */
struct sbx_jvm_container {
	enum sbx_jvm_source source;
	char		*origin;	/* variable name or file path */
	struct sbx_jvm_strs tokens;
	enum sbx_jvm_source *token_source;	/* container 0 only */
	char		**token_origin;		/* container 0; borrowed */
	struct sbx_buf	 raw;		/* a file's bytes as read */
	size_t		 parent;	/* for a file: who named it */
	size_t		 parent_token;
};

/* One option as the JVM receives it, in the VM's order. */
struct sbx_jvm_opt {
	char		*text;		/* "-XX:+DisableAttachMechanism" */
	char		*spelling;	/* what was written when the launcher
					   translated it ("-noverify"), or
					   NULL */
	enum sbx_jvm_source source;
	const char	*origin;	/* file or variable; borrowed */
	bool		 in_effect;	/* not overridden by a later one */
	size_t		 container;	/* where it was written */
	size_t		 token;
};

/* An agent or boot class path JAR. */
struct sbx_jvm_item {
	enum sbx_jvm_kind kind;
	size_t		 opt;		/* the option that named it, or
					   SBX_JVM_NO_OPT */
	char		*path;		/* JAR or library as written; the
					   name for SBX_JVM_AGENTLIB; NULL
					   when the option names none */
	char		*args;		/* agent options after '=', or NULL */
	size_t		 container;	/* the token holding path */
	size_t		 token;
};

#define SBX_JVM_NO_OPT	((size_t)-1)

struct sbx_jvmargs {
	struct sbx_jvm_container *c;	/* [0] is the launcher's list */
	size_t		 nc;
	struct sbx_jvm_opt *opts;
	size_t		 nopts;
	struct sbx_jvm_item *items;	/* in the order the JVM loads them */
	size_t		 nitems;
	enum sbx_jvm_main main_kind;
	char		*main;		/* class, JAR, module or file */
	size_t		 main_token;	/* its index in container 0 */
	bool		 vm_created;	/* false: the launcher exits first
					   (-fullversion) */
	size_t		 env_tokens;	/* container 0 tokens that came from
					   JDK_JAVA_OPTIONS (they come
					   first) */
	size_t		 expand_until;	/* container 0 tokens before this
					   index would be @-expanded if
					   they were written on the
					   command line */
	struct sbx_jvm_strs names;	/* argfile names, for origins */
};

/* What the parser reads: the command and the environment. */
struct sbx_jvm_input {
	int		 argc;
	char *const	*argv;		/* argv[0] is the java launcher */
	const char	*jdk_java_options;	/* NULL when unset */
	const char	*java_tool_options;
	const char	*java_options;		/* _JAVA_OPTIONS */
	const char	*jdk_alternate_vm;	/* JDK_ALTERNATE_VM */
	const char	*ld_preload;		/* LD_PRELOAD, LD_AUDIT and */
	const char	*ld_audit;		/* LD_LIBRARY_PATH: native */
	const char	*ld_library_path;	/* code the loader adds */
	const char	*dir;		/* relative files are taken from
					   here; NULL: the current folder */
};

/* Fill in the variables from envp (NULL: the process's own). */
void	sbx_jvm_input_env(struct sbx_jvm_input *in, char *const *envp);

/*
 * Parse in into *out (the caller frees it with sbx_jvmargs_free()).
 * Reads @argfiles, -XX:VMOptionsFile= and -XX:Flags= files. Returns
 * SBX_OK; SBX_EIO naming a file that cannot be read; SBX_EREJECT with
 * SBX_V_FORBIDDEN_FLAG and a message naming the option and where it
 * was found, for what the header comment lists; SBX_ENOMEM.
 */
int	sbx_jvmargs_parse(struct sbx_jvmargs **out,
	    const struct sbx_jvm_input *in, struct sbx_err *err);

void	sbx_jvmargs_free(struct sbx_jvmargs *a);	/* NULL is fine */

/*
 * Add the -jar file as a SBX_JVM_LAUNCHER_AGENT item (after the
 * command's own agents, where the launcher starts it).
 */
int	sbx_jvmargs_add_launcher_agent(struct sbx_jvmargs *a,
	    struct sbx_err *err);

/* "the command line", "JAVA_TOOL_OPTIONS", "@argfile", ... */
const char *sbx_jvm_source_name(enum sbx_jvm_source s);

/* "javaagent", "launcher-agent", "agentpath", "agentlib", "boot-jar". */
const char *sbx_jvm_kind_name(enum sbx_jvm_kind k);

/*
 * The tokenizers, exposed for tests and for guards that write options
 * back. Each appends to out.
 *
 * sbx_jvm_split_argfile: an @argfile as the launcher reads it.
 * sbx_jvm_split_options: a variable or VM options file as the launcher
 *   (JDK_JAVA_OPTIONS) and the VM (the others) read it: white space
 *   separates, '...' and "..." quote without escapes; an unmatched
 *   quote is SBX_EREJECT.
 * sbx_jvm_split_flags: a -XX:Flags= file: tokens as above, '#' starts
 *   a comment where a token could start, a newline ends a token even
 *   inside quotes.
 * what names the text in messages. A NUL byte is SBX_EREJECT.
 */
int	sbx_jvm_split_argfile(struct sbx_jvm_strs *out, const char *text,
	    size_t len, const char *what, struct sbx_err *err);
int	sbx_jvm_split_options(struct sbx_jvm_strs *out, const char *text,
	    size_t len, const char *what, struct sbx_err *err);
int	sbx_jvm_split_flags(struct sbx_jvm_strs *out, const char *text,
	    size_t len, const char *what, struct sbx_err *err);

/*
 * Append tokens as text that sbx_jvm_split_options() reads back as the
 * same tokens (each separated by one space; quotes where needed).
 */
int	sbx_jvm_join_options(struct sbx_buf *out,
	    const struct sbx_jvm_strs *tokens, struct sbx_err *err);

int	sbx_jvm_strs_add(struct sbx_jvm_strs *l, const char *s, size_t n,
	    struct sbx_err *err);
void	sbx_jvm_strs_free(struct sbx_jvm_strs *l);

#endif

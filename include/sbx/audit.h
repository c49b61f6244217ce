/* include/sbx/audit.h: the hash-chained audit log, its sinks and checks. */
#ifndef SBX_AUDIT_H
#define SBX_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include <sbx/buf.h>
#include <sbx/err.h>

/*
 * An audit event is one compact JSON object on one line of the log
 * (docs/formats.md, "Audit events"). Each line carries seq, prev_hash
 * and hash: hash is the SHA-256 of the line's canonical JSON without
 * the hash member, prev_hash the hash of the line before (or of the
 * last line of the rotated file before), so that a removed, edited,
 * reordered or inserted line breaks the chain.
 */

#define SBX_AUDIT_HASH_LEN	64		/* hex characters, no NUL */
#define SBX_AUDIT_LINE_MAX	65536		/* bytes, newline included */
#define SBX_AUDIT_GENESIS \
	"0000000000000000000000000000000000000000000000000000000000000000"

enum sbx_audit_kind {
	SBX_AUDIT_VIOLATION = 0,	/* "sbx.violation" */
	SBX_AUDIT_CHECK,		/* "sbx.check" */
	SBX_AUDIT_SIGN,			/* "sbx.sign" */
	SBX_AUDIT_VERIFY,		/* "sbx.verify" */
	SBX_AUDIT_KEYRING,		/* "sbx.keyring" */
	SBX_AUDIT_SAMPLED,		/* "sbx.sampled": written by emit */
	SBX_AUDIT_ROTATE,		/* "sbx.rotate": written by rotate */
	SBX_AUDIT_KIND_COUNT
};

enum sbx_audit_decision {
	SBX_AUDIT_NO_DECISION = 0,	/* member left out */
	SBX_AUDIT_ACCEPTED,
	SBX_AUDIT_REFUSED,
	SBX_AUDIT_AUDITED		/* refused, but the mode is audit */
};

/*
 * What the caller knows about one event. Every pointer may be NULL
 * (the member is then left out of the line), except that a NULL tenant
 * is written as "default". emit fills time, host, process, trace
 * context, version, seq and the hashes when they are left zero here.
 */
struct sbx_audit_event {
	enum sbx_audit_kind	 kind;
	int64_t			 time_ms;	/* 0: now */
	const char		*tenant;
	const char		*operation;	/* "guard", "verify", "sign" */
	struct {
		const char	*path;
		const char	*sha256;	/* hex */
		int64_t		 size;		/* < 0: unknown */
	} artifact;
	struct {
		const char	*key_id;
		const char	*name;
		const char	*subject;
	} signer;
	struct {
		enum sbx_violation type;	/* SBX_V_NONE: no violation */
		const char	*detail;
	} violation;
	enum sbx_audit_decision decision;
	struct {
		const char	*path;
		const char	*sha256;
		const char	*rule;
	} policy;
	struct {
		pid_t		 pid;		/* 0: getpid() */
		uid_t		 uid;		/* used only when pid != 0 */
		const char	*executable;	/* NULL: /proc/self/exe */
		int		 argc;
		char *const	*argv;		/* NULL: /proc/self/cmdline */
	} process;
	const char		*host;		/* NULL: gethostname() */
	const char		*traceparent;	/* NULL: $TRACEPARENT */
	const char		*tool;		/* "sbx-guard" */
};

/* Zero ev, then set kind and tool. */
void	sbx_audit_event_init(struct sbx_audit_event *ev,
	    enum sbx_audit_kind kind, const char *tool);

/*
 * Fill ev from a JSON object with the field names of the log (as
 * `sbx-audit emit` reads it); strings are borrowed from obj. time,
 * seq, prev_hash, hash and version are the writer's and refused here,
 * as are unknown members: SBX_ECONFIG naming the member.
 */
int	sbx_audit_event_from_json(struct sbx_audit_event *ev, const json_t *obj,
	    struct sbx_err *err);

/* "sbx.violation" and so on; NULL for an out-of-range kind. */
const char *sbx_audit_kind_name(enum sbx_audit_kind kind);
/* "accepted", "refused", "audited"; NULL for SBX_AUDIT_NO_DECISION. */
const char *sbx_audit_decision_name(enum sbx_audit_decision d);

/* Where events go, in this order; the local file is always first. */
enum sbx_audit_sink {
	SBX_SINK_FILE = 0,		/* "file" */
	SBX_SINK_JOURNAL,		/* "journal": native journald socket */
	SBX_SINK_JOURNAL_REMOTE,	/* "journal-remote": HTTP upload */
	SBX_SINK_SYSLOG,		/* "syslog": RFC 5424 over UDP/TCP */
	SBX_SINK_LOKI,			/* "loki": push API, JSON */
	SBX_SINK_OTLP,			/* "otlp": OTLP/HTTP logs, JSON */
	SBX_SINK_COUNT
};

/* The label values of sbx_audit_events_total{sink,outcome}. */
enum sbx_audit_outcome {
	SBX_AUDIT_WRITTEN = 0,		/* written to the file, or sent now */
	SBX_AUDIT_SAMPLED_OUT,		/* left out by sampling (file only) */
	SBX_AUDIT_FAILED,		/* lost for this sink (spool full) */
	SBX_AUDIT_SPOOLED,		/* waiting in the spool */
	SBX_AUDIT_REPLAYED,		/* an earlier event sent now */
	SBX_AUDIT_OUTCOME_COUNT
};

const char *sbx_audit_sink_name(enum sbx_audit_sink sink);
const char *sbx_audit_outcome_name(enum sbx_audit_outcome outcome);

/*
 * Where events go and how, filled by the policy module from a policy's
 * "audit" member (or by sbx_audit_conf_load() from the same JSON).
 * Strings are borrowed and must outlive every call given the conf.
 * sbx_audit_conf_init() sets the defaults noted here; a NULL sink
 * string turns that sink off.
 */
struct sbx_audit_conf {
	const char	*file;		/* the log; required */
	bool		 fsync;		/* true: fdatasync each append */
	bool		 log_passing;	/* true: log accepted checks */
	unsigned	 sample_first;	/* 0: no sampling */
	double		 sample_rate;	/* 1; 0..1 after sample_first */
	const char	*spool_dir;	/* NULL: "<file>.spool" */
	size_t		 spool_max;	/* bytes waiting per sink: 16 MiB */
	unsigned	 budget_ms;	/* for all sinks together: 50 */
	unsigned	 lock_timeout_ms; /* the log's lock: 5000 */
	const char	*journal_socket; /* "/run/systemd/journal/socket" */
	const char	*journal_remote; /* "http://host:19532/upload" */
	const char	*syslog_host;	/* name or address */
	int		 syslog_port;	/* 514 */
	bool		 syslog_tcp;	/* true; false: UDP */
	int		 syslog_facility; /* 10 (authpriv) */
	const char	*loki;		/* ".../loki/api/v1/push" */
	const char	*otlp;		/* ".../v1/logs" */
	void		*owner;		/* JSON kept by sbx_audit_conf_load() */
};

void	sbx_audit_conf_init(struct sbx_audit_conf *conf);

/*
 * Fill conf from the JSON file at path: an audit object as in a
 * policy's "audit" member (docs/policy.md), or a whole policy (an
 * object with "keyring"), whose "audit" member is used. Relative paths
 * are taken from path's folder. SBX_EIO when unreadable, SBX_ECONFIG
 * (naming the file and the key, or line and column) for bad JSON,
 * unknown keys or bad values. Release with sbx_audit_conf_release().
 */
int	sbx_audit_conf_load(struct sbx_audit_conf *conf, const char *path,
	    struct sbx_err *err);
void	sbx_audit_conf_release(struct sbx_audit_conf *conf);

/*
 * The same from an audit object already parsed (a policy's "audit"
 * member): base_dir resolves relative paths, name (the policy file)
 * goes in messages. conf keeps a reference to obj.
 */
int	sbx_audit_conf_from_json(struct sbx_audit_conf *conf, json_t *obj,
	    const char *base_dir, const char *name, struct sbx_err *err);

/* What one emit or flush did, for the metrics module and diagnostics. */
struct sbx_audit_result {
	unsigned long	counts[SBX_SINK_COUNT][SBX_AUDIT_OUTCOME_COUNT];
	uint64_t	seq;		/* of the event, 0 if not written */
	char		hash[SBX_AUDIT_HASH_LEN + 1];
	char		sink_msg[256];	/* last sink failure, or "" */
};

/*
 * Append ev to the log under an exclusive lock (chained to the last
 * complete line; a partial last line left by a killed writer is
 * terminated and kept as evidence), with due sbx.sampled summaries
 * before it; then hand it to each configured sink within the time
 * budget (one thread a sink when there are several), spooling what
 * cannot be sent. Safe from many threads and processes at once.
 * Returns SBX_OK when the event is in the log or was left out on
 * purpose (sampling, log_passing); SBX_EIO when the log could not be
 * written (the caller decides to refuse); SBX_ECONFIG for a bad conf
 * or event. Sink failures never fail the call: they are counted in
 * res, and the first one is described in res->sink_msg.
 */
int	sbx_audit_emit(struct sbx_audit_result *res,
	    const struct sbx_audit_conf *conf, const struct sbx_audit_event *ev,
	    struct sbx_err *err);

/*
 * Write the sbx.sampled summaries that are due and send what waits in
 * the spools, within conf->budget_ms. Returns as sbx_audit_emit().
 */
int	sbx_audit_flush(struct sbx_audit_result *res,
	    const struct sbx_audit_conf *conf, struct sbx_err *err);

/*
 * Rotate the log at path: it becomes path.N (N one more than the
 * highest existing), and a new path starts with an sbx.rotate event
 * chained to the last event of path.N. The rotated name goes to
 * rotated_out (PATH_MAX bytes), the last seq and hash of path.N to
 * seq_out and hash_out (SBX_AUDIT_HASH_LEN + 1 bytes). SBX_EIO when
 * path is missing or cannot be renamed.
 */
int	sbx_audit_rotate(char *rotated_out, uint64_t *seq_out, char *hash_out,
	    const char *path, bool fsync, struct sbx_err *err);

/*
 * The bytes that a sink sends for one log line (without its newline):
 * the native journal datagram, the journal export entry, the RFC 5424
 * message, the Loki or OTLP request body. SBX_EREJECT when line is not
 * an audit event.
 */
int	sbx_audit_format(struct sbx_buf *out, enum sbx_audit_sink sink,
	    const char *line, size_t len, int syslog_facility,
	    struct sbx_err *err);

/* Helpers with their own tests; out is at least as long as stated. */

/*
 * Copy argv with secret-looking values replaced by "[redacted]" into
 * a new JSON array of strings (docs/formats.md lists the rules). NULL
 * on allocation failure.
 */
json_t	*sbx_audit_redact_argv(int argc, char *const *argv);

/* The redacted form of one argument, given the one before (or NULL). */
int	sbx_audit_redact_arg(struct sbx_buf *out, const char *prev,
	    const char *arg, struct sbx_err *err);

/*
 * Parse a W3C traceparent header value. true and the parts (33, 17
 * and 3 bytes, lower-case hex) when it is well formed; false otherwise.
 */
bool	sbx_audit_traceparent(char *trace_id, char *span_id, char *flags,
	    const char *value);

/*
 * The chain hash of one event: SHA-256 over its canonical JSON (keys
 * sorted, compact, the "hash" member left out), in hex (hash_out holds
 * SBX_AUDIT_HASH_LEN + 1 bytes).
 */
int	sbx_audit_hash(char *hash_out, const json_t *ev, struct sbx_err *err);

/* "2024-05-01T10:00:00.123Z" (25 bytes with the NUL). */
void	sbx_audit_time_format(char *out, int64_t ms);
/*
 * RFC 3339 ("2024-05-01T10:00:00Z", with optional fraction and offset)
 * or a duration back from now_ms ("90s", "15m", "24h", "7d") into
 * milliseconds since the epoch. false when it is neither.
 */
bool	sbx_audit_time_parse(int64_t *ms_out, const char *text, int64_t now_ms);

/*
 * Verification of one chain spread over files given oldest first. Add
 * each file (or buffer), then finish; findings come oldest first.
 */
enum sbx_audit_problem {
	SBX_AUDIT_EDITED = 1,		/* content does not match its hash */
	SBX_AUDIT_REMOVED,		/* events missing before this line */
	SBX_AUDIT_REORDERED,		/* line out of its place */
	SBX_AUDIT_INSERTED,		/* line that does not belong */
	SBX_AUDIT_MALFORMED,		/* not an audit event */
	SBX_AUDIT_PARTIAL		/* unfinished write */
};

struct sbx_audit_finding {
	enum sbx_audit_problem	 problem;
	const char		*file;	/* borrowed from the verifier */
	unsigned long		 line;	/* 1-based, within file */
	char			 detail[200];
};

struct sbx_audit_verify;		/* opaque */

/*
 * A verifier whose first event must chain from anchor (hex), or from
 * SBX_AUDIT_GENESIS with seq 1 when anchor is NULL.
 */
int	sbx_audit_verify_new(struct sbx_audit_verify **out, const char *anchor,
	    struct sbx_err *err);

/*
 * Add the log at path: read under a shared lock the bytes that were
 * complete when it was taken. SBX_EIO when unreadable.
 */
int	sbx_audit_verify_file(struct sbx_audit_verify *v, const char *path,
	    struct sbx_err *err);

/* Add a log held in memory, named name in findings. */
int	sbx_audit_verify_buf(struct sbx_audit_verify *v, const char *name,
	    const char *data, size_t len, struct sbx_err *err);

/*
 * Check the chain. SBX_OK when it is intact; SBX_EREJECT with the
 * first finding in err when not. Partial lines (unfinished writes that
 * the chain steps over) are findings too, but allowed when
 * allow_partial is true.
 */
int	sbx_audit_verify_finish(struct sbx_audit_verify *v, bool allow_partial,
	    struct sbx_err *err);

size_t	sbx_audit_verify_nfindings(const struct sbx_audit_verify *v);
const struct sbx_audit_finding *sbx_audit_verify_finding(
	    const struct sbx_audit_verify *v, size_t i);
/* Events in the chain, and the seq and hash of the last one. */
uint64_t sbx_audit_verify_events(const struct sbx_audit_verify *v);
uint64_t sbx_audit_verify_last_seq(const struct sbx_audit_verify *v);
const char *sbx_audit_verify_last_hash(const struct sbx_audit_verify *v);
const char *sbx_audit_problem_name(enum sbx_audit_problem p);
void	sbx_audit_verify_free(struct sbx_audit_verify *v);

#endif

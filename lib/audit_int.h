/* lib/audit_int.h: what the audit sources share with each other only. */
#ifndef SBX_AUDIT_INT_H
#define SBX_AUDIT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include <sbx/audit.h>
#include <sbx/buf.h>
#include <sbx/err.h>

#define AUDIT_STR_MAX		1024	/* bytes kept of one string field */
#define AUDIT_DETAIL_MAX	2048	/* of violation.detail */
#define AUDIT_ARG_MAX		512	/* of one argv element */
#define AUDIT_ARGV_MAX		8192	/* of all argv elements together */
#define AUDIT_REDACTED		"[redacted]"

/* What the last complete event of a log says. */
struct audit_tail {
	uint64_t	seq;			/* 0: no event yet */
	char		hash[SBX_AUDIT_HASH_LEN + 1];
	bool		partial;		/* the file ends mid-line */
	off_t		size;
};

int64_t	sbx_audit__now_ms(void);

/* A JSON string of at most max bytes of s, made valid UTF-8. */
json_t	*sbx_audit__jstr(const char *s, size_t max);

/* The event as a JSON object, without seq, prev_hash and hash. */
int	sbx_audit__build(json_t **out, const struct sbx_audit_event *ev,
	    struct sbx_err *err);

/*
 * Set seq, prev_hash and hash in ev and append its line (with newline)
 * to out; hash_out gets the hash.
 */
int	sbx_audit__seal(struct sbx_buf *out, char *hash_out, json_t *ev,
	    uint64_t seq, const char *prev, struct sbx_err *err);

/*
 * Parse one line as an audit event: a JSON object (no duplicate keys)
 * with a positive integer seq and hex prev_hash and hash. NULL when it
 * is not; jerr then says why when the JSON itself is bad.
 */
json_t	*sbx_audit__parse_line(const char *line, size_t len,
	    json_error_t *jerr);

/* A lower-case hex string of SBX_AUDIT_HASH_LEN characters? */
bool	sbx_audit__is_hash(const char *s);

/*
 * Read the end of the log open at fd, at most max bytes back: the seq
 * and hash of the last line that is an event, and whether the file
 * ends mid-line.
 */
int	sbx_audit__tail(struct audit_tail *t, int fd, const char *path,
	    size_t max, struct sbx_err *err);

/*
 * Take an exclusive (or shared) flock on fd, waiting at most
 * timeout_ms. SBX_EIO naming path when it cannot.
 */
int	sbx_audit__lock(int fd, bool exclusive, unsigned timeout_ms,
	    const char *path, struct sbx_err *err);

/*
 * What one call wrote: the hashes of its events, to tell them from
 * replays, and the log's mode and group, which the files beside it
 * (spools, locks, sampling state) get too, so that every user who may
 * write the log may write them.
 */
struct audit_own {
	size_t	  n;
	char	(*hash)[SBX_AUDIT_HASH_LEN + 1];
	unsigned  failed;		/* bit per sink whose spool refused */
	mode_t	  mode;
	gid_t	  gid;
};

/* Open path, creating it with own's mode and group if it is missing. */
int	sbx_audit__open_beside(const char *path, int flags,
	    const struct audit_own *own);
/* Make the folder dir if missing, searchable by whoever reads the log. */
int	sbx_audit__mkdir_beside(const char *dir, const struct audit_own *own);

int	sbx_audit__own_add(struct audit_own *own, const char *hash,
	    struct sbx_err *err);
void	sbx_audit__own_free(struct audit_own *own);

/*
 * Hand lines (complete log lines, each ending in a newline) to the
 * spool of every configured sink. Called with the log locked, so that
 * each spool keeps the log's order.
 */
void	sbx_audit__spool(struct sbx_audit_result *res,
	    const struct sbx_audit_conf *conf, const char *lines, size_t len,
	    struct audit_own *own);

/*
 * Send what waits in each spool, oldest first, until it is empty, a
 * send fails or deadline_ms passes; own events still waiting count as
 * spooled.
 */
void	sbx_audit__drain(struct sbx_audit_result *res,
	    const struct sbx_audit_conf *conf, int64_t deadline_ms,
	    const struct audit_own *own);

/* Transports (lib/audit_net.c); timeouts in milliseconds. */
int	sbx_audit__send_unix(const char *path, const void *data, size_t len,
	    struct sbx_err *err);
int	sbx_audit__send_syslog(const char *host, int port, bool tcp,
	    const void *msg, size_t len, unsigned timeout_ms,
	    struct sbx_err *err);

struct audit_http;			/* one keep-alive connection */
int	sbx_audit__http_new(struct audit_http **out, const char *url,
	    const char *content_type, struct sbx_err *err);
int	sbx_audit__http_post(struct audit_http *h, const void *body,
	    size_t len, unsigned timeout_ms, struct sbx_err *err);
void	sbx_audit__http_free(struct audit_http *h);

#endif

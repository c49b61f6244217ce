/* lib/audit_spool.c: per-sink spools, and sending them in order. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <sbx/audit.h>
#include <sbx/buf.h>
#include <sbx/err.h>
#include <sbx/file.h>

#include "audit_int.h"

/*
 * A spool is "SINK.spool" in the spool folder: a fixed header line
 * "sbx-spool 1 offset=NNNNNNNNNNNNNNNNNNNN\n" and then log lines. The
 * offset is where the first line not yet sent starts; it moves on
 * after each line the sink took, so a line is sent once. Appends and
 * offset moves hold the spool's flock for a moment; sending holds
 * "SINK.lock", so one process at a time sends, oldest line first.
 */
#define HDR_FMT		"sbx-spool 1 offset=%020" PRIu64 "\n"
#define HDR_LEN		40
#define COMPACT_AT	(1 << 20)	/* sent bytes kept before a rewrite */
#define SPOOL_WAIT_MS	1000		/* appends hold the lock briefly */

struct spool {
	int		 fd;
	char		 path[PATH_MAX];
	uint64_t	 offset;
	uint64_t	 size;
	const struct audit_own *own;	/* mode and group for new files */
};

/* A sink's connection, set up on its first line. */
struct sender {
	enum sbx_audit_sink	 sink;
	const struct sbx_audit_conf *conf;
	struct audit_http	*http;
};

static const char *
sink_target(const struct sbx_audit_conf *conf, enum sbx_audit_sink sink)
{
	switch (sink) {
	case SBX_SINK_JOURNAL:
		return conf->journal_socket;
	case SBX_SINK_JOURNAL_REMOTE:
		return conf->journal_remote;
	case SBX_SINK_SYSLOG:
		return conf->syslog_host;
	case SBX_SINK_LOKI:
		return conf->loki;
	case SBX_SINK_OTLP:
		return conf->otlp;
	default:
		return NULL;
	}
}

static int
spool_name(char *out, const struct sbx_audit_conf *conf,
    enum sbx_audit_sink sink, const char *ext, struct sbx_err *err)
{
	int n;

	if (conf->spool_dir != NULL)
		n = snprintf(out, PATH_MAX, "%s/%s.%s", conf->spool_dir,
		    sbx_audit_sink_name(sink), ext);
	else
		n = snprintf(out, PATH_MAX, "%s.spool/%s.%s", conf->file,
		    sbx_audit_sink_name(sink), ext);
	if (n < 0 || n >= PATH_MAX)
		return sbx_err_set(err, SBX_EIO, "%s: spool path too long",
		    conf->file);
	return SBX_OK;
}

static int
spool_dir(const struct sbx_audit_conf *conf, const struct audit_own *own,
    struct sbx_err *err)
{
	char dir[PATH_MAX];

	if (conf->spool_dir != NULL)
		snprintf(dir, sizeof(dir), "%s", conf->spool_dir);
	else
		snprintf(dir, sizeof(dir), "%s.spool", conf->file);
	if (sbx_audit__mkdir_beside(dir, own) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: cannot create: %s", dir,
		    strerror(errno));
	return SBX_OK;
}

static int
write_header(struct spool *s, uint64_t offset, struct sbx_err *err)
{
	char hdr[HDR_LEN + 1];

	snprintf(hdr, sizeof(hdr), HDR_FMT, offset);
	if (pwrite(s->fd, hdr, HDR_LEN, 0) != HDR_LEN)
		return sbx_err_set(err, SBX_EIO, "%s: cannot write: %s",
		    s->path, strerror(errno));
	s->offset = offset;
	return SBX_OK;
}

/* Read the header and size; a new, empty or cut file is reset. */
static int
read_header(struct spool *s, struct sbx_err *err)
{
	char hdr[HDR_LEN + 1], *end;
	struct stat st;
	uint64_t off;

	if (fstat(s->fd, &st) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: %s", s->path,
		    strerror(errno));
	s->size = (uint64_t)st.st_size;
	if (s->size < HDR_LEN || pread(s->fd, hdr, HDR_LEN, 0) != HDR_LEN) {
		if (ftruncate(s->fd, 0) == -1)
			return sbx_err_set(err, SBX_EIO, "%s: %s", s->path,
			    strerror(errno));
		s->size = HDR_LEN;
		return write_header(s, HDR_LEN, err);
	}
	hdr[HDR_LEN] = '\0';
	if (strncmp(hdr, "sbx-spool 1 offset=", 19) != 0)
		return sbx_err_set(err, SBX_EIO, "%s: not an sbx spool",
		    s->path);
	errno = 0;
	off = strtoull(hdr + 19, &end, 10);
	if (errno != 0 || *end != '\n')
		return sbx_err_set(err, SBX_EIO, "%s: bad spool header",
		    s->path);
	/* Past the end means the file was emptied before its header. */
	s->offset = off < HDR_LEN || off > s->size ? s->size : off;
	return SBX_OK;
}

/* Open and lock the spool; an appender must not hold a replaced file. */
static int
spool_open(struct spool *s, const struct sbx_audit_conf *conf,
    enum sbx_audit_sink sink, const struct audit_own *own, unsigned wait_ms,
    struct sbx_err *err)
{
	struct stat a, b;
	int i, rc;

	s->fd = -1;
	s->own = own;
	if ((rc = spool_name(s->path, conf, sink, "spool", err)) != SBX_OK)
		return rc;
	for (i = 0; i < 16; i++) {
		s->fd = sbx_audit__open_beside(s->path, O_RDWR, own);
		if (s->fd == -1)
			return sbx_err_set(err, SBX_EIO, "%s: %s", s->path,
			    strerror(errno));
		if ((rc = sbx_audit__lock(s->fd, true, wait_ms, s->path,
		    err)) != SBX_OK)
			break;
		if (fstat(s->fd, &a) == 0 && stat(s->path, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			return read_header(s, err);
		close(s->fd);
		s->fd = -1;
	}
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	return rc != SBX_OK ? rc : sbx_err_set(err, SBX_EIO, "%s: keeps "
	    "being replaced", s->path);
}

static void
spool_close(struct spool *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
}

/* The first trouble of a call is kept: a lost event comes first. */
static void
note(struct sbx_audit_result *res, enum sbx_audit_sink sink,
    const struct sbx_err *e)
{
	if (res->sink_msg[0] != '\0')
		return;
	snprintf(res->sink_msg, sizeof(res->sink_msg), "%s: %.200s",
	    sbx_audit_sink_name(sink), e->msg);
}

static int
append_one(const struct sbx_audit_conf *conf, enum sbx_audit_sink sink,
    const char *lines, size_t len, const struct audit_own *own,
    struct sbx_err *err)
{
	struct spool s;
	ssize_t n;
	int rc;

	if ((rc = spool_dir(conf, own, err)) != SBX_OK ||
	    (rc = spool_open(&s, conf, sink, own, SPOOL_WAIT_MS, err)) !=
	    SBX_OK)
		return rc;
	/* Bounded: past spool_max the sink loses events, and says so. */
	if (s.size - s.offset + len > conf->spool_max) {
		rc = sbx_err_set(err, SBX_EIO, "%s: spool full (%zu bytes)",
		    s.path, conf->spool_max);
		goto done;
	}
	n = pwrite(s.fd, lines, len, (off_t)s.size);
	if (n != (ssize_t)len) {
		rc = sbx_err_set(err, SBX_EIO, "%s: cannot append: %s", s.path,
		    n == -1 ? strerror(errno) : "short write");
		if (ftruncate(s.fd, (off_t)s.size) == -1)
			rc = sbx_err_set(err, SBX_EIO, "%s: %s", s.path,
			    strerror(errno));
		goto done;
	}
	rc = SBX_OK;
done:
	spool_close(&s);
	return rc;
}

void
sbx_audit__spool(struct sbx_audit_result *res,
    const struct sbx_audit_conf *conf, const char *lines, size_t len,
    struct audit_own *own)
{
	struct sbx_err e = { 0 };
	int sink;

	for (sink = SBX_SINK_FILE + 1; sink < SBX_SINK_COUNT; sink++) {
		if (sink_target(conf, sink) == NULL)
			continue;
		if (append_one(conf, sink, lines, len, own, &e) != SBX_OK) {
			res->counts[sink][SBX_AUDIT_FAILED] += own->n;
			own->failed |= 1u << sink;
			note(res, sink, &e);
		}
	}
}

static bool
is_own(const struct audit_own *own, json_t *ev)
{
	const char *h = json_string_value(json_object_get(ev, "hash"));
	size_t i;

	for (i = 0; h != NULL && own != NULL && i < own->n; i++)
		if (strcmp(own->hash[i], h) == 0)
			return true;
	return false;
}

static unsigned
time_left(int64_t deadline)
{
	int64_t left = deadline - sbx_audit__now_ms();

	return left > 0 ? (unsigned)left : 0;
}

static int
send_one(struct sender *sd, const struct sbx_buf *body, unsigned timeout,
    struct sbx_err *err)
{
	const char *type = "application/json";
	const char *target = sink_target(sd->conf, sd->sink);
	int rc;

	if (sd->sink == SBX_SINK_JOURNAL)
		return sbx_audit__send_unix(target, body->p, body->len, err);
	if (sd->sink == SBX_SINK_SYSLOG)
		return sbx_audit__send_syslog(target, sd->conf->syslog_port,
		    sd->conf->syslog_tcp, body->p, body->len, timeout, err);
	if (sd->sink == SBX_SINK_JOURNAL_REMOTE)
		type = "application/vnd.fdo.journal";
	if (sd->http == NULL && (rc = sbx_audit__http_new(&sd->http, target,
	    type, err)) != SBX_OK)
		return rc;
	return sbx_audit__http_post(sd->http, body->p, body->len, timeout,
	    err);
}

/* Read the lines from the offset on (a bounded chunk) into chunk. */
static int
read_chunk(struct spool *s, struct sbx_buf *chunk, struct sbx_err *err)
{
	unsigned char *at;
	uint64_t want = s->size - s->offset;
	ssize_t n;
	int rc;

	chunk->len = 0;
	if (want > 4 * SBX_AUDIT_LINE_MAX)
		want = 4 * SBX_AUDIT_LINE_MAX;
	if (want == 0)
		return SBX_OK;
	if ((rc = sbx_buf_extend(chunk, (size_t)want, &at, err)) != SBX_OK)
		return rc;
	n = pread(s->fd, at, (size_t)want, (off_t)s->offset);
	if (n != (ssize_t)want)
		return sbx_err_set(err, SBX_EIO, "%s: cannot read", s->path);
	/* Keep whole lines only; the rest comes with the next chunk. */
	while (chunk->len > 0 && chunk->p[chunk->len - 1] != '\n')
		chunk->len--;
	if (chunk->len == 0)
		return sbx_err_set(err, SBX_EIO, "%s: line at offset %" PRIu64
		    " is too long", s->path, s->offset);
	return SBX_OK;
}

/* Rewrite the spool without its sent lines once they pile up. */
static int
compact(struct spool *s, bool *replaced, struct sbx_err *err)
{
	char tmp[PATH_MAX], hdr[HDR_LEN + 1];
	struct sbx_buf rest = { 0 };
	unsigned char *at;
	int fd, rc;

	*replaced = false;
	if (s->offset == s->size) {
		/* Cut first: a crash before the header is written then
		 * leaves an offset past the end, which reads as empty. */
		if (ftruncate(s->fd, HDR_LEN) == -1)
			return sbx_err_set(err, SBX_EIO, "%s: %s", s->path,
			    strerror(errno));
		s->size = HDR_LEN;
		return write_header(s, HDR_LEN, err);
	}
	if (s->offset < COMPACT_AT)
		return SBX_OK;
	snprintf(hdr, sizeof(hdr), HDR_FMT, (uint64_t)HDR_LEN);
	if ((rc = sbx_buf_add(&rest, hdr, HDR_LEN, err)) != SBX_OK ||
	    (rc = sbx_buf_extend(&rest, (size_t)(s->size - s->offset), &at,
	    err)) != SBX_OK)
		goto done;
	if (pread(s->fd, at, (size_t)(s->size - s->offset), (off_t)s->offset)
	    != (ssize_t)(s->size - s->offset)) {
		rc = sbx_err_set(err, SBX_EIO, "%s: cannot read", s->path);
		goto done;
	}
	/* A new file renamed in place: appenders notice and reopen. */
	if ((fd = sbx_file_tmp_open(tmp, s->path, err)) == -1) {
		rc = SBX_EIO;
		goto done;
	}
	if (write(fd, rest.p, rest.len) != (ssize_t)rest.len) {
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", tmp, strerror(errno));
		sbx_file_tmp_abort(fd, tmp);
		goto done;
	}
	if (fchown(fd, (uid_t)-1, s->own->gid) == -1)
		errno = 0;
	rc = sbx_file_tmp_commit(fd, tmp, s->path, s->own->mode, err);
	*replaced = rc == SBX_OK;
done:
	sbx_buf_free(&rest);
	return rc;
}

/* Format and send one spooled line; count it. */
static int
send_line(struct sbx_audit_result *res, struct sender *sd,
    const struct audit_own *own, const char *line, size_t len,
    int64_t deadline, bool *mine, struct sbx_err *err)
{
	struct sbx_buf body = { 0 };
	json_t *ev;
	int rc;

	*mine = false;
	if ((ev = sbx_audit__parse_line(line, len, NULL)) != NULL)
		*mine = is_own(own, ev);
	json_decref(ev);
	rc = sbx_audit_format(&body, sd->sink, line, len,
	    sd->conf->syslog_facility, err);
	/* A line no sink can take is dropped, not retried forever. */
	if (rc == SBX_EREJECT) {
		res->counts[sd->sink][SBX_AUDIT_FAILED]++;
		rc = SBX_OK;
	} else if (rc == SBX_OK) {
		rc = send_one(sd, &body, time_left(deadline), err);
		if (rc == SBX_OK)
			res->counts[sd->sink][*mine ? SBX_AUDIT_WRITTEN :
			    SBX_AUDIT_REPLAYED]++;
	}
	sbx_buf_free(&body);
	return rc;
}

/* Send the chunk's lines in order; stop at the first failure. */
static int
send_chunk(struct sbx_audit_result *res, struct sender *sd, struct spool *s,
    const struct sbx_buf *chunk, const struct audit_own *own,
    int64_t deadline, size_t *sent_own, struct sbx_err *err)
{
	size_t at = 0, end;
	bool mine;
	int rc;

	while (at < chunk->len) {
		if (time_left(deadline) == 0)
			return sbx_err_set(err, SBX_EIO, "time budget of %u ms "
			    "spent", sd->conf->budget_ms);
		for (end = at; chunk->p[end] != '\n'; end++)
			;
		rc = send_line(res, sd, own, (char *)chunk->p + at, end - at,
		    deadline, &mine, err);
		if (rc != SBX_OK)
			return rc;
		*sent_own += mine;
		/* Moved on after each line: a crash resends at most one. */
		rc = sbx_audit__lock(s->fd, true, SPOOL_WAIT_MS, s->path, err);
		if (rc == SBX_OK)
			rc = write_header(s, s->offset + (end + 1 - at), err);
		flock(s->fd, LOCK_UN);
		if (rc != SBX_OK)
			return rc;
		at = end + 1;
	}
	return SBX_OK;
}

/* Take the next chunk under the spool's lock, then let go of it. */
static int
next_chunk(struct spool *s, struct sbx_buf *chunk,
    const struct sbx_audit_conf *conf, enum sbx_audit_sink sink,
    const struct audit_own *own, int64_t deadline, struct sbx_err *err)
{
	bool replaced;
	int rc;

	chunk->len = 0;
	if ((rc = spool_open(s, conf, sink, own, time_left(deadline) + 1,
	    err)) != SBX_OK)
		return rc;
	rc = compact(s, &replaced, err);
	if (rc == SBX_OK && replaced) {
		spool_close(s);
		if ((rc = spool_open(s, conf, sink, own, time_left(deadline) +
		    1, err)) != SBX_OK)
			return rc;
	}
	if (rc == SBX_OK)
		rc = read_chunk(s, chunk, err);
	flock(s->fd, LOCK_UN);
	return rc;
}

/* What is still waiting should survive a crash: sync it once. */
static void
sync_spool(const struct sbx_audit_conf *conf, enum sbx_audit_sink sink)
{
	char path[PATH_MAX];
	int fd;

	if (!conf->fsync || spool_name(path, conf, sink, "spool", NULL) !=
	    SBX_OK || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	fdatasync(fd);
	close(fd);
}

/*
 * Send the sink's spool, oldest line first, holding SINK.lock. When
 * another process holds it, that one sends our lines too.
 */
static int
drain_sink(struct sbx_audit_result *res, struct sender *sd, int64_t deadline,
    const struct audit_own *own, size_t *sent_own, struct sbx_err *err)
{
	char lockpath[PATH_MAX];
	struct sbx_buf chunk = { 0 };
	struct spool s = { .fd = -1 };
	int lfd = -1, rc;

	if ((rc = spool_dir(sd->conf, own, err)) != SBX_OK ||
	    (rc = spool_name(lockpath, sd->conf, sd->sink, "lock", err)) !=
	    SBX_OK)
		goto done;
	if ((lfd = sbx_audit__open_beside(lockpath, O_RDWR, own)) == -1) {
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", lockpath,
		    strerror(errno));
		goto done;
	}
	if ((rc = sbx_audit__lock(lfd, true, time_left(deadline), lockpath,
	    err)) != SBX_OK)
		goto done;
	for (;;) {
		if (time_left(deadline) == 0) {
			rc = sbx_err_set(err, SBX_EIO, "time budget of %u ms "
			    "spent", sd->conf->budget_ms);
			break;
		}
		rc = next_chunk(&s, &chunk, sd->conf, sd->sink, own, deadline,
		    err);
		if (rc != SBX_OK || chunk.len == 0)
			break;
		rc = send_chunk(res, sd, &s, &chunk, own, deadline, sent_own,
		    err);
		spool_close(&s);
		if (rc != SBX_OK)
			break;
	}
done:
	spool_close(&s);
	if (lfd != -1)
		close(lfd);
	sbx_buf_free(&chunk);
	return rc;
}

/* One sink's drain, run in its own thread when there are several. */
struct job {
	struct sbx_audit_result	 res;		/* this sink's counts */
	const struct sbx_audit_conf *conf;
	enum sbx_audit_sink	 sink;
	int64_t			 deadline;
	const struct audit_own	*own;
	pthread_t		 thread;
	bool			 threaded;
};

static void *
run_job(void *arg)
{
	struct job *j = arg;
	struct sender sd = { j->sink, j->conf, NULL };
	struct sbx_err e = { 0 };
	size_t sent_own = 0;

	if (drain_sink(&j->res, &sd, j->deadline, j->own, &sent_own, &e) !=
	    SBX_OK) {
		note(&j->res, j->sink, &e);
		sync_spool(j->conf, j->sink);
	}
	sbx_audit__http_free(sd.http);
	/* Ours that wait (not lost: those were counted failed). */
	if (j->own != NULL && !(j->own->failed & (1u << j->sink)))
		j->res.counts[j->sink][SBX_AUDIT_SPOOLED] += j->own->n -
		    sent_own;
	return NULL;
}

/*
 * Sinks are drained side by side, so that one that is down uses up
 * the budget for itself only; each stops at the deadline on its own.
 */
void
sbx_audit__drain(struct sbx_audit_result *res,
    const struct sbx_audit_conf *conf, int64_t deadline,
    const struct audit_own *own)
{
	struct job jobs[SBX_SINK_COUNT];
	int sink, n = 0, i, o;

	for (sink = SBX_SINK_FILE + 1; sink < SBX_SINK_COUNT; sink++) {
		if (sink_target(conf, sink) == NULL)
			continue;
		memset(&jobs[n], 0, sizeof(jobs[n]));
		jobs[n].conf = conf;
		jobs[n].sink = sink;
		jobs[n].deadline = deadline;
		jobs[n].own = own;
		n++;
	}
	/* A thread that cannot start runs here instead. */
	for (i = 0; i < n; i++)
		jobs[i].threaded = n > 1 && pthread_create(&jobs[i].thread,
		    NULL, run_job, &jobs[i]) == 0;
	for (i = 0; i < n; i++) {
		if (jobs[i].threaded)
			pthread_join(jobs[i].thread, NULL);
		else
			run_job(&jobs[i]);
		for (o = 0; o < SBX_AUDIT_OUTCOME_COUNT; o++)
			res->counts[jobs[i].sink][o] +=
			    jobs[i].res.counts[jobs[i].sink][o];
		if (res->sink_msg[0] == '\0')
			memcpy(res->sink_msg, jobs[i].res.sink_msg,
			    sizeof(res->sink_msg));
	}
}

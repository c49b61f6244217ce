/* lib/audit_log.c: appending to the chained log, sampling, rotation. */
/* SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <sbx/audit.h>
#include <sbx/buf.h>
#include <sbx/err.h>
#include <sbx/file.h>

#include "audit_int.h"

#define TAIL_FIRST	4096			/* first look at the end */
#define TAIL_MAX	(8 * SBX_AUDIT_LINE_MAX) /* furthest look back */
#define OPEN_TRIES	16			/* rotations raced */
#define RATE_SCALE	1000000LL		/* sample rate, fixed point */

/* What one call writes to the log, under its lock. */
struct batch {
	struct sbx_buf	 lines;		/* complete lines to write */
	size_t		 skip;		/* leading bytes not lines ("\n") */
	struct audit_own own;
	uint64_t	 seq;		/* of the last line in lines */
	char		 hash[SBX_AUDIT_HASH_LEN + 1];
};

int
sbx_audit__lock(int fd, bool exclusive, unsigned timeout_ms, const char *path,
    struct sbx_err *err)
{
	int64_t deadline = sbx_audit__now_ms() + timeout_ms;
	struct timespec nap = { 0, 100000 };

	/* Polled, so that a stuck holder costs a bounded wait. */
	for (;;) {
		if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
			return SBX_OK;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return sbx_err_set(err, SBX_EIO, "%s: cannot lock: %s",
			    path, strerror(errno));
		if (sbx_audit__now_ms() >= deadline)
			return sbx_err_set(err, SBX_EIO, "%s: still locked by "
			    "another writer after %u ms", path, timeout_ms);
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 4000000)
			nap.tv_nsec *= 2;
	}
}

int
sbx_audit__open_beside(const char *path, int flags,
    const struct audit_own *own)
{
	int fd;

	fd = open(path, flags | O_CREAT | O_EXCL | O_CLOEXEC, own->mode);
	if (fd != -1) {
		/* Past the umask, and into the log's group: best effort,
		 * as only root or a member may give a file to a group. */
		if (fchmod(fd, own->mode) == -1 ||
		    fchown(fd, (uid_t)-1, own->gid) == -1)
			errno = 0;
		return fd;
	}
	if (errno != EEXIST)
		return -1;
	return open(path, flags | O_CLOEXEC);
}

int
sbx_audit__mkdir_beside(const char *dir, const struct audit_own *own)
{
	mode_t mode = own->mode | ((own->mode & 0444) >> 2);

	if (mkdir(dir, mode) == -1)
		return errno == EEXIST ? 0 : -1;
	if (chmod(dir, mode) == -1 || chown(dir, (uid_t)-1, own->gid) == -1)
		errno = 0;
	return 0;
}

int
sbx_audit__own_add(struct audit_own *own, const char *hash,
    struct sbx_err *err)
{
	void *p;

	p = realloc(own->hash, (own->n + 1) * sizeof(*own->hash));
	if (p == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	own->hash = p;
	memcpy(own->hash[own->n++], hash, SBX_AUDIT_HASH_LEN + 1);
	return SBX_OK;
}

void
sbx_audit__own_free(struct audit_own *own)
{
	free(own->hash);
	own->hash = NULL;
	own->n = 0;
}

/* Look at the complete lines of buf (which starts at file offset at). */
static bool
tail_scan(struct audit_tail *t, const char *buf, size_t len, bool whole)
{
	size_t end = len, start;
	json_t *ev;

	/* A last line without its newline is unfinished: not an event. */
	while (end > 0 && buf[end - 1] != '\n')
		end--;
	while (end > 0) {
		for (start = end - 1; start > 0 && buf[start - 1] != '\n';
		    start--)
			;
		if (start == 0 && !whole)
			return false;	/* the line may begin before buf */
		ev = sbx_audit__parse_line(buf + start, end - 1 - start, NULL);
		if (ev != NULL) {
			t->seq = (uint64_t)json_integer_value(
			    json_object_get(ev, "seq"));
			snprintf(t->hash, sizeof(t->hash), "%s",
			    json_string_value(json_object_get(ev, "hash")));
			json_decref(ev);
			return true;
		}
		end = start;
	}
	return whole;
}

int
sbx_audit__tail(struct audit_tail *t, int fd, const char *path, size_t max,
    struct sbx_err *err)
{
	struct sbx_buf b = { 0 };
	unsigned char *at;
	size_t want = TAIL_FIRST;
	struct stat st;
	off_t from;
	ssize_t n;
	int rc = SBX_EINTERNAL;

	memset(t, 0, sizeof(*t));
	memcpy(t->hash, SBX_AUDIT_GENESIS, sizeof(t->hash));
	if (fstat(fd, &st) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    strerror(errno));
	t->size = st.st_size;
	if (t->size == 0)
		return SBX_OK;

	/* Read more of the end until it holds a whole event line. */
	for (;;) {
		from = t->size > (off_t)want ? t->size - (off_t)want : 0;
		b.len = 0;
		if ((rc = sbx_buf_extend(&b, (size_t)(t->size - from), &at,
		    err)) != SBX_OK)
			goto done;
		n = pread(fd, at, b.len, from);
		if (n != (ssize_t)b.len) {
			rc = sbx_err_set(err, SBX_EIO, "%s: cannot read its "
			    "end: %s", path, n == -1 ? strerror(errno) :
			    "short read");
			goto done;
		}
		t->partial = b.p[b.len - 1] != '\n';
		if (tail_scan(t, (char *)b.p, b.len, from == 0))
			break;
		if (from == 0 || want >= max) {
			rc = sbx_err_set(err, SBX_EIO, "%s: no complete event "
			    "in its last %zu bytes; rotate it (sbx-audit "
			    "rotate)", path, want);
			goto done;
		}
		want = want > max / 4 ? max : want * 4;
	}
	rc = SBX_OK;
done:
	sbx_buf_free(&b);
	return rc;
}

/*
 * Open path and lock it. A rotation may rename the file between open
 * and lock: then the lock is on the old file, so open again.
 */
static int
open_locked(int *fd_out, const char *path, bool create, unsigned timeout_ms,
    struct sbx_err *err)
{
	struct stat a, b;
	int fd, i, rc;

	*fd_out = -1;
	for (i = 0; i < OPEN_TRIES; i++) {
		fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC |
		    (create ? O_CREAT : 0), 0640);
		if (fd == -1)
			return sbx_err_set(err, SBX_EIO, "%s: cannot open: %s",
			    path, strerror(errno));
		if ((rc = sbx_audit__lock(fd, true, timeout_ms, path, err)) !=
		    SBX_OK) {
			close(fd);
			return rc;
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			*fd_out = fd;
			return SBX_OK;
		}
		close(fd);
	}
	return sbx_err_set(err, SBX_EIO, "%s: keeps being replaced", path);
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Append the batch with one write(). If it falls short (disk full),
 * cut the file back so that no half line of ours is left behind.
 */
static int
append_batch(int fd, const char *path, const struct audit_tail *t,
    const struct batch *b, bool sync, struct sbx_err *err)
{
	int e;

	if (write_all(fd, b->lines.p, b->lines.len) == -1) {
		e = errno;
		if (ftruncate(fd, t->size) == -1)
			e = errno;
		return sbx_err_set(err, SBX_EIO, "%s: cannot append: %s",
		    path, strerror(e));
	}
	if (sync && fdatasync(fd) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: cannot sync: %s", path,
		    strerror(errno));
	return SBX_OK;
}

/* Seal ev as the next line of the batch. */
static int
batch_add(struct batch *b, json_t *ev, struct sbx_err *err)
{
	char hash[SBX_AUDIT_HASH_LEN + 1];
	int rc;

	rc = sbx_audit__seal(&b->lines, hash, ev, b->seq + 1, b->hash, err);
	if (rc != SBX_OK)
		return rc;
	if ((rc = sbx_audit__own_add(&b->own, hash, err)) != SBX_OK)
		return rc;
	b->seq++;
	memcpy(b->hash, hash, sizeof(b->hash));
	return SBX_OK;
}

static int
batch_start(struct batch *b, const struct audit_tail *t, struct sbx_err *err)
{
	memset(b, 0, sizeof(*b));
	b->seq = t->seq;
	memcpy(b->hash, t->hash, sizeof(b->hash));
	/*
	 * A writer killed mid-line left it unfinished: end it, so that
	 * our line starts fresh. The fragment stays as evidence; the
	 * chain steps over it, and verify reports it.
	 */
	if (t->partial) {
		b->skip = 1;
		return sbx_buf_add(&b->lines, "\n", 1, err);
	}
	return SBX_OK;
}

static void
batch_free(struct batch *b)
{
	sbx_buf_free(&b->lines);
	sbx_audit__own_free(&b->own);
}

/* Sampling state: per tenant, the minute counted, seen and left out. */
static char *
state_path(const char *file)
{
	char *p;

	if (asprintf(&p, "%s.sampling", file) == -1)
		return NULL;
	return p;
}

static json_t *
state_load(const char *file)
{
	json_t *st = NULL;
	char *p;

	/* A missing or torn state file restarts the count; no event is
	 * lost by that, at worst a minute is sampled less. */
	if ((p = state_path(file)) != NULL)
		st = json_load_file(p, JSON_REJECT_DUPLICATES, NULL);
	free(p);
	if (!json_is_object(st)) {
		json_decref(st);
		st = json_object();
	}
	return st;
}

static int
state_save(const char *file, json_t *st, bool sync,
    const struct audit_own *own, struct sbx_err *err)
{
	char *p = NULL, *text = NULL;
	int fd = -1, rc = SBX_EINTERNAL;
	size_t n;

	if ((p = state_path(file)) == NULL ||
	    (text = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	/* In place: the log's lock already keeps writers apart. */
	n = strlen(text);
	if ((fd = sbx_audit__open_beside(p, O_WRONLY, own)) == -1 ||
	    pwrite(fd, text, n, 0) != (ssize_t)n ||
	    ftruncate(fd, (off_t)n) == -1 || (sync && fdatasync(fd) == -1)) {
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", p, strerror(errno));
		goto done;
	}
	rc = SBX_OK;
done:
	if (fd != -1)
		close(fd);
	free(text);
	free(p);
	return rc;
}

static json_int_t
st_int(json_t *entry, const char *key)
{
	return json_integer_value(json_object_get(entry, key));
}

/* An sbx.sampled event for a minute of a tenant that has ended. */
static int
summary(struct batch *b, const char *tenant, json_t *entry, const char *tool,
    struct sbx_err *err)
{
	struct sbx_audit_event ev;
	char from[25], until[25];
	json_t *o = NULL, *s;
	int64_t minute = st_int(entry, "minute");
	int rc;

	sbx_audit_event_init(&ev, SBX_AUDIT_SAMPLED, tool);
	ev.tenant = tenant;
	ev.operation = "sample";
	if ((rc = sbx_audit__build(&o, &ev, err)) != SBX_OK)
		return rc;
	sbx_audit_time_format(from, minute * 60000);
	sbx_audit_time_format(until, (minute + 1) * 60000);
	s = json_pack("{s:s, s:s, s:I, s:I}", "from", from, "until", until,
	    "seen", st_int(entry, "seen"), "count", st_int(entry, "out"));
	if (s == NULL || json_object_set_new(o, "sampled", s) == -1)
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
	else
		rc = batch_add(b, o, err);
	json_decref(o);
	return rc;
}

/* Write summaries for every tenant minute other than cur_min. */
static int
sample_flush(struct batch *b, json_t *st, int64_t cur_min, const char *tool,
    struct sbx_err *err)
{
	const char *tenant;
	json_t *entry;
	void *tmp;
	int rc;

	json_object_foreach_safe(st, tmp, tenant, entry) {
		if (st_int(entry, "minute") == cur_min)
			continue;
		if (st_int(entry, "out") > 0 &&
		    (rc = summary(b, tenant, entry, tool, err)) != SBX_OK)
			return rc;
		json_object_del(st, tenant);
	}
	return SBX_OK;
}

/* Passing checks are the only events that sampling may leave out. */
static bool
passing(const struct sbx_audit_event *ev)
{
	return (ev->kind == SBX_AUDIT_CHECK || ev->kind == SBX_AUDIT_VERIFY) &&
	    ev->decision == SBX_AUDIT_ACCEPTED;
}

/*
 * Count the event in its tenant's minute: the first sample_first are
 * kept, then one in every 1/rate, by a counter rather than chance so
 * that the numbers can be checked.
 */
static int
sample_decide(bool *out, json_t *st, const char *tenant, int64_t cur_min,
    const struct sbx_audit_conf *conf, struct sbx_err *err)
{
	long long r = (long long)(conf->sample_rate * RATE_SCALE + 0.5), k;
	json_t *entry;
	json_int_t seen, left;

	*out = false;
	entry = json_object_get(st, tenant);
	if (entry == NULL) {
		entry = json_pack("{s:I, s:I, s:I}", "minute",
		    (json_int_t)cur_min, "seen", (json_int_t)0, "out",
		    (json_int_t)0);
		if (json_object_set_new(st, tenant, entry) == -1)
			return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	}
	seen = st_int(entry, "seen") + 1;
	left = st_int(entry, "out");
	k = (long long)seen - (long long)conf->sample_first;
	if (k > 0 && (k * r) / RATE_SCALE == ((k - 1) * r) / RATE_SCALE) {
		*out = true;
		left++;
	}
	if (json_object_set_new(entry, "seen", json_integer(seen)) == -1 ||
	    json_object_set_new(entry, "out", json_integer(left)) == -1)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	return SBX_OK;
}

static int
sample(bool *out, struct batch *b, const struct sbx_audit_conf *conf,
    const struct sbx_audit_event *ev, int64_t now_ms, struct sbx_err *err)
{
	int64_t minute = now_ms / 60000;
	json_t *st;
	int rc;

	*out = false;
	if ((st = state_load(conf->file)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	rc = sample_flush(b, st, minute, ev ? ev->tool : "sbx-audit", err);
	if (rc == SBX_OK && ev != NULL && passing(ev))
		rc = sample_decide(out, st, ev->tenant ? ev->tenant :
		    "default", minute, conf, err);
	/* Saved before the append: a failure then loses no event. */
	if (rc == SBX_OK)
		rc = state_save(conf->file, st, conf->fsync, &b->own, err);
	json_decref(st);
	return rc;
}

static int
log_perm(struct audit_own *own, int fd, const char *path,
    struct sbx_err *err)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    strerror(errno));
	own->mode = st.st_mode & 0666;
	own->gid = st.st_gid;
	return SBX_OK;
}

/*
 * The part of emit and flush that holds the log's lock: find the end
 * of the chain, add due summaries and ev (unless sampled out), write
 * them, and hand them to the sink spools in the same order.
 */
static int
locked_write(struct sbx_audit_result *res, struct batch *b,
    const struct sbx_audit_conf *conf, const struct sbx_audit_event *ev,
    json_t *o, struct sbx_err *err)
{
	struct audit_tail t;
	bool out = false;
	int fd = -1, rc;
	int64_t now;

	now = ev != NULL && ev->time_ms ? ev->time_ms : sbx_audit__now_ms();
	if ((rc = open_locked(&fd, conf->file, true, conf->lock_timeout_ms,
	    err)) != SBX_OK)
		goto done;
	if ((rc = sbx_audit__tail(&t, fd, conf->file, TAIL_MAX, err)) !=
	    SBX_OK ||
	    (rc = batch_start(b, &t, err)) != SBX_OK ||
	    (rc = log_perm(&b->own, fd, conf->file, err)) != SBX_OK)
		goto done;
	if (conf->sample_first > 0 &&
	    (rc = sample(&out, b, conf, ev, now, err)) != SBX_OK)
		goto done;
	if (o != NULL && !out && (rc = batch_add(b, o, err)) != SBX_OK)
		goto done;
	res->counts[SBX_SINK_FILE][SBX_AUDIT_SAMPLED_OUT] += out;
	if (b->own.n == 0) {
		rc = SBX_OK;
		goto done;
	}
	if ((rc = append_batch(fd, conf->file, &t, b, conf->fsync, err)) !=
	    SBX_OK)
		goto done;
	res->counts[SBX_SINK_FILE][SBX_AUDIT_WRITTEN] += b->own.n;
	if (o != NULL && !out) {
		res->seq = b->seq;
		memcpy(res->hash, b->hash, sizeof(res->hash));
	}
	sbx_audit__spool(res, conf, (char *)b->lines.p + b->skip,
	    b->lines.len - b->skip, &b->own);
	rc = SBX_OK;
done:
	if (fd != -1)
		close(fd);
	return rc;
}

static int
check_conf(const struct sbx_audit_conf *conf, struct sbx_err *err)
{
	if (conf == NULL || conf->file == NULL || conf->file[0] == '\0')
		return sbx_err_set(err, SBX_ECONFIG, "audit: no log file "
		    "configured");
	if (conf->sample_rate < 0 || conf->sample_rate > 1)
		return sbx_err_set(err, SBX_ECONFIG, "audit: sampling rate "
		    "must be between 0 and 1");
	return SBX_OK;
}

int
sbx_audit_emit(struct sbx_audit_result *res, const struct sbx_audit_conf *conf,
    const struct sbx_audit_event *ev, struct sbx_err *err)
{
	struct batch b;
	json_t *o = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	if ((rc = check_conf(conf, err)) != SBX_OK)
		return rc;
	if (!conf->log_passing && passing(ev))
		return SBX_OK;
	if ((rc = sbx_audit__build(&o, ev, err)) != SBX_OK)
		goto done;
	if ((rc = locked_write(res, &b, conf, ev, o, err)) != SBX_OK) {
		res->counts[SBX_SINK_FILE][SBX_AUDIT_FAILED]++;
		goto done;
	}
	/* The budget starts after the local file: that one must not lose
	 * events, the others must not hold the caller. */
	if (b.own.n > 0)
		sbx_audit__drain(res, conf, sbx_audit__now_ms() +
		    conf->budget_ms, &b.own);
	rc = SBX_OK;
done:
	json_decref(o);
	batch_free(&b);
	return rc;
}

int
sbx_audit_flush(struct sbx_audit_result *res,
    const struct sbx_audit_conf *conf, struct sbx_err *err)
{
	struct batch b;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	if ((rc = check_conf(conf, err)) != SBX_OK)
		return rc;
	if ((rc = locked_write(res, &b, conf, NULL, NULL, err)) != SBX_OK) {
		res->counts[SBX_SINK_FILE][SBX_AUDIT_FAILED]++;
		goto done;
	}
	sbx_audit__drain(res, conf, sbx_audit__now_ms() + conf->budget_ms,
	    &b.own);
	rc = SBX_OK;
done:
	batch_free(&b);
	return rc;
}

/* One more than the highest N of the files "base.N" beside path. */
static unsigned long
next_rotation(const char *path)
{
	char dir[PATH_MAX], name[PATH_MAX], *end;
	unsigned long n, high = 0;
	struct dirent *de;
	size_t len;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(name, sizeof(name), "%s", path);
	snprintf(name, sizeof(name), "%s", basename(name));
	len = strlen(name);
	if ((d = opendir(dirname(dir))) == NULL)
		return 1;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, name, len) != 0 ||
		    de->d_name[len] != '.' || de->d_name[len + 1] < '1' ||
		    de->d_name[len + 1] > '9')
			continue;
		n = strtoul(de->d_name + len + 1, &end, 10);
		if (*end == '\0' && n > high)
			high = n;
	}
	closedir(d);
	return high + 1;
}

/* The first line of the new file: the chain goes on from the old one. */
static int
rotate_event(struct sbx_buf *line, char *hash_out, const char *rotated,
    const struct audit_tail *t, struct sbx_err *err)
{
	struct sbx_audit_event ev;
	char copy[PATH_MAX];
	json_t *o = NULL, *r;
	int rc;

	sbx_audit_event_init(&ev, SBX_AUDIT_ROTATE, "sbx-audit");
	ev.operation = "rotate";
	if ((rc = sbx_audit__build(&o, &ev, err)) != SBX_OK)
		return rc;
	snprintf(copy, sizeof(copy), "%s", rotated);
	r = json_pack("{s:s}", "previous", basename(copy));
	if (r == NULL || json_object_set_new(o, "rotation", r) == -1)
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
	else
		rc = sbx_audit__seal(line, hash_out, o, t->seq + 1, t->hash,
		    err);
	json_decref(o);
	return rc;
}

/*
 * Link the log to its rotated name, then rename a new file with the
 * rotation event over it: the path never goes missing, so no writer
 * can start a fresh chain in between.
 */
static int
rotate_swap(const char *path, const char *rotated, const struct sbx_buf *line,
    const struct stat *st, struct sbx_err *err)
{
	char tmp[PATH_MAX];
	int fd, rc;

	if (link(path, rotated) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: cannot link to %s: %s",
		    path, rotated, strerror(errno));
	if ((fd = sbx_file_tmp_open(tmp, path, err)) == -1) {
		unlink(rotated);
		return SBX_EIO;
	}
	if (write_all(fd, line->p, line->len) == -1) {
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", tmp, strerror(errno));
		sbx_file_tmp_abort(fd, tmp);
		unlink(rotated);
		return rc;
	}
	/* The writers' owner and group, as far as we may give them. */
	if (fchown(fd, st->st_uid, st->st_gid) == -1 &&
	    fchown(fd, (uid_t)-1, st->st_gid) == -1)
		errno = 0;
	rc = sbx_file_tmp_commit(fd, tmp, path, st->st_mode & 07777, err);
	if (rc != SBX_OK)
		unlink(rotated);
	return rc;
}

int
sbx_audit_rotate(char *rotated_out, uint64_t *seq_out, char *hash_out,
    const char *path, bool sync, struct sbx_err *err)
{
	struct sbx_buf line = { 0 };
	char hash[SBX_AUDIT_HASH_LEN + 1];
	struct audit_tail t;
	struct stat st;
	int fd = -1, rc;

	rotated_out[0] = '\0';
	*seq_out = 0;
	hash_out[0] = '\0';
	if ((rc = open_locked(&fd, path, false, 5000, err)) != SBX_OK)
		goto done;
	/* No bound here: rotation is how a writer that found no event
	 * near the end gets going again. */
	if ((rc = sbx_audit__tail(&t, fd, path, SIZE_MAX, err)) != SBX_OK)
		goto done;
	/* End a torn last line, so that the old file ends cleanly. */
	if (t.partial && write_all(fd, "\n", 1) == -1) {
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", path, strerror(errno));
		goto done;
	}
	if (sync && fdatasync(fd) == -1) {
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", path, strerror(errno));
		goto done;
	}
	if (fstat(fd, &st) == -1 || snprintf(rotated_out, PATH_MAX, "%s.%lu",
	    path, next_rotation(path)) >= PATH_MAX) {
		rc = sbx_err_set(err, SBX_EIO, "%s: cannot name the rotated "
		    "file", path);
		goto done;
	}
	if ((rc = rotate_event(&line, hash, rotated_out, &t, err)) != SBX_OK ||
	    (rc = rotate_swap(path, rotated_out, &line, &st, err)) != SBX_OK)
		goto done;
	*seq_out = t.seq;
	memcpy(hash_out, t.hash, SBX_AUDIT_HASH_LEN + 1);
	rc = SBX_OK;
done:
	if (rc != SBX_OK)
		rotated_out[0] = '\0';
	if (fd != -1)
		close(fd);
	sbx_buf_free(&line);
	return rc;
}

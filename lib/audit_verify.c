/* lib/audit_verify.c: checking the hash chain of audit logs. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <jansson.h>

#include <sbx/audit.h>
#include <sbx/buf.h>
#include <sbx/encode.h>
#include <sbx/err.h>

#include "audit_int.h"

#define READ_CHUNK	(1 << 20)
#define MAX_FINDINGS	100		/* then only the count goes on */

enum rec_kind { REC_EVENT, REC_PARTIAL, REC_MALFORMED };

/* What the chain check needs of one line; the JSON is not kept. */
struct rec {
	unsigned	 file;
	unsigned long	 line;
	enum rec_kind	 kind;
	bool		 hash_ok;	/* content matches its hash */
	bool		 displaced;	/* reported as out of place */
	uint64_t	 seq;
	unsigned char	 prev[32];
	unsigned char	 hash[32];
	char		 why[80];	/* for partial and malformed lines */
};

/* A finding and the record it is about, to sort findings by place. */
struct found {
	struct sbx_audit_finding f;
	size_t		 rec;
};

/* An index of the records by one of their hashes. */
struct idx {
	const unsigned char *h;
	size_t		 rec;
};

struct sbx_audit_verify {
	char			**files;
	size_t			  nfiles;
	struct rec		 *recs;
	size_t			  nrecs, caprecs;
	struct found		 *found;
	size_t			  nfound, capfound, more;
	bool			  anchored;
	unsigned char		  anchor[32];
	uint64_t		  events, last_seq;
	char			  last_hash[SBX_AUDIT_HASH_LEN + 1];
	struct idx		 *by_hash, *by_prev;
	struct sbx_buf		  carry;	/* a line split by a read */
	unsigned long		  lineno;
};

/* The chain's state while walking the records. */
struct walk {
	unsigned char	 last[32];
	uint64_t	 last_seq;
	bool		 any;		/* an event has been accepted */
	size_t		 last_rec;	/* valid when any */
};

static const char *const problem_names[] = {
	[SBX_AUDIT_EDITED] = "edited",
	[SBX_AUDIT_REMOVED] = "removed",
	[SBX_AUDIT_REORDERED] = "reordered",
	[SBX_AUDIT_INSERTED] = "inserted",
	[SBX_AUDIT_MALFORMED] = "malformed",
	[SBX_AUDIT_PARTIAL] = "partial",
};

static unsigned
nibble(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}

/* hex is known to be SBX_AUDIT_HASH_LEN lower-case hex digits. */
static void
unhex(unsigned char *out, const char *hex)
{
	size_t i;

	for (i = 0; i < 32; i++)
		out[i] = (unsigned char)(nibble(hex[2 * i]) << 4 |
		    nibble(hex[2 * i + 1]));
}

int
sbx_audit_verify_new(struct sbx_audit_verify **out, const char *anchor,
    struct sbx_err *err)
{
	struct sbx_audit_verify *v;

	*out = NULL;
	if (anchor != NULL && !sbx_audit__is_hash(anchor))
		return sbx_err_set(err, SBX_ECONFIG, "anchor: not %d "
		    "lower-case hex digits", SBX_AUDIT_HASH_LEN);
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	unhex(v->anchor, anchor ? anchor : SBX_AUDIT_GENESIS);
	v->anchored = anchor != NULL;
	*out = v;
	return SBX_OK;
}

static struct rec *
rec_new(struct sbx_audit_verify *v, enum rec_kind kind)
{
	struct rec *r;
	size_t cap;

	if (v->nrecs == v->caprecs) {
		cap = v->caprecs ? v->caprecs * 2 : 1024;
		if ((r = realloc(v->recs, cap * sizeof(*r))) == NULL)
			return NULL;
		v->recs = r;
		v->caprecs = cap;
	}
	r = &v->recs[v->nrecs++];
	memset(r, 0, sizeof(*r));
	r->file = (unsigned)(v->nfiles - 1);
	r->line = v->lineno;
	r->kind = kind;
	return r;
}

/* Classify one line (without its newline) and keep its record. */
static int
add_line(struct sbx_audit_verify *v, const char *p, size_t n, bool ended,
    struct sbx_err *err)
{
	char hash[SBX_AUDIT_HASH_LEN + 1];
	json_error_t jerr;
	struct rec *r;
	json_t *ev = NULL;

	v->lineno++;
	if (ended && n < SBX_AUDIT_LINE_MAX)
		ev = sbx_audit__parse_line(p, n, &jerr);
	if (ev == NULL) {
		/* A writer killed mid-line leaves a prefix of an event:
		 * unfinished JSON, at the end or ended by the next one. */
		bool torn = !ended || (n > 0 && p[0] == '{' && n <
		    SBX_AUDIT_LINE_MAX && json_error_code(&jerr) ==
		    json_error_premature_end_of_input);
		if ((r = rec_new(v, torn ? REC_PARTIAL : REC_MALFORMED)) ==
		    NULL)
			return sbx_err_set(err, SBX_ENOMEM, "out of memory");
		snprintf(r->why, sizeof(r->why), "%s", !ended ? "unfinished "
		    "last line (a writer stopped mid-write)" : torn ?
		    "unfinished line, ended by a later writer" : n >=
		    SBX_AUDIT_LINE_MAX ? "line too long" : "not an audit "
		    "event");
		return SBX_OK;
	}
	if ((r = rec_new(v, REC_EVENT)) == NULL ||
	    sbx_audit_hash(hash, ev, err) != SBX_OK) {
		json_decref(ev);
		return r == NULL ? sbx_err_set(err, SBX_ENOMEM, "out of "
		    "memory") : SBX_ENOMEM;
	}
	r->seq = (uint64_t)json_integer_value(json_object_get(ev, "seq"));
	unhex(r->prev, json_string_value(json_object_get(ev, "prev_hash")));
	unhex(r->hash, json_string_value(json_object_get(ev, "hash")));
	r->hash_ok = strcmp(hash, json_string_value(json_object_get(ev,
	    "hash"))) == 0;
	json_decref(ev);
	return SBX_OK;
}

/* Split data into lines; a line cut by the chunk waits in carry. */
static int
feed(struct sbx_audit_verify *v, const char *data, size_t len, bool eof,
    struct sbx_err *err)
{
	const char *p = data, *nl, *end = data + len;
	int rc;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			if ((rc = sbx_buf_add(&v->carry, p, (size_t)(end - p),
			    err)) != SBX_OK)
				return rc;
			break;
		}
		if (v->carry.len > 0) {
			if ((rc = sbx_buf_add(&v->carry, p, (size_t)(nl - p),
			    err)) != SBX_OK || (rc = add_line(v,
			    (char *)v->carry.p, v->carry.len, true, err)) !=
			    SBX_OK)
				return rc;
			v->carry.len = 0;
		} else if ((rc = add_line(v, p, (size_t)(nl - p), true,
		    err)) != SBX_OK) {
			return rc;
		}
		p = nl + 1;
	}
	if (eof && v->carry.len > 0) {
		rc = add_line(v, (char *)v->carry.p, v->carry.len, false, err);
		v->carry.len = 0;
		return rc;
	}
	return SBX_OK;
}

static int
add_file_name(struct sbx_audit_verify *v, const char *name,
    struct sbx_err *err)
{
	char **f;

	if ((f = realloc(v->files, (v->nfiles + 1) * sizeof(*f))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	v->files = f;
	if ((f[v->nfiles] = strdup(name)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	v->nfiles++;
	v->lineno = 0;
	v->carry.len = 0;
	return SBX_OK;
}

int
sbx_audit_verify_buf(struct sbx_audit_verify *v, const char *name,
    const char *data, size_t len, struct sbx_err *err)
{
	int rc;

	if ((rc = add_file_name(v, name, err)) != SBX_OK)
		return rc;
	return feed(v, data, len, true, err);
}

/* Read exactly the bytes that were complete under a shared lock. */
static int
read_file(struct sbx_audit_verify *v, int fd, const char *path, off_t size,
    struct sbx_err *err)
{
	char *buf;
	off_t at = 0;
	ssize_t n;
	int rc = SBX_OK;

	if ((buf = malloc(READ_CHUNK)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	while (at < size && rc == SBX_OK) {
		n = pread(fd, buf, size - at < READ_CHUNK ? (size_t)(size -
		    at) : READ_CHUNK, at);
		if (n <= 0) {
			rc = sbx_err_set(err, SBX_EIO, "%s: cannot read: %s",
			    path, n == 0 ? "file shrank" : strerror(errno));
			break;
		}
		at += n;
		rc = feed(v, buf, (size_t)n, at == size, err);
	}
	free(buf);
	return rc;
}

int
sbx_audit_verify_file(struct sbx_audit_verify *v, const char *path,
    struct sbx_err *err)
{
	struct stat st;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: cannot open: %s", path,
		    strerror(errno));
	/* Writers append under an exclusive lock with one write(): what
	 * is there while we hold a shared one is whole lines. */
	if ((rc = sbx_audit__lock(fd, false, 5000, path, err)) != SBX_OK)
		goto done;
	if (fstat(fd, &st) == -1) {
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", path, strerror(errno));
		goto done;
	}
	flock(fd, LOCK_UN);
	if ((rc = add_file_name(v, path, err)) != SBX_OK)
		goto done;
	rc = read_file(v, fd, path, st.st_size, err);
done:
	close(fd);
	return rc;
}

static void
finding(struct sbx_audit_verify *v, enum sbx_audit_problem p,
    const struct rec *r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
finding(struct sbx_audit_verify *v, enum sbx_audit_problem p,
    const struct rec *r, const char *fmt, ...)
{
	struct found *f;
	va_list ap;
	size_t cap;

	if (v->nfound >= MAX_FINDINGS) {
		v->more++;
		return;
	}
	if (v->nfound == v->capfound) {
		cap = v->capfound ? v->capfound * 2 : 8;
		if ((f = realloc(v->found, cap * sizeof(*f))) == NULL) {
			v->more++;
			return;
		}
		v->found = f;
		v->capfound = cap;
	}
	f = &v->found[v->nfound++];
	f->rec = (size_t)(r - v->recs);
	f->f.problem = p;
	f->f.file = v->files[r->file];
	f->f.line = r->line;
	va_start(ap, fmt);
	vsnprintf(f->f.detail, sizeof(f->f.detail), fmt, ap);
	va_end(ap);
}

static int
idx_cmp(const void *a, const void *b)
{
	const struct idx *x = a, *y = b;
	int c = memcmp(x->h, y->h, 32);

	if (c != 0)
		return c;
	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

static int
build_index(struct sbx_audit_verify *v, struct sbx_err *err)
{
	size_t i, n = 0;

	v->by_hash = calloc(v->nrecs + 1, sizeof(*v->by_hash));
	v->by_prev = calloc(v->nrecs + 1, sizeof(*v->by_prev));
	if (v->by_hash == NULL || v->by_prev == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	for (i = 0; i < v->nrecs; i++) {
		if (v->recs[i].kind != REC_EVENT)
			continue;
		v->by_hash[n] = (struct idx){ v->recs[i].hash, i };
		v->by_prev[n] = (struct idx){ v->recs[i].prev, i };
		n++;
	}
	qsort(v->by_hash, n, sizeof(*v->by_hash), idx_cmp);
	qsort(v->by_prev, n, sizeof(*v->by_prev), idx_cmp);
	v->events = n;
	return SBX_OK;
}

/*
 * The first record (by position) after `after` (or before `before`)
 * whose indexed hash is h; SIZE_MAX if none.
 */
static size_t
lookup(const struct idx *ix, size_t n, const unsigned char *h, size_t after,
    size_t before)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (memcmp(ix[mid].h, h, 32) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && memcmp(ix[lo].h, h, 32) == 0; lo++)
		if ((after == SIZE_MAX || ix[lo].rec > after) &&
		    ix[lo].rec < before)
			return ix[lo].rec;
	return SIZE_MAX;
}

static void
accept(struct walk *w, const struct sbx_audit_verify *v, size_t i)
{
	memcpy(w->last, v->recs[i].hash, 32);
	w->last_seq = v->recs[i].seq;
	w->any = true;
	w->last_rec = i;
}

/* The next event record after i, or SIZE_MAX. */
static size_t
next_event(const struct sbx_audit_verify *v, size_t i)
{
	for (i++; i < v->nrecs; i++)
		if (v->recs[i].kind == REC_EVENT)
			return i;
	return SIZE_MAX;
}

/* A line whose predecessor is nowhere in the log. */
static void
orphan(struct sbx_audit_verify *v, struct walk *w, size_t i)
{
	const struct rec *r = &v->recs[i], *p;
	size_t nx = next_event(v, i);

	if (!w->any && !v->anchored) {
		finding(v, SBX_AUDIT_REMOVED, r, "the chain does not start "
		    "here: first event is seq %" PRIu64 ", not 1 from the "
		    "genesis hash (give the rotated files before it, or "
		    "--anchor)", r->seq);
	} else if (!w->any) {
		finding(v, SBX_AUDIT_REMOVED, r, "seq %" PRIu64 " does not "
		    "chain from the anchor", r->seq);
	} else if (r->seq == w->last_seq + 1 && (nx == SIZE_MAX ||
	    memcmp(v->recs[nx].prev, r->hash, 32) == 0)) {
		/* The line before was changed and its hash recomputed. */
		p = &v->recs[w->last_rec];
		finding(v, SBX_AUDIT_EDITED, p, "changed and rehashed: line "
		    "%lu (seq %" PRIu64 ") no longer chains to it", r->line,
		    r->seq);
	} else if (r->seq == w->last_seq + 1) {
		finding(v, SBX_AUDIT_EDITED, r, "prev_hash changed and line "
		    "rehashed (seq %" PRIu64 ")", r->seq);
	} else if (r->seq > w->last_seq + 1) {
		finding(v, SBX_AUDIT_REMOVED, r, "events seq %" PRIu64 " to %"
		    PRIu64 " are missing before this line", w->last_seq + 1,
		    r->seq - 1);
	} else {
		finding(v, SBX_AUDIT_INSERTED, r, "seq %" PRIu64 " after seq %"
		    PRIu64 ", chained to no line of the log", r->seq,
		    w->last_seq);
		return;
	}
	accept(w, v, i);
}

/* A self-consistent event that does not chain to the one before. */
static void
broken_link(struct sbx_audit_verify *v, struct walk *w, size_t i)
{
	struct rec *r = &v->recs[i];
	size_t n = v->events, succ, owner, dup;

	/* Chained to a line already reported out of place: fine. */
	owner = lookup(v->by_hash, n, r->prev, SIZE_MAX, i);
	if (owner != SIZE_MAX && v->recs[owner].displaced &&
	    r->seq == v->recs[owner].seq + 1) {
		accept(w, v, i);
		return;
	}
	succ = lookup(v->by_prev, n, w->last, i, SIZE_MAX);
	dup = lookup(v->by_hash, n, r->hash, SIZE_MAX, i);
	if (succ != SIZE_MAX) {
		/* The chain goes on further down: this line is extra. */
		owner = lookup(v->by_hash, n, r->prev, i, SIZE_MAX);
		if (owner != SIZE_MAX && dup == SIZE_MAX) {
			r->displaced = true;
			finding(v, SBX_AUDIT_REORDERED, r, "seq %" PRIu64
			    " belongs after line %lu (seq %" PRIu64 ")",
			    r->seq, v->recs[owner].line, v->recs[owner].seq);
		} else if (dup != SIZE_MAX) {
			finding(v, SBX_AUDIT_INSERTED, r, "copy of line %lu "
			    "(seq %" PRIu64 ")", v->recs[dup].line, r->seq);
		} else {
			finding(v, SBX_AUDIT_INSERTED, r, "seq %" PRIu64
			    " does not belong to the chain, which goes on at "
			    "line %lu", r->seq, v->recs[succ].line);
		}
		return;
	}
	owner = lookup(v->by_hash, n, r->prev, SIZE_MAX, i);
	if (dup != SIZE_MAX) {
		finding(v, SBX_AUDIT_INSERTED, r, "copy of line %lu (seq %"
		    PRIu64 ")", v->recs[dup].line, r->seq);
	} else if (owner != SIZE_MAX) {
		finding(v, SBX_AUDIT_REORDERED, r, "seq %" PRIu64 " chains to "
		    "line %lu, not to the line before it", r->seq,
		    v->recs[owner].line);
		accept(w, v, i);
	} else {
		orphan(v, w, i);
	}
}

static void
check_event(struct sbx_audit_verify *v, struct walk *w, size_t i)
{
	struct rec *r = &v->recs[i];

	if (!r->hash_ok) {
		finding(v, SBX_AUDIT_EDITED, r, "content does not match its "
		    "hash (seq %" PRIu64 ")", r->seq);
		accept(w, v, i);	/* the next line chains to its hash */
		return;
	}
	if (memcmp(r->prev, w->last, 32) != 0) {
		broken_link(v, w, i);
		return;
	}
	if (r->seq != w->last_seq + 1 && (w->any || !v->anchored))
		finding(v, SBX_AUDIT_EDITED, r, "seq %" PRIu64 " where %" PRIu64
		    " was due, line rehashed", r->seq, w->last_seq + 1);
	accept(w, v, i);
}

static int
found_cmp(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

int
sbx_audit_verify_finish(struct sbx_audit_verify *v, bool allow_partial,
    struct sbx_err *err)
{
	struct walk w = { .last_seq = 0 };
	const struct sbx_audit_finding *f;
	size_t i, bad = 0;
	int rc;

	if ((rc = build_index(v, err)) != SBX_OK)
		return rc;
	memcpy(w.last, v->anchor, 32);
	for (i = 0; i < v->nrecs; i++) {
		if (v->recs[i].kind == REC_EVENT)
			check_event(v, &w, i);
		else
			finding(v, v->recs[i].kind == REC_PARTIAL ?
			    SBX_AUDIT_PARTIAL : SBX_AUDIT_MALFORMED,
			    &v->recs[i], "%s", v->recs[i].why);
	}
	/* A finding about the line before is made later: sort by place.
	 * qsort is not stable, but each finding names its own line. */
	if (v->nfound > 1)
		qsort(v->found, v->nfound, sizeof(*v->found), found_cmp);
	if (w.any) {
		v->last_seq = w.last_seq;
		sbx_hex(v->last_hash, w.last, 32);
	}
	f = NULL;
	for (i = 0; i < v->nfound; i++)
		if (v->found[i].f.problem != SBX_AUDIT_PARTIAL ||
		    !allow_partial) {
			if (bad++ == 0)
				f = &v->found[i].f;
		}
	if (f == NULL)
		return SBX_OK;
	return sbx_err_set(err, SBX_EREJECT, "%s:%lu: %s: %s", f->file,
	    f->line, sbx_audit_problem_name(f->problem), f->detail);
}

size_t
sbx_audit_verify_nfindings(const struct sbx_audit_verify *v)
{
	return v->nfound;
}

const struct sbx_audit_finding *
sbx_audit_verify_finding(const struct sbx_audit_verify *v, size_t i)
{
	return i < v->nfound ? &v->found[i].f : NULL;
}

uint64_t
sbx_audit_verify_events(const struct sbx_audit_verify *v)
{
	return v->events;
}

uint64_t
sbx_audit_verify_last_seq(const struct sbx_audit_verify *v)
{
	return v->last_seq;
}

const char *
sbx_audit_verify_last_hash(const struct sbx_audit_verify *v)
{
	return v->last_hash;
}

const char *
sbx_audit_problem_name(enum sbx_audit_problem p)
{
	if ((unsigned)p < SBX_AUDIT_EDITED || (unsigned)p > SBX_AUDIT_PARTIAL)
		return "unknown";
	return problem_names[p];
}

void
sbx_audit_verify_free(struct sbx_audit_verify *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nfiles; i++)
		free(v->files[i]);
	free(v->files);
	free(v->recs);
	free(v->found);
	free(v->by_hash);
	free(v->by_prev);
	sbx_buf_free(&v->carry);
	free(v);
}

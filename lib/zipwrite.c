/* lib/zipwrite.c: the ZIP/JAR writer: new entries and verbatim copies. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libdeflate.h>
#define ZLIB_CONST
#include <zlib.h>

#include <sbx/zip.h>

#define SIG_LOCAL	0x04034b50u
#define SIG_CENTRAL	0x02014b50u
#define SIG_END		0x06054b50u
#define SIG_END64	0x06064b50u
#define SIG_LOC64	0x07064b50u

#define LOCAL_LEN	30
#define CENTRAL_LEN	46
#define END_LEN		22
#define END64_LEN	56
#define LOC64_LEN	20
#define MAGIC16		0xffffu
#define MAGIC32		0xffffffffu
#define ZIP64_ID	0x0001u

#define FLAG_DESCRIPTOR	0x0008u
#define FLAG_UTF8	0x0800u
#define METHOD_STORED	0
#define METHOD_DEFLATE	8

/* APPNOTE 4.4.3: 2.0 for DEFLATE, 4.5 for ZIP64. */
#define VERSION_DEFAULT	20
#define VERSION_ZIP64	45

#define OUTBUF		(64 * 1024)
#define DEFLATE_LEVEL	6

/* 1980-01-01 and 2107-12-31 23:59:59 UTC, the MS-DOS date range. */
#define DOS_MIN		315532800
#define DOS_MAX		4354819199LL

/* Names already written, so a duplicate is refused at once. */
struct name_set {
	size_t		*slot;		/* offset in names + 1; 0 is free */
	size_t		 cap;		/* a power of two */
	size_t		 used;
	struct sbx_buf	 names;		/* each name and its NUL */
};

struct sbx_zip_writer {
	int		 fd;
	char		*name;
	uint64_t	 off;		/* bytes written so far */
	unsigned char	*out;		/* OUTBUF bytes waiting for write() */
	size_t		 out_len;
	struct sbx_buf	 cd;		/* central directory so far */
	uint64_t	 count;
	struct name_set	 set;
	z_stream	 zs;
	int		 zs_ready;
	int		 failed;	/* the first failure, replayed */
	int		 finished;
};

/* One entry's header fields, shared by the local and central header. */
struct hdr {
	const char	*name;
	size_t		 name_len;
	uint16_t	 made_by;
	uint16_t	 needed;
	uint16_t	 flags;
	uint16_t	 method;
	uint16_t	 mtime;
	uint16_t	 mdate;
	uint32_t	 crc;
	uint64_t	 csize;
	uint64_t	 usize;
	uint16_t	 internal_attr;
	uint32_t	 external_attr;
	uint64_t	 offset;
	struct sbx_buf	 lextra;	/* without any ZIP64 field */
	struct sbx_buf	 cextra;	/* without any ZIP64 field */
	const unsigned char *comment;
	size_t		 comment_len;
};

static unsigned char *
put16(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	return p + 2;
}

static unsigned char *
put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
	return p + 4;
}

static unsigned char *
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
	return p + 8;
}

static uint32_t
sat32(uint64_t v)
{
	return v >= MAGIC32 ? MAGIC32 : (uint32_t)v;
}

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

/* The slot holding name, or the free slot where it would go. */
static size_t *
set_slot(struct name_set *set, const char *name, size_t n)
{
	size_t i = (size_t)hash(name, n) & (set->cap - 1);
	const char *s;

	for (;; i = (i + 1) & (set->cap - 1)) {
		if (set->slot[i] == 0)
			return &set->slot[i];
		s = (const char *)set->names.p + set->slot[i] - 1;
		if (strlen(s) == n && memcmp(s, name, n) == 0)
			return &set->slot[i];
	}
}

static int
set_grow(struct name_set *set, struct sbx_err *err)
{
	struct name_set old = *set;
	size_t i, *s;
	const char *name;

	set->cap = old.cap ? old.cap * 2 : 1024;
	if ((set->slot = calloc(set->cap, sizeof(*set->slot))) == NULL) {
		*set = old;
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	}
	for (i = 0; i < old.cap; i++) {
		if (old.slot[i] == 0)
			continue;
		name = (const char *)set->names.p + old.slot[i] - 1;
		s = set_slot(set, name, strlen(name));
		*s = old.slot[i];
	}
	free(old.slot);
	return SBX_OK;
}

/* Remember name; SBX_EREJECT if it was already written. */
static int
set_add(struct sbx_zip_writer *w, const char *name, size_t n,
    struct sbx_err *err)
{
	struct name_set *set = &w->set;
	size_t *s, at;
	int rc;

	if (set->used + 1 > set->cap / 2 &&
	    (rc = set_grow(set, err)) != SBX_OK)
		return rc;
	s = set_slot(set, name, n);
	if (*s != 0)
		return sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE,
		    "%s: %.*s: duplicate entry name", w->name,
		    n > 64 ? 64 : (int)n, name);
	at = set->names.len;
	if ((rc = sbx_buf_add(&set->names, name, n, err)) != SBX_OK ||
	    (rc = sbx_buf_add(&set->names, "", 1, err)) != SBX_OK)
		return rc;
	*s = at + 1;
	set->used++;
	return SBX_OK;
}

static int
flush(struct sbx_zip_writer *w, struct sbx_err *err)
{
	size_t done = 0;
	ssize_t r;

	while (done < w->out_len) {
		r = write(w->fd, w->out + done, w->out_len - done);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return sbx_err_set(err, SBX_EIO, "%s: write: %s",
			    w->name, strerror(errno));
		done += (size_t)r;
	}
	w->out_len = 0;
	return SBX_OK;
}

static int
put(struct sbx_zip_writer *w, const void *data, size_t n,
    struct sbx_err *err)
{
	const unsigned char *p = data;
	size_t k;
	int rc;

	while (n > 0) {
		if (w->out_len == OUTBUF && (rc = flush(w, err)) != SBX_OK)
			return rc;
		k = OUTBUF - w->out_len < n ? OUTBUF - w->out_len : n;
		memcpy(w->out + w->out_len, p, k);
		w->out_len += k;
		w->off += k;
		p += k;
		n -= k;
	}
	return SBX_OK;
}

/* Refuse calls after a failure or after finish, replaying the cause. */
static int
usable(struct sbx_zip_writer *w, struct sbx_err *err)
{
	if (w->failed != SBX_OK)
		return sbx_err_set(err, w->failed, "%s: an earlier write "
		    "failed", w->name);
	if (w->finished)
		return sbx_err_set(err, SBX_EINTERNAL, "%s: already finished",
		    w->name);
	return SBX_OK;
}

/* A name the reader will accept: non-empty, short enough, new. */
static int
check_name(struct sbx_zip_writer *w, const char *name, size_t n,
    struct sbx_err *err)
{
	if (n == 0 || n > MAGIC16)
		return sbx_err_set(err, SBX_EINTERNAL, "%s: entry name of %zu "
		    "bytes", w->name, n);
	return set_add(w, name, n, err);
}

/*
 * Append a ZIP64 field holding the given values to x; a local header
 * gets both sizes (APPNOTE 4.5.3), a central record only the values
 * whose 32-bit fields are saturated.
 */
static int
add_zip64(struct sbx_buf *x, const uint64_t *v, size_t nv,
    struct sbx_err *err)
{
	unsigned char rec[4 + 3 * 8], *p = rec;
	size_t i;

	p = put16(p, ZIP64_ID);
	p = put16(p, (uint32_t)(nv * 8));
	for (i = 0; i < nv; i++)
		p = put64(p, v[i]);
	if (x->len + (size_t)(p - rec) > MAGIC16)
		return sbx_err_set(err, SBX_EINTERNAL, "extra field too long "
		    "for a ZIP64 field");
	return sbx_buf_add(x, rec, (size_t)(p - rec), err);
}

static int
put_local(struct sbx_zip_writer *w, struct hdr *h, struct sbx_err *err)
{
	unsigned char b[LOCAL_LEN], *p = b;
	uint64_t sizes[2] = { h->usize, h->csize };
	int zip64 = h->usize >= MAGIC32 || h->csize >= MAGIC32, rc;
	size_t base = h->lextra.len;

	if (zip64 && (rc = add_zip64(&h->lextra, sizes, 2, err)) != SBX_OK)
		return rc;
	p = put32(p, SIG_LOCAL);
	p = put16(p, h->needed);
	p = put16(p, h->flags);
	p = put16(p, h->method);
	p = put16(p, h->mtime);
	p = put16(p, h->mdate);
	p = put32(p, h->crc);
	p = put32(p, zip64 ? MAGIC32 : (uint32_t)h->csize);
	p = put32(p, zip64 ? MAGIC32 : (uint32_t)h->usize);
	p = put16(p, (uint32_t)h->name_len);
	put16(p, (uint32_t)h->lextra.len);
	if ((rc = put(w, b, sizeof(b), err)) == SBX_OK &&
	    (rc = put(w, h->name, h->name_len, err)) == SBX_OK)
		rc = put(w, h->lextra.p, h->lextra.len, err);
	h->lextra.len = base;
	return rc;
}

static int
put_central(struct sbx_zip_writer *w, struct hdr *h, struct sbx_err *err)
{
	unsigned char *p;
	uint64_t v[3];
	size_t nv = 0;
	int rc;

	if (h->usize >= MAGIC32)
		v[nv++] = h->usize;
	if (h->csize >= MAGIC32)
		v[nv++] = h->csize;
	if (h->offset >= MAGIC32)
		v[nv++] = h->offset;
	if (nv > 0 && (rc = add_zip64(&h->cextra, v, nv, err)) != SBX_OK)
		return rc;

	if ((rc = sbx_buf_extend(&w->cd, CENTRAL_LEN, &p, err)) != SBX_OK)
		return rc;
	p = put32(p, SIG_CENTRAL);
	p = put16(p, h->made_by);
	p = put16(p, h->needed);
	p = put16(p, h->flags);
	p = put16(p, h->method);
	p = put16(p, h->mtime);
	p = put16(p, h->mdate);
	p = put32(p, h->crc);
	p = put32(p, sat32(h->csize));
	p = put32(p, sat32(h->usize));
	p = put16(p, (uint32_t)h->name_len);
	p = put16(p, (uint32_t)h->cextra.len);
	p = put16(p, (uint32_t)h->comment_len);
	p = put16(p, 0);
	p = put16(p, h->internal_attr);
	p = put32(p, h->external_attr);
	put32(p, sat32(h->offset));
	if ((rc = sbx_buf_add(&w->cd, h->name, h->name_len, err)) != SBX_OK ||
	    (rc = sbx_buf_add(&w->cd, h->cextra.p, h->cextra.len, err)) !=
	    SBX_OK)
		return rc;
	return sbx_buf_add(&w->cd, h->comment, h->comment_len, err);
}

/* Local header, data from put_data(), central record: one entry. */
static int
put_entry(struct sbx_zip_writer *w, struct hdr *h,
    int (*put_data)(struct sbx_zip_writer *, void *, struct sbx_err *),
    void *ctx, struct sbx_err *err)
{
	int rc;

	h->offset = w->off;
	if (h->usize >= MAGIC32 || h->csize >= MAGIC32 ||
	    h->offset >= MAGIC32) {
		if (h->needed < VERSION_ZIP64)
			h->needed = VERSION_ZIP64;
		if ((h->made_by & 0xff) < VERSION_ZIP64)
			h->made_by = (h->made_by & 0xff00) | VERSION_ZIP64;
	}
	if ((rc = put_local(w, h, err)) != SBX_OK ||
	    (rc = put_data(w, ctx, err)) != SBX_OK ||
	    (rc = put_central(w, h, err)) != SBX_OK) {
		w->failed = rc;
		return rc;
	}
	w->count++;
	return SBX_OK;
}

int
sbx_zip_writer_new(struct sbx_zip_writer **out, int fd, const char *name,
    struct sbx_err *err)
{
	struct sbx_zip_writer *w;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->name = strdup(name != NULL ? name : "(archive)")) == NULL ||
	    (w->out = malloc(OUTBUF)) == NULL) {
		sbx_zip_writer_free(w);
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	}
	w->fd = fd;
	*out = w;
	return SBX_OK;
}

/*
 * Deflate data into out with zlib at a fixed level, window and memory
 * level, so the same input gives the same bytes.
 */
static int
deflate_all(struct sbx_buf *out, struct sbx_zip_writer *w, const void *data,
    size_t len, struct sbx_err *err)
{
	z_stream *s = &w->zs;
	size_t step = 1 << 20, avail, room;
	int zr = Z_OK, rc;

	if (!w->zs_ready && deflateInit2(s, DEFLATE_LEVEL, Z_DEFLATED,
	    -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return sbx_err_set(err, SBX_ENOMEM, "%s: deflate: out of "
		    "memory", w->name);
	w->zs_ready = 1;
	deflateReset(s);
	s->next_in = data;
	while (zr != Z_STREAM_END) {
		avail = len - (size_t)((const unsigned char *)s->next_in -
		    (const unsigned char *)data);
		s->avail_in = (uInt)(avail < step ? avail : step);
		room = deflateBound(s, s->avail_in);
		if ((rc = sbx_buf_extend(out, room, &s->next_out, err)) !=
		    SBX_OK)
			return rc;
		s->avail_out = (uInt)room;
		zr = deflate(s, avail <= step ? Z_FINISH : Z_NO_FLUSH);
		out->len -= s->avail_out;
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			return sbx_err_set(err, SBX_EINTERNAL, "%s: deflate "
			    "failed", w->name);
	}
	return SBX_OK;
}

struct bytes {
	const void	*p;
	size_t		 n;
};

static int
put_bytes(struct sbx_zip_writer *w, void *ctx, struct sbx_err *err)
{
	struct bytes *b = ctx;

	return put(w, b->p, b->n, err);
}

static uint16_t
utf8_flag(const char *name, size_t n)
{
	while (n-- > 0)
		if ((unsigned char)name[n] >= 0x80)
			return FLAG_UTF8;
	return 0;
}

static int
add_entry(struct sbx_zip_writer *w, const char *name, const void *data,
    size_t len, uint16_t mtime, uint16_t mdate, int store,
    struct sbx_err *err)
{
	struct hdr h = { 0 };
	struct sbx_buf z = { 0 };
	struct bytes b = { data, len };
	int rc;

	h.name_len = strlen(name);
	if ((rc = usable(w, err)) != SBX_OK)
		return rc;
	if (h.name_len > 0 && name[h.name_len - 1] == '/' && len > 0)
		return sbx_err_set(err, SBX_EINTERNAL, "%s: %s: a directory "
		    "holds no data", w->name, name);
	if ((rc = check_name(w, name, h.name_len, err)) != SBX_OK)
		return rc;

	/* Stored when deflate does not make the entry smaller. */
	if (len > 0 && !store &&
	    (rc = deflate_all(&z, w, data, len, err)) != SBX_OK)
		goto done;
	if (!store && len > 0 && z.len < len) {
		b.p = z.p;
		b.n = z.len;
		h.method = METHOD_DEFLATE;
	}
	h.name = name;
	h.made_by = h.needed = VERSION_DEFAULT;
	h.flags = utf8_flag(name, h.name_len);
	h.mtime = mtime;
	h.mdate = mdate;
	h.crc = (uint32_t)libdeflate_crc32(0, data, len);
	h.csize = b.n;
	h.usize = len;
	rc = put_entry(w, &h, put_bytes, &b, err);
done:
	sbx_buf_free(&z);
	sbx_buf_free(&h.lextra);
	sbx_buf_free(&h.cextra);
	return rc;
}

int
sbx_zip_writer_add(struct sbx_zip_writer *w, const char *name,
    const void *data, size_t len, uint16_t mtime, uint16_t mdate,
    struct sbx_err *err)
{
	return add_entry(w, name, data, len, mtime, mdate, 0, err);
}

int
sbx_zip_writer_add_stored(struct sbx_zip_writer *w, const char *name,
    const void *data, size_t len, uint16_t mtime, uint16_t mdate,
    struct sbx_err *err)
{
	return add_entry(w, name, data, len, mtime, mdate, 1, err);
}

/* The extra field src without its ZIP64 records, appended to dst. */
static int
strip_zip64(struct sbx_buf *dst, const unsigned char *src, size_t n,
    struct sbx_err *err)
{
	size_t at = 0, len;
	int rc;

	while (n - at >= 4) {
		len = 4 + (size_t)(src[at + 2] | src[at + 3] << 8);
		if (len > n - at)
			break;
		if ((src[at] | src[at + 1] << 8) != ZIP64_ID &&
		    (rc = sbx_buf_add(dst, src + at, len, err)) != SBX_OK)
			return rc;
		at += len;
	}
	return SBX_OK;
}

struct copy {
	struct sbx_zip			*z;
	const struct sbx_zip_entry	*e;
	struct sbx_zip_writer		*w;
	struct sbx_err			 werr;	/* a failed write */
};

static int
copy_sink(void *ctx, const unsigned char *buf, size_t n)
{
	struct copy *c = ctx;

	return put(c->w, buf, n, &c->werr);
}

static int
put_copy(struct sbx_zip_writer *w, void *ctx, struct sbx_err *err)
{
	struct copy *c = ctx;
	int rc;

	rc = sbx_zip_stream_raw(c->z, c->e, copy_sink, c, err);
	if (rc != SBX_OK && c->werr.code != SBX_OK && err != NULL)
		*err = c->werr;
	return rc;
}

int
sbx_zip_writer_copy(struct sbx_zip_writer *w, struct sbx_zip *z,
    const struct sbx_zip_entry *e, struct sbx_err *err)
{
	struct hdr h = { 0 };
	struct sbx_buf lx = { 0 };
	struct copy c = { z, e, w, { 0 } };
	int rc;

	if ((rc = usable(w, err)) != SBX_OK)
		return rc;
	if ((rc = check_name(w, e->name, e->name_len, err)) != SBX_OK)
		return rc;
	if ((rc = sbx_zip_local_extra(&lx, z, e, err)) != SBX_OK ||
	    (rc = strip_zip64(&h.lextra, lx.p, lx.len, err)) != SBX_OK ||
	    (rc = strip_zip64(&h.cextra, e->cd_extra, e->cd_extra_len,
	    err)) != SBX_OK)
		goto done;

	/* Sizes and CRC go in the local header: no data descriptor. */
	h.name = e->name;
	h.name_len = e->name_len;
	h.made_by = e->version_made_by;
	h.needed = e->version_needed;
	h.flags = e->flags & ~FLAG_DESCRIPTOR;
	h.method = e->method;
	h.mtime = e->mtime;
	h.mdate = e->mdate;
	h.crc = e->crc32;
	h.csize = e->csize;
	h.usize = e->usize;
	h.internal_attr = e->internal_attr;
	h.external_attr = e->external_attr;
	h.comment = e->comment;
	h.comment_len = e->comment_len;
	rc = put_entry(w, &h, put_copy, &c, err);
done:
	sbx_buf_free(&lx);
	sbx_buf_free(&h.lextra);
	sbx_buf_free(&h.cextra);
	return rc;
}

/* ZIP64 end record and locator, when count, size or offset need them. */
static unsigned char *
put_end64(unsigned char *p, uint64_t count, uint64_t cd_off,
    uint64_t cd_size, uint64_t at)
{
	p = put32(p, SIG_END64);
	p = put64(p, END64_LEN - 12);
	p = put16(p, VERSION_ZIP64);
	p = put16(p, VERSION_ZIP64);
	p = put32(p, 0);
	p = put32(p, 0);
	p = put64(p, count);
	p = put64(p, count);
	p = put64(p, cd_size);
	p = put64(p, cd_off);
	p = put32(p, SIG_LOC64);
	p = put32(p, 0);
	p = put64(p, at);
	return put32(p, 1);
}

int
sbx_zip_writer_finish(struct sbx_zip_writer *w, const void *comment,
    size_t comment_len, struct sbx_err *err)
{
	unsigned char end[END64_LEN + LOC64_LEN + END_LEN], *p = end;
	uint64_t cd_off = w->off, cd_size = w->cd.len;
	uint32_t n = w->count >= MAGIC16 ? MAGIC16 : (uint32_t)w->count;
	int rc;

	if ((rc = usable(w, err)) != SBX_OK)
		return rc;
	if (comment_len > MAGIC16)
		return sbx_err_set(err, SBX_EINTERNAL, "%s: archive comment of "
		    "%zu bytes", w->name, comment_len);
	if ((rc = put(w, w->cd.p, w->cd.len, err)) != SBX_OK)
		goto done;

	if (n == MAGIC16 || cd_size >= MAGIC32 || cd_off >= MAGIC32)
		p = put_end64(p, w->count, cd_off, cd_size, w->off);
	p = put32(p, SIG_END);
	p = put16(p, 0);
	p = put16(p, 0);
	p = put16(p, n);
	p = put16(p, n);
	p = put32(p, sat32(cd_size));
	p = put32(p, sat32(cd_off));
	p = put16(p, (uint32_t)comment_len);
	if ((rc = put(w, end, (size_t)(p - end), err)) == SBX_OK &&
	    (rc = put(w, comment, comment_len, err)) == SBX_OK)
		rc = flush(w, err);
done:
	w->failed = rc;
	w->finished = rc == SBX_OK;
	return rc;
}

void
sbx_zip_writer_free(struct sbx_zip_writer *w)
{
	if (w == NULL)
		return;
	if (w->zs_ready)
		deflateEnd(&w->zs);
	sbx_buf_free(&w->cd);
	sbx_buf_free(&w->set.names);
	free(w->set.slot);
	free(w->out);
	free(w->name);
	free(w);
}

void
sbx_zip_dos_time(int64_t t, uint16_t *mtime, uint16_t *mdate)
{
	struct tm tm;
	time_t tt;

	if (t < DOS_MIN)
		t = DOS_MIN;
	if (t > DOS_MAX)
		t = DOS_MAX;
	tt = (time_t)t;
	gmtime_r(&tt, &tm);
	*mtime = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
	*mdate = (uint16_t)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 |
	    tm.tm_mday);
}

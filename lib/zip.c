/* lib/zip.c: the strict ZIP/JAR reader: every byte of the file counted. */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#define SIG_DESC	0x08074b50u

#define LOCAL_LEN	30
#define CENTRAL_LEN	46
#define END_LEN		22
#define END64_LEN	56
#define LOC64_LEN	20
#define MAX_COMMENT	0xffffu

#define MAGIC16		0xffffu
#define MAGIC32		0xffffffffu
#define ZIP64_ID	0x0001u

#define FLAG_ENCRYPTED	0x0001u
#define FLAG_DESCRIPTOR	0x0008u
#define FLAG_PATCHED	0x0020u
#define FLAG_STRONG	0x0040u
#define FLAG_CD_MASKED	0x2000u

#define METHOD_STORED	0
#define METHOD_DEFLATE	8
#define METHOD_AES	99

/* Open-time reads go through a window, so one read serves many headers. */
#define WINDOW		(32 * 1024)
/* Streaming buffers: bounded memory whatever the entry's size. */
#define CHUNK		(64 * 1024)

/*
 * Entries whose compressed and uncompressed sizes are both under this
 * are inflated whole by libdeflate; larger ones stream through zlib.
 * Measured on /usr/share/java/aspectjtools.jar (14 MB, 5790 entries,
 * 34 MB inflated; open, inflate and CRC every entry, one thread, best
 * of 5): zlib in 64 KiB chunks for every entry 209 ms, libdeflate for
 * those under 1 MiB (all of them here) 97 ms. Build with
 * -DSBX_ZIP_SMALL_MAX=0 to measure the zlib path again.
 */
#ifndef SBX_ZIP_SMALL_MAX
#define SBX_ZIP_SMALL_MAX (1024 * 1024)
#endif

/* Names in messages: escaped and cut, so a message stays one line. */
#define SHOW_MAX	64
#define SHOW_LEN	(SHOW_MAX * 4 + 4)

struct sbx_zip {
	int			 fd;		/* -1 for memory */
	int			 own_fd;
	const unsigned char	*mem;
	uint64_t		 size;
	char			*name;
	struct sbx_zip_entry	*ents;
	size_t			 count;
	const struct sbx_zip_entry **by_name;
	unsigned char		*strings;	/* names, extras, comments */
	unsigned char		*comment;
	size_t			 comment_len;
};

/* The open-time read window over the file. */
struct win {
	unsigned char	*buf;
	size_t		 cap;
	uint64_t	 off;
	size_t		 len;
};

/* Where the central directory is, from the end records. */
struct tail {
	uint64_t	 cd_off;
	uint64_t	 cd_size;
	uint64_t	 count;
	uint64_t	 cd_end;	/* ZIP64 record or end record */
};

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
le64(const unsigned char *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static const char *
show(char *buf, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	size_t i, o = 0;

	for (i = 0; i < n && i < SHOW_MAX; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f) {
			buf[o++] = (char)c;
			continue;
		}
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[c >> 4];
		buf[o++] = hex[c & 15];
	}
	if (i < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* A rejection naming the archive. */
static int __attribute__((format(printf, 3, 4)))
bad(struct sbx_err *err, const struct sbx_zip *z, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE, "%s: %s",
	    z->name, msg);
}

/* A rejection naming the archive and the entry. */
static int __attribute__((format(printf, 4, 5)))
ebad(struct sbx_err *err, const struct sbx_zip *z,
    const struct sbx_zip_entry *e, const char *fmt, ...)
{
	char msg[sizeof(err->msg)], name[SHOW_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE, "%s: %s: %s",
	    z->name, show(name, e->name, e->name_len), msg);
}

static int
read_at(const struct sbx_zip *z, void *dst, size_t n, uint64_t off,
    struct sbx_err *err)
{
	unsigned char *p = dst;
	ssize_t r;

	if (z->mem != NULL) {
		memcpy(dst, z->mem + off, n);
		return SBX_OK;
	}
	while (n > 0) {
		r = pread(z->fd, p, n, (off_t)off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return sbx_err_set(err, SBX_EIO, "%s: read at offset "
			    "%llu: %s", z->name, (unsigned long long)off,
			    strerror(errno));
		if (r == 0)
			return sbx_err_set(err, SBX_EIO, "%s: file shrank "
			    "while reading at offset %llu", z->name,
			    (unsigned long long)off);
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return SBX_OK;
}

/*
 * Point *out at n bytes of the file at off: straight into memory, or
 * into the window, reading it anew when the bytes are not in it. The
 * pointer is valid until the next call.
 */
static int
win_get(const unsigned char **out, struct sbx_zip *z, struct win *w,
    uint64_t off, size_t n, struct sbx_err *err)
{
	unsigned char *p;
	size_t want;
	int rc;

	*out = NULL;
	if (off > z->size || n > z->size - off)
		return bad(err, z, "%zu bytes at offset %llu run past the end "
		    "of the file", n, (unsigned long long)off);
	if (z->mem != NULL) {
		*out = z->mem + off;
		return SBX_OK;
	}
	if (off >= w->off && off - w->off <= w->len &&
	    n <= w->len - (off - w->off)) {
		*out = w->buf + (off - w->off);
		return SBX_OK;
	}

	want = n > WINDOW ? n : WINDOW;
	if (want > z->size - off)
		want = (size_t)(z->size - off);
	if (want > w->cap) {
		if ((p = realloc(w->buf, want)) == NULL)
			return sbx_err_set(err, SBX_ENOMEM, "%s: out of memory",
			    z->name);
		w->buf = p;
		w->cap = want;
	}
	w->len = 0;
	if ((rc = read_at(z, w->buf, want, off, err)) != SBX_OK)
		return rc;
	w->off = off;
	w->len = want;
	*out = w->buf;
	return SBX_OK;
}

/*
 * Walk an extra field: its records must fill it exactly, and the
 * record id may appear once; *data is NULL when it is absent.
 * Returns 0, or -1 when the field is malformed or id repeats.
 */
static int
extra_find(const unsigned char **data, size_t *len, const unsigned char *x,
    size_t n, uint16_t id)
{
	size_t at = 0, rlen;

	*data = NULL;
	*len = 0;
	while (n - at >= 4) {
		rlen = le16(x + at + 2);
		if (rlen > n - at - 4)
			return -1;
		if (le16(x + at) == id) {
			if (*data != NULL)
				return -1;
			*data = x + at + 4;
			*len = rlen;
		}
		at += 4 + rlen;
	}
	return at == n ? 0 : -1;
}

/*
 * Sizes, offset and disk from a central record's ZIP64 field, which
 * holds exactly the values whose 32-bit fields are saturated, in order
 * (APPNOTE 4.5.3).
 */
static int
central_zip64(struct sbx_zip_entry *e, uint32_t *disk, uint32_t us32,
    uint32_t cs32, uint32_t off32, const struct sbx_zip *z,
    struct sbx_err *err)
{
	const unsigned char *x;
	size_t n, need;

	if (extra_find(&x, &n, e->cd_extra, e->cd_extra_len, ZIP64_ID) != 0)
		return ebad(err, z, e, "malformed central extra field");
	need = (us32 == MAGIC32) * 8 + (cs32 == MAGIC32) * 8 +
	    (off32 == MAGIC32) * 8 + (*disk == MAGIC16) * 4;
	e->usize = us32;
	e->csize = cs32;
	e->local_offset = off32;
	if (x == NULL && need == 0)
		return SBX_OK;
	if (x == NULL || n != need)
		return ebad(err, z, e, "ZIP64 extra field of %zu bytes where "
		    "the saturated fields need %zu", n, need);

	if (us32 == MAGIC32) {
		e->usize = le64(x);
		x += 8;
	}
	if (cs32 == MAGIC32) {
		e->csize = le64(x);
		x += 8;
	}
	if (off32 == MAGIC32) {
		e->local_offset = le64(x);
		x += 8;
	}
	if (*disk == MAGIC16)
		*disk = le32(x);
	return SBX_OK;
}

/* Refusals that depend on the central record alone. */
static int
check_central(const struct sbx_zip_entry *e, uint32_t disk,
    const struct sbx_zip *z, struct sbx_err *err)
{
	if (memchr(e->name, '\0', e->name_len) != NULL)
		return ebad(err, z, e, "name contains a NUL byte");
	if (disk != 0)
		return ebad(err, z, e, "on disk %u: multi-disk archives are "
		    "not supported", disk);
	if ((e->flags & (FLAG_ENCRYPTED | FLAG_STRONG | FLAG_CD_MASKED)) ||
	    e->method == METHOD_AES)
		return ebad(err, z, e, "encrypted entries are not supported");
	if (e->flags & FLAG_PATCHED)
		return ebad(err, z, e, "patch data entries are not supported");
	if (e->method != METHOD_STORED && e->method != METHOD_DEFLATE)
		return ebad(err, z, e, "compression method %u is neither "
		    "STORED nor DEFLATE", e->method);
	if (e->is_dir && e->usize != 0)
		return ebad(err, z, e, "directory entry with %llu bytes of "
		    "data", (unsigned long long)e->usize);
	if (e->method == METHOD_STORED && e->csize != e->usize)
		return ebad(err, z, e, "STORED entry with compressed size %llu "
		    "and size %llu", (unsigned long long)e->csize,
		    (unsigned long long)e->usize);
	return SBX_OK;
}

/*
 * Fill e from the central record r (fixed part and variable part),
 * copying name, extra field and comment into z->strings at *used.
 */
static int
parse_central(struct sbx_zip_entry *e, size_t *used, const unsigned char *r,
    struct sbx_zip *z, struct sbx_err *err)
{
	unsigned char *s = z->strings + *used;
	size_t n = le16(r + 28), m = le16(r + 30), k = le16(r + 32);
	uint32_t disk = le16(r + 34);
	int rc;

	e->version_made_by = le16(r + 4);
	e->version_needed = le16(r + 6);
	e->flags = le16(r + 8);
	e->method = le16(r + 10);
	e->mtime = le16(r + 12);
	e->mdate = le16(r + 14);
	e->crc32 = le32(r + 16);
	e->internal_attr = le16(r + 36);
	e->external_attr = le32(r + 38);

	memcpy(s, r + CENTRAL_LEN, n);
	s[n] = '\0';
	e->name = (const char *)s;
	e->name_len = n;
	e->is_dir = n > 0 && s[n - 1] == '/';
	memcpy(s + n + 1, r + CENTRAL_LEN + n, m + k);
	e->cd_extra = s + n + 1;
	e->cd_extra_len = m;
	e->comment = s + n + 1 + m;
	e->comment_len = k;
	*used += n + 1 + m + k;

	rc = central_zip64(e, &disk, le32(r + 24), le32(r + 20),
	    le32(r + 42), z, err);
	if (rc != SBX_OK)
		return rc;
	return check_central(e, disk, z, err);
}

static int
read_central(struct sbx_zip *z, struct win *w, const struct tail *t,
    struct sbx_err *err)
{
	const unsigned char *r;
	uint64_t off = t->cd_off;
	size_t i, used = 0, len;
	int rc;

	/* A record takes 46 bytes at least: no huge allocation on a lie. */
	if (t->count > t->cd_size / CENTRAL_LEN)
		return bad(err, z, "the end record announces %llu entries, "
		    "more than a central directory of %llu bytes can hold",
		    (unsigned long long)t->count,
		    (unsigned long long)t->cd_size);
	z->count = (size_t)t->count;
	z->ents = calloc(z->count ? z->count : 1, sizeof(*z->ents));
	z->strings = malloc((size_t)t->cd_size + 1);
	if (z->ents == NULL || z->strings == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "%s: out of memory",
		    z->name);

	for (i = 0; i < z->count; i++) {
		if (t->cd_end - off < CENTRAL_LEN)
			return bad(err, z, "the central directory ends after "
			    "%zu of the %zu records the end record announces",
			    i, z->count);
		if ((rc = win_get(&r, z, w, off, CENTRAL_LEN, err)) != SBX_OK)
			return rc;
		if (le32(r) != SIG_CENTRAL)
			return bad(err, z, "central directory record %zu at "
			    "offset %llu: bad signature", i,
			    (unsigned long long)off);
		len = CENTRAL_LEN + (size_t)le16(r + 28) + le16(r + 30) +
		    le16(r + 32);
		if (t->cd_end - off < len)
			return bad(err, z, "central directory record %zu at "
			    "offset %llu runs past the central directory", i,
			    (unsigned long long)off);
		if ((rc = win_get(&r, z, w, off, len, err)) != SBX_OK)
			return rc;
		if (le16(r + 28) == 0)
			return bad(err, z, "central directory record %zu at "
			    "offset %llu: empty entry name", i,
			    (unsigned long long)off);
		rc = parse_central(&z->ents[i], &used, r, z, err);
		if (rc != SBX_OK)
			return rc;
		off += len;
	}
	if (off != t->cd_end)
		return bad(err, z, "%llu bytes of the central directory are "
		    "left after the %zu records the end record announces",
		    (unsigned long long)(t->cd_end - off), z->count);
	return SBX_OK;
}

/*
 * The ZIP64 end record and its locator, just before the end record at
 * end_off: the record must end exactly where the locator starts, and
 * the end record's fields must be saturated or agree with it.
 */
static int
read_end64(struct tail *t, struct sbx_zip *z, struct win *w,
    uint64_t end_off, const unsigned char *end, struct sbx_err *err)
{
	const unsigned char *p;
	uint64_t loc_off = end_off - LOC64_LEN, rec_off;
	int rc;

	if ((rc = win_get(&p, z, w, loc_off, LOC64_LEN, err)) != SBX_OK)
		return rc;
	rec_off = le64(p + 8);
	if (le32(p + 4) != 0 || le32(p + 16) > 1)
		return bad(err, z, "ZIP64 locator names other disks: "
		    "multi-disk archives are not supported");
	if (rec_off > loc_off || loc_off - rec_off < END64_LEN)
		return bad(err, z, "ZIP64 end record offset %llu does not fit "
		    "before its locator", (unsigned long long)rec_off);
	if ((rc = win_get(&p, z, w, rec_off, END64_LEN, err)) != SBX_OK)
		return rc;
	if (le32(p) != SIG_END64)
		return bad(err, z, "no ZIP64 end record at offset %llu",
		    (unsigned long long)rec_off);
	if (le64(p + 4) != loc_off - rec_off - 12)
		return bad(err, z, "ZIP64 end record at offset %llu does not "
		    "end at its locator", (unsigned long long)rec_off);
	if (le32(p + 16) != 0 || le32(p + 20) != 0 ||
	    le64(p + 24) != le64(p + 32) ||
	    (le16(end + 4) != 0 && le16(end + 4) != MAGIC16) ||
	    (le16(end + 6) != 0 && le16(end + 6) != MAGIC16) ||
	    le16(end + 8) != le16(end + 10))
		return bad(err, z, "multi-disk archives are not supported");

	t->count = le64(p + 32);
	t->cd_size = le64(p + 40);
	t->cd_off = le64(p + 48);
	t->cd_end = rec_off;
	if ((le16(end + 10) != MAGIC16 && le16(end + 10) != t->count) ||
	    (le32(end + 12) != MAGIC32 && le32(end + 12) != t->cd_size) ||
	    (le32(end + 16) != MAGIC32 && le32(end + 16) != t->cd_off))
		return bad(err, z, "end record disagrees with the ZIP64 end "
		    "record");
	return SBX_OK;
}

/*
 * Find the end record: the one whose comment ends exactly at the end of
 * the file. Two such candidates would let readers disagree: refuse.
 */
static int
find_end(uint64_t *end_off, struct sbx_zip *z, struct win *w,
    struct sbx_err *err)
{
	const unsigned char *p;
	uint64_t found = UINT64_MAX, near = UINT64_MAX;
	size_t tlen, i, clen = 0;
	int rc;

	if (z->size < END_LEN)
		return bad(err, z, "%llu bytes: too short for a zip archive",
		    (unsigned long long)z->size);
	tlen = z->size < END_LEN + MAX_COMMENT ? (size_t)z->size :
	    END_LEN + MAX_COMMENT;
	if ((rc = win_get(&p, z, w, z->size - tlen, tlen, err)) != SBX_OK)
		return rc;

	for (i = tlen - END_LEN + 1; i-- > 0;) {
		if (le32(p + i) != SIG_END)
			continue;
		if (near == UINT64_MAX) {
			near = i;
			clen = le16(p + i + 20);
		}
		if (i + END_LEN + le16(p + i + 20) != tlen)
			continue;
		if (found != UINT64_MAX)
			return bad(err, z, "two end of central directory "
			    "records (offsets %llu and %llu)",
			    (unsigned long long)(z->size - tlen + i),
			    (unsigned long long)(z->size - tlen + found));
		found = i;
	}
	/*
	 * The JDK and libzip search backwards for the first end record
	 * that looks plausible, not for the one that ends the file: a
	 * second archive hidden in the comment would be what the JVM
	 * loads while every byte we checked stays signed.
	 */
	if (found != UINT64_MAX && (near != found ||
	    memmem(p + found + END_LEN, tlen - found - END_LEN, "PK\5\6", 4)
	    != NULL))
		return bad(err, z, "an end of central directory record in the "
		    "archive comment (offset %llu)",
		    (unsigned long long)(z->size - tlen + found));
	if (found != UINT64_MAX) {
		*end_off = z->size - tlen + found;
		return SBX_OK;
	}
	if (near == UINT64_MAX)
		return bad(err, z, "no end of central directory record");
	if (near + END_LEN + clen < tlen)
		return bad(err, z, "%llu bytes after the end of central "
		    "directory record", (unsigned long long)(tlen - near -
		    END_LEN - clen));
	return bad(err, z, "end record comment length %zu runs past the end "
	    "of the file", clen);
}

/* The classic end record alone: one disk, its values as they are. */
static int
end32(struct tail *t, uint64_t end_off, const unsigned char *end,
    const struct sbx_zip *z, struct sbx_err *err)
{
	if (le16(end + 4) != 0 || le16(end + 6) != 0 ||
	    le16(end + 8) != le16(end + 10))
		return bad(err, z, "multi-disk archives are not supported");
	t->count = le16(end + 10);
	t->cd_size = le32(end + 12);
	t->cd_off = le32(end + 16);
	t->cd_end = end_off;
	return SBX_OK;
}

static int
read_end(struct tail *t, struct sbx_zip *z, struct win *w,
    struct sbx_err *err)
{
	const unsigned char *p;
	unsigned char end[END_LEN];
	uint64_t end_off = 0;
	int rc, zip64 = 0;

	if ((rc = find_end(&end_off, z, w, err)) != SBX_OK)
		return rc;
	if ((rc = read_at(z, end, END_LEN, end_off, err)) != SBX_OK)
		return rc;
	z->comment_len = le16(end + 20);
	if ((z->comment = malloc(z->comment_len + 1)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "%s: out of memory",
		    z->name);
	rc = read_at(z, z->comment, z->comment_len, end_off + END_LEN, err);
	if (rc != SBX_OK)
		return rc;
	z->comment[z->comment_len] = '\0';

	if (end_off >= LOC64_LEN) {
		rc = win_get(&p, z, w, end_off - LOC64_LEN, 4, err);
		if (rc != SBX_OK)
			return rc;
		zip64 = le32(p) == SIG_LOC64;
	}
	if (zip64)
		rc = read_end64(t, z, w, end_off, end, err);
	else
		rc = end32(t, end_off, end, z, err);
	if (rc != SBX_OK)
		return rc;
	if (t->cd_off > t->cd_end || t->cd_end - t->cd_off != t->cd_size)
		return bad(err, z, "central directory at offset %llu of %llu "
		    "bytes does not end at offset %llu, where the end records "
		    "start", (unsigned long long)t->cd_off,
		    (unsigned long long)t->cd_size,
		    (unsigned long long)t->cd_end);
	return SBX_OK;
}

static int
cmp_name(const void *a, const void *b)
{
	const struct sbx_zip_entry *x = *(const struct sbx_zip_entry **)a;
	const struct sbx_zip_entry *y = *(const struct sbx_zip_entry **)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	if (c != 0)
		return c;
	return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* Names are unique byte for byte: two readers must not pick apart. */
static int
index_names(struct sbx_zip *z, struct sbx_err *err)
{
	size_t i;

	z->by_name = malloc((z->count ? z->count : 1) * sizeof(*z->by_name));
	if (z->by_name == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "%s: out of memory",
		    z->name);
	for (i = 0; i < z->count; i++)
		z->by_name[i] = &z->ents[i];
	qsort(z->by_name, z->count, sizeof(*z->by_name), cmp_name);
	for (i = 1; i < z->count; i++)
		if (cmp_name(&z->by_name[i - 1], &z->by_name[i]) == 0)
			return ebad(err, z, z->by_name[i],
			    "duplicate entry name");
	return SBX_OK;
}

/* Local sizes, resolved through a ZIP64 field; -1 when inconsistent. */
static int
local_sizes(uint64_t *us, uint64_t *cs, uint32_t us32, uint32_t cs32,
    const unsigned char *x, size_t n)
{
	size_t nsat = (us32 == MAGIC32) + (cs32 == MAGIC32);

	*us = us32;
	*cs = cs32;
	if (x == NULL)
		return nsat == 0 ? 0 : -1;
	/* APPNOTE 4.5.3: a local ZIP64 field holds both sizes. */
	if (n == 16) {
		if (us32 == MAGIC32)
			*us = le64(x);
		else if (le64(x) != us32)
			return -1;
		if (cs32 == MAGIC32)
			*cs = le64(x + 8);
		else if (le64(x + 8) != cs32)
			return -1;
		return 0;
	}
	if (n != 8 * nsat)
		return -1;
	if (us32 == MAGIC32) {
		*us = le64(x);
		x += 8;
	}
	if (cs32 == MAGIC32)
		*cs = le64(x);
	return 0;
}

/*
 * With a data descriptor the local header may leave CRC and sizes 0;
 * anything else must agree with the central directory.
 */
static int
local_values(const struct sbx_zip_entry *e, uint32_t crc, uint64_t cs,
    uint64_t us, const struct sbx_zip *z, struct sbx_err *err)
{
	int later = (e->flags & FLAG_DESCRIPTOR) != 0;

	if (crc != e->crc32 && !(later && crc == 0))
		return ebad(err, z, e, "local header CRC-32 %08x differs from "
		    "the central directory's %08x", crc, e->crc32);
	if (cs != e->csize && !(later && cs == 0))
		return ebad(err, z, e, "local header compressed size %llu "
		    "differs from the central directory's %llu",
		    (unsigned long long)cs, (unsigned long long)e->csize);
	if (us != e->usize && !(later && us == 0))
		return ebad(err, z, e, "local header size %llu differs from "
		    "the central directory's %llu", (unsigned long long)us,
		    (unsigned long long)e->usize);
	return SBX_OK;
}

/* Read e's local header and hold it against the central record. */
static int
check_local(struct sbx_zip_entry *e, struct sbx_zip *z, struct win *w,
    uint64_t cd_off, struct sbx_err *err)
{
	const unsigned char *h, *x;
	uint64_t us, cs, off = e->local_offset;
	size_t n, m, xn;
	int rc;

	if (cd_off - off < LOCAL_LEN)
		return ebad(err, z, e, "local header at offset %llu runs into "
		    "the central directory", (unsigned long long)off);
	if ((rc = win_get(&h, z, w, off, LOCAL_LEN, err)) != SBX_OK)
		return rc;
	if (le32(h) != SIG_LOCAL)
		return ebad(err, z, e, "no local header at offset %llu",
		    (unsigned long long)off);
	n = le16(h + 26);
	m = le16(h + 28);
	if (cd_off - off - LOCAL_LEN < n + m)
		return ebad(err, z, e, "local header at offset %llu runs into "
		    "the central directory", (unsigned long long)off);
	if ((rc = win_get(&h, z, w, off, LOCAL_LEN + n + m, err)) != SBX_OK)
		return rc;
	e->data_offset = off + LOCAL_LEN + n + m;

	if (n != e->name_len || memcmp(h + LOCAL_LEN, e->name, n) != 0)
		return ebad(err, z, e, "local header name differs from the "
		    "central directory");
	if (le16(h + 6) != e->flags)
		return ebad(err, z, e, "local header flags %04x differ from "
		    "the central directory's %04x", le16(h + 6), e->flags);
	if (le16(h + 8) != e->method)
		return ebad(err, z, e, "local header method %u differs from "
		    "the central directory's %u", le16(h + 8), e->method);
	if (extra_find(&x, &xn, h + LOCAL_LEN + n, m, ZIP64_ID) != 0)
		return ebad(err, z, e, "malformed local extra field");
	if (local_sizes(&us, &cs, le32(h + 22), le32(h + 18), x, xn) != 0)
		return ebad(err, z, e, "inconsistent local ZIP64 extra field");
	return local_values(e, le32(h + 14), cs, us, z, err);
}

/*
 * The data descriptor fills exactly the dlen bytes between the data and
 * the next entry: 12 or 16 bytes (with the optional signature), or 20 or
 * 24 with 64-bit sizes. Its values must match the central directory.
 */
static int
check_descriptor(const struct sbx_zip_entry *e, uint64_t dlen,
    struct sbx_zip *z, struct win *w, struct sbx_err *err)
{
	const unsigned char *p;
	uint64_t cs, us;
	int sig = dlen == 16 || dlen == 24, wide = dlen >= 20;
	int rc;

	if (dlen != 12 && dlen != 16 && dlen != 20 && dlen != 24)
		return ebad(err, z, e, "%llu bytes between its data and the "
		    "next entry are not a data descriptor",
		    (unsigned long long)dlen);
	/*
	 * JarInputStream reads what the JVM's JarFile does not: it refuses
	 * a STORED entry with a descriptor and reads 64-bit descriptor
	 * sizes only for ZIP64 entries. Where the two readers would part,
	 * the archive is refused.
	 */
	if (e->method == 0)
		return ebad(err, z, e, "a STORED entry with a data "
		    "descriptor, which streaming readers refuse");
	if (wide && e->csize < MAGIC32 && e->usize < MAGIC32)
		return ebad(err, z, e, "64-bit data descriptor on an entry "
		    "that is not ZIP64");
	rc = win_get(&p, z, w, e->data_offset + e->csize, (size_t)dlen, err);
	if (rc != SBX_OK)
		return rc;
	if (sig && le32(p) != SIG_DESC)
		return ebad(err, z, e, "data descriptor without its signature");
	p += sig ? 4 : 0;
	cs = wide ? le64(p + 4) : le32(p + 4);
	us = wide ? le64(p + 12) : le32(p + 8);
	if (le32(p) != e->crc32)
		return ebad(err, z, e, "data descriptor CRC-32 %08x differs "
		    "from the central directory's %08x", le32(p), e->crc32);
	if (cs != e->csize || us != e->usize)
		return ebad(err, z, e, "data descriptor sizes %llu/%llu differ "
		    "from the central directory's %llu/%llu",
		    (unsigned long long)cs, (unsigned long long)us,
		    (unsigned long long)e->csize,
		    (unsigned long long)e->usize);
	return SBX_OK;
}

/*
 * e's data (and descriptor) must end exactly where the next entry, or
 * the central directory, starts (nx NULL) at next.
 */
static int
check_span(struct sbx_zip_entry *e, const struct sbx_zip_entry *nx,
    uint64_t next, struct sbx_zip *z, struct win *w, struct sbx_err *err)
{
	char name[SHOW_LEN];
	uint64_t slack;

	if (e->data_offset > next || e->csize > next - e->data_offset) {
		if (nx == NULL)
			return ebad(err, z, e, "data runs into the central "
			    "directory at offset %llu",
			    (unsigned long long)next);
		return ebad(err, z, e, "overlaps entry %s at offset %llu",
		    show(name, nx->name, nx->name_len),
		    (unsigned long long)next);
	}
	slack = next - e->data_offset - e->csize;
	e->end_offset = next;
	if (e->flags & FLAG_DESCRIPTOR)
		return check_descriptor(e, slack, z, w, err);
	if (slack != 0)
		return ebad(err, z, e, "gap of %llu bytes after the entry",
		    (unsigned long long)slack);
	return SBX_OK;
}

struct span {
	uint64_t	 off;
	size_t		 i;
};

static int
cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* Entries back to back from offset 0 up to the central directory. */
static int
check_layout(struct sbx_zip *z, struct win *w, uint64_t cd_off,
    struct sbx_err *err)
{
	struct span *s;
	struct sbx_zip_entry *e, *nx;
	size_t k;
	int rc = SBX_OK;

	if (z->count == 0) {
		if (cd_off != 0)
			return bad(err, z, "%llu bytes before the central "
			    "directory of an empty archive",
			    (unsigned long long)cd_off);
		return SBX_OK;
	}
	for (k = 0; k < z->count; k++)
		if (z->ents[k].local_offset >= cd_off)
			return ebad(err, z, &z->ents[k], "local header offset "
			    "%llu points into the central directory",
			    (unsigned long long)z->ents[k].local_offset);

	if ((s = malloc(z->count * sizeof(*s))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "%s: out of memory",
		    z->name);
	for (k = 0; k < z->count; k++) {
		s[k].off = z->ents[k].local_offset;
		s[k].i = k;
	}
	qsort(s, z->count, sizeof(*s), cmp_span);
	if (s[0].off != 0)
		rc = bad(err, z, "%llu bytes before the first entry",
		    (unsigned long long)s[0].off);
	for (k = 0; rc == SBX_OK && k < z->count; k++) {
		e = &z->ents[s[k].i];
		nx = k + 1 < z->count ? &z->ents[s[k + 1].i] : NULL;
		if ((rc = check_local(e, z, w, cd_off, err)) != SBX_OK)
			break;
		rc = check_span(e, nx, nx ? nx->local_offset : cd_off, z, w,
		    err);
	}
	free(s);
	return rc;
}

static int
load(struct sbx_zip *z, struct sbx_err *err)
{
	struct win w = { 0 };
	struct tail t = { 0 };
	int rc;

	if ((rc = read_end(&t, z, &w, err)) != SBX_OK)
		goto done;
	if ((rc = read_central(z, &w, &t, err)) != SBX_OK)
		goto done;
	if ((rc = index_names(z, err)) != SBX_OK)
		goto done;
	rc = check_layout(z, &w, t.cd_off, err);
done:
	free(w.buf);
	return rc;
}

static int
zip_new(struct sbx_zip **out, const char *name, struct sbx_err *err)
{
	struct sbx_zip *z;

	*out = NULL;
	if ((z = calloc(1, sizeof(*z))) == NULL ||
	    (z->name = strdup(name != NULL ? name : "(archive)")) == NULL) {
		free(z);
		return sbx_err_set(err, SBX_ENOMEM, "%s: out of memory",
		    name != NULL ? name : "(archive)");
	}
	z->fd = -1;
	*out = z;
	return SBX_OK;
}

static int
open_common(struct sbx_zip **out, struct sbx_zip *z, struct sbx_err *err)
{
	int rc;

	if ((rc = load(z, err)) != SBX_OK) {
		sbx_zip_free(z);
		return rc;
	}
	*out = z;
	return SBX_OK;
}

int
sbx_zip_open(struct sbx_zip **out, const char *path, struct sbx_err *err)
{
	int fd, rc;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    strerror(errno));
	rc = sbx_zip_open_fd(out, fd, path, err);
	if (rc != SBX_OK) {
		close(fd);
		return rc;
	}
	(*out)->own_fd = 1;
	return SBX_OK;
}

int
sbx_zip_open_fd(struct sbx_zip **out, int fd, const char *name,
    struct sbx_err *err)
{
	struct sbx_zip *z;
	struct stat st;
	int rc;

	*out = NULL;
	if (fstat(fd, &st) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: %s", name,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return sbx_err_set(err, SBX_EIO, "%s: not a regular file",
		    name);
	if ((rc = zip_new(&z, name, err)) != SBX_OK)
		return rc;
	z->fd = fd;
	z->size = (uint64_t)st.st_size;
	return open_common(out, z, err);
}

int
sbx_zip_open_mem(struct sbx_zip **out, const void *buf, size_t len,
    const char *name, struct sbx_err *err)
{
	static const unsigned char empty[1];
	struct sbx_zip *z;
	int rc;

	*out = NULL;
	if ((rc = zip_new(&z, name, err)) != SBX_OK)
		return rc;
	z->mem = buf != NULL ? buf : empty;
	z->size = len;
	return open_common(out, z, err);
}

size_t
sbx_zip_count(const struct sbx_zip *z)
{
	return z->count;
}

const struct sbx_zip_entry *
sbx_zip_entry(const struct sbx_zip *z, size_t i)
{
	return i < z->count ? &z->ents[i] : NULL;
}

const struct sbx_zip_entry *
sbx_zip_find(const struct sbx_zip *z, const char *name)
{
	struct sbx_zip_entry key = { 0 };
	const struct sbx_zip_entry *kp = &key, **hit;

	key.name = name;
	key.name_len = strlen(name);
	hit = bsearch(&kp, z->by_name, z->count, sizeof(*z->by_name),
	    cmp_name);
	return hit != NULL ? *hit : NULL;
}

const unsigned char *
sbx_zip_comment(const struct sbx_zip *z, size_t *len)
{
	*len = z->comment_len;
	return z->comment;
}

uint64_t
sbx_zip_size(const struct sbx_zip *z)
{
	return z->size;
}

const char *
sbx_zip_name(const struct sbx_zip *z)
{
	return z->name;
}

/*
 * n bytes of input at off: a pointer into memory, or read into buf
 * (which holds n bytes) for a descriptor.
 */
static int
get_in(const unsigned char **p, const struct sbx_zip *z, unsigned char *buf,
    size_t n, uint64_t off, struct sbx_err *err)
{
	if (z->mem != NULL) {
		*p = z->mem + off;
		return SBX_OK;
	}
	*p = buf;
	return read_at(z, buf, n, off, err);
}

static int
crc_check(const struct sbx_zip_entry *e, uint32_t crc,
    const struct sbx_zip *z, struct sbx_err *err)
{
	if (crc != e->crc32)
		return ebad(err, z, e, "data CRC-32 %08x does not match the "
		    "header's %08x", crc, e->crc32);
	return SBX_OK;
}

static int
stream_stored(struct sbx_zip *z, const struct sbx_zip_entry *e,
    sbx_zip_sink sink, void *ctx, struct sbx_err *err)
{
	const unsigned char *p;
	unsigned char *buf = NULL;
	uint64_t left = e->csize, off = e->data_offset;
	uint32_t crc = 0;
	size_t n;
	int rc = SBX_OK;

	if (z->mem == NULL && left > 0 &&
	    (buf = malloc(left < CHUNK ? (size_t)left : CHUNK)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "%s: out of memory",
		    z->name);
	while (left > 0) {
		n = left < CHUNK ? (size_t)left : CHUNK;
		if ((rc = get_in(&p, z, buf, n, off, err)) != SBX_OK)
			break;
		crc = libdeflate_crc32(crc, p, n);
		if ((rc = sink(ctx, p, n)) != 0)
			break;
		left -= n;
		off += n;
	}
	if (rc == SBX_OK)
		rc = crc_check(e, crc, z, err);
	free(buf);
	return rc;
}

/*
 * Small entries: one read, one libdeflate call into a buffer of exactly
 * usize bytes; the stream must use exactly csize bytes and fill it.
 */
static int
inflate_whole(struct sbx_zip *z, const struct sbx_zip_entry *e,
    sbx_zip_sink sink, void *ctx, struct sbx_err *err)
{
	struct libdeflate_decompressor *d = NULL;
	enum libdeflate_result r;
	const unsigned char *in;
	unsigned char *buf;
	size_t cs = (size_t)e->csize, us = (size_t)e->usize, used, got;
	int rc;

	buf = malloc(us + (z->mem != NULL ? 0 : cs) + 1);
	if (buf == NULL || (d = libdeflate_alloc_decompressor()) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "%s: out of memory",
		    z->name);
		goto done;
	}
	if ((rc = get_in(&in, z, buf + us, cs, e->data_offset, err)) != 0)
		goto done;

	r = libdeflate_deflate_decompress_ex(d, in, cs, buf, us, &used, &got);
	if (r == LIBDEFLATE_INSUFFICIENT_SPACE)
		rc = ebad(err, z, e, "inflates to more than the %zu bytes the "
		    "header says", us);
	else if (r != LIBDEFLATE_SUCCESS)
		rc = ebad(err, z, e, "corrupt or truncated deflate stream");
	else if (used != cs)
		rc = ebad(err, z, e, "deflate stream ends %zu bytes before "
		    "the compressed size", cs - used);
	else if (got != us)
		rc = ebad(err, z, e, "inflates to %zu bytes, not the %zu the "
		    "header says", got, us);
	else
		rc = crc_check(e, libdeflate_crc32(0, buf, us), z, err);
	if (rc == SBX_OK && us > 0)
		rc = sink(ctx, buf, us);
done:
	libdeflate_free_decompressor(d);
	free(buf);
	return rc;
}

/* Hand out what one inflate() call produced, bounded by usize. */
static int
emit(uint64_t *total, uint32_t *crc, const unsigned char *p, size_t n,
    const struct sbx_zip_entry *e, sbx_zip_sink sink, void *ctx,
    const struct sbx_zip *z, struct sbx_err *err)
{
	if (n > e->usize - *total)
		return ebad(err, z, e, "inflates to more than the %llu bytes "
		    "the header says", (unsigned long long)e->usize);
	*total += n;
	*crc = libdeflate_crc32(*crc, p, n);
	return n > 0 ? sink(ctx, p, n) : SBX_OK;
}

/* One step of the zlib loop: feed input when needed, inflate, emit. */
static int
inflate_step(z_stream *s, int *zr, uint64_t *left, uint64_t *off,
    unsigned char *in, struct sbx_zip *z, struct sbx_err *err)
{
	const unsigned char *p;
	size_t n;
	int rc;

	if (s->avail_in == 0 && *left > 0) {
		n = *left < CHUNK ? (size_t)*left : CHUNK;
		if ((rc = get_in(&p, z, in, n, *off, err)) != SBX_OK)
			return rc;
		s->next_in = p;
		s->avail_in = (uInt)n;
		*left -= n;
		*off += n;
	}
	*zr = inflate(s, Z_NO_FLUSH);
	return SBX_OK;
}

/* Large entries: zlib in bounded chunks, checked as it goes. */
static int
inflate_chunks(struct sbx_zip *z, const struct sbx_zip_entry *e,
    sbx_zip_sink sink, void *ctx, struct sbx_err *err)
{
	z_stream s = { 0 };
	unsigned char *buf;
	uint64_t left = e->csize, off = e->data_offset, total = 0;
	uint32_t crc = 0;
	int rc = SBX_OK, zr = Z_OK;

	if ((buf = malloc(2 * CHUNK)) == NULL ||
	    inflateInit2(&s, -MAX_WBITS) != Z_OK) {
		free(buf);
		return sbx_err_set(err, SBX_ENOMEM, "%s: out of memory",
		    z->name);
	}
	while (rc == SBX_OK && zr != Z_STREAM_END) {
		s.next_out = buf + CHUNK;
		s.avail_out = CHUNK;
		rc = inflate_step(&s, &zr, &left, &off, buf, z, err);
		if (rc != SBX_OK)
			break;
		if (zr == Z_MEM_ERROR)
			rc = sbx_err_set(err, SBX_ENOMEM, "%s: out of memory",
			    z->name);
		else if (zr == Z_BUF_ERROR && s.avail_in == 0 && left == 0)
			rc = ebad(err, z, e, "truncated deflate stream");
		else if (zr != Z_OK && zr != Z_STREAM_END)
			rc = ebad(err, z, e, "corrupt deflate stream (%s)",
			    s.msg != NULL ? s.msg : "no progress");
		else
			rc = emit(&total, &crc, buf + CHUNK,
			    CHUNK - s.avail_out, e, sink, ctx, z, err);
	}
	if (rc == SBX_OK && (s.avail_in > 0 || left > 0))
		rc = ebad(err, z, e, "deflate stream ends %llu bytes before "
		    "the compressed size", (unsigned long long)(left +
		    s.avail_in));
	else if (rc == SBX_OK && total != e->usize)
		rc = ebad(err, z, e, "inflates to %llu bytes, not the %llu "
		    "the header says", (unsigned long long)total,
		    (unsigned long long)e->usize);
	else if (rc == SBX_OK)
		rc = crc_check(e, crc, z, err);
	inflateEnd(&s);
	free(buf);
	return rc;
}

int
sbx_zip_stream(struct sbx_zip *z, const struct sbx_zip_entry *e,
    sbx_zip_sink sink, void *ctx, struct sbx_err *err)
{
	assert(e >= z->ents && e < z->ents + z->count);

	if (e->method == METHOD_STORED)
		return stream_stored(z, e, sink, ctx, err);
	if (e->csize < SBX_ZIP_SMALL_MAX && e->usize < SBX_ZIP_SMALL_MAX)
		return inflate_whole(z, e, sink, ctx, err);
	return inflate_chunks(z, e, sink, ctx, err);
}

struct fill {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
};

static int
fill_sink(void *ctx, const unsigned char *buf, size_t n)
{
	struct fill *f = ctx;

	if (n > f->cap - f->len)
		return SBX_EINTERNAL;
	memcpy(f->p + f->len, buf, n);
	f->len += n;
	return SBX_OK;
}

int
sbx_zip_read(unsigned char **out, size_t *len_out, struct sbx_zip *z,
    const struct sbx_zip_entry *e, size_t max, struct sbx_err *err)
{
	struct fill f = { 0 };
	int rc;

	*out = NULL;
	*len_out = 0;
	if (e->usize > max || e->usize >= SIZE_MAX)
		return ebad(err, z, e, "%llu bytes, more than the %zu allowed",
		    (unsigned long long)e->usize, max);
	f.cap = (size_t)e->usize;
	if ((f.p = malloc(f.cap + 1)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "%s: out of memory",
		    z->name);
	if ((rc = sbx_zip_stream(z, e, fill_sink, &f, err)) != SBX_OK) {
		free(f.p);
		return rc;
	}
	f.p[f.len] = '\0';
	*out = f.p;
	*len_out = f.len;
	return SBX_OK;
}

int
sbx_zip_stream_raw(struct sbx_zip *z, const struct sbx_zip_entry *e,
    sbx_zip_sink sink, void *ctx, struct sbx_err *err)
{
	const unsigned char *p;
	unsigned char *buf = NULL;
	uint64_t left = e->csize, off = e->data_offset;
	size_t n;
	int rc = SBX_OK;

	assert(e >= z->ents && e < z->ents + z->count);
	if (z->mem == NULL && left > 0 &&
	    (buf = malloc(left < CHUNK ? (size_t)left : CHUNK)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "%s: out of memory",
		    z->name);
	while (rc == SBX_OK && left > 0) {
		n = left < CHUNK ? (size_t)left : CHUNK;
		if ((rc = get_in(&p, z, buf, n, off, err)) == SBX_OK)
			rc = sink(ctx, p, n);
		left -= n;
		off += n;
	}
	free(buf);
	return rc;
}

int
sbx_zip_local_extra(struct sbx_buf *out, struct sbx_zip *z,
    const struct sbx_zip_entry *e, struct sbx_err *err)
{
	uint64_t off = e->local_offset + LOCAL_LEN + e->name_len;
	unsigned char *at;
	int rc;

	assert(e >= z->ents && e < z->ents + z->count);
	if ((rc = sbx_buf_extend(out, (size_t)(e->data_offset - off), &at,
	    err)) != SBX_OK)
		return rc;
	return read_at(z, at, (size_t)(e->data_offset - off), off, err);
}

void
sbx_zip_free(struct sbx_zip *z)
{
	if (z == NULL)
		return;
	if (z->own_fd && z->fd != -1)
		close(z->fd);
	free(z->ents);
	free(z->by_name);
	free(z->strings);
	free(z->comment);
	free(z->name);
	free(z);
}

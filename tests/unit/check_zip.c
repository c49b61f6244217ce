/* tests/unit/check_zip.c: the strict zip reader and writer, hostile input. */
/* SPDX-License-Identifier: ISC */
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <libdeflate.h>
#include <zlib.h>

#include <sbx/buf.h>
#include <sbx/zip.h>

#define SIG_END		0x06054b50u
#define SIG_DESC	0x08074b50u
#define SIG_LOC64	0x07064b50u
#define SIG_END64	0x06064b50u

/* Field offsets in local headers (L_) and central records (C_). */
#define L_FLAGS		6
#define L_METHOD	8
#define L_CRC		14
#define L_CSIZE		18
#define L_USIZE		22
#define C_FLAGS		8
#define C_METHOD	10
#define C_CRC		16
#define C_CSIZE		20
#define C_USIZE		24
#define C_OFFSET	42

#define JAVA_DIR	"/usr/share/java"
#define JACOCO_ANT	JAVA_DIR "/org.jacoco.ant.jar"
#define BIG_LEN		(2u << 20)	/* over the libdeflate threshold */

/* 2023-11-14 22:13:20 UTC in MS-DOS form. */
#define T_TIME		45482
#define T_DATE		22382

/* ---- bytes ---- */

static uint32_t
g16(const unsigned char *p)
{
	return (uint32_t)(p[0] | p[1] << 8);
}

static uint32_t
g32(const unsigned char *p)
{
	return g16(p) | g16(p + 2) << 16;
}

static void
p16(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
p32(unsigned char *p, uint32_t v)
{
	p16(p, v & 0xffff);
	p16(p + 2, v >> 16);
}

static void
p64(unsigned char *p, uint64_t v)
{
	p32(p, (uint32_t)v);
	p32(p + 4, (uint32_t)(v >> 32));
}

/* Text that deflates well, different for each seed. */
static void
text(unsigned char *p, size_t n, unsigned seed)
{
	char line[64];
	size_t k, i = 0;
	unsigned l = 0;

	while (i < n) {
		k = (size_t)snprintf(line, sizeof(line), "%08u line %u of "
		    "seed %u: the quick brown fox\n", l * 7919 % 100003, l,
		    seed);
		k = k < n - i ? k : n - i;
		memcpy(p + i, line, k);
		i += k;
		l++;
	}
}

/* Bytes that do not deflate. */
static void
noise(unsigned char *p, size_t n, uint32_t seed)
{
	while (n-- > 0) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		*p++ = (unsigned char)(seed >> 7);
	}
}

/* ---- building archives with the writer ---- */

typedef void (*fill_fn)(struct sbx_zip_writer *w, void *ctx);

static void
slurp(struct sbx_buf *out, int fd)
{
	struct stat st;
	unsigned char *at;

	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(sbx_buf_extend(out, (size_t)st.st_size, &at, NULL),
	    SBX_OK);
	ck_assert_int_eq(pread(fd, at, (size_t)st.st_size, 0), st.st_size);
}

static void
write_zip(struct sbx_buf *out, fill_fn fill, void *ctx, const char *comment)
{
	struct sbx_zip_writer *w;
	struct sbx_err err = { 0 };
	int fd;

	ck_assert_int_ge(fd = memfd_create("zip", 0), 0);
	ck_assert_int_eq(sbx_zip_writer_new(&w, fd, "out.zip", &err), SBX_OK);
	fill(w, ctx);
	ck_assert_msg(sbx_zip_writer_finish(w, comment, comment ?
	    strlen(comment) : 0, &err) == SBX_OK, "%s", err.msg);
	sbx_zip_writer_free(w);
	slurp(out, fd);
	close(fd);
}

static void
add(struct sbx_zip_writer *w, const char *name, const void *data, size_t n)
{
	struct sbx_err err = { 0 };

	ck_assert_msg(sbx_zip_writer_add(w, name, data, n, T_TIME, T_DATE,
	    &err) == SBX_OK, "%s", err.msg);
}

static void
fill_none(struct sbx_zip_writer *w, void *ctx)
{
}

/* a.txt (deflated), b.bin (stored), c/ (directory). */
static void
fill_small(struct sbx_zip_writer *w, void *ctx)
{
	unsigned char a[4096], b[64];

	text(a, sizeof(a), 1);
	noise(b, sizeof(b), 2);
	add(w, "a.txt", a, sizeof(a));
	add(w, "b.bin", b, sizeof(b));
	add(w, "c/", NULL, 0);
}

/* big.txt, inflated through zlib in chunks, then b.bin and c/. */
static void
fill_big(struct sbx_zip_writer *w, void *ctx)
{
	unsigned char *big = malloc(BIG_LEN);

	ck_assert_ptr_nonnull(big);
	text(big, BIG_LEN, 3);
	add(w, "big.txt", big, BIG_LEN);
	free(big);
	fill_small(w, ctx);
}

static void
open_buf(struct sbx_zip **z, const struct sbx_buf *b)
{
	struct sbx_err err = { 0 };

	ck_assert_msg(sbx_zip_open_mem(z, b->p, b->len, "test.zip", &err) ==
	    SBX_OK, "%s", err.msg);
}

static int
discard(void *ctx, const unsigned char *buf, size_t n)
{
	return SBX_OK;
}

static int
collect(void *ctx, const unsigned char *buf, size_t n)
{
	return sbx_buf_add(ctx, buf, n, NULL);
}

/* Stream every entry; the first failure's code, err filled. */
static int
stream_all(struct sbx_zip *z, struct sbx_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < sbx_zip_count(z); i++) {
		rc = sbx_zip_stream(z, sbx_zip_entry(z, i), discard, NULL, err);
		if (rc != SBX_OK)
			return rc;
	}
	return SBX_OK;
}

static void
save(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

static void
run(const char *cmd, char *out, size_t n)
{
	FILE *p = popen(cmd, "r");
	size_t got;

	ck_assert_ptr_nonnull(p);
	got = fread(out, 1, n - 1, p);
	out[got] = '\0';
	ck_assert_msg(pclose(p) == 0, "%s: %s", cmd, out);
}

/*
 * Files for other programs go in one folder per test case, made and
 * removed by the parent process, so a failing test leaves nothing.
 */
static char tmpdir[] = "/tmp/check_zip.XXXXXX";

static void
tmp_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
tmp_teardown(void)
{
	struct dirent *d;
	DIR *dir;

	if ((dir = opendir(tmpdir)) == NULL)
		return;
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.')
			unlinkat(dirfd(dir), d->d_name, 0);
	closedir(dir);
	rmdir(tmpdir);
}

static const char *
tmp_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir, name);
	return buf;
}

/* ---- byte surgery on a built archive ---- */

static size_t
end_at(const struct sbx_buf *b)
{
	size_t i = b->len - 22;

	while (g32(b->p + i) != SIG_END)
		i--;
	return i;
}

static size_t
cd_at(const struct sbx_buf *b, size_t k)
{
	size_t r = g32(b->p + end_at(b) + 16);

	while (k-- > 0)
		r += 46 + g16(b->p + r + 28) + g16(b->p + r + 30) +
		    g16(b->p + r + 32);
	return r;
}

static size_t
lh_at(const struct sbx_buf *b, size_t k)
{
	return g32(b->p + cd_at(b, k) + C_OFFSET);
}

static size_t
data_end(const struct sbx_buf *b, size_t k)
{
	size_t l = lh_at(b, k);

	return l + 30 + g16(b->p + l + 26) + g16(b->p + l + 28) +
	    g32(b->p + cd_at(b, k) + C_CSIZE);
}

/* Set a 32-bit field of entry k in both its headers. */
static void
both32(struct sbx_buf *b, size_t k, size_t loff, size_t coff, uint32_t v)
{
	p32(b->p + lh_at(b, k) + loff, v);
	p32(b->p + cd_at(b, k) + coff, v);
}

static void
both16(struct sbx_buf *b, size_t k, size_t loff, size_t coff, uint32_t v)
{
	p16(b->p + lh_at(b, k) + loff, v);
	p16(b->p + cd_at(b, k) + coff, v);
}

static uint32_t
cd32(const struct sbx_buf *b, size_t k, size_t coff)
{
	return g32(b->p + cd_at(b, k) + coff);
}

/*
 * Replace del bytes at pos with n bytes of ins, then fix the central
 * directory's offset and size and every local offset at or after pos,
 * so that only the intended damage remains. At the central directory's
 * first byte, bytes go before it; at its last, into it.
 */
static void
graft(struct sbx_buf *b, size_t pos, size_t del, const void *ins,
    size_t n)
{
	size_t e = end_at(b), old = b->len, k, r;
	size_t cd = g32(b->p + e + 16), cs = g32(b->p + e + 12);
	size_t count = g16(b->p + e + 10), d = n - del;
	unsigned char *at;

	if (n > del)
		ck_assert_int_eq(sbx_buf_extend(b, n - del, &at, NULL), 0);
	memmove(b->p + pos + n, b->p + pos + del, old - pos - del);
	if (n > 0)
		memcpy(b->p + pos, ins, n);
	b->len = old + d;
	e += d;
	if (cd >= pos) {
		p32(b->p + e + 16, (uint32_t)(cd + d));
		for (k = 0, r = cd + d; k < count; k++) {
			if (g32(b->p + r + C_OFFSET) >= pos)
				p32(b->p + r + C_OFFSET, (uint32_t)
				    (g32(b->p + r + C_OFFSET) + d));
			r += 46 + g16(b->p + r + 28) + g16(b->p + r + 30) +
			    g16(b->p + r + 32);
		}
	} else if (pos <= cd + cs) {
		p32(b->p + e + 12, (uint32_t)(cs + d));
	}
}

/* Defer entry k's CRC and sizes to a data descriptor of len bytes. */
static void
to_desc(struct sbx_buf *b, size_t k, size_t len)
{
	unsigned char d[24];
	size_t o = (len == 16 || len == 24) ? 4 : 0, l = lh_at(b, k);

	p32(d, SIG_DESC);
	p32(d + o, cd32(b, k, C_CRC));
	if (len >= 20) {
		p64(d + o + 4, cd32(b, k, C_CSIZE));
		p64(d + o + 12, cd32(b, k, C_USIZE));
	} else {
		p32(d + o + 4, cd32(b, k, C_CSIZE));
		p32(d + o + 8, cd32(b, k, C_USIZE));
	}
	both16(b, k, L_FLAGS, C_FLAGS, g16(b->p + l + L_FLAGS) | 8);
	p32(b->p + l + L_CRC, 0);
	p32(b->p + l + L_CSIZE, 0);
	p32(b->p + l + L_USIZE, 0);
	graft(b, data_end(b, k), 0, d, len);
}

/* ---- the hostile archives: one mutation each ---- */

static void
m_prefix(struct sbx_buf *b, size_t k)
{
	graft(b, 0, 0, "JUNK", 4);
}

static void
m_trailing(struct sbx_buf *b, size_t k)
{
	ck_assert_int_eq(sbx_buf_add(b, "JUNK", 4, NULL), SBX_OK);
}

static void
m_gap(struct sbx_buf *b, size_t k)
{
	graft(b, lh_at(b, k + 1), 0, "JUNK", 4);
}

static void
m_gap_before_cd(struct sbx_buf *b, size_t k)
{
	graft(b, cd_at(b, 0), 0, "JUNK", 4);
}

/* Entry k's data swallows the next entry whole: two views of it. */
static void
m_overlap(struct sbx_buf *b, size_t k)
{
	uint32_t grow = (uint32_t)(lh_at(b, k + 2) - lh_at(b, k + 1));

	both32(b, k, L_CSIZE, C_CSIZE, cd32(b, k, C_CSIZE) + grow);
}

/* A second central record for entry k's local header and data. */
static void
m_shared(struct sbx_buf *b, size_t k)
{
	unsigned char rec[128];
	size_t r = cd_at(b, k), len = cd_at(b, k + 1) - r, e;

	ck_assert_uint_le(len, sizeof(rec));
	memcpy(rec, b->p + r, len);
	rec[46] = 'z';
	graft(b, cd_at(b, 1), 0, rec, len);
	e = end_at(b);
	p16(b->p + e + 8, g16(b->p + e + 8) + 1);
	p16(b->p + e + 10, g16(b->p + e + 10) + 1);
}

static void
m_dup_name(struct sbx_buf *b, size_t k)
{
	memcpy(b->p + lh_at(b, k) + 30, "a.txt", 5);
	memcpy(b->p + cd_at(b, k) + 46, "a.txt", 5);
}

static void
m_name_differs(struct sbx_buf *b, size_t k)
{
	b->p[lh_at(b, k) + 30] ^= 0x20;
}

static void
m_nul_name(struct sbx_buf *b, size_t k)
{
	b->p[lh_at(b, k) + 31] = '\0';
	b->p[cd_at(b, k) + 47] = '\0';
}

static void
m_empty_name(struct sbx_buf *b, size_t k)
{
	size_t r = cd_at(b, k), n = g16(b->p + r + 28);

	p16(b->p + r + 28, 0);
	graft(b, r + 46, n, NULL, 0);
}

static void
m_local_crc(struct sbx_buf *b, size_t k)
{
	b->p[lh_at(b, k) + L_CRC] ^= 1;
}

static void
m_local_flags(struct sbx_buf *b, size_t k)
{
	b->p[lh_at(b, k) + L_FLAGS] |= 2;
}

static void
m_no_local(struct sbx_buf *b, size_t k)
{
	b->p[lh_at(b, k)] = 'Q';
}

static void
m_count(struct sbx_buf *b, size_t k)
{
	size_t e = end_at(b);

	p16(b->p + e + 8, g16(b->p + e + 8) - 1);
	p16(b->p + e + 10, g16(b->p + e + 10) - 1);
}

static void
m_cd_offset(struct sbx_buf *b, size_t k)
{
	size_t e = end_at(b);

	p32(b->p + e + 16, g32(b->p + e + 16) - 1);
}

static void
m_multidisk(struct sbx_buf *b, size_t k)
{
	p16(b->p + end_at(b) + 4, 1);
}

static void
m_comment_lie(struct sbx_buf *b, size_t k)
{
	p16(b->p + end_at(b) + 20, 5);
}

/* The real end record's comment is a second end record. */
static void
m_two_ends(struct sbx_buf *b, size_t k)
{
	unsigned char fake[22];
	size_t e = end_at(b);

	memcpy(fake, b->p + e, sizeof(fake));
	p16(b->p + e + 20, sizeof(fake));
	ck_assert_int_eq(sbx_buf_add(b, fake, sizeof(fake), NULL), SBX_OK);
}

static void
m_half(struct sbx_buf *b, size_t k)
{
	b->len /= 2;
}

static void
m_into_cd(struct sbx_buf *b, size_t k)
{
	p32(b->p + cd_at(b, k) + C_OFFSET, g32(b->p + end_at(b) + 16));
}

static void
m_encrypted(struct sbx_buf *b, size_t k)
{
	both16(b, k, L_FLAGS, C_FLAGS, cd32(b, k, C_FLAGS) | 1);
}

static void
m_aes(struct sbx_buf *b, size_t k)
{
	both16(b, k, L_METHOD, C_METHOD, 99);
}

static void
m_method(struct sbx_buf *b, size_t k)
{
	both16(b, k, L_METHOD, C_METHOD, 12);
}

static void
m_usize_more(struct sbx_buf *b, size_t k)
{
	both32(b, k, L_USIZE, C_USIZE, cd32(b, k, C_USIZE) + 1);
}

static void
m_usize_less(struct sbx_buf *b, size_t k)
{
	both32(b, k, L_USIZE, C_USIZE, cd32(b, k, C_USIZE) - 1);
}

static void
m_crc_lie(struct sbx_buf *b, size_t k)
{
	both32(b, k, L_CRC, C_CRC, cd32(b, k, C_CRC) ^ 0x80);
}

static void
m_truncated(struct sbx_buf *b, size_t k)
{
	uint32_t cs = cd32(b, k, C_CSIZE);

	graft(b, data_end(b, k) - 1, 1, NULL, 0);
	both32(b, k, L_CSIZE, C_CSIZE, cs - 1);
}

static void
m_extra_bytes(struct sbx_buf *b, size_t k)
{
	uint32_t cs = cd32(b, k, C_CSIZE);

	graft(b, data_end(b, k), 0, "", 1);
	both32(b, k, L_CSIZE, C_CSIZE, cs + 1);
}

static void
m_zip64_missing(struct sbx_buf *b, size_t k)
{
	p32(b->p + cd_at(b, k) + C_USIZE, 0xffffffff);
}

static void
m_local_zip64_missing(struct sbx_buf *b, size_t k)
{
	p32(b->p + lh_at(b, k) + L_USIZE, 0xffffffff);
}

/* A central ZIP64 field of 16 bytes where one value is saturated. */
static void
m_zip64_length(struct sbx_buf *b, size_t k)
{
	unsigned char x[20];
	size_t r = cd_at(b, k), n = g16(b->p + r + 28);

	p16(x, 1);
	p16(x + 2, 16);
	p64(x + 4, cd32(b, k, C_USIZE));
	p64(x + 12, cd32(b, k, C_CSIZE));
	p32(b->p + r + C_USIZE, 0xffffffff);
	p16(b->p + r + 30, sizeof(x));
	graft(b, r + 46 + n, 0, x, sizeof(x));
}

static void
m_bad_extra(struct sbx_buf *b, size_t k)
{
	size_t r = cd_at(b, k), n = g16(b->p + r + 28);

	p16(b->p + r + 30, 3);
	graft(b, r + 46 + n, 0, "\1\2\3", 3);
}

static void
m_stored_size(struct sbx_buf *b, size_t k)
{
	both32(b, k, L_USIZE, C_USIZE, cd32(b, k, C_USIZE) + 1);
}

static void
m_dir_data(struct sbx_buf *b, size_t k)
{
	both32(b, k, L_USIZE, C_USIZE, 1);
}

static void
m_desc_crc(struct sbx_buf *b, size_t k)
{
	to_desc(b, k, 16);
	b->p[data_end(b, k) + 4] ^= 1;
}

static void
m_desc_size(struct sbx_buf *b, size_t k)
{
	to_desc(b, k, 16);
	b->p[data_end(b, k) + 8] ^= 1;
}

static void
m_desc_nosig(struct sbx_buf *b, size_t k)
{
	to_desc(b, k, 16);
	b->p[data_end(b, k)] = 'Q';
}

static void
m_desc_junk(struct sbx_buf *b, size_t k)
{
	to_desc(b, k, 12);
	graft(b, data_end(b, k) + 12, 0, "J", 1);
}

enum base { SMALL, BIG };

struct hostile {
	const char	*why;
	enum base	 base;
	size_t		 k;		/* the entry mutated */
	void		(*mutate)(struct sbx_buf *, size_t);
	int		 at_stream;	/* opens, then fails to inflate */
	const char	*msg;
};

static const struct hostile hostile[] = {
	{ "bytes hidden before the first entry", SMALL, 0, m_prefix, 0,
	    "4 bytes before the first entry" },
	{ "bytes hidden after the end record", SMALL, 0, m_trailing, 0,
	    "4 bytes after the end of central directory record" },
	{ "bytes hidden between two entries", SMALL, 0, m_gap, 0,
	    "a.txt: gap of 4 bytes after the entry" },
	{ "bytes hidden before the central directory", SMALL, 0,
	    m_gap_before_cd, 0, "c/: gap of 4 bytes after the entry" },
	{ "an entry's data covers the next entry", SMALL, 0, m_overlap, 0,
	    "a.txt: overlaps entry b.bin at offset" },
	{ "two records share one local header", SMALL, 0, m_shared, 0,
	    "a.txt: overlaps entry z.txt at offset 0" },
	{ "two entries with the same name", SMALL, 1, m_dup_name, 0,
	    "a.txt: duplicate entry name" },
	{ "local name differs from the central one", SMALL, 0,
	    m_name_differs, 0,
	    "a.txt: local header name differs from the central directory" },
	{ "name with a NUL byte", SMALL, 1, m_nul_name, 0,
	    "b\\x00bin: name contains a NUL byte" },
	{ "empty name", SMALL, 2, m_empty_name, 0, ": empty entry name" },
	{ "local CRC differs from the central one", SMALL, 0, m_local_crc, 0,
	    "a.txt: local header CRC-32" },
	{ "local flags differ from the central ones", SMALL, 0,
	    m_local_flags, 0, "a.txt: local header flags 0002 differ" },
	{ "central record points at no local header", SMALL, 1, m_no_local,
	    0, "b.bin: no local header at offset" },
	{ "end record undercounts the entries", SMALL, 0, m_count, 0,
	    "left after the 2 records the end record announces" },
	{ "end record misplaces the central directory", SMALL, 0,
	    m_cd_offset, 0, "does not end at offset" },
	{ "multi-disk archive", SMALL, 0, m_multidisk, 0,
	    "multi-disk archives are not supported" },
	{ "end record comment length lies", SMALL, 0, m_comment_lie, 0,
	    "end record comment length 5 runs past the end of the file" },
	{ "two end records both end the file", SMALL, 0, m_two_ends, 0,
	    "two end of central directory records" },
	{ "truncated file", SMALL, 0, m_half, 0,
	    "no end of central directory record" },
	{ "entry offset points into the central directory", SMALL, 1,
	    m_into_cd, 0, "b.bin: local header offset" },
	{ "encrypted entry", SMALL, 0, m_encrypted, 0,
	    "a.txt: encrypted entries are not supported" },
	{ "AES-encrypted entry (method 99)", SMALL, 0, m_aes, 0,
	    "a.txt: encrypted entries are not supported" },
	{ "unknown compression method", SMALL, 0, m_method, 0,
	    "a.txt: compression method 12 is neither STORED nor DEFLATE" },
	{ "STORED entry whose sizes differ", SMALL, 1, m_stored_size, 0,
	    "b.bin: STORED entry with compressed size 64 and size 65" },
	{ "directory with data", SMALL, 2, m_dir_data, 0,
	    "c/: directory entry with 1 bytes of data" },
	{ "saturated size without a ZIP64 field", SMALL, 0, m_zip64_missing,
	    0, "ZIP64 extra field of 0 bytes where the saturated fields "
	    "need 8" },
	{ "ZIP64 field longer than the saturated fields", SMALL, 0,
	    m_zip64_length, 0, "ZIP64 extra field of 16 bytes where the "
	    "saturated fields need 8" },
	{ "saturated local size without a ZIP64 field", SMALL, 0,
	    m_local_zip64_missing, 0, "inconsistent local ZIP64 extra field" },
	{ "central extra field with a torn record", SMALL, 0, m_bad_extra, 0,
	    "a.txt: malformed central extra field" },
	{ "data descriptor CRC differs", SMALL, 0, m_desc_crc, 0,
	    "a.txt: data descriptor CRC-32" },
	{ "data descriptor size differs", SMALL, 0, m_desc_size, 0,
	    "a.txt: data descriptor sizes" },
	{ "16-byte data descriptor without signature", SMALL, 0,
	    m_desc_nosig, 0, "data descriptor without its signature" },
	{ "junk after a data descriptor", SMALL, 0, m_desc_junk, 0,
	    "13 bytes between its data and the next entry are not a data "
	    "descriptor" },
	{ "truncated deflate stream (libdeflate)", SMALL, 0, m_truncated, 1,
	    "a.txt: corrupt or truncated deflate stream" },
	{ "truncated deflate stream (zlib)", BIG, 0, m_truncated, 1,
	    "big.txt: truncated deflate stream" },
	{ "bytes after the deflate stream (libdeflate)", SMALL, 0,
	    m_extra_bytes, 1,
	    "a.txt: deflate stream ends 1 bytes before the compressed size" },
	{ "bytes after the deflate stream (zlib)", BIG, 0, m_extra_bytes, 1,
	    "big.txt: deflate stream ends 1 bytes before the compressed "
	    "size" },
	{ "size claims one byte more (libdeflate)", SMALL, 0, m_usize_more,
	    1, "a.txt: inflates to 4096 bytes, not the 4097" },
	{ "size claims one byte more (zlib)", BIG, 0, m_usize_more, 1,
	    "big.txt: inflates to 2097152 bytes, not the 2097153" },
	{ "size claims one byte less (libdeflate)", SMALL, 0, m_usize_less,
	    1, "a.txt: inflates to more than the 4095 bytes" },
	{ "size claims one byte less (zlib)", BIG, 0, m_usize_less, 1,
	    "big.txt: inflates to more than the 2097151 bytes" },
	{ "CRC lie (libdeflate)", SMALL, 0, m_crc_lie, 1,
	    "a.txt: data CRC-32" },
	{ "CRC lie (zlib)", BIG, 0, m_crc_lie, 1, "big.txt: data CRC-32" },
	{ "CRC lie (stored)", SMALL, 1, m_crc_lie, 1, "b.bin: data CRC-32" },
};

static void
build_base(struct sbx_buf *out, enum base base)
{
	write_zip(out, base == SMALL ? fill_small : fill_big, NULL, NULL);
}

START_TEST(hostile_archive_is_rejected)
{
	const struct hostile *h = &hostile[_i];
	struct sbx_buf b = { 0 };
	struct sbx_err err = { 0 };
	struct sbx_zip *z = NULL;
	int rc;

	build_base(&b, h->base);
	h->mutate(&b, h->k);

	rc = sbx_zip_open_mem(&z, b.p, b.len, "hostile.zip", &err);
	if (h->at_stream) {
		ck_assert_msg(rc == SBX_OK, "%s: open: %s", h->why, err.msg);
		rc = stream_all(z, &err);
	}
	ck_assert_msg(rc == SBX_EREJECT, "%s: rc %d", h->why, rc);
	ck_assert_int_eq(err.violation, SBX_V_MALFORMED_ARCHIVE);
	ck_assert_msg(strncmp(err.msg, "hostile.zip: ", 13) == 0 &&
	    strstr(err.msg, h->msg) != NULL, "%s: got \"%s\", want \"%s\"",
	    h->why, err.msg, h->msg);
	sbx_zip_free(z);
	sbx_buf_free(&b);
}
END_TEST

/* The untouched bases pass, so each rejection is the mutation's. */
START_TEST(hostile_bases_are_accepted)
{
	struct sbx_buf b = { 0 };
	struct sbx_err err = { 0 };
	struct sbx_zip *z;

	build_base(&b, _i == 0 ? SMALL : BIG);
	open_buf(&z, &b);
	ck_assert_msg(stream_all(z, &err) == SBX_OK, "%s", err.msg);
	ck_assert_uint_eq(sbx_zip_count(z), _i == 0 ? 3 : 4);
	sbx_zip_free(z);
	sbx_buf_free(&b);
}
END_TEST

/* The descriptor forms streaming readers take: 12 or 16 bytes. */
START_TEST(data_descriptors_are_accepted)
{
	static const size_t lens[] = { 12, 16 };
	struct sbx_buf b = { 0 };
	struct sbx_err err = { 0 };
	const struct sbx_zip_entry *e;
	struct sbx_zip *z;

	build_base(&b, SMALL);
	to_desc(&b, 0, lens[_i]);
	open_buf(&z, &b);
	ck_assert_msg(stream_all(z, &err) == SBX_OK, "%s", err.msg);
	e = sbx_zip_find(z, "a.txt");
	ck_assert_uint_eq(e->flags & 8, 8);
	ck_assert_uint_eq(e->end_offset, e->data_offset + e->csize + lens[_i]);
	ck_assert_uint_eq(e->end_offset,
	    sbx_zip_find(z, "b.bin")->local_offset);
	sbx_zip_free(z);
	sbx_buf_free(&b);
}
END_TEST

/*
 * What JarInputStream refuses, though JarFile reads it: a STORED entry
 * with a descriptor, and 64-bit descriptor sizes on an entry that is
 * not ZIP64. The two readers would disagree, so the archive is refused.
 */
static const struct {
	int		 entry;		/* 0 a.txt deflated, 1 b.bin stored */
	size_t		 len;
	const char	*msg;
} bad_desc[] = {
	{ 1, 12, "b.bin: a STORED entry with a data descriptor" },
	{ 1, 16, "b.bin: a STORED entry with a data descriptor" },
	{ 0, 20, "a.txt: 64-bit data descriptor on an entry that is not" },
	{ 0, 24, "a.txt: 64-bit data descriptor on an entry that is not" },
};

START_TEST(data_descriptors_streaming_readers_refuse_are_rejected)
{
	struct sbx_buf b = { 0 };
	struct sbx_err err = { 0 };
	struct sbx_zip *z = NULL;

	build_base(&b, SMALL);
	to_desc(&b, bad_desc[_i].entry, bad_desc[_i].len);
	ck_assert_int_eq(sbx_zip_open_mem(&z, b.p, b.len, "test.zip", &err),
	    SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_MALFORMED_ARCHIVE);
	ck_assert_msg(strstr(err.msg, bad_desc[_i].msg) != NULL, "got %s",
	    err.msg);
	sbx_buf_free(&b);
}
END_TEST

/*
 * ZIP64 fields on small values are legal: a central field holding just
 * the saturated size, a local one holding both sizes.
 */
START_TEST(zip64_extra_fields_are_resolved)
{
	unsigned char x[20];
	struct sbx_buf b = { 0 };
	struct sbx_err err = { 0 };
	struct sbx_zip *z;
	size_t r, l;
	uint32_t us, cs;

	build_base(&b, SMALL);
	us = cd32(&b, 0, C_USIZE);
	cs = cd32(&b, 0, C_CSIZE);
	r = cd_at(&b, 0);
	p16(x, 1);
	p16(x + 2, 8);
	p64(x + 4, us);
	p32(b.p + r + C_USIZE, 0xffffffff);
	p16(b.p + r + 30, 12);
	graft(&b, r + 46 + 5, 0, x, 12);

	l = lh_at(&b, 0);
	p16(x + 2, 16);
	p64(x + 12, cs);
	p32(b.p + l + L_USIZE, 0xffffffff);
	p32(b.p + l + L_CSIZE, 0xffffffff);
	p16(b.p + l + 28, 20);
	graft(&b, l + 30 + 5, 0, x, 20);

	open_buf(&z, &b);
	ck_assert_uint_eq(sbx_zip_find(z, "a.txt")->usize, us);
	ck_assert_uint_eq(sbx_zip_find(z, "a.txt")->csize, cs);
	ck_assert_uint_eq(sbx_zip_find(z, "a.txt")->cd_extra_len, 12);
	ck_assert_msg(stream_all(z, &err) == SBX_OK, "%s", err.msg);
	sbx_zip_free(z);
	sbx_buf_free(&b);
}
END_TEST

START_TEST(empty_archive_is_accepted)
{
	struct sbx_buf b = { 0 };
	struct sbx_zip *z;
	size_t n;

	write_zip(&b, fill_none, NULL, "nothing here");
	ck_assert_uint_eq(b.len, 22 + 12);
	open_buf(&z, &b);
	ck_assert_uint_eq(sbx_zip_count(z), 0);
	ck_assert_mem_eq(sbx_zip_comment(z, &n), "nothing here", 12);
	ck_assert_uint_eq(n, 12);
	ck_assert_ptr_null(sbx_zip_find(z, "a"));
	sbx_zip_free(z);
	sbx_buf_free(&b);
}
END_TEST

START_TEST(open_reports_unreadable_files)
{
	struct sbx_err err = { 0 };
	struct sbx_zip *z = (struct sbx_zip *)&err;

	ck_assert_int_eq(sbx_zip_open(&z, "/nonexistent/x.jar", &err),
	    SBX_EIO);
	ck_assert_ptr_null(z);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/x.jar: No such"));
	ck_assert_int_eq(sbx_zip_open(&z, "/tmp", &err), SBX_EIO);
	ck_assert_str_eq(err.msg, "/tmp: not a regular file");
}
END_TEST

START_TEST(read_refuses_entries_over_the_limit)
{
	struct sbx_buf b = { 0 };
	struct sbx_err err = { 0 };
	struct sbx_zip *z;
	unsigned char *out, want[4096];
	size_t n;

	build_base(&b, SMALL);
	open_buf(&z, &b);
	ck_assert_int_eq(sbx_zip_read(&out, &n, z, sbx_zip_find(z, "a.txt"),
	    4095, &err), SBX_EREJECT);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(err.msg, "test.zip: a.txt: 4096 bytes, more than the "
	    "4095 allowed");
	ck_assert_int_eq(sbx_zip_read(&out, &n, z, sbx_zip_find(z, "a.txt"),
	    4096, &err), SBX_OK);
	text(want, sizeof(want), 1);
	ck_assert_uint_eq(n, 4096);
	ck_assert_mem_eq(out, want, n);
	ck_assert_int_eq(out[n], '\0');
	free(out);
	sbx_zip_free(z);
	sbx_buf_free(&b);
}
END_TEST

/* ---- real archives, read a second time by libarchive ---- */

struct sum {
	uint64_t	 len;
	uint32_t	 crc;
};

static int
sum_sink(void *ctx, const unsigned char *buf, size_t n)
{
	struct sum *s = ctx;

	s->crc = (uint32_t)libdeflate_crc32(s->crc, buf, n);
	s->len += n;
	return SBX_OK;
}

static const struct sbx_zip_entry *
find_libarchive_name(struct sbx_zip *z, struct archive_entry *ae)
{
	const char *name = archive_entry_pathname_utf8(ae);
	const struct sbx_zip_entry *e;
	char dir[4096];

	if (name == NULL)
		name = archive_entry_pathname(ae);
	ck_assert_ptr_nonnull(name);
	if ((e = sbx_zip_find(z, name)) != NULL)
		return e;
	snprintf(dir, sizeof(dir), "%s/", name);
	return sbx_zip_find(z, dir);
}

/* libarchive lists the same entries with the same bytes as we do. */
static void
compare_with_libarchive(const char *path, struct sbx_zip *z)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	const struct sbx_zip_entry *e;
	struct sbx_err err = { 0 };
	struct sum ours, theirs;
	unsigned char buf[65536];
	ssize_t n;
	size_t seen = 0;
	int r;

	archive_read_support_format_zip(a);
	ck_assert_int_eq(archive_read_open_filename(a, path, 65536),
	    ARCHIVE_OK);
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		ck_assert_ptr_nonnull(e = find_libarchive_name(z, ae));
		memset(&theirs, 0, sizeof(theirs));
		while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
			sum_sink(&theirs, buf, (size_t)n);
		ck_assert_int_eq(n, 0);
		memset(&ours, 0, sizeof(ours));
		ck_assert_msg(sbx_zip_stream(z, e, sum_sink, &ours, &err) ==
		    SBX_OK, "%s", err.msg);
		ck_assert_uint_eq(ours.len, e->usize);
		ck_assert_uint_eq(theirs.len, e->usize);
		ck_assert_uint_eq(ours.crc, theirs.crc);
		seen++;
	}
	ck_assert_int_eq(r, ARCHIVE_EOF);
	ck_assert_uint_eq(seen, sbx_zip_count(z));
	archive_read_free(a);
}

START_TEST(real_jars_match_libarchive)
{
	glob_t g;
	struct stat st;
	struct sbx_zip *z;
	struct sbx_err err = { 0 };
	size_t i, k, jars = 0, deferred = 0;

	ck_assert_int_eq(glob(JAVA_DIR "/{aspectj,byte-buddy,org.jacoco}*.jar",
	    GLOB_BRACE, NULL, &g), 0);
	for (i = 0; i < g.gl_pathc; i++) {
		if (lstat(g.gl_pathv[i], &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		ck_assert_msg(sbx_zip_open(&z, g.gl_pathv[i], &err) == SBX_OK,
		    "%s", err.msg);
		for (k = 0; k < sbx_zip_count(z); k++)
			deferred += (sbx_zip_entry(z, k)->flags & 8) != 0;
		compare_with_libarchive(g.gl_pathv[i], z);
		sbx_zip_free(z);
		jars++;
	}
	globfree(&g);
	/* libaspectj-java, libbyte-buddy-java, libjacoco-java: 12 JARs. */
	ck_assert_uint_ge(jars, 10);
	/* byte-buddy.jar and org.jacoco.ant.jar use data descriptors. */
	ck_assert_uint_gt(deferred, 1000);
}
END_TEST

struct half {
	struct sbx_zip	*z;
	size_t		 parity;
	struct sum	 sum;
	int		 rc;
	struct sbx_err	 err;
};

static void *
stream_half(void *arg)
{
	struct half *h = arg;
	size_t i;

	for (i = h->parity; h->rc == SBX_OK && i < sbx_zip_count(h->z);
	    i += 2)
		h->rc = sbx_zip_stream(h->z, sbx_zip_entry(h->z, i), sum_sink,
		    &h->sum, &h->err);
	return NULL;
}

/* Two threads inflate different entries of one archive at once. */
START_TEST(two_threads_stream_one_archive)
{
	struct half h[2] = { { 0 }, { 0 } }, one[2] = { { 0 }, { 0 } };
	pthread_t t[2];
	struct sbx_err err = { 0 };
	struct sbx_zip *z;
	int i;

	ck_assert_msg(sbx_zip_open(&z, JAVA_DIR "/aspectjtools.jar", &err) ==
	    SBX_OK, "%s", err.msg);
	for (i = 0; i < 2; i++) {
		h[i].z = one[i].z = z;
		h[i].parity = one[i].parity = (size_t)i;
		stream_half(&one[i]);
		ck_assert_int_eq(one[i].rc, SBX_OK);
	}
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, stream_half,
		    &h[i]), 0);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_msg(h[i].rc == SBX_OK, "%s", h[i].err.msg);
		ck_assert_uint_eq(h[i].sum.len, one[i].sum.len);
		ck_assert_uint_eq(h[i].sum.crc, one[i].sum.crc);
	}
	ck_assert_uint_gt(h[0].sum.len + h[1].sum.len, 30000000);
	sbx_zip_free(z);
}
END_TEST

/* ---- the writer ---- */

static void
raw(struct sbx_buf *out, struct sbx_zip *z, const struct sbx_zip_entry *e)
{
	struct sbx_err err = { 0 };

	ck_assert_msg(sbx_zip_stream_raw(z, e, collect, out, &err) == SBX_OK,
	    "%s", err.msg);
}

/* New entries of each kind, then every entry of a real JAR. */
static void
fill_round_trip(struct sbx_zip_writer *w, void *ctx)
{
	struct sbx_zip *src = ctx;
	struct sbx_err err = { 0 };
	unsigned char *big = malloc(BIG_LEN), noisy[300];
	size_t i;

	ck_assert_ptr_nonnull(big);
	text(big, BIG_LEN, 9);
	noise(noisy, sizeof(noisy), 7);
	add(w, "new/", NULL, 0);
	add(w, "new/text.txt", big, 5000);
	add(w, "new/noise.bin", noisy, sizeof(noisy));
	add(w, "new/empty", "", 0);
	add(w, "new/\xc3\xa9t\xc3\xa9.txt", "summer", 6);
	add(w, "new/big.txt", big, BIG_LEN);
	ck_assert_int_eq(sbx_zip_writer_add_stored(w, "new/stored.txt", big,
	    1000, T_TIME, T_DATE, &err), SBX_OK);
	free(big);
	for (i = 0; i < sbx_zip_count(src); i++)
		ck_assert_msg(sbx_zip_writer_copy(w, src, sbx_zip_entry(src, i),
		    &err) == SBX_OK, "%s", err.msg);
}

static void
check_new(struct sbx_zip *z, const char *name, uint16_t method,
    uint16_t flags, const void *data, size_t n)
{
	const struct sbx_zip_entry *e = sbx_zip_find(z, name);
	struct sbx_err err = { 0 };
	unsigned char *got;
	size_t len;

	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->method, method);
	ck_assert_uint_eq(e->flags, flags);
	ck_assert_uint_eq(e->version_needed, 20);
	ck_assert_uint_eq(e->mtime, T_TIME);
	ck_assert_uint_eq(e->mdate, T_DATE);
	ck_assert_msg(sbx_zip_read(&got, &len, z, e, SIZE_MAX - 1, &err) ==
	    SBX_OK, "%s", err.msg);
	ck_assert_uint_eq(len, n);
	ck_assert_int_eq(memcmp(got, data, n), 0);
	free(got);
}

static void
check_copy(struct sbx_zip *z, struct sbx_zip *src,
    const struct sbx_zip_entry *o)
{
	const struct sbx_zip_entry *e = sbx_zip_find(z, o->name);
	struct sbx_buf a = { 0 }, b = { 0 };

	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->flags, o->flags & ~8);
	ck_assert_uint_eq(e->method, o->method);
	ck_assert_uint_eq(e->crc32, o->crc32);
	ck_assert_uint_eq(e->csize, o->csize);
	ck_assert_uint_eq(e->usize, o->usize);
	ck_assert_uint_eq(e->mtime, o->mtime);
	ck_assert_uint_eq(e->mdate, o->mdate);
	ck_assert_uint_eq(e->version_made_by, o->version_made_by);
	ck_assert_uint_eq(e->internal_attr, o->internal_attr);
	ck_assert_uint_eq(e->external_attr, o->external_attr);
	ck_assert_uint_eq(e->cd_extra_len, o->cd_extra_len);
	ck_assert_mem_eq(e->cd_extra, o->cd_extra, o->cd_extra_len);
	ck_assert_uint_eq(e->comment_len, o->comment_len);
	raw(&a, z, e);
	raw(&b, src, o);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert(a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
	sbx_buf_free(&a);
	sbx_buf_free(&b);
}

START_TEST(writer_round_trip)
{
	struct sbx_buf b = { 0 };
	struct sbx_err err = { 0 };
	struct sbx_zip *src, *z;
	unsigned char *big = malloc(BIG_LEN), noisy[300];
	size_t i, n, deferred = 0;

	ck_assert_msg(sbx_zip_open(&src, JACOCO_ANT, &err) == SBX_OK, "%s",
	    err.msg);
	write_zip(&b, fill_round_trip, src, "made by check_zip");
	open_buf(&z, &b);
	ck_assert_uint_eq(sbx_zip_count(z), 7 + sbx_zip_count(src));
	ck_assert_mem_eq(sbx_zip_comment(z, &n), "made by check_zip", 17);

	text(big, BIG_LEN, 9);
	noise(noisy, sizeof(noisy), 7);
	check_new(z, "new/", 0, 0, "", 0);
	check_new(z, "new/text.txt", 8, 0, big, 5000);
	check_new(z, "new/noise.bin", 0, 0, noisy, sizeof(noisy));
	check_new(z, "new/empty", 0, 0, "", 0);
	check_new(z, "new/\xc3\xa9t\xc3\xa9.txt", 0, 0x800, "summer", 6);
	check_new(z, "new/big.txt", 8, 0, big, BIG_LEN);
	check_new(z, "new/stored.txt", 0, 0, big, 1000);
	ck_assert(sbx_zip_find(z, "new/")->is_dir);
	free(big);

	for (i = 0; i < sbx_zip_count(src); i++) {
		deferred += (sbx_zip_entry(src, i)->flags & 8) != 0;
		check_copy(z, src, sbx_zip_entry(src, i));
	}
	ck_assert_uint_gt(deferred, 0);
	ck_assert_msg(stream_all(z, &err) == SBX_OK, "%s", err.msg);
	sbx_zip_free(z);
	sbx_zip_free(src);
	sbx_buf_free(&b);
}
END_TEST

START_TEST(writer_is_deterministic)
{
	struct sbx_buf a = { 0 }, b = { 0 };
	struct sbx_err err = { 0 };
	struct sbx_zip *src;

	ck_assert_msg(sbx_zip_open(&src, JACOCO_ANT, &err) == SBX_OK, "%s",
	    err.msg);
	write_zip(&a, fill_round_trip, src, NULL);
	write_zip(&b, fill_round_trip, src, NULL);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_int_eq(memcmp(a.p, b.p, a.len), 0);
	sbx_zip_free(src);
	sbx_buf_free(&a);
	sbx_buf_free(&b);
}
END_TEST

/* A copy of a ZIP64-annotated entry drops the field it no longer needs. */
START_TEST(writer_copy_drops_needless_zip64_fields)
{
	unsigned char x[12];
	struct sbx_buf b = { 0 }, out = { 0 };
	struct sbx_err err = { 0 };
	struct sbx_zip *z, *y;
	struct sbx_zip_writer *w;
	size_t r;
	int fd;

	build_base(&b, SMALL);
	r = cd_at(&b, 0);
	p16(x, 1);
	p16(x + 2, 8);
	p64(x + 4, cd32(&b, 0, C_USIZE));
	p32(b.p + r + C_USIZE, 0xffffffff);
	p16(b.p + r + 30, sizeof(x));
	graft(&b, r + 46 + 5, 0, x, sizeof(x));
	open_buf(&z, &b);

	ck_assert_int_ge(fd = memfd_create("zip", 0), 0);
	ck_assert_int_eq(sbx_zip_writer_new(&w, fd, "copy.zip", &err), 0);
	ck_assert_int_eq(sbx_zip_writer_copy(w, z, sbx_zip_entry(z, 0), &err),
	    SBX_OK);
	ck_assert_int_eq(sbx_zip_writer_finish(w, NULL, 0, &err), SBX_OK);
	sbx_zip_writer_free(w);
	slurp(&out, fd);
	close(fd);
	open_buf(&y, &out);
	ck_assert_uint_eq(sbx_zip_entry(y, 0)->cd_extra_len, 0);
	ck_assert_uint_eq(sbx_zip_entry(y, 0)->usize, 4096);
	ck_assert_msg(stream_all(y, &err) == SBX_OK, "%s", err.msg);
	sbx_zip_free(y);
	sbx_zip_free(z);
	sbx_buf_free(&out);
	sbx_buf_free(&b);
}
END_TEST

/*
 * A deflate stream of k MiB of zeros: one sync-flushed block, which
 * ends byte-aligned and refers only to itself, repeated k times, and an
 * empty final block. Built in milliseconds where deflating 4 GiB takes
 * seconds.
 */
static void
zeros_stream(struct sbx_buf *out, size_t k, uint32_t *crc)
{
	z_stream s = { 0 };
	unsigned char *zero = calloc(1, 1 << 20), blk[4096];
	size_t i, n;

	ck_assert_ptr_nonnull(zero);
	ck_assert_int_eq(deflateInit2(&s, 9, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	s.next_in = zero;
	s.avail_in = 1 << 20;
	s.next_out = blk;
	s.avail_out = sizeof(blk);
	ck_assert_int_eq(deflate(&s, Z_SYNC_FLUSH), Z_OK);
	ck_assert_uint_eq(s.avail_in, 0);
	ck_assert_uint_gt(s.avail_out, 0);
	n = sizeof(blk) - s.avail_out;
	deflateEnd(&s);
	*crc = 0;
	for (i = 0; i < k; i++) {
		ck_assert_int_eq(sbx_buf_add(out, blk, n, NULL), SBX_OK);
		*crc = (uint32_t)libdeflate_crc32(*crc, zero, 1 << 20);
	}
	ck_assert_int_eq(sbx_buf_add(out, "\3\0", 2, NULL), SBX_OK);
	free(zero);
}

/* Turn entry 0 ("zeros") of b into k MiB of zeros with ZIP64 sizes. */
static void
make_huge(struct sbx_buf *b, size_t k)
{
	unsigned char x[20];
	struct sbx_buf d = { 0 };
	uint64_t n = (uint64_t)k << 20;
	uint32_t crc;
	size_t r, l;

	zeros_stream(&d, k, &crc);
	l = lh_at(b, 0);
	graft(b, l + 35, cd32(b, 0, C_CSIZE), d.p, d.len);
	both32(b, 0, L_CRC, C_CRC, crc);
	both32(b, 0, L_CSIZE, C_CSIZE, (uint32_t)d.len);

	r = cd_at(b, 0);
	p16(x, 1);
	p16(x + 2, 8);
	p64(x + 4, n);
	p32(b->p + r + C_USIZE, 0xffffffff);
	p16(b->p + r + 30, 12);
	graft(b, r + 46 + 5, 0, x, 12);

	p16(x + 2, 16);
	p64(x + 12, d.len);
	p32(b->p + l + L_USIZE, 0xffffffff);
	p32(b->p + l + L_CSIZE, 0xffffffff);
	p16(b->p + l + 28, 20);
	graft(b, l + 35, 0, x, 20);
	sbx_buf_free(&d);
}

static void
fill_zeros(struct sbx_zip_writer *w, void *ctx)
{
	unsigned char a[100];

	text(a, sizeof(a), 5);
	add(w, "zeros", a, sizeof(a));
}

static void
fill_copy_all(struct sbx_zip_writer *w, void *ctx)
{
	struct sbx_zip *z = ctx;
	struct sbx_err err = { 0 };
	size_t i;

	for (i = 0; i < sbx_zip_count(z); i++)
		ck_assert_msg(sbx_zip_writer_copy(w, z, sbx_zip_entry(z, i),
		    &err) == SBX_OK, "%s", err.msg);
}

/* The size libarchive gives the only entry of path, data unread. */
static uint64_t
libarchive_size(const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	uint64_t n;

	archive_read_support_format_zip(a);
	ck_assert_int_eq(archive_read_open_filename(a, path, 65536),
	    ARCHIVE_OK);
	ck_assert_int_eq(archive_read_next_header(a, &ae), ARCHIVE_OK);
	n = (uint64_t)archive_entry_size(ae);
	ck_assert_int_eq(archive_read_data_skip(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_read_next_header(a, &ae), ARCHIVE_EOF);
	archive_read_free(a);
	return n;
}

/*
 * An entry of 4 GiB + 1 MiB: the reader resolves its ZIP64 fields and
 * inflates it exactly; the writer's copy carries both sizes in a local
 * ZIP64 field and the size in a central one, and unzip and libarchive
 * read those.
 */
START_TEST(zip64_sizes_over_4gib)
{
	char path[256], cmd[512], out[256];
	struct sbx_buf b = { 0 }, c = { 0 };
	struct sbx_err err = { 0 };
	const struct sbx_zip_entry *e;
	struct sbx_zip *z, *y;
	struct sum sum = { 0 };

	write_zip(&b, fill_zeros, NULL, NULL);
	make_huge(&b, 4097);
	open_buf(&z, &b);
	ck_assert_uint_eq(sbx_zip_entry(z, 0)->usize, 4097ULL << 20);

	write_zip(&c, fill_copy_all, z, NULL);
	ck_assert_uint_eq(g32(c.p + L_CSIZE), 0xffffffff);
	ck_assert_uint_eq(g32(c.p + L_USIZE), 0xffffffff);
	ck_assert_uint_eq(g16(c.p + 28), 20);
	open_buf(&y, &c);
	e = sbx_zip_entry(y, 0);
	ck_assert_uint_eq(e->usize, 4097ULL << 20);
	ck_assert_uint_eq(e->csize, sbx_zip_entry(z, 0)->csize);
	ck_assert_uint_eq(e->version_needed, 45);
	ck_assert_uint_eq(e->cd_extra_len, 12);
	ck_assert_msg(sbx_zip_stream(y, e, sum_sink, &sum, &err) == SBX_OK,
	    "%s", err.msg);
	ck_assert_uint_eq(sum.len, 4097ULL << 20);

	/* Inflating 4 GiB again would take unzip 20 s: list it instead. */
	save(tmp_path(path, sizeof(path), "huge.zip"), c.p, c.len);
	snprintf(cmd, sizeof(cmd), "unzip -Zl %s 2>&1", path);
	run(cmd, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " 4296015872 "));
	ck_assert_uint_eq(libarchive_size(path), 4097ULL << 20);
	sbx_zip_free(y);
	sbx_zip_free(z);
	sbx_buf_free(&b);
	sbx_buf_free(&c);
}
END_TEST

static void
fill_many(struct sbx_zip_writer *w, void *ctx)
{
	char name[16];
	unsigned i;

	for (i = 0; i < 65536; i++) {
		snprintf(name, sizeof(name), "e/%05x", i);
		add(w, name, name, 1);
	}
}

/* 65536 entries: the count needs the ZIP64 end record and locator. */
START_TEST(writer_zip64_for_many_entries)
{
	struct sbx_buf b = { 0 };
	struct sbx_err err = { 0 };
	struct sbx_zip *z;
	size_t e;

	write_zip(&b, fill_many, NULL, NULL);
	e = b.len - 22;
	ck_assert_uint_eq(g32(b.p + e), SIG_END);
	ck_assert_uint_eq(g16(b.p + e + 10), 0xffff);
	ck_assert_uint_eq(g32(b.p + e - 20), SIG_LOC64);
	ck_assert_uint_eq(g32(b.p + e - 20 - 56), SIG_END64);
	open_buf(&z, &b);
	ck_assert_uint_eq(sbx_zip_count(z), 65536);
	ck_assert_str_eq(sbx_zip_entry(z, 65535)->name, "e/0ffff");
	ck_assert_ptr_nonnull(sbx_zip_find(z, "e/0abcd"));
	ck_assert_msg(stream_all(z, &err) == SBX_OK, "%s", err.msg);
	sbx_zip_free(z);

	/* Without the locator the end record's 0xffff count is a lie. */
	b.p[e - 20] = 'Q';
	ck_assert_int_eq(sbx_zip_open_mem(&z, b.p, b.len, "t.zip", &err),
	    SBX_EREJECT);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not end at offset"));
	sbx_buf_free(&b);
}
END_TEST

START_TEST(writer_refuses_what_the_reader_would)
{
	struct sbx_zip_writer *w;
	struct sbx_err err = { 0 };
	int fd;

	ck_assert_int_ge(fd = memfd_create("zip", 0), 0);
	ck_assert_int_eq(sbx_zip_writer_new(&w, fd, "w.zip", &err), SBX_OK);
	add(w, "a", "1", 1);
	ck_assert_int_eq(sbx_zip_writer_add(w, "a", "2", 1, 0, 0, &err),
	    SBX_EREJECT);
	ck_assert_str_eq(err.msg, "w.zip: a: duplicate entry name");
	ck_assert_int_eq(sbx_zip_writer_add(w, "d/", "2", 1, 0, 0, &err),
	    SBX_EINTERNAL);
	ck_assert_str_eq(err.msg, "w.zip: d/: a directory holds no data");
	ck_assert_int_eq(sbx_zip_writer_add(w, "", "2", 1, 0, 0, &err),
	    SBX_EINTERNAL);
	ck_assert_str_eq(err.msg, "w.zip: entry name of 0 bytes");
	ck_assert_int_eq(sbx_zip_writer_finish(w, NULL, 0, &err), SBX_OK);
	ck_assert_int_eq(sbx_zip_writer_add(w, "b", "2", 1, 0, 0, &err),
	    SBX_EINTERNAL);
	ck_assert_str_eq(err.msg, "w.zip: already finished");
	sbx_zip_writer_free(w);
	close(fd);

	/* A descriptor that cannot be written to. */
	ck_assert_int_eq(sbx_zip_writer_new(&w, -1, "bad.zip", &err), SBX_OK);
	add(w, "a", "1", 1);
	ck_assert_int_eq(sbx_zip_writer_finish(w, NULL, 0, &err), SBX_EIO);
	ck_assert_str_eq(err.msg, "bad.zip: write: Bad file descriptor");
	sbx_zip_writer_free(w);
}
END_TEST

/* ---- other readers on the writer's output ---- */

static const char java_reader[] =
    "import java.io.*;\n"
    "import java.util.*;\n"
    "import java.util.jar.*;\n"
    "import java.util.zip.*;\n"
    "public class Rd {\n"
    "  public static void main(String[] a) throws Exception {\n"
    "    for (String f : a) {\n"
    "      long n = 0, m = 0;\n"
    "      try (ZipFile z = new ZipFile(f)) {\n"
    "        for (Enumeration<? extends ZipEntry> e = z.entries();\n"
    "            e.hasMoreElements(); n++)\n"
    "          try (InputStream in = z.getInputStream(e.nextElement())) {\n"
    "            in.readAllBytes();\n"
    "          }\n"
    "      }\n"
    "      try (JarInputStream j = new JarInputStream(\n"
    "          new FileInputStream(f))) {\n"
    "        for (JarEntry x; (x = j.getNextJarEntry()) != null; m++)\n"
    "          j.readAllBytes();\n"
    "      }\n"
    "      System.out.println(n + \" \" + m);\n"
    "    }\n"
    "  }\n"
    "}\n";

START_TEST(writer_output_reads_in_unzip_jar_and_java)
{
	char path[3][256], cmd[1024], out[256];
	struct sbx_buf a = { 0 }, b = { 0 };
	struct sbx_err err = { 0 };
	struct sbx_zip *src;
	int i;

	ck_assert_msg(sbx_zip_open(&src, JACOCO_ANT, &err) == SBX_OK, "%s",
	    err.msg);
	write_zip(&a, fill_round_trip, src, "comment");
	write_zip(&b, fill_many, NULL, NULL);
	sbx_zip_free(src);
	tmp_path(path[0], sizeof(path[0]), "rt.jar");
	tmp_path(path[1], sizeof(path[1]), "many.zip");
	tmp_path(path[2], sizeof(path[2]), "Rd.java");
	save(path[0], a.p, a.len);
	save(path[1], b.p, b.len);
	save(path[2], java_reader, sizeof(java_reader) - 1);

	for (i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd), "unzip -tqq %s 2>&1", path[i]);
		run(cmd, out, sizeof(out));
	}
	snprintf(cmd, sizeof(cmd), "jar tf %s | wc -l", path[0]);
	run(cmd, out, sizeof(out));
	ck_assert_int_eq(atoi(out), 7 + 33);
	/* The manifest is not first, so JarInputStream lists it too. */
	snprintf(cmd, sizeof(cmd), "java %s %s %s 2>&1", path[2], path[0],
	    path[1]);
	run(cmd, out, sizeof(out));
	ck_assert_str_eq(out, "40 40\n65536 65536\n");

	sbx_buf_free(&a);
	sbx_buf_free(&b);
}
END_TEST

/* libarchive agrees on what the writer made, ZIP64 included. */
START_TEST(writer_output_reads_in_libarchive)
{
	char path[256];
	struct sbx_buf b = { 0 };
	struct sbx_zip *z;

	write_zip(&b, _i == 0 ? fill_many : fill_big, NULL, NULL);
	save(tmp_path(path, sizeof(path), _i == 0 ? "many.zip" : "big.zip"),
	    b.p, b.len);
	open_buf(&z, &b);
	compare_with_libarchive(path, z);
	sbx_zip_free(z);
	sbx_buf_free(&b);
}
END_TEST

struct dos_case {
	int64_t		 t;
	uint16_t	 time;
	uint16_t	 date;
	const char	*why;
};

static const struct dos_case dos_cases[] = {
	{ 1700000000, T_TIME, T_DATE, "2023-11-14 22:13:20" },
	{ 1700000001, T_TIME, T_DATE, "odd seconds round down" },
	{ 315532800, 0, 1 << 5 | 1, "1980-01-01, the first MS-DOS date" },
	{ 0, 0, 1 << 5 | 1, "1970 clamps to 1980-01-01" },
	{ -5, 0, 1 << 5 | 1, "before 1970 clamps too" },
	{ 4354819199LL, 23 << 11 | 59 << 5 | 29, 127 << 9 | 12 << 5 | 31,
	    "2107-12-31 23:59:58, the last one" },
	{ INT64_MAX, 23 << 11 | 59 << 5 | 29, 127 << 9 | 12 << 5 | 31,
	    "the far future clamps to 2107" },
};

START_TEST(dos_time_is_utc_and_clamped)
{
	const struct dos_case *c = &dos_cases[_i];
	uint16_t t, d;

	sbx_zip_dos_time(c->t, &t, &d);
	ck_assert_msg(t == c->time && d == c->date, "%s: %04x %04x", c->why,
	    t, d);
}
END_TEST

static Suite *
zip_suite(void)
{
	Suite *s = suite_create("zip");
	TCase *tc = tcase_create("reader");
	TCase *slow = tcase_create("real");

	tcase_add_loop_test(tc, hostile_archive_is_rejected, 0,
	    sizeof(hostile) / sizeof(hostile[0]));
	tcase_add_loop_test(tc, hostile_bases_are_accepted, 0, 2);
	tcase_add_loop_test(tc, data_descriptors_are_accepted, 0, 2);
	tcase_add_loop_test(tc,
	    data_descriptors_streaming_readers_refuse_are_rejected, 0,
	    sizeof(bad_desc) / sizeof(bad_desc[0]));
	tcase_add_test(tc, zip64_extra_fields_are_resolved);
	tcase_add_test(tc, empty_archive_is_accepted);
	tcase_add_test(tc, open_reports_unreadable_files);
	tcase_add_test(tc, read_refuses_entries_over_the_limit);
	tcase_add_test(tc, writer_copy_drops_needless_zip64_fields);
	tcase_add_test(tc, writer_refuses_what_the_reader_would);
	tcase_add_loop_test(tc, dos_time_is_utc_and_clamped, 0,
	    sizeof(dos_cases) / sizeof(dos_cases[0]));
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tcase_add_test(slow, real_jars_match_libarchive);
	tcase_add_test(slow, two_threads_stream_one_archive);
	tcase_add_test(slow, writer_round_trip);
	tcase_add_test(slow, writer_is_deterministic);
	tcase_add_test(slow, writer_zip64_for_many_entries);
	tcase_add_test(slow, zip64_sizes_over_4gib);
	tcase_add_loop_test(slow, writer_output_reads_in_libarchive, 0, 2);
	tcase_add_test(slow, writer_output_reads_in_unzip_jar_and_java);
	tcase_add_unchecked_fixture(slow, tmp_setup, tmp_teardown);
	tcase_set_timeout(slow, 600);
	suite_add_tcase(s, slow);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(zip_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

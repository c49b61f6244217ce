/* include/sbx/zip.h: the strict JAR/ZIP container reader and writer. */
#ifndef SBX_ZIP_H
#define SBX_ZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sbx/buf.h>
#include <sbx/err.h>

/*
 * The reader accepts only an archive whose every byte is accounted for:
 * local header + name + extra + data (+ data descriptor) of each entry,
 * back to back from offset 0, then the central directory, then the
 * (ZIP64 record and locator and) end record, whose comment ends the
 * file. Each local header must agree with its central directory record
 * (name, method, flags, CRC and sizes, where not deferred to a data
 * descriptor, which must then agree). Names must be unique, non-empty
 * and free of NUL bytes; entries must not be encrypted, must use STORED
 * or DEFLATE, and must not overlap. Any breach is SBX_EREJECT with
 * SBX_V_MALFORMED_ARCHIVE and a message naming the entry or offset.
 *
 * The reader uses pread() on a descriptor, never a full mapping, so
 * memory stays bounded whatever the archive's size, and two threads may
 * read entries of one archive at once.
 */

struct sbx_zip;				/* opaque */

struct sbx_zip_entry {
	const char	*name;		/* NUL-terminated, borrowed */
	size_t		 name_len;
	uint16_t	 version_made_by;
	uint16_t	 version_needed;
	uint16_t	 flags;		/* general purpose bit flag */
	uint16_t	 method;	/* 0 STORED, 8 DEFLATE */
	uint16_t	 mtime;		/* MS-DOS time and date */
	uint16_t	 mdate;
	uint32_t	 crc32;
	uint64_t	 csize;		/* compressed size */
	uint64_t	 usize;		/* uncompressed size */
	uint16_t	 internal_attr;
	uint32_t	 external_attr;
	uint64_t	 local_offset;	/* of the local header */
	uint64_t	 data_offset;	/* of the compressed bytes */
	uint64_t	 end_offset;	/* one past the entry and descriptor */
	const unsigned char *cd_extra;	/* central extra field, borrowed */
	size_t		 cd_extra_len;
	const unsigned char *comment;	/* entry comment, borrowed */
	size_t		 comment_len;
	bool		 is_dir;	/* name ends in '/' */
};

/*
 * Open and check the archive at path (or on an open descriptor, which
 * the archive then borrows and never closes; name is for messages).
 * Returns SBX_OK, SBX_EIO (cannot open or read), SBX_EREJECT
 * (malformed, see above) or SBX_ENOMEM.
 */
int	sbx_zip_open(struct sbx_zip **out, const char *path,
	    struct sbx_err *err);
int	sbx_zip_open_fd(struct sbx_zip **out, int fd, const char *name,
	    struct sbx_err *err);

/* The same over bytes in memory (borrowed until sbx_zip_free()). */
int	sbx_zip_open_mem(struct sbx_zip **out, const void *buf, size_t len,
	    const char *name, struct sbx_err *err);

/* Entries in central directory order; pointers are borrowed. */
size_t	sbx_zip_count(const struct sbx_zip *z);
const struct sbx_zip_entry *sbx_zip_entry(const struct sbx_zip *z,
	    size_t i);

/* The entry with exactly this name, or NULL. */
const struct sbx_zip_entry *sbx_zip_find(const struct sbx_zip *z,
	    const char *name);

/* The archive comment (borrowed), the file's size and name. */
const unsigned char *sbx_zip_comment(const struct sbx_zip *z, size_t *len);
uint64_t sbx_zip_size(const struct sbx_zip *z);
const char *sbx_zip_name(const struct sbx_zip *z);

/*
 * Inflate an entry and hand its bytes to sink in chunks, checking that
 * the stream ends exactly at csize, yields exactly usize bytes and
 * matches crc32. A sink returning non-zero stops the walk and that
 * value is returned. Safe to call from several threads at once.
 */
typedef int (*sbx_zip_sink)(void *ctx, const unsigned char *buf, size_t n);
int	sbx_zip_stream(struct sbx_zip *z, const struct sbx_zip_entry *e,
	    sbx_zip_sink sink, void *ctx, struct sbx_err *err);

/*
 * Inflate a whole entry into a new buffer (caller frees *out), refusing
 * entries whose usize exceeds max with SBX_EREJECT. For small entries:
 * manifests, signature files. The buffer has a NUL after its *len_out
 * bytes (not counted), so text can be parsed in place.
 */
int	sbx_zip_read(unsigned char **out, size_t *len_out, struct sbx_zip *z,
	    const struct sbx_zip_entry *e, size_t max, struct sbx_err *err);

/* Hand the raw compressed bytes of an entry to sink (for copying). */
int	sbx_zip_stream_raw(struct sbx_zip *z, const struct sbx_zip_entry *e,
	    sbx_zip_sink sink, void *ctx, struct sbx_err *err);

/*
 * Append the extra field of e's local header (which may differ from
 * the central one, e->cd_extra) to out. The writer copies it.
 */
int	sbx_zip_local_extra(struct sbx_buf *out, struct sbx_zip *z,
	    const struct sbx_zip_entry *e, struct sbx_err *err);

void	sbx_zip_free(struct sbx_zip *z);

/*
 * The writer appends entries to a descriptor it borrows: new entries
 * from bytes (deflated, or stored when that is smaller or asked for),
 * and entries copied from a reader with their compressed bytes
 * unchanged. It never sets the data-descriptor flag (JarInputStream
 * refuses STORED entries with one): sizes and CRC go in the local
 * header. ZIP64 records are written only when needed.
 */
struct sbx_zip_writer;

/*
 * Bytes go out with write(), sequentially, so fd must be at the start
 * of an empty file (or be a pipe): the first entry is at offset 0.
 * name is for messages. Once a call fails with SBX_EIO or SBX_ENOMEM
 * while writing, every later call fails too.
 */
int	sbx_zip_writer_new(struct sbx_zip_writer **out, int fd,
	    const char *name, struct sbx_err *err);

/*
 * Add a new entry. mtime/mdate are MS-DOS time and date (see
 * sbx_zip_dos_time()); a name ending in '/' is a directory and data
 * must be empty. Deterministic: the same input gives the same bytes.
 * A name already written is SBX_EREJECT (SBX_V_MALFORMED_ARCHIVE);
 * an empty name or a directory with data is SBX_EINTERNAL. Bit 11
 * (UTF-8) is set when the name has a byte of 0x80 or more.
 */
int	sbx_zip_writer_add(struct sbx_zip_writer *w, const char *name,
	    const void *data, size_t len, uint16_t mtime, uint16_t mdate,
	    struct sbx_err *err);

/* The same, always STORED. */
int	sbx_zip_writer_add_stored(struct sbx_zip_writer *w, const char *name,
	    const void *data, size_t len, uint16_t mtime, uint16_t mdate,
	    struct sbx_err *err);

/*
 * Copy entry e of z: same name, method, times, attributes, central
 * extra field, comment and compressed bytes. The data-descriptor flag
 * is dropped (sizes and CRC go in the local header), the local extra
 * field is the original's, and ZIP64 fields are rewritten as needed.
 */
int	sbx_zip_writer_copy(struct sbx_zip_writer *w, struct sbx_zip *z,
	    const struct sbx_zip_entry *e, struct sbx_err *err);

/* Write the central directory and end record. */
int	sbx_zip_writer_finish(struct sbx_zip_writer *w, const void *comment,
	    size_t comment_len, struct sbx_err *err);

void	sbx_zip_writer_free(struct sbx_zip_writer *w);

/*
 * MS-DOS time and date of a UTC time_t, clamped to the range the format
 * holds: 1980-01-01 00:00:00 to 2107-12-31 23:59:58 (2-second steps).
 */
void	sbx_zip_dos_time(int64_t t, uint16_t *mtime, uint16_t *mdate);

#endif

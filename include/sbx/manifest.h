/* include/sbx/manifest.h: JAR manifest and signature-file text. */
#ifndef SBX_MANIFEST_H
#define SBX_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include <sbx/buf.h>
#include <sbx/err.h>

/*
 * The JAR manifest format (MANIFEST.MF and X.SF share it): header lines
 * "Name: value" of at most 72 bytes, longer values continued on lines
 * that start with one space; lines end in CRLF, LF or CR; sections end
 * with a blank line; the first section is the main section. Signatures
 * cover raw bytes, so each section keeps the exact bytes it was read
 * from, from its first header line through the blank line that ends it
 * (for the main section: through its blank line too).
 */

struct sbx_mf_attr {
	char	*name;			/* as written; compare ignoring case */
	char	*value;			/* continuation lines joined */
	size_t	 value_len;		/* values may hold any byte but NUL */
};

struct sbx_mf_section {
	const unsigned char *raw;	/* borrowed from the manifest */
	size_t		 raw_len;
	struct sbx_mf_attr *attrs;	/* in file order */
	size_t		 nattrs;
	const char	*name;		/* the Name: value; NULL for main */
};

struct sbx_manifest {
	unsigned char	*bytes;		/* a private copy of the input */
	size_t		 len;
	struct sbx_mf_section main;
	struct sbx_mf_section *sections;	/* the named sections */
	size_t		 nsections;
};

/*
 * Parse len bytes; what names the file in messages
 * ("a.jar: META-INF/MANIFEST.MF"). Refuses, with SBX_EREJECT and
 * SBX_V_MALFORMED_ARCHIVE and the line number: a NUL byte, a line over
 * 72 bytes, a header without ": ", a bad header name, a continuation
 * line at the start of a section, a named section without Name: first,
 * a duplicate attribute within a section, input that does not end in a
 * newline. A last section without its blank line is accepted, as the
 * JDK does. Sections with the same Name: are kept apart, in order.
 */
int	sbx_manifest_parse(struct sbx_manifest **out, const void *buf,
	    size_t len, const char *what, struct sbx_err *err);

void	sbx_manifest_free(struct sbx_manifest *m);

/* The value of attribute name (ASCII case-insensitive) or NULL. */
const struct sbx_mf_attr *sbx_manifest_attr(const struct sbx_mf_section *s,
	    const char *name);

/* The first named section with this Name: value, or NULL. */
const struct sbx_mf_section *sbx_manifest_section(
	    const struct sbx_manifest *m, const char *name);

/*
 * Append "name: value" to out as the JDK writes it: CRLF line ends,
 * the first line at most 72 bytes, each continuation a space and at
 * most 71 bytes, cut on byte boundaries.
 */
int	sbx_manifest_put(struct sbx_buf *out, const char *name,
	    const char *value, size_t value_len, struct sbx_err *err);

/* Append the CRLF that ends a section. */
int	sbx_manifest_end_section(struct sbx_buf *out, struct sbx_err *err);

#endif

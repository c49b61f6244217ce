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
 *
 * How the edge cases are read, following the JDK (java.util.jar.Manifest
 * for the text, sun.security.util.ManifestDigester for the raw bytes that
 * signatures cover):
 * - A section's raw bytes run from its first line through the first
 *   blank line after it. Further blank lines before the next section
 *   belong to no section: ManifestDigester sees each as an empty section
 *   and skips it, so no digest covers them.
 * - Input that starts with a blank line has an empty main section whose
 *   raw bytes are that blank line.
 * - A continuation line drops its first space only; a second space is
 *   part of the value. Values are joined as bytes, so a UTF-8 character
 *   may be split across lines.
 * - "Name" is matched ignoring case, like the JDK. In the main section
 *   it is an ordinary attribute.
 * - Readers accept physical lines longer than 72 bytes: real tools write
 *   them (Debian's cdi-api.jar has 73-byte continuation lines) and the
 *   JDK reads them. The limit is the JDK reader's 512-byte line buffer,
 *   line end included: 511 bytes before LF or CR, 510 before CRLF. At
 *   511 + CRLF the JDK splits the CR from the LF and sees a blank line
 *   that ManifestDigester does not, so such a line is refused.
 */

#define SBX_MF_NAME_MAX	70	/* bytes in an attribute name */
#define SBX_MF_LINE_MAX	72	/* bytes per line sbx_manifest_put writes */
#define SBX_MF_READ_MAX	512	/* bytes per line read, line end included */

struct sbx_mf_attr {
	char	*name;			/* as written; compare ignoring case */
	char	*value;			/* continuation lines joined */
	size_t	 value_len;		/* values may hold any byte but NUL */
	size_t	 line;			/* 1-based line of the header */
};

struct sbx_mf_section {
	const unsigned char *raw;	/* borrowed from the manifest */
	size_t		 raw_len;
	struct sbx_mf_attr *attrs;	/* in file order */
	size_t		 nattrs;
	const char	*name;		/* the Name: value; NULL for main */
	size_t		 line;		/* 1-based line where it starts */
};

struct sbx_manifest {
	unsigned char	*bytes;		/* a private copy of the input */
	size_t		 len;
	char		*strings;	/* every attribute's name and value,
					   one block (no byte more than len) */
	size_t		 strings_len;
	struct sbx_mf_section main;
	struct sbx_mf_section *sections;	/* the named sections */
	size_t		 nsections;
};

/*
 * Parse len bytes into *out, which the caller frees with
 * sbx_manifest_free(); what names the file in messages
 * ("a.jar: META-INF/MANIFEST.MF"). Refuses, with SBX_EREJECT and
 * SBX_V_MALFORMED_ARCHIVE and a message "WHAT: line N: ...": empty
 * input, a NUL byte, a line over the read limit above, a header without
 * ": ", a bad header name (not 1 to 70 of A-Z a-z 0-9 - _), a
 * continuation line at the start of a section, a named section without
 * Name: first, a duplicate attribute within a section (names compared
 * ignoring case: the JDK keeps the last, a naive reader the first), and
 * input that does not end in a newline (the JDK drops such a last line).
 * A last section without its blank line is accepted, as the JDK does.
 * Sections with the same Name: are kept apart, in order. Also
 * SBX_ENOMEM.
 */
int	sbx_manifest_parse(struct sbx_manifest **out, const void *buf,
	    size_t len, const char *what, struct sbx_err *err);

/* Free m and everything it points to; NULL is fine. */
/*
 * The same, taking ownership of buf (a malloc'ed block, freed by
 * sbx_manifest_free() or here on failure) instead of copying it: for
 * large manifests read whole from an archive.
 */
int	sbx_manifest_parse_owned(struct sbx_manifest **out, unsigned char *buf,
	    size_t len, const char *what, struct sbx_err *err);

void	sbx_manifest_free(struct sbx_manifest *m);

/* The value of attribute name (ASCII case-insensitive) or NULL. */
const struct sbx_mf_attr *sbx_manifest_attr(const struct sbx_mf_section *s,
	    const char *name);

/* The first named section with this Name: value, or NULL. */
const struct sbx_mf_section *sbx_manifest_section(
	    const struct sbx_manifest *m, const char *name);

/*
 * Append "name: value" to out as the JDK (11 and later; checked against
 * 17) writes it: CRLF line ends, the first line at most 72 bytes, each
 * continuation a space and at most 71 bytes, cut on byte boundaries.
 * Returns SBX_OK; SBX_EINTERNAL for a name that is not 1 to 70 of A-Z
 * a-z 0-9 - _ (names come from our code); SBX_EREJECT with
 * SBX_V_MALFORMED_ARCHIVE for a value holding CR, LF or NUL (values such
 * as entry names come from the archive, and a line break would forge
 * headers); SBX_ENOMEM. On failure out is left as it was. value may be
 * NULL when value_len is 0.
 */
int	sbx_manifest_put(struct sbx_buf *out, const char *name,
	    const char *value, size_t value_len, struct sbx_err *err);

/* Append the CRLF that ends a section. */
int	sbx_manifest_end_section(struct sbx_buf *out, struct sbx_err *err);

#endif

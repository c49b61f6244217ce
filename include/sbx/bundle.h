/* include/sbx/bundle.h: agent bundles: verify, unpack safely, install. */
#ifndef SBX_BUNDLE_H
#define SBX_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sbx/err.h>
#include <sbx/provenance.h>

/*
 * A bundle is an archive that holds an agent JAR with its extensions
 * and native parts. It is signed by its provenance (BUNDLE.intoto.jsonl,
 * over every byte of the archive), and every JAR inside it must also
 * pass sbx_jar_verify() under the policy, by its own JAR signature.
 * libarchive reads the archive; the rules for members are sbx's:
 *
 *   names	not empty, not absolute, no ".." component, no control
 *		character or backslash, components of at most 255 bytes,
 *		at most SBX_BUNDLE_NAME_MAX bytes in all; "." components
 *		and repeated slashes are dropped ("./lib//a.jar" is
 *		"lib/a.jar")
 *   types	regular files, folders, symbolic and hard links only (no
 *		device files, FIFOs or sockets)
 *   unique	a name appears once (a folder may be listed again); no
 *		member lies below one that is not a folder
 *   symlinks	relative targets that stay inside the bundle, where a
 *		".." may only climb out of real folders (never out of a
 *		link, whose real place is elsewhere)
 *   hard links	to a regular file listed earlier in the bundle
 *   JAR names	a link named like a JAR must lead to a JAR of the bundle
 *		(which is verified); a JAR member is checked as a JAR
 *   limits	SBX_BUNDLE_MAX_MEMBERS members, SBX_BUNDLE_MAX_BYTES of
 *		data in all
 *
 * Breaking a name, type or link rule is SBX_EREJECT with
 * SBX_V_UNSAFE_PATH; an archive libarchive cannot read, or one over a
 * limit, is SBX_EREJECT with SBX_V_MALFORMED_ARCHIVE. Messages name the
 * member: "lib/ext.jar: ...", "../x: ...".
 */
#define SBX_BUNDLE_NAME_MAX	1024
#define SBX_BUNDLE_MAX_MEMBERS	100000
#define SBX_BUNDLE_MAX_BYTES	(4ULL << 30)

/*
 * Is path a bundle by its name: does it end in .tar, .tar.gz, .tgz,
 * .tar.xz, .txz or .zip (any case)? (.jar is a JAR, not a bundle.)
 */
bool	sbx_bundle_is_name(const char *path);

/*
 * Check a member name by the rules above and write its normal form to
 * out (n bytes; "" for the bundle's own root, "./"). SBX_OK or
 * SBX_EREJECT (SBX_V_UNSAFE_PATH) naming the member.
 */
int	sbx_bundle_member_name(char *out, size_t n, const char *name,
	    struct sbx_err *err);

/*
 * Called for each JAR member with a descriptor holding its bytes (read
 * it with pread(); it stays open) and its normal name. A non-zero
 * return stops the walk and is returned.
 */
typedef int (*sbx_bundle_jar_fn)(void *ctx, int fd, const char *member,
	    struct sbx_err *err);

struct sbx_bundle_walk {
	int		 stage_fd;	/* unpack into this folder, or -1 */
	sbx_bundle_jar_fn jar;		/* or NULL */
	void		*ctx;
	size_t		 max_members;	/* 0: SBX_BUNDLE_MAX_MEMBERS */
	uint64_t	 max_bytes;	/* 0: SBX_BUNDLE_MAX_BYTES */
};

/*
 * Read the archive open at fd (from where it stands; name is for
 * messages; every message starts with it) and check every member by
 * the rules above. With stage_fd not -1, unpack it there: files mode
 * 0644 or 0755 (no set-id or group and world write bits), folders 0755;
 * nothing is ever written through a link, and the folder must be empty;
 * making it durable is the caller's job. JAR members are handed to
 * w->jar from the unpacked file, else from an unnamed temporary file in
 * TMPDIR. Stops at the first failure; what was unpacked is then the
 * caller's to remove.
 */
int	sbx_bundle_walk(int fd, const char *name,
	    const struct sbx_bundle_walk *w, struct sbx_err *err);

/*
 * Verify the bundle at path: first its provenance (o->provenance, or
 * PATH.intoto.jsonl) over the whole file, as sbx_provenance_verify()
 * does (a bundle without one is refused: SBX_V_PROVENANCE_MISSING when
 * the policy requires provenance, else SBX_V_UNSIGNED); then every
 * member by the rules above and every JAR member with sbx_jar_verify().
 * The verdict is filled as sbx_artifact_verify() fills it (by
 * SBX_SIGNED_PROVENANCE when accepted); a refused member gives the
 * violation and a reason "PATH: MEMBER: ...". Codes as
 * sbx_artifact_verify().
 */
int	sbx_bundle_verify(struct sbx_artifact_verdict *v, const char *path,
	    const struct sbx_artifact_opts *o, struct sbx_err *err);

/*
 * Verify the bundle at path as sbx_bundle_verify() does while unpacking
 * it into a new folder beside dir (".NAME.sbx-new.XXXXXX"), and only
 * when everything verified put that folder in dir's place: swapped in
 * atomically (after syncfs(); renameat2 RENAME_EXCHANGE, or rename
 * aside, rename in), then the old tree is removed. dir must be a
 * folder or not exist; a symbolic link there is refused (SBX_ECONFIG).
 * On any failure dir is as it was and nothing is left beside it.
 */
int	sbx_bundle_install(struct sbx_artifact_verdict *v, const char *path,
	    const char *dir, const struct sbx_artifact_opts *o,
	    struct sbx_err *err);

/*
 * Remove the tree at path (not following links); for the callers'
 * temporary folders. Errors are ignored: the caller has nothing better
 * to do with them.
 */
void	sbx_bundle_rmtree(const char *path);

#endif

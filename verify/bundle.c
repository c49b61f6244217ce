/* verify/bundle.c: agent bundles: verify, unpack safely, install. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <sbx/bundle.h>
#include <sbx/jar.h>
#include <sbx/provenance.h>
#include <sbx/zip.h>

#define COMPONENT_MAX	255		/* NAME_MAX of Linux file systems */

enum mtype {
	M_DIR = 1,
	M_FILE,
	M_SYMLINK,
	M_HARDLINK
};

/* One member as the walk saw it. */
struct member {
	char		*name;		/* normal form */
	char		*target;	/* symlink: as given; hard: normal */
	enum mtype	 type;
};

/* The walk's state: every member so far, found by name through a hash. */
struct walk {
	const struct sbx_bundle_walk *w;
	struct member	*m;
	size_t		 n, cap;
	size_t		*slots;		/* index + 1 into m; 0 is empty */
	size_t		 nslots;	/* a power of two */
	uint64_t	 bytes;		/* member data so far */
	size_t		 max_members;
	uint64_t	 max_bytes;
};

/* A raw name fit for a one-line message: other bytes become '?'. */
static const char *
shown(char *out, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < n && name[i] != '\0'; i++)
		out[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
	out[i] = '\0';
	return out;
}

static int
unsafe(struct sbx_err *err, const char *name, const char *why)
{
	char s[128];

	return sbx_err_reject(err, SBX_V_UNSAFE_PATH, "%s: %s",
	    shown(s, sizeof(s), name), why);
}

/* Bytes that no member name or link target may hold. */
static const char *
bad_byte(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return "has a control character";
		/* Another system's separator: the name could mean a path. */
		if (*p == '\\')
			return "has a backslash";
	}
	return NULL;
}

int
sbx_bundle_member_name(char *out, size_t n, const char *name,
    struct sbx_err *err)
{
	const char *p = name, *why;
	size_t len, o = 0;

	if (n > 0)
		out[0] = '\0';
	if (*name == '\0')
		return unsafe(err, "(empty)", "empty member name");
	if (*name == '/')
		return unsafe(err, name, "absolute member name");
	if ((why = bad_byte(name)) != NULL)
		return unsafe(err, name, why);

	for (; *p != '\0'; p += len + (p[len] == '/')) {
		len = strcspn(p, "/");
		if (len == 0 || (len == 1 && p[0] == '.'))
			continue;
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return unsafe(err, name, "member name has a '..' "
			    "component");
		if (len > COMPONENT_MAX)
			return unsafe(err, name, "a component of the member "
			    "name is longer than 255 bytes");
		if (o + len + 2 > n || o + len + 1 > SBX_BUNDLE_NAME_MAX)
			return unsafe(err, name, "member name too long");
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, p, len);
		o += len;
		out[o] = '\0';
	}
	return SBX_OK;
}

static uint64_t
hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The member of that name, or NULL; valid until the next add_member(). */
static struct member *
find(const struct walk *k, const char *name)
{
	size_t i, mask;

	if (k->nslots == 0)
		return NULL;
	mask = k->nslots - 1;
	for (i = hash_name(name) & mask; k->slots[i] != 0; i = (i + 1) & mask)
		if (strcmp(k->m[k->slots[i] - 1].name, name) == 0)
			return &k->m[k->slots[i] - 1];
	return NULL;
}

static void
place(struct walk *k, size_t idx)
{
	size_t mask = k->nslots - 1, i;

	for (i = hash_name(k->m[idx].name) & mask; k->slots[i] != 0;
	    i = (i + 1) & mask)
		;
	k->slots[i] = idx + 1;
}

static int
grow(struct walk *k, struct sbx_err *err)
{
	struct member *m;
	size_t *slots, i, cap;

	if (k->n == k->cap) {
		cap = k->cap ? k->cap * 2 : 64;
		if ((m = realloc(k->m, cap * sizeof(*m))) == NULL)
			return sbx_err_set(err, SBX_ENOMEM, "out of memory");
		k->m = m;
		k->cap = cap;
	}
	if ((k->n + 1) * 2 <= k->nslots)
		return SBX_OK;
	cap = k->nslots ? k->nslots * 2 : 128;
	if ((slots = calloc(cap, sizeof(*slots))) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	free(k->slots);
	k->slots = slots;
	k->nslots = cap;
	for (i = 0; i < k->n; i++)
		place(k, i);
	return SBX_OK;
}

/* Record a member; a name seen before is refused unless both are folders. */
static int
add_member(struct walk *k, const char *name, enum mtype type,
    const char *target, struct sbx_err *err)
{
	struct member *old = find(k, name);
	int rc;

	if (old != NULL)
		return old->type == M_DIR && type == M_DIR ? SBX_OK :
		    unsafe(err, name, "listed twice in the bundle");
	if ((rc = grow(k, err)) != SBX_OK)
		return rc;
	k->m[k->n].type = type;
	k->m[k->n].target = NULL;
	if ((k->m[k->n].name = strdup(name)) == NULL ||
	    (target != NULL && (k->m[k->n].target = strdup(target)) == NULL)) {
		free(k->m[k->n].name);
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	}
	place(k, k->n++);
	return SBX_OK;
}

static void
free_walk(struct walk *k)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		free(k->m[i].name);
		free(k->m[i].target);
	}
	free(k->m);
	free(k->slots);
}

/* "NAME: FOLDER above it is not a folder" */
static int
not_a_folder(struct sbx_err *err, const char *name, const char *prefix,
    size_t plen)
{
	return sbx_err_reject(err, SBX_V_UNSAFE_PATH, "%s: %.*s above it is "
	    "not a folder", name, (int)plen, prefix);
}

/*
 * Open the folder of stage that will hold name, making the folders on
 * the way. O_NOFOLLOW on each step: a member that is a link can never
 * carry a later member out of the stage.
 */
static int
open_parent(int *out, const struct walk *k, const char *name,
    const char **leaf, struct sbx_err *err)
{
	const char *p = name, *slash;
	char comp[COMPONENT_MAX + 1];
	int dfd, nfd;

	*out = -1;
	if ((dfd = dup(k->w->stage_fd)) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: %s", name,
		    strerror(errno));
	while ((slash = strchr(p, '/')) != NULL) {
		snprintf(comp, sizeof(comp), "%.*s", (int)(slash - p), p);
		if (mkdirat(dfd, comp, 0700) == -1 && errno != EEXIST) {
			close(dfd);
			return sbx_err_set(err, SBX_EIO, "%s: cannot make "
			    "folder: %s", name, strerror(errno));
		}
		nfd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		close(dfd);
		if (nfd == -1)
			return not_a_folder(err, name, name,
			    (size_t)(slash - name));
		/* Not the umask's business: the JVM's user must read it. */
		fchmod(nfd, 0755);
		dfd = nfd;
		p = slash + 1;
	}
	*out = dfd;
	*leaf = p;
	return SBX_OK;
}

static int
create_fail(struct sbx_err *err, const char *name, int e)
{
	if (e == EEXIST)
		return unsafe(err, name, "a folder of that name is already "
		    "there");
	return sbx_err_set(err, SBX_EIO, "%s: cannot create: %s", name,
	    strerror(e));
}

static int
add_dir(struct walk *k, const char *name, struct sbx_err *err)
{
	struct stat st;
	const char *leaf;
	int pfd, rc;

	if (*name == '\0')
		return SBX_OK;		/* "./", the root itself */
	if ((rc = add_member(k, name, M_DIR, NULL, err)) != SBX_OK ||
	    k->w->stage_fd == -1)
		return rc;
	if ((rc = open_parent(&pfd, k, name, &leaf, err)) != SBX_OK)
		return rc;
	if (mkdirat(pfd, leaf, 0700) == -1 && (errno != EEXIST ||
	    fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISDIR(st.st_mode)))
		rc = create_fail(err, name, errno);
	else if (fchmodat(pfd, leaf, 0755, 0) == -1)
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", name,
		    strerror(errno));
	close(pfd);
	return rc;
}

/* An unnamed file for a JAR member when nothing is unpacked. */
static int
scratch_file(const char *name, struct sbx_err *err)
{
	const char *dir = secure_getenv("TMPDIR");
	char path[PATH_MAX];
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd == -1 && (errno == EOPNOTSUPP || errno == EISDIR ||
	    errno == EINVAL)) {
		snprintf(path, sizeof(path), "%s/sbx-member.XXXXXX", dir);
		if ((fd = mkostemp(path, O_CLOEXEC)) != -1)
			unlink(path);
	}
	if (fd == -1)
		sbx_err_set(err, SBX_EIO, "%s: cannot make a temporary file "
		    "in %s: %s", name, dir, strerror(errno));
	return fd;
}

static int
open_output(int *out, const struct walk *k, const char *name, bool jar,
    struct sbx_err *err)
{
	const char *leaf;
	int pfd, rc;

	*out = -1;
	if (k->w->stage_fd == -1) {
		if (jar && k->w->jar != NULL &&
		    (*out = scratch_file(name, err)) == -1)
			return SBX_EIO;
		return SBX_OK;
	}
	if ((rc = open_parent(&pfd, k, name, &leaf, err)) != SBX_OK)
		return rc;
	*out = openat(pfd, leaf, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (*out == -1)
		rc = create_fail(err, name, errno);
	close(pfd);
	return rc;
}

static int
pwrite_all(int fd, const void *buf, size_t n, off_t off)
{
	const unsigned char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = pwrite(fd, p, n, off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* Every byte of the member is read (so gzip and CRC checks run), bounded. */
static int
copy_data(struct walk *k, struct archive *a, int out, const char *name,
    struct sbx_err *err)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(a, &buf, &size, &off)) ==
	    ARCHIVE_OK) {
		k->bytes += size;
		if (k->bytes > k->max_bytes)
			return sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE,
			    "%s: the bundle unpacks to more than %llu bytes",
			    name, (unsigned long long)k->max_bytes);
		if (out != -1 && pwrite_all(out, buf, size, (off_t)off) == -1)
			return sbx_err_set(err, SBX_EIO, "%s: cannot write: "
			    "%s", name, strerror(errno));
	}
	if (r != ARCHIVE_EOF)
		return sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE, "%s: %s",
		    name, archive_error_string(a) ? archive_error_string(a) :
		    "cannot read the member");
	return SBX_OK;
}

static int
add_file(struct walk *k, struct archive *a, struct archive_entry *e,
    const char *name, struct sbx_err *err)
{
	bool jar = sbx_is_jar_name(name);
	mode_t mode = (archive_entry_perm(e) & 0111) ? 0755 : 0644;
	int out = -1, rc;

	if ((rc = add_member(k, name, M_FILE, NULL, err)) != SBX_OK)
		return rc;
	if ((rc = open_output(&out, k, name, jar, err)) != SBX_OK)
		return rc;
	if ((rc = copy_data(k, a, out, name, err)) != SBX_OK)
		goto done;
	if (k->w->stage_fd != -1 && fchmod(out, mode) == -1) {
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", name,
		    strerror(errno));
		goto done;
	}
	if (jar && k->w->jar != NULL)
		rc = k->w->jar(k->w->ctx, out, name, err);
done:
	if (out != -1)
		close(out);
	return rc;
}

static int
add_symlink(struct walk *k, const char *name, const char *target,
    struct sbx_err *err)
{
	const char *leaf, *why;
	char s[128], msg[200];
	int pfd, rc;

	if (target == NULL || *target == '\0')
		return unsafe(err, name, "link with an empty target");
	if (*target == '/' || (why = bad_byte(target)) != NULL) {
		snprintf(msg, sizeof(msg), "link target %s %s",
		    shown(s, sizeof(s), target),
		    *target == '/' ? "is absolute" : why);
		return unsafe(err, name, msg);
	}
	if ((rc = add_member(k, name, M_SYMLINK, target, err)) != SBX_OK ||
	    k->w->stage_fd == -1)
		return rc;
	if ((rc = open_parent(&pfd, k, name, &leaf, err)) != SBX_OK)
		return rc;
	if (symlinkat(target, pfd, leaf) == -1)
		rc = create_fail(err, name, errno);
	close(pfd);
	return rc;
}

static int
add_hardlink(struct walk *k, struct archive_entry *e, const char *name,
    const char *target, struct sbx_err *err)
{
	char t[SBX_BUNDLE_NAME_MAX + 1], s[128], msg[200];
	const struct member *m;
	const char *leaf;
	int pfd, rc;

	if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0)
		return unsafe(err, name, "hard link that carries data");
	if ((rc = sbx_bundle_member_name(t, sizeof(t), target, err)) !=
	    SBX_OK) {
		sbx_err_prefix(err, "hard link target");
		sbx_err_prefix(err, name);
		return rc;
	}
	m = find(k, t);
	if (m == NULL || (m->type != M_FILE && m->type != M_HARDLINK)) {
		snprintf(msg, sizeof(msg), "hard link to %s, which is not a "
		    "file listed before it", shown(s, sizeof(s), t));
		return unsafe(err, name, msg);
	}
	if (sbx_is_jar_name(name) && !sbx_is_jar_name(t))
		return unsafe(err, name, "a link named like a JAR must lead "
		    "to a JAR of the bundle");
	if ((rc = add_member(k, name, M_HARDLINK, t, err)) != SBX_OK ||
	    k->w->stage_fd == -1)
		return rc;
	if ((rc = open_parent(&pfd, k, name, &leaf, err)) != SBX_OK)
		return rc;
	if (linkat(k->w->stage_fd, t, pfd, leaf, 0) == -1)
		rc = create_fail(err, name, errno);
	close(pfd);
	return rc;
}

static int
one_member(struct walk *k, struct archive *a, struct archive_entry *e,
    struct sbx_err *err)
{
	char name[SBX_BUNDLE_NAME_MAX + 1];
	const char *raw = archive_entry_pathname(e), *hard;
	int rc;

	if (raw == NULL)
		return sbx_err_reject(err, SBX_V_UNSAFE_PATH, "member %zu: "
		    "its name cannot be read", k->n + 1);
	if (k->n >= k->max_members)
		return sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE, "more "
		    "than %zu members", k->max_members);
	if ((rc = sbx_bundle_member_name(name, sizeof(name), raw, err)) !=
	    SBX_OK)
		return rc;
	if (*name == '\0' && archive_entry_filetype(e) != AE_IFDIR)
		return unsafe(err, raw, "names the bundle's own folder");

	if ((hard = archive_entry_hardlink(e)) != NULL)
		return add_hardlink(k, e, name, hard, err);
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:
		return add_dir(k, name, err);
	case AE_IFREG:
		return add_file(k, a, e, name, err);
	case AE_IFLNK:
		return add_symlink(k, name, archive_entry_symlink(e), err);
	case AE_IFCHR:
	case AE_IFBLK:
		return unsafe(err, name, "a device file");
	case AE_IFIFO:
		return unsafe(err, name, "a FIFO");
	case AE_IFSOCK:
		return unsafe(err, name, "a socket");
	default:
		return unsafe(err, name, "a member of unknown type");
	}
}

/* The first link among path and the folders above it, or NULL. */
static const struct member *
link_on(const struct walk *k, char *path)
{
	const struct member *m;
	char *p = path;

	for (;;) {
		p = strchr(p, '/');
		if (p != NULL)
			*p = '\0';
		m = find(k, path);
		if (p != NULL)
			*p++ = '/';
		if (m != NULL && m->type == M_SYMLINK)
			return m;
		if (p == NULL)
			return NULL;
	}
}

static int
link_refused(struct sbx_err *err, const struct member *m, const char *why,
    const char *other)
{
	char s[128];

	return sbx_err_reject(err, SBX_V_UNSAFE_PATH, "%s: link target %s %s%s",
	    m->name, shown(s, sizeof(s), m->target), why, other);
}

/*
 * Resolve a symlink's target by name, from the link's folder. A ".."
 * may only climb out of real folders: out of a link it would land
 * beside the link's target, wherever that is, which no name can tell.
 */
static int
resolve_link(char *out, size_t n, const struct walk *k,
    const struct member *m, struct sbx_err *err)
{
	const struct member *via;
	const char *p = m->target;
	char *slash;
	size_t len, o;

	snprintf(out, n, "%s", m->name);
	slash = strrchr(out, '/');
	o = slash != NULL ? (size_t)(slash - out) : 0;
	out[o] = '\0';

	for (; *p != '\0'; p += len + (p[len] == '/')) {
		len = strcspn(p, "/");
		if (len == 0 || (len == 1 && p[0] == '.'))
			continue;
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (o == 0)
				return link_refused(err, m, "leaves the "
				    "bundle", "");
			if ((via = link_on(k, out)) != NULL)
				return link_refused(err, m, "climbs out of "
				    "link ", via->name);
			slash = strrchr(out, '/');
			o = slash != NULL ? (size_t)(slash - out) : 0;
			out[o] = '\0';
			continue;
		}
		if (o + len + 2 > n)
			return link_refused(err, m, "is too long", "");
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, p, len);
		o += len;
		out[o] = '\0';
	}
	return SBX_OK;
}

static int
check_symlink(const struct walk *k, const struct member *m,
    struct sbx_err *err)
{
	char to[SBX_BUNDLE_NAME_MAX + 2];
	const struct member *t;
	int rc;

	if ((rc = resolve_link(to, sizeof(to), k, m, err)) != SBX_OK)
		return rc;
	if (!sbx_is_jar_name(m->name))
		return SBX_OK;
	/* The JVM would load the target's bytes under the link's name. */
	t = find(k, to);
	if (t == NULL || (t->type != M_FILE && t->type != M_HARDLINK) ||
	    !sbx_is_jar_name(to) || link_on(k, to) != NULL)
		return unsafe(err, m->name, "a link named like a JAR must "
		    "lead to a JAR of the bundle");
	return SBX_OK;
}

/* Rules that need the whole bundle: folders above members, links. */
static int
check_all(const struct walk *k, struct sbx_err *err)
{
	const struct member *m, *up;
	const char *slash;
	char prefix[SBX_BUNDLE_NAME_MAX + 1];
	size_t i;
	int rc;

	for (i = 0; i < k->n; i++) {
		m = &k->m[i];
		for (slash = strchr(m->name, '/'); slash != NULL;
		    slash = strchr(slash + 1, '/')) {
			snprintf(prefix, sizeof(prefix), "%.*s",
			    (int)(slash - m->name), m->name);
			up = find(k, prefix);
			if (up != NULL && up->type != M_DIR)
				return not_a_folder(err, m->name, prefix,
				    strlen(prefix));
		}
		if (m->type == M_SYMLINK &&
		    (rc = check_symlink(k, m, err)) != SBX_OK)
			return rc;
	}
	return SBX_OK;
}

static struct archive *
reader(void)
{
	struct archive *a = archive_read_new();

	if (a == NULL)
		return NULL;
	/* Exactly the formats a bundle may have; nothing else is parsed. */
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_format_zip(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_xz(a);
	return a;
}

int
sbx_bundle_walk(int fd, const char *name, const struct sbx_bundle_walk *w,
    struct sbx_err *err)
{
	struct walk k = { .w = w };
	struct archive *a = NULL;
	struct archive_entry *e;
	int r, rc = SBX_EINTERNAL;

	k.max_members = w->max_members ? w->max_members :
	    SBX_BUNDLE_MAX_MEMBERS;
	k.max_bytes = w->max_bytes ? w->max_bytes : SBX_BUNDLE_MAX_BYTES;
	if ((a = reader()) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		rc = sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE, "not a tar "
		    "or zip archive: %s", archive_error_string(a));
		goto done;
	}

	while ((r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		/* A warning is a doubt about the bytes: refused too. */
		if (r != ARCHIVE_OK) {
			rc = sbx_err_reject(err, SBX_V_MALFORMED_ARCHIVE,
			    "member %zu: %s", k.n + 1,
			    archive_error_string(a) ? archive_error_string(a) :
			    "unreadable header");
			goto done;
		}
		if ((rc = one_member(&k, a, e, err)) != SBX_OK)
			goto done;
	}
	rc = check_all(&k, err);
done:
	if (a != NULL)
		archive_read_free(a);
	free_walk(&k);
	if (rc != SBX_OK)
		sbx_err_prefix(err, name);
	return rc;
}

/* The JAR members: their own signature under the policy. */
static int
check_jar(void *ctx, int fd, const char *member, struct sbx_err *err)
{
	const struct sbx_artifact_opts *o = ctx;
	struct sbx_jar_verify_opts jo = {
		.policy = o->policy, .keyring = o->keyring, .now = o->now,
		.threads = o->threads
	};
	struct sbx_jar_verdict jv;
	struct sbx_zip *z = NULL;
	size_t n = strlen(member);
	int rc;

	rc = sbx_zip_open_fd(&z, fd, member, err);
	if (rc == SBX_OK)
		rc = sbx_jar_verify(&jv, z, &jo, err);
	sbx_zip_free(z);
	if (rc != SBX_OK && err != NULL && (strncmp(err->msg, member, n) != 0 ||
	    strncmp(err->msg + n, ": ", 2) != 0))
		sbx_err_prefix(err, member);
	return rc;
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* The bundle's own provenance, over every byte: checked before parsing. */
static int
check_provenance(struct sbx_artifact_verdict *v, int fd, const char *path,
    const struct sbx_artifact_opts *o, struct sbx_err *err)
{
	struct sbx_prov_verify_opts po = {
		.policy = o->policy, .keyring = o->keyring, .now = o->now,
		.source_repo = o->source_repo
	};
	const char *prov = o->provenance;
	char buf[PATH_MAX];
	struct stat st;

	if (prov != NULL)
		goto check;
	if (!sbx_provenance_path(buf, sizeof(buf), path))
		return sbx_err_set(err, SBX_EIO, "%s: path too long", path);
	if (lstat(buf, &st) == 0) {
		prov = buf;
		goto check;
	}
	if (errno != ENOENT)
		return sbx_err_set(err, SBX_EIO, "%s: %s", buf,
		    strerror(errno));
	if (o->policy->provenance.required)
		return sbx_err_reject(err, SBX_V_PROVENANCE_MISSING, "%s: no "
		    "provenance (%s%s), and the policy requires one", path,
		    base_name(path), SBX_PROVENANCE_SUFFIX);
	return sbx_err_reject(err, SBX_V_UNSIGNED, "%s: no provenance "
	    "(%s%s): a bundle is signed only by its provenance", path,
	    base_name(path), SBX_PROVENANCE_SUFFIX);
check:
	return sbx_provenance_verify_fd(&v->prov, fd, path, prov, &po, err);
}

static int
verdict(struct sbx_artifact_verdict *v, int rc, struct sbx_err *err)
{
	v->accepted = rc == SBX_OK;
	v->by = rc == SBX_OK ? SBX_SIGNED_PROVENANCE : SBX_SIGNED_NONE;
	if (rc == SBX_OK)
		v->violation = SBX_V_NONE;
	else
		v->violation = rc == SBX_EREJECT && err != NULL ?
		    err->violation : SBX_V_INTERNAL_ERROR;
	if (rc != SBX_OK && err != NULL)
		snprintf(v->reason, sizeof(v->reason), "%s", err->msg);
	return rc;
}

/* Provenance first, then every member; stage_fd as for the walk. */
static int
verify_into(struct sbx_artifact_verdict *v, const char *path, int stage_fd,
    const struct sbx_artifact_opts *o, struct sbx_err *err)
{
	struct sbx_bundle_walk w = {
		.stage_fd = stage_fd, .jar = check_jar, .ctx = (void *)o
	};
	int fd, rc;

	memset(v, 0, sizeof(*v));
	v->violation = SBX_V_INTERNAL_ERROR;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return verdict(v, sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    strerror(errno)), err);

	rc = check_provenance(v, fd, path, o, err);
	if (rc == SBX_OK && lseek(fd, 0, SEEK_SET) == -1)
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    strerror(errno));
	if (rc == SBX_OK)
		rc = sbx_bundle_walk(fd, path, &w, err);
	close(fd);
	return verdict(v, rc, err);
}

int
sbx_bundle_verify(struct sbx_artifact_verdict *v, const char *path,
    const struct sbx_artifact_opts *o, struct sbx_err *err)
{
	return verify_into(v, path, -1, o, err);
}

static void
sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd != -1) {
		fsync(fd);
		close(fd);
	}
}

/*
 * Put stage in dir's place. Afterwards stage names the old tree (or
 * nothing), for the caller to remove.
 */
static int
swap_in(const char *stage, const char *dir, const char *parent,
    const char *base, bool exists, struct sbx_err *err)
{
	char aside[PATH_MAX];

	if (!exists && rename(stage, dir) == 0)
		goto synced;
	if (!exists)
		return sbx_err_set(err, SBX_EIO, "%s: cannot rename into "
		    "place: %s", dir, strerror(errno));
	if (renameat2(AT_FDCWD, stage, AT_FDCWD, dir, RENAME_EXCHANGE) == 0)
		goto synced;
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return sbx_err_set(err, SBX_EIO, "%s: cannot swap in the new "
		    "folder: %s", dir, strerror(errno));

	/* No RENAME_EXCHANGE here: old aside, new in, old back on failure. */
	if (snprintf(aside, sizeof(aside), "%s/.%s.sbx-old.XXXXXX", parent,
	    base) >= (int)sizeof(aside))
		return sbx_err_set(err, SBX_EIO, "%s: path too long", dir);
	if (mkdtemp(aside) == NULL || rename(dir, aside) == -1) {
		rmdir(aside);
		return sbx_err_set(err, SBX_EIO, "%s: cannot move the old "
		    "folder aside: %s", dir, strerror(errno));
	}
	if (rename(stage, dir) == -1) {
		sbx_err_set(err, SBX_EIO, "%s: cannot rename into place: %s",
		    dir, strerror(errno));
		rename(aside, dir);
		return SBX_EIO;
	}
	rename(aside, stage);
synced:
	sync_dir(parent);
	return SBX_OK;
}

/* dir may be missing or a folder; *exists says which. */
static int
check_target(bool *exists, const char *dir, struct sbx_err *err)
{
	struct stat st;

	*exists = false;
	if (lstat(dir, &st) == -1) {
		if (errno == ENOENT)
			return SBX_OK;
		return sbx_err_set(err, SBX_EIO, "%s: %s", dir,
		    strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		return sbx_err_set(err, SBX_ECONFIG, "%s: a symbolic link; "
		    "install into the folder it names", dir);
	if (!S_ISDIR(st.st_mode))
		return sbx_err_set(err, SBX_ECONFIG, "%s: exists and is not a "
		    "folder", dir);
	*exists = true;
	return SBX_OK;
}

int
sbx_bundle_install(struct sbx_artifact_verdict *v, const char *path,
    const char *dir, const struct sbx_artifact_opts *o, struct sbx_err *err)
{
	char parent[PATH_MAX], base[PATH_MAX], stage[PATH_MAX], tmp[PATH_MAX];
	bool exists, staged = false;
	int sfd = -1, rc;

	memset(v, 0, sizeof(*v));
	v->violation = SBX_V_INTERNAL_ERROR;
	if ((rc = check_target(&exists, dir, err)) != SBX_OK)
		return verdict(v, rc, err);
	snprintf(tmp, sizeof(tmp), "%s", dir);
	snprintf(parent, sizeof(parent), "%s", dirname(tmp));
	snprintf(tmp, sizeof(tmp), "%s", dir);
	snprintf(base, sizeof(base), "%s", basename(tmp));
	if (snprintf(stage, sizeof(stage), "%s/.%s.sbx-new.XXXXXX", parent,
	    base) >= (int)sizeof(stage))
		return verdict(v, sbx_err_set(err, SBX_EIO, "%s: path too "
		    "long", dir), err);

	if (mkdtemp(stage) == NULL) {
		rc = sbx_err_set(err, SBX_EIO, "%s: cannot make a folder "
		    "beside it: %s", dir, strerror(errno));
		return verdict(v, rc, err);
	}
	staged = true;
	if ((sfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", stage,
		    strerror(errno));
		goto done;
	}
	if ((rc = verify_into(v, path, sfd, o, err)) != SBX_OK)
		goto done;

	/* Everything verified: make it durable, then swap it in. */
	if (fchmod(sfd, 0755) == -1 || syncfs(sfd) == -1) {
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", stage,
		    strerror(errno));
		goto done;
	}
	rc = swap_in(stage, dir, parent, base, exists, err);
done:
	if (sfd != -1)
		close(sfd);
	if (staged)
		sbx_bundle_rmtree(stage);
	return verdict(v, rc, err);
}

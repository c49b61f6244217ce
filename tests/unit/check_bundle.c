/* tests/unit/check_bundle.c: bundle member rules, unpacking, limits. */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <check.h>

#include <sbx/bundle.h>
#include <sbx/err.h>

/* ---- member names: one row a rule, with the reason ---- */

struct name_case {
	const char	*in;
	int		 rc;
	const char	*want;		/* normal form, or message part */
	const char	*why;
};

static const struct name_case names[] = {
	{ "lib/a.jar", SBX_OK, "lib/a.jar", "plain" },
	{ "./lib/a.jar", SBX_OK, "lib/a.jar", "tar -C dir . prefix" },
	{ "lib//a.jar", SBX_OK, "lib/a.jar", "repeated slash" },
	{ "lib/./a.jar", SBX_OK, "lib/a.jar", "dot component" },
	{ "lib/", SBX_OK, "lib", "folder with its slash" },
	{ "./", SBX_OK, "", "the root itself" },
	{ ".", SBX_OK, "", "the root, bare" },
	{ "a..b/c", SBX_OK, "a..b/c", "two dots inside a name" },
	{ "...", SBX_OK, "...", "three dots is a name" },
	{ "..a", SBX_OK, "..a", "dots then letters" },
	{ "caf\xc3\xa9.jar", SBX_OK, "caf\xc3\xa9.jar", "UTF-8 is fine" },
	{ "", SBX_EREJECT, "empty member name", "empty" },
	{ "/etc/passwd", SBX_EREJECT, "absolute member name", "absolute" },
	{ "//x", SBX_EREJECT, "absolute member name", "absolute, doubled" },
	{ "../x", SBX_EREJECT, "'..' component", "leaves the folder" },
	{ "..", SBX_EREJECT, "'..' component", "the parent itself" },
	{ "a/../../x", SBX_EREJECT, "'..' component", "climbs two" },
	{ "a/../b", SBX_EREJECT, "'..' component", "even when it stays" },
	{ "a/..", SBX_EREJECT, "'..' component", "at the end" },
	{ "./../x", SBX_EREJECT, "'..' component", "after a dot" },
	{ "a\\..\\x", SBX_EREJECT, "backslash", "Windows separators" },
	{ "a\nb", SBX_EREJECT, "control character", "newline in a name" },
	{ "a\x7f", SBX_EREJECT, "control character", "DEL" },
	{ "\x1b[31m", SBX_EREJECT, "control character", "escape codes" },
};

START_TEST(member_names_follow_the_rules)
{
	const struct name_case *c = &names[_i];
	struct sbx_err err = { 0 };
	char out[SBX_BUNDLE_NAME_MAX + 1];
	int rc;

	rc = sbx_bundle_member_name(out, sizeof(out), c->in, &err);
	ck_assert_msg(rc == c->rc, "%s: rc %d", c->why, rc);
	if (rc == SBX_OK) {
		ck_assert_str_eq(out, c->want);
		return;
	}
	ck_assert_int_eq(err.violation, SBX_V_UNSAFE_PATH);
	ck_assert_msg(strstr(err.msg, c->want) != NULL, "%s: %s", c->why,
	    err.msg);
	ck_assert_msg(strchr(err.msg, '\n') == NULL &&
	    strchr(err.msg, '\x1b') == NULL, "%s: raw bytes in the message",
	    c->why);
}
END_TEST

START_TEST(member_name_lengths_are_bounded)
{
	struct sbx_err err = { 0 };
	char in[2100], out[SBX_BUNDLE_NAME_MAX + 1];

	memset(in, 'a', 255);
	in[255] = '\0';
	ck_assert_int_eq(sbx_bundle_member_name(out, sizeof(out), in, &err),
	    SBX_OK);
	memset(in, 'a', 256);
	in[256] = '\0';
	ck_assert_int_eq(sbx_bundle_member_name(out, sizeof(out), in, &err),
	    SBX_EREJECT);
	ck_assert_ptr_nonnull(strstr(err.msg, "longer than 255 bytes"));

	/* 8 components of 200 bytes: 1607 bytes, over the total limit. */
	memset(in, 'b', sizeof(in));
	for (int i = 200; i < 1600; i += 201)
		in[i] = '/';
	in[1607] = '\0';
	ck_assert_int_eq(sbx_bundle_member_name(out, sizeof(out), in, &err),
	    SBX_EREJECT);
	ck_assert_ptr_nonnull(strstr(err.msg, "member name too long"));
	/* A small output buffer is refused, never overrun. */
	ck_assert_int_eq(sbx_bundle_member_name(out, 4, "abcd/e", &err),
	    SBX_EREJECT);
}
END_TEST

static const struct {
	const char	*name;
	bool		 bundle;
} kinds[] = {
	{ "a.tar", true }, { "a.tar.gz", true }, { "a.TGZ", true },
	{ "a.tar.xz", true }, { "a.txz", true }, { "dir/a.zip", true },
	{ "a.jar", false }, { "a.so", false }, { "a.gz", false },
	{ ".tar", false }, { "tar", false }, { "a.tar.bz2", false },
};

START_TEST(bundles_are_known_by_name)
{
	ck_assert_msg(sbx_bundle_is_name(kinds[_i].name) == kinds[_i].bundle,
	    "%s", kinds[_i].name);
}
END_TEST

/* ---- archives made here with libarchive's writer ---- */

enum kind { F, D, S, H, FIFO, CHR };

struct m {
	const char	*name;
	enum kind	 kind;
	const char	*data;		/* file data, or link target */
	mode_t		 perm;
};

#define END	{ NULL, F, NULL, 0 }

/* Write members into an archive of format fmt and filter; return a fd. */
static int
make_archive(const struct m *ms, int fmt, int filter)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e;
	size_t used = 0, cap = 1 << 20;
	char *buf = malloc(cap);
	FILE *f = tmpfile();
	int fd;

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(archive_write_set_format(a, fmt), ARCHIVE_OK);
	if (filter != ARCHIVE_FILTER_NONE)
		ck_assert_int_eq(archive_write_add_filter(a, filter),
		    ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_memory(a, buf, cap, &used),
	    ARCHIVE_OK);
	for (; ms->name != NULL; ms++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, ms->name);
		archive_entry_set_perm(e, ms->perm ? ms->perm : 0644);
		switch (ms->kind) {
		case F:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)strlen(ms->data));
			break;
		case D:
			archive_entry_set_filetype(e, AE_IFDIR);
			break;
		case S:
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, ms->data);
			break;
		case H:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, ms->data);
			break;
		case FIFO:
			archive_entry_set_filetype(e, AE_IFIFO);
			break;
		case CHR:
			archive_entry_set_filetype(e, AE_IFCHR);
			archive_entry_set_rdev(e, 259);
			break;
		}
		ck_assert_int_ge(archive_write_header(a, e), ARCHIVE_OK);
		if (ms->kind == F)
			archive_write_data(a, ms->data, strlen(ms->data));
		archive_entry_free(e);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	ck_assert_uint_eq(fwrite(buf, 1, used, f), used);
	fflush(f);
	free(buf);
	fd = dup(fileno(f));
	fclose(f);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* The JAR callback: records what it saw; "bad" in a name refuses. */
struct seen {
	char	 names[8][64];
	int	 n;
	char	 first_bytes[8][4];
};

static int
jar_seen(void *ctx, int fd, const char *member, struct sbx_err *err)
{
	struct seen *s = ctx;

	if (s->n < 8) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", member);
		memset(s->first_bytes[s->n], 0, 4);
		ck_assert_int_ge(pread(fd, s->first_bytes[s->n], 3, 0), 0);
		s->n++;
	}
	if (strstr(member, "bad") != NULL)
		return sbx_err_reject(err, SBX_V_DIGEST_MISMATCH, "%s: "
		    "digest mismatch for A.class", member);
	return SBX_OK;
}

struct walk_case {
	const char	*why;
	struct m	 ms[6];
	int		 rc;
	int		 violation;
	const char	*msg;		/* the whole message */
};

static const struct walk_case walks[] = {
	{ "plain files, folders, a relative link and a hard link",
	  { { "lib/", D, NULL, 0755 }, { "lib/a.jar", F, "PK1", 0 },
	    { "lib/native.so", F, "ELF", 0755 },
	    { "lib/cur.so", S, "native.so", 0 },
	    { "bin/tool", S, "../lib/native.so", 0 },
	    { "lib/b.jar", H, "lib/a.jar", 0 } },
	  SBX_OK, SBX_V_NONE, NULL },
	{ "a member named ../x",
	  { { "a", F, "x", 0 }, { "../x", F, "evil", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: ../x: member name has a '..' component" },
	{ "an absolute member",
	  { { "/etc/cron.d/x", F, "evil", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: /etc/cron.d/x: absolute member name" },
	{ "a link to an absolute path",
	  { { "lib/x", S, "/etc/shadow", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: lib/x: link target /etc/shadow is absolute" },
	{ "a link that climbs out",
	  { { "lib/x", S, "../../etc", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: lib/x: link target ../../etc leaves the bundle" },
	{ "a link that climbs out of another link",
	  { { "d", S, ".", 0 }, { "e", S, "d/..", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: e: link target d/.. climbs out of link d" },
	{ "a link in a folder that climbs out through a link",
	  { { "a/", D, NULL, 0 }, { "a/up", S, "..", 0 },
	    { "b", S, "a/up/..", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: b: link target a/up/.. climbs out of link a/up" },
	{ "a member written through a link",
	  { { "lib", S, "elsewhere", 0 }, { "lib/x.so", F, "x", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: lib/x.so: lib above it is not a folder" },
	{ "a member below a file",
	  { { "a", F, "x", 0 }, { "a/b", F, "y", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: a/b: a above it is not a folder" },
	{ "a name twice",
	  { { "a.so", F, "x", 0 }, { "./a.so", F, "y", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH, "t.tar: a.so: listed twice in the "
	  "bundle" },
	{ "a folder twice is fine",
	  { { "d/", D, NULL, 0 }, { "d", D, NULL, 0 }, { "d/x", F, "x", 0 },
	    END },
	  SBX_OK, SBX_V_NONE, NULL },
	{ "a hard link to a path outside",
	  { { "h", H, "/etc/passwd", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: h: hard link target: /etc/passwd: absolute member name" },
	{ "a hard link to a file not listed before",
	  { { "h", H, "later", 0 }, { "later", F, "x", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: h: hard link to later, which is not a file listed before "
	  "it" },
	{ "a hard link to a folder",
	  { { "d/", D, NULL, 0 }, { "h", H, "d", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: h: hard link to d, which is not a file listed before it" },
	{ "a JAR that is a link to something else",
	  { { "x.bin", F, "x", 0 }, { "agent.jar", S, "x.bin", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: agent.jar: a link named like a JAR must lead to a JAR of "
	  "the bundle" },
	{ "a JAR that is a hard link to something else",
	  { { "x.bin", F, "x", 0 }, { "agent.jar", H, "x.bin", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: agent.jar: a link named like a JAR must lead to a JAR of "
	  "the bundle" },
	{ "a JAR link to a missing JAR",
	  { { "agent.jar", S, "agent-2.jar", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: agent.jar: a link named like a JAR must lead to a JAR of "
	  "the bundle" },
	{ "a JAR link to a JAR of the bundle",
	  { { "agent-2.jar", F, "PK2", 0 }, { "agent.jar", S, "agent-2.jar",
	    0 }, END },
	  SBX_OK, SBX_V_NONE, NULL },
	{ "a FIFO",
	  { { "pipe", FIFO, NULL, 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH, "t.tar: pipe: a FIFO" },
	{ "a device file",
	  { { "dev/sda", CHR, NULL, 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH, "t.tar: dev/sda: a device file" },
	{ "a link with an empty target",
	  { { "l", S, "", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: l: link with an empty target" },
	{ "the root as a file",
	  { { ".", F, "x", 0 }, END },
	  SBX_EREJECT, SBX_V_UNSAFE_PATH,
	  "t.tar: .: names the bundle's own folder" },
	{ "a JAR member the callback refuses, after a good one",
	  { { "lib/a.jar", F, "PK1", 0 }, { "lib/bad.jar", F, "PK3", 0 },
	    { "lib/c.jar", F, "PK4", 0 }, END },
	  SBX_EREJECT, SBX_V_DIGEST_MISMATCH,
	  "t.tar: lib/bad.jar: digest mismatch for A.class" },
};

static void
check_walk(const struct walk_case *c, int fd, int stage, struct seen *s)
{
	struct sbx_bundle_walk w = { .stage_fd = stage, .jar = jar_seen,
	    .ctx = s };
	struct sbx_err err = { 0 };
	int rc;

	rc = sbx_bundle_walk(fd, "t.tar", &w, &err);
	ck_assert_msg(rc == c->rc, "%s: rc %d (%s)", c->why, rc, err.msg);
	if (rc != SBX_OK) {
		ck_assert_msg((int)err.violation == c->violation, "%s: %s",
		    c->why, sbx_violation_name(err.violation));
		ck_assert_str_eq(err.msg, c->msg);
	}
}

START_TEST(walk_applies_the_member_rules)
{
	const struct walk_case *c = &walks[_i];
	struct seen s = { 0 };
	int fd = make_archive(c->ms, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
	    ARCHIVE_FILTER_NONE);

	check_walk(c, fd, -1, &s);
	close(fd);
}
END_TEST

/* ---- unpacking ---- */

static char parent[] = "/tmp/check_bundle.XXXXXX";

static void
setup_dir(void)
{
	ck_assert_ptr_nonnull(mkdtemp(parent));
}

static void
teardown_dir(void)
{
	sbx_bundle_rmtree(parent);
	memcpy(parent + strlen(parent) - 6, "XXXXXX", 6);
}

/* A stage folder inside parent; the parent must end up holding only it. */
static int
stage_dir(void)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/stage", parent);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	fd = open(path, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	return fd;
}

static int
entries_of(const char *path)
{
	struct dirent *d;
	DIR *dir = opendir(path);
	int n = 0;

	ck_assert_ptr_nonnull(dir);
	while ((d = readdir(dir)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			n++;
	closedir(dir);
	return n;
}

START_TEST(walk_refuses_the_same_way_when_unpacking)
{
	const struct walk_case *c = &walks[_i];
	struct seen s = { 0 };
	int fd = make_archive(c->ms, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
	    ARCHIVE_FILTER_NONE), stage = stage_dir();

	check_walk(c, fd, stage, &s);
	/* Nothing lands beside the stage, whatever the bundle said. */
	ck_assert_int_eq(entries_of(parent), 1);
	close(stage);
	close(fd);
}
END_TEST

static void
assert_mode(int dfd, const char *name, mode_t type, mode_t perm)
{
	struct stat st;

	ck_assert_msg(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0,
	    "%s missing", name);
	ck_assert_msg((st.st_mode & S_IFMT) == type, "%s: type %o", name,
	    st.st_mode & S_IFMT);
	if (type != S_IFLNK)
		ck_assert_msg((st.st_mode & 07777) == perm, "%s: mode %o",
		    name, st.st_mode & 07777);
}

START_TEST(unpacking_writes_files_links_and_safe_modes)
{
	static const struct m ms[] = {
		{ "lib/a.jar", F, "PK1", 0 },
		{ "lib/tool", F, "ELF", 04777 },
		{ "lib/cur", S, "tool", 0 },
		{ "lib/b.jar", H, "lib/a.jar", 0 },
		{ "etc/", D, NULL, 0777 },
		END
	};
	struct sbx_bundle_walk w = { .jar = jar_seen };
	struct sbx_err err = { 0 };
	struct seen s = { 0 };
	struct stat a, b;
	char link[16] = "";
	int fd = make_archive(ms, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
	    ARCHIVE_FILTER_GZIP);

	w.stage_fd = stage_dir();
	w.ctx = &s;
	ck_assert_int_eq(sbx_bundle_walk(fd, "t.tgz", &w, &err), SBX_OK);
	assert_mode(w.stage_fd, "lib", S_IFDIR, 0755);
	assert_mode(w.stage_fd, "lib/a.jar", S_IFREG, 0644);
	/* No set-id bits, no group or world write. */
	assert_mode(w.stage_fd, "lib/tool", S_IFREG, 0755);
	assert_mode(w.stage_fd, "lib/cur", S_IFLNK, 0);
	assert_mode(w.stage_fd, "etc", S_IFDIR, 0755);
	ck_assert_int_eq(readlinkat(w.stage_fd, "lib/cur", link,
	    sizeof(link) - 1), 4);
	ck_assert_str_eq(link, "tool");
	ck_assert_int_eq(fstatat(w.stage_fd, "lib/a.jar", &a, 0), 0);
	ck_assert_int_eq(fstatat(w.stage_fd, "lib/b.jar", &b, 0), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	/* The JAR was handed over from its unpacked bytes, once. */
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.names[0], "lib/a.jar");
	ck_assert_str_eq(s.first_bytes[0], "PK1");
	close(w.stage_fd);
	close(fd);
}
END_TEST

START_TEST(zip_and_xz_bundles_are_read_too)
{
	static const struct m ms[] = {
		{ "agent/", D, NULL, 0 },
		{ "agent/agent.jar", F, "PKz", 0 },
		{ "agent/../../x", F, "evil", 0 },
		END
	};
	static const struct m good[] = {
		{ "agent.jar", F, "PKx", 0 }, END
	};
	struct sbx_bundle_walk w = { .stage_fd = -1, .jar = jar_seen };
	struct sbx_err err = { 0 };
	struct seen s = { 0 };
	int fd;

	w.ctx = &s;
	fd = make_archive(ms, ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE);
	ck_assert_int_eq(sbx_bundle_walk(fd, "t.zip", &w, &err), SBX_EREJECT);
	ck_assert_str_eq(err.msg, "t.zip: agent/../../x: member name has a "
	    "'..' component");
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.first_bytes[0], "PKz");
	close(fd);

	fd = make_archive(good, ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_XZ);
	ck_assert_int_eq(sbx_bundle_walk(fd, "t.txz", &w, &err), SBX_OK);
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(s.first_bytes[1], "PKx");
	close(fd);
}
END_TEST

START_TEST(limits_and_broken_archives_are_refused)
{
	static const struct m ms[] = {
		{ "a", F, "0123456789", 0 }, { "b", F, "0123456789", 0 },
		{ "c", F, "0123456789", 0 }, END
	};
	struct sbx_bundle_walk w = { .stage_fd = -1 };
	struct sbx_err err = { 0 };
	unsigned char buf[4096];
	ssize_t n;
	int fd = make_archive(ms, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
	    ARCHIVE_FILTER_GZIP), cut;
	FILE *f;

	w.max_members = 2;
	ck_assert_int_eq(sbx_bundle_walk(fd, "t.tgz", &w, &err), SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_MALFORMED_ARCHIVE);
	ck_assert_str_eq(err.msg, "t.tgz: more than 2 members");

	w.max_members = 0;
	w.max_bytes = 25;
	lseek(fd, 0, SEEK_SET);
	ck_assert_int_eq(sbx_bundle_walk(fd, "t.tgz", &w, &err), SBX_EREJECT);
	ck_assert_str_eq(err.msg, "t.tgz: c: the bundle unpacks to more than "
	    "25 bytes");

	/* The gzip stream cut short: its end and CRC are never seen. */
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf));
	ck_assert_int_gt(n, 40);
	f = tmpfile();
	fwrite(buf, 1, (size_t)n - 30, f);
	fflush(f);
	cut = dup(fileno(f));
	fclose(f);
	lseek(cut, 0, SEEK_SET);
	w.max_bytes = 0;
	ck_assert_int_eq(sbx_bundle_walk(cut, "t.tgz", &w, &err),
	    SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_MALFORMED_ARCHIVE);
	ck_assert_ptr_nonnull(strstr(err.msg, "t.tgz: "));
	close(cut);
	close(fd);

	/* Not an archive at all. */
	f = tmpfile();
	fputs("just some text, not a tar and not a zip\n", f);
	fflush(f);
	cut = dup(fileno(f));
	fclose(f);
	lseek(cut, 0, SEEK_SET);
	ck_assert_int_eq(sbx_bundle_walk(cut, "t.tar", &w, &err),
	    SBX_EREJECT);
	ck_assert_int_eq(err.violation, SBX_V_MALFORMED_ARCHIVE);
	ck_assert_ptr_nonnull(strstr(err.msg, "t.tar: "));
	close(cut);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("bundle");
	TCase *t = tcase_create("names");
	TCase *u = tcase_create("unpack");

	tcase_add_loop_test(t, member_names_follow_the_rules, 0,
	    sizeof(names) / sizeof(*names));
	tcase_add_test(t, member_name_lengths_are_bounded);
	tcase_add_loop_test(t, bundles_are_known_by_name, 0,
	    sizeof(kinds) / sizeof(*kinds));
	tcase_add_loop_test(t, walk_applies_the_member_rules, 0,
	    sizeof(walks) / sizeof(*walks));
	tcase_add_test(t, zip_and_xz_bundles_are_read_too);
	tcase_add_test(t, limits_and_broken_archives_are_refused);
	suite_add_tcase(s, t);

	tcase_add_checked_fixture(u, setup_dir, teardown_dir);
	tcase_add_loop_test(u, walk_refuses_the_same_way_when_unpacking, 0,
	    sizeof(walks) / sizeof(*walks));
	tcase_add_test(u, unpacking_writes_files_links_and_safe_modes);
	suite_add_tcase(s, u);
	return s;
}

int
main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed == 0 ? 0 : 1;
}

/* verify/deploy.c: fetch, verify, and install only what verified. */
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

#include <sbx/bundle.h>
#include <sbx/cli.h>
#include <sbx/deploy.h>
#include <sbx/fetch.h>
#include <sbx/provenance.h>

/* As sbx-verify reads provenance files (lib/dsse.c). */
#define PROVENANCE_MAX	(16U << 20)
#define SIZE_MAX_ARG	(64ULL << 30)

/* A download in progress: the private folder and the copies in it. */
struct stage {
	char	 dir[PATH_MAX];		/* "" until made */
	char	 art[PATH_MAX];		/* dir/NAME */
	char	 prov[PATH_MAX];	/* dir/NAME.intoto.jsonl */
	bool	 have_prov;
	char	 name[256];
	char	 dest[PATH_MAX];	/* the file or folder to replace */
};

void
sbx_deploy_opts_init(struct sbx_deploy_opts *d)
{
	memset(d, 0, sizeof(*d));
	sbx_fetch_opts_init(&d->fetch);
}

static int
parse_size(uint64_t *out, const char *arg, struct sbx_err *err)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift != 0)
		end++;
	if (errno != 0 || end == arg || *end != '\0' || *arg == '-' ||
	    v == 0 || v > (SIZE_MAX_ARG >> shift))
		return sbx_err_set(err, SBX_ECONFIG, "--max-size: '%s' is not "
		    "a size from 1 to 64G (bytes, or with K, M or G)", arg);
	*out = (uint64_t)v << shift;
	return SBX_OK;
}

int
sbx_deploy_option(struct sbx_deploy_opts *d, int ch, const char *arg,
    struct sbx_err *err)
{
	switch (ch) {
	case SBX_DEPLOY_FETCH:
		d->url = arg;
		return SBX_OK;
	case SBX_DEPLOY_INSTALL:
		d->dest = arg;
		return SBX_OK;
	case SBX_DEPLOY_ALLOW_HTTP:
		d->fetch_opt = "--allow-http";
		d->fetch.allow_http = true;
		return SBX_OK;
	case SBX_DEPLOY_CA_FILE:
		d->fetch_opt = "--ca-file";
		d->fetch.ca_file = arg;
		return SBX_OK;
	case SBX_DEPLOY_MAX_SIZE:
		d->fetch_opt = "--max-size";
		return parse_size(&d->fetch.max_size, arg, err);
	case SBX_DEPLOY_TIMEOUT:
		d->fetch_opt = "--timeout";
		return sbx_cli_int(&d->fetch.timeout, "--timeout", arg, 1,
		    86400, err);
	case SBX_DEPLOY_RETRIES:
		d->fetch_opt = "--retries";
		return sbx_cli_int(&d->fetch.retries, "--retries", arg, 0, 10,
		    err);
	default:
		if (err != NULL)
			err->msg[0] = '\0';
		return SBX_ECONFIG;
	}
}

int
sbx_deploy_check(const struct sbx_deploy_opts *d, int nfiles,
    struct sbx_err *err)
{
	char name[256];

	if (d->url != NULL && nfiles != 0)
		return sbx_err_set(err, SBX_ECONFIG, "--fetch: the URL is the "
		    "one artifact; give no FILE");
	if (d->url == NULL && d->fetch_opt != NULL)
		return sbx_err_set(err, SBX_ECONFIG, "%s applies to --fetch",
		    d->fetch_opt);
	if (d->url == NULL && d->dest != NULL && nfiles != 1)
		return sbx_err_set(err, SBX_ECONFIG, "--install: give one "
		    "FILE (or --fetch URL)");
	if (d->dest != NULL && *d->dest == '\0')
		return sbx_err_set(err, SBX_ECONFIG, "--install: empty path");
	if (d->url != NULL)
		return sbx_fetch_url_check(name, sizeof(name), NULL, 0, d->url,
		    d->fetch.allow_http, err);
	return SBX_OK;
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* The name, the shown source and the destination of this run. */
static int
plan(struct stage *s, struct sbx_deploy_result *res, const char *src,
    const struct sbx_deploy_opts *d, struct sbx_err *err)
{
	struct stat st;
	int rc, n;

	if (d->url != NULL) {
		if ((rc = sbx_fetch_url_check(s->name, sizeof(s->name),
		    res->source, sizeof(res->source), d->url,
		    d->fetch.allow_http, err)) != SBX_OK)
			return rc;
	} else {
		snprintf(res->source, sizeof(res->source), "%s", src);
		n = snprintf(s->name, sizeof(s->name), "%s", base_name(src));
		if (n <= 0 || n >= (int)sizeof(s->name) ||
		    strcmp(s->name, "..") == 0 || strcmp(s->name, ".") == 0)
			return sbx_err_set(err, SBX_ECONFIG, "%s: not a file "
			    "name", src);
	}
	res->bundle = sbx_bundle_is_name(s->name);
	if (d->dest == NULL)
		return SBX_OK;

	/* A file goes into a folder named as DEST under its own name. */
	if (!res->bundle && stat(d->dest, &st) == 0 && S_ISDIR(st.st_mode))
		n = snprintf(s->dest, sizeof(s->dest), "%s/%s", d->dest,
		    s->name);
	else
		n = snprintf(s->dest, sizeof(s->dest), "%s", d->dest);
	if (n < 0 || n >= (int)sizeof(s->dest))
		return sbx_err_set(err, SBX_EIO, "%s: path too long", d->dest);
	return SBX_OK;
}

/* The private folder: beside DEST (same file system), or in TMPDIR. */
static int
make_stage(struct stage *s, struct sbx_err *err)
{
	char copy[PATH_MAX], parent[PATH_MAX];
	const char *tmp = secure_getenv("TMPDIR");
	int n;

	if (s->dest[0] != '\0') {
		snprintf(copy, sizeof(copy), "%s", s->dest);
		snprintf(parent, sizeof(parent), "%s", dirname(copy));
		snprintf(copy, sizeof(copy), "%s", s->dest);
		n = snprintf(s->dir, sizeof(s->dir), "%s/.%s.sbx-fetch.XXXXXX",
		    parent, basename(copy));
	} else
		n = snprintf(s->dir, sizeof(s->dir), "%s/sbx-fetch.XXXXXX",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (n < 0 || n >= (int)sizeof(s->dir) ||
	    snprintf(s->art, sizeof(s->art), "%s/%s", s->dir, s->name) >=
	    (int)sizeof(s->art) ||
	    !sbx_provenance_path(s->prov, sizeof(s->prov), s->art)) {
		s->dir[0] = '\0';
		return sbx_err_set(err, SBX_EIO, "%s: path too long",
		    s->dest[0] ? s->dest : "TMPDIR");
	}
	if (mkdtemp(s->dir) == NULL) {
		s->dir[0] = '\0';
		return sbx_err_set(err, SBX_EIO, "%s: cannot make a private "
		    "folder beside it: %s", s->dest[0] ? s->dest : "TMPDIR",
		    strerror(errno));
	}
	/* mkdtemp() filled in the X's: the names inside follow (and fit). */
	if (snprintf(s->art, sizeof(s->art), "%s/%s", s->dir, s->name) >=
	    (int)sizeof(s->art))
		return sbx_err_set(err, SBX_EINTERNAL, "%s: path too long",
		    s->dir);
	sbx_provenance_path(s->prov, sizeof(s->prov), s->art);
	return SBX_OK;
}

static int
create(const char *path, struct sbx_err *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd == -1)
		sbx_err_set(err, SBX_EIO, "%s: %s", path, strerror(errno));
	return fd;
}

/* Copy a local file into the stage, at most max bytes (0: no limit). */
static int
copy_in(const char *to, const char *from, uint64_t max, struct sbx_err *err)
{
	char buf[65536];
	uint64_t total = 0;
	ssize_t r, w;
	int in, out = -1, rc = SBX_EIO;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: %s", from,
		    strerror(errno));
	if ((out = create(to, err)) == -1)
		goto done;
	for (;;) {
		if ((r = read(in, buf, sizeof(buf))) == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			sbx_err_set(err, SBX_EIO, "%s: %s", from,
			    strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		total += (uint64_t)r;
		if (max != 0 && total > max) {
			rc = sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH,
			    "%s: larger than %llu bytes", from,
			    (unsigned long long)max);
			goto done;
		}
		for (w = 0; w < r;) {
			ssize_t k = write(out, buf + w, (size_t)(r - w));

			if (k == -1 && errno == EINTR)
				continue;
			if (k == -1) {
				sbx_err_set(err, SBX_EIO, "%s: %s", to,
				    strerror(errno));
				goto done;
			}
			w += k;
		}
	}
	rc = SBX_OK;
done:
	if (out != -1)
		close(out);
	close(in);
	return rc;
}

static int
download(const char *to, bool *found, const char *url,
    const struct sbx_fetch_opts *fo, struct sbx_err *err)
{
	int fd, rc;

	if ((fd = create(to, err)) == -1)
		return SBX_EIO;
	rc = sbx_fetch(found, fd, url, fo, err);
	close(fd);
	if (rc == SBX_OK && found != NULL && !*found)
		unlink(to);
	return rc;
}

/* The provenance: --provenance, else beside the source if it is there. */
static int
bring_provenance(struct stage *s, const char *src,
    const struct sbx_deploy_opts *d, const struct sbx_artifact_opts *o,
    struct sbx_err *err)
{
	struct sbx_fetch_opts fo = d->fetch;
	char local[PATH_MAX], *url = NULL;
	struct stat st;
	int rc;

	s->have_prov = true;
	if (o->provenance != NULL)
		return copy_in(s->prov, o->provenance, PROVENANCE_MAX, err);
	if (d->url == NULL) {
		if (!sbx_provenance_path(local, sizeof(local), src))
			return sbx_err_set(err, SBX_EIO, "%s: path too long",
			    src);
		if (lstat(local, &st) == 0)
			return copy_in(s->prov, local, PROVENANCE_MAX, err);
		s->have_prov = false;
		return errno == ENOENT ? SBX_OK : sbx_err_set(err, SBX_EIO,
		    "%s: %s", local, strerror(errno));
	}
	if ((rc = sbx_fetch_url_suffix(&url, d->url, SBX_PROVENANCE_SUFFIX,
	    err)) != SBX_OK)
		return rc;
	fo.max_size = PROVENANCE_MAX;
	rc = download(s->prov, &s->have_prov, url, &fo, err);
	free(url);
	return rc;
}

static int
sync_path(const char *path, mode_t mode, struct sbx_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = SBX_OK;

	if (fd == -1 || fchmod(fd, mode) == -1 || fsync(fd) == -1)
		rc = sbx_err_set(err, SBX_EIO, "%s: %s", path,
		    strerror(errno));
	if (fd != -1)
		close(fd);
	return rc;
}

static void
sync_parent(const char *path)
{
	char copy[PATH_MAX];
	int fd;

	snprintf(copy, sizeof(copy), "%s", path);
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
}

/* Verified: the artifact to DEST, then its provenance beside it. */
static int
put_file(const struct stage *s, struct sbx_err *err)
{
	char dprov[PATH_MAX];
	int rc;

	if (!sbx_provenance_path(dprov, sizeof(dprov), s->dest))
		return sbx_err_set(err, SBX_EIO, "%s: path too long", s->dest);
	if ((rc = sync_path(s->art, 0644, err)) != SBX_OK ||
	    (s->have_prov && (rc = sync_path(s->prov, 0644, err)) != SBX_OK))
		return rc;
	if (rename(s->art, s->dest) == -1)
		return sbx_err_set(err, SBX_EIO, "%s: cannot rename into "
		    "place: %s", s->dest, strerror(errno));
	/*
	 * The artifact first: between the two renames a new JAR with the
	 * old provenance is refused by a guard, never the reverse.
	 */
	if (s->have_prov && rename(s->prov, dprov) == -1)
		rc = sbx_err_set(err, SBX_EIO, "%s: cannot rename into place: "
		    "%s", dprov, strerror(errno));
	else if (!s->have_prov && unlink(dprov) == -1 && errno != ENOENT)
		rc = sbx_err_set(err, SBX_EIO, "%s: cannot remove the "
		    "provenance of the version replaced: %s", dprov,
		    strerror(errno));
	sync_parent(s->dest);
	return rc;
}

/* Replace every "from" in s (n bytes) with "to". */
static void
rewrite(char *s, size_t n, const char *from, const char *to)
{
	char out[4096];
	size_t o = 0, fl = strlen(from), tl = strlen(to);
	const char *p = s, *hit;

	if (fl == 0 || strstr(s, from) == NULL)
		return;
	while ((hit = strstr(p, from)) != NULL && o + (size_t)(hit - p) +
	    tl < sizeof(out)) {
		memcpy(out + o, p, (size_t)(hit - p));
		o += (size_t)(hit - p);
		memcpy(out + o, to, tl);
		o += tl;
		p = hit + fl;
	}
	snprintf(out + o, sizeof(out) - o, "%s", p);
	snprintf(s, n, "%s", out);
}

/* Messages name the source, not the private copy. */
static void
name_source(struct sbx_artifact_verdict *v, const struct stage *s,
    const struct sbx_deploy_result *res, struct sbx_err *err)
{
	char from[PATH_MAX + 1], to[sizeof(res->source)];
	const char *slash = strrchr(res->source, '/');

	if (s->dir[0] == '\0')
		return;
	snprintf(from, sizeof(from), "%s/", s->dir);
	snprintf(to, sizeof(to), "%.*s", slash != NULL ?
	    (int)(slash - res->source + 1) : 0, res->source);
	rewrite(v->reason, sizeof(v->reason), from, to);
	rewrite(v->jar.reason, sizeof(v->jar.reason), from, to);
	rewrite(v->prov.path, sizeof(v->prov.path), from, to);
	if (err != NULL)
		rewrite(err->msg, sizeof(err->msg), from, to);
}

static int
bring(struct stage *s, const char *src, const struct sbx_deploy_opts *d,
    const struct sbx_artifact_opts *o, struct sbx_err *err)
{
	int rc;

	if (d->url != NULL)
		rc = download(s->art, NULL, d->url, &d->fetch, err);
	else
		rc = copy_in(s->art, src, 0, err);
	if (rc == SBX_OK)
		rc = bring_provenance(s, src, d, o, err);
	return rc;
}

static int
check_and_put(struct sbx_artifact_verdict *v, struct sbx_deploy_result *res,
    const struct stage *s, const struct sbx_artifact_opts *o,
    struct sbx_err *err)
{
	struct sbx_artifact_opts ao = *o;
	int rc;

	ao.provenance = NULL;		/* it was copied beside the artifact */
	if (res->bundle && s->dest[0] != '\0')
		rc = sbx_bundle_install(v, s->art, s->dest, &ao, err);
	else if (res->bundle)
		rc = sbx_bundle_verify(v, s->art, &ao, err);
	else
		rc = sbx_artifact_verify(v, s->art, &ao, err);
	if (rc == SBX_OK && !res->bundle && s->dest[0] != '\0' &&
	    (rc = put_file(s, err)) != SBX_OK)
		return sbx_artifact_verdict_fail(v, rc, err);
	if (rc == SBX_OK && s->dest[0] != '\0')
		snprintf(res->installed, sizeof(res->installed), "%s",
		    s->dest);
	return rc;
}

int
sbx_deploy_run(struct sbx_artifact_verdict *v, struct sbx_deploy_result *res,
    const char *src, const struct sbx_deploy_opts *d,
    const struct sbx_artifact_opts *o, struct sbx_err *err)
{
	struct stage s;
	int rc;

	memset(v, 0, sizeof(*v));
	memset(res, 0, sizeof(*res));
	memset(&s, 0, sizeof(s));
	v->violation = SBX_V_INTERNAL_ERROR;
	if (src == NULL)
		src = d->url;
	/* Not shown until it parses: the URL may hold a password. */
	snprintf(res->source, sizeof(res->source), "%s",
	    d->url != NULL ? "(--fetch URL)" : src);

	if ((rc = plan(&s, res, src, d, err)) != SBX_OK ||
	    (rc = make_stage(&s, err)) != SBX_OK ||
	    (rc = bring(&s, src, d, o, err)) != SBX_OK) {
		(void)sbx_artifact_verdict_fail(v, rc, err);
		goto done;
	}
	v->is_jar = sbx_is_jar_name(s.name);
	rc = check_and_put(v, res, &s, o, err);
done:
	name_source(v, &s, res, err);
	if (s.dir[0] != '\0')
		sbx_bundle_rmtree(s.dir);
	return rc;
}

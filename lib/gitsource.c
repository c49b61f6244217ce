/* lib/gitsource.c: source identity with libgit2; the --source-repo check. */
/* SPDX-License-Identifier: ISC */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include <sbx/provenance.h>

/* libgit2's last message, or a stand-in. */
static const char *
git_reason(void)
{
	const git_error *e = git_error_last();

	return e != NULL && e->message != NULL ? e->message : "libgit2 error";
}

void
sbx_source_free(struct sbx_source *s)
{
	if (s == NULL)
		return;
	free(s->repository);
	free(s->ref);
	free(s->dirty_path);
	memset(s, 0, sizeof(*s));
}

/*
 * A copy of url without the user name and password of a URL with a
 * scheme ("https://TOKEN@host/x" leaks a token into every provenance
 * otherwise). The scp form "git@host:x" names only an account: kept.
 */
static char *
strip_credentials(const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL, *p;
	char *out;
	size_t n;

	if (auth == NULL)
		return strdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return strdup(url);
	n = strlen(url) - (size_t)(at + 1 - auth);
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(out, url, (size_t)(auth - url));
	strcpy(out + (auth - url), at + 1);
	return out;
}

/*
 * The first "remote.NAME.url" in the configuration, credentials cut;
 * NULL in *out if there is none. The entry lives only as long as the
 * iterator, hence the copy inside the loop.
 */
static int
first_remote_url(char **out, git_config *cfg, struct sbx_err *err)
{
	git_config_iterator *it = NULL;
	git_config_entry *e;
	size_t n;
	int rc = SBX_OK;

	*out = NULL;
	if (git_config_iterator_new(&it, cfg) != 0)
		return SBX_OK;
	while (*out == NULL && git_config_next(&e, it) == 0) {
		n = strlen(e->name);
		if (strncmp(e->name, "remote.", 7) != 0 || n <= 11 ||
		    strcmp(e->name + n - 4, ".url") != 0)
			continue;
		if ((*out = strip_credentials(e->value)) == NULL) {
			rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
			break;
		}
	}
	git_config_iterator_free(it);
	return rc;
}

/*
 * "origin", else the branch's upstream remote, else the first one.
 * Read from a configuration snapshot rather than with
 * git_remote_lookup(), whose regular expressions leak memory in
 * libgit2 1.5 for every entry that does not match.
 */
static int
remote_url(char **out, git_repository *repo, const char *branch,
    struct sbx_err *err)
{
	git_config *cfg = NULL;
	git_buf up = { 0 };
	const char *url = NULL;
	char key[256];
	int rc = SBX_OK;

	*out = NULL;
	if (git_repository_config_snapshot(&cfg, repo) != 0)
		goto done;		/* no configuration: no remote */
	if (git_config_get_string(&url, cfg, "remote.origin.url") != 0)
		url = NULL;
	if (url == NULL && branch != NULL &&
	    git_branch_upstream_remote(&up, repo, branch) == 0 &&
	    (size_t)snprintf(key, sizeof(key), "remote.%s.url", up.ptr) <
	    sizeof(key) && git_config_get_string(&url, cfg, key) != 0)
		url = NULL;
	if (url == NULL)
		rc = first_remote_url(out, cfg, err);
	else if ((*out = strip_credentials(url)) == NULL)
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
done:
	git_config_free(cfg);
	git_buf_dispose(&up);
	return rc;
}

/* Tracked files with changes, staged or not; untracked ones are not. */
static int
read_dirty(struct sbx_source *s, git_repository *repo, const char *dir,
    struct sbx_err *err)
{
	git_status_options opts;
	git_status_list *list = NULL;
	const git_status_entry *e;
	const git_diff_delta *d;
	size_t i, n;
	int rc = SBX_OK;

	if (git_repository_is_bare(repo))
		return SBX_OK;
	if (git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION) != 0)
		return sbx_err_set(err, SBX_EINTERNAL, "libgit2: %s",
		    git_reason());
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	opts.flags = 0;
	if (git_status_list_new(&list, repo, &opts) != 0)
		return sbx_err_set(err, SBX_ECONFIG, "%s: cannot read the "
		    "status of the work tree: %s", dir, git_reason());
	n = git_status_list_entrycount(list);
	for (i = 0; i < n && !s->dirty; i++) {
		e = git_status_byindex(list, i);
		if (e->status == GIT_STATUS_CURRENT ||
		    (e->status & (GIT_STATUS_IGNORED | GIT_STATUS_WT_NEW)) ==
		    e->status)
			continue;
		s->dirty = true;
		d = e->index_to_workdir != NULL ? e->index_to_workdir :
		    e->head_to_index;
		if (d != NULL && d->old_file.path != NULL &&
		    (s->dirty_path = strdup(d->old_file.path)) == NULL)
			rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
	}
	git_status_list_free(list);
	return rc;
}

static int
read_head(struct sbx_source *s, git_repository *repo, const char *dir,
    struct sbx_err *err)
{
	git_reference *head = NULL;
	git_object *obj = NULL;
	int rc = SBX_OK, g;

	g = git_repository_head(&head, repo);
	if (g == GIT_EUNBORNBRANCH || g == GIT_ENOTFOUND) {
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: the repository has "
		    "no commit yet", dir);
		goto done;
	}
	if (g != 0 || git_reference_peel(&obj, head, GIT_OBJECT_COMMIT) != 0) {
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: cannot read HEAD: %s",
		    dir, git_reason());
		goto done;
	}
	git_oid_tostr(s->commit, sizeof(s->commit), git_object_id(obj));
	if (!git_repository_head_detached(repo) &&
	    (s->ref = strdup(git_reference_name(head))) == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	rc = remote_url(&s->repository, repo, s->ref, err);
done:
	git_object_free(obj);
	git_reference_free(head);
	return rc;
}

int
sbx_source_read(struct sbx_source *out, bool *found, const char *dir,
    struct sbx_err *err)
{
	git_repository *repo = NULL;
	const char *where = dir != NULL ? dir : ".";
	int rc, g;

	memset(out, 0, sizeof(*out));
	*found = false;
	git_libgit2_init();
	g = git_repository_open_ext(&repo, where, 0, NULL);
	if (g == GIT_ENOTFOUND && dir == NULL) {
		rc = SBX_OK;		/* not built from a repository */
		goto done;
	}
	if (g != 0) {
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: not a git repository "
		    "(%s)", where, git_reason());
		goto done;
	}
	if ((rc = read_head(out, repo, where, err)) != SBX_OK)
		goto done;
	if ((rc = read_dirty(out, repo, where, err)) != SBX_OK)
		goto done;
	*found = true;
done:
	if (rc != SBX_OK)
		sbx_source_free(out);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

/*
 * The name a ref counts as for the policy: a clone has the branches
 * it fetched under refs/remotes/R/, and those are the origin's
 * refs/heads/. NULL for a ref to skip (a symbolic refs/remotes/R/HEAD).
 */
static const char *
policy_ref_name(char *buf, size_t n, const char *name)
{
	const char *b;

	if (strncmp(name, "refs/remotes/", 13) != 0)
		return name;
	if ((b = strchr(name + 13, '/')) == NULL || strcmp(b, "/HEAD") == 0)
		return NULL;
	if ((size_t)snprintf(buf, n, "refs/heads/%s", b + 1) >= n)
		return NULL;
	return buf;
}

/* Is the commit at or below the tip of ref? */
static int
reaches(bool *yes, git_repository *repo, git_reference *ref,
    const git_oid *commit)
{
	git_object *tip = NULL;
	int g;

	*yes = false;
	if (git_reference_peel(&tip, ref, GIT_OBJECT_COMMIT) != 0)
		return 0;		/* a tag of a tree or a blob */
	if (git_oid_equal(git_object_id(tip), commit))
		*yes = true;
	else if ((g = git_graph_descendant_of(repo, git_object_id(tip),
	    commit)) < 0) {
		git_object_free(tip);
		return g;
	} else
		*yes = g == 1;
	git_object_free(tip);
	return 0;
}

static int
find_allowed_ref(bool *yes, git_repository *repo, const git_oid *commit,
    const struct sbx_policy *policy, const char *dir, struct sbx_err *err)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	const char *name;
	char buf[1024];
	int g, rc = SBX_OK;

	*yes = false;
	if (git_reference_iterator_new(&it, repo) != 0)
		return sbx_err_set(err, SBX_ECONFIG, "%s: cannot list refs: "
		    "%s", dir, git_reason());
	while (!*yes && (g = git_reference_next(&ref, it)) == 0) {
		name = policy_ref_name(buf, sizeof(buf),
		    git_reference_name(ref));
		if (name != NULL && sbx_policy_allows_ref(policy, name) &&
		    reaches(yes, repo, ref, commit) != 0)
			rc = sbx_err_set(err, SBX_ECONFIG, "%s: cannot walk "
			    "history: %s", dir, git_reason());
		git_reference_free(ref);
		ref = NULL;
		if (rc != SBX_OK)
			break;
	}
	git_reference_iterator_free(it);
	return rc;
}

int
sbx_source_check(const char *dir, const char *commit,
    const struct sbx_policy *policy, struct sbx_err *err)
{
	git_repository *repo = NULL;
	git_commit *c = NULL;
	git_oid oid;
	bool yes = false;
	int rc = SBX_EINTERNAL;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, dir, 0, NULL) != 0) {
		rc = sbx_err_set(err, SBX_ECONFIG, "%s: not a git repository "
		    "(%s)", dir, git_reason());
		goto done;
	}
	if (strlen(commit) != 40 || git_oid_fromstrn(&oid, commit, 40) != 0) {
		rc = sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH, "the "
		    "provenance names no git commit to look for in %s", dir);
		goto done;
	}
	if (git_commit_lookup(&c, repo, &oid) != 0) {
		rc = sbx_err_reject(err, SBX_V_PROVENANCE_MISMATCH, "commit "
		    "%.12s is not in %s", commit, dir);
		goto done;
	}
	if ((rc = find_allowed_ref(&yes, repo, &oid, policy, dir, err)) != 0)
		goto done;
	if (!yes) {
		rc = sbx_err_reject(err, SBX_V_SOURCE_NOT_ALLOWED, "commit "
		    "%.12s is not reachable from a ref the policy allows in "
		    "%s", commit, dir);
		goto done;
	}
	rc = SBX_OK;
done:
	git_commit_free(c);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

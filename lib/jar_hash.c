/* lib/jar_hash.c: inflate and digest JAR entries on several threads. */
/* SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <sbx/jar.h>

#define MAX_THREADS	8

struct pool {
	struct sbx_jar_hash_job	*jobs;
	size_t			 n;
	struct sbx_zip		*z;
	atomic_size_t		 next;
	atomic_size_t		 first_bad;	/* lowest failing job, or n */
	struct sbx_err		*errs;		/* one per job that failed */
	int			*rcs;
};

static int
digest_sink(void *ctx, const unsigned char *buf, size_t n)
{
	return EVP_DigestUpdate(ctx, buf, n) == 1 ? 0 : SBX_EINTERNAL;
}

static int
hash_one(struct pool *p, size_t i, EVP_MD_CTX *ctx)
{
	struct sbx_jar_hash_job *job = &p->jobs[i];
	int rc;

	if (EVP_DigestInit_ex(ctx, job->md, NULL) != 1)
		return sbx_err_ssl(&p->errs[i], SBX_EINTERNAL, "%s: cannot "
		    "start digest", job->entry->name);

	rc = sbx_zip_stream(p->z, job->entry, digest_sink, ctx, &p->errs[i]);
	if (rc == SBX_EINTERNAL && p->errs[i].msg[0] == '\0')
		return sbx_err_set(&p->errs[i], rc, "%s: digest failed",
		    job->entry->name);
	if (rc != SBX_OK)
		return rc;

	if (EVP_DigestFinal_ex(ctx, job->digest, &job->digest_len) != 1)
		return sbx_err_ssl(&p->errs[i], SBX_EINTERNAL, "%s: cannot "
		    "finish digest", job->entry->name);
	return SBX_OK;
}

static void
note_failure(struct pool *p, size_t i)
{
	size_t cur = atomic_load(&p->first_bad);

	while (i < cur && !atomic_compare_exchange_weak(&p->first_bad, &cur,
	    i))
		;
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	EVP_MD_CTX *ctx;
	size_t i;

	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		/* Claim a job so the failure is reported, not lost. */
		i = atomic_fetch_add(&p->next, 1);
		if (i < p->n) {
			p->rcs[i] = sbx_err_set(&p->errs[i], SBX_ENOMEM,
			    "out of memory");
			note_failure(p, i);
		}
		return NULL;
	}

	/* Once any job failed, later jobs cannot change the answer. */
	while ((i = atomic_fetch_add(&p->next, 1)) < p->n &&
	    i < atomic_load(&p->first_bad)) {
		p->rcs[i] = hash_one(p, i, ctx);
		if (p->rcs[i] != SBX_OK)
			note_failure(p, i);
	}
	EVP_MD_CTX_free(ctx);
	return NULL;
}

static int
thread_count(int asked, size_t n)
{
	long cpus;
	int t = asked;

	if (t <= 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		t = cpus > 0 ? (int)cpus : 1;
	}
	if (t > MAX_THREADS)
		t = MAX_THREADS;
	if ((size_t)t > n)
		t = n > 0 ? (int)n : 1;
	return t;
}

int
sbx_jar_hash_entries(struct sbx_jar_hash_job *jobs, size_t n,
    struct sbx_zip *z, int threads, struct sbx_err *err)
{
	struct pool p = { .jobs = jobs, .n = n, .z = z };
	pthread_t tids[MAX_THREADS];
	int i, t, started = 0, rc = SBX_OK;
	size_t bad;

	if (n == 0)
		return SBX_OK;
	p.errs = calloc(n, sizeof(*p.errs));
	p.rcs = calloc(n, sizeof(*p.rcs));
	if (p.errs == NULL || p.rcs == NULL) {
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
		goto done;
	}
	atomic_init(&p.next, 0);
	atomic_init(&p.first_bad, n);

	/* The calling thread works too; start t - 1 helpers. */
	t = thread_count(threads, n);
	for (i = 0; i < t - 1; i++) {
		if (pthread_create(&tids[i], NULL, worker, &p) != 0)
			break;
		started++;
	}
	worker(&p);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);

	if ((bad = atomic_load(&p.first_bad)) < n) {
		rc = p.rcs[bad];
		if (err != NULL)
			*err = p.errs[bad];
	}
done:
	free(p.errs);
	free(p.rcs);
	return rc;
}

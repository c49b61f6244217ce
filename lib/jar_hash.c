/* lib/jar_hash.c: inflate and digest JAR entries on several threads. */
/* SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdatomic.h>
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
	pthread_mutex_t		 lock;		/* guards rc and err */
	int			 rc;		/* of job first_bad */
	struct sbx_err		 err;
};

static int
digest_sink(void *ctx, const unsigned char *buf, size_t n)
{
	return EVP_DigestUpdate(ctx, buf, n) == 1 ? 0 : SBX_EINTERNAL;
}

static int
hash_one(struct pool *p, size_t i, EVP_MD_CTX *ctx, struct sbx_err *err)
{
	struct sbx_jar_hash_job *job = &p->jobs[i];
	int rc;

	if (EVP_DigestInit_ex(ctx, job->md, NULL) != 1)
		return sbx_err_ssl(err, SBX_EINTERNAL, "%s: cannot start "
		    "digest", job->entry->name);

	rc = sbx_zip_stream(p->z, job->entry, digest_sink, ctx, err);
	if (rc == SBX_EINTERNAL && err->msg[0] == '\0')
		return sbx_err_set(err, rc, "%s: digest failed",
		    job->entry->name);
	if (rc != SBX_OK)
		return rc;

	if (EVP_DigestFinal_ex(ctx, job->digest, &job->digest_len) != 1)
		return sbx_err_ssl(err, SBX_EINTERNAL, "%s: cannot finish "
		    "digest", job->entry->name);
	return SBX_OK;
}

/* Keep the failure of the lowest-numbered job, whatever the order. */
static void
note_failure(struct pool *p, size_t i, int rc, const struct sbx_err *err)
{
	pthread_mutex_lock(&p->lock);
	if (i < atomic_load(&p->first_bad)) {
		atomic_store(&p->first_bad, i);
		p->rc = rc;
		p->err = *err;
	}
	pthread_mutex_unlock(&p->lock);
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	struct sbx_err err = { 0 };
	EVP_MD_CTX *ctx;
	size_t i;
	int rc;

	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		/* Claim a job so the failure is reported, not lost. */
		i = atomic_fetch_add(&p->next, 1);
		if (i < p->n)
			note_failure(p, i, sbx_err_set(&err, SBX_ENOMEM,
			    "out of memory"), &err);
		return NULL;
	}

	/* Once any job failed, later jobs cannot change the answer. */
	while ((i = atomic_fetch_add(&p->next, 1)) < p->n &&
	    i < atomic_load(&p->first_bad)) {
		err.msg[0] = '\0';
		if ((rc = hash_one(p, i, ctx, &err)) != SBX_OK)
			note_failure(p, i, rc, &err);
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
	if (pthread_mutex_init(&p.lock, NULL) != 0)
		return sbx_err_set(err, SBX_EINTERNAL, "cannot make a lock");
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
		rc = p.rc;
		if (err != NULL)
			*err = p.err;
	}
	pthread_mutex_destroy(&p.lock);
	return rc;
}

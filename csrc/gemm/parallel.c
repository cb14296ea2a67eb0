/* parallel.c - chunked loops over the pool and the K-split GEMM (parallel.h). */
#include <string.h>

#include "parallel.h"

#define TASKS_PER_THREAD 4    /* chunks per thread when there is enough work: evens out late starts */
#define ZERO_GRAIN 16384L     /* floats zeroed per chunk (64 KiB) */

typedef struct {
    cnn_range_fn fn;
    void *ctx;
    long n, align, ntasks, units;  /* units: n / align, rounded up */
} range_job;

static long bound(const range_job *j, long t)
{
    long u = j->units / j->ntasks * t + (t < j->units % j->ntasks ? t : j->units % j->ntasks);
    long at = u * j->align;
    return at < j->n ? at : j->n;
}

static void range_task(void *ctx, long t)
{
    const range_job *j = ctx;
    long lo = bound(j, t), hi = bound(j, t + 1);
    if (hi > lo) j->fn(j->ctx, lo, hi);
}

void cnn_parallel_range(long n, long grain, long align, cnn_range_fn fn, void *ctx)
{
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (align < 1) align = 1;
    int width = n >= 2 * grain ? cnn_parallel_width() : 1;
    if (width <= 1) {
        fn(ctx, 0, n);
        return;
    }
    /* a multiple of the thread count when every thread can get a chunk, else one chunk per grain */
    long chunks = n / grain, ntasks = chunks;
    if (chunks >= width) {
        long per = chunks / width;
        ntasks = (long)width * (per < TASKS_PER_THREAD ? per : TASKS_PER_THREAD);
    }
    range_job j = {fn, ctx, n, align, ntasks, (n + align - 1) / align};
    if (j.ntasks > j.units) j.ntasks = j.units;
    cnn_parallel_for(j.ntasks, range_task, &j);
}

static void zero_chunk(void *ctx, long lo, long hi)
{ memset((float *)ctx + lo, 0, sizeof(float) * (size_t)(hi - lo)); }

void cnn_parallel_zero(float *p, long n) { cnn_parallel_range(n, ZERO_GRAIN, 16, zero_chunk, p); }

/* ---------------------------------------------------------------- K-split GEMM */
typedef struct {
    int ta, tb;
    long M, N, K, kb, lda, ldb;
    const float *A, *B;
    float *part;
} ksplit_job;

static void ksplit_task(void *ctx, long b)
{
    const ksplit_job *j = ctx;
    long k0 = b * j->kb, kn = j->K - k0 < j->kb ? j->K - k0 : j->kb;
    const float *a = j->ta ? j->A + k0 * j->lda : j->A + k0;
    const float *bb = j->tb ? j->B + k0 : j->B + k0 * j->ldb;
    cnn_gemm(j->ta, j->tb, j->M, j->N, kn, a, j->lda, bb, j->ldb, j->part + b * j->M * j->N, j->N, 0, NULL);
}

void cnn_gemm_ksplit(int trans_a, int trans_b, long M, long N, long K, const float *A, long lda,
                     const float *B, long ldb, float *C, long ldc, int accumulate, long kb, float *part)
{
    if (M <= 0 || N <= 0) return;
    if (kb < 1 || K <= kb) {
        cnn_gemm(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, accumulate, NULL);
        return;
    }
    CNN_ASSERT(A && B && C && part);
    long nblocks = (K + kb - 1) / kb, mn = M * N;
    ksplit_job j = {trans_a != 0, trans_b != 0, M, N, K, kb, lda, ldb, A, B, part};
    cnn_parallel_for(nblocks, ksplit_task, &j);
    for (long i = 0; i < M; i++) {
        float *c = C + i * ldc;
        const float *p = part + i * N;
        for (long q = 0; q < N; q++) {
            float v = accumulate ? c[q] + p[q] : p[q];
            for (long b = 1; b < nblocks; b++) v += p[b * mn + q];
            c[q] = v;
        }
    }
}

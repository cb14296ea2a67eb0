/* parallel.h - splitting a kernel's work over the pool (threads.c) when it is large enough to pay
 * for waking it, so tiny models stay on one thread.
 *
 * Two ways, both deterministic: a range of independent outputs split into chunks (any split gives
 * the same bits, so the chunk count may follow the thread count), and a GEMM whose K is split at
 * points fixed by the caller, the partial products summed in block order (cnn_gemm_ksplit).
 */
#ifndef CNN_PARALLEL_H
#define CNN_PARALLEL_H

#include "cnn.h"

/* Threads a parallel call made here would use: 1 inside a pool task (nested calls run inline). */
int cnn_parallel_width(void);

/* Runs fn(ctx, lo, hi) over chunks covering [0, n), on the pool when n >= 2 * grain (and the pool
 * has more than one thread), else once over [0, n). Chunk bounds are multiples of align (>= 1).
 * Every index's output must be written by its chunk alone and not depend on the chunk bounds. */
typedef void (*cnn_range_fn)(void *ctx, long lo, long hi);
void cnn_parallel_range(long n, long grain, long align, cnn_range_fn fn, void *ctx);

/* p[0, n) = 0, split over the pool when large. */
void cnn_parallel_zero(float *p, long n);

/* C[M, N] = (C +) op(A) op(B) with K cut into blocks of kb (the caller fixes kb, never from the
 * thread count): block b's product, each element one FMA chain over its k, goes to
 * part + b * M * N (ceil(K / kb) * M * N floats), the blocks on the pool; then each C element is
 * (C +) part_0 + part_1 + ... in block order. One block gives cnn_gemm's bits. */
void cnn_gemm_ksplit(int trans_a, int trans_b, long M, long N, long K, const float *A, long lda,
                     const float *B, long ldb, float *C, long ldc, int accumulate, long kb, float *part);

#endif

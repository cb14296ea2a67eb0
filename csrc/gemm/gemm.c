/* gemm.c - single-precision GEMM with fused epilogues and run-time ISA dispatch.
 *
 * Every C[i,j] is the chain acc = 0; for k ascending: acc = fma(a_ik, b_kj, acc), followed by
 * the epilogue of cnn.h. Each path (AVX-512, AVX2+FMA, NEON, portable) and each shape path (tiny
 * direct, matrix-vector, packed) computes exactly that chain per element - vector lanes are
 * different elements, K is never split - so the bits never depend on path, blocking or threads.
 *
 * Packed path: op(A) is packed into MR x K panels (pa[k*MR + r]) and op(B) into K x NR panels
 * (pb[k*NR + c]), zero-padded at the edges; a register-tiled micro-kernel runs the full K.
 * Work is split over (MC x NC) blocks of C, the tasks of cnn_parallel_for, never over K.
 *
 * This file: the driver (shape paths, blocking, threads, buffers), dispatch and the portable
 * path. gemm_avx2.c, gemm_avx512.c and gemm_neon.c hold the vector paths (gemm_internal.h is the interface).
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "gemm_internal.h"
#include "parallel.h"
#include "thread_api.h"

#define PAR_FLOPS 2e6       /* above this many flops the work is split over the pool */
#define TINY_FLOPS 65536    /* 2*M*N*K at or below: the unpacked direct path */
#define TINY_BT 4096        /* the direct path with trans_b copies B^T (K*N floats) to the stack */
#define GEMV_CHUNK 128      /* outputs per matrix-vector task */
#define SHARED_PACK_MIN 32768  /* floats of a shared operand above which the threads pack it together */
#define B_IN_PLACE_LDB 512     /* B read in place (b_in_place): rows at most this many floats apart */
#define B_IN_PLACE_MIN 16384   /* and at least this many floats */

/* Epilogue for n raw sums t landing at C(i0 + s*di, j0 + s*dj), s < n (matrix-vector strips). */
static void epi_strip(const float *t, long n, long i0, long j0, long di, long dj, const gemm_args *g)
{
    for (long s = 0; s < n; s++) {
        long i = i0 + s * di, j = j0 + s * dj;
        float *c = g->C + i * g->ldc + j;
        *c = epi_one(t[s], *c, &g->e, i, j);
    }
}

static inline float opB(const gemm_args *g, long k, long j)
{ return g->tb ? g->B[j * g->ldb + k] : g->B[k * g->ldb + j]; }

/* ---------------------------------------------------------------- portable */

#define P_MR 4
#define P_NR 8

void cnn_gemm_pack_a_generic(const gemm_args *g, long i0, long rows, float *dst, int MR)
{
    long K = g->K;
    for (long p = 0; p < rows; p += MR, dst += MR * K) {
        long mr = rows - p < MR ? rows - p : MR;
        if (g->ta) {
            for (long k = 0; k < K; k++) {
                const float *s = g->A + k * g->lda + i0 + p;
                long r = 0;
                for (; r < mr; r++) dst[k * MR + r] = s[r];
                for (; r < MR; r++) dst[k * MR + r] = 0.0f;
            }
        } else {
            for (long r = 0; r < MR; r++) {
                if (r < mr) {
                    const float *s = g->A + (i0 + p + r) * g->lda;
                    for (long k = 0; k < K; k++) dst[k * MR + r] = s[k];
                } else {
                    for (long k = 0; k < K; k++) dst[k * MR + r] = 0.0f;
                }
            }
        }
    }
}

void cnn_gemm_pack_b_generic(const gemm_args *g, long j0, long cols, float *dst, int NR)
{
    long K = g->K;
    for (long p = 0; p < cols; p += NR, dst += NR * K) {
        long nr = cols - p < NR ? cols - p : NR;
        if (!g->tb) {
            for (long k = 0; k < K; k++) {
                const float *s = g->B + k * g->ldb + j0 + p;
                long c = 0;
                for (; c < nr; c++) dst[k * NR + c] = s[c];
                for (; c < NR; c++) dst[k * NR + c] = 0.0f;
            }
        } else {
            for (long c = 0; c < NR; c++) {
                if (c < nr) {
                    const float *s = g->B + (j0 + p + c) * g->ldb;
                    for (long k = 0; k < K; k++) dst[k * NR + c] = s[k];
                } else {
                    for (long k = 0; k < K; k++) dst[k * NR + c] = 0.0f;
                }
            }
        }
    }
}

static void pack_a_port(const gemm_args *g, long i0, long rows, float *dst)
{ cnn_gemm_pack_a_generic(g, i0, rows, dst, P_MR); }
static void pack_b_port(const gemm_args *g, long j0, long cols, float *dst)
{ cnn_gemm_pack_b_generic(g, j0, cols, dst, P_NR); }

static void kernel_port(long K, const float *pa, const float *pb, int mr, int nr, const gemm_args *g, long i0,
                        long j0)
{
    float acc[P_MR][P_NR] = {{0}};
    for (long k = 0; k < K; k++, pa += P_MR, pb += P_NR)
        for (int r = 0; r < P_MR; r++)
            for (int c = 0; c < P_NR; c++) acc[r][c] = fmaf(pa[r], pb[c], acc[r][c]);
    epi_tile(&acc[0][0], P_NR, mr, nr, g, i0, j0);
}

static void direct_port(const gemm_args *g, const float *bk, long ldbk, long i0, long i1)
{
    for (long i = i0; i < i1; i++)
        for (long j = 0; j < g->N; j++) {
            float acc = 0.0f;
            for (long k = 0; k < g->K; k++) acc = fmaf(gemm_opA(g, i, k), bk[k * ldbk + j], acc);
            float *c = g->C + i * g->ldc + j;
            *c = epi_one(acc, *c, &g->e, i, j);
        }
}

static void gemv_t_port(long n, long K, const float *X, long ldx, const float *v, long incv, float *out)
{
    for (long s = 0; s < n; s++) out[s] = 0.0f;
    for (long k = 0; k < K; k++) {
        float b = v[k * incv];
        for (long s = 0; s < n; s++) out[s] = fmaf(X[k * ldx + s], b, out[s]);
    }
}

static void gemv_n_port(long n, long K, const float *X, long ldx, const float *v, long incv, float *out)
{
    for (long s = 0; s < n; s++) {
        float acc = 0.0f;
        for (long k = 0; k < K; k++) acc = fmaf(X[s * ldx + k], v[k * incv], acc);
        out[s] = acc;
    }
}

static const isa_ops ops_port
    = {P_MR, P_NR, kernel_port, pack_a_port, pack_b_port, direct_port, gemv_t_port, gemv_n_port};

/* ================================================================ dispatch */

static atomic_int g_isa = -1;  /* -1: not chosen yet */

#if defined(CNN_X86) && defined(_MSC_VER)
#include <immintrin.h>
#include <intrin.h>
/* CPUID and XGETBV: the CPU has the instructions and the OS saves the wider registers. */
static int cpu_best_isa(void)
{
    int r[4];
    __cpuid(r, 1);
    int fma = (r[2] >> 12) & 1, osxsave = (r[2] >> 27) & 1;
    if (!fma || !osxsave) return CNN_ISA_PORTABLE;
    unsigned long long xcr0 = _xgetbv(0);
    if ((xcr0 & 0x6) != 0x6) return CNN_ISA_PORTABLE;
    __cpuidex(r, 7, 0);
    int avx2 = (r[1] >> 5) & 1, f = (r[1] >> 16) & 1, dq = (r[1] >> 17) & 1, vl = (r[1] >> 31) & 1;
    if (f && dq && vl && (xcr0 & 0xe6) == 0xe6) return CNN_ISA_AVX512;
    return avx2 ? CNN_ISA_AVX2 : CNN_ISA_PORTABLE;
}
#else
static int cpu_best_isa(void)
{
#if defined(CNN_X86)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma"))
        return CNN_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CNN_ISA_AVX2;
#elif defined(CNN_NEON)
    return CNN_ISA_NEON;
#endif
    return CNN_ISA_PORTABLE;
}
#endif

/* Whether this build and CPU can run path isa, given the best one. */
static int isa_available(int isa, int best)
{ return isa == CNN_ISA_PORTABLE || isa == best || (isa == CNN_ISA_AVX2 && best == CNN_ISA_AVX512); }

int cnn_set_isa(int isa)
{
    int best = cpu_best_isa();
    if (!isa_available(isa, best)) isa = best;
    atomic_store(&g_isa, isa);
    return isa;
}

int cnn_get_isa(void)
{
    int isa = atomic_load(&g_isa);
    return isa >= 0 ? isa : cnn_set_isa(-1);
}

static const isa_ops *current_ops(void)
{
    switch (cnn_get_isa()) {
#ifdef CNN_X86
    case CNN_ISA_AVX512: return &cnn_gemm_ops_avx512;
    case CNN_ISA_AVX2: return &cnn_gemm_ops_avx2;
#endif
#ifdef CNN_NEON
    case CNN_ISA_NEON: return &cnn_gemm_ops_neon;
#endif
    default: return &ops_port;
    }
}

/* ---------------------------------------------------------------- per-thread packing buffers */

/* The only allocation in cnn_gemm: each thread keeps an A and a B buffer, grown on demand and
 * freed when the thread exits (pool threads; the main thread's live until the process ends). */
typedef struct {
    float *p;
    size_t cap;          /* floats */
    long serial, block;  /* which block of which call the buffer holds */
} pack_buf;

typedef struct {
    pack_buf a, b;
    pack_buf shared;   /* the operand a multithreaded call packs once for every thread (shared path) */
} pack_bufs;

static CNN_THREAD_LOCAL pack_bufs *tl_bufs;
static cnn_tls_key g_buf_key;
static cnn_once_flag g_buf_once = CNN_ONCE_INIT;
static atomic_long g_serial;

static void bufs_free(void *p)
{
    pack_bufs *b = p;
    cnn_aligned_free(b->a.p);
    cnn_aligned_free(b->b.p);
    cnn_aligned_free(b->shared.p);
    free(b);
}

static void bufs_key_init(void) { cnn_tls_create(&g_buf_key, bufs_free); }

static pack_bufs *thread_bufs(void)
{
    if (tl_bufs) return tl_bufs;
    cnn_once(&g_buf_once, bufs_key_init);
    pack_bufs *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->a.serial = b->b.serial = -1;
    cnn_tls_set(g_buf_key, b);
    return tl_bufs = b;
}

static float *buf_reserve(pack_buf *b, size_t n)
{
    if (b->cap >= n) return b->p;
    size_t bytes = ((n * sizeof(float) + 4095) / 4096) * 4096;
    float *p = cnn_aligned_alloc(64, bytes);
    if (!p) return NULL;
    cnn_aligned_free(b->p);
    b->p = p;
    b->cap = bytes / sizeof(float);
    b->serial = -1;
    return p;
}

/* ---------------------------------------------------------------- packed path */

typedef struct {
    const gemm_args *g;
    const isa_ops *ops;
    long mc, nc;        /* block sizes (multiples of MR / NR) */
    long nbm, nbn;      /* blocks along M and N */
    long serial;        /* tags packed blocks so a thread can reuse the one it holds */
    cnn_interrupt *it;  /* the caller's (NULL: none): once it says stop, blocks are skipped */
} packed_job;

static void fallback_block(const gemm_args *g, long i0, long i1, long j0, long j1)
{
    for (long i = i0; i < i1; i++)
        for (long j = j0; j < j1; j++) {
            float acc = 0.0f;
            for (long k = 0; k < g->K; k++) acc = fmaf(gemm_opA(g, i, k), opB(g, k, j), acc);
            float *c = g->C + i * g->ldc + j;
            *c = epi_one(acc, *c, &g->e, i, j);
        }
}

/* Every micro-tile of the rows x cols block at (i0, j0) from packed B panels pb and packed A
 * panels pa, or A in place when pa is NULL; pb NULL: B read in place too (A in place only). */
static void run_tiles(const gemm_args *g, const isa_ops *ops, const float *pa, const float *pb, long rows,
                      long cols, long i0, long j0)
{
    long K = g->K, MR = ops->mr, NR = ops->nr, pm = (rows + MR - 1) / MR, pn = (cols + NR - 1) / NR;
    for (long q = 0; q < pn; q++) {
        int nr = (int)(cols - q * NR < NR ? cols - q * NR : NR);
        long j = j0 + q * NR;
        const float *bq = pb ? pb + q * NR * K : g->B + j;
        long ldbq = pb ? NR : g->ldb;
        for (long p = 0; p < pm; p++) {
            int mr = (int)(rows - p * MR < MR ? rows - p * MR : MR);
            long i = i0 + p * MR;
            if (pa) ops->kernel(K, pa + p * MR * K, bq, mr, nr, g, i, j);
            else ops->kernel_ua(K, g->A + i * g->lda, g->lda, bq, ldbq, mr, nr, g, i, j);
        }
    }
}

/* Whether the tiles read B in place too (with A in place): a large B whose rows lie close together
 * (a layer's weight matrix in a forward pass) is read faster where it is than packed anew on every
 * call, a read and a write of all of it; a small B (short K or narrow N) packs for nothing. */
static int b_in_place(const gemm_args *g, const isa_ops *ops)
{ return !g->ta && !g->tb && ops->kernel_ua && g->ldb <= B_IN_PLACE_LDB && g->K * g->N >= B_IN_PLACE_MIN; }

static void packed_task(void *ctx, long task)
{
    packed_job *job = ctx;
    if (cnn_interrupt_poll(job->it)) return;
    const gemm_args *g = job->g;
    const isa_ops *ops = job->ops;
    long bi = task / job->nbn, bj = task % job->nbn;
    long i0 = bi * job->mc, j0 = bj * job->nc;
    long rows = g->M - i0 < job->mc ? g->M - i0 : job->mc;
    long cols = g->N - j0 < job->nc ? g->N - j0 : job->nc;
    long K = g->K, MR = ops->mr, NR = ops->nr;
    long pm = (rows + MR - 1) / MR, pn = (cols + NR - 1) / NR;
    int in_place = !g->ta && ops->kernel_ua;  /* A read where it is */
    if (b_in_place(g, ops)) {
        run_tiles(g, ops, NULL, NULL, rows, cols, i0, j0);
        return;
    }
    pack_bufs *bufs = thread_bufs();
    float *pa = bufs && !in_place ? buf_reserve(&bufs->a, (size_t)(pm * MR * K)) : NULL;
    float *pb = pa || (bufs && in_place) ? buf_reserve(&bufs->b, (size_t)(pn * NR * K)) : NULL;
    if (!pb) {  /* out of memory: slow but the same bits */
        fallback_block(g, i0, i0 + rows, j0, j0 + cols);
        return;
    }
    if (!in_place && (bufs->a.serial != job->serial || bufs->a.block != bi)) {
        ops->pack_a(g, i0, rows, pa);
        bufs->a.serial = job->serial, bufs->a.block = bi;
    }
    if (bufs->b.serial != job->serial || bufs->b.block != bj) {
        ops->pack_b(g, j0, cols, pb);
        bufs->b.serial = job->serial, bufs->b.block = bj;
    }
    run_tiles(g, ops, in_place ? NULL : pa, pb, rows, cols, i0, j0);
}

static long round_up(long x, long m) { return (x + m - 1) / m * m; }
static long cdiv(long a, long b) { return (a + b - 1) / b; }

/* ---------------------------------------------------------------- shared path (several threads)
 *
 * Splitting C into blocks makes every thread pack the A rows and B columns of each block it takes,
 * so on two threads A and B are packed two to four times. When one operand fits one block, it is
 * packed once, by all threads, into the caller's buffer; then the threads split the other operand's
 * dimension, each packing only its own rows (or columns). Every C element is the same chain. */
typedef struct {
    const gemm_args *g;
    const isa_ops *ops;
    int share_b; /* B packed once, tasks split M; else A packed once (or read in place), tasks split N */
    float *shared; /* the packed shared operand (NULL: A read in place) */
    long step, n; /* rows (or columns) per task, a multiple of MR (or NR); their total */
    long per_pack; /* panels per packing task */
    cnn_interrupt *it;
} shared_job;

static void shared_pack_task(void *ctx, long t)
{
    const shared_job *j = ctx;
    const gemm_args *g = j->g;
    long width = j->share_b ? j->ops->nr : j->ops->mr, total = j->share_b ? g->N : g->M;
    long first = t * j->per_pack * width,
         count = total - first < j->per_pack * width ? total - first : j->per_pack * width;
    float *dst = j->shared + first * g->K; /* panel p starts at p * width * K */
    if (j->share_b) j->ops->pack_b(g, first, count, dst);
    else j->ops->pack_a(g, first, count, dst);
}

static void shared_task(void *ctx, long t)
{
    const shared_job *j = ctx;
    if (cnn_interrupt_poll(j->it)) return;
    const gemm_args *g = j->g;
    const isa_ops *ops = j->ops;
    long K = g->K, MR = ops->mr, NR = ops->nr;
    long lo = t * j->step, count = j->n - lo < j->step ? j->n - lo : j->step;
    long rows = j->share_b ? count : g->M, cols = j->share_b ? g->N : count;
    long i0 = j->share_b ? lo : 0, j0 = j->share_b ? 0 : lo;
    long pm = (rows + MR - 1) / MR, pn = (cols + NR - 1) / NR;
    if (j->share_b && !g->ta && ops->kernel_ua) { /* A read in place: nothing of its own to pack */
        run_tiles(g, ops, NULL, j->shared, rows, cols, i0, j0);
        return;
    }
    if (!j->share_b && !j->shared && b_in_place(g, ops)) { /* A and B both read in place */
        run_tiles(g, ops, NULL, NULL, rows, cols, i0, j0);
        return;
    }
    pack_bufs *bufs = thread_bufs();
    float *own = bufs ? buf_reserve(&bufs->a, (size_t)((j->share_b ? pm * MR : pn * NR) * K)) : NULL;
    if (!own) {
        fallback_block(g, i0, i0 + rows, j0, j0 + cols);
        return;
    }
    bufs->a.serial = -1; /* holds no block of the packed path now */
    if (j->share_b) {
        ops->pack_a(g, i0, rows, own);
        run_tiles(g, ops, own, j->shared, rows, cols, i0, j0);
    } else {
        ops->pack_b(g, j0, cols, own);
        run_tiles(g, ops, j->shared, own, rows, cols, i0, j0); /* shared NULL: A in place */
    }
}

/* Runs the shared path when it fits (returns 1), else returns 0. */
static int gemm_shared(const gemm_args *g, const isa_ops *ops, int nthreads, long mc_max, long nc_max)
{
    long M = g->M, N = g->N, K = g->K, MR = ops->mr, NR = ops->nr;
    shared_job j = {g, ops, 0, NULL, 0, 0, 0, cnn_interrupt_current()};
    long tasks = 0;
    if (!g->ta && ops->kernel_ua && M <= mc_max && cdiv(N, NR) >= 2L * nthreads) {
        /* few rows read in place by every thread: nothing shared to pack, the threads split N */
        tasks = cdiv(N, NR) < 4L * nthreads ? cdiv(N, NR) : 4L * nthreads;
        j.n = N, j.step = round_up(cdiv(N, tasks), NR);
        cnn_parallel_for(cdiv(j.n, j.step), shared_task, &j);
        return 1;
    }
    if (N <= nc_max && cdiv(M, MR) >= 2L * nthreads) {
        j.share_b = 1, j.n = M;
        tasks = cdiv(M, MR) < 4L * nthreads ? cdiv(M, MR) : 4L * nthreads;
        j.step = round_up(cdiv(M, tasks), MR);
    } else if (M <= mc_max && cdiv(N, NR) >= 2L * nthreads) {
        j.share_b = 0, j.n = N;
        tasks = cdiv(N, NR) < 4L * nthreads ? cdiv(N, NR) : 4L * nthreads;
        j.step = round_up(cdiv(N, tasks), NR);
    } else {
        return 0;
    }
    long width = j.share_b ? NR : MR, panels = cdiv(j.share_b ? N : M, width);
    pack_bufs *bufs = thread_bufs();
    j.shared = bufs ? buf_reserve(&bufs->shared, (size_t)(panels * width * K)) : NULL;
    if (!j.shared) return 0;
    /* pack the shared operand: on the pool when it is large (each task a run of whole panels) */
    long floats = panels * width * K, ptasks = floats >= SHARED_PACK_MIN ? 2L * nthreads : 1;
    if (ptasks > panels) ptasks = panels;
    j.per_pack = cdiv(panels, ptasks);
    cnn_parallel_for(cdiv(panels, j.per_pack), shared_pack_task, &j);
    cnn_parallel_for(cdiv(j.n, j.step), shared_task, &j);
    return 1;
}

static void gemm_packed(const gemm_args *g, const isa_ops *ops, int nthreads)
{
    long M = g->M, N = g->N, K = g->K, MR = ops->mr, NR = ops->nr;
    /* A block ~ 256 KiB (L2-resident, re-read for every B panel); B block up to ~1 MiB. */
    long mc_max = round_up((65536 / K) > MR ? 65536 / K : MR, MR);
    long nc_max = round_up((262144 / K) > NR ? 262144 / K : NR, NR);
    /* A small K would make one block of a huge C: at most 512 x 1024 outputs per block keeps each
     * task short, so an interrupt poll between blocks comes every few ms (same bits: K is whole). */
    if (mc_max > 512) mc_max = round_up(512, MR);
    if (nc_max > 1024) nc_max = round_up(1024, NR);
    if (nthreads > 1 && gemm_shared(g, ops, nthreads, mc_max, nc_max)) return;
    long nbm = cdiv(M, mc_max), nbn = cdiv(N, nc_max);
    if (nthreads > 1) {
        /* A few blocks per thread, a multiple of the thread count. Splitting M is cheap (each
         * thread packs a B block once and keeps it); split N only when its blocks are wider. */
        long maxm = cdiv(M, MR), maxn = cdiv(N, NR);
        while ((nbm * nbn < 4L * nthreads || (nbm * nbn) % nthreads) && (nbm < maxm || nbn < maxn)) {
            if (nbn < maxn && (nbm >= maxm || cdiv(N, nbn) > 2 * cdiv(M, nbm))) nbn++;
            else nbm++;
        }
    }
    packed_job job = {g, ops, 0, 0, 0, 0, 0, cnn_interrupt_current()};
    job.mc = round_up(cdiv(M, nbm), MR);
    job.nc = round_up(cdiv(N, nbn), NR);
    job.nbm = cdiv(M, job.mc);
    job.nbn = cdiv(N, job.nc);
    job.serial = atomic_fetch_add(&g_serial, 1);
    long ntasks = job.nbm * job.nbn;
    if (nthreads > 1) cnn_parallel_for(ntasks, packed_task, &job);
    else
        for (long t = 0; t < ntasks; t++) packed_task(&job, t);
}

/* ---------------------------------------------------------------- matrix-vector path */

typedef struct {
    const gemm_args *g;
    const isa_ops *ops;
    int dot; /* gemv_n (X rows contiguous in k) or gemv_t */
    const float *X, *v;
    long ldx, incv, n;
    long i_step, j_step; /* output s is C(s*i_step, s*j_step) */
    cnn_interrupt *it; /* as in packed_job */
} gemv_job;

static void gemv_task(void *ctx, long task)
{
    gemv_job *job = ctx;
    if (cnn_interrupt_poll(job->it)) return;
    long s0 = task * GEMV_CHUNK, n = job->n - s0 < GEMV_CHUNK ? job->n - s0 : GEMV_CHUNK;
    float t[GEMV_CHUNK];
    const float *X = job->dot ? job->X + s0 * job->ldx : job->X + s0;
    (job->dot ? job->ops->gemv_n : job->ops->gemv_t)(n, job->g->K, X, job->ldx, job->v, job->incv, t);
    epi_strip(t, n, s0 * job->i_step, s0 * job->j_step, job->i_step, job->j_step, job->g);
}

static void gemm_gemv(const gemm_args *g, const isa_ops *ops, int nthreads)
{
    gemv_job job = {g, ops, 0, NULL, NULL, 0, 0, 0, 0, 0, cnn_interrupt_current()};
    if (g->N == 1) { /* C[i] = sum_k op(A)[i,k] b[k] */
        job.X = g->A, job.ldx = g->lda, job.dot = !g->ta, job.n = g->M, job.i_step = 1;
        job.v = g->B, job.incv = g->tb ? 1 : g->ldb;
    } else { /* M == 1: C[j] = sum_k a[k] op(B)[k,j] */
        job.X = g->B, job.ldx = g->ldb, job.dot = g->tb, job.n = g->N, job.j_step = 1;
        job.v = g->A, job.incv = g->ta ? g->lda : 1;
    }
    long ntasks = cdiv(job.n, GEMV_CHUNK);
    if (nthreads > 1) cnn_parallel_for(ntasks, gemv_task, &job);
    else
        for (long t = 0; t < ntasks; t++) gemv_task(&job, t);
}

/* ---------------------------------------------------------------- entry point */

void cnn_gemm(int trans_a, int trans_b, long M, long N, long K, const float *A, long lda, const float *B,
              long ldb, float *C, long ldc, int accumulate, const cnn_epilogue *ep)
{
    if (M <= 0 || N <= 0) return;
    CNN_ASSERT(C && ldc >= N);
    CNN_ASSERT(K <= 0 || (A && lda >= (trans_a ? M : K) && B && ldb >= (trans_b ? K : N)));
    CNN_ASSERT(!ep || !ep->mask || ep->ldm >= N);
    gemm_args g = {trans_a != 0,
                   trans_b != 0,
                   M,
                   N,
                   K < 0 ? 0 : K,
                   A,
                   B,
                   lda,
                   ldb,
                   C,
                   ldc,
                   {accumulate != 0, ep ? ep->relu != 0 : 0, ep ? ep->bias : NULL, ep ? ep->mask : NULL,
                    ep ? ep->ldm : 0}};
    if (g.K == 0) { /* empty product: only the epilogue */
        float zero = 0.0f;
        for (long i = 0; i < M; i++)
            for (long j = 0; j < N; j++) epi_tile(&zero, 0, 1, 1, &g, i, j);
        return;
    }
    const isa_ops *ops = current_ops();
    double flops = 2.0 * (double)M * (double)N * (double)g.K;
    int nthreads = flops > PAR_FLOPS ? cnn_parallel_width() : 1; /* 1 inside a pool task */
    if (M == 1 || N == 1) {
        gemm_gemv(&g, ops, nthreads);
    } else if ((flops <= TINY_FLOPS || (N <= 16 && flops <= 4 * TINY_FLOPS)) /* packing would dominate */
               && (!g.tb || g.K * N <= TINY_BT)) {
        if (g.tb) { /* B^T is tiny: copy it to K x N on the stack */
            float bk[TINY_BT];
            for (long k = 0; k < g.K; k++)
                for (long j = 0; j < N; j++) bk[k * N + j] = B[j * ldb + k];
            ops->direct(&g, bk, N, 0, M);
        } else {
            ops->direct(&g, B, ldb, 0, M);
        }
    } else {
        gemm_packed(&g, ops, nthreads);
    }
}

/* gemm_internal.h - what gemm.c shares with its instruction-set files (gemm_avx2.c, gemm_avx512.c,
 * gemm_neon.c).
 *
 * Each path supplies an isa_ops table. Whatever the path, every C[i,j] is the chain of cnn.h:
 * acc = 0; for k ascending: acc = fma(a_ik, b_kj, acc); then the epilogue (epi_one). Vector lanes
 * hold different elements and K is never split, so every path gives the same bits.
 */
#ifndef CNN_GEMM_INTERNAL_H
#define CNN_GEMM_INTERNAL_H

#include "cnn.h"
#include "portable.h"

#ifdef CNN_X86
#define T_AVX512 CNN_TARGET("avx512f,avx512vl,avx512dq,fma")
#define T_AVX2 CNN_TARGET("avx2,fma")
#endif

typedef struct {
    int accumulate, relu;
    const float *bias;   /* bias[j] or NULL */
    const float *mask;   /* mask[i*ldm + j] or NULL */
    long ldm;
} epi_t;

typedef struct {
    int ta, tb;
    long M, N, K;
    const float *A, *B;
    long lda, ldb;
    float *C;
    long ldc;
    epi_t e;
} gemm_args;

typedef struct {
    int mr, nr;  /* micro-tile */
    /* C tile at (i0, j0), mr x nr valid of MR x NR: epilogue(A panel . B panel), full K. */
    void (*kernel)(long K, const float *pa, const float *pb, int mr, int nr, const gemm_args *g, long i0,
                   long j0);
    /* Packs rows [i0, i0+rows) of op(A) into ceil(rows/MR) panels pa[k*MR + r] (zero-padded). */
    void (*pack_a)(const gemm_args *g, long i0, long rows, float *dst);
    /* Packs columns [j0, j0+cols) of op(B) into ceil(cols/NR) panels pb[k*NR + c]. */
    void (*pack_b)(const gemm_args *g, long j0, long cols, float *dst);
    /* Unpacked: C rows [i0, i1) with op(B) given row-major K x N as (bk, ldbk). */
    void (*direct)(const gemm_args *g, const float *bk, long ldbk, long i0, long i1);
    /* out[s] = chain over k of X[k*ldx + s] * v[k*incv], s < n  (axpy form) */
    void (*gemv_t)(long n, long K, const float *X, long ldx, const float *v, long incv, float *out);
    /* out[s] = chain over k of X[s*ldx + k] * v[k*incv], s < n  (dot form) */
    void (*gemv_n)(long n, long K, const float *X, long ldx, const float *v, long incv, float *out);
    /* Optional (NULL: pack A): the kernel with op(A) = A read in place, rows A + r * lda (no trans_a),
     * and B rows ldpb apart: a packed panel (ldpb = NR) or B itself (no trans_b, ldpb = ldb). */
    void (*kernel_ua)(long K, const float *A, long lda, const float *pb, long ldpb, int mr, int nr,
                      const gemm_args *g, long i0, long j0);
} isa_ops;

/* Instruction-set paths (cnn.h numbers them): */
enum { CNN_ISA_PORTABLE = 0, CNN_ISA_AVX2 = 1, CNN_ISA_AVX512 = 2, CNN_ISA_NEON = 3 };
#ifdef CNN_X86
extern const isa_ops cnn_gemm_ops_avx2, cnn_gemm_ops_avx512;
#endif
#ifdef CNN_NEON
extern const isa_ops cnn_gemm_ops_neon;
#endif

/* The scalar epilogue; the vector ones match it bit for bit (max(v, 0) maps NaN and -0 to +0
 * exactly as v > 0 ? v : 0 does). */
static inline float epi_one(float acc, float c_old, const epi_t *e, long i, long j)
{
    float v = acc;
    if (e->accumulate) v = c_old + v;
    if (e->bias) v = v + e->bias[j];
    if (e->relu) v = v > 0.0f ? v : 0.0f;
    if (e->mask) v = e->mask[i * e->ldm + j] > 0.0f ? v : 0.0f;
    return v;
}

/* Epilogue for a rows x cols tile of raw sums t (leading dimension ldt) landing at C(i0, j0). */
static inline void epi_tile(const float *t, long ldt, long rows, long cols, const gemm_args *g, long i0,
                            long j0)
{
    for (long r = 0; r < rows; r++) {
        float *c = g->C + (i0 + r) * g->ldc + j0;
        for (long q = 0; q < cols; q++) c[q] = epi_one(t[r * ldt + q], c[q], &g->e, i0 + r, j0 + q);
    }
}

/* op(A)[i,k] */
static inline float gemm_opA(const gemm_args *g, long i, long k)
{ return g->ta ? g->A[k * g->lda + i] : g->A[i * g->lda + k]; }

/* Plain-C packing for any micro-tile (MR, NR). */
void cnn_gemm_pack_a_generic(const gemm_args *g, long i0, long rows, float *dst, int MR);
void cnn_gemm_pack_b_generic(const gemm_args *g, long j0, long cols, float *dst, int NR);

#endif

/* gemm_avx2.c - the AVX2+FMA path of cnn_gemm: 6x16 micro-kernel (12 ymm sums), direct
 * small-shape blocks, matrix-vector strips. Compiled with target attributes; gemm.c calls it
 * only when the CPU has AVX2 and FMA. */
#include <math.h>
#include "gemm_internal.h"

#ifdef CNN_X86
#include <immintrin.h>

#define V2_MR 6
#define V2_NR 16

static void pack_a_avx2(const gemm_args *g, long i0, long rows, float *dst)
{ cnn_gemm_pack_a_generic(g, i0, rows, dst, V2_MR); }
static void pack_b_avx2(const gemm_args *g, long j0, long cols, float *dst)
{ cnn_gemm_pack_b_generic(g, j0, cols, dst, V2_NR); }

T_AVX2 static inline __m256 epi_v256(__m256 v, const float *c, long j, long i, const epi_t *e)
{
    if (e->accumulate) v = _mm256_add_ps(_mm256_loadu_ps(c), v);
    if (e->bias) v = _mm256_add_ps(v, _mm256_loadu_ps(e->bias + j));
    if (e->relu) v = _mm256_max_ps(v, _mm256_setzero_ps());  /* max(v,0): NaN and -0 give +0 */
    if (e->mask) {
        __m256 m = _mm256_cmp_ps(_mm256_loadu_ps(e->mask + i * e->ldm + j), _mm256_setzero_ps(), _CMP_GT_OQ);
        v = _mm256_and_ps(m, v);
    }
    return v;
}

T_AVX2 static void kernel_avx2(long K, const float *pa, const float *pb, int mr, int nr, const gemm_args *g,
                               long i0, long j0)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (long k = 0; k < K; k++, pa += V2_MR, pb += V2_NR) {
        __m256 b0 = _mm256_load_ps(pb), b1 = _mm256_load_ps(pb + 8), a;
        a = _mm256_broadcast_ss(pa + 0);
        c00 = _mm256_fmadd_ps(a, b0, c00);
        c01 = _mm256_fmadd_ps(a, b1, c01);
        a = _mm256_broadcast_ss(pa + 1);
        c10 = _mm256_fmadd_ps(a, b0, c10);
        c11 = _mm256_fmadd_ps(a, b1, c11);
        a = _mm256_broadcast_ss(pa + 2);
        c20 = _mm256_fmadd_ps(a, b0, c20);
        c21 = _mm256_fmadd_ps(a, b1, c21);
        a = _mm256_broadcast_ss(pa + 3);
        c30 = _mm256_fmadd_ps(a, b0, c30);
        c31 = _mm256_fmadd_ps(a, b1, c31);
        a = _mm256_broadcast_ss(pa + 4);
        c40 = _mm256_fmadd_ps(a, b0, c40);
        c41 = _mm256_fmadd_ps(a, b1, c41);
        a = _mm256_broadcast_ss(pa + 5);
        c50 = _mm256_fmadd_ps(a, b0, c50);
        c51 = _mm256_fmadd_ps(a, b1, c51);
    }
    __m256 acc[V2_MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    if (nr == V2_NR) {
        for (int r = 0; r < mr; r++) {
            long i = i0 + r;
            float *c = g->C + i * g->ldc + j0;
            _mm256_storeu_ps(c, epi_v256(acc[r][0], c, j0, i, &g->e));
            _mm256_storeu_ps(c + 8, epi_v256(acc[r][1], c + 8, j0 + 8, i, &g->e));
        }
    } else {
        float t[V2_MR * V2_NR];
        for (int r = 0; r < V2_MR; r++) {
            _mm256_storeu_ps(t + r * V2_NR, acc[r][0]);
            _mm256_storeu_ps(t + r * V2_NR + 8, acc[r][1]);
        }
        epi_tile(t, V2_NR, mr, nr, g, i0, j0);
    }
}

static const int32_t lane_ramp[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

T_AVX2 static inline __m256i lanes_below(long n)  /* mask of lanes < n */
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < 8 ? n : 8)),
                              _mm256_loadu_si256((const __m256i *)lane_ramp));
}

/* RR rows x (8*NV) columns of C straight from A and bk; rows past i1 repeat the last row (computed,
 * not stored) so the loops have constant trip counts and the sums stay in registers. */
T_AVX2 static CNN_ALWAYS_INLINE void direct_block256(const gemm_args *g, const float *bk, long ldbk, long i,
                                                     long i1, long j, const int RR, const int NV)
{
    long K = g->K, N = g->N;
    const float *ap[8];
    long as = g->ta ? g->lda : 1;  /* stride between consecutive k of one row of op(A) */
    for (int r = 0; r < RR; r++) {
        long ir = i + r < i1 ? i + r : i1 - 1;
        ap[r] = g->ta ? g->A + ir : g->A + ir * g->lda;
    }
    __m256i m0 = lanes_below(N - j), m1 = lanes_below(N - j - 8);
    __m256 acc[8][2];
    for (int r = 0; r < RR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (long k = 0; k < K; k++) {
        const float *b = bk + k * ldbk + j;
        __m256 b0 = _mm256_maskload_ps(b, m0), b1 = NV > 1 ? _mm256_maskload_ps(b + 8, m1) : b0;
        for (int r = 0; r < RR; r++) {
            __m256 a = _mm256_set1_ps(ap[r][k * as]);
            acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
            if (NV > 1) acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
        }
    }
    float t[8 * 16];
    for (int r = 0; r < RR; r++) {
        _mm256_storeu_ps(t + r * 16, acc[r][0]);
        if (NV > 1) _mm256_storeu_ps(t + r * 16 + 8, acc[r][1]);
    }
    long nc = N - j < 8 * NV ? N - j : 8 * NV;
    epi_tile(t, 16, i1 - i < RR ? i1 - i : RR, nc, g, i, j);
}

T_AVX2 static void direct_avx2(const gemm_args *g, const float *bk, long ldbk, long i0, long i1)
{
    if (g->N <= 8) {
        for (long i = i0; i < i1; i += 8) direct_block256(g, bk, ldbk, i, i1, 0, 8, 1);
        return;
    }
    for (long i = i0; i < i1; i += 4)
        for (long j = 0; j < g->N; j += 16) direct_block256(g, bk, ldbk, i, i1, j, 4, 2);
}

T_AVX2 static void gemv_t_avx2(long n, long K, const float *X, long ldx, const float *v, long incv,
                               float *out)
{
    for (long s = 0; s < n; s += 32) {
        long w = n - s < 32 ? n - s : 32;
        __m256i m[4];
        __m256 acc[4];
        for (int q = 0; q < 4; q++) {
            m[q] = lanes_below(w - 8 * q);
            acc[q] = _mm256_setzero_ps();
        }
        for (long k = 0; k < K; k++) {
            __m256 b = _mm256_set1_ps(v[k * incv]);
            const float *x = X + k * ldx + s;
            for (int q = 0; q < 4; q++)
                acc[q] = _mm256_fmadd_ps(_mm256_maskload_ps(x + 8 * q, m[q]), b, acc[q]);
        }
        for (int q = 0; q < 4; q++) _mm256_maskstore_ps(out + s + 8 * q, m[q], acc[q]);
    }
}

/* 8 independent scalar chains (one per row) keep the FMA units busy without a transpose. */
T_AVX2 static void gemv_n_avx2(long n, long K, const float *X, long ldx, const float *v, long incv,
                               float *out)
{
    long s = 0;
    for (; s + 8 <= n; s += 8) {
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        const float *x = X + s * ldx;
        for (long k = 0; k < K; k++) {
            float b = v[k * incv];
            a0 = fmaf(x[k], b, a0);
            a1 = fmaf(x[ldx + k], b, a1);
            a2 = fmaf(x[2 * ldx + k], b, a2);
            a3 = fmaf(x[3 * ldx + k], b, a3);
            a4 = fmaf(x[4 * ldx + k], b, a4);
            a5 = fmaf(x[5 * ldx + k], b, a5);
            a6 = fmaf(x[6 * ldx + k], b, a6);
            a7 = fmaf(x[7 * ldx + k], b, a7);
        }
        out[s] = a0;
        out[s + 1] = a1;
        out[s + 2] = a2;
        out[s + 3] = a3;
        out[s + 4] = a4;
        out[s + 5] = a5;
        out[s + 6] = a6;
        out[s + 7] = a7;
    }
    for (; s < n; s++) {
        float acc = 0.0f;
        for (long k = 0; k < K; k++) acc = fmaf(X[s * ldx + k], v[k * incv], acc);
        out[s] = acc;
    }
}

const isa_ops cnn_gemm_ops_avx2
    = {V2_MR, V2_NR, kernel_avx2, pack_a_avx2, pack_b_avx2, direct_avx2, gemv_t_avx2, gemv_n_avx2};

#else
typedef int cnn_gemm_no_x86;  /* ISO C forbids an empty file */
#endif /* CNN_X86 */

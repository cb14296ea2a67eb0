/* gemm_avx512.c - the AVX-512 path of cnn_gemm: 8x32 micro-kernel (16 zmm sums), packing with
 * 16x16 in-register transposes, direct small-shape blocks, matrix-vector strips. Compiled with
 * target attributes; gemm.c calls it only when the CPU has AVX-512 F/VL/DQ. */
#include "gemm_internal.h"

#ifdef CNN_X86
#include <immintrin.h>

#define V5_MR 8
#define V5_NR 32

T_AVX512 static inline __mmask16 kmask(long n)
{ return n >= 16 ? (__mmask16)0xffff : n <= 0 ? 0 : (__mmask16)((1u << n) - 1); }

/* Epilogue of one 16-lane row segment at C(i, j), lanes in m, then the store. */
T_AVX512 static inline void epi_store512(__m512 v, long i, long j, __mmask16 m, const gemm_args *g)
{
    const epi_t *e = &g->e;
    float *c = g->C + i * g->ldc + j;
    if (e->accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, c), v);
    if (e->bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, e->bias + j));
    if (e->relu) v = _mm512_max_ps(v, _mm512_setzero_ps());  /* max(v,0): NaN and -0 give +0 */
    if (e->mask) {
        __mmask16 k = _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m, e->mask + i * e->ldm + j),
                                         _mm512_setzero_ps(), _CMP_GT_OQ);
        v = _mm512_maskz_mov_ps(k, v);
    }
    _mm512_mask_storeu_ps(c, m, v);
}

/* In-register transpose: r[i] lane k  ->  r[k] lane i. */
T_AVX512 static inline void transpose16(__m512 r[16])
{
    __m512 t[16];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        __m512d x0 = _mm512_castps_pd(t[4 * i]), x1 = _mm512_castps_pd(t[4 * i + 1]);
        __m512d x2 = _mm512_castps_pd(t[4 * i + 2]), x3 = _mm512_castps_pd(t[4 * i + 3]);
        r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(x0, x2));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(x0, x2));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(x1, x3));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(x1, x3));
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        t[j] = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88);
        t[4 + j] = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xdd);
        t[8 + j] = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
        t[12 + j] = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xdd);
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        r[j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0x88);
        r[8 + j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0xdd);
        r[4 + j] = _mm512_shuffle_f32x4(t[4 + j], t[12 + j], 0x88);
        r[12 + j] = _mm512_shuffle_f32x4(t[4 + j], t[12 + j], 0xdd);
    }
}

/* Loads rows src + q*ld (q < nrows, zero beyond) at columns [0, kw), transposed into r. */
T_AVX512 static inline void load_t16(__m512 r[16], const float *src, long ld, long nrows, long kw)
{
    __mmask16 m = kmask(kw);
#pragma GCC unroll 16
    for (int q = 0; q < 16; q++) r[q] = _mm512_maskz_loadu_ps(q < nrows ? m : 0, src + q * ld);
    transpose16(r);
}

/* A rows are contiguous in k (no trans_a): 16 rows (two 8-row panels) per 16x16 transpose. */
T_AVX512 static void pack_a_avx512(const gemm_args *g, long i0, long rows, float *dst)
{
    long K = g->K;
    if (g->ta) {
        for (long p = 0; p < rows; p += V5_MR, dst += V5_MR * K) {
            __mmask16 m = kmask(rows - p);
            const float *s = g->A + i0 + p;
            for (long k = 0; k < K; k++)
                _mm256_store_ps(dst + k * V5_MR, _mm256_maskz_loadu_ps((__mmask8)m, s + k * g->lda));
        }
        return;
    }
    for (long p = 0; p < rows; p += 16, dst += 16 * K) {
        long nrows = rows - p < 16 ? rows - p : 16;
        float *d0 = dst, *d1 = dst + V5_MR * K;
        const float *s = g->A + (i0 + p) * g->lda;
        for (long k = 0; k < K; k += 16) {
            long kw = K - k < 16 ? K - k : 16;
            __m512 r[16];
            load_t16(r, s + k, g->lda, nrows, kw);
            for (long q = 0; q < kw; q++) {
                _mm256_store_ps(d0 + (k + q) * V5_MR, _mm512_castps512_ps256(r[q]));
                if (nrows > 8) _mm256_store_ps(d1 + (k + q) * V5_MR, _mm512_extractf32x8_ps(r[q], 1));
            }
        }
    }
}

/* B rows contiguous in n (no trans_b): copies; trans_b: 16x16 transposes. */
T_AVX512 static void pack_b_avx512(const gemm_args *g, long j0, long cols, float *dst)
{
    long K = g->K;
    for (long p = 0; p < cols; p += V5_NR, dst += V5_NR * K) {
        long nr = cols - p < V5_NR ? cols - p : V5_NR;
        if (!g->tb) {
            __mmask16 m0 = kmask(nr), m1 = kmask(nr - 16);
            const float *s = g->B + j0 + p;
            for (long k = 0; k < K; k++) {
                _mm512_store_ps(dst + k * V5_NR, _mm512_maskz_loadu_ps(m0, s + k * g->ldb));
                _mm512_store_ps(dst + k * V5_NR + 16, _mm512_maskz_loadu_ps(m1, s + k * g->ldb + 16));
            }
        } else {
            for (int h = 0; h < 2; h++) {
                long nrows = nr - 16 * h;
                const float *s = g->B + (j0 + p + 16 * h) * g->ldb;
                for (long k = 0; k < K; k += 16) {
                    long kw = K - k < 16 ? K - k : 16;
                    __m512 r[16];
                    if (nrows > 0) load_t16(r, s + k, g->ldb, nrows, kw);
                    else
                        for (int q = 0; q < 16; q++) r[q] = _mm512_setzero_ps();
                    for (long q = 0; q < kw; q++) _mm512_store_ps(dst + (k + q) * V5_NR + 16 * h, r[q]);
                }
            }
        }
    }
}

/* The micro-kernel: C tile (i0, j0), mr x nr valid of 8 x 32, from A element (r, k) at a + r*rs + k*ks
 * (a packed panel: rs = 1, ks = 8; A read in place: rs = lda, ks = 1) and B rows ldpb apart (a packed
 * panel: 32; B read in place: ldb, masked loads keeping a right-edge tile inside B). Rows past mr
 * repeat row 0 (computed, not stored). Every C element is the chain over ascending k. */
#define FMA_ROW(r) \
    do { \
        a = _mm512_set1_ps(a##r[k * ks]); \
        c##r##0 = _mm512_fmadd_ps(a, b0, c##r##0); \
        c##r##1 = _mm512_fmadd_ps(a, b1, c##r##1); \
    } while (0)

#define FMA_ROW16(r) \
    do { \
        c##r##0 = _mm512_fmadd_ps(_mm512_set1_ps(a##r[k * ks]), b0, c##r##0); \
    } while (0)

#define ROWS(A, rs, mr) \
    const float *a0 = A, *a1 = A + (mr > 1 ? rs : 0), *a2 = A + (mr > 2 ? 2 * rs : 0); \
    const float *a3 = A + (mr > 3 ? 3 * rs : 0), *a4 = A + (mr > 4 ? 4 * rs : 0); \
    const float *a5 = A + (mr > 5 ? 5 * rs : 0), *a6 = A + (mr > 6 ? 6 * rs : 0); \
    const float *a7 = A + (mr > 7 ? 7 * rs : 0)

/* Tiles with at most 16 valid columns (narrow outputs, right edges): half the work. */
T_AVX512 static CNN_ALWAYS_INLINE void tile_n16(long K, const float *A, long rs, long ks, const float *pb,
                                                long ldpb, int mr, int nr, const gemm_args *g, long i0,
                                                long j0)
{
    ROWS(A, rs, mr);
    __m512 c00 = _mm512_setzero_ps(), c10 = c00, c20 = c00, c30 = c00;
    __m512 c40 = c00, c50 = c00, c60 = c00, c70 = c00;
    __mmask16 m0 = kmask(nr);
    for (long k = 0; k < K; k++, pb += ldpb) {
        __m512 b0 = _mm512_maskz_loadu_ps(m0, pb);
        FMA_ROW16(0);
        FMA_ROW16(1);
        FMA_ROW16(2);
        FMA_ROW16(3);
        FMA_ROW16(4);
        FMA_ROW16(5);
        FMA_ROW16(6);
        FMA_ROW16(7);
    }
    __m512 acc[V5_MR] = {c00, c10, c20, c30, c40, c50, c60, c70};
    for (int r = 0; r < mr; r++) epi_store512(acc[r], i0 + r, j0, m0, g);
}

T_AVX512 static CNN_ALWAYS_INLINE void tile(long K, const float *A, long rs, long ks, const float *pb,
                                            long ldpb, int mr, int nr, const gemm_args *g, long i0, long j0)
{
    if (nr <= 16) {
        tile_n16(K, A, rs, ks, pb, ldpb, mr, nr, g, i0, j0);
        return;
    }
    ROWS(A, rs, mr);
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    __m512 c60 = c00, c61 = c00, c70 = c00, c71 = c00;
    __mmask16 m0 = kmask(nr), m1 = kmask(nr - 16);
    for (long k = 0; k < K; k++, pb += ldpb) {
        __m512 b0 = _mm512_loadu_ps(pb), b1 = _mm512_maskz_loadu_ps(m1, pb + 16), a;
        FMA_ROW(0);
        FMA_ROW(1);
        FMA_ROW(2);
        FMA_ROW(3);
        FMA_ROW(4);
        FMA_ROW(5);
        FMA_ROW(6);
        FMA_ROW(7);
    }
    __m512 acc[V5_MR][2]
        = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
    for (int r = 0; r < mr; r++) {
        epi_store512(acc[r][0], i0 + r, j0, m0, g);
        if (m1) epi_store512(acc[r][1], i0 + r, j0 + 16, m1, g);
    }
}

/* Packed A and B panels; the constant strides let the compiler fold the addressing. */
T_AVX512 static void kernel_avx512(long K, const float *pa, const float *pb, int mr, int nr,
                                   const gemm_args *g, long i0, long j0)
{ tile(K, pa, 1, V5_MR, pb, V5_NR, mr, nr, g, i0, j0); }

/* A read in place (no trans_a: rows lda apart, contiguous in k). */
T_AVX512 static void kernel_ua_avx512(long K, const float *A, long lda, const float *pb, long ldpb, int mr,
                                      int nr, const gemm_args *g, long i0, long j0)
{ tile(K, A, lda, 1, pb, ldpb, mr, nr, g, i0, j0); }

/* RR rows x (16*NV) columns of C straight from A and bk; rows past i1 repeat the last row (their
 * sums are computed, not stored) so every loop has a constant trip count and stays in registers. */
T_AVX512 static CNN_ALWAYS_INLINE void direct_block512(const gemm_args *g, const float *bk, long ldbk, long i,
                                                       long i1, long j, const int RR, const int NV)
{
    long K = g->K, N = g->N;
    const float *ap[8];
    long as = g->ta ? g->lda : 1;  /* stride between consecutive k of one row of op(A) */
    for (int r = 0; r < RR; r++) {
        long ir = i + r < i1 ? i + r : i1 - 1;
        ap[r] = g->ta ? g->A + ir : g->A + ir * g->lda;
    }
    __mmask16 m0 = kmask(N - j), m1 = kmask(N - j - 16);
    __m512 acc[8][2];
    for (int r = 0; r < RR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (long k = 0; k < K; k++) {
        const float *b = bk + k * ldbk + j;
        __m512 b0 = _mm512_maskz_loadu_ps(m0, b), b1 = NV > 1 ? _mm512_maskz_loadu_ps(m1, b + 16) : b0;
        for (int r = 0; r < RR; r++) {
            __m512 a = _mm512_set1_ps(ap[r][k * as]);
            acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
            if (NV > 1) acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < RR; r++) {
        if (i + r >= i1) break;
        epi_store512(acc[r][0], i + r, j, m0, g);
        if (NV > 1 && m1) epi_store512(acc[r][1], i + r, j + 16, m1, g);
    }
}

/* Lanes along i for trans_a (A[k*lda + i] is contiguous in i), for narrow outputs (N < 16, N < M)
 * such as the weight gradient of a small layer: sums for 16 rows x 4 columns at a time are kept
 * as columns of a 16x16 tile, which one transpose turns into rows of C for the vector epilogue. */
T_AVX512 static void direct_lanes_i512(const gemm_args *g, const float *bk, long ldbk, long i0, long i1)
{
    long K = g->K, N = g->N;
    __mmask16 mn = kmask(N);
    for (long i = i0; i < i1; i += 16) {
        __mmask16 m = kmask(i1 - i);
        __m512 tile[16];
        for (int q = 0; q < 16; q++) tile[q] = _mm512_setzero_ps();
        for (long j = 0; j < N; j += 4) {
            const float *b0 = bk + j, *b1 = bk + (j + 1 < N ? j + 1 : j);
            const float *b2 = bk + (j + 2 < N ? j + 2 : j), *b3 = bk + (j + 3 < N ? j + 3 : j);
            __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
            for (long k = 0; k < K; k++) {
                __m512 a = _mm512_maskz_loadu_ps(m, g->A + k * g->lda + i);
                long o = k * ldbk;
                c0 = _mm512_fmadd_ps(a, _mm512_set1_ps(b0[o]), c0);
                c1 = _mm512_fmadd_ps(a, _mm512_set1_ps(b1[o]), c1);
                c2 = _mm512_fmadd_ps(a, _mm512_set1_ps(b2[o]), c2);
                c3 = _mm512_fmadd_ps(a, _mm512_set1_ps(b3[o]), c3);
            }
            tile[j] = c0, tile[j + 1] = c1, tile[j + 2] = c2, tile[j + 3] = c3;  /* N < 16: in range */
        }
        if (N <= 4) {  /* a few columns: a scalar epilogue is cheaper than the transpose */
            float t[4][16];
            for (int q = 0; q < 4; q++) _mm512_storeu_ps(t[q], tile[q]);
            for (long r = 0; r < 16 && i + r < i1; r++)
                for (long q = 0; q < N; q++) {
                    float *c = g->C + (i + r) * g->ldc + q;
                    *c = epi_one(t[q][r], *c, &g->e, i + r, q);
                }
            continue;
        }
        transpose16(tile);
        for (int r = 0; r < 16 && i + r < i1; r++) epi_store512(tile[r], i + r, 0, mn, g);
    }
}

T_AVX512 static void direct_avx512(const gemm_args *g, const float *bk, long ldbk, long i0, long i1)
{
    if (g->ta && g->N < 16 && g->N < i1 - i0) {
        direct_lanes_i512(g, bk, ldbk, i0, i1);
        return;
    }
    if (g->N <= 16) {
        for (long i = i0; i < i1; i += 8) direct_block512(g, bk, ldbk, i, i1, 0, 8, 1);
        return;
    }
    for (long i = i0; i < i1; i += 4)
        for (long j = 0; j < g->N; j += 32) direct_block512(g, bk, ldbk, i, i1, j, 4, 2);
}

T_AVX512 static void gemv_t_avx512(long n, long K, const float *X, long ldx, const float *v, long incv,
                                   float *out)
{
    for (long s = 0; s < n; s += 128) {
        __mmask16 m[8];
        __m512 acc[8];
        for (int q = 0; q < 8; q++) {
            m[q] = kmask(n - s - 16 * q);
            acc[q] = _mm512_setzero_ps();
        }
        for (long k = 0; k < K; k++) {
            __m512 b = _mm512_set1_ps(v[k * incv]);
            const float *x = X + k * ldx + s;
            for (int q = 0; q < 8; q++)
                if (m[q]) acc[q] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m[q], x + 16 * q), b, acc[q]);
        }
        for (int q = 0; q < 8; q++) _mm512_mask_storeu_ps(out + s + 16 * q, m[q], acc[q]);
    }
}

/* 16 rows at a time: a 16x16 transpose turns row segments into per-k vectors over the rows;
 * four row blocks advance together so their chains overlap. */
T_AVX512 static void gemv_n_avx512(long n, long K, const float *X, long ldx, const float *v, long incv,
                                   float *out)
{
    for (long s = 0; s < n; s += 64) {
        __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        for (long k = 0; k < K; k += 16) {
            long kw = K - k < 16 ? K - k : 16;
#pragma GCC unroll 4
            for (int q = 0; q < 4; q++) {
                long r0 = s + 16 * q;
                __m512 r[16];
                load_t16(r, X + r0 * ldx + k, ldx, n - r0, kw);
                if (kw == 16) {
#pragma GCC unroll 16
                    for (int t = 0; t < 16; t++)
                        acc[q] = _mm512_fmadd_ps(r[t], _mm512_set1_ps(v[(k + t) * incv]), acc[q]);
                } else {
                    for (long t = 0; t < kw; t++)
                        acc[q] = _mm512_fmadd_ps(r[t], _mm512_set1_ps(v[(k + t) * incv]), acc[q]);
                }
            }
        }
        for (int q = 0; q < 4; q++) _mm512_mask_storeu_ps(out + s + 16 * q, kmask(n - s - 16 * q), acc[q]);
    }
}

const isa_ops cnn_gemm_ops_avx512
    = {V5_MR,         V5_NR,         kernel_avx512, pack_a_avx512,   pack_b_avx512,
       direct_avx512, gemv_t_avx512, gemv_n_avx512, kernel_ua_avx512};

#else
typedef int cnn_gemm_no_x86;  /* ISO C forbids an empty file */
#endif /* CNN_X86 */

/* gemm_neon.c - the ARM64 Advanced SIMD (NEON) path of cnn_gemm: 8x12 micro-kernel (24 q-register
 * sums), direct small-shape rows, matrix-vector strips. NEON is part of every ARMv8-A CPU, so
 * gemm.c offers this path whenever it is compiled for AArch64.
 *
 * vfmaq_f32 / vfmaq_laneq_f32 are single-rounding fused multiply-adds (FMLA), so every C[i,j] is
 * the chain of gemm_internal.h, bit for bit. The epilogue uses compare-and-select, never vmaxq_f32:
 * FMAX returns NaN for a NaN input where the reference (v > 0 ? v : 0) gives +0.
 */
#include <math.h>
#include "gemm_internal.h"

#ifdef CNN_NEON
#include <arm_neon.h>

#define N_MR 8
#define N_NR 12

static void pack_a_neon(const gemm_args *g, long i0, long rows, float *dst)
{ cnn_gemm_pack_a_generic(g, i0, rows, dst, N_MR); }
static void pack_b_neon(const gemm_args *g, long j0, long cols, float *dst)
{ cnn_gemm_pack_b_generic(g, j0, cols, dst, N_NR); }

/* keep v where cond > 0 (false for NaN), else +0 */
static inline float32x4_t keep_positive(float32x4_t cond, float32x4_t v)
{ return vreinterpretq_f32_u32(vandq_u32(vcgtq_f32(cond, vdupq_n_f32(0.0f)), vreinterpretq_u32_f32(v))); }

static inline float32x4_t epi_v128(float32x4_t v, const float *c, long j, long i, const epi_t *e)
{
    if (e->accumulate) v = vaddq_f32(vld1q_f32(c), v);
    if (e->bias) v = vaddq_f32(v, vld1q_f32(e->bias + j));
    if (e->relu) v = keep_positive(v, v);
    if (e->mask) v = keep_positive(vld1q_f32(e->mask + i * e->ldm + j), v);
    return v;
}

static void kernel_neon(long K, const float *pa, const float *pb, int mr, int nr, const gemm_args *g, long i0,
                        long j0)
{
    float32x4_t acc[N_MR][3];
    for (int r = 0; r < N_MR; r++) acc[r][0] = acc[r][1] = acc[r][2] = vdupq_n_f32(0.0f);
    for (long k = 0; k < K; k++, pa += N_MR, pb += N_NR) {
        float32x4_t a0 = vld1q_f32(pa), a1 = vld1q_f32(pa + 4);
        float32x4_t b0 = vld1q_f32(pb), b1 = vld1q_f32(pb + 4), b2 = vld1q_f32(pb + 8);
#define ROW(r, a, l) \
    acc[r][0] = vfmaq_laneq_f32(acc[r][0], b0, a, l); \
    acc[r][1] = vfmaq_laneq_f32(acc[r][1], b1, a, l); \
    acc[r][2] = vfmaq_laneq_f32(acc[r][2], b2, a, l)
        ROW(0, a0, 0);
        ROW(1, a0, 1);
        ROW(2, a0, 2);
        ROW(3, a0, 3);
        ROW(4, a1, 0);
        ROW(5, a1, 1);
        ROW(6, a1, 2);
        ROW(7, a1, 3);
#undef ROW
    }
    if (nr == N_NR) {
        for (int r = 0; r < mr; r++) {
            long i = i0 + r;
            float *c = g->C + i * g->ldc + j0;
            for (int q = 0; q < 3; q++)
                vst1q_f32(c + 4 * q, epi_v128(acc[r][q], c + 4 * q, j0 + 4 * q, i, &g->e));
        }
    } else {
        float t[N_MR * N_NR];
        for (int r = 0; r < N_MR; r++)
            for (int q = 0; q < 3; q++) vst1q_f32(t + r * N_NR + 4 * q, acc[r][q]);
        epi_tile(t, N_NR, mr, nr, g, i0, j0);
    }
}

/* One row of C from op(A) row i and bk: 4 columns per vector, a scalar fmaf chain for the tail. */
static void direct_neon(const gemm_args *g, const float *bk, long ldbk, long i0, long i1)
{
    long K = g->K, N = g->N, as = g->ta ? g->lda : 1;
    for (long i = i0; i < i1; i++) {
        const float *a = g->ta ? g->A + i : g->A + i * g->lda;
        long j = 0;
        for (; j + 8 <= N; j += 8) {
            float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0;
            for (long k = 0; k < K; k++) {
                float32x4_t av = vdupq_n_f32(a[k * as]);
                s0 = vfmaq_f32(s0, av, vld1q_f32(bk + k * ldbk + j));
                s1 = vfmaq_f32(s1, av, vld1q_f32(bk + k * ldbk + j + 4));
            }
            float t[8];
            vst1q_f32(t, s0);
            vst1q_f32(t + 4, s1);
            epi_tile(t, 8, 1, 8, g, i, j);
        }
        for (; j + 4 <= N; j += 4) {
            float32x4_t s0 = vdupq_n_f32(0.0f);
            for (long k = 0; k < K; k++)
                s0 = vfmaq_f32(s0, vdupq_n_f32(a[k * as]), vld1q_f32(bk + k * ldbk + j));
            float t[4];
            vst1q_f32(t, s0);
            epi_tile(t, 4, 1, 4, g, i, j);
        }
        for (; j < N; j++) {
            float acc = 0.0f;
            for (long k = 0; k < K; k++) acc = fmaf(a[k * as], bk[k * ldbk + j], acc);
            epi_tile(&acc, 1, 1, 1, g, i, j);
        }
    }
}

static void gemv_t_neon(long n, long K, const float *X, long ldx, const float *v, long incv, float *out)
{
    long s = 0;
    for (; s + 16 <= n; s += 16) {
        float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (long k = 0; k < K; k++) {
            const float *x = X + k * ldx + s;
            float32x4_t b = vdupq_n_f32(v[k * incv]);
            a0 = vfmaq_f32(a0, vld1q_f32(x), b);
            a1 = vfmaq_f32(a1, vld1q_f32(x + 4), b);
            a2 = vfmaq_f32(a2, vld1q_f32(x + 8), b);
            a3 = vfmaq_f32(a3, vld1q_f32(x + 12), b);
        }
        vst1q_f32(out + s, a0);
        vst1q_f32(out + s + 4, a1);
        vst1q_f32(out + s + 8, a2);
        vst1q_f32(out + s + 12, a3);
    }
    for (; s + 4 <= n; s += 4) {
        float32x4_t a0 = vdupq_n_f32(0.0f);
        for (long k = 0; k < K; k++) a0 = vfmaq_f32(a0, vld1q_f32(X + k * ldx + s), vdupq_n_f32(v[k * incv]));
        vst1q_f32(out + s, a0);
    }
    for (; s < n; s++) {
        float acc = 0.0f;
        for (long k = 0; k < K; k++) acc = fmaf(X[k * ldx + s], v[k * incv], acc);
        out[s] = acc;
    }
}

/* 4 independent chains (one per row of X) keep the FMA pipes busy without a transpose. */
static void gemv_n_neon(long n, long K, const float *X, long ldx, const float *v, long incv, float *out)
{
    long s = 0;
    for (; s + 4 <= n; s += 4) {
        const float *x = X + s * ldx;
        float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
        for (long k = 0; k < K; k++) {
            float b = v[k * incv];
            a0 = fmaf(x[k], b, a0);
            a1 = fmaf(x[ldx + k], b, a1);
            a2 = fmaf(x[2 * ldx + k], b, a2);
            a3 = fmaf(x[3 * ldx + k], b, a3);
        }
        out[s] = a0, out[s + 1] = a1, out[s + 2] = a2, out[s + 3] = a3;
    }
    for (; s < n; s++) {
        float acc = 0.0f;
        for (long k = 0; k < K; k++) acc = fmaf(X[s * ldx + k], v[k * incv], acc);
        out[s] = acc;
    }
}

const isa_ops cnn_gemm_ops_neon
    = {N_MR, N_NR, kernel_neon, pack_a_neon, pack_b_neon, direct_neon, gemv_t_neon, gemv_n_neon};

#else
typedef int cnn_gemm_no_neon;  /* ISO C forbids an empty file */
#endif /* CNN_NEON */

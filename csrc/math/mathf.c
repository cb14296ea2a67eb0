/* mathf.c - deterministic float32 transcendentals (the "math" section of cnn.h).
 *
 * libm's expf/logf/tanhf differ in their last bits from one libc to another, so the core carries
 * its own. Every function here uses only IEEE +, -, *, / and sqrt on float and double (each op
 * correctly rounded, no FMA: the build has -ffp-contract=off), so the bits are the same on every
 * machine. The work is done in double and rounded once to float at the end: the double result
 * is within ~1e-13 relative of the true value, so the float result is the correctly rounded one
 * except within 1e-5 ulp of a rounding tie (max error 0.5 ulp + 1e-5 ulp).
 *
 * Polynomials: Taylor series for exp, log (atanh series) and sin/cos on reduced ranges; erf uses
 * least-squares Chebyshev fits (computed with mpmath at 200 bits, converted to powers) of
 * erf(x)/x on [0,1] and of erfcx(x) = exp(x^2) erfc(x) on [1,2.5] and [2.5,4].
 */
#include "cnn.h"
#include "mathf_inline.h"

float cnn_expf(float x) { return cnnm_expf(x); }
float cnn_expm1f(float x) { return cnnm_expm1f(x); }
float cnn_logf(float x) { return cnnm_logf(x); }

/* y[i] = cnn_logf(x[i]) over an array: the same IEEE operations per element, so the same bits, in a
 * loop the compiler vectorises (twice: portable, and AVX2 where the CPU has it). */
static void logf_n_port(float *y, const float *x, long n)
{
    for (long i = 0; i < n; i++) y[i] = cnnm_logf(x[i]);
}
#ifdef CNN_X86
CNN_TARGET("avx2") static void logf_n_avx2(float *y, const float *x, long n)
{
    for (long i = 0; i < n; i++) y[i] = cnnm_logf(x[i]);
}
#endif
void cnn_logf_n(float *y, const float *x, long n)
{
#ifdef CNN_X86
    if (cnn_get_isa() >= 1) { /* AVX2 or AVX-512 */
        logf_n_avx2(y, x, n);
        return;
    }
#endif
    logf_n_port(y, x, n);
}
float cnn_log1pf(float x) { return cnnm_log1pf(x); }
float cnn_tanhf(float x) { return cnnm_tanhf(x); }

float cnn_erff(float x) { return cnnm_erff(x); }

/* ---- sin / cos: x = n pi/2 + r, |r| <= pi/4, then a Taylor kernel on r in double. */

#define PIO2_1 0x1.921fb54400000p+0     /* pi/2 in three parts; the first two have 33 bits, */
#define PIO2_2 0x1.0b4611a600000p-34    /* so k * part is exact for |k| < 2^20 */
#define PIO2_3 0x1.3198a2e037073p-69
#define TWO_OVER_PI 0x1.45f306dc9c883p-1

/* Bits of 2/pi after 8 zero bits: bit j of 2/pi (weight 2^-j) is bit j + 7 from the top. */
static const uint32_t TWO_OVER_PI_BITS[12] = {
    0x00a2f983, 0x6e4e4415, 0x29fc2757, 0xd1f534dd, 0xc0db6295, 0x993c4390,
    0x41fe5163, 0xabdebbc5, 0x61b7246e, 0x3a424dd2, 0xe006492e, 0xea09d192,
};

/* 32 bits of the table starting at bit position p (0 = top bit of word 0). */
static uint32_t bits32_at(int p)
{
    int w = p >> 5, s = p & 31;
    if (s == 0) return TWO_OVER_PI_BITS[w];
    return (TWO_OVER_PI_BITS[w] << s) | (TWO_OVER_PI_BITS[w + 1] >> (32 - s));
}

/* Payne-Hanek reduction of a finite float with |x| >= 2^19: the exact 2.62 fixed-point value of
 * |x| * 2/pi mod 4 from a 96-bit window of 2/pi (only bits that matter mod 4 and for 62 fraction
 * bits), so the reduced argument keeps >= 30 significant bits even next to a multiple of pi/2. */
static double reduce_large(float x, int *quadrant)
{
    uint32_t u = cnnm_fbits(x) & 0x7fffffffu;
    int e = (int)(u >> 23) - 150;                        /* |x| = m * 2^e, m < 2^24 integer */
    uint64_t m = (u & 0x7fffffu) | 0x800000u;
    int p = e - 1 + 7;                                   /* bits of weight >= 4 are dropped */
    uint64_t w0 = bits32_at(p), w1 = bits32_at(p + 32), w2 = bits32_at(p + 64);
    /* |x| * 2/pi mod 4 = (m * W mod 2^96) * 2^-94 with W = w0 w1 w2; keep bits 32..95 */
    uint64_t q = ((m * w0) << 32) + m * w1 + ((m * w2) >> 32);
    uint64_t n = (q + (1ull << 61)) >> 62;               /* nearest integer of the 2.62 value */
    int64_t f = (int64_t)(q - (n << 62));
    double r = (double)f * 0x1.921fb54442d18p-62;        /* f * 2^-62 * pi/2 */
    int sign = cnnm_fbits(x) >> 31;
    *quadrant = sign ? -(int)n : (int)n;
    return sign ? -r : r;
}

static double reduce_pio2(float x, int *quadrant)
{
    if (cnnm_copysignf(x, 1.0f) < 524288.0f) {                 /* 2^19 */
        double d = x, k = (d * TWO_OVER_PI + CNNM_SHIFT) - CNNM_SHIFT;   /* nearest integer */
        *quadrant = (int)k;
        return ((d - k * PIO2_1) - k * PIO2_2) - k * PIO2_3;
    }
    return reduce_large(x, quadrant);
}

/* sin r for |r| <= pi/4 + tiny (Taylor to r^17: truncation < 3e-19). */
static double sin_kernel(double r)
{
    double z = r * r;
    double p = -1.0 / 355687428096000.0;                  /* -1/17! */
    p = p * z + 1.0 / 1307674368000.0;
    p = p * z - 1.0 / 6227020800.0;
    p = p * z + 1.0 / 39916800.0;
    p = p * z - 1.0 / 362880.0;
    p = p * z + 1.0 / 5040.0;
    p = p * z - 1.0 / 120.0;
    p = p * z + 1.0 / 6.0;
    return r - (r * z) * p;
}

/* cos r for |r| <= pi/4 + tiny (Taylor to r^18). */
static double cos_kernel(double r)
{
    double z = r * r;
    double p = -1.0 / 6402373705728000.0;                 /* -1/18! */
    p = p * z + 1.0 / 20922789888000.0;
    p = p * z - 1.0 / 87178291200.0;
    p = p * z + 1.0 / 479001600.0;
    p = p * z - 1.0 / 3628800.0;
    p = p * z + 1.0 / 40320.0;
    p = p * z - 1.0 / 720.0;
    p = p * z + 1.0 / 24.0;
    return 1.0 - 0.5 * z + (z * z) * p;
}

float cnn_sinf(float x)
{
    if (x != x) return x + x;
    if (cnnm_copysignf(x, 1.0f) < 0x1p-12f) return x;        /* sin x = x - x^3/6 rounds to x; keeps -0 */
    if (x - x != 0.0f) return (x - x) / (x - x);         /* +-inf: nan */
    int q;
    double r = reduce_pio2(x, &q);
    double v;
    switch (q & 3) {
    case 0: v = sin_kernel(r); break;
    case 1: v = cos_kernel(r); break;
    case 2: v = -sin_kernel(r); break;
    default: v = -cos_kernel(r); break;
    }
    return (float)v;
}

float cnn_cosf(float x)
{
    if (x != x) return x + x;
    if (x - x != 0.0f) return (x - x) / (x - x);
    int q;
    double r = reduce_pio2(x, &q);
    double v;
    switch (q & 3) {
    case 0: v = cos_kernel(r); break;
    case 1: v = -sin_kernel(r); break;
    case 2: v = -cos_kernel(r); break;
    default: v = sin_kernel(r); break;
    }
    return (float)v;
}

#if defined(_MSC_VER) && !defined(__clang__)
float cnn_sqrtf(float x) { return sqrtf(x); }  /* an intrinsic there: the sqrtss instruction */
#else
float cnn_sqrtf(float x) { return __builtin_sqrtf(x); }
#endif

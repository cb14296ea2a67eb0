/* mathf_inline.h - the branch-free cores of mathf.c, inlined into the activation loops.
 *
 * Private to mathf.c and activations.c. Each function is straight-line double arithmetic, integer
 * bit moves and selects, so a loop calling it vectorizes (SSE2 by default, AVX2 in functions
 * compiled with target("avx2")) and gives the same bits vectorized or not: every step is one
 * correctly rounded IEEE operation. See mathf.c for the accuracy (<= 0.5 ulp + 1e-5 ulp).
 */
#ifndef CNN_MATHF_INLINE_H
#define CNN_MATHF_INLINE_H

#include <math.h>     /* NAN and INFINITY only: no libm function is called */
#include <stdint.h>
#include <string.h>

static inline uint64_t cnnm_dbits(double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    return u;
}
static inline double cnnm_dfrom(uint64_t u)
{
    double x;
    memcpy(&x, &u, 8);
    return x;
}
static inline uint32_t cnnm_fbits(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}
static inline float cnnm_ffrom(uint32_t u)
{
    float x;
    memcpy(&x, &u, 4);
    return x;
}
static inline float cnnm_copysignf(float mag, float sgn)
{ return cnnm_ffrom((cnnm_fbits(mag) & 0x7fffffffu) | (cnnm_fbits(sgn) & 0x80000000u)); }
static inline float cnnm_absf(float x) { return cnnm_ffrom(cnnm_fbits(x) & 0x7fffffffu); }

/* c ? a : b with a and b both computed: a bit mask, not a branch. GCC will not if-convert a
 * ternary whose arm does arithmetic (-ftrapping-math), and that keeps loops scalar; masks of
 * the float's width vectorize. Same value as the ternary, bit for bit. */
static inline float cnnm_sel(int c, float a, float b)
{
    uint32_t m = (uint32_t)0 - (uint32_t)(c != 0);
    return cnnm_ffrom((cnnm_fbits(a) & m) | (cnnm_fbits(b) & ~m));
}

#define CNNM_LN2_HI 0x1.62e42ff000000p-1   /* ln2 rounded to 32 bits: k * LN2_HI is exact */
#define CNNM_LN2_LO (-0x1.718432a1b0e26p-35)
#define CNNM_LN2 0x1.62e42fefa39efp-1
#define CNNM_INV_LN2 0x1.71547652b82fep+0
#define CNNM_SHIFT 0x1.8p52                 /* x + SHIFT - SHIFT rounds x to an integer */

/* e^r - 1 for |r| <= ln2/2 + tiny (Taylor to r^11: truncation < 7e-15 relative). */
static inline double cnnm_expm1_small(double r)
{
    double p = 1.0 / 39916800.0;                        /* 1/11! */
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    return r + (r * r) * p;
}

/* x = k ln2 + r with |r| <= ln2/2 + tiny, for |x| <= 1000 (NaN passes through to r).
 * Returns r; *scale = 2^k, built from the bits of the rounding sum (k sits in its low bits). */
static inline double cnnm_reduce_ln2(double x, double *scale)
{
    double t = x * CNNM_INV_LN2 + CNNM_SHIFT;
    double k = t - CNNM_SHIFT;
    *scale = cnnm_dfrom((cnnm_dbits(t) << 52) + 0x3ff0000000000000ull);
    return (x - k * CNNM_LN2_HI) - k * CNNM_LN2_LO;
}

/* e^x in double, x in [-700, 700] (NaN -> NaN). */
static inline double cnnm_exp_d(double x)
{
    double s, r = cnnm_reduce_ln2(x, &s);
    return (1.0 + cnnm_expm1_small(r)) * s;
}

/* e^x - 1 in double, x in [-700, 700], accurate near 0: p 2^k + (2^k - 1) is p when k = 0. */
static inline double cnnm_expm1_d(double x)
{
    double s, r = cnnm_reduce_ln2(x, &s);
    return cnnm_expm1_small(r) * s + (s - 1.0);
}

/* log(1 + f) for 1 + f in [sqrt(1/2), sqrt(2)]: 2 atanh(s), s = f / (2 + f), |s| <= 0.1716
 * (series to s^19: truncation < 1e-16 relative). */
static inline double cnnm_log1p_core(double f)
{
    double s = f / (2.0 + f), z = s * s;
    double q = 1.0 / 19.0;
    q = q * z + 1.0 / 17.0;
    q = q * z + 1.0 / 15.0;
    q = q * z + 1.0 / 13.0;
    q = q * z + 1.0 / 11.0;
    q = q * z + 1.0 / 9.0;
    q = q * z + 1.0 / 7.0;
    q = q * z + 1.0 / 5.0;
    q = q * z + 1.0 / 3.0;
    return 2.0 * s + (2.0 * s) * (z * q);
}

/* log(x) for a positive finite double x >= 2^-1022 (used on doubles made from floats). */
static inline double cnnm_log_d(double x)
{
    /* offset the bits so the exponent field counts from sqrt(1/2): m lands in [sqrt(.5), sqrt(2)) */
    const uint64_t off = 0x3ff0000000000000ull - 0x3fe6a09e667f3bcdull;
    uint64_t u = cnnm_dbits(x) + off;
    double e = cnnm_dfrom(0x4330000000000000ull | (u >> 52)) - (0x1p52 + 1023.0);  /* exact */
    double m = cnnm_dfrom((u & 0x000fffffffffffffull) + 0x3fe6a09e667f3bcdull);
    return e * CNNM_LN2 + cnnm_log1p_core(m - 1.0);
}

/* ---- float functions (the bodies of cnn_expf, ...), NaN and infinities included */

static inline float cnnm_expf(float x)
{
    x = cnnm_sel(x < -150.0f, -150.0f, x);   /* e^-150 and e^100 round to 0 and inf as floats; */
    x = cnnm_sel(x > 100.0f, 100.0f, x);     /* NaN fails both tests and propagates */
    return (float)cnnm_exp_d(x);
}

static inline float cnnm_expm1f(float x)
{
    x = cnnm_sel(x < -60.0f, -60.0f, x);     /* e^-60 - 1 rounds to -1 */
    float v = (float)cnnm_expm1_d(cnnm_sel(x > 100.0f, 100.0f, x));
    return cnnm_sel(x == 0.0f, x, v);        /* keeps -0 */
}

static inline float cnnm_logf(float x)
{
    float safe = cnnm_sel((x > 0.0f) & (x < INFINITY), x, 1.0f);
    float v = (float)cnnm_log_d(safe);       /* float subnormals are normal doubles */
    v = cnnm_sel(x == INFINITY, x, v);
    v = cnnm_sel(x == 0.0f, -INFINITY, v);
    v = cnnm_sel(x < 0.0f, NAN, v);
    return cnnm_sel(x != x, x, v);
}

static inline float cnnm_log1pf(float x)
{
    float safe = cnnm_sel((x > -1.0f) & (x < INFINITY), x, 0.0f);
    double d = safe, u = 1.0 + d;            /* exact unless |x| < 2^-29 or x > 2^28 */
    double c = (d - (u - 1.0)) / u;          /* log(1 + x) = log(u) + log1p((1 + x - u) / u) */
    float v = (float)(cnnm_log_d(u) + c);
    v = cnnm_sel(x == 0.0f, x, v);           /* keeps -0 */
    v = cnnm_sel(x == INFINITY, x, v);
    v = cnnm_sel(x == -1.0f, -INFINITY, v);
    v = cnnm_sel(x < -1.0f, NAN, v);
    return cnnm_sel(x != x, x, v);
}

static inline float cnnm_tanhf(float x)
{
    float a = cnnm_absf(x);
    a = cnnm_sel(a > 10.0f, 10.0f, a);       /* tanh(10) rounds to 1; NaN passes */
    double e = cnnm_expm1_d(2.0 * (double)a);
    return cnnm_copysignf((float)(e / (e + 2.0)), x);
}

/* erf: least-squares Chebyshev fits (mpmath, 200 bits; converted to powers) of erf(x)/x in x^2 on
 * [0, 1] and of erfcx(x) = exp(x^2) erfc(x) on [1, 2.5] and [2.5, 4], relative error < 1e-13. */
static const double CNNM_ERF_SMALL[11] = {
    1.1283791670955126,    -0.37612638903174517,   0.11283791670589206,   -0.026866170588187143,
    0.005223977167941396,  -0.0008548305469524467, 0.0001205469695557872, -1.4913529302225274e-05,
    1.631242271375678e-06, -1.519853840997524e-07, 9.450113689552022e-09,
};
static const double CNNM_ERFCX_LO[15] = {
    /* powers of (x - 1.75) */
    0.28497223473743505,   -0.13097634551478868,    0.0557636300874227,     -0.02225999522130998,
    0.008404319194909565,  -0.0030209750353835684,  0.00103920469791534,    -0.00034353012073743674,
    0.0001095040707255992, -3.3769289838029806e-05, 1.0091264213532162e-05, -2.895945216197795e-06,
    8.176333645760767e-07, -2.6466106970358146e-07, 7.133855476608345e-08,
};
static const double CNNM_ERFCX_HI[13] = {
    /* powers of (x - 3.25) */
    0.16633534842682268,    -0.04719940232099872,   0.012937290882884903,   -0.003435471309438382,
    0.0008860045813371439,  -0.0002223824486037332, 5.44203682297931e-05,   -1.3005374113795029e-05,
    3.0390376426308206e-06, -6.930509545955312e-07, 1.5534827729444456e-07, -3.730881275293891e-08,
    8.085226073011745e-09,
};

/* All three pieces are computed and one is selected, so a loop over erf vectorizes. */
static inline float cnnm_erff(float x)
{
    float a = cnnm_absf(x);
    float b = cnnm_sel(a > 4.0f, 4.0f, a);
    double d = b, z = d * d;                 /* exact: b has 24 bits */
    double small = CNNM_ERF_SMALL[10];
    for (int i = 9; i >= 0; i--) small = small * z + CNNM_ERF_SMALL[i];
    double qlo = CNNM_ERFCX_LO[14], tlo = d - 1.75;
    for (int i = 13; i >= 0; i--) qlo = qlo * tlo + CNNM_ERFCX_LO[i];
    double qhi = CNNM_ERFCX_HI[12], thi = d - 3.25;
    for (int i = 11; i >= 0; i--) qhi = qhi * thi + CNNM_ERFCX_HI[i];
    double g = cnnm_exp_d(-z);
    float lo = (float)(1.0 - g * qlo), hi = (float)(1.0 - g * qhi);
    float r = cnnm_sel(a < 2.5f, lo, hi);
    r = cnnm_sel(a >= 4.0f, 1.0f, r);        /* erfc(4) < half an ulp of 1 */
    r = cnnm_copysignf(r, x);
    return cnnm_sel(a < 1.0f, (float)(small * (double)x), r);   /* NaN: every test fails, r is NaN */
}

#endif

/* schedule.c - learning-rate schedules (keras/src/optimizers/schedules/learning_rate_schedule.py), evaluated in double.
 *
 * The transcendentals are this file's own (exp, log, cos(pi x), pow built from + - * / only, plus
 * the exact floor/fmod/frexp/ldexp), so the rate has the same bits with every libm.
 * cnn/schedules.py calls cnn_schedule_lr through the binding: this is the only copy.
 */
#include <math.h>
#include <string.h>

#include "cnn.h"

static const double LN2_HI = 0x1.62e42feep-1; /* 32 significant bits: k * LN2_HI is exact */
static const double LN2_LO = 0x1.a39ef35793c76p-33;
static const double INV_LN2 = 0x1.71547652b82fep+0;
static const double PI = 0x1.921fb54442d18p+1;
static const double SQRT_HALF = 0x1.6a09e667f3bcdp-1;

/* 1/k! for k = 0..15; 1/(2k+1) for k = 1..13; (-1)^k/(2k)! and (-1)^k/(2k+1)! for k = 0..10. */
static const double EXP_C[16] = {1.0,
                                 1.0,
                                 0.5,
                                 0.16666666666666666,
                                 0.041666666666666664,
                                 0.008333333333333333,
                                 0.001388888888888889,
                                 0.0001984126984126984,
                                 2.48015873015873e-05,
                                 2.7557319223985893e-06,
                                 2.755731922398589e-07,
                                 2.505210838544172e-08,
                                 2.08767569878681e-09,
                                 1.6059043836821613e-10,
                                 1.1470745597729725e-11,
                                 7.647163731819816e-13};
static const double LOG_C[13] = {0.3333333333333333,   0.2,
                                 0.14285714285714285,  0.1111111111111111,
                                 0.09090909090909091,  0.07692307692307693,
                                 0.06666666666666667,  0.058823529411764705,
                                 0.05263157894736842,  0.047619047619047616,
                                 0.043478260869565216, 0.04,
                                 0.037037037037037035};
static const double COS_C[11] = {1.0,
                                 -0.5,
                                 0.041666666666666664,
                                 -0.001388888888888889,
                                 2.48015873015873e-05,
                                 -2.755731922398589e-07,
                                 2.08767569878681e-09,
                                 -1.1470745597729725e-11,
                                 4.779477332387385e-14,
                                 -1.5619206968586225e-16,
                                 4.110317623312165e-19};
static const double SIN_C[11] = {1.0,
                                 -0.16666666666666666,
                                 0.008333333333333333,
                                 -0.0001984126984126984,
                                 2.7557319223985893e-06,
                                 -2.505210838544172e-08,
                                 1.6059043836821613e-10,
                                 -7.647163731819816e-13,
                                 2.8114572543455206e-15,
                                 -8.22063524662433e-18,
                                 1.9572941063391263e-20};

static double horner(const double *c, int n, double x)
{
    double p = c[n - 1];
    for (int i = n - 2; i >= 0; i--) p = p * x + c[i];
    return p;
}

static double d_exp(double x)
{
    if (x != x) return x;
    if (x > 709.782712893384) return INFINITY;
    if (x < -745.2) return 0.0;
    double k = floor(x * INV_LN2 + 0.5);
    double r = (x - k * LN2_HI) - k * LN2_LO; /* |r| <= ln2 / 2 */
    return ldexp(horner(EXP_C, 16, r), (int)k);
}

static double d_log(double x)
{
    if (x != x || x < 0.0) return NAN;
    if (x == 0.0) return -INFINITY;
    if (isinf(x)) return x;
    int e;
    double m = frexp(x, &e);
    if (m < SQRT_HALF) {
        m = m * 2.0;
        e = e - 1;
    }
    double f = m - 1.0;
    double s = f / (2.0 + f); /* log(m) = 2 atanh(s), |s| <= 0.172 */
    double z = s * s;
    double lm = 2.0 * s + 2.0 * s * (z * horner(LOG_C, 13, z));
    return (double)e * LN2_HI + ((double)e * LN2_LO + lm);
}

/* cos(pi * x), reduced exactly to pi * t with |t| <= 1/4 and a quadrant. */
static double d_cospi(double x)
{
    double a = fabs(x);
    if (a != a || isinf(a)) return NAN;
    a = fmod(a, 2.0);
    double n = floor(2.0 * a + 0.5);
    double t = a - 0.5 * n;
    double y = t * PI, z = y * y;
    int q = (int)n & 3;
    if (q == 0) return horner(COS_C, 11, z);
    if (q == 2) return -horner(COS_C, 11, z);
    double sn = y * horner(SIN_C, 11, z);
    return q == 1 ? -sn : sn;
}

static double d_pow(double b, double p)
{
    if (p == 0.0 || b == 1.0) return 1.0;
    if (b != b || p != p) return NAN;
    if (b == 0.0) return p > 0.0 ? 0.0 : INFINITY;
    if (floor(p) == p && fabs(p) < 0x1p53) {
        /* Whole powers by squaring: exact when the result is (t_mul^i at a restart, 0.5^k). */
        double r = 1.0, x = b;
        for (unsigned long long n = (unsigned long long)fabs(p); n;) {
            if (n & 1) r = r * x;
            n >>= 1;
            if (n) x = x * x;
        }
        return p < 0.0 ? 1.0 / r : r;
    }
    if (b < 0.0) return NAN;
    return d_exp(p * d_log(b));
}

/* Where restart i begins, in units of the first period: (1 - t^i) / (1 - t). */
static double restart_start(double i, double t) { return (1.0 - d_pow(t, i)) / (1.0 - t); }

static double cosine_decay(double s, double d, double from_lr, double alpha)
{
    double cosd = 0.5 * (1.0 + d_cospi(s / d));
    return from_lr * ((1.0 - alpha) * cosd + alpha);
}

double cnn_schedule_lr(const cnn_schedule *s, long step)
{
    double t = (double)step, p, d;
    switch (s->kind) {
    case CNN_SCHED_LEGACY_DECAY: return s->lr / (1.0 + s->decay * t);
    case CNN_SCHED_EXPONENTIAL:
        p = t / s->decay_steps;
        if (s->staircase) p = floor(p);
        return s->lr * d_pow(s->decay_rate, p);
    case CNN_SCHED_INVERSE_TIME:
        p = t / s->decay_steps;
        if (s->staircase) p = floor(p);
        return s->lr / (1.0 + s->decay_rate * p);
    case CNN_SCHED_PIECEWISE:
        /* values[0] if t <= b0, values[i] if b(i-1) < t <= b(i), values[-1] past the last. */
        if (s->npieces <= 0) return s->lr;
        for (int i = 0; i < s->npieces - 1 && i < CNN_SCHED_MAX_PIECES - 1; i++)
            if (t <= s->boundaries[i]) return s->values[i];
        return s->values[(s->npieces < CNN_SCHED_MAX_PIECES ? s->npieces : CNN_SCHED_MAX_PIECES) - 1];
    case CNN_SCHED_POLYNOMIAL:
        d = s->decay_steps;
        if (s->cycle) d = d * (t == 0.0 ? 1.0 : ceil(t / d)); /* the first multiple >= t */
        else if (t > d) t = d;
        p = t / d;
        return (s->lr - s->end_lr) * d_pow(1.0 - p, s->power) + s->end_lr;
    case CNN_SCHED_COSINE:
        /* Without warmup the binding passes warmup_steps = 0 and warmup_target = lr. */
        if (t > s->decay_steps + s->warmup_steps) t = s->decay_steps + s->warmup_steps;
        if (t < s->warmup_steps) return (s->warmup_target - s->lr) * (t / s->warmup_steps) + s->lr;
        return cosine_decay(t - s->warmup_steps, s->decay_steps, s->warmup_target, s->alpha);
    case CNN_SCHED_COSINE_RESTARTS: {
        double f = t / s->decay_steps, i, tm = s->t_mul;
        if (tm == 1.0) {
            i = floor(f);
            f = f - i;
        } else {
            i = floor(d_log(1.0 - f * (1.0 - tm)) / d_log(tm));
            /* At an exact restart the ratio of logs may round below the integer: step over. */
            if (restart_start(i + 1.0, tm) <= f) i = i + 1.0;
            else if (i > 0.0 && restart_start(i, tm) > f) i = i - 1.0;
            double ti = d_pow(tm, i);
            f = (f - (1.0 - ti) / (1.0 - tm)) / ti;
        }
        double cosd = 0.5 * d_pow(s->m_mul, i) * (1.0 + d_cospi(f));
        return s->lr * ((1.0 - s->alpha) * cosd + s->alpha);
    }
    default: return s->lr;
    }
}

/* The private double maths above, by name, for the accuracy tests (tests/test_schedules.py). */
double cnn_schedule_math(const char *name, double x, double y)
{
    if (!strcmp(name, "exp")) return d_exp(x);
    if (!strcmp(name, "log")) return d_log(x);
    if (!strcmp(name, "cospi")) return d_cospi(x);
    if (!strcmp(name, "pow")) return d_pow(x, y);
    return NAN;
}

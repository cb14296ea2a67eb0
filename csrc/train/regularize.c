/* regularize.c - L1/L2 weight penalties and the Keras weight constraints (keras/src/regularizers, keras/src/constraints). */
#include <math.h>
#include "cnn.h"

#define RG_LANES 4 /* the penalty sums run in 4 interleaved double lanes, added in order */
#define RG_BLOCK 64 /* constraint norms: columns per block of stack accumulators */
#define RG_EPSILON 1e-7f

double cnn_l1l2_value(const float *w, long n, float l1, float l2)
{
    CNN_ASSERT(n >= 0 && (n == 0 || w));
    double a[RG_LANES] = {0}, s[RG_LANES] = {0};
    long i = 0;
    for (; i + RG_LANES <= n; i += RG_LANES)
        for (int k = 0; k < RG_LANES; k++) {
            double v = (double)w[i + k];
            a[k] += fabs(v);
            s[k] += v * v;
        }
    for (; i < n; i++) {
        double v = (double)w[i];
        a[0] += fabs(v);
        s[0] += v * v;
    }
    double sa = (a[0] + a[1]) + (a[2] + a[3]), ss = (s[0] + s[1]) + (s[2] + s[3]);
    /* Like Keras, a zero factor contributes nothing (not 0 * inf). */
    double r = 0.0;
    if (l1 != 0.0f) r += (double)l1 * sa;
    if (l2 != 0.0f) r += (double)l2 * ss;
    return r;
}

void cnn_l1l2_grad(float *g, const float *w, long n, float l1, float l2)
{
    CNN_ASSERT(n >= 0 && (n == 0 || (g && w)));
    float l2x2 = 2.0f * l2;
    for (long i = 0; i < n; i++) {
        float v = w[i];
        float sgn = v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f);
        g[i] = g[i] + (l1 * sgn + l2x2 * v);
    }
}

/* Per column: norm = sqrt(sum over rows of w^2) in double, cast to float; then Keras's float32
 * w * (desired / (eps + norm)), or w / (eps + norm) for UnitNorm. */
void cnn_constraint_apply(float *w, long rows, long cols, const cnn_constraint *c)
{
    if (!c || rows <= 0 || cols <= 0) return;
    CNN_ASSERT(w != NULL);
    if (c->kind == CNN_CONSTRAINT_NON_NEG) {
        for (long i = 0; i < rows * cols; i++)
            if (w[i] < 0.0f) w[i] = 0.0f; /* max(w, 0); NaN stays */
        return;
    }
    if (c->kind != CNN_CONSTRAINT_MAX_NORM && c->kind != CNN_CONSTRAINT_UNIT_NORM
        && c->kind != CNN_CONSTRAINT_MIN_MAX_NORM)
        return;
    for (long c0 = 0; c0 < cols; c0 += RG_BLOCK) {
        long nb = cols - c0 < RG_BLOCK ? cols - c0 : RG_BLOCK;
        double ss[RG_BLOCK];
        float factor[RG_BLOCK];
        for (long j = 0; j < nb; j++) ss[j] = 0.0;
        for (long r = 0; r < rows; r++) {
            const float *wr = w + r * cols + c0;
            for (long j = 0; j < nb; j++) ss[j] += (double)wr[j] * (double)wr[j];
        }
        for (long j = 0; j < nb; j++) {
            float norm = (float)sqrt(ss[j]);
            float den = RG_EPSILON + norm, desired;
            if (c->kind == CNN_CONSTRAINT_MAX_NORM) {
                desired = norm < 0.0f ? 0.0f : (norm > c->max_value ? c->max_value : norm);
            } else if (c->kind == CNN_CONSTRAINT_MIN_MAX_NORM) {
                float cl = norm < c->min_value ? c->min_value : (norm > c->max_value ? c->max_value : norm);
                desired = c->rate * cl + (1.0f - c->rate) * norm;
            } else {
                desired = 0.0f; /* UnitNorm divides below */
            }
            factor[j] = c->kind == CNN_CONSTRAINT_UNIT_NORM ? den : desired / den;
        }
        int divide = c->kind == CNN_CONSTRAINT_UNIT_NORM;
        for (long r = 0; r < rows; r++) {
            float *wr = w + r * cols + c0;
            for (long j = 0; j < nb; j++) wr[j] = divide ? wr[j] / factor[j] : wr[j] * factor[j];
        }
    }
}

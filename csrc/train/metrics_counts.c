/* metrics_counts.c - the counting metrics' updates, Keras 3's rules (keras/src/metrics/
 * metrics_utils.py, f_score_metrics.py, regression_metrics.py), their states laid out as cnn.h says.
 * Every count is a sum of weights in double, row by row in order: deterministic. */
#include <math.h>

#include "cnn.h"
#include "metrics_internal.h"

#define NEG_INF_SCORE (-1e10f)   /* Keras's NEG_INF: what top_k filtering leaves outside the top k */

/* 1 if column j is among the row's k largest scores (ties: the lower index first). */
static int in_top(const float *p, long cols, long j, int k)
{
    long before = 0;
    for (long c = 0; c < cols && before < k; c++) before += p[c] > p[j] || (p[c] == p[j] && c < j);
    return before < k;
}

/* The bucket of a score: the last threshold it passes (-1: none). Evenly spaced thresholds t/(T-1)
 * take Keras's optimized path (clip to [0, 1], ceil(p * (T - 1)) - 1, at least 0 when the ends
 * carry epsilon); a single threshold is compared with >. */
static long bucket(float p, const cnn_metric *m)
{
    if (m->num_thresholds <= 0) return p > m->threshold ? 0 : -1;
    p = p < 0.0f ? 0.0f : p > 1.0f ? 1.0f : p;
    float b = ceilf(p * (float)(m->num_thresholds - 1)) - 1.0f;
    if (m->epsilon_ends && !(b >= 0.0f)) b = 0.0f;
    return b >= 0.0f ? (long)b : -1;
}

void cnn_metric_confusion(double *state, const float *y_pred, const float *y_true, const float *weights,
                          long rows, long cols, const cnn_metric *m)
{
    long T = m->num_thresholds > 0 ? m->num_thresholds : 1, L = m->multi_label ? cols : 1;
    double *pos = state, *neg = state + T * L, *pos_total = state + 2 * T * L, *neg_total = pos_total + L;
    long j0 = m->class_id >= 0 ? m->class_id : 0, j1 = m->class_id >= 0 ? m->class_id + 1 : cols;
    for (long i = 0; i < rows; i++) {
        const float *p = y_pred + i * cols, *y = y_true + i * cols;
        double w = weights ? (double)weights[i] : 1.0;
        for (long j = j0; j < j1; j++) {
            float v = m->top_k > 0 && !in_top(p, cols, j, m->top_k) ? NEG_INF_SCORE : p[j];
            if (m->from_logits) v = 1.0f / (1.0f + expf(-v));
            long l = m->multi_label ? j : 0, b = bucket(v, m);
            int positive = y[j] != 0.0f;
            (positive ? pos_total : neg_total)[l] += w;
            if (b >= 0) (positive ? pos : neg)[b * L + l] += w;
        }
    }
}

void cnn_metric_fbeta(double *state, const float *y_pred, const float *y_true, const float *weights,
                      long rows, long cols, const cnn_metric *m)
{
    double *tp = state, *fp = state + cols, *fn = state + 2 * cols, *support = state + 3 * cols;
    for (long i = 0; i < rows; i++) {
        const float *p = y_pred + i * cols, *y = y_true + i * cols;
        double w = weights ? (double)weights[i] : 1.0;
        float top = p[0];
        for (long j = 1; j < cols; j++) top = p[j] > top ? p[j] : top;
        for (long j = 0; j < cols; j++) {
            /* threshold=None: every column equal to the row's maximum (and not ~0) is predicted */
            double pred = m->argmax ? (p[j] >= top && fabsf(p[j]) > 1e-9f) : p[j] > m->threshold;
            double t = y[j];
            tp[j] += w * pred * t;
            fp[j] += w * pred * (1.0 - t);
            fn[j] += w * (1.0 - pred) * t;
            support[j] += w * t;
        }
    }
}

void cnn_metric_r2(double *state, const float *y_pred, const float *y_true, const float *weights, long rows,
                   long cols)
{
    double *sum = state, *sq = state + cols, *res = state + 2 * cols, *count = state + 3 * cols;
    for (long i = 0; i < rows; i++) {
        const float *p = y_pred + i * cols, *y = y_true + i * cols;
        double w = weights ? (double)weights[i] : 1.0;
        for (long j = 0; j < cols; j++) {
            double d = (double)y[j] - (double)p[j];
            sum[j] += w * y[j];
            sq[j] += w * y[j] * y[j];
            res[j] += w * d * d;
            count[j] += w;
        }
        state[4 * cols] += w != 0.0;
    }
}

/* metrics.c - streaming updates of the built-in metrics: state[0] += sum of w * value,
 * state[1] += sum of w (rows when weights is NULL), both in double.
 * y_pred [rows, cols]; y_true [rows, cols], or [rows] class ids for the sparse metric. */
#include <math.h>

#include "cnn.h"

/* Index of the first maximum (NaN never wins, as the > comparison is false). */
static long argmax_row(const float *x, long cols)
{
    long k = 0;
    for (long j = 1; j < cols; j++) if (x[j] > x[k]) k = j;
    return k;
}

static double row_value(const float *p, const float *y, long cols, const cnn_metric *m)
{
    double s = 0.0;
    switch (m->kind) {
    case CNN_METRIC_BINARY_ACCURACY:
        for (long j = 0; j < cols; j++) s += y[j] == (p[j] > m->threshold ? 1.0f : 0.0f);
        return s / (double)cols;
    case CNN_METRIC_CATEGORICAL_ACCURACY:
        return argmax_row(y, cols) == argmax_row(p, cols) ? 1.0 : 0.0;
    case CNN_METRIC_SPARSE_CATEGORICAL_ACCURACY:
        return y[0] == (float)argmax_row(p, cols) ? 1.0 : 0.0;
    case CNN_METRIC_MAE:
        for (long j = 0; j < cols; j++) s += fabsf(y[j] - p[j]);
        return s / (double)cols;
    case CNN_METRIC_MSE:
        for (long j = 0; j < cols; j++) { float d = y[j] - p[j]; s += d * d; }
        return s / (double)cols;
    default:
        return NAN;
    }
}

void cnn_metric_update(double state[2], const float *y_pred, const float *y_true,
                       const float *weights, long rows, long cols, const cnn_metric *m)
{
    if (rows <= 0 || cols <= 0) return;
    long ystride = m->kind == CNN_METRIC_SPARSE_CATEGORICAL_ACCURACY ? 1 : cols;
    double total = 0.0, count = 0.0;
    for (long i = 0; i < rows; i++) {
        double v = row_value(y_pred + i * cols, y_true + i * ystride, cols, m);
        double w = weights ? (double)weights[i] : 1.0;
        total += w * v;
        count += w;
    }
    state[0] += total;
    state[1] += count;
}

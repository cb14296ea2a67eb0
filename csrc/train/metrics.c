/* metrics.c - the streaming updates of the metrics (cnn.h, "metrics"). Mean kinds here: state[0] +=
 * sum of w * value, state[1] += sum of w (rows when weights is NULL), both in double. The counting
 * kinds (confusion, F-beta, R2) are in metrics_counts.c.
 * y_pred [rows, cols]; y_true [rows, cols], or [rows] class ids for the sparse kinds. */
#include <math.h>

#include "cnn.h"
#include "metrics_internal.h"

/* Index of the first maximum (NaN never wins, as the > comparison is false). */
static long argmax_row(const float *x, long cols)
{
    long k = 0;
    for (long j = 1; j < cols; j++)
        if (x[j] > x[k]) k = j;
    return k;
}

/* Keras's in_top_k: the target's score is at least the k-th largest (ties count as in). */
static double in_top_k(const float *p, long target, long cols, int k)
{
    if (target < 0 || target >= cols) return 0.0;
    long above = 0;
    for (long j = 0; j < cols; j++) above += p[j] > p[target];
    return above < k ? 1.0 : 0.0;
}

static double row_value(const float *p, const float *y, long cols, const cnn_metric *m)
{
    double s = 0.0;
    switch (m->kind) {
    case CNN_METRIC_BINARY_ACCURACY:
        for (long j = 0; j < cols; j++) s += y[j] == (p[j] > m->threshold ? 1.0f : 0.0f);
        return s / (double)cols;
    case CNN_METRIC_ACCURACY:
        for (long j = 0; j < cols; j++) s += y[j] == p[j];
        return s / (double)cols;
    case CNN_METRIC_CATEGORICAL_ACCURACY: return argmax_row(y, cols) == argmax_row(p, cols) ? 1.0 : 0.0;
    case CNN_METRIC_SPARSE_CATEGORICAL_ACCURACY: return y[0] == (float)argmax_row(p, cols) ? 1.0 : 0.0;
    case CNN_METRIC_TOP_K: return in_top_k(p, argmax_row(y, cols), cols, m->top_k);
    case CNN_METRIC_SPARSE_TOP_K:
        return y[0] >= 0 && y[0] < (float)cols && y[0] == floorf(y[0])
                   ? in_top_k(p, (long)y[0], cols, m->top_k)
                   : 0.0;
    case CNN_METRIC_MAE:
        for (long j = 0; j < cols; j++) s += fabsf(y[j] - p[j]);
        return s / (double)cols;
    case CNN_METRIC_MSE:
        for (long j = 0; j < cols; j++) {
            float d = y[j] - p[j];
            s += d * d;
        }
        return s / (double)cols;
    case CNN_METRIC_LOSS: {
        cnn_loss L = {m->loss, m->from_logits, m->label_smoothing, 1.0f};
        cnn_loss_forward(&s, p, y, 1, cols, &L);
        return s;
    }
    default: return NAN;
    }
}

int cnn_metric_sparse(const cnn_metric *m)
{
    return m->kind == CNN_METRIC_SPARSE_CATEGORICAL_ACCURACY || m->kind == CNN_METRIC_SPARSE_TOP_K
           || ((m->kind == CNN_METRIC_LOSS || m->kind == CNN_METRIC_PYTHON) && m->loss == CNN_LOSS_SCCE);
}

long cnn_metric_state_size(const cnn_metric *m, long cols)
{
    if (!m || cols <= 0 || m->kind < 0 || m->kind >= CNN_METRIC_COUNT) return 0;
    switch (m->kind) {
    case CNN_METRIC_CONFUSION: {
        long t = m->num_thresholds > 0 ? m->num_thresholds : 1, l = m->multi_label ? cols : 1;
        if (m->class_id >= cols || (m->multi_label && m->class_id >= 0)) return 0;
        return (2 * t + 2) * l;
    }
    case CNN_METRIC_FBETA: return 4 * cols;
    case CNN_METRIC_R2: return 4 * cols + 1;
    case CNN_METRIC_TOP_K:
    case CNN_METRIC_SPARSE_TOP_K: return m->top_k >= 1 ? 2 : 0;
    case CNN_METRIC_LOSS: return m->loss >= 0 && m->loss < CNN_LOSS_PYTHON ? 2 : 0;
    default: return 2;
    }
}

void cnn_metric_update(double *state, const float *y_pred, const float *y_true, const float *weights,
                       long rows, long cols, const cnn_metric *m)
{
    if (rows <= 0 || cols <= 0 || cnn_metric_state_size(m, cols) == 0) return;
    switch (m->kind) {
    case CNN_METRIC_CONFUSION: cnn_metric_confusion(state, y_pred, y_true, weights, rows, cols, m); return;
    case CNN_METRIC_FBETA: cnn_metric_fbeta(state, y_pred, y_true, weights, rows, cols, m); return;
    case CNN_METRIC_R2: cnn_metric_r2(state, y_pred, y_true, weights, rows, cols); return;
    default: break;
    }
    if (m->kind == CNN_METRIC_PYTHON) {   /* the host adds to [weighted total, weight sum] itself */
        cnn_host_call call = {CNN_HOST_METRIC, m->handle, 0, 0, 0.0f, 4, {{0}}};
        call.a[0] = cnn_host_f64(state, 1, 2);
        call.a[1] = cnn_host_f32((float *)y_pred, rows, cols);
        call.a[2] = cnn_host_f32((float *)y_true, rows, cnn_metric_sparse(m) ? 1 : cols);
        call.a[3] = cnn_host_f32((float *)weights, rows, 1);
        cnn_host_run(&call);
        return;
    }
    long ystride = cnn_metric_sparse(m) ? 1 : cols;
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

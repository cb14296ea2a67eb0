/* metrics_internal.h - the counting metric kinds (metrics_counts.c), dispatched from metrics.c. */
#ifndef CNN_METRICS_INTERNAL_H
#define CNN_METRICS_INTERNAL_H

#include "cnn.h"

void cnn_metric_confusion(double *state, const float *y_pred, const float *y_true, const float *weights,
                          long rows, long cols, const cnn_metric *m);
void cnn_metric_fbeta(double *state, const float *y_pred, const float *y_true, const float *weights,
                      long rows, long cols, const cnn_metric *m);
void cnn_metric_r2(double *state, const float *y_pred, const float *y_true, const float *weights, long rows,
                   long cols);

#endif

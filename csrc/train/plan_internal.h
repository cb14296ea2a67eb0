/* plan_internal.h - the plan's insides, shared by plan.c (building it) and train.c (running it). */
#ifndef CNN_PLAN_INTERNAL_H
#define CNN_PLAN_INTERNAL_H

#include "cnn.h"

struct cnn_plan {
    int nlayers;
    cnn_layer *layers;
    cnn_loss loss;
    int fused_act;        /* the last layer's activation folded into the loss backward, or LINEAR */
    int nmetrics;
    cnn_metric metrics[CNN_MAX_METRICS];
    cnn_opt opt;
    float *params, *slots;
    long n_params, n_trainable;
    long batch_max;
    float clipnorm, clipvalue, global_clipnorm;
    float *ema;                      /* caller's buffer, or NULL */
    float ema_momentum;
    long ema_overwrite_frequency;
    long in_size, out_size, out_cols, y_size;   /* per sample; y_size = 1 id per row for SCCE */

    /* owned buffers, sized for batch_max samples */
    float *grads;                    /* [n_params]; the optimizer reads [0, n_trainable) */
    float **out;                     /* out[l]: layer l's output (may alias its input) */
    float **buf;                     /* buf[l]: storage behind out[l], or NULL */
    float **pre;                     /* pre[l]: Dense pre-activation when backward needs it */
    uint8_t **keep;                  /* keep[l]: dropout masks */
    float **noise;                   /* noise[l]: Gaussian noise drawn for the step */
    float **bn_mean, **bn_inv_std;   /* batchnorm caches */
    int *relu_fused;                 /* Dense layer l applies a plain ReLU in the GEMM epilogue */
    float *grad_a, *grad_b;          /* ping-pong activation gradients */
    float *xbatch, *ybatch, *wbatch, *wrows;
    double *per_row;
};

/* A plain ReLU (no slope, threshold or cap): fusable into GEMM epilogues and masks. */
int cnn_act_is_plain_relu(const cnn_act *a);

#endif

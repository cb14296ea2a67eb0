/* plan_internal.h - the plan's insides, shared by plan.c (building it) and train.c (running it). */
#ifndef CNN_PLAN_INTERNAL_H
#define CNN_PLAN_INTERNAL_H

#include "cnn.h"
#include "layer.h"

struct cnn_plan {
    int nlayers;
    cnn_layer *layers;               /* owned copies (their kinds' own() ran on them) */
    const cnn_layer_ops **ops;       /* ops[l]: layer l's kind */
    cnn_layer_bufs *bufs;            /* bufs[l]: its buffers, sized by its kind */
    cnn_loss loss;
    int fused_act;        /* the last layer's activation folded into the loss backward, or LINEAR */
    int nmetrics;
    cnn_metric metrics[CNN_MAX_METRICS];
    long metric_off[CNN_MAX_METRICS + 1];   /* metric k's state in cnn_sums.state; [nmetrics]: the total */
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
    const float **out;               /* out[l]: layer l's output (its buffer, or its input) */
    float *grad_a, *grad_b;          /* ping-pong activation gradients */
    float *work;                     /* the layers' shared workspace (bufs[l].work) */
    float *xbatch, *ybatch, *wbatch, *wrows;
    double *per_row;
    float *state_saved;              /* [state_len]: the layers' state spans, kept during a step */
    long state_len;
};

#endif

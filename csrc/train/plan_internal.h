/* plan_internal.h - the plan's insides, shared by plan.c (building it) and train.c (running it). */
#ifndef CNN_PLAN_INTERNAL_H
#define CNN_PLAN_INTERNAL_H

#include "cnn.h"
#include "layer.h"

/* One model output of a graph plan: its layer, loss and weight, targets and metrics. */
typedef struct {
    int layer;
    cnn_loss loss;
    float weight;
    int fused_act;                   /* its layer's activation folded into the loss backward, or LINEAR */
    long out_size, out_cols, y_size; /* per sample; y_size = 1 id per row for SCCE */
    long y_off;                      /* its first column in a Y row */
    int m0, m1;                      /* its metrics: [m0, m1) */
} cnn_head;

/* What a graph plan adds (graph.c runs it); a chain plan has graph == NULL. */
typedef struct {
    int ninputs, nheads;
    long in_size[CNN_MAX_INPUTS], in_off[CNN_MAX_INPUTS]; /* model input k: floats per sample, X column */
    cnn_shape in_shape[CNN_MAX_INPUTS];
    cnn_head heads[CNN_MAX_OUTPUTS];
    long y_total;                    /* floats per Y row */
    float *xin[CNN_MAX_INPUTS];      /* model inputs' batch buffers (one input: the plan's xbatch) */
    const float *xcur[CNN_MAX_INPUTS]; /* the current batch of each input (xin, or X itself) */
    float *yhead[CNN_MAX_OUTPUTS];   /* each output's targets, contiguous */
    float **gbuf;                    /* gbuf[l]: dL/d(layer l's output) */
    unsigned char *gset, *gdz;       /* gbuf[l] holds a value; it is already past l's final activation */
    int *consumers;                  /* how many inputs of layers and outputs read layer l */
    float *gx;                       /* a unary backward's dx when it cannot go straight to its source */
    long inference_passes;           /* inference forward passes so far (graph.c) */
} cnn_graph;

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
    unsigned char *dup;              /* dup[l]: a shared layer's later use (its weights counted once) */
    unsigned char *wants; /* wants[l]: dL/d(layer l's output) is needed (it or a source learns) */
    cnn_graph *graph; /* NULL: the chain */
};

/* plan.c: the activation the loss backward can take over from layer L (CNN_ACT_LINEAR: none) */
int cnn_plan_fusable(const cnn_layer *L, const cnn_layer_ops *ops, const cnn_loss *loss);
/* train.c: count values of X from element `at` as floats into dst (uint8 converted, exactly) */
void cnn_x_load(float *dst, cnn_xdata X, long at, long count);
/* graph.c: a graph plan's buffers, and its step's parts (train.c calls them when p->graph is set) */
int cnn_graph_alloc(cnn_plan *p); /* 0: no memory */
void cnn_graph_free(cnn_plan *p);
/* nb rows of X from row `start` -> the inputs' buffers (one float32 input is read in place) */
void cnn_graph_load_inputs(cnn_plan *p, cnn_xdata X, long start, long nb);
int cnn_graph_forward(cnn_plan *p, long nb, int training, long iteration);
double cnn_graph_loss(cnn_plan *p, const float *Y, const float *SW, long nb, cnn_sums *s);
int cnn_graph_backward(cnn_plan *p, const float *SW, long nb);
void cnn_graph_outputs(cnn_plan *p, float *out, long nb); /* rows of the concatenated outputs */

#endif

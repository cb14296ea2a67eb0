/* layer.h - the layer-kind contract: what one file in layers/ provides, and the table of kinds.
 *
 * A kind is a cnn_layer_ops registered in layers/table.c; its position there is its number. The plan
 * (train/plan.c) asks a kind for its checks and buffer sizes once; the step (train/train.c) calls its
 * forward and backward. Cross-layer optimisations go through capability hooks (final_act, relu_output,
 * the dx_mask argument), never through a test of the kind. */
#ifndef CNN_LAYER_H
#define CNN_LAYER_H

#include <stddef.h>

#include "cnn.h"

/* Buffer sizes a kind needs, fixed when the plan is built. */
typedef struct {
    long out;           /* floats per sample of its output buffer (0: the output aliases the input) */
    long scratch;       /* floats per sample kept from forward to backward (pre-activations, noise) */
    long mask;          /* bytes per sample (dropout masks) */
    long cache;         /* floats per layer, whatever the batch (batch statistics) */
    long cache_per_row; /* floats per row of the last axis (per-row statistics) */
    long workspace;     /* floats per sample used within one forward or backward call only (im2col);
                         * one buffer, the largest any layer asks for, is shared by all layers */
} cnn_layer_sizes;

/* A layer's buffers, owned by the plan. */
typedef struct {
    float *out, *scratch, *cache;
    uint8_t *mask;
    float *work;   /* the plan's shared workspace (NULL if no layer asks for one) */
} cnn_layer_bufs;

/* What forward and backward see of the plan. */
typedef struct {
    const cnn_layer *L;
    const cnn_layer_bufs *B;
    float *params;   /* the parameter buffer (weights read, moving statistics written) */
    float *grads;    /* parameter gradients, accumulated into */
    long nb;         /* samples in this batch */
    int index;       /* position in the model: keys the layer's random streams */
} cnn_layer_ctx;

typedef struct {
    const char *name;                      /* its name in _core.enums["layer"] */
    const cnn_record_desc *params;         /* the field table of its parameter block (NULL: none) */
    /* Checks beyond the generic ones (shapes chain, spans fit): the bad field's name, or NULL. */
    const char *(*check)(const cnn_layer *L);
    void (*sizes)(const cnn_layer *L, cnn_layer_sizes *s);
    /* Deep copies of what its parameters point to (0: no memory), and their release. NULL: none. */
    int (*own)(cnn_layer *copy);
    void (*release)(cnn_layer *L);
    /* Returns the output for c->nb samples of x: B->out, or x itself. */
    const float *(*forward)(const cnn_layer_ctx *c, const float *x, int training, long iteration);
    /* g = dL/dy (may be overwritten). g_is_dz: g is already past the activation final_act names.
     * dx_mask, if given and the kind can, zeroes dx where mask <= 0 (then *masked = 1). need_dx = 0
     * for the first layer. Returns where dL/dx is: g itself, or gx. */
    float *(*backward)(const cnn_layer_ctx *c, float *g, float *gx, const float *x, const float *y,
                       int g_is_dz, int need_dx, const float *dx_mask, int *masked);
    /* Capabilities (NULL: none). final_act: the activation applied last, which the loss backward may
     * take over (CNN_ACT_LINEAR: none). relu_output: backward of its activation is "keep where y > 0",
     * so the layer above may apply it as a dx mask. kernel_cols: the kernel's last axis (constraints
     * take norms over the others; default 1). */
    int (*final_act)(const cnn_layer *L);
    int (*relu_output)(const cnn_layer *L);
    long (*kernel_cols)(const cnn_layer *L);
    /* Multi-input kinds (merges: Add, Concatenate, Dot, ...) set these three instead of using forward
     * and backward; the plan gives them n >= 2 inputs xs[i] of per-sample shapes in[i] (L->in is
     * in[0]). check_n: the bad field's name or NULL. forward_n returns its output (B->out).
     * backward_n writes dL/dxs[i] into gxs[i] (NULL: not needed), adding to it when acc[i] is set
     * and overwriting it otherwise; gxs never alias g, xs or y, but two gxs[i] may be one buffer
     * (the same source twice), so input i's gradient is complete before input i + 1's begins. */
    const char *(*check_n)(const cnn_layer *L, const cnn_shape *const *in, int n);
    const float *(*forward_n)(const cnn_layer_ctx *c, const float *const *xs, const cnn_shape *const *in,
                              int n);
    void (*backward_n)(const cnn_layer_ctx *c, float *const *gxs, const int *acc, const float *g,
                       const float *const *xs, const cnn_shape *const *in, int n, const float *y);
    /* A kind that applies its weights' penalties, per-tensor clipping and constraints itself (python:
     * only the host tells apart the tensors inside its kernel span); NULL: train.c applies the record's.
     * CNN_OWN_PENALTY adds the penalty to *value; CNN_OWN_GRADS adds the penalty gradients to c->grads,
     * then clips each tensor's gradient to the norm clipnorm when > 0; CNN_OWN_CONSTRAIN projects the
     * weights after the update. */
    void (*own_weights)(const cnn_layer_ctx *c, int stage, float clipnorm, double *value);
} cnn_layer_ops;

enum { CNN_OWN_PENALTY = 0, CNN_OWN_GRADS, CNN_OWN_CONSTRAIN };

const cnn_layer_ops *cnn_layer_kind(int kind);   /* NULL for a bad number */

/* Shape helpers shared by the kinds (sizes of shapes the plan has checked). */
static inline long cnn_layer_shape_size(const cnn_shape *s)
{
    long n = 1;
    for (int i = 0; i < s->ndim; i++) n *= s->dim[i];
    return n;
}
static inline long cnn_layer_in_size(const cnn_layer *L) { return cnn_layer_shape_size(&L->in); }
static inline long cnn_layer_out_size(const cnn_layer *L) { return cnn_layer_shape_size(&L->out); }
static inline long cnn_layer_in_cols(const cnn_layer *L) { return L->in.dim[L->in.ndim - 1]; }
static inline long cnn_layer_out_cols(const cnn_layer *L) { return L->out.dim[L->out.ndim - 1]; }
/* rows of the last axis in nb samples */
static inline long cnn_layer_rows(const cnn_layer *L, long nb)
{ return nb * (cnn_layer_in_size(L) / cnn_layer_in_cols(L)); }
/* element-wise kinds: the output has the input's size and last axis ("out_shape" if not) */
static inline const char *cnn_layer_check_same(const cnn_layer *L)
{
    return cnn_layer_in_size(L) == cnn_layer_out_size(L) && cnn_layer_in_cols(L) == cnn_layer_out_cols(L)
               ? NULL
               : "out_shape";
}
/* kinds without weights: every span absent */
static inline const char *cnn_layer_check_no_weights(const cnn_layer *L)
{
    static const char *const names[CNN_MAX_WEIGHTS] = {"w_off", "b_off", "mm_off", "mv_off"};
    for (int s = 0; s < CNN_MAX_WEIGHTS; s++)
        if (L->w[s].off >= 0) return names[s];
    return NULL;
}
/* a weight span's data, or NULL when absent */
static inline float *cnn_layer_weight(float *base, const cnn_layer *L, int slot)
{ return L->w[slot].off >= 0 ? base + L->w[slot].off : NULL; }
/* the kind's parameter block as its own struct */
#define CNN_LAYER_PARAMS(L, type) ((type *)(void *)(L)->p.bytes)

/* Whether a layer runs in training mode in a pass of that mode: its call's fixed mode, else the pass's.
 * Backward runs only in training passes, so kinds with modes ask cnn_layer_training(L, 1) there. */
static inline int cnn_layer_training(const cnn_layer *L, int training)
{ return L->mode == CNN_MODE_CALL ? training : L->mode == CNN_MODE_TRAINING; }

/* A plain ReLU (no slope, threshold or cap): fusable into GEMM epilogues and masks. */
int cnn_act_is_plain_relu(const cnn_act *a);

#endif

/* concatenate.c - Keras's Concatenate: inputs joined along one per-sample axis (channels_last shapes;
 * the other axes must agree). Backward hands each input its slice of the gradient. */
#include <stddef.h>
#include <string.h>

#include "layer.h"

typedef struct {
    int axis;   /* per-sample axis, 0 .. ndim - 1 (Python resolves negative axes) */
} concat_params;
static const cnn_field concat_fields[] = {
    {"axis", CNN_FIELD_INT, offsetof(concat_params, axis), 0, 0, CNN_MAX_DIMS - 1, NULL, 0, 0, 1},
};
static const cnn_record_desc concat_desc = {"concatenate", sizeof(concat_params), 1, concat_fields, NULL};

static int axis_of(const cnn_layer *L) { return CNN_LAYER_PARAMS(L, const concat_params)->axis; }

static const char *concat_check(const cnn_layer *L)
{
    if (axis_of(L) >= L->out.ndim) return "axis";
    return cnn_layer_check_no_weights(L);
}

static const char *concat_check_n(const cnn_layer *L, const cnn_shape *const *in, int n)
{
    int axis = axis_of(L);
    long along = 0;
    for (int i = 0; i < n; i++) {
        if (in[i]->ndim != L->out.ndim) return "in_shape";
        for (int d = 0; d < L->out.ndim; d++)
            if (d != axis && in[i]->dim[d] != L->out.dim[d]) return "in_shape";
        along += in[i]->dim[axis];
    }
    return along == L->out.dim[axis] ? NULL : "out_shape";
}

static void concat_sizes(const cnn_layer *L, cnn_layer_sizes *s) { s->out = cnn_layer_out_size(L); }

/* Samples x axes before `axis` (outer) and the floats of one input's block (its extent x inner). */
static long outer_of(const cnn_layer *L, long nb)
{
    long outer = nb;
    for (int d = 0; d < axis_of(L); d++) outer *= L->out.dim[d];
    return outer;
}

static long block_of(const cnn_layer *L, const cnn_shape *in)
{
    long block = 1;
    for (int d = axis_of(L); d < L->out.ndim; d++) block *= in->dim[d];
    return block;
}

static const float *concat_forward(const cnn_layer_ctx *c, const float *const *xs, const cnn_shape *const *in,
                                   int n)
{
    const cnn_layer *L = c->L;
    long outer = outer_of(L, c->nb), row = block_of(L, &L->out), at = 0;
    float *y = c->B->out;
    for (int i = 0; i < n; i++) {
        long block = block_of(L, in[i]);
        for (long o = 0; o < outer; o++) memcpy(y + o * row + at, xs[i] + o * block, sizeof(float) * block);
        at += block;
    }
    return y;
}

static void concat_backward(const cnn_layer_ctx *c, float *const *gxs, const int *acc, const float *g,
                            const float *const *xs, const cnn_shape *const *in, int n, const float *y)
{
    const cnn_layer *L = c->L;
    long outer = outer_of(L, c->nb), row = block_of(L, &L->out), at = 0;
    for (int i = 0; i < n; i++) {
        long block = block_of(L, in[i]);
        float *gx = gxs[i];
        for (long o = 0; gx && o < outer; o++) {
            const float *src = g + o * row + at;
            float *dst = gx + o * block;
            if (acc[i])
                for (long e = 0; e < block; e++) dst[e] += src[e];
            else memcpy(dst, src, sizeof(float) * block);
        }
        at += block;
    }
}

const cnn_layer_ops cnn_layer_concatenate = {
    .name = "concatenate",
    .params = &concat_desc,
    .check = concat_check,
    .sizes = concat_sizes,
    .check_n = concat_check_n,
    .forward_n = concat_forward,
    .backward_n = concat_backward,
};

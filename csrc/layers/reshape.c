/* reshape.c - Flatten and Reshape: row-major no-ops on the data; the output aliases the input. */
#include "layer.h"

static const char *reshape_check(const cnn_layer *L)
{
    if (cnn_layer_in_size(L) != cnn_layer_out_size(L)) return "out_shape";   /* same values, new shape */
    return cnn_layer_check_no_weights(L);
}

static void reshape_sizes(const cnn_layer *L, cnn_layer_sizes *s) {}

static const float *reshape_forward(const cnn_layer_ctx *c, const float *x, int training, long iteration)
{ return x; }

static float *reshape_backward(const cnn_layer_ctx *c, float *g, float *gx, const float *x, const float *y,
                               int g_is_dz, int need_dx, const float *dx_mask, int *masked)
{ return g; }

const cnn_layer_ops cnn_layer_reshape = {
    .name = "reshape",
    .check = reshape_check,
    .sizes = reshape_sizes,
    .forward = reshape_forward,
    .backward = reshape_backward,
};

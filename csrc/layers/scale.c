/* scale.c - Rescaling: y = x * scale + offset, element-wise (the 1/255 of image models). */
#include <stddef.h>

#include "layer.h"

typedef struct {
    float scale, offset;
} scale_params;
static const cnn_field scale_fields[] = {
    {"scale", CNN_FIELD_F32, offsetof(scale_params, scale), 1.0, -__builtin_inf(), __builtin_inf(), NULL, 0,
     0, 0},
    {"offset", CNN_FIELD_F32, offsetof(scale_params, offset), 0.0, -__builtin_inf(), __builtin_inf(), NULL, 0,
     0, 0},
};
static const cnn_record_desc scale_desc = {"scale", sizeof(scale_params), 2, scale_fields, NULL};

static const char *scale_check(const cnn_layer *L)
{
    const char *bad = cnn_layer_in_size(L) == cnn_layer_out_size(L) ? NULL : "out_shape";
    return bad ? bad : cnn_layer_check_no_weights(L);
}

static void scale_sizes(const cnn_layer *L, cnn_layer_sizes *s) { s->out = cnn_layer_out_size(L); }

static const float *scale_forward(const cnn_layer_ctx *c, const float *x, int training, long iteration)
{
    const scale_params *p = CNN_LAYER_PARAMS(c->L, const scale_params);
    long n = c->nb * cnn_layer_in_size(c->L);
    for (long i = 0; i < n; i++) c->B->out[i] = x[i] * p->scale + p->offset;
    return c->B->out;
}

static float *scale_backward(const cnn_layer_ctx *c, float *g, float *gx, const float *x, const float *y,
                             int g_is_dz, int need_dx, const float *dx_mask, int *masked)
{
    if (!need_dx) return g;
    float s = CNN_LAYER_PARAMS(c->L, const scale_params)->scale;
    long n = c->nb * cnn_layer_in_size(c->L);
    for (long i = 0; i < n; i++) g[i] *= s;
    return g;
}

const cnn_layer_ops cnn_layer_scale = {
    .name = "scale",
    .params = &scale_desc,
    .check = scale_check,
    .sizes = scale_sizes,
    .forward = scale_forward,
    .backward = scale_backward,
};

/* activation.c - the Activation layer kind (and ReLU, LeakyReLU, ELU, Softmax layers): y = f(x) on
 * the last axis, with the kernels of math/activations.c. */
#include <stddef.h>

#include "layer.h"

typedef struct {
    cnn_act act;
} activation_params;
static const cnn_field activation_fields[] = {
    {"act", CNN_FIELD_RECORD, offsetof(activation_params, act), 0, 0, 0, &cnn_act_desc, 0, 0, 0},
};
static const cnn_record_desc activation_desc
    = {"activation", sizeof(activation_params), 1, activation_fields, NULL};

static const char *activation_check(const cnn_layer *L)
{
    const char *bad = cnn_layer_check_same(L);
    return bad ? bad : cnn_layer_check_no_weights(L);
}

static void activation_sizes(const cnn_layer *L, cnn_layer_sizes *s) { s->out = cnn_layer_out_size(L); }

static const float *activation_forward(const cnn_layer_ctx *c, const float *x, int training, long iteration)
{
    const cnn_layer *L = c->L;
    cnn_act_forward(c->B->out, x, cnn_layer_rows(L, c->nb), cnn_layer_in_cols(L),
                    &CNN_LAYER_PARAMS(L, const activation_params)->act);
    return c->B->out;
}

static float *activation_backward(const cnn_layer_ctx *c, float *g, float *gx, const float *x, const float *y,
                                  int g_is_dz, int need_dx, const float *dx_mask, int *masked)
{
    const cnn_layer *L = c->L;
    if (!g_is_dz)
        cnn_act_backward(g, g, x, y, cnn_layer_rows(L, c->nb), cnn_layer_in_cols(L),
                         &CNN_LAYER_PARAMS(L, const activation_params)->act);
    return g;
}

static int activation_final_act(const cnn_layer *L)
{ return CNN_LAYER_PARAMS(L, const activation_params)->act.kind; }

const cnn_layer_ops cnn_layer_activation = {
    .name = "activation",
    .params = &activation_desc,
    .check = activation_check,
    .sizes = activation_sizes,
    .forward = activation_forward,
    .backward = activation_backward,
    .final_act = activation_final_act,
};

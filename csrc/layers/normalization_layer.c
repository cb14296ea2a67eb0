/* normalization_layer.c - Keras's preprocessing Normalization: y = (x - mean) / max(sqrt(var), eps),
 * or with invert y = mean + x * max(sqrt(var), eps), in float32 operations in that order (Keras 3's).
 *
 * The statistics are the layer's non-trainable weights (spans mm and mv, L entries each). Element i
 * of the flattened batch uses entry (i / inner) % L: L = 1 is one scalar for everything, inner = 1
 * and L = the last axis is per feature, and a block of kept axes followed by `inner` elements of the
 * reduced axes covers the rest. */
#include <stddef.h>

#include "layer.h"

typedef struct {
    float epsilon;
    int invert;
    long inner;
} normalization_params;
static const cnn_field normalization_fields[] = {
    {"epsilon", CNN_FIELD_F32, offsetof(normalization_params, epsilon), 1e-7, 0, __builtin_inf(), NULL, 0, 0,
     0},
    {"invert", CNN_FIELD_BOOL, offsetof(normalization_params, invert), 0, 0, 1, NULL, 0, 0, 0},
    {"inner", CNN_FIELD_LONG, offsetof(normalization_params, inner), 1, 1, 9007199254740992.0, NULL, 0, 0, 0},
};
static const cnn_record_desc normalization_desc
    = {"normalization", sizeof(normalization_params), 3, normalization_fields, NULL};

/* mean and variance spans of equal length L, and L * inner divides the sample */
static const char *normalization_check(const cnn_layer *L)
{
    const char *bad = cnn_layer_check_same(L);
    if (bad) return bad;
    if (L->w[CNN_W_KERNEL].off >= 0) return "w_off";
    if (L->w[CNN_W_BIAS].off >= 0) return "b_off";
    if (L->w[CNN_W_STATE0].off < 0) return "mm_off";
    if (L->w[CNN_W_STATE1].off < 0) return "mv_off";
    long n = L->w[CNN_W_STATE0].len, inner = CNN_LAYER_PARAMS(L, const normalization_params)->inner;
    if (n < 1 || L->w[CNN_W_STATE1].len != n) return "mv_len";
    if (cnn_layer_in_size(L) % n != 0 || cnn_layer_in_size(L) / n % inner != 0) return "inner";
    return NULL;
}

static void normalization_sizes(const cnn_layer *L, cnn_layer_sizes *s) { s->out = cnn_layer_in_size(L); }

/* the divisor (or, inverted, the factor) of entry k: max(sqrt(var), eps) as Keras computes it */
static float scale_of(const float *var, long k, float eps)
{
    float s = cnn_sqrtf(var[k]);
    return s < eps ? eps : s;
}

static const float *normalization_forward(const cnn_layer_ctx *c, const float *x, int training,
                                          long iteration)
{
    const cnn_layer *L = c->L;
    const normalization_params *P = CNN_LAYER_PARAMS(L, const normalization_params);
    const float *mean = cnn_layer_weight(c->params, L, CNN_W_STATE0);
    const float *var = cnn_layer_weight(c->params, L, CNN_W_STATE1);
    long n = c->nb * cnn_layer_in_size(L), len = L->w[CNN_W_STATE0].len;
    float *y = c->B->out;
    for (long i = 0; i < n; i++) {
        long k = i / P->inner % len;
        float s = scale_of(var, k, P->epsilon);
        y[i] = P->invert ? mean[k] + x[i] * s : (x[i] - mean[k]) / s;
    }
    return y;
}

/* no weight gradients (the statistics are not trained); dx = g / s, or g * s when inverted */
static float *normalization_backward(const cnn_layer_ctx *c, float *g, float *gx, const float *x,
                                     const float *y, int g_is_dz, int need_dx, const float *dx_mask,
                                     int *masked)
{
    const cnn_layer *L = c->L;
    const normalization_params *P = CNN_LAYER_PARAMS(L, const normalization_params);
    if (!need_dx) return gx;
    const float *var = cnn_layer_weight(c->params, L, CNN_W_STATE1);
    long n = c->nb * cnn_layer_in_size(L), len = L->w[CNN_W_STATE0].len;
    for (long i = 0; i < n; i++) {
        float s = scale_of(var, i / P->inner % len, P->epsilon);
        gx[i] = P->invert ? g[i] * s : g[i] / s;
    }
    return gx;
}

const cnn_layer_ops cnn_layer_normalization = {
    .name = "normalization",
    .params = &normalization_desc,
    .check = normalization_check,
    .sizes = normalization_sizes,
    .forward = normalization_forward,
    .backward = normalization_backward,
};

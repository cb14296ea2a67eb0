/* noise.c - GaussianNoise (y = x + N(0, stddev)) and GaussianDropout (y = x * N(1, stddev)) while
 * training; identity at inference. The noise comes from the layer's stream keyed by the step. */
#include <stddef.h>

#include "layer.h"

typedef struct {
    float stddev;
    int multiplicative;
    uint64_t seed;
} noise_params;
static const cnn_field noise_fields[] = {
    {"stddev", CNN_FIELD_F32, offsetof(noise_params, stddev), 0, 0, __builtin_inf(), NULL, 0, 0, 0},
    {"multiplicative", CNN_FIELD_BOOL, offsetof(noise_params, multiplicative), 0, 0, 1, NULL, 0, 0, 0},
    {"seed", CNN_FIELD_U64, offsetof(noise_params, seed), 0, 0, 0, NULL, 0, 0, 0},
};
static const cnn_record_desc noise_desc = {"noise", sizeof(noise_params), 3, noise_fields, NULL};

static const char *noise_check(const cnn_layer *L)
{
    const char *bad = cnn_layer_check_same(L);
    return bad ? bad : cnn_layer_check_no_weights(L);
}

static void noise_sizes(const cnn_layer *L, cnn_layer_sizes *s)
{ s->out = s->scratch = cnn_layer_in_size(L); }

static const float *noise_forward(const cnn_layer_ctx *c, const float *x, int training, long iteration)
{
    const noise_params *P = CNN_LAYER_PARAMS(c->L, const noise_params);
    if (!training || !(P->stddev > 0.0f)) return x;
    long n = c->nb * cnn_layer_in_size(c->L);
    float *out = c->B->out, *noise = c->B->scratch;
    uint64_t key = cnn_rng_key(P->seed, CNN_RNG_NOISE, (uint64_t)c->index, (uint64_t)iteration);
    cnn_rng_normal(noise, n, key, P->multiplicative ? 1.0f : 0.0f, P->stddev, 0);
    for (long i = 0; i < n; i++) out[i] = P->multiplicative ? x[i] * noise[i] : x[i] + noise[i];
    return out;
}

/* additive: identity; multiplicative: times the same noise */
static float *noise_backward(const cnn_layer_ctx *c, float *g, float *gx, const float *x, const float *y,
                             int g_is_dz, int need_dx, const float *dx_mask, int *masked)
{
    const noise_params *P = CNN_LAYER_PARAMS(c->L, const noise_params);
    if (P->multiplicative && P->stddev > 0.0f && cnn_layer_training(c->L, 1)) {
        long n = c->nb * cnn_layer_in_size(c->L);
        for (long i = 0; i < n; i++) g[i] *= c->B->scratch[i];
    }
    return g;
}

const cnn_layer_ops cnn_layer_noise = {
    .name = "noise",
    .params = &noise_desc,
    .check = noise_check,
    .sizes = noise_sizes,
    .forward = noise_forward,
    .backward = noise_backward,
};

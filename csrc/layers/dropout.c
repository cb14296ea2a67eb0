/* dropout.c - inverted dropout over n elements (keras.layers.Dropout).
 *
 * keep[i] = uniform(key, i) >= rate, where uniform(key, i) is element i of cnn_rng_uniform(..., key,
 * 0, 1): word i % 4 of cnn_philox(key, 0, i / 4), top 24 bits times 2^-24 (rng.c). The words are
 * drawn here directly, so no scratch buffer is needed and y may equal x; the tests check that the
 * mask equals cnn_rng_uniform's. Chunks of elements run on the pool: each element is independent.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"

#define DROP_CHUNK 16384L          /* elements per task, a multiple of 4 */
#define DROP_PARALLEL_MIN 65536L
#define DROP_BLOCK 256            /* elements whose words are drawn at once */

typedef struct {
    float *y;
    uint8_t *keep;
    const float *x;
    long n;
    float rate, keep_prob;
    uint64_t key;
} drop_ctx;

/* v where k, else +0: a bit mask rather than a branch (the mask is random) or a multiply (inf * 0). */
static float select_kept(float v, int k)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    bits &= 0u - (uint32_t)k;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* The loops stage through local arrays so that y == x (and dx == dy) still vectorize. */
static void forward_chunk(void *ctx, long t)
{
    const drop_ctx *c = ctx;
    float *y = c->y, rate = c->rate, keep_prob = c->keep_prob;   /* locals: keep may alias *c */
    uint8_t *keep = c->keep;
    const float *x = c->x;
    long end = (t + 1) * DROP_CHUNK < c->n ? (t + 1) * DROP_CHUNK : c->n;
    for (long b = t * DROP_CHUNK; b < end; b += DROP_BLOCK) {
        long nb = end - b < DROP_BLOCK ? end - b : DROP_BLOCK;
        uint32_t w[DROP_BLOCK];
        float v[DROP_BLOCK];
        for (long j = 0; 4 * j < nb; j++) cnn_philox(w + 4 * j, c->key, 0, (uint64_t)(b / 4 + j));
        for (long l = 0; l < nb; l++) v[l] = x[b + l] / keep_prob;
        for (long l = 0; l < nb; l++) {
            int k = (float)(w[l] >> 8) * 0x1p-24f >= rate;
            keep[b + l] = (uint8_t)k;
            y[b + l] = select_kept(v[l], k);
        }
    }
}

void cnn_dropout_forward(float *y, uint8_t *keep, const float *x, long n, float rate, uint64_t key)
{
    if (n <= 0) return;
    drop_ctx c = {y, keep, x, n, rate, 1.0f - rate, key};
    long ntasks = (n + DROP_CHUNK - 1) / DROP_CHUNK;
    if (n >= DROP_PARALLEL_MIN) cnn_parallel_for(ntasks, forward_chunk, &c);
    else
        for (long t = 0; t < ntasks; t++) forward_chunk(&c, t);
}

void cnn_dropout_backward(float *dx, const float *dy, const uint8_t *keep, long n, float rate)
{
    float keep_prob = 1.0f - rate;
    for (long b = 0; b < n; b += DROP_BLOCK) {
        long nb = n - b < DROP_BLOCK ? n - b : DROP_BLOCK;
        float v[DROP_BLOCK];
        for (long l = 0; l < nb; l++) v[l] = dy[b + l] / keep_prob;
        for (long l = 0; l < nb; l++) dx[b + l] = select_kept(v[l], keep[b + l] != 0);
    }
}

/* Keras's noise_shape: one mask entry serves every element that map[] sends to it. Element e of
 * sample b uses entry (batch_shared ? 0 : b) * mask_size + map[e], kept when uniform(key, entry) >= rate
 * (the same stream as above, indexed by entry). */
void cnn_dropout_forward_shared(float *y, uint8_t *keep, const float *x, long nb, long size,
                                const int64_t *map, long mask_size, int batch_shared, float rate,
                                uint64_t key)
{
    float keep_prob = 1.0f - rate;
    for (long b = 0; b < nb; b++) {
        uint64_t base = (uint64_t)(batch_shared ? 0 : b) * (uint64_t)mask_size;
        for (long e = 0; e < size; e++) {
            uint64_t entry = base + (uint64_t)map[e];
            uint32_t w[4];
            cnn_philox(w, key, 0, entry / 4);
            int k = (float)(w[entry % 4] >> 8) * 0x1p-24f >= rate;
            long i = b * size + e;
            keep[i] = (uint8_t)k;
            y[i] = select_kept(x[i] / keep_prob, k);
        }
    }
}

/* ------------------------------------------------------------------ AlphaDropout */
/* AlphaDropout (Keras): dropped units take SELU's negative saturation alpha_p, then an affine map
 * a * v + b keeps the mean and variance. The keep mask comes from the ordinary dropout stream. */
static void alpha_dropout_coefficients(float rate, float *a, float *b, float *alpha_p)
{
    const double alpha = 1.6732632423543772848170429916717, scale = 1.0507009873554804934193349852946;
    double ap = -alpha * scale;
    double aa = 1.0 / sqrt((1.0 - rate) * (1.0 + rate * ap * ap));
    *a = (float)aa;
    *b = (float)(-aa * ap * rate);
    *alpha_p = (float)ap;
}

static void alpha_dropout_forward(float *y, const uint8_t *keep, const float *x, long n, float rate)
{
    float a, b, ap;
    alpha_dropout_coefficients(rate, &a, &b, &ap);
    for (long i = 0; i < n; i++) y[i] = a * (keep[i] ? x[i] : ap) + b;
}

static void alpha_dropout_backward(float *g, const uint8_t *keep, long n, float rate)
{
    float a, b, ap;
    alpha_dropout_coefficients(rate, &a, &b, &ap);
    for (long i = 0; i < n; i++) g[i] = keep[i] ? a * g[i] : 0.0f;
}

/* ------------------------------------------------------------------ the layer kind */
typedef struct {
    float rate;
    int alpha_dropout;            /* AlphaDropout: y = a * (keep ? x : alpha_p) + b */
    uint64_t seed;                /* the layer's stream */
    int64_t *noise_map;           /* noise_shape: mask entry of each element of a sample, or NULL */
    long noise_map_len;
    long noise_size;              /*   mask entries per sample */
    int noise_batch_shared;       /*   one mask for the whole batch */
} dropout_params;
static const cnn_field dropout_fields[] = {
    {"rate", CNN_FIELD_F32, offsetof(dropout_params, rate), 0, 0, 1, NULL, 0, 0, 0},
    {"alpha_dropout", CNN_FIELD_BOOL, offsetof(dropout_params, alpha_dropout), 0, 0, 1, NULL, 0, 0, 0},
    {"seed", CNN_FIELD_U64, offsetof(dropout_params, seed), 0, 0, 0, NULL, 0, 0, 0},
    {"noise_map", CNN_FIELD_I64_LIST, offsetof(dropout_params, noise_map), 0, 0, 0, NULL,
     offsetof(dropout_params, noise_map_len), 0, 0},
    {"noise_size", CNN_FIELD_LONG, offsetof(dropout_params, noise_size), 0, 0, 9007199254740992.0, NULL, 0, 0,
     0},
    {"noise_batch_shared", CNN_FIELD_BOOL, offsetof(dropout_params, noise_batch_shared), 0, 0, 1, NULL, 0, 0,
     0},
};
static const cnn_record_desc dropout_desc
    = {"dropout", sizeof(dropout_params), sizeof dropout_fields / sizeof dropout_fields[0], dropout_fields,
       NULL};

static const char *dropout_check(const cnn_layer *L)
{
    const dropout_params *P = CNN_LAYER_PARAMS(L, const dropout_params);
    const char *bad = cnn_layer_check_same(L);
    if (bad || (bad = cnn_layer_check_no_weights(L))) return bad;
    if (!P->noise_map) return NULL;
    if (P->noise_map_len != cnn_layer_in_size(L)) return "noise_map";
    for (long e = 0; e < P->noise_map_len; e++)
        if (P->noise_map[e] < 0 || P->noise_map[e] >= P->noise_size) return "noise_map";
    return NULL;
}

static void dropout_sizes(const cnn_layer *L, cnn_layer_sizes *s) { s->out = s->mask = cnn_layer_in_size(L); }

static int dropout_own(cnn_layer *L)
{
    dropout_params *P = CNN_LAYER_PARAMS(L, dropout_params);
    if (!P->noise_map) return 1;
    int64_t *copy = malloc(sizeof(int64_t) * (size_t)P->noise_map_len);
    if (copy) memcpy(copy, P->noise_map, sizeof(int64_t) * (size_t)P->noise_map_len);
    P->noise_map = copy;
    return copy != NULL;
}

static void dropout_release(cnn_layer *L)
{
    dropout_params *P = CNN_LAYER_PARAMS(L, dropout_params);
    free(P->noise_map);
    P->noise_map = NULL;
}

static const float *dropout_layer_forward(const cnn_layer_ctx *c, const float *x, int training,
                                          long iteration)
{
    const dropout_params *P = CNN_LAYER_PARAMS(c->L, const dropout_params);
    if (!training || !(P->rate > 0.0f)) return x;
    long size = cnn_layer_in_size(c->L), n = c->nb * size;
    float *out = c->B->out;
    uint64_t key = cnn_rng_key(P->seed, CNN_RNG_DROPOUT, (uint64_t)c->index, (uint64_t)iteration);
    if (P->noise_map)
        cnn_dropout_forward_shared(out, c->B->mask, x, c->nb, size, P->noise_map, P->noise_size,
                                   P->noise_batch_shared, P->rate, key);
    else cnn_dropout_forward(out, c->B->mask, x, n, P->rate, key);
    if (P->alpha_dropout) alpha_dropout_forward(out, c->B->mask, x, n, P->rate);
    return out;
}

static float *dropout_layer_backward(const cnn_layer_ctx *c, float *g, float *gx, const float *x,
                                     const float *y, int g_is_dz, int need_dx, const float *dx_mask,
                                     int *masked)
{
    const dropout_params *P = CNN_LAYER_PARAMS(c->L, const dropout_params);
    long n = c->nb * cnn_layer_in_size(c->L);
    if (!cnn_layer_training(c->L, 1)) return g;   /* called with training=False: the identity */
    if (P->rate > 0.0f && P->alpha_dropout) alpha_dropout_backward(g, c->B->mask, n, P->rate);
    else if (P->rate > 0.0f) cnn_dropout_backward(g, g, c->B->mask, n, P->rate);
    return g;
}

const cnn_layer_ops cnn_layer_dropout = {
    .name = "dropout",
    .params = &dropout_desc,
    .check = dropout_check,
    .sizes = dropout_sizes,
    .own = dropout_own,
    .release = dropout_release,
    .forward = dropout_layer_forward,
    .backward = dropout_layer_backward,
};

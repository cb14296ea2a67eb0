/* dropout.c - inverted dropout over n elements (Keras reference section 5.4).
 *
 * keep[i] = uniform(key, i) >= rate, where uniform(key, i) is element i of cnn_rng_uniform(..., key,
 * 0, 1): word i % 4 of cnn_philox(key, 0, i / 4), top 24 bits times 2^-24 (rng.c). The words are
 * drawn here directly, so no scratch buffer is needed and y may equal x; the tests check that the
 * mask equals cnn_rng_uniform's. Chunks of elements run on the pool: each element is independent.
 */
#include <string.h>
#include "cnn.h"

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
    drop_ctx c = { y, keep, x, n, rate, 1.0f - rate, key };
    long ntasks = (n + DROP_CHUNK - 1) / DROP_CHUNK;
    if (n >= DROP_PARALLEL_MIN) cnn_parallel_for(ntasks, forward_chunk, &c);
    else for (long t = 0; t < ntasks; t++) forward_chunk(&c, t);
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

/* rng.c - counter-based random numbers (the "random" section of cnn.h).
 *
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11; the
 * constants of Random123). A stream is a 64-bit key; word w of the stream is word w % 4 of
 * philox(key, counter = w / 4), so element i never depends on how many elements were drawn
 * before it, on threads, or on build order.
 */
#include "cnn.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u   /* golden ratio */
#define PHILOX_W1 0xBB67AE85u   /* sqrt(3) - 1 */

void cnn_philox(uint32_t out[4], uint64_t key, uint64_t counter_hi, uint64_t counter_lo)
{
    uint32_t c0 = (uint32_t)counter_lo, c1 = (uint32_t)(counter_lo >> 32);
    uint32_t c2 = (uint32_t)counter_hi, c3 = (uint32_t)(counter_hi >> 32);
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

/* Two Philox calls so that all 160 bits of (purpose, a, b) reach the key without collisions:
 * t = philox(seed; purpose, a); key = low half of philox(t.lo; t.hi, b). */
uint64_t cnn_rng_key(uint64_t seed, uint32_t purpose, uint64_t a, uint64_t b)
{
    uint32_t t[4], u[4];
    cnn_philox(t, seed, purpose, a);
    cnn_philox(u, (uint64_t)t[0] | (uint64_t)t[1] << 32, (uint64_t)t[2] | (uint64_t)t[3] << 32, b);
    return (uint64_t)u[0] | (uint64_t)u[1] << 32;
}

/* The top 24 bits of a word as a float in [0, 1): exact, every value equally likely. */
static float unit24(uint32_t w) { return (float)(w >> 8) * 0x1p-24f; }

/* The largest float below hi (finite hi). */
static float below(float hi)
{
    union {
        float f;
        uint32_t u;
    } v = {hi};
    if (hi == 0.0f) return -0x1p-149f;
    v.u += hi > 0.0f ? (uint32_t)-1 : 1u;
    return v.f;
}

void cnn_rng_uniform(float *out, long n, uint64_t key, float lo, float hi)
{
    CNN_ASSERT(n >= 0 && (n == 0 || out));
    float span = hi - lo, top = hi > lo ? below(hi) : lo;
    for (long j = 0; 4 * j < n; j++) {
        uint32_t w[4];
        cnn_philox(w, key, 0, (uint64_t)j);
        for (int l = 0; l < 4 && 4 * j + l < n; l++) {
            float v = lo + span * unit24(w[l]);
            out[4 * j + l] = v > top ? top : v;   /* lo + span * u can round up to hi */
        }
    }
}

/* Box-Muller: two standard normals from two words. u1 in (0, 1] so the log is finite. */
static void box_muller(float z[2], uint32_t w1, uint32_t w2)
{
    float u1 = (float)((w1 >> 8) + 1) * 0x1p-24f;
    float theta = 6.28318530717958647692f * unit24(w2);
    float r = cnn_sqrtf(-2.0f * cnn_logf(u1));
    z[0] = r * cnn_cosf(theta);
    z[1] = r * cnn_sinf(theta);
}

/* Element i of the normal stream: counter i / 4, pair (i % 4) / 2, cos for even i, sin for odd. */
void cnn_rng_normal(float *out, long n, uint64_t key, float mean, float stddev, int truncated)
{
    CNN_ASSERT(n >= 0 && (n == 0 || out));
    for (long j = 0; 4 * j < n; j++) {
        uint32_t w[4];
        float z[4];
        cnn_philox(w, key, 0, (uint64_t)j);
        box_muller(z, w[0], w[1]);
        box_muller(z + 2, w[2], w[3]);
        for (int l = 0; l < 4 && 4 * j + l < n; l++) {
            long i = 4 * j + l;
            float v = z[l];
            /* Truncated: redraw element i alone from counters (attempt, i), attempt = 1, 2, ...
             * (the untruncated stream only uses counter_hi = 0), two candidates per attempt. */
            for (uint64_t attempt = 1; truncated && !(v >= -2.0f && v <= 2.0f); attempt++) {
                float c[2];
                cnn_philox(w, key, attempt, (uint64_t)i);
                box_muller(c, w[0], w[1]);
                v = c[0] >= -2.0f && c[0] <= 2.0f ? c[0] : c[1];
                if (attempt == 1000) v = 0.0f;    /* unreachable in practice (p = 0.046^2000) */
            }
            out[i] = mean + stddev * v;
        }
    }
}

/* One 32-bit word after another from the stream `key`. */
typedef struct {
    uint64_t key, next;
    uint32_t buf[4];
    int used;
} word_stream;

static uint32_t next_word(word_stream *s)
{
    if (s->used == 4) {
        cnn_philox(s->buf, s->key, 0, s->next++);
        s->used = 0;
    }
    return s->buf[s->used++];
}

/* High 64 bits of a 64x64 product, from 32-bit halves (no compiler extensions). */
static uint64_t mulhi64(uint64_t a, uint64_t b, uint64_t *lo)
{
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    *lo = (mid << 32) | (uint32_t)p00;
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/* Uniform integer in [0, s), s >= 1, without bias: Lemire's multiply-and-reject. */
static uint64_t bounded(word_stream *st, uint64_t s)
{
    if (s <= 0xffffffffu) {
        uint64_t m = (uint64_t)next_word(st) * s;
        if ((uint32_t)m < s) {
            uint32_t t = (uint32_t)(-(uint32_t)s) % (uint32_t)s;   /* 2^32 mod s */
            while ((uint32_t)m < t) m = (uint64_t)next_word(st) * s;
        }
        return m >> 32;
    }
    uint64_t lo, x = (uint64_t)next_word(st) | (uint64_t)next_word(st) << 32;
    uint64_t hi = mulhi64(x, s, &lo);
    if (lo < s) {
        uint64_t t = (0 - s) % s;                                    /* 2^64 mod s */
        while (lo < t) {
            x = (uint64_t)next_word(st) | (uint64_t)next_word(st) << 32;
            hi = mulhi64(x, s, &lo);
        }
    }
    return hi;
}

void cnn_rng_permutation(int64_t *perm, long n, uint64_t key)
{
    CNN_ASSERT(n >= 0 && (n == 0 || perm));
    word_stream st = {key, 0, {0, 0, 0, 0}, 4};
    for (long i = 0; i < n; i++) perm[i] = i;
    for (long i = n - 1; i > 0; i--) {
        long j = (long)bounded(&st, (uint64_t)i + 1);
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* pool.c - MaxPooling and AveragePooling (1D and 2D, and their global forms: one window over the
 * whole map, output (C,)), channels_last. Max saves the argmax of each output (its offset in the
 * sample) for backward; taps outside the input are ignored (Keras's "same": average over the valid
 * taps only). Backward scatters into a zeroed dx sample by sample, outputs in order: fixed sums. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "spatial.h"

enum { POOL_MAX = 0, POOL_AVG = 1 };
static const char *const pool_mode_names[] = {"max", "avg"};
static const cnn_enum_desc pool_modes = {"pool_mode", 2, pool_mode_names};

typedef struct {
    int mode, kh, kw, sh, sw, pt, pl;
} pool_params;

#define INT(m, lo) {#m, CNN_FIELD_INT, offsetof(pool_params, m), lo, lo, 1 << 30, NULL, 0, 0, 0}
static const cnn_field pool_fields[] = {
    {"mode", CNN_FIELD_ENUM, offsetof(pool_params, mode), 0, 0, 0, &pool_modes, 0, 0, 1},
    INT(kh, 1),
    INT(kw, 1),
    INT(sh, 1),
    INT(sw, 1),
    INT(pt, 0),
    INT(pl, 0),
};
static const cnn_record_desc pool_desc
    = {"pool", sizeof(pool_params), sizeof pool_fields / sizeof pool_fields[0], pool_fields, NULL};

/* the output (oh, ow, c), or (c,) for a global pooling */
static int out_hwc(const cnn_shape *s, long *h, long *w, long *c)
{
    if (s->ndim == 1) {
        *h = *w = 1;
        *c = s->dim[0];
        return 1;
    }
    return cnn_hwc(s, h, w, c);
}

static cnn_geom geometry(const cnn_layer *L)
{
    const pool_params *p = CNN_LAYER_PARAMS(L, const pool_params);
    cnn_geom g = {0, 0, 0, 0, 0, 0, p->kh, p->kw, p->sh, p->sw, 1, 1, p->pt, p->pl};
    cnn_hwc(&L->in, &g.h, &g.w, &g.c);
    out_hwc(&L->out, &g.oh, &g.ow, &g.oc);
    return g;
}

static const char *pool_check(const cnn_layer *L)
{
    const pool_params *p = CNN_LAYER_PARAMS(L, const pool_params);
    long h, w, c;
    if (!cnn_hwc(&L->in, &h, &w, &c)) return "in_shape";
    if (!out_hwc(&L->out, &h, &w, &c) || c != cnn_layer_in_cols(L)) return "out_shape";
    if (L->in.ndim == 2 && (p->kh != 1 || p->sh != 1 || p->pt != 0)) return "kh";
    if (cnn_layer_in_size(L) > INT32_MAX) return "in_shape";   /* argmax offsets are int32 */
    cnn_geom g = geometry(L);
    const char *bad = cnn_geom_check(&g);
    return bad ? bad : cnn_layer_check_no_weights(L);
}

/* scratch: the argmax of each output (int32 in a float's room) for max pooling */
static void pool_sizes(const cnn_layer *L, cnn_layer_sizes *s)
{
    s->out = cnn_layer_out_size(L);
    if (CNN_LAYER_PARAMS(L, const pool_params)->mode == POOL_MAX) s->scratch = s->out;
}

typedef struct {
    const cnn_geom *g;
    int mode;
    float *y;          /* forward: output; backward: dL/dy */
    int32_t *arg;
    float *x;          /* forward: input; backward: dL/dx */
} pool_job;

/* the valid tap range [k0, k1) of window start o*s - p over an axis of n */
static void taps(long start, int k, long n, int *k0, int *k1)
{
    *k0 = start < 0 ? (int)-start : 0;
    *k1 = start + k > n ? (int)(n - start) : k;
}

/* out = max(out, v), arg = where it came from (the first maximum wins): branch-free, it vectorises */
static void max_step(float *restrict out, int32_t *restrict arg, const float *restrict v, int32_t at,
                     int32_t C)
{
    for (int32_t c = 0; c < C; c++) {
        float o = out[c], x = v[c];
        int32_t a = arg[c], keep = -(int32_t)!(x > o);   /* all ones where out stays */
        out[c] = x > o ? x : o;
        arg[c] = (a & keep) | ((at + c) & ~keep);
    }
}

static void forward_task(void *ctx, long n)
{
    const pool_job *j = ctx;
    const cnn_geom *g = j->g;
    const float *xs = j->x + n * g->h * g->w * g->c;
    long C = g->c, o = n * g->oh * g->ow * C;
    for (long oy = 0; oy < g->oh; oy++)
        for (long ox = 0; ox < g->ow; ox++, o += C) {
            long y0 = oy * g->sh - g->pt, x0 = ox * g->sw - g->pl;
            int ky0, ky1, kx0, kx1;
            taps(y0, g->kh, g->h, &ky0, &ky1);
            taps(x0, g->kw, g->w, &kx0, &kx1);
            float *out = j->y + o;
            if (j->mode == POOL_MAX) {
                int32_t *arg = j->arg + o;
                long first = ((y0 + ky0) * g->w + x0 + kx0) * C;
                for (long c = 0; c < C; c++) {
                    out[c] = xs[first + c];
                    arg[c] = (int32_t)(first + c);
                }
                for (int ky = ky0; ky < ky1; ky++)
                    for (int kx = kx0; kx < kx1; kx++) {
                        int32_t at = (int32_t)(((y0 + ky) * g->w + x0 + kx) * C);
                        max_step(out, arg, xs + at, at, (int32_t)C);
                    }
            } else {
                float count = (float)((ky1 - ky0) * (kx1 - kx0));
                for (long c = 0; c < C; c++) out[c] = 0.0f;
                for (int ky = ky0; ky < ky1; ky++)
                    for (int kx = kx0; kx < kx1; kx++) {
                        const float *v = xs + ((y0 + ky) * g->w + x0 + kx) * C;
                        for (long c = 0; c < C; c++) out[c] += v[c];
                    }
                for (long c = 0; c < C; c++) out[c] /= count;
            }
        }
}

static void backward_task(void *ctx, long n)
{
    const pool_job *j = ctx;
    const cnn_geom *g = j->g;
    long C = g->c, o = n * g->oh * g->ow * C;
    float *dx = j->x + n * g->h * g->w * C;
    memset(dx, 0, sizeof(float) * (size_t)(g->h * g->w * C));
    for (long oy = 0; oy < g->oh; oy++)
        for (long ox = 0; ox < g->ow; ox++, o += C) {
            const float *dy = j->y + o;
            if (j->mode == POOL_MAX) {
                for (long c = 0; c < C; c++) dx[j->arg[o + c]] += dy[c];
                continue;
            }
            long y0 = oy * g->sh - g->pt, x0 = ox * g->sw - g->pl;
            int ky0, ky1, kx0, kx1;
            taps(y0, g->kh, g->h, &ky0, &ky1);
            taps(x0, g->kw, g->w, &kx0, &kx1);
            float count = (float)((ky1 - ky0) * (kx1 - kx0));
            for (int ky = ky0; ky < ky1; ky++)
                for (int kx = kx0; kx < kx1; kx++) {
                    float *d = dx + ((y0 + ky) * g->w + x0 + kx) * C;
                    for (long c = 0; c < C; c++) d[c] += dy[c] / count;
                }
        }
}

static const float *pool_forward(const cnn_layer_ctx *c, const float *x, int training, long iteration)
{
    const cnn_layer *L = c->L;
    cnn_geom g = geometry(L);
    pool_job j = {&g, CNN_LAYER_PARAMS(L, const pool_params)->mode, c->B->out,
                  (int32_t *)(void *)c->B->scratch, (float *)x};
    cnn_parallel_for(c->nb, forward_task, &j);
    return c->B->out;
}

static float *pool_backward(const cnn_layer_ctx *c, float *gy, float *gx, const float *x, const float *y,
                            int g_is_dz, int need_dx, const float *dx_mask, int *masked)
{
    if (!need_dx) return gx;
    const cnn_layer *L = c->L;
    cnn_geom g = geometry(L);
    pool_job j = {&g, CNN_LAYER_PARAMS(L, const pool_params)->mode, gy, (int32_t *)(void *)c->B->scratch, gx};
    cnn_parallel_for(c->nb, backward_task, &j);
    return gx;
}

const cnn_layer_ops cnn_layer_pool = {
    .name = "pool",
    .params = &pool_desc,
    .check = pool_check,
    .sizes = pool_sizes,
    .forward = pool_forward,
    .backward = pool_backward,
};

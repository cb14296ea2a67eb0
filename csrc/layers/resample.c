/* resample.c - ZeroPadding, Cropping and UpSampling (nearest), 1D and 2D, channels_last: output pixel
 * (oy, ox) copies input pixel ((oy - top) / fh, (ox - left) / fw) when that lies inside, else 0
 * (top / left > 0 pad, < 0 crop; fh / fw > 1 repeat). Backward sums each input pixel's output
 * gradients into a zeroed dx, outputs in order: a fixed chain per value. */
#include <stddef.h>
#include <string.h>

#include "spatial.h"

typedef struct {
    int top, left, fh, fw;
} resample_params;
#define INT(m, lo) \
    {#m, CNN_FIELD_INT, offsetof(resample_params, m), lo > 0 ? lo : 0, lo, 1 << 30, NULL, 0, 0, 0}
static const cnn_field resample_fields[]
    = {INT(top, -(1 << 30)), INT(left, -(1 << 30)), INT(fh, 1), INT(fw, 1)};
static const cnn_record_desc resample_desc = {"resample", sizeof(resample_params), 4, resample_fields, NULL};

static const char *resample_check(const cnn_layer *L)
{
    const resample_params *p = CNN_LAYER_PARAMS(L, const resample_params);
    long h, w, c, oh, ow, oc;
    if (!cnn_hwc(&L->in, &h, &w, &c)) return "in_shape";
    if (!cnn_hwc(&L->out, &oh, &ow, &oc) || L->out.ndim != L->in.ndim || oc != c) return "out_shape";
    if (L->in.ndim == 2 && (p->top != 0 || p->fh != 1)) return "top";
    return cnn_layer_check_no_weights(L);
}

static void resample_sizes(const cnn_layer *L, cnn_layer_sizes *s) { s->out = cnn_layer_out_size(L); }

typedef struct {
    const cnn_layer *L;
    float *y;          /* forward: output; backward: dL/dy */
    float *x;          /* forward: input; backward: dL/dx */
    int backward;
} resample_job;

/* the input index an output index reads along one axis, or -1 */
static long source(long o, int before, int f, long n)
{
    long i = o - before;
    return i < 0 || i / f >= n ? -1 : i / f;
}

static void task(void *ctx, long n)
{
    const resample_job *j = ctx;
    const resample_params *p = CNN_LAYER_PARAMS(j->L, const resample_params);
    long h = 0, w = 0, c = 0, oh = 0, ow = 0, oc = 0;
    cnn_hwc(&j->L->in, &h, &w, &c);
    cnn_hwc(&j->L->out, &oh, &ow, &oc);
    float *xs = j->x + n * h * w * c, *ys = j->y + n * oh * ow * c;
    if (j->backward) memset(xs, 0, sizeof(float) * (size_t)(h * w * c));
    for (long oy = 0; oy < oh; oy++) {
        long iy = source(oy, p->top, p->fh, h);
        for (long ox = 0; ox < ow; ox++) {
            long ix = source(ox, p->left, p->fw, w);
            float *yv = ys + (oy * ow + ox) * c;
            if (iy < 0 || ix < 0) {
                if (!j->backward) memset(yv, 0, sizeof(float) * (size_t)c);
                continue;
            }
            float *xv = xs + (iy * w + ix) * c;
            if (j->backward)
                for (long k = 0; k < c; k++) xv[k] += yv[k];
            else memcpy(yv, xv, sizeof(float) * (size_t)c);
        }
    }
}

static const float *resample_forward(const cnn_layer_ctx *c, const float *x, int training, long iteration)
{
    resample_job j = {c->L, c->B->out, (float *)x, 0};
    cnn_parallel_for(c->nb, task, &j);
    return c->B->out;
}

static float *resample_backward(const cnn_layer_ctx *c, float *g, float *gx, const float *x, const float *y,
                                int g_is_dz, int need_dx, const float *dx_mask, int *masked)
{
    if (!need_dx) return gx;
    resample_job j = {c->L, g, gx, 1};
    cnn_parallel_for(c->nb, task, &j);
    return gx;
}

const cnn_layer_ops cnn_layer_resample = {
    .name = "resample",
    .params = &resample_desc,
    .check = resample_check,
    .sizes = resample_sizes,
    .forward = resample_forward,
    .backward = resample_backward,
};

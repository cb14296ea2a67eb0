/* dot.c - Keras's Dot: per sample, the dot products of x and y along one axis each (batch_dot), for
 * per-sample ranks 1 and 2; output = x's other axis then y's other axis ((1,) when none is left).
 * normalize: each vector along the summed axis is first scaled by min(1/sqrt(sum x^2), 1/1e-7), as
 * keras.ops.normalize does. The sums run in double over ascending k. */
#include <math.h>
#include <stddef.h>

#include "layer.h"

typedef struct {
    int axis_x, axis_y; /* per-sample axes summed over (Python subtracts the batch axis) */
    int normalize;
} dot_params;
static const cnn_field dot_fields[] = {
    {"axis_x", CNN_FIELD_INT, offsetof(dot_params, axis_x), 0, 0, 1, NULL, 0, 0, 1},
    {"axis_y", CNN_FIELD_INT, offsetof(dot_params, axis_y), 0, 0, 1, NULL, 0, 0, 1},
    {"normalize", CNN_FIELD_BOOL, offsetof(dot_params, normalize), 0, 0, 1, NULL, 0, 0, 0},
};
static const cnn_record_desc dot_desc = {"dot", sizeof(dot_params), 3, dot_fields, NULL};

#define INV_EPSILON 1e7f /* 1 / keras.backend.epsilon() */

/* One input seen as rows x K: element (i, k) at i * si + k * sk. */
typedef struct {
    long rows, K, si, sk, size;
} view;

static view view_of(const cnn_shape *s, int axis)
{
    view v = {1, s->dim[axis], 0, 1, cnn_shape_size(s)};
    if (s->ndim == 2) {
        v.rows = s->dim[1 - axis];
        v.si = axis == 1 ? s->dim[1] : 1;
        v.sk = axis == 1 ? 1 : s->dim[1];
    }
    return v;
}

static const dot_params *params_of(const cnn_layer *L) { return CNN_LAYER_PARAMS(L, const dot_params); }

static const char *dot_check(const cnn_layer *L) { return cnn_layer_check_no_weights(L); }

static const char *dot_check_n(const cnn_layer *L, const cnn_shape *const *in, int n)
{
    const dot_params *P = params_of(L);
    if (n != 2) return "inputs";
    if (in[0]->ndim > 2 || in[1]->ndim > 2) return "in_shape";
    if (P->axis_x >= in[0]->ndim) return "axis_x";
    if (P->axis_y >= in[1]->ndim) return "axis_y";
    view a = view_of(in[0], P->axis_x), b = view_of(in[1], P->axis_y);
    if (a.K != b.K) return "in_shape";
    return cnn_layer_out_size(L) == a.rows * b.rows ? NULL : "out_shape";
}

static void dot_sizes(const cnn_layer *L, cnn_layer_sizes *s) { s->out = cnn_layer_out_size(L); }

/* The normalization scale of row i (1 without normalize); *clamped when the 1/epsilon cap applies. */
static float scale_of(const float *x, const view *v, long i, int normalize, int *clamped)
{
    *clamped = 0;
    if (!normalize) return 1.0f;
    float ss = 0.0f;
    for (long k = 0; k < v->K; k++) {
        float e = x[i * v->si + k * v->sk];
        ss += e * e;
    }
    float s = 1.0f / sqrtf(ss);
    if (!(s < INV_EPSILON)) {
        *clamped = 1;
        return INV_EPSILON;
    }
    return s;
}

static float dot_rows(const float *x, const view *a, long i, float sx, const float *y, const view *b, long j,
                      float sy)
{
    double acc = 0.0;
    for (long k = 0; k < a->K; k++)
        acc += (double)(x[i * a->si + k * a->sk] * sx) * (y[j * b->si + k * b->sk] * sy);
    return (float)acc;
}

static const float *dot_forward(const cnn_layer_ctx *c, const float *const *xs, const cnn_shape *const *in,
                                int n)
{
    const dot_params *P = params_of(c->L);
    view a = view_of(in[0], P->axis_x), b = view_of(in[1], P->axis_y);
    float *out = c->B->out;
    int clamped;
    for (long s = 0; s < c->nb; s++) {
        const float *x = xs[0] + s * a.size, *y = xs[1] + s * b.size;
        float *o = out + s * a.rows * b.rows;
        for (long i = 0; i < a.rows; i++) {
            float sx = scale_of(x, &a, i, P->normalize, &clamped);
            for (long j = 0; j < b.rows; j++)
                o[i * b.rows + j]
                    = dot_rows(x, &a, i, sx, y, &b, j, scale_of(y, &b, j, P->normalize, &clamped));
        }
    }
    return out;
}

/* dL/dx for one sample, x of view a against the other input y of view b; g[i, j] (transposed: g[j, i]
 * when x is the second input). */
static void grad_side(float *gx, int acc, const float *x, const view *a, const float *y, const view *b,
                      const float *g, int transposed, int normalize)
{
    int cx, cy;
    for (long i = 0; i < a->rows; i++) {
        float sx = scale_of(x, a, i, normalize, &cx);
        double proj = 0.0;   /* u . gu, for the normalization's backward */
        for (int pass = 0; pass < (normalize && !cx ? 2 : 1); pass++)
            for (long k = 0; k < a->K; k++) {
                double gu = 0.0;
                for (long j = 0; j < b->rows; j++) {
                    float gij = transposed ? g[j * a->rows + i] : g[i * b->rows + j];
                    gu += (double)gij * (y[j * b->si + k * b->sk] * scale_of(y, b, j, normalize, &cy));
                }
                float u = x[i * a->si + k * a->sk] * sx;
                if (normalize && !cx && pass == 0) {
                    proj += (double)u * gu;
                    continue;
                }
                float d = normalize && !cx ? sx * (float)(gu - (double)u * proj) : sx * (float)gu;
                float *at = gx + i * a->si + k * a->sk;
                *at = acc ? *at + d : d;
            }
    }
}

static void dot_backward(const cnn_layer_ctx *c, float *const *gxs, const int *acc, const float *g,
                         const float *const *xs, const cnn_shape *const *in, int n, const float *y)
{
    const dot_params *P = params_of(c->L);
    view a = view_of(in[0], P->axis_x), b = view_of(in[1], P->axis_y);
    for (int side = 0; side < 2; side++) {
        if (!gxs[side]) continue;
        for (long s = 0; s < c->nb; s++) {
            const float *x0 = xs[0] + s * a.size, *x1 = xs[1] + s * b.size, *gs = g + s * a.rows * b.rows;
            if (side == 0) grad_side(gxs[0] + s * a.size, acc[0], x0, &a, x1, &b, gs, 0, P->normalize);
            else grad_side(gxs[1] + s * b.size, acc[1], x1, &b, x0, &a, gs, 1, P->normalize);
        }
    }
}

const cnn_layer_ops cnn_layer_dot = {
    .name = "dot",
    .params = &dot_desc,
    .check = dot_check,
    .sizes = dot_sizes,
    .check_n = dot_check_n,
    .forward_n = dot_forward,
    .backward_n = dot_backward,
};

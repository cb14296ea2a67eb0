/* conv.c - Conv2D and Conv1D (channels_last) on cnn_gemm: im2col, one GEMM per group with the bias
 * and a plain ReLU in its epilogue; backward reads the columns for the kernel gradient, then
 * overwrites them with dL/dcolumns and sums those back (col2im) sample by sample in a fixed order,
 * so every value is one fixed chain whatever the threads or ISA. The columns live in the layer's
 * scratch (kept from forward to backward) when they are small, else in the plan's shared workspace
 * (rebuilt in backward). The kernel is Keras's (kh, kw, in / groups, filters), i.e. row-major
 * [kh * kw * in/groups, filters]. */
#include <stddef.h>
#include <string.h>

#include "parallel.h"
#include "spatial.h"

#define KSPLIT_ROWS 2048L          /* rows of the kernel gradient's K per block, about */
#define KSPLIT_MAX_OUTPUTS 4096L   /* kernel gradients larger than this split over their outputs */

typedef struct {
    cnn_act act;
    int kh, kw, sh, sw, dh, dw, pt, pl, groups;
} conv_params;

#define INT(m, lo) {#m, CNN_FIELD_INT, offsetof(conv_params, m), lo, lo, 1 << 20, NULL, 0, 0, 0}
static const cnn_field conv_fields[] = {
    {"act", CNN_FIELD_RECORD, offsetof(conv_params, act), 0, 0, 0, &cnn_act_desc, 0, 0, 0},
    INT(kh, 1),
    INT(kw, 1),
    INT(sh, 1),
    INT(sw, 1),
    INT(dh, 1),
    INT(dw, 1),
    INT(pt, 0),
    INT(pl, 0),
    INT(groups, 1),
};
static const cnn_record_desc conv_desc
    = {"conv", sizeof(conv_params), sizeof conv_fields / sizeof conv_fields[0], conv_fields, NULL};

static cnn_geom geometry(const cnn_layer *L)
{
    const conv_params *p = CNN_LAYER_PARAMS(L, const conv_params);
    cnn_geom g = {0, 0, 0, 0, 0, 0, p->kh, p->kw, p->sh, p->sw, p->dh, p->dw, p->pt, p->pl};
    cnn_hwc(&L->in, &g.h, &g.w, &g.c);
    cnn_hwc(&L->out, &g.oh, &g.ow, &g.oc);
    return g;
}

/* 1x1, stride 1, no padding: the columns are the input itself */
static int is_pointwise(const cnn_geom *g, int groups)
{ return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && groups == 1; }

/* Columns kept in scratch when a row of them is no wider than 4 output rows (small images, few input
 * channels: the classic first layer); wider ones go to the shared workspace and are rebuilt in
 * backward (an im2col costs less than keeping 9x the activations of every layer). */
static int keep_columns(const cnn_geom *g) { return (long)g->kh * g->kw * g->c <= 4 * g->oc; }

/* columns per group and group count */
static long group_k(const cnn_geom *g, int groups) { return (long)g->kh * g->kw * (g->c / groups); }

/* The kernel gradient is a GEMM with few outputs (kg x filters) and a long K (every output pixel
 * of the batch). When its outputs are too few to split over the pool, K is cut into blocks of
 * whole samples, about KSPLIT_ROWS rows each, fixed by the shape alone, and the blocks' partial
 * sums are added in block order (cnn_gemm_ksplit). Returns the samples per block, 0 for one GEMM
 * over all of K. */
static long ksplit_samples(const cnn_geom *g, int groups)
{
    if (group_k(g, groups) * (g->oc / groups) > KSPLIT_MAX_OUTPUTS) return 0;
    long samples = KSPLIT_ROWS / (g->oh * g->ow);
    return samples > 1 ? samples : 1;
}

/* Workspace floats per sample for the partial sums: ceil(nb / S) blocks <= 2 nb / S when there
 * are two or more. */
static long ksplit_workspace(const cnn_geom *g, int groups)
{
    long s = ksplit_samples(g, groups), outputs = group_k(g, groups) * (g->oc / groups);
    return s ? 2 * ((outputs + s - 1) / s) : 0;
}

/* ------------------------------------------------------------------ im2col / col2im, one sample a task */
typedef struct {
    const cnn_geom *g;
    int groups;
    float *col;        /* [groups][nb * oh * ow][kh * kw * cg] */
    float *x;          /* [nb][h][w][c] (read by im2col, written by col2im) */
    long nb;
} cols_job;

static void im2col_task(void *ctx, long n)
{
    const cols_job *j = ctx;
    const cnn_geom *g = j->g;
    long cg = g->c / j->groups, kg = group_k(g, j->groups), rows = j->nb * g->oh * g->ow;
    const float *xs = j->x + n * g->h * g->w * g->c;
    /* one group, no dilation along x: a window row's taps are kw * c consecutive floats of x */
    long run = j->groups == 1 && g->dw == 1 ? g->kw * g->c : 0;
    for (int gr = 0; gr < j->groups; gr++) {
        float *dst = j->col + gr * rows * kg + n * g->oh * g->ow * kg;
        for (long oy = 0; oy < g->oh; oy++)
            for (long ox = 0; ox < g->ow; ox++)
                for (int ky = 0; ky < g->kh; ky++) {
                    long iy = oy * g->sh - g->pt + (long)ky * g->dh, ix0 = ox * g->sw - g->pl;
                    if (run && iy >= 0 && iy < g->h && ix0 >= 0 && ix0 + g->kw <= g->w) {
                        const float *src = xs + (iy * g->w + ix0) * g->c;   /* kw taps x c: one run */
                        if (run >= 16) memcpy(dst, src, sizeof(float) * run);
                        else
                            for (long i = 0; i < run; i++) dst[i] = src[i];
                        dst += run;
                        continue;
                    }
                    for (int kx = 0; kx < g->kw; kx++, dst += cg) {
                        long ix = ox * g->sw - g->pl + (long)kx * g->dw;
                        if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) {
                            for (long c = 0; c < cg; c++) dst[c] = 0.0f;
                            continue;
                        }
                        const float *src = xs + (iy * g->w + ix) * g->c + gr * cg;
                        if (cg >= 16) memcpy(dst, src, sizeof(float) * cg);
                        else   /* few channels (grayscale, RGB): a call per tap costs more than the copy */
                            for (long c = 0; c < cg; c++) dst[c] = src[c];
                    }
                }
    }
}

/* dx of one sample = sum of its column gradients, in the order (group, oy, ox, ky, kx, c). */
static void col2im_task(void *ctx, long n)
{
    const cols_job *j = ctx;
    const cnn_geom *g = j->g;
    long cg = g->c / j->groups, kg = group_k(g, j->groups), rows = j->nb * g->oh * g->ow;
    float *xs = j->x + n * g->h * g->w * g->c;
    memset(xs, 0, sizeof(float) * (size_t)(g->h * g->w * g->c));
    for (int gr = 0; gr < j->groups; gr++) {
        const float *src = j->col + gr * rows * kg + n * g->oh * g->ow * kg;
        for (long oy = 0; oy < g->oh; oy++)
            for (long ox = 0; ox < g->ow; ox++)
                for (int ky = 0; ky < g->kh; ky++) {
                    long iy = oy * g->sh - g->pt + (long)ky * g->dh;
                    for (int kx = 0; kx < g->kw; kx++, src += cg) {
                        long ix = ox * g->sw - g->pl + (long)kx * g->dw;
                        if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) continue;
                        float *d = xs + (iy * g->w + ix) * g->c + gr * cg;
                        for (long c = 0; c < cg; c++) d[c] += src[c];
                    }
                }
    }
}

/* ------------------------------------------------------------------ the layer kind */
static const char *conv_check(const cnn_layer *L)
{
    const conv_params *p = CNN_LAYER_PARAMS(L, const conv_params);
    long h, w, c;
    if (!cnn_hwc(&L->in, &h, &w, &c)) return "in_shape";
    if (!cnn_hwc(&L->out, &h, &w, &c) || L->out.ndim != L->in.ndim) return "out_shape";
    cnn_geom g = geometry(L);
    if (L->in.ndim == 2 && (p->kh != 1 || p->sh != 1 || p->dh != 1 || p->pt != 0)) return "kh";
    if (g.c % p->groups || g.oc % p->groups) return "groups";
    const char *bad = cnn_geom_check(&g);
    if (bad) return bad;
    if (L->w[CNN_W_KERNEL].off < 0) return "w_off";
    if (L->w[CNN_W_KERNEL].len != group_k(&g, p->groups) * g.oc) return "w_len";
    if (L->w[CNN_W_BIAS].off >= 0 && L->w[CNN_W_BIAS].len != g.oc) return "b_len";
    if (L->w[CNN_W_STATE0].off >= 0) return "mm_off";
    if (L->w[CNN_W_STATE1].off >= 0) return "mv_off";
    return NULL;
}

static int plain(const cnn_act *a) { return a->kind == CNN_ACT_LINEAR || cnn_act_is_plain_relu(a); }

/* scratch per sample: the columns (none when pointwise), then the pre-activation if the activation
 * is not fused into the GEMM */
static void conv_sizes(const cnn_layer *L, cnn_layer_sizes *s)
{
    const conv_params *p = CNN_LAYER_PARAMS(L, const conv_params);
    cnn_geom g = geometry(L);
    long cols = is_pointwise(&g, p->groups) ? 0 : g.oh * g.ow * group_k(&g, 1);
    s->out = cnn_layer_out_size(L);
    s->scratch = (keep_columns(&g) ? cols : 0) + (plain(&p->act) ? 0 : s->out);
    s->workspace = (keep_columns(&g) ? 0 : cols) + ksplit_workspace(&g, p->groups);
}

/* where the columns of nb samples go, and where the pre-activation goes after them (in scratch) */
static float *columns(const cnn_layer_ctx *c, const cnn_geom *g)
{ return keep_columns(g) ? c->B->scratch : c->B->work; }
static float *pre_activation(const cnn_layer_ctx *c, const cnn_geom *g, int pointwise)
{ return c->B->scratch + (pointwise || !keep_columns(g) ? 0 : c->nb * g->oh * g->ow * group_k(g, 1)); }

static const float *conv_forward(const cnn_layer_ctx *c, const float *x, int training, long iteration)
{
    const cnn_layer *L = c->L;
    const conv_params *p = CNN_LAYER_PARAMS(L, const conv_params);
    cnn_geom g = geometry(L);
    long rows = c->nb * g.oh * g.ow, kg = group_k(&g, p->groups), fg = g.oc / p->groups;
    int pointwise = is_pointwise(&g, p->groups);
    const float *col = pointwise ? x : columns(c, &g);
    float *pre = plain(&p->act) ? c->B->out : pre_activation(c, &g, pointwise);
    if (!pointwise) {
        cols_job j = {&g, p->groups, (float *)col, (float *)x, c->nb};
        cnn_parallel_for(c->nb, im2col_task, &j);
    }
    const float *w = cnn_layer_weight(c->params, L, CNN_W_KERNEL),
                *b = cnn_layer_weight(c->params, L, CNN_W_BIAS);
    for (int gr = 0; gr < p->groups; gr++) {
        cnn_epilogue ep = {b ? b + gr * fg : NULL, cnn_act_is_plain_relu(&p->act), NULL, 0};
        cnn_gemm(0, 0, rows, fg, kg, col + gr * rows * kg, kg, w + gr * fg, g.oc, pre + gr * fg, g.oc, 0,
                 &ep);
    }
    if (!plain(&p->act)) cnn_act_forward(c->B->out, pre, rows, g.oc, &p->act);
    return c->B->out;
}

static float *conv_backward(const cnn_layer_ctx *c, float *gy, float *gx, const float *x, const float *y,
                            int g_is_dz, int need_dx, const float *dx_mask, int *masked)
{
    const cnn_layer *L = c->L;
    const conv_params *p = CNN_LAYER_PARAMS(L, const conv_params);
    cnn_geom g = geometry(L);
    long rows = c->nb * g.oh * g.ow, kg = group_k(&g, p->groups), fg = g.oc / p->groups;
    int pointwise = is_pointwise(&g, p->groups);
    float *col = pointwise ? (float *)x : columns(c, &g);
    if (!pointwise && !keep_columns(&g)) {   /* rebuilt: the workspace served other layers since */
        cols_job j = {&g, p->groups, col, (float *)x, c->nb};
        cnn_parallel_for(c->nb, im2col_task, &j);
    }
    if (!g_is_dz) {
        if (cnn_act_is_plain_relu(&p->act)) cnn_relu_mask(gy, y, rows * g.oc);
        else if (p->act.kind != CNN_ACT_LINEAR)
            cnn_act_backward(gy, gy, pre_activation(c, &g, pointwise), y, rows, g.oc, &p->act);
    }
    float *dw = cnn_layer_weight(c->grads, L, CNN_W_KERNEL), *db = cnn_layer_weight(c->grads, L, CNN_W_BIAS);
    const float *w = cnn_layer_weight(c->params, L, CNN_W_KERNEL);
    long kb = ksplit_samples(&g, p->groups) * g.oh * g.ow;
    float *part
        = c->B->work + (pointwise || keep_columns(&g) ? 0 : p->groups * rows * kg);   /* past the columns */
    for (int gr = 0; gr < p->groups; gr++)
        cnn_gemm_ksplit(1, 0, kg, fg, rows, col + gr * rows * kg, kg, gy + gr * fg, g.oc, dw + gr * fg, g.oc,
                        1, kb, part);
    if (db) cnn_colsum_accumulate(db, gy, rows, g.oc);
    *masked = 0;
    if (!need_dx) return gx;
    if (pointwise) {
        cnn_epilogue ep = {NULL, 0, dx_mask, g.c};
        cnn_gemm(0, 1, rows, g.c, g.oc, gy, g.oc, w, g.oc, gx, g.c, 0, &ep);
        *masked = dx_mask != NULL;
        return gx;
    }
    for (int gr = 0; gr < p->groups; gr++)   /* the columns are spent: dL/dcolumns overwrite them */
        cnn_gemm(0, 1, rows, kg, fg, gy + gr * fg, g.oc, w + gr * fg, g.oc, col + gr * rows * kg, kg, 0,
                 NULL);
    cols_job j = {&g, p->groups, col, gx, c->nb};
    cnn_parallel_for(c->nb, col2im_task, &j);
    return gx;
}

static int conv_final_act(const cnn_layer *L) { return CNN_LAYER_PARAMS(L, const conv_params)->act.kind; }
static int conv_relu_output(const cnn_layer *L)
{ return cnn_act_is_plain_relu(&CNN_LAYER_PARAMS(L, const conv_params)->act); }
static long conv_kernel_cols(const cnn_layer *L) { return cnn_layer_out_cols(L); }

const cnn_layer_ops cnn_layer_conv = {
    .name = "conv",
    .params = &conv_desc,
    .check = conv_check,
    .sizes = conv_sizes,
    .forward = conv_forward,
    .backward = conv_backward,
    .final_act = conv_final_act,
    .relu_output = conv_relu_output,
    .kernel_cols = conv_kernel_cols,
};

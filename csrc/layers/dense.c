/* dense.c - the fully connected layer: y = activation(x w + b), its kernels on cnn_gemm and its
 * entry in the layer table (a plain ReLU runs in the GEMM epilogue). */
#include <stddef.h>

#include "layer.h"
#include "parallel.h"

#define COLSUM_CHUNK 64   /* rows summed into one float partial */
#define COLSUM_BLOCK 512  /* columns per stack block of partials */
#define COLSUM_GROUP 4    /* chunks summed side by side */
#define COLSUM_PAR_MIN 32768L  /* elements below which the sum stays on one thread */
#define COLSUM_ROUND 4096      /* floats of chunk partials computed at once on the pool */
#define COLSUM_COLS 128        /* columns per task when the columns are split */

/* y[rows, out] = x[rows, in] . w[in, out] (+ b[out]) (then ReLU when asked). */
void cnn_dense_forward(float *y, const float *x, const float *w, const float *b, long rows, long in, long out,
                       int relu)
{
    CNN_ASSERT(rows >= 0 && in >= 0 && out >= 0 && (rows == 0 || out == 0 || (y && (in == 0 || (x && w)))));
    cnn_epilogue ep = {b, relu, NULL, 0};
    cnn_gemm(0, 0, rows, out, in, x, in, w, out, y, out, 0, &ep);
}

/* The 64-row chunks [k0, k1) of m summed over columns [c0, c0 + w): chunk k's partial (rows in
 * order, in float) to part + (k - k0) * ldp. */
static void chunk_sums(float *part, long ldp, const float *m, long rows, long cols, long k0, long k1, long c0,
                       long w)
{
    for (long k = k0; k < k1; k++, part += ldp) {
        long r0 = k * COLSUM_CHUNK, r1 = rows - r0 < COLSUM_CHUNK ? rows : r0 + COLSUM_CHUNK;
        const float *row = m + r0 * cols + c0;
        for (long c = 0; c < w; c++) part[c] = 0.0f;
        for (long r = r0; r < r1; r++, row += cols)
            for (long c = 0; c < w; c++) part[c] += row[c];
    }
}

/* out[c0, c0 + w) += column sums, serially: COLSUM_GROUP chunks are summed side by side (their chains
 * are independent, which hides the adds' latency when the columns are few), then their partials are
 * added in chunk order. */
static void colsum_columns(float *out, const float *m, long rows, long cols, long c0, long w)
{
    float part[COLSUM_GROUP][COLSUM_BLOCK];
    for (long c1 = c0 + w; c0 < c1; c0 += COLSUM_BLOCK) {
        long b = c1 - c0 < COLSUM_BLOCK ? c1 - c0 : COLSUM_BLOCK;
        for (long g0 = 0; g0 < rows; g0 += COLSUM_GROUP * COLSUM_CHUNK) {
            long nq = (rows - g0 + COLSUM_CHUNK - 1) / COLSUM_CHUNK;
            nq = nq < COLSUM_GROUP ? nq : COLSUM_GROUP;
            long last = rows - (g0 + (nq - 1) * COLSUM_CHUNK); /* rows of the group's last chunk */
            if (last > COLSUM_CHUNK) last = COLSUM_CHUNK;
            for (long q = 0; q < nq; q++)
                for (long c = 0; c < b; c++) part[q][c] = 0.0f;
            for (long r = 0; r < COLSUM_CHUNK; r++)
                for (long q = 0; q < nq; q++) {
                    if (q == nq - 1 && r >= last) break;
                    const float *row = m + (g0 + q * COLSUM_CHUNK + r) * cols + c0;
                    for (long c = 0; c < b; c++) part[q][c] += row[c];
                }
            for (long q = 0; q < nq; q++)
                for (long c = 0; c < b; c++) out[c0 + c] += part[q][c];
        }
    }
}

typedef struct {
    float *out, *part;
    const float *m;
    long rows, cols, k0;
} colsum_job;

static void columns_task(void *ctx, long lo, long hi)
{
    const colsum_job *j = ctx;
    colsum_columns(j->out, j->m, j->rows, j->cols, lo, hi - lo);
}

static void chunks_task(void *ctx, long lo, long hi)
{
    const colsum_job *j = ctx;
    chunk_sums(j->part + lo * j->cols, j->cols, j->m, j->rows, j->cols, j->k0 + lo, j->k0 + hi, 0, j->cols);
}

/* out[c] += sum over r of m[r, c]: each 64-row chunk is summed in row order into a float
 * partial, and the partials are added to out[c] in chunk order. Lanes are columns, so the
 * vectorised loop keeps that order for every column. On the pool, large sums split the columns
 * (wide m) or compute a round of chunk partials at once, then add them in chunk order: the same
 * bits as on one thread. */
void cnn_colsum_accumulate(float *out, const float *m, long rows, long cols)
{
    CNN_ASSERT(rows >= 0 && cols >= 0 && (rows == 0 || cols == 0 || (out && m)));
    if (rows <= 0 || cols <= 0) return;
    if (rows * cols < COLSUM_PAR_MIN || cnn_parallel_width() <= 1) {
        colsum_columns(out, m, rows, cols, 0, cols);
        return;
    }
    colsum_job j = {out, NULL, m, rows, cols, 0};
    long per_round = COLSUM_ROUND / cols, chunks = (rows + COLSUM_CHUNK - 1) / COLSUM_CHUNK;
    if (cols >= 2 * COLSUM_COLS || per_round < 2) {   /* wide: whole columns per task */
        cnn_parallel_range(cols, COLSUM_COLS, 16, columns_task, &j);
        return;
    }
    float part[COLSUM_ROUND];
    j.part = part;
    long grain = COLSUM_PAR_MIN / 4 / (COLSUM_CHUNK * cols) + 1;   /* chunks per task */
    for (j.k0 = 0; j.k0 < chunks; j.k0 += per_round) {
        long n = chunks - j.k0 < per_round ? chunks - j.k0 : per_round;
        cnn_parallel_range(n, grain, 1, chunks_task, &j);
        for (long k = 0; k < n; k++)
            for (long c = 0; c < cols; c++) out[c] += part[k * cols + c];
    }
}

/* dw[in, out] += x^T dy;  db[out] += column sums of dy (db may be NULL);
 * dx[rows, in] = dy w^T, zeroed where dx_mask <= 0 when dx_mask is given (dx may be NULL). */
void cnn_dense_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                        const float *dx_mask, long rows, long in, long out)
{
    CNN_ASSERT(rows >= 0 && in >= 0 && out >= 0 && dw && dy && x && w);
    cnn_gemm(1, 0, in, out, rows, x, in, dy, out, dw, out, 1, NULL);
    if (db) cnn_colsum_accumulate(db, dy, rows, out);
    if (dx) {
        cnn_epilogue ep = {NULL, 0, dx_mask, in};
        cnn_gemm(0, 1, rows, in, out, dy, out, w, out, dx, in, 0, &ep);
    }
}

/* ------------------------------------------------------------------ the layer kind */
typedef struct {
    cnn_act act;
} dense_params;
static const cnn_field dense_fields[] = {
    {"act", CNN_FIELD_RECORD, offsetof(dense_params, act), 0, 0, 0, &cnn_act_desc, 0, 0, 0},
};
static const cnn_record_desc dense_desc = {"dense", sizeof(dense_params), 1, dense_fields, NULL};

int cnn_act_is_plain_relu(const cnn_act *a)
{
    return a->kind == CNN_ACT_RELU && a->alpha == 0.0f && a->threshold == 0.0f && a->max_value > 0
           && a->max_value == __builtin_inff();
}

static const char *dense_check(const cnn_layer *L)
{
    long in = cnn_layer_in_cols(L), out = cnn_layer_out_cols(L);
    if (cnn_layer_in_size(L) / in != cnn_layer_out_size(L) / out) return "out_shape";
    if (L->w[CNN_W_KERNEL].off < 0) return "w_off";
    if (L->w[CNN_W_KERNEL].len != in * out) return "w_len";
    if (L->w[CNN_W_BIAS].off >= 0 && L->w[CNN_W_BIAS].len != out) return "b_len";
    if (L->w[CNN_W_STATE0].off >= 0) return "mm_off";
    if (L->w[CNN_W_STATE1].off >= 0) return "mv_off";
    return NULL;
}

static void dense_sizes(const cnn_layer *L, cnn_layer_sizes *s)
{
    const cnn_act *a = &CNN_LAYER_PARAMS(L, const dense_params)->act;
    s->out = cnn_layer_out_size(L);
    if (a->kind != CNN_ACT_LINEAR && !cnn_act_is_plain_relu(a)) s->scratch = s->out;  /* pre-activation */
}

static const float *dense_layer_forward(const cnn_layer_ctx *c, const float *x, int training, long iteration)
{
    const cnn_layer *L = c->L;
    const cnn_act *a = &CNN_LAYER_PARAMS(L, const dense_params)->act;
    long rows = cnn_layer_rows(L, c->nb), in = cnn_layer_in_cols(L), out = cnn_layer_out_cols(L);
    const float *w = cnn_layer_weight(c->params, L, CNN_W_KERNEL),
                *b = cnn_layer_weight(c->params, L, CNN_W_BIAS);
    int relu = cnn_act_is_plain_relu(a);
    if (relu || a->kind == CNN_ACT_LINEAR) {
        cnn_dense_forward(c->B->out, x, w, b, rows, in, out, relu);
    } else {
        cnn_dense_forward(c->B->scratch, x, w, b, rows, in, out, 0);
        cnn_act_forward(c->B->out, c->B->scratch, rows, out, a);
    }
    return c->B->out;
}

static float *dense_layer_backward(const cnn_layer_ctx *c, float *g, float *gx, const float *x,
                                   const float *y, int g_is_dz, int need_dx, const float *dx_mask,
                                   int *masked)
{
    const cnn_layer *L = c->L;
    const cnn_act *a = &CNN_LAYER_PARAMS(L, const dense_params)->act;
    long rows = cnn_layer_rows(L, c->nb), in = cnn_layer_in_cols(L), out = cnn_layer_out_cols(L);
    if (!g_is_dz) {
        if (cnn_act_is_plain_relu(a)) cnn_relu_mask(g, y, rows * out);
        else if (a->kind != CNN_ACT_LINEAR) cnn_act_backward(g, g, c->B->scratch, y, rows, out, a);
    }
    cnn_dense_backward(need_dx ? gx : NULL, cnn_layer_weight(c->grads, L, CNN_W_KERNEL),
                       cnn_layer_weight(c->grads, L, CNN_W_BIAS), g, x,
                       cnn_layer_weight(c->params, L, CNN_W_KERNEL), need_dx ? dx_mask : NULL, rows, in, out);
    *masked = need_dx && dx_mask != NULL;
    return gx;
}

static int dense_final_act(const cnn_layer *L) { return CNN_LAYER_PARAMS(L, const dense_params)->act.kind; }
static int dense_relu_output(const cnn_layer *L)
{ return cnn_act_is_plain_relu(&CNN_LAYER_PARAMS(L, const dense_params)->act); }
static long dense_kernel_cols(const cnn_layer *L) { return cnn_layer_out_cols(L); }

const cnn_layer_ops cnn_layer_dense = {
    .name = "dense",
    .params = &dense_desc,
    .check = dense_check,
    .sizes = dense_sizes,
    .forward = dense_layer_forward,
    .backward = dense_layer_backward,
    .final_act = dense_final_act,
    .relu_output = dense_relu_output,
    .kernel_cols = dense_kernel_cols,
};

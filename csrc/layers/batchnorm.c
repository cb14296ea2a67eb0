/* batchnorm.c - batch normalization over the last axis of x[rows, cols].
 *
 * Statistics per column in double, rows summed in ascending order (one fixed chain per column,
 * so the bits never depend on threads). Columns are processed in blocks of BN_BLOCK so the
 * double accumulators live on the stack and each pass over x reads whole row segments.
 * Large inputs split the column blocks over the thread pool: blocks write disjoint columns.
 */
#include <math.h>
#include <stddef.h>

#include "layer.h"

#define BN_BLOCK 64
#define BN_PARALLEL_MIN 65536L   /* elements below which threads cost more than they save */

typedef struct {
    float *y, *mean, *inv_std, *moving_mean, *moving_var, *dx, *dgamma, *dbeta;
    const float *x, *gamma, *beta, *dy, *mmean, *mvar, *cmean, *cinv;
    long rows, cols;
    float momentum, epsilon;
} bn_ctx;

static void run_blocks(long rows, long cols, cnn_task_fn fn, bn_ctx *c)
{
    long nblocks = (cols + BN_BLOCK - 1) / BN_BLOCK;
    if (rows * cols >= BN_PARALLEL_MIN && nblocks > 1) cnn_parallel_for(nblocks, fn, c);
    else
        for (long t = 0; t < nblocks; t++) fn(c, t);
}

/* y[r, c] = xhat * gamma + beta with xhat = (x - mean) * inv_std; the forward chain, shared by
 * training and inference (backward recomputes xhat with the same two operations). */
static void normalize_block(const bn_ctx *c, const float *mu, const float *inv, long c0, long nb)
{
    for (long r = 0; r < c->rows; r++) {
        const float *xr = c->x + r * c->cols + c0;
        float *yr = c->y + r * c->cols + c0;
        for (long j = 0; j < nb; j++) {
            float v = (xr[j] - mu[j]) * inv[j];
            if (c->gamma) v = v * c->gamma[c0 + j];
            if (c->beta) v = v + c->beta[c0 + j];
            yr[j] = v;
        }
    }
}

static void train_block(void *ctx, long t)
{
    const bn_ctx *c = ctx;
    long c0 = t * BN_BLOCK, nb = c->cols - c0 < BN_BLOCK ? c->cols - c0 : BN_BLOCK;
    double sum[BN_BLOCK], mean_d[BN_BLOCK];
    float mu[BN_BLOCK], inv[BN_BLOCK];
    for (long j = 0; j < nb; j++) sum[j] = 0.0;
    for (long r = 0; r < c->rows; r++) {
        const float *xr = c->x + r * c->cols + c0;
        for (long j = 0; j < nb; j++) sum[j] += (double)xr[j];
    }
    for (long j = 0; j < nb; j++) {
        mean_d[j] = sum[j] / (double)c->rows;
        sum[j] = 0.0;
    }
    /* Two-pass biased variance: sum of squared deviations from the double mean. */
    for (long r = 0; r < c->rows; r++) {
        const float *xr = c->x + r * c->cols + c0;
        for (long j = 0; j < nb; j++) {
            double d = (double)xr[j] - mean_d[j];
            sum[j] += d * d;
        }
    }
    for (long j = 0; j < nb; j++) {
        double var = sum[j] / (double)c->rows;
        mu[j] = (float)mean_d[j];
        inv[j] = (float)(1.0 / sqrt(var + (double)c->epsilon));
        c->mean[c0 + j] = mu[j];
        c->inv_std[c0 + j] = inv[j];
        /* Keras: moving = moving * momentum + stat * (1 - momentum), in float32. */
        float keep = c->momentum, take = 1.0f - c->momentum;
        if (c->moving_mean) c->moving_mean[c0 + j] = c->moving_mean[c0 + j] * keep + mu[j] * take;
        if (c->moving_var) c->moving_var[c0 + j] = c->moving_var[c0 + j] * keep + (float)var * take;
    }
    normalize_block(c, mu, inv, c0, nb);
}

void cnn_batchnorm_forward_train(float *y, float *mean, float *inv_std, float *moving_mean, float *moving_var,
                                 const float *x, const float *gamma, const float *beta, long rows, long cols,
                                 float momentum, float epsilon)
{
    if (rows <= 0 || cols <= 0) return;
    bn_ctx c = {0};
    c.y = y;
    c.mean = mean;
    c.inv_std = inv_std;
    c.moving_mean = moving_mean;
    c.moving_var = moving_var;
    c.x = x;
    c.gamma = gamma;
    c.beta = beta;
    c.rows = rows;
    c.cols = cols;
    c.momentum = momentum;
    c.epsilon = epsilon;
    run_blocks(rows, cols, train_block, &c);
}

static void infer_block(void *ctx, long t)
{
    const bn_ctx *c = ctx;
    long c0 = t * BN_BLOCK, nb = c->cols - c0 < BN_BLOCK ? c->cols - c0 : BN_BLOCK;
    float inv[BN_BLOCK];
    for (long j = 0; j < nb; j++) inv[j] = (float)(1.0 / sqrt((double)c->mvar[c0 + j] + (double)c->epsilon));
    normalize_block(c, c->mmean + c0, inv, c0, nb);
}

void cnn_batchnorm_forward_infer(float *y, const float *x, const float *gamma, const float *beta,
                                 const float *moving_mean, const float *moving_var, long rows, long cols,
                                 float epsilon)
{
    if (rows <= 0 || cols <= 0) return;
    bn_ctx c = {0};
    c.y = y;
    c.x = x;
    c.gamma = gamma;
    c.beta = beta;
    c.mmean = moving_mean;
    c.mvar = moving_var;
    c.rows = rows;
    c.cols = cols;
    c.epsilon = epsilon;
    run_blocks(rows, cols, infer_block, &c);
}

/* dx = inv_std / rows * (rows * g * dy - g * sum(dy) - xhat * g * sum(dy * xhat)), which is the
 * batch-statistics gradient with sum(dy * gamma) = gamma * sum(dy) factored out. */
static void backward_block(void *ctx, long t)
{
    const bn_ctx *c = ctx;
    long c0 = t * BN_BLOCK, nb = c->cols - c0 < BN_BLOCK ? c->cols - c0 : BN_BLOCK;
    double s_dy[BN_BLOCK], s_dyx[BN_BLOCK], k[BN_BLOCK];
    const float *mu = c->cmean + c0, *inv = c->cinv + c0;
    for (long j = 0; j < nb; j++) {
        s_dy[j] = 0.0;
        s_dyx[j] = 0.0;
    }
    for (long r = 0; r < c->rows; r++) {
        const float *xr = c->x + r * c->cols + c0, *dyr = c->dy + r * c->cols + c0;
        for (long j = 0; j < nb; j++) {
            float xhat = (xr[j] - mu[j]) * inv[j];
            s_dy[j] += (double)dyr[j];
            s_dyx[j] += (double)dyr[j] * (double)xhat;
        }
    }
    for (long j = 0; j < nb; j++) {
        if (c->dgamma) c->dgamma[c0 + j] += (float)s_dyx[j];
        if (c->dbeta) c->dbeta[c0 + j] += (float)s_dy[j];
        double g = c->gamma ? (double)c->gamma[c0 + j] : 1.0;
        k[j] = (double)inv[j] * g / (double)c->rows;
    }
    if (!c->dx) return;
    double n = (double)c->rows;
    for (long r = 0; r < c->rows; r++) {
        const float *xr = c->x + r * c->cols + c0, *dyr = c->dy + r * c->cols + c0;
        float *dxr = c->dx + r * c->cols + c0;
        for (long j = 0; j < nb; j++) {
            float xhat = (xr[j] - mu[j]) * inv[j];
            dxr[j] = (float)(k[j] * (n * (double)dyr[j] - s_dy[j] - (double)xhat * s_dyx[j]));
        }
    }
}

void cnn_batchnorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                            const float *mean, const float *inv_std, const float *gamma, long rows, long cols)
{
    if (rows <= 0 || cols <= 0) return;
    bn_ctx c = {0};
    c.dx = dx;
    c.dgamma = dgamma;
    c.dbeta = dbeta;
    c.dy = dy;
    c.x = x;
    c.cmean = mean;
    c.cinv = inv_std;
    c.gamma = gamma;
    c.rows = rows;
    c.cols = cols;
    run_blocks(rows, cols, backward_block, &c);
}

/* ------------------------------------------------------------------ the layer kind */
typedef struct {
    float momentum, epsilon;
} batchnorm_params;
#define ANY -__builtin_inf(), __builtin_inf()   /* the Python layer checks these; the core takes any */
static const cnn_field batchnorm_fields[] = {
    {"momentum", CNN_FIELD_F32, offsetof(batchnorm_params, momentum), 0.99, ANY, NULL, 0, 0, 0},
    {"epsilon", CNN_FIELD_F32, offsetof(batchnorm_params, epsilon), 1e-3, ANY, NULL, 0, 0, 0},
};
static const cnn_record_desc batchnorm_desc
    = {"batchnorm", sizeof(batchnorm_params), 2, batchnorm_fields, NULL};

/* gamma and beta are optional, the moving statistics are not; each spans the channels */
static const char *batchnorm_check(const cnn_layer *L)
{
    static const char *const off[CNN_MAX_WEIGHTS] = {"w_off", "b_off", "mm_off", "mv_off"};
    static const char *const len[CNN_MAX_WEIGHTS] = {"w_len", "b_len", "mm_len", "mv_len"};
    const char *bad = cnn_layer_check_same(L);
    if (bad) return bad;
    for (int s = 0; s < CNN_MAX_WEIGHTS; s++) {
        if (L->w[s].off < 0 && s >= CNN_W_STATE0) return off[s];
        if (L->w[s].off >= 0 && L->w[s].len != cnn_layer_in_cols(L)) return len[s];
    }
    return NULL;
}

static void batchnorm_sizes(const cnn_layer *L, cnn_layer_sizes *s)
{
    s->out = cnn_layer_in_size(L);
    s->cache = 2 * cnn_layer_in_cols(L);   /* batch mean, inverse std */
}

static const float *batchnorm_layer_forward(const cnn_layer_ctx *c, const float *x, int training,
                                            long iteration)
{
    const cnn_layer *L = c->L;
    const batchnorm_params *P = CNN_LAYER_PARAMS(L, const batchnorm_params);
    long rows = cnn_layer_rows(L, c->nb), cols = cnn_layer_in_cols(L);
    const float *gamma = cnn_layer_weight(c->params, L, CNN_W_KERNEL);
    const float *beta = cnn_layer_weight(c->params, L, CNN_W_BIAS);
    float *mm = cnn_layer_weight(c->params, L, CNN_W_STATE0),
          *mv = cnn_layer_weight(c->params, L, CNN_W_STATE1);
    if (training && L->trainable)
        cnn_batchnorm_forward_train(c->B->out, c->B->cache, c->B->cache + cols, mm, mv, x, gamma, beta, rows,
                                    cols, P->momentum, P->epsilon);
    else cnn_batchnorm_forward_infer(c->B->out, x, gamma, beta, mm, mv, rows, cols, P->epsilon);
    return c->B->out;
}

static float *batchnorm_layer_backward(const cnn_layer_ctx *c, float *g, float *gx, const float *x,
                                       const float *y, int g_is_dz, int need_dx, const float *dx_mask,
                                       int *masked)
{
    const cnn_layer *L = c->L;
    const batchnorm_params *P = CNN_LAYER_PARAMS(L, const batchnorm_params);
    long rows = cnn_layer_rows(L, c->nb), cols = cnn_layer_in_cols(L);
    const float *gamma = cnn_layer_weight(c->params, L, CNN_W_KERNEL);
    if (L->trainable && cnn_layer_training(L, 1)) {
        cnn_batchnorm_backward(gx, cnn_layer_weight(c->grads, L, CNN_W_KERNEL),
                               cnn_layer_weight(c->grads, L, CNN_W_BIAS), g, x, c->B->cache,
                               c->B->cache + cols, gamma, rows, cols);
        return gx;
    }
    /* inference normalisation (frozen, or called with training=False): a per-column scale; a trainable
     * layer's gamma and beta still learn, as Keras's (x - mm) * (rsqrt(mv + eps) * gamma) + beta */
    const float *mm = cnn_layer_weight(c->params, L, CNN_W_STATE0);
    const float *mv = cnn_layer_weight(c->params, L, CNN_W_STATE1);
    float *dgamma = L->trainable ? cnn_layer_weight(c->grads, L, CNN_W_KERNEL) : NULL;
    float *dbeta = L->trainable ? cnn_layer_weight(c->grads, L, CNN_W_BIAS) : NULL;
    for (long k = 0; (dgamma || dbeta) && k < cols; k++) {
        double s_dy = 0.0, s_dyx = 0.0;
        for (long r = 0; r < rows; r++) {
            s_dy += (double)g[r * cols + k];
            s_dyx += (double)g[r * cols + k] * (double)(x[r * cols + k] - mm[k]);
        }
        if (dgamma) dgamma[k] += (float)(s_dyx / sqrt((double)mv[k] + (double)P->epsilon));
        if (dbeta) dbeta[k] += (float)s_dy;
    }
    for (long r = 0; r < rows; r++)
        for (long k = 0; k < cols; k++) {
            float s = (gamma ? gamma[k] : 1.0f) / cnn_sqrtf(mv[k] + P->epsilon);
            gx[r * cols + k] = g[r * cols + k] * s;
        }
    return gx;
}

const cnn_layer_ops cnn_layer_batchnorm = {
    .name = "batchnorm",
    .params = &batchnorm_desc,
    .check = batchnorm_check,
    .sizes = batchnorm_sizes,
    .forward = batchnorm_layer_forward,
    .backward = batchnorm_layer_backward,
};

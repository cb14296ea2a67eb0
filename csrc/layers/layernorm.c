/* layernorm.c - layer normalization over the last axis (keras.layers.LayerNormalization, axis=-1):
 * per row, mean and biased variance in double (columns summed in order, two passes), then
 * y = (x - mean) / sqrt(var + epsilon) * gamma + beta. Backward is the exact row Jacobian, also in
 * double per row; dgamma / dbeta sum over rows in row order in double. One fixed chain of operations
 * per output element: the bits never depend on threads or instruction sets. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "layer.h"

/* Forward of rows [rows, cols]: caches mean[r] and inv_std[r] (double) for backward. */
static void layernorm_forward(float *y, double *mean, double *inv_std, const float *x, const float *gamma,
                              const float *beta, long rows, long cols, float epsilon)
{
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        float *yr = y + r * cols;
        double s = 0.0, v = 0.0;
        for (long c = 0; c < cols; c++) s += xr[c];
        double mu = s / (double)cols;
        for (long c = 0; c < cols; c++) {
            double d = xr[c] - mu;
            v += d * d;
        }
        double inv = 1.0 / sqrt(v / (double)cols + (double)epsilon);
        mean[r] = mu;
        inv_std[r] = inv;
        for (long c = 0; c < cols; c++) {
            float xhat = (float)((xr[c] - mu) * inv);
            float out = gamma ? xhat * gamma[c] : xhat;
            yr[c] = beta ? out + beta[c] : out;
        }
    }
}

/* dx (NULL to skip) from dy; dgamma_acc / dbeta_acc (double [cols], NULL to skip) += row sums. */
static void layernorm_backward(float *dx, double *dgamma_acc, double *dbeta_acc, const float *dy,
                               const float *x, const double *mean, const double *inv_std, const float *gamma,
                               long rows, long cols)
{
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * cols, *dyr = dy + r * cols;
        double mu = mean[r], inv = inv_std[r], sg = 0.0, sgx = 0.0;
        for (long c = 0; c < cols; c++) {
            double xhat = (xr[c] - mu) * inv, g = gamma ? (double)dyr[c] * gamma[c] : (double)dyr[c];
            sg += g;
            sgx += g * xhat;
            if (dgamma_acc) dgamma_acc[c] += (double)dyr[c] * xhat;
            if (dbeta_acc) dbeta_acc[c] += dyr[c];
        }
        if (!dx) continue;
        double mg = sg / (double)cols, mgx = sgx / (double)cols;
        for (long c = 0; c < cols; c++) {
            double xhat = (xr[c] - mu) * inv, g = gamma ? (double)dyr[c] * gamma[c] : (double)dyr[c];
            dx[r * cols + c] = (float)(inv * (g - mg - xhat * mgx));
        }
    }
}

/* ------------------------------------------------------------------ the layer kind */
typedef struct {
    float epsilon;
} layernorm_params;
static const cnn_field layernorm_fields[] = {
    {"epsilon", CNN_FIELD_F32, offsetof(layernorm_params, epsilon), 1e-3, 0, __builtin_inf(), NULL, 0, 0, 0},
};
static const cnn_record_desc layernorm_desc
    = {"layernorm", sizeof(layernorm_params), 1, layernorm_fields, NULL};

static const char *layernorm_check(const cnn_layer *L)
{
    long cols = cnn_layer_in_cols(L);
    const char *bad = cnn_layer_check_same(L);
    if (bad) return bad;
    if (L->w[CNN_W_KERNEL].off >= 0 && L->w[CNN_W_KERNEL].len != cols) return "w_len";
    if (L->w[CNN_W_BIAS].off >= 0 && L->w[CNN_W_BIAS].len != cols) return "b_len";
    if (L->w[CNN_W_STATE0].off >= 0) return "mm_off";
    if (L->w[CNN_W_STATE1].off >= 0) return "mv_off";
    return NULL;
}

/* cache: dgamma and dbeta accumulators (2 * cols doubles), then mean and inv_std per row (doubles) */
static void layernorm_sizes(const cnn_layer *L, cnn_layer_sizes *s)
{
    s->out = cnn_layer_in_size(L);
    s->cache = 4 * cnn_layer_in_cols(L);
    s->cache_per_row = 4;
}

static double *row_stats(const cnn_layer_ctx *c)
{ return (double *)(void *)c->B->cache + 2 * cnn_layer_in_cols(c->L); }

static const float *layernorm_layer_forward(const cnn_layer_ctx *c, const float *x, int training,
                                            long iteration)
{
    const cnn_layer *L = c->L;
    long rows = cnn_layer_rows(L, c->nb), cols = cnn_layer_in_cols(L);
    double *stats = row_stats(c);
    layernorm_forward(c->B->out, stats, stats + rows, x, cnn_layer_weight(c->params, L, CNN_W_KERNEL),
                      cnn_layer_weight(c->params, L, CNN_W_BIAS), rows, cols,
                      CNN_LAYER_PARAMS(L, const layernorm_params)->epsilon);
    return c->B->out;
}

static float *layernorm_layer_backward(const cnn_layer_ctx *c, float *g, float *gx, const float *x,
                                       const float *y, int g_is_dz, int need_dx, const float *dx_mask,
                                       int *masked)
{
    const cnn_layer *L = c->L;
    long rows = cnn_layer_rows(L, c->nb), cols = cnn_layer_in_cols(L);
    float *dgamma = cnn_layer_weight(c->grads, L, CNN_W_KERNEL),
          *dbeta = cnn_layer_weight(c->grads, L, CNN_W_BIAS);
    double *acc = (double *)(void *)c->B->cache, *stats = row_stats(c);
    memset(acc, 0, sizeof(double) * 2 * (size_t)cols);
    layernorm_backward(need_dx ? gx : NULL, dgamma ? acc : NULL, dbeta ? acc + cols : NULL, g, x, stats,
                       stats + rows, cnn_layer_weight(c->params, L, CNN_W_KERNEL), rows, cols);
    for (long k = 0; k < cols; k++) {
        if (dgamma) dgamma[k] += (float)acc[k];
        if (dbeta) dbeta[k] += (float)acc[cols + k];
    }
    return gx;
}

const cnn_layer_ops cnn_layer_layernorm = {
    .name = "layernorm",
    .params = &layernorm_desc,
    .check = layernorm_check,
    .sizes = layernorm_sizes,
    .forward = layernorm_layer_forward,
    .backward = layernorm_layer_backward,
};

/* plan.c - builds a plan: copies the model description and allocates every buffer once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"

int cnn_act_is_plain_relu(const cnn_act *a)
{
    return a->kind == CNN_ACT_RELU && a->alpha == 0.0f && a->threshold == 0.0f && isinf(a->max_value)
           && a->max_value > 0;
}

static void *zalloc(size_t n, size_t size, int *failed)
{
    if (n == 0) n = 1;
    void *p = calloc(n, size);
    if (!p) *failed = 1;
    return p;
}

/* Checks that the layers chain and their weights fit in the parameter buffer. */
static int layers_valid(const cnn_layer *layers, int nlayers, long n_params)
{
    for (int l = 0; l < nlayers; l++) {
        const cnn_layer *L = &layers[l];
        if (L->kind < 0 || L->kind >= CNN_LAYER_COUNT) return 0;
        if (L->in_size <= 0 || L->out_size <= 0 || L->in_cols <= 0 || L->out_cols <= 0) return 0;
        if (L->in_size % L->in_cols || L->out_size % L->out_cols) return 0;
        if (l > 0 && layers[l - 1].out_size != L->in_size) return 0;
        if (L->kind == CNN_LAYER_DENSE) {
            if (L->in_size / L->in_cols != L->out_size / L->out_cols) return 0;
            if (L->w_off < 0 || L->w_off + L->in_cols * L->out_cols > n_params) return 0;
            if (L->b_off >= 0 && L->b_off + L->out_cols > n_params) return 0;
        } else if (L->kind == CNN_LAYER_BATCHNORM) {
            long c = L->in_cols;
            if (L->in_size != L->out_size || L->in_cols != L->out_cols) return 0;
            if (L->mm_off < 0 || L->mm_off + c > n_params || L->mv_off < 0 || L->mv_off + c > n_params)
                return 0;
            if ((L->w_off >= 0 && L->w_off + c > n_params) || (L->b_off >= 0 && L->b_off + c > n_params))
                return 0;
        } else if (L->kind != CNN_LAYER_RESHAPE) {
            if (L->in_size != L->out_size || L->in_cols != L->out_cols) return 0;
        }
        if ((L->kind == CNN_LAYER_DENSE || L->kind == CNN_LAYER_ACTIVATION)
            && (L->act.kind < 0 || L->act.kind >= CNN_ACT_COUNT))
            return 0;
    }
    return 1;
}

/* Which activation, if any, the loss backward can take over from the last layer. */
static int fusable_activation(const cnn_layer *last, const cnn_loss *loss)
{
    if (loss->from_logits) return CNN_ACT_LINEAR;
    if (last->kind != CNN_LAYER_DENSE && last->kind != CNN_LAYER_ACTIVATION) return CNN_ACT_LINEAR;
    int k = last->act.kind;
    if (k == CNN_ACT_SIGMOID && loss->kind == CNN_LOSS_BCE) return k;
    if (k == CNN_ACT_SOFTMAX && (loss->kind == CNN_LOSS_CCE || loss->kind == CNN_LOSS_SCCE)) return k;
    return CNN_ACT_LINEAR;
}

cnn_plan *cnn_plan_create(const cnn_layer *layers, int nlayers, const cnn_loss *loss,
                          const cnn_metric *metrics, int nmetrics, const cnn_opt *opt,
                          float *params, long n_params, long n_trainable, float *slots,
                          long batch_max, int *status)
{
    *status = CNN_ERR_ARG;
    if (nlayers <= 0 || nmetrics < 0 || nmetrics > CNN_MAX_METRICS || batch_max <= 0 || n_params < 0
        || n_trainable < 0 || n_trainable > n_params || (n_params > 0 && !params)
        || !layers_valid(layers, nlayers, n_params) || !loss || loss->kind < 0
        || loss->kind >= CNN_LOSS_COUNT || !opt || opt->kind < 0 || opt->kind >= CNN_OPT_COUNT)
        return NULL;
    int failed = 0;
    cnn_plan *p = zalloc(1, sizeof *p, &failed);
    if (!p) { *status = CNN_ERR_NOMEM; return NULL; }
    p->nlayers = nlayers;
    p->loss = *loss;
    p->nmetrics = nmetrics;
    if (nmetrics) memcpy(p->metrics, metrics, sizeof(cnn_metric) * nmetrics);
    p->opt = *opt;
    p->params = params;
    p->slots = slots;
    p->n_params = n_params;
    p->n_trainable = n_trainable;
    p->batch_max = batch_max;
    p->in_size = layers[0].in_size;
    p->out_size = layers[nlayers - 1].out_size;
    p->out_cols = layers[nlayers - 1].out_cols;
    p->y_size = loss->kind == CNN_LOSS_SCCE ? p->out_size / p->out_cols : p->out_size;
    p->fused_act = fusable_activation(&layers[nlayers - 1], loss);

    p->layers = zalloc(nlayers, sizeof(cnn_layer), &failed);
    p->out = zalloc(nlayers, sizeof(float *), &failed);
    p->buf = zalloc(nlayers, sizeof(float *), &failed);
    p->pre = zalloc(nlayers, sizeof(float *), &failed);
    p->keep = zalloc(nlayers, sizeof(uint8_t *), &failed);
    p->noise = zalloc(nlayers, sizeof(float *), &failed);
    p->bn_mean = zalloc(nlayers, sizeof(float *), &failed);
    p->bn_inv_std = zalloc(nlayers, sizeof(float *), &failed);
    p->relu_fused = zalloc(nlayers, sizeof(int), &failed);
    if (failed) { cnn_plan_free(p); *status = CNN_ERR_NOMEM; return NULL; }
    memcpy(p->layers, layers, sizeof(cnn_layer) * nlayers);
    for (int l = 0; l < nlayers; l++) p->layers[l].noise_map = NULL;  /* owned copies, made below */
    for (int l = 0; l < nlayers && !failed; l++) {
        const cnn_layer *L = &layers[l];
        if (L->kind != CNN_LAYER_DROPOUT || !L->noise_map) continue;
        for (long e = 0; e < L->in_size; e++)
            if (L->noise_map[e] < 0 || L->noise_map[e] >= L->noise_size) {
                cnn_plan_free(p);
                return NULL;
            }
        p->layers[l].noise_map = zalloc(L->in_size, sizeof(int64_t), &failed);
        if (!failed) memcpy(p->layers[l].noise_map, L->noise_map, sizeof(int64_t) * L->in_size);
    }

    long widest = p->in_size;
    for (int l = 0; l < nlayers && !failed; l++) {
        const cnn_layer *L = &layers[l];
        long n = batch_max * L->out_size;
        if (L->out_size > widest) widest = L->out_size;
        switch (L->kind) {
        case CNN_LAYER_DENSE:
            p->relu_fused[l] = cnn_act_is_plain_relu(&L->act);
            p->buf[l] = zalloc(n, sizeof(float), &failed);
            if (L->act.kind != CNN_ACT_LINEAR && !p->relu_fused[l])
                p->pre[l] = zalloc(n, sizeof(float), &failed);
            break;
        case CNN_LAYER_ACTIVATION:
            p->buf[l] = zalloc(n, sizeof(float), &failed);
            break;
        case CNN_LAYER_DROPOUT:
            p->buf[l] = zalloc(n, sizeof(float), &failed);
            p->keep[l] = zalloc(n, sizeof(uint8_t), &failed);
            break;
        case CNN_LAYER_NOISE:
            p->buf[l] = zalloc(n, sizeof(float), &failed);
            p->noise[l] = zalloc(n, sizeof(float), &failed);
            break;
        case CNN_LAYER_BATCHNORM:
            p->buf[l] = zalloc(n, sizeof(float), &failed);
            p->bn_mean[l] = zalloc(L->in_cols, sizeof(float), &failed);
            p->bn_inv_std[l] = zalloc(L->in_cols, sizeof(float), &failed);
            break;
        default: /* RESHAPE aliases its input */
            break;
        }
    }
    long rows_max = batch_max * (p->out_size / p->out_cols);
    p->grads = zalloc(n_params, sizeof(float), &failed);
    p->grad_a = zalloc(batch_max * widest, sizeof(float), &failed);
    p->grad_b = zalloc(batch_max * widest, sizeof(float), &failed);
    p->xbatch = zalloc(batch_max * p->in_size, sizeof(float), &failed);
    p->ybatch = zalloc(batch_max * p->y_size, sizeof(float), &failed);
    p->wbatch = zalloc(batch_max, sizeof(float), &failed);
    p->wrows = zalloc(rows_max, sizeof(float), &failed);
    p->per_row = zalloc(rows_max, sizeof(double), &failed);
    if (failed) { cnn_plan_free(p); *status = CNN_ERR_NOMEM; return NULL; }
    *status = CNN_OK;
    return p;
}

void cnn_plan_free(cnn_plan *p)
{
    if (!p) return;
    for (int l = 0; l < p->nlayers; l++) {
        if (p->layers) free(p->layers[l].noise_map);
        if (p->buf) free(p->buf[l]);
        if (p->pre) free(p->pre[l]);
        if (p->keep) free(p->keep[l]);
        if (p->noise) free(p->noise[l]);
        if (p->bn_mean) free(p->bn_mean[l]);
        if (p->bn_inv_std) free(p->bn_inv_std[l]);
    }
    free(p->layers); free(p->out); free(p->buf); free(p->pre); free(p->keep); free(p->noise);
    free(p->bn_mean); free(p->bn_inv_std); free(p->relu_fused);
    free(p->grads); free(p->grad_a); free(p->grad_b);
    free(p->xbatch); free(p->ybatch); free(p->wbatch); free(p->wrows); free(p->per_row);
    free(p);
}

long cnn_plan_batch_max(const cnn_plan *p) { return p->batch_max; }

void cnn_plan_set_clipping(cnn_plan *p, float clipnorm, float clipvalue, float global_clipnorm)
{
    p->clipnorm = clipnorm;
    p->clipvalue = clipvalue;
    p->global_clipnorm = global_clipnorm;
}

void cnn_plan_set_ema(cnn_plan *p, float *ema, float momentum, long overwrite_frequency)
{
    p->ema = ema;
    p->ema_momentum = momentum;
    p->ema_overwrite_frequency = overwrite_frequency;
}

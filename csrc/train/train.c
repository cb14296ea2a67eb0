/* train.c - runs a plan: the one-call training step, evaluation and prediction. */
#include <math.h>
#include <string.h>

#include "plan_internal.h"

static long rows_of(long n, long size, long cols) { return n * (size / cols); }

/* AlphaDropout (Keras): dropped units take SELU's negative saturation alpha_p, then an affine map
 * a * v + b keeps the mean and variance. The keep mask comes from the ordinary dropout stream. */
static void alpha_dropout_coefficients(float rate, float *a, float *b, float *alpha_p)
{
    const double alpha = 1.6732632423543772848170429916717, scale = 1.0507009873554804934193349852946;
    double ap = -alpha * scale;
    double aa = 1.0 / sqrt((1.0 - rate) * (1.0 + rate * ap * ap));
    *a = (float)aa;
    *b = (float)(-aa * ap * rate);
    *alpha_p = (float)ap;
}

static void alpha_dropout_forward(float *y, const uint8_t *keep, const float *x, long n, float rate)
{
    float a, b, ap;
    alpha_dropout_coefficients(rate, &a, &b, &ap);
    for (long i = 0; i < n; i++) y[i] = a * (keep[i] ? x[i] : ap) + b;
}

static void alpha_dropout_backward(float *g, const uint8_t *keep, long n, float rate)
{
    float a, b, ap;
    alpha_dropout_coefficients(rate, &a, &b, &ap);
    for (long i = 0; i < n; i++) g[i] = keep[i] ? a * g[i] : 0.0f;
}

/* Forward through every layer for nb samples of x; training selects dropout and batch statistics. */
static void forward(cnn_plan *p, const float *x, long nb, int training, long iteration)
{
    const float *in = x;
    for (int l = 0; l < p->nlayers; l++) {
        const cnn_layer *L = &p->layers[l];
        const float *w = L->w_off >= 0 ? p->params + L->w_off : NULL;
        const float *b = L->b_off >= 0 ? p->params + L->b_off : NULL;
        long rows = rows_of(nb, L->in_size, L->in_cols);
        float *out = p->buf[l];
        switch (L->kind) {
        case CNN_LAYER_DENSE:
            if (p->relu_fused[l] || L->act.kind == CNN_ACT_LINEAR) {
                cnn_dense_forward(out, in, w, b, rows, L->in_cols, L->out_cols, p->relu_fused[l]);
            } else {
                cnn_dense_forward(p->pre[l], in, w, b, rows, L->in_cols, L->out_cols, 0);
                cnn_act_forward(out, p->pre[l], rows, L->out_cols, &L->act);
            }
            break;
        case CNN_LAYER_ACTIVATION:
            cnn_act_forward(out, in, rows, L->in_cols, &L->act);
            break;
        case CNN_LAYER_DROPOUT:
            if (training && L->rate > 0.0f) {
                uint64_t key = cnn_rng_key(L->seed, CNN_RNG_DROPOUT, (uint64_t)l, (uint64_t)iteration);
                if (L->noise_map)
                    cnn_dropout_forward_shared(out, p->keep[l], in, nb, L->in_size, L->noise_map,
                                               L->noise_size, L->noise_batch_shared, L->rate, key);
                else
                    cnn_dropout_forward(out, p->keep[l], in, nb * L->in_size, L->rate, key);
                if (L->alpha_dropout) alpha_dropout_forward(out, p->keep[l], in, nb * L->in_size, L->rate);
            } else {
                out = (float *)in;
            }
            break;
        case CNN_LAYER_NOISE:
            if (training && L->stddev > 0.0f) {
                long n = nb * L->in_size;
                uint64_t key = cnn_rng_key(L->seed, CNN_RNG_NOISE, (uint64_t)l, (uint64_t)iteration);
                cnn_rng_normal(p->noise[l], n, key, L->multiplicative ? 1.0f : 0.0f, L->stddev, 0);
                for (long i = 0; i < n; i++)
                    out[i] = L->multiplicative ? in[i] * p->noise[l][i] : in[i] + p->noise[l][i];
            } else {
                out = (float *)in;
            }
            break;
        case CNN_LAYER_BATCHNORM:
            if (training && L->trainable)
                cnn_batchnorm_forward_train(out, p->bn_mean[l], p->bn_inv_std[l],
                                            p->params + L->mm_off, p->params + L->mv_off, in, w, b,
                                            rows, L->in_cols, L->momentum, L->epsilon);
            else
                cnn_batchnorm_forward_infer(out, in, w, b, p->params + L->mm_off,
                                            p->params + L->mv_off, rows, L->in_cols, L->epsilon);
            break;
        default:
            out = (float *)in;
            break;
        }
        p->out[l] = out;
        in = out;
    }
}

/* Regularization penalty of the weights (and, given outputs, of the activities) for nb samples. */
static double regularization(const cnn_plan *p, long nb, int with_activity)
{
    double r = 0.0;
    for (int l = 0; l < p->nlayers; l++) {
        const cnn_layer *L = &p->layers[l];
        long nw = L->kind == CNN_LAYER_DENSE ? L->in_cols * L->out_cols : L->in_cols;
        long nbias = L->out_cols;
        if (L->w_off >= 0 && (L->kernel_l1 != 0 || L->kernel_l2 != 0))
            r += cnn_l1l2_value(p->params + L->w_off, nw, L->kernel_l1, L->kernel_l2);
        if (L->b_off >= 0 && (L->bias_l1 != 0 || L->bias_l2 != 0))
            r += cnn_l1l2_value(p->params + L->b_off, nbias, L->bias_l1, L->bias_l2);
        if (with_activity && (L->activity_l1 != 0 || L->activity_l2 != 0))
            r += cnn_l1l2_value(p->out[l], nb * L->out_size, L->activity_l1, L->activity_l2) / (double)nb;
    }
    return r;
}

static void regularization_grads(cnn_plan *p)
{
    for (int l = 0; l < p->nlayers; l++) {
        const cnn_layer *L = &p->layers[l];
        long nw = L->kind == CNN_LAYER_DENSE ? L->in_cols * L->out_cols : L->in_cols;
        if (L->w_off >= 0 && (L->kernel_l1 != 0 || L->kernel_l2 != 0))
            cnn_l1l2_grad(p->grads + L->w_off, p->params + L->w_off, nw, L->kernel_l1, L->kernel_l2);
        if (L->b_off >= 0 && (L->bias_l1 != 0 || L->bias_l2 != 0))
            cnn_l1l2_grad(p->grads + L->b_off, p->params + L->b_off, L->out_cols, L->bias_l1, L->bias_l2);
    }
}

static void apply_constraints(cnn_plan *p)
{
    for (int l = 0; l < p->nlayers; l++) {
        const cnn_layer *L = &p->layers[l];
        if (!L->trainable) continue;
        long rows = L->kind == CNN_LAYER_DENSE ? L->in_cols : L->in_cols;
        long cols = L->kind == CNN_LAYER_DENSE ? L->out_cols : 1;
        if (L->w_off >= 0 && L->kernel_constraint.kind != CNN_CONSTRAINT_NONE)
            cnn_constraint_apply(p->params + L->w_off, rows, cols, &L->kernel_constraint);
        if (L->b_off >= 0 && L->bias_constraint.kind != CNN_CONSTRAINT_NONE)
            cnn_constraint_apply(p->params + L->b_off, L->out_cols, 1, &L->bias_constraint);
    }
}

/* Calls fn on every trainable weight tensor's gradient (kernel, bias, gamma, beta). */
static void for_each_trainable(cnn_plan *p, void (*fn)(float *g, long n, void *ctx), void *ctx)
{
    for (int l = 0; l < p->nlayers; l++) {
        const cnn_layer *L = &p->layers[l];
        long nw = L->kind == CNN_LAYER_DENSE ? L->in_cols * L->out_cols : L->in_cols;
        long nb = L->kind == CNN_LAYER_DENSE ? L->out_cols : L->in_cols;
        if (L->w_off >= 0 && L->w_off < p->n_trainable) fn(p->grads + L->w_off, nw, ctx);
        if (L->b_off >= 0 && L->b_off < p->n_trainable) fn(p->grads + L->b_off, nb, ctx);
    }
}

static double sum_squares(const float *g, long n)
{
    double s = 0.0;
    for (long i = 0; i < n; i++) s += (double)g[i] * g[i];
    return s;
}

static void scale(float *g, long n, float c)
{
    for (long i = 0; i < n; i++) g[i] *= c;
}

static void add_squares(float *g, long n, void *ctx) { *(double *)ctx += sum_squares(g, n); }

static void clip_tensor_norm(float *g, long n, void *ctx)
{
    float c = *(const float *)ctx, norm = (float)sqrt(sum_squares(g, n));
    if (norm > c) scale(g, n, c / norm);
}

/* Keras's clipnorm / clipvalue / global_clipnorm, before the update. */
static void clip_gradients(cnn_plan *p)
{
    if (p->clipvalue > 0) {
        float c = p->clipvalue;
        for (long i = 0; i < p->n_trainable; i++) p->grads[i] = p->grads[i] > c ? c : p->grads[i] < -c ? -c : p->grads[i];
    }
    if (p->clipnorm > 0) for_each_trainable(p, clip_tensor_norm, &p->clipnorm);
    if (p->global_clipnorm > 0) {
        double total = 0.0;
        for_each_trainable(p, add_squares, &total);
        float norm = (float)sqrt(total), c = p->global_clipnorm;
        if (norm > c || !isfinite(norm)) scale(p->grads, p->n_trainable, c / norm);
    }
}

/* Keras's exponential moving average of the weights (use_ema), after the update. */
static void update_ema(cnn_plan *p, long iteration)
{
    float m = iteration == 0 ? 0.0f : p->ema_momentum, keep = 1.0f - m;
    for (long i = 0; i < p->n_trainable; i++) p->ema[i] = m * p->ema[i] + keep * p->params[i];
    if (p->ema_overwrite_frequency > 0 && (iteration + 1) % p->ema_overwrite_frequency == 0)
        memcpy(p->params, p->ema, sizeof(float) * p->n_trainable);
}

/* Per-row weights from per-sample weights (NULL: all ones). */
static const float *row_weights(cnn_plan *p, const float *sw, long nb)
{
    if (!sw) return NULL;
    long per = p->out_size / p->out_cols;
    for (long i = 0; i < nb; i++)
        for (long r = 0; r < per; r++) p->wrows[i * per + r] = sw[i];
    return p->wrows;
}

/* Loss (mean over rows, sample-weighted as Keras: divided by the row count) and metrics of a batch. */
static double loss_and_metrics(cnn_plan *p, const float *y, const float *wrows, long nb, cnn_sums *s)
{
    const float *pred = p->out[p->nlayers - 1];
    long rows = rows_of(nb, p->out_size, p->out_cols);
    cnn_loss_forward(p->per_row, pred, y, rows, p->out_cols, &p->loss);
    double total = 0.0;
    for (long r = 0; r < rows; r++) total += wrows ? wrows[r] * p->per_row[r] : p->per_row[r];
    for (int m = 0; m < p->nmetrics; m++)
        cnn_metric_update(&s->metric[2 * m], pred, y, NULL, rows, p->out_cols, &p->metrics[m]);
    return total / (double)rows;
}

/* Backward through every layer; gradients accumulate into p->grads (zeroed by the caller). */
static void backward(cnn_plan *p, const float *x, const float *y, const float *wrows, long nb)
{
    int last = p->nlayers - 1;
    long rows = rows_of(nb, p->out_size, p->out_cols);
    float *g = p->grad_a, *gother = p->grad_b;
    cnn_loss_backward(g, p->out[last], y, wrows, rows, p->out_cols, (float)(1.0 / (double)rows),
                      p->fused_act, &p->loss);
    int g_is_dz = p->fused_act != CNN_ACT_LINEAR;  /* g is already past the last activation */
    for (int l = last; l >= 0; l--) {
        const cnn_layer *L = &p->layers[l];
        const float *in = l > 0 ? p->out[l - 1] : x;
        long lrows = rows_of(nb, L->in_size, L->in_cols);
        int need_dx = l > 0;
        if (!g_is_dz && (L->activity_l1 != 0 || L->activity_l2 != 0))
            cnn_l1l2_grad(g, p->out[l], nb * L->out_size, L->activity_l1 / (float)nb,
                          L->activity_l2 / (float)nb);
        int next_is_dz = 0;
        switch (L->kind) {
        case CNN_LAYER_DENSE: {
            if (!g_is_dz) {
                if (p->relu_fused[l])
                    for (long i = 0; i < lrows * L->out_cols; i++) g[i] = p->out[l][i] > 0 ? g[i] : 0.0f;
                else if (L->act.kind != CNN_ACT_LINEAR)
                    cnn_act_backward(g, g, p->pre[l], p->out[l], lrows, L->out_cols, &L->act);
            }
            /* A plain-ReLU Dense below takes its mask from this GEMM's epilogue. */
            const cnn_layer *below = l > 0 ? &p->layers[l - 1] : NULL;
            const float *mask = NULL;
            if (need_dx && below->kind == CNN_LAYER_DENSE && p->relu_fused[l - 1]
                && below->activity_l1 == 0 && below->activity_l2 == 0)
                mask = p->out[l - 1];
            cnn_dense_backward(need_dx ? gother : NULL, p->grads + L->w_off,
                               L->b_off >= 0 ? p->grads + L->b_off : NULL, g, in,
                               p->params + L->w_off, mask, lrows, L->in_cols, L->out_cols);
            next_is_dz = mask != NULL;
            float *t = g; g = gother; gother = t;
            break;
        }
        case CNN_LAYER_ACTIVATION:
            if (!g_is_dz) cnn_act_backward(g, g, in, p->out[l], lrows, L->in_cols, &L->act);
            break;
        case CNN_LAYER_DROPOUT:
            if (L->rate > 0.0f && L->alpha_dropout) alpha_dropout_backward(g, p->keep[l], nb * L->in_size, L->rate);
            else if (L->rate > 0.0f) cnn_dropout_backward(g, g, p->keep[l], nb * L->in_size, L->rate);
            break;
        case CNN_LAYER_NOISE:  /* additive: identity; multiplicative: times the same noise */
            if (L->multiplicative && L->stddev > 0.0f)
                for (long i = 0; i < nb * L->in_size; i++) g[i] *= p->noise[l][i];
            break;
        case CNN_LAYER_BATCHNORM: {
            float *dgamma = L->w_off >= 0 ? p->grads + L->w_off : NULL;
            float *dbeta = L->b_off >= 0 ? p->grads + L->b_off : NULL;
            const float *gamma = L->w_off >= 0 ? p->params + L->w_off : NULL;
            if (L->trainable) {
                cnn_batchnorm_backward(gother, dgamma, dbeta, g, in, p->bn_mean[l], p->bn_inv_std[l],
                                       gamma, lrows, L->in_cols);
            } else {  /* frozen: inference normalisation, a per-column scale */
                const float *mv = p->params + L->mv_off;
                for (long r = 0; r < lrows; r++)
                    for (long c = 0; c < L->in_cols; c++) {
                        float s = (gamma ? gamma[c] : 1.0f) / cnn_sqrtf(mv[c] + L->epsilon);
                        gother[r * L->in_cols + c] = g[r * L->in_cols + c] * s;
                    }
            }
            float *t = g; g = gother; gother = t;
            break;
        }
        default:
            break;
        }
        g_is_dz = next_is_dz;
    }
}

/* Copies the rows idx[0..nb) of X, Y and SW into the batch buffers. */
static void gather(cnn_plan *p, const float *X, const float *Y, const float *SW, const int64_t *idx, long nb)
{
    for (long i = 0; i < nb; i++) {
        int64_t r = idx[i];
        memcpy(p->xbatch + i * p->in_size, X + r * p->in_size, sizeof(float) * p->in_size);
        memcpy(p->ybatch + i * p->y_size, Y + r * p->y_size, sizeof(float) * p->y_size);
        if (SW) p->wbatch[i] = SW[r];
    }
}

int cnn_train_steps(cnn_plan *p, const float *X, const float *Y, const float *SW, long n,
                    const int64_t *idx, long batch, long first, long nsteps,
                    long *iteration, const cnn_schedule *sched, uint64_t seed,
                    cnn_sums *sums, cnn_progress_fn progress, void *ctx)
{
    (void)seed;
    if (batch <= 0 || batch > p->batch_max || first < 0 || nsteps < 0) return CNN_ERR_ARG;
    for (long s = 0; s < nsteps; s++) {
        long start = (first + s) * batch;
        if (start >= n) return CNN_ERR_ARG;
        long nb = n - start < batch ? n - start : batch;
        gather(p, X, Y, SW, idx + start, nb);
        const float *wrows = row_weights(p, SW ? p->wbatch : NULL, nb);

        forward(p, p->xbatch, nb, 1, *iteration);
        double reg = regularization(p, nb, 1);
        double loss = loss_and_metrics(p, p->ybatch, wrows, nb, sums) + reg;
        sums->loss_sum += (double)nb * loss;
        sums->count += (double)nb;

        memset(p->grads, 0, sizeof(float) * p->n_params);
        backward(p, p->xbatch, p->ybatch, wrows, nb);
        regularization_grads(p);
        clip_gradients(p);
        if (p->n_trainable > 0) {
            float lr = (float)cnn_schedule_lr(sched, *iteration);
            cnn_opt_step(p->params, p->slots, p->grads, p->n_trainable, &p->opt, *iteration + 1, lr);
            if (p->ema) update_ema(p, *iteration);
        }
        apply_constraints(p);
        *iteration += 1;
        if (progress) {
            int stop = progress(ctx, s + 1, sums);
            if (stop) return stop;
        }
    }
    return CNN_OK;
}

int cnn_evaluate(cnn_plan *p, const float *X, const float *Y, const float *SW, long n, long batch,
                 cnn_sums *sums, cnn_progress_fn progress, void *ctx)
{
    if (batch <= 0 || batch > p->batch_max) return CNN_ERR_ARG;
    long steps = (n + batch - 1) / batch;
    for (long s = 0; s < steps; s++) {
        long start = s * batch, nb = n - start < batch ? n - start : batch;
        forward(p, X + start * p->in_size, nb, 0, 0);
        const float *wrows = row_weights(p, SW ? SW + start : NULL, nb);
        double loss = loss_and_metrics(p, Y + start * p->y_size, wrows, nb, sums) + regularization(p, nb, 1);
        sums->loss_sum += (double)nb * loss;
        sums->count += (double)nb;
        if (progress) {
            int stop = progress(ctx, s + 1, sums);
            if (stop) return stop;
        }
    }
    return CNN_OK;
}

int cnn_predict(cnn_plan *p, float *out, const float *X, long n, long batch,
                cnn_progress_fn progress, void *ctx)
{
    if (batch <= 0 || batch > p->batch_max) return CNN_ERR_ARG;
    long steps = (n + batch - 1) / batch;
    for (long s = 0; s < steps; s++) {
        long start = s * batch, nb = n - start < batch ? n - start : batch;
        forward(p, X + start * p->in_size, nb, 0, 0);
        memcpy(out + start * p->out_size, p->out[p->nlayers - 1], sizeof(float) * nb * p->out_size);
        if (progress) {
            int stop = progress(ctx, s + 1, NULL);
            if (stop) return stop;
        }
    }
    return CNN_OK;
}

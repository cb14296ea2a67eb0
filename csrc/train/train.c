/* train.c - runs a plan: the one-call training step, evaluation and prediction. */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "parallel.h"
#include "plan_internal.h"

#define GATHER_GRAIN 8192L   /* floats copied per chunk on the pool */

static long rows_of(long n, long size, long cols) { return n * (size / cols); }

static cnn_layer_ctx layer_ctx(cnn_plan *p, int l, long nb)
{
    cnn_layer_ctx c = {&p->layers[l], &p->bufs[l], p->params, p->grads, nb, l};
    return c;
}

/* Forward through every layer for nb samples of x; training selects dropout and batch statistics.
 * Returns 0, or 1 when an interrupt stopped it (the outputs are then unspecified). */
static int forward(cnn_plan *p, const float *x, long nb, int training, long iteration)
{
    const float *in = x;
    for (int l = 0; l < p->nlayers; l++) {
        cnn_layer_ctx c = layer_ctx(p, l, nb);
        in = p->out[l] = p->ops[l]->forward(&c, in, cnn_layer_training(c.L, training), iteration);
        if (cnn_interrupted()) return 1;
    }
    return 0;
}

/* The state a training forward changes before the update (BatchNormalization's moving statistics),
 * saved before a step that may be interrupted and put back when it is: no partial update. */
static void state_copy(cnn_plan *p, int restore)
{
    float *saved = p->state_saved;
    for (int l = 0; l < p->nlayers; l++)
        for (int s = CNN_W_STATE0; s < CNN_MAX_WEIGHTS; s++) {
            const cnn_span *w = &p->layers[l].w[s];
            if (w->off < 0 || w->len == 0) continue;
            CNN_ASSERT(w->off + w->len <= p->n_params && saved + w->len <= p->state_saved + p->state_len);
            float *live = p->params + w->off;
            memcpy(restore ? live : saved, restore ? saved : live, sizeof(float) * w->len);
            saved += w->len;
        }
}

static int has_penalty(float l1, float l2) { return l1 != 0 || l2 != 0; }

/* Regularization penalty of the weights (and, given outputs, of the activities) for nb samples. */
static double regularization(const cnn_plan *p, long nb, int with_activity)
{
    double r = 0.0;
    for (int l = 0; l < p->nlayers; l++) {
        const cnn_layer *L = &p->layers[l];
        const cnn_span *w = &L->w[CNN_W_KERNEL], *b = &L->w[CNN_W_BIAS];
        if (p->dup[l]) goto activity;   /* a shared layer's weights count once */
        if (w->off >= 0 && has_penalty(L->kernel_l1, L->kernel_l2))
            r += cnn_l1l2_value(p->params + w->off, w->len, L->kernel_l1, L->kernel_l2);
        if (b->off >= 0 && has_penalty(L->bias_l1, L->bias_l2))
            r += cnn_l1l2_value(p->params + b->off, b->len, L->bias_l1, L->bias_l2);
        if (p->ops[l]->own_weights) {
            cnn_layer_ctx c = {L, &p->bufs[l], p->params, p->grads, nb, l};
            p->ops[l]->own_weights(&c, CNN_OWN_PENALTY, 0.0f, &r);
        }
    activity:
        if (with_activity && has_penalty(L->activity_l1, L->activity_l2))
            r += cnn_l1l2_value(p->out[l], nb * cnn_layer_out_size(L), L->activity_l1, L->activity_l2)
                 / (double)nb;
    }
    return r;
}

static void regularization_grads(cnn_plan *p)
{
    for (int l = 0; l < p->nlayers; l++) {
        const cnn_layer *L = &p->layers[l];
        const cnn_span *w = &L->w[CNN_W_KERNEL], *b = &L->w[CNN_W_BIAS];
        if (p->dup[l]) continue;
        if (w->off >= 0 && has_penalty(L->kernel_l1, L->kernel_l2))
            cnn_l1l2_grad(p->grads + w->off, p->params + w->off, w->len, L->kernel_l1, L->kernel_l2);
        if (b->off >= 0 && has_penalty(L->bias_l1, L->bias_l2))
            cnn_l1l2_grad(p->grads + b->off, p->params + b->off, b->len, L->bias_l1, L->bias_l2);
        if (p->ops[l]->own_weights) { /* its penalties, then clipnorm per tensor (clip_gradients skips it) */
            cnn_layer_ctx c = layer_ctx(p, l, 0);
            p->ops[l]->own_weights(&c, CNN_OWN_GRADS, p->clipnorm, NULL);
        }
    }
}

/* Constraints after the update: norms over the kernel's other axes (its kind says which is last). */
static void apply_constraints(cnn_plan *p)
{
    for (int l = 0; l < p->nlayers; l++) {
        const cnn_layer *L = &p->layers[l];
        const cnn_span *w = &L->w[CNN_W_KERNEL], *b = &L->w[CNN_W_BIAS];
        if (!L->trainable || p->dup[l]) continue;
        if (w->off >= 0 && L->kernel_constraint.kind != CNN_CONSTRAINT_NONE) {
            long cols = p->ops[l]->kernel_cols ? p->ops[l]->kernel_cols(L) : 1;
            cnn_constraint_apply(p->params + w->off, w->len / cols, cols, &L->kernel_constraint);
        }
        if (b->off >= 0 && L->bias_constraint.kind != CNN_CONSTRAINT_NONE)
            cnn_constraint_apply(p->params + b->off, b->len, 1, &L->bias_constraint);
        if (p->ops[l]->own_weights) {
            cnn_layer_ctx c = layer_ctx(p, l, 0);
            p->ops[l]->own_weights(&c, CNN_OWN_CONSTRAIN, 0.0f, NULL);
        }
    }
}

/* Calls fn on every trainable weight tensor's gradient (kernel, bias, gamma, beta); skip_own: not on
 * the spans of kinds that tell their tensors apart themselves (own_weights). */
static void for_each_trainable(cnn_plan *p, int skip_own, void (*fn)(float *g, long n, void *ctx), void *ctx)
{
    for (int l = 0; l < p->nlayers; l++)
        for (int s = CNN_W_KERNEL; s <= CNN_W_BIAS && !p->dup[l] && !(skip_own && p->ops[l]->own_weights);
             s++) {
            const cnn_span *w = &p->layers[l].w[s];
            if (w->off >= 0 && w->off < p->n_trainable) fn(p->grads + w->off, w->len, ctx);
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
        for (long i = 0; i < p->n_trainable; i++)
            p->grads[i] = p->grads[i] > c ? c : p->grads[i] < -c ? -c : p->grads[i];
    }
    if (p->clipnorm > 0) for_each_trainable(p, 1, clip_tensor_norm, &p->clipnorm);
    if (p->global_clipnorm > 0) {
        double total = 0.0;
        for_each_trainable(p, 0, add_squares, &total);
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
        cnn_metric_update(s->state + p->metric_off[m], pred, y, p->metrics[m].weighted ? wrows : NULL, rows,
                          p->out_cols, &p->metrics[m]);
    return total / (double)rows;
}

/* Backward through every layer; gradients accumulate into p->grads (zeroed by the caller).
 * Returns 0, or 1 when an interrupt stopped it. */
static int backward(cnn_plan *p, const float *x, const float *y, const float *wrows, long nb)
{
    int last = p->nlayers - 1;
    long rows = rows_of(nb, p->out_size, p->out_cols);
    float *g = p->grad_a;
    cnn_loss_backward(g, p->out[last], y, wrows, rows, p->out_cols, (float)(1.0 / (double)rows), p->fused_act,
                      &p->loss);
    int g_is_dz = p->fused_act != CNN_ACT_LINEAR; /* g is already past the last activation */
    for (int l = last; l >= 0 && p->wants[l]; l--) { /* below, no layer learns */
        const cnn_layer *L = &p->layers[l];
        const float *in = l > 0 ? p->out[l - 1] : x;
        int need_dx = l > 0 && p->wants[l - 1];
        if (!g_is_dz && has_penalty(L->activity_l1, L->activity_l2))
            cnn_l1l2_grad(g, p->out[l], nb * cnn_layer_out_size(L), L->activity_l1 / (float)nb,
                          L->activity_l2 / (float)nb);
        /* A layer below whose activation backward is a ReLU mask may have it applied to our dx. */
        const float *mask = NULL;
        if (need_dx) {
            const cnn_layer *below = &p->layers[l - 1];
            if (p->ops[l - 1]->relu_output && p->ops[l - 1]->relu_output(below)
                && !has_penalty(below->activity_l1, below->activity_l2))
                mask = p->out[l - 1];
        }
        int masked = 0;
        cnn_layer_ctx c = layer_ctx(p, l, nb);
        float *dx = p->ops[l]->backward(&c, g, g == p->grad_a ? p->grad_b : p->grad_a, in, p->out[l], g_is_dz,
                                        need_dx, mask, &masked);
        g = dx;
        g_is_dz = masked;
        if (cnn_interrupted()) return 1;
    }
    return 0;
}

/* Calls the progress callback in the caller's floating-point mode (it runs the caller's code). */
static int report(cnn_progress_fn progress, void *ctx, long done, const cnn_sums *sums, unsigned fpmode)
{
    if (!progress) return 0;
    unsigned flushed = cnn_fpmode_flush();
    cnn_fpmode_restore(fpmode);
    int stop = progress(ctx, done, sums);
    cnn_fpmode_restore(flushed);
    return stop;
}

void cnn_x_load(float *dst, cnn_xdata X, long at, long count)
{
    if (X.type == CNN_X_U8) {
        const uint8_t *u = (const uint8_t *)X.data + at;
        for (long j = 0; j < count; j++) dst[j] = (float)u[j];
    } else {
        memcpy(dst, (const float *)X.data + at, sizeof(float) * (size_t)count);
    }
}

typedef struct {
    cnn_plan *p;
    cnn_xdata X;
    const float *Y, *SW;
    long n, wcols; /* wcols: sample-weight columns per row (cnn_plan_weight_cols) */
    const int64_t *idx;
} gather_job;

static void gather_rows(void *ctx, long lo, long hi)
{
    const gather_job *j = ctx;
    cnn_plan *p = j->p;
    for (long i = lo; i < hi; i++) {
        int64_t r = j->idx[i];
        CNN_ASSERT(r >= 0 && r < j->n); /* the binding checks every index */
        if (p->graph) { /* each model input into its own buffer */
            const cnn_graph *g = p->graph;
            for (int k = 0; k < g->ninputs; k++)
                cnn_x_load(g->xin[k] + i * g->in_size[k], j->X, r * p->in_size + g->in_off[k], g->in_size[k]);
        } else {
            cnn_x_load(p->xbatch + i * p->in_size, j->X, r * p->in_size, p->in_size);
        }
        memcpy(p->ybatch + i * p->y_size, j->Y + r * p->y_size, sizeof(float) * p->y_size);
        for (long c = 0; j->SW && c < j->wcols; c++) p->wbatch[i * j->wcols + c] = j->SW[r * j->wcols + c];
    }
}

/* Copies the rows idx[0..nb) of X, Y and SW (n rows of cnn_plan_weight_cols) into the batch buffers,
 * X converted to float; large batches of rows scattered over memory copy faster on two cores. */
static void gather(cnn_plan *p, cnn_xdata X, const float *Y, const float *SW, long n, const int64_t *idx,
                   long nb)
{
    CNN_ASSERT(nb >= 0 && nb <= p->batch_max);
    gather_job j = {p, X, Y, SW, n, cnn_plan_weight_cols(p), idx};
    cnn_parallel_range(nb, GATHER_GRAIN / (p->in_size + p->y_size) + 1, 1, gather_rows, &j);
    for (int k = 0; p->graph && k < p->graph->ninputs; k++) p->graph->xcur[k] = p->graph->xin[k];
}

/* A chain's input for rows [start, start + nb) of X: float32 read in place, uint8 converted into the
 * batch buffer. */
static const float *chain_input(cnn_plan *p, cnn_xdata X, long start, long nb)
{
    if (X.type == CNN_X_F32) return (const float *)X.data + start * p->in_size;
    CNN_ASSERT(nb <= p->batch_max);
    cnn_x_load(p->xbatch, X, start * p->in_size, nb * p->in_size);
    return p->xbatch;
}

/* A graph plan's step: forward, loss (+ regularization) and, when training, backward. */
static int graph_pass(cnn_plan *p, const float *Y, const float *SW, long nb, int training, long iteration,
                      cnn_sums *sums, double *loss)
{
    if (cnn_graph_forward(p, nb, training, iteration)) return 1;
    *loss = cnn_graph_loss(p, Y, SW, nb, sums) + regularization(p, nb, 1);
    if (!training) return 0;
    cnn_parallel_zero(p->grads, p->n_params);
    return cnn_graph_backward(p, SW, nb);
}

/* One step on the gathered batch: forward, loss, backward, update. Returns CNN_ERR_INTERRUPT, with
 * nothing of the step applied, when an interrupt stops it before the update. */
static int train_step(cnn_plan *p, long nb, int weighted, long *iteration, const cnn_schedule *sched,
                      cnn_sums *sums)
{
    const float *wrows = p->graph ? NULL : row_weights(p, weighted ? p->wbatch : NULL, nb);
    int may_stop = cnn_interrupt_current() != NULL;
    if (may_stop && p->state_len) state_copy(p, 0);
    double loss;
    if (p->graph) {
        if (graph_pass(p, p->ybatch, weighted ? p->wbatch : NULL, nb, 1, *iteration, sums, &loss))
            goto abandon;
        if (cnn_host_stopped()) goto abandon; /* a Python loss or metric failed */
        sums->loss_sum += (double)nb * loss;
        sums->count += (double)nb;
    } else {
        if (forward(p, p->xbatch, nb, 1, *iteration)) goto abandon;
        double reg = regularization(p, nb, 1);
        loss = loss_and_metrics(p, p->ybatch, wrows, nb, sums) + reg;
        if (cnn_host_stopped()) goto abandon; /* a Python loss or metric failed */
        sums->loss_sum += (double)nb * loss;
        sums->count += (double)nb;

        cnn_parallel_zero(p->grads, p->n_params);
        if (backward(p, p->xbatch, p->ybatch, wrows, nb)) goto abandon;
    }
    regularization_grads(p);
    if (cnn_host_stopped()) goto abandon; /* a Python layer's regularizer failed */
    clip_gradients(p);
    if (p->n_trainable > 0) {
        float lr = (float)cnn_schedule_lr(sched, *iteration);
        cnn_opt_step(p->params, p->slots, p->grads, p->n_trainable, &p->opt, *iteration + 1, lr);
        if (cnn_host_stopped()) goto abandon; /* a Python optimizer failed (it undid its update) */
        if (p->ema) update_ema(p, *iteration);
    }
    apply_constraints(p);
    *iteration += 1;
    return CNN_OK;
abandon: /* the caller drops the sums of an interrupted call */
    if (may_stop && p->state_len) state_copy(p, 1);
    return CNN_ERR_INTERRUPT;
}

static int train_steps(cnn_plan *p, cnn_xdata X, const float *Y, const float *SW, long n, const int64_t *idx,
                       long batch, long first, long nsteps, long *iteration, const cnn_schedule *sched,
                       cnn_sums *sums, cnn_progress_fn progress, void *ctx, unsigned fpmode)
{
    if (batch <= 0 || batch > p->batch_max || first < 0 || nsteps < 0 || first > LONG_MAX - nsteps)
        return CNN_ERR_ARG;
    for (long s = 0; s < nsteps; s++) {
        if (n <= 0 || first + s > (n - 1) / batch) return CNN_ERR_ARG; /* checked before it can overflow */
        long start = (first + s) * batch;
        long nb = n - start < batch ? n - start : batch;
        gather(p, X, Y, SW, n, idx + start, nb);
        int status = train_step(p, nb, SW != NULL, iteration, sched, sums);
        if (status != CNN_OK) return status;
        int stop = report(progress, ctx, s + 1, sums, fpmode);
        if (stop) return stop;
    }
    return CNN_OK;
}

static int evaluate(cnn_plan *p, cnn_xdata X, const float *Y, const float *SW, long n, long batch,
                    cnn_sums *sums, cnn_progress_fn progress, void *ctx, unsigned fpmode)
{
    if (batch <= 0 || batch > p->batch_max) return CNN_ERR_ARG;
    long steps = (n + batch - 1) / batch;
    for (long s = 0; s < steps; s++) {
        long start = s * batch, nb = n - start < batch ? n - start : batch;
        if (p->graph) {
            double loss;
            cnn_graph_load_inputs(p, X, start, nb);
            if (graph_pass(p, Y + start * p->y_size, SW ? SW + start * cnn_plan_weight_cols(p) : NULL, nb, 0,
                           0, sums, &loss)
                || cnn_host_stopped())
                return CNN_ERR_INTERRUPT;
            sums->loss_sum += (double)nb * loss;
            sums->count += (double)nb;
            int stop = report(progress, ctx, s + 1, sums, fpmode);
            if (stop) return stop;
            continue;
        }
        if (forward(p, chain_input(p, X, start, nb), nb, 0, 0)) return CNN_ERR_INTERRUPT;
        const float *wrows = row_weights(p, SW ? SW + start : NULL, nb);
        double loss = loss_and_metrics(p, Y + start * p->y_size, wrows, nb, sums) + regularization(p, nb, 1);
        if (cnn_host_stopped()) return CNN_ERR_INTERRUPT;
        sums->loss_sum += (double)nb * loss;
        sums->count += (double)nb;
        int stop = report(progress, ctx, s + 1, sums, fpmode);
        if (stop) return stop;
    }
    return CNN_OK;
}

static int predict(cnn_plan *p, float *out, cnn_xdata X, long n, long batch, cnn_progress_fn progress,
                   void *ctx, unsigned fpmode)
{
    if (batch <= 0 || batch > p->batch_max) return CNN_ERR_ARG;
    long steps = (n + batch - 1) / batch;
    for (long s = 0; s < steps; s++) {
        long start = s * batch, nb = n - start < batch ? n - start : batch;
        if (p->graph) {
            cnn_graph_load_inputs(p, X, start, nb);
            if (cnn_graph_forward(p, nb, 0, 0)) return CNN_ERR_INTERRUPT;
            cnn_graph_outputs(p, out + start * p->out_size, nb);
        } else {
            if (forward(p, chain_input(p, X, start, nb), nb, 0, 0)) return CNN_ERR_INTERRUPT;
            memcpy(out + start * p->out_size, p->out[p->nlayers - 1], sizeof(float) * nb * p->out_size);
        }
        int stop = report(progress, ctx, s + 1, NULL, fpmode);
        if (stop) return stop;
    }
    return CNN_OK;
}

/* The entry points: each runs its loop with subnormals flushed (cnn.h, floating-point mode). */
int cnn_train_steps(cnn_plan *p, cnn_xdata X, const float *Y, const float *SW, long n, const int64_t *idx,
                    long batch, long first, long nsteps, long *iteration, const cnn_schedule *sched,
                    uint64_t seed, cnn_sums *sums, cnn_progress_fn progress, void *ctx)
{
    (void)seed;
    CNN_ASSERT(p && iteration && sched && sums && n >= 0 && (nsteps <= 0 || (X.data && Y && idx)));
    unsigned fpmode = cnn_fpmode_flush();
    int status = train_steps(p, X, Y, SW, n, idx, batch, first, nsteps, iteration, sched, sums, progress, ctx,
                             fpmode);
    cnn_fpmode_restore(fpmode);
    return status;
}

int cnn_evaluate(cnn_plan *p, cnn_xdata X, const float *Y, const float *SW, long n, long batch,
                 cnn_sums *sums, cnn_progress_fn progress, void *ctx)
{
    CNN_ASSERT(p && sums && n >= 0 && (n == 0 || (X.data && Y)));
    unsigned fpmode = cnn_fpmode_flush();
    int status = evaluate(p, X, Y, SW, n, batch, sums, progress, ctx, fpmode);
    cnn_fpmode_restore(fpmode);
    return status;
}

int cnn_predict(cnn_plan *p, float *out, cnn_xdata X, long n, long batch, cnn_progress_fn progress, void *ctx)
{
    CNN_ASSERT(p && n >= 0 && (n == 0 || (X.data && out)));
    unsigned fpmode = cnn_fpmode_flush();
    int status = predict(p, out, X, n, batch, progress, ctx, fpmode);
    cnn_fpmode_restore(fpmode);
    return status;
}

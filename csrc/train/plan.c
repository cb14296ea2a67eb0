/* plan.c - builds a plan: checks and copies the model description, asks each layer's kind for its
 * buffer sizes and allocates every buffer once. No kind is named here: the layer table decides. */
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"

static void *zalloc(size_t n, size_t size, int *failed)
{
    if (n == 0) n = 1;
    void *p = calloc(n, size);
    if (!p) *failed = 1;
    return p;
}

/* a * b for buffer sizes, or -1 when it overflows (then the plan is refused) */
static long mul(long a, long b)
{
    long r;
    return a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r) ? -1 : r;
}

/* The generic checks of a layer (its kind, shapes, weight spans inside params), then its kind's own:
 * NULL if fine, else the bad field's name. Its sources are checked by source_invalid. */
static const char *layer_invalid(const cnn_layer *L, long n_params)
{
    static const char *const off_names[CNN_MAX_WEIGHTS] = {"w_off", "b_off", "mm_off", "mv_off"};
    static const char *const len_names[CNN_MAX_WEIGHTS] = {"w_len", "b_len", "mm_len", "mv_len"};
    const cnn_layer_ops *ops = cnn_layer_kind(L->kind);
    if (!ops) return "kind";
    if (!cnn_shape_size(&L->in)) return "in_shape";
    if (!cnn_shape_size(&L->out)) return "out_shape";
    for (int s = 0; s < CNN_MAX_WEIGHTS; s++) {
        const cnn_span *w = &L->w[s];
        if (w->off == -1) continue;
        if (w->off < 0 || w->off > n_params) return off_names[s];
        if (w->len < 0 || w->len > n_params - w->off) return len_names[s];
    }
    return ops->check ? ops->check(L) : NULL;
}

/* Layer l's source i: an earlier layer (>= 0) or a model input (-1 - k); the chain by default. */
static int source_of(const cnn_layer *L, int l, int i) { return L->ninputs ? L->inputs[i] : l - 1; }

static const cnn_shape *source_shape(const cnn_layer *layers, const cnn_shape *inputs, int src)
{ return src >= 0 ? &layers[src].out : &inputs[-1 - src]; }

/* The sources of layer l: in range, earlier, as many as its kind takes, of the shapes it takes. */
static const char *sources_invalid(const cnn_layer *layers, int l, const cnn_shape *inputs, int ninputs)
{
    const cnn_layer *L = &layers[l];
    const cnn_layer_ops *ops = cnn_layer_kind(L->kind);
    int n = L->ninputs ? L->ninputs : 1;
    if (L->ninputs < 0 || L->ninputs > CNN_MAX_INPUTS) return "inputs";
    const cnn_shape *shapes[CNN_MAX_INPUTS];
    for (int i = 0; i < n; i++) {
        int src = source_of(L, l, i);
        if (src >= l || src < -ninputs) return "inputs";
        shapes[i] = source_shape(layers, inputs, src);
    }
    if (!ops->forward_n) {
        if (n != 1) return "inputs";
        return cnn_shape_size(shapes[0]) == cnn_shape_size(&L->in) ? NULL : "in_shape";
    }
    if (n < 2) return "inputs";
    return ops->check_n(L, shapes, n);
}

/* A chain: one input, each layer fed by the one before, one output (the last layer, weight 1), no layer in
 * a fixed mode (graph.c keys those layers' streams in inference passes). */
static int is_chain(const cnn_layer *layers, int nlayers, int ninputs, const cnn_output *outputs,
                    int noutputs)
{
    if (ninputs != 1 || noutputs != 1 || outputs[0].layer != nlayers - 1 || outputs[0].weight != 1.0f)
        return 0;
    for (int l = 0; l < nlayers; l++)
        if (layers[l].ninputs > 1 || (layers[l].ninputs == 1 && layers[l].inputs[0] != l - 1)
            || cnn_layer_kind(layers[l].kind)->forward_n || layers[l].mode != CNN_MODE_CALL)
            return 0;
    return 1;
}

/* Which activation, if any, the loss backward can take over from the last layer. */
int cnn_plan_fusable(const cnn_layer *last, const cnn_layer_ops *ops, const cnn_loss *loss)
{
    if (loss->from_logits || !ops->final_act) return CNN_ACT_LINEAR;
    int k = ops->final_act(last);
    if (k == CNN_ACT_SIGMOID && loss->kind == CNN_LOSS_BCE) return k;
    if (k == CNN_ACT_SOFTMAX && (loss->kind == CNN_LOSS_CCE || loss->kind == CNN_LOSS_SCCE)) return k;
    return CNN_ACT_LINEAR;
}

static cnn_plan *fail(cnn_plan *p, int *status, int code)
{
    cnn_plan_free(p);
    *status = code;
    return NULL;
}

/* Allocates layer l's buffers as its kind asks and raises *work to its workspace; 0 when a size
 * overflows. */
static int alloc_layer(cnn_plan *p, int l, long *work, int *failed)
{
    cnn_layer_sizes s = {0, 0, 0, 0, 0, 0};
    p->ops[l]->sizes(&p->layers[l], &s);
    long rows = cnn_layer_in_size(&p->layers[l]) / cnn_layer_in_cols(&p->layers[l]);
    long out = mul(p->batch_max, s.out), scratch = mul(p->batch_max, s.scratch);
    long mask = mul(p->batch_max, s.mask), per_row = mul(mul(p->batch_max, rows), s.cache_per_row);
    long cache = per_row < 0 || s.cache < 0 ? -1 : s.cache + per_row, ws = mul(p->batch_max, s.workspace);
    if (out < 0 || scratch < 0 || mask < 0 || cache < 0 || cache < per_row || ws < 0) return 0;
    if (ws > *work) *work = ws;
    cnn_layer_bufs *B = &p->bufs[l];
    if (out) B->out = zalloc((size_t)out, sizeof(float), failed);
    if (scratch) B->scratch = zalloc((size_t)scratch, sizeof(float), failed);
    if (mask) B->mask = zalloc((size_t)mask, sizeof(uint8_t), failed);
    if (cache) B->cache = zalloc((size_t)cache, sizeof(float), failed);
    return 1;
}

extern const cnn_layer_ops cnn_layer_python;

/* Whether the backward pass must reach layer l: it has trainable weights (a span below n_trainable)
 * or is a host layer (its backward is the user's code), or one of its sources is so reached. Where
 * no layer before it learns, nothing needs its input gradient: a model's first Dense after Flatten
 * skips a product as large as its forward. */
static int wants_gradient(const cnn_plan *p, int l)
{
    const cnn_layer *L = &p->layers[l];
    if (p->ops[l] == &cnn_layer_python) return 1;
    for (int s = CNN_W_KERNEL; s < CNN_W_STATE0; s++)
        if (L->w[s].off >= 0 && L->w[s].len > 0 && L->w[s].off < p->n_trainable) return 1;
    for (int i = 0; i < (L->ninputs ? L->ninputs : 1); i++) {
        int src = L->ninputs ? L->inputs[i] : l - 1;
        if (src >= 0 && p->wants[src]) return 1;
    }
    return 0;
}

/* Whether layer l uses the weights of an earlier layer (a shared layer called again): its penalties,
 * constraints and clipping then apply once, at the first use. */
static int shares_weights(const cnn_layer *layers, int l)
{
    for (int k = 0; k < l; k++)
        for (int s = 0; s < CNN_MAX_WEIGHTS; s++)
            if (layers[l].w[s].off >= 0 && layers[l].w[s].off == layers[k].w[s].off) return 1;
    return 0;
}

static long graph_rows_max(const cnn_graph *g)
{
    long r = 1;
    for (int k = 0; k < g->nheads; k++)
        if (g->heads[k].out_size / g->heads[k].out_cols > r) r = g->heads[k].out_size / g->heads[k].out_cols;
    return r;
}

/* A graph plan's inputs, outputs (their losses, targets, metrics) and consumers; the bad field or NULL. */
static const char *graph_setup(cnn_plan *p, const cnn_layer *layers, int nlayers, const cnn_shape *inputs,
                               int ninputs, const cnn_output *outputs, int noutputs,
                               const cnn_metric *metrics)
{
    cnn_graph *g = p->graph;
    g->ninputs = ninputs;
    g->nheads = noutputs;
    long in_total = 0;
    for (int k = 0; k < ninputs; k++) {
        g->in_shape[k] = inputs[k];
        g->in_size[k] = cnn_shape_size(&inputs[k]);
        g->in_off[k] = in_total;
        if (__builtin_add_overflow(in_total, g->in_size[k], &in_total)) return "inputs";
    }
    long y_total = 0, out_total = 0;
    int m = 0;
    for (int k = 0; k < noutputs; k++) {
        cnn_head *h = &g->heads[k];
        const cnn_layer *L = &layers[outputs[k].layer];
        h->layer = outputs[k].layer;
        h->loss = outputs[k].loss;
        h->weight = outputs[k].weight;
        h->out_size = cnn_layer_out_size(L);
        h->out_cols = cnn_layer_out_cols(L);
        h->y_size = cnn_loss_sparse(&h->loss) ? h->out_size / h->out_cols : h->out_size;
        h->y_off = y_total;
        h->m0 = m;
        h->m1 = m + outputs[k].nmetrics;
        if (__builtin_add_overflow(y_total, h->y_size, &y_total)
            || __builtin_add_overflow(out_total, h->out_size, &out_total))
            return "outputs";
        for (; m < h->m1; m++) {
            long size = cnn_metric_state_size(&metrics[m], h->out_cols);
            if (!size || cnn_metric_sparse(&metrics[m]) != cnn_loss_sparse(&h->loss)) return "metrics";
            p->metric_off[m + 1] = p->metric_off[m] + size;
        }
    }
    g->y_total = y_total;
    p->in_size = in_total;
    p->out_size = out_total;
    p->y_size = y_total;
    return NULL;
}

cnn_plan *cnn_plan_create(const cnn_layer *layers, int nlayers, const cnn_loss *loss,
                          const cnn_metric *metrics, int nmetrics, const cnn_opt *opt, float *params,
                          long n_params, long n_trainable, float *slots, long batch_max, int *status,
                          cnn_diag *diag)
{
    *status = CNN_ERR_ARG;
    diag->layer = -1;
    diag->field = NULL;
    if (nlayers <= 0 || !layers) {
        diag->field = "layers";
        return NULL;
    }
    if (!loss) {
        diag->field = "loss";
        return NULL;
    }
    cnn_output out = {nlayers - 1, *loss, 1.0f, nmetrics};
    return cnn_plan_create_graph(layers, nlayers, &layers[0].in, 1, &out, 1, metrics, nmetrics, opt, params,
                                 n_params, n_trainable, slots, batch_max, status, diag);
}

/* The outputs: layers in range, known losses, metric counts adding up to nmetrics. */
static const char *outputs_invalid(const cnn_output *outputs, int noutputs, int nlayers, int nmetrics)
{
    if (noutputs < 1 || noutputs > CNN_MAX_OUTPUTS || !outputs) return "outputs";
    long total = 0;
    for (int k = 0; k < noutputs; k++) {
        if (outputs[k].layer < 0 || outputs[k].layer >= nlayers) return "outputs";
        if (outputs[k].loss.kind < 0 || outputs[k].loss.kind >= CNN_LOSS_COUNT) return "loss";
        if (outputs[k].nmetrics < 0) return "metrics";
        total += outputs[k].nmetrics;
    }
    return total == nmetrics ? NULL : "metrics";
}

cnn_plan *cnn_plan_create_graph(const cnn_layer *layers, int nlayers, const cnn_shape *inputs, int ninputs,
                                const cnn_output *outputs, int noutputs, const cnn_metric *metrics,
                                int nmetrics, const cnn_opt *opt, float *params, long n_params,
                                long n_trainable, float *slots, long batch_max, int *status, cnn_diag *diag)
{
    *status = CNN_ERR_ARG;
    diag->layer = -1;
    diag->field = NULL;
    if (nlayers <= 0) {
        diag->field = "layers";
        return NULL;
    }
    if (nmetrics < 0 || nmetrics > CNN_MAX_METRICS) {
        diag->field = "metrics";
        return NULL;
    }
    if (batch_max <= 0) {
        diag->field = "batch_max";
        return NULL;
    }
    if (n_params < 0 || n_trainable < 0 || n_trainable > n_params || (n_params > 0 && !params)) {
        diag->field = "n_trainable";
        return NULL;
    }
    if (ninputs < 1 || ninputs > CNN_MAX_INPUTS || !inputs) {
        diag->field = "inputs";
        return NULL;
    }
    for (int k = 0; k < ninputs; k++)
        if (!cnn_shape_size(&inputs[k])) {
            diag->field = "inputs";
            return NULL;
        }
    if ((diag->field = outputs_invalid(outputs, noutputs, nlayers, nmetrics))) return NULL;
    const cnn_loss *loss = &outputs[0].loss;
    if (!opt || opt->kind < 0 || opt->kind >= CNN_OPT_COUNT) {
        diag->field = "optimizer";
        return NULL;
    }
    for (int l = 0; l < nlayers; l++)
        if ((diag->field = layer_invalid(&layers[l], n_params))
            || (diag->field = sources_invalid(layers, l, inputs, ninputs))) {
            diag->layer = l;
            return NULL;
        }
    int chain = is_chain(layers, nlayers, ninputs, outputs, noutputs);
    int failed = 0;
    cnn_plan *p = zalloc(1, sizeof *p, &failed);
    if (!p) return fail(NULL, status, CNN_ERR_NOMEM);
    p->loss = *loss;
    p->nmetrics = nmetrics;
    if (nmetrics) memcpy(p->metrics, metrics, sizeof(cnn_metric) * nmetrics);
    p->opt = *opt;
    p->params = params;
    p->slots = slots;
    p->n_params = n_params;
    p->n_trainable = n_trainable;
    p->batch_max = batch_max;
    const cnn_layer *last = &layers[nlayers - 1];
    p->in_size = cnn_layer_in_size(&layers[0]);
    p->out_size = cnn_layer_out_size(last);
    p->out_cols = cnn_layer_out_cols(last);
    p->y_size = cnn_loss_sparse(loss) ? p->out_size / p->out_cols : p->out_size;
    p->fused_act = cnn_plan_fusable(last, cnn_layer_kind(last->kind), loss);
    if (!chain) {
        if (!(p->graph = zalloc(1, sizeof *p->graph, &failed))) return fail(p, status, CNN_ERR_NOMEM);
        if ((diag->field = graph_setup(p, layers, nlayers, inputs, ninputs, outputs, noutputs, metrics)))
            return fail(p, status, CNN_ERR_ARG);
    }
    /* each metric reads the targets as the loss lays them out (with SCCE one class id per row: a
     * metric reading a full row of y would read past it) */
    for (int m = 0; chain && m < nmetrics; m++) {
        long size = cnn_metric_state_size(&metrics[m], p->out_cols);
        if (!size || cnn_metric_sparse(&metrics[m]) != cnn_loss_sparse(loss)) {
            diag->field = "metrics";
            return fail(p, status, CNN_ERR_ARG);
        }
        p->metric_off[m + 1] = p->metric_off[m] + size;
    }

    p->layers = zalloc(nlayers, sizeof(cnn_layer), &failed);
    p->ops = zalloc(nlayers, sizeof(cnn_layer_ops *), &failed);
    p->bufs = zalloc(nlayers, sizeof(cnn_layer_bufs), &failed);
    p->out = zalloc(nlayers, sizeof(float *), &failed);
    if (failed) return fail(p, status, CNN_ERR_NOMEM);
    memcpy(p->layers, layers, sizeof(cnn_layer) * nlayers);
    p->nlayers = nlayers;   /* from here cnn_plan_free releases what the kinds own */
    for (int l = 0; l < nlayers; l++) {
        p->ops[l] = cnn_layer_kind(layers[l].kind);
        if (p->ops[l]->own && !p->ops[l]->own(&p->layers[l])) {
            for (int k = l; k < nlayers; k++) p->ops[k] = NULL;   /* not owned: never released */
            return fail(p, status, CNN_ERR_NOMEM);
        }
    }

    long widest = p->in_size, work = 0;
    for (int k = 0; p->graph && k < ninputs; k++)
        if (p->graph->in_size[k] > widest) widest = p->graph->in_size[k];
    for (int l = 0; l < nlayers && !failed; l++) {
        if (!alloc_layer(p, l, &work, &failed)) {   /* a buffer size overflows */
            diag->layer = l;
            diag->field = "batch_max";
            return fail(p, status, CNN_ERR_ARG);
        }
        long size = cnn_layer_out_size(&p->layers[l]);
        if (size > widest) widest = size;
    }
    long rows_max = mul(batch_max, p->graph ? graph_rows_max(p->graph) : p->out_size / p->out_cols);
    long grad = mul(batch_max, widest);
    long xb = mul(batch_max, p->in_size), yb = mul(batch_max, p->y_size);
    if (rows_max < 0 || grad < 0 || xb < 0 || yb < 0) {
        diag->field = "batch_max";
        return fail(p, status, CNN_ERR_ARG);
    }
    p->grads = zalloc((size_t)n_params, sizeof(float), &failed);
    p->grad_a = zalloc((size_t)grad, sizeof(float), &failed);
    p->grad_b = zalloc((size_t)grad, sizeof(float), &failed);
    p->xbatch = zalloc((size_t)xb, sizeof(float), &failed);
    p->ybatch = zalloc((size_t)yb, sizeof(float), &failed);
    p->wbatch = zalloc((size_t)batch_max * (size_t)cnn_plan_weight_cols(p), sizeof(float), &failed);
    p->wrows = zalloc((size_t)rows_max, sizeof(float), &failed);
    p->per_row = zalloc((size_t)rows_max, sizeof(double), &failed);
    if (work) p->work = zalloc((size_t)work, sizeof(float), &failed);
    for (int l = 0; l < nlayers; l++)
        for (int s = CNN_W_STATE0; s < CNN_MAX_WEIGHTS; s++)
            if (layers[l].w[s].off >= 0
                && __builtin_add_overflow(p->state_len, layers[l].w[s].len, &p->state_len)) {
                diag->field = "mm_len";
                return fail(p, status, CNN_ERR_ARG);
            }
    p->state_saved = zalloc((size_t)p->state_len, sizeof(float), &failed);
    p->dup = zalloc((size_t)nlayers, 1, &failed);
    p->wants = zalloc((size_t)nlayers, 1, &failed);
    if (failed || (p->graph && !cnn_graph_alloc(p))) return fail(p, status, CNN_ERR_NOMEM);
    for (int l = 0; l < nlayers; l++) p->dup[l] = shares_weights(layers, l);
    for (int l = 0; l < nlayers; l++) p->wants[l] = (unsigned char)wants_gradient(p, l); /* sources first */
    for (int l = 0; l < nlayers; l++) p->bufs[l].work = p->work;
    *status = CNN_OK;
    return p;
}

void cnn_plan_free(cnn_plan *p)
{
    if (!p) return;
    for (int l = 0; l < p->nlayers; l++) {
        if (p->ops && p->ops[l] && p->ops[l]->release) p->ops[l]->release(&p->layers[l]);
        if (p->bufs) {
            free(p->bufs[l].out);
            free(p->bufs[l].scratch);
            free(p->bufs[l].mask);
            free(p->bufs[l].cache);
        }
    }
    free(p->layers);
    free(p->ops);
    free(p->bufs);
    free(p->out);
    free(p->grads);
    free(p->grad_a);
    free(p->grad_b);
    free(p->xbatch);
    free(p->ybatch);
    free(p->wbatch);
    free(p->wrows);
    free(p->per_row);
    free(p->work);
    free(p->state_saved);
    free(p->dup);
    free(p->wants);
    cnn_graph_free(p);
    free(p);
}

long cnn_plan_batch_max(const cnn_plan *p) { return p->batch_max; }
int cnn_plan_weight_cols(const cnn_plan *p) { return p->graph ? p->graph->nheads : 1; }

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

long cnn_plan_state_size(const cnn_plan *p)
{ return p->metric_off[p->nmetrics] + (p->graph && p->graph->nheads > 1 ? p->graph->nheads : 0); }

long cnn_plan_output_loss_offset(const cnn_plan *p, int k)
{
    if (!p->graph || p->graph->nheads < 2 || k < 0 || k >= p->graph->nheads) return -1;
    return p->metric_off[p->nmetrics] + k;
}

long cnn_plan_state_offset(const cnn_plan *p, int k)
{ return k >= 0 && k <= p->nmetrics ? p->metric_off[k] : -1; }

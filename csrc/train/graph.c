/* graph.c - runs a graph plan: layers fed by any earlier layers or model inputs (merge kinds take
 * several), several model inputs and outputs (each with its loss, weight and metrics). A chain never
 * comes here (train.c keeps its ping-pong path).
 *
 * Backward walks the layers from last to first; layer l's gradient gbuf[l] is the sum of what its
 * consumers send, in that fixed order (the first contribution is written, the others added), so the
 * result does not depend on the thread count. A unary layer's dx goes straight into its source's
 * buffer when it is the first to arrive; a ReLU below is folded into the dx GEMM (the chain's mask
 * fusion) only when that layer has this one consumer. */
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"

static int has_penalty(float l1, float l2) { return l1 != 0 || l2 != 0; }
static int source_of(const cnn_layer *L, int l, int i) { return L->ninputs ? L->inputs[i] : l - 1; }
static int ninputs_of(const cnn_layer *L) { return L->ninputs ? L->ninputs : 1; }

static void *zalloc(size_t n, size_t size, int *failed)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) *failed = 1;
    return p;
}

int cnn_graph_alloc(cnn_plan *p)
{
    cnn_graph *g = p->graph;
    int failed = 0, n = p->nlayers;
    g->gbuf = zalloc((size_t)n, sizeof(float *), &failed);
    g->gset = zalloc((size_t)n, 1, &failed);
    g->gdz = zalloc((size_t)n, 1, &failed);
    g->consumers = zalloc((size_t)n, sizeof(int), &failed);
    if (failed) return 0;
    long widest = 1;
    for (int l = 0; l < n; l++) {
        const cnn_layer *L = &p->layers[l];
        for (int i = 0; i < ninputs_of(L); i++) {
            int src = source_of(L, l, i);
            if (src >= 0) g->consumers[src]++;
        }
        long out = cnn_layer_out_size(L), in = cnn_layer_in_size(L);
        if (out > widest) widest = out;
        if (in > widest) widest = in;
        g->gbuf[l] = zalloc((size_t)(p->batch_max * out), sizeof(float), &failed);
    }
    for (int k = 0; k < g->ninputs; k++) {
        if (g->in_size[k] > widest) widest = g->in_size[k];
        g->xin[k] = g->ninputs == 1 ? p->xbatch
                                    : zalloc((size_t)(p->batch_max * g->in_size[k]), sizeof(float), &failed);
    }
    for (int k = 0; k < g->nheads; k++) g->consumers[g->heads[k].layer]++;
    for (int k = 0; k < g->nheads; k++) {
        cnn_head *h = &g->heads[k];
        g->yhead[k] = zalloc((size_t)(p->batch_max * h->y_size), sizeof(float), &failed);
        /* the loss takes over the final activation only when nothing else reads that output */
        h->fused_act = g->consumers[h->layer] == 1
                           ? cnn_plan_fusable(&p->layers[h->layer], p->ops[h->layer], &h->loss)
                           : CNN_ACT_LINEAR;
    }
    g->gx = zalloc((size_t)(p->batch_max * widest), sizeof(float), &failed);
    return !failed;
}

void cnn_graph_free(cnn_plan *p)
{
    cnn_graph *g = p->graph;
    if (!g) return;
    for (int l = 0; g->gbuf && l < p->nlayers; l++) free(g->gbuf[l]);
    for (int k = 0; g->ninputs > 1 && k < g->ninputs; k++) free(g->xin[k]);
    for (int k = 0; k < g->nheads; k++) free(g->yhead[k]);
    free(g->gbuf);
    free(g->gset);
    free(g->gdz);
    free(g->consumers);
    free(g->gx);
    free(g);
    p->graph = NULL;
}

/* The model inputs of rows [start, start + nb) of X: one float32 input is read in place, several
 * inputs (or uint8 data) are split (converted) into their buffers. */
void cnn_graph_load_inputs(cnn_plan *p, cnn_xdata X, long start, long nb)
{
    cnn_graph *g = p->graph;
    if (g->ninputs == 1 && X.type == CNN_X_F32) {
        g->xcur[0] = (const float *)X.data + start * p->in_size;
        return;
    }
    for (int k = 0; k < g->ninputs; k++) {
        for (long i = 0; i < nb; i++)
            cnn_x_load(g->xin[k] + i * g->in_size[k], X, (start + i) * p->in_size + g->in_off[k],
                       g->in_size[k]);
        g->xcur[k] = g->xin[k];
    }
}

static cnn_layer_ctx ctx_of(cnn_plan *p, int l, long nb)
{
    cnn_layer_ctx c = {&p->layers[l], &p->bufs[l], p->params, p->grads, nb, l};
    return c;
}

/* Layer l's sources: their outputs (or the model inputs) and shapes; returns how many. */
static int sources(cnn_plan *p, int l, const float **xs, const cnn_shape **shapes)
{
    const cnn_layer *L = &p->layers[l];
    int n = ninputs_of(L);
    for (int i = 0; i < n; i++) {
        int src = source_of(L, l, i);
        xs[i] = src >= 0 ? p->out[src] : p->graph->xcur[-1 - src];
        shapes[i] = src >= 0 ? &p->layers[src].out : &p->graph->in_shape[-1 - src];
    }
    return n;
}

int cnn_graph_forward(cnn_plan *p, long nb, int training, long iteration)
{
    const float *xs[CNN_MAX_INPUTS];
    const cnn_shape *shapes[CNN_MAX_INPUTS];
    /* a layer called with training=True runs so in inference passes too (Monte Carlo dropout): each such
     * pass draws new streams, keyed by a count of the plan's inference passes below zero (steps are >= 0) */
    long it = training ? iteration : -1 - p->graph->inference_passes++;
    for (int l = 0; l < p->nlayers; l++) {
        cnn_layer_ctx c = ctx_of(p, l, nb);
        int n = sources(p, l, xs, shapes);
        p->out[l] = p->ops[l]->forward_n
                        ? p->ops[l]->forward_n(&c, xs, shapes, n)
                        : p->ops[l]->forward(&c, xs[0], cnn_layer_training(c.L, training), it);
        if (cnn_interrupted()) return 1;
    }
    return 0;
}

/* Per-row weights of output k from the per-sample weights (sw[i * nheads + k]; NULL: all ones). */
static const float *head_row_weights(cnn_plan *p, int k, const float *sw, long nb)
{
    if (!sw) return NULL;
    const cnn_head *h = &p->graph->heads[k];
    long per = h->out_size / h->out_cols, cols = p->graph->nheads;
    for (long i = 0; i < nb; i++)
        for (long r = 0; r < per; r++) p->wrows[i * per + r] = sw[i * cols + k];
    return p->wrows;
}

/* Total loss (sum of weight * each output's mean loss) of a batch; metrics and per-output losses go
 * into s. Y rows hold every output's targets; they are split into each output's buffer here. */
double cnn_graph_loss(cnn_plan *p, const float *Y, const float *SW, long nb, cnn_sums *s)
{
    cnn_graph *g = p->graph;
    double total = 0.0;
    for (int k = 0; k < g->nheads; k++) {
        const cnn_head *h = &g->heads[k];
        for (long i = 0; i < nb; i++)
            memcpy(g->yhead[k] + i * h->y_size, Y + i * g->y_total + h->y_off, sizeof(float) * h->y_size);
        const float *pred = p->out[h->layer], *wrows = head_row_weights(p, k, SW, nb);
        long rows = nb * (h->out_size / h->out_cols);
        cnn_loss_forward(p->per_row, pred, g->yhead[k], rows, h->out_cols, &h->loss);
        double sum = 0.0;
        for (long r = 0; r < rows; r++) sum += wrows ? wrows[r] * p->per_row[r] : p->per_row[r];
        double loss = sum / (double)rows;
        total += h->weight == 1.0f ? loss : (double)h->weight * loss;
        if (g->nheads > 1) s->state[p->metric_off[p->nmetrics] + k] += (double)nb * loss;
        for (int m = h->m0; m < h->m1; m++)
            cnn_metric_update(s->state + p->metric_off[m], pred, g->yhead[k],
                              p->metrics[m].weighted ? wrows : NULL, rows, h->out_cols, &p->metrics[m]);
    }
    return total;
}

static void add_into(float *dst, const float *src, long n)
{
    for (long i = 0; i < n; i++) dst[i] += src[i];
}

/* Sends dx (layer l's dL/d(input), n floats) to its source's gradient: written if first, else added. */
static void send(cnn_graph *g, int src, const float *dx, long n, int masked)
{
    if (!g->gset[src]) {
        if (dx != g->gbuf[src]) memcpy(g->gbuf[src], dx, sizeof(float) * n);
        g->gset[src] = 1;
        g->gdz[src] = (unsigned char)masked;
    } else {
        add_into(g->gbuf[src], dx, n);
    }
}

/* dL/dy of each output from its loss, into its layer's gradient. */
static void loss_gradients(cnn_plan *p, const float *SW, long nb)
{
    cnn_graph *g = p->graph;
    for (int k = 0; k < g->nheads; k++) {
        const cnn_head *h = &g->heads[k];
        int j = h->layer;
        long rows = nb * (h->out_size / h->out_cols);
        float *dst = g->gset[j] ? g->gx : g->gbuf[j];
        cnn_loss_backward(dst, p->out[j], g->yhead[k], head_row_weights(p, k, SW, nb), rows, h->out_cols,
                          (float)((double)h->weight / (double)rows), h->fused_act, &h->loss);
        send(g, j, dst, nb * h->out_size, h->fused_act != CNN_ACT_LINEAR);
    }
}

/* A unary layer's backward; its dx goes to its source. */
static void backward_unary(cnn_plan *p, int l, long nb)
{
    cnn_graph *g = p->graph;
    const cnn_layer *L = &p->layers[l];
    int src = source_of(L, l, 0), need_dx = src >= 0 && p->wants[src];
    const float *in = src >= 0 ? p->out[src] : g->xcur[-1 - src];
    const float *mask = NULL;
    if (need_dx && g->consumers[src] == 1 && p->ops[src]->relu_output
        && p->ops[src]->relu_output(&p->layers[src])
        && !has_penalty(p->layers[src].activity_l1, p->layers[src].activity_l2))
        mask = p->out[src];
    float *target = need_dx && !g->gset[src] ? g->gbuf[src] : g->gx;
    int masked = 0;
    cnn_layer_ctx c = ctx_of(p, l, nb);
    float *dx = p->ops[l]->backward(&c, g->gbuf[l], target, in, p->out[l], g->gdz[l], need_dx, mask, &masked);
    if (need_dx) send(g, src, dx, nb * cnn_layer_in_size(L), masked);
}

/* A merge layer's backward: each input's gradient straight into its source's buffer. */
static void backward_merge(cnn_plan *p, int l, long nb)
{
    cnn_graph *g = p->graph;
    const cnn_layer *L = &p->layers[l];
    const float *xs[CNN_MAX_INPUTS];
    const cnn_shape *shapes[CNN_MAX_INPUTS];
    float *gxs[CNN_MAX_INPUTS];
    int acc[CNN_MAX_INPUTS];
    int n = sources(p, l, xs, shapes);
    for (int i = 0; i < n; i++) {
        int src = source_of(L, l, i);
        int wanted = src >= 0 && p->wants[src];
        gxs[i] = wanted ? g->gbuf[src] : NULL;
        acc[i] = wanted && g->gset[src];
        if (wanted) {
            if (!g->gset[src]) g->gdz[src] = 0;
            g->gset[src] = 1;
        }
    }
    cnn_layer_ctx c = ctx_of(p, l, nb);
    p->ops[l]->backward_n(&c, gxs, acc, g->gbuf[l], xs, shapes, n, p->out[l]);
}

int cnn_graph_backward(cnn_plan *p, const float *SW, long nb)
{
    cnn_graph *g = p->graph;
    memset(g->gset, 0, (size_t)p->nlayers);
    loss_gradients(p, SW, nb);
    for (int l = p->nlayers - 1; l >= 0; l--) {
        if (!g->gset[l] || !p->wants[l]) continue;   /* no output depends on it, or nothing before learns */
        const cnn_layer *L = &p->layers[l];
        if (!g->gdz[l] && has_penalty(L->activity_l1, L->activity_l2))
            cnn_l1l2_grad(g->gbuf[l], p->out[l], nb * cnn_layer_out_size(L), L->activity_l1 / (float)nb,
                          L->activity_l2 / (float)nb);
        if (p->ops[l]->backward_n) backward_merge(p, l, nb);
        else backward_unary(p, l, nb);
        if (cnn_interrupted()) return 1;
    }
    return 0;
}

void cnn_graph_outputs(cnn_plan *p, float *out, long nb)
{
    cnn_graph *g = p->graph;
    long off = 0;
    for (int k = 0; k < g->nheads; k++) {
        const cnn_head *h = &g->heads[k];
        for (long i = 0; i < nb; i++)
            memcpy(out + i * p->out_size + off, p->out[h->layer] + i * h->out_size,
                   sizeof(float) * h->out_size);
        off += h->out_size;
    }
}

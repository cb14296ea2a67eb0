/* merge.c - the element-wise merge kind (Keras's Add, Subtract, Multiply, Average, Maximum, Minimum):
 * y = x0 op x1 op ... over inputs of one shape, folded left to right as Keras does. Backward follows
 * that fold as autograd would (the torch backend's rules: a tie of maximum or minimum sends half the
 * gradient to each side). */
#include <stddef.h>
#include <string.h>

#include "layer.h"

enum { OP_ADD, OP_SUBTRACT, OP_MULTIPLY, OP_AVERAGE, OP_MAXIMUM, OP_MINIMUM, OP_COUNT };
static const char *const op_names[] = {"add", "subtract", "multiply", "average", "maximum", "minimum"};
static const cnn_enum_desc merge_ops = {"merge_op", OP_COUNT, op_names};

typedef struct {
    int op;
} merge_params;
static const cnn_field merge_fields[] = {
    {"op", CNN_FIELD_ENUM, offsetof(merge_params, op), 0, 0, 0, &merge_ops, 0, 0, 1},
};
static const cnn_record_desc merge_desc = {"merge", sizeof(merge_params), 1, merge_fields, NULL};

static int op_of(const cnn_layer *L) { return CNN_LAYER_PARAMS(L, const merge_params)->op; }

static const char *merge_check(const cnn_layer *L)
{
    const char *bad = cnn_layer_check_same(L);
    return bad ? bad : cnn_layer_check_no_weights(L);
}

static const char *merge_check_n(const cnn_layer *L, const cnn_shape *const *in, int n)
{
    if (op_of(L) == OP_SUBTRACT && n != 2) return "inputs";
    for (int i = 0; i < n; i++) {
        if (in[i]->ndim != L->in.ndim) return "in_shape";
        for (int d = 0; d < L->in.ndim; d++)
            if (in[i]->dim[d] != L->in.dim[d]) return "in_shape";
    }
    return NULL;
}

static void merge_sizes(const cnn_layer *L, cnn_layer_sizes *s) { s->out = cnn_layer_out_size(L); }

static float fold(int op, float a, float b)
{
    switch (op) {
    case OP_SUBTRACT: return a - b;
    case OP_MULTIPLY: return a * b;
    case OP_MAXIMUM: return a > b ? a : b;   /* NaN-free inputs assumed, as the kernels do elsewhere */
    case OP_MINIMUM: return a < b ? a : b;
    default: return a + b;   /* add, average (divided at the end) */
    }
}

static const float *merge_forward(const cnn_layer_ctx *c, const float *const *xs, const cnn_shape *const *in,
                                  int n)
{
    long size = c->nb * cnn_layer_out_size(c->L);
    int op = op_of(c->L);
    float *y = c->B->out;
    memcpy(y, xs[0], sizeof(float) * size);
    for (int i = 1; i < n; i++)
        for (long e = 0; e < size; e++) y[e] = fold(op, y[e], xs[i][e]);
    if (op == OP_AVERAGE)
        for (long e = 0; e < size; e++) y[e] = y[e] / (float)n;
    return y;
}

/* The share of the gradient of f = fold(a, b) that goes to a (side 0) or b (side 1). */
static float partial(int op, float a, float b, int side)
{
    switch (op) {
    case OP_SUBTRACT: return side ? -1.0f : 1.0f;
    case OP_MULTIPLY: return side ? a : b;
    case OP_MAXIMUM: return a == b ? 0.5f : (a > b) == !side ? 1.0f : 0.0f;
    case OP_MINIMUM: return a == b ? 0.5f : (a < b) == !side ? 1.0f : 0.0f;
    default: return 1.0f;
    }
}

/* dL/dx_i at element e: the gradient walks the fold back from its last step to input i. */
static float grad_of(int op, const float *const *xs, int n, long e, float g, int i)
{
    float prefix[CNN_MAX_INPUTS];
    prefix[0] = xs[0][e];
    for (int k = 1; k < n; k++) prefix[k] = fold(op, prefix[k - 1], xs[k][e]);
    for (int k = n - 1; k >= 1; k--) {
        float a = prefix[k - 1], b = xs[k][e];
        if (k == i) return op == OP_MULTIPLY ? g * a : g * partial(op, a, b, 1);
        g = op == OP_MULTIPLY ? g * b : g * partial(op, a, b, 0);
    }
    return g;
}

static void merge_backward(const cnn_layer_ctx *c, float *const *gxs, const int *acc, const float *g,
                           const float *const *xs, const cnn_shape *const *in, int n, const float *y)
{
    long size = c->nb * cnn_layer_out_size(c->L);
    int op = op_of(c->L);
    for (int i = 0; i < n; i++) {
        float *gx = gxs[i];
        if (!gx) continue;
        for (long e = 0; e < size; e++) {
            float ge = op == OP_AVERAGE ? g[e] / (float)n : g[e];
            float d = op == OP_ADD || op == OP_AVERAGE ? ge : grad_of(op, xs, n, e, ge, i);
            gx[e] = acc[i] ? gx[e] + d : d;
        }
    }
}

const cnn_layer_ops cnn_layer_merge = {
    .name = "merge",
    .params = &merge_desc,
    .check = merge_check,
    .sizes = merge_sizes,
    .check_n = merge_check_n,
    .forward_n = merge_forward,
    .backward_n = merge_backward,
};

/* activations.c - Keras 3 activations and their gradients (the "activations" section of cnn.h).
 *
 * Forward formulas are keras/src/activations/activations.py.
 * Gradients are what torch autograd gives for the same formula, kinks included: relu'(0) = 0;
 * a clip passes the gradient on its closed interval (torch.clamp); relu6 (TF's Relu6Grad and
 * torch's hardtanh) passes it only on the open interval (0, 6); leaky_relu'(0) = slope,
 * elu'(0) = alpha (x <= 0 branch). All maths in float except softmax's row sums (double).
 * NaN: relu-like clips send NaN to 0 like the GEMM's fused ReLU (v > 0 ? v : 0); others keep it.
 *
 * Speed: the element loops (activations_loops.h) are branch-free with the math inlined, so they
 * vectorize; they are compiled twice, portable and AVX2, and picked by cnn_get_isa(). The two
 * give the same bits (no FMA, the same IEEE operations in the same order).
 */
#include "cnn.h"
#include "mathf_inline.h"
#include "parallel.h"

#define SELU_ALPHA 1.67326324235437728481f
#define SELU_SCALE 1.05070098735548049342f
#define INV_SQRT2 0.70710678118654752440f
#define INV_SQRT_2PI 0.39894228040143267794f
#define SQRT_2_OVER_PI 0.79788456080286535588f
#define GELU_C 0.044715f
#define ACT_GRAIN 32768L   /* cheap elements per chunk on the pool (about 10 us) */

/* How a RELU record computes, following keras.activations.relu:
 *   x = (threshold != 0) ? (x > t ? x : 0) : (max_value == 6 ? relu6(x) : relu(x));
 *   x = clip(x, 0, max_value) unless max_value is None or relu6 did it;
 *   x -= negative_slope * relu(t - x)   (only when negative_slope != 0);
 * and negative_slope != 0 with no max_value and no threshold is leaky_relu. */
enum { RELU_PLAIN, RELU_SIX, RELU_LEAKY, RELU_GENERAL };

static int relu_mode(const cnn_act *a)
{
    int clip = a->max_value != INFINITY;
    if (a->alpha != 0.0f && !clip && a->threshold == 0.0f) return RELU_LEAKY;
    if (a->alpha != 0.0f || a->threshold != 0.0f) return RELU_GENERAL;
    return !clip ? RELU_PLAIN : a->max_value == 6.0f ? RELU_SIX : RELU_GENERAL;
}

/* The element loops, once portable and once for AVX2. */
#define LOOPS_TARGET
#define LOOPS(name) name##_port
#include "activations_loops.h"
#undef LOOPS_TARGET
#undef LOOPS

#if defined(__x86_64__) || defined(__i386__)
#define HAVE_AVX2_LOOPS 1
#define LOOPS_TARGET __attribute__((target("avx2")))
#define LOOPS(name) name##_avx2
#include "activations_loops.h"
#undef LOOPS_TARGET
#undef LOOPS
#endif

static void softmax_rows(float *y, const float *x, long rows, long cols, int avx2)
{
    if (cols < 16) {  /* short rows (a few classes): one vector exp pass over the whole batch */
        static const cnn_act expo = {CNN_ACT_EXPONENTIAL, 0.0f, INFINITY, 0.0f};
        for (long r = 0; r < rows; r++) {
            const float *xr = x + r * cols;
            float *yr = y + r * cols, m = xr[0];
            for (long j = 1; j < cols; j++) m = cnnm_sel(xr[j] > m, xr[j], m); /* no branch to mispredict */
            for (long j = 0; j < cols; j++) yr[j] = xr[j] - m;
        }
        cnn_act_forward(y, y, 1, rows * cols, &expo);  /* the same exp of the same x - m */
        for (long r = 0; r < rows; r++) {
            float *yr = y + r * cols;
            double s = 0.0;
            for (long j = 0; j < cols; j++) s += yr[j];
            for (long j = 0; j < cols; j++) yr[j] = (float)(yr[j] / s);
        }
        return;
    }
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        float *yr = y + r * cols;
        float m = xr[0];
        for (long j = 1; j < cols; j++) m = cnnm_sel(xr[j] > m, xr[j], m); /* no branch to mispredict */
        double s;
#ifdef HAVE_AVX2_LOOPS
        if (avx2) s = softmax_exp_avx2(yr, xr, m, cols);
        else
#endif
            s = softmax_exp_port(yr, xr, m, cols);
        for (long j = 0; j < cols; j++) yr[j] = (float)(yr[j] / s);
    }
}

/* Work per element in units of a cheap one (a compare, a multiply): kinds built on exp, log or
 * tanh cost about ten. */
static long element_cost(int kind)
{
    switch (kind) {
    case CNN_ACT_LINEAR:
    case CNN_ACT_RELU:
    case CNN_ACT_RELU6:
    case CNN_ACT_LEAKY_RELU:
    case CNN_ACT_HARD_SIGMOID:
    case CNN_ACT_SOFTSIGN:
    case CNN_ACT_STEP:
    case CNN_ACT_HARD_SILU: return 1;
    default: return 10;
    }
}

/* One job for both directions; chunks are ranges of elements, or of rows for softmax. */
typedef struct {
    float *out;
    const float *in, *x, *y;
    long cols;
    const cnn_act *a;
    int mode, avx2;
} act_job;

static void forward_chunk(void *ctx, long lo, long hi)
{
    const act_job *j = ctx;
    if (j->a->kind == CNN_ACT_SOFTMAX) {
        softmax_rows(j->out + lo * j->cols, j->in + lo * j->cols, hi - lo, j->cols, j->avx2);
        return;
    }
#ifdef HAVE_AVX2_LOOPS
    if (j->avx2) {
        forward_avx2(j->out + lo, j->in + lo, hi - lo, j->a, j->mode);
        return;
    }
#endif
    forward_port(j->out + lo, j->in + lo, hi - lo, j->a, j->mode);
}

static void backward_chunk(void *ctx, long lo, long hi)
{
    const act_job *j = ctx;
    if (j->a->kind == CNN_ACT_SOFTMAX) {   /* dx = y * (dy - sum(dy * y)) per row */
        for (long r = lo; r < hi; r++) {
            const float *dyr = j->in + r * j->cols, *yr = j->y + r * j->cols;
            float *dxr = j->out + r * j->cols;
            double s = 0.0;
            for (long c = 0; c < j->cols; c++) s += (double)dyr[c] * yr[c];
            for (long c = 0; c < j->cols; c++) dxr[c] = (float)(yr[c] * ((double)dyr[c] - s));
        }
        return;
    }
    const float *x = j->x ? j->x + lo : NULL, *y = j->y ? j->y + lo : NULL;
#ifdef HAVE_AVX2_LOOPS
    if (j->avx2) {
        backward_avx2(j->out + lo, j->in + lo, x, y, hi - lo, j->a, j->mode);
        return;
    }
#endif
    backward_port(j->out + lo, j->in + lo, x, y, hi - lo, j->a, j->mode);
}

/* Every element (softmax: every row) is computed alone, so any split gives the same bits. */
static void run(cnn_range_fn fn, act_job *j, long rows)
{
    if (j->a->kind == CNN_ACT_SOFTMAX) cnn_parallel_range(rows, ACT_GRAIN / (10 * j->cols) + 1, 1, fn, j);
    else cnn_parallel_range(rows * j->cols, ACT_GRAIN / element_cost(j->a->kind), 16, fn, j);
}

void cnn_act_forward(float *y, const float *x, long rows, long cols, const cnn_act *a)
{
    CNN_ASSERT(a && rows >= 0 && cols >= 0 && (rows == 0 || cols == 0 || (y && x)));
    if (rows <= 0 || cols <= 0) return;   /* nothing to do (softmax would read a row's first element) */
    act_job j = {y, x, NULL, NULL, cols, a, relu_mode(a), cnn_get_isa() >= 1};
    run(forward_chunk, &j, rows);
}

void cnn_act_backward(float *dx, const float *dy, const float *x, const float *y, long rows, long cols,
                      const cnn_act *a)
{
    CNN_ASSERT(a && rows >= 0 && cols >= 0 && (rows == 0 || cols == 0 || (dx && dy)));
    CNN_ASSERT(rows == 0 || cols == 0 || ((x || !cnn_act_needs_input(a)) && (y || !cnn_act_needs_output(a))));
    if (rows <= 0 || cols <= 0) return;
    act_job j = {dx, dy, x, y, cols, a, relu_mode(a), cnn_get_isa() >= 1};
    run(backward_chunk, &j, rows);
}

static void relu_mask_chunk(void *ctx, long lo, long hi)
{
    const act_job *j = ctx;
    float *g = j->out;
    for (long i = lo; i < hi; i++) g[i] = j->y[i] > 0 ? g[i] : 0.0f;
}

void cnn_relu_mask(float *g, const float *y, long n)
{
    CNN_ASSERT(n <= 0 || (g && y));
    act_job j = {g, NULL, NULL, y, 0, NULL, 0, 0};
    cnn_parallel_range(n, ACT_GRAIN, 16, relu_mask_chunk, &j);
}

int cnn_act_needs_input(const cnn_act *a)
{
    switch (a->kind) {
    case CNN_ACT_LINEAR:
    case CNN_ACT_STEP:
    case CNN_ACT_SIGMOID:
    case CNN_ACT_TANH:
    case CNN_ACT_EXPONENTIAL:
    case CNN_ACT_SOFTMAX:
    case CNN_ACT_RELU6: return 0;
    case CNN_ACT_RELU: {
        int mode = relu_mode(a);
        return mode != RELU_PLAIN && mode != RELU_SIX;
    }
    default: return 1;
    }
}

int cnn_act_needs_output(const cnn_act *a)
{
    switch (a->kind) {
    case CNN_ACT_SIGMOID:
    case CNN_ACT_TANH:
    case CNN_ACT_EXPONENTIAL:
    case CNN_ACT_SOFTMAX:
    case CNN_ACT_RELU6: return 1;
    case CNN_ACT_RELU: {
        int mode = relu_mode(a);
        return mode == RELU_PLAIN || mode == RELU_SIX;
    }
    default: return 0;
    }
}

/* optim.c - optimizer updates: Keras 3's update rules (keras/src/optimizers/) on flat buffers.
 *
 * Every element is one fixed chain of float32 operations, in the order Keras 3's torch backend
 * runs them (keras/src/backend/torch/optimizers/torch_*.py; Ftrl has no torch version and follows
 * keras/src/optimizers/ftrl.py). Constants are what Keras feeds those operations:
 *  - Python floats (beta_1, rho, epsilon, ...) rounded to float32;
 *  - 1 - beta computed in double from the Python value, then rounded (the record's one_minus_*
 *    fields; 0 there means "derive it from the float field");
 *  - per-step scalars (bias corrections, Nadam's schedule) in float32, with b^t for integer t by
 *    repeated squaring in double rounded once (Keras: torch.pow on float32, correctly rounded
 *    but for the rarest near-ties).
 * Keras-on-torch evaluates `x.add_(y, alpha=a)` as a fused multiply-add; this file rounds the
 * product first (no FMA outside GEMM), so against it an element can differ by an ulp per such op.
 *
 * Decoupled weight decay (K3's `weight_decay`, AdamW) runs first, as Keras does before
 * update_step: p = p * (1 - wd * lr), the factor rounded in float32 (torch backend).
 */
#include <math.h>   /* sqrtf only: an IEEE correctly rounded instruction with -fno-math-errno */
#include "cnn.h"
#include "parallel.h"
#include "portable.h"

#define PAR_GRAIN 8192L   /* elements per chunk when the step is split over the pool */

/* b^t for integer t >= 0 (relative error < 2^-47 before the final rounding). */
static float powi(float b, long t)
{
    double r = 1.0, x = b;
    unsigned long e = t > 0 ? (unsigned long)t : 0;
    while (e) {
        if (e & 1) r *= x;
        x *= x;
        e >>= 1;
    }
    return (float)r;
}

/* (float)(1 - beta) as the record gives it, else derived from the float beta. */
static float comp(float given, float beta) { return given != 0.0f ? given : (float)(1.0 - (double)beta); }

/* max that propagates NaN from either side, like torch.maximum. */
static inline float nanmax(float a, float b) { return (a >= b || a != a) ? a : b; }

/* x^e for x >= 0, e >= 0 (Ftrl's accumulator power). */
static float powf_pos(float x, float e)
{
    if (e == 0.5f) return sqrtf(x);
    if (e == 0.0f) return 1.0f;
    if (e == 1.0f) return x;
    return cnn_expf(e * cnn_logf(x));
}

int cnn_opt_slot_count(const cnn_opt *o)
{
    switch (o->kind) {
    case CNN_OPT_SGD: return o->momentum != 0.0f;
    case CNN_OPT_ADAM: return 2 + (o->amsgrad != 0);
    case CNN_OPT_RMSPROP: return 1 + (o->momentum > 0.0f) + (o->centered != 0);
    case CNN_OPT_ADAGRAD: return 1;
    case CNN_OPT_ADADELTA: return 2;
    case CNN_OPT_ADAMAX: return 2;
    case CNN_OPT_NADAM: return 2;
    case CNN_OPT_LION: return 1;
    case CNN_OPT_FTRL: return 2;
    default: return 0;
    }
}

int cnn_opt_state_count(const cnn_opt *o) { return o->kind == CNN_OPT_NADAM ? 1 : 0; }

void cnn_opt_init_slots(float *slots, long n, const cnn_opt *o)
{
    CNN_ASSERT(o && n >= 0);   /* the binding checks that the total does not overflow (slots_needed) */
    long total = (long)cnn_opt_slot_count(o) * n + cnn_opt_state_count(o);
    CNN_ASSERT(total == 0 || slots);
    for (long i = 0; i < total; i++) slots[i] = 0.0f;
    if (o->kind == CNN_OPT_ADAGRAD || o->kind == CNN_OPT_FTRL)   /* the accumulator: slot 0 */
        for (long i = 0; i < n; i++) slots[i] = o->initial_accumulator_value;
    if (o->kind == CNN_OPT_NADAM) slots[2 * n] = 1.0f;           /* u_product starts at 1 */
}

/* Everything one call needs; kernels work on [lo, hi) so the pool can split the range. */
typedef struct {
    float *p;
    float *s0, *s1, *s2;          /* slots 0, 1, 2 (full buffers, indexed like p) */
    const float *g;
    const cnn_opt *o;
    float lr, wdf;                /* wdf = 1 - wd * lr, or 1 */
    float a, b, c, d, e;          /* per-step scalars, meaning per kind */
} step_ctx;

typedef void (*kernel_fn)(const step_ctx *, long, long);

/* The loops, portable, for AVX2 and for AVX-512 (picked by cnn_get_isa(): the same bits). */
#define LOOPS_TARGET
#define LOOPS(name) name##_port
#include "optim_loops.h"
#undef LOOPS_TARGET
#undef LOOPS
#ifdef CNN_X86
#define LOOPS_TARGET CNN_TARGET("avx2")
#define LOOPS(name) name##_avx2
#include "optim_loops.h"
#undef LOOPS_TARGET
#undef LOOPS
#define LOOPS_TARGET CNN_TARGET("avx512f,avx512vl,avx512dq")
#define LOOPS(name) name##_avx512
#include "optim_loops.h"
#undef LOOPS_TARGET
#undef LOOPS
#endif

static const kernel_fn *kernel_table(void)
{
#ifdef CNN_X86
    switch (cnn_get_isa()) {
    case 2: return kernels_avx512;
    case 1: return kernels_avx2;
    default: break;
    }
#endif
    return kernels_port;
}
typedef struct {
    const step_ctx *k;
    kernel_fn fn;
    long n;
} par_ctx;

static void par_task(void *ctx, long lo, long hi)
{
    const par_ctx *c = ctx;
    c->fn(c->k, lo, hi);
}

void cnn_opt_step(float *params, float *slots, const float *grads, long n, const cnn_opt *o, long t, float lr)
{
    if (n <= 0 || o->kind < 0 || o->kind >= CNN_OPT_COUNT) return;
    CNN_ASSERT(params && grads && t >= 1);
    if (o->kind == CNN_OPT_PYTHON) {   /* the host's update_step; weight decay is its own business */
        cnn_host_call call = {CNN_HOST_OPT_STEP, 0, 1, t - 1, lr, 2, {{0}}};
        call.a[0] = cnn_host_f32(params, 1, n);
        call.a[1] = cnn_host_f32((float *)grads, 1, n);
        cnn_host_run(&call);
        return;
    }
    CNN_ASSERT(slots);   /* the Python optimizer has none: its slots array may be empty */
    step_ctx k = {params, slots, slots + n, slots + 2 * n, grads, o, lr, 1.0f, 0, 0, 0, 0, 0};
    if (o->weight_decay != 0.0f) {
        float wl = o->weight_decay * lr;
        k.wdf = 1.0f - wl;
    }
    long ts = (long)(float)t;   /* Keras casts iterations + 1 to float32 */
    switch (o->kind) {
    case CNN_OPT_ADAM: {
        float b1p = powi(o->beta_1, ts), b2p = powi(o->beta_2, ts);
        float r = sqrtf(1.0f - b2p);
        float a = lr * r;
        k.a = a / (1.0f - b1p);
        k.b = comp(o->one_minus_beta_1, o->beta_1);
        k.c = comp(o->one_minus_beta_2, o->beta_2);
        break;
    }
    case CNN_OPT_RMSPROP:
    case CNN_OPT_ADADELTA: k.b = comp(o->one_minus_rho, o->rho); break;
    case CNN_OPT_ADAMAX:
        k.a = 1.0f - powi(o->beta_1, ts);
        k.b = comp(o->one_minus_beta_1, o->beta_1);
        break;
    case CNN_OPT_NADAM: {
        /* u_t = beta_1 * (1 - 0.5 * 0.96^t); the running product lives after the slots. */
        long ts1 = (long)(float)(t + 1);
        float h0 = 0.5f * powi(0.96f, ts), h1 = 0.5f * powi(0.96f, ts1);
        float ut = o->beta_1 * (1.0f - h0), ut1 = o->beta_1 * (1.0f - h1);
        float *prod = slots + 2 * n;
        float pt = *prod * ut;
        float pt1 = pt * ut1;
        *prod = pt;
        k.a = ut1;
        k.b = 1.0f - pt1;
        k.c = 1.0f - ut;
        k.d = 1.0f - pt;
        k.e = 1.0f - powi(o->beta_2, ts);
        break;
    }
    case CNN_OPT_LION:
        k.b = comp(o->one_minus_beta_1, o->beta_1);
        k.c = comp(o->one_minus_beta_2, o->beta_2);
        break;
    case CNN_OPT_FTRL: {
        float two_lr = 2.0f * lr;
        float l2_reg = o->l2 + o->beta / two_lr;
        k.a = -o->learning_rate_power;
        k.b = 2.0f * l2_reg;
        k.c = 2.0f * o->l2_shrinkage;
        break;
    }
    default: break;
    }
    kernel_fn fn = kernel_table()[o->kind];
    par_ctx c = {&k, fn, n};
    cnn_parallel_range(n, PAR_GRAIN, 16, par_task, &c);   /* every element alone: any split, same bits */
}

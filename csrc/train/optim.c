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

static void sgd(const step_ctx *k, long lo, long hi)
{
    float *restrict p = k->p, *restrict v = k->s0;
    const float *restrict g = k->g;
    const float lr = k->lr, wdf = k->wdf, mu = k->o->momentum;
    if (mu == 0.0f) {
        for (long i = lo; i < hi; i++) p[i] = p[i] * wdf - lr * g[i];
    } else if (k->o->nesterov) {
        for (long i = lo; i < hi; i++) {
            float m = v[i] * mu - lr * g[i];
            v[i] = m;
            float q = p[i] * wdf - lr * g[i];
            p[i] = q + mu * m;
        }
    } else {
        for (long i = lo; i < hi; i++) {
            float m = v[i] * mu - lr * g[i];
            v[i] = m;
            p[i] = p[i] * wdf + m;
        }
    }
}

/* a = alpha = lr * sqrt(1 - b2^t) / (1 - b1^t); b = 1 - beta_1; c = 1 - beta_2. */
static void adam(const step_ctx *k, long lo, long hi)
{
    float *restrict p = k->p, *restrict m = k->s0, *restrict v = k->s1, *restrict vh = k->s2;
    const float *restrict g = k->g;
    const float wdf = k->wdf, alpha = k->a, c1 = k->b, c2 = k->c;
    const float b1 = k->o->beta_1, b2 = k->o->beta_2, eps = k->o->epsilon;
    if (!k->o->amsgrad) {
        for (long i = lo; i < hi; i++) {
            float gi = g[i];
            float mi = m[i] * b1 + c1 * gi;
            float vi = v[i] * b2 + c2 * (gi * gi);
            m[i] = mi;
            v[i] = vi;
            p[i] = p[i] * wdf - (mi * alpha) / (sqrtf(vi) + eps);
        }
    } else {
        for (long i = lo; i < hi; i++) {
            float gi = g[i];
            float mi = m[i] * b1 + c1 * gi;
            float vi = v[i] * b2 + c2 * (gi * gi);
            float hi_ = nanmax(vh[i], vi);
            m[i] = mi;
            v[i] = vi;
            vh[i] = hi_;
            p[i] = p[i] * wdf - (mi * alpha) / (sqrtf(hi_) + eps);
        }
    }
}

/* Slots: velocity, then momentum (if momentum > 0), then average gradient (if centered).
 * b = 1 - rho. Denominator (v + eps) - ag^2 when centered (torch order). Inlined with constant
 * flags so each variant is a branch-free (vectorisable) loop. */
static inline void rms_loop(const step_ctx *k, long lo, long hi, const int has_mom, const int centered)
{
    const cnn_opt *o = k->o;
    float *restrict p = k->p, *restrict v = k->s0;
    float *restrict mom = k->s1;
    float *restrict ag = has_mom ? k->s2 : k->s1;
    const float *restrict g = k->g;
    const float lr = k->lr, wdf = k->wdf, rho = o->rho, c = k->b, eps = o->epsilon, mu = o->momentum;
    for (long i = lo; i < hi; i++) {
        float gi = g[i];
        float vi = v[i] * rho + c * (gi * gi);
        v[i] = vi;
        float den = vi + eps;
        if (centered) {
            float a = ag[i] * rho + c * gi;
            ag[i] = a;
            den = den - a * a;
        }
        float inc = (gi * lr) / sqrtf(den);
        float pi = p[i] * wdf;
        if (has_mom) {
            float mi = mom[i] * mu + inc;
            mom[i] = mi;
            p[i] = pi - mi;
        } else {
            p[i] = pi - inc;
        }
    }
}

static void rmsprop(const step_ctx *k, long lo, long hi)
{
    int has_mom = k->o->momentum > 0.0f, centered = k->o->centered != 0;
    if (has_mom && centered) rms_loop(k, lo, hi, 1, 1);
    else if (has_mom) rms_loop(k, lo, hi, 1, 0);
    else if (centered) rms_loop(k, lo, hi, 0, 1);
    else rms_loop(k, lo, hi, 0, 0);
}

static void adagrad(const step_ctx *k, long lo, long hi)
{
    float *restrict p = k->p, *restrict acc = k->s0;
    const float *restrict g = k->g;
    const float lr = k->lr, wdf = k->wdf, eps = k->o->epsilon;
    for (long i = lo; i < hi; i++) {
        float gi = g[i];
        float a = acc[i] + gi * gi;
        acc[i] = a;
        p[i] = p[i] * wdf - (gi * lr) / sqrtf(a + eps);
    }
}

/* Slots: accumulated grad, accumulated delta. b = 1 - rho. */
static void adadelta(const step_ctx *k, long lo, long hi)
{
    float *restrict p = k->p, *restrict eg = k->s0, *restrict ed = k->s1;
    const float *restrict g = k->g;
    const float lr = k->lr, wdf = k->wdf, rho = k->o->rho, c = k->b, eps = k->o->epsilon;
    for (long i = lo; i < hi; i++) {
        float gi = g[i];
        float egi = eg[i] * rho + c * (gi * gi);
        eg[i] = egi;
        float edi = ed[i];
        float delta = ((sqrtf(edi + eps) * gi) / sqrtf(egi + eps)) * -1.0f;
        ed[i] = edi * rho + c * (delta * delta);
        p[i] = p[i] * wdf + lr * delta;
    }
}

/* Slots: m, u. a = 1 - beta_1^t; b = 1 - beta_1. */
static void adamax(const step_ctx *k, long lo, long hi)
{
    float *restrict p = k->p, *restrict m = k->s0, *restrict u = k->s1;
    const float *restrict g = k->g;
    const float lr = k->lr, wdf = k->wdf, corr = k->a, c1 = k->b;
    const float b1 = k->o->beta_1, b2 = k->o->beta_2, eps = k->o->epsilon;
    for (long i = lo; i < hi; i++) {
        float gi = g[i];
        float mi = m[i] * b1 + c1 * gi;
        float ui = nanmax(u[i] * b2, fabsf(gi));
        m[i] = mi;
        u[i] = ui;
        p[i] = p[i] * wdf - (mi * lr) / ((ui + eps) * corr);
    }
}

/* Slots: m, v. a = u_{t+1}; b = 1 - Pi_{t+1}; c = 1 - u_t; d = 1 - Pi_t; e = 1 - beta_2^t.
 * The torch backend's 1 - beta constants live in the record. */
static void nadam(const step_ctx *k, long lo, long hi)
{
    float *restrict p = k->p, *restrict m = k->s0, *restrict v = k->s1;
    const float *restrict g = k->g;
    const cnn_opt *o = k->o;
    const float lr = k->lr, wdf = k->wdf, ut1 = k->a, den1 = k->b, one_ut = k->c, den0 = k->d, corr2 = k->e;
    const float b1 = o->beta_1, b2 = o->beta_2, eps = o->epsilon;
    const float c1 = comp(o->one_minus_beta_1, b1), c2 = comp(o->one_minus_beta_2, b2);
    for (long i = lo; i < hi; i++) {
        float gi = g[i];
        float mi = m[i] * b1 + c1 * gi;
        float vi = v[i] * b2 + c2 * (gi * gi);
        m[i] = mi;
        v[i] = vi;
        float mh = (mi * ut1) / den1 + (gi * one_ut) / den0;
        float vh = vi / corr2;
        p[i] = p[i] * wdf - (mh * lr) / (sqrtf(vh) + eps);
    }
}

/* Slot: m. b = 1 - beta_1; c = 1 - beta_2. */
static void lion(const step_ctx *k, long lo, long hi)
{
    float *restrict p = k->p, *restrict m = k->s0;
    const float *restrict g = k->g;
    const float lr = k->lr, wdf = k->wdf, c1 = k->b, c2 = k->c;
    const float b1 = k->o->beta_1, b2 = k->o->beta_2;
    for (long i = lo; i < hi; i++) {
        float gi = g[i], mi = m[i];
        float ct = mi * b1 + c1 * gi;
        float s = (float)((ct > 0.0f) - (ct < 0.0f));   /* torch.sign: 0 for +-0 and NaN */
        p[i] = p[i] * wdf - s * lr;
        m[i] = mi * b2 + c2 * gi;
    }
}

/* Slots: accumulator, linear. a = -learning_rate_power; b = 2 * l2_reg; c = 2 * l2_shrinkage.
 * The default power (-0.5) is a square root: its own loop, branch-free. */
static inline void ftrl_loop(const step_ctx *k, long lo, long hi, const int is_sqrt)
{
    float *restrict p = k->p, *restrict acc = k->s0, *restrict lin = k->s1;
    const float *restrict g = k->g;
    const float lr = k->lr, wdf = k->wdf, e = k->a, two_l2 = k->b, two_l2s = k->c, l1 = k->o->l1;
    for (long i = lo; i < hi; i++) {
        float gi = g[i], pi = p[i] * wdf, ai = acc[i];
        float use = gi + two_l2s * pi;
        float na = ai + gi * gi;
        float pn = is_sqrt ? sqrtf(na) : powf_pos(na, e);
        float po = is_sqrt ? sqrtf(ai) : powf_pos(ai, e);
        float li = lin[i] + (use - ((pn - po) / lr) * pi);
        float quad = pn / lr + two_l2;
        float lc = li < -l1 ? -l1 : (li > l1 ? l1 : li);
        lin[i] = li;
        p[i] = (lc - li) / quad;
        acc[i] = na;
    }
}

static void ftrl(const step_ctx *k, long lo, long hi)
{
    if (k->a == 0.5f) ftrl_loop(k, lo, hi, 1);
    else ftrl_loop(k, lo, hi, 0);
}

typedef void (*kernel_fn)(const step_ctx *, long, long);
static const kernel_fn kernels[CNN_OPT_COUNT] = {
    [CNN_OPT_SGD] = sgd,         [CNN_OPT_ADAM] = adam,         [CNN_OPT_RMSPROP] = rmsprop,
    [CNN_OPT_ADAGRAD] = adagrad, [CNN_OPT_ADADELTA] = adadelta, [CNN_OPT_ADAMAX] = adamax,
    [CNN_OPT_NADAM] = nadam,     [CNN_OPT_LION] = lion,         [CNN_OPT_FTRL] = ftrl,
};

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
    kernel_fn fn = kernels[o->kind];
    par_ctx c = {&k, fn, n};
    cnn_parallel_range(n, PAR_GRAIN, 16, par_task, &c);   /* every element alone: any split, same bits */
}

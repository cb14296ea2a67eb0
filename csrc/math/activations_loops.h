/* activations_loops.h - the element loops of activations.c, included once per instruction set
 * with LOOPS_TARGET (a target attribute or nothing) and LOOPS(name) (the suffixed name).
 * One loop per kind; bodies are branch-free (SEL is a bit-mask select, see cnnm_sel) with the
 * math inlined, so every loop vectorizes. */

#ifndef CNN_ACTIVATIONS_ELEMENTS
#define CNN_ACTIVATIONS_ELEMENTS

/* y may be x (dx may be dy): element i is read before it is written, so the loops are safe to
 * vectorize; this tells GCC so (otherwise in-place calls take its scalar fallback). */
#if defined(__GNUC__) && !defined(__clang__)
#define CNN_IVDEP _Pragma("GCC ivdep")
#else
#define CNN_IVDEP
#endif
#define SEL cnnm_sel
#define FOR_I CNN_IVDEP for (long i = 0; i < n; i++)

static inline float el_sigmoid(float x)      /* never overflows: exp of -|x| only */
{
    float e = cnnm_expf(-cnnm_absf(x));
    return SEL(x >= 0.0f, 1.0f, e) / (1.0f + e);
}

static inline float el_softplus(float x)     /* max(x, 0) + log1p(exp(-|x|)) */
{ return SEL(x > 0.0f, x, 0.0f) + cnnm_log1pf(cnnm_expf(-cnnm_absf(x))); }

static inline float el_relu(float x) { return SEL(x > 0.0f, x, 0.0f); }   /* NaN -> 0 */
static inline float el_relu6(float x) { return SEL(x > 0.0f, SEL(x < 6.0f, x, 6.0f), 0.0f); }
static inline float el_leaky(float x, float s) { return SEL(x > 0.0f, x, s * x); }

static inline float el_hard_sigmoid(float x)
{
    float v = x / 6.0f + 0.5f;
    return SEL(v < 0.0f, 0.0f, SEL(v > 1.0f, 1.0f, v));
}

/* relu_mode() == RELU_GENERAL: Keras's three steps (see activations.c); t, m, slope are the
 * same for the whole loop, so their tests are plain branches. */
static inline float el_relu_general(float x, float slope, float m, float t)
{
    float p;
    if (t != 0.0f) p = SEL(x > t, x, 0.0f);
    else if (m == 6.0f) p = el_relu6(x);
    else p = el_relu(x);
    if (m != INFINITY && !(t == 0.0f && m == 6.0f)) p = SEL(p < 0.0f, 0.0f, SEL(p > m, m, p));
    if (slope != 0.0f) p = p - slope * el_relu(t - x);
    return p;
}

static inline float el_relu_general_grad(float x, float slope, float m, float t)
{
    float g;
    if (t != 0.0f) g = SEL(x > t, 1.0f, 0.0f);
    else if (m == 6.0f) g = SEL((x > 0.0f) & (x < 6.0f), 1.0f, 0.0f);
    else g = SEL(x > 0.0f, 1.0f, 0.0f);
    if (m != INFINITY && !(t == 0.0f && m == 6.0f)) {
        float p = t != 0.0f ? x : el_relu(x);              /* the clip's input where g == 1 */
        g = SEL((p >= 0.0f) & (p <= m), g, 0.0f);          /* torch.clamp: closed interval */
    }
    if (slope != 0.0f) g = SEL(t - x > 0.0f, slope, g);    /* disjoint from x > t */
    return g;
}

#endif

/* Sum of e_j = exp(x_j - m) over a row, writing e_j to y (y may be x). */
LOOPS_TARGET static double LOOPS(softmax_exp)(float *y, const float *x, float m, long cols)
{
    long n = cols;
    double s = 0.0;
    FOR_I y[i] = cnnm_expf(x[i] - m);
    for (long j = 0; j < cols; j++) s += y[j];   /* in order: the same sum on every path */
    return s;
}

LOOPS_TARGET static void LOOPS(forward)(float *y, const float *x, long n, const cnn_act *a, int mode)
{
    const float al = a->alpha, mx = a->max_value, th = a->threshold;
    switch (a->kind) {
    case CNN_ACT_RELU:
        if (mode == RELU_PLAIN) {
            FOR_I y[i] = el_relu(x[i]);
        } else if (mode == RELU_SIX) {
            FOR_I y[i] = el_relu6(x[i]);
        } else if (mode == RELU_LEAKY) {
            FOR_I y[i] = el_leaky(x[i], al);
        } else {
            FOR_I y[i] = el_relu_general(x[i], al, mx, th);
        }
        break;
    case CNN_ACT_RELU6: FOR_I y[i] = el_relu6(x[i]); break;
    case CNN_ACT_LEAKY_RELU: FOR_I y[i] = el_leaky(x[i], al); break;
    case CNN_ACT_ELU: FOR_I y[i] = SEL(x[i] > 0.0f, x[i], al * cnnm_expm1f(x[i])); break;
    case CNN_ACT_SELU:
        FOR_I y[i] = SELU_SCALE * SEL(x[i] > 0.0f, x[i], SELU_ALPHA * cnnm_expm1f(x[i]));
        break;
    case CNN_ACT_GELU:   /* TF's order: 0.5 x (1 + erf(x / sqrt 2)) */
        FOR_I y[i] = 0.5f * x[i] * (1.0f + cnnm_erff(x[i] / 1.41421356237309504880f));
        break;
    case CNN_ACT_GELU_TANH:
        FOR_I
        {
            float v = x[i];
            y[i] = 0.5f * v * (1.0f + cnnm_tanhf(SQRT_2_OVER_PI * (v + GELU_C * (v * v * v))));
        }
        break;
    case CNN_ACT_SIGMOID: FOR_I y[i] = el_sigmoid(x[i]); break;
    case CNN_ACT_HARD_SIGMOID: FOR_I y[i] = el_hard_sigmoid(x[i]); break;
    case CNN_ACT_TANH: FOR_I y[i] = cnnm_tanhf(x[i]); break;
    case CNN_ACT_SOFTPLUS: FOR_I y[i] = el_softplus(x[i]); break;
    case CNN_ACT_SOFTSIGN: FOR_I y[i] = x[i] / (1.0f + cnnm_absf(x[i])); break;
    case CNN_ACT_SILU: FOR_I y[i] = x[i] * el_sigmoid(x[i]); break;
    case CNN_ACT_EXPONENTIAL: FOR_I y[i] = cnnm_expf(x[i]); break;
    case CNN_ACT_STEP: FOR_I y[i] = SEL(x[i] > 0.0f, 1.0f, 0.0f); break;
    case CNN_ACT_HARD_SILU: FOR_I y[i] = x[i] * el_hard_sigmoid(x[i]); break;
    case CNN_ACT_MISH: FOR_I y[i] = x[i] * cnnm_tanhf(el_softplus(x[i])); break;
    default: /* LINEAR */
        if (y != x) { FOR_I y[i] = x[i]; }
        break;
    }
}

/* dx = dy * f'(x), from y where that is enough (cnn_act_needs_output). */
LOOPS_TARGET static void LOOPS(backward)(float *dx, const float *dy, const float *x, const float *y, long n,
                                         const cnn_act *a, int mode)
{
    const float al = a->alpha, mx = a->max_value, th = a->threshold;
    switch (a->kind) {
    case CNN_ACT_RELU:
        if (mode == RELU_PLAIN) {
            FOR_I dx[i] = SEL(y[i] > 0.0f, dy[i], 0.0f);
        } else if (mode == RELU_SIX) {
            FOR_I dx[i] = SEL((y[i] > 0.0f) & (y[i] < 6.0f), dy[i], 0.0f);
        } else if (mode == RELU_LEAKY) {
            FOR_I dx[i] = dy[i] * SEL(x[i] > 0.0f, 1.0f, al);
        } else {
            FOR_I dx[i] = dy[i] * el_relu_general_grad(x[i], al, mx, th);
        }
        break;
    case CNN_ACT_RELU6: FOR_I dx[i] = SEL((y[i] > 0.0f) & (y[i] < 6.0f), dy[i], 0.0f); break;
    case CNN_ACT_LEAKY_RELU: FOR_I dx[i] = dy[i] * SEL(x[i] > 0.0f, 1.0f, al); break;
    case CNN_ACT_ELU: FOR_I dx[i] = dy[i] * SEL(x[i] > 0.0f, 1.0f, al * cnnm_expf(x[i])); break;
    case CNN_ACT_SELU:
        FOR_I dx[i] = dy[i] * SEL(x[i] > 0.0f, SELU_SCALE, SELU_SCALE * (SELU_ALPHA * cnnm_expf(x[i])));
        break;
    case CNN_ACT_GELU:
        FOR_I
        {
            float v = x[i];
            float cdf = 0.5f * (1.0f + cnnm_erff(v / 1.41421356237309504880f));
            float pdf = INV_SQRT_2PI * cnnm_expf(-0.5f * (v * v));
            dx[i] = dy[i] * (cdf + v * pdf);
        }
        break;
    case CNN_ACT_GELU_TANH:
        FOR_I
        {
            float v = x[i], v2 = v * v;
            float t = cnnm_tanhf(SQRT_2_OVER_PI * (v + GELU_C * (v2 * v)));
            float du = SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_C * v2);
            dx[i] = dy[i] * (0.5f * (1.0f + t) + (0.5f * v) * ((1.0f - t * t) * du));
        }
        break;
    case CNN_ACT_SIGMOID: FOR_I dx[i] = dy[i] * (y[i] * (1.0f - y[i])); break;
    case CNN_ACT_TANH: FOR_I dx[i] = dy[i] * (1.0f - y[i] * y[i]); break;
    case CNN_ACT_EXPONENTIAL: FOR_I dx[i] = dy[i] * y[i]; break;
    case CNN_ACT_STEP: FOR_I dx[i] = 0.0f; break;
    case CNN_ACT_HARD_SIGMOID:
        FOR_I
        {
            float v = x[i] / 6.0f + 0.5f;
            dx[i] = dy[i] * SEL((v >= 0.0f) & (v <= 1.0f), 1.0f / 6.0f, 0.0f);
        }
        break;
    case CNN_ACT_HARD_SILU:
        FOR_I
        {
            float v = x[i] / 6.0f + 0.5f;
            float hs = SEL(v < 0.0f, 0.0f, SEL(v > 1.0f, 1.0f, v));
            dx[i] = dy[i] * (hs + SEL((v >= 0.0f) & (v <= 1.0f), x[i] / 6.0f, 0.0f));
        }
        break;
    case CNN_ACT_SOFTPLUS: FOR_I dx[i] = dy[i] * el_sigmoid(x[i]); break;
    case CNN_ACT_SOFTSIGN:
        FOR_I
        {
            float d = 1.0f + cnnm_absf(x[i]);
            dx[i] = dy[i] * (1.0f / (d * d));
        }
        break;
    case CNN_ACT_SILU:
        FOR_I
        {
            float s = el_sigmoid(x[i]);
            dx[i] = dy[i] * (s * (1.0f + x[i] * (1.0f - s)));
        }
        break;
    case CNN_ACT_MISH:
        FOR_I
        {
            float v = x[i], t = cnnm_tanhf(el_softplus(v));
            dx[i] = dy[i] * (t + v * ((1.0f - t * t) * el_sigmoid(v)));
        }
        break;
    default: /* LINEAR */
        if (dx != dy) { FOR_I dx[i] = dy[i]; }
        break;
    }
}

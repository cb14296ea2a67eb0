/* losses.c - Keras 3 losses as Keras computes them on the torch backend, and their gradients.
 *
 * Forward: each element's term is float32 maths as torch does it (clip, log, ...); a row's terms
 * are summed in double, in column order, and reduced (mean or sum over cols) in double.
 * Backward: grad = d(scale * sum_i w_i * loss_i) / d(y_pred), what torch autograd gives for the
 * same formula: clamp passes the gradient on its closed interval [lo, hi] and blocks it outside,
 * maximum() splits a tie in half, amax() shares a tie evenly, abs'(0) = 0.
 * Shapes: y_pred, grad [rows, cols]; y_true [rows, cols], or [rows] class ids for SCCE.
 */
#include <math.h>

#include "cnn.h"
#include "parallel.h"

#define EPS 1e-7f                      /* keras.backend.epsilon() as float32 */
#define ONE_M_EPS ((float)(1.0 - 1e-7)) /* 1 - epsilon as float32 (0.99999988) */
#define LOG2F 0.693147182f             /* float32(log 2), as ops.log(2.0) gives */
#define LOG_BLOCK 256                   /* rows whose logs are taken in one vectorised call */
#define LOSS_GRAIN 1024L               /* element operations per chunk on the pool (~2 us) */

static inline float clipf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }
static inline int in_clip(float x, float lo, float hi) { return x >= lo && x <= hi; }
static inline float maxf(float x, float lo) { return x < lo ? lo : x; }  /* NaN passes */
static inline double sgn(double x) { return (double)((x > 0) - (x < 0)); }
/* d max(x, c) / dx as torch.maximum: 1 above, 1/2 on a tie, 0 below */
static inline double dmax(float x, float c) { return x > c ? 1.0 : (x == c ? 0.5 : 0.0); }

static inline float sigmoidf_(float z)
{
    if (z >= 0) return 1.0f / (1.0f + cnn_expf(-z));
    float e = cnn_expf(z);
    return e / (1.0f + e);
}

/* Label transforms shared by forward and backward. */
typedef struct {
    float a, b;          /* y <- y * a + b (label smoothing), identity when a=1, b=0 */
    int hinge_convert;   /* hinge: every label of the batch is 0 or 1, so y <- 2y - 1 */
} labels;

static labels label_setup(const float *y_true, long rows, long cols, const cnn_loss *L)
{
    labels t = {1.0f, 0.0f, 0};
    float ls = L->label_smoothing;
    if (ls != 0.0f && L->kind == CNN_LOSS_BCE) {
        t.a = (float)(1.0 - (double)ls);
        t.b = (float)(0.5 * (double)ls);
    } else if (ls != 0.0f && L->kind == CNN_LOSS_CCE) {
        t.a = (float)(1.0 - (double)ls);
        t.b = ls / (float)cols;
    }
    if (L->kind == CNN_LOSS_HINGE || L->kind == CNN_LOSS_SQUARED_HINGE) {
        t.hinge_convert = 1;
        for (long i = 0; i < rows * cols && t.hinge_convert; i++)
            t.hinge_convert = y_true[i] == 0.0f || y_true[i] == 1.0f;
    }
    return t;
}

static inline float smooth(float y, const labels *t)
{ return t->a == 1.0f && t->b == 0.0f ? y : y * t->a + t->b; }

/* SCCE: the class id stored as a float, or -1 when it is not an integer in [0, cols). */
static inline long class_id(float y, long cols)
{
    if (!(y >= 0.0f && y < (float)cols)) return -1;
    long k = (long)y;
    return (float)k == y ? k : -1;
}

/* Row sum of probabilities rounded to float32, as torch's output / sum(output). */
static float row_sumf(const float *p, long cols)
{
    double s = 0.0;
    for (long j = 0; j < cols; j++) s += p[j];
    return (float)s;
}

/* max, then the double sum of exp(z - max), for the stable log-softmax. */
static void softmax_stats(const float *z, long cols, float *m, double *se)
{
    float mx = z[0];
    for (long j = 1; j < cols; j++) mx = z[j] > mx ? z[j] : mx;
    double s = 0.0;
    for (long j = 0; j < cols; j++) s += cnn_expf(z[j] - mx);
    *m = mx;
    *se = s;
}

/* Cosine: 1 / sqrt(max(sum x^2, eps^2)) as Keras's normalize(); *ss_out gets sum x^2. */
static double inv_norm(const float *x, long cols, double *ss_out)
{
    double ss = 0.0;
    for (long j = 0; j < cols; j++) ss += (double)x[j] * x[j];
    *ss_out = ss;
    return 1.0 / sqrt(ss > 1e-14 ? ss : 1e-14);
}

/* ------------------------------------------------------------------------------- forward */

static double row_forward(const float *p, const float *y, long cols, const cnn_loss *L, const labels *t)
{
    double s = 0.0;
    switch (L->kind) {
    case CNN_LOSS_MSE:
        for (long j = 0; j < cols; j++) {
            float d = y[j] - p[j];
            s += d * d;
        }
        return s / (double)cols;
    case CNN_LOSS_MAE:
        for (long j = 0; j < cols; j++) s += fabsf(y[j] - p[j]);
        return s / (double)cols;
    case CNN_LOSS_MAPE:
        for (long j = 0; j < cols; j++) s += fabsf((y[j] - p[j]) / maxf(fabsf(y[j]), EPS));
        return 100.0 * (s / (double)cols);
    case CNN_LOSS_MSLE:
        for (long j = 0; j < cols; j++) {
            float d = cnn_logf(maxf(p[j], EPS) + 1.0f) - cnn_logf(maxf(y[j], EPS) + 1.0f);
            s += d * d;
        }
        return s / (double)cols;
    case CNN_LOSS_BCE:
        for (long j = 0; j < cols; j++) {
            float ys = smooth(y[j], t);
            if (L->from_logits) {
                float z = p[j];
                s += (z > 0 ? z : 0.0f) - z * ys + cnn_log1pf(cnn_expf(-fabsf(z)));
            } else {
                float pc = clipf(p[j], EPS, ONE_M_EPS);
                s += (ys - 1.0f) * cnn_log1pf(-pc) - ys * cnn_logf(pc);
            }
        }
        return s / (double)cols;
    case CNN_LOSS_CCE:
        if (L->from_logits) {
            float m;
            double se;
            softmax_stats(p, cols, &m, &se);
            float lse = cnn_logf((float)se);
            for (long j = 0; j < cols; j++) s += smooth(y[j], t) * ((p[j] - m) - lse);
        } else {
            float S = row_sumf(p, cols);
            for (long j = 0; j < cols; j++) s += smooth(y[j], t) * cnn_logf(clipf(p[j] / S, EPS, ONE_M_EPS));
        }
        return -s;
    case CNN_LOSS_SCCE: {
        long k = class_id(y[0], cols);
        if (k < 0) return 0.0;
        if (L->from_logits) {
            float m;
            double se;
            softmax_stats(p, cols, &m, &se);
            return -(double)((p[k] - m) - cnn_logf((float)se));
        }
        return -(double)cnn_logf(clipf(p[k] / row_sumf(p, cols), EPS, ONE_M_EPS));
    }
    case CNN_LOSS_HINGE:
    case CNN_LOSS_SQUARED_HINGE:
        for (long j = 0; j < cols; j++) {
            float yy = t->hinge_convert ? 2.0f * y[j] - 1.0f : y[j];
            float h = maxf(1.0f - yy * p[j], 0.0f);
            s += L->kind == CNN_LOSS_HINGE ? h : h * h;
        }
        return s / (double)cols;
    case CNN_LOSS_CATEGORICAL_HINGE: {
        float neg = (1.0f - y[0]) * p[0];
        for (long j = 0; j < cols; j++) {
            float v = (1.0f - y[j]) * p[j];
            neg = v > neg ? v : neg;
            s += y[j] * p[j];
        }
        double v = (double)neg - s + 1.0;
        return v < 0.0 ? 0.0 : v;
    }
    case CNN_LOSS_HUBER: {
        float d = L->delta;
        for (long j = 0; j < cols; j++) {
            float e = p[j] - y[j], a = fabsf(e);
            s += a <= d ? 0.5f * (e * e) : d * a - 0.5f * (d * d);
        }
        return s / (double)cols;
    }
    case CNN_LOSS_LOG_COSH:
        for (long j = 0; j < cols; j++) {
            float x = p[j] - y[j], v = x * -2.0f;
            float sp = v > 20.0f ? v : cnn_log1pf(cnn_expf(v));  /* torch softplus, threshold 20 */
            s += (x + sp) - LOG2F;
        }
        return s / (double)cols;
    case CNN_LOSS_KLD:
        for (long j = 0; j < cols; j++) {
            float yc = clipf(y[j], EPS, 1.0f), pc = clipf(p[j], EPS, 1.0f);
            s += yc * cnn_logf(yc / pc);
        }
        return s;
    case CNN_LOSS_POISSON:
        for (long j = 0; j < cols; j++) s += p[j] - y[j] * cnn_logf(p[j] + EPS);
        return s / (double)cols;
    case CNN_LOSS_COSINE: {
        double ssy, ssp;
        double ry = inv_norm(y, cols, &ssy), rp = inv_norm(p, cols, &ssp);
        for (long j = 0; j < cols; j++) s += (y[j] * ry) * (p[j] * rp);
        return -s;
    }
    default: return NAN;
    }
}

int cnn_loss_sparse(const cnn_loss *L)
{ return L->kind == CNN_LOSS_SCCE || (L->kind == CNN_LOSS_PYTHON && L->sparse); }

/* A loss the host computes: per-row values, or their gradient (a failure stops the step); y_true has
 * ycols columns (1 when sparse: the user's one value per sample). */
static void python_loss(int op, cnn_host_array out, const float *y_pred, const float *y_true, long rows,
                        long cols, long ycols)
{
    cnn_host_call call = {op, 0, 1, 0, 0.0f, 3, {{0}}};
    call.a[0] = out;
    call.a[1] = cnn_host_f32((float *)y_pred, rows, cols);
    call.a[2] = cnn_host_f32((float *)y_true, rows, ycols);
    cnn_host_run(&call);
}

/* SCCE on probabilities, as row_forward computes it, with the rows' logs taken in one vectorised
 * call per block (the log dominates this loss on a few classes). */
static void scce_prob_forward(double *per_sample, const float *p, const float *y, long rows, long cols)
{
    float q[LOG_BLOCK];
    for (long r0 = 0; r0 < rows; r0 += LOG_BLOCK) {
        long nb = rows - r0 < LOG_BLOCK ? rows - r0 : LOG_BLOCK;
        for (long i = 0; i < nb; i++) {
            const float *pr = p + (r0 + i) * cols;
            long k = class_id(y[r0 + i], cols);
            q[i] = k < 0 ? 1.0f : clipf(pr[k] / row_sumf(pr, cols), EPS, ONE_M_EPS);
        }
        cnn_logf_n(q, q, nb);
        for (long i = 0; i < nb; i++)
            per_sample[r0 + i] = class_id(y[r0 + i], cols) < 0 ? 0.0 : -(double)q[i];
    }
}

/* Rows are independent (each row's value and gradient is its own chain), so they split over the
 * pool in any chunks: one job for both directions. */
typedef struct {
    double *per_sample;
    float *grad;
    const float *y_pred, *y_true, *weights;
    long cols, ystride;
    double scale;
    int fused;
    const cnn_loss *L;
    labels t;
} loss_job;

/* Rows per chunk: about LOSS_GRAIN element operations, an exp or log counting ten. */
static long row_grain(const cnn_loss *L, long cols)
{
    int costly = L->kind != CNN_LOSS_MSE && L->kind != CNN_LOSS_MAE && L->kind != CNN_LOSS_HUBER
                 && L->kind != CNN_LOSS_HINGE && L->kind != CNN_LOSS_SQUARED_HINGE
                 && L->kind != CNN_LOSS_CATEGORICAL_HINGE;
    return LOSS_GRAIN / (cols * (costly ? 10 : 1)) + 1;
}

static void forward_rows(void *ctx, long lo, long hi)
{
    const loss_job *j = ctx;
    for (long i = lo; i < hi; i++)
        j->per_sample[i]
            = row_forward(j->y_pred + i * j->cols, j->y_true + i * j->ystride, j->cols, j->L, &j->t);
}

void cnn_loss_forward(double *per_sample, const float *y_pred, const float *y_true, long rows, long cols,
                      const cnn_loss *L)
{
    if (rows <= 0 || cols <= 0) return;
    CNN_ASSERT(per_sample && y_pred && y_true && L);
    if (L->kind == CNN_LOSS_PYTHON) {
        python_loss(CNN_HOST_LOSS, cnn_host_f64(per_sample, rows, 1), y_pred, y_true, rows, cols,
                    L->sparse ? 1 : cols);
        return;
    }
    if (L->kind == CNN_LOSS_SCCE && !L->from_logits) {
        scce_prob_forward(per_sample, y_pred, y_true, rows, cols);
        return;
    }
    loss_job j = {per_sample,
                  NULL,
                  y_pred,
                  y_true,
                  NULL,
                  cols,
                  L->kind == CNN_LOSS_SCCE ? 1 : cols,
                  0.0,
                  0,
                  L,
                  label_setup(y_true, rows, cols, L)};
    cnn_parallel_range(rows, row_grain(L, cols), 1, forward_rows, &j);
}

/* ------------------------------------------------------------------------------ backward */

/* CCE on probabilities. q = p / S, clipped; with a_j = -ys_j where q_j is inside the clip (else 0),
 * A = sum a_j and g_j = a_j / q_j = dL/dq_j:
 *   dL/dp_k = (g_k - A) / S;  through a softmax that produced p:  dL/dz_k = a_k - q_k * A. */
static void cce_prob_row(float *g, const float *p, const float *y, long cols, double gr, int fused,
                         const labels *t)
{
    float S = row_sumf(p, cols);
    double A = 0.0;
    for (long j = 0; j < cols; j++)
        if (in_clip(p[j] / S, EPS, ONE_M_EPS)) A -= smooth(y[j], t);
    for (long k = 0; k < cols; k++) {
        float q = p[k] / S;
        int in = in_clip(q, EPS, ONE_M_EPS);
        double a = in ? -(double)smooth(y[k], t) : 0.0;
        double gk = in ? a / q : 0.0;   /* dL/dq_k, never 0/0 for a clipped q = 0 */
        g[k] = fused ? (float)(gr * (a - (double)q * A)) : (float)(gr * (gk - A) / S);
    }
}

static void scce_prob_row(float *g, const float *p, long k, long cols, double gr, int fused)
{
    float S = row_sumf(p, cols), qk = p[k] / S;
    if (!in_clip(qk, EPS, ONE_M_EPS)) {
        for (long j = 0; j < cols; j++) g[j] = 0.0f;
        return;
    }
    for (long j = 0; j < cols; j++) {
        double a = (double)-(j == k);   /* A = -1; -1.0 or +0.0 without a branch on the label */
        g[j] = fused ? (float)(gr * (a + (double)(p[j] / S))) : (float)(gr * (a / qk + 1.0) / S);
    }
}

/* d/dz of -sum ys_j log_softmax(z)_j = Y * softmax(z) - ys, Y = sum ys. */
static void ce_logits_row(float *g, const float *z, const float *y, long k, long cols, double gr,
                          const labels *t)
{
    float m;
    double se;
    softmax_stats(z, cols, &m, &se);
    double Y = 0.0;
    if (k >= 0) Y = 1.0;
    else
        for (long j = 0; j < cols; j++) Y += smooth(y[j], t);
    for (long j = 0; j < cols; j++) {
        double ys = k >= 0 ? (j == k ? 1.0 : 0.0) : (double)smooth(y[j], t);
        g[j] = (float)(gr * (Y * ((double)cnn_expf(z[j] - m) / se) - ys));
    }
}

static void row_backward(float *g, const float *p, const float *y, long cols, double gr, int fused,
                         const cnn_loss *L, const labels *t)
{
    double gc = gr / (double)cols;   /* the mean over cols */
    switch (L->kind) {
    case CNN_LOSS_MSE:
        for (long j = 0; j < cols; j++) g[j] = (float)(gc * -2.0 * (double)(y[j] - p[j]));
        break;
    case CNN_LOSS_MAE:
        for (long j = 0; j < cols; j++) g[j] = (float)(gc * -sgn(y[j] - p[j]));
        break;
    case CNN_LOSS_MAPE:
        for (long j = 0; j < cols; j++) {
            float m = maxf(fabsf(y[j]), EPS);
            g[j] = (float)(100.0 * gc * -sgn((y[j] - p[j]) / m) / m);
        }
        break;
    case CNN_LOSS_MSLE:
        for (long j = 0; j < cols; j++) {
            float mp = maxf(p[j], EPS) + 1.0f;
            float d = cnn_logf(mp) - cnn_logf(maxf(y[j], EPS) + 1.0f);
            g[j] = (float)(gc * 2.0 * d / mp * dmax(p[j], EPS));
        }
        break;
    case CNN_LOSS_BCE:
        for (long j = 0; j < cols; j++) {
            double ys = smooth(y[j], t), pj = p[j];
            if (L->from_logits) g[j] = (float)(gc * ((double)sigmoidf_(p[j]) - ys));
            else if (!in_clip(p[j], EPS, ONE_M_EPS)) g[j] = 0.0f;
            else if (fused) g[j] = (float)(gc * (pj - ys));   /* times sigmoid' = p(1-p) */
            else g[j] = (float)(gc * (pj - ys) / (pj * (1.0 - pj)));
        }
        break;
    case CNN_LOSS_CCE:
        if (L->from_logits) ce_logits_row(g, p, y, -1, cols, gr, t);
        else cce_prob_row(g, p, y, cols, gr, fused, t);
        break;
    case CNN_LOSS_SCCE: {
        long k = class_id(y[0], cols);
        if (k < 0) {
            for (long j = 0; j < cols; j++) g[j] = 0.0f;
            break;
        }
        if (L->from_logits) ce_logits_row(g, p, y, k, cols, gr, t);
        else scce_prob_row(g, p, k, cols, gr, fused);
        break;
    }
    case CNN_LOSS_HINGE:
    case CNN_LOSS_SQUARED_HINGE:
        for (long j = 0; j < cols; j++) {
            float yy = t->hinge_convert ? 2.0f * y[j] - 1.0f : y[j];
            float h = 1.0f - yy * p[j];
            double dh = L->kind == CNN_LOSS_HINGE ? dmax(h, 0.0f) : 2.0 * (h > 0 ? h : 0.0f);
            g[j] = (float)(gc * dh * -(double)yy);
        }
        break;
    case CNN_LOSS_CATEGORICAL_HINGE: {
        float neg = (1.0f - y[0]) * p[0];
        double pos = 0.0;
        for (long j = 0; j < cols; j++) {
            float v = (1.0f - y[j]) * p[j];
            neg = v > neg ? v : neg;
            pos += y[j] * p[j];
        }
        long ties = 0;
        for (long j = 0; j < cols; j++) ties += (1.0f - y[j]) * p[j] == neg;
        double v = (double)neg - pos + 1.0;
        double dv = gr * (v > 0 ? 1.0 : (v == 0 ? 0.5 : 0.0));
        for (long j = 0; j < cols; j++) {
            double dn = (1.0f - y[j]) * p[j] == neg ? (double)(1.0f - y[j]) / (double)ties : 0.0;
            g[j] = (float)(dv * (dn - (double)y[j]));
        }
        break;
    }
    case CNN_LOSS_HUBER: {
        float d = L->delta;
        for (long j = 0; j < cols; j++) {
            float e = p[j] - y[j];
            g[j] = (float)(gc * (fabsf(e) <= d ? (double)e : (double)d * sgn(e)));
        }
        break;
    }
    case CNN_LOSS_LOG_COSH:   /* d/dx [x + softplus(-2x)] = 1 - 2 sigmoid(-2x) = tanh(x) */
        for (long j = 0; j < cols; j++) g[j] = (float)(gc * cnn_tanhf(p[j] - y[j]));
        break;
    case CNN_LOSS_KLD:
        for (long j = 0; j < cols; j++) {
            float yc = clipf(y[j], EPS, 1.0f);
            g[j] = in_clip(p[j], EPS, 1.0f) ? (float)(-gr * (double)yc / (double)p[j]) : 0.0f;
        }
        break;
    case CNN_LOSS_POISSON:
        for (long j = 0; j < cols; j++) g[j] = (float)(gc * (1.0 - (double)y[j] / (double)(p[j] + EPS)));
        break;
    case CNN_LOSS_COSINE: {
        /* L = -sum ny_j p_j r, r = rsqrt(max(ss, eps^2)): dL/dp_k = -r (ny_k - h D np_k),
         * D = sum ny_j np_j, h = d max(ss, eps^2)/d ss (1, 1/2 on a tie, 0 when clamped). */
        double ssy, ssp;
        double ry = inv_norm(y, cols, &ssy), rp = inv_norm(p, cols, &ssp);
        double D = 0.0;
        for (long j = 0; j < cols; j++) D += (y[j] * ry) * (p[j] * rp);
        double h = ssp > 1e-14 ? 1.0 : (ssp == 1e-14 ? 0.5 : 0.0);
        for (long j = 0; j < cols; j++) g[j] = (float)(-gr * rp * (y[j] * ry - h * D * (p[j] * rp)));
        break;
    }
    }
}

static void backward_rows(void *ctx, long lo, long hi)
{
    const loss_job *j = ctx;
    for (long i = lo; i < hi; i++) {
        double gr = j->scale * (j->weights ? (double)j->weights[i] : 1.0);
        row_backward(j->grad + i * j->cols, j->y_pred + i * j->cols, j->y_true + i * j->ystride, j->cols, gr,
                     j->fused, j->L, &j->t);
    }
}

int cnn_loss_backward(float *grad, const float *y_pred, const float *y_true, const float *weights, long rows,
                      long cols, float scale, int fused_act, const cnn_loss *L)
{
    if (!L || L->kind < 0 || L->kind >= CNN_LOSS_COUNT || rows < 0 || cols <= 0) return CNN_ERR_ARG;
    CNN_ASSERT(rows == 0 || (grad && y_pred && y_true));
    if (fused_act != CNN_ACT_LINEAR) {
        int ok
            = !L->from_logits
              && ((fused_act == CNN_ACT_SIGMOID && L->kind == CNN_LOSS_BCE)
                  || (fused_act == CNN_ACT_SOFTMAX && (L->kind == CNN_LOSS_CCE || L->kind == CNN_LOSS_SCCE)));
        if (!ok) return CNN_ERR_ARG;
    }
    if (L->kind == CNN_LOSS_PYTHON) {
        if (fused_act != CNN_ACT_LINEAR) return CNN_ERR_ARG;
        if (rows == 0) return CNN_OK;
        python_loss(CNN_HOST_LOSS_GRAD, cnn_host_f32(grad, rows, cols), y_pred, y_true, rows, cols,
                    L->sparse ? 1 : cols);
        for (long i = 0; i < rows; i++) {
            double gr = (double)scale * (weights ? (double)weights[i] : 1.0);
            for (long j = 0; j < cols; j++) grad[i * cols + j] = (float)(gr * (double)grad[i * cols + j]);
        }
        return CNN_OK;
    }
    int fused = fused_act != CNN_ACT_LINEAR;
    if (L->kind == CNN_LOSS_SCCE && !L->from_logits) {   /* the common classifier: no switch per row */
        for (long i = 0; i < rows; i++) {
            double gr = (double)scale * (weights ? (double)weights[i] : 1.0);
            long k = class_id(y_true[i], cols);
            float *g = grad + i * cols;
            if (k < 0)
                for (long j = 0; j < cols; j++) g[j] = 0.0f;
            else scce_prob_row(g, y_pred + i * cols, k, cols, gr, fused);
        }
        return CNN_OK;
    }
    loss_job j = {NULL,
                  grad,
                  y_pred,
                  y_true,
                  weights,
                  cols,
                  L->kind == CNN_LOSS_SCCE ? 1 : cols,
                  (double)scale,
                  fused_act != CNN_ACT_LINEAR,
                  L,
                  label_setup(y_true, rows, cols, L)};
    cnn_parallel_range(rows, row_grain(L, cols), 1, backward_rows, &j);
    return CNN_OK;
}

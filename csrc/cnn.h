/* cnn.h - the public API of the C core.
 *
 * Pure C11: no Python here. Rules (docs/ARCHITECTURE.md, section 3):
 *  - outputs first, then caches, then inputs, then weights, then dimensions;
 *  - kernels never allocate, never exit, never print;
 *  - backward kernels ACCUMULATE (+=) into parameter gradients;
 *  - every output element is one fixed chain of float operations, whatever the thread count or
 *    instruction set, so results are bit-identical everywhere.
 * Matrices are row-major. "rows" is the batch (times any inner axes), "cols" the last axis.
 */
#ifndef CNN_H
#define CNN_H

#include <stddef.h>
#include <stdint.h>

/* Preconditions of the kernels (sizes non-negative, buffers present, spans inside their buffers),
 * checked in debug builds (-DCNN_DEBUG; the sanitizer build defines it): a failure prints the
 * condition and aborts, the one place the core may print or exit. Free in release builds. */
#ifdef CNN_DEBUG
#include <stdio.h>
#include <stdlib.h>
#define CNN_ASSERT(c) \
    ((c) ? (void)0 \
         : (fprintf(stderr, "cnn: %s:%d: precondition failed: %s\n", __FILE__, __LINE__, #c), abort()))
#else
#define CNN_ASSERT(c) ((void)0)
#endif

enum cnn_status {
    CNN_OK = 0,
    CNN_ERR_NOMEM = 1,
    CNN_ERR_ARG = 2,
    CNN_ERR_INTERRUPT = 4,   /* a progress callback asked to stop (Ctrl-C, stop_training) */
    CNN_ERR_CALLBACK = 5,    /* a progress callback raised */
};

/* ---------------------------------------------------------------- math (mathf.c) */
/* Deterministic float32 transcendentals: the same bits on every machine and build. */
float cnn_expf(float x);
float cnn_logf(float x);          /* x <= 0 gives -inf / nan like logf */
void cnn_logf_n(float *y, const float *x, long n); /* y[i] = cnn_logf(x[i]), vectorised (y may be x) */
float cnn_log1pf(float x);
float cnn_tanhf(float x);
float cnn_erff(float x);
float cnn_sinf(float x);
float cnn_cosf(float x);
float cnn_sqrtf(float x);         /* IEEE sqrt (correctly rounded everywhere) */

/* ---------------------------------------------------------------- random (rng.c) */
/* Philox4x32-10: four 32-bit words for (key, counter). */
void cnn_philox(uint32_t out[4], uint64_t key, uint64_t counter_hi, uint64_t counter_lo);
/* Streams are keyed by (seed, purpose, a, b): purpose says what the numbers are for. */
enum cnn_rng_purpose { CNN_RNG_INIT = 1, CNN_RNG_SHUFFLE = 2, CNN_RNG_DROPOUT = 3, CNN_RNG_NOISE = 4 };
uint64_t cnn_rng_key(uint64_t seed, uint32_t purpose, uint64_t a, uint64_t b);
/* out[n]: uniform floats in [lo, hi), element i from counter i of the stream `key`. */
void cnn_rng_uniform(float *out, long n, uint64_t key, float lo, float hi);
/* out[n]: normal(mean, stddev); truncated: redrawn outside +-2 stddev (Keras's truncated normal). */
void cnn_rng_normal(float *out, long n, uint64_t key, float mean, float stddev, int truncated);
/* perm[n]: a permutation of 0..n-1 (Fisher-Yates driven by the stream `key`). */
void cnn_rng_permutation(int64_t *perm, long n, uint64_t key);

/* ---------------------------------------------------------------- threads (threads.c) */
/* One fork-safe pool. set_num_threads(0) means the cores this process may use. */
void cnn_set_num_threads(int n);
int cnn_get_num_threads(void);
/* Runs fn(ctx, task) for task in [0, ntasks) on the pool; returns when all are done.
 * Tasks must write disjoint outputs: nothing may depend on which thread ran a task. */
typedef void (*cnn_task_fn)(void *ctx, long task);
void cnn_parallel_for(long ntasks, cnn_task_fn fn, void *ctx);
/* Floating-point mode. The plan's entry points (train, evaluate, predict) compute with subnormal
 * inputs and results flushed to zero (FTZ+DAZ, as TensorFlow does on CPU): an operation on a
 * subnormal costs ~100 cycles on many CPUs, and Adam's moments decay into that range. They restore
 * the caller's mode on return and around progress callbacks. Pool workers run every task in the
 * mode of the thread that called cnn_parallel_for, so results never depend on the thread count.
 * cnn_fpmode_flush returns the mode before the call; cnn_fpmode_restore puts it back. */
unsigned cnn_fpmode_flush(void);
void cnn_fpmode_restore(unsigned saved);

/* ---------------------------------------------------------------- interrupts (interrupt.c) */
/* Long work that may stop early (Ctrl-C). A caller installs a poll on its thread around a call;
 * cnn_gemm (between blocks) and the plan's entry points (between layers) call cnn_interrupted(),
 * which runs the poll on that thread only, at most every `interval` seconds, in the caller's
 * floating-point mode. Once the poll returns nonzero every later check says stop (pool workers
 * skip their remaining blocks), the work in progress is abandoned (its outputs are unspecified) and
 * the plan's entry point returns CNN_ERR_INTERRUPT without applying the unfinished step. */
typedef int (*cnn_poll_fn)(void *ctx);   /* nonzero: stop */
typedef struct cnn_interrupt {
    cnn_poll_fn fn;
    void *ctx;
    double interval, last;
    unsigned fpmode;
    int stop;                      /* set once; read by any thread (atomic builtins) */
    struct cnn_interrupt *prev;    /* the one installed before on this thread */
} cnn_interrupt;
void cnn_interrupt_install(cnn_interrupt *it, cnn_poll_fn fn, void *ctx, double interval);
void cnn_interrupt_uninstall(cnn_interrupt *it);   /* puts the previous one back */
cnn_interrupt *cnn_interrupt_current(void);        /* this thread's, or NULL */
int cnn_interrupt_poll(cnn_interrupt *it);         /* 1: stop (it may be NULL: 0) */
int cnn_interrupted(void);                          /* cnn_interrupt_poll(cnn_interrupt_current()) */

/* ---------------------------------------------------------------- host calls (host.c) */
/* Parts written in the host language (a Python layer, loss, metric or optimizer) run through one
 * callback the caller installs on its thread around a plan's entry point, like the interrupt poll.
 * The core describes the call (what, which part, the batch's buffers); the host computes in place.
 * When the host fails (it keeps its own error) or none is installed, the current interrupt is set to
 * stop, so the step is abandoned as by Ctrl-C: nothing of it is applied. */
enum cnn_host_op {
    CNN_HOST_LAYER_FORWARD = 0, /* a[0] out (written), a[1] x */
    CNN_HOST_LAYER_BACKWARD,    /* a[0] dx (written; data NULL if not needed), a[1] dy, a[2] x, a[3] y,
                                 * a[4] its trainable weights' gradients (kernel span; added into) */
    CNN_HOST_LOSS,              /* a[0] per-row values (double, written), a[1] y_pred, a[2] y_true */
    CNN_HOST_LOSS_GRAD,         /* a[0] d(per-row value)/d(y_pred) (written), a[1] y_pred, a[2] y_true */
    CNN_HOST_METRIC,            /* a[0] the state [weighted total, weight sum] (double, added to),
                                 * a[1] y_pred, a[2] y_true, a[3] row weights (data NULL: none) */
    CNN_HOST_OPT_STEP,          /* a[0] parameters (updated), a[1] gradients */
    /* A Python layer's own weight penalties, clipping and constraints (its kernel span holds several
     * tensors that only the host tells apart): */
    CNN_HOST_LAYER_PENALTY,     /* a[0] the penalty (double 1 x 1, added to), a[1] its trainable weights */
    CNN_HOST_LAYER_GRADS,       /* a[0] their gradients (penalty gradients added, then each tensor clipped
                                 * to the norm lr when lr > 0: Keras's clipnorm), a[1] the weights */
    CNN_HOST_LAYER_CONSTRAIN,   /* a[0] its trainable weights after the update (projected in place) */
};
#define CNN_HOST_MAX_ARRAYS 6
typedef struct {
    void *data;       /* NULL: absent */
    long rows, cols;  /* a rows x cols row-major matrix */
    int f64;          /* 1: doubles, 0: floats */
} cnn_host_array;
typedef struct {
    int op;           /* cnn_host_op */
    int index;        /* the layer's position, the metric's handle; 0 for the loss and optimizer */
    int training;     /* layer forward */
    long iteration;   /* the 0-based optimizer step (forward, optimizer) */
    float lr;         /* optimizer */
    int narrays;
    cnn_host_array a[CNN_HOST_MAX_ARRAYS];
} cnn_host_call;
typedef int (*cnn_host_fn)(void *ctx, const cnn_host_call *call);   /* nonzero: failed */
typedef struct cnn_host {
    cnn_host_fn fn;
    void *ctx;
    struct cnn_host *prev;   /* the one installed before on this thread */
} cnn_host;
void cnn_host_install(cnn_host *h, cnn_host_fn fn, void *ctx);
void cnn_host_uninstall(cnn_host *h);   /* puts the previous one back */
/* Runs the call on this thread's host, in the caller's floating-point mode. Returns 0, or 1 when it
 * failed or a stop was already asked (then nothing is called and the work must be abandoned). */
int cnn_host_run(const cnn_host_call *call);
/* 1 when the current work was told to stop (a host call failed, or Ctrl-C): reads the flag, never polls. */
int cnn_host_stopped(void);
static inline cnn_host_array cnn_host_f32(float *data, long rows, long cols)
{
    cnn_host_array a = {data, rows, cols, 0};
    return a;
}
static inline cnn_host_array cnn_host_f64(double *data, long rows, long cols)
{
    cnn_host_array a = {data, rows, cols, 1};
    return a;
}

/* ---------------------------------------------------------------- GEMM (gemm.c) */
/* C[M,N] = epilogue( (accumulate ? C : 0) + op(A)[M,K] . op(B)[K,N] ).
 * op(A) = A [M,K] (lda) or, with trans_a, A^T where A is [K,M] (lda); likewise B.
 * Each C[i,j] is acc=0; for k ascending: acc = fma(a_ik, b_kj, acc); then, in order:
 *   v = acc; if accumulate: v = C[i,j] + v; if bias: v = v + bias[j];
 *   if relu: v = v > 0 ? v : 0;  if mask: v = mask[i*ldm+j] > 0 ? v : 0.
 * Identical bits on the AVX-512, AVX2+FMA, NEON and portable paths and for any thread count. */
typedef struct {
    const float *bias;   /* [N] or NULL */
    int relu;            /* fused ReLU after the bias */
    const float *mask;   /* [M, ldm]: keep where mask > 0 (ReLU backward), or NULL */
    long ldm;
} cnn_epilogue;
void cnn_gemm(int trans_a, int trans_b, long M, long N, long K, const float *A, long lda, const float *B,
              long ldb, float *C, long ldc, int accumulate, const cnn_epilogue *ep);
/* Instruction-set path: 0 portable, 1 AVX2+FMA, 2 AVX-512 (x86-64), 3 NEON (ARM64). cnn_set_isa
 * returns the path now in use: -1, or a path this build or CPU lacks, picks the best. */
int cnn_set_isa(int isa);
int cnn_get_isa(void);
/* Workspace (floats) cnn_gemm needs for packing; callers pass none: gemm.c keeps its own per
 * thread, allocated once (the only allocation in the core outside plan creation). */

/* ---------------------------------------------------------------- activations (activations.c) */
enum cnn_act_kind {
    CNN_ACT_LINEAR = 0,
    CNN_ACT_RELU,
    CNN_ACT_RELU6,
    CNN_ACT_LEAKY_RELU,
    CNN_ACT_ELU,
    CNN_ACT_SELU,
    CNN_ACT_GELU,
    CNN_ACT_GELU_TANH,
    CNN_ACT_SIGMOID,
    CNN_ACT_HARD_SIGMOID,
    CNN_ACT_TANH,
    CNN_ACT_SOFTMAX,
    CNN_ACT_SOFTPLUS,
    CNN_ACT_SOFTSIGN,
    CNN_ACT_SILU,
    CNN_ACT_EXPONENTIAL,
    CNN_ACT_STEP,
    CNN_ACT_HARD_SILU,
    CNN_ACT_MISH,
    CNN_ACT_COUNT
};
typedef struct {
    int kind;
    float alpha;       /* relu: negative_slope; leaky_relu: negative_slope; elu: alpha */
    float max_value;   /* relu: clip value, or +inf for none */
    float threshold;   /* relu: threshold */
} cnn_act;
/* y[rows, cols] = f(x); softmax normalises each row (over cols). y may equal x. */
void cnn_act_forward(float *y, const float *x, long rows, long cols, const cnn_act *a);
/* dx = dy * f'(x) (softmax: the row Jacobian, which needs y). dx may equal dy.
 * x and y are the forward input and output; either may be NULL when the activation does not
 * need it (cnn_act_needs_input/output say which). */
void cnn_act_backward(float *dx, const float *dy, const float *x, const float *y, long rows, long cols,
                      const cnn_act *a);
/* g[i] = y[i] > 0 ? g[i] : 0 (ReLU backward from its output), split over the pool when large. */
void cnn_relu_mask(float *g, const float *y, long n);
int cnn_act_needs_input(const cnn_act *a);   /* backward reads x */
int cnn_act_needs_output(const cnn_act *a);  /* backward reads y */

/* ---------------------------------------------------------------- losses (losses.c) */
enum cnn_loss_kind {
    CNN_LOSS_MSE = 0,
    CNN_LOSS_MAE,
    CNN_LOSS_MAPE,
    CNN_LOSS_MSLE,
    CNN_LOSS_BCE,
    CNN_LOSS_CCE,
    CNN_LOSS_SCCE,
    CNN_LOSS_HINGE,
    CNN_LOSS_SQUARED_HINGE,
    CNN_LOSS_CATEGORICAL_HINGE,
    CNN_LOSS_HUBER,
    CNN_LOSS_LOG_COSH,
    CNN_LOSS_KLD,
    CNN_LOSS_POISSON,
    CNN_LOSS_COSINE,
    CNN_LOSS_PYTHON, /* computed by the host (cnn_host_run): value and gradient per row */
    CNN_LOSS_COUNT
};
typedef struct {
    int kind;
    int from_logits;       /* BCE / CCE / SCCE: y_pred are logits */
    float label_smoothing; /* BCE / CCE */
    float delta;           /* Huber */
    int sparse;            /* PYTHON: y holds one value per row (class ids), as for SCCE */
} cnn_loss;
/* 1 when the loss reads one target per row of y_pred (SCCE's class ids), else y has a full row. */
int cnn_loss_sparse(const cnn_loss *L);
/* per_sample[rows] = the loss of each row, reduced over cols as Keras does (mean for
 * MSE/MAE/..., sum for CCE/KLD/cosine). y_true is [rows, cols], except SCCE: [rows] class ids
 * stored as floats (y_pred is [rows, cols]). */
void cnn_loss_forward(double *per_sample, const float *y_pred, const float *y_true, long rows, long cols,
                      const cnn_loss *L);
/* grad[rows, cols] = d(scale * sum_i w_i * per_sample_i) / d(y_pred), w = weights[rows] or 1.
 * With fused_act = CNN_ACT_SIGMOID (BCE) or CNN_ACT_SOFTMAX (CCE/SCCE) and from_logits = 0,
 * y_pred is that activation's output and grad is taken with respect to its INPUT (the logits),
 * exactly what the chain rule through Keras's clipped formula gives. Otherwise fused_act must be
 * CNN_ACT_LINEAR. Returns CNN_ERR_ARG for an unsupported fusion. */
int cnn_loss_backward(float *grad, const float *y_pred, const float *y_true, const float *weights, long rows,
                      long cols, float scale, int fused_act, const cnn_loss *L);

/* ---------------------------------------------------------------- metrics (metrics.c) */
enum cnn_metric_kind {
    CNN_METRIC_BINARY_ACCURACY = 0,
    CNN_METRIC_CATEGORICAL_ACCURACY,
    CNN_METRIC_SPARSE_CATEGORICAL_ACCURACY,
    CNN_METRIC_MAE,
    CNN_METRIC_MSE,
    CNN_METRIC_ACCURACY,           /* mean over cols of (y == p) */
    CNN_METRIC_TOP_K,
    CNN_METRIC_SPARSE_TOP_K, /* the true class's score >= the k-th largest */
    CNN_METRIC_LOSS,               /* mean of a loss's per-row value (loss, from_logits, label_smoothing) */
    CNN_METRIC_CONFUSION,          /* confusion counts per threshold (and per label), below */
    CNN_METRIC_FBETA,              /* per class: tp, fp, fn, sum of y (Keras's FBetaScore state) */
    CNN_METRIC_R2, /* per column: sum y, sum y^2, sum (y - p)^2, sum w; then rows with w != 0 */
    CNN_METRIC_PYTHON, /* a mean of per-row values the host computes (handle: which metric) */
    CNN_METRIC_COUNT
};
typedef struct {
    int kind;
    float threshold; /* binary accuracy, fbeta, a single-threshold confusion */
    int num_thresholds; /* confusion: 0 = one threshold compared with >, else evenly spaced buckets */
    int epsilon_ends; /* confusion buckets: the ends are -eps and 1 + eps (AUC), so 0 counts */
    int top_k; /* top-k accuracy's k; confusion: keep only the top k scores of a row (0: off) */
    int class_id; /* confusion: only this column (-1: all) */
    int from_logits; /* confusion: sigmoid first; loss: as the loss's */
    int multi_label; /* confusion: counts per column */
    int argmax; /* fbeta: the row's maximum is the positive (Keras's threshold=None) */
    int loss; /* CNN_METRIC_LOSS: the cnn_loss_kind; CNN_METRIC_PYTHON: SCCE when y holds class ids */
    float label_smoothing;
    int weighted; /* inside a plan: sample weights apply (weighted_metrics) */
    int handle;   /* CNN_METRIC_PYTHON: the host's number for it */
} cnn_metric;
/* The number of doubles of a metric's streaming state for rows of `cols` columns (0: bad record).
 * Mean kinds: [weighted total, weight sum]. Confusion with T thresholds (T = num_thresholds, or 1)
 * and L labels (cols if multi_label, else 1): [pos[T][L], neg[T][L], pos_total[L], neg_total[L]],
 * where pos[t] sums the weights of positive labels whose score reaches bucket t (passes thresholds
 * 0..t): true positives at threshold t = sum of pos[t..T-1]; fn, fp, tn follow from the totals. */
long cnn_metric_state_size(const cnn_metric *m, long cols);
/* 1 when y_true holds one class id per row (sparse accuracy, sparse top-k, the SCCE loss metric). */
int cnn_metric_sparse(const cnn_metric *m);
/* state[cnn_metric_state_size] += this batch. Per-sample values are Keras's: binary accuracy = mean
 * over cols of (y == (p > threshold)), categorical = argmax equality (first max wins), sparse =
 * (y == argmax p), mae/mse mean over cols. y_true layout as in losses (sparse: [rows] ids).
 * weights[rows] may be NULL. Counts are sums of weights in double: exact for integer weights. */
void cnn_metric_update(double *state, const float *y_pred, const float *y_true, const float *weights,
                       long rows, long cols, const cnn_metric *m);

/* ---------------------------------------------------------------- optimizers (optim.c) */
enum cnn_opt_kind {
    CNN_OPT_SGD = 0,
    CNN_OPT_ADAM,
    CNN_OPT_RMSPROP,
    CNN_OPT_ADAGRAD,
    CNN_OPT_ADADELTA,
    CNN_OPT_ADAMAX,
    CNN_OPT_NADAM,
    CNN_OPT_LION,
    CNN_OPT_FTRL,
    CNN_OPT_PYTHON, /* the host updates the parameters (cnn_host_run); no slots here */
    CNN_OPT_COUNT
}; /* AdamW is ADAM with weight_decay */
typedef struct {
    int kind;
    float beta_1, beta_2, epsilon; /* Adam */
    float momentum; /* SGD, RMSprop */
    float rho; /* RMSprop */
    float initial_accumulator_value; /* Adagrad */
    int nesterov, amsgrad, centered;
    float weight_decay; /* any kind: p *= 1 - weight_decay * lr before the update */
    float one_minus_beta_1, one_minus_beta_2, one_minus_rho; /* (float)(1 - x) with x the double
                                            the user gave, as Keras computes it; 0: from the float */
    float learning_rate_power; /* Ftrl (initial_accumulator_value above too) */
    float l1, l2, l2_shrinkage, beta; /* Ftrl regularization strengths and beta */
} cnn_opt;
/* How many float slots per parameter the optimizer keeps (SGD: 0 or 1; Adam: 2, 3 with amsgrad;
 * RMSprop: 1 + momentum + centered; Adagrad: 1). Slot s of parameter i is slots[s * n + i]. */
int cnn_opt_slot_count(const cnn_opt *o);
/* Scalars kept after the slots (Nadam: 1, the running product of its momentum schedule), so a
 * slots buffer holds slot_count * n + state_count floats. Adadelta, Adamax, Nadam, Ftrl: 2 slots;
 * Lion: 1. Each slots buffer must go through exactly one cnn_opt_step per optimizer step. */
int cnn_opt_state_count(const cnn_opt *o);
/* Fills the slots (and state) with their start values (Adagrad's and Ftrl's accumulator, slot 0;
 * Nadam's product, 1; zeros elsewhere). */
void cnn_opt_init_slots(float *slots, long n, const cnn_opt *o);
/* One update of params[n] from grads[n]; t is the 1-based step (iterations + 1), lr the rate. */
void cnn_opt_step(float *params, float *slots, const float *grads, long n, const cnn_opt *o, long t,
                  float lr);

/* ---------------------------------------------------------------- dense (dense.c) */
/* y[rows, out] = x[rows, in] . w[in, out] + b[out] (b may be NULL); relu fused when asked. */
void cnn_dense_forward(float *y, const float *x, const float *w, const float *b, long rows, long in, long out,
                       int relu);
/* dw[in,out] += x^T dy; db[out] += column sums of dy (fixed chunk order); dx = dy . w^T
 * (dx may be NULL for the first layer; dx_mask, if not NULL, zeroes dx where dx_mask <= 0). */
void cnn_dense_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                        const float *dx_mask, long rows, long in, long out);
/* out[cols] += column sums of m[rows, cols] in a fixed order (64-row chunks, summed in order). */
void cnn_colsum_accumulate(float *out, const float *m, long rows, long cols);

/* ---------------------------------------------------------------- dropout (dropout.c) */
/* Inverted dropout over n elements: keep[i] = uniform(key, i) >= rate; y = keep ? x / (1 - rate) : 0.
 * rate == 1 gives zeros. keep is a byte mask cache for backward. y may equal x. */
void cnn_dropout_forward(float *y, uint8_t *keep, const float *x, long n, float rate, uint64_t key);
/* Dropout with Keras's noise_shape: per sample, element e uses mask entry map[e] of mask_size
 * entries (entries of sample b start at b * mask_size, or at 0 for every sample when batch_shared). */
void cnn_dropout_forward_shared(float *y, uint8_t *keep, const float *x, long nb, long size,
                                const int64_t *map, long mask_size, int batch_shared, float rate,
                                uint64_t key);
/* dx = keep ? dy / (1 - rate) : 0. dx may equal dy. */
void cnn_dropout_backward(float *dx, const float *dy, const uint8_t *keep, long n, float rate);

/* ---------------------------------------------------------------- batch normalization (batchnorm.c) */
/* Over x[rows, cols], per column: mean, biased variance (double accumulation, fixed order);
 * y = gamma * (x - mean) / sqrt(var + epsilon) + beta (gamma / beta NULL mean 1 / 0);
 * caches mean[cols], inv_std[cols]; moving_x = moving_x * momentum + stat * (1 - momentum). */
void cnn_batchnorm_forward_train(float *y, float *mean, float *inv_std, float *moving_mean, float *moving_var,
                                 const float *x, const float *gamma, const float *beta, long rows, long cols,
                                 float momentum, float epsilon);
/* Inference: the moving statistics normalise. */
void cnn_batchnorm_forward_infer(float *y, const float *x, const float *gamma, const float *beta,
                                 const float *moving_mean, const float *moving_var, long rows, long cols,
                                 float epsilon);
/* dx = full batch-statistics backward; dgamma += sum dy * xhat; dbeta += sum dy (NULL to skip). */
void cnn_batchnorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                            const float *mean, const float *inv_std, const float *gamma, long rows,
                            long cols);

/* ---------------------------------------------------------------- regularizers, constraints (regularize.c) */
/* l1 * sum|w| + l2 * sum w^2 (double, fixed order). */
double cnn_l1l2_value(const float *w, long n, float l1, float l2);
/* g += l1 * sign(w) + 2 * l2 * w (sign(0) = 0). */
void cnn_l1l2_grad(float *g, const float *w, long n, float l1, float l2);
enum cnn_constraint_kind {
    CNN_CONSTRAINT_NONE = 0,
    CNN_CONSTRAINT_MAX_NORM,
    CNN_CONSTRAINT_NON_NEG,
    CNN_CONSTRAINT_UNIT_NORM,
    CNN_CONSTRAINT_MIN_MAX_NORM
};
typedef struct {
    int kind;
    float max_value, min_value, rate;
} cnn_constraint;
/* w[rows, cols] <- c(w), norms taken over rows for each column (Keras axis=0 on a Dense kernel;
 * a bias is rows = n, cols = 1). Keras's formulas (keras/src/constraints/constraints.py, epsilon 1e-7). */
void cnn_constraint_apply(float *w, long rows, long cols, const cnn_constraint *c);

/* ---------------------------------------------------------------- learning-rate schedules (schedule.c) */
enum cnn_schedule_kind {
    CNN_SCHED_CONSTANT = 0,
    CNN_SCHED_LEGACY_DECAY,
    CNN_SCHED_EXPONENTIAL,
    CNN_SCHED_INVERSE_TIME,
    CNN_SCHED_PIECEWISE,
    CNN_SCHED_POLYNOMIAL,
    CNN_SCHED_COSINE,
    CNN_SCHED_COSINE_RESTARTS
};
#define CNN_SCHED_MAX_PIECES 256 /* PiecewiseConstantDecay values; exported as _core.SCHED_MAX_PIECES */
typedef struct {
    int kind;
    double lr; /* the initial / constant learning rate */
    double decay; /* LEGACY_DECAY: lr / (1 + decay * step) */
    double decay_steps, decay_rate, end_lr, power, alpha, warmup_target, warmup_steps, t_mul, m_mul;
    int staircase, cycle, npieces, nboundaries; /* PIECEWISE: npieces values, npieces - 1 boundaries */
    double boundaries[CNN_SCHED_MAX_PIECES], values[CNN_SCHED_MAX_PIECES];
} cnn_schedule;
/* The learning rate for the update at `step` (0-based optimizer iteration), Keras section 9. */
double cnn_schedule_lr(const cnn_schedule *s, long step);
/* The schedule's private double maths (exp, log, cospi, pow) by name, for tests. */
double cnn_schedule_math(const char *name, double x, double y);

/* ---------------------------------------------------------------- records (train/records.c, layers/table.c) */
/* Every struct that crosses the binding is described ONCE here, as a table of fields (name, type,
 * offset, default, allowed range). The binding parses Python dicts keyed by these names generically;
 * the core checks every value it stores (cnn_field_set_*), so no unchecked cast happens anywhere. */
enum cnn_field_type {
    CNN_FIELD_F32 = 0,
    CNN_FIELD_F64,
    CNN_FIELD_INT,
    CNN_FIELD_BOOL,
    CNN_FIELD_LONG,
    CNN_FIELD_U64,
    CNN_FIELD_ENUM, /* an int given by name: sub is the cnn_enum_desc */
    CNN_FIELD_SHAPE, /* a cnn_shape given as a sequence of positive sizes */
    CNN_FIELD_RECORD, /* a nested record: sub is its cnn_record_desc */
    CNN_FIELD_F64_ARRAY, /* double[capacity] inline; the count goes to the int at count_offset */
    CNN_FIELD_I64_LIST, /* int64_t * owned by whoever parsed it; count to the long at count_offset */
    CNN_FIELD_I32_ARRAY, /* int[capacity] inline, each in [lo, hi]; the count goes to the int at count_offset */
};
typedef struct {
    const char *name;
    int count;
    const char *const *names;
} cnn_enum_desc;
typedef struct cnn_record_desc cnn_record_desc;
typedef struct {
    const char *name;
    int type;
    size_t offset;
    double dflt, lo, hi; /* default and inclusive range of a number */
    const void *sub; /* ENUM: cnn_enum_desc; RECORD: cnn_record_desc */
    size_t count_offset; /* arrays and lists */
    long capacity; /* F64_ARRAY */
    int required;
} cnn_field;
struct cnn_record_desc {
    const char *name; /* "opt", "loss", ... as _core.fields names it */
    size_t size;
    int nfields;
    const cnn_field *fields;
    const char *(*check)(const void *rec); /* cross-field rules: the bad field's name, or NULL */
};
/* The descriptions of the records: optimizer, loss, metric, activation, schedule, constraint, and
 * the layer's common part (its kind's parameters: cnn_layer_params_desc). */
extern const cnn_record_desc cnn_opt_desc, cnn_loss_desc, cnn_metric_desc, cnn_act_desc, cnn_schedule_desc,
    cnn_constraint_desc, cnn_layer_desc;
extern const cnn_enum_desc cnn_opt_kinds, cnn_loss_kinds, cnn_metric_kinds, cnn_act_kinds, cnn_schedule_kinds,
    cnn_constraint_kinds, cnn_layer_kinds, cnn_layer_modes;
void cnn_record_defaults(const cnn_record_desc *d, void *rec);
const cnn_field *cnn_record_field(const cnn_record_desc *d, const char *name);
int cnn_enum_value(const cnn_enum_desc *e, const char *name); /* -1: not a name of e */
/* Store v into field f of rec: CNN_ERR_ARG for NaN/inf where an integer is expected, a fraction, or a
 * value outside [lo, hi]. Integers with no exact double (seeds) go through cnn_field_set_int. */
int cnn_field_set_number(const cnn_field *f, void *rec, double v);
int cnn_field_set_int(const cnn_field *f, void *rec, long long v, int is_unsigned);

/* ---------------------------------------------------------------- the plan (plan.c, train.c, layers/) */
/* A model as the core sees it: a chain of layers over flat buffers. Each layer has N-dimensional
 * per-sample shapes (up to three spatial axes, then channels); Dense, the normalizations and softmax
 * act on the last axis (cols), the other axes are rows. Kinds live in layers/<kind>.c, registered in
 * layers/table.c; train.c and plan.c loop over that table and never switch on a kind. */
#define CNN_MAX_DIMS 4
#define CNN_MAX_INPUTS 16 /* sources of one layer (merge layers), and model inputs */
#define CNN_MAX_OUTPUTS 16 /* model outputs, each with its loss */
typedef struct {
    int ndim;
    long dim[CNN_MAX_DIMS];
} cnn_shape;
long cnn_shape_size(const cnn_shape *s); /* product of the sizes; 0 for a bad or overflowing shape */
/* A layer's weight tensors are spans of the parameter buffer (off = -1: absent). */
enum cnn_weight_slot {
    CNN_W_KERNEL = 0,
    /* kernel, gamma */ CNN_W_BIAS, /* bias, beta */
    CNN_W_STATE0,
    CNN_W_STATE1,
    /* moving mean / variance */ CNN_MAX_WEIGHTS
};
typedef struct {
    long off, len;
} cnn_span;
enum { CNN_MODE_CALL = 0, CNN_MODE_TRAINING, CNN_MODE_INFERENCE, CNN_MODE_COUNT };
#define CNN_LAYER_PARAMS_SIZE 64
typedef struct {
    int kind; /* position in the layer table (_core.enums["layer"]) */
    cnn_shape in, out; /* per sample */
    cnn_span w[CNN_MAX_WEIGHTS];
    float kernel_l1, kernel_l2, bias_l1, bias_l2, activity_l1, activity_l2;
    cnn_constraint kernel_constraint, bias_constraint;
    int trainable;
    /* record field "call_mode" (cnn_layer_modes): CNN_MODE_CALL follows the pass (fit:
     * training, predict: inference); a call with training=True / False fixes it (Monte Carlo dropout, a
     * frozen base's BatchNormalization while fine-tuning) */
    int mode;
    /* graph models: the sources of its input(s), j >= 0 layer j's output (j earlier), -1 - k model input
     * k; ninputs = 0 is the chain (the previous layer, or input 0 for the first). Merge kinds take 2+. */
    int ninputs;
    int inputs[CNN_MAX_INPUTS];
    /* the kind's own parameters (its struct, described by cnn_layer_params_desc(kind)) */
    union {
        double align_;
        uint64_t u_;
        unsigned char bytes[CNN_LAYER_PARAMS_SIZE];
    } p;
} cnn_layer;
int cnn_layer_kind_count(void);
const cnn_record_desc *cnn_layer_params_desc(int kind);

#define CNN_MAX_METRICS 64 /* metric records: a metric with uneven thresholds takes one per threshold */
typedef struct cnn_plan cnn_plan; /* opaque: plan.c */
/* params[n_params] (trainable first: [0, n_trainable)) and slots are owned by the caller and must
 * outlive the plan. Copies the layer, loss, metric and optimizer descriptions. Sizes the buffers for
 * batches of up to batch_max samples. NULL on bad arguments or no memory; then, for bad arguments,
 * *diag names the layer (-1: none) and the field at fault. */
typedef struct {
    int layer;
    const char *field;
} cnn_diag;
cnn_plan *cnn_plan_create(const cnn_layer *layers, int nlayers, const cnn_loss *loss,
                          const cnn_metric *metrics, int nmetrics, const cnn_opt *opt, float *params,
                          long n_params, long n_trainable, float *slots, long batch_max, int *status,
                          cnn_diag *diag);
void cnn_plan_free(cnn_plan *p);
/* Gradient clipping before each update, Keras's rules (0 = off; at most one is set): clipnorm per
 * weight tensor g * c / max(|g|, c), global_clipnorm over all trainable gradients, clipvalue clip(g). */
void cnn_plan_set_clipping(cnn_plan *p, float clipnorm, float clipvalue, float global_clipnorm);
/* Keras's use_ema: after each update (before constraints) ema = m * ema + (1 - m) * params over the
 * trainable range, m = 0 at the first step (iteration 0) else momentum; every overwrite_frequency
 * steps (0: never) params = ema. ema[n_trainable] is owned by the caller; NULL turns it off. */
void cnn_plan_set_ema(cnn_plan *p, float *ema, float momentum, long overwrite_frequency);
long cnn_plan_batch_max(const cnn_plan *p);
/* Sample weights per sample (SW is [n, cols]): one per model output, 1 for a chain or one output. */
int cnn_plan_weight_cols(const cnn_plan *p);
/* Graph models: several inputs (X rows are their flattened concatenation, in order), any layer
 * sources (cnn_layer.inputs) and several outputs, each with its loss, weight, metrics (nmetrics
 * consecutive records of `metrics`, in output order) and targets (consecutive columns of a Y row, in
 * output order; one class id per row for SCCE). Total loss = sum of weight * loss. A chain (one input,
 * each layer fed by the previous, one output: the last layer, weight 1) runs the Sequential path. */
typedef struct {
    int layer; /* the output's layer */
    cnn_loss loss;
    float weight; /* loss weight */
    int nmetrics;
} cnn_output;
extern const cnn_record_desc cnn_output_desc;
cnn_plan *cnn_plan_create_graph(const cnn_layer *layers, int nlayers, const cnn_shape *inputs, int ninputs,
                                const cnn_output *outputs, int noutputs, const cnn_metric *metrics,
                                int nmetrics, const cnn_opt *opt, float *params, long n_params,
                                long n_trainable, float *slots, long batch_max, int *status, cnn_diag *diag);
/* Sums over the samples seen: loss_sum = sum_b n_b * (loss_b + regularization_b), count = sum_b n_b;
 * state[cnn_plan_state_size(p)] (zeroed by the caller at each reset): the metrics' streaming states,
 * metric k's at cnn_plan_state_offset(p, k), cnn_metric_state_size(metric, out_cols) doubles. */
typedef struct {
    double loss_sum, count;
    double *state;
} cnn_sums;
long cnn_plan_state_size(const cnn_plan *p);
/* Several outputs: the sums of n_b * (unweighted loss of output k) follow the metric states, at
 * cnn_plan_output_loss_offset(p, k) in cnn_sums.state (-1: not kept, one output). */
long cnn_plan_output_loss_offset(const cnn_plan *p, int k);
long cnn_plan_state_offset(const cnn_plan *p, int k);
/* Called after every step with the steps done so far; a nonzero return stops the loop (that value is
 * returned). It decides itself how often to do real work (the binding: every ~50 ms). */
typedef int (*cnn_progress_fn)(void *ctx, long steps_done, const cnn_sums *sums);
/* The features X[n, in_size] of the entry points below, as the caller holds them: float32, or uint8
 * (images 0..255 as datasets give them), which the loops convert batch by batch into the plan's batch
 * buffer, so no float copy of a data set is made. The conversion is exact: the float32 copy's results,
 * bit for bit. */
typedef enum { CNN_X_F32, CNN_X_U8 } cnn_xtype;
typedef struct {
    const void *data;
    cnn_xtype type;
} cnn_xdata;
/* Trains `nsteps` steps of `batch` samples from rows idx[first * batch ...] of X[n, in_size],
 * Y[n, y_size] (y_size = 1 for SCCE ids, else out_size), sample weights SW[n] or NULL.
 * *iteration is the optimizer step counter (incremented per step), sched gives the rate.
 * dropout masks use key (seed, DROPOUT, layer, *iteration). Returns a cnn_status. */
int cnn_train_steps(cnn_plan *p, cnn_xdata X, const float *Y, const float *SW, long n, const int64_t *idx,
                    long batch, long first, long nsteps, long *iteration, const cnn_schedule *sched,
                    uint64_t seed, cnn_sums *sums, cnn_progress_fn progress, void *ctx);
/* Inference-mode loss and metrics over rows [0, n) in batches of `batch`. */
int cnn_evaluate(cnn_plan *p, cnn_xdata X, const float *Y, const float *SW, long n, long batch,
                 cnn_sums *sums, cnn_progress_fn progress, void *ctx);
/* Inference-mode outputs out[n, out_size]. */
int cnn_predict(cnn_plan *p, float *out, cnn_xdata X, long n, long batch, cnn_progress_fn progress,
                void *ctx);


/* ---------------------------------------------------------------- extra math (mathf.c, owner: act) */
float cnn_expm1f(float x); /* e^x - 1, accurate near 0 (ELU, SELU) */

#endif

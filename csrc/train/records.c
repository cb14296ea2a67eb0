/* records.c - the one description of every record that crosses the binding (cnn.h, "records"):
 * field names, types, offsets, defaults and ranges, plus the enum names. The binding reads dicts
 * keyed by these names and exports them as _core.enums / _core.fields; Python never repeats them. */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cnn.h"

#define INF INFINITY
#define BIG 9007199254740992.0   /* 2^53: integers beyond it have no exact double */
#define NAMES(var, ...) static const char *const var##_names[] = {__VA_ARGS__}
#define ENUM(var, n) const cnn_enum_desc var = {#var, n, var##_names}
#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ------------------------------------------------------------------ enums, in enum order */
NAMES(cnn_act_kinds, "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "gelu_tanh", "sigmoid",
      "hard_sigmoid", "tanh", "softmax", "softplus", "softsign", "silu", "exponential", "step", "hard_silu",
      "mish");
ENUM(cnn_act_kinds, CNN_ACT_COUNT);
NAMES(cnn_loss_kinds, "mse", "mae", "mape", "msle", "bce", "cce", "scce", "hinge", "squared_hinge",
      "categorical_hinge", "huber", "log_cosh", "kld", "poisson", "cosine", "python");
ENUM(cnn_loss_kinds, CNN_LOSS_COUNT);
NAMES(cnn_metric_kinds, "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "mae",
      "mse", "accuracy", "top_k", "sparse_top_k", "loss", "confusion", "fbeta", "r2", "python");
ENUM(cnn_metric_kinds, CNN_METRIC_COUNT);
NAMES(cnn_opt_kinds, "sgd", "adam", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "lion", "ftrl",
      "python");
ENUM(cnn_opt_kinds, CNN_OPT_COUNT);
NAMES(cnn_schedule_kinds, "constant", "legacy_decay", "exponential", "inverse_time", "piecewise",
      "polynomial", "cosine", "cosine_restarts");
ENUM(cnn_schedule_kinds, CNN_SCHED_COSINE_RESTARTS + 1);
NAMES(cnn_constraint_kinds, "none", "max_norm", "non_neg", "unit_norm", "min_max_norm");
ENUM(cnn_constraint_kinds, CNN_CONSTRAINT_MIN_MAX_NORM + 1);

/* ------------------------------------------------------------------ field tables */
#define F32(st, m, d) {#m, CNN_FIELD_F32, offsetof(st, m), d, -INF, INF, NULL, 0, 0, 0}
#define F64(st, m, d) {#m, CNN_FIELD_F64, offsetof(st, m), d, -INF, INF, NULL, 0, 0, 0}
#define BOOL(st, m) {#m, CNN_FIELD_BOOL, offsetof(st, m), 0, 0, 1, NULL, 0, 0, 0}
#define KIND(st, e) {"kind", CNN_FIELD_ENUM, offsetof(st, kind), 0, 0, 0, &e, 0, 0, 1}

static const cnn_field act_fields[] = {
    KIND(cnn_act, cnn_act_kinds),
    F32(cnn_act, alpha, 0),
    F32(cnn_act, max_value, INF),
    F32(cnn_act, threshold, 0),
};
const cnn_record_desc cnn_act_desc = {"act", sizeof(cnn_act), COUNT_OF(act_fields), act_fields, NULL};

static const cnn_field loss_fields[] = {
    KIND(cnn_loss, cnn_loss_kinds),
    BOOL(cnn_loss, from_logits),
    F32(cnn_loss, label_smoothing, 0),
    F32(cnn_loss, delta, 1),
    /* PYTHON: y is one value per row (spelled out: BOOL's five-field rows get bin-packed) */
    {"sparse", CNN_FIELD_BOOL, offsetof(cnn_loss, sparse), 0, 0, 1, NULL, 0, 0, 0},
};
const cnn_record_desc cnn_loss_desc = {"loss", sizeof(cnn_loss), COUNT_OF(loss_fields), loss_fields, NULL};

static const cnn_field metric_fields[] = {
    KIND(cnn_metric, cnn_metric_kinds),
    F32(cnn_metric, threshold, 0.5),
    {"num_thresholds", CNN_FIELD_INT, offsetof(cnn_metric, num_thresholds), 0, 0, 1e6, NULL, 0, 0, 0},
    BOOL(cnn_metric, epsilon_ends),
    {"top_k", CNN_FIELD_INT, offsetof(cnn_metric, top_k), 0, 0, 1e6, NULL, 0, 0, 0},
    {"class_id", CNN_FIELD_INT, offsetof(cnn_metric, class_id), -1, -1, 1e9, NULL, 0, 0, 0},
    BOOL(cnn_metric, from_logits),
    BOOL(cnn_metric, multi_label),
    BOOL(cnn_metric, argmax),
    {"loss", CNN_FIELD_ENUM, offsetof(cnn_metric, loss), 0, 0, 0, &cnn_loss_kinds, 0, 0, 0},
    F32(cnn_metric, label_smoothing, 0),
    BOOL(cnn_metric, weighted),
    {"handle", CNN_FIELD_INT, offsetof(cnn_metric, handle), 0, 0, 1e6, NULL, 0, 0, 0},
};
const cnn_record_desc cnn_metric_desc
    = {"metric", sizeof(cnn_metric), COUNT_OF(metric_fields), metric_fields, NULL};

static const cnn_field opt_fields[] = {
    KIND(cnn_opt, cnn_opt_kinds),
    F32(cnn_opt, beta_1, 0),
    F32(cnn_opt, beta_2, 0),
    F32(cnn_opt, epsilon, 0),
    F32(cnn_opt, momentum, 0),
    F32(cnn_opt, rho, 0),
    F32(cnn_opt, initial_accumulator_value, 0),
    BOOL(cnn_opt, nesterov),
    BOOL(cnn_opt, amsgrad),
    BOOL(cnn_opt, centered),
    F32(cnn_opt, weight_decay, 0),
    F32(cnn_opt, one_minus_beta_1, 0),
    F32(cnn_opt, one_minus_beta_2, 0),
    F32(cnn_opt, one_minus_rho, 0),
    F32(cnn_opt, learning_rate_power, 0),
    F32(cnn_opt, l1, 0),
    F32(cnn_opt, l2, 0),
    F32(cnn_opt, l2_shrinkage, 0),
    F32(cnn_opt, beta, 0),
};
const cnn_record_desc cnn_opt_desc = {"opt", sizeof(cnn_opt), COUNT_OF(opt_fields), opt_fields, NULL};

static const cnn_field constraint_fields[] = {
    {"kind", CNN_FIELD_ENUM, offsetof(cnn_constraint, kind), 0, 0, 0, &cnn_constraint_kinds, 0, 0, 0},
    F32(cnn_constraint, max_value, 0),
    F32(cnn_constraint, min_value, 0),
    F32(cnn_constraint, rate, 0),
};
const cnn_record_desc cnn_constraint_desc
    = {"constraint", sizeof(cnn_constraint), COUNT_OF(constraint_fields), constraint_fields, NULL};

static const char *schedule_check(const void *rec)
{
    const cnn_schedule *s = rec;
    if (s->kind == CNN_SCHED_PIECEWISE && (s->npieces < 1 || s->nboundaries != s->npieces - 1))
        return s->npieces < 1 ? "values" : "boundaries";
    return NULL;
}

static const cnn_field schedule_fields[] = {
    KIND(cnn_schedule, cnn_schedule_kinds),
    F64(cnn_schedule, lr, 0.001),
    F64(cnn_schedule, decay, 0),
    F64(cnn_schedule, decay_steps, 1),
    F64(cnn_schedule, decay_rate, 0),
    F64(cnn_schedule, end_lr, 0),
    F64(cnn_schedule, power, 1),
    F64(cnn_schedule, alpha, 0),
    F64(cnn_schedule, warmup_target, NAN),
    F64(cnn_schedule, warmup_steps, 0),
    F64(cnn_schedule, t_mul, 2),
    F64(cnn_schedule, m_mul, 1),
    BOOL(cnn_schedule, staircase),
    BOOL(cnn_schedule, cycle),
    {"boundaries", CNN_FIELD_F64_ARRAY, offsetof(cnn_schedule, boundaries), 0, -INF, INF, NULL,
     offsetof(cnn_schedule, nboundaries), CNN_SCHED_MAX_PIECES - 1, 0},
    {"values", CNN_FIELD_F64_ARRAY, offsetof(cnn_schedule, values), 0, -INF, INF, NULL,
     offsetof(cnn_schedule, npieces), CNN_SCHED_MAX_PIECES, 0},
};
const cnn_record_desc cnn_schedule_desc
    = {"schedule", sizeof(cnn_schedule), COUNT_OF(schedule_fields), schedule_fields, schedule_check};

static const cnn_field output_fields[] = {
    {"layer", CNN_FIELD_INT, offsetof(cnn_output, layer), 0, 0, 1e9, NULL, 0, 0, 1},
    {"loss", CNN_FIELD_RECORD, offsetof(cnn_output, loss), 0, 0, 0, &cnn_loss_desc, 0, 0, 1},
    {"weight", CNN_FIELD_F32, offsetof(cnn_output, weight), 1, -INF, INF, NULL, 0, 0, 0},
    {"metrics", CNN_FIELD_INT, offsetof(cnn_output, nmetrics), 0, 0, CNN_MAX_METRICS, NULL, 0, 0, 0},
};
const cnn_record_desc cnn_output_desc
    = {"output", sizeof(cnn_output), COUNT_OF(output_fields), output_fields, NULL};

/* ------------------------------------------------------------------ generic access */
void cnn_record_defaults(const cnn_record_desc *d, void *rec)
{
    memset(rec, 0, d->size);
    for (int i = 0; i < d->nfields; i++) {
        const cnn_field *f = &d->fields[i];
        if (f->type == CNN_FIELD_RECORD) cnn_record_defaults(f->sub, (char *)rec + f->offset);
        else if (f->type <= CNN_FIELD_U64 && f->dflt != 0) cnn_field_set_number(f, rec, f->dflt);
    }
}

const cnn_field *cnn_record_field(const cnn_record_desc *d, const char *name)
{
    for (int i = 0; d && i < d->nfields; i++)
        if (d->fields[i].name[0] == name[0] && !strcmp(d->fields[i].name, name)) return &d->fields[i];
    return NULL;
}

int cnn_enum_value(const cnn_enum_desc *e, const char *name)
{
    for (int i = 0; i < e->count; i++)
        if (!strcmp(e->names[i], name)) return i;
    return -1;
}

int cnn_field_set_number(const cnn_field *f, void *rec, double v)
{
    char *at = (char *)rec + f->offset;
    switch (f->type) {
    case CNN_FIELD_F32: {
        if (!isnan(v) && (v < f->lo || v > f->hi)) return CNN_ERR_ARG;
        /* out-of-range doubles become +-inf explicitly: the plain cast would be undefined */
        float x = v > FLT_MAX ? INFINITY : v < -FLT_MAX ? -INFINITY : (float)v;
        memcpy(at, &x, sizeof x);
        return CNN_OK;
    }
    case CNN_FIELD_F64:
        if (!isnan(v) && (v < f->lo || v > f->hi)) return CNN_ERR_ARG;
        memcpy(at, &v, sizeof v);
        return CNN_OK;
    case CNN_FIELD_INT:
    case CNN_FIELD_BOOL:
    case CNN_FIELD_LONG:
    case CNN_FIELD_U64:
        if (!isfinite(v) || v != floor(v) || v < -BIG || v > BIG) return CNN_ERR_ARG;
        return cnn_field_set_int(f, rec, (long long)v, 0);
    default: return CNN_ERR_ARG;
    }
}

int cnn_field_set_int(const cnn_field *f, void *rec, long long v, int is_unsigned)
{
    char *at = (char *)rec + f->offset;
    if (f->type == CNN_FIELD_U64) {
        if (!is_unsigned && v < 0) return CNN_ERR_ARG;
        uint64_t u = (uint64_t)v;
        memcpy(at, &u, sizeof u);
        return CNN_OK;
    }
    if (is_unsigned && v < 0) return CNN_ERR_ARG;   /* an unsigned value beyond LLONG_MAX */
    if (f->type == CNN_FIELD_F32 || f->type == CNN_FIELD_F64) return cnn_field_set_number(f, rec, (double)v);
    if ((double)v < f->lo || (double)v > f->hi) return CNN_ERR_ARG;
    if (f->type == CNN_FIELD_LONG) {
        long x = (long)v;
        memcpy(at, &x, sizeof x);
    } else if (f->type == CNN_FIELD_INT || f->type == CNN_FIELD_BOOL || f->type == CNN_FIELD_ENUM) {
        int x = (int)v;
        memcpy(at, &x, sizeof x);
    } else {
        return CNN_ERR_ARG;
    }
    return CNN_OK;
}

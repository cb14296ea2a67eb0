/* table.c - the layer kinds, in one table: a kind's number is its position here and its name is
 * what Python writes in a layer record ({"kind": "dense", ...}). Adding a kind = one file in layers/
 * defining `const cnn_layer_ops cnn_layer_<name>` plus one X(<name>) line below. */
#include <limits.h>
#include <stddef.h>

#include "layer.h"

/* one kind per line; clang-format does not reach a stable layout for a long macro list */
// clang-format off
#define CNN_LAYER_KINDS(X) \
    X(dense) \
    X(activation) \
    X(dropout) \
    X(batchnorm) \
    X(reshape) \
    X(noise) \
    X(layernorm) \
    X(normalization) \
    X(conv) \
    X(pool) \
    X(scale) \
    X(resample) \
    X(merge) \
    X(concatenate) \
    X(dot) \
    X(python)
// clang-format on

#define DECLARE(k) extern const cnn_layer_ops cnn_layer_##k;
CNN_LAYER_KINDS(DECLARE)
#define ENTRY(k) &cnn_layer_##k,
static const cnn_layer_ops *const kinds[] = {CNN_LAYER_KINDS(ENTRY)};
#define NAME(k) #k,
static const char *const kind_names[] = {CNN_LAYER_KINDS(NAME)};
#define NKINDS ((int)(sizeof kinds / sizeof kinds[0]))
const cnn_enum_desc cnn_layer_kinds = {"cnn_layer_kinds", NKINDS, kind_names};
static const char *const mode_names[CNN_MODE_COUNT] = {"call", "training", "inference"};
const cnn_enum_desc cnn_layer_modes = {"cnn_layer_modes", CNN_MODE_COUNT, mode_names};

int cnn_layer_kind_count(void) { return NKINDS; }
const cnn_layer_ops *cnn_layer_kind(int kind) { return kind >= 0 && kind < NKINDS ? kinds[kind] : NULL; }
const cnn_record_desc *cnn_layer_params_desc(int kind)
{ return kind >= 0 && kind < NKINDS ? kinds[kind]->params : NULL; }

/* At most 2^40 elements, or what a long holds (32 bits on Windows). */
#if LONG_MAX > (1LL << 40)
#define SHAPE_CAP (1L << 40)
#else
#define SHAPE_CAP (LONG_MAX - 1)
#endif

long cnn_shape_size(const cnn_shape *s)
{
    if (s->ndim < 1 || s->ndim > CNN_MAX_DIMS) return 0;
    long n = 1;
    for (int i = 0; i < s->ndim; i++)
        if (s->dim[i] <= 0 || __builtin_mul_overflow(n, s->dim[i], &n) || n > SHAPE_CAP) return 0;
    return n;
}

/* ------------------------------------------------------------------ the common part of a layer record */
#define INF __builtin_inf()
#define BIG 9007199254740992.0
/* a weight span: offset (-1: absent) and length */
#define SPAN(name, slot, part, lowest) \
    {name, \
     CNN_FIELD_LONG, \
     offsetof(cnn_layer, w) + (slot) * sizeof(cnn_span) + offsetof(cnn_span, part), \
     lowest, \
     lowest, \
     BIG, \
     NULL, \
     0, \
     0, \
     0}
#define F32(m) {#m, CNN_FIELD_F32, offsetof(cnn_layer, m), 0, -INF, INF, NULL, 0, 0, 0}
#define SHAPE(name, m) {name, CNN_FIELD_SHAPE, offsetof(cnn_layer, m), 0, 1, BIG, NULL, 0, 0, 1}
#define CONSTRAINT(m) {#m, CNN_FIELD_RECORD, offsetof(cnn_layer, m), 0, 0, 0, &cnn_constraint_desc, 0, 0, 0}

static const cnn_field layer_fields[] = {
    {"kind", CNN_FIELD_ENUM, offsetof(cnn_layer, kind), 0, 0, 0, &cnn_layer_kinds, 0, 0, 1},
    SHAPE("in_shape", in),
    SHAPE("out_shape", out),
    SPAN("w_off", CNN_W_KERNEL, off, -1),
    SPAN("w_len", CNN_W_KERNEL, len, 0),
    SPAN("b_off", CNN_W_BIAS, off, -1),
    SPAN("b_len", CNN_W_BIAS, len, 0),
    SPAN("mm_off", CNN_W_STATE0, off, -1),
    SPAN("mm_len", CNN_W_STATE0, len, 0),
    SPAN("mv_off", CNN_W_STATE1, off, -1),
    SPAN("mv_len", CNN_W_STATE1, len, 0),
    F32(kernel_l1),
    F32(kernel_l2),
    F32(bias_l1),
    F32(bias_l2),
    F32(activity_l1),
    F32(activity_l2),
    CONSTRAINT(kernel_constraint),
    CONSTRAINT(bias_constraint),
    {"trainable", CNN_FIELD_BOOL, offsetof(cnn_layer, trainable), 1, 0, 1, NULL, 0, 0, 0},
    {"call_mode", CNN_FIELD_ENUM, offsetof(cnn_layer, mode), 0, 0, 0, &cnn_layer_modes, 0, 0, 0},
    /* the plan checks each source: an earlier layer or a model input */
    {"inputs", CNN_FIELD_I32_ARRAY, offsetof(cnn_layer, inputs), 0, -CNN_MAX_INPUTS, 1e9, NULL,
     offsetof(cnn_layer, ninputs), CNN_MAX_INPUTS, 0},
};
const cnn_record_desc cnn_layer_desc
    = {"layer", sizeof(cnn_layer), sizeof layer_fields / sizeof layer_fields[0], layer_fields, NULL};

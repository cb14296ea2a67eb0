/* python.c - the layer kind whose forward and backward are written in the host language (a
 * cnn.layers.Layer subclass): both go through cnn_host_run with the batch's buffers. The layer's
 * weights live in the parameter buffer like any other: the kernel span is the range of its trainable
 * weights (the host lays them out inside it and adds their gradients), the first state span the
 * range of the others (restored when a step is abandoned). Only the host tells apart the tensors
 * inside the kernel span, so their penalties, per-tensor clipping and constraints go through it too
 * (own_weights), and only when the record says the layer has some. */
#include <stddef.h>
#include <string.h>

#include "layer.h"

typedef struct {
    int penalties;     /* some trainable weight has a regularizer */
    int constraints;   /* some trainable weight has a constraint */
} python_params;

static const cnn_field python_fields[] = {
    {"penalties", CNN_FIELD_BOOL, offsetof(python_params, penalties), 0, 0, 1, NULL, 0, 0, 0},
    {"constraints", CNN_FIELD_BOOL, offsetof(python_params, constraints), 0, 0, 1, NULL, 0, 0, 0},
};
static const cnn_record_desc python_desc
    = {"python", sizeof(python_params), sizeof python_fields / sizeof python_fields[0], python_fields, NULL};

static const char *check(const cnn_layer *L)
{
    if (L->w[CNN_W_BIAS].off >= 0) return "b_off";
    if (L->w[CNN_W_STATE1].off >= 0) return "mv_off";
    return NULL;
}

static void sizes(const cnn_layer *L, cnn_layer_sizes *s) { s->out = cnn_layer_out_size(L); }

static const float *forward(const cnn_layer_ctx *c, const float *x, int training, long iteration)
{
    const cnn_layer *L = c->L;
    cnn_host_call call = {CNN_HOST_LAYER_FORWARD, c->index, training, iteration, 0.0f, 2, {{0}}};
    call.a[0] = cnn_host_f32(c->B->out, c->nb, cnn_layer_out_size(L));
    call.a[1] = cnn_host_f32((float *)x, c->nb, cnn_layer_in_size(L));
    cnn_host_run(&call);   /* a failure stops the step (the caller polls the interrupt) */
    return c->B->out;
}

static float *backward(const cnn_layer_ctx *c, float *g, float *gx, const float *x, const float *y,
                       int g_is_dz, int need_dx, const float *dx_mask, int *masked)
{
    const cnn_layer *L = c->L;
    long in = cnn_layer_in_size(L), out = cnn_layer_out_size(L);
    const cnn_span *w = &L->w[CNN_W_KERNEL];
    cnn_host_call call = {CNN_HOST_LAYER_BACKWARD, c->index, cnn_layer_training(L, 1), 0, 0.0f, 5, {{0}}};
    call.a[0] = cnn_host_f32(need_dx ? gx : NULL, c->nb, in);
    call.a[1] = cnn_host_f32(g, c->nb, out);
    call.a[2] = cnn_host_f32((float *)x, c->nb, in);
    call.a[3] = cnn_host_f32((float *)y, c->nb, out);
    call.a[4] = cnn_host_f32(w->off >= 0 ? c->grads + w->off : NULL, 1, w->off >= 0 ? w->len : 0);
    if (need_dx) memset(gx, 0, sizeof(float) * c->nb * in);
    cnn_host_run(&call);
    return gx;
}

static void own_weights(const cnn_layer_ctx *c, int stage, float clipnorm, double *value)
{
    const python_params *P = CNN_LAYER_PARAMS(c->L, const python_params);
    const cnn_span *w = &c->L->w[CNN_W_KERNEL];
    int needed = stage == CNN_OWN_PENALTY ? P->penalties
                 : stage == CNN_OWN_GRADS ? P->penalties || clipnorm > 0.0f
                                          : P->constraints;
    if (!needed || w->off < 0 || w->len == 0) return;
    float *params = c->params + w->off;
    cnn_host_call call = {CNN_HOST_LAYER_PENALTY, c->index, 0, 0, 0.0f, 2, {{0}}};
    if (stage == CNN_OWN_PENALTY) {
        call.a[0] = cnn_host_f64(value, 1, 1);
        call.a[1] = cnn_host_f32(params, 1, w->len);
    } else if (stage == CNN_OWN_GRADS) {
        call.op = CNN_HOST_LAYER_GRADS;
        call.lr = clipnorm;
        call.a[0] = cnn_host_f32(c->grads + w->off, 1, w->len);
        call.a[1] = cnn_host_f32(params, 1, w->len);
    } else {
        call.op = CNN_HOST_LAYER_CONSTRAIN;
        call.narrays = 1;
        call.a[0] = cnn_host_f32(params, 1, w->len);
    }
    cnn_host_run(&call);   /* a failure stops the step (train.c checks cnn_host_stopped) */
}

const cnn_layer_ops cnn_layer_python
    = {"python", &python_desc, check, sizes, NULL, NULL, forward,    backward,
       NULL,     NULL,         NULL,  NULL,  NULL, NULL, own_weights};

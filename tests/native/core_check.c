/* core_check.c - prints a hash of the output bits of the core's other hot kernels (every activation
 * forward and backward, every loss forward and backward, every optimizer's update) and of a short
 * training run through a plan (Dense relu -> Dense softmax, CCE, Adam), for comparing instruction-set
 * paths and machines (tests/test_native_isa.py runs it natively and under qemu).
 *
 *   core_check ISA THREADS   one line per case: "name hash"; exit 2 if ISA is absent
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnn.h"

static uint64_t g_state = 0x2545f4914f6cdd1du;

static float uniform(float lo, float hi)  /* 24 random mantissa bits */
{
    g_state = g_state * 6364136223846793005u + 1442695040888963407u;
    return lo + (hi - lo) * (float)(g_state >> 40) / (float)(1 << 24);
}

static uint64_t hash_bytes(const void *p, size_t n)  /* FNV-1a */
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)p)[i]) * 0x100000001b3u;
    return h;
}

#define N 1024
#define ROWS 64
#define COLS 16

static void activations(void)
{
    static float x[N], y[N], dy[N], dx[N];
    for (int k = 0; k < CNN_ACT_COUNT; k++) {
        cnn_act a;
        cnn_record_defaults(&cnn_act_desc, &a);
        a.kind = k;
        for (int i = 0; i < N; i++) x[i] = uniform(-8.0f, 8.0f), dy[i] = uniform(-1.0f, 1.0f);
        cnn_act_forward(y, x, N / COLS, COLS, &a);
        cnn_act_backward(dx, dy, x, y, N / COLS, COLS, &a);
        printf("act %s %016llx %016llx\n", cnn_act_kinds.names[k],
               (unsigned long long)hash_bytes(y, sizeof y), (unsigned long long)hash_bytes(dx, sizeof dx));
    }
}

static void losses(void)
{
    static float pred[ROWS * COLS], truth[ROWS * COLS], w[ROWS], grad[ROWS * COLS];
    static double per[ROWS];
    for (int k = 0; k < CNN_LOSS_COUNT; k++) {
        cnn_loss L;
        cnn_record_defaults(&cnn_loss_desc, &L);
        L.kind = k;
        for (int i = 0; i < ROWS * COLS; i++) pred[i] = uniform(0.01f, 0.99f), truth[i] = uniform(0.0f, 1.0f);
        if (k == CNN_LOSS_SCCE)
            for (int r = 0; r < ROWS; r++) truth[r] = (float)(r % COLS);
        for (int r = 0; r < ROWS; r++) w[r] = uniform(0.0f, 2.0f);
        cnn_loss_forward(per, pred, truth, ROWS, COLS, &L);
        int st = cnn_loss_backward(grad, pred, truth, w, ROWS, COLS, 0.5f, CNN_ACT_LINEAR, &L);
        printf("loss %s %d %016llx %016llx\n", cnn_loss_kinds.names[k], st,
               (unsigned long long)hash_bytes(per, sizeof per),
               (unsigned long long)hash_bytes(grad, sizeof grad));
    }
}

static void optimizers(void)
{
    static float p[N], g[N], slots[4 * N + 4];
    for (int k = 0; k < CNN_OPT_COUNT; k++) {
        cnn_opt o;
        cnn_record_defaults(&cnn_opt_desc, &o);
        o.kind = k;
        for (int i = 0; i < N; i++) p[i] = uniform(-1.0f, 1.0f);
        cnn_opt_init_slots(slots, N, &o);
        for (long t = 1; t <= 5; t++) {
            for (int i = 0; i < N; i++) g[i] = uniform(-1.0f, 1.0f);
            cnn_opt_step(p, slots, g, N, &o, t, 0.01f);
        }
        printf("opt %s %016llx\n", cnn_opt_kinds.names[k], (unsigned long long)hash_bytes(p, sizeof p));
    }
}

static void set_dense(cnn_layer *L, long in, long out, long off, const char *act)
{
    cnn_record_defaults(&cnn_layer_desc, L);
    L->kind = cnn_enum_value(&cnn_layer_kinds, "dense");
    L->in = (cnn_shape){1, {in}};
    L->out = (cnn_shape){1, {out}};
    L->w[CNN_W_KERNEL] = (cnn_span){off, in * out};
    L->w[CNN_W_BIAS] = (cnn_span){off + in * out, out};
    L->w[CNN_W_STATE0] = L->w[CNN_W_STATE1] = (cnn_span){-1, 0};
    const cnn_record_desc *pd = cnn_layer_params_desc(L->kind);
    cnn_record_defaults(pd, L->p.bytes);
    cnn_act *a = (cnn_act *)(L->p.bytes + cnn_record_field(pd, "act")->offset);
    cnn_record_defaults(&cnn_act_desc, a);
    a->kind = cnn_enum_value(&cnn_act_kinds, act);
}

static void training(void)
{
    enum { IN = 24, HID = 40, OUT = 5, SAMPLES = 200, BATCH = 32, STEPS = 6 };
    static float params[IN * HID + HID + HID * OUT + OUT], slots[2 * sizeof params / sizeof(float)];
    static float X[SAMPLES * IN], Y[SAMPLES * OUT];
    static int64_t idx[SAMPLES];  /* the epoch's order: a permutation */
    long n = sizeof params / sizeof(float);
    cnn_layer layers[2];
    set_dense(&layers[0], IN, HID, 0, "relu");
    set_dense(&layers[1], HID, OUT, IN * HID + HID, "softmax");
    cnn_loss loss;
    cnn_record_defaults(&cnn_loss_desc, &loss);
    loss.kind = CNN_LOSS_CCE;
    cnn_opt opt;
    cnn_record_defaults(&cnn_opt_desc, &opt);
    opt.kind = CNN_OPT_ADAM;
    cnn_schedule sched;
    cnn_record_defaults(&cnn_schedule_desc, &sched);
    sched.lr = 0.01;
    for (long i = 0; i < n; i++) params[i] = uniform(-0.3f, 0.3f);
    for (long i = 0; i < SAMPLES * IN; i++) X[i] = uniform(-1.0f, 1.0f);
    for (long s = 0; s < SAMPLES; s++)
        for (int c = 0; c < OUT; c++) Y[s * OUT + c] = (float)(c == s % OUT);
    for (long i = 0; i < SAMPLES; i++) idx[i] = (i * 37) % SAMPLES;
    cnn_opt_init_slots(slots, n, &opt);
    int status = 0;
    cnn_diag diag = {-1, NULL};
    cnn_plan *plan
        = cnn_plan_create(layers, 2, &loss, NULL, 0, &opt, params, n, n, slots, BATCH, &status, &diag);
    if (!plan) {
        printf("plan failed %d layer %d field %s\n", status, diag.layer, diag.field ? diag.field : "-");
        return;
    }
    long iteration = 0;
    cnn_sums sums;
    memset(&sums, 0, sizeof sums);
    int st = cnn_train_steps(plan, (cnn_xdata){X, CNN_X_F32}, Y, NULL, SAMPLES, idx, BATCH, 0, STEPS,
                             &iteration, &sched, 7, &sums, NULL, NULL);
    printf("train %d %ld %016llx %.9g\n", st, iteration,
           (unsigned long long)hash_bytes(params, sizeof params), sums.loss_sum / sums.count);
    cnn_plan_free(plan);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: core_check ISA THREADS\n");
        return 1;
    }
    int isa = atoi(argv[1]);
    if (cnn_set_isa(isa) != isa) return 2;
    cnn_set_num_threads(atoi(argv[2]));
    activations();
    losses();
    optimizers();
    training();
    return 0;
}

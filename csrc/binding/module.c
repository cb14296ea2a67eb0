/* module.c - the binding: the only file that knows Python. Thin by design: parse arguments, check
 * every array at the boundary, release the GIL around the core, turn status codes into exceptions. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <numpy/arrayobject.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "cnn.h"

/* ------------------------------------------------------------------ argument helpers */

/* A read-only float32 C-contiguous view or copy of any array-like, with the given rank (-1: any). */
static PyArrayObject *as_f32(PyObject *obj, const char *name, int ndim)
{
    PyArrayObject *a = (PyArrayObject *)PyArray_FROMANY(obj, NPY_FLOAT32, 0, 0,
                                                        NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED
                                                            | NPY_ARRAY_FORCECAST);
    if (!a) return NULL;
    if (ndim >= 0 && PyArray_NDIM(a) != ndim) {
        PyErr_Format(PyExc_ValueError, "%s must be %d-dimensional, got %d dimensions", name, ndim,
                     PyArray_NDIM(a));
        Py_DECREF(a);
        return NULL;
    }
    return a;
}

/* An output the caller owns: must already be float32, C-contiguous, writable. */
static int check_out(PyObject *obj, const char *name, int ndim, int typenum)
{
    if (!PyArray_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be a NumPy array", name);
        return 0;
    }
    PyArrayObject *a = (PyArrayObject *)obj;
    if (PyArray_TYPE(a) != typenum || !PyArray_IS_C_CONTIGUOUS(a) || !PyArray_ISWRITEABLE(a)
        || !PyArray_ISALIGNED(a)) {
        PyErr_Format(PyExc_TypeError, "%s must be a writable C-contiguous %s array", name,
                     typenum == NPY_FLOAT32 ? "float32" : "int64");
        return 0;
    }
    if (ndim >= 0 && PyArray_NDIM(a) != ndim) {
        PyErr_Format(PyExc_ValueError, "%s must be %d-dimensional, got %d dimensions", name, ndim,
                     PyArray_NDIM(a));
        return 0;
    }
    return 1;
}

static float *fdata(PyArrayObject *a) { return a ? (float *)PyArray_DATA(a) : NULL; }
static long dim(PyArrayObject *a, int i) { return (long)PyArray_DIM(a, i); }

/* A number field of a dict (missing: the default). */
static int dget(PyObject *d, const char *key, double dflt, double *out)
{
    PyObject *v = PyDict_GetItemString(d, key);
    if (!v) { *out = dflt; return 1; }
    *out = PyFloat_AsDouble(v);
    if (*out == -1.0 && PyErr_Occurred()) {
        PyErr_Format(PyExc_TypeError, "field '%s' must be a number", key);
        return 0;
    }
    return 1;
}
#define DGET(d, key, dflt, lvalue, type) \
    do { double v_; if (!dget(d, key, dflt, &v_)) return 0; lvalue = (type)v_; } while (0)

static int check_dict(PyObject *d, const char *what)
{
    if (!PyDict_Check(d)) {
        PyErr_Format(PyExc_TypeError, "%s must be a dict", what);
        return 0;
    }
    return 1;
}

static int parse_act(PyObject *t, cnn_act *a)
{
    double k, al, mx, th;
    if (!PyArg_ParseTuple(t, "dddd", &k, &al, &mx, &th)) return 0;
    a->kind = (int)k; a->alpha = (float)al; a->max_value = (float)mx; a->threshold = (float)th;
    if (a->kind < 0 || a->kind >= CNN_ACT_COUNT) {
        PyErr_Format(PyExc_ValueError, "unknown activation kind %d", a->kind);
        return 0;
    }
    return 1;
}

static int parse_loss(PyObject *t, cnn_loss *L)
{
    double k, fl, ls, de;
    if (!PyArg_ParseTuple(t, "dddd", &k, &fl, &ls, &de)) return 0;
    L->kind = (int)k; L->from_logits = (int)fl; L->label_smoothing = (float)ls; L->delta = (float)de;
    if (L->kind < 0 || L->kind >= CNN_LOSS_COUNT) {
        PyErr_Format(PyExc_ValueError, "unknown loss kind %d", L->kind);
        return 0;
    }
    return 1;
}

static int parse_metric(PyObject *t, cnn_metric *m)
{
    double k, th;
    if (!PyArg_ParseTuple(t, "dd", &k, &th)) return 0;
    m->kind = (int)k; m->threshold = (float)th;
    if (m->kind < 0 || m->kind >= CNN_METRIC_COUNT) {
        PyErr_Format(PyExc_ValueError, "unknown metric kind %d", m->kind);
        return 0;
    }
    return 1;
}

/* The optimizer record, in cnn_opt field order (trailing fields may be left out: zero). */
static int parse_opt(PyObject *t, cnn_opt *o)
{
    double f[19] = {0};
    memset(o, 0, sizeof *o);
    PyObject *seq = PySequence_Fast(t, "the optimizer record must be a tuple");
    if (!seq) return 0;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n < 1 || n > 19) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "the optimizer record has %zd fields, expected 1..19", n);
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) f[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
    Py_DECREF(seq);
    if (PyErr_Occurred()) return 0;
    o->kind = (int)f[0]; o->beta_1 = (float)f[1]; o->beta_2 = (float)f[2]; o->epsilon = (float)f[3];
    o->momentum = (float)f[4]; o->rho = (float)f[5]; o->initial_accumulator_value = (float)f[6];
    o->nesterov = (int)f[7]; o->amsgrad = (int)f[8]; o->centered = (int)f[9];
    o->weight_decay = (float)f[10]; o->one_minus_beta_1 = (float)f[11]; o->one_minus_beta_2 = (float)f[12];
    o->one_minus_rho = (float)f[13]; o->learning_rate_power = (float)f[14]; o->l1 = (float)f[15];
    o->l2 = (float)f[16]; o->l2_shrinkage = (float)f[17]; o->beta = (float)f[18];
    if (o->kind < 0 || o->kind >= CNN_OPT_COUNT) {
        PyErr_Format(PyExc_ValueError, "unknown optimizer kind %d", o->kind);
        return 0;
    }
    return 1;
}

/* Floats a slots buffer needs for n parameters. */
static npy_intp slots_needed(const cnn_opt *o, long n)
{
    return (npy_intp)cnn_opt_slot_count(o) * n + cnn_opt_state_count(o);
}

static int parse_constraint(PyObject *d, const char *prefix, cnn_constraint *c)
{
    char key[64];
    snprintf(key, sizeof key, "%s_constraint", prefix);
    PyObject *t = PyDict_GetItemString(d, key);
    memset(c, 0, sizeof *c);
    if (!t || t == Py_None) return 1;
    double k, mx, mn, rate;
    if (!PyArg_ParseTuple(t, "dddd", &k, &mx, &mn, &rate)) return 0;
    c->kind = (int)k; c->max_value = (float)mx; c->min_value = (float)mn; c->rate = (float)rate;
    return 1;
}

static int parse_layer(PyObject *d, cnn_layer *L)
{
    memset(L, 0, sizeof *L);
    if (!check_dict(d, "a layer description")) return 0;
    DGET(d, "kind", -1, L->kind, int);
    DGET(d, "in_size", 0, L->in_size, long);
    DGET(d, "out_size", 0, L->out_size, long);
    DGET(d, "in_cols", 0, L->in_cols, long);
    DGET(d, "out_cols", 0, L->out_cols, long);
    DGET(d, "w_off", -1, L->w_off, long);
    DGET(d, "b_off", -1, L->b_off, long);
    DGET(d, "mm_off", -1, L->mm_off, long);
    DGET(d, "mv_off", -1, L->mv_off, long);
    DGET(d, "rate", 0, L->rate, float);
    DGET(d, "momentum", 0.99, L->momentum, float);
    DGET(d, "epsilon", 1e-3, L->epsilon, float);
    DGET(d, "stddev", 0, L->stddev, float);
    DGET(d, "alpha_dropout", 0, L->alpha_dropout, int);
    DGET(d, "multiplicative", 0, L->multiplicative, int);
    DGET(d, "kernel_l1", 0, L->kernel_l1, float);
    DGET(d, "kernel_l2", 0, L->kernel_l2, float);
    DGET(d, "bias_l1", 0, L->bias_l1, float);
    DGET(d, "bias_l2", 0, L->bias_l2, float);
    DGET(d, "activity_l1", 0, L->activity_l1, float);
    DGET(d, "activity_l2", 0, L->activity_l2, float);
    DGET(d, "trainable", 1, L->trainable, int);
    PyObject *seed = PyDict_GetItemString(d, "seed");
    if (seed) {
        L->seed = PyLong_AsUnsignedLongLongMask(seed);
        if (PyErr_Occurred()) return 0;
    }
    PyObject *map = PyDict_GetItemString(d, "noise_map");
    if (map && map != Py_None) {  /* freed by free_layers once the plan has its own copy */
        PyObject *seq = PySequence_Fast(map, "noise_map must be a sequence of ints");
        if (!seq) return 0;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        if (n != L->in_size) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_ValueError, "noise_map needs one entry per input element");
            return 0;
        }
        L->noise_map = PyMem_Malloc(sizeof(int64_t) * (n ? n : 1));
        if (!L->noise_map) { Py_DECREF(seq); PyErr_NoMemory(); return 0; }
        for (Py_ssize_t i = 0; i < n; i++) L->noise_map[i] = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, i));
        Py_DECREF(seq);
        if (PyErr_Occurred()) return 0;
        DGET(d, "noise_size", 0, L->noise_size, long);
        DGET(d, "noise_batch_shared", 0, L->noise_batch_shared, int);
    }
    PyObject *act = PyDict_GetItemString(d, "act");
    L->act.max_value = INFINITY;
    if (act && !parse_act(act, &L->act)) return 0;
    return parse_constraint(d, "kernel", &L->kernel_constraint)
           && parse_constraint(d, "bias", &L->bias_constraint);
}

static int parse_schedule(PyObject *d, cnn_schedule *s)
{
    memset(s, 0, sizeof *s);
    if (!check_dict(d, "the learning-rate schedule")) return 0;
    DGET(d, "kind", 0, s->kind, int);
    DGET(d, "lr", 0.001, s->lr, double);
    DGET(d, "decay", 0, s->decay, double);
    DGET(d, "decay_steps", 1, s->decay_steps, double);
    DGET(d, "decay_rate", 0, s->decay_rate, double);
    DGET(d, "end_lr", 0, s->end_lr, double);
    DGET(d, "power", 1, s->power, double);
    DGET(d, "alpha", 0, s->alpha, double);
    DGET(d, "warmup_target", NAN, s->warmup_target, double);
    DGET(d, "warmup_steps", 0, s->warmup_steps, double);
    DGET(d, "t_mul", 2, s->t_mul, double);
    DGET(d, "m_mul", 1, s->m_mul, double);
    DGET(d, "staircase", 0, s->staircase, int);
    DGET(d, "cycle", 0, s->cycle, int);
    PyObject *b = PyDict_GetItemString(d, "boundaries"), *v = PyDict_GetItemString(d, "values");
    if (s->kind == CNN_SCHED_PIECEWISE) {
        if (!b || !v) {
            PyErr_SetString(PyExc_ValueError, "a piecewise schedule needs boundaries and values");
            return 0;
        }
        PyObject *bs = PySequence_Fast(b, "boundaries must be a sequence");
        PyObject *vs = bs ? PySequence_Fast(v, "values must be a sequence") : NULL;
        if (!vs) { Py_XDECREF(bs); return 0; }
        Py_ssize_t nb = PySequence_Fast_GET_SIZE(bs), nv = PySequence_Fast_GET_SIZE(vs);
        int ok = nv == nb + 1 && nv <= CNN_SCHED_MAX_PIECES;
        for (Py_ssize_t i = 0; ok && i < nv; i++) {
            s->values[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(vs, i));
            if (i < nb) s->boundaries[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(bs, i));
        }
        s->npieces = (int)nv;
        Py_DECREF(bs); Py_DECREF(vs);
        if (!ok) {
            PyErr_Format(PyExc_ValueError, "a piecewise schedule takes up to %d values, one more than "
                         "its boundaries", CNN_SCHED_MAX_PIECES);
            return 0;
        }
        if (PyErr_Occurred()) return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ progress and Ctrl-C */

typedef struct {
    PyObject *callback;      /* callable(steps_done, sums_list) -> truthy to stop, or NULL */
    double interval;         /* seconds between callback calls */
    double last;             /* time of the last Python visit */
    long total;              /* steps in this call: the last one always reports */
    int nmetrics;
    PyThreadState *tstate;   /* saved while the GIL is released */
} progress_ctx;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static PyObject *sums_list(const cnn_sums *s, int nmetrics)
{
    PyObject *l = PyList_New(2 + 2 * nmetrics);
    if (!l) return NULL;
    PyList_SET_ITEM(l, 0, PyFloat_FromDouble(s ? s->loss_sum : 0.0));
    PyList_SET_ITEM(l, 1, PyFloat_FromDouble(s ? s->count : 0.0));
    for (int i = 0; i < 2 * nmetrics; i++) PyList_SET_ITEM(l, 2 + i, PyFloat_FromDouble(s ? s->metric[i] : 0.0));
    return l;
}

/* Runs without the GIL after every step; takes it back only every `interval` (and at the end) to
 * check for Ctrl-C (within 100 ms) and call the Python progress callback. */
static int progress_hook(void *vctx, long done, const cnn_sums *sums)
{
    progress_ctx *c = vctx;
    double t = now_seconds();
    double wait = c->callback ? c->interval : 0.05;
    if (wait > 0.05) wait = 0.05;
    if (t - c->last < wait && !(c->callback && done == c->total)) return 0;
    c->last = t;
    PyEval_RestoreThread(c->tstate);
    int status = 0;
    if (PyErr_CheckSignals() < 0) {
        status = CNN_ERR_INTERRUPT;
    } else if (c->callback && (t - c->last >= 0 || done == c->total)) {
        PyObject *l = sums_list(sums, c->nmetrics);
        PyObject *r = l ? PyObject_CallFunction(c->callback, "lO", done, l) : NULL;
        Py_XDECREF(l);
        if (!r) status = CNN_ERR_CALLBACK;
        else if (PyObject_IsTrue(r)) status = CNN_ERR_INTERRUPT;
        Py_XDECREF(r);
    }
    c->tstate = PyEval_SaveThread();
    return status;
}

/* Turns a core status into an exception (unless a Python error is already set). */
static PyObject *status_error(int status)
{
    if (PyErr_Occurred()) return NULL;
    switch (status) {
    case CNN_ERR_NOMEM: return PyErr_NoMemory();
    case CNN_ERR_ARG: PyErr_SetString(PyExc_ValueError, "invalid arguments for the C core"); return NULL;
    default: PyErr_Format(PyExc_RuntimeError, "the C core failed with status %d", status); return NULL;
    }
}

/* ------------------------------------------------------------------ the Plan type */

typedef struct {
    PyObject_HEAD
    cnn_plan *plan;
    PyArrayObject *params, *slots;   /* kept alive: the plan points into them */
    PyObject *ema;
    long in_size, out_size, y_size;
    int nmetrics;
} PlanObject;

static void Plan_dealloc(PlanObject *self)
{
    cnn_plan_free(self->plan);
    Py_XDECREF(self->params);
    Py_XDECREF(self->slots);
    Py_XDECREF(self->ema);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int Plan_init(PlanObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"layers", "loss", "metrics", "optimizer", "params", "n_trainable",
                            "slots", "batch_max", "clipnorm", "clipvalue", "global_clipnorm", "ema",
                            "ema_momentum", "ema_overwrite_frequency", NULL};
    PyObject *layers, *loss_t, *metrics, *opt_t, *params, *slots, *ema = Py_None;
    long n_trainable, batch_max, ema_frequency = 0;
    double clipnorm = 0, clipvalue = 0, global_clipnorm = 0, ema_momentum = 0.99;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOOOlOl|dddOdl", names, &layers, &loss_t, &metrics, &opt_t,
                                     &params, &n_trainable, &slots, &batch_max, &clipnorm, &clipvalue,
                                     &global_clipnorm, &ema, &ema_momentum, &ema_frequency))
        return -1;
    if (!check_out(params, "params", 1, NPY_FLOAT32) || !check_out(slots, "slots", 1, NPY_FLOAT32))
        return -1;
    if (ema != Py_None && (!check_out(ema, "ema", 1, NPY_FLOAT32)
                           || PyArray_SIZE((PyArrayObject *)ema) < n_trainable)) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "ema must hold one float per trainable parameter");
        return -1;
    }
    PyObject *ls = PySequence_Fast(layers, "layers must be a sequence of dicts");
    PyObject *ms = ls ? PySequence_Fast(metrics, "metrics must be a sequence") : NULL;
    if (!ms) { Py_XDECREF(ls); return -1; }
    Py_ssize_t nl = PySequence_Fast_GET_SIZE(ls), nm = PySequence_Fast_GET_SIZE(ms);
    cnn_layer *L = PyMem_Calloc(nl ? nl : 1, sizeof(cnn_layer));
    cnn_metric M[CNN_MAX_METRICS];
    cnn_loss loss;
    cnn_opt opt;
    int ok = L != NULL && nm <= CNN_MAX_METRICS;
    if (!ok && !PyErr_Occurred())
        PyErr_Format(PyExc_ValueError, "at most %d metrics are supported", CNN_MAX_METRICS);
    for (Py_ssize_t i = 0; ok && i < nl; i++) ok = parse_layer(PySequence_Fast_GET_ITEM(ls, i), &L[i]);
    for (Py_ssize_t i = 0; ok && i < nm; i++) ok = parse_metric(PySequence_Fast_GET_ITEM(ms, i), &M[i]);
    ok = ok && parse_loss(loss_t, &loss) && parse_opt(opt_t, &opt);
    long n_params = (long)PyArray_SIZE((PyArrayObject *)params);
    if (ok && PyArray_SIZE((PyArrayObject *)slots) < slots_needed(&opt, n_trainable)) {
        PyErr_SetString(PyExc_ValueError, "slots is smaller than the optimizer needs");
        ok = 0;
    }
    cnn_plan *plan = NULL;
    if (ok) {
        int status;
        plan = cnn_plan_create(L, (int)nl, &loss, M, (int)nm, &opt, fdata((PyArrayObject *)params),
                               n_params, n_trainable, fdata((PyArrayObject *)slots), batch_max, &status);
        if (!plan) {
            if (status == CNN_ERR_NOMEM) PyErr_NoMemory();
            else PyErr_SetString(PyExc_ValueError, "the layer descriptions do not form a valid model "
                                 "(sizes, offsets or kinds are inconsistent)");
            ok = 0;
        }
    }
    for (Py_ssize_t i = 0; L && i < nl; i++) PyMem_Free(L[i].noise_map);
    PyMem_Free(L);
    Py_DECREF(ls); Py_DECREF(ms);
    if (!ok) return -1;
    cnn_plan_free(self->plan);
    Py_XDECREF(self->params); Py_XDECREF(self->slots);
    cnn_plan_set_clipping(plan, (float)clipnorm, (float)clipvalue, (float)global_clipnorm);
    if (ema != Py_None) cnn_plan_set_ema(plan, fdata((PyArrayObject *)ema), (float)ema_momentum, ema_frequency);
    self->plan = plan;
    Py_INCREF(params); self->params = (PyArrayObject *)params;
    Py_INCREF(slots); self->slots = (PyArrayObject *)slots;
    Py_XDECREF(self->ema);
    Py_INCREF(ema); self->ema = ema;
    PyObject *first = PySequence_GetItem(layers, 0), *last = PySequence_GetItem(layers, nl - 1);
    double v;
    dget(first, "in_size", 0, &v); self->in_size = (long)v;
    dget(last, "out_size", 0, &v); self->out_size = (long)v;
    double oc; dget(last, "out_cols", 1, &oc);
    self->y_size = loss.kind == CNN_LOSS_SCCE ? self->out_size / (long)oc : self->out_size;
    Py_XDECREF(first); Py_XDECREF(last);
    self->nmetrics = (int)nm;
    return 0;
}

static int check_plan(PlanObject *self)
{
    if (!self->plan) { PyErr_SetString(PyExc_RuntimeError, "the plan was not initialised"); return 0; }
    return 1;
}

/* X must be (n, in_size), Y (n, y_size), SW (n,) or None: all float32 C-contiguous. */
static int check_data(PlanObject *self, PyObject *X, PyObject *Y, PyObject *SW, long *n)
{
    if (!check_out(X, "x", 2, NPY_FLOAT32)) return 0;
    *n = (long)PyArray_DIM((PyArrayObject *)X, 0);
    if (dim((PyArrayObject *)X, 1) != self->in_size) {
        PyErr_Format(PyExc_ValueError, "x has %ld features per sample, the model expects %ld",
                     dim((PyArrayObject *)X, 1), self->in_size);
        return 0;
    }
    if (Y) {
        if (!check_out(Y, "y", 2, NPY_FLOAT32)) return 0;
        if (dim((PyArrayObject *)Y, 0) != *n || dim((PyArrayObject *)Y, 1) != self->y_size) {
            PyErr_Format(PyExc_ValueError, "y has shape (%ld, %ld), expected (%ld, %ld)",
                         dim((PyArrayObject *)Y, 0), dim((PyArrayObject *)Y, 1), *n, self->y_size);
            return 0;
        }
    }
    if (SW && SW != Py_None) {
        if (!check_out(SW, "sample_weight", 1, NPY_FLOAT32)) return 0;
        if (dim((PyArrayObject *)SW, 0) != *n) {
            PyErr_Format(PyExc_ValueError, "sample_weight has %ld entries for %ld samples",
                         dim((PyArrayObject *)SW, 0), *n);
            return 0;
        }
    }
    return 1;
}

static PyObject *Plan_train(PlanObject *self, PyObject *args)
{
    PyObject *X, *Y, *SW, *perm, *sched_d, *cb;
    long batch, first, nsteps, iteration;
    double interval;
    if (!PyArg_ParseTuple(args, "OOOOllllOOd", &X, &Y, &SW, &perm, &batch, &first, &nsteps,
                          &iteration, &sched_d, &cb, &interval))
        return NULL;
    long n;
    cnn_schedule sched;
    if (!check_plan(self) || !check_data(self, X, Y, SW, &n) || !check_out(perm, "perm", 1, NPY_INT64)
        || !parse_schedule(sched_d, &sched))
        return NULL;
    if (dim((PyArrayObject *)perm, 0) != n) {
        PyErr_SetString(PyExc_ValueError, "perm must have one index per sample");
        return NULL;
    }
    if (batch <= 0 || batch > cnn_plan_batch_max(self->plan) || first < 0 || nsteps < 0
        || (nsteps > 0 && (first + nsteps - 1) * batch >= n)) {
        PyErr_Format(PyExc_ValueError, "steps %ld..%ld of batch %ld do not fit %ld samples", first,
                     first + nsteps, batch, n);
        return NULL;
    }
    const int64_t *idx = (const int64_t *)PyArray_DATA((PyArrayObject *)perm);
    for (long i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= n) {
            PyErr_SetString(PyExc_ValueError, "perm holds an index out of range");
            return NULL;
        }
    cnn_sums sums;
    memset(&sums, 0, sizeof sums);
    progress_ctx ctx = {cb == Py_None ? NULL : cb, interval, now_seconds(), nsteps, self->nmetrics, NULL};
    ctx.tstate = PyEval_SaveThread();
    int status = cnn_train_steps(self->plan, fdata((PyArrayObject *)X), fdata((PyArrayObject *)Y),
                                 SW == Py_None ? NULL : fdata((PyArrayObject *)SW), n, idx, batch, first,
                                 nsteps, &iteration, &sched, 0, &sums, progress_hook, &ctx);
    PyEval_RestoreThread(ctx.tstate);
    if (status == CNN_ERR_INTERRUPT && !PyErr_Occurred()) status = CNN_OK; /* asked to stop */
    if (status != CNN_OK) return status_error(status);
    PyObject *l = sums_list(&sums, self->nmetrics);
    return l ? Py_BuildValue("Nl", l, iteration) : NULL;
}

static PyObject *Plan_evaluate(PlanObject *self, PyObject *args)
{
    PyObject *X, *Y, *SW, *cb;
    long batch;
    double interval;
    if (!PyArg_ParseTuple(args, "OOOlOd", &X, &Y, &SW, &batch, &cb, &interval)) return NULL;
    long n;
    if (!check_plan(self) || !check_data(self, X, Y, SW, &n)) return NULL;
    if (batch <= 0 || batch > cnn_plan_batch_max(self->plan)) {
        PyErr_Format(PyExc_ValueError, "batch %ld is outside 1..%ld", batch, cnn_plan_batch_max(self->plan));
        return NULL;
    }
    cnn_sums sums;
    memset(&sums, 0, sizeof sums);
    progress_ctx ctx = {cb == Py_None ? NULL : cb, interval, now_seconds(), (n + batch - 1) / batch,
                        self->nmetrics, NULL};
    ctx.tstate = PyEval_SaveThread();
    int status = cnn_evaluate(self->plan, fdata((PyArrayObject *)X), fdata((PyArrayObject *)Y),
                              SW == Py_None ? NULL : fdata((PyArrayObject *)SW), n, batch, &sums,
                              progress_hook, &ctx);
    PyEval_RestoreThread(ctx.tstate);
    if (status != CNN_OK) return status_error(status);
    return sums_list(&sums, self->nmetrics);
}

static PyObject *Plan_predict(PlanObject *self, PyObject *args)
{
    PyObject *X, *cb;
    long batch;
    double interval;
    if (!PyArg_ParseTuple(args, "OlOd", &X, &batch, &cb, &interval)) return NULL;
    long n;
    if (!check_plan(self) || !check_data(self, X, NULL, NULL, &n)) return NULL;
    if (batch <= 0 || batch > cnn_plan_batch_max(self->plan)) {
        PyErr_Format(PyExc_ValueError, "batch %ld is outside 1..%ld", batch, cnn_plan_batch_max(self->plan));
        return NULL;
    }
    npy_intp dims[2] = {n, self->out_size};
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(2, dims, NPY_FLOAT32);
    if (!out) return NULL;
    progress_ctx ctx = {cb == Py_None ? NULL : cb, interval, now_seconds(), (n + batch - 1) / batch, 0, NULL};
    ctx.tstate = PyEval_SaveThread();
    int status = cnn_predict(self->plan, fdata(out), fdata((PyArrayObject *)X), n, batch, progress_hook, &ctx);
    PyEval_RestoreThread(ctx.tstate);
    if (status != CNN_OK) { Py_DECREF(out); return status_error(status); }
    return (PyObject *)out;
}

static PyObject *Plan_batch_max(PlanObject *self, PyObject *unused)
{
    return check_plan(self) ? PyLong_FromLong(cnn_plan_batch_max(self->plan)) : NULL;
}

static PyMethodDef Plan_methods[] = {
    {"train", (PyCFunction)Plan_train, METH_VARARGS,
     "train(x, y, sw, perm, batch, first, nsteps, iteration, schedule, callback, interval)"
     " -> (sums, iteration)"},
    {"evaluate", (PyCFunction)Plan_evaluate, METH_VARARGS,
     "evaluate(x, y, sw, batch, callback, interval) -> sums"},
    {"predict", (PyCFunction)Plan_predict, METH_VARARGS, "predict(x, batch, callback, interval) -> array"},
    {"batch_max", (PyCFunction)Plan_batch_max, METH_NOARGS, "the largest batch the buffers hold"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject PlanType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "cnn._core.Plan",
    .tp_basicsize = sizeof(PlanObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A model as the C core runs it: layers, loss, metrics, optimizer and buffers.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Plan_init,
    .tp_dealloc = (destructor)Plan_dealloc,
    .tp_methods = Plan_methods,
};

#include "module_kernels.h"

/* ------------------------------------------------------------------ the module */

static PyMethodDef core_methods[] = {
    KERNEL_METHODS
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT, "cnn._core", "The C core of cnn.", -1, core_methods,
};

PyMODINIT_FUNC PyInit__core(void)
{
    import_array();
    if (PyType_Ready(&PlanType) < 0) return NULL;
    PyObject *m = PyModule_Create(&core_module);
    if (!m) return NULL;
    Py_INCREF(&PlanType);
    if (PyModule_AddObject(m, "Plan", (PyObject *)&PlanType) < 0) {
        Py_DECREF(&PlanType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

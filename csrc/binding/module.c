/* module.c - the binding: the only file that knows Python. Thin by design: parse arguments, check
 * every array at the boundary, release the GIL around the core, turn status codes into exceptions. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <numpy/arrayobject.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "cnn.h"

/* ------------------------------------------------------------------ argument helpers */

#include "convert.h"

/* Floats a slots buffer needs for n parameters, or -1 when that overflows. */
static npy_intp slots_needed(const cnn_opt *o, long n)
{
    npy_intp c = cnn_opt_slot_count(o), st = cnn_opt_state_count(o);
    if (n < 0 || (c && n > (NPY_MAX_INTP - st) / c)) return -1;
    return c * n + st;
}

#include "records.h"

/* A graph plan's model inputs (a list of shapes) and outputs (a list of output records); None: the
 * chain's (the first layer's input, the last layer's output with `loss` and every metric). */
typedef struct {
    int ninputs, noutputs;
    cnn_shape inputs[CNN_MAX_INPUTS];
    cnn_output outputs[CNN_MAX_OUTPUTS];
} graph_args;

static int parse_graph_args(PyObject *inputs, PyObject *outputs, graph_args *G)
{
    static const cnn_field shape_field
        = {"inputs", CNN_FIELD_SHAPE, 0, 0, 1, 9007199254740992.0, NULL, 0, 0, 0};
    G->ninputs = G->noutputs = 0;
    PyObject *lists[2] = {inputs, outputs};
    for (int w = 0; w < 2; w++) {
        if (lists[w] == Py_None) continue;
        const char *what = w ? "outputs" : "inputs";
        if (!PyList_Check(lists[w]) && !PyTuple_Check(lists[w])) {
            PyErr_Format(PyExc_TypeError, "%s must be a list, got %R", what, lists[w]);
            return 0;
        }
        Py_ssize_t n = PySequence_Size(lists[w]);
        if (n < 1 || n > (w ? CNN_MAX_OUTPUTS : CNN_MAX_INPUTS)) {
            PyErr_Format(PyExc_ValueError, "%s must hold 1 to %d entries, got %zd", what,
                         w ? CNN_MAX_OUTPUTS : CNN_MAX_INPUTS, n);
            return 0;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *item = PySequence_GetItem(lists[w], i);
            int ok = item
                     && (w ? conv_output(item, &G->outputs[i])
                           : parse_value("graph", &shape_field, item, &G->inputs[i]));
            Py_XDECREF(item);
            if (!ok) return 0;
        }
        if (w) G->noutputs = (int)n;
        else G->ninputs = (int)n;
    }
    return 1;
}

/* ------------------------------------------------------------------ progress and Ctrl-C */

typedef struct {
    PyObject *callback;      /* callable(steps_done, sums_list) -> truthy to stop, or NULL */
    double interval;         /* seconds between callback calls */
    double last;             /* time of the last Python visit */
    long total;              /* steps in this call: the last one always reports */
    long nstate;             /* doubles of metric state in the sums */
    PyThreadState *tstate;   /* saved while the GIL is released */
} progress_ctx;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* [loss_sum, count, metric state...] */
static PyObject *sums_list(const cnn_sums *s, long nstate)
{
    PyObject *l = PyList_New(2 + nstate);
    for (long i = 0; l && i < 2 + nstate; i++) {
        double v = !s ? 0.0 : i == 0 ? s->loss_sum : i == 1 ? s->count : s->state[i - 2];
        PyObject *f = PyFloat_FromDouble(v);
        if (!f) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, i, f);
    }
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
        PyObject *l = sums_list(sums, c->nstate);
        PyObject *r = l ? PyObject_CallFunction(c->callback, "lO", done, l) : NULL;
        Py_XDECREF(l);
        int stop = r ? PyObject_IsTrue(r) : -1;
        if (stop < 0) status = CNN_ERR_CALLBACK;
        else if (stop) status = CNN_ERR_INTERRUPT;
        Py_XDECREF(r);
    }
    c->tstate = PyEval_SaveThread();
    return status;
}

/* The core's in-step poll (between GEMM blocks and layers, at most every 20 ms): Ctrl-C within a
 * long step. Runs on the calling thread, which holds no GIL there. */
#define POLL_INTERVAL 0.02
static int interrupt_poll(void *vctx)
{
    progress_ctx *c = vctx;
    PyEval_RestoreThread(c->tstate);
    int stop = PyErr_CheckSignals() < 0;
    c->tstate = PyEval_SaveThread();
    return stop;
}

/* ------------------------------------------------------------------ host calls (Python parts) */

/* The Plan's host: host(op, index, training, iteration, lr, arrays) runs a Python layer, loss,
 * metric or optimizer (cnn/_hooks.py). Runs on the calling thread, which holds no GIL there. */
typedef struct {
    PyObject *host;           /* callable, or NULL when the plan has none */
    PyObject *owner;          /* the plan's _PlanMemory: views of its buffers keep it alive */
    PyThreadState **tstate;   /* where the entry point saved its thread state */
} host_ctx;

/* A zero-copy view of a core buffer (None when absent). Its base is the plan's memory, so a view the
 * Python code keeps (a layer's saved input) never outlives the plan's buffers; the caller's own arrays
 * (x and y in evaluate and predict) are only valid during the call, and cnn/_hooks.py copies x. */
static PyObject *host_array(const cnn_host_array *a, PyObject *owner)
{
    if (!a->data) Py_RETURN_NONE;
    npy_intp dims[2] = {a->rows, a->cols};
    PyObject *arr = PyArray_SimpleNewFromData(2, dims, a->f64 ? NPY_FLOAT64 : NPY_FLOAT32, a->data);
    if (!arr) return NULL;
    Py_INCREF(owner);
    if (PyArray_SetBaseObject((PyArrayObject *)arr, owner) < 0) {
        Py_DECREF(arr);
        return NULL;
    }
    return arr;
}

static int host_call(void *vctx, const cnn_host_call *call)
{
    host_ctx *h = vctx;
    PyEval_RestoreThread(*h->tstate);
    PyObject *r = NULL, *arrays = PyTuple_New(call->narrays);
    for (int i = 0; arrays && i < call->narrays; i++) {
        PyObject *a = host_array(&call->a[i], h->owner);
        if (!a) {
            Py_CLEAR(arrays);
            break;
        }
        PyTuple_SET_ITEM(arrays, i, a);
    }
    if (arrays && !h->host)   /* a usage error (the fuzzer finds it): Plan(..., host=None) */
        PyErr_SetString(
            PyExc_TypeError,
            "this plan runs a part written in Python but was given no host: pass Plan(..., host=...)");
    else if (arrays)
        r = PyObject_CallFunction(h->host, "iiildO", call->op, call->index, call->training, call->iteration,
                                  (double)call->lr, arrays);
    int failed = r == NULL;
    Py_XDECREF(r);
    Py_XDECREF(arrays);
    *h->tstate = PyEval_SaveThread();
    return failed;
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
    PyObject *host;                  /* runs the parts written in Python, or NULL */
    PyObject *memory;                /* the _PlanMemory that owns `plan` */
    long in_size, out_size, y_size;
    long y_classes;                  /* SCCE: the class count y's ids must be below; else 0 */
    int64_t *identity;               /* 0..batch_max-1, made by the first Plan.rows step */
    long nstate;                     /* doubles of metric state (cnn_plan_state_size) */
    long iteration; /* the counter after the last train call, even one that raised (-1: refused) */
} PlanObject;

/* The plan's memory as a Python object: the Plan owns one, and so does every view of the plan's
 * buffers handed to Python code (a layer's saved input), so a view never outlives the buffers, and no
 * reference cycle (Plan -> host -> layer -> view) keeps the Plan itself alive. */
typedef struct {
    PyObject_HEAD
    cnn_plan *plan;
    PyObject *params, *slots;   /* the arrays the plan borrows (OPT_STEP hands views of params) */
} PlanMemoryObject;

static void PlanMemory_dealloc(PlanMemoryObject *self)
{
    cnn_plan_free(self->plan);
    Py_XDECREF(self->params);
    Py_XDECREF(self->slots);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject PlanMemoryType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cnn._core._PlanMemory",
    .tp_basicsize = sizeof(PlanMemoryObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The buffers of a Plan, kept while views of them live.",
    .tp_dealloc = (destructor)PlanMemory_dealloc,
};

static void Plan_dealloc(PlanObject *self)
{
    PyMem_Free(self->identity);
    Py_XDECREF(self->memory);
    Py_XDECREF(self->params);
    Py_XDECREF(self->slots);
    Py_XDECREF(self->ema);
    Py_XDECREF(self->host);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int Plan_init(PlanObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"layers",
                            "loss",
                            "metrics",
                            "optimizer",
                            "params",
                            "n_trainable",
                            "slots",
                            "batch_max",
                            "clipnorm",
                            "clipvalue",
                            "global_clipnorm",
                            "ema",
                            "ema_momentum",
                            "ema_overwrite_frequency",
                            "inputs",
                            "outputs",
                            "host",
                            NULL};
    PyObject *layers, *loss_t, *metrics, *opt_t, *params, *slots, *ema = Py_None, *host = Py_None;
    PyObject *inputs_t = Py_None, *outputs_t = Py_None;
    long n_trainable, batch_max, ema_frequency = 0;
    double clipnorm = 0, clipvalue = 0, global_clipnorm = 0, ema_momentum = 0.99;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOOOlOl|dddOdlOOO", names, &layers, &loss_t, &metrics,
                                     &opt_t, &params, &n_trainable, &slots, &batch_max, &clipnorm, &clipvalue,
                                     &global_clipnorm, &ema, &ema_momentum, &ema_frequency, &inputs_t,
                                     &outputs_t, &host))
        return -1;
    if (host != Py_None && !PyCallable_Check(host)) {
        PyErr_Format(PyExc_TypeError, "host must be callable or None, got %R", host);
        return -1;
    }
    graph_args G;
    if (!parse_graph_args(inputs_t, outputs_t, &G)) return -1;
    if (!check_out(params, "params", 1, NPY_FLOAT32) || !check_out(slots, "slots", 1, NPY_FLOAT32)) return -1;
    if (ema != Py_None
        && (!check_out(ema, "ema", 1, NPY_FLOAT32) || PyArray_SIZE((PyArrayObject *)ema) < n_trainable)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "ema must hold one float per trainable parameter");
        return -1;
    }
    PyObject *ls = PySequence_Fast(layers, "layers must be a sequence of dicts");
    PyObject *ms = ls ? PySequence_Fast(metrics, "metrics must be a sequence") : NULL;
    if (!ms) {
        Py_XDECREF(ls);
        return -1;
    }
    Py_ssize_t nl = PySequence_Fast_GET_SIZE(ls), nm = PySequence_Fast_GET_SIZE(ms), parsed = 0;
    cnn_layer *L = nl <= INT_MAX ? PyMem_Calloc(nl ? nl : 1, sizeof(cnn_layer)) : NULL;
    cnn_metric M[CNN_MAX_METRICS];
    cnn_loss loss;
    cnn_opt opt;
    cnn_plan *plan = NULL;
    int ok = 0;
    if (!L) {
        if (nl > INT_MAX) PyErr_SetString(PyExc_ValueError, "too many layers");
        else PyErr_NoMemory();
        goto done;
    }
    if (nm > CNN_MAX_METRICS) {
        PyErr_Format(PyExc_ValueError, "at most %d metrics are supported, got %zd", CNN_MAX_METRICS, nm);
        goto done;
    }
    for (; parsed < nl; parsed++)
        if (!parse_layer(PySequence_Fast_GET_ITEM(ls, parsed), &L[parsed])) goto done;
    for (Py_ssize_t i = 0; i < nm; i++)
        if (!conv_metric(PySequence_Fast_GET_ITEM(ms, i), &M[i])) goto done;
    if (!conv_loss(loss_t, &loss) || !conv_opt(opt_t, &opt)) goto done;
    long n_params = (long)PyArray_SIZE((PyArrayObject *)params);
    npy_intp need = slots_needed(&opt, n_trainable);
    if (need < 0 || PyArray_SIZE((PyArrayObject *)slots) < need) {
        PyErr_SetString(PyExc_ValueError, "slots is smaller than the optimizer needs");
        goto done;
    }
    int status;
    cnn_diag diag;
    if (!G.ninputs) G.inputs[G.ninputs++] = nl ? L[0].in : (cnn_shape){0, {0}};
    if (!G.noutputs) G.outputs[G.noutputs++] = (cnn_output){(int)nl - 1, loss, 1.0f, (int)nm};
    Py_BEGIN_ALLOW_THREADS plan
        = cnn_plan_create_graph(L, (int)nl, G.inputs, G.ninputs, G.outputs, G.noutputs, M, (int)nm, &opt,
                                fdata((PyArrayObject *)params), n_params, n_trainable,
                                fdata((PyArrayObject *)slots), batch_max, &status, &diag);
    Py_END_ALLOW_THREADS if (!plan)
    {
        if (status == CNN_ERR_NOMEM) PyErr_NoMemory();
        else if (diag.layer >= 0)
            PyErr_Format(PyExc_ValueError,
                         "layer %d (%s): field '%s' is inconsistent (sizes, offsets or "
                         "kind do not form a valid model)",
                         diag.layer,
                         L[diag.layer].kind >= 0 && L[diag.layer].kind < cnn_layer_kind_count()
                             ? cnn_layer_kinds.names[L[diag.layer].kind]
                             : "?",
                         diag.field);
        else PyErr_Format(PyExc_ValueError, "invalid plan argument '%s'", diag.field ? diag.field : "?");
        goto done;
    }
    ok = 1;
done:
    for (Py_ssize_t i = 0; L && i < parsed; i++) free_layer(&L[i]);
    long in_size = 0, out_size = 0, y_size = 0, y_classes = 0;
    for (int k = 0; ok && k < G.ninputs; k++) in_size += cnn_shape_size(&G.inputs[k]);
    for (int k = 0; ok && k < G.noutputs; k++) {
        const cnn_layer *O = &L[G.outputs[k].layer];
        long size = cnn_shape_size(&O->out);
        out_size += size;
        y_size += cnn_loss_sparse(&G.outputs[k].loss) ? size / O->out.dim[O->out.ndim - 1] : size;
        if (G.noutputs == 1 && G.outputs[k].loss.kind == CNN_LOSS_SCCE)
            y_classes = O->out.dim[O->out.ndim - 1];
    }
    PyMem_Free(L);
    Py_DECREF(ls);
    Py_DECREF(ms);
    if (!ok) return -1;
    PlanMemoryObject *memory = PyObject_New(PlanMemoryObject, &PlanMemoryType);
    if (!memory) {
        cnn_plan_free(plan);
        return -1;
    }
    memory->plan = plan;
    Py_INCREF(params);
    memory->params = params;
    Py_INCREF(slots);
    memory->slots = slots;
    Py_XSETREF(self->memory, (PyObject *)memory);
    Py_XDECREF(self->params);
    Py_XDECREF(self->slots);
    cnn_plan_set_clipping(plan, (float)clipnorm, (float)clipvalue, (float)global_clipnorm);
    if (ema != Py_None)
        cnn_plan_set_ema(plan, fdata((PyArrayObject *)ema), (float)ema_momentum, ema_frequency);
    self->plan = plan;
    Py_INCREF(params);
    self->params = (PyArrayObject *)params;
    Py_INCREF(slots);
    self->slots = (PyArrayObject *)slots;
    Py_XDECREF(self->ema);
    Py_INCREF(ema);
    self->ema = ema;
    Py_XDECREF(self->host);
    self->host = host == Py_None ? NULL : host;
    Py_XINCREF(self->host);
    self->in_size = in_size;
    self->out_size = out_size;
    self->y_size = y_size;
    self->y_classes = y_classes;
    PyMem_Free(self->identity);
    self->identity = NULL;
    self->nstate = cnn_plan_state_size(self->plan);
    return 0;
}

static int check_plan(PlanObject *self)
{
    if (!self->plan) {
        PyErr_SetString(PyExc_RuntimeError, "the plan was not initialised");
        return 0;
    }
    return 1;
}

/* The features X (checked by check_data) as the core reads them: float32 or uint8. */
static cnn_xdata xdata(PyObject *X)
{
    PyArrayObject *a = (PyArrayObject *)X;
    cnn_xdata x = {PyArray_DATA(a), PyArray_TYPE(a) == NPY_UINT8 ? CNN_X_U8 : CNN_X_F32};
    return x;
}

/* X must be (n, in_size) float32 or uint8 (only read: it may be read-only), Y (n, y_size), SW (n,) or
 * None, (n, outputs) for a graph of several outputs: float32; all C-contiguous. */
static int check_data(PlanObject *self, PyObject *X, PyObject *Y, PyObject *SW, long *n)
{
    if (!PyArray_Check(X)) {
        PyErr_Format(PyExc_TypeError, "x must be a NumPy array, got %R", Py_TYPE(X));
        return 0;
    }
    PyArrayObject *xa = (PyArrayObject *)X;
    if ((PyArray_TYPE(xa) != NPY_FLOAT32 && PyArray_TYPE(xa) != NPY_UINT8) || !PyArray_IS_C_CONTIGUOUS(xa)
        || !PyArray_ISALIGNED(xa)) {
        PyErr_SetString(PyExc_TypeError, "x must be a C-contiguous float32 or uint8 array");
        return 0;
    }
    if (PyArray_NDIM(xa) != 2) {
        PyErr_Format(PyExc_ValueError, "x must be 2-dimensional, got %d dimensions", PyArray_NDIM(xa));
        return 0;
    }
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
        int cols = cnn_plan_weight_cols(self->plan);
        if (!check_out(SW, "sample_weight", cols > 1 ? 2 : 1, NPY_FLOAT32)) return 0;
        if (dim((PyArrayObject *)SW, 0) != *n) {
            PyErr_Format(PyExc_ValueError, "sample_weight has %ld entries for %ld samples",
                         dim((PyArrayObject *)SW, 0), *n);
            return 0;
        }
        if (cols > 1 && dim((PyArrayObject *)SW, 1) != cols) {
            PyErr_Format(PyExc_ValueError, "sample_weight has %ld columns for %d model outputs",
                         dim((PyArrayObject *)SW, 1), cols);
            return 0;
        }
    }
    return 1;
}

static PyObject *Plan_train(PlanObject *self, PyObject *args)
{
    PyObject *X, *Y, *SW, *perm, *cb;
    long batch, first, nsteps, iteration;
    double interval;
    cnn_schedule sched;
    self->iteration = -1; /* unknown until the arguments parse */
    if (!PyArg_ParseTuple(args, "OOOOllllO&Od", &X, &Y, &SW, &perm, &batch, &first, &nsteps, &iteration,
                          conv_schedule, &sched, &cb, &interval))
        return NULL;
    self->iteration = iteration;
    long n;
    if (!check_plan(self) || !check_data(self, X, Y, SW, &n) || !check_out(perm, "perm", 1, NPY_INT64))
        return NULL;
    if (dim((PyArrayObject *)perm, 0) != n) {
        PyErr_SetString(PyExc_ValueError, "perm must have one index per sample");
        return NULL;
    }
    if (batch <= 0 || batch > cnn_plan_batch_max(self->plan) || first < 0 || nsteps < 0
        || (nsteps > 0 && (n <= 0 || first > (n - 1) / batch || nsteps - 1 > (n - 1) / batch - first))) {
        PyErr_Format(PyExc_ValueError, "steps %ld..%ld of batch %ld do not fit %ld samples", first,
                     first + nsteps, batch, n);
        return NULL;
    }
    if (iteration < 0 || iteration > LONG_MAX - 1 - nsteps) {   /* the optimizer's step t = iteration + 1 */
        PyErr_Format(PyExc_ValueError, "iteration must be >= 0 (and leave room for %ld steps), got %ld",
                     nsteps, iteration);
        return NULL;
    }
    const int64_t *idx = (const int64_t *)PyArray_DATA((PyArrayObject *)perm);
    for (long i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= n) {
            PyErr_SetString(PyExc_ValueError, "perm holds an index out of range");
            return NULL;
        }
    cnn_sums sums = {0, 0, PyMem_Calloc((size_t)self->nstate + 1, sizeof(double))};
    if (!sums.state) return PyErr_NoMemory();
    progress_ctx ctx = {cb == Py_None ? NULL : cb, interval, now_seconds(), nsteps, self->nstate, NULL};
    cnn_interrupt it;
    cnn_host host;
    host_ctx hctx = {self->host, self->memory, &ctx.tstate};
    ctx.tstate = PyEval_SaveThread();
    cnn_interrupt_install(&it, interrupt_poll, &ctx, POLL_INTERVAL);
    cnn_host_install(&host, host_call, &hctx);
    int status = cnn_train_steps(self->plan, xdata(X), fdata((PyArrayObject *)Y),
                                 SW == Py_None ? NULL : fdata((PyArrayObject *)SW), n, idx, batch, first,
                                 nsteps, &iteration, &sched, 0, &sums, progress_hook, &ctx);
    cnn_host_uninstall(&host);
    cnn_interrupt_uninstall(&it);
    PyEval_RestoreThread(ctx.tstate);
    self->iteration = iteration; /* the steps applied, also when Ctrl-C or a callback stopped it */
    if (status == CNN_ERR_INTERRUPT && !PyErr_Occurred()) status = CNN_OK; /* asked to stop */
    PyObject *l = status == CNN_OK ? sums_list(&sums, self->nstate) : status_error(status);
    PyMem_Free(sums.state);
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
    cnn_sums sums = {0, 0, PyMem_Calloc((size_t)self->nstate + 1, sizeof(double))};
    if (!sums.state) return PyErr_NoMemory();
    progress_ctx ctx
        = {cb == Py_None ? NULL : cb, interval, now_seconds(), (n + batch - 1) / batch, self->nstate, NULL};
    cnn_interrupt it;
    cnn_host host;
    host_ctx hctx = {self->host, self->memory, &ctx.tstate};
    ctx.tstate = PyEval_SaveThread();
    cnn_interrupt_install(&it, interrupt_poll, &ctx, POLL_INTERVAL);
    cnn_host_install(&host, host_call, &hctx);
    int status = cnn_evaluate(self->plan, xdata(X), fdata((PyArrayObject *)Y),
                              SW == Py_None ? NULL : fdata((PyArrayObject *)SW), n, batch, &sums,
                              progress_hook, &ctx);
    cnn_host_uninstall(&host);
    cnn_interrupt_uninstall(&it);
    PyEval_RestoreThread(ctx.tstate);
    PyObject *l = status == CNN_OK ? sums_list(&sums, self->nstate) : status_error(status);
    PyMem_Free(sums.state);
    return l;
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
    cnn_interrupt it;
    cnn_host host;
    host_ctx hctx = {self->host, self->memory, &ctx.tstate};
    ctx.tstate = PyEval_SaveThread();
    cnn_interrupt_install(&it, interrupt_poll, &ctx, POLL_INTERVAL);
    cnn_host_install(&host, host_call, &hctx);
    int status = cnn_predict(self->plan, fdata(out), xdata(X), n, batch, progress_hook, &ctx);
    cnn_host_uninstall(&host);
    cnn_interrupt_uninstall(&it);
    PyEval_RestoreThread(ctx.tstate);
    if (status != CNN_OK) {
        Py_DECREF(out);
        return status_error(status);
    }
    return (PyObject *)out;
}

static PyObject *Plan_batch_max(PlanObject *self, PyObject *unused)
{ return check_plan(self) ? PyLong_FromLong(cnn_plan_batch_max(self->plan)) : NULL; }

#include "module_forward.h"
#include "module_small.h"

static PyObject *Plan_get_iteration(PlanObject *self, void *unused)
{ return PyLong_FromLong(self->iteration); }

static PyGetSetDef Plan_getset[] = {
    {"iteration", (getter)Plan_get_iteration, NULL,
     "the optimizer step counter after the last train call, also when it raised (Ctrl-C); -1 when "
     "that call's arguments did not parse",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef Plan_methods[] = {
    {"train", (PyCFunction)Plan_train, METH_VARARGS,
     "train(x, y, sw, perm, batch, first, nsteps, iteration, schedule, callback, interval)"
     " -> (sums, iteration)"},
    {"evaluate", (PyCFunction)Plan_evaluate, METH_VARARGS,
     "evaluate(x, y, sw, batch, callback, interval) -> sums"},
    {"predict", (PyCFunction)Plan_predict, METH_VARARGS, "predict(x, batch, callback, interval) -> array"},
    {"forward", (PyCFunction)Plan_forward, METH_VARARGS,
     "forward(x, training, iteration) -> array: one batch through the layers"},
    {"batch_max", (PyCFunction)Plan_batch_max, METH_NOARGS, "the largest batch the buffers hold"},
    {"rows", (PyCFunction)Plan_rows, METH_VARARGS,
     "rows(mode, x, y=None, iteration=0, schedule=None) -> array, sums or None: one small batch"},
    {"train_epochs", (PyCFunction)Plan_train_epochs, METH_VARARGS,
     "train_epochs(x, y, sw, batch, nsteps, shuffle, seed, epoch0, nepochs, iteration, schedule, callback,"
     " interval, out) -> (iteration, steps of the last epoch)"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject PlanType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cnn._core.Plan",
    .tp_basicsize = sizeof(PlanObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A model as the C core runs it: layers, loss, metrics, optimizer and buffers.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Plan_init,
    .tp_dealloc = (destructor)Plan_dealloc,
    .tp_methods = Plan_methods,
    .tp_getset = Plan_getset,
};

#include "module_kernels.h"

/* ------------------------------------------------------------------ the module */

static PyMethodDef core_methods[] = {
    KERNEL_METHODS{NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT, "cnn._core", "The C core of cnn.", -1, core_methods,
};

PyMODINIT_FUNC PyInit__core(void)
{
    import_array();
    if (PyType_Ready(&PlanType) < 0 || PyType_Ready(&PlanMemoryType) < 0) return NULL;
    PyObject *m = PyModule_Create(&core_module);
    if (!m) return NULL;
    Py_INCREF(&PlanType);
    if (PyModule_AddObject(m, "Plan", (PyObject *)&PlanType) < 0) {
        Py_DECREF(&PlanType);
        Py_DECREF(m);
        return NULL;
    }
    if (!export_records(m) || PyModule_AddIntConstant(m, "SCHED_MAX_PIECES", CNN_SCHED_MAX_PIECES) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

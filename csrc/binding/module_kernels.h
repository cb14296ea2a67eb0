/* module_kernels.h - part of the binding (included by module.c only): the single kernels, exposed so
 * the tests can check each against a NumPy reference. Arguments come through the converters of
 * convert.h (inputs: float32 C-contiguous views or copies, never the caller's array modified; outputs:
 * the caller's arrays, checked) and the record parsers of records.h; each function has one cleanup
 * label and runs its kernel without the GIL. */

/* A new array shaped like a (its float32 output), or NULL with MemoryError set. */
static PyArrayObject *new_like(PyArrayObject *a)
{ return (PyArrayObject *)PyArray_NewLikeArray(a, NPY_CORDER, NULL, 0); }

static PyObject *shape_error(const char *fn, const char *what)
{
    PyErr_Format(PyExc_ValueError, "%s: %s", fn, what);
    return NULL;
}

static PyObject *k_gemm(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"A", "B", "C", "trans_a", "trans_b", "accumulate", "bias", "relu", "mask", NULL};
    PyArrayObject *A = NULL, *B = NULL, *C = NULL, *bias = NULL, *mask = NULL;
    int ta, tb, acc, relu = 0;
    PyObject *ret = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&O&ppp|O&pO&", names, in_2d, &A, in_2d, &B, out_2d, &C,
                                     &ta, &tb, &acc, in_1d_or_none, &bias, &relu, in_2d_or_none, &mask))
        goto done;
    long M = dim(C, 0), N = dim(C, 1), K = ta ? dim(A, 0) : dim(A, 1);
    if ((ta ? dim(A, 1) : dim(A, 0)) != M || (tb ? dim(B, 1) : dim(B, 0)) != K
        || (tb ? dim(B, 0) : dim(B, 1)) != N) {
        shape_error("gemm", "the shapes of A, B and C do not agree");
        goto done;
    }
    if (bias && dim(bias, 0) != N) {
        shape_error("gemm", "bias must have N entries");
        goto done;
    }
    if (mask && (dim(mask, 0) != M || dim(mask, 1) != N)) {
        shape_error("gemm", "mask must have the shape of C");
        goto done;
    }
    cnn_epilogue ep = {fdata(bias), relu, fdata(mask), N};
    Py_BEGIN_ALLOW_THREADS cnn_gemm(ta, tb, M, N, K, fdata(A), dim(A, 1), fdata(B), dim(B, 1), fdata(C), N,
                                    acc, &ep);
    Py_END_ALLOW_THREADS ret = Py_NewRef(Py_None);
done:
    Py_XDECREF(A);
    Py_XDECREF(B);
    Py_XDECREF(bias);
    Py_XDECREF(mask);
    return ret;
}

static PyObject *k_dense_forward(PyObject *self, PyObject *args)
{
    PyArrayObject *x = NULL, *w = NULL, *b = NULL, *y = NULL;
    int relu;
    if (!PyArg_ParseTuple(args, "O&O&O&p", in_2d, &x, in_2d, &w, in_1d_or_none, &b, &relu)) goto done;
    if (dim(x, 1) != dim(w, 0) || (b && dim(b, 0) != dim(w, 1))) {
        shape_error("dense_forward", "shapes of x, w and b do not agree");
        goto done;
    }
    npy_intp dims[2] = {dim(x, 0), dim(w, 1)};
    if (!(y = (PyArrayObject *)PyArray_SimpleNew(2, dims, NPY_FLOAT32))) goto done;
    Py_BEGIN_ALLOW_THREADS cnn_dense_forward(fdata(y), fdata(x), fdata(w), fdata(b), dim(x, 0), dim(x, 1),
                                             dim(w, 1), relu);
    Py_END_ALLOW_THREADS done : Py_XDECREF(x);
    Py_XDECREF(w);
    Py_XDECREF(b);
    return (PyObject *)y;
}

static PyObject *k_dense_backward(PyObject *self, PyObject *args)
{
    PyArrayObject *dy = NULL, *x = NULL, *w = NULL, *mask = NULL, *dw = NULL, *db = NULL, *dx = NULL;
    int need_dx;
    PyObject *ret = NULL;
    if (!PyArg_ParseTuple(args, "O&O&O&O&O&O&p", in_2d, &dy, in_2d, &x, in_2d, &w, in_2d_or_none, &mask,
                          out_2d, &dw, out_1d_or_none, &db, &need_dx))
        goto done;
    long rows = dim(x, 0), in = dim(x, 1), out = dim(w, 1);
    if (dim(w, 0) != in || dim(dy, 0) != rows || dim(dy, 1) != out || dim(dw, 0) != in || dim(dw, 1) != out
        || (db && dim(db, 0) != out)) {
        shape_error("dense_backward", "shapes do not agree");
        goto done;
    }
    if (mask && (dim(mask, 0) != rows || dim(mask, 1) != in)) {
        shape_error("dense_backward", "dx_mask must have the shape of x");
        goto done;
    }
    if (need_dx && !(dx = new_like(x))) goto done;
    Py_BEGIN_ALLOW_THREADS cnn_dense_backward(fdata(dx), fdata(dw), fdata(db), fdata(dy), fdata(x), fdata(w),
                                              fdata(mask), rows, in, out);
    Py_END_ALLOW_THREADS ret = dx ? (PyObject *)dx : Py_NewRef(Py_None);
done:
    Py_XDECREF(dy);
    Py_XDECREF(x);
    Py_XDECREF(w);
    Py_XDECREF(mask);
    return ret;
}

static PyObject *k_colsum_accumulate(PyObject *self, PyObject *args)
{
    PyArrayObject *out = NULL, *m = NULL;
    PyObject *ret = NULL;
    if (!PyArg_ParseTuple(args, "O&O&", out_1d, &out, in_2d, &m)) goto done;
    if (dim(m, 1) != dim(out, 0)) {
        shape_error("colsum_accumulate", "out must have one entry per column of m");
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS cnn_colsum_accumulate(fdata(out), fdata(m), dim(m, 0), dim(m, 1));
    Py_END_ALLOW_THREADS ret = Py_NewRef(Py_None);
done:
    Py_XDECREF(m);
    return ret;
}

static PyObject *k_mathf(PyObject *self, PyObject *args)
{
    static const struct {
        const char *name;
        float (*fn)(float);
    } table[] = {
        {"exp", cnn_expf},     {"expm1", cnn_expm1f}, {"log", cnn_logf},
        {"log1p", cnn_log1pf}, {"tanh", cnn_tanhf},   {"erf", cnn_erff},
        {"sin", cnn_sinf},     {"cos", cnn_cosf},     {"sqrt", cnn_sqrtf},
    };
    const char *name;
    PyArrayObject *x = NULL, *y = NULL;
    float (*fn)(float) = NULL;
    if (!PyArg_ParseTuple(args, "sO&", &name, in_any, &x)) goto done;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(name, table[i].name)) fn = table[i].fn;
    if (!fn) {
        PyErr_Format(PyExc_ValueError, "unknown function '%s'", name);
        goto done;
    }
    if (!(y = new_like(x))) goto done;
    const float *xd = fdata(x);
    float *yd = fdata(y);
    npy_intp n = PyArray_SIZE(x);
    Py_BEGIN_ALLOW_THREADS for (npy_intp i = 0; i < n; i++) yd[i] = fn(xd[i]);
    Py_END_ALLOW_THREADS done : Py_XDECREF(x);
    return (PyObject *)y;
}

static PyObject *k_act_forward(PyObject *self, PyObject *args)
{
    cnn_act a;
    PyArrayObject *x = NULL, *y = NULL;
    if (!PyArg_ParseTuple(args, "O&O&", conv_act, &a, in_2d, &x) || !(y = new_like(x))) goto done;
    Py_BEGIN_ALLOW_THREADS cnn_act_forward(fdata(y), fdata(x), dim(x, 0), dim(x, 1), &a);
    Py_END_ALLOW_THREADS done : Py_XDECREF(x);
    return (PyObject *)y;
}

static PyObject *k_act_backward(PyObject *self, PyObject *args)
{
    cnn_act a;
    PyArrayObject *dy = NULL, *x = NULL, *y = NULL, *dx = NULL;
    if (!PyArg_ParseTuple(args, "O&O&O&O&", conv_act, &a, in_2d, &dy, in_2d, &x, in_2d, &y)) goto done;
    if (!PyArray_SAMESHAPE(dy, x) || !PyArray_SAMESHAPE(dy, y)) {
        shape_error("act_backward", "dy, x and y must have one shape");
        goto done;
    }
    if (!(dx = new_like(dy))) goto done;
    Py_BEGIN_ALLOW_THREADS cnn_act_backward(fdata(dx), fdata(dy), fdata(x), fdata(y), dim(dy, 0), dim(dy, 1),
                                            &a);
    Py_END_ALLOW_THREADS done : Py_XDECREF(dy);
    Py_XDECREF(x);
    Py_XDECREF(y);
    return (PyObject *)dx;
}

/* y_pred must have columns; y_true must be (rows, cols), or (rows,) ids when sparse. */
static int check_targets(PyArrayObject *yp, PyArrayObject *yt, int sparse)
{
    if (dim(yp, 1) < 1) {   /* a row of no columns has no loss value: refused, not left uninitialised */
        PyErr_SetString(PyExc_ValueError, "y_pred must have at least one column");
        return 0;
    }
    if (sparse ? (PyArray_SIZE(yt) != dim(yp, 0)) : !PyArray_SAMESHAPE(yp, yt)) {
        PyErr_SetString(PyExc_ValueError, "y_true does not match y_pred's shape");
        return 0;
    }
    return 1;
}

/* weights: None or one per row of y_pred */
static int check_weights(PyArrayObject *w, PyArrayObject *yp)
{
    if (w && dim(w, 0) != dim(yp, 0)) {
        PyErr_SetString(PyExc_ValueError, "one weight per row");
        return 0;
    }
    return 1;
}

/* The parts written in Python run only inside a plan, whose entry points install their host. */
static int not_python(int is_python, const char *fn)
{
    if (is_python)
        PyErr_Format(PyExc_ValueError, "%s: the 'python' kind runs only inside a model's plan", fn);
    return !is_python;
}

static PyObject *k_loss_forward(PyObject *self, PyObject *args)
{
    cnn_loss L;
    PyArrayObject *yp = NULL, *yt = NULL, *out = NULL;
    if (!PyArg_ParseTuple(args, "O&O&O&", conv_loss, &L, in_2d, &yp, in_any, &yt)
        || !not_python(L.kind == CNN_LOSS_PYTHON, "loss_forward")
        || !check_targets(yp, yt, L.kind == CNN_LOSS_SCCE))
        goto done;
    npy_intp n = dim(yp, 0);
    if (!(out = (PyArrayObject *)PyArray_SimpleNew(1, &n, NPY_FLOAT64))) goto done;
    Py_BEGIN_ALLOW_THREADS cnn_loss_forward((double *)PyArray_DATA(out), fdata(yp), fdata(yt), dim(yp, 0),
                                            dim(yp, 1), &L);
    Py_END_ALLOW_THREADS done : Py_XDECREF(yp);
    Py_XDECREF(yt);
    return (PyObject *)out;
}

static PyObject *k_loss_backward(PyObject *self, PyObject *args)
{
    cnn_loss L;
    PyArrayObject *yp = NULL, *yt = NULL, *w = NULL, *g = NULL;
    double scale;
    const char *fused_name;
    int status;
    if (!PyArg_ParseTuple(args, "O&O&O&O&ds", conv_loss, &L, in_2d, &yp, in_any, &yt, in_1d_or_none, &w,
                          &scale, &fused_name)
        || !not_python(L.kind == CNN_LOSS_PYTHON, "loss_backward")
        || !check_targets(yp, yt, L.kind == CNN_LOSS_SCCE) || !check_weights(w, yp))
        goto done;
    int fused = cnn_enum_value(&cnn_act_kinds, fused_name);
    if (fused < 0) {
        PyErr_Format(PyExc_ValueError, "unknown activation '%s' to fuse", fused_name);
        goto done;
    }
    if (!(g = new_like(yp))) goto done;
    Py_BEGIN_ALLOW_THREADS status = cnn_loss_backward(fdata(g), fdata(yp), fdata(yt), fdata(w), dim(yp, 0),
                                                      dim(yp, 1), (float)scale, fused, &L);
    Py_END_ALLOW_THREADS if (status != CNN_OK)
    {
        Py_CLEAR(g);
        PyErr_SetString(PyExc_ValueError, "this loss cannot be fused with that activation");
    }
done:
    Py_XDECREF(yp);
    Py_XDECREF(yt);
    Py_XDECREF(w);
    return (PyObject *)g;
}

static PyObject *k_metric_update(PyObject *self, PyObject *args)
{
    cnn_metric m;
    PyArrayObject *yp = NULL, *yt = NULL, *w = NULL;
    PyObject *ret = NULL;
    double *state = NULL;
    if (!PyArg_ParseTuple(args, "O&O&O&O&", conv_metric, &m, in_2d, &yp, in_any, &yt, in_1d_or_none, &w)
        || !not_python(m.kind == CNN_METRIC_PYTHON, "metric_update")
        || !check_targets(yp, yt, cnn_metric_sparse(&m)) || !check_weights(w, yp))
        goto done;
    long size = cnn_metric_state_size(&m, dim(yp, 1));
    if (size <= 0) {
        PyErr_Format(PyExc_ValueError, "this metric record does not fit y_pred of %ld columns", dim(yp, 1));
        goto done;
    }
    if (!(state = PyMem_Calloc((size_t)size, sizeof(double)))) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS cnn_metric_update(state, fdata(yp), fdata(yt), fdata(w), dim(yp, 0), dim(yp, 1),
                                             &m);
    Py_END_ALLOW_THREADS if (!(ret = PyTuple_New(size))) goto done;
    for (long i = 0; i < size; i++) {
        PyObject *f = PyFloat_FromDouble(state[i]);
        if (!f) {
            Py_CLEAR(ret);
            goto done;
        }
        PyTuple_SET_ITEM(ret, i, f);
    }
done:
    PyMem_Free(state);
    Py_XDECREF(yp);
    Py_XDECREF(yt);
    Py_XDECREF(w);
    return ret;
}

static PyObject *k_metric_state_size(PyObject *self, PyObject *args)
{
    cnn_metric m;
    long cols;
    if (!PyArg_ParseTuple(args, "O&l", conv_metric, &m, &cols)) return NULL;
    long size = cnn_metric_state_size(&m, cols);
    if (size <= 0) return PyErr_Format(PyExc_ValueError, "this metric record does not fit %ld columns", cols);
    return PyLong_FromLong(size);
}

static PyObject *k_opt_slot_count(PyObject *self, PyObject *rec)
{
    cnn_opt o;
    return conv_opt(rec, &o) ? PyLong_FromLong(cnn_opt_slot_count(&o)) : NULL;
}

static PyObject *k_opt_state_count(PyObject *self, PyObject *rec)
{
    cnn_opt o;
    return conv_opt(rec, &o) ? PyLong_FromLong(cnn_opt_state_count(&o)) : NULL;
}

/* init_slots(record, slots[, n]): slots holds slot_count * n + state_count floats (n: as many as fit). */
static PyObject *k_opt_init_slots(PyObject *self, PyObject *args)
{
    cnn_opt o;
    PyArrayObject *slots = NULL;
    long n = -1;
    if (!PyArg_ParseTuple(args, "O&O&|l", conv_opt, &o, out_1d, &slots, &n)) return NULL;
    long c = cnn_opt_slot_count(&o), st = cnn_opt_state_count(&o);
    long size = (long)PyArray_SIZE(slots);
    if (n < 0) n = c ? (size - st) / c : 0;
    npy_intp need = slots_needed(&o, n);
    if (n < 0 || need < 0 || need > size)
        return PyErr_Format(PyExc_ValueError, "slots has %ld floats; %ld parameters need %s", size, n,
                            need < 0 ? "more than fit in memory" : "more");
    Py_BEGIN_ALLOW_THREADS cnn_opt_init_slots(fdata(slots), n, &o);
    Py_END_ALLOW_THREADS Py_RETURN_NONE;
}

static PyObject *k_opt_step(PyObject *self, PyObject *args)
{
    cnn_opt o;
    PyArrayObject *params = NULL, *slots = NULL, *g = NULL;
    long t;
    double lr;
    PyObject *ret = NULL;
    if (!PyArg_ParseTuple(args, "O&O&O&O&ld", conv_opt, &o, out_1d, &params, out_1d, &slots, in_1d, &g, &t,
                          &lr)
        || !not_python(o.kind == CNN_OPT_PYTHON, "opt_step"))
        goto done;
    long n = (long)PyArray_SIZE(params);
    npy_intp need = slots_needed(&o, n);
    if (dim(g, 0) != n || need < 0 || PyArray_SIZE(slots) < need || t < 1) {
        PyErr_Format(PyExc_ValueError,
                     "opt_step: grads must match params (%ld), slots need %ld floats, t >= 1", n, (long)need);
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS cnn_opt_step(fdata(params), fdata(slots), fdata(g), n, &o, t, (float)lr);
    Py_END_ALLOW_THREADS ret = Py_NewRef(Py_None);
done:
    Py_XDECREF(g);
    return ret;
}

static PyObject *k_schedule_lr(PyObject *self, PyObject *args)
{
    cnn_schedule s;
    long step;
    if (!PyArg_ParseTuple(args, "O&l", conv_schedule, &s, &step)) return NULL;
    return PyFloat_FromDouble(cnn_schedule_lr(&s, step));
}

static PyObject *k_rng_key(PyObject *self, PyObject *args)
{
    unsigned long long seed, a, b;
    unsigned int purpose;
    if (!PyArg_ParseTuple(args, "KIKK", &seed, &purpose, &a, &b)) return NULL;
    return PyLong_FromUnsignedLongLong(cnn_rng_key(seed, purpose, a, b));
}

static PyObject *k_rng_uniform(PyObject *self, PyObject *args)
{
    long n;
    unsigned long long key;
    double lo, hi;
    if (!PyArg_ParseTuple(args, "O&Kdd", size_arg, &n, &key, &lo, &hi)) return NULL;
    npy_intp d = n;
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(1, &d, NPY_FLOAT32);
    if (!out) return NULL;
    Py_BEGIN_ALLOW_THREADS cnn_rng_uniform(fdata(out), n, key, (float)lo, (float)hi);
    Py_END_ALLOW_THREADS return (PyObject *)out;
}

static PyObject *k_rng_normal(PyObject *self, PyObject *args)
{
    long n;
    unsigned long long key;
    double mean, sd;
    int trunc;
    if (!PyArg_ParseTuple(args, "O&Kddp", size_arg, &n, &key, &mean, &sd, &trunc)) return NULL;
    npy_intp d = n;
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(1, &d, NPY_FLOAT32);
    if (!out) return NULL;
    Py_BEGIN_ALLOW_THREADS cnn_rng_normal(fdata(out), n, key, (float)mean, (float)sd, trunc);
    Py_END_ALLOW_THREADS return (PyObject *)out;
}

static PyObject *k_permutation(PyObject *self, PyObject *args)
{
    long n;
    unsigned long long key;
    if (!PyArg_ParseTuple(args, "O&K", size_arg, &n, &key)) return NULL;
    npy_intp d = n;
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(1, &d, NPY_INT64);
    if (!out) return NULL;
    Py_BEGIN_ALLOW_THREADS cnn_rng_permutation((int64_t *)PyArray_DATA(out), n, key);
    Py_END_ALLOW_THREADS return (PyObject *)out;
}

static PyObject *k_philox(PyObject *self, PyObject *args)
{
    unsigned long long key, hi, lo;
    if (!PyArg_ParseTuple(args, "KKK", &key, &hi, &lo)) return NULL;
    uint32_t out[4];
    cnn_philox(out, key, hi, lo);
    return Py_BuildValue("IIII", out[0], out[1], out[2], out[3]);
}

static PyObject *k_set_num_threads(PyObject *self, PyObject *arg)
{
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 0 || n > 1024) return PyErr_Format(PyExc_ValueError, "threads must be 0..1024, got %ld", n);
    cnn_set_num_threads((int)n);
    Py_RETURN_NONE;
}

static PyObject *k_get_num_threads(PyObject *self, PyObject *unused)
{ return PyLong_FromLong(cnn_get_num_threads()); }

static PyObject *k_set_isa(PyObject *self, PyObject *arg)
{
    long i = PyLong_AsLong(arg);
    if (i == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLong(cnn_set_isa((int)i));
}

static PyObject *k_get_isa(PyObject *self, PyObject *unused) { return PyLong_FromLong(cnn_get_isa()); }

#define KERNEL_METHODS \
    {"gemm", (PyCFunction)(void (*)(void))k_gemm, METH_VARARGS | METH_KEYWORDS, \
     "C = op(A) op(B) with epilogue"}, \
        {"dense_forward", k_dense_forward, METH_VARARGS, "y = x w + b"}, \
        {"dense_backward", k_dense_backward, METH_VARARGS, "dw, db accumulate; returns dx or None"}, \
        {"colsum_accumulate", k_colsum_accumulate, METH_VARARGS, "out += column sums of m"}, \
        {"mathf", k_mathf, METH_VARARGS, "the core's float32 math functions"}, \
        {"act_forward", k_act_forward, METH_VARARGS, "activation forward"}, \
        {"act_backward", k_act_backward, METH_VARARGS, "activation backward"}, \
        {"loss_forward", k_loss_forward, METH_VARARGS, "per-row loss values"}, \
        {"loss_backward", k_loss_backward, METH_VARARGS, "loss gradient"}, \
        {"metric_state_size", k_metric_state_size, METH_VARARGS, "doubles of a metric's state for cols"}, \
        {"metric_update", k_metric_update, METH_VARARGS, \
         "the metric's streaming state after one update from zero (a tuple)"}, \
        {"opt_slot_count", k_opt_slot_count, METH_O, "slots per parameter"}, \
        {"opt_state_count", k_opt_state_count, METH_O, "scalars kept after the slots"}, \
        {"opt_init_slots", k_opt_init_slots, METH_VARARGS, "initial slot values: (record, slots[, n])"}, \
        {"opt_step", k_opt_step, METH_VARARGS, "one optimizer update"}, \
        {"schedule_lr", k_schedule_lr, METH_VARARGS, "the learning rate of a schedule record at a step"}, \
        {"rng_key", k_rng_key, METH_VARARGS, "stream key from (seed, purpose, a, b)"}, \
        {"rng_uniform", k_rng_uniform, METH_VARARGS, "uniform floats of a stream"}, \
        {"rng_normal", k_rng_normal, METH_VARARGS, "normal floats of a stream"}, \
        {"permutation", k_permutation, METH_VARARGS, "a permutation of a stream"}, \
        {"philox", k_philox, METH_VARARGS, "Philox4x32-10"}, \
        {"set_num_threads", k_set_num_threads, METH_O, "size of the worker pool (0: all cores)"}, \
        {"get_num_threads", k_get_num_threads, METH_NOARGS, "size of the worker pool"}, \
        {"set_isa", k_set_isa, METH_O, "force an instruction-set path (-1: best)"}, \
        {"get_isa", k_get_isa, METH_NOARGS, "the instruction-set path in use"},

/* module_kernels.h - part of the binding (included by module.c only): the single kernels, exposed so
 * the tests can check each against a NumPy reference. Every function copies its inputs to float32
 * C-contiguous arrays (never modifying the caller's), and writes only arrays it returns or the
 * outputs the caller passes explicitly. */

static PyObject *new_like(PyArrayObject *a)
{
    return PyArray_NewLikeArray(a, NPY_CORDER, NULL, 0);
}

static PyObject *k_gemm(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"A", "B", "C", "trans_a", "trans_b", "accumulate", "bias", "relu", "mask", NULL};
    PyObject *Ao, *Bo, *Co, *biaso = Py_None, *masko = Py_None;
    int ta, tb, acc, relu = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOppp|OpO", names, &Ao, &Bo, &Co, &ta, &tb, &acc,
                                     &biaso, &relu, &masko))
        return NULL;
    if (!check_out(Co, "C", 2, NPY_FLOAT32)) return NULL;
    PyArrayObject *A = as_f32(Ao, "A", 2), *B = A ? as_f32(Bo, "B", 2) : NULL;
    PyArrayObject *bias = NULL, *mask = NULL;
    PyObject *ret = NULL;
    if (!B) goto done;
    long M = dim((PyArrayObject *)Co, 0), N = dim((PyArrayObject *)Co, 1);
    long K = ta ? dim(A, 0) : dim(A, 1);
    if ((ta ? dim(A, 1) : dim(A, 0)) != M || (tb ? dim(B, 1) : dim(B, 0)) != K
        || (tb ? dim(B, 0) : dim(B, 1)) != N) {
        PyErr_SetString(PyExc_ValueError, "gemm: the shapes of A, B and C do not agree");
        goto done;
    }
    if (biaso != Py_None) {
        if (!(bias = as_f32(biaso, "bias", 1))) goto done;
        if (dim(bias, 0) != N) { PyErr_SetString(PyExc_ValueError, "bias must have N entries"); goto done; }
    }
    if (masko != Py_None) {
        if (!(mask = as_f32(masko, "mask", 2))) goto done;
        if (dim(mask, 0) != M || dim(mask, 1) != N) {
            PyErr_SetString(PyExc_ValueError, "mask must have the shape of C");
            goto done;
        }
    }
    cnn_epilogue ep = {fdata(bias), relu, fdata(mask), N};
    Py_BEGIN_ALLOW_THREADS
    cnn_gemm(ta, tb, M, N, K, fdata(A), dim(A, 1), fdata(B), dim(B, 1), fdata((PyArrayObject *)Co), N,
             acc, &ep);
    Py_END_ALLOW_THREADS
    ret = Py_None;
    Py_INCREF(ret);
done:
    Py_XDECREF(A); Py_XDECREF(B); Py_XDECREF(bias); Py_XDECREF(mask);
    return ret;
}

static PyObject *k_dense_forward(PyObject *self, PyObject *args)
{
    PyObject *xo, *wo, *bo;
    int relu;
    if (!PyArg_ParseTuple(args, "OOOp", &xo, &wo, &bo, &relu)) return NULL;
    PyArrayObject *x = as_f32(xo, "x", 2), *w = x ? as_f32(wo, "w", 2) : NULL, *b = NULL;
    PyObject *y = NULL;
    if (!w) goto done;
    if (bo != Py_None && !(b = as_f32(bo, "b", 1))) goto done;
    if (dim(x, 1) != dim(w, 0) || (b && dim(b, 0) != dim(w, 1))) {
        PyErr_SetString(PyExc_ValueError, "dense_forward: shapes of x, w and b do not agree");
        goto done;
    }
    npy_intp dims[2] = {dim(x, 0), dim(w, 1)};
    if (!(y = PyArray_SimpleNew(2, dims, NPY_FLOAT32))) goto done;
    cnn_dense_forward(fdata((PyArrayObject *)y), fdata(x), fdata(w), fdata(b), dim(x, 0), dim(x, 1),
                      dim(w, 1), relu);
done:
    Py_XDECREF(x); Py_XDECREF(w); Py_XDECREF(b);
    return y;
}

static PyObject *k_dense_backward(PyObject *self, PyObject *args)
{
    PyObject *dyo, *xo, *wo, *masko, *dw, *db;
    int need_dx;
    if (!PyArg_ParseTuple(args, "OOOOOOp", &dyo, &xo, &wo, &masko, &dw, &db, &need_dx)) return NULL;
    if (!check_out(dw, "dw", 2, NPY_FLOAT32) || (db != Py_None && !check_out(db, "db", 1, NPY_FLOAT32)))
        return NULL;
    PyArrayObject *dy = as_f32(dyo, "dy", 2), *x = dy ? as_f32(xo, "x", 2) : NULL;
    PyArrayObject *w = x ? as_f32(wo, "w", 2) : NULL, *mask = NULL;
    PyObject *dx = NULL, *ret = NULL;
    if (!w) goto done;
    long rows = dim(x, 0), in = dim(x, 1), out = dim(w, 1);
    if (dim(w, 0) != in || dim(dy, 0) != rows || dim(dy, 1) != out || dim((PyArrayObject *)dw, 0) != in
        || dim((PyArrayObject *)dw, 1) != out || (db != Py_None && dim((PyArrayObject *)db, 0) != out)) {
        PyErr_SetString(PyExc_ValueError, "dense_backward: shapes do not agree");
        goto done;
    }
    if (masko != Py_None) {
        if (!(mask = as_f32(masko, "dx_mask", 2))) goto done;
        if (dim(mask, 0) != rows || dim(mask, 1) != in) {
            PyErr_SetString(PyExc_ValueError, "dx_mask must have the shape of x");
            goto done;
        }
    }
    if (need_dx && !(dx = new_like(x))) goto done;
    cnn_dense_backward(dx ? fdata((PyArrayObject *)dx) : NULL, fdata((PyArrayObject *)dw),
                       db == Py_None ? NULL : fdata((PyArrayObject *)db), fdata(dy), fdata(x), fdata(w),
                       fdata(mask), rows, in, out);
    ret = dx ? dx : Py_None;
    if (!dx) Py_INCREF(Py_None);
done:
    Py_XDECREF(dy); Py_XDECREF(x); Py_XDECREF(w); Py_XDECREF(mask);
    return ret;
}

static PyObject *k_colsum_accumulate(PyObject *self, PyObject *args)
{
    PyObject *outo, *mo;
    if (!PyArg_ParseTuple(args, "OO", &outo, &mo)) return NULL;
    if (!check_out(outo, "out", 1, NPY_FLOAT32)) return NULL;
    PyArrayObject *m = as_f32(mo, "m", 2);
    if (!m) return NULL;
    if (dim(m, 1) != dim((PyArrayObject *)outo, 0)) {
        Py_DECREF(m);
        PyErr_SetString(PyExc_ValueError, "out must have one entry per column of m");
        return NULL;
    }
    cnn_colsum_accumulate(fdata((PyArrayObject *)outo), fdata(m), dim(m, 0), dim(m, 1));
    Py_DECREF(m);
    Py_RETURN_NONE;
}

static PyObject *k_mathf(PyObject *self, PyObject *args)
{
    const char *name;
    PyObject *xo;
    if (!PyArg_ParseTuple(args, "sO", &name, &xo)) return NULL;
    float (*fn)(float) = NULL;
    static const struct { const char *name; float (*fn)(float); } table[] = {
        {"exp", cnn_expf}, {"expm1", cnn_expm1f}, {"log", cnn_logf}, {"log1p", cnn_log1pf}, {"tanh", cnn_tanhf},
        {"erf", cnn_erff}, {"sin", cnn_sinf}, {"cos", cnn_cosf}, {"sqrt", cnn_sqrtf},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(name, table[i].name)) fn = table[i].fn;
    if (!fn) return PyErr_Format(PyExc_ValueError, "unknown function '%s'", name);
    PyArrayObject *x = as_f32(xo, "x", -1);
    if (!x) return NULL;
    PyObject *y = new_like(x);
    if (y) {
        float *xd = fdata(x), *yd = fdata((PyArrayObject *)y);
        for (npy_intp i = 0, n = PyArray_SIZE(x); i < n; i++) yd[i] = fn(xd[i]);
    }
    Py_DECREF(x);
    return y;
}

static PyObject *k_act_forward(PyObject *self, PyObject *args)
{
    PyObject *rec, *xo;
    cnn_act a;
    if (!PyArg_ParseTuple(args, "OO", &rec, &xo) || !conv_act(rec, &a)) return NULL;
    PyArrayObject *x = as_f32(xo, "x", 2);
    if (!x) return NULL;
    PyObject *y = new_like(x);
    if (y) cnn_act_forward(fdata((PyArrayObject *)y), fdata(x), dim(x, 0), dim(x, 1), &a);
    Py_DECREF(x);
    return y;
}

static PyObject *k_act_backward(PyObject *self, PyObject *args)
{
    PyObject *rec, *dyo, *xo, *yo;
    cnn_act a;
    if (!PyArg_ParseTuple(args, "OOOO", &rec, &dyo, &xo, &yo) || !conv_act(rec, &a)) return NULL;
    PyArrayObject *dy = as_f32(dyo, "dy", 2), *x = dy ? as_f32(xo, "x", 2) : NULL;
    PyArrayObject *y = x ? as_f32(yo, "y", 2) : NULL;
    PyObject *dx = NULL;
    if (!y) goto done;
    if (!PyArray_SAMESHAPE(dy, x) || !PyArray_SAMESHAPE(dy, y)) {
        PyErr_SetString(PyExc_ValueError, "act_backward: dy, x and y must have one shape");
        goto done;
    }
    if ((dx = new_like(dy)))
        cnn_act_backward(fdata((PyArrayObject *)dx), fdata(dy), fdata(x), fdata(y), dim(dy, 0), dim(dy, 1), &a);
done:
    Py_XDECREF(dy); Py_XDECREF(x); Py_XDECREF(y);
    return dx;
}

/* y_true must be (rows, cols), or (rows,) ids for SCCE. */
static int check_targets(PyArrayObject *yp, PyArrayObject *yt, const cnn_loss *L)
{
    int sparse = L && L->kind == CNN_LOSS_SCCE;
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

static PyObject *k_loss_forward(PyObject *self, PyObject *args)
{
    PyObject *rec, *ypo, *yto;
    cnn_loss L;
    if (!PyArg_ParseTuple(args, "OOO", &rec, &ypo, &yto) || !conv_loss(rec, &L)) return NULL;
    PyArrayObject *yp = as_f32(ypo, "y_pred", 2), *yt = yp ? as_f32(yto, "y_true", -1) : NULL;
    PyObject *out = NULL;
    if (!yt || !check_targets(yp, yt, &L)) goto done;
    npy_intp n = dim(yp, 0);
    if ((out = PyArray_SimpleNew(1, &n, NPY_FLOAT64)))
        cnn_loss_forward((double *)PyArray_DATA((PyArrayObject *)out), fdata(yp), fdata(yt), dim(yp, 0),
                         dim(yp, 1), &L);
done:
    Py_XDECREF(yp); Py_XDECREF(yt);
    return out;
}

static PyObject *k_loss_backward(PyObject *self, PyObject *args)
{
    PyObject *rec, *ypo, *yto, *wo;
    double scale;
    const char *fused_name;
    cnn_loss L;
    if (!PyArg_ParseTuple(args, "OOOOds", &rec, &ypo, &yto, &wo, &scale, &fused_name) || !conv_loss(rec, &L))
        return NULL;
    int fused = cnn_enum_value(&cnn_act_kinds, fused_name);
    if (fused < 0) return PyErr_Format(PyExc_ValueError, "unknown activation '%s' to fuse", fused_name);
    PyArrayObject *yp = as_f32(ypo, "y_pred", 2), *yt = yp ? as_f32(yto, "y_true", -1) : NULL, *w = NULL;
    PyObject *g = NULL;
    if (!yt || !check_targets(yp, yt, &L)) goto done;
    if (wo != Py_None) {
        if (!(w = as_f32(wo, "weights", 1))) goto done;
        if (dim(w, 0) != dim(yp, 0)) { PyErr_SetString(PyExc_ValueError, "one weight per row"); goto done; }
    }
    if (!(g = new_like(yp))) goto done;
    if (cnn_loss_backward(fdata((PyArrayObject *)g), fdata(yp), fdata(yt), fdata(w), dim(yp, 0), dim(yp, 1),
                          (float)scale, fused, &L) != CNN_OK) {
        Py_CLEAR(g);
        PyErr_SetString(PyExc_ValueError, "this loss cannot be fused with that activation");
    }
done:
    Py_XDECREF(yp); Py_XDECREF(yt); Py_XDECREF(w);
    return g;
}

static PyObject *k_metric_update(PyObject *self, PyObject *args)
{
    PyObject *rec, *ypo, *yto, *wo;
    cnn_metric m;
    if (!PyArg_ParseTuple(args, "OOOO", &rec, &ypo, &yto, &wo) || !conv_metric(rec, &m)) return NULL;
    PyArrayObject *yp = as_f32(ypo, "y_pred", 2), *yt = yp ? as_f32(yto, "y_true", -1) : NULL, *w = NULL;
    PyObject *ret = NULL;
    int sparse = m.kind == CNN_METRIC_SPARSE_CATEGORICAL_ACCURACY;
    if (!yt) goto done;
    if (dim(yp, 1) < 1) {
        PyErr_SetString(PyExc_ValueError, "y_pred must have at least one column");
        goto done;
    }
    if (sparse ? PyArray_SIZE(yt) != dim(yp, 0) : !PyArray_SAMESHAPE(yp, yt)) {
        PyErr_SetString(PyExc_ValueError, "y_true does not match y_pred's shape");
        goto done;
    }
    if (wo != Py_None) {
        if (!(w = as_f32(wo, "weights", 1))) goto done;
        if (dim(w, 0) != dim(yp, 0)) { PyErr_SetString(PyExc_ValueError, "one weight per row"); goto done; }
    }
    double state[2] = {0, 0};
    cnn_metric_update(state, fdata(yp), fdata(yt), fdata(w), dim(yp, 0), dim(yp, 1), &m);
    ret = Py_BuildValue("dd", state[0], state[1]);
done:
    Py_XDECREF(yp); Py_XDECREF(yt); Py_XDECREF(w);
    return ret;
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

/* init_slots(record, slots, n): slots holds slot_count * n + state_count floats. */
static PyObject *k_opt_init_slots(PyObject *self, PyObject *args)
{
    PyObject *rec, *slots;
    long n = -1;
    cnn_opt o;
    if (!PyArg_ParseTuple(args, "OO|l", &rec, &slots, &n) || !conv_opt(rec, &o)
        || !check_out(slots, "slots", 1, NPY_FLOAT32))
        return NULL;
    long c = cnn_opt_slot_count(&o), st = cnn_opt_state_count(&o);
    long size = (long)PyArray_SIZE((PyArrayObject *)slots);
    if (n < 0) n = c ? (size - st) / c : 0;
    if (n < 0 || slots_needed(&o, n) < 0 || slots_needed(&o, n) > size)
        return PyErr_Format(PyExc_ValueError, "slots has %ld floats; %ld parameters need %ld", size, n,
                            (long)slots_needed(&o, n));
    cnn_opt_init_slots(fdata((PyArrayObject *)slots), n, &o);
    Py_RETURN_NONE;
}

static PyObject *k_opt_step(PyObject *self, PyObject *args)
{
    PyObject *rec, *params, *slots, *go;
    long t;
    double lr;
    cnn_opt o;
    if (!PyArg_ParseTuple(args, "OOOOld", &rec, &params, &slots, &go, &t, &lr) || !conv_opt(rec, &o)
        || !check_out(params, "params", 1, NPY_FLOAT32) || !check_out(slots, "slots", 1, NPY_FLOAT32))
        return NULL;
    PyArrayObject *g = as_f32(go, "grads", 1);
    if (!g) return NULL;
    long n = (long)PyArray_SIZE((PyArrayObject *)params);
    if (dim(g, 0) != n || slots_needed(&o, n) < 0 || PyArray_SIZE((PyArrayObject *)slots) < slots_needed(&o, n)
        || t < 1) {
        Py_DECREF(g);
        return PyErr_Format(PyExc_ValueError, "opt_step: grads must match params (%ld), slots need %ld "
                            "floats, t >= 1", n, (long)slots_needed(&o, n));
    }
    Py_BEGIN_ALLOW_THREADS
    cnn_opt_step(fdata((PyArrayObject *)params), fdata((PyArrayObject *)slots), fdata(g), n, &o, t, (float)lr);
    Py_END_ALLOW_THREADS
    Py_DECREF(g);
    Py_RETURN_NONE;
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
    if (!PyArg_ParseTuple(args, "lKdd", &n, &key, &lo, &hi)) return NULL;
    if (n < 0) return PyErr_Format(PyExc_ValueError, "n must be >= 0, got %ld", n);
    npy_intp d = n;
    PyObject *out = PyArray_SimpleNew(1, &d, NPY_FLOAT32);
    if (out) cnn_rng_uniform(fdata((PyArrayObject *)out), n, key, (float)lo, (float)hi);
    return out;
}

static PyObject *k_rng_normal(PyObject *self, PyObject *args)
{
    long n;
    unsigned long long key;
    double mean, sd;
    int trunc;
    if (!PyArg_ParseTuple(args, "lKddp", &n, &key, &mean, &sd, &trunc)) return NULL;
    if (n < 0) return PyErr_Format(PyExc_ValueError, "n must be >= 0, got %ld", n);
    npy_intp d = n;
    PyObject *out = PyArray_SimpleNew(1, &d, NPY_FLOAT32);
    if (out) cnn_rng_normal(fdata((PyArrayObject *)out), n, key, (float)mean, (float)sd, trunc);
    return out;
}

static PyObject *k_permutation(PyObject *self, PyObject *args)
{
    long n;
    unsigned long long key;
    if (!PyArg_ParseTuple(args, "lK", &n, &key)) return NULL;
    if (n < 0) return PyErr_Format(PyExc_ValueError, "n must be >= 0, got %ld", n);
    npy_intp d = n;
    PyObject *out = PyArray_SimpleNew(1, &d, NPY_INT64);
    if (out) cnn_rng_permutation((int64_t *)PyArray_DATA((PyArrayObject *)out), n, key);
    return out;
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
{
    return PyLong_FromLong(cnn_get_num_threads());
}

static PyObject *k_set_isa(PyObject *self, PyObject *arg)
{
    long i = PyLong_AsLong(arg);
    if (i == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLong(cnn_set_isa((int)i));
}

static PyObject *k_get_isa(PyObject *self, PyObject *unused) { return PyLong_FromLong(cnn_get_isa()); }

#define KERNEL_METHODS \
    {"gemm", (PyCFunction)(void (*)(void))k_gemm, METH_VARARGS | METH_KEYWORDS, "C = op(A) op(B) with epilogue"}, \
    {"dense_forward", k_dense_forward, METH_VARARGS, "y = x w + b"}, \
    {"dense_backward", k_dense_backward, METH_VARARGS, "dw, db accumulate; returns dx or None"}, \
    {"colsum_accumulate", k_colsum_accumulate, METH_VARARGS, "out += column sums of m"}, \
    {"mathf", k_mathf, METH_VARARGS, "the core's float32 math functions"}, \
    {"act_forward", k_act_forward, METH_VARARGS, "activation forward"}, \
    {"act_backward", k_act_backward, METH_VARARGS, "activation backward"}, \
    {"loss_forward", k_loss_forward, METH_VARARGS, "per-row loss values"}, \
    {"loss_backward", k_loss_backward, METH_VARARGS, "loss gradient"}, \
    {"metric_update", k_metric_update, METH_VARARGS, "metric (total, count)"}, \
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

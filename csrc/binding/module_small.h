/* module_small.h - part of the binding (included by module.c only): the small-model path.
 *
 * Plan.rows runs one batch of a few rows (predict, evaluate, train_on_batch) in one call, checking
 * the arrays itself; it returns None for anything but the common case (another dtype or layout, a
 * non-finite value, a class id out of range), and Python then takes the full path, whose checks
 * explain what is wrong. Plan.train_epochs runs whole epochs, each shuffled as fit shuffles it, in
 * one call: fit uses it when no callback needs to run between the epochs. */
#include <float.h>

/* True when every float of a[n] is finite (no early exit, so the loop vectorises). */
static int all_finite(const float *a, long n)
{
    uint32_t bad = 0;
    for (long i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, a + i, sizeof u);
        bad |= (u & 0x7f800000u) == 0x7f800000u;
    }
    return !bad;
}

/* True when every y[n] is a class id 0..classes-1 (as a float). */
static int all_class_ids(const float *y, long n, long classes)
{
    for (long i = 0; i < n; i++)
        if (!(y[i] >= 0 && y[i] < (float)classes && y[i] == (float)(long)y[i])) return 0;
    return 1;
}

/* obj as a float32 C-contiguous aligned exact ndarray with dim0 == n (n < 0: any, set) of n * per floats,
 * all finite; NULL otherwise (no exception: the caller then returns None). */
static const float *small_array(PyObject *obj, long *n, long per)
{
    if (!PyArray_CheckExact(obj)) return NULL;
    PyArrayObject *a = (PyArrayObject *)obj;
    if (PyArray_TYPE(a) != NPY_FLOAT32 || !PyArray_IS_C_CONTIGUOUS(a) || !PyArray_ISALIGNED(a)
        || PyArray_NDIM(a) < 1)
        return NULL;
    long rows = (long)PyArray_DIM(a, 0);
    if ((*n >= 0 && rows != *n) || (long)PyArray_SIZE(a) != rows * per) return NULL;
    const float *f = fdata(a);
    if (!all_finite(f, rows * per)) return NULL;
    *n = rows;
    return f;
}

/* Targets as the core takes them, into out[count] (float32): from float32 or float64 (finite once
 * converted) or any integer type; with classes > 0 every value must be a class id 0..classes-1.
 * 0 for anything else (another type, a value the full path must explain). */
#define CONVERT_TARGETS(T) \
    { \
        const T *v = (const T *)data; \
        for (long i = 0; i < count; i++) { \
            if (classes \
                && !((double)v[i] >= 0.0 && (double)v[i] < (double)classes && v[i] == (T)(long)v[i])) \
                return 0; \
            out[i] = (float)v[i]; \
        } \
        return all_finite(out, count); \
    }
static int convert_targets(float *out, const void *data, int type, long count, long classes)
{
    if (type == NPY_FLOAT64) /* beyond float32's range (or NaN): the full path explains */
        for (long i = 0; i < count; i++)
            if (!(fabs(((const double *)data)[i]) <= FLT_MAX)) return 0;
    switch (type) {
    case NPY_FLOAT64: CONVERT_TARGETS(double)
    case NPY_INT8: CONVERT_TARGETS(int8_t)
    case NPY_UINT8: CONVERT_TARGETS(uint8_t)
    case NPY_INT16: CONVERT_TARGETS(int16_t)
    case NPY_UINT16: CONVERT_TARGETS(uint16_t)
    case NPY_INT32: CONVERT_TARGETS(int32_t)
    case NPY_UINT32: CONVERT_TARGETS(uint32_t)
    case NPY_INT64: CONVERT_TARGETS(int64_t)
    case NPY_UINT64: CONVERT_TARGETS(uint64_t)
    default: return 0;
    }
}
#undef CONVERT_TARGETS

/* y (n rows of y_size) as float32 for the core: y's own data when it is float32, else converted
 * into *scratch (allocated here, freed by the caller); NULL when it is not the common case. */
static const float *small_targets(PlanObject *self, PyObject *obj, long n, float **scratch)
{
    if (!PyArray_CheckExact(obj)) return NULL;
    PyArrayObject *a = (PyArrayObject *)obj;
    long count = n * self->y_size;
    if (!PyArray_IS_C_CONTIGUOUS(a) || !PyArray_ISALIGNED(a) || PyArray_NDIM(a) < 1 || PyArray_DIM(a, 0) != n
        || (long)PyArray_SIZE(a) != count)
        return NULL;
    if (PyArray_TYPE(a) == NPY_FLOAT32) {
        const float *y = fdata(a);
        if (!all_finite(y, count) || (self->y_classes && !all_class_ids(y, count, self->y_classes)))
            return NULL;
        return y;
    }
    *scratch = PyMem_Malloc((size_t)(count ? count : 1) * sizeof(float));
    if (!*scratch) return NULL;
    return convert_targets(*scratch, PyArray_DATA(a), PyArray_TYPE(a), count, self->y_classes) ? *scratch
                                                                                               : NULL;
}

/* The plan's identity permutation for n <= batch_max rows (train_on_batch's order), made once. */
static const int64_t *identity_rows(PlanObject *self, long n)
{
    if (!self->identity) {
        long m = cnn_plan_batch_max(self->plan);
        self->identity = PyMem_Malloc((size_t)m * sizeof(int64_t));
        if (!self->identity) return NULL;
        for (long i = 0; i < m; i++) self->identity[i] = i;
    }
    return n <= cnn_plan_batch_max(self->plan) ? self->identity : NULL;
}

/* rows(mode, x, y=None, iteration=0, schedule=None): mode 0 predict -> out[n, out_size]; 1 evaluate
 * -> sums; 2 one training step (schedule required) -> sums, plan.iteration set. x is the whole batch
 * (1..batch_max rows). None when the arrays are not the common case (see above). */
static PyObject *Plan_rows(PlanObject *self, PyObject *args)
{
    int mode;
    PyObject *X, *Y = Py_None, *sched_obj = Py_None;
    long iteration = 0;
    if (!PyArg_ParseTuple(args, "iO|OlO", &mode, &X, &Y, &iteration, &sched_obj)) return NULL;
    if (!check_plan(self)) return NULL;
    if (self->host) Py_RETURN_NONE;   /* parts written in Python: the full path installs their host */
    if (mode < 0 || mode > 2 || (mode > 0 && Y == Py_None) || (mode == 2 && sched_obj == Py_None)
        || iteration < 0) {
        PyErr_Format(PyExc_ValueError, "rows: bad mode %d or missing y / schedule", mode);
        return NULL;
    }
    cnn_schedule sched;
    if (mode == 2 && !conv_schedule(sched_obj, &sched)) return NULL;
    if (mode == 2) self->iteration = -1; /* until a step runs: Python then leaves its counter */
    long n = -1;
    float *scratch = NULL;
    const float *x = small_array(X, &n, self->in_size), *y = NULL;
    if (x && mode > 0) y = small_targets(self, Y, n, &scratch);
    const int64_t *idx = mode == 2 && y ? identity_rows(self, n) : NULL;
    if (!x || (mode > 0 && !y) || n > cnn_plan_batch_max(self->plan) || (mode == 2 && !idx)) {
        PyMem_Free(scratch);
        Py_RETURN_NONE;
    }
    PyArrayObject *out = NULL;
    cnn_sums sums = {0, 0, NULL};
    if (mode == 0) {
        npy_intp dims[2] = {n, self->out_size};
        out = (PyArrayObject *)PyArray_SimpleNew(2, dims, NPY_FLOAT32);
    } else {
        sums.state = PyMem_Calloc((size_t)self->nstate + 1, sizeof(double));
        if (!sums.state) PyErr_NoMemory();
    }
    if (!out && !sums.state) {
        PyMem_Free(scratch);
        return NULL;
    }
    progress_ctx ctx = {NULL, 0.0, now_seconds(), 1, self->nstate, NULL};
    cnn_interrupt it;
    int status;
    ctx.tstate = PyEval_SaveThread();
    cnn_interrupt_install(&it, interrupt_poll, &ctx, POLL_INTERVAL);
    cnn_xdata xd = {x, CNN_X_F32};
    if (mode == 0) status = cnn_predict(self->plan, fdata(out), xd, n, n, NULL, NULL);
    else if (mode == 1) status = cnn_evaluate(self->plan, xd, y, NULL, n, n, &sums, NULL, NULL);
    else
        status = cnn_train_steps(self->plan, xd, y, NULL, n, idx, n, 0, 1, &iteration, &sched, 0, &sums, NULL,
                                 NULL);
    cnn_interrupt_uninstall(&it);
    PyEval_RestoreThread(ctx.tstate);
    if (mode == 2) self->iteration = iteration;
    PyObject *r = status != CNN_OK ? status_error(status)
                  : mode == 0      ? (PyObject *)out
                                   : sums_list(&sums, self->nstate);
    if (mode == 0 && status != CNN_OK) Py_DECREF(out);
    PyMem_Free(sums.state);
    PyMem_Free(scratch);
    return r;
}

/* Appends sums lists for epochs [0, count) of sums[count * (2 + nstate)] to the list out; keeps any
 * exception already set. 0 on failure. */
static int append_epochs(PyObject *out, const double *all, long count, long nstate)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    int ok = 1;
    for (long e = 0; ok && e < count; e++) {
        const double *s = all + e * (2 + nstate);
        cnn_sums one = {s[0], s[1], (double *)(s + 2)};
        PyObject *l = sums_list(&one, nstate);
        ok = l && PyList_Append(out, l) == 0;
        Py_XDECREF(l);
    }
    if (type || value || tb) PyErr_Restore(type, value, tb);
    return ok;
}

/* train_epochs(x, y, sw, batch, nsteps, shuffle, seed, epoch0, nepochs, iteration, schedule, callback,
 * interval, out) -> (iteration, steps of the last epoch): epochs epoch0.. of nsteps steps each from
 * step 0, rows in the order fit gives them (shuffle: permutation keyed (seed, SHUFFLE, epoch, 0),
 * else in order). Each epoch's sums are appended to the list out, also when the call raises (then
 * only the finished epochs'); when the callback asks to stop, the epoch in progress is the last. */
static PyObject *Plan_train_epochs(PlanObject *self, PyObject *args)
{
    PyObject *X, *Y, *SW, *cb, *out;
    long batch, nsteps, epoch0, nepochs, iteration;
    int shuffle;
    unsigned long long seed;
    double interval;
    cnn_schedule sched;
    self->iteration = -1;
    if (!PyArg_ParseTuple(args, "OOOllpKlllO&OdO!", &X, &Y, &SW, &batch, &nsteps, &shuffle, &seed, &epoch0,
                          &nepochs, &iteration, conv_schedule, &sched, &cb, &interval, &PyList_Type, &out))
        return NULL;
    self->iteration = iteration;
    long n;
    if (!check_plan(self) || !check_data(self, X, Y, SW, &n)) return NULL;
    if (batch <= 0 || batch > cnn_plan_batch_max(self->plan) || nsteps < 1 || n <= 0
        || nsteps - 1 > (n - 1) / batch || epoch0 < 0 || nepochs < 0 || iteration < 0
        || (nepochs > 0 && nsteps > (LONG_MAX - 1 - iteration) / nepochs)) {   /* t = iteration + 1 fits */
        PyErr_Format(PyExc_ValueError, "%ld epochs of %ld steps of batch %ld do not fit %ld samples", nepochs,
                     nsteps, batch, n);
        return NULL;
    }
    long per = 2 + self->nstate;
    int64_t *perm = PyMem_Malloc((size_t)n * sizeof(int64_t));
    double *all = nepochs ? PyMem_Calloc((size_t)nepochs * (size_t)per, sizeof(double)) : NULL;
    if (!perm || (nepochs && !all)) {
        PyMem_Free(perm);
        PyMem_Free(all);
        return PyErr_NoMemory();
    }
    /* total -1: the callback is only called on the clock (stop_training from another thread) */
    progress_ctx ctx = {cb == Py_None ? NULL : cb, interval, now_seconds(), -1, self->nstate, NULL};
    cnn_interrupt it;
    int status = CNN_OK;
    long done = 0, last_steps = 0;
    ctx.tstate = PyEval_SaveThread();
    cnn_interrupt_install(&it, interrupt_poll, &ctx, POLL_INTERVAL);
    for (; done < nepochs && status == CNN_OK; done++) {
        if (shuffle)
            cnn_rng_permutation(perm, n, cnn_rng_key(seed, CNN_RNG_SHUFFLE, (uint64_t)(epoch0 + done), 0));
        else
            for (long i = 0; i < n; i++) perm[i] = i;
        double *s = all + done * per;
        cnn_sums sums = {0, 0, s + 2};
        long before = iteration;
        status = cnn_train_steps(self->plan, xdata(X), fdata((PyArrayObject *)Y),
                                 SW == Py_None ? NULL : fdata((PyArrayObject *)SW), n, perm, batch, 0, nsteps,
                                 &iteration, &sched, 0, &sums, progress_hook, &ctx);
        s[0] = sums.loss_sum;
        s[1] = sums.count;
        last_steps = iteration - before;
    }
    cnn_interrupt_uninstall(&it);
    PyEval_RestoreThread(ctx.tstate);
    self->iteration = iteration;
    PyMem_Free(perm);
    int stopped = status == CNN_ERR_INTERRUPT && !PyErr_Occurred(); /* asked to stop: keep that epoch */
    if (status != CNN_OK && !stopped) {
        status_error(status);
        append_epochs(out, all, done - 1, self->nstate);
        PyMem_Free(all);
        return NULL;
    }
    int ok = append_epochs(out, all, done, self->nstate);
    PyMem_Free(all);
    return ok ? Py_BuildValue("ll", iteration, last_steps) : NULL;
}

/* convert.h - part of the binding (included by module.c only): "O&" converters for the arguments of
 * every entry point. An input converter gives a new reference to a float32 C-contiguous view or copy
 * (never the caller's array modified) and releases it when a later argument fails
 * (Py_CLEANUP_SUPPORTED); an output converter checks the caller's array (dtype, contiguity,
 * writability, rank) and borrows it. Each entry point then needs one cleanup label only. */

/* A float32 C-contiguous view or copy of any array-like, of rank ndim (-1: any). */
static int conv_in(PyObject *obj, void *out, int ndim)
{
    PyArrayObject **slot = out;
    if (!obj) {   /* cleanup call: a later argument failed */
        Py_CLEAR(*slot);
        return 1;
    }
    PyArrayObject *a = (PyArrayObject *)PyArray_FROMANY(
        obj, NPY_FLOAT32, 0, 0, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED | NPY_ARRAY_FORCECAST);
    if (!a) return 0;
    if (ndim >= 0 && PyArray_NDIM(a) != ndim) {
        PyErr_Format(PyExc_ValueError, "expected a %d-dimensional array, got %d dimensions", ndim,
                     PyArray_NDIM(a));
        Py_DECREF(a);
        return 0;
    }
    *slot = a;
    return Py_CLEANUP_SUPPORTED;
}
static int in_any(PyObject *o, void *out) { return conv_in(o, out, -1); }
static int in_1d(PyObject *o, void *out) { return conv_in(o, out, 1); }
static int in_2d(PyObject *o, void *out) { return conv_in(o, out, 2); }
/* None -> NULL, else as in_1d / in_2d */
static int in_1d_or_none(PyObject *o, void *out)
{
    if (o == Py_None) {
        *(PyArrayObject **)out = NULL;
        return 1;
    }
    return in_1d(o, out);
}
static int in_2d_or_none(PyObject *o, void *out)
{
    if (o == Py_None) {
        *(PyArrayObject **)out = NULL;
        return 1;
    }
    return in_2d(o, out);
}

/* An output the caller owns: an array of the given type, C-contiguous, aligned, writable, rank ndim. */
static int check_out(PyObject *obj, const char *name, int ndim, int typenum)
{
    if (!PyArray_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be a NumPy array, got %R", name, Py_TYPE(obj));
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
static int conv_out(PyObject *obj, void *out, int ndim)
{
    if (!check_out(obj, "the output", ndim, NPY_FLOAT32)) return 0;
    *(PyArrayObject **)out = (PyArrayObject *)obj;
    return 1;
}
static int out_1d(PyObject *o, void *out) { return conv_out(o, out, 1); }
static int out_2d(PyObject *o, void *out) { return conv_out(o, out, 2); }
static int out_1d_or_none(PyObject *o, void *out)
{
    if (o == Py_None) {
        *(PyArrayObject **)out = NULL;
        return 1;
    }
    return out_1d(o, out);
}

/* A count or length: an integer >= 0 that fits a long. */
static int size_arg(PyObject *o, void *out)
{
    long v = PyLong_AsLong(o);
    if (v == -1 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "a size must fit in a C long, got %R", o);
        }
        return 0;
    }
    if (v < 0) {
        PyErr_Format(PyExc_ValueError, "a size must be >= 0, got %ld", v);
        return 0;
    }
    *(long *)out = v;
    return 1;
}

static float *fdata(PyArrayObject *a) { return a ? (float *)PyArray_DATA(a) : NULL; }
static long dim(PyArrayObject *a, int i) { return (long)PyArray_DIM(a, i); }

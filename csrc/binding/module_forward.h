/* module_forward.h - part of the binding (included by module.c only): Plan.forward, the layers'
 * forward pass alone over one batch, in training or inference mode, for `layer(x)` and `model(x)`.
 * It reads the plan's insides (plan_internal.h) instead of adding a step to the core: the kinds'
 * forward hooks are the same ones the training step runs, so the outputs are the step's outputs. */
#include "plan_internal.h"

/* forward(x, training, iteration) -> out[n, out_size]: x[n, in_size] as one batch (n <= batch_max).
 * training selects dropout, noise and batch statistics (batch normalization then also updates its
 * moving statistics in params, as Keras does); iteration keys the random streams. */
static PyObject *Plan_forward(PlanObject *self, PyObject *args)
{
    PyObject *X;
    int training;
    long iteration;
    if (!PyArg_ParseTuple(args, "Opl", &X, &training, &iteration)) return NULL;
    long n;
    if (!check_plan(self) || !check_data(self, X, NULL, NULL, &n)) return NULL;
    if (n <= 0 || n > cnn_plan_batch_max(self->plan)) {
        PyErr_Format(PyExc_ValueError, "x has %ld samples; this plan takes 1..%ld", n,
                     cnn_plan_batch_max(self->plan));
        return NULL;
    }
    if (iteration < 0) {
        PyErr_Format(PyExc_ValueError, "iteration must be >= 0, got %ld", iteration);
        return NULL;
    }
    npy_intp dims[2] = {n, self->out_size};
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(2, dims, NPY_FLOAT32);
    if (!out) return NULL;
    cnn_plan *p = self->plan;
    const float *x = fdata((PyArrayObject *)X);
    Py_BEGIN_ALLOW_THREADS if (p->graph)
    {   /* every output's rows, concatenated */
        cnn_graph_load_inputs(p, x, n);
        cnn_graph_forward(p, n, training, iteration);
        cnn_graph_outputs(p, fdata(out), n);
    }
    else
    {
        for (int l = 0; l < p->nlayers; l++) {
            cnn_layer_ctx c = {&p->layers[l], &p->bufs[l], p->params, p->grads, n, l};
            x = p->out[l] = p->ops[l]->forward(&c, x, training, iteration);
        }
        memcpy(fdata(out), x, (size_t)n * (size_t)self->out_size * sizeof(float));
    }
    Py_END_ALLOW_THREADS return (PyObject *)out;
}

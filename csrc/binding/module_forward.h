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
    cnn_xdata xd = xdata(X);
    const float *x = xd.type == CNN_X_F32 ? xd.data : p->xbatch;
    /* Ctrl-C and the Python layers' host, as in train (a Python layer's error stops the pass) */
    progress_ctx ctx = {NULL, 0.0, now_seconds(), 1, 0, NULL};
    host_ctx hctx = {self->host, self->memory, &ctx.tstate};
    cnn_interrupt it;
    cnn_host host;
    int stopped = 0;
    ctx.tstate = PyEval_SaveThread();
    cnn_interrupt_install(&it, interrupt_poll, &ctx, POLL_INTERVAL);
    cnn_host_install(&host, host_call, &hctx);
    if (p->graph) {   /* every output's rows, concatenated */
        cnn_graph_load_inputs(p, xd, 0, n);
        stopped = cnn_graph_forward(p, n, training, iteration) || cnn_host_stopped();
        if (!stopped) cnn_graph_outputs(p, fdata(out), n);
    } else {
        if (xd.type == CNN_X_U8) cnn_x_load(p->xbatch, xd, 0, n * self->in_size);   /* n <= batch_max */
        for (int l = 0; l < p->nlayers && !stopped; l++) {
            cnn_layer_ctx c = {&p->layers[l], &p->bufs[l], p->params, p->grads, n, l};
            x = p->out[l] = p->ops[l]->forward(&c, x, cnn_layer_training(c.L, training), iteration);
            stopped = cnn_host_stopped();
        }
        if (!stopped) memcpy(fdata(out), x, (size_t)n * (size_t)self->out_size * sizeof(float));
    }
    cnn_host_uninstall(&host);
    cnn_interrupt_uninstall(&it);
    PyEval_RestoreThread(ctx.tstate);
    if (stopped) {
        Py_DECREF(out);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_KeyboardInterrupt, "");
        return NULL;
    }
    return (PyObject *)out;
}

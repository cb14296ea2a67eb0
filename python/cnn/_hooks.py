"""The host the C training step calls for the parts of a model written in Python (csrc/train/host.c):
layers (`cnn.layers.Layer` subclasses with `call`), losses, metrics and optimizers.

The plan gets one `Host` (`_core.Plan(..., host=...)`); the core calls it as
`host(op, index, training, iteration, lr, arrays)` with the GIL taken back, where `arrays` are
zero-copy NumPy views of the step's buffers, valid during the call only (cnn.h, `cnn_host_op`). An
exception raised here stops the step before anything of it is applied and propagates out of `fit`
(or `evaluate`, `predict`) unchanged.

Everything else in a model still runs in C; Python runs only around the custom parts.
"""
import numpy as np

from cnn import _layer_weights

LAYER_FORWARD, LAYER_BACKWARD, LOSS, LOSS_GRAD, METRIC, OPT_STEP, LAYER_PENALTY, LAYER_GRADS, LAYER_CONSTRAIN = range(9)


def is_python_layer(layer):
    """A layer the step runs through the host: a subclass written in Python (its own call), or a
    built-in one with a custom activation function."""
    return layer._runs_in_python()


def is_python_optimizer(opt):
    from cnn.optimizers import Optimizer
    return getattr(opt, "_kind", None) is None and type(opt).update_step is not Optimizer.update_step


class Host:
    """Dispatches the core's calls. Holds the layers, loss, metrics and optimizer it runs (not the
    model, so a plan never keeps its model alive)."""

    __slots__ = ("layers", "loss", "metrics", "optimizer", "target_tail")

    def __init__(self, layers=None, loss=None, metrics=(), optimizer=None, target_tail=None):
        self.layers = dict(layers or {})        # position in the model -> Layer
        self.loss = loss                        # a _LossRunner or None
        self.metrics = list(metrics)            # handle -> metric object
        self.optimizer = optimizer              # an _OptimizerRunner or None
        self.target_tail = target_tail          # the user's per-sample y shape (see user_targets)

    def __bool__(self):
        return bool(self.layers or self.loss or self.metrics or self.optimizer)

    def key(self):
        """Identifies what it runs, for the plan cache (a plan is reused only with the same objects)."""
        return (tuple((i, id(layer)) for i, layer in sorted(self.layers.items())),
                id(self.loss.loss) if self.loss else None, tuple(id(m) for m in self.metrics),
                id(self.optimizer.optimizer) if self.optimizer else None, self.target_tail)

    def __call__(self, op, index, training, iteration, lr, arrays):
        if op == LAYER_FORWARD:
            layer_forward(self.layers[index], arrays[0], arrays[1], bool(training))
        elif op == LAYER_BACKWARD:
            layer_backward(self.layers[index], *arrays)
        elif op == LOSS:
            self.loss.values(arrays[0], arrays[1], arrays[2])
        elif op == LOSS_GRAD:
            self.loss.gradient(arrays[0], arrays[1], arrays[2])
        elif op == METRIC:
            metric_update(self.metrics[index], *arrays, tail=self.target_tail)
        elif op == OPT_STEP:
            self.optimizer.step(arrays[0][0], arrays[1][0], iteration, lr)
        elif op == LAYER_PENALTY:
            _layer_weights.penalty(self.layers[index], arrays[0], arrays[1][0])
        elif op == LAYER_GRADS:
            _layer_weights.gradients(self.layers[index], arrays[0][0], arrays[1][0], lr)
        elif op == LAYER_CONSTRAIN:
            _layer_weights.constrain(self.layers[index], arrays[0][0])
        else:
            raise RuntimeError(f"unknown host call {op}")


# ---------------------------------------------------------------------------------------- layers

def call_layer(layer, inputs, training):
    """layer.call(inputs, training=...) when its call takes `training` (or **kwargs), as Keras passes
    it; layer.call(inputs) otherwise."""
    takes = type(layer).__dict__.get("_call_takes_training")   # cached per class, not inherited
    if takes is None:
        import inspect
        try:
            params = inspect.signature(type(layer).call).parameters.values()
            takes = any(p.name == "training" or p.kind is p.VAR_KEYWORD for p in params)
        except (TypeError, ValueError):
            takes = True
        type(layer)._call_takes_training = takes
    return layer.call(inputs, training=training) if takes else layer.call(inputs)


def _as_output(value, layer, shape):
    """The array a layer's call or backward returned, checked against the shape the model expects."""
    a = np.asarray(value, dtype=np.float32)
    if a.size != int(np.prod(shape)):
        raise ValueError(f"layer '{layer.name}' returned an array of shape {a.shape}; expected {tuple(shape)}")
    return a.reshape(shape)


def _weight_grad(value, layer, v):
    """A weight's gradient from backward: its shape, or that shape with axes of length 1 added or
    dropped (a bias gradient summed with keepdims); a transposed kernel gradient is refused."""
    a = np.asarray(value, dtype=np.float32)
    if a.shape != tuple(v.shape) and [d for d in a.shape if d != 1] != [d for d in v.shape if d != 1]:
        raise ValueError(f"layer '{layer.name}': the gradient of its weight '{v.name}' has shape {a.shape}; "
                         f"the weight has shape {tuple(v.shape)} (is it transposed?)")
    return a


def layer_forward(layer, out, x, training):
    """out[...] = layer.call(x): a NumPy layer's own call, or a cnn.ops call recorded for backward."""
    nb = out.shape[0]
    xs = x.reshape((nb,) + tuple(layer.input_shape[1:]))
    if not training:
        xs = xs.copy()   # predict's and evaluate's x may be the caller's array, gone after the call
    xs.flags.writeable = False   # the previous layer's output: the step reads it again
    layer._host_record = None
    if training and not layer._has_backward():
        from cnn import ops
        rec = ops.record(lambda inputs: call_layer(layer, inputs, True), [xs], wrt=(0,),
                         variables=layer.trainable_weights)
        layer._host_record = rec
        y = rec.value
    else:
        y = call_layer(layer, xs, training)
    out[...] = _as_output(y, layer, out.shape)


def layer_backward(layer, dx, dy, x, y, grads):
    """dx = dL/dx; the gradients of the layer's trainable weights are ADDED into `grads` (their span)."""
    nb = dy.shape[0]
    g_out = dy.reshape((nb,) + tuple(layer.output_shape[1:]))
    weights = layer.trainable_weights
    if layer._has_backward():
        for v in weights:
            v.grad = None
        gx = layer.backward(g_out.copy())
        wgrads = []
        for v in weights:
            if v.grad is None:
                raise ValueError(f"layer '{layer.name}': backward() did not set the gradient of its weight "
                                 f"'{v.name}' (assign it to `.grad` of that variable, e.g. "
                                 f"self.kernel.grad = x.T @ grad_output)")
            wgrads.append(v.grad)
    else:
        rec = layer._host_record
        if rec is None:
            raise RuntimeError(f"layer '{layer.name}' has no recorded forward pass to differentiate")
        gx, *wgrads = rec.backward(g_out)
        layer._host_record = None
    if dx is not None:
        if gx is None:
            raise ValueError(f"layer '{layer.name}': backward() must return the gradient of its input")
        dx[...] = _as_output(gx, layer, dx.shape)
    flat = grads[0] if grads is not None else None
    for v, g in zip(weights, wgrads):
        start, size = layer._host_spans[id(v)]
        flat[start:start + size] += _weight_grad(g, layer, v).reshape(-1)
    for v in weights:
        v.grad = None


def layer_record(layer, offsets):
    """The C record of a Python layer: the kernel span covers its trainable weights, the first state
    span its other weights (both contiguous in the model's buffer, see models._pack_weights); its
    flags say whether the step calls back for their regularizers and constraints (_layer_weights)."""
    from cnn.layers.base import _c_record

    def span(variables):
        if not variables:
            return -1, 0
        start = min(offsets[id(v)] for v in variables)
        return start, sum(int(np.prod(v.shape)) for v in variables)

    trainable = [v for v in layer._variables if v.trainable]
    frozen = [v for v in layer._variables if not v.trainable]
    w_off, w_len = span(trainable)
    s_off, s_len = span(frozen)
    layer._host_spans = {id(v): (offsets[id(v)] - w_off, int(np.prod(v.shape))) for v in trainable}
    fields = {"w_off": w_off, "w_len": w_len, **_layer_weights.flags(layer)} if w_off >= 0 else {}
    if s_off >= 0:
        fields.update(mm_off=s_off, mm_len=s_len)
    return _c_record(layer, "python", **fields)


# ---------------------------------------------------------------------------------------- targets

def user_targets(y_true, cols, tail):
    """y_true as the user gave it, as Keras passes it to a loss or metric (as float32): one value per
    sample (class ids of shape (n,) or (n, 1)) stays that shape, where the step holds it as one id per
    row (a sparse loss) or repeated over the outputs. Anything else is already (rows, cols)."""
    if tail is None or cols <= 1 or int(np.prod(tail, dtype=np.int64)) != 1 or len(tail) > 2:
        return y_true
    return y_true[:, :1].reshape((y_true.shape[0],) + tuple(tail))


# ---------------------------------------------------------------------------------------- losses

class _LossRunner:
    """A custom loss in the step: per-row values, and their gradient with respect to y_pred, either
    from the loss's own `gradient(y_true, y_pred)` (NumPy) or recorded by cnn.ops."""

    def __init__(self, loss, target_tail=None):
        self.loss = loss
        self.fn, self.numpy_gradient = python_loss_parts(loss)
        self.tail = target_tail

    def _per_row(self, value, rows, cols):
        v = np.asarray(value, dtype=np.float64)
        if v.size == rows * cols and cols > 1:   # element-wise values: Keras averages them all
            return v.reshape(rows, cols).mean(axis=1), 1.0 / cols
        if v.size != rows:
            raise ValueError(f"the loss {self.loss!r} returned values of shape {v.shape} for a batch of "
                             f"{rows} samples: return one value per sample (reduce the last axis)")
        return v.reshape(rows), 1.0

    def values(self, per_row, y_pred, y_true):
        y_pred.flags.writeable = y_true.flags.writeable = False
        rows, cols = y_pred.shape
        y_true = user_targets(y_true, cols, self.tail)
        per_row[:, 0] = self._per_row(self.fn(y_true, y_pred), rows, cols)[0]

    def gradient(self, grad, y_pred, y_true):
        y_pred.flags.writeable = y_true.flags.writeable = False
        rows, cols = y_pred.shape
        y_true = user_targets(y_true, cols, self.tail)
        if self.numpy_gradient is not None:
            value = self.fn(y_true, y_pred)
            g = np.asarray(self.numpy_gradient(y_true, y_pred), dtype=np.float32)
            _, share = self._per_row(value, rows, cols)
        else:
            from cnn import ops
            value, (g,) = ops.value_and_grad(self.fn, [y_true, y_pred], wrt=(1,))
            _, share = self._per_row(value, rows, cols)
        if g.size != rows * cols:
            raise ValueError(f"the gradient of the loss {self.loss!r} has shape {np.shape(g)}; expected "
                             f"{(rows, cols)} (one value per element of y_pred)")
        grad[...] = g.reshape(rows, cols) * np.float32(share) if share != 1.0 else g.reshape(rows, cols)


def python_loss_parts(loss):
    """(fn(y_true, y_pred) -> per-sample values, gradient function or None) of a Python loss."""
    from cnn import losses
    if isinstance(loss, losses.LossFunctionWrapper) and type(loss).call is losses.LossFunctionWrapper.call:
        fn, kwargs = loss.fn, dict(getattr(loss, "_fn_kwargs", {}) or {})
        return (lambda yt, yp: fn(yt, yp, **kwargs)), None
    if isinstance(loss, losses.Loss):
        grad = loss.gradient if type(loss).gradient is not losses.Loss.gradient else None
        return loss.call, grad
    return loss, None


def _recordable_loss(fn, cols):
    """Whether fn runs while recording, tried on y_true of one row per output and then on class ids of
    shape (n,) and (n, 1) (a student's sparse crossentropy); the first attempt's error if all fail."""
    from cnn import ops
    y_pred = np.full((2, cols), 0.75, np.float32)
    first = None
    for y_true in (np.full((2, cols), 0.5, np.float32), np.zeros(2, np.float32), np.zeros((2, 1), np.float32)):
        try:
            return ops.is_recordable(fn, [y_true, y_pred])
        except Exception as e:   # noqa: BLE001  the next layout of y_true may be the one fn expects
            first = first or e
    raise first


def check_loss(loss, cols):
    """Refuses, with a message naming the two supported forms, a Python loss whose gradient cnn cannot
    get: a plain NumPy function (no `gradient`, not written with cnn.ops)."""
    fn, grad = python_loss_parts(loss)
    if grad is not None:
        return
    if not _recordable_loss(fn, cols):
        name = getattr(getattr(loss, "fn", loss), "__name__", repr(loss))
        raise ValueError(
            f"cnn cannot differentiate the loss {name!r}: it is written with NumPy, so its gradient is "
            "unknown. Use one of the two supported forms: (1) write it with cnn.ops "
            "(`from cnn import ops; def my_loss(y_true, y_pred): return ops.mean(ops.square(y_pred - y_true), "
            "axis=-1)`), whose gradient cnn derives; or (2) subclass cnn.losses.Loss with `call(y_true, y_pred)` "
            "and `gradient(y_true, y_pred)` (d per-sample loss / d y_pred) in NumPy. A plain NumPy function "
            "works as a metric.")


# ---------------------------------------------------------------------------------------- metrics

def metric_update(metric, state, y_pred, y_true, weights, tail=None):
    """Adds a batch to a Python metric: a function's mean in the C state, or the metric's own
    update_state (a stateful subclass). y_true is given in the user's shape (user_targets)."""
    w = None if weights is None else weights[:, 0]
    y_pred.flags.writeable = y_true.flags.writeable = False
    y_true = user_targets(y_true, y_pred.shape[1], tail)
    if getattr(metric, "_python_values", None) is not None:
        v = metric._python_values(y_true, y_pred)
        state[0, 0] += float(np.sum(v if w is None else w * v, dtype=np.float64))
        state[0, 1] += float(len(v) if w is None else np.sum(w, dtype=np.float64))
    else:
        metric.update_state(y_true.copy(), y_pred.copy(), None if w is None else w.copy())
        state[0, 1] += len(y_pred)


# ---------------------------------------------------------------------------------------- optimizers

class _OptimizerRunner:
    """Calls a Python optimizer's update_step on each trainable variable in the model's order; the
    gradients are views of the step's flat gradient buffer. An exception undoes the whole update."""

    def __init__(self, optimizer, variables, offsets):
        self.optimizer = optimizer
        self.variables = list(variables)
        self.spans = [(offsets[id(v)], int(np.prod(v.shape))) for v in self.variables]

    def step(self, params, grads, iteration, lr):
        opt = self.optimizer
        opt._ensure_built(self.variables)
        saved = params.copy()
        slots = [s.numpy() for s in opt.__dict__.get("_slot_variables", ())]
        opt.iterations = int(iteration)
        try:
            if opt.weight_decay:   # Keras's _apply_weight_decay, before update_step; the factor as csrc/train/optim.c's
                factor = np.float32(1) - np.float32(opt.weight_decay) * np.float32(lr)
                for off, size in self.spans:
                    params[off:off + size] *= factor
            for v, (off, size) in zip(self.variables, self.spans):
                opt.update_step(grads[off:off + size].reshape(v.shape), v, np.float32(lr))
        except BaseException:
            params[...] = saved
            for s, value in zip(opt.__dict__.get("_slot_variables", ()), slots):
                s.assign(value)
            raise


# ---------------------------------------------------------------------------------------- plans

def layers_host(layers):
    """The host of an inference plan: its Python layers, or None."""
    host = Host({i: layer for i, layer in enumerate(layers) if is_python_layer(layer)})
    return host or None


def has_python_parts(model):
    """Whether the model's training plan calls the host (the core's multi-epoch shortcut cannot)."""
    return (any(is_python_layer(layer) for layer in model._plan_layers()) or model._loss_obj.c_record() is None
            or is_python_optimizer(model.optimizer)
            or any(r.get("kind") == "python" for m in model._metric_objects for r in m.c_records()))


def optimizer_variables(model):
    """The variables a Python optimizer is built for and updates, in the step's order (saving builds it
    with the same list, so a loaded optimizer's slots are the ones the next fit uses); a shared layer's
    once."""
    seen, out = set(), []
    for layer in model._plan_layers():
        for v in layer._variables:
            if v.trainable and model._trainable and id(v) not in seen:
                seen.add(id(v))
                out.append(v)
    return out


def graph_layers_host(g):
    """The host of a graph plan's Python layers (by node), or None. Such a layer keeps what its call
    saw for its backward, so it may run at one node only, on one input."""
    layers = {}
    for i, node in enumerate(g.nodes):
        if not is_python_layer(node.layer):
            continue
        if any(other.layer is node.layer for other in g.nodes[:i]):
            raise ValueError(f"layer '{node.layer.name}' is written in Python and is called more than once in "
                             "the model; cnn runs such a layer at one place only: create one layer per call")
        if len(node.sources) != 1:
            raise ValueError(f"layer '{node.layer.name}' is written in Python and takes {len(node.sources)} "
                             "inputs; cnn runs such layers on one input: merge the inputs first (e.g. "
                             "layers.Concatenate) and split them inside call")
        layers[i] = node.layer
    host = Host(layers)
    return host or None


def _metric_records(host, objs, flags, sparse=False):
    from cnn import losses
    recs = []
    for m, w in zip(objs, flags):
        for r in m.c_records():
            if r.get("kind") == "python":   # with a sparse loss it reads one class id per row
                r = {**r, "handle": len(host.metrics), **({"loss": losses.LossKind.SCCE.value} if sparse else {})}
                host.metrics.append(m)
            recs.append({**r, "weighted": w})
    return recs


def _python_optimizer(host, model, opt_rec):
    if opt_rec["kind"] == "python":
        host.optimizer = _OptimizerRunner(model.optimizer, optimizer_variables(model), model._offsets)
    for layer in host.layers.values():
        _layer_weights.check(layer)


def graph_training_host(model, g, opt_rec):
    """training_host for a graph plan: (host or None, each output's loss record, each output's metric
    records). The core calls a Python loss without saying which output it serves, so one output at
    most may have one."""
    from cnn import losses
    host = graph_layers_host(g) or Host()
    specs = model._output_specs
    if len(specs) == 1:   # the user's target shape (class ids for a student's sparse loss); see user_targets
        host.target_tail = getattr(specs[0], "target_tail", None)
    loss_recs, metric_recs = [], []
    for spec, shape in zip(specs, model._output_shapes()):
        values = model._spec_kind(spec, shape)[0] == "values"
        rec = spec.loss_obj.c_record()
        if rec is None:
            if host.loss is not None:
                raise ValueError("cnn runs a loss written in Python on one output of a model only; "
                                 f"output '{spec.name}' has a second one: use a built-in loss there")
            check_loss(spec.loss_obj, shape[-1])
            host.loss = _LossRunner(spec.loss_obj, host.target_tail)
            rec = {"kind": losses.PYTHON_KIND, **({"sparse": 1} if values else {})}
        loss_recs.append(rec)
        metric_recs.append(_metric_records(host, spec.metric_objs, spec.metric_flags, values))
    _python_optimizer(host, model, opt_rec)
    return (host or None), loss_recs, metric_recs


def training_host(model, opt_rec):
    """(host or None, loss record, metric records) of a training plan: the Python parts get the
    "python" kinds, each metric its handle."""
    from cnn import losses
    layers = model._plan_layers()   # in the plan's order: a Python layer's number is its position there
    tail = getattr(model, "_target_tail", None)
    host = Host({i: layer for i, layer in enumerate(layers) if is_python_layer(layer)}, target_tail=tail)
    loss = model._loss_obj
    loss_rec = loss.c_record()
    if loss_rec is None:
        check_loss(loss, model.output_shape[-1])
        host.loss = _LossRunner(loss, tail)
        loss_rec = {"kind": losses.PYTHON_KIND, **({"sparse": 1} if model._is_sparse() else {})}
    recs = _metric_records(host, model._metric_objects, model._metric_weighted, bool(model._is_sparse()))
    _python_optimizer(host, model, opt_rec)
    return (host or None), loss_rec, recs

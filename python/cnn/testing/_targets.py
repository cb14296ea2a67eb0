"""What check_gradients differentiates: a scalar objective f(x) with its analytic gradient, built from
a built-in activation or loss (the C kernels), a student's NumPy function, a layer or a model."""
import copy

import numpy as np

from cnn import _core, activations, losses
from cnn.testing import _messages as M

F32 = float(np.finfo(np.float32).eps)
F64 = float(np.finfo(np.float64).eps)
# SGD steps by this power of two, so (w0 - w1) / _MODEL_LR is the gradient to float32 rounding of the
# gradient itself, not of the weights (w1 = w0 - 1024 g is dominated by the step)
_MODEL_LR = 1024.0
_JITTER = 1e-2
_TRAINING_ONLY = ("Dropout", "SpatialDropout", "GaussianNoise", "GaussianDropout", "AlphaDropout",
                  "BatchNormalization")


class Objective:
    """f(x) -> (value, magnitude of its terms: the scale of its rounding), gradient(x), and the
    precision of the inputs and of the evaluation."""

    def __init__(self, name, value, gradient, eps, cast=None):
        self.name, self._value, self.gradient, self.eps = name, value, gradient, eps
        self.cast = cast or (lambda a: np.asarray(a, np.float64))

    def __call__(self, x):
        return self._value(self.cast(x))


def _f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def _away_from_kinks(x, points, gap=0.05):
    """Moves inputs closer than `gap` to a kink (0, thresholds, clip values) by `gap`, away from it."""
    for p in points:
        near = np.abs(x - p) < gap
        x = np.where(near, np.where(x >= p, p + gap, p - gap), x)
    return x


def _activation(record, x, rng):
    name = record["kind"]
    if x is None:
        x = rng.normal(0.0, 2.0, size=(4, 25))
        kinks = {0.0, 3.0, -3.0, record["threshold"]}
        if np.isfinite(record["max_value"]):
            kinks.add(record["max_value"])
        x = _away_from_kinks(x, kinks)
    x = _f32(np.atleast_2d(x))
    x2 = lambda a: _f32(a).reshape(-1, x.shape[-1])   # noqa: E731  the core takes rows (softmax: the last axis)
    dy = rng.normal(size=x.shape)

    def value(a):
        out = _core.act_forward(record, x2(a)).reshape(x.shape).astype(np.float64)
        return float(np.sum(dy * out)), float(np.sum(np.abs(dy * out)))

    def gradient(a):
        y = _core.act_forward(record, x2(a))
        return _core.act_backward(record, x2(dy), x2(a), y).reshape(x.shape)

    return Objective(f"activation {name!r}", value, gradient, F32, _f32), x


def _default_targets(kind, rng, rows=6, cols=5):
    """y_pred and y_true a loss of this kind is defined on."""
    p = rng.uniform(0.1, 0.9, size=(rows, cols))
    if kind in ("cce", "kld"):
        p /= p.sum(axis=1, keepdims=True)
        y = np.eye(cols)[rng.integers(0, cols, rows)] if kind == "cce" else rng.dirichlet(np.ones(cols), rows)
    elif kind == "scce":
        p /= p.sum(axis=1, keepdims=True)
        y = rng.integers(0, cols, rows).astype(np.float64)
    elif kind in ("bce", "hinge", "squared_hinge", "categorical_hinge"):
        y = rng.integers(0, 2, size=(rows, cols)).astype(np.float64)
        if kind == "categorical_hinge":
            y = np.eye(cols)[rng.integers(0, cols, rows)]
    else:
        y = rng.uniform(0.1, 0.9, size=(rows, cols))
    return p, y


def _loss(record, x, y, rng):
    kind = record["kind"]
    if x is None:
        x, y0 = _default_targets(kind, rng)
        y = y0 if y is None else y
    if y is None:
        raise ValueError(f"check_gradients of a loss needs the targets y, got y=None with x of shape {np.shape(x)}")
    x = _f32(np.atleast_2d(x))
    y = _f32(y).reshape(-1) if kind == "scce" else _f32(np.asarray(y).reshape(x.shape))

    def value(a):
        per = _core.loss_forward(record, _f32(a), y)
        return float(np.sum(per)), float(np.sum(np.abs(per)))

    def gradient(a):
        return _core.loss_backward(record, _f32(a), y, None, 1.0, "linear")

    return Objective(f"loss {kind!r}", value, gradient, F32, _f32), x


def _function(f, grad, x, y, rng):
    """A student's NumPy function: element-wise (activation), per row (loss) or scalar."""
    if grad is None:
        raise TypeError(f"check_gradients of your own function {getattr(f, '__name__', f)!r} needs its "
                        "derivative: pass grad=your_derivative")
    name = getattr(f, "__name__", "function")
    if x is None:
        x = _away_from_kinks(rng.normal(0.0, 2.0, size=(4, 25)), [0.0])
    x = np.asarray(x, dtype=np.float64)
    call = (lambda fn, a: fn(y, a)) if y is not None else (lambda fn, a: fn(a))
    out0 = _run(call, f, x, name)
    if out0.shape not in (x.shape, x.shape[:-1], ()):
        raise ValueError(f"{name} returned shape {out0.shape} for an input of shape {x.shape}: check_gradients "
                         "takes element-wise functions, one value per row, or a scalar")
    eps = F32 if out0.dtype == np.float32 else F64
    dy = rng.normal(size=out0.shape)

    def value(a):
        out = _run(call, f, a, name).astype(np.float64)
        return float(np.sum(dy * out)), float(np.sum(np.abs(dy * out)))

    def gradient(a):
        g = _run(call, grad, a, getattr(grad, "__name__", "grad")).astype(np.float64)
        if g.shape != a.shape:
            return g   # check_gradients reports the shape
        return g * (dy if out0.shape == a.shape else dy[..., None] if out0.ndim else dy)

    return Objective(name, value, gradient, eps), x


def _run(call, fn, a, name):
    try:
        return np.asarray(call(fn, a))
    except Exception as e:   # the student's code: say where it broke, in their words
        raise M.GradingError(M.say("crashed", None, what=name, error=f"{type(e).__name__}: {e}")) from e


def _check_model(model):
    for layer in model.layers:
        kind = type(layer).__name__
        if any(kind.startswith(t) for t in _TRAINING_ONLY):
            raise ValueError(f"check_gradients compares training steps with evaluation: layer {layer.name!r} "
                             f"({kind}) behaves differently in each; check a model without it")
        for attr in ("kernel_constraint", "bias_constraint", "gamma_constraint", "beta_constraint"):
            if getattr(layer, attr, None) is not None:
                raise ValueError(f"check_gradients reads the gradient from an SGD step, which {attr} of layer "
                                 f"{layer.name!r} changes; check a model without constraints")


def model_gradient(model, x, y):
    """The gradient of a compiled model's loss on (x, y) w.r.t. its trainable weights, flat float64.
    (check_gradients checks it at the model's weights moved by a random offset of 0.01, off the kinks.)

    Read from one plain SGD step with learning rate 1024 on a deep copy, as (w0 - w1) / 1024 (the
    model itself and its optimizer are untouched). The loss is the training loss: regularization
    included, x as one batch."""
    from cnn import optimizers
    m = copy.deepcopy(model)
    m.compile(optimizer=optimizers.SGD(learning_rate=_MODEL_LR), loss=model._compile_args["loss"])
    before = np.concatenate([w.numpy().reshape(-1) for w in m.trainable_weights]).astype(np.float64)
    m.train_on_batch(x, y)
    after = np.concatenate([w.numpy().reshape(-1) for w in m.trainable_weights]).astype(np.float64)
    return (before - after) / _MODEL_LR


def _model(model, x, y, rng):
    if not getattr(model, "compiled", False):
        raise ValueError("check_gradients of a model needs a compiled model (call model.compile first)")
    if x is None or y is None:
        raise ValueError("check_gradients of a model needs its data: x and y")
    _check_model(model)
    m = copy.deepcopy(model)
    xa = m._features(x)
    ya = m._targets(xa, y)
    shapes = [tuple(w.shape) for w in m.trainable_weights]
    sizes = [int(np.prod(s)) for s in shapes]
    w0 = np.concatenate([w.numpy().reshape(-1) for w in m.trainable_weights])
    # a small random offset: zero biases at initialisation put some relu inputs exactly on the kink
    w0 = _f32(w0 + rng.normal(0.0, _JITTER, size=w0.shape))
    others = [w.numpy() for w in m.weights]
    trainable_ids = {id(w) for w in m.trainable_weights}

    def assign(flat):
        parts = np.split(np.asarray(flat, np.float32), np.cumsum(sizes)[:-1])
        it = iter(p.reshape(s) for p, s in zip(parts, shapes))
        m.set_weights([next(it) if id(w) in trainable_ids else o for w, o in zip(m.weights, others)])

    def value(flat):
        assign(flat)
        sums = m._get_plan(len(xa)).evaluate(xa, ya, None, len(xa), None, 0)
        loss = sums[0] / sums[1] + _regularization(m)
        return float(loss), abs(float(loss))

    def gradient(flat):
        assign(flat)
        return model_gradient(m, xa, y)

    return Objective(f"model {model.name!r}", value, gradient, F32, _f32), w0


def _regularization(model):
    """The weight penalties the training loss adds (the evaluation loss leaves them out)."""
    total = 0.0
    for layer in model.layers:
        for attr, weight in (("kernel_regularizer", "kernel"), ("bias_regularizer", "bias")):
            reg = getattr(layer, attr, None)
            if reg is not None and getattr(layer, weight, None) is not None:
                total += float(reg(getattr(layer, weight).numpy()))
    return total


def _layer(layer, x, y, rng):
    import cnn
    if x is None:
        raise ValueError(f"check_gradients of layer {getattr(layer, 'name', layer)!r} needs inputs x")
    x = _f32(x)
    model = cnn.Sequential([cnn.Input(shape=x.shape[1:]), copy.deepcopy(layer)])
    model.compile(optimizer="sgd", loss="mse")
    if y is None:
        y = rng.normal(size=(len(x),) + tuple(model.output_shape[1:]))
    objective, w0 = _model(model, x, y, rng)
    objective.name = f"layer {layer.name!r}"
    return objective, w0


def objective(target, x, y, grad, rng):
    """(Objective, the point x to check it at) for any target check_gradients takes."""
    import cnn
    if isinstance(target, cnn.Sequential):
        return _model(target, x, y, rng)
    from cnn.layers import Layer
    if isinstance(target, Layer):
        return _layer(target, x, y, rng)
    if grad is None and (isinstance(target, str) and target in activations._registry.names()
                         or target in activations._KIND or isinstance(target, activations._Configured)):
        return _activation(activations.c_record(target), x, rng)
    if grad is None and (isinstance(target, str) or callable(getattr(target, "c_record", None))):
        record = losses.resolve(target, np.shape(y) if y is not None else None,
                                np.shape(x) if x is not None else None).c_record()
        if record is not None:
            return _loss(record, x, y, rng)
    if callable(target):
        return _function(target, grad, x, y, rng)
    raise TypeError(f"check_gradients cannot differentiate {target!r} of type {type(target).__name__}: give an "
                    "activation or loss name, a cnn layer or model, or a function with grad=")

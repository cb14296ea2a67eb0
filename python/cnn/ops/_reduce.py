"""Reductions (sum, mean, max, min, var, std, logsumexp) and the axis-wise softmax family.

The keras.ops names shadow the builtins sum/max/min here: the builtins are reached as `builtins.max`."""
import builtins

import numpy as np

from cnn.ops._math import _float
from cnn.ops._tape import lift, node, value_of


def _axes(axis, ndim, op):
    """axis (None, an int or a sequence) as a tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    items = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in items:
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"ops.{op}: axis {axis!r} is out of range for a tensor of {ndim} dimension(s)")
        out.append(int(a) % builtins.max(ndim, 1))
    return tuple(out)


def _spread(g, shape, axes, keepdims):
    """The gradient of a reduction's result, put back on every element it reduced."""
    if not keepdims:
        g = np.reshape(g, [1 if i in axes else n for i, n in enumerate(shape)])
    return np.broadcast_to(g, shape)


def _reduce(x, axis, keepdims, op):
    x = lift(x)
    v = np.asarray(value_of(x))
    return x, v, _axes(axis, v.ndim, op)


def sum(x, axis=None, keepdims=False):   # noqa: A001  the keras.ops name
    x, v, axes = _reduce(x, axis, keepdims, "sum")
    return node(np.sum(v, axis=axes, keepdims=keepdims), (x,), (lambda g: _spread(g, v.shape, axes, keepdims),))


def mean(x, axis=None, keepdims=False):
    x, v, axes = _reduce(_float(x), axis, keepdims, "mean")
    n = int(np.prod([v.shape[a] for a in axes]))
    return node(np.mean(v, axis=axes, keepdims=keepdims), (x,), (lambda g: _spread(g, v.shape, axes, keepdims) / n,))


def _extreme(fn, x, axis, keepdims, op):
    x, v, axes = _reduce(x, axis, keepdims, op)
    if v.size == 0:
        raise ValueError(f"ops.{op} of an empty tensor (shape {v.shape}) has no value")
    kept = fn(v, axis=axes, keepdims=True)

    def grad(g):   # shared equally by the elements that reach the extreme (as TF and torch)
        hit = v == kept
        return _spread(g, v.shape, axes, keepdims) * hit / np.sum(hit, axis=axes, keepdims=True).astype(v.dtype)
    return node(kept if keepdims else np.reshape(kept, [n for i, n in enumerate(v.shape) if i not in axes]),
                (x,), (grad,))


def max(x, axis=None, keepdims=False):   # noqa: A001  the keras.ops name
    return _extreme(np.max, x, axis, keepdims, "max")


def min(x, axis=None, keepdims=False):   # noqa: A001  the keras.ops name
    return _extreme(np.min, x, axis, keepdims, "min")


def var(x, axis=None, keepdims=False):
    from cnn.ops._math import square, subtract
    return mean(square(subtract(x, mean(x, axis, keepdims=True))), axis, keepdims)


def std(x, axis=None, keepdims=False):
    from cnn.ops._math import sqrt
    return sqrt(var(x, axis, keepdims))


def logsumexp(x, axis=None, keepdims=False):
    x, v, axes = _reduce(_float(x), axis, keepdims, "logsumexp")
    m = np.max(v, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)    # all -inf rows give -inf, not NaN
    kept = m + np.log(np.sum(np.exp(v - m), axis=axes, keepdims=True))
    return node(kept if keepdims else np.squeeze(kept, axis=axes), (x,),
                (lambda g: _spread(g, v.shape, axes, keepdims) * np.exp(v - kept),))


def softmax(x, axis=-1):
    x, v, axes = _reduce(_float(x), axis, True, "softmax")
    e = np.exp(v - np.max(v, axis=axes, keepdims=True))
    out = e / np.sum(e, axis=axes, keepdims=True)
    return node(out, (x,), (lambda g: out * (g - np.sum(g * out, axis=axes, keepdims=True)),))


def log_softmax(x, axis=-1):
    x, v, axes = _reduce(_float(x), axis, True, "log_softmax")
    shifted = v - np.max(v, axis=axes, keepdims=True)
    out = shifted - np.log(np.sum(np.exp(shifted), axis=axes, keepdims=True))
    return node(out, (x,), (lambda g: g - np.exp(out) * np.sum(g, axis=axes, keepdims=True),))


def argmax(x, axis=None, keepdims=False):
    return np.argmax(value_of(lift(x)), axis=axis, keepdims=keepdims)


def argmin(x, axis=None, keepdims=False):
    return np.argmin(value_of(lift(x)), axis=axis, keepdims=keepdims)

"""Tensor's Python operators (+ - * / ** @, comparisons, t[...]) and its answers to NumPy: the
operator ufuncs NumPy sends back (`array * t`) are recorded, every other NumPy function is refused
with the cnn.ops function to use instead."""
import numpy as np

from cnn.ops import _math, _reduce, _shape
from cnn.ops._tape import RecordingError, Tensor


def _swap(fn):
    return lambda self, other: fn(other, self)


_BINARY = {"add": _math.add, "sub": _math.subtract, "mul": _math.multiply, "truediv": _math.divide,
           "pow": _math.power, "matmul": _shape.matmul}
for _name, _fn in _BINARY.items():
    setattr(Tensor, f"__{_name}__", lambda self, other, fn=_fn: fn(self, other))
    setattr(Tensor, f"__r{_name}__", _swap(_fn))
for _name, _fn in {"lt": _math.less, "le": _math.less_equal, "gt": _math.greater, "ge": _math.greater_equal,
                   "eq": _math.equal, "ne": _math.not_equal}.items():
    setattr(Tensor, f"__{_name}__", lambda self, other, fn=_fn: fn(self, other))
Tensor.__neg__ = _math.negative
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = _math.abs
Tensor.__getitem__ = _shape.get_item
Tensor.T = property(_shape.transpose)
Tensor.astype = _math.cast   # cnn.losses' functions end with .astype(np.float32)
Tensor.reshape = lambda self, *shape: _shape.reshape(self, shape[0] if len(shape) == 1 else shape)

# ufuncs NumPy calls when an array is on the left of an operator: `array + t` comes back here
_UFUNCS = {np.add: _math.add, np.subtract: _math.subtract, np.multiply: _math.multiply,
           np.true_divide: _math.divide, np.power: _math.power, np.matmul: _shape.matmul,
           np.negative: _math.negative, np.less: _math.less, np.less_equal: _math.less_equal,
           np.greater: _math.greater, np.greater_equal: _math.greater_equal, np.equal: _math.equal,
           np.not_equal: _math.not_equal}


def _known(name):
    return any(hasattr(module, name) for module in (_math, _reduce, _shape))


def _instead(name):
    if _known(name):
        return f"use cnn.ops.{name} instead"
    return f"cnn.ops has no {name}; build it from the cnn.ops functions"


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if method == "__call__" and not kwargs and ufunc in _UFUNCS:
        return _UFUNCS[ufunc](*inputs)
    name = {"absolute": "abs", "true_divide": "divide"}.get(ufunc.__name__, ufunc.__name__)
    raise RecordingError(f"numpy.{ufunc.__name__} called on a tensor that cnn.ops is recording: NumPy "
                         f"cannot pass gradients back; {_instead(name)}")


_HARMLESS = {np.shape, np.ndim, np.size}   # questions about the shape, answered from the value


def _array_function(self, func, types, args, kwargs):
    if func in _HARMLESS:
        return func(*(a.value if isinstance(a, Tensor) else a for a in args), **kwargs)
    name = func.__name__
    raise RecordingError(f"numpy.{name} called on a tensor that cnn.ops is recording: NumPy cannot pass "
                         f"gradients back; {_instead(name)}")


class MissingAttributeError(RecordingError, AttributeError):
    """`t.mean()` and the like: an AttributeError (hasattr works) that is also a RecordingError."""


def _getattr(self, name):   # called only for names a Tensor does not have
    if name.startswith("__"):
        raise AttributeError(name)
    hint = f"; use cnn.ops.{name}(t, ...) instead" if _known(name) else ""
    raise MissingAttributeError(f"a tensor that cnn.ops is recording has no attribute {name!r}{hint}")


Tensor.__getattr__ = _getattr
Tensor.__array_ufunc__ = _array_ufunc
Tensor.__array_function__ = _array_function

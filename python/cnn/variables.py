"""Variable: a named weight, seen from Python as a NumPy view into the model's flat buffer."""
import sys

import numpy as np

from cnn._watched import Watched


class Variable(Watched):
    _unwatched = frozenset({"grad"})   # set by a Python layer's backward on every step

    def __init__(self, value, name, trainable=True):
        self._value = np.asarray(value, dtype=np.float32)
        self.name = name
        self.path = name
        self.trainable = trainable

    @property
    def shape(self):
        return self._value.shape

    @property
    def dtype(self):
        return "float32"

    @property
    def value(self):
        return self._value

    def numpy(self):
        return self._value.copy()

    def assign(self, value):
        value = np.asarray(value, dtype=np.float32)
        if value.shape != self._value.shape:
            raise ValueError(f"cannot assign a value of shape {value.shape} to variable '{self.name}' "
                             f"of shape {self._value.shape}")
        self._value[...] = value
        return self

    def assign_add(self, value):
        return self.assign(self._value + np.asarray(value, dtype=np.float32))

    def assign_sub(self, value):
        return self.assign(self._value - np.asarray(value, dtype=np.float32))

    def _rebind(self, view):
        """Moves the storage into `view` (a slice of a flat buffer), keeping the values."""
        view[...] = self._value.reshape(view.shape)
        self._value = view

    def __array__(self, dtype=None, copy=None):
        return self._value.astype(dtype) if dtype is not None else self._value.copy()

    # arithmetic on the current value, as Keras variables allow (`beta * m + g`, `x @ kernel`)
    __array_priority__ = 100

    def _binary(op, swap=False):
        def method(self, other):
            other = other._value if isinstance(other, Variable) else other
            return op(other, self._value) if swap else op(self._value, other)
        return method

    import operator as _op
    __add__, __radd__ = _binary(_op.add), _binary(_op.add, True)
    __sub__, __rsub__ = _binary(_op.sub), _binary(_op.sub, True)
    __mul__, __rmul__ = _binary(_op.mul), _binary(_op.mul, True)
    __truediv__, __rtruediv__ = _binary(_op.truediv), _binary(_op.truediv, True)
    __pow__, __rpow__ = _binary(_op.pow), _binary(_op.pow, True)
    __matmul__, __rmatmul__ = _binary(_op.matmul), _binary(_op.matmul, True)
    del _binary, _op

    def _recorded(self):
        """The tensor standing for this variable while cnn.ops records a layer's call, else None (the
        binary operators hand over `_value` itself, which the recording recognises)."""
        ops = sys.modules.get("cnn.ops")
        return ops.recorded(self) if ops is not None else None

    def __neg__(self):
        t = self._recorded()
        return -t if t is not None else -self._value

    @property
    def T(self):
        t = self._recorded()
        if t is not None:
            from cnn import ops
            return ops.transpose(t)
        return self._value.T

    def __getitem__(self, key):
        t = self._recorded()
        return t[key] if t is not None else self._value[key]

    def __repr__(self):
        return f"<Variable path={self.path}, shape={self.shape}, dtype=float32, value={self._value!r}>"


def assign_all(variables, weights, owner):
    """Checks a whole list of values (count, shapes, finite numbers) against `variables`, then assigns
    them: nothing changes unless everything fits."""
    weights = list(weights)
    if len(weights) != len(variables):
        raise ValueError(f"You called `set_weights(weights)` on {owner} with a weight list of length "
                         f"{len(weights)}, but it was expecting {len(variables)} weights.")
    arrays = []
    for v, w in zip(variables, weights):
        w = np.asarray(w)
        if w.shape != v.shape:
            raise ValueError(f"Weight '{v.name}' has shape {v.shape}; the value given has shape {w.shape}")
        if w.dtype == object or not np.issubdtype(w.dtype, np.number) and w.dtype != bool \
                or not np.all(np.isfinite(w.astype(np.float64))):
            raise ValueError(f"the value given for '{v.name}' is not a finite numeric array")
        arrays.append(w)
    for v, w in zip(variables, arrays):
        v.assign(w)

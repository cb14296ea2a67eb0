"""Weight constraints (``keras.constraints``): w <- c(w) after every optimizer update.

The C core applies the built-in ones from ``c_record() -> {"kind": name, "max_value", "min_value", "rate"}``
(cnn._core.fields["constraint"])
over w viewed as (rows, cols), norms per column: ``axis=0`` of a Dense kernel (in, out), a bias
(n,), or all axes but the last of a convolution kernel (the Keras ``axis=[0, 1, 2]``). Any other
axis raises ValueError. ``c_record() -> None`` means "run ``__call__`` in Python" (custom classes).
"""
import numpy as np

from cnn._registry import Registry
from cnn._watched import Watched

__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "max_norm", "non_neg",
           "unit_norm", "min_max_norm", "serialize", "deserialize", "get"]

# the C core's constraint names (cnn._core.enums["constraint"])
NONE, MAX_NORM, NON_NEG, UNIT_NORM, MIN_MAX_NORM = "none", "max_norm", "non_neg", "unit_norm", "min_max_norm"


def _record(kind, max_value=0.0, min_value=0.0, rate=0.0):
    return {"kind": kind, "max_value": float(max_value), "min_value": float(min_value), "rate": float(rate)}
_EPSILON = np.float32(1e-7)  # keras.backend.epsilon()


def _rows_cols(shape, axis, who):
    """(rows, cols) such that the norms over `axis` are the column norms of w.reshape(rows, cols)."""
    shape = tuple(int(d) for d in shape)
    nd = len(shape)
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    try:
        axes = sorted({int(a) + nd if int(a) < 0 else int(a) for a in axes})
    except (TypeError, ValueError):
        raise ValueError(f"{who}: `axis` must be an int or a list of ints. Received: axis={axis!r}")
    if nd == 0:
        raise ValueError(f"{who} needs a weight with at least 1 dimension, got a scalar.")
    if nd == 1 and axes == [0]:
        return shape[0], 1
    if axes == list(range(nd - 1)):
        return int(np.prod(shape[:-1])), shape[-1]
    raise ValueError(
        f"{who}(axis={axis!r}) on a weight of shape {shape} is not supported: cnn takes the norms "
        f"over axis 0 of a Dense kernel or a bias, or over axes {list(range(nd - 1))} of a "
        "convolution kernel (one norm per output unit).")


def _apply(record, w, rows, cols):
    """c(w) as a new float32 array, w seen as (rows, cols): the core's kernel when the binding has
    it, else the same float32 formula in NumPy (norms in float64 then rounded, like the core)."""
    kind, max_value, min_value, rate = (record[k] for k in ("kind", "max_value", "min_value", "rate"))
    w = np.array(w, dtype=np.float32, copy=True, order="C")
    m = w.reshape(rows, cols)
    try:
        from . import _core
        fn = _core.constraint_apply
    except (ImportError, AttributeError):
        fn = None
    if fn is not None:
        fn(record, m)
        return w
    if kind == NON_NEG:
        m[m < 0] = 0.0
        return w
    norms = np.sqrt((m.astype(np.float64) ** 2).sum(axis=0)).astype(np.float32)
    den = _EPSILON + norms
    if kind == UNIT_NORM:
        m /= den
        return w
    if kind == MAX_NORM:
        desired = np.clip(norms, np.float32(0.0), np.float32(max_value))
    elif kind == MIN_MAX_NORM:
        r = np.float32(rate)
        desired = r * np.clip(norms, np.float32(min_value), np.float32(max_value)) + (np.float32(1.0) - r) * norms
    else:
        return w
    m *= desired / den
    return w


class Constraint(Watched):
    """Base class: ``__call__(w)`` returns the projected weights (here: unchanged)."""

    _kind = None

    def __call__(self, w):
        return w

    def c_record(self, shape=None):
        """(kind, max_value, min_value, rate) for the C core, or None to run in Python.
        With `shape`, also checks that the core supports this axis for that weight shape."""
        if self._kind is None or type(self).__call__ is not type(self)._builtin_call:
            return None
        if shape is not None and hasattr(self, "axis"):
            _rows_cols(shape, self.axis, type(self).__name__)
        return self._record()

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    """Rescales each unit's incoming weights so that their norm is at most max_value."""

    _kind = MAX_NORM

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def _record(self):
        return _record(MAX_NORM, self.max_value, 0.0, 1.0)

    def __call__(self, w):
        w = np.asarray(w, dtype=np.float32)
        return _apply(self._record(), w, *_rows_cols(w.shape, self.axis, "MaxNorm"))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """max(w, 0)."""

    _kind = NON_NEG

    def _record(self):
        return _record(NON_NEG)

    def __call__(self, w):
        w = np.asarray(w, dtype=np.float32)
        return _apply(self._record(), w, w.size, 1)


class UnitNorm(Constraint):
    """w / (epsilon + norm): each unit's incoming weights get norm 1."""

    _kind = UNIT_NORM

    def __init__(self, axis=0):
        self.axis = axis

    def _record(self):
        return _record(UNIT_NORM, 0.0, 0.0, 1.0)

    def __call__(self, w):
        w = np.asarray(w, dtype=np.float32)
        return _apply(self._record(), w, *_rows_cols(w.shape, self.axis, "UnitNorm"))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each unit's norm into [min_value, max_value], by a fraction `rate` per update."""

    _kind = MIN_MAX_NORM

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def _record(self):
        return _record(MIN_MAX_NORM, self.max_value, self.min_value, self.rate)

    def __call__(self, w):
        w = np.asarray(w, dtype=np.float32)
        return _apply(self._record(), w, *_rows_cols(w.shape, self.axis, "MinMaxNorm"))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


for _cls in (MaxNorm, NonNeg, UnitNorm, MinMaxNorm):
    _cls._builtin_call = _cls.__call__

max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

_registry = Registry("constraint", "keras.constraints")
_registry.register_classes((Constraint, MaxNorm, NonNeg, UnitNorm, MinMaxNorm), snake=True)
_LEGACY = {"maxnorm": MaxNorm, "nonneg": NonNeg, "unitnorm": UnitNorm}  # tf.keras 2 aliases


def serialize(constraint):
    if constraint is None:
        return None
    return _registry.serialize(constraint)


def deserialize(config, custom_objects=None):
    return _registry.deserialize(config, custom_objects)


def get(identifier):
    """A constraint from None, a name ("max_norm", "MaxNorm", ...), a config dict, a class or an
    instance (any callable is returned as it is)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _registry.lookup(identifier)
        if cls is None and identifier in _LEGACY:
            import warnings
            cls = _LEGACY[identifier]
            warnings.warn(f"'{identifier}' is the tf.keras 2 name of '{cls.__name__}'.", stacklevel=2)
        if cls is None:
            raise ValueError(f"Could not interpret constraint identifier: {identifier!r}. "
                             f"Known names: {_registry.names()}")
        return cls()
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")

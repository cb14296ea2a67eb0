"""Weight regularizers (``keras.regularizers``): penalties added to the loss, in full, every batch.

The C core applies L1/L2/L1L2 inside the training step from ``c_record() -> {"l1", "l2"}``; a
regularizer with ``c_record() -> None`` (OrthogonalRegularizer, or any Python subclass that
overrides ``__call__``) is evaluated in Python.
"""
import math
import numbers
import warnings

import numpy as np

from cnn._registry import Registry
from cnn._watched import Watched

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2",
           "orthogonal_regularizer", "serialize", "deserialize", "get"]


def _validate(value, name):
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or math.isinf(value) or math.isnan(value) or value < 0):
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. "
                         f"Received: {name}={value!r}")
    return float(value)


def _as_float32(w):
    return np.ascontiguousarray(np.asarray(w, dtype=np.float32))


def _l1l2_value(w, l1, l2):
    """l1 * sum|w| + l2 * sum w^2 in double: the core's kernel when the binding has it."""
    w = _as_float32(w)
    try:
        from . import _core
        fn = _core.l1l2_value
    except (ImportError, AttributeError):
        fn = None
    if fn is not None:
        return float(fn(w.reshape(-1), float(l1), float(l2)))
    w64 = w.astype(np.float64).ravel()
    r = 0.0
    if l1:
        r += float(np.float32(l1)) * float(np.abs(w64).sum())
    if l2:
        r += float(np.float32(l2)) * float((w64 * w64).sum())
    return r


class Regularizer(Watched):
    """Base class: ``__call__(w)`` returns the penalty of weights ``w`` as a Python float."""

    def __call__(self, x):
        return 0.0

    def c_record(self):
        """{"l1", "l2"} for the C core, or None when this regularizer runs in Python."""
        return None

    def get_config(self):
        raise NotImplementedError(f"{self} does not implement get_config()")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """l1 * sum(abs(w)) + l2 * sum(square(w)); defaults 0 and 0 (Keras 3)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _validate(0.0 if l1 is None else l1, "l1")
        self.l2 = _validate(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        return _l1l2_value(x, self.l1, self.l2)

    def c_record(self):
        # A subclass that redefines the penalty is not the core's L1/L2: run it in Python.
        return {"l1": self.l1, "l2": self.l2} if type(self).__call__ is L1L2.__call__ else None

    def get_config(self):
        return {"l1": float(self.l1), "l2": float(self.l2)}


class L1(Regularizer):
    """l1 * sum(abs(w)); default l1 = 0.01."""

    def __init__(self, l1=0.01):
        self.l1 = _validate(0.01 if l1 is None else l1, "l1")
        self.l2 = 0.0

    def __call__(self, x):
        return _l1l2_value(x, self.l1, 0.0)

    def c_record(self):
        return {"l1": self.l1, "l2": 0.0} if type(self).__call__ is L1.__call__ else None

    def get_config(self):
        return {"l1": float(self.l1)}


class L2(Regularizer):
    """l2 * sum(square(w)); default l2 = 0.01 (no 1/2 factor, unlike some textbooks)."""

    def __init__(self, l2=0.01):
        self.l2 = _validate(0.01 if l2 is None else l2, "l2")
        self.l1 = 0.0

    def __call__(self, x):
        return _l1l2_value(x, 0.0, self.l2)

    def c_record(self):
        return {"l1": 0.0, "l2": self.l2} if type(self).__call__ is L2.__call__ else None

    def get_config(self):
        return {"l2": float(self.l2)}


class OrthogonalRegularizer(Regularizer):
    """factor * mean |<u_i, u_j>| over pairs of L2-normalised rows (or columns); Python only."""

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _validate(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError('Invalid value for argument `mode`. Expected one of {"rows", "columns"}. '
                             f"Received: mode={mode}")
        self.mode = mode

    def __call__(self, inputs):
        w = np.asarray(inputs, dtype=np.float64)
        if w.ndim != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: "
                             f"inputs.shape={w.shape}")
        if self.mode == "columns":
            w = w.T
        w = w / np.maximum(np.sqrt((w * w).sum(axis=1, keepdims=True)), 1e-12)
        size = w.shape[0]
        if size < 2:
            return 0.0
        prod = w @ w.T
        off = np.abs(prod).sum() - np.abs(np.diag(prod)).sum()
        return float(self.factor * 0.5 * off / (size * (size - 1.0) / 2.0))

    def get_config(self):
        return {"factor": float(self.factor), "mode": self.mode}


# Keras 3 exports the classes under their snake_case names too (l1_l2 is the class: 0/0 defaults).
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

_registry = Registry("regularizer", "keras.regularizers")
_registry.register_classes((Regularizer, L1, L2, L1L2, OrthogonalRegularizer), snake=True)


def serialize(regularizer):
    if regularizer is None:
        return None
    return _registry.serialize(regularizer)


def deserialize(config, custom_objects=None):
    if isinstance(config, dict):
        return _registry.deserialize(config, custom_objects)
    return _registry.require(config, custom_objects,
                             f"Could not interpret regularizer identifier: {config!r}")()


def get(identifier):
    """A regularizer from None, a name ("l1", "l2", "l1l2", "L1L2", ...), a config dict, a class
    or an instance (any callable is returned as it is)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier == "l1_l2":
            # tf.keras 2 spelling: its l1_l2() defaulted to 0.01 each, which Keras 3 lost.
            warnings.warn("'l1_l2' is the tf.keras 2 name: using L1L2(l1=0.01, l2=0.01) as Keras 2 "
                          "did (Keras 3 spells it 'l1l2', with factors 0 and 0).", stacklevel=2)
            return L1L2(l1=0.01, l2=0.01)
        cls = _registry.require(identifier, message=(
            f"Could not interpret regularizer identifier: {identifier!r}. "
            f"Known names: {_registry.names()}"))
        return cls()
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")

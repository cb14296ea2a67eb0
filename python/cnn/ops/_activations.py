"""cnn.activations on a recorded tensor: a Keras-guide layer's `call` may end with
`activations.relu(...)` or `self.activation(...)`; the C kernels cannot be recorded, so the same
Keras 3 formula is written here with cnn.ops (cnn.activations sends recorded tensors here)."""
import math

import numpy as np

from cnn.ops import _math as m
from cnn.ops import _reduce
from cnn.ops._tape import Tensor, lift, node, value_of

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def is_recorded(x):
    return isinstance(x, Tensor)


def erf(x):
    """The error function (for the exact gelu); derivative 2/sqrt(pi) exp(-x^2)."""
    x = m._float(x)
    v = value_of(x)
    out = np.vectorize(math.erf, otypes=[np.float64])(v).astype(np.asarray(v).dtype)
    return node(out, (x,), (lambda g: g * (2 / math.sqrt(math.pi)) * np.exp(-np.square(v)),))


def _elu(x, alpha):
    positive = m.greater(x, 0)
    return m.where(positive, x, alpha * m.expm1(m.where(positive, 0.0, x)))   # no inf in the unused branch


def _clip_open(x, lo, hi):
    """clip(x, lo, hi) whose gradient is 0 at the bounds too (torch's hardtanh, relu6, hardsigmoid)."""
    inside = m.logical_and(m.greater(x, lo), m.less(x, hi))
    return m.where(inside, x, m.stop_gradient(m.clip(x, lo, hi)))


def _relu(x, slope, max_value, threshold):
    """keras.activations.relu's formula (ReLU.static_call in Keras 3)."""
    if slope != 0.0 and max_value == math.inf and threshold == 0.0:
        return m.where(m.greater(x, 0), x, slope * x)
    negative = m.relu(threshold - x) if slope != 0.0 else None
    if threshold != 0.0:
        y = x * m.cast(m.greater(x, threshold), x.dtype)
    elif max_value == 6.0:   # Keras runs relu6 then: no gradient at 0 and 6
        y, max_value = _clip_open(x, 0.0, 6.0), math.inf
    else:
        y = m.relu(x)
    if max_value != math.inf:
        y = m.clip(y, 0.0, max_value)
    return y - slope * negative if negative is not None else y


def _hard_sigmoid(x):
    return _clip_open(x / 6.0 + 0.5, 0.0, 1.0)


def _hard_silu(x):
    return x * _hard_sigmoid(x)


_FORMULAS = {
    "linear": lambda x, r: x,
    "relu": lambda x, r: _relu(x, r["alpha"], r["max_value"], r["threshold"]),
    "relu6": lambda x, r: _clip_open(x, 0.0, 6.0),
    "leaky_relu": lambda x, r: m.where(m.greater(x, 0), x, r["alpha"] * x),
    "elu": lambda x, r: _elu(x, r["alpha"]),
    "selu": lambda x, r: _SELU_SCALE * _elu(x, _SELU_ALPHA),
    "gelu": lambda x, r: 0.5 * x * (1.0 + erf(x / math.sqrt(2.0))),
    "gelu_tanh": lambda x, r: 0.5 * x * (1.0 + m.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x))),
    "sigmoid": lambda x, r: m.sigmoid(x),
    "hard_sigmoid": lambda x, r: _hard_sigmoid(x),
    "tanh": lambda x, r: m.tanh(x),
    "softmax": lambda x, r: _reduce.softmax(x, -1),
    "softplus": lambda x, r: m.softplus(x),
    "softsign": lambda x, r: x / (1.0 + m.abs(x)),
    "silu": lambda x, r: x * m.sigmoid(x),
    "exponential": lambda x, r: m.exp(x),
    "step": lambda x, r: m.cast(m.greater(x, 0), x.dtype),
    "hard_silu": lambda x, r: _hard_silu(x),
    "mish": lambda x, r: x * m.tanh(m.softplus(x)),
}


def apply_record(record, x):
    """The activation described by a C record (cnn.activations._record) applied to recorded x."""
    formula = _FORMULAS.get(record["kind"])
    if formula is None:
        raise NotImplementedError(f"activation {record['kind']!r} has no cnn.ops formula")
    return formula(lift(x), record)


# keras.ops' activation functions (the nn part of keras.ops), with keras.ops' defaults
def relu6(x):
    return _FORMULAS["relu6"](lift(x), None)


def leaky_relu(x, negative_slope=0.2):
    x = lift(x)
    return m.where(m.greater(x, 0), x, negative_slope * x)


def elu(x, alpha=1.0):
    return _elu(lift(x), alpha)


def selu(x):
    return _SELU_SCALE * _elu(lift(x), _SELU_ALPHA)


def gelu(x, approximate=True):   # keras.ops.gelu defaults to the tanh form (the activation does not)
    return _FORMULAS["gelu_tanh" if approximate else "gelu"](m._float(x), None)


def silu(x):
    x = lift(x)
    return x * m.sigmoid(x)


def softsign(x):
    x = lift(x)
    return x / (1.0 + m.abs(x))


def hard_sigmoid(x):
    return _hard_sigmoid(lift(x))


def hard_silu(x):
    return _hard_silu(lift(x))


def log_sigmoid(x):
    return -m.softplus(-m._float(x))

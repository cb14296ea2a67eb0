"""Activation functions, as ``keras.activations`` (Keras 3 formulas), computed by the C core.

Each function takes anything ``np.asarray`` accepts and returns a float32 NumPy array of the same
shape. ``get`` / ``serialize`` / ``deserialize`` resolve names like Keras; ``c_record`` turns an
activation into the record ``{"kind": name, "alpha", "max_value", "threshold"}`` that the C core runs
(field and kind names: ``cnn._core.fields["act"]`` / ``cnn._core.enums["act"]``).
"""
import functools
import math
import warnings

import numpy as np

from cnn._registry import Registry, keras_config

# the C core's activation names (cnn._core.enums["act"]; tests/test_activations.py checks they agree)
(LINEAR, RELU, RELU6, LEAKY_RELU, ELU, SELU, GELU, GELU_TANH, SIGMOID, HARD_SIGMOID, TANH, SOFTMAX,
 SOFTPLUS, SOFTSIGN, SILU, EXPONENTIAL, STEP, HARD_SILU, MISH) = (
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "gelu_tanh", "sigmoid", "hard_sigmoid",
    "tanh", "softmax", "softplus", "softsign", "silu", "exponential", "step", "hard_silu", "mish")

_INF = float("inf")


def _core():
    from cnn import _core as core  # the extension loads on first use: `import cnn` stays light
    return core


def _run(record, x, last_axis_rows=False):
    """Applies a record to x (any shape). With last_axis_rows, rows are the last axis (softmax)."""
    if _recorded(x):
        from cnn.ops._activations import apply_record
        return apply_record(record, x)
    x = np.asarray(x, dtype=np.float32)
    if x.size == 0:
        return x.copy()
    cols = x.shape[-1] if (last_axis_rows and x.ndim) else x.size
    x2 = np.ascontiguousarray(x).reshape(-1, cols)
    return _core().act_forward(record, x2).reshape(x.shape)


def _recorded(x):
    """x is a tensor cnn.ops is recording (a cnn.ops layer's call): the formula runs in cnn.ops."""
    return type(x).__name__ == "Tensor" and type(x).__module__ == "cnn.ops._tape"


def _record(kind, alpha=0.0, max_value=_INF, threshold=0.0):
    """The C record of an activation (cnn._core.fields["act"])."""
    return {"kind": kind, "alpha": float(alpha), "max_value": float(max_value), "threshold": float(threshold)}


def linear(x):
    """Identity: ``x`` (as float32)."""
    return _run(_record(LINEAR, 0.0), x)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0, **legacy):
    """``max(x, 0)``; with threshold t, ``x if x > t else 0``; clipped at max_value; values below t
    get ``negative_slope * (x - t)``. tf.keras 2 spelled negative_slope ``alpha``."""
    if "alpha" in legacy:
        warnings.warn("relu(alpha=...) is the tf.keras 2 name of negative_slope", stacklevel=2)
        negative_slope = legacy.pop("alpha")
    if legacy:
        raise TypeError(f"relu() got unexpected keyword arguments {sorted(legacy)}")
    return _run(c_record(relu, negative_slope=negative_slope, max_value=max_value,
                         threshold=threshold), x)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return _run(_record(RELU6, 0.0, 6.0), x)


def leaky_relu(x, negative_slope=0.2):
    """``x if x > 0 else negative_slope * x``."""
    return _run(_record(LEAKY_RELU, float(negative_slope)), x)


def elu(x, alpha=1.0):
    """``x if x > 0 else alpha * (exp(x) - 1)``."""
    return _run(_record(ELU, float(alpha)), x)


def selu(x):
    """``scale * elu(x, alpha)`` with Keras's alpha = 1.67326324 and scale = 1.05070098."""
    return _run(_record(SELU, 0.0), x)


def gelu(x, approximate=False):
    """``x * (1 + erf(x / sqrt(2))) / 2``; approximate: ``x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2``."""
    return _run(_record(GELU_TANH if approximate else GELU, 0.0), x)


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return _run(_record(SIGMOID, 0.0), x)


def hard_sigmoid(x):
    """``clip(x / 6 + 0.5, 0, 1)`` (Keras 3; tf.keras 2 used 0.2 x + 0.5)."""
    return _run(_record(HARD_SIGMOID, 0.0), x)


def tanh(x):
    """Hyperbolic tangent."""
    return _run(_record(TANH, 0.0), x)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis`` (computed stably)."""
    if _recorded(x):
        from cnn import ops
        return ops.softmax(x, axis)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 0:
        raise ValueError("softmax needs an array with at least one axis, got a scalar")
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"softmax axis must be an int, got {axis!r}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"softmax axis {axis} is out of range for an array of shape {x.shape}")
    if x.shape[axis] == 1:
        warnings.warn(f"You are using a softmax over axis {axis} of a tensor of shape {x.shape}. "
                      "This axis has size 1. The softmax operation will always return the value 1, "
                      "which is likely not what you intended. Did you mean to use a sigmoid instead?",
                      stacklevel=2)
    moved = np.moveaxis(x, axis, -1)
    y = _run(_record(SOFTMAX, 0.0), moved, last_axis_rows=True)
    return np.ascontiguousarray(np.moveaxis(y, -1, axis))


def softplus(x):
    """``log(1 + exp(x))``, computed as ``max(x, 0) + log1p(exp(-|x|))``."""
    return _run(_record(SOFTPLUS, 0.0), x)


def softsign(x):
    """``x / (1 + |x|)``."""
    return _run(_record(SOFTSIGN, 0.0), x)


def silu(x):
    """``x * sigmoid(x)`` (also called swish)."""
    return _run(_record(SILU, 0.0), x)


swish = silu


def exponential(x):
    """``exp(x)``."""
    return _run(_record(EXPONENTIAL, 0.0), x)


def step(x):
    """Heaviside step: 1 where ``x > 0``, else 0. Its gradient is 0 everywhere (nothing learns
    through it): use it for perceptron demos, not for training with gradients."""
    return _run(_record(STEP, 0.0), x)


def hard_silu(x):
    """``x * hard_sigmoid(x)`` (also called hard_swish)."""
    return _run(_record(HARD_SILU, 0.0), x)


hard_swish = hard_silu


def mish(x):
    """``x * tanh(softplus(x))``."""
    return _run(_record(MISH, 0.0), x)


_FUNCTIONS = (linear, relu, relu6, leaky_relu, elu, selu, gelu, sigmoid, hard_sigmoid, tanh, softmax,
              softplus, softsign, silu, exponential, step, hard_silu, mish)
_KIND = {linear: LINEAR, relu: RELU, relu6: RELU6, leaky_relu: LEAKY_RELU, elu: ELU, selu: SELU,
         gelu: GELU, sigmoid: SIGMOID, hard_sigmoid: HARD_SIGMOID, tanh: TANH, softmax: SOFTMAX,
         softplus: SOFTPLUS, softsign: SOFTSIGN, silu: SILU, exponential: EXPONENTIAL, step: STEP,
         hard_silu: HARD_SILU, mish: MISH}


class _Configured:
    """An activation with arguments, named by a tf.keras 2 string such as "LeakyReLU"
    (tf.keras 2 resolved the advanced-activation layer names too, with their layer defaults)."""

    def __init__(self, name, fn, **kwargs):
        self.__name__ = name
        self.fn, self.kwargs = fn, kwargs

    def __call__(self, x):
        return self.fn(x, **self.kwargs)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"<activation {self.__name__}: {self.fn.__name__}({args})>"


_K2_LAYER_NAMES = {
    "ReLU": _Configured("ReLU", relu),
    "LeakyReLU": _Configured("LeakyReLU", leaky_relu, negative_slope=0.3),
    "ELU": _Configured("ELU", elu, alpha=1.0),
    "ThresholdedReLU": _Configured("ThresholdedReLU", relu, threshold=1.0),
    "Softmax": _Configured("Softmax", softmax),
}

_registry = Registry("activation function", "keras.activations")
for _fn in _FUNCTIONS:
    _registry.register(_fn)
_registry.register(silu, "swish")
_registry.register(hard_silu, "hard_swish")
for _name, _fn in _K2_LAYER_NAMES.items():
    _registry.register(_fn, _name)


def _valid_names():
    return ", ".join(_registry.names())


def get(identifier):
    """None -> linear; a name (case-sensitive, as Keras) -> the function; a callable -> itself."""
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return _registry.require(identifier, message=(
            f"Could not interpret activation function identifier: {identifier!r}. "
            f"Valid names: {_valid_names()}"))
    if callable(identifier) or _layer_record(identifier) is not None:
        return identifier   # a function, or an activation layer (tf.keras 2 idiom: LeakyReLU(0.1))
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


def _layer_record(obj):
    """The C record of an activation layer instance (ReLU, LeakyReLU, ELU, ...), else None."""
    rec = getattr(obj, "_act", None)
    return dict(rec) if isinstance(rec, dict) and "kind" in rec else None


def serialize(activation):
    """The name ``get`` turns back into the same activation (a function's ``__name__``); an
    activation layer gives Keras's ``{"class_name": ..., "config": ...}``."""
    if activation is None:
        return "linear"
    name = getattr(activation, "__name__", None)
    if isinstance(name, str):
        return name
    if _layer_record(activation) is not None and hasattr(activation, "get_config"):
        return keras_config(activation, "keras.layers")
    raise ValueError(f"Cannot serialize activation {activation!r}: it has no name")


def deserialize(config, custom_objects=None):
    """A name (or Keras's ``{"class_name": "function", "config": name}``, or a layer's config
    dict) -> the activation."""
    if isinstance(config, dict):
        inner = config.get("config")
        if isinstance(inner, dict):   # an activation layer
            name = str(config.get("class_name"))
            cls = _activation_layer(name, custom_objects)
            if cls is None:
                raise ValueError(f"Unknown activation layer {name!r}")
            return cls.from_config(inner)
        config = inner if isinstance(inner, str) else config.get("class_name")
    if custom_objects and config in custom_objects:
        return custom_objects[config]
    if not isinstance(config, str):
        raise ValueError(f"Could not interpret activation function identifier: {config!r}")
    return get(config)


def _activation_layer(name, custom_objects):
    """The caller's class, or a layer class cnn.layers exports (activation layers are layers)."""
    from cnn import layers
    found = (custom_objects or {}).get(name)
    if found is None and name in layers.__all__ and isinstance(getattr(layers, name), type):
        found = getattr(layers, name)
    return found


# c_record's accepted arguments per kind, with their defaults
_ARGS = {
    RELU: {"negative_slope": 0.0, "max_value": None, "threshold": 0.0},
    LEAKY_RELU: {"negative_slope": 0.2},
    ELU: {"alpha": 1.0},
    GELU: {"approximate": False},
    SOFTMAX: {"axis": -1},
}


def c_record(activation, **overrides):
    """``{"kind", "alpha", "max_value", "threshold"}`` for the C core (max_value None -> inf).

    ``activation`` is a name or a function of this module (or a functools.partial of one);
    ``overrides`` are that function's keyword arguments (``relu``: negative_slope, max_value,
    threshold; ``leaky_relu``: negative_slope; ``elu``: alpha; ``gelu``: approximate). tf.keras 2's
    ``alpha`` is accepted for negative_slope."""
    fn = get(activation) if isinstance(activation, str) or activation is None else activation
    kwargs = {}
    if isinstance(fn, functools.partial) and not fn.args:
        fn, kwargs = fn.func, dict(fn.keywords)
    if isinstance(fn, _Configured):
        fn, kwargs = fn.fn, {**fn.kwargs, **kwargs}
    layer_rec = _layer_record(fn)
    if layer_rec is not None and not overrides:
        return layer_rec
    kind = _KIND.get(fn) if callable(fn) else None
    if kind is None:
        name = getattr(fn, "__name__", None) or repr(fn)
        raise ValueError("custom activation functions are not supported by the C core yet: "
                         f"{name}. Use one of: {_valid_names()}")
    kwargs.update(overrides)
    args = dict(_ARGS.get(kind, {}))
    if "alpha" in kwargs and "negative_slope" in args:
        kwargs["negative_slope"] = kwargs.pop("alpha")
    unknown = sorted(set(kwargs) - set(args))
    if unknown:
        raise ValueError(f"activation {fn.__name__} takes no argument(s) {unknown}")
    args.update(kwargs)
    alpha, max_value, threshold = 0.0, _INF, 0.0
    if kind == RELU:
        alpha, threshold = float(args["negative_slope"]), float(args["threshold"])
        if args["max_value"] is not None:
            max_value = float(args["max_value"])
    elif kind == LEAKY_RELU:
        alpha = float(args["negative_slope"])
    elif kind == ELU:
        alpha = float(args["alpha"])
    elif kind == GELU and args["approximate"]:
        kind = GELU_TANH
    elif kind == SOFTMAX and args["axis"] not in (-1,):
        raise ValueError(f"the C core applies softmax on the last axis only, got axis={args['axis']}")
    elif kind == RELU6:
        max_value = 6.0
    for v in (alpha, threshold):
        if math.isnan(v):
            raise ValueError("activation arguments must not be NaN")
    return _record(kind, alpha, max_value, threshold)

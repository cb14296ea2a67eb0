"""Keras 3 losses: the `Loss` classes, the per-sample functions and `get()`.

The maths are Keras 3's on the torch backend (clipped probabilities, epsilon 1e-7; no hidden-logits
shortcut) and run in the C core (`cnn._core.loss_forward`). Reductions follow `keras.losses.Loss`:
`"sum_over_batch_size"` (default) and `"mean"` divide the weighted sum by the NUMBER OF ELEMENTS of
the per-sample array, not by the sum of the weights; only `"mean_with_sample_weight"` divides by
the sum of the weights.

For the model: every built-in loss object has `c_record() -> {"kind", "from_logits", "label_smoothing",
"delta"}` (cnn._core.fields["loss"]; kind by name) (the built-in per-sample functions, which `get("mse")`
returns as Keras does, have it too, with default arguments); a loss written in Python (a `Loss`
subclass with its own `call`) has `c_record() -> None`, and a user's plain function has none.
The string `"crossentropy"` / `"ce"` depends on the data's shapes: `get()` returns an
`AutoCrossentropy` marker, and the model calls
`resolve(identifier, y_true_shape, y_pred_shape)` (or `marker.resolve(...)`) once it knows the
shapes, as Keras's `compile_utils.get_loss` does; `resolve` also wraps plain functions in
`LossFunctionWrapper`, so the model always gets a `Loss` object back.
"""
import enum
import inspect
import math
import warnings

import numpy as np

from . import _core
from ._naming import to_snake_case
from ._registry import Registry
from ._watched import Watched


class LossKind(str, enum.Enum):
    """The C core's loss names (cnn._core.enums["loss"])."""
    MSE = "mse"
    MAE = "mae"
    MAPE = "mape"
    MSLE = "msle"
    BCE = "bce"
    CCE = "cce"
    SCCE = "scce"
    HINGE = "hinge"
    SQUARED_HINGE = "squared_hinge"
    CATEGORICAL_HINGE = "categorical_hinge"
    HUBER = "huber"
    LOG_COSH = "log_cosh"
    KLD = "kld"
    POISSON = "poisson"
    COSINE = "cosine"


PYTHON_KIND = "python"   # the core's kind of a loss written in Python: the step calls back (cnn/_hooks.py)


_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def _standardize_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError("Invalid value for argument `reduction`. Expected one of "
                         f"{list(_REDUCTIONS)}. Received: reduction={reduction!r}")
    return reduction


# ------------------------------------------------------------------------------ input handling

def _as_float(x, what):
    """np.asarray as float32, with a TypeError for non-numeric data."""
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        try:
            a = a.astype(np.float32)
        except (TypeError, ValueError):
            raise TypeError(f"{what} must hold numbers; received an array of dtype {a.dtype}") from None
    a = np.ascontiguousarray(a, dtype=np.float32)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{what} contains NaN or infinity")
    return a


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rule: if the ranks differ by one and the larger has last dimension 1, expand a rank-1
    array or otherwise squeeze that last dimension. So y (N,) against y_pred (N, 1) is per sample."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def _check_axis(axis, ndim, name):
    if axis is None or axis % max(ndim, 1) != max(ndim, 1) - 1:
        raise ValueError(f"{name}: only the last axis is supported (axis=-1); received axis={axis} "
                         f"for an input of rank {ndim}")


def _sparse_ids(y_true, y_pred):
    """SCCE labels: (N,) or (N, 1) integer class ids in [0, C), as float32 for the core."""
    yt = np.asarray(y_true)
    if yt.dtype.kind not in "biuf":
        raise TypeError(f"y_true must hold integer class ids; received an array of dtype {yt.dtype}")
    if yt.ndim == y_pred.ndim and yt.ndim > 0 and yt.shape[-1] == 1:
        yt = yt[..., 0]
    if yt.shape != y_pred.shape[:-1]:
        raise ValueError("Arguments `target` and `output` must have the same shape up until the last "
                         f"dimension: target.shape={yt.shape}, output.shape={y_pred.shape}")
    classes = y_pred.shape[-1]
    flat = yt.reshape(-1)
    if yt.dtype.kind == "f":
        bad = ~np.isfinite(flat) | (flat != np.floor(flat))
    else:
        bad = np.zeros(flat.shape, bool)
    bad |= (flat < 0) | (flat >= classes)
    if bad.any():
        v = flat[np.argmax(bad)]
        raise ValueError(f"sparse_categorical_crossentropy: label {v!r} is not a class id in "
                         f"[0, {classes - 1}] (y_pred has {classes} classes)")
    return np.ascontiguousarray(yt, dtype=np.float32)


def _record(kind, from_logits=False, label_smoothing=0.0, delta=1.0):
    """The C record of a loss (cnn._core.fields["loss"])."""
    return {"kind": kind, "from_logits": bool(from_logits), "label_smoothing": float(label_smoothing),
            "delta": float(delta)}


def _recorded(x):
    return type(x).__name__ == "Tensor" and type(x).__module__ == "cnn.ops._tape"


def _per_sample(kind, y_true, y_pred, from_logits=False, label_smoothing=0.0, delta=1.0, axis=-1,
                name="loss"):
    """The per-sample values (float64, shape y_pred.shape[:-1]) computed by the C core."""
    if _recorded(y_true) or _recorded(y_pred):   # inside a cnn.ops loss: the same formula, recorded
        from cnn.ops._losses import per_sample
        return per_sample(kind, y_true, y_pred, from_logits, label_smoothing, delta, axis)
    yp = _as_float(y_pred, "y_pred")
    if yp.ndim == 0:
        raise ValueError(f"{name}: y_pred must have at least one dimension; received shape ()")
    if kind == LossKind.SCCE:
        yt = _sparse_ids(y_true, yp)
    else:
        yt = _as_float(y_true, "y_true")
        yt, yp = squeeze_or_expand_to_same_rank(yt, yp)
        if yt.shape != yp.shape:
            raise ValueError(f"{name}: y_true and y_pred must have the same shape; received "
                             f"y_true.shape={yt.shape}, y_pred.shape={yp.shape}")
    _check_axis(axis, yp.ndim, name)
    cols = yp.shape[-1]
    lead = yp.shape[:-1]
    rows = int(np.prod(lead, dtype=np.int64))
    if rows == 0 or cols == 0:
        raise ValueError(f"{name}: received an empty array, y_pred.shape={yp.shape}")
    if kind == LossKind.CCE and cols == 1:
        warnings.warn("In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, "
                      f"num_classes) with num_classes > 1. Received: y_pred.shape={yp.shape}. "
                      "Consider using 'binary_crossentropy' if you only have 2 classes.",
                      SyntaxWarning, stacklevel=3)
    record = _record(kind, from_logits, label_smoothing, delta)
    p2 = np.ascontiguousarray(yp.reshape(rows, cols))
    t2 = np.ascontiguousarray(yt.reshape(rows) if kind == LossKind.SCCE else yt.reshape(rows, cols))
    return np.asarray(_core.loss_forward(record, p2, t2), dtype=np.float64).reshape(lead)


def _reduce(values, sample_weight, reduction):
    """Keras's reduce_weighted_values on NumPy arrays; a Python float (array for 'none')."""
    values = np.asarray(values, dtype=np.float64)
    sw = None
    if sample_weight is not None:
        sw = np.asarray(sample_weight)
        if sw.dtype.kind not in "biuf":
            raise TypeError(f"sample_weight must hold numbers; received dtype {sw.dtype}")
        sw = sw.astype(np.float64)
        if not np.all(np.isfinite(sw)):
            raise ValueError("sample_weight contains NaN or infinity")
        values, sw_b = squeeze_or_expand_to_same_rank(values, sw)
        try:
            values, sw_b = np.broadcast_arrays(values, sw_b)
        except ValueError:
            raise ValueError(f"sample_weight of shape {sw.shape} does not match the per-sample loss "
                             f"of shape {values.shape}") from None
        values = values * sw_b
    if reduction in (None, "none"):
        return values.astype(np.float32)
    if values.ndim == 0:
        return float(values)
    total = math.fsum(values.reshape(-1).tolist())
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sw is not None:
        divisor = math.fsum(sw.reshape(-1).tolist())
    else:
        divisor = float(values.size)
    return total / divisor if divisor != 0 else 0.0   # divide_no_nan


# ------------------------------------------------------------------------------ functions

def _builtin(kind):
    """Marks a per-sample function as one the C core knows. Like the Loss objects, the function gets
    `c_record()` (with the default arguments, as a string such as "mse" means in compile)."""
    def mark(fn):
        fn._cnn_kind = kind
        fn.c_record = lambda: _record(kind)
        return fn
    return mark


@_builtin(LossKind.MSE)
def mean_squared_error(y_true, y_pred):
    """mean((y_true - y_pred)^2) over the last axis; per-sample float32 array."""
    return _per_sample(LossKind.MSE, y_true, y_pred, name="mean_squared_error").astype(np.float32)


@_builtin(LossKind.MAE)
def mean_absolute_error(y_true, y_pred):
    """mean(abs(y_true - y_pred)) over the last axis."""
    return _per_sample(LossKind.MAE, y_true, y_pred, name="mean_absolute_error").astype(np.float32)


@_builtin(LossKind.MAPE)
def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(abs((y_true - y_pred) / max(abs(y_true), 1e-7))) over the last axis."""
    return _per_sample(LossKind.MAPE, y_true, y_pred,
                       name="mean_absolute_percentage_error").astype(np.float32)


@_builtin(LossKind.MSLE)
def mean_squared_logarithmic_error(y_true, y_pred):
    """mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2) over the last axis."""
    return _per_sample(LossKind.MSLE, y_true, y_pred,
                       name="mean_squared_logarithmic_error").astype(np.float32)


@_builtin(LossKind.BCE)
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy, mean over the last axis (probabilities clipped to [1e-7, 1 - 1e-7])."""
    return _per_sample(LossKind.BCE, y_true, y_pred, from_logits, label_smoothing, axis=axis,
                       name="binary_crossentropy").astype(np.float32)


@_builtin(LossKind.CCE)
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Categorical crossentropy, sum over the last axis (probabilities renormalised, then clipped)."""
    return _per_sample(LossKind.CCE, y_true, y_pred, from_logits, label_smoothing, axis=axis,
                       name="categorical_crossentropy").astype(np.float32)


@_builtin(LossKind.SCCE)
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Crossentropy with integer class ids y_true of shape (N,) or (N, 1)."""
    if ignore_class is not None:
        raise ValueError("sparse_categorical_crossentropy: ignore_class is not supported by cnn")
    return _per_sample(LossKind.SCCE, y_true, y_pred, from_logits, axis=axis,
                       name="sparse_categorical_crossentropy").astype(np.float32)


@_builtin(LossKind.HINGE)
def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)); labels all in {0, 1} are first mapped to {-1, 1}."""
    return _per_sample(LossKind.HINGE, y_true, y_pred, name="hinge").astype(np.float32)


@_builtin(LossKind.SQUARED_HINGE)
def squared_hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)^2), with hinge's label conversion."""
    return _per_sample(LossKind.SQUARED_HINGE, y_true, y_pred, name="squared_hinge").astype(np.float32)


@_builtin(LossKind.CATEGORICAL_HINGE)
def categorical_hinge(y_true, y_pred):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)."""
    return _per_sample(LossKind.CATEGORICAL_HINGE, y_true, y_pred,
                       name="categorical_hinge").astype(np.float32)


@_builtin(LossKind.HUBER)
def huber(y_true, y_pred, delta=1.0):
    """mean of 0.5 e^2 if abs(e) <= delta else delta * abs(e) - 0.5 delta^2, e = y_pred - y_true."""
    return _per_sample(LossKind.HUBER, y_true, y_pred, delta=delta, name="huber").astype(np.float32)


@_builtin(LossKind.LOG_COSH)
def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true))) over the last axis."""
    return _per_sample(LossKind.LOG_COSH, y_true, y_pred, name="log_cosh").astype(np.float32)


@_builtin(LossKind.KLD)
def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [1e-7, 1]."""
    return _per_sample(LossKind.KLD, y_true, y_pred, name="kl_divergence").astype(np.float32)


@_builtin(LossKind.POISSON)
def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + 1e-7)) over the last axis."""
    return _per_sample(LossKind.POISSON, y_true, y_pred, name="poisson").astype(np.float32)


@_builtin(LossKind.COSINE)
def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred)) over the last axis (-1 when aligned)."""
    return _per_sample(LossKind.COSINE, y_true, y_pred, axis=axis,
                       name="cosine_similarity").astype(np.float32)


# ------------------------------------------------------------------------------ classes

class Loss(Watched):
    """Base class. Subclass it and implement `call(y_true, y_pred)` returning per-sample values
    (NumPy); `__call__` applies `sample_weight` and the reduction.

    `__call__(y_true, y_pred, sample_weight=None)` returns a Python float (an array with
    `reduction="none"`). To train with it, either write `call` with `cnn.ops` (cnn derives the
    gradient, as for a loss function written with `cnn.ops`), or write `call` in NumPy together with
    `gradient(y_true, y_pred)`, the derivative of each sample's loss with respect to `y_pred`. Training
    keeps Keras's reduction: the (sample-weighted) per-sample values are averaged over the batch.

    Args:
        name: the loss's name. Default `None`: the snake-case class name.
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.

    Example:

    >>> class MeanFourth(cnn.losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         return np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 4, axis=-1)
    >>> MeanFourth()([[0.0, 2.0]], [[1.0, 0.0]])
    8.5
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self.reduction = _standardize_reduction(reduction)
        self.dtype = dtype or "float32"

    def __call__(self, y_true, y_pred, sample_weight=None):
        values = self.call(y_true, y_pred)
        return _reduce(values, sample_weight, self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def gradient(self, y_true, y_pred):
        """d(per-sample loss)/d(y_pred), an array shaped like y_pred: override it, next to a NumPy `call`,
        to train with a loss written in NumPy. Not needed when `call` is written with `cnn.ops`: cnn
        then derives the gradient itself."""
        raise NotImplementedError

    def c_record(self):
        """{"kind", "from_logits", "label_smoothing", "delta"} for the C core, or None (loss in Python)."""
        return None

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A `Loss` around a per-sample function `fn(y_true, y_pred, **kwargs)`.

    Args:
        fn: the function, returning one value per sample (the built-in functions of `cnn.losses`,
            which run in the C core, or your own NumPy function).
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        name: the loss's name. Default `None`: the function's `__name__`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.
        **kwargs: keyword arguments passed to `fn` on every call.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        if getattr(self.fn, "_cnn_kind", None) is None:   # a user's function: Keras's rank fix first
            y_true, y_pred = squeeze_or_expand_to_same_rank(np.asarray(y_true), np.asarray(y_pred))
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def c_record(self):
        kind = getattr(self.fn, "_cnn_kind", None)
        if kind is None or type(self).call is not LossFunctionWrapper.call:
            return None   # a Python loss, or a subclass that overrides call
        kw = self._fn_kwargs
        return _record(kind, kw.get("from_logits", False), kw.get("label_smoothing", 0.0), kw.get("delta", 1.0))

    def get_config(self):
        config = super().get_config()
        config["fn"] = getattr(self.fn, "__name__", repr(self.fn))
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), str):
            config["fn"] = get(config["fn"])
        return cls(**config)

    def __repr__(self):
        if type(self) is not LossFunctionWrapper:
            return Loss.__repr__(self)
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


class _Plain(LossFunctionWrapper):
    """Built-in losses without arguments: the config is just name and reduction."""
    _fn = None

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(type(self)._fn, reduction=reduction, name=name or self._default_name,
                         dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class MeanSquaredError(_Plain):
    """Mean of the squares of the errors: `loss = mean(square(y_true - y_pred))` over the last axis.

    String alias in `compile`: `"mse"` or `"mean_squared_error"`.

    Args:
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        name: the loss's name. Default `"mean_squared_error"`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.

    Example:

    >>> cnn.losses.MeanSquaredError()([[1.0, 0.0, 1.0]], [[0.9, 0.1, 0.8]])  # 0.02 in float32
    0.019999999552965164
    """
    _fn = staticmethod(mean_squared_error)
    _default_name = "mean_squared_error"


class MeanAbsoluteError(_Plain):
    """Mean of the absolute errors: `loss = mean(abs(y_true - y_pred))` over the last axis.

    String alias in `compile`: `"mae"` or `"mean_absolute_error"`.

    Args:
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        name: the loss's name. Default `"mean_absolute_error"`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.

    Example:

    >>> cnn.losses.MeanAbsoluteError()([[1.0, 0.0]], [[0.5, 0.5]])
    0.5
    """

    _fn = staticmethod(mean_absolute_error)
    _default_name = "mean_absolute_error"


class MeanAbsolutePercentageError(_Plain):
    """Mean absolute percentage error: `loss = 100 * mean(abs((y_true - y_pred) / y_true))` over the last axis.

    The divisor is `max(abs(y_true), 1e-7)`. String alias in `compile`: `"mape"`.

    Args:
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        name: the loss's name. Default `"mean_absolute_percentage_error"`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.
    """

    _fn = staticmethod(mean_absolute_percentage_error)
    _default_name = "mean_absolute_percentage_error"


class MeanSquaredLogarithmicError(_Plain):
    """Mean squared logarithmic error: `loss = mean(square(log(y_true + 1) - log(y_pred + 1)))` over the last axis.

    Negative values are clipped to `1e-7` first. String alias in `compile`: `"msle"`.

    Args:
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        name: the loss's name. Default `"mean_squared_logarithmic_error"`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.
    """

    _fn = staticmethod(mean_squared_logarithmic_error)
    _default_name = "mean_squared_logarithmic_error"


class Hinge(_Plain):
    """Hinge loss: `loss = mean(maximum(1 - y_true * y_pred, 0))` over the last axis.

    `y_true` should be -1 or 1; labels that are all 0 or 1 are mapped to -1 and 1 first.

    Args:
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        name: the loss's name. Default `"hinge"`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.
    """

    _fn = staticmethod(hinge)
    _default_name = "hinge"


class SquaredHinge(_Plain):
    """Squared hinge loss: `loss = mean(square(maximum(1 - y_true * y_pred, 0)))` over the last axis.

    `y_true` should be -1 or 1; labels that are all 0 or 1 are mapped to -1 and 1 first.

    Args:
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        name: the loss's name. Default `"squared_hinge"`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.
    """

    _fn = staticmethod(squared_hinge)
    _default_name = "squared_hinge"


class CategoricalHinge(_Plain):
    """Categorical hinge loss: `loss = maximum(neg - pos + 1, 0)`, per sample.

    `pos = sum(y_true * y_pred)` and `neg = max((1 - y_true) * y_pred)` over the last axis; `y_true`
    is one-hot.

    Args:
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        name: the loss's name. Default `"categorical_hinge"`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.
    """

    _fn = staticmethod(categorical_hinge)
    _default_name = "categorical_hinge"


class LogCosh(_Plain):
    """Logarithm of the hyperbolic cosine of the error: `loss = mean(log(cosh(y_pred - y_true)))`.

    Like the mean squared error for small errors and the mean absolute error for large ones.

    Args:
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        name: the loss's name. Default `"log_cosh"`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.
    """

    _fn = staticmethod(log_cosh)
    _default_name = "log_cosh"


class KLDivergence(_Plain):
    """Kullback-Leibler divergence: `loss = sum(y_true * log(y_true / y_pred))` over the last axis.

    Both arguments are clipped to `[1e-7, 1]` first. String alias in `compile`: `"kld"`.

    Args:
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        name: the loss's name. Default `"kl_divergence"`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.
    """

    _fn = staticmethod(kl_divergence)
    _default_name = "kl_divergence"


class Poisson(_Plain):
    """Poisson loss: `loss = mean(y_pred - y_true * log(y_pred + 1e-7))` over the last axis.

    Args:
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        name: the loss's name. Default `"poisson"`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.
    """

    _fn = staticmethod(poisson)
    _default_name = "poisson"


class Huber(LossFunctionWrapper):
    """Huber loss: quadratic for small errors, linear for large ones.

    For each error `e = y_pred - y_true`: `0.5 * e**2` if `abs(e) <= delta`, else
    `delta * abs(e) - 0.5 * delta**2`; the loss is their mean over the last axis.

    Args:
        delta: float > 0, the error at which the loss turns from quadratic to linear. Default `1.0`.
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        name: the loss's name. Default `"huber_loss"`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.

    Example:

    >>> cnn.losses.Huber(delta=1.0)([[0.0, 0.0]], [[0.5, 3.0]])
    1.3125
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)

    def get_config(self):
        config = super().get_config()
        config.pop("fn")
        return config


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity: `loss = -sum(l2_normalize(y_true) * l2_normalize(y_pred))`.

    The loss is -1 when the vectors point the same way, 0 when orthogonal, 1 when opposite.

    Args:
        axis: the axis along which the similarity is computed; only `-1` (the last axis) is
            supported. Default `-1`.
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        name: the loss's name. Default `"cosine_similarity"`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)

    def get_config(self):
        config = super().get_config()
        config.pop("fn")
        return config


class BinaryCrossentropy(LossFunctionWrapper):
    """Cross-entropy between true labels (0 or 1) and predicted probabilities, for two classes.

    Use it with one output unit per label (usually after a sigmoid): `y_pred` of shape
    `(batch, 1)` or `(batch, labels)`. The loss is the mean over the last axis.

    Args:
        from_logits: whether `y_pred` holds logits (any real number) rather than probabilities.
            Default `False`: probabilities, clipped to `[1e-7, 1 - 1e-7]`.
        label_smoothing: float in `[0, 1]`; the labels are squeezed towards 0.5:
            `y_true * (1 - label_smoothing) + 0.5 * label_smoothing`. Default `0.0`.
        axis: the axis of the mean; only `-1` is supported. Default `-1`.
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        name: the loss's name. Default `"binary_crossentropy"`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.

    Example:

    >>> model.compile(optimizer="adam", loss=cnn.losses.BinaryCrossentropy(), metrics=["accuracy"])
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                       "axis": self.axis})
        return config


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy between one-hot labels and predicted class probabilities.

    Use it when `y_true` is one-hot, of the same shape `(batch, classes)` as `y_pred` (usually after a
    softmax). With integer class ids use `SparseCategoricalCrossentropy`.

    Args:
        from_logits: whether `y_pred` holds logits rather than probabilities. Default `False`:
            probabilities, renormalised to sum to 1 and clipped to `[1e-7, 1 - 1e-7]`.
        label_smoothing: float in `[0, 1]`; the labels are mixed with the uniform distribution:
            `y_true * (1 - label_smoothing) + label_smoothing / classes`. Default `0.0`.
        axis: the class axis; only `-1` is supported. Default `-1`.
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        name: the loss's name. Default `"categorical_crossentropy"`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.

    Example:

    >>> cnn.losses.CategoricalCrossentropy()([[0.0, 1.0, 0.0]], [[0.05, 0.9, 0.05]])  # -log(0.9)
    0.10536054521799088
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                       "axis": self.axis})
        return config


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy between integer class ids and predicted class probabilities.

    `y_true` holds one class id in `[0, classes)` per sample, of shape `(batch,)` or `(batch, 1)`;
    `y_pred` has shape `(batch, classes)` (usually after a softmax).

    Args:
        from_logits: whether `y_pred` holds logits rather than probabilities. Default `False`.
        ignore_class: not supported by cnn: anything but `None` raises `ValueError`. Default `None`.
        reduction: how the per-sample values are combined: `"sum_over_batch_size"` (the default) and
            `"mean"` divide the weighted sum by the number of values, `"mean_with_sample_weight"` by the
            sum of the weights, `"sum"` adds them, `"none"` or `None` returns them unreduced. Training
            (`compile`) takes the first two.
        axis: the class axis; only `-1` is supported. Default `-1`.
        name: the loss's name. Default `"sparse_categorical_crossentropy"`.
        dtype: accepted for Keras compatibility; cnn computes losses in float32. Default `None`.

    Example:

    >>> model.compile(optimizer="adam", loss=cnn.losses.SparseCategoricalCrossentropy(),
    ...               metrics=["accuracy"])
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        if ignore_class is not None:
            raise ValueError("SparseCategoricalCrossentropy: ignore_class is not supported by cnn")
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)

    def get_config(self):
        config = super().get_config()
        config.pop("fn")
        return config


class AutoCrossentropy(Loss):
    """The marker `get("crossentropy")` / `get("ce")` returns: binary, sparse or categorical
    crossentropy chosen from the shapes (Keras's compile_utils rule). The model replaces it with
    `self.resolve(y_true_shape, y_pred_shape)`; calling it directly resolves on the arrays given."""

    def __init__(self, name="crossentropy", reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def resolve(self, y_true_shape, y_pred_shape):
        t, p = tuple(y_true_shape), tuple(y_pred_shape)
        if not p:
            raise ValueError(f"crossentropy: y_pred must have at least one dimension; received {p}")
        if p[-1] == 1:
            fn = binary_crossentropy
        elif len(t) < len(p) or (t and t[-1] == 1 and p[-1] > 1):
            fn = sparse_categorical_crossentropy
        else:
            fn = categorical_crossentropy
        return LossFunctionWrapper(fn, reduction=self.reduction, name=self.name)

    def call(self, y_true, y_pred):
        return self.resolve(np.shape(y_true), np.shape(y_pred)).call(y_true, y_pred)


# ------------------------------------------------------------------------------ get / resolve

_CLASSES = [Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, BinaryCrossentropy,
            CategoricalCrossentropy, SparseCategoricalCrossentropy, Hinge, SquaredHinge,
            CategoricalHinge, Huber, LogCosh, KLDivergence, Poisson, CosineSimilarity]
_FUNCTIONS = [mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
              mean_squared_logarithmic_error, binary_crossentropy, categorical_crossentropy,
              sparse_categorical_crossentropy, hinge, squared_hinge, categorical_hinge, huber,
              log_cosh, kl_divergence, poisson, cosine_similarity]
_registry = Registry("loss", "keras.losses")
_registry.register_classes(_CLASSES)
for _fn in _FUNCTIONS:
    _registry.register(_fn)
for _fn, _short in ((mean_squared_error, "mse"), (mean_absolute_error, "mae"),
                    (mean_absolute_percentage_error, "mape"), (mean_squared_logarithmic_error, "msle"),
                    (kl_divergence, "kld"), (binary_crossentropy, "bce")):
    _registry.register(_fn, _short, _short.upper())
# tf.keras 2 spellings that Keras 3 dropped: accepted and honoured, with a warning.
_LEGACY = {"logcosh": log_cosh, "kullback_leibler_divergence": kl_divergence, "huber_loss": huber}
# Keras 3 losses cnn does not implement (yet): a clear message instead of "unknown".
_MISSING = {"BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "Dice", "Tversky", "Circle",
            "CTC", "CategoricalGeneralizedCrossEntropy", "binary_focal_crossentropy",
            "categorical_focal_crossentropy", "dice", "tversky", "circle", "ctc",
            "categorical_generalized_cross_entropy"}


def _legacy(name):
    warnings.warn(f"loss '{name}' is a tf.keras 2 name; Keras 3 calls it "
                  f"'{_LEGACY[name].__name__}' (using that)", stacklevel=3)
    return _LEGACY[name]


def _valid_names():
    return sorted(set(_registry.names()) | set(_LEGACY) | {"crossentropy", "ce"})


def get(identifier):
    """A loss from a string, a config dict, a function, a class or an instance, as keras.losses.get:
    class names give an instance with default arguments, function names and aliases give the
    per-sample function, "crossentropy"/"ce" give an `AutoCrossentropy` marker."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.lower() in ("crossentropy", "ce"):
            return AutoCrossentropy(name=identifier)
        if identifier in _LEGACY:
            return _legacy(identifier)
        if identifier in _MISSING:
            raise ValueError(f"Loss '{identifier}' exists in Keras 3 but is not implemented in cnn; "
                             "write it as a custom Loss subclass. Available: "
                             + ", ".join(_valid_names()))
        obj = _registry.require(identifier, message=f"Could not interpret loss identifier: {identifier!r}. "
                                                    "Valid names: " + ", ".join(_valid_names()))
    else:
        obj = identifier
    if inspect.isclass(obj):
        return obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def serialize(loss):
    """{'class_name': ..., 'config': ...} for a Loss, {'class_name': 'function', ...} for a function."""
    if isinstance(loss, Loss):
        return _registry.serialize(loss, registered_name=False)
    name = getattr(loss, "__name__", None)
    return {"module": _registry.module, "class_name": "function", "config": name, "registered_name": name}


def deserialize(config, custom_objects=None):
    """The inverse of `serialize` (also accepts a plain name)."""
    if isinstance(config, str):
        return get(config)
    custom_objects = custom_objects or {}
    class_name = config.get("class_name")
    inner = config.get("config", {})
    if class_name == "function":
        if inner in custom_objects:
            return custom_objects[inner]
        return get(inner)
    cls = _registry.lookup(class_name, custom_objects)
    if class_name in ("AutoCrossentropy",):
        cls = AutoCrossentropy
    if not inspect.isclass(cls) or not issubclass(cls, Loss):
        raise ValueError(f"Could not interpret loss config with class_name={class_name!r}")
    return cls.from_config(inner)


def resolve(identifier, y_true_shape=None, y_pred_shape=None):
    """What `compile(loss=...)` uses, as Keras's compile_utils.get_loss: always a `Loss` object.
    Strings and functions are wrapped in `LossFunctionWrapper` named after the string (Keras's
    history/metric naming); "crossentropy"/"ce" need both shapes."""
    if identifier is None:
        return None
    obj = get(identifier)
    if isinstance(obj, AutoCrossentropy):
        if y_true_shape is None or y_pred_shape is None:
            raise ValueError(f"loss {identifier!r} is chosen from the shapes of y and y_pred; "
                             "pass both shapes")
        return obj.resolve(y_true_shape, y_pred_shape)
    if isinstance(obj, Loss):
        return obj
    name = identifier if isinstance(identifier, str) else to_snake_case(getattr(obj, "__name__", "loss"))
    return LossFunctionWrapper(obj, name=name)


# Attribute aliases (Keras 2 exported these names from keras.losses).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy


def __getattr__(name):
    if name in _LEGACY:
        return _legacy(name)
    raise AttributeError(f"module 'cnn.losses' has no attribute {name!r}")

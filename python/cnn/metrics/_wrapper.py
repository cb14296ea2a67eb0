"""MeanMetricWrapper: a metric from a plain function `fn(y_true, y_pred)` (NumPy or cnn.ops), averaged
over the samples as Keras's MeanMetricWrapper does. Inside fit the C step asks Python for each batch's
values (cnn/_hooks.py); the mean's state is the core's usual [weighted total, weight sum]."""
import numpy as np

from cnn.metrics._base import MeanMetric


class MeanMetricWrapper(MeanMetric):
    """The weighted mean over samples of a function's per-sample values.

    Args:
        fn: `fn(y_true, y_pred, **kwargs)` returning one value per sample (or one per element, then
            averaged over the last axis), written with NumPy or `cnn.ops`; no gradient is needed.
        name: the metric's name (its key in the logs). Default `None`: the function's `__name__`.
        dtype: accepted for Keras compatibility; results are float32. Default `None`.
        **kwargs: keyword arguments passed to `fn` on every call.

    Example:

    >>> import numpy as np
    >>> def within_half(y_true, y_pred):
    ...     return np.mean(np.abs(y_true - y_pred) < 0.5, axis=-1)
    >>> m = cnn.metrics.MeanMetricWrapper(within_half)
    >>> m.update_state([[1.0], [2.0]], [[1.2], [3.0]])
    >>> m.result()
    0.5
    """
    _kind = "python"
    _direction = "up"

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"fn must be a function of (y_true, y_pred), got {fn!r}")
        self.fn = fn
        self._fn_kwargs = kwargs
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)

    def c_record(self):
        return {"kind": "python"}

    def _python_values(self, y_true, y_pred):
        """One float64 value per row of y_pred (rows, cols)."""
        v = np.asarray(self.fn(y_true, y_pred, **self._fn_kwargs), dtype=np.float64)
        rows = y_pred.shape[0]
        if v.size == y_pred.size and v.ndim == y_pred.ndim and y_pred.shape[-1] > 1:
            return v.reshape(rows, -1).mean(axis=1)
        if v.size != rows:
            raise ValueError(f"metric '{self.name}' returned values of shape {v.shape} for {rows} samples: return "
                             "one value per sample")
        return v.reshape(rows)

    def update_state(self, y_true, y_pred, sample_weight=None):
        yt, yp, w = self._arrays(y_true, y_pred, sample_weight)
        v = self._python_values(yt, yp)
        add = np.array([np.sum(v if w is None else w * v), len(v) if w is None else np.sum(w, dtype=np.float64)])
        self._state = add if self._state is None else self._state + add
        self._cols = yp.shape[1]

    def get_config(self):
        return {**super().get_config(), "fn": getattr(self.fn, "__name__", repr(self.fn)), **self._fn_kwargs}

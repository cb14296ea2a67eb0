"""Shortcuts for the small-model path (a few rows per call, in a loop): each takes the common, already
valid case in a few NumPy calls and returns None for anything else, which then goes the full way
(cnn._data), so conversions, warnings and messages stay the same."""
import numpy as np


class _NoCallbacks:
    """Stands for the empty CallbackList of a silent evaluate or predict without callbacks: every hook
    does nothing, and building it costs nothing (a few rows predicted in a loop)."""
    _progbar = None

    def __getattr__(self, name):
        return _ignore


def _ignore(*args, **kwargs):
    return None


def call_callbacks(model, callbacks, verbose_level, steps):
    from cnn.callbacks import CallbackList
    if callbacks is None and verbose_level == 0:
        return _NoCallbacks()
    return CallbackList(callbacks, add_progbar=verbose_level != 0, model=model, verbose=verbose_level,
                        epochs=1, steps=steps)


def class_ids(y, n, output_shape):
    """Integer class ids in range for a (n, classes) output, as the core takes them, checked with two
    reductions; None for anything else (then _data.as_targets converts it or explains what is wrong)."""
    if (type(y) is not np.ndarray or y.dtype.kind not in "iu" or len(output_shape) != 2
            or y.shape not in ((n,), (n, 1)) or y.min() < 0 or y.max() >= output_shape[1]):
        return None
    return y.astype(np.float32).reshape(n, 1)


def float_rows(x, tail):
    """A float32 array already shaped (n,) + tail, as a private (n, size) copy checked finite in one
    pass; None for anything else (then _data.as_features converts it, warns on overflow, or explains)."""
    if type(x) is not np.ndarray or x.dtype != np.float32 or x.shape[1:] != tail or not len(x):
        return None
    out = np.array(x.reshape(len(x), -1), order="C")
    return out if np.isfinite(out).all() else None

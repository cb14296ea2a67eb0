"""Shortcuts for the small-model path (a few rows per call, in a loop): each takes the common, already
valid case in a few NumPy calls and returns None for anything else, which then goes the full way
(cnn._data), so conversions, warnings and messages stay the same."""
import numpy as np

from cnn._plan import _stamp


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


# ---------------------------------------------------------------- one C call for a few rows
class Memo:
    """What a full predict, evaluate or train_on_batch call checked and built (its plan, the input's
    shape after the batch axis, the targets' (ndim, last dim) the loss and metrics were resolved for),
    so the next call with arrays of the same kind goes straight to `Plan.rows`. Valid while the plans'
    stamp holds (cnn._plan); compile, a new layer, a new seed or a changed shape clears it."""
    __slots__ = ("plan", "stamp", "tail", "out_shape", "y_key")

    def __init__(self, plan, tail, out_shape, y_key=None):
        self.plan, self.stamp, self.tail, self.out_shape = plan, _stamp(), tuple(tail), tuple(out_shape)
        self.y_key = y_key


def remember(model, kind, plan, y_key=None):
    """After a full call succeeded (model lock held): the memo for the next one. Graph models (several
    inputs or outputs, per-output logs) always take the full path."""
    if getattr(model, "_output_specs", None) is not None:
        return
    model._plans.small[kind] = Memo(plan, model.input_shape[1:], model.output_shape[1:], y_key)


def _memo(model, kind, x):
    memo = model._plans.small.get(kind)
    if memo is None or type(x) is not np.ndarray or x.shape[1:] != memo.tail or memo.stamp != _stamp():
        return None
    entry = model._plans._entries.get(kind)   # a larger batch may have replaced the plan
    return memo if entry is not None and entry.plan is memo.plan else None


def predict_rows(model, x):
    """The outputs for x as one batch in one C call, or None (then the full path runs)."""
    memo = _memo(model, "predict", x)
    out = memo.plan.rows(0, x) if memo is not None else None
    if out is None or len(memo.out_shape) == 1:
        return out
    return out.reshape((len(x),) + memo.out_shape)


def _target_rows(memo, y):
    """y when the core may take it as it is (a NumPy array of the shape the loss and metrics were
    resolved for; the core converts it and checks its values), else None."""
    if type(y) is not np.ndarray or (y.ndim, y.shape[-1] if y.ndim > 1 else 1) != memo.y_key:
        return None
    return y


def loss_rows(model, x, y, train):
    """evaluate (train False) or one training step (True) on x, y as one batch in one C call: the
    core's sums, or None (then the full path runs). A step also moves optimizer.iterations."""
    memo = _memo(model, "train", x)
    if memo is None:
        return None
    ya = _target_rows(memo, y)
    if ya is None:
        return None
    if not train:
        return memo.plan.rows(1, x, ya)
    schedule = model._schedule()
    if schedule is None:   # a rate only Python computes: the full path evaluates it
        return None
    opt = model.optimizer
    try:
        return memo.plan.rows(2, x, ya, opt.iterations, schedule)
    finally:
        if memo.plan.iteration >= 0:
            opt.iterations = memo.plan.iteration

"""The Metric base: a streaming state (a float64 array laid out by the C core, cnn.h "metrics"), updated
by the core's kernels both inside fit (one state per C record, no return to Python per batch) and
standalone (update_state on NumPy arrays); result() is computed from that state."""
import numpy as np

from cnn import _core
from cnn._naming import to_snake_case
from cnn._watched import Watched


def f32(value):
    """Keras's float32 result: a Python float for a scalar, a float32 array otherwise."""
    a = np.asarray(value, dtype=np.float32)
    return float(a) if a.ndim == 0 else a


def div_no_nan(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))


class Metric(Watched):
    """A metric of (y_true, y_pred): subclasses give their C records and the result from the state.

    A metric written in Python, as Keras's guide does, subclasses it and overrides
    `update_state(y_true, y_pred, sample_weight=None)` and `result()` (and `reset_state()`, which by
    default sets every variable made with `add_variable` to zero), keeping its state in variables from
    `add_variable(shape, initializer, name=...)`. Inside `fit` and `evaluate` the C step calls its
    `update_state` on every batch (NumPy arrays); it is reset at the start of each epoch and of each
    evaluation, as Keras does.
    """
    _kind = None              # the C kind (a name in cnn._core.enums["metric"])
    _direction = "up"
    _sparse = False           # y_true holds class ids
    _unwatched = frozenset({"_state", "_cols"})  # running state, not part of the C plan

    def __init__(self, name=None, dtype=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string, got name={name!r}")
        self.name = name or to_snake_case(type(self).__name__)
        self._metric_variables = []
        Metric.reset_state(self)   # a Python subclass makes its variables after this

    def _is_python(self):
        """Written in Python: its own update_state, run by the step through the host (cnn/_hooks.py)."""
        return self._kind is None and type(self).update_state is not Metric.update_state

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A state variable of a metric written in Python (Keras's `Metric.add_variable`)."""
        from cnn import initializers
        from cnn.variables import Variable
        shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
        var = Variable(np.asarray(initializers.get(initializer)(shape), np.float32).reshape(shape),
                       name or f"variable_{len(self._metric_variables)}")
        self._metric_variables.append(var)
        return var

    # ---------------------------------------------------------------- what the core runs
    def c_record(self):
        if self._is_python():
            return {"kind": "python"}
        if self._kind is None:
            raise ValueError(f"the metric {type(self).__name__} has no C kernel: the training step in C runs the "
                             "built-in metrics of cnn.metrics only")
        return {"kind": self._kind}

    def c_records(self):
        """The C records whose states, concatenated, make this metric's state."""
        return [self.c_record()]

    def state_size(self, cols):
        return sum(_core.metric_state_size(r, int(cols)) for r in self.c_records())

    def result_from_state(self, state, cols):
        if self._is_python():   # its state is its own variables
            return f32(np.asarray(self.result(), np.float32))
        raise NotImplementedError

    # ---------------------------------------------------------------- the stateful API
    def reset_state(self):
        self._state = None
        self._cols = None
        for v in getattr(self, "_metric_variables", ()):
            v.assign(np.zeros(v.shape, np.float32))

    def _arrays(self, y_true, y_pred, sample_weight):
        y_pred = np.asarray(y_pred, dtype=np.float32)
        if y_pred.ndim == 0:
            y_pred = y_pred.reshape(1, 1)
        if y_pred.ndim == 1:
            y_pred = y_pred[:, None]
        cols = y_pred.shape[-1]
        y_pred = np.ascontiguousarray(y_pred.reshape(-1, cols))
        y_true = np.asarray(y_true, dtype=np.float32)
        if self._sparse:
            y_true = np.ascontiguousarray(y_true.reshape(-1))
        else:
            if y_true.size != y_pred.size:
                raise ValueError(f"y_true has shape {np.shape(y_true)}, which does not match y_pred's "
                                 f"{y_pred.shape} for metric '{self.name}'")
            y_true = np.ascontiguousarray(y_true.reshape(y_pred.shape))
        w = None
        if sample_weight is not None:   # one weight per sample, repeated over a sample's rows
            w = np.asarray(sample_weight, dtype=np.float32).reshape(-1)
            rows = len(y_pred)
            if w.size == 1:
                w = np.full(rows, w[0], np.float32)
            elif w.size == 0 or rows % w.size:
                raise ValueError(f"sample_weight has {w.size} values for {rows} rows of predictions")
            w = np.ascontiguousarray(np.repeat(w, rows // w.size))
        return y_true, y_pred, w

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds a batch to the state (sample_weight: one weight per sample, or None)."""
        yt, yp, w = self._arrays(y_true, y_pred, sample_weight)
        cols = yp.shape[1]
        if self._cols is not None and cols != self._cols:
            raise ValueError(f"metric '{self.name}' was updated with {self._cols} columns, now {cols}; "
                             "call reset_state() first")
        part = np.concatenate([np.asarray(_core.metric_update(r, yp, yt, w), np.float64)
                               for r in self.c_records()])
        self._state = part if self._state is None else self._state + part
        self._cols = cols

    def result(self):
        if self._state is None:
            return self.result_from_state(np.zeros(self.state_size(self._cols or 1)), self._cols or 1)
        return self.result_from_state(self._state, self._cols)

    def __call__(self, y_true, y_pred, sample_weight=None):
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    @property
    def variables(self):
        return [] if self._state is None else [self._state.copy()]

    def get_config(self):
        return {"name": self.name, "dtype": "float32"}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("dtype", None)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class MeanMetric(Metric):
    """A weighted mean of per-sample values: state (total, count)."""

    def result_from_state(self, state, cols):
        return f32(state[0] / state[1]) if state[1] else 0.0

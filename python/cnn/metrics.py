"""cnn.metrics: streaming metrics (keras.metrics). Inside fit they run in the C core; standalone,
update_state/result/reset_state work on NumPy arrays through the same kernels."""
import numpy as np

from cnn import _core
from cnn._naming import to_snake_case
from cnn._registry import Registry
from cnn._watched import Watched

# the C core's metric names (cnn._core.enums["metric"])
BINARY_ACCURACY, CATEGORICAL_ACCURACY, SPARSE_CATEGORICAL_ACCURACY, MAE, MSE = (
    "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "mae", "mse")


class Metric(Watched):
    """A mean of per-sample values: total / count (weighted by sample_weight)."""
    _kind = None
    _direction = "up"
    _unwatched = frozenset({"_total", "_count"})  # running sums, not part of the C plan

    def __init__(self, name=None, dtype=None):
        self.name = name or _default_name(type(self))
        self.reset_state()

    def reset_state(self):
        self._total = 0.0
        self._count = 0.0

    def c_record(self):
        return {"kind": self._kind, "threshold": float(getattr(self, "threshold", 0.5))}

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(y_pred, dtype=np.float32)
        if y_pred.ndim == 1:
            y_pred = y_pred[:, None]
        y_pred = y_pred.reshape(y_pred.shape[0], -1)
        y_true = np.asarray(y_true, dtype=np.float32)
        if self._kind == SPARSE_CATEGORICAL_ACCURACY:
            y_true = y_true.reshape(-1)
        else:
            y_true = y_true.reshape(y_pred.shape) if y_true.size == y_pred.size else y_true
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float32).reshape(-1)
        total, count = _core.metric_update(self.c_record(), y_pred, y_true, w)
        self._total += total
        self._count += count

    def _accumulate(self, total, count):
        self._total += total
        self._count += count

    def result(self):
        return float(np.float32(self._total / self._count)) if self._count else 0.0

    def __call__(self, y_true, y_pred, sample_weight=None):
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": "float32"}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("dtype", None)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class BinaryAccuracy(Metric):
    _kind = BINARY_ACCURACY

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        self.threshold = float(threshold)
        super().__init__(name)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class CategoricalAccuracy(Metric):
    _kind = CATEGORICAL_ACCURACY


class SparseCategoricalAccuracy(Metric):
    _kind = SPARSE_CATEGORICAL_ACCURACY


class MeanAbsoluteError(Metric):
    _kind = MAE
    _direction = "down"


class MeanSquaredError(Metric):
    _kind = MSE
    _direction = "down"


class RootMeanSquaredError(MeanSquaredError):
    """sqrt of the mean squared error over everything seen (not a mean of batch RMSEs)."""

    def result(self):
        return float(np.sqrt(np.float32(self._total / self._count))) if self._count else 0.0


def _default_name(cls):
    return to_snake_case(cls.__name__)


_registry = Registry("metric", "keras.metrics")
_registry.register_classes((BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, MeanAbsoluteError,
                            MeanSquaredError, RootMeanSquaredError), snake=True)
_registry.register(MeanAbsoluteError, "mae", "MAE")
_registry.register(MeanSquaredError, "mse", "MSE")


def accuracy_for(y_true_shape, y_pred_shape, name):
    """Keras's shape-based choice behind 'accuracy' / 'acc' (keras/src/trainers/compile_utils.py)."""
    if y_pred_shape[-1] == 1:
        return BinaryAccuracy(name=name)
    if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1):
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def get(identifier, y_true_shape=None, y_pred_shape=None):
    """A metric object from a name or object; 'accuracy'/'acc' need the shapes. The metric's name (the
    history key) is the exact string given."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            if y_pred_shape is None:
                raise ValueError("'accuracy' is chosen from the shapes of the data; call it inside compile")
            return accuracy_for(y_true_shape, y_pred_shape, identifier)
        cls = _registry.require(identifier, message=(
            f"Unknown or unsupported metric {identifier!r}. Supported: 'accuracy', 'acc', "
            + ", ".join(repr(k) for k in _registry.names())))
        return cls(name=identifier)
    raise TypeError(f"a metric must be a string or a cnn.metrics.Metric, got {identifier!r}")


def serialize(metric):
    return {"class_name": type(metric).__name__, "config": metric.get_config()}

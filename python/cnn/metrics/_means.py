"""Mean metrics: accuracies, regression errors and the probabilistic ones (Keras 3's definitions; their
per-sample values are computed by the core, the losses' metrics by the loss kernels)."""
import numpy as np

from cnn.metrics._base import MeanMetric, Metric, f32


class Accuracy(MeanMetric):
    """How often predictions equal labels (element-wise)."""
    _kind = "accuracy"


class BinaryAccuracy(MeanMetric):
    """How often predictions > threshold match binary labels."""
    _kind = "binary_accuracy"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        self.threshold = float(threshold)
        super().__init__(name, dtype)

    def c_record(self):
        return {"kind": self._kind, "threshold": self.threshold}

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class CategoricalAccuracy(MeanMetric):
    """How often argmax(y_pred) equals argmax(y_true) (one-hot labels)."""
    _kind = "categorical_accuracy"


class SparseCategoricalAccuracy(MeanMetric):
    """How often argmax(y_pred) equals the integer label."""
    _kind = "sparse_categorical_accuracy"
    _sparse = True


class TopKCategoricalAccuracy(MeanMetric):
    """How often the true class (one-hot) is among the k highest scores (ties count as in)."""
    _kind = "top_k"

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive integer, got k={k!r}")
        self.k = int(k)
        super().__init__(name, dtype)

    def c_record(self):
        return {"kind": self._kind, "top_k": self.k}

    def get_config(self):
        return {**super().get_config(), "k": self.k}


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """How often the integer label is among the k highest scores."""
    _kind = "sparse_top_k"
    _sparse = True

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        if from_sorted_ids:
            raise ValueError("from_sorted_ids=True is not supported: pass the scores")
        super().__init__(k, name, dtype)


class MeanAbsoluteError(MeanMetric):
    """Mean of |y_true - y_pred|."""
    _kind = "mae"
    _direction = "down"


class MeanSquaredError(MeanMetric):
    """Mean of (y_true - y_pred)^2."""
    _kind = "mse"
    _direction = "down"


class RootMeanSquaredError(MeanSquaredError):
    """sqrt of the mean squared error over everything seen (not a mean of batch RMSEs)."""

    def result_from_state(self, state, cols):
        return f32(np.sqrt(np.float32(state[0] / state[1]))) if state[1] else 0.0


class LossMetric(MeanMetric):
    """The mean of a loss's per-sample values (the loss kernels of the core)."""
    _kind = "loss"
    _loss = None
    _direction = "down"
    _sign = 1.0

    def __init__(self, name=None, dtype=None, from_logits=False, label_smoothing=0.0):
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        super().__init__(name, dtype)

    def c_record(self):
        return {"kind": "loss", "loss": self._loss, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}

    def result_from_state(self, state, cols):
        return f32(self._sign * state[0] / state[1]) if state[1] else 0.0


def _loss_metric(class_name, loss, default_name, doc, args=(), direction="down", sign=1.0, sparse=False):
    """A LossMetric subclass taking Keras's constructor arguments `args` (a subset of from_logits,
    label_smoothing)."""

    def __init__(self, name=default_name, dtype=None, **kw):
        unknown = set(kw) - set(args)
        if unknown:
            raise TypeError(f"{class_name}() got an unexpected argument {sorted(unknown)[0]!r}")
        LossMetric.__init__(self, name, dtype, **kw)

    def get_config(self):
        return {**Metric.get_config(self), **{a: getattr(self, a) for a in args}}

    return type(class_name, (LossMetric,), {"__init__": __init__, "get_config": get_config, "__doc__": doc,
                                            "_loss": loss, "_direction": direction, "_sign": sign,
                                            "_sparse": sparse, "__module__": __name__})


MeanAbsolutePercentageError = _loss_metric("MeanAbsolutePercentageError", "mape", "mean_absolute_percentage_error",
                                           "Mean of 100 * |y_true - y_pred| / max(|y_true|, eps).")
MeanSquaredLogarithmicError = _loss_metric("MeanSquaredLogarithmicError", "msle", "mean_squared_logarithmic_error",
                                           "Mean of (log(1 + y_true) - log(1 + y_pred))^2.")
LogCoshError = _loss_metric("LogCoshError", "log_cosh", "logcosh", "Mean of log(cosh(y_pred - y_true)).")
CosineSimilarity = _loss_metric("CosineSimilarity", "cosine", "cosine_similarity",
                                "Mean cosine similarity between y_true and y_pred rows.", direction="up",
                                sign=-1.0)
BinaryCrossentropy = _loss_metric("BinaryCrossentropy", "bce", "binary_crossentropy",
                                  "Mean binary crossentropy.", ("from_logits", "label_smoothing"))
CategoricalCrossentropy = _loss_metric("CategoricalCrossentropy", "cce", "categorical_crossentropy",
                                       "Mean categorical crossentropy (one-hot labels).",
                                       ("from_logits", "label_smoothing"))
SparseCategoricalCrossentropy = _loss_metric("SparseCategoricalCrossentropy", "scce",
                                             "sparse_categorical_crossentropy",
                                             "Mean crossentropy with integer labels.", ("from_logits",), sparse=True)
Hinge = _loss_metric("Hinge", "hinge", "hinge", "Mean of max(1 - y_true * y_pred, 0) (labels -1/1 or 0/1).")
SquaredHinge = _loss_metric("SquaredHinge", "squared_hinge", "squared_hinge", "Mean of max(1 - y_true * y_pred, 0)^2.")
CategoricalHinge = _loss_metric("CategoricalHinge", "categorical_hinge", "categorical_hinge",
                                "Mean of max(0, max(neg) - pos + 1).")
KLDivergence = _loss_metric("KLDivergence", "kld", "kl_divergence", "Mean Kullback-Leibler divergence.")
Poisson = _loss_metric("Poisson", "poisson", "poisson", "Mean of y_pred - y_true * log(y_pred).")


class R2Score(Metric):
    """The coefficient of determination (per output, averaged as class_aggregation says)."""
    _kind = "r2"

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError("Invalid value for argument `class_aggregation`. Expected one of (None, "
                             f"'uniform_average', 'variance_weighted_average'). Received: "
                             f"class_aggregation={class_aggregation!r}")
        if num_regressors < 0:
            raise ValueError(f"Invalid value for argument `num_regressors`. Expected a value >= 0. "
                             f"Received: num_regressors={num_regressors!r}")
        self.class_aggregation = class_aggregation
        self.num_regressors = int(num_regressors)
        super().__init__(name, dtype)

    def result_from_state(self, state, cols):
        s, sq, res, count = (state[k * cols:(k + 1) * cols] for k in range(4))
        n = state[4 * cols]
        with np.errstate(divide="ignore", invalid="ignore"):
            total = sq - s * (s / count)
            raw = 1.0 - res / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            r2 = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            r2 = (total * raw).sum() / total.sum()
        else:
            r2 = raw
        p = self.num_regressors
        if p and p < n - 1:
            r2 = 1.0 - (1.0 - r2) * (n - 1.0) / (n - p - 1.0)
        return f32(r2)

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


class Mean(Metric):
    """The weighted mean of the values given (standalone only: update_state(values, sample_weight))."""

    def update_state(self, values, sample_weight=None):
        v = np.asarray(values, np.float64)
        n = v.shape[0] if v.ndim else 1
        per = v.reshape(n, -1).mean(axis=1) if v.ndim > 1 else v.reshape(-1)
        w = np.ones(n) if sample_weight is None else np.broadcast_to(
            np.asarray(sample_weight, np.float64).reshape(-1), (n,))
        add = np.array([(per * w).sum(), w.sum()])
        self._state = add if self._state is None else self._state + add
        self._cols = 1

    def result(self):
        s = self._state
        return 0.0 if s is None or not s[1] else f32(s[0] / s[1])

    def __call__(self, values, sample_weight=None):
        self.update_state(values, sample_weight)
        return self.result()

    def c_records(self):
        raise ValueError(f"{type(self).__name__} takes values, not (y_true, y_pred): it cannot be compiled")


class Sum(Mean):
    """The weighted sum of the values given (standalone only)."""

    def update_state(self, values, sample_weight=None):
        v = np.asarray(values, np.float64)
        w = 1.0 if sample_weight is None else np.asarray(sample_weight, np.float64)
        if np.ndim(w):   # one weight per sample, over the sample's values
            w = w.reshape(w.shape + (1,) * (v.ndim - w.ndim))
        add = np.array([(v * w).sum(), 1.0])
        self._state = add if self._state is None else self._state + add
        self._cols = 1

    def result(self):
        return 0.0 if self._state is None else f32(self._state[0])

"""cnn.metrics: streaming metrics (keras.metrics). Inside fit they run in the C core as streaming state
(cnn.h, "metrics"); standalone, update_state/result/reset_state work on NumPy arrays through the same
kernels. Also the plain metric functions, and the evaluation tools (confusion_matrix, ...)."""
from cnn._registry import Registry
from cnn.metrics._at import PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity
from cnn.metrics._base import MeanMetric, Metric
from cnn.metrics._confusion import (
    AUC,
    F1Score,
    FalseNegatives,
    FalsePositives,
    FBetaScore,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from cnn.metrics._functions import (
    binary_accuracy,
    binary_crossentropy,
    categorical_accuracy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    kl_divergence,
    kld,
    log_cosh,
    logcosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    poisson,
    sparse_categorical_accuracy,
    sparse_categorical_crossentropy,
    sparse_top_k_categorical_accuracy,
    squared_hinge,
    top_k_categorical_accuracy,
)
from cnn.metrics._means import (
    Accuracy,
    BinaryAccuracy,
    BinaryCrossentropy,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    Mean,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    R2Score,
    RootMeanSquaredError,
    SparseCategoricalAccuracy,
    SparseCategoricalCrossentropy,
    SparseTopKCategoricalAccuracy,
    SquaredHinge,
    Sum,
    TopKCategoricalAccuracy,
)
from cnn.metrics._wrapper import MeanMetricWrapper
from cnn.metrics.evaluation import (
    auc,
    classification_report,
    confusion_matrix,
    log_loss,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)
from cnn.metrics.plotting import plot_confusion_matrix, plot_history, plot_roc_curve

__all__ = [
    "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity", "SpecificityAtSensitivity",
    "AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy", "CategoricalCrossentropy",
    "CategoricalHinge", "CosineSimilarity", "F1Score", "FBetaScore", "FalseNegatives", "FalsePositives", "Hinge",
    "KLDivergence", "LogCoshError", "Mean", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanMetric",
    "MeanMetricWrapper",
    "MeanSquaredError", "MeanSquaredLogarithmicError", "Metric", "Poisson", "Precision", "R2Score", "Recall",
    "RootMeanSquaredError", "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy", "SquaredHinge", "Sum", "TopKCategoricalAccuracy", "TrueNegatives",
    "TruePositives", "binary_accuracy", "binary_crossentropy", "categorical_accuracy", "categorical_crossentropy",
    "categorical_hinge", "cosine_similarity", "hinge", "kl_divergence", "kld", "log_cosh", "logcosh", "mae", "mape",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "mse", "msle", "poisson", "sparse_categorical_accuracy", "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy", "squared_hinge", "top_k_categorical_accuracy",
    "auc", "classification_report", "confusion_matrix", "log_loss", "precision_recall_curve", "roc_auc_score",
    "roc_curve", "plot_confusion_matrix", "plot_history", "plot_roc_curve",
    "accuracy_for", "get", "serialize", "deserialize", "result_keys",
]

# the C core's names of the first metric kinds (cnn._core.enums["metric"])
BINARY_ACCURACY, CATEGORICAL_ACCURACY, SPARSE_CATEGORICAL_ACCURACY, MAE, MSE = (
    "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "mae", "mse")

_CLASSES = (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
            SparseTopKCategoricalAccuracy, MeanAbsoluteError, MeanSquaredError, RootMeanSquaredError,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, LogCoshError, CosineSimilarity, R2Score,
            BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Hinge, SquaredHinge,
            CategoricalHinge, KLDivergence, Poisson, Precision, Recall, AUC, TruePositives, FalsePositives,
            TrueNegatives, FalseNegatives, F1Score, FBetaScore, Mean, Sum, PrecisionAtRecall, RecallAtPrecision,
            SensitivityAtSpecificity, SpecificityAtSensitivity)

_registry = Registry("metric", "keras.metrics")
_registry.register_classes(_CLASSES, snake=True)
# Keras's function names and aliases resolve to the metric computing them
for _cls, _names in ((MeanAbsoluteError, ("mae", "MAE", "mean_absolute_error")),
                     (MeanSquaredError, ("mse", "MSE", "mean_squared_error")),
                     (MeanAbsolutePercentageError, ("mape", "MAPE", "mean_absolute_percentage_error")),
                     (MeanSquaredLogarithmicError, ("msle", "MSLE", "mean_squared_logarithmic_error")),
                     (LogCoshError, ("logcosh", "log_cosh")), (KLDivergence, ("kld", "KLD", "kl_divergence")),
                     (BinaryCrossentropy, ("bce", "binary_crossentropy")),
                     (CategoricalCrossentropy, ("categorical_crossentropy",)),
                     (SparseCategoricalCrossentropy, ("sparse_categorical_crossentropy",)),
                     (TopKCategoricalAccuracy, ("top_k_categorical_accuracy",)),
                     (SparseTopKCategoricalAccuracy, ("sparse_top_k_categorical_accuracy",)),
                     (CosineSimilarity, ("cosine_similarity",)), (AUC, ("auc", "AUC"))):
    _registry.register(_cls, *_names)


def accuracy_for(y_true_shape, y_pred_shape, name):
    """Keras's shape-based choice behind 'accuracy' / 'acc' (keras/src/trainers/compile_utils.py)."""
    if y_pred_shape[-1] == 1:
        return BinaryAccuracy(name=name)
    if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1):
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def get(identifier, y_true_shape=None, y_pred_shape=None):
    """A metric object from a name or object; 'accuracy'/'acc' (any case) need the shapes. The metric's
    name (the history key) is the exact string given."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc"):
            if y_pred_shape is None:
                raise ValueError(f"{identifier!r} is chosen from the shapes of the data; call it inside compile")
            return accuracy_for(y_true_shape, y_pred_shape, identifier)
        cls = _registry.require(identifier, message=(
            f"Unknown or unsupported metric {identifier!r}. Supported: 'accuracy', 'acc', "
            + ", ".join(repr(k) for k in _registry.names())))
        return cls(name=identifier)
    if callable(identifier) and not isinstance(identifier, type):
        name = getattr(identifier, "__name__", None)
        builtin = _registry.lookup(name, {}) if name and getattr(identifier, "__module__", "").startswith("cnn.") \
            else None
        if isinstance(builtin, type) and issubclass(builtin, Metric):
            return builtin(name=name)   # cnn.metrics.mae and friends run in C
        return MeanMetricWrapper(identifier, name=name)   # a user's function: its values come from Python
    raise TypeError(f"a metric must be a string, a function or a cnn.metrics.Metric, got {identifier!r}")


def serialize(metric):
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config, custom_objects=None):
    cls = _registry.require(config["class_name"], custom_objects)
    return cls.from_config(config.get("config", {}))


def result_keys(metrics, weighted):
    """Keras 3's log keys (CompileMetrics.result): a repeated name gets _1, _2, ...; a weighted metric
    whose name is taken becomes weighted_<name>."""
    seen, keys = {}, []
    for m, w in zip(metrics, weighted):
        name = m.name
        if name in seen and w:
            name = f"weighted_{m.name}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name] - 1}"
        else:
            seen[name] = 1
        keys.append(name)
    return keys

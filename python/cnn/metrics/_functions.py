"""The plain metric functions of keras.metrics: per-sample values as a float32 NumPy array."""
import numpy as np

from cnn import losses as _losses


def _pair(y_true, y_pred):
    return np.asarray(y_true, np.float32), np.asarray(y_pred, np.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true, y_pred = _pair(y_true, y_pred)
    return np.mean(y_true == (y_pred > np.float32(threshold)), axis=-1).astype(np.float32)


def categorical_accuracy(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return (np.argmax(y_true, -1) == np.argmax(y_pred, -1)).astype(np.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return (y_true.reshape(-1) == np.argmax(y_pred, -1).reshape(-1)).astype(np.float32)


def _in_top_k(target, y_pred, k):
    score = np.take_along_axis(y_pred, target.astype(np.int64)[:, None], axis=-1)
    return ((y_pred > score).sum(axis=-1) < k).astype(np.float32)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true, y_pred = _pair(y_true, y_pred)
    return _in_top_k(np.argmax(y_true, -1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true, y_pred = _pair(y_true, y_pred)
    return _in_top_k(y_true.reshape(-1), y_pred, k)


def cosine_similarity(y_true, y_pred, axis=-1):
    return -np.asarray(_losses.cosine_similarity(y_true, y_pred, axis=axis), np.float32)


mean_squared_error = mse = _losses.mean_squared_error
mean_absolute_error = mae = _losses.mean_absolute_error
mean_absolute_percentage_error = mape = _losses.mean_absolute_percentage_error
mean_squared_logarithmic_error = msle = _losses.mean_squared_logarithmic_error
binary_crossentropy = _losses.binary_crossentropy
categorical_crossentropy = _losses.categorical_crossentropy
sparse_categorical_crossentropy = _losses.sparse_categorical_crossentropy
hinge = _losses.hinge
squared_hinge = _losses.squared_hinge
categorical_hinge = _losses.categorical_hinge
log_cosh = logcosh = _losses.log_cosh
kl_divergence = kld = _losses.kl_divergence
poisson = _losses.poisson

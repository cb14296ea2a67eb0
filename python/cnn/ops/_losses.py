"""Crossentropies as keras.ops has them, and cnn.losses' built-in per-sample losses on a recorded tensor
(a weighted loss that calls `losses.binary_crossentropy(y_true, y_pred)` inside): the same Keras 3
formulas written with cnn.ops, since the C kernels cannot be recorded."""
from cnn.ops import _math as m
from cnn.ops import _reduce as r
from cnn.ops import _shape as s
from cnn.ops._tape import lift, value_of

EPSILON = 1e-7


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise, as keras.ops.binary_crossentropy (probabilities clipped to [1e-7, 1 - 1e-7])."""
    target, output = m.convert_to_tensor(target), m.convert_to_tensor(output)
    if from_logits:   # max(z, 0) - z y + log(1 + exp(-|z|))
        return m.relu(output) - output * target + m.log1p(m.exp(-m.abs(output)))
    p = m.clip(output, EPSILON, 1.0 - EPSILON)
    return -(target * m.log(p) + (1.0 - target) * m.log(1.0 - p))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Per sample (summed over `axis`), as keras.ops.categorical_crossentropy."""
    target, output = m.convert_to_tensor(target), m.convert_to_tensor(output)
    if from_logits:
        log_prob = r.log_softmax(output, axis)
    else:
        p = output / r.sum(output, axis=axis, keepdims=True)
        log_prob = m.log(m.clip(p, EPSILON, 1.0 - EPSILON))
    return -r.sum(target * log_prob, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Integer class ids `target`, as keras.ops.sparse_categorical_crossentropy."""
    ids = value_of(lift(target))
    if ids.ndim == len(s.shape(output)) and ids.shape[-1] == 1:
        ids = ids[..., 0]
    classes = s.shape(output)[axis]
    return categorical_crossentropy(s.one_hot(ids, classes, axis=axis, dtype=value_of(lift(output)).dtype),
                                    output, from_logits, axis)


def _same_rank(y_true, y_pred):
    yt, yp = len(s.shape(y_true)), len(s.shape(y_pred))
    if yt == yp - 1:
        return s.expand_dims(y_true, -1)
    if yt == yp + 1 and s.shape(y_true)[-1] == 1:
        return s.squeeze(y_true, -1)
    return y_true


def _hinge_labels(y_true):
    v = value_of(y_true)
    binary = ((v == 0) | (v == 1)).all()
    return 2.0 * y_true - 1.0 if binary else y_true


def _l2_normalize(x, axis):
    return x / m.sqrt(m.maximum(r.sum(m.square(x), axis=axis, keepdims=True), 1e-12))


def per_sample(kind, y_true, y_pred, from_logits=False, label_smoothing=0.0, delta=1.0, axis=-1):
    """cnn.losses' per-sample loss `kind` (a cnn.losses.LossKind value) with cnn.ops."""
    kind = getattr(kind, "value", kind)
    y_pred = m.convert_to_tensor(y_pred)
    if kind == "scce":
        return sparse_categorical_crossentropy(y_true, y_pred, from_logits, axis)
    y_true = m.cast(_same_rank(lift(y_true), y_pred), value_of(y_pred).dtype)
    err = y_pred - y_true
    if kind == "mse":
        return r.mean(m.square(err), axis=-1)
    if kind == "mae":
        return r.mean(m.abs(err), axis=-1)
    if kind == "mape":
        return 100.0 * r.mean(m.abs(err / m.maximum(m.abs(y_true), EPSILON)), axis=-1)
    if kind == "msle":
        return r.mean(m.square(m.log(m.maximum(y_pred, EPSILON) + 1.0) - m.log(m.maximum(y_true, EPSILON) + 1.0)),
                      axis=-1)
    if kind == "bce":
        if label_smoothing:
            y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
        return r.mean(binary_crossentropy(y_true, y_pred, from_logits), axis=-1)
    if kind == "cce":
        if label_smoothing:
            y_true = y_true * (1.0 - label_smoothing) + label_smoothing / s.shape(y_pred)[-1]
        return categorical_crossentropy(y_true, y_pred, from_logits, axis)
    if kind in ("hinge", "squared_hinge"):
        margin = m.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0)
        return r.mean(margin if kind == "hinge" else m.square(margin), axis=-1)
    if kind == "categorical_hinge":
        pos = r.sum(y_true * y_pred, axis=-1)
        neg = r.max((1.0 - y_true) * y_pred, axis=-1)
        return m.maximum(neg - pos + 1.0, 0.0)
    if kind == "huber":
        small = m.abs(err) <= delta
        return r.mean(m.where(small, 0.5 * m.square(err), delta * m.abs(err) - 0.5 * delta * delta), axis=-1)
    if kind == "log_cosh":
        return r.mean(err + m.softplus(-2.0 * err) - m.log(2.0), axis=-1)
    if kind == "kld":
        t, p = m.clip(y_true, EPSILON, 1.0), m.clip(y_pred, EPSILON, 1.0)
        return r.sum(t * m.log(t / p), axis=-1)
    if kind == "poisson":
        return r.mean(y_pred - y_true * m.log(y_pred + EPSILON), axis=-1)
    if kind == "cosine":
        return -r.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)
    raise NotImplementedError(f"loss {kind!r} has no cnn.ops formula")

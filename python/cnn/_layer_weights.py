"""Regularizers, clipnorm and constraints on the weights of a layer written in Python.

The C core sees such a layer's trainable weights as one span (its kernel span), so it cannot tell the
tensors apart; the host does it, called from the step at the points Keras applies each (csrc/layers/
python.c, own_weights): the penalty with the loss, the penalty gradients and then Keras's clipnorm
per tensor before the update, the constraints after it. The built-in L1/L2/L1L2 use the core's own
formulas, so a Python Dense matches the built-in one to float32 rounding; any other regularizer must
be written with `cnn.ops` (its gradient is recorded), as under Keras's autodiff backends.
"""
import numpy as np


def _weights(layer, flat):
    """(variable, its view in flat: a span of the layer's trainable weights) for each trainable weight."""
    spans = layer._host_spans
    for v in layer.trainable_weights:
        start, size = spans[id(v)]
        yield v, flat[start:start + size]


def _l1l2(reg):
    """(l1, l2) of a regularizer the core computes (L1, L2, L1L2 not redefined), else None."""
    from cnn.regularizers import Regularizer
    record = reg.c_record() if isinstance(reg, Regularizer) else None
    return None if record is None else (np.float32(record["l1"]), np.float32(record["l2"]))


def _scalar(value, reg, layer, v):
    a = np.asarray(value, dtype=np.float64)
    if a.size != 1:
        raise ValueError(f"layer '{layer.name}': the regularizer {reg!r} of its weight '{v.name}' returned "
                         f"an array of shape {a.shape}; a regularizer returns one number")
    return float(a.reshape(()))


def penalty(layer, out, params):
    """Adds the penalties of the layer's trainable weights (Keras's layer.losses) to out[0, 0]."""
    total = 0.0
    for v, w in _weights(layer, params):
        reg = getattr(v, "regularizer", None)
        if reg is not None:
            w = w.reshape(v.shape)
            w.flags.writeable = False
            total += _scalar(reg(w), reg, layer, v)
    out[0, 0] += total


def _penalty_grad(reg, w, layer, v):
    coefs = _l1l2(reg)
    if coefs is not None:   # the core's cnn_l1l2_grad, in float32
        l1, l2 = coefs
        return l1 * np.sign(w) + (np.float32(2.0) * l2) * w
    from cnn import ops
    value, (g,) = ops.value_and_grad(reg, [w], wrt=(0,))
    _scalar(value, reg, layer, v)
    return np.asarray(g, dtype=np.float32).reshape(w.shape)


def _clip(g, clipnorm):
    """Keras's clipnorm on one tensor, as the core's clip_tensor_norm."""
    norm = np.float32(np.sqrt(np.dot(g.astype(np.float64), g.astype(np.float64))))
    if norm > clipnorm:
        g *= np.float32(clipnorm) / norm


def gradients(layer, grads, params, clipnorm):
    """Adds the penalty gradients to the layer's weight gradients, then clips each tensor's to clipnorm."""
    clipnorm = np.float32(clipnorm)
    for (v, g), (_, w) in zip(_weights(layer, grads), _weights(layer, params)):
        reg = getattr(v, "regularizer", None)
        if reg is not None:
            w = w.copy()
            g += _penalty_grad(reg, w, layer, v).reshape(-1)
        if clipnorm > 0:
            _clip(g, clipnorm)


def constrain(layer, params):
    """Applies each trainable weight's constraint after the update (all computed before any is written,
    so a constraint that raises leaves the weights as the optimizer left them)."""
    new = []
    for v, w in _weights(layer, params):
        con = getattr(v, "constraint", None)
        if con is not None:
            value = np.asarray(con(w.reshape(v.shape).copy()), dtype=np.float32)
            if value.size != w.size:
                raise ValueError(f"layer '{layer.name}': the constraint {con!r} of its weight '{v.name}' "
                                 f"returned an array of shape {value.shape}; expected {tuple(v.shape)}")
            new.append((w, value.reshape(-1)))
    for w, value in new:
        w[...] = value


def check(layer):
    """Refuses, before training, a regularizer whose gradient cnn cannot get (plain NumPy)."""
    from cnn import ops
    for v in layer.trainable_weights:
        reg = getattr(v, "regularizer", None)
        if reg is None or _l1l2(reg) is not None:
            continue
        if not ops.is_recordable(reg, [v.numpy()]):
            raise ValueError(
                f"layer '{layer.name}': cnn cannot differentiate the regularizer {reg!r} of its weight "
                f"'{v.name}': write it with cnn.ops (e.g. `lambda w: 0.01 * ops.sum(ops.square(w))`) or use "
                "cnn.regularizers.L1, L2 or L1L2")


def flags(layer):
    """The python record's fields: whether some trainable weight has a regularizer, a constraint."""
    ws = layer.trainable_weights
    return {"penalties": any(getattr(v, "regularizer", None) is not None for v in ws),
            "constraints": any(getattr(v, "constraint", None) is not None for v in ws)}

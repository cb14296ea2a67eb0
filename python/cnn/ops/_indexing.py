"""Indexing with integer tensors (take_along_axis, take): what a student's own sparse categorical
crossentropy needs to pick each sample's predicted probability of its true class."""
import numpy as np

from cnn.ops._tape import lift, node, value_of


def _indices(indices, op):
    """indices as an integer array; float class ids (Keras gives y_true as float32) must be cast first."""
    ids = np.asarray(value_of(lift(indices)))
    if not (np.issubdtype(ids.dtype, np.integer) or ids.dtype == np.bool_):
        raise TypeError(f"ops.{op}: indices must be integers, received dtype {ids.dtype} (shape {ids.shape}); "
                        "cast class ids first, e.g. ops.cast(y_true, 'int32'). One-hot labels are not ids: "
                        "use ops.argmax(y_true, axis=-1) or a crossentropy written with them")
    return ids


def _in_range(ids, n, op):
    """ids checked against an axis of size n, negative ones counted from its end."""
    if ids.size and (ids.min() < -n or ids.max() >= n):
        bad = ids[(ids < -n) | (ids >= n)].ravel()[0]
        raise ValueError(f"ops.{op}: index {int(bad)} is out of range for an axis of size {n}")
    return np.where(ids < 0, ids + n, ids)


def take_along_axis(x, indices, axis=None):
    """keras.ops.take_along_axis: x's values at `indices` along `axis` (np.take_along_axis); the
    gradient goes back to the elements taken."""
    x = lift(x)
    v = np.asarray(value_of(x))
    ids = _indices(indices, "take_along_axis")
    if axis is None:
        v_axis, ax = v.reshape(-1), 0
    else:
        if ids.ndim != v.ndim:
            raise ValueError(f"ops.take_along_axis: indices have {ids.ndim} dimension(s) (shape {ids.shape}), x has "
                             f"{v.ndim} (shape {v.shape}); they must match (e.g. y[:, None] for one id per row)")
        v_axis, ax = v, int(axis) % max(v.ndim, 1)
        if any(i != ax and a != b and 1 not in (a, b) for i, (a, b) in enumerate(zip(ids.shape, v.shape))):
            raise ValueError(f"ops.take_along_axis: indices of shape {ids.shape} do not match x of shape {v.shape} "
                             f"outside axis {axis} (one row of indices per row of x). If the labels are one-hot "
                             "rows rather than class ids, take ops.argmax(y_true, axis=-1) first, or fit "
                             "with integer labels of shape (n,) or (n, 1)")
    ids = _in_range(ids, v_axis.shape[ax], "take_along_axis")
    out = np.take_along_axis(v_axis, ids, axis=ax)

    def grad(g):
        full = np.zeros_like(v_axis)
        idx = list(np.indices(ids.shape, sparse=True))
        idx[ax] = ids
        np.add.at(full, tuple(idx), g)   # a repeated index collects every gradient sent to it
        return full.reshape(v.shape)
    return node(out, (x,), (grad,))


def take(x, indices, axis=None):
    """keras.ops.take: x's slices at `indices` along `axis` (flattened x when axis is None)."""
    x = lift(x)
    v = np.asarray(value_of(x))
    ids = _indices(indices, "take")
    flat = axis is None
    src = v.reshape(-1) if flat else v
    ax = 0 if flat else int(axis) % max(v.ndim, 1)
    ids = _in_range(ids, src.shape[ax], "take")
    out = np.take(src, ids, axis=ax)

    def grad(g):
        full = np.zeros_like(src)
        moved = np.moveaxis(full, ax, 0)
        np.add.at(moved, ids, np.moveaxis(g, tuple(range(ax, ax + ids.ndim)), tuple(range(ids.ndim))))
        return full.reshape(v.shape)
    return node(out, (x,), (grad,))

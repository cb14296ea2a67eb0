"""Shape ops (reshape, transpose, expand_dims, squeeze, concatenate, stack, indexing), matmul, and the
constants (ones_like, one_hot, ...) that carry no gradient."""
import numpy as np

from cnn.ops._tape import Tensor, lift, node, value_of


def shape(x):
    return tuple(np.shape(value_of(lift(x))))


def reshape(x, newshape):
    x = lift(x)
    v = np.asarray(value_of(x))
    return node(np.reshape(v, newshape), (x,), (lambda g: np.reshape(g, v.shape),))


def transpose(x, axes=None):
    x = lift(x)
    v = np.asarray(value_of(x))
    perm = tuple(reversed(range(v.ndim))) if axes is None else tuple(int(a) % v.ndim for a in axes)
    return node(np.transpose(v, perm), (x,), (lambda g: np.transpose(g, np.argsort(perm)),))


def expand_dims(x, axis):
    x = lift(x)
    v = np.asarray(value_of(x))
    return node(np.expand_dims(v, axis), (x,), (lambda g: np.reshape(g, v.shape),))


def squeeze(x, axis=None):
    x = lift(x)
    v = np.asarray(value_of(x))
    return node(np.squeeze(v, axis), (x,), (lambda g: np.reshape(g, v.shape),))


def concatenate(xs, axis=0):
    xs = [lift(x) for x in xs]
    vs = [np.asarray(value_of(x)) for x in xs]
    cuts = np.cumsum([v.shape[axis] for v in vs])[:-1]
    return node(np.concatenate(vs, axis=axis), xs,
                [lambda g, i=i: np.split(g, cuts, axis=axis)[i] for i in range(len(xs))])


def stack(xs, axis=0):
    return concatenate([expand_dims(x, axis) for x in xs], axis=axis)


def get_item(x, key):
    """x[key] (the operator t[...]); the gradient lands on the selected elements."""
    x = lift(x)
    v = np.asarray(value_of(x))
    key = tuple(value_of(k) for k in key) if isinstance(key, tuple) else value_of(key)

    def grad(g):
        out = np.zeros_like(v)
        np.add.at(out, key, g)   # repeated indices accumulate
        return out
    return node(v[key], (x,), (grad,))


def matmul(a, b):
    """NumPy's matmul (batched, 1-D operands promoted); gradients reduce the broadcast batch axes."""
    a, b = lift(a), lift(b)
    va, vb = np.asarray(value_of(a)), np.asarray(value_of(b))
    if va.ndim == 0 or vb.ndim == 0:
        raise ValueError(f"ops.matmul needs tensors of at least one dimension, received shapes {va.shape} "
                         f"and {vb.shape}")

    def t(m):
        return np.swapaxes(m, -1, -2)

    def grad_a(g):
        if vb.ndim == 1:
            return g[..., None] * vb if va.ndim > 1 else g * vb
        if va.ndim == 1:
            return (g[..., None, :] @ t(vb))[..., 0, :]
        return g @ t(vb)

    def grad_b(g):
        if va.ndim == 1:
            return va[:, None] * g[..., None, :] if vb.ndim > 1 else g * va
        if vb.ndim == 1:
            return (t(va) @ g[..., None])[..., 0]
        return t(va) @ g
    return node(np.matmul(va, vb), (a, b), (grad_a, grad_b))


def dot(a, b):
    """keras.ops.dot for the common cases: matmul, or a product when one side is a scalar."""
    if np.ndim(value_of(lift(a))) == 0 or np.ndim(value_of(lift(b))) == 0:
        from cnn.ops._math import multiply
        return multiply(a, b)
    return matmul(a, b)


def ones_like(x, dtype=None):
    return np.ones_like(value_of(lift(x)), dtype=dtype)


def zeros_like(x, dtype=None):
    return np.zeros_like(value_of(lift(x)), dtype=dtype)


def full_like(x, fill_value, dtype=None):
    return np.full_like(value_of(lift(x)), fill_value, dtype=dtype)


def ones(shape, dtype="float32"):
    return np.ones(shape, dtype=dtype)


def zeros(shape, dtype="float32"):
    return np.zeros(shape, dtype=dtype)


def one_hot(x, num_classes, axis=-1, dtype="float32"):
    ids = np.asarray(value_of(lift(x))).astype(np.int64)
    out = (ids[..., None] == np.arange(num_classes)).astype(dtype)
    return np.moveaxis(out, -1, axis) if axis != -1 else out


def is_tensor(x):
    return isinstance(x, (Tensor, np.ndarray))


def ndim(x):
    return np.ndim(value_of(lift(x)))


def size(x):
    return np.size(value_of(lift(x)))


def arange(start, stop=None, step=1, dtype=None):
    return np.arange(start, stop, step, dtype=dtype)


def all(x, axis=None, keepdims=False):   # noqa: A001  the keras.ops name
    return np.all(value_of(lift(x)), axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):   # noqa: A001  the keras.ops name
    return np.any(value_of(lift(x)), axis=axis, keepdims=keepdims)

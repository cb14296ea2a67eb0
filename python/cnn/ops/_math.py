"""Elementwise ops: arithmetic, comparisons, the usual functions, where/clip/cast.

Each op computes its value with one NumPy call and, when an input is recorded, the functions that
send the output gradient back to each input (broadcasting is undone by the tape). Ties follow
torch, which Keras 3 runs on: |x|' = 0 at 0, relu' = 0 at 0, clip passes the gradient at its bounds,
maximum/minimum split it half and half between equal inputs (TensorFlow gives it all to the first).
"""
import numpy as np

from cnn.ops._tape import Tensor, lift, node, value_of


def _pair(a, b):
    a, b = lift(a), lift(b)
    if _is_py(a) and _is_py(b):   # two Python numbers: keras.ops gives float32/int32, not 64 bits
        a = convert_to_tensor(a)
    va, vb = value_of(a), value_of(b)
    fa, fb = _float_dtype(va), _float_dtype(vb)
    if fa and not fb and isinstance(vb, np.ndarray):   # float32 - int labels stays float32, as Keras
        b = vb = vb.astype(fa)
    elif fb and not fa and isinstance(va, np.ndarray):
        a = va = va.astype(fb)
    return a, b, va, vb


def _float_dtype(v):
    dtype = getattr(v, "dtype", None)
    return dtype if dtype is not None and np.issubdtype(dtype, np.floating) else None


def _is_py(x):
    return type(x) in (bool, int, float)   # not np.float64, which subclasses float


def _float(x):
    """x lifted, with integers, booleans and Python numbers as float32 (what keras.ops.exp(3) gives)."""
    x = lift(x)
    v = value_of(x)
    if _is_py(v) or not np.issubdtype(np.asarray(v).dtype, np.floating):
        return np.asarray(v, dtype=np.float32)   # not differentiable: no gradient to lose
    return x


def convert_to_tensor(x, dtype=None):
    """An array (float32 for Python floats, int32 for Python ints); a recorded tensor stays one."""
    x = lift(x)
    if dtype is not None:
        return cast(x, dtype)
    if isinstance(x, Tensor) or not _is_py(x):
        return x if not isinstance(x, np.generic) else np.asarray(x)
    v = np.asarray(x)    # a Python number: float32 or int32, as Keras
    return v.astype(np.float32 if v.dtype == np.float64 else np.int32) if v.dtype != np.bool_ else v


def add(a, b):
    a, b, va, vb = _pair(a, b)
    return node(np.add(va, vb), (a, b), (lambda g: g, lambda g: g))


def subtract(a, b):
    a, b, va, vb = _pair(a, b)
    return node(np.subtract(va, vb), (a, b), (lambda g: g, lambda g: -g))


def multiply(a, b):
    a, b, va, vb = _pair(a, b)
    return node(np.multiply(va, vb), (a, b), (lambda g: g * vb, lambda g: g * va))


def divide(a, b):
    a, b, va, vb = _pair(a, b)
    out = np.true_divide(va, vb)
    return node(out, (a, b), (lambda g: g / vb, lambda g: -g * out / vb))


true_divide = divide


def power(a, b):
    a, b, va, vb = _pair(a, b)
    out = np.power(va, vb)

    def grad_base(g):   # b·a^(b-1), 0 where b == 0 (so 0**0 has gradient 0, as torch)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.equal(vb, 0), 0, g * vb * np.power(va, vb - 1))

    def grad_exponent(g):   # a^b·log a, 0 where a == 0 and b >= 0 (as torch)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.equal(va, 0) & np.greater_equal(vb, 0), 0, g * out * np.log(va))
    return node(out, (a, b), (grad_base, grad_exponent))


def negative(x):
    x = lift(x)
    return node(np.negative(value_of(x)), (x,), (lambda g: -g,))


def square(x):
    x = lift(x)
    v = value_of(x)
    return node(np.square(v), (x,), (lambda g: g * 2 * v,))


def sqrt(x):
    x = _float(x)
    out = np.sqrt(value_of(x))
    return node(out, (x,), (lambda g: g / (2 * out),))


def abs(x):   # noqa: A001  the keras.ops name
    x = lift(x)
    v = value_of(x)
    return node(np.abs(v), (x,), (lambda g: g * np.sign(v),))


absolute = abs


def sign(x):
    return np.sign(value_of(lift(x)))


def exp(x):
    x = _float(x)
    out = np.exp(value_of(x))
    return node(out, (x,), (lambda g: g * out,))


def log(x):
    x = _float(x)
    v = value_of(x)
    return node(np.log(v), (x,), (lambda g: g / v,))


def log1p(x):
    x = _float(x)
    v = value_of(x)
    return node(np.log1p(v), (x,), (lambda g: g / (1 + v),))


def expm1(x):
    x = _float(x)
    out = np.expm1(value_of(x))
    return node(out, (x,), (lambda g: g * (out + 1),))


def sigmoid(x):
    x = _float(x)
    v = value_of(x)
    e = np.exp(-np.abs(v))                   # never overflows
    out = np.where(v >= 0, 1 / (1 + e), e / (1 + e))
    return node(out, (x,), (lambda g: g * out * (1 - out),))


def tanh(x):
    x = _float(x)
    out = np.tanh(value_of(x))
    return node(out, (x,), (lambda g: g * (1 - out * out),))


def relu(x):
    x = lift(x)
    v = value_of(x)
    return node(np.maximum(v, 0), (x,), (lambda g: g * (v > 0),))


def softplus(x):
    x = _float(x)
    v = value_of(x)
    return node(np.logaddexp(0, v), (x,), (lambda g: g * value_of(sigmoid(v)),))


def maximum(a, b):
    a, b, va, vb = _pair(a, b)
    return node(np.maximum(va, vb), (a, b), (lambda g: _tie_split(g, va, vb), lambda g: _tie_split(g, vb, va)))


def minimum(a, b):
    a, b, va, vb = _pair(a, b)
    return node(np.minimum(va, vb), (a, b), (lambda g: _tie_split(g, vb, va), lambda g: _tie_split(g, va, vb)))


def _tie_split(g, winner, other):
    """g where `winner` is the larger, half of g where they are equal, 0 elsewhere."""
    return np.where(np.greater(winner, other), g, np.where(np.equal(winner, other), g * 0.5, 0))


def clip(x, x_min, x_max):
    x, lo, hi = lift(x), lift(x_min), lift(x_max)
    v, vlo, vhi = value_of(x), value_of(lo), value_of(hi)
    out = np.clip(v, vlo, vhi)
    if isinstance(v, np.ndarray):
        out = out.astype(v.dtype, copy=False)   # bounds do not widen the dtype (as keras.ops.clip)
    return node(out, (x, lo, hi), (lambda g: g * ((v >= vlo) & (v <= vhi)), lambda g: g * (v < vlo),
                                   lambda g: g * (v > vhi)))


def where(condition, x1, x2):
    c = np.asarray(value_of(lift(condition)), dtype=bool)
    x1, x2, v1, v2 = _pair(x1, x2)
    return node(np.where(c, v1, v2), (x1, x2), (lambda g: np.where(c, g, 0), lambda g: np.where(c, 0, g)))


def cast(x, dtype):
    x = lift(x)
    v = value_of(x)
    dtype = np.dtype(getattr(dtype, "name", dtype))
    out = np.asarray(v).astype(dtype)
    if not np.issubdtype(dtype, np.floating):
        return out    # an integer or boolean result carries no gradient
    return node(out, (x,), (lambda g: g.astype(np.asarray(v).dtype),))


def stop_gradient(x):
    """x's value as a constant: no gradient flows through it."""
    return value_of(lift(x))


def _compare(fn):
    def op(a, b):
        return fn(value_of(lift(a)), value_of(lift(b)))
    op.__name__ = fn.__name__
    op.__doc__ = f"Elementwise {fn.__name__} (a boolean array, no gradient)."
    return op


greater = _compare(np.greater)
greater_equal = _compare(np.greater_equal)
less = _compare(np.less)
less_equal = _compare(np.less_equal)
equal = _compare(np.equal)
not_equal = _compare(np.not_equal)
logical_and = _compare(np.logical_and)
logical_or = _compare(np.logical_or)


def logical_not(x):
    return np.logical_not(value_of(lift(x)))


def round(x, decimals=0):   # noqa: A001  the keras.ops name
    return np.round(value_of(lift(x)), decimals)


def floor(x):
    return np.floor(value_of(_float(x)))


def ceil(x):
    return np.ceil(value_of(_float(x)))

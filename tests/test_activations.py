"""Activations (csrc/activations.c, python/cnn/activations.py) against float64 NumPy references of
the Keras 3 formulas: forward, analytic backward, finite differences, kinks, NaN/inf, the Python
API (get / serialize / c_record) and Keras golden values."""
import math
import os
import re
import warnings

import numpy as np
import pytest

from cnn import _core
from cnn import activations as A

INF = float("inf")
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
_erf = np.vectorize(math.erf, otypes=[np.float64])


# --------------------------------------------------------------------------- float64 references

def f32(v):
    """A Python float as the float32 Keras casts it to (None stays None)."""
    return None if v is None else float(np.float32(v))


def relu_ref(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """keras.src.activations.activations.ReLU.static_call, in float64 (arguments cast to float32)."""
    x = np.asarray(x, np.float64)
    negative_slope, max_value, threshold = f32(negative_slope), f32(max_value), f32(threshold)
    if negative_slope != 0 and max_value is None and threshold == 0:
        return np.where(x > 0, x, negative_slope * x)
    neg = np.maximum(threshold - x, 0) if negative_slope != 0 else 0
    clip_max = max_value is not None
    if threshold != 0:
        y = np.where(x > threshold, x, 0.0)
    elif max_value == 6:
        y, clip_max = np.clip(x, 0, 6), False
    else:
        y = np.maximum(x, 0)
    if clip_max:
        y = np.clip(y, 0, max_value)
    return y - negative_slope * neg


def relu_grad_ref(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """What torch autograd gives for the same formula (clamp passes its closed interval,
    relu6/hardtanh its open one, relu'(0) = 0, leaky_relu'(0) = slope)."""
    x = np.asarray(x, np.float64)
    negative_slope, max_value, threshold = f32(negative_slope), f32(max_value), f32(threshold)
    if negative_slope != 0 and max_value is None and threshold == 0:
        return np.where(x > 0, 1.0, negative_slope)
    if threshold != 0:
        g, p = (x > threshold).astype(float), np.where(x > threshold, x, 0.0)
        clip = max_value is not None
    elif max_value == 6:
        g, p, clip = ((x > 0) & (x < 6)).astype(float), x, False
    else:
        g, p, clip = (x > 0).astype(float), np.maximum(x, 0), max_value is not None
    if clip:
        g = g * ((p >= 0) & (p <= max_value))
    return g + negative_slope * (threshold - x > 0)


def sigmoid64(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softplus64(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def hard_sigmoid64(x):
    return np.clip(x / 6 + 0.5, 0, 1)


K = math.sqrt(2 / math.pi)
C = 0.044715
# name -> (record, f(x), f'(x)) in float64
REFS = {
    "linear": ((A.LINEAR, 0, INF, 0), lambda x: x, lambda x: np.ones_like(x)),
    "relu6": ((A.RELU6, 0, 6, 0), lambda x: np.clip(x, 0, 6), lambda x: ((x > 0) & (x < 6)) * 1.0),
    "leaky_relu": ((A.LEAKY_RELU, 0.2, INF, 0), lambda x: np.where(x > 0, x, 0.2 * x),
                   lambda x: np.where(x > 0, 1.0, 0.2)),
    "elu": ((A.ELU, 1.0, INF, 0), lambda x: np.where(x > 0, x, np.expm1(x)),
            lambda x: np.where(x > 0, 1.0, np.exp(x))),
    "elu_0.5": ((A.ELU, 0.5, INF, 0), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x)),
                lambda x: np.where(x > 0, 1.0, 0.5 * np.exp(x))),
    "selu": ((A.SELU, 0, INF, 0), lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
             lambda x: SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(x))),
    "gelu": ((A.GELU, 0, INF, 0), lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))),
             lambda x: 0.5 * (1 + _erf(x / math.sqrt(2))) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)),
    "gelu_tanh": ((A.GELU_TANH, 0, INF, 0), lambda x: 0.5 * x * (1 + np.tanh(K * (x + C * x**3))),
                  lambda x: 0.5 * (1 + np.tanh(K * (x + C * x**3)))
                  + 0.5 * x * (1 - np.tanh(K * (x + C * x**3)) ** 2) * K * (1 + 3 * C * x * x)),
    "sigmoid": ((A.SIGMOID, 0, INF, 0), sigmoid64, lambda x: sigmoid64(x) * (1 - sigmoid64(x))),
    "hard_sigmoid": ((A.HARD_SIGMOID, 0, INF, 0), hard_sigmoid64,
                     lambda x: ((x >= -3) & (x <= 3)) / 6.0),
    "tanh": ((A.TANH, 0, INF, 0), np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "softplus": ((A.SOFTPLUS, 0, INF, 0), softplus64, sigmoid64),
    "softsign": ((A.SOFTSIGN, 0, INF, 0), lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2),
    "silu": ((A.SILU, 0, INF, 0), lambda x: x * sigmoid64(x),
             lambda x: sigmoid64(x) * (1 + x * (1 - sigmoid64(x)))),
    "exponential": ((A.EXPONENTIAL, 0, INF, 0), np.exp, np.exp),
    "step": ((A.STEP, 0, INF, 0), lambda x: (x > 0) * 1.0, lambda x: np.zeros_like(x)),
    "hard_silu": ((A.HARD_SILU, 0, INF, 0), lambda x: x * hard_sigmoid64(x),
                  lambda x: hard_sigmoid64(x) + x * ((x >= -3) & (x <= 3)) / 6.0),
    "mish": ((A.MISH, 0, INF, 0), lambda x: x * np.tanh(softplus64(x)),
             lambda x: np.tanh(softplus64(x)) + x * (1 - np.tanh(softplus64(x)) ** 2) * sigmoid64(x)),
}
RELU_OPTIONS = [
    dict(), dict(negative_slope=0.1), dict(max_value=6.0), dict(max_value=2.5), dict(threshold=1.0),
    dict(threshold=-0.5), dict(negative_slope=0.3, threshold=0.7), dict(negative_slope=0.2, max_value=3.0),
    dict(negative_slope=0.1, max_value=6.0, threshold=1.0), dict(max_value=6.0, threshold=-1.0),
    dict(negative_slope=1.5), dict(max_value=0.0), dict(negative_slope=0.1, max_value=6.0),
]
for i, opts in enumerate(RELU_OPTIONS):
    REFS[f"relu_{i}"] = (A.c_record("relu", **opts),
                         lambda x, o=opts: relu_ref(x, **o), lambda x, o=opts: relu_grad_ref(x, **o))

SMOOTH = {"linear", "elu", "elu_0.5", "selu", "gelu", "gelu_tanh", "sigmoid", "tanh", "softplus",
          "softsign", "silu", "exponential", "mish"}


def tup(record):
    """A keyed activation record's values in field order, for compact asserts."""
    return tuple(record.values())


def as_record(rec):
    """(kind, alpha, max_value, threshold) written compactly here -> the keyed record the core takes."""
    return rec if isinstance(rec, dict) else dict(zip(_core.fields["act"], rec))


def forward(rec, x):
    return _core.act_forward(as_record(rec), np.ascontiguousarray(x, np.float32))


def backward(rec, dy, x, y):
    rec = as_record(rec)
    return _core.act_backward(rec, np.ascontiguousarray(dy, np.float32), np.ascontiguousarray(x, np.float32),
                              np.ascontiguousarray(y, np.float32))


def grid():
    """Test inputs: dense near 0, the kinks, moderate, large and tiny magnitudes."""
    rng = np.random.default_rng(0)
    parts = [np.linspace(-8, 8, 1601), rng.normal(0, 3, 3000),
             np.array([0.0, -0.0, 1.0, -1.0, 0.5, 0.7, 1.0, 2.5, -0.5, 3.0, -3.0, 6.0, 20.0, -20.0, 60.0,
                       -60.0, 88.0, -87.0, -100.0, 1e-30, -1e-30, 1e-8, -1e-8, 1e-4, -1e-4])]
    x = np.concatenate(parts).astype(np.float32)
    return x.reshape(1, -1)


def assert_close(got, ref, rtol, atol, what):
    got64 = got.astype(np.float64)
    bad = ~(np.abs(got64 - ref) <= atol + rtol * np.abs(ref))
    bad &= ~(np.isnan(got64) & np.isnan(ref))
    bad &= ~(got64 == ref)  # infinities
    assert not bad.any(), f"{what}: x index {np.flatnonzero(bad)[:5]}, got {got64[bad][:5]}, want {ref[bad][:5]}"


# Tolerances: float32 composition of a few correctly rounded steps; gelu/mish/silu cancel
# (1 + erf, 1 + tanh) for large negative x, hence the absolute part scaled by |x|.
@pytest.mark.parametrize("name", sorted(REFS))
def test_forward_matches_float64_reference(name):
    rec, f, _ = REFS[name]
    x = grid()
    y = forward(rec, x)
    assert y.dtype == np.float32 and y.shape == x.shape
    x64 = x.astype(np.float64)
    with np.errstate(all="ignore"):
        ref = f(x64)
    cancels = ("gelu", "gelu_tanh", "mish", "silu", "hard_silu", "hard_sigmoid")
    atol = 3e-7 * np.maximum(1, np.abs(x64)) if name in cancels else 1e-30
    assert_close(y, ref, 2e-6, atol, name)


@pytest.mark.parametrize("name", sorted(REFS))
def test_backward_matches_analytic_derivative(name):
    rec, f, df = REFS[name]
    x = grid()
    rng = np.random.default_rng(1)
    dy = rng.normal(size=x.shape).astype(np.float32)
    y = forward(rec, x)
    dx = backward(rec, dy, x, y)
    assert dx.dtype == np.float32 and dx.shape == x.shape
    x64 = x.astype(np.float64)
    with np.errstate(all="ignore"):
        ref = dy.astype(np.float64) * df(x64)
    # y-based formulas (sigmoid, tanh: y (1 - y)) carry y's float32 rounding
    atol = 2e-7 * np.abs(dy) * np.maximum(1, np.abs(x64))
    assert_close(dx, ref, 1e-5, atol, name)


@pytest.mark.parametrize("name", sorted(SMOOTH | {"relu_0", "relu_1", "relu_4", "relu_7", "leaky_relu",
                                                  "hard_sigmoid", "hard_silu", "relu6"}))
def test_backward_finite_differences(name):
    """<dx, v> == d/dh sum(dy * f(x + h v)) for a random direction v, with f the float64 formula
    (central differences, h = 1e-6); x avoids the kinks by more than h."""
    rec, f, _ = REFS[name]
    rng = np.random.default_rng(2)
    x = rng.normal(0, 2.5, size=(7, 13))
    for kink in (0.0, 1.0, 0.7, 3.0, -3.0, 6.0):
        x[np.abs(x - kink) < 1e-3] += 0.01
    x = x.astype(np.float32)
    x64 = x.astype(np.float64)
    dy = rng.normal(size=x.shape).astype(np.float32)
    v = rng.normal(size=x.shape)
    dx = backward(rec, dy, x, forward(rec, x)).astype(np.float64)
    h = 1e-6
    fd = np.sum(dy * (f(x64 + h * v) - f(x64 - h * v))) / (2 * h)
    analytic = np.sum(dx * v)
    if name not in ("linear",):
        assert np.abs(dx).max() > 0.01, "all-zero gradient"
    assert abs(analytic - fd) <= 1e-5 * (1 + abs(fd)), (analytic, fd)


@pytest.mark.parametrize("rows, cols", [(1, 1), (3, 2), (5, 7), (2, 1000), (1, 3)])
def test_softmax(rows, cols):
    rng = np.random.default_rng(cols)
    for scale in (1.0, 1e-6, 30.0, 1e4):
        x = (rng.normal(size=(rows, cols)) * scale).astype(np.float32)
        y = forward((A.SOFTMAX, 0, INF, 0), x)
        x64 = x.astype(np.float64)
        # x - max is rounded to float32 in the kernel as in Keras: the reference starts from it
        e = np.exp((x - x.max(axis=1, keepdims=True)).astype(np.float64))
        ref = e / e.sum(axis=1, keepdims=True)
        assert_close(y, ref, 3e-6, 1e-37, f"softmax {rows}x{cols} scale {scale}")
        assert np.all(np.abs(y.astype(np.float64).sum(axis=1) - 1) < 1e-5)
        # backward: y * (dy - sum(dy * y)), and finite differences of the float64 softmax
        dy = rng.normal(size=x.shape).astype(np.float32)
        dx = backward((A.SOFTMAX, 0, INF, 0), dy, x, y).astype(np.float64)
        y64 = y.astype(np.float64)
        ref_dx = y64 * (dy - np.sum(dy * y64, axis=1, keepdims=True))
        assert np.allclose(dx, ref_dx, rtol=1e-5, atol=1e-7)
        if scale == 1.0:
            v = rng.normal(size=x.shape)
            h = 1e-6
            def sm(z):
                e = np.exp(z - z.max(1, keepdims=True))
                return e / e.sum(1, keepdims=True)
            fd = np.sum(dy * (sm(x64 + h * v) - sm(x64 - h * v))) / (2 * h)
            assert abs(np.sum(dx * v) - fd) <= 1e-5 * (1 + abs(fd))
            if cols > 1:
                assert np.abs(dx).max() > 1e-3


def test_softmax_extremes():
    x = np.float32([[1000.0, 0.0, -1000.0], [-np.inf, 0.0, -np.inf], [88.0, 88.0, 88.0],
                    [-100.0, -100.0, -100.0], [3e38, -3e38, 0.0]])
    y = forward((A.SOFTMAX, 0, INF, 0), x)
    expect = np.float32([[1, 0, 0], [0, 1, 0], [1 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3], [1, 0, 0]])
    assert np.allclose(y, expect, atol=1e-7, rtol=1e-6)
    nan_row = forward((A.SOFTMAX, 0, INF, 0), np.float32([[0.0, np.nan, 1.0]]))
    assert np.isnan(nan_row).all()


def test_special_values():
    x = np.float32([[np.inf, -np.inf, np.nan]])
    cases = {
        "sigmoid": [1, 0, np.nan], "tanh": [1, -1, np.nan], "softplus": [np.inf, 0, np.nan],
        "exponential": [np.inf, 0, np.nan], "elu": [np.inf, -1, np.nan],
        "selu": [np.inf, -SELU_SCALE * SELU_ALPHA, np.nan], "hard_sigmoid": [1, 0, np.nan],
        "step": [1, 0, 0], "linear": [np.inf, -np.inf, np.nan], "gelu": [np.inf, np.nan, np.nan],
        "mish": [np.inf, np.nan, np.nan], "relu6": [6, 0, 0], "leaky_relu": [np.inf, -np.inf, np.nan],
        # ReLU clips send NaN to 0, like the GEMM's fused ReLU epilogue (v > 0 ? v : 0)
        "relu_0": [np.inf, 0, 0], "relu_2": [6, 0, 0],
    }
    for name, want in cases.items():
        got = forward(REFS[name][0], x)[0]
        want = np.float32(want)
        if name in ("gelu", "mish"):  # x * (something -> 0) at -inf: nan, as in Keras
            got, want = got[[0, 2]], want[[0, 2]]
        assert np.array_equal(got, want, equal_nan=True), (name, got, want)
    # sigmoid and friends never overflow or lose the tails
    big = np.float32([[-100.0, -88.0, -20.0, 20.0, 100.0]])
    s = forward((A.SIGMOID, 0, INF, 0), big)[0]
    assert s[0] == 0 or s[0] < 1e-43 and s[1] > 0 and s[4] == 1
    np.testing.assert_allclose(s[:3], np.exp(big[0, :3].astype(np.float64)), rtol=1e-6, atol=1e-44)
    sp = forward((A.SOFTPLUS, 0, INF, 0), big)[0]
    np.testing.assert_allclose(sp, softplus64(big[0].astype(np.float64)), rtol=1e-6, atol=1e-44)


def test_kinks_follow_torch_conventions():
    def g(rec, xs):
        x = np.float32([xs])
        return backward(rec, np.ones_like(x), x, forward(rec, x))[0].tolist()
    assert g(A.c_record("relu"), [0.0, -0.0]) == [0, 0]                        # relu'(0) = 0
    assert g(A.c_record("relu", max_value=5.0), [5.0, 0.0]) == [1, 0]          # clamp: closed
    assert g(A.c_record("relu", max_value=6.0), [6.0, 0.0]) == [0, 0]          # relu6: open
    assert g(A.c_record("relu6"), [6.0, 0.0, 3.0]) == [0, 0, 1]
    assert g(A.c_record("relu", threshold=1.0, max_value=6.0), [6.0, 1.0]) == [1, 0]
    assert g(A.c_record("relu", threshold=1.0, negative_slope=0.5), [1.0, 0.5]) == [0, 0.5]
    assert g(A.c_record("leaky_relu"), [0.0]) == [pytest.approx(0.2)]        # x <= 0 branch
    assert g(A.c_record("elu", alpha=0.5), [0.0]) == [0.5]
    assert g(A.c_record("hard_sigmoid"), [3.0, -3.0, 3.5]) == [pytest.approx(1 / 6)] * 2 + [0]
    assert g(A.c_record("hard_silu"), [3.0, -3.0]) == [pytest.approx(1.5), pytest.approx(-0.5)]
    assert g(A.c_record("step"), [0.0, 1.0, -1.0]) == [0, 0, 0]


def test_backward_reads_only_what_it_needs():
    """Kinds whose gradient uses y (sigmoid, tanh, softmax, exponential, plain relu, relu6) give the
    same dx when x is garbage; the others give the same dx when y is garbage."""
    rng = np.random.default_rng(3)
    x = rng.normal(0, 3, size=(4, 9)).astype(np.float32)
    dy = rng.normal(size=x.shape).astype(np.float32)
    junk = np.full_like(x, np.nan)
    uses_y = {"sigmoid", "tanh", "exponential", "relu6", "relu_0", "relu_2", "linear", "step"}
    for name, (rec, _, _) in REFS.items():
        y = forward(rec, x)
        dx = backward(rec, dy, x, y)
        other = backward(rec, dy, junk, y) if name in uses_y else backward(rec, dy, x, junk)
        assert np.array_equal(dx, other, equal_nan=True), name
    y = forward((A.SOFTMAX, 0, INF, 0), x)
    assert np.array_equal(backward((A.SOFTMAX, 0, INF, 0), dy, junk, y), backward((A.SOFTMAX, 0, INF, 0), dy, x, y))


def test_same_bits_on_every_isa_path():
    """The portable and AVX2 loops (vectorized, with scalar tails) give identical bits, and equal
    the scalar math functions element by element."""
    rng = np.random.default_rng(6)
    x = np.concatenate([rng.normal(0, 4, 997), [0.0, -0.0, 6.0, 3.0, -3.0, 1e-30, np.inf, -np.inf, np.nan,
                                                 88.7, -104.0, 1e4]]).astype(np.float32).reshape(1, -1)
    dy = rng.normal(size=x.shape).astype(np.float32)
    best = _core.set_isa(-1)
    try:
        results = []
        for isa in range(best + 1):
            assert _core.set_isa(isa) == isa
            out = []
            for name, (rec, _, _) in sorted(REFS.items()):
                for shape in ((1, x.size), (x.size // 1, 1)):
                    xs = x.reshape(shape)
                    y = forward(rec, xs)
                    out.append(y.tobytes() + backward(rec, dy.reshape(shape), xs, y).tobytes())
            sm = forward((A.SOFTMAX, 0, INF, 0), x[:, :1000].reshape(8, 125))
            out.append(sm.tobytes())
            results.append(out)
        assert all(r == results[0] for r in results[1:])
    finally:
        _core.set_isa(best)
    with np.errstate(all="ignore"):
        assert np.array_equal(forward((A.EXPONENTIAL, 0, INF, 0), x), _core.mathf("exp", x), equal_nan=True)
        assert np.array_equal(forward((A.TANH, 0, INF, 0), x), _core.mathf("tanh", x), equal_nan=True)


def test_kinds_match_the_c_header():
    header = os.path.join(os.path.dirname(__file__), os.pardir, "csrc", "cnn.h")
    if not os.path.exists(header):
        pytest.skip("csrc/cnn.h not found next to the tests")
    text = open(header).read()
    body = re.search(r"enum cnn_act_kind \{(.*?)\}", text, re.S).group(1)
    names = [n.strip().split("=")[0].strip() for n in body.split(",") if n.strip()]
    for value, cname in enumerate(names):
        attr = cname.replace("CNN_ACT_", "")
        if attr == "COUNT":
            assert len(_core.enums["act"]) == value
        else:
            assert _core.enums["act"][getattr(A, attr)] == value, cname


# --------------------------------------------------------------------------- the Python module

def test_python_functions_match_kernels_any_shape():
    rng = np.random.default_rng(4)
    for shape in [(), (5,), (3, 4), (2, 3, 4), (0, 3)]:
        x = rng.normal(0, 2, size=shape)
        for name in ("relu", "sigmoid", "tanh", "gelu", "elu", "selu", "softplus", "softsign", "silu",
                     "mish", "hard_sigmoid", "hard_silu", "exponential", "linear", "relu6", "step",
                     "leaky_relu"):
            y = getattr(A, name)(x)
            assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == shape, name
            ref = forward(A.c_record(name), np.asarray(x, np.float32).reshape(1, -1)).reshape(shape)
            assert np.array_equal(y, ref), name
    assert A.relu([[-1.0, 2.0]]).tolist() == [[0.0, 2.0]]
    assert A.swish is A.silu and A.hard_swish is A.hard_silu


def test_python_function_arguments():
    x = np.linspace(-8, 8, 161).astype(np.float32).astype(np.float64)
    for opts in RELU_OPTIONS:
        np.testing.assert_allclose(A.relu(x, **opts), relu_ref(x, **opts), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(A.leaky_relu(x), np.where(x > 0, x, 0.2 * x), rtol=1e-6)
    np.testing.assert_allclose(A.leaky_relu(x, negative_slope=0.01), np.where(x > 0, x, 0.01 * x), rtol=1e-6)
    np.testing.assert_allclose(A.elu(x, alpha=2.0), np.where(x > 0, x, 2 * np.expm1(x)), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(A.gelu(x, approximate=True), REFS["gelu_tanh"][1](x), rtol=1e-6, atol=3e-6)
    with pytest.warns(UserWarning, match="alpha"):
        np.testing.assert_allclose(A.relu(x, alpha=0.1), relu_ref(x, negative_slope=0.1), rtol=1e-6)


def test_python_softmax_axes():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4, 5))
    for axis in (0, 1, 2, -1, -2):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        np.testing.assert_allclose(A.softmax(x, axis=axis), e / e.sum(axis=axis, keepdims=True), rtol=2e-6)
    with pytest.warns(UserWarning, match="axis has size 1"):
        assert A.softmax(np.float32([[3.0], [-2.0]])).tolist() == [[1.0], [1.0]]
    with pytest.raises(ValueError):
        A.softmax(x, axis=3)
    with pytest.raises(ValueError):
        A.softmax(1.0)


def test_keras_golden_values():
    assert A.hard_sigmoid(1.0) == np.float32(0.6666667)
    assert A.hard_sigmoid(np.float32([-3.0, 3.0, -10.0, 10.0])).tolist() == [0.0, 1.0, 0.0, 1.0]
    exact = float(0.5 * (1 + math.erf(1 / math.sqrt(2))))
    assert abs(float(A.gelu(1.0)) - exact) < 1e-7                 # the activation defaults to exact
    assert abs(float(A.gelu(1.0, approximate=True)) - exact) > 1e-4
    assert A.relu(np.float32([-3.0, 2.0, 7.0]), max_value=6).tolist() == [0.0, 2.0, 6.0]
    assert A.selu(1.0) == np.float32(1.0507009873554805)
    assert A.sigmoid(0.0) == 0.5 and A.softsign(1.0) == 0.5 and A.step(0.0) == 0.0


def test_get_serialize_deserialize():
    assert A.get(None) is A.linear
    for name in ("relu", "sigmoid", "softmax", "tanh", "linear", "elu", "selu", "gelu", "softplus",
                 "softsign", "silu", "exponential", "hard_sigmoid", "hard_silu", "mish", "relu6",
                 "leaky_relu", "step"):
        fn = A.get(name)
        assert callable(fn) and A.serialize(fn) == name and A.deserialize(name) is fn
    assert A.get("swish") is A.silu and A.serialize(A.get("swish")) == "silu"
    assert A.get("hard_swish") is A.hard_silu
    assert A.get(A.tanh) is A.tanh
    custom = lambda x: x * 2  # noqa: E731
    assert A.get(custom) is custom
    with pytest.raises(ValueError, match="Valid names: .*relu.*tanh"):
        A.get("Relu")                                              # case-sensitive, like Keras
    with pytest.raises(ValueError):
        A.get(3)
    assert A.deserialize({"module": "keras.activations", "class_name": "function", "config": "relu",
                          "registered_name": "function"}) is A.relu
    assert A.deserialize("mine", custom_objects={"mine": custom}) is custom
    # tf.keras 2 also resolved the advanced-activation layer names, with the layers' defaults
    lrelu = A.get("LeakyReLU")
    assert tup(A.c_record(lrelu)) == (A.LEAKY_RELU, 0.3, INF, 0.0)
    np.testing.assert_allclose(lrelu(np.float32([-1.0, 2.0])), [-0.3, 2.0], rtol=1e-6)
    assert A.get(A.serialize(lrelu)) is lrelu
    assert tup(A.c_record("ThresholdedReLU")) == (A.RELU, 0.0, INF, 1.0)


def test_c_record():
    assert tup(A.c_record("relu")) == (A.RELU, 0.0, INF, 0.0)
    assert tup(A.c_record(A.relu, max_value=6, negative_slope=0.1, threshold=0.5)) == (A.RELU, 0.1, 6.0, 0.5)
    assert tup(A.c_record("relu", alpha=0.2))[1] == 0.2                 # tf.keras 2 spelling
    assert tup(A.c_record("leaky_relu")) == (A.LEAKY_RELU, 0.2, INF, 0.0)
    assert tup(A.c_record("leaky_relu", negative_slope=0.3))[1] == 0.3
    assert tup(A.c_record("elu", alpha=0.7))[:2] == (A.ELU, 0.7)
    assert tup(A.c_record("gelu"))[0] == A.GELU and tup(A.c_record("gelu", approximate=True))[0] == A.GELU_TANH
    assert tup(A.c_record("relu6")) == (A.RELU6, 0.0, 6.0, 0.0)
    assert tup(A.c_record(None))[0] == A.LINEAR and tup(A.c_record("swish"))[0] == A.SILU
    import functools
    assert tup(A.c_record(functools.partial(A.relu, max_value=3.0))) == (A.RELU, 0.0, 3.0, 0.0)
    with pytest.raises(ValueError, match="custom activation functions are not supported by the C core yet: my_act"):
        def my_act(x):
            return x
        A.c_record(my_act)
    with pytest.raises(ValueError, match="takes no argument"):
        A.c_record("tanh", alpha=1.0)
    with pytest.raises(ValueError):
        A.c_record("softmax", axis=1)
    with pytest.raises(ValueError):
        A.c_record("nope")
    for kind in _core.enums["act"]:   # every kind runs
        y = forward((kind, 0.1, INF, 0.0), np.float32([[0.5, -0.5]]))
        assert y.shape == (1, 2)


def test_step_warns_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A.step(np.float32([1.0, -1.0]))
        backward(A.c_record("step"), np.ones((1, 2), np.float32), np.ones((1, 2), np.float32),
                 np.ones((1, 2), np.float32))


def test_activation_layer_instances_as_activation():
    """tf.keras 2 idiom: Dense(..., activation=layers.LeakyReLU(0.1))."""
    layers = pytest.importorskip("cnn.layers")
    if not hasattr(layers, "LeakyReLU"):
        pytest.skip("cnn.layers.LeakyReLU not available")
    lrelu = layers.LeakyReLU(0.1)
    assert A.get(lrelu) is lrelu
    assert tup(A.c_record(lrelu)) == (A.LEAKY_RELU, pytest.approx(0.1), INF, 0.0)
    config = A.serialize(lrelu)
    assert config["class_name"] == "LeakyReLU"
    assert A.c_record(A.deserialize(config)) == A.c_record(lrelu)

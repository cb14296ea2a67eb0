"""Losses: the C kernels (cnn._core.loss_forward / loss_backward) against float64 NumPy references
of Keras 3's formulas (torch backend), finite-difference gradient checks, the fused sigmoid/softmax
paths, clipping, Keras golden values, and the Python API of cnn.losses."""
import warnings

import numpy as np
import pytest

from cnn import _core, losses
from cnn.losses import LossKind as K

EPS = float(np.float32(1e-7))
ONE_M = float(np.float32(1.0 - 1e-7))
SIGMOID, SOFTMAX, LINEAR, RELU = "sigmoid", "softmax", "linear", "relu"   # _core.enums["act"]


# ----------------------------------------------------------------------------- float64 reference

def softmax64(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def sigmoid64(z):
    return 1.0 / (1.0 + np.exp(-z))


def ref_loss(kind, p, y, from_logits=False, ls=0.0, delta=1.0):
    """Per-row loss in float64; p (rows, cols); y (rows, cols) or (rows,) ids for SCCE."""
    p = np.asarray(p, np.float64)
    y = np.asarray(y, np.float64)
    C = p.shape[1]
    if kind == K.MSE:
        return np.mean((y - p) ** 2, axis=1)
    if kind == K.MAE:
        return np.mean(np.abs(y - p), axis=1)
    if kind == K.MAPE:
        return 100 * np.mean(np.abs(y - p) / np.maximum(np.abs(y), EPS), axis=1)
    if kind == K.MSLE:
        return np.mean((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(y, EPS) + 1)) ** 2, axis=1)
    if kind == K.BCE:
        ys = y * (1 - ls) + 0.5 * ls
        if from_logits:
            t = np.maximum(p, 0) - p * ys + np.log1p(np.exp(-np.abs(p)))
        else:
            pc = np.clip(p, EPS, ONE_M)
            t = -(ys * np.log(pc) + (1 - ys) * np.log1p(-pc))
        return t.mean(axis=1)
    if kind == K.CCE:
        ys = y * (1 - ls) + ls / C
        if from_logits:
            m = p.max(axis=1, keepdims=True)
            lsm = p - m - np.log(np.exp(p - m).sum(axis=1, keepdims=True))
            return -(ys * lsm).sum(axis=1)
        q = np.clip(p / p.sum(axis=1, keepdims=True), EPS, ONE_M)
        return -(ys * np.log(q)).sum(axis=1)
    if kind == K.SCCE:
        k = y.astype(int)
        r = np.arange(len(k))
        if from_logits:
            m = p.max(axis=1)
            return m + np.log(np.exp(p - m[:, None]).sum(axis=1)) - p[r, k]
        return -np.log(np.clip(p[r, k] / p.sum(axis=1), EPS, ONE_M))
    if kind in (K.HINGE, K.SQUARED_HINGE):
        yy = 2 * y - 1 if np.all((y == 0) | (y == 1)) else y
        h = np.maximum(1 - yy * p, 0)
        return (h if kind == K.HINGE else h * h).mean(axis=1)
    if kind == K.CATEGORICAL_HINGE:
        return np.maximum(((1 - y) * p).max(axis=1) - (y * p).sum(axis=1) + 1, 0)
    if kind == K.HUBER:
        e = p - y
        a = np.abs(e)
        return np.where(a <= delta, 0.5 * e * e, delta * a - 0.5 * delta * delta).mean(axis=1)
    if kind == K.LOG_COSH:
        x = np.abs(p - y)
        return (x + np.log1p(np.exp(-2 * x)) - np.log(2)).mean(axis=1)
    if kind == K.KLD:
        yc, pc = np.clip(y, EPS, 1), np.clip(p, EPS, 1)
        return (yc * np.log(yc / pc)).sum(axis=1)
    if kind == K.POISSON:
        return (p - y * np.log(p + EPS)).mean(axis=1)
    if kind == K.COSINE:
        ny = y / np.sqrt(np.maximum((y * y).sum(axis=1, keepdims=True), 1e-14))
        npp = p / np.sqrt(np.maximum((p * p).sum(axis=1, keepdims=True), 1e-14))
        return -(ny * npp).sum(axis=1)
    raise AssertionError(kind)


def ref_total(kind, p, y, w, scale, **kw):
    per = ref_loss(kind, p, y, **kw)
    return scale * np.sum(per * (1.0 if w is None else np.asarray(w, np.float64)))


def fd_grad(f, x, h=1e-6):
    """Coordinate-wise central differences of a scalar float64 function."""
    x = np.asarray(x, np.float64)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        g[idx] = (f(xp) - f(xm)) / (2 * h)
    return g


def tup(record):
    """A keyed loss record as (kind number, from_logits, label_smoothing, delta), for compact asserts."""
    return tuple(_core.enums["loss"][v] if k == "kind" else v for k, v in record.items())


def rec(kind, from_logits=False, ls=0.0, delta=1.0):
    return {"kind": kind, "from_logits": bool(from_logits), "label_smoothing": float(ls), "delta": float(delta)}


def f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


# ----------------------------------------------------------------------------- data

def make_data(kind, rows, cols, rng, from_logits=False, variant=0):
    """(y_pred, y_true) float32 away from clip edges and kinks, per loss kind."""
    if kind in (K.BCE,):
        p = rng.normal(0, 3, (rows, cols)) if from_logits else rng.uniform(0.02, 0.98, (rows, cols))
        y = rng.integers(0, 2, (rows, cols)).astype(float) if variant == 0 else rng.uniform(0, 1, (rows, cols))
    elif kind in (K.CCE, K.SCCE):
        if from_logits:
            p = rng.normal(0, 2, (rows, cols))
        elif variant == 0:
            p = softmax64(rng.normal(0, 1, (rows, cols)))
        else:   # not normalised: exercises the renormalisation
            p = rng.uniform(0.05, 1.0, (rows, cols))
        if kind == K.SCCE:
            y = rng.integers(0, cols, rows).astype(float)
        elif variant == 0:
            y = np.eye(cols)[rng.integers(0, cols, rows)]
        else:
            y = softmax64(rng.normal(0, 1, (rows, cols)))
    elif kind in (K.HINGE, K.SQUARED_HINGE):
        p = rng.normal(0, 1.5, (rows, cols))
        y = rng.integers(0, 2, (rows, cols)).astype(float)
        if variant == 1:
            y = 2 * y - 1
    elif kind == K.CATEGORICAL_HINGE:
        p = rng.normal(0, 1, (rows, cols))
        y = np.eye(cols)[rng.integers(0, cols, rows)]
    elif kind == K.MSLE:
        p = rng.uniform(-0.5, 3, (rows, cols))
        y = rng.uniform(-0.5, 3, (rows, cols))
    elif kind == K.KLD:
        p = rng.uniform(0.01, 0.99, (rows, cols))
        y = rng.uniform(0.01, 0.99, (rows, cols))
        y[0, 0] = 0.0   # clipped label
    elif kind == K.POISSON:
        p = rng.uniform(0.1, 3, (rows, cols))
        y = rng.poisson(1.5, (rows, cols)).astype(float)
    elif kind == K.MAPE:
        p = rng.normal(0, 2, (rows, cols))
        y = rng.normal(0, 2, (rows, cols))
    else:
        p = rng.normal(0, 1.5, (rows, cols))
        y = rng.normal(0, 1.5, (rows, cols))
    return f32(p), f32(y)


ALL_KINDS = list(K)
# every kind once, and the crossentropies a second time on logits
KIND_LOGITS = [(k, False) for k in K] + [(k, True) for k in (K.BCE, K.CCE, K.SCCE)]
KL_IDS = [f"{k.name}{'-logits' if fl else ''}" for k, fl in KIND_LOGITS]
SHAPES = [(1, 1), (1, 5), (3, 1), (7, 3), (16, 10), (33, 17)]


def kind_shapes(kind):
    if kind in (K.CCE, K.SCCE, K.CATEGORICAL_HINGE):
        return [s for s in SHAPES if s[1] > 1] + [(5, 2)]
    return SHAPES


# ----------------------------------------------------------------------------- forward vs reference

@pytest.mark.parametrize("kind,from_logits", KIND_LOGITS, ids=KL_IDS)
def test_forward_matches_reference(kind, from_logits):
    rng = np.random.default_rng(_core.enums["loss"][kind] * 10 + from_logits)
    for rows, cols in kind_shapes(kind):
        for variant in (0, 1):
            p, y = make_data(kind, rows, cols, rng, from_logits, variant)
            delta = 0.7 if kind == K.HUBER else 1.0
            got = _core.loss_forward(rec(kind, from_logits, 0.0, delta), p, y)
            want = ref_loss(kind, p, y, from_logits=from_logits, delta=delta)
            assert got.dtype == np.float64 and got.shape == (rows,)
            np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6, err_msg=f"{rows}x{cols} v{variant}")


@pytest.mark.parametrize("kind,from_logits", [(K.BCE, False), (K.BCE, True), (K.CCE, False), (K.CCE, True)])
def test_forward_label_smoothing(kind, from_logits):
    rng = np.random.default_rng(7)
    for ls in (0.1, 0.35):
        p, y = make_data(kind, 9, 4, rng, from_logits)
        got = _core.loss_forward(rec(kind, from_logits, ls), p, y)
        want = ref_loss(kind, p, y, from_logits=from_logits, ls=ls)
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)
        assert not np.allclose(got, ref_loss(kind, p, y, from_logits=from_logits))


def test_forward_is_deterministic_and_row_independent():
    rng = np.random.default_rng(3)
    p, y = make_data(K.CCE, 40, 7, rng)
    a = _core.loss_forward(rec(K.CCE), p, y)
    b = _core.loss_forward(rec(K.CCE), p[5:6], y[5:6])
    assert a[5] == b[0]
    assert np.array_equal(a, _core.loss_forward(rec(K.CCE), p, y))


def test_hinge_label_conversion_is_per_batch():
    p = f32([[0.3, -0.6], [1.2, 0.1]])
    y01 = f32([[0, 1], [1, 0]])
    ypm = f32([[-1, 1], [1, -1]])
    a = _core.loss_forward(rec(K.HINGE), p, y01)
    b = _core.loss_forward(rec(K.HINGE), p, ypm)
    np.testing.assert_array_equal(a, b)
    # one label outside {0, 1}: no conversion for the whole batch
    ymix = f32([[0, 1], [1, -1]])
    c = _core.loss_forward(rec(K.HINGE), p, ymix)
    np.testing.assert_allclose(c, np.maximum(1 - ymix * p, 0).mean(axis=1), rtol=1e-6)


# ----------------------------------------------------------------------------- gradients

def check_grad(kind, p, y, from_logits=False, ls=0.0, delta=1.0, weights=None, scale=1.0, full=True):
    g = _core.loss_backward(rec(kind, from_logits, ls, delta), p, y, weights, scale, LINEAR)
    assert g.shape == p.shape and g.dtype == np.float32
    def f(x):
        return ref_total(kind, x, y, weights, scale, from_logits=from_logits, ls=ls, delta=delta)
    p64 = p.astype(np.float64)
    if full:
        want = fd_grad(f, p64)
        np.testing.assert_allclose(g, want, rtol=2e-4, atol=2e-5 * np.abs(want).max() + 1e-12)
    rng = np.random.default_rng(11)
    for _ in range(3):   # random-direction checks
        v = rng.normal(size=p.shape)
        h = 1e-6
        fd = (f(p64 + h * v) - f(p64 - h * v)) / (2 * h)
        dot = float(np.sum(g.astype(np.float64) * v))
        assert abs(dot - fd) <= 2e-4 * np.sum(np.abs(g * v)) + 1e-9, (dot, fd)
    return g


@pytest.mark.parametrize("kind,from_logits", KIND_LOGITS, ids=KL_IDS)
def test_backward_finite_differences(kind, from_logits):
    rng = np.random.default_rng(100 + _core.enums["loss"][kind] * 2 + from_logits)
    delta = 0.7 if kind == K.HUBER else 1.0
    nonzero = []
    for rows, cols in kind_shapes(kind):
        for variant in (0, 1):
            p, y = make_data(kind, rows, cols, rng, from_logits, variant)
            w = f32(rng.uniform(0.2, 2.0, rows)) if variant else None
            g = check_grad(kind, p, y, from_logits, delta=delta, weights=w, scale=1.0 / rows,
                           full=rows * cols <= 60)
            nonzero.append(np.abs(g).max() > 0)
    assert np.mean(nonzero) > 0.7, "gradients are mostly all-zero: the check would prove nothing"


@pytest.mark.parametrize("kind,from_logits", [(K.BCE, False), (K.BCE, True), (K.CCE, False), (K.CCE, True)])
def test_backward_label_smoothing(kind, from_logits):
    rng = np.random.default_rng(5)
    p, y = make_data(kind, 6, 4, rng, from_logits)
    g = check_grad(kind, p, y, from_logits, ls=0.2, weights=f32(rng.uniform(0.5, 1.5, 6)), scale=0.37)
    assert np.abs(g).max() > 0


def test_backward_weights_and_scale_are_linear():
    rng = np.random.default_rng(9)
    p, y = make_data(K.MSE, 5, 3, rng)
    w = f32([0.0, 1.0, 2.0, 0.5, 3.0])
    g1 = _core.loss_backward(rec(K.MSE), p, y, None, 1.0, LINEAR)
    g2 = _core.loss_backward(rec(K.MSE), p, y, w, 0.5, LINEAR)
    np.testing.assert_allclose(g2, g1 * (0.5 * w)[:, None], rtol=1e-6)
    assert np.all(g2[0] == 0)


def test_backward_kinks_follow_torch():
    """As torch autograd: abs'(0) = 0; maximum() ties give half; amax ties share evenly; huber at
    |e| == delta takes the quadratic branch."""
    p = f32([[1.0, 2.0, 0.5]])
    y = f32([[1.0, 2.5, 0.0]])
    g = _core.loss_backward(rec(K.MAE), p, y, None, 3.0, LINEAR)
    np.testing.assert_allclose(g, [[0.0, -1.0, 1.0]], rtol=1e-6)
    # hinge with y in {-1, 1}: 1 - y p = 0 exactly at p = 1, y = 1
    g = _core.loss_backward(rec(K.HINGE), f32([[1.0, 0.0]]), f32([[1.0, -1.0]]), None, 2.0, LINEAR)
    np.testing.assert_allclose(g, [[-0.5, 1.0]], rtol=1e-6)
    g = _core.loss_backward(rec(K.HUBER, delta=1.0), f32([[2.0, -3.0]]), f32([[1.0, 0.0]]), None, 2.0, LINEAR)
    np.testing.assert_allclose(g, [[1.0, -1.0]], rtol=1e-6)
    # categorical hinge: amax shares a tie evenly
    g = _core.loss_backward(rec(K.CATEGORICAL_HINGE), f32([[0.2, 0.5, 0.5]]), f32([[1, 0, 0]]), None, 1.0, LINEAR)
    np.testing.assert_allclose(g, [[-1.0, 0.5, 0.5]], rtol=1e-6)


# ----------------------------------------------------------------------------- clipping

def test_bce_probability_clipping():
    p = f32([[0.0, 1.0, 0.5, 1e-9]])
    y = f32([[1.0, 0.0, 1.0, 0.0]])
    got = _core.loss_forward(rec(K.BCE), p, y)
    want = ref_loss(K.BCE, p, y)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert got[0] > 8.0   # -log(1e-7) / 4 * 2 + ...
    g = _core.loss_backward(rec(K.BCE), p, y, None, 1.0, LINEAR)
    assert g[0, 0] == 0 and g[0, 1] == 0 and g[0, 3] == 0
    np.testing.assert_allclose(g[0, 2], (0.5 - 1.0) / (0.25) / 4, rtol=1e-6)
    gf = _core.loss_backward(rec(K.BCE), p, y, None, 1.0, SIGMOID)
    assert gf[0, 0] == 0 and gf[0, 1] == 0 and gf[0, 3] == 0
    np.testing.assert_allclose(gf[0, 2], (0.5 - 1.0) / 4, rtol=1e-6)


def test_cce_probability_clipping():
    p = f32([[0.0, 1.0, 0.0], [0.2, 0.8, 0.0]])
    y = f32([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    got = _core.loss_forward(rec(K.CCE), p, y)
    np.testing.assert_allclose(got, [-np.log(EPS)] * 2, rtol=1e-5)
    g = _core.loss_backward(rec(K.CCE), p, y, None, 1.0, LINEAR)
    # the only labelled entries are clipped: no gradient at all
    assert np.all(g == 0)
    # y spread over a clipped and an unclipped class: only the unclipped one drives the gradient
    y2 = f32([[0.5, 0.0, 0.5]])
    p2 = f32([[0.6, 0.4, 0.0]])
    g2 = _core.loss_backward(rec(K.CCE), p2, y2, None, 1.0, LINEAR)
    gq = np.array([-0.5 / 0.6, 0.0, 0.0])
    A = -0.5
    np.testing.assert_allclose(g2[0], (gq - A) / 1.0, rtol=1e-6)
    gs = _core.loss_backward(rec(K.CCE), p2, y2, None, 1.0, SOFTMAX)
    a = np.array([-0.5, 0, 0])
    np.testing.assert_allclose(gs[0], a - np.array([0.6, 0.4, 0.0]) * A, rtol=1e-6, atol=1e-7)


def test_scce_and_kld_clipping():
    p = f32([[0.0, 1.0, 0.0]])
    assert np.allclose(_core.loss_forward(rec(K.SCCE), p, f32([0])), -np.log(EPS), rtol=1e-5)
    assert np.allclose(_core.loss_forward(rec(K.SCCE), p, f32([1])), -np.log(ONE_M), rtol=1e-3)
    assert np.all(_core.loss_backward(rec(K.SCCE), p, f32([0]), None, 1.0, LINEAR) == 0)
    assert np.all(_core.loss_backward(rec(K.SCCE), p, f32([0]), None, 1.0, SOFTMAX) == 0)
    yk = f32([[0.5, 0.5, 0.0]])
    got = _core.loss_forward(rec(K.KLD), p, yk)
    np.testing.assert_allclose(got, ref_loss(K.KLD, p, yk), rtol=1e-5)
    g = _core.loss_backward(rec(K.KLD), p, yk, None, 1.0, LINEAR)
    assert g[0, 0] == 0 and g[0, 2] == 0 and g[0, 1] == pytest.approx(-0.5)


def test_scce_out_of_range_ids_give_zero():
    p = f32([[0.2, 0.8], [0.5, 0.5]])
    y = f32([2.0, -1.0])
    assert np.all(_core.loss_forward(rec(K.SCCE), p, y) == 0)
    assert np.all(_core.loss_backward(rec(K.SCCE), p, y, None, 1.0, LINEAR) == 0)


# ----------------------------------------------------------------------------- fused activations

def dL_dp_ce(kind, p, y, ls=0.0):
    """Analytic float64 dL/dp of the clipped probability formula (all rows weight 1)."""
    p = p.astype(np.float64)
    C = p.shape[1]
    if kind == K.SCCE:
        ys = np.eye(C)[y.astype(int)]
    else:
        ys = y.astype(np.float64) * (1 - ls) + ls / C
    S = p.sum(axis=1, keepdims=True)
    q = p / S
    inside = (q >= EPS) & (q <= ONE_M)
    g = np.where(inside, -ys / q, 0.0)
    return (g - (g * q).sum(axis=1, keepdims=True)) / S


@pytest.mark.parametrize("kind", [K.CCE, K.SCCE])
def test_fused_softmax(kind):
    rng = np.random.default_rng(21)
    for rows, cols in [(1, 2), (4, 3), (9, 10), (17, 5)]:
        z = rng.normal(0, 2, (rows, cols))
        p = f32(softmax64(z))
        y = make_data(kind, rows, cols, rng)[1]
        for ls in ((0.0, 0.15) if kind == K.CCE else (0.0,)):
            w = f32(rng.uniform(0.5, 2, rows))
            scale = 1.0 / rows
            gz = _core.loss_backward(rec(kind, False, ls), p, y, w, scale, SOFTMAX)
            # compose by hand: dz = p * (G - sum(G p)) with G the float64 dL/dp
            G = dL_dp_ce(kind, p, y, ls) * (scale * w.astype(np.float64))[:, None]
            p64 = p.astype(np.float64)
            want = p64 * (G - (G * p64).sum(axis=1, keepdims=True))
            np.testing.assert_allclose(gz, want, rtol=1e-4, atol=1e-6 * np.abs(want).max())
            # and finite differences of L(softmax(z)) in z
            def f(zz):
                return ref_total(kind, softmax64(zz), y, w, scale, ls=ls)
            np.testing.assert_allclose(gz, fd_grad(f, z), rtol=1e-3, atol=1e-4 * np.abs(want).max())
            assert np.abs(gz).max() > 0


def test_fused_sigmoid():
    rng = np.random.default_rng(22)
    for rows, cols in [(1, 1), (5, 1), (8, 3)]:
        z = rng.normal(0, 2, (rows, cols))
        p = f32(sigmoid64(z))
        y = f32(rng.integers(0, 2, (rows, cols)))
        for ls in (0.0, 0.2):
            w = f32(rng.uniform(0.5, 2, rows))
            gz = _core.loss_backward(rec(K.BCE, False, ls), p, y, w, 0.5, SIGMOID)
            gp = _core.loss_backward(rec(K.BCE, False, ls), p, y, w, 0.5, LINEAR)
            p64 = p.astype(np.float64)
            np.testing.assert_allclose(gz, gp * p64 * (1 - p64), rtol=1e-5, atol=1e-8)
            def f(zz):
                return ref_total(K.BCE, sigmoid64(zz), y, w, 0.5, ls=ls)
            np.testing.assert_allclose(gz, fd_grad(f, z), rtol=1e-3, atol=1e-6)


def test_unsupported_fusions_are_rejected():
    p, y = f32([[0.3, 0.7]]), f32([[0.0, 1.0]])
    bad = [(K.MSE, False, SIGMOID), (K.BCE, False, SOFTMAX), (K.CCE, False, SIGMOID),
           (K.CCE, True, SOFTMAX), (K.BCE, True, SIGMOID), (K.CCE, False, RELU)]
    for kind, fl, act in bad:
        with pytest.raises((ValueError, RuntimeError)):
            _core.loss_backward(rec(kind, fl), p, y, None, 1.0, act)


# ----------------------------------------------------------------------------- Keras golden values

def test_golden_regression():
    assert losses.MeanSquaredError()([1, 0, 1], [0.9, 0.1, 0.8]) == pytest.approx(0.02, rel=1e-6)
    assert losses.MeanAbsoluteError()([1, 0.3, 1], [1.9, 0.3, 1.8]) == pytest.approx(0.5666667, rel=1e-6)
    assert losses.MeanAbsolutePercentageError()([100, 200, 300], [90, 210, 310]) == pytest.approx(6.111111, rel=1e-6)
    assert losses.Huber()([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]) == pytest.approx(0.155, rel=1e-5)
    assert losses.LogCosh()([[0., 1.], [0., 0.]], [[1., 1.], [0., 0.]]) == pytest.approx(0.108, abs=5e-4)


def test_golden_binary_crossentropy():
    bce = losses.BinaryCrossentropy(from_logits=True)
    assert bce([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8]) == pytest.approx(0.8654, abs=1e-4)
    yt, yp = [[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]]
    none = losses.BinaryCrossentropy(from_logits=True, reduction="none")(yt, yp)
    np.testing.assert_allclose(none, [0.235, 1.496], atol=1e-3)
    assert none.dtype == np.float32
    assert bce(yt, yp) == pytest.approx(0.8654, abs=1e-4)
    assert bce(yt, yp, sample_weight=[0.8, 0.2]) == pytest.approx(0.243, abs=1e-3)
    assert losses.BinaryCrossentropy(from_logits=True, reduction="sum")(yt, yp) == pytest.approx(1.730, abs=1e-3)
    np.testing.assert_allclose(losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]),
                               [0.916, 0.714], atol=1e-3)


@pytest.mark.parametrize("sparse", [False, True])
def test_golden_categorical_crossentropy(sparse):
    yt = [1, 2] if sparse else [[0, 1, 0], [0, 0, 1]]
    yp = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    cls = losses.SparseCategoricalCrossentropy if sparse else losses.CategoricalCrossentropy
    np.testing.assert_allclose(cls(reduction="none")(yt, yp), [0.0513, 2.303], atol=1e-3)
    assert cls()(yt, yp) == pytest.approx(1.177, abs=1e-3)
    assert cls()(yt, yp, sample_weight=[0.3, 0.7]) == pytest.approx(0.814, abs=1e-3)
    assert cls(reduction="sum")(yt, yp) == pytest.approx(2.354, abs=1e-3)
    fn = losses.sparse_categorical_crossentropy if sparse else losses.categorical_crossentropy
    np.testing.assert_allclose(fn(yt, yp), [0.0513, 2.303], atol=1e-3)


# ----------------------------------------------------------------------------- Python API

CLASSES = [
    (losses.MeanSquaredError, K.MSE), (losses.MeanAbsoluteError, K.MAE),
    (losses.MeanAbsolutePercentageError, K.MAPE), (losses.MeanSquaredLogarithmicError, K.MSLE),
    (losses.BinaryCrossentropy, K.BCE), (losses.CategoricalCrossentropy, K.CCE),
    (losses.SparseCategoricalCrossentropy, K.SCCE), (losses.Hinge, K.HINGE),
    (losses.SquaredHinge, K.SQUARED_HINGE), (losses.CategoricalHinge, K.CATEGORICAL_HINGE),
    (losses.Huber, K.HUBER), (losses.LogCosh, K.LOG_COSH), (losses.KLDivergence, K.KLD),
    (losses.Poisson, K.POISSON), (losses.CosineSimilarity, K.COSINE),
]


@pytest.mark.parametrize("cls,kind", CLASSES, ids=lambda c: getattr(c, "__name__", str(c)))
def test_class_matches_reference_and_config(cls, kind):
    rng = np.random.default_rng(_core.enums["loss"][kind])
    p, y = make_data(kind, 6, 3, rng)
    loss = cls()
    assert tup(loss.c_record()) == (_core.enums["loss"][kind], 0, 0.0, 1.0)
    per = ref_loss(kind, p, y)
    assert loss(y, p) == pytest.approx(per.mean(), rel=2e-5, abs=2e-6)
    w = rng.uniform(0, 2, 6)
    assert loss(y, p, sample_weight=w) == pytest.approx((per * w).sum() / 6, rel=2e-5, abs=2e-6)
    assert cls(reduction="sum")(y, p) == pytest.approx(per.sum(), rel=2e-5, abs=2e-6)
    mw = cls(reduction="mean_with_sample_weight")(y, p, sample_weight=w)
    assert mw == pytest.approx((per * w).sum() / w.sum(), rel=2e-5, abs=2e-6)
    np.testing.assert_allclose(cls(reduction="none")(y, p), per, rtol=2e-5, atol=2e-6)
    assert isinstance(loss(y, p), float)
    cfg = loss.get_config()
    assert cfg["name"] == loss.name and cfg["reduction"] == "sum_over_batch_size"
    again = cls.from_config(cfg)
    assert again.get_config() == cfg and again.c_record() == loss.c_record()


def test_records_carry_arguments():
    record = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1).c_record()
    assert tup(record) == (4, 1, pytest.approx(0.1), 1.0)
    assert losses.CategoricalCrossentropy(label_smoothing=0.2).c_record()["label_smoothing"] == pytest.approx(0.2)
    assert tup(losses.Huber(delta=2.5).c_record()) == (10, 0, 0.0, 2.5)
    assert losses.Huber(delta=2.5).get_config()["delta"] == 2.5
    assert losses.BinaryCrossentropy(label_smoothing=0.3).get_config()["label_smoothing"] == 0.3
    assert [_core.enums["loss"][k.value] for k in K] == list(range(15))


def test_label_smoothing_and_delta_reach_the_kernel():
    rng = np.random.default_rng(2)
    p, y = make_data(K.BCE, 5, 2, rng)
    assert losses.BinaryCrossentropy(label_smoothing=0.2)(y, p) == pytest.approx(
        ref_loss(K.BCE, p, y, ls=0.2).mean(), rel=1e-5)
    p, y = make_data(K.HUBER, 5, 4, rng)
    assert losses.Huber(delta=0.3)(y, p) == pytest.approx(ref_loss(K.HUBER, p, y, delta=0.3).mean(), rel=1e-5)


def test_custom_loss_subclass():
    class MyLoss(losses.Loss):
        def call(self, y_true, y_pred):
            return np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2, axis=-1)
    m = MyLoss()
    assert m.name == "my_loss" and m.c_record() is None
    assert m([[1.0, 0.0]], [[0.0, 0.0]], sample_weight=[2.0]) == pytest.approx(1.0)

    class Overridden(losses.MeanSquaredError):
        def call(self, y_true, y_pred):
            return np.zeros(len(y_true))
    assert Overridden().c_record() is None


def test_rank_handling_like_keras():
    y = np.array([1.0, 0.0, 1.0, 0.0])
    p = np.array([[0.9], [0.2], [0.6], [0.4]])
    per = losses.MeanSquaredError(reduction="none")(y, p)
    np.testing.assert_allclose(per, [0.01, 0.04, 0.16, 0.16], rtol=1e-5)   # no (N, N) broadcast
    np.testing.assert_allclose(losses.mean_squared_error(p, y), per, rtol=1e-6)
    # sparse labels (N,) and (N, 1)
    yp = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    a = losses.sparse_categorical_crossentropy([1, 2], yp)
    b = losses.sparse_categorical_crossentropy([[1], [2]], yp)
    np.testing.assert_array_equal(a, b)
    # inner axes: per-sample values keep the leading shape
    p3 = np.random.default_rng(0).uniform(size=(2, 3, 4))
    assert losses.mean_absolute_error(p3 * 0, p3).shape == (2, 3)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)"):
        losses.MeanSquaredError()(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="3"):
        losses.SparseCategoricalCrossentropy()([0, 3], [[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    with pytest.raises(ValueError, match="1.5"):
        losses.SparseCategoricalCrossentropy()([0, 1.5], [[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    with pytest.raises(ValueError, match="-1"):
        losses.sparse_categorical_crossentropy([-1], [[0.5, 0.5]])
    with pytest.raises(ValueError):
        losses.SparseCategoricalCrossentropy()([0, 1, 2], [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(TypeError):
        losses.MeanSquaredError()(["a", "b"], [0.1, 0.2])
    with pytest.raises(ValueError):
        losses.MeanSquaredError()([1.0, np.nan], [0.1, 0.2])
    with pytest.raises(ValueError):
        losses.MeanSquaredError()(np.zeros((0, 3)), np.zeros((0, 3)))
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="avg")
    with pytest.raises(ValueError):
        losses.MeanSquaredError()([[1.0], [2.0]], [[1.0], [2.0]], sample_weight=[1.0, 2.0, 3.0])
    y, p = [[1.0, 0.0]], [[0.5, 0.5]]
    before = (np.array(y).copy(), np.array(p).copy())
    yy, pp = np.array(y), np.array(p)
    losses.CategoricalCrossentropy()(yy, pp)
    assert np.array_equal(yy, before[0]) and np.array_equal(pp, before[1])


def test_get_names():
    assert losses.get("mse") is losses.mean_squared_error
    for alias, fn in [("MSE", "mean_squared_error"), ("mae", "mean_absolute_error"),
                      ("MAE", "mean_absolute_error"), ("mape", "mean_absolute_percentage_error"),
                      ("MAPE", "mean_absolute_percentage_error"), ("msle", "mean_squared_logarithmic_error"),
                      ("MSLE", "mean_squared_logarithmic_error"), ("kld", "kl_divergence"),
                      ("KLD", "kl_divergence"), ("bce", "binary_crossentropy"), ("BCE", "binary_crossentropy")]:
        assert losses.get(alias) is getattr(losses, fn)
    for cls, _ in CLASSES:
        assert type(losses.get(cls.__name__)) is cls
    for fn in ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
               "mean_squared_logarithmic_error", "binary_crossentropy", "categorical_crossentropy",
               "sparse_categorical_crossentropy", "hinge", "squared_hinge", "categorical_hinge",
               "huber", "log_cosh", "kl_divergence", "poisson", "cosine_similarity"]:
        assert losses.get(fn) is getattr(losses, fn)
        assert losses.resolve(fn).c_record()["kind"] == getattr(losses, fn)._cnn_kind
        assert losses.get(fn).c_record() == losses.resolve(fn).c_record()
    for legacy, fn in [("logcosh", losses.log_cosh), ("kullback_leibler_divergence", losses.kl_divergence),
                       ("huber_loss", losses.huber)]:
        with pytest.warns(UserWarning, match=legacy):
            assert losses.get(legacy) is fn
    with pytest.raises(ValueError, match="mean_squared_error"):
        losses.get("mean_sqared_error")
    with pytest.raises(ValueError, match="not implemented"):
        losses.get("dice")
    assert losses.get(None) is None
    obj = losses.Huber()
    assert losses.get(obj) is obj
    assert isinstance(losses.get(losses.Poisson), losses.Poisson)
    got = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert tup(got.c_record())[:2] == (5, 1)
    rt = losses.deserialize(losses.serialize(losses.Huber(delta=3.0)))
    assert tup(rt.c_record()) == (10, 0, 0.0, 3.0)
    assert losses.deserialize(losses.serialize(losses.hinge)) is losses.hinge


def test_resolve_names_wrappers_after_the_string():
    w = losses.resolve("mse")
    assert isinstance(w, losses.Loss) and w.name == "mse" and tup(w.c_record()) == (0, 0, 0.0, 1.0)
    assert w([1, 0, 1], [0.9, 0.1, 0.8]) == pytest.approx(0.02, rel=1e-6)
    def custom(yt, yp):
        return np.abs(np.asarray(yt) - np.asarray(yp)).sum(axis=-1)
    cw = losses.resolve(custom)
    assert cw.c_record() is None and cw([[1.0, 2.0]], [[0.0, 0.0]]) == pytest.approx(3.0)


@pytest.mark.parametrize("ident", ["crossentropy", "ce", "CE", "Crossentropy"])
def test_crossentropy_by_shape(ident):
    marker = losses.get(ident)
    assert isinstance(marker, losses.AutoCrossentropy) and marker.c_record() is None
    assert losses.resolve(ident, (8, 1), (8, 1)).c_record()["kind"] == K.BCE
    assert losses.resolve(ident, (8,), (8, 4)).c_record()["kind"] == K.SCCE
    assert losses.resolve(ident, (8, 1), (8, 4)).c_record()["kind"] == K.SCCE
    assert losses.resolve(ident, (8, 4), (8, 4)).c_record()["kind"] == K.CCE
    assert losses.resolve(ident, (8, 4), (8, 4)).name == ident
    with pytest.raises(ValueError):
        losses.resolve(ident)
    yp = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    assert marker([1, 2], yp) == pytest.approx(1.177, abs=1e-3)
    assert marker([[0, 1, 0], [0, 0, 1]], yp) == pytest.approx(1.177, abs=1e-3)


def test_legacy_attributes_and_aliases():
    assert losses.mse is losses.mean_squared_error and losses.KLD is losses.kl_divergence
    with pytest.warns(UserWarning):
        assert losses.logcosh is losses.log_cosh
    with pytest.raises(AttributeError):
        losses.no_such_loss


def test_cce_single_class_warns():
    with warnings.catch_warnings(record=True) as rec_:
        warnings.simplefilter("always")
        losses.categorical_crossentropy([[1.0]], [[0.7]])
    assert any("binary_crossentropy" in str(w.message) for w in rec_)


def test_pickle_and_deepcopy():
    import copy
    import pickle
    for obj in [losses.MeanSquaredError(), losses.Huber(2.0), losses.resolve("mse"),
                losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), losses.get("ce")]:
        for twin in (pickle.loads(pickle.dumps(obj)), copy.deepcopy(obj)):
            assert type(twin) is type(obj)
            assert twin.get_config() == obj.get_config() and twin.c_record() == obj.c_record()

"""Dense forward/backward and colsum_accumulate against float64 NumPy references."""
import numpy as np
import pytest

from cnn import _core

SHAPES = [(1, 1, 1), (1, 4, 8), (120, 4, 8), (120, 9, 3), (7, 13, 1), (65, 11, 17),
          (200, 64, 130), (32, 784, 10)]


def close(got, ref, scale, tol=1e-5):
    err = np.abs(got.astype(np.float64) - ref)
    assert np.all(err <= tol * scale + 1e-30), f"max err {err.max()}"


def data(rng, rows, n_in, n_out):
    x = rng.standard_normal((rows, n_in)).astype(np.float32)
    w = (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32)
    b = rng.standard_normal(n_out).astype(np.float32)
    dy = rng.standard_normal((rows, n_out)).astype(np.float32)
    return x, w, b, dy


@pytest.mark.parametrize("rows,n_in,n_out", SHAPES)
@pytest.mark.parametrize("relu", [False, True])
def test_forward(rows, n_in, n_out, relu):
    rng = np.random.default_rng(rows * 31 + n_in * 7 + n_out)
    x, w, b, _ = data(rng, rows, n_in, n_out)
    x0, w0 = x.copy(), w.copy()
    y = _core.dense_forward(x, w, b, relu)
    ref = x.astype(np.float64) @ w + b
    scale = np.abs(x).astype(np.float64) @ np.abs(w) + np.abs(b)
    if relu:
        ref = np.maximum(ref, 0.0)
        assert np.all(y >= 0)
    assert y.shape == (rows, n_out) and y.dtype == np.float32
    close(y, ref, scale)
    assert np.array_equal(x, x0) and np.array_equal(w, w0)
    y_nobias = _core.dense_forward(x, w, None, False)
    close(y_nobias, x.astype(np.float64) @ w, scale)


@pytest.mark.parametrize("rows,n_in,n_out", SHAPES)
def test_backward_against_reference(rows, n_in, n_out):
    rng = np.random.default_rng(rows + n_in * 3 + n_out * 5)
    x, w, _, dy = data(rng, rows, n_in, n_out)
    dw = rng.standard_normal((n_in, n_out)).astype(np.float32)  # backward accumulates into these
    db = rng.standard_normal(n_out).astype(np.float32)
    dw0, db0 = dw.copy(), db.copy()
    dx = _core.dense_backward(dy, x, w, None, dw, db, True)
    x64, dy64, w64 = x.astype(np.float64), dy.astype(np.float64), w.astype(np.float64)
    close(dw, dw0 + x64.T @ dy64, np.abs(dw0) + np.abs(x64).T @ np.abs(dy64))
    close(db, db0 + dy64.sum(0), np.abs(db0) + np.abs(dy64).sum(0), tol=1e-5 * max(1, rows / 64))
    close(dx, dy64 @ w64.T, np.abs(dy64) @ np.abs(w64).T)


def test_backward_mask_and_no_dx():
    rng = np.random.default_rng(1)
    x, w, b, dy = data(rng, 50, 12, 7)
    pre = rng.standard_normal((50, 12)).astype(np.float32)  # e.g. the previous layer's output
    dw = np.zeros((12, 7), np.float32)
    db = np.zeros(7, np.float32)
    dx = _core.dense_backward(dy, x, w, pre, dw, db, True)
    ref = np.where(pre > 0, dy.astype(np.float64) @ w.T, 0.0)
    close(dx, ref, np.abs(dy).astype(np.float64) @ np.abs(w).T)
    assert np.all(dx[pre <= 0] == 0) and np.any(dx != 0)
    dw2, db2 = np.zeros_like(dw), np.zeros_like(db)
    assert _core.dense_backward(dy, x, w, None, dw2, db2, False) is None
    assert np.array_equal(dw, dw2) and np.array_equal(db, db2)
    dw3 = np.zeros_like(dw)
    assert _core.dense_backward(dy, x, w, None, dw3, None, False) is None  # db optional
    assert np.array_equal(dw3, dw)


def test_backward_twice_doubles():
    rng = np.random.default_rng(2)
    x, w, _, dy = data(rng, 33, 9, 5)
    dw, db = np.zeros((9, 5), np.float32), np.zeros(5, np.float32)
    _core.dense_backward(dy, x, w, None, dw, db, False)
    once_w, once_b = dw.copy(), db.copy()
    _core.dense_backward(dy, x, w, None, dw, db, False)
    assert np.array_equal(dw, once_w + once_w)  # 0 + g, then g + g: exact
    assert np.array_equal(db, once_b + once_b)


def test_gradient_matches_finite_differences():
    """Loss L = sum(g * relu(x w + b)); analytic dL/dw, dL/db, dL/dx vs central differences in
    float64 along random directions (robust in float32: the kernels give the analytic side)."""
    rng = np.random.default_rng(3)
    rows, n_in, n_out = 6, 5, 4
    x, w, b, g = data(rng, rows, n_in, n_out)
    y = _core.dense_forward(x, w, b, True)
    dy = np.where(y > 0, g, 0).astype(np.float32)  # relu backward
    dw, db = np.zeros_like(w), np.zeros_like(b)
    dx = _core.dense_backward(dy, x, w, None, dw, db, True)
    assert np.abs(dw).sum() > 0 and np.abs(db).sum() > 0 and np.abs(dx).sum() > 0

    def loss(x_, w_, b_):
        return float(np.sum(g * np.maximum(x_ @ w_ + b_, 0.0)))

    x64, w64, b64 = (a.astype(np.float64) for a in (x, w, b))
    eps = 1e-4
    for _ in range(5):
        ux, uw, ub = rng.standard_normal(x.shape), rng.standard_normal(w.shape), rng.standard_normal(b.shape)
        numeric = (loss(x64 + eps * ux, w64 + eps * uw, b64 + eps * ub)
                   - loss(x64 - eps * ux, w64 - eps * uw, b64 - eps * ub)) / (2 * eps)
        analytic = float(np.sum(dx * ux) + np.sum(dw * uw) + np.sum(db * ub))
        assert abs(numeric - analytic) <= 1e-3 * (1 + abs(numeric)), (numeric, analytic)


@pytest.mark.parametrize("rows,cols", [(1, 1), (1, 7), (63, 5), (64, 5), (65, 5), (200, 3),
                                       (130, 600), (1000, 33)])
def test_colsum_fixed_chunk_order(rows, cols):
    rng = np.random.default_rng(rows + cols)
    m = rng.standard_normal((rows, cols)).astype(np.float32)
    out = rng.standard_normal(cols).astype(np.float32)
    expect = out.copy()
    for r0 in range(0, rows, 64):  # the documented order, emulated in float32 step by step
        part = np.zeros(cols, np.float32)
        for r in range(r0, min(rows, r0 + 64)):
            part = part + m[r]
        expect = expect + part
    _core.colsum_accumulate(out, m)
    assert np.array_equal(out, expect)


def test_colsum_bits_do_not_depend_on_threads():
    rng = np.random.default_rng(9)
    x, w, _, dy = data(rng, 700, 300, 200)
    results = []
    threads = _core.get_num_threads()
    try:
        for t in (1, 2):
            _core.set_num_threads(t)
            dw, db = np.zeros((300, 200), np.float32), np.zeros(200, np.float32)
            dx = _core.dense_backward(dy, x, w, None, dw, db, True)
            results.append((dw, db, dx))
    finally:
        _core.set_num_threads(threads)
    for a, b in zip(*results):
        assert np.array_equal(a, b)

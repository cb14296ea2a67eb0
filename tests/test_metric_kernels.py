"""Metric kernels (cnn._core.metric_update) against float64 NumPy references and the values of
Keras's metric doctests."""
import numpy as np
import pytest

from cnn import _core

BINARY, CATEGORICAL, SPARSE, MAE, MSE = ("binary_accuracy", "categorical_accuracy",
                                        "sparse_categorical_accuracy", "mae", "mse")   # _core.enums["metric"]


def f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def ref_values(kind, p, y, threshold=0.5):
    p = np.asarray(p, np.float64)
    y = np.asarray(y, np.float64)
    if kind == BINARY:
        return (y == (p > np.float32(threshold)).astype(np.float64)).mean(axis=1)
    if kind == CATEGORICAL:
        return (np.argmax(y, axis=1) == np.argmax(p, axis=1)).astype(np.float64)
    if kind == SPARSE:
        return (y == np.argmax(p, axis=1)).astype(np.float64)
    if kind == MAE:
        return np.abs(y - p).mean(axis=1)
    if kind == MSE:
        return ((y - p) ** 2).mean(axis=1)
    raise AssertionError(kind)


def make(kind, rows, cols, rng):
    if kind == BINARY:
        p = rng.uniform(0, 1, (rows, cols))
        p[rng.uniform(size=p.shape) < 0.1] = 0.5    # exactly at the threshold: strict >
        y = rng.integers(0, 2, (rows, cols)).astype(float)
    elif kind == CATEGORICAL:
        p = rng.integers(0, 4, (rows, cols)).astype(float)   # many ties: the first max wins
        y = np.eye(cols)[rng.integers(0, cols, rows)]
    elif kind == SPARSE:
        p = rng.integers(0, 4, (rows, cols)).astype(float)
        y = rng.integers(0, cols, rows).astype(float)
    else:
        p = rng.normal(size=(rows, cols))
        y = rng.normal(size=(rows, cols))
    return f32(p), f32(y)


@pytest.mark.parametrize("kind", [BINARY, CATEGORICAL, SPARSE, MAE, MSE])
def test_update_matches_reference(kind):
    rng = np.random.default_rng(_core.enums["metric"][kind])
    for rows, cols in [(1, 1), (1, 4), (5, 1), (7, 3), (64, 10), (33, 17)]:
        if kind in (CATEGORICAL, SPARSE) and cols == 1:
            continue
        p, y = make(kind, rows, cols, rng)
        per = ref_values(kind, p, y)
        # accuracies are exact; mae/mse take each element's term in float32, summed in double
        rel = 1e-12 if kind in (BINARY, CATEGORICAL, SPARSE) else 1e-6
        total, count = _core.metric_update({"kind": kind, "threshold": 0.5}, p, y, None)
        assert count == rows
        assert total == pytest.approx(per.sum(), rel=rel, abs=1e-9)
        w = f32(rng.uniform(0, 2, rows))
        total, count = _core.metric_update({"kind": kind, "threshold": 0.5}, p, y, w)
        w64 = w.astype(np.float64)
        assert count == pytest.approx(w64.sum(), rel=1e-12)
        assert total == pytest.approx((per * w64).sum(), rel=rel, abs=1e-9)


def test_binary_threshold_is_strict_and_configurable():
    p = f32([[0.5], [0.7], [0.3]])
    y = f32([[1], [1], [0]])
    assert _core.metric_update({"kind": BINARY, "threshold": 0.5}, p, y, None) == (2.0, 3.0)
    assert _core.metric_update({"kind": BINARY, "threshold": 0.7}, p, y, None) == (1.0, 3.0)
    assert _core.metric_update({"kind": BINARY, "threshold": 0.2}, p, y, None) == (2.0, 3.0)
    # soft labels never equal 0/1 predictions
    assert _core.metric_update({"kind": BINARY, "threshold": 0.5}, f32([[0.9]]), f32([[0.9]]), None) == (0.0, 1.0)


def test_argmax_first_max_wins():
    p = f32([[0.4, 0.4, 0.2]])
    assert _core.metric_update({"kind": CATEGORICAL, "threshold": 0.5}, p, f32([[1, 0, 0]]), None)[0] == 1.0
    assert _core.metric_update({"kind": CATEGORICAL, "threshold": 0.5}, p, f32([[0, 1, 0]]), None)[0] == 0.0
    assert _core.metric_update({"kind": SPARSE, "threshold": 0.5}, p, f32([0]), None)[0] == 1.0
    assert _core.metric_update({"kind": SPARSE, "threshold": 0.5}, p, f32([1]), None)[0] == 0.0


def test_golden_values():
    # BinaryAccuracy: 0.75
    t, c = _core.metric_update({"kind": BINARY, "threshold": 0.5}, f32([[0.98], [1], [0], [0.6]]), f32([[1], [1], [0], [0]]), None)
    assert t / c == pytest.approx(0.75)
    # CategoricalAccuracy: 0.5, weighted [0.7, 0.3]: 0.3
    yt, yp = f32([[0, 0, 1], [0, 1, 0]]), f32([[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    t, c = _core.metric_update({"kind": CATEGORICAL, "threshold": 0.5}, yp, yt, None)
    assert t / c == pytest.approx(0.5)
    t, c = _core.metric_update({"kind": CATEGORICAL, "threshold": 0.5}, yp, yt, f32([0.7, 0.3]))
    assert t / c == pytest.approx(0.3)
    assert c == pytest.approx(1.0)
    # SparseCategoricalAccuracy: 0.5
    t, c = _core.metric_update({"kind": SPARSE, "threshold": 0.5}, f32([[0.1, 0.6, 0.3], [0.05, 0.95, 0]]), f32([2, 1]), None)
    assert t / c == pytest.approx(0.5)
    # MeanSquaredError metric [[0,1],[0,0]] vs [[1,1],[0,0]]: 0.25 (MAE the same here)
    for kind in (MSE, MAE):
        t, c = _core.metric_update({"kind": kind, "threshold": 0.5}, f32([[1, 1], [0, 0]]), f32([[0, 1], [0, 0]]), None)
        assert t / c == pytest.approx(0.25)
    # with sample_weight=[1, 0]: sqrt of this is RootMeanSquaredError's 0.70710677
    t, c = _core.metric_update({"kind": MSE, "threshold": 0.5}, f32([[1, 1], [0, 0]]), f32([[0, 1], [0, 0]]), f32([1, 0]))
    assert np.sqrt(t / c) == pytest.approx(0.70710677)


def test_zero_weights_count_nothing():
    p, y = f32([[0.2, 0.8]]), f32([[0, 1]])
    assert _core.metric_update({"kind": CATEGORICAL, "threshold": 0.5}, p, y, f32([0.0])) == (0.0, 0.0)

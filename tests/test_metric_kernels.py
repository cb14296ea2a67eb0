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
    t, c = _core.metric_update({"kind": BINARY, "threshold": 0.5}, f32([[0.98], [1], [0], [0.6]]),
                               f32([[1], [1], [0], [0]]), None)
    assert t / c == pytest.approx(0.75)
    # CategoricalAccuracy: 0.5, weighted [0.7, 0.3]: 0.3
    yt, yp = f32([[0, 0, 1], [0, 1, 0]]), f32([[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    t, c = _core.metric_update({"kind": CATEGORICAL, "threshold": 0.5}, yp, yt, None)
    assert t / c == pytest.approx(0.5)
    t, c = _core.metric_update({"kind": CATEGORICAL, "threshold": 0.5}, yp, yt, f32([0.7, 0.3]))
    assert t / c == pytest.approx(0.3)
    assert c == pytest.approx(1.0)
    # SparseCategoricalAccuracy: 0.5
    t, c = _core.metric_update({"kind": SPARSE, "threshold": 0.5}, f32([[0.1, 0.6, 0.3], [0.05, 0.95, 0]]),
                               f32([2, 1]), None)
    assert t / c == pytest.approx(0.5)
    # MeanSquaredError metric [[0,1],[0,0]] vs [[1,1],[0,0]]: 0.25 (MAE the same here)
    for kind in (MSE, MAE):
        t, c = _core.metric_update({"kind": kind, "threshold": 0.5}, f32([[1, 1], [0, 0]]), f32([[0, 1], [0, 0]]), None)
        assert t / c == pytest.approx(0.25)
    # with sample_weight=[1, 0]: sqrt of this is RootMeanSquaredError's 0.70710677
    t, c = _core.metric_update({"kind": MSE, "threshold": 0.5}, f32([[1, 1], [0, 0]]), f32([[0, 1], [0, 0]]),
                               f32([1, 0]))
    assert np.sqrt(t / c) == pytest.approx(0.70710677)


def test_zero_weights_count_nothing():
    p, y = f32([[0.2, 0.8]]), f32([[0, 1]])
    assert _core.metric_update({"kind": CATEGORICAL, "threshold": 0.5}, p, y, f32([0.0])) == (0.0, 0.0)


# ---------------------------------------------------------------- kinds with their own state


def _confusion_ref(p, y, w, thresholds, L):
    """Brute force: tp, fp at each threshold (p > t) and the positive / negative totals, per label."""
    pos, neg = y != 0, y == 0
    w = np.ones(len(p)) if w is None else w.astype(np.float64)
    W = np.broadcast_to(w[:, None], p.shape)
    axis = 0 if L > 1 else None
    tp = np.array([(W * (pos & (p > t))).sum(axis=axis) for t in thresholds])
    fp = np.array([(W * (neg & (p > t))).sum(axis=axis) for t in thresholds])
    return tp.reshape(len(thresholds), -1), fp.reshape(len(thresholds), -1), (W * pos).sum(axis=axis), \
        (W * neg).sum(axis=axis)


@pytest.mark.parametrize("multi_label", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_confusion_single_threshold_matches_brute_force(multi_label, weighted):
    rng = np.random.default_rng(5)
    p = f32(np.round(rng.uniform(size=(40, 3)), 1))      # ties at the threshold: strict >
    y = f32(rng.integers(0, 2, (40, 3)))
    w = f32(rng.uniform(0, 2, 40)) if weighted else None
    state = np.array(_core.metric_update({"kind": "confusion", "threshold": 0.5, "multi_label": multi_label},
                                         p, y, w))
    L = 3 if multi_label else 1
    tp, fp, pt, nt = _confusion_ref(p, y, w, [np.float32(0.5)], L)
    np.testing.assert_allclose(state, np.concatenate([tp.ravel(), fp.ravel(), np.ravel(pt), np.ravel(nt)]),
                               rtol=1e-12)


def test_confusion_buckets_cumulate_to_the_counts():
    """Evenly spaced thresholds: bucket b holds the scores passing thresholds 0..b (Keras's optimized
    path), so the reverse cumulative sums are the counts at each threshold."""
    rng = np.random.default_rng(6)
    T = 11
    p = f32(rng.uniform(-0.1, 1.1, (200, 1)))
    y = f32(rng.integers(0, 2, (200, 1)))
    state = np.array(_core.metric_update({"kind": "confusion", "num_thresholds": T}, p, y, None))
    pos, neg = state[:T], state[T:2 * T]
    thresholds = np.arange(T, dtype=np.float32) / np.float32(T - 1)
    tp, fp, pt, nt = _confusion_ref(np.clip(p, 0, 1), y, None, thresholds, 1)
    np.testing.assert_array_equal(np.cumsum(pos[::-1])[::-1], tp[:, 0])
    np.testing.assert_array_equal(np.cumsum(neg[::-1])[::-1], fp[:, 0])
    assert (state[2 * T], state[2 * T + 1]) == (pt, nt)
    # with epsilon ends (AUC) a score of 0 still counts at the first threshold (-eps)
    zero = np.array(_core.metric_update({"kind": "confusion", "num_thresholds": 3, "epsilon_ends": True},
                                        f32([[0.0]]), f32([[1.0]]), None))
    assert zero[0] == 1.0


def test_confusion_top_k_and_class_id():
    p = f32([[0.9, 0.8, 0.1, 0.7], [0.2, 0.3, 0.4, 0.5]])
    y = f32([[1, 0, 1, 1], [0, 0, 1, 0]])
    # top 2 of each row: (0, 1) and (3, 2); the rest become -1e10 (never > the threshold)
    s = _core.metric_update({"kind": "confusion", "top_k": 2, "threshold": -1e10}, p, y, None)
    assert s[:2] == (2.0, 2.0)              # tp: (0,0), (1,2); fp: (0,1), (1,3)
    s = _core.metric_update({"kind": "confusion", "class_id": 2, "threshold": 0.35}, p, y, None)
    assert s == (1.0, 0.0, 2.0, 0.0)        # column 2 only: one positive passes, both rows positive


def test_fbeta_and_r2_states_match_numpy():
    rng = np.random.default_rng(7)
    p, y, w = f32(rng.uniform(size=(30, 4))), f32(rng.integers(0, 2, (30, 4))), f32(rng.uniform(0, 2, 30))
    s = np.array(_core.metric_update({"kind": "fbeta", "threshold": 0.5}, p, y, w)).reshape(4, 4)
    pred, W = (p > 0.5).astype(np.float64), w.astype(np.float64)[:, None]
    np.testing.assert_allclose(s, [(W * pred * y).sum(0), (W * pred * (1 - y)).sum(0),
                                   (W * (1 - pred) * y).sum(0), (W * y).sum(0)], rtol=1e-12)
    s = np.array(_core.metric_update({"kind": "fbeta", "argmax": True}, p, y, None)).reshape(4, 4)
    top = (p == p.max(axis=1, keepdims=True)).astype(np.float64)
    np.testing.assert_allclose(s[0], (top * y).sum(0))
    r = np.array(_core.metric_update({"kind": "r2"}, p, y, w))
    y64, p64 = y.astype(np.float64), p.astype(np.float64)
    np.testing.assert_allclose(r[:16].reshape(4, 4), [(W * y64).sum(0), (W * y64 * y64).sum(0),
                                                      (W * (y64 - p64) ** 2).sum(0), np.repeat(W.sum(), 4)],
                               rtol=1e-12)
    assert r[16] == 30


def test_loss_kind_is_the_loss_mean():
    rng = np.random.default_rng(8)
    p, y = f32(rng.uniform(0.05, 0.95, (20, 3))), f32(rng.integers(0, 2, (20, 3)))
    total, count = _core.metric_update({"kind": "loss", "loss": "bce"}, p, y, None)
    per = _core.loss_forward({"kind": "bce"}, p, y)
    assert count == 20 and total == pytest.approx(per.sum(), rel=1e-12)

"""Streaming metrics: Keras 3's docstring values (keras/src/metrics/*.py), the state kept by the core,
reset, and what fit / evaluate log with them (benchmarks/compare_keras_metrics.py checks random data
against Keras itself)."""
import numpy as np
import pytest

import cnn
from cnn import _core
from cnn import metrics as M

A, B, Q = [[0, 1], [0, 0]], [[1, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
C3 = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
P4 = ([0, 1, 1, 1], [1, 0, 1, 1])
# (constructor, y_true, y_pred, sample_weight, Keras's value unweighted, weighted)
DOC = [
    (lambda: M.Accuracy(), [[1], [2], [3], [4]], [[0], [2], [3], [4]], [1, 1, 0, 0], 0.75, 0.5),
    (lambda: M.BinaryAccuracy(), [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], [1, 0, 0, 1], 0.75, 0.5),
    (lambda: M.CategoricalAccuracy(), [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3],
     0.5, 0.3),
    (lambda: M.SparseCategoricalAccuracy(), [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], [0.7, 0.3], 0.5, 0.3),
    (lambda: M.TopKCategoricalAccuracy(k=1), [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
     [0.7, 0.3], 0.5, 0.3),
    (lambda: M.SparseTopKCategoricalAccuracy(k=1), [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3],
     0.5, 0.3),
    (lambda: M.FalsePositives(), [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 0], 2.0, 1.0),
    (lambda: M.FalseNegatives(), [0, 1, 1, 1], [0, 1, 0, 0], [0, 0, 1, 0], 2.0, 1.0),
    (lambda: M.TrueNegatives(), [0, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], 2.0, 1.0),
    (lambda: M.TruePositives(), *P4, [0, 0, 1, 0], 2.0, 1.0),
    (lambda: M.Precision(), *P4, [0, 0, 1, 0], 0.6666667, 1.0),
    (lambda: M.Recall(), *P4, [0, 0, 1, 0], 0.6666667, 1.0),
    (lambda: M.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1], 0.75, 1.0),
    (lambda: M.SensitivityAtSpecificity(0.5), [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8], [1, 1, 2, 2, 1],
     0.5, 0.333333),
    (lambda: M.SpecificityAtSensitivity(0.5), [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8], [1, 1, 2, 2, 2],
     0.66666667, 0.5),
    (lambda: M.PrecisionAtRecall(0.5), [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8], [2, 2, 2, 1, 1], 0.5, 0.33333333),
    (lambda: M.RecallAtPrecision(0.8), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1], 0.5, 1.0),
    (lambda: M.MeanSquaredError(), A, B, [1, 0], 0.25, 0.5),
    (lambda: M.MeanAbsoluteError(), A, B, [1, 0], 0.25, 0.5),
    (lambda: M.MeanAbsolutePercentageError(), A, B, [1, 0], 250000000.0, 500000000.0),
    (lambda: M.MeanSquaredLogarithmicError(), A, B, [1, 0], 0.12011322, 0.24022643),
    (lambda: M.RootMeanSquaredError(), A, B, [1, 0], 0.5, 0.70710677),
    (lambda: M.CosineSimilarity(), [[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]], [0.3, 0.7], 0.49999997, 0.6999999),
    (lambda: M.LogCoshError(), A, B, [1, 0], 0.10844523, 0.21689045),
    (lambda: M.KLDivergence(), A, [[0.6, 0.4], [0.4, 0.6]], [1, 0], 0.45814306, 0.9162892),
    (lambda: M.Poisson(), A, B, [1, 0], 0.49999997, 0.99999994),
    (lambda: M.BinaryCrossentropy(), A, Q, [1, 0], 0.81492424, 0.9162905),
    (lambda: M.CategoricalCrossentropy(), [[0, 1, 0], [0, 0, 1]], C3, [0.3, 0.7], 1.1769392, 1.6271976),
    (lambda: M.SparseCategoricalCrossentropy(), [1, 2], C3, [0.3, 0.7], 1.1769392, 1.6271976),
    (lambda: M.Hinge(), A, Q, [1, 0], 1.3, 1.1),
    (lambda: M.SquaredHinge(), A, Q, [1, 0], 1.86, 1.46),
    (lambda: M.CategoricalHinge(), A, Q, [1, 0], 1.4000001, 1.2),
]


@pytest.mark.parametrize("make, y, p, w, plain, weighted", DOC)
def test_keras_docstring_values(make, y, p, w, plain, weighted):
    m = make()
    m.update_state(y, p)
    assert m.result() == pytest.approx(plain, rel=1e-6, abs=1e-6)   # the docstrings print 6 to 8 digits
    m.reset_state()
    m.update_state(y, p, sample_weight=w)
    assert m.result() == pytest.approx(weighted, rel=1e-6, abs=1e-6)


def test_precision_top_k_docstring():
    m = M.Precision(top_k=2)
    m.update_state([[0, 0, 1, 1]], [[1, 1, 1, 1]])
    assert m.result() == 0.0       # ties: the first two columns are the top 2
    m = M.Precision(top_k=4)
    m.update_state([[0, 0, 1, 1]], [[1, 1, 1, 1]])
    assert m.result() == 0.5


def test_fbeta_and_f1_docstrings():
    y = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32)
    p = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32)
    f2 = M.FBetaScore(beta=2.0, threshold=0.5)
    f2.update_state(y, p)
    np.testing.assert_allclose(f2.result(), [0.3846154, 0.90909094, 0.8333334], rtol=1e-6)
    f1 = M.F1Score(threshold=0.5)
    np.testing.assert_allclose(f1(y, p), [0.5, 0.8, 0.6666667], rtol=1e-6)
    assert M.F1Score(average="macro", threshold=0.5)(y, p) == pytest.approx(np.mean([0.5, 0.8, 2 / 3]), rel=1e-6)


def test_r2_docstring_and_adjusted():
    y, p = np.array([[1], [4], [3]], np.float32), np.array([[2], [4], [4]], np.float32)
    assert M.R2Score()(y, p) == pytest.approx(0.57142854, rel=1e-6)
    # adjusted: 1 - (1 - r2) (n - 1) / (n - p - 1) with n = 3 samples, p = 1 regressor
    assert M.R2Score(num_regressors=1)(y, p) == pytest.approx(1 - (1 - 4 / 7) * 2 / 1, rel=1e-6)


def test_auc_counts_by_hand():
    """The docstring's counts: thresholds [-eps, 0.5, 1 + eps]: tp [2, 1, 0], fp [2, 0, 0]."""
    m = M.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    tp, fp, tn, fn = m.counts(m._state, 1)
    assert tp[:, 0].tolist() == [2, 1, 0] and fp[:, 0].tolist() == [2, 0, 0]
    assert tn[:, 0].tolist() == [0, 2, 2] and fn[:, 0].tolist() == [0, 1, 2]


def test_state_accumulates_over_batches_and_resets():
    rng = np.random.default_rng(3)
    y, p = rng.integers(0, 2, (100, 1)), rng.uniform(size=(100, 1))
    whole, parts = M.AUC(curve="PR"), M.AUC(curve="PR")
    whole.update_state(y, p)
    for k in range(0, 100, 7):
        parts.update_state(y[k:k + 7], p[k:k + 7])
    assert parts.result() == whole.result()          # integer counts in double: exact
    parts.reset_state()
    assert parts.result() == 0.0
    with pytest.raises(ValueError, match="columns"):
        whole.update_state(np.zeros((2, 3)), np.zeros((2, 3)))


def test_state_sizes_come_from_the_core():
    auc = M.AUC(num_thresholds=50, multi_label=True)
    assert auc.state_size(4) == (2 * 50 + 2) * 4
    assert _core.metric_state_size({"kind": "fbeta"}, 3) == 12
    assert _core.metric_state_size({"kind": "r2"}, 2) == 9
    assert M.Precision(thresholds=[0.1, 0.7]).state_size(1) == 8       # one record per uneven threshold
    with pytest.raises(ValueError, match="columns"):
        _core.metric_state_size({"kind": "confusion", "class_id": 5}, 3)


def test_bad_arguments_name_the_value():
    with pytest.raises(ValueError, match="num_thresholds=1"):
        M.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        M.AUC(curve="XY")
    with pytest.raises(ValueError, match="thresholds="):
        M.Precision(thresholds=[1.5])
    with pytest.raises(ValueError, match="average='mean'"):
        M.F1Score(average="mean")
    with pytest.raises(ValueError, match="k=0"):
        M.TopKCategoricalAccuracy(k=0)
    with pytest.raises(ValueError, match="class_aggregation='x'"):
        M.R2Score(class_aggregation="x")


def test_mean_and_sum_standalone():
    m = M.Mean()
    m.update_state([1, 3, 5, 7])
    assert m.result() == 4.0
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert m.result() == pytest.approx((16 + 4) / 6)
    s = M.Sum()
    s.update_state([1, 3, 5, 7])
    assert s.result() == 16.0
    model = cnn.Sequential([cnn.Input(shape=(2,)), cnn.layers.Dense(1)])
    with pytest.raises(ValueError, match="cannot be compiled"):
        model.compile("sgd", "mse", metrics=[M.Mean()])


def test_a_metric_without_kernel_or_update_state_is_refused_at_compile():
    # (a subclass with its own update_state runs in Python: tests/test_custom_metrics.py)
    class Mine(M.Metric):
        pass

    model = cnn.Sequential([cnn.Input(shape=(2,)), cnn.layers.Dense(1)])
    with pytest.raises(ValueError, match="Mine has no C kernel"):
        model.compile("sgd", "mse", metrics=[Mine()])


def test_plain_functions_per_sample():
    y, p = [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    np.testing.assert_array_equal(M.categorical_accuracy(y, p), [0, 1])
    np.testing.assert_array_equal(M.top_k_categorical_accuracy(y, p, k=2), [1, 1])
    np.testing.assert_array_equal(M.sparse_top_k_categorical_accuracy([2, 1], p, k=1), [0, 1])
    np.testing.assert_allclose(M.cosine_similarity([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]]), [0, 1], atol=1e-6)
    np.testing.assert_array_equal(M.binary_accuracy([[1, 0]], [[0.6, 0.4]]), [1.0])


def _binary_model():
    cnn.utils.set_random_seed(1)
    model = cnn.Sequential([cnn.Input(shape=(6,)), cnn.layers.Dense(1, activation="sigmoid")])
    return model


def test_fit_logs_keys_and_values_match_standalone():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6)).astype("float32")
    y = (x[:, 0] + 0.5 * rng.normal(size=300) > 0).astype("float32")
    w = rng.choice([0.5, 1.0, 2.0], 300).astype("float32")
    model = _binary_model()
    model.compile("adam", "binary_crossentropy",
                  metrics=["accuracy", "AUC", M.Precision(name="prec"), M.AUC(curve="PR", name="pr")],
                  weighted_metrics=["accuracy", M.Recall()])
    h = model.fit(x, y, epochs=2, batch_size=32, verbose=0, sample_weight=w, validation_data=(x, y, w))
    assert set(h.history) == {p + k for p in ("", "val_") for k in
                              ("loss", "accuracy", "AUC", "prec", "pr", "weighted_accuracy", "recall")}
    values = model.evaluate(x, y, sample_weight=w, verbose=0)
    assert model.metrics_names == ["loss", "accuracy", "AUC", "prec", "pr", "weighted_accuracy", "recall"]
    p = model.predict(x, verbose=0)
    expect = {"accuracy": M.BinaryAccuracy()(y, p), "AUC": M.AUC()(y, p), "prec": M.Precision()(y, p),
              "pr": M.AUC(curve="PR")(y, p), "weighted_accuracy": M.BinaryAccuracy()(y, p, w),
              "recall": M.Recall()(y, p, w)}
    for name, value in zip(model.metrics_names[1:], values[1:]):
        assert value == pytest.approx(expect[name], rel=1e-6, abs=1e-7), name
    as_dict = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)
    assert [as_dict[k] for k in model.metrics_names] == values
    assert h.history["val_AUC"][-1] == pytest.approx(M.AUC()(y, p), rel=1e-6)


def test_multiclass_metrics_in_fit():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 5)).astype("float32")
    ids = np.argmax(x[:, :3], axis=1)
    cnn.utils.set_random_seed(2)
    model = cnn.Sequential([cnn.Input(shape=(5,)), cnn.layers.Dense(4, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy",
                  metrics=["acc", M.SparseTopKCategoricalAccuracy(k=2), "sparse_categorical_crossentropy"])
    model.fit(x, ids, epochs=1, verbose=0)
    loss, acc, top2, ce = model.evaluate(x, ids, verbose=0)
    p = model.predict(x, verbose=0)
    assert acc == pytest.approx(M.SparseCategoricalAccuracy()(ids, p))
    assert top2 == pytest.approx(M.SparseTopKCategoricalAccuracy(k=2)(ids, p))
    assert ce == pytest.approx(loss, rel=1e-5)
    onehot = np.eye(4, dtype="float32")[ids]
    model.compile("adam", "categorical_crossentropy",
                  metrics=[M.F1Score(average="macro"), M.AUC(multi_label=True), M.R2Score()])
    values = model.evaluate(x, onehot, verbose=0, return_dict=True)
    assert values["f1_score"] == pytest.approx(M.F1Score(average="macro")(onehot, p), rel=1e-6)
    assert values["auc"] == pytest.approx(M.AUC(multi_label=True)(onehot, p), rel=1e-6)
    assert values["r2_score"] == pytest.approx(M.R2Score()(onehot, p), rel=1e-5)


def test_state_resets_each_epoch():
    x = np.ones((64, 6), np.float32)
    y = np.ones(64, np.float32)
    model = _binary_model()
    model.compile("sgd", "binary_crossentropy", metrics=[M.TruePositives(thresholds=0.0)])
    h = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert h.history["true_positives"] == [64.0, 64.0, 64.0]
    assert model.evaluate(x[:10], y[:10], verbose=0)[1] == 10.0


def test_duplicate_names_get_suffixes():
    model = _binary_model()
    model.compile("sgd", "binary_crossentropy", metrics=["mse", "mse"], weighted_metrics=["mse"])
    assert model.metrics_names == ["loss", "mse", "mse_1", "weighted_mse"]


def test_sparse_mismatch_is_explained():
    model = cnn.Sequential([cnn.Input(shape=(3,)), cnn.layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["AUC"])
    with pytest.raises(ValueError, match="AUC"):
        model.evaluate(np.zeros((4, 3), np.float32), np.zeros(4, np.int64), verbose=0)


def test_metrics_survive_save_and_load(tmp_path):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(64, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = _binary_model()
    model.compile("adam", "binary_crossentropy",
                  metrics=["AUC", M.AUC(curve="PR", num_thresholds=50, name="pr"), M.Precision(thresholds=[0.3, 0.6]),
                           M.F1Score(average="micro", threshold=0.5), M.PrecisionAtRecall(0.5)],
                  weighted_metrics=[M.BinaryAccuracy(threshold=0.4)])
    before = model.evaluate(x, y, sample_weight=np.linspace(0, 1, 64), verbose=0, return_dict=True)
    model.save(tmp_path / "m.keras")
    loaded = cnn.models.load_model(tmp_path / "m.keras")
    after = loaded.evaluate(x, y, sample_weight=np.linspace(0, 1, 64), verbose=0, return_dict=True)
    assert loaded.metrics_names == model.metrics_names
    assert list(after) == list(before)
    for k in before:
        np.testing.assert_allclose(after[k], before[k], rtol=1e-6)

"""Custom losses and metrics with sparse integer labels (issue 10): a student's own sparse categorical
crossentropy, written with cnn.ops, trains to the built-in loss's history from the same seed with labels
of shape (n,) or (n, 1), next to the built-in metrics; the same file gives Keras 3's history."""
import pathlib

import numpy as np
import pytest

import cnn
import keras_oracle
import ops_course_sparse as course  # tests/ is on sys.path
from cnn import layers, ops

COURSE_FILE = pathlib.Path(__file__).with_name("ops_course_sparse.py")


def _data(n=120, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5)   # learnable labels 0..2
    return x, np.minimum(y, classes - 1)


def _model(classes=3):
    return cnn.Sequential([cnn.Input((4,)), layers.Dense(8, activation="relu"),
                           layers.Dense(classes, activation="softmax")])


def _fit(loss, x, y, metrics=(), seed=0, **kwargs):
    cnn.utils.set_random_seed(seed)
    model = _model()
    model.compile("adam", loss, metrics=list(metrics))
    return model, model.fit(x, y, epochs=3, batch_size=16, verbose=0, **kwargs).history


@pytest.mark.parametrize("loss", [course.scce_take, course.scce_one_hot], ids=["take_along_axis", "one_hot"])
@pytest.mark.parametrize("shape", ["(n,)", "(n, 1)"])
def test_student_sparse_crossentropy_trains_to_the_builtin_history(loss, shape):
    x, y = _data()
    labels = y if shape == "(n,)" else y[:, None]
    sw = np.linspace(0.5, 1.5, len(x)).astype(np.float32)
    ref_model, ref = _fit("sparse_categorical_crossentropy", x, y, ["accuracy"], sample_weight=sw,
                          validation_split=0.25)
    model, got = _fit(loss, x, labels, ["accuracy"], sample_weight=sw, validation_split=0.25)
    assert sorted(got) == sorted(ref)
    for key in ref:
        np.testing.assert_allclose(got[key], ref[key], rtol=2e-5, err_msg=key)
    np.testing.assert_allclose(model.evaluate(x, labels, verbose=0), ref_model.evaluate(x, y, verbose=0), rtol=1e-4)
    batch = model.train_on_batch(x[:16], labels[:16])   # the one-batch path reads the labels the same way
    assert np.isfinite(batch).all()


def test_custom_metric_with_integer_labels_next_to_the_builtin_loss_and_a_custom_one():
    x, y = _data()
    for loss in ("sparse_categorical_crossentropy", course.scce_take):
        _, hist = _fit(loss, x, y, ["accuracy", course.sparse_accuracy], validation_data=(x[:30], y[:30, None]))
        np.testing.assert_allclose(hist["sparse_accuracy"], hist["accuracy"], rtol=1e-6)
        np.testing.assert_allclose(hist["val_sparse_accuracy"], hist["val_accuracy"], rtol=1e-6)


def test_a_stateful_metric_receives_the_labels_as_given():
    seen = []

    class LabelShapes(cnn.metrics.Metric):
        def update_state(self, y_true, y_pred, sample_weight=None):
            seen.append(np.shape(y_true))

        def result(self):
            return 0.0

    x, y = _data()
    for labels in (y, y[:, None]):
        seen.clear()
        _fit(course.scce_take, x, labels, [LabelShapes()])
        assert seen and all(s == (len(s) and s[0],) + labels.shape[1:] for s in seen), seen


def test_the_loss_sees_float32_labels_in_the_shape_given_as_keras_passes_them():
    seen = []

    def spy(y_true, y_pred):
        seen.append((y_true.shape, y_true.dtype))
        return course.scce_take(y_true, y_pred)

    x, y = _data()
    for labels, tail in ((y, ()), (y[:, None], (1,))):
        seen.clear()
        _fit(spy, x, labels)
        fit_calls = [(s[1:], d) for s, d in seen if s[0] != 2]   # compile's probe uses 2 rows
        assert set(fit_calls) == {(tail, np.dtype(np.float32))}


def test_one_hot_labels_given_to_a_loss_that_indexes_get_a_clear_error():
    x, y = _data()
    with pytest.raises(ValueError, match="one-hot"):
        _fit(course.scce_take, x, np.eye(3, dtype=np.float32)[y])


def test_float_class_ids_must_be_cast_before_indexing():
    def uncast(y_true, y_pred):
        return -ops.log(ops.take_along_axis(y_pred, y_true[:, None], axis=-1))[:, 0]
    x, y = _data()
    with pytest.raises(TypeError, match="cast class ids first"):
        _fit(uncast, x, y)


def test_take_along_axis_checks_its_indices():
    p = np.array([[0.2, 0.8], [0.6, 0.4]], np.float32)
    np.testing.assert_array_equal(ops.take_along_axis(p, np.array([[1], [0]]), axis=-1), p[[0, 1], [1, 0]][:, None])
    np.testing.assert_array_equal(ops.take(p, np.array([1, 0]), axis=1), p[:, [1, 0]])
    with pytest.raises(ValueError, match="out of range"):
        ops.take_along_axis(p, np.array([[2], [0]]), axis=-1)
    value, (g,) = ops.value_and_grad(lambda t: ops.take_along_axis(t, np.array([[1, 1], [0, 1]]), axis=-1), [p])
    np.testing.assert_array_equal(g, [[0, 2], [1, 1]])   # a repeated index collects both gradients
    _, (g,) = ops.value_and_grad(lambda t: ops.take(t, np.array([1, 1]), axis=1), [p])
    np.testing.assert_array_equal(g, [[0, 2], [0, 2]])


ORACLE_SCRIPT = keras_oracle.COURSE_PRELUDE + r"""
out = {}
for name in ("scce_take", "scce_one_hot"):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.set_weights([np.array(w, np.float32) for w in case["weights"]])
    model.compile(keras.optimizers.SGD(0.1), ns[name], metrics=["accuracy", ns["sparse_accuracy"]])
    h = model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0).history
    out[name] = {k: [float(v) for v in vs] for k, vs in h.items()}
print(json.dumps(out))
"""


@keras_oracle.needs_oracle
def test_the_same_file_gives_keras_3_history():
    x, y = _data()
    cnn.utils.set_random_seed(0)
    model = _model()
    weights = [w.tolist() for w in model.get_weights()]
    keras_hist = keras_oracle.run(ORACLE_SCRIPT, COURSE_FILE, payload={"x": x.tolist(), "y": y.tolist(),
                                                                        "weights": weights})
    for name in ("scce_take", "scce_one_hot"):
        model.set_weights([np.array(w, np.float32) for w in weights])
        model.compile(cnn.optimizers.SGD(0.1), getattr(course, name), metrics=["accuracy", course.sparse_accuracy])
        got = model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0).history
        for key, values in keras_hist[name].items():
            np.testing.assert_allclose(got[key], values, rtol=1e-4, atol=1e-6, err_msg=f"{name}: {key}")

"""Bad input of every kind gets a clear ValueError/TypeError, never a crash, and is never modified."""
import numpy as np
import pytest

import cnn
from cnn import layers


@pytest.fixture
def model():
    m = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(3, activation="relu"), layers.Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    return m


X = np.random.RandomState(0).rand(20, 4).astype(np.float32)
Y = np.random.RandomState(1).rand(20).astype(np.float32)


@pytest.mark.parametrize("x, match", [
    (np.zeros((20, 5)), r"\(20, 5\)"),
    (np.zeros((20, 4, 1)), r"\(20, 4, 1\)"),
    (np.zeros((0, 4)), "empty"),
    (np.array([["a", "b", "c", "d"]] * 20), "numbers"),
    (np.full((20, 4), np.nan), "NaN"),
    (np.float32(3.0), "scalar"),
    (None, "None"),
])
def test_fit_rejects_bad_x(model, x, match):
    with pytest.raises((ValueError, TypeError), match=match):
        model.fit(x, Y, verbose=0)


@pytest.mark.parametrize("y, match", [
    (np.zeros(19), "different numbers of samples"),
    (np.zeros((20, 2)), r"\(20, 2\)"),
    (np.array(["x"] * 20), "numbers"),
    (np.full(20, np.inf), "infinity"),
    (None, "targets"),
])
def test_fit_rejects_bad_y(model, y, match):
    with pytest.raises((ValueError, TypeError), match=match):
        model.fit(X, y, verbose=0)


@pytest.mark.parametrize("kwargs", [
    {"batch_size": 0}, {"batch_size": -3}, {"batch_size": 2.5}, {"epochs": -1}, {"epochs": "10"},
    {"verbose": 3}, {"validation_split": 1.0}, {"validation_split": -0.1}, {"shuffle": "yes"},
    {"validation_data": (X,)}, {"validation_data": (X[:, :3], Y)}, {"sample_weight": np.ones(3)},
    {"sample_weight": -np.ones(20)}, {"class_weight": {0: 1}, "sample_weight": np.ones(20)},
    {"steps_per_epoch": 0}, {"unknown_argument": 1},
])
def test_fit_rejects_bad_arguments(model, kwargs):
    with pytest.raises((ValueError, TypeError)):
        model.fit(X, Y, verbose=0, **kwargs)


def test_inputs_are_never_modified(model):
    x, y = X.copy(), Y.copy()
    x_ro = X.copy()
    x_ro.flags.writeable = False
    model.fit(x, y, epochs=2, verbose=0, validation_data=(x_ro, y))
    model.evaluate(x_ro, y, verbose=0)
    model.predict(x_ro, verbose=0)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(y, Y)


def test_other_layouts_are_accepted(model):
    fortran = np.asfortranarray(X.astype(np.float64))
    strided = np.zeros((40, 4), np.float32)[::2] + X
    model.fit(fortran, Y.tolist(), verbose=0)
    model.fit(strided, Y.reshape(-1, 1), verbose=0)
    model.fit(X.astype(np.uint8), Y.astype(np.int32), verbose=0)
    assert model.predict(X.tolist(), verbose=0).shape == (20, 1)


def test_sparse_labels_out_of_range():
    m = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    for bad, match in ((np.full(20, 3), "class id 3"), (np.full(20, -1), "class id -1"),
                       (np.full(20, 0.5), "class id 0.5")):
        with pytest.raises(ValueError, match=match):
            m.fit(X, bad, verbose=0)


def test_categorical_loss_with_integer_labels_explains():
    m = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        m.fit(X, np.zeros(20), verbose=0)


def test_compile_and_layer_arguments():
    m = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(1)])
    with pytest.raises(ValueError):
        m.compile(optimizer="adam", loss="no_such_loss")
    with pytest.raises(ValueError):
        m.compile(optimizer="no_such_optimizer", loss="mse")
    with pytest.raises(ValueError):
        m.compile(optimizer="adam", loss="mse", metrics="accuracy")
    with pytest.raises(ValueError):
        m.compile(optimizer="adam", loss="mse", metrics=["no_such_metric"])
    with pytest.raises(ValueError, match=r"You must call `compile\(\)` before using the model"):
        m.fit(X, Y, verbose=0)
    for bad in (0, -1, 2.5, "10", None):
        with pytest.raises((ValueError, TypeError)):
            layers.Dense(bad)
    with pytest.raises(ValueError):
        layers.Dense(3, activation="no_such_activation")
    with pytest.raises(ValueError):
        layers.Dense(3, unknown=1)
    with pytest.raises(ValueError):
        layers.Dropout(1.5)


def test_core_boundary_checks():
    from cnn import _core
    with pytest.raises(ValueError):
        _core.gemm(np.zeros((2, 3)), np.zeros((4, 2)), np.zeros((2, 2), np.float32), False, False, False)
    with pytest.raises(TypeError):
        _core.gemm(np.zeros((2, 3)), np.zeros((3, 2)), np.zeros((2, 2)), False, False, False)  # float64 out
    with pytest.raises(ValueError):
        _core.act_forward({"kind": "no_such_activation"}, np.zeros((2, 2)))
    with pytest.raises(ValueError):
        _core.rng_uniform(-1, 0, 0.0, 1.0)
    with pytest.raises(ValueError):
        _core.Plan([{"kind": "dense", "in_shape": [4], "out_shape": [3], "w_off": 100, "w_len": 12}],
                   {"kind": "mse"}, [], {"kind": "sgd"}, np.zeros(15, np.float32), 15, np.zeros(1, np.float32), 8)


def test_nan_loss_warns_once_and_history_shows_it():
    m = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(1)])
    m.compile(optimizer=cnn.optimizers.SGD(1e30), loss="mse")
    with pytest.warns(RuntimeWarning, match="NaN or infinite") as record:
        h = m.fit(X * 1e10, Y, epochs=5, verbose=0)
    assert len([w for w in record if "NaN" in str(w.message)]) == 1
    assert len(h.history["loss"]) == 5 and not np.isfinite(h.history["loss"][-1])

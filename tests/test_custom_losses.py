"""Losses written by students inside fit: Keras-style functions with cnn.ops (gradient recorded by
cnn.ops) and cnn.losses.Loss subclasses in NumPy with their own gradient; Keras's reduction kept."""
import numpy as np
import pytest

import cnn
from cnn import layers, ops


def mse_ops(y_true, y_pred):
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


def huber_ops(y_true, y_pred, delta=1.0):
    error = ops.abs(y_pred - y_true)
    quadratic = ops.minimum(error, delta)
    return ops.mean(0.5 * ops.square(quadratic) + delta * (error - quadratic), axis=-1)


CLASS_WEIGHTS = np.array([1.0, 3.0, 0.5], np.float32)


def weighted_cce_ops(y_true, y_pred):
    y_pred = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
    y_pred = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
    return -ops.sum(CLASS_WEIGHTS * y_true * ops.log(y_pred), axis=-1)


class NumpyMSE(cnn.losses.Loss):
    def call(self, y_true, y_pred):
        return np.mean((y_pred - y_true) ** 2, axis=-1)

    def gradient(self, y_true, y_pred):
        return 2.0 * (y_pred - y_true) / y_pred.shape[-1]


def _regression(n=90):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = np.stack([x[:, 0] * 3 + 1, np.abs(x[:, 1]) * 4], axis=1).astype(np.float32)
    return x, y


def _fit(loss, x, y, out=2, act=None, epochs=4, **fit):
    cnn.utils.set_random_seed(4)
    model = cnn.Sequential([cnn.Input((x.shape[1],)), layers.Dense(8, activation="relu"),
                            layers.Dense(out, activation=act)])
    model.compile(cnn.optimizers.Adam(0.02), loss, metrics=["mae"])
    return model, model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, **fit)


class OpsHuber(cnn.losses.Loss):
    """A Loss subclass whose call is written with cnn.ops: no gradient method needed."""

    def call(self, y_true, y_pred):
        return huber_ops(y_true, y_pred, delta=0.5)


@pytest.mark.parametrize("mine, builtin", [(mse_ops, "mse"), (huber_ops, cnn.losses.Huber()),
                                           (NumpyMSE(), "mse"), (OpsHuber(), cnn.losses.Huber(delta=0.5)),
                                           (cnn.losses.LossFunctionWrapper(huber_ops, delta=2.0),
                                            cnn.losses.Huber(delta=2.0))])
def test_custom_loss_trains_to_the_builtin_history(mine, builtin):
    x, y = _regression()
    sw = np.linspace(0.5, 2.0, len(x)).astype(np.float32)   # Keras's reduction with sample weights
    ref_model, ref = _fit(builtin, x, y, sample_weight=sw, validation_split=0.2)
    model, got = _fit(mine, x, y, sample_weight=sw, validation_split=0.2)
    assert set(got.history) == set(ref.history)
    for key in ref.history:
        np.testing.assert_allclose(got.history[key], ref.history[key], rtol=2e-5, err_msg=key)
    for a, b in zip(model.get_weights(), ref_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), ref_model.evaluate(x, y, verbose=0), rtol=1e-5)


def test_weighted_crossentropy_with_ops_trains_as_class_weighted_builtin():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(120, 5)).astype(np.float32)
    labels = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)
    y = np.eye(3, dtype=np.float32)[labels]
    _, ref = _fit("categorical_crossentropy", x, y, out=3, act="softmax",
                  class_weight={i: float(w) for i, w in enumerate(CLASS_WEIGHTS)})
    _, got = _fit(weighted_cce_ops, x, y, out=3, act="softmax")
    np.testing.assert_allclose(got.history["loss"], ref.history["loss"], rtol=1e-5)


def test_elementwise_loss_is_averaged_over_the_last_axis_as_keras():
    def squared(y_true, y_pred):   # no mean: Keras's reduction averages every element
        return ops.square(y_pred - y_true)

    x, y = _regression()
    _, ref = _fit("mse", x, y)
    _, got = _fit(squared, x, y)
    np.testing.assert_allclose(got.history["loss"], ref.history["loss"], rtol=2e-5)


def test_a_numpy_function_as_a_loss_names_the_two_forms():
    def numpy_mse(y_true, y_pred):
        return np.mean(np.square(y_pred - y_true), axis=-1)

    x, y = _regression()
    model = cnn.Sequential([cnn.Input((4,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"numpy_mse.*cnn\.ops.*cnn\.losses\.Loss.*gradient"):
        model.compile("sgd", numpy_mse)   # built: refused at compile
    unbuilt = cnn.Sequential([layers.Dense(2)])
    unbuilt.compile("sgd", numpy_mse)
    with pytest.raises(ValueError, match=r"numpy_mse.*cnn\.ops.*cnn\.losses\.Loss.*gradient"):
        unbuilt.fit(x, y, epochs=1, verbose=0)   # not built: refused when fit builds it


def test_an_exception_in_a_loss_propagates_and_nothing_is_applied():
    class Broken(NumpyMSE):
        def gradient(self, y_true, y_pred):
            raise ZeroDivisionError("oops")

    x, y = _regression()
    model = cnn.Sequential([cnn.Input((4,)), layers.Dense(2)])
    model.compile("adam", Broken())
    before = model.get_weights()
    with pytest.raises(ZeroDivisionError, match="oops"):
        model.fit(x, y, epochs=1, verbose=0)
    assert model.optimizer.iterations == 0
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_saving_a_model_compiled_with_custom_parts(tmp_path):
    from test_custom_metrics import StatefulMAE, numpy_mae
    from test_custom_optimizers import NumpyAdam

    x, y = _regression()
    custom = {"NumpyAdam": NumpyAdam, "huber_ops": huber_ops, "numpy_mae": numpy_mae, "StatefulMAE": StatefulMAE}
    model = cnn.Sequential([cnn.Input((4,)), layers.Dense(2)])
    model.compile(NumpyAdam(0.01), huber_ops, metrics=[numpy_mae, StatefulMAE()])
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = cnn.models.load_model(tmp_path / "m.keras", custom_objects=custom)
    assert isinstance(loaded.optimizer, NumpyAdam) and loaded.loss is huber_ops
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    logs = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "numpy_mae", "stateful_mae"}
    assert logs["loss"] == pytest.approx(model.evaluate(x, y, verbose=0, return_dict=True)["loss"], rel=1e-6)

"""Metrics and activations written by students inside fit: a plain NumPy function as a metric (a mean
over samples, as Keras's MeanMetricWrapper), a stateful cnn.metrics.Metric subclass, and a custom
activation function written with cnn.ops."""
import numpy as np
import pytest

import cnn
from cnn import layers, ops


def numpy_mae(y_true, y_pred):
    return np.mean(np.abs(y_true - y_pred), axis=-1)


class StatefulMAE(cnn.metrics.Metric):
    """As Keras's guide writes a metric: variables, update_state, result (reset_state by default)."""

    def __init__(self, name="stateful_mae", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = np.mean(np.abs(y_true - y_pred), axis=-1)
        self.total.assign(self.total + np.sum(values))
        self.count.assign(self.count + len(values))

    def result(self):
        return self.total.numpy() / self.count.numpy()


def _data(n=100):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    return x, np.stack([x[:, 0] + x[:, 1], x[:, 2] ** 2], axis=1).astype(np.float32)


def _fit(metrics, epochs=3, **fit):
    cnn.utils.set_random_seed(9)
    x, y = _data()
    model = cnn.Sequential([cnn.Input((3,)), layers.Dense(6, activation="relu"), layers.Dense(2)])
    model.compile("adam", "mse", metrics=metrics)
    return model, model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, validation_split=0.2, **fit).history


def test_numpy_function_and_stateful_metric_match_the_builtin():
    model, got = _fit([numpy_mae, StatefulMAE(), "mae"])
    for name in ("numpy_mae", "stateful_mae"):
        np.testing.assert_allclose(got[name], got["mae"], rtol=1e-6, err_msg=name)
        np.testing.assert_allclose(got["val_" + name], got["val_mae"], rtol=1e-6, err_msg=name)
    x, y = _data()
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["numpy_mae"] == pytest.approx(logs["mae"], rel=1e-6)
    assert logs["stateful_mae"] == pytest.approx(logs["mae"], rel=1e-6)


def test_function_metric_with_sample_weights_and_batch_callbacks():
    class EveryBatch(cnn.callbacks.Callback):   # batch hooks: fit runs one C call per step
        def on_train_batch_end(self, batch, logs=None):
            pass

    x, _ = _data()
    sw = np.linspace(0.1, 1.0, len(x)).astype(np.float32)
    cnn.utils.set_random_seed(9)
    model = cnn.Sequential([cnn.Input((3,)), layers.Dense(2)])
    model.compile("adam", "mse", metrics=[StatefulMAE(), "mae"], weighted_metrics=[numpy_mae, "mae"])
    h = model.fit(x, _data()[1], sample_weight=sw, epochs=2, batch_size=16, verbose=0,
                  callbacks=[EveryBatch()]).history
    np.testing.assert_allclose(h["numpy_mae"], h["weighted_mae"], rtol=1e-6)
    np.testing.assert_allclose(h["stateful_mae"], h["mae"], rtol=1e-6)   # unweighted, as metrics= are
    assert h["mae"][0] != h["weighted_mae"][0]


def test_metric_function_standalone():
    m = cnn.metrics.get(numpy_mae)
    assert isinstance(m, cnn.metrics.MeanMetricWrapper) and m.name == "numpy_mae"
    m.update_state([[1.0, 2.0]], [[2.0, 2.0]])
    m.update_state([[0.0, 0.0]], [[0.0, 0.0]], sample_weight=[3.0])
    assert m.result() == pytest.approx(0.5 / 4)


def test_an_exception_in_a_metric_propagates():
    def broken(y_true, y_pred):
        raise KeyError("metric bug")

    with pytest.raises(KeyError, match="metric bug"):
        _fit([broken])


def step(x):
    return ops.where(x >= 0.0, 1.0, 0.0)


def my_sigmoid(x):
    return 1.0 / (1.0 + ops.exp(-x))


def test_custom_activation_trains_as_the_builtin():
    x, y = _data()
    y = (y[:, :1] > 0).astype(np.float32)
    histories = []
    for act in ("sigmoid", my_sigmoid):
        cnn.utils.set_random_seed(0)
        model = cnn.Sequential([cnn.Input((3,)), layers.Dense(4, activation=act), layers.Activation(act),
                                layers.Dense(1, activation=act)])
        model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
        histories.append(model.fit(x, y, epochs=3, batch_size=16, verbose=0).history)
    for key in histories[0]:
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=2e-5, err_msg=key)


def test_perceptron_step_activation():
    x, _ = _data()
    model = cnn.Sequential([cnn.Input((3,)), layers.Dense(1, activation=step)])
    model.set_weights([np.array([[1.0], [0.0], [0.0]], np.float32), np.zeros(1, np.float32)])
    np.testing.assert_array_equal(model.predict(x, verbose=0)[:, 0], (x[:, 0] >= 0).astype(np.float32))
    model.compile("sgd", "mse")
    before = model.get_weights()
    model.fit(x, (x[:, :1] >= 0).astype(np.float32), epochs=1, verbose=0)
    for a, b in zip(model.get_weights(), before):   # the step's gradient is zero: nothing moves
        np.testing.assert_array_equal(a, b)


def test_custom_activation_refused_where_it_cannot_run():
    # convolutions take custom activations, and their weight penalties and constraints run on the
    # Python side (cnn/_layer_weights.py) to the built-in's numbers; an activity penalty is refused
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 6, 6, 1), dtype=np.float32), rng.random((32, 1), dtype=np.float32)
    losses = []
    for act in ("relu", lambda v: ops.maximum(v, 0.0)):
        cnn.utils.set_random_seed(1)
        model = cnn.Sequential([cnn.Input((6, 6, 1)), layers.Conv2D(3, 3, activation=act, kernel_regularizer="l2",
                                                                    bias_constraint="non_neg"),
                                layers.Flatten(), layers.Dense(1)])
        model.compile("adam", "mse")
        losses.append(model.fit(x, y, epochs=3, batch_size=8, verbose=0).history["loss"])
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-6)
    model = cnn.Sequential([cnn.Input((5, 5, 1)), layers.Conv2D(2, 3, activation=step, activity_regularizer="l2")])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="custom activation"):
        model.fit(np.zeros((4, 5, 5, 1), np.float32), np.zeros((4, 3, 3, 2), np.float32), verbose=0)

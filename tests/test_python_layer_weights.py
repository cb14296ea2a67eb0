"""Regularizers, constraints and clipnorm on the weights of a layer written in Python (issue 10).

`add_weight(..., regularizer=..., constraint=...)` of a `cnn.layers.Layer` subclass acts as in Keras: the
penalty joins the loss (and its gradient the weight's), the constraint follows each update, and
`clipnorm` clips each weight tensor on its own norm. A NumPy Dense written as a Python layer gives the
built-in Dense's history and weights from the same seed; one custom layer is checked against Keras 3
itself (torch backend, /work/oracle-venv), skipped when that venv is absent."""
import inspect

import numpy as np
import pytest

import cnn
import keras_oracle
from cnn import ops


class NumpyDense(cnn.layers.Layer):
    """The student's Dense: NumPy call and backward, weights with a regularizer and a constraint."""

    def __init__(self, units, kernel_regularizer=None, kernel_constraint=None, bias_regularizer=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.kernel_regularizer, self.kernel_constraint = kernel_regularizer, kernel_constraint
        self.bias_regularizer, self.bias_constraint = bias_regularizer, bias_constraint

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform",
                                      name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias",
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def call(self, inputs, training=None):
        self.inputs = inputs
        return inputs @ self.kernel.value + self.bias.value

    def backward(self, grad_output):
        self.kernel.grad = self.inputs.T @ grad_output
        self.bias.grad = grad_output.sum(axis=0)
        return grad_output @ self.kernel.value.T


class OpsDense(cnn.layers.Layer):
    """The same layer as Keras's subclassing guide writes it: call with cnn.ops, no backward."""

    def __init__(self, units, kernel_regularizer=None, kernel_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.kernel_regularizer, self.kernel_constraint = units, kernel_regularizer, kernel_constraint

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform",
                                      name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel) + self.bias


def data(seed=0, n=64):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype(np.float32)
    y = (x[:, :1] * 1.5 - x[:, 1:2] + 0.1 * rng.normal(size=(n, 1))).astype(np.float32)
    return x, y


def train(layer, optimizer, epochs=3):
    cnn.utils.set_random_seed(3)
    x, y = data()
    model = cnn.Sequential([cnn.Input((5,)), layer, cnn.layers.Dense(1, name="out")])
    model.compile(optimizer, "mse")
    history = model.fit(x, y, epochs=epochs, batch_size=16, verbose=0)
    return model, history.history["loss"]


CASES = {
    "l2-sgd": (lambda: cnn.regularizers.L2(0.05), lambda: None, lambda: "sgd"),
    "names-adam": (lambda: "l1", lambda: "non_neg", lambda: cnn.optimizers.Adam(0.01)),
    "l1l2-maxnorm-clipnorm": (lambda: cnn.regularizers.L1L2(0.01, 0.02), lambda: cnn.constraints.MaxNorm(0.4),
                              lambda: cnn.optimizers.SGD(0.1, clipnorm=0.3)),
    "unitnorm-rmsprop-clipnorm": (lambda: None, lambda: cnn.constraints.UnitNorm(),
                                  lambda: cnn.optimizers.RMSprop(0.01, clipnorm=0.05)),
    "minmaxnorm": (lambda: cnn.regularizers.L2(0.1), lambda: cnn.constraints.MinMaxNorm(0.2, 0.6, rate=0.5),
                   lambda: cnn.optimizers.Adam(0.02)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_numpy_dense_gives_the_builtin_dense_history_and_weights(case):
    reg, con, opt = CASES[case]
    mine, h_mine = train(NumpyDense(4, kernel_regularizer=reg(), kernel_constraint=con(),
                                    bias_regularizer=reg(), name="d"), opt())
    ref, h_ref = train(cnn.layers.Dense(4, kernel_regularizer=reg(), kernel_constraint=con(),
                                        bias_regularizer=reg(), name="d"), opt())
    np.testing.assert_allclose(h_mine, h_ref, rtol=1e-5)
    for got, want in zip(mine.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_the_penalty_changes_training_and_the_ops_layer_matches_too():
    plain, h_plain = train(NumpyDense(4, name="d"), "sgd")
    _, h_reg = train(NumpyDense(4, kernel_regularizer=cnn.regularizers.L2(0.05), name="d"), "sgd")
    _, h_ops = train(OpsDense(4, kernel_regularizer=cnn.regularizers.L2(0.05), name="d"), "sgd")
    assert h_reg[0] > h_plain[0] + 1e-3          # the penalty is in the loss
    np.testing.assert_allclose(h_ops, h_reg, rtol=1e-5)


def test_history_and_evaluate_include_the_penalty_as_keras():
    reg = cnn.regularizers.L2(0.05)
    model, _ = train(NumpyDense(4, kernel_regularizer=reg, bias_regularizer="l1", name="d"), "sgd", epochs=1)
    x, y = data()
    layer = model.get_layer("d")
    penalty = reg(layer.kernel.numpy()) + cnn.regularizers.L1(0.01)(layer.bias.numpy())
    mse = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), mse + penalty, rtol=1e-5)
    assert layer.kernel.regularizer is reg and isinstance(layer.bias.regularizer, cnn.regularizers.L1)


def test_clipnorm_clips_each_weight_of_a_python_layer_on_its_own():
    cnn.utils.set_random_seed(0)
    x, y = data()
    y = y * 100.0   # large gradients: every tensor is clipped
    layer = NumpyDense(3, name="d")
    model = cnn.Sequential([cnn.Input((5,)), layer])
    model.compile(cnn.optimizers.SGD(1.0, clipnorm=0.25), "mse")
    before = [v.numpy() for v in layer.trainable_weights]
    model.train_on_batch(x, np.repeat(y, 3, axis=1))
    for v, b in zip(layer.trainable_weights, before):
        np.testing.assert_allclose(np.linalg.norm(v.numpy() - b), 0.25, rtol=1e-5)


def test_callables_written_with_ops_and_constraint_functions():
    reg = lambda w: 0.05 * ops.sum(ops.square(w))     # noqa: E731 (a Keras-style function)
    con = lambda w: np.clip(w, -0.3, 0.3)              # noqa: E731
    _, h_ops = train(NumpyDense(4, kernel_regularizer=reg, name="d"), "sgd")
    _, h_l2 = train(NumpyDense(4, kernel_regularizer=cnn.regularizers.L2(0.05), name="d"), "sgd")
    np.testing.assert_allclose(h_ops, h_l2, rtol=1e-5)   # the recorded gradient is L2's
    mine, h_mine = train(NumpyDense(4, kernel_regularizer=reg, kernel_constraint=con, name="d"), "sgd")
    assert np.abs(mine.get_layer("d").kernel.numpy()).max() == pytest.approx(0.3)
    assert h_mine[-1] != pytest.approx(h_l2[-1], rel=1e-4)


def test_dense_with_a_custom_activation_takes_weight_penalties():
    relu = lambda t: ops.maximum(t, 0.0)               # noqa: E731
    mine, h_mine = train(cnn.layers.Dense(4, activation=relu, kernel_regularizer="l2",
                                          kernel_constraint="non_neg", name="d"), "sgd")
    ref, h_ref = train(cnn.layers.Dense(4, activation="relu", kernel_regularizer="l2",
                                        kernel_constraint="non_neg", name="d"), "sgd")
    np.testing.assert_allclose(h_mine, h_ref, rtol=1e-5)
    assert mine.get_layer("d").kernel.numpy().min() >= 0.0


def test_bad_regularizers_and_constraints_are_named():
    with pytest.raises(TypeError, match="regularizer must be .* got 5"):
        NumpyDense(2, kernel_regularizer=5).build((None, 3))
    with pytest.raises(ValueError, match="constraint identifier: 'non_negative'"):
        NumpyDense(2, kernel_constraint="non_negative").build((None, 3))
    with pytest.raises(ValueError, match="regularizer identifier: 'l3'"):
        NumpyDense(2, kernel_regularizer="l3").build((None, 3))
    with pytest.raises(ValueError, match="cannot differentiate the regularizer .* cnn.ops"):
        train(NumpyDense(2, kernel_regularizer=lambda w: 0.1 * np.sum(w ** 2), name="d"), "sgd")


def test_a_failing_constraint_or_regularizer_stops_fit_with_its_exception():
    def bad_shape(w):
        return w[:1]

    with pytest.raises(ValueError, match="constraint .* returned an array of shape"):
        train(NumpyDense(2, kernel_constraint=bad_shape, name="d"), "sgd")

    class Boom(Exception):
        pass

    def boom(w):
        raise Boom("regularizer failed")

    cnn.utils.set_random_seed(0)
    x, y = data()
    layer = NumpyDense(2, name="d")
    model = cnn.Sequential([cnn.Input((5,)), layer, cnn.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.train_on_batch(x, y)   # builds; then a regularizer that raises
    layer.kernel.regularizer = boom
    layer._regularizers["kernel"] = boom
    before = model.get_weights()
    with pytest.raises(Boom):
        model.fit(x, y, epochs=1, verbose=0)
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------------------------------- Keras 3

def build(lib):
    """The same code builds the Keras and the cnn model (lib is either module)."""
    ops_ = lib.ops

    class Scaled(lib.layers.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], 4), initializer="glorot_uniform",
                                          name="kernel", regularizer=lib.regularizers.L2(0.05),
                                          constraint=lib.constraints.MaxNorm(0.6))
            self.scale = self.add_weight(shape=(4,), initializer="ones", name="scale",
                                         regularizer=lambda w: 0.02 * ops_.sum(ops_.abs(w)),
                                         constraint="non_neg")

        def call(self, inputs):
            return ops_.tanh(ops_.matmul(inputs, self.kernel)) * self.scale

    return lib.Sequential([lib.Input((5,)), Scaled(), lib.layers.Dense(1)])


ORACLE_SCRIPT = inspect.getsource(build) + r"""
import json, sys
import numpy as np, keras
data = json.load(sys.stdin)
model = build(keras)
model.set_weights([np.array(w, np.float32) for w in data["weights"]])
model.compile(keras.optimizers.SGD(0.05, momentum=0.5, clipnorm=0.1), "mse")
x, y = np.array(data["x"], np.float32), np.array(data["y"], np.float32)
out = {"losses": [float(model.train_on_batch(x[8 * s:8 * s + 8], y[8 * s:8 * s + 8])) for s in range(6)]}
out["weights"] = [w.tolist() for w in model.get_weights()]
print(json.dumps(out))
"""


def test_a_custom_layer_with_regularizers_constraints_and_clipnorm_trains_as_keras():
    rng = np.random.default_rng(5)
    model = build(cnn)
    weights = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()]
    weights[1] = np.abs(weights[1])
    x, y = data(seed=5, n=48)
    payload = {"weights": [w.tolist() for w in weights], "x": x.tolist(), "y": y.tolist()}
    keras = keras_oracle.run(ORACLE_SCRIPT, payload=payload)
    model.set_weights(weights)
    model.compile(cnn.optimizers.SGD(0.05, momentum=0.5, clipnorm=0.1), "mse")
    losses = [model.train_on_batch(x[8 * s:8 * s + 8], y[8 * s:8 * s + 8]) for s in range(6)]
    np.testing.assert_allclose(losses, keras["losses"], rtol=1e-5)
    for got, want in zip(model.get_weights(), keras["weights"]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    assert np.linalg.norm(model.get_weights()[0], axis=0).max() <= 0.6 + 1e-6   # MaxNorm held

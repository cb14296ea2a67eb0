"""Layers written in Python inside fit: a NumPy layer with its own backward, a Keras-style layer whose
call uses cnn.ops (differentiated by cnn.ops' recording), next to built-in layers; errors propagate."""
import numpy as np
import pytest

import cnn
from cnn import layers, ops


class NumpyDense(layers.Layer):
    """A student's dense layer: forward and backward in NumPy."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform",
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs, training=None):
        self.inputs = inputs
        return inputs @ self.kernel + self.bias

    def backward(self, grad_output):
        self.kernel.grad = self.inputs.T @ grad_output
        self.bias.grad = grad_output.sum(axis=0)
        return grad_output @ self.kernel.T

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class OpsDense(layers.Layer):
    """The same layer as Keras's subclassing guide writes it: call with ops, no backward."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform",
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs, training=None):
        return ops.matmul(inputs, self.kernel) + self.bias

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def _data(n=96):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 5)).astype(np.float32)
    y = np.stack([x[:, 0] - 2 * x[:, 1], x[:, 2] * x[:, 3]], axis=1).astype(np.float32)
    return x, y


def _train(last, optimizer="adam", epochs=4, **fit):
    cnn.utils.set_random_seed(3)
    x, y = _data()
    model = cnn.Sequential([cnn.Input((5,)), layers.Dense(8, activation="relu"), last,
                            layers.Dense(2)])
    model.compile(optimizer, "mse", metrics=["mae"])
    history = model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, **fit)
    return model, history.history


@pytest.mark.parametrize("cls", [NumpyDense, OpsDense])
def test_custom_dense_gives_the_builtin_history(cls):
    ref_model, ref = _train(layers.Dense(6), validation_split=0.25)
    model, got = _train(cls(6), validation_split=0.25)
    assert set(got) == set(ref)
    for key in ref:
        np.testing.assert_allclose(got[key], ref[key], rtol=2e-5, err_msg=key)
    for w_got, w_ref in zip(model.get_weights(), ref_model.get_weights()):
        np.testing.assert_allclose(w_got, w_ref, rtol=1e-4, atol=1e-6)
    x, _ = _data()
    np.testing.assert_allclose(model.predict(x, verbose=0), ref_model.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_custom_layer_first_and_alone_and_eager():
    x, y = _data()
    cnn.utils.set_random_seed(0)
    model = cnn.Sequential([cnn.Input((5,)), NumpyDense(2)])
    model.compile("sgd", "mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
    layer = model.layers[0]
    expected = x @ layer.kernel.numpy() + layer.bias.numpy()
    np.testing.assert_allclose(layer(x), expected, rtol=1e-6)
    np.testing.assert_allclose(model(x), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert model.output_shape == (None, 2)


def test_call_without_training_argument():
    class Square(layers.Layer):   # Keras's guide: call(self, inputs) is allowed
        def call(self, inputs):
            return ops.square(inputs)

    x, y = _data()
    model = cnn.Sequential([cnn.Input((5,)), Square(), layers.Dense(2)])
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_allclose(Square()(x), x * x)


def test_output_shape_is_inferred_and_weights_count():
    model = cnn.Sequential([cnn.Input((5,)), NumpyDense(3), OpsDense(4)])
    assert model.output_shape == (None, 4)
    assert model.count_params() == 5 * 3 + 3 + 3 * 4 + 4
    assert [w.shape for w in model.trainable_weights] == [(5, 3), (3,), (3, 4), (4,)]


class Boom(Exception):
    pass


class Fragile(NumpyDense):
    fail_in = None   # "call" or "backward"

    def call(self, inputs, training=None):
        if self.fail_in == "call" and training:
            raise Boom("in call")
        return super().call(inputs, training)

    def backward(self, grad_output):
        if self.fail_in == "backward":
            raise Boom("in backward")
        return super().backward(grad_output)


@pytest.mark.parametrize("where", ["call", "backward"])
def test_an_exception_in_a_custom_layer_leaves_the_model_usable(where):
    x, y = _data()
    cnn.utils.set_random_seed(1)
    layer = Fragile(4)
    model = cnn.Sequential([cnn.Input((5,)), layers.BatchNormalization(), layer, layers.Dense(2)])
    model.compile("adam", "mse")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    weights, steps = model.get_weights(), model.optimizer.iterations
    layer.fail_in = where
    with pytest.raises(Boom, match=f"in {where}"):
        model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    # nothing of the failed step was applied: weights (moving statistics too) and step count as before
    assert model.optimizer.iterations == steps
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    layer.fail_in = None
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert model.optimizer.iterations == steps + 6
    assert np.isfinite(model.evaluate(x, y, verbose=0))


def test_an_exception_in_predict_propagates():
    x, _ = _data()
    layer = Fragile(2)
    model = cnn.Sequential([cnn.Input((5,)), layer])
    layer.call = lambda inputs, training=None: (_ for _ in ()).throw(Boom("predict"))
    with pytest.raises(Boom, match="predict"):
        model.predict(x, verbose=0)


def test_a_backward_that_forgets_a_weight_gradient_says_which():
    class Forgetful(NumpyDense):
        def backward(self, grad_output):
            self.kernel.grad = self.inputs.T @ grad_output
            return grad_output @ self.kernel.T

    x, y = _data()
    model = cnn.Sequential([cnn.Input((5,)), Forgetful(2)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="did not set the gradient of its weight .*bias"):
        model.fit(x, y, epochs=1, verbose=0)


def test_a_transposed_weight_gradient_is_refused_by_name():
    class Transposed(NumpyDense):
        def backward(self, grad_output):
            gx = super().backward(grad_output)
            self.kernel.grad = self.kernel.grad.T   # the (5, 3) kernel gets a (3, 5) gradient
            self.bias.grad = self.bias.grad[None, :]   # keepdims is fine
            return gx

    x, y = _data()
    model = cnn.Sequential([cnn.Input((5,)), Transposed(3)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"weight '\S*kernel' has shape \(3, 5\); the weight has shape \(5, 3\)"):
        model.fit(x, y[:, :1].repeat(3, axis=1), epochs=1, verbose=0)


def test_a_wrong_output_shape_is_named():
    class Wrong(NumpyDense):
        def call(self, inputs, training=None):
            out = super().call(inputs, training)
            return out if inputs.shape[0] == 1 else out[:, :1]

    x, y = _data()
    model = cnn.Sequential([cnn.Input((5,)), Wrong(2)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="returned an array of shape"):
        model.fit(x, y, epochs=1, verbose=0)


def test_saving_with_custom_objects(tmp_path):
    x, y = _data()
    cnn.utils.set_random_seed(2)
    model = cnn.Sequential([cnn.Input((5,)), NumpyDense(4), layers.Dense(2)])
    model.compile("adam", "mse")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "custom.keras"
    model.save(path)
    loaded = cnn.models.load_model(path, custom_objects={"NumpyDense": NumpyDense})
    assert isinstance(loaded.layers[0], NumpyDense)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    loaded.fit(x, y, epochs=1, batch_size=16, verbose=0)   # and it trains after loading


def test_a_kept_input_view_outlives_the_plan():
    """call() keeps its input (a view of the step's buffers): it stays readable after the plan is gone."""
    import gc
    x, y = _data()
    layer = NumpyDense(2)
    model = cnn.Sequential([cnn.Input((5,)), layers.Dense(3), layer])
    model.compile("sgd", "mse")
    model.fit(x, y[:, :2], epochs=1, batch_size=32, verbose=0)
    kept = layer.inputs
    model.compile("adam", "mse")   # drops the old plan
    model.fit(x, y[:, :2], epochs=1, batch_size=32, verbose=0)
    del model
    gc.collect()
    assert kept.shape == (32, 3) and np.all(np.isfinite(kept))


def test_check_gradients_grades_a_student_backward():
    """cnn.testing.check_gradients runs the student's layer through the same step: right passes, a
    bias gradient taken from one row instead of the batch sum fails."""
    class MissingSum(NumpyDense):
        def backward(self, grad_output):
            super().backward(grad_output)
            self.bias.grad = grad_output[0]
            return grad_output @ self.kernel.T

    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    assert cnn.testing.check_gradients(NumpyDense(2), x)["checks"] > 0
    assert cnn.testing.check_gradients(OpsDense(2), x)["checks"] > 0
    with pytest.raises(AssertionError, match="does not match the numerical"):
        cnn.testing.check_gradients(MissingSum(2), x)

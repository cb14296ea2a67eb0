"""Optimizers written in Python (Keras 3's update_step / build / add_variable_from_reference) inside
fit: the C step runs forward and backward, then calls update_step per trainable variable."""
import numpy as np
import pytest

import cnn
from cnn import layers
from test_custom_layers import NumpyDense


class NumpyAdam(cnn.optimizers.Optimizer):
    """A student's Adam in NumPy, in Keras 3's order of operations."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="numpy_adam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, var_list):
        super().build(var_list)
        self.m = [self.add_variable_from_reference(v, "momentum") for v in var_list]
        self.v = [self.add_variable_from_reference(v, "velocity") for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        m, v = self.m[i], self.v[i]
        t = np.float32(self.iterations + 1)
        b1, b2 = np.float32(self.beta_1), np.float32(self.beta_2)
        alpha = learning_rate * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        self.assign_add(m, (gradient - m) * (1 - b1))
        self.assign_add(v, (gradient * gradient - v) * (1 - b2))
        self.assign_sub(variable, (m * alpha) / (np.sqrt(v) + np.float32(self.epsilon)))


class NumpySGD(cnn.optimizers.Optimizer):
    def __init__(self, learning_rate=0.01, momentum=0.0, name="numpy_sgd", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = momentum

    def build(self, var_list):
        super().build(var_list)
        self.velocity = [self.add_variable_from_reference(v, "m") for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        m = self.velocity[self._get_variable_index(variable)]
        m.assign(np.float32(self.momentum) * m - gradient * learning_rate)
        variable.assign_add(m)


def _data(n=80):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x @ rng.normal(size=(4, 3))).astype(np.float32)
    return x, y


def _fit(optimizer, hidden=None, epochs=5):
    cnn.utils.set_random_seed(7)
    x, y = _data()
    model = cnn.Sequential([cnn.Input((4,)), hidden or layers.Dense(6, activation="tanh"), layers.Dense(3)])
    model.compile(optimizer, "mse")
    history = model.fit(x, y, epochs=epochs, batch_size=16, verbose=0)
    return model, history.history["loss"]


@pytest.mark.parametrize("mine, builtin", [
    (lambda: NumpyAdam(0.01), lambda: cnn.optimizers.Adam(0.01)),
    (lambda: NumpySGD(0.05, momentum=0.9), lambda: cnn.optimizers.SGD(0.05, momentum=0.9)),
])
def test_custom_optimizer_gives_the_builtin_history(mine, builtin):
    ref_model, ref = _fit(builtin())
    model, got = _fit(mine())
    np.testing.assert_allclose(got, ref, rtol=1e-5)
    for a, b in zip(model.get_weights(), ref_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert model.optimizer.iterations == ref_model.optimizer.iterations == 25


def test_custom_dense_and_custom_adam_together_give_the_builtin_history():
    """issue 10's Done-when: a NumPy Dense and a NumPy Adam inside a model, the built-in's history."""
    _, ref = _fit(cnn.optimizers.Adam(0.01), layers.Dense(6))
    _, got = _fit(NumpyAdam(0.01), NumpyDense(6))
    np.testing.assert_allclose(got, ref, rtol=1e-5)


def test_an_exception_in_update_step_undoes_the_whole_update():
    class Failing(NumpySGD):
        calls = 0

        def update_step(self, gradient, variable, learning_rate):
            Failing.calls += 1
            if Failing.calls == 3:   # in the first step, after two of the four variables were updated
                raise ArithmeticError("student bug")
            super().update_step(gradient, variable, learning_rate)

    x, y = _data()
    model = cnn.Sequential([cnn.Input((4,)), layers.Dense(5), layers.Dense(3)])
    opt = Failing(0.1, momentum=0.5)
    model.compile(opt, "mse")
    before = model.get_weights()
    with pytest.raises(ArithmeticError, match="student bug"):
        model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert opt.iterations == 0
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert all(not np.any(m.numpy()) for m in opt.velocity)   # its slots too


def test_an_optimizer_without_update_step_is_refused():
    class Nothing(cnn.optimizers.Optimizer):
        pass

    model = cnn.Sequential([cnn.Input((4,)), layers.Dense(3)])
    model.compile(Nothing(0.1), "mse")
    with pytest.raises(NotImplementedError, match="update_step"):
        model.fit(*_data(), epochs=1, verbose=0)


def test_clipping_reaches_a_python_layer():
    """global_clipnorm, clipvalue and clipnorm (each weight on its own norm, as Keras: the C side skips
    the layer's span, the host clips per weight) see a Python layer's gradients as the built-in layer's."""
    for option in ({"global_clipnorm": 0.05}, {"clipvalue": 0.01}, {"clipnorm": 0.05}):
        _, ref = _fit(cnn.optimizers.SGD(0.1, **option), layers.Dense(6))
        _, got = _fit(cnn.optimizers.SGD(0.1, **option), NumpyDense(6))
        np.testing.assert_allclose(got, ref, rtol=1e-5, err_msg=str(option))


def test_build_without_super_and_slots_kept_across_fits():
    class Momentum(NumpySGD):
        def build(self, var_list):   # forgets super().build(var_list)
            self.velocity = [self.add_variable_from_reference(v, "m") for v in var_list]

    ref_model, ref = _fit(cnn.optimizers.SGD(0.05, momentum=0.9), epochs=2)
    model, got = _fit(Momentum(0.05, momentum=0.9), epochs=2)
    np.testing.assert_allclose(got, ref, rtol=1e-5)
    x, y = _data()
    ref_model.fit(x, y, epochs=1, batch_size=16, verbose=0)   # a second fit goes on with the same slots
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for a, b in zip(model.get_weights(), ref_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)

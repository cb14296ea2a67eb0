"""Custom activations and layers written with cnn.ops: cnn.activations on a recorded tensor (a Keras-guide
layer's `call`), the perceptron's step via ops.where, variables read inside a layer's call, and
cnn.activations.get / cnn.losses.get keeping such callables."""
import numpy as np
import pytest

from cnn import activations, losses, ops
from cnn.variables import Variable

NAMES = ["linear", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid", "tanh",
         "softmax", "softplus", "softsign", "silu", "exponential", "step", "hard_silu", "mish"]
KINKS = np.array([0.0, 6.0, 3.0, -3.0, 0.5, 2.0])


def _smooth_points(shape, rng):
    """Points away from the kinks (0, 6, +-3 and the thresholds below), where derivatives exist."""
    x = rng.uniform(-4, 7, shape)
    while True:
        near = np.min(np.abs(x[..., None] - KINKS), axis=-1) < 0.05
        if not near.any():
            return x
        x[near] = rng.uniform(-4, 7, near.sum())


VARIANTS = {name: activations.get(name) for name in NAMES}
VARIANTS["relu_all_arguments"] = lambda x: activations.relu(x, negative_slope=0.1, max_value=2.0, threshold=0.5)
VARIANTS["gelu_approximate"] = lambda x: activations.gelu(x, approximate=True)
VARIANTS["leaky_relu_0.3"] = lambda x: activations.leaky_relu(x, negative_slope=0.3)
VARIANTS["softmax_axis0"] = lambda x: activations.softmax(x, axis=0)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_builtin_activation_on_a_recorded_tensor_matches_the_c_kernel_and_finite_differences(name):
    fn = VARIANTS[name]
    rng = np.random.default_rng(len(name))
    x32 = _smooth_points((4, 5), rng).astype(np.float32)
    value, (g32,) = ops.value_and_grad(fn, [x32])
    assert value.dtype == np.float32 and g32.dtype == np.float32
    np.testing.assert_allclose(value, fn(x32), rtol=2e-6, atol=1e-6)   # the C kernel's value
    x = x32.astype(np.float64)
    w = rng.normal(size=x.shape)
    _, (g,) = ops.value_and_grad(fn, [x], output_grad=w)
    eps, num = 1e-6, np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[idx] = eps
        plus, _ = ops.value_and_grad(fn, [x + d])
        minus, _ = ops.value_and_grad(fn, [x - d])
        num[idx] = np.sum((plus - minus) * w) / (2 * eps)
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["relu6", "leaky_relu", "elu", "selu", "silu", "softsign", "hard_sigmoid"])
def test_keras_ops_activation_functions_equal_the_c_kernels(name):
    x = np.linspace(-8, 8, 33).astype(np.float32)
    np.testing.assert_allclose(getattr(ops, name)(x), getattr(activations, name)(x), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(ops.gelu(x), activations.gelu(x, approximate=True), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(ops.gelu(x, approximate=False), activations.gelu(x), rtol=2e-6, atol=1e-7)


def test_every_activation_kind_of_the_c_core_has_a_cnn_ops_formula():
    from cnn import _core
    from cnn.ops._activations import _FORMULAS
    assert set(_core.enums["act"]) <= set(_FORMULAS)


def test_step_written_with_where_and_builtin_step_have_zero_gradient():
    def my_step(x):
        return ops.where(x >= 0, 1.0, 0.0)
    x = np.array([[-1.0, 0.0, 2.0]], np.float32)
    for fn in (my_step, activations.step):
        value, (g,) = ops.value_and_grad(fn, [x])
        assert g.tolist() == [[0, 0, 0]]
    assert my_step(x).tolist() == [[0, 1, 1]]   # eager on NumPy too
    assert activations.get(my_step) is my_step


def test_a_keras_guide_layer_call_records_its_weights():
    rng = np.random.default_rng(0)
    kernel = Variable(rng.normal(size=(3, 2)), "kernel")
    bias = Variable(rng.normal(size=(2,)), "bias")
    activation = activations.get("tanh")

    def call(inputs):   # as in Keras's "Making new layers" guide
        return activation(ops.matmul(inputs, kernel) + bias)
    x = rng.normal(size=(4, 3)).astype(np.float32)
    y, (gx, gk, gb) = ops.value_and_grad(call, [x], wrt=(0,), variables=(kernel, bias))
    np.testing.assert_allclose(y, np.tanh(x @ kernel.numpy() + bias.numpy()), rtol=1e-5, atol=1e-6)
    d = 1 - y ** 2
    np.testing.assert_allclose(gk, x.T @ d, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(gb, d.sum(0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(gx, d @ kernel.numpy().T, rtol=1e-4, atol=1e-6)


def test_a_variable_array_handed_to_numpy_by_an_operator_is_still_recorded():
    kernel = Variable(np.array([2.0, 3.0]), "kernel")
    x = np.array([1.0, 5.0], np.float32)

    def call(t):   # what `kernel * t` becomes when Variable's operator works on its own array
        return kernel.value * t + ops.square(kernel.value)
    _, (gx, gk) = ops.value_and_grad(call, [x], variables=(kernel,))
    assert gx.tolist() == [2.0, 3.0] and gk.tolist() == [1.0 + 4.0, 5.0 + 6.0]
    assert ops.recorded(kernel) is None   # only while fn runs


def test_losses_get_keeps_a_cnn_ops_function():
    def my_mse(y_true, y_pred):
        return ops.mean(ops.square(y_pred - y_true), axis=-1)
    assert losses.get(my_mse) is my_mse
    y_true, y_pred = np.zeros((3, 2), np.float32), np.ones((3, 2), np.float32)
    np.testing.assert_array_equal(my_mse(y_true, y_pred), losses.mean_squared_error(y_true, y_pred))
    value, (g,) = ops.value_and_grad(my_mse, [y_true, y_pred], wrt=(1,))
    np.testing.assert_array_equal(g, np.full((3, 2), 1.0, np.float32))   # d/dp mean((p-t)^2) = 2(p-t)/2

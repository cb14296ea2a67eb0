"""cnn.ops: every op's value against NumPy, its gradient against central finite differences (float64),
broadcasting, float32 results, and the errors for code that leaves cnn.ops while recording."""
import numpy as np
import pytest

from cnn import ops

RNG = np.random.default_rng(7)


def _positive(shape):
    return RNG.uniform(0.5, 2.0, shape)


def _any(shape):
    return RNG.uniform(-2.0, 2.0, shape)


def _unit(shape):
    return RNG.uniform(0.1, 0.9, shape)


# name -> (cnn.ops function of the float64 inputs, the NumPy value it must give, input makers)
CASES = {
    "add": (lambda a, b: a + b, np.add, [(3, 4), (4,)], _any),
    "subtract": (lambda a, b: ops.subtract(a, b), np.subtract, [(3, 1), (1, 4)], _any),
    "rsub": (lambda a, b: 2.0 - a - b, lambda a, b: 2.0 - a - b, [(3, 4), (3, 4)], _any),
    "multiply": (lambda a, b: a * b, np.multiply, [(2, 3, 4), (3, 1)], _any),
    "divide": (lambda a, b: a / b, np.divide, [(3, 4), (3, 4)], _positive),
    "rdivide": (lambda a: 1.0 / a, lambda a: 1.0 / a, [(5,)], _positive),
    "power": (lambda a, b: a ** b, np.power, [(3, 4), (3, 4)], _positive),
    "power_int": (lambda a: ops.power(a, 3), lambda a: a ** 3, [(5,)], _any),
    "negative": (lambda a: -a, np.negative, [(3, 4)], _any),
    "square": (ops.square, np.square, [(3, 4)], _any),
    "sqrt": (ops.sqrt, np.sqrt, [(3, 4)], _positive),
    "abs": (ops.abs, np.abs, [(3, 4)], _any),
    "exp": (ops.exp, np.exp, [(3, 4)], _any),
    "log": (ops.log, np.log, [(3, 4)], _positive),
    "log1p": (ops.log1p, np.log1p, [(3, 4)], _positive),
    "expm1": (ops.expm1, np.expm1, [(3, 4)], _any),
    "sigmoid": (ops.sigmoid, lambda a: 1 / (1 + np.exp(-a)), [(3, 4)], _any),
    "tanh": (ops.tanh, np.tanh, [(3, 4)], _any),
    "relu": (ops.relu, lambda a: np.maximum(a, 0), [(3, 4)], _any),
    "softplus": (ops.softplus, lambda a: np.log1p(np.exp(a)), [(3, 4)], _any),
    "leaky_relu": (ops.leaky_relu, lambda a: np.where(a > 0, a, 0.2 * a), [(3, 4)], _any),
    "elu": (ops.elu, lambda a: np.where(a > 0, a, np.expm1(a)), [(3, 4)], _any),
    "selu": (ops.selu, lambda a: 1.0507009873554805 * np.where(a > 0, a, 1.6732632423543772 * np.expm1(a)),
             [(3, 4)], _any),
    "gelu": (ops.gelu, lambda a: 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a ** 3))), [(3, 4)],
             _any),
    "silu": (ops.silu, lambda a: a / (1 + np.exp(-a)), [(3, 4)], _any),
    "softsign": (ops.softsign, lambda a: a / (1 + np.abs(a)), [(3, 4)], _any),
    "hard_sigmoid": (ops.hard_sigmoid, lambda a: np.clip(a / 6 + 0.5, 0, 1), [(3, 4)], _any),
    "log_sigmoid": (ops.log_sigmoid, lambda a: -np.log1p(np.exp(-a)), [(3, 4)], _any),
    "relu6": (lambda a: ops.relu6(a * 4), lambda a: np.clip(a * 4, 0, 6), [(3, 4)], _any),
    "maximum": (ops.maximum, np.maximum, [(3, 4), (4,)], _any),
    "minimum": (ops.minimum, np.minimum, [(3, 4), (3, 1)], _any),
    "clip": (lambda a: ops.clip(a, -1.0, 1.0), lambda a: np.clip(a, -1, 1), [(4, 5)], _any),
    "where": (lambda a, b: ops.where(a > b, a * a, b), lambda a, b: np.where(a > b, a * a, b),
              [(3, 4), (4,)], _any),
    "cast": (lambda a: ops.cast(a, "float64") * 2, lambda a: a * 2, [(3,)], _any),
    "sum": (lambda a: ops.sum(a, axis=1), lambda a: a.sum(axis=1), [(3, 4, 2)], _any),
    "sum_all": (ops.sum, np.sum, [(3, 4)], _any),
    "sum_keepdims": (lambda a: ops.sum(a, axis=(0, 2), keepdims=True), lambda a: a.sum((0, 2), keepdims=True),
                     [(3, 4, 2)], _any),
    "mean": (lambda a: ops.mean(a, axis=-1), lambda a: a.mean(axis=-1), [(3, 4)], _any),
    "mean_all": (ops.mean, np.mean, [(3, 4)], _any),
    "max": (lambda a: ops.max(a, axis=0), lambda a: a.max(axis=0), [(3, 4)], _any),
    "min_keepdims": (lambda a: ops.min(a, axis=1, keepdims=True), lambda a: a.min(axis=1, keepdims=True),
                     [(3, 4)], _any),
    "var": (lambda a: ops.var(a, axis=0), lambda a: a.var(axis=0), [(5, 3)], _any),
    "std": (ops.std, np.std, [(5, 3)], _any),
    "logsumexp": (lambda a: ops.logsumexp(a, axis=-1), lambda a: np.log(np.exp(a).sum(-1)), [(3, 4)], _any),
    "softmax": (ops.softmax, lambda a: np.exp(a) / np.exp(a).sum(-1, keepdims=True), [(3, 4)], _any),
    "softmax_axis0": (lambda a: ops.softmax(a, axis=0), lambda a: np.exp(a) / np.exp(a).sum(0), [(3, 4)], _any),
    "log_softmax": (ops.log_softmax, lambda a: a - np.log(np.exp(a).sum(-1, keepdims=True)), [(3, 4)], _any),
    "matmul": (ops.matmul, np.matmul, [(3, 4), (4, 2)], _any),
    "matmul_op": (lambda a, b: a @ b, np.matmul, [(2, 3, 4), (4, 5)], _any),
    "matmul_vec": (ops.matmul, np.matmul, [(3, 4), (4,)], _any),
    "vec_matmul": (ops.matmul, np.matmul, [(4,), (2, 4, 3)], _any),
    "dot_vectors": (ops.dot, np.dot, [(4,), (4,)], _any),
    "transpose": (ops.transpose, np.transpose, [(3, 4, 2)], _any),
    "transpose_axes": (lambda a: ops.transpose(a, (1, 0, 2)), lambda a: a.transpose(1, 0, 2), [(3, 4, 2)], _any),
    "reshape": (lambda a: ops.reshape(a, (4, -1)), lambda a: a.reshape(4, -1), [(3, 4)], _any),
    "expand_dims": (lambda a: ops.expand_dims(a, 1), lambda a: a[:, None], [(3, 4)], _any),
    "squeeze": (lambda a: ops.squeeze(a, -1), lambda a: a[..., 0], [(3, 1)], _any),
    "concatenate": (lambda a, b: ops.concatenate([a, b], axis=1), lambda a, b: np.concatenate([a, b], 1),
                    [(3, 2), (3, 4)], _any),
    "stack": (lambda a, b: ops.stack([a, b], axis=-1), lambda a, b: np.stack([a, b], -1), [(3,), (3,)], _any),
    "getitem": (lambda a: a[:, 1:3] * a[0, :2], lambda a: a[:, 1:3] * a[0, :2], [(3, 3)], _any),
    "getitem_repeat": (lambda a: a[np.array([0, 0, 2])], lambda a: a[[0, 0, 2]], [(3, 2)], _any),
    "convert": (lambda a: ops.convert_to_tensor(a) + ops.convert_to_tensor([1.0, 2.0]),
                lambda a: a + np.array([1.0, 2.0]), [(3, 2)], _any),
}


def _numeric_grad(f, args, i, w, eps=1e-6):
    g = np.zeros_like(args[i])
    for idx in np.ndindex(args[i].shape):
        plus = [a.copy() for a in args]
        minus = [a.copy() for a in args]
        plus[i][idx] += eps
        minus[i][idx] -= eps
        g[idx] = (np.sum(np.asarray(f(*plus)) * w) - np.sum(np.asarray(f(*minus)) * w)) / (2 * eps)
    return g


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_matches_numpy_and_gradient_matches_finite_differences(name):
    fn, reference, shapes, make = CASES[name]
    args = [make(s) for s in shapes]
    eager = fn(*args)
    assert isinstance(eager, np.ndarray) or np.isscalar(eager)
    np.testing.assert_allclose(eager, reference(*args), rtol=1e-12, atol=1e-12)
    w = RNG.normal(size=np.shape(eager))
    value, grads = ops.value_and_grad(fn, args, wrt=range(len(args)), output_grad=w)
    np.testing.assert_allclose(value, eager, rtol=1e-12)
    for i, g in enumerate(grads):
        assert g.shape == args[i].shape and g.dtype == np.float64
        np.testing.assert_allclose(g, _numeric_grad(fn, args, i, w), rtol=1e-6, atol=1e-7, err_msg=f"{name} arg {i}")


@pytest.mark.parametrize("name", ["add", "multiply", "exp", "sigmoid", "softmax", "mean", "matmul", "clip", "where"])
def test_float32_in_float32_out_matching_numpy(name):
    fn, reference, shapes, make = CASES[name]
    args = [make(s).astype(np.float32) for s in shapes]
    value, grads = ops.value_and_grad(fn, args, wrt=range(len(args)))
    assert value.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    np.testing.assert_allclose(value, reference(*args), rtol=2e-6, atol=1e-7)


def test_python_numbers_become_float32_as_keras():
    assert ops.exp(1.0).dtype == np.float32
    assert ops.add(1.0, 2.0).dtype == np.float32
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32
    x = np.ones(3, np.float32)
    assert (x * 2.5 + ops.square(x) / 3.0).dtype == np.float32
    assert ops.mean(np.arange(4)).dtype == np.float32
    assert ops.subtract(x, np.arange(3)).dtype == np.float32 and ops.multiply(np.arange(3) > 1, x).dtype == np.float32


def test_broadcast_gradients_are_summed_over_the_stretched_axes():
    a, b = np.ones((2, 3)), np.full((3,), 2.0)
    _, (ga, gb) = ops.value_and_grad(lambda a, b: a * b, [a, b], wrt=(0, 1))
    np.testing.assert_array_equal(ga, np.full((2, 3), 2.0))
    np.testing.assert_array_equal(gb, np.full(3, 2.0))   # summed over the 2 rows
    _, (gs,) = ops.value_and_grad(lambda a, s: a + s, [a, np.array(5.0)], wrt=(1,))
    assert gs.shape == () and gs == 6.0


def test_ties_follow_keras_on_torch():
    x = np.array([-1.0, 0.0, 1.0, 2.0])
    assert ops.value_and_grad(ops.abs, [x])[1][0].tolist() == [-1, 0, 1, 1]
    assert ops.value_and_grad(ops.relu, [x])[1][0].tolist() == [0, 0, 1, 1]
    assert ops.value_and_grad(lambda t: ops.clip(t, 0.0, 1.0), [x])[1][0].tolist() == [0, 1, 1, 0]
    _, (ga, gb) = ops.value_and_grad(ops.maximum, [x, np.zeros(4)], wrt=(0, 1))
    assert ga.tolist() == [0, 0.5, 1, 1] and gb.tolist() == [1, 0.5, 0, 0]
    _, (ga, gb) = ops.value_and_grad(ops.minimum, [x, np.zeros(4)], wrt=(0, 1))
    assert ga.tolist() == [1, 0.5, 0, 0] and gb.tolist() == [0, 0.5, 1, 1]
    _, (gm,) = ops.value_and_grad(ops.max, [np.array([3.0, 1.0, 3.0])])
    assert gm.tolist() == [0.5, 0, 0.5]   # shared between the tied maxima
    _, (gx, gy) = ops.value_and_grad(lambda a, b: ops.where(a >= b, a, b), [x, np.zeros(4)], wrt=(0, 1))
    assert gx.tolist() == [0, 1, 1, 1] and gy.tolist() == [1, 0, 0, 0]


def test_step_activation_has_zero_gradient():
    def step(x):
        return ops.where(x >= 0, 1.0, 0.0)
    x = np.array([-2.0, 0.0, 3.0], np.float32)
    value, (g,) = ops.value_and_grad(step, [x])
    assert value.tolist() == [0, 1, 1] and g.tolist() == [0, 0, 0] and g.dtype == np.float32


def test_variables_read_inside_fn_get_gradients():
    from cnn.variables import Variable  # what a Layer's add_weight gives
    kernel, bias = Variable(RNG.normal(size=(4, 2)), "kernel"), Variable(np.zeros(2), "bias")
    x = RNG.normal(size=(5, 4)).astype(np.float32)

    def call(inputs):
        return ops.tanh(ops.matmul(inputs, kernel) + bias)
    value, (gx, gk, gb) = ops.value_and_grad(call, [x], wrt=(0,), variables=(kernel, bias))
    np.testing.assert_allclose(value, np.tanh(x @ kernel.value), rtol=1e-6)
    d = 1 - value ** 2
    assert gk.dtype == gb.dtype == gx.dtype == np.float32
    np.testing.assert_allclose(gk, x.T @ d, rtol=1e-5)
    np.testing.assert_allclose(gb, d.sum(0), rtol=1e-5)
    np.testing.assert_allclose(gx, d @ kernel.value.T, rtol=1e-5)
    assert isinstance(call(x), np.ndarray)   # outside recording the variable is a constant


def test_record_then_backward_twice_with_different_output_gradients():
    x = RNG.normal(size=(3, 2))
    rec = ops.record(lambda t: ops.square(t), [x])
    np.testing.assert_array_equal(rec.value, x ** 2)
    np.testing.assert_allclose(rec.backward(np.ones((3, 2)))[0], 2 * x)
    np.testing.assert_allclose(rec.backward(np.full((3, 2), 0.5))[0], x)


def test_stop_gradient_blocks_the_gradient():
    x = np.array([1.0, -3.0])
    _, (g,) = ops.value_and_grad(lambda t: t * ops.stop_gradient(t), [x])
    assert g.tolist() == [1.0, -3.0]


def test_unused_argument_and_constant_output_give_zero_gradients():
    _, grads = ops.value_and_grad(lambda a, b: a * 2, [np.ones(2), np.ones(3)], wrt=(0, 1))
    assert grads[1].tolist() == [0, 0, 0]
    value, (g,) = ops.value_and_grad(lambda a: np.ones(2), [np.ones(2)])
    assert value.tolist() == [1, 1] and g.tolist() == [0, 0]


def test_hasattr_on_a_recorded_tensor_is_false_not_an_error():
    def fn(t):
        assert not hasattr(t, "numpy") and hasattr(t, "shape")
        return t * 2
    ops.value_and_grad(fn, [np.ones(2)])


def test_a_plain_numpy_function_is_refused_naming_the_numpy_call():
    def numpy_mse(y_true, y_pred):
        return np.mean(np.square(y_pred - y_true), axis=-1)
    with pytest.raises(ops.RecordingError, match=r"numpy.square .* use cnn.ops.square"):
        ops.value_and_grad(numpy_mse, [np.zeros((2, 1)), np.ones((2, 1))], wrt=(1,))
    assert not ops.is_recordable(numpy_mse, [np.zeros((2, 1)), np.ones((2, 1))])
    assert ops.is_recordable(lambda t, p: ops.mean(ops.square(p - t)), [np.zeros((2, 1)), np.ones((2, 1))])


@pytest.mark.parametrize("misuse, message", [
    (lambda t: np.asarray(t), r"np.asarray"),
    (lambda t: float(ops.sum(t)), r"float\(\)"),
    (lambda t: t if ops.sum(t) else -t, r"ops.where"),
    (lambda t: np.sum(t), r"numpy.sum .* cnn.ops.sum"),
    (lambda t: np.sin(t), r"numpy.sin .* cnn.ops has no sin"),
    (lambda t: (t, t), r"must return one tensor"),
    (lambda t: (t * t).mean(axis=-1), r"no attribute 'mean'; use cnn.ops.mean\(t, ...\)"),
])
def test_leaving_cnn_ops_while_recording_gives_a_clear_error(misuse, message):
    with pytest.raises(ops.RecordingError, match=message):
        ops.value_and_grad(misuse, [np.ones(3)])


def test_arguments_are_checked():
    with pytest.raises(TypeError, match="floating-point .* args\\[0\\] has dtype int64"):
        ops.value_and_grad(ops.square, [np.arange(3)])
    with pytest.raises(ValueError, match="wrt must hold indices"):
        ops.value_and_grad(ops.square, [np.ones(3)], wrt=(1,))
    with pytest.raises(TypeError, match="fn must be callable"):
        ops.value_and_grad("mse", [np.ones(3)])
    with pytest.raises(ValueError, match="ops.mean: axis 2 is out of range"):
        ops.mean(np.ones((2, 2)), axis=2)
    with pytest.raises(AttributeError, match="keras.ops.fft is outside the subset"):
        ops.fft   # noqa: B018


def test_array_on_the_left_of_an_operator_is_recorded():
    a = np.array([1.0, 2.0])
    _, (g,) = ops.value_and_grad(lambda t: a * t + a @ t - a / t, [np.array([1.0, 4.0])])
    np.testing.assert_allclose(g, a + 2 * a + a / np.array([1.0, 16.0]))   # a @ t is spread over 2 outputs


def test_shape_questions_to_numpy_are_answered():
    def fn(t):
        assert np.shape(t) == (2, 3) and np.ndim(t) == 2 and np.size(t) == 6 and len(t) == 2
        return ops.sum(t, axis=-1) / ops.shape(t)[-1]
    value, (g,) = ops.value_and_grad(fn, [np.ones((2, 3))])
    assert value.tolist() == [1.0, 1.0] and np.allclose(g, 1 / 3)


def test_a_linear_model_trained_by_hand_with_value_and_grad_learns():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 1)).astype(np.float32)
    y = 2 * x + 1
    w, b = np.zeros((1, 1), np.float32), np.zeros(1, np.float32)

    def mse(w, b):
        return ops.mean(ops.square(ops.matmul(x, w) + b - y))
    first, _ = ops.value_and_grad(mse, [w, b], wrt=(0, 1))
    for _ in range(200):
        loss, (gw, gb) = ops.value_and_grad(mse, [w, b], wrt=(0, 1))
        w, b = w - 0.1 * gw, b - 0.1 * gb
    assert first > 3 and loss < 1e-6 and w.dtype == np.float32
    np.testing.assert_allclose([w[0, 0], b[0]], [2, 1], atol=1e-3)


def test_import_cnn_does_not_load_ops():
    import subprocess
    import sys
    code = "import sys, cnn; print('cnn.ops' in sys.modules); from cnn import ops; print(ops.mean([1.0, 3.0]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "2.0"]

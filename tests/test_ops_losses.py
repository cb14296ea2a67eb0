"""cnn.losses' built-in functions inside a loss written with cnn.ops (a weighted loss calling
`losses.binary_crossentropy`): recorded with the Keras formulas, equal to the C values, gradients
equal to finite differences; keras.ops' crossentropies."""
import numpy as np
import pytest

from cnn import losses, ops
from cnn.ops._losses import per_sample


def _data(kind, rng, shape=(5, 3)):
    if kind in ("binary_crossentropy", "kl_divergence", "poisson"):
        return (rng.uniform(size=shape) > 0.5).astype(np.float64), rng.uniform(0.1, 0.9, shape)
    if kind in ("categorical_crossentropy", "categorical_hinge"):
        return np.eye(shape[1])[rng.integers(0, shape[1], shape[0])], rng.uniform(0.1, 0.9, shape)
    if kind == "sparse_categorical_crossentropy":
        return rng.integers(0, shape[1], shape[0]), rng.uniform(0.1, 0.9, shape)
    if kind in ("hinge", "squared_hinge"):
        return np.sign(rng.normal(size=shape)), rng.normal(size=shape) * 0.5
    y_true = rng.uniform(0.5, 2.0, shape)
    return y_true, y_true + rng.choice([-1, 1], shape) * rng.uniform(0.1, 0.4, shape) * 3   # |error| != delta


FUNCTIONS = {
    "mean_squared_error": losses.mean_squared_error,
    "mean_absolute_error": losses.mean_absolute_error,
    "mean_absolute_percentage_error": losses.mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": losses.mean_squared_logarithmic_error,
    "binary_crossentropy": losses.binary_crossentropy,
    "categorical_crossentropy": losses.categorical_crossentropy,
    "sparse_categorical_crossentropy": losses.sparse_categorical_crossentropy,
    "hinge": losses.hinge,
    "squared_hinge": losses.squared_hinge,
    "categorical_hinge": losses.categorical_hinge,
    "huber": losses.huber,
    "log_cosh": losses.log_cosh,
    "kl_divergence": losses.kl_divergence,
    "poisson": losses.poisson,
    "cosine_similarity": losses.cosine_similarity,
}
VARIANTS = {name: (name, {}) for name in FUNCTIONS}
VARIANTS["binary_crossentropy_logits_smoothing"] = ("binary_crossentropy",
                                                    {"from_logits": True, "label_smoothing": 0.1})
VARIANTS["categorical_crossentropy_logits_smoothing"] = ("categorical_crossentropy",
                                                         {"from_logits": True, "label_smoothing": 0.2})
VARIANTS["sparse_categorical_crossentropy_logits"] = ("sparse_categorical_crossentropy", {"from_logits": True})
VARIANTS["huber_delta"] = ("huber", {"delta": 0.5})


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_builtin_loss_inside_a_recording_matches_c_and_finite_differences(name):
    kind, kwargs = VARIANTS[name]
    rng = np.random.default_rng(len(name))
    y_true, y_pred = _data(kind, rng)
    if y_true.dtype.kind == "f":
        y_true = y_true.astype(np.float32).astype(np.float64)
    y_pred = y_pred.astype(np.float32).astype(np.float64)

    def fn(t, p):   # the public function: float32 per-sample values, as eagerly
        return FUNCTIONS[kind](t, p, **kwargs)

    def formula(t, p):   # its recorded formula, without the final float32 cast
        return per_sample(FUNCTIONS[kind]._cnn_kind, t, p, **kwargs)
    f32 = [y_true.astype(np.float32) if y_true.dtype.kind == "f" else y_true, y_pred.astype(np.float32)]
    value, (g32,) = ops.value_and_grad(fn, f32, wrt=(1,))
    assert value.dtype == np.float32 and g32.dtype == np.float32
    np.testing.assert_allclose(value, fn(*f32), rtol=2e-5, atol=1e-6)   # the C kernel's value
    w = rng.uniform(0.5, 1.5, value.shape)
    _, (g,) = ops.value_and_grad(formula, [y_true, y_pred], wrt=(1,), output_grad=w)
    _, (g32w,) = ops.value_and_grad(fn, f32, wrt=(1,), output_grad=w.astype(np.float32))
    np.testing.assert_allclose(g32w, g, rtol=1e-4, atol=1e-6)
    eps, num = 1e-6, np.zeros_like(y_pred)
    for idx in np.ndindex(y_pred.shape):
        d = np.zeros_like(y_pred)
        d[idx] = eps
        plus = ops.record(formula, [y_true, y_pred + d], wrt=(1,)).value
        minus = ops.record(formula, [y_true, y_pred - d], wrt=(1,)).value
        num[idx] = np.sum((plus - minus) * w) / (2 * eps)
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8)


def test_a_weighted_crossentropy_calling_the_builtin_loss():
    def weighted_bce(y_true, y_pred):
        weights = ops.where(ops.equal(y_true[:, 0], 1.0), 3.0, 1.0)
        return weights * losses.binary_crossentropy(y_true, y_pred)
    y_true = np.array([[1.0], [0.0], [1.0]], np.float32)
    y_pred = np.array([[0.8], [0.3], [0.4]], np.float32)
    value, (g,) = ops.value_and_grad(weighted_bce, [y_true, y_pred], wrt=(1,))
    expected = np.array([3, 1, 3]) * -np.where(y_true[:, 0] == 1, np.log(y_pred[:, 0]), np.log(1 - y_pred[:, 0]))
    np.testing.assert_allclose(value, expected, rtol=1e-6)
    np.testing.assert_allclose(value, weighted_bce(y_true, y_pred), rtol=1e-6)   # eager: the C kernel
    d = np.where(y_true == 1, -1 / y_pred, 1 / (1 - y_pred)) * np.array([[3], [1], [3]])
    np.testing.assert_allclose(g, d, rtol=1e-5)


def test_keras_ops_crossentropies():
    t = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], np.float32)
    p = np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]], np.float32)
    np.testing.assert_allclose(ops.categorical_crossentropy(t, p), -np.log([0.7, 0.5]), rtol=1e-6)
    np.testing.assert_allclose(ops.sparse_categorical_crossentropy(np.array([1, 0]), p), -np.log([0.7, 0.5]),
                               rtol=1e-6)
    np.testing.assert_allclose(ops.binary_crossentropy(t, p), -np.log(np.where(t == 1, p, 1 - p)), rtol=1e-6)
    z = np.array([[-3.0, 0.0, 2.0]])
    np.testing.assert_allclose(ops.binary_crossentropy(np.array([[1.0, 0.0, 1.0]]), z, from_logits=True),
                               -np.log(np.where([[1, 0, 1]], 1 / (1 + np.exp(-z)), 1 / (1 + np.exp(z)))))


def test_every_builtin_loss_kind_has_a_cnn_ops_formula():
    y = np.full((2, 3), 0.5)
    for kind in losses.LossKind:
        ids = np.array([0, 2]) if kind == losses.LossKind.SCCE else y
        assert per_sample(kind, ids, y).shape == (2,), kind


def test_every_public_name_exists():
    for name in ops.__all__:
        assert callable(getattr(ops, name)), name

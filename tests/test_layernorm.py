"""LayerNormalization (csrc/layers/layernorm.c, python/cnn/layers/normalization.py): forward against a
float64 NumPy reference, gradients against float64 finite differences, determinism, saving, and
its argument checks. Keras parity: benchmarks/compare_keras_layernorm.py."""
import numpy as np
import pytest

import cnn
from cnn import layers


def ref_forward(x, gamma, beta, eps=1e-3):
    x = np.asarray(x, np.float64)
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def model_with(shape, **kwargs):
    m = cnn.Sequential([cnn.Input(shape=shape), layers.LayerNormalization(**kwargs)])
    rng = np.random.default_rng(1)
    ln = m.layers[0]
    weights = [rng.normal(1, 0.3, shape[-1]).astype(np.float32) if ln.scale else None,
               rng.normal(0, 0.3, shape[-1]).astype(np.float32) if ln.center else None]
    m.set_weights([w for w in weights if w is not None])
    return m, [1.0 if w is None else w for w in weights]


@pytest.mark.parametrize("shape, kwargs", [((7,), {}), ((3, 5), {}), ((2, 3, 4), {"epsilon": 0.1}),
                                           ((6,), {"center": False}), ((6,), {"scale": False}),
                                           ((1,), {})])
def test_forward_matches_float64_reference(shape, kwargs):
    m, (gamma, beta) = model_with(shape, **kwargs)
    beta = 0.0 if not m.layers[0].center else beta
    x = np.random.default_rng(2).normal(3, 2, (9,) + shape).astype(np.float32)
    got = m.predict(x, verbose=0)
    want = ref_forward(x, gamma, beta, kwargs.get("epsilon", 1e-3))
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6 * max(1.0, np.abs(want).max()))


def loss64(x, kernel, bias, gamma, beta, y):
    z = ref_forward(np.asarray(x, np.float64) @ kernel + bias, gamma, beta)
    return ((z - y) ** 2).mean()


def test_gradients_match_finite_differences():
    """One SGD(1) step moves each weight by minus its gradient: Dense kernel (through dx), gamma, beta."""
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, (8, 5)).astype(np.float32)
    y = rng.normal(0, 1, (8, 4)).astype(np.float32)
    m = cnn.Sequential([cnn.Input(shape=(5,)), layers.Dense(4), layers.LayerNormalization()])
    m.compile(optimizer=cnn.optimizers.SGD(1.0), loss="mse")
    w0 = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in m.get_weights()]
    m.set_weights(w0)
    m.train_on_batch(x, y)
    grads = [a.astype(np.float64) - b for a, b in zip(w0, m.get_weights())]
    w64 = [w.astype(np.float64) for w in w0]
    for k in range(4):
        num = np.zeros_like(w64[k])
        for i in np.ndindex(w64[k].shape):
            for sign in (1, -1):
                ws = [w.copy() for w in w64]
                ws[k][i] += sign * 1e-6
                num[i] += sign * loss64(x, *ws, y) / 2e-6
        np.testing.assert_allclose(grads[k], num, rtol=2e-4, atol=2e-6)


def test_training_is_deterministic():
    rng = np.random.default_rng(4)
    x, y = rng.normal(0, 1, (64, 6)).astype(np.float32), rng.normal(0, 1, (64, 2)).astype(np.float32)
    runs = []
    for _ in range(2):
        cnn.utils.set_random_seed(5)
        m = cnn.Sequential([cnn.Input(shape=(6,)), layers.Dense(8, activation="relu"),
                            layers.LayerNormalization(gamma_regularizer="l2"), layers.Dense(2)])
        m.compile(optimizer="adam", loss="mse")
        m.fit(x, y, epochs=3, batch_size=16, verbose=0)
        runs.append(m.get_weights())
    for a, b in zip(*runs):
        assert np.array_equal(a, b)


def test_save_load_round_trip(tmp_path):
    m, _ = model_with((3, 4))
    m.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(6).normal(0, 1, (5, 3, 4)).astype(np.float32)
    m.fit(x, x, epochs=2, verbose=0)
    path = tmp_path / "ln.keras"
    m.save(path)
    again = cnn.saving.load_model(path)
    assert again.layers[0].get_config() == m.layers[0].get_config()
    assert np.array_equal(again.predict(x, verbose=0), m.predict(x, verbose=0))


def test_config_and_arguments():
    ln = layers.LayerNormalization(epsilon=0.01, center=False, gamma_constraint="non_neg")
    cfg = ln.get_config()
    assert cfg["axis"] == -1 and cfg["epsilon"] == 0.01 and cfg["center"] is False and cfg["rms_scaling"] is False
    assert layers.LayerNormalization.from_config(cfg).get_config() == cfg
    with pytest.raises(ValueError, match="last axis"):
        cnn.Sequential([cnn.Input(shape=(3, 4)), layers.LayerNormalization(axis=1)])
    with pytest.raises(ValueError, match="rms_scaling"):
        layers.LayerNormalization(rms_scaling=True)
    with pytest.raises(ValueError, match="epsilon"):
        layers.LayerNormalization(epsilon=float("nan"))
    with pytest.raises(TypeError, match="axis"):
        layers.LayerNormalization(axis="last")

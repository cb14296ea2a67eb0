"""layers.Normalization (csrc/layers/normalization_layer.c): Keras 3's formulas, adapt(), invert,
gradients through it, its weights and configs, and .keras round trips."""
import json

import numpy as np
import pytest

import cnn
from cnn import layers


def _ref(x, mean, var, invert=False):
    s = np.maximum(np.sqrt(np.float32(var)), np.float32(1e-7))
    return mean + x * s if invert else (x - mean) / s


@pytest.mark.parametrize("rows", [1, 7, 33])
def test_adapt_and_forward_per_feature(rows):
    rng = np.random.default_rng(rows)
    data = rng.normal(4.0, 3.0, size=(50, 5))
    norm = layers.Normalization()
    norm.adapt(data)
    mean, var, count = norm.get_weights()
    np.testing.assert_allclose(mean, data.mean(0), rtol=1e-6)
    np.testing.assert_allclose(var, data.var(0), rtol=1e-6)
    assert count.shape == () and [w.name for w in norm.weights] == [
        f"{norm.name}/mean", f"{norm.name}/variance", f"{norm.name}/count"]
    assert norm.trainable_weights == [] and norm.count_params() == 11
    x = rng.normal(size=(rows, 5)).astype(np.float32)
    np.testing.assert_allclose(norm(x), _ref(x, mean, var), rtol=1e-6, atol=1e-6)
    inverse = layers.Normalization(invert=True)
    inverse.adapt(data)
    np.testing.assert_allclose(inverse(norm(x)), x, rtol=1e-5, atol=1e-5)


def test_axis_none_middle_axis_and_batches():
    rng = np.random.default_rng(1)
    data = rng.normal(size=(20, 3, 4))
    whole = layers.Normalization(axis=None)
    whole.adapt(data)
    assert whole.get_weights()[0].shape == ()
    np.testing.assert_allclose(whole.get_weights()[1], data.var(), rtol=1e-6)
    middle = layers.Normalization(axis=1)
    middle.adapt(data)
    m, v = data.mean((0, 2)), data.var((0, 2))
    np.testing.assert_allclose(middle(data), (data - m[:, None]) / np.sqrt(v[:, None]), rtol=1e-5, atol=1e-5)
    # batches (a list or a generator) combine as Keras combines them: the same statistics
    in_batches = layers.Normalization(axis=1)
    in_batches.adapt(b for b in np.split(data, 4))
    np.testing.assert_allclose(in_batches.get_weights()[0], m, rtol=1e-6)
    np.testing.assert_allclose(in_batches.get_weights()[1], v, rtol=1e-6)
    listed = layers.Normalization(axis=1)
    listed.adapt(list(np.split(data, 2)))
    np.testing.assert_allclose(listed.get_weights()[1], v, rtol=1e-6)


def test_given_mean_and_variance_are_constants_not_weights():
    norm = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.0])
    y = norm(np.array([[3.0, 2.5]]))
    np.testing.assert_allclose(y, [[1.0, 0.5 / 1e-7]], rtol=1e-6)   # a zero variance divides by 1e-7
    assert norm.weights == [] and norm.get_weights() == [] and norm.count_params() == 0
    scalar = layers.Normalization(mean=1.0, variance=4.0, invert=True)
    np.testing.assert_allclose(scalar(np.ones((2, 3))), np.full((2, 3), 3.0))
    model = cnn.Sequential([cnn.Input(shape=(2,)), norm, layers.Dense(1)])
    assert len(model.weights) == 2 and model.count_params() == 3


def test_gradients_flow_through_it():
    mean, var = np.array([0.5, -1.0], np.float32), np.array([4.0, 0.25], np.float32)
    model = cnn.Sequential([cnn.Input(shape=(3,)), layers.Dense(2, kernel_initializer="ones"),
                            layers.Normalization(mean=mean, variance=var), layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=cnn.optimizers.SGD(1.0), loss="mse")
    x = np.random.default_rng(2).normal(size=(6, 3))
    y = np.random.default_rng(3).normal(size=(6, 1))
    w1, b1, w2, b2 = [w.astype(np.float64) for w in model.get_weights()]
    h = x @ w1 + b1
    z = (h - mean) / np.sqrt(var)
    out = z @ w2 + b2
    g_out = 2 * (out - y) / len(x)
    g_w1 = x.T @ ((g_out @ w2.T) / np.sqrt(var))
    model.train_on_batch(x, y)
    np.testing.assert_allclose(w1 - model.get_weights()[0], g_w1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(w2 - model.get_weights()[2], z.T @ g_out, rtol=1e-4, atol=1e-6)


def test_adapt_in_a_model_and_save_load(tmp_path):
    data = np.random.default_rng(4).normal(10.0, 5.0, size=(40, 3))
    norm = layers.Normalization()
    norm.adapt(data)
    model = cnn.Sequential([cnn.Input(shape=(3,)), norm, layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(data, data[:, :1], epochs=2, verbose=0)
    np.testing.assert_allclose(norm.get_weights()[0], data.mean(0), rtol=1e-6)   # not trained
    model.save(tmp_path / "m.keras")
    restored = cnn.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(restored.predict(data, verbose=0), model.predict(data, verbose=0))
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    given = cnn.Sequential([cnn.Input(shape=(2,)), layers.Normalization(mean=[1, 2], variance=[3, 4]),
                            layers.Dense(1)])
    given.save(tmp_path / "g.keras")
    back = cnn.models.load_model(tmp_path / "g.keras")
    np.testing.assert_array_equal(back.predict(np.ones((2, 2)), verbose=0), given.predict(np.ones((2, 2)), verbose=0))
    config = json.loads(model.to_json())["config"]["layers"][1]["config"]
    assert config["axis"] == [-1] and config["mean"] is None and config["invert"] is False


def test_bad_arguments():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=1.0)
    with pytest.raises(TypeError, match="axis must be"):
        layers.Normalization(axis="last")
    with pytest.raises(ValueError, match="variance must be >= 0"):
        layers.Normalization(mean=0.0, variance=-1.0)
    with pytest.raises(ValueError, match="batch axis"):
        layers.Normalization(axis=0).adapt(np.ones((4, 2)))
    with pytest.raises(ValueError, match="adjacent"):
        layers.Normalization(axis=(1, 3)).adapt(np.ones((2, 3, 4, 5)))
    with pytest.raises(ValueError, match="range"):
        layers.Normalization(axis=3).adapt(np.ones((4, 2)))
    norm = layers.Normalization()
    norm.adapt(np.ones((4, 2)))
    with pytest.raises(ValueError, match="incompatible shape"):
        norm.adapt(np.ones((4, 3)))
    with pytest.raises(ValueError, match="NaN"):
        layers.Normalization().adapt(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="was given `mean`"):
        layers.Normalization(mean=0.0, variance=1.0).adapt(np.ones((2, 2)))

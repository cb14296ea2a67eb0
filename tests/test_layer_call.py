"""Layers and models called on data (`layer(x)`, `layer(x, training=True)`, `model(x, training=...)`):
built on first call, run by the C kernels, returning float32 NumPy arrays as Keras 3 does."""
import numpy as np
import pytest

import cnn
from cnn import layers


def test_dropout_training_zeros_about_rate_and_scales_the_rest():
    y = layers.Dropout(0.3)(np.ones((1000, 10)), training=True)
    assert y.dtype == np.float32 and y.shape == (1000, 10)
    assert abs((y == 0).mean() - 0.3) < 0.02
    np.testing.assert_allclose(y[y != 0], np.float32(1 / 0.7), rtol=1e-6)


@pytest.mark.parametrize("training", [False, None])
def test_dropout_inference_returns_the_input(training):
    x = np.arange(12, dtype=np.float64).reshape(4, 3)
    y = layers.Dropout(0.5)(x, training=training)
    np.testing.assert_array_equal(y, x.astype(np.float32))
    assert layers.GaussianNoise(1.0)(x, training=training).tolist() == x.tolist()


def test_each_training_call_draws_a_new_mask_and_seeding_repeats_them():
    cnn.utils.set_random_seed(7)
    d = layers.Dropout(0.5)
    first = [d(np.ones((4, 50)), training=True) for _ in range(2)]
    assert not np.array_equal(first[0], first[1])
    cnn.utils.set_random_seed(7)
    again = [d(np.ones((4, 50)), training=True) for _ in range(2)]
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    # the layer's own seed gives its own stream, the same for any global seed
    a = layers.Dropout(0.5, seed=3)(np.ones((4, 50)), training=True)
    cnn.utils.set_random_seed(99)
    b = layers.Dropout(0.5, seed=3)(np.ones((4, 50)), training=True)
    np.testing.assert_array_equal(a, b)


def test_dense_builds_on_first_call_and_matches_numpy():
    dense = layers.Dense(3, activation="relu")
    x = np.random.default_rng(0).normal(size=(5, 4))
    y = dense(x)
    assert dense.built and dense.input_shape == (None, 4) and y.shape == (5, 3) and y.dtype == np.float32
    w, b = dense.get_weights()
    np.testing.assert_allclose(y, np.maximum(x @ w + b, 0), rtol=1e-5, atol=1e-6)
    assert dense([[1.0, 2.0, 3.0, 4.0]]).shape == (1, 3)        # nested lists
    assert dense(np.ones(4)).shape == (3,)                      # one unbatched sample
    with pytest.raises(ValueError, match="built for inputs of shape"):
        dense(np.ones((2, 5)))


def test_batchnorm_training_uses_batch_statistics_and_moves_the_moving_ones():
    bn = layers.BatchNormalization(momentum=0.9)
    x = np.random.default_rng(1).normal(3.0, 2.0, size=(64, 3))
    y = bn(x, training=True)
    ref = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)
    gamma, beta, mean, var = bn.get_weights()
    np.testing.assert_allclose(mean, 0.1 * x.mean(0), rtol=1e-4)        # Keras 3 updates them in call
    np.testing.assert_allclose(var, 0.9 + 0.1 * x.var(0), rtol=1e-4)
    y_inf = bn(x)                                                      # inference: moving statistics
    np.testing.assert_allclose(y_inf, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(bn.get_weights()[2], mean)           # and leaves them alone


def test_model_call_training_runs_dropout_and_updates_batchnorm_in_the_model():
    cnn.utils.set_random_seed(0)
    model = cnn.Sequential([cnn.Input(shape=(6,)), layers.Dense(16), layers.Dropout(0.5),
                            layers.BatchNormalization()])
    x = np.random.default_rng(2).normal(size=(32, 6))
    np.testing.assert_array_equal(model(x), model.predict(x, verbose=0))
    np.testing.assert_array_equal(model(x, training=False), model.predict_on_batch(x))
    before = [w.copy() for w in model.get_weights()]
    y = model(x, training=True)
    assert y.shape == (32, 16) and y.dtype == np.float32
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-4)             # batch statistics
    after = model.get_weights()
    for i in (0, 1, 2, 3):   # kernel, bias, gamma, beta: nothing trained
        np.testing.assert_array_equal(before[i], after[i])
    assert not np.array_equal(before[4], after[4])                  # moving mean moved
    assert not np.array_equal(model(x, training=True), y)           # a new dropout mask


def test_symbolic_inputs_and_bad_arguments():
    assert layers.Dense(2)(cnn.Input(shape=(3,))).shape == (None, 2)    # symbolic: the functional API
    model = cnn.Sequential([cnn.Input(shape=(3,)), layers.Dense(2)])
    assert model(cnn.Input(shape=(3,))).shape == (None, 2)
    with pytest.raises(TypeError, match="should be tensors"):
        layers.Dense(2)(cnn.layers.InputLayer(shape=(3,)))
    with pytest.raises(TypeError, match="training must be"):
        layers.Dropout(0.1)(np.ones((2, 2)), training="yes")
    with pytest.raises(TypeError, match="unexpected keyword"):
        layers.Dropout(0.1)(np.ones((2, 2)), mask=None)
    with pytest.raises(ValueError, match="NaN"):
        layers.Dense(2)(np.array([[1.0, np.nan]]))
    with pytest.raises(TypeError, match="must hold numbers"):
        layers.Dense(2)(np.array([["a", "b"]]))


def test_a_called_layer_can_join_a_model_and_keeps_its_weights():
    dense = layers.Dense(2)
    y = dense(np.ones((1, 3)))
    model = cnn.Sequential([cnn.Input(shape=(3,)), dense])
    np.testing.assert_array_equal(model.predict(np.ones((1, 3)), verbose=0), y)
    dense.set_weights([np.ones((3, 2)), np.zeros(2)])
    np.testing.assert_array_equal(dense(np.ones((1, 3))), [[3.0, 3.0]])
    np.testing.assert_array_equal(model(np.ones((1, 3))), [[3.0, 3.0]])


def test_noise_layers_and_frozen_batchnorm_in_training_mode():
    cnn.utils.set_random_seed(5)
    y = layers.GaussianNoise(2.0)(np.zeros((500, 20)), training=True)
    assert abs(y.mean()) < 0.05 and abs(y.std() - 2.0) < 0.05
    g = layers.GaussianDropout(0.5)(np.ones((500, 20)), training=True)
    assert abs(g.mean() - 1.0) < 0.05 and abs(g.std() - 1.0) < 0.05     # sqrt(rate / (1 - rate)) = 1
    bn = layers.BatchNormalization(trainable=False)
    x = np.random.default_rng(6).normal(3.0, 2.0, size=(16, 2))
    np.testing.assert_allclose(bn(x, training=True), x / np.sqrt(1 + 1e-3), rtol=1e-5)   # frozen: Keras
    np.testing.assert_array_equal(bn.get_weights()[2], [0.0, 0.0])                        # uses moving stats

"""Custom activations in convolutions (issue 10): Conv1D/Conv2D(..., activation=fn) with fn written with
cnn.ops run as Dense's do (the layer's call with ops.conv, differentiated by the recording), give the
built-in activation's history from the same seed, and Keras 3's results for the same function file."""
import pathlib

import numpy as np
import pytest

import cnn
import keras_oracle
import ops_course_sparse as course  # tests/ is on sys.path
from cnn import layers, ops

COURSE_FILE = pathlib.Path(__file__).with_name("ops_course_sparse.py")


def my_sigmoid(x):
    return 1.0 / (1.0 + ops.exp(-x))


def identity(x):
    return x * 1.0


def _images(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8, 8, 2)).astype(np.float32)
    return x, (x[:, :4, :, 0].mean(axis=(1, 2)) > 0).astype(np.int64) + (x[:, 4:, :, 1].mean(axis=(1, 2)) > 0)


def _conv_model(act):
    return cnn.Sequential([cnn.Input((8, 8, 2)), layers.Conv2D(4, 3, padding="same", activation=act),
                           layers.MaxPooling2D(), layers.Conv2D(4, 3, strides=2, activation=act),
                           layers.Flatten(), layers.Dense(3, activation="softmax")])


def _history(build, x, y, loss="sparse_categorical_crossentropy", seed=0):
    cnn.utils.set_random_seed(seed)
    model = build()
    model.compile("adam", loss, metrics=["accuracy"])
    return model, model.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_split=0.25).history


def _assert_same_history(got, ref, rtol=2e-5):
    assert sorted(got) == sorted(ref)
    for key in ref:
        np.testing.assert_allclose(got[key], ref[key], rtol=rtol, err_msg=key)


def test_conv2d_with_a_custom_relu_trains_to_the_builtin_history():
    x, y = _images()
    ref_model, ref = _history(lambda: _conv_model("relu"), x, y)
    model, got = _history(lambda: _conv_model(course.my_relu), x, y)
    _assert_same_history(got, ref)
    np.testing.assert_allclose(model.predict(x, verbose=0), ref_model.predict(x, verbose=0), rtol=1e-4, atol=1e-6)


def test_conv1d_causal_dilated_with_a_custom_sigmoid_trains_to_the_builtin_history():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(48, 12, 3)).astype(np.float32)
    y = rng.normal(size=(48, 1)).astype(np.float32)

    def build(act):
        return lambda: cnn.Sequential([cnn.Input((12, 3)), layers.Conv1D(4, 3, padding="causal", dilation_rate=2,
                                                                         activation=act),
                                       layers.Conv1D(6, 2, strides=2, groups=2, activation=act),
                                       layers.GlobalAveragePooling1D(), layers.Dense(1)])
    _, ref = _history(build("sigmoid"), x, y, loss="mse")
    _, got = _history(build(my_sigmoid), x, y, loss="mse")
    ref.pop("accuracy", None), got.pop("accuracy", None)
    _assert_same_history(got, ref)


@pytest.mark.parametrize("conv", [
    dict(filters=6, kernel_size=3), dict(filters=6, kernel_size=(3, 2), strides=2, padding="same"),
    dict(filters=6, kernel_size=3, dilation_rate=2, padding="same", groups=2), dict(filters=3, kernel_size=1),
])
def test_ops_conv_gives_the_core_convolution(conv):
    x = np.random.default_rng(2).normal(size=(5, 9, 8, 4)).astype(np.float32)
    builtin = layers.Conv2D(**conv, bias_initializer="glorot_uniform")
    custom = layers.Conv2D(**conv, activation=identity)
    expected = builtin(x)
    custom(x[:1])
    custom.set_weights(builtin.get_weights())
    np.testing.assert_allclose(custom(x), expected, rtol=1e-5, atol=1e-5)


def test_perceptron_step_in_a_conv_layer():
    x, _ = _images(16)
    model = cnn.Sequential([cnn.Input((8, 8, 2)), layers.Conv2D(3, 3, activation=course.step)])
    linear = cnn.Sequential([cnn.Input((8, 8, 2)), layers.Conv2D(3, 3)])
    linear.set_weights(model.get_weights())
    np.testing.assert_array_equal(model.predict(x, verbose=0),
                                  (linear.predict(x, verbose=0) >= 0).astype(np.float32))
    model.compile("sgd", "mse")
    before = model.get_weights()
    model.fit(x, np.ones((16, 6, 6, 3), np.float32), epochs=1, verbose=0)
    for a, b in zip(model.get_weights(), before):   # the step's gradient is zero: nothing moves
        np.testing.assert_array_equal(a, b)


def test_a_numpy_activation_predicts_but_cannot_train_with_a_clear_error():
    x, y = _images(16)
    model = cnn.Sequential([cnn.Input((8, 8, 2)), layers.Conv2D(2, 3, activation=lambda v: np.maximum(v, 0)),
                            layers.Flatten(), layers.Dense(3, activation="softmax")])
    assert model.predict(x, verbose=0).shape == (16, 3)
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(TypeError, match="cnn.ops.maximum"):
        model.fit(x, y, epochs=1, verbose=0)


def test_ops_conv_refuses_bad_arguments():
    x = np.zeros((1, 5, 5, 4), np.float32)
    with pytest.raises(ValueError, match="padding"):
        ops.conv(x, np.zeros((3, 3, 4, 2), np.float32), padding="full")
    with pytest.raises(ValueError, match="groups"):
        ops.conv(x, np.zeros((3, 3, 3, 2), np.float32))
    with pytest.raises(ValueError, match="larger than the input"):
        ops.conv(x, np.zeros((7, 7, 4, 2), np.float32))


ORACLE_SCRIPT = keras_oracle.COURSE_PRELUDE + r"""
out = {}
for name in ("my_relu", "my_swish", "step"):
    act = ns[name]
    model = keras.Sequential([keras.Input((8, 8, 2)), keras.layers.Conv2D(4, 3, padding="same", activation=act),
                              keras.layers.MaxPooling2D(), keras.layers.Conv2D(4, 3, strides=2, activation=act),
                              keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    model.set_weights([np.array(w, np.float32) for w in case["weights"]])
    pred = model.predict(x, verbose=0)
    model.compile(keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0).history
    out[name] = {"pred": pred.tolist(), "history": {k: [float(v) for v in vs] for k, vs in h.items()}}
print(json.dumps(out))
"""


@keras_oracle.needs_oracle
def test_the_same_activation_file_gives_keras_3_results():
    x, y = _images(48)
    cnn.utils.set_random_seed(0)
    weights = [w.tolist() for w in _conv_model("relu").get_weights()]
    keras_out = keras_oracle.run(ORACLE_SCRIPT, COURSE_FILE, payload={"x": x.tolist(), "y": y.tolist(),
                                                                       "weights": weights})
    for name in ("my_relu", "my_swish", "step"):
        model = _conv_model(getattr(course, name))
        model.set_weights([np.array(w, np.float32) for w in weights])
        np.testing.assert_allclose(model.predict(x, verbose=0), keras_out[name]["pred"], rtol=1e-4, atol=1e-6,
                                   err_msg=name)
        model.compile(cnn.optimizers.SGD(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"])
        got = model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0).history
        for key, values in keras_out[name]["history"].items():
            np.testing.assert_allclose(got[key], values, rtol=1e-4, atol=1e-6, err_msg=f"{name}: {key}")

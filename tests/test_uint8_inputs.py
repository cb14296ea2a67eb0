"""uint8 images go into fit, evaluate and predict as they are: the core converts each batch into its
float buffer (exactly), so the results are the float32 copy's bit for bit and no float copy of the
data set is ever made."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import cnn
from cnn import _core, layers


@pytest.fixture(params=[1, 2], ids=["1-thread", "2-threads"])
def threads(request):
    _core.set_num_threads(request.param)
    yield request.param
    _core.set_num_threads(0)


def _images(n, seed=0, size=8):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, size, size, 1), dtype=np.uint8), rng.integers(0, 3, n).astype(np.uint8)


def _sequential():
    return cnn.Sequential([cnn.Input(shape=(8, 8, 1)), layers.Rescaling(1 / 255),
                           layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D(), layers.Flatten(),
                           layers.Dense(3, activation="softmax")])


def _functional_one():
    inp = cnn.Input(shape=(8, 8, 1))
    h = layers.Conv2D(3, 3, activation="relu")(layers.Rescaling(1 / 255)(inp))
    flat = layers.Flatten()(h)
    out = layers.Dense(3, activation="softmax")(layers.Concatenate()([flat, layers.Flatten()(inp)]))
    return cnn.Model(inp, out)


def _functional_two():
    a, b = cnn.Input(shape=(8, 8, 1), name="a"), cnn.Input(shape=(5,), name="b")
    h = layers.Flatten()(layers.Conv2D(2, 3, activation="relu")(layers.Rescaling(1 / 255)(a)))
    out = layers.Dense(3, activation="softmax")(layers.Concatenate()([h, layers.Rescaling(1 / 255)(b)]))
    return cnn.Model([a, b], out)


def _run(build, x, y, xv, epochs=2, batch_size=32):
    """History, weights, evaluate, predict, the *_on_batch calls and a training-mode call, same seed."""
    several = isinstance(xv, dict)
    first = {k: v[:3] for k, v in xv.items()} if several else xv[:3]
    yv = np.arange(len(xv["a"] if several else xv)) % 3
    cnn.utils.set_random_seed(3)
    model = build()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=(xv, yv), verbose=0)
    return (history.history, model.get_weights(), model.evaluate(xv, yv, batch_size=7, verbose=0),
            model.predict(xv, batch_size=7, verbose=0), model.predict_on_batch(first),
            model.test_on_batch(first, yv[:3]), model.train_on_batch(first, yv[:3]), model.get_weights(),
            model(first, training=True))


def _as_float(x):
    return {k: v.astype(np.float32) for k, v in x.items()} if isinstance(x, dict) else x.astype(np.float32)


def _assert_identical(a, b):
    assert a[0] == b[0]   # history: the same Python floats
    for got, want in zip(a[1:], b[1:]):
        if isinstance(got, list):
            assert len(got) == len(want)
            for g, w in zip(got, want):
                assert np.asarray(g).tobytes() == np.asarray(w).tobytes()
        else:
            assert np.asarray(got).tobytes() == np.asarray(want).tobytes()


@pytest.mark.parametrize("n", [10, 203], ids=["epochs-per-call", "steps"])
def test_sequential_uint8_gives_the_float32_bits(threads, n):
    x, y = _images(n)
    xv = _images(30, seed=1)[0]
    got, want = _run(_sequential, x, y, xv), _run(_sequential, x.astype(np.float32), y, xv.astype(np.float32))
    _assert_identical(got, want)
    assert np.isfinite(got[0]["loss"]).all()


def test_functional_uint8_gives_the_float32_bits(threads):
    x, y = _images(150)
    xv = _images(20, seed=1)[0]
    _assert_identical(_run(_functional_one, x, y, xv), _run(_functional_one, _as_float(x), y, _as_float(xv)))


@pytest.mark.parametrize("second_dtype", [np.uint8, np.float32])
def test_two_inputs_uint8_gives_the_float32_bits(threads, second_dtype):
    x, y = _images(120)
    rng = np.random.default_rng(5)
    b = rng.integers(0, 256, (120, 5)).astype(second_dtype)
    data = {"a": x, "b": b}
    val = {"a": x[:25], "b": b[:25]}
    _assert_identical(_run(_functional_two, data, y, val), _run(_functional_two, _as_float(data), y, _as_float(val)))


def test_a_generator_of_uint8_batches_gives_the_float32_bits():
    x, y = _images(96)

    def batches(xs):
        for i in range(0, len(xs), 32):
            yield xs[i:i + 32], y[i:i + 32]

    results = []
    for xs in (x, x.astype(np.float32)):
        cnn.utils.set_random_seed(3)
        model = _sequential()
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        history = model.fit(batches(xs), epochs=1, verbose=0)
        results.append((history.history, model.get_weights(), model.predict(batches(xs), verbose=0)))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1] + [results[0][2]], results[1][1] + [results[1][2]]):
        assert a.tobytes() == b.tobytes()


def test_read_only_and_strided_uint8_are_accepted():
    x, y = _images(64)
    read_only = np.frombuffer(x.tobytes(), dtype=np.uint8).reshape(x.shape)   # as datasets load them
    assert not read_only.flags.writeable
    strided = np.zeros((64, 8, 8, 2), np.uint8)
    strided[..., :1] = x
    out = []
    for xs in (read_only, strided[..., :1], x.astype(np.float32)):
        cnn.utils.set_random_seed(3)
        model = _sequential()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(xs, y, epochs=1, verbose=0, validation_split=0.25)
        out.append(model.predict(xs, verbose=0))
    assert out[0].tobytes() == out[2].tobytes() and out[1].tobytes() == out[2].tobytes()
    assert np.array_equal(read_only, x)   # inputs are never modified


def test_uint8_keeps_the_input_checks():
    x, y = _images(20)
    model = cnn.Sequential([layers.Rescaling(1 / 255), layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(3)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"channel axis is missing.*x\[\.\.\., None\]"):
        model.fit(x[..., 0], y, verbose=0)
    built = _sequential()
    built.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"x has shape \(20, 8, 8\), but the model expects \(n, 8, 8, 1\)"):
        built.fit(x[..., 0], y, verbose=0)
    with pytest.raises(ValueError, match=r"x and y have different numbers of samples: 20 and 19"):
        built.fit(x, y[:19], verbose=0)
    with pytest.raises(ValueError, match=r"x has shape \(20, 8, 8\)"):
        built.predict(x[..., 0], verbose=0)


def test_the_plan_reads_float32_or_uint8_only():
    model = _sequential()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    plan = model._inference_plan(4)
    for bad in (np.zeros((4, 64), np.int8), np.zeros((4, 64), np.float64), np.zeros((4, 128), np.uint8)[:, ::2]):
        with pytest.raises(TypeError, match="x must be a C-contiguous float32 or uint8 array"):
            plan.predict(bad, 4, None, 0)
    with pytest.raises(ValueError, match="x has 63 features per sample, the model expects 64"):
        plan.predict(np.zeros((4, 63), np.uint8), 4, None, 0)
    assert plan.predict(np.full((4, 64), 255, np.uint8), 4, None, 0).shape == (4, 3)


_NO_COPY = """
import tracemalloc
import numpy as np
import cnn
from cnn import layers
rng = np.random.default_rng(0)
x, y = rng.integers(0, 256, (20000, 28, 28, 1), dtype=np.uint8), rng.integers(0, 3, 20000)
model = cnn.Sequential([cnn.Input(shape=(28, 28, 1)), layers.Rescaling(1 / 255), layers.Flatten(),
                        layers.Dense(3, activation="softmax")])
model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x[:64], y[:64], epochs=1, verbose=0)   # plans built outside the measurement
tracemalloc.start()
model.fit(x, y, epochs=1, batch_size=256, verbose=0, validation_split=0.1)
model.evaluate(x, y, batch_size=256, verbose=0)
model.predict(x, batch_size=256, verbose=0)
print(tracemalloc.get_traced_memory()[1], x.size * 4)
"""


def test_fit_makes_no_float_copy_of_uint8_images():
    """tracemalloc sees NumPy's buffers: the peak stays far below the 4-byte copy of the images. (In a
    child: the interpreter keeps tracemalloc's tables, which a leak check at exit would report.)"""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(pathlib.Path(cnn.__file__).resolve().parent.parent), os.environ.get("PYTHONPATH")) if p))
    run = subprocess.run([sys.executable, "-c", _NO_COPY], capture_output=True, text=True, env=env, timeout=300,
                         check=False)
    assert run.returncode == 0, run.stderr
    peak, float_copy = map(int, run.stdout.split())
    assert peak < float_copy / 4, (peak, float_copy)


def test_a_python_first_layer_sees_float32_rows():
    class Scale(cnn.layers.Layer):
        def call(self, inputs, training=None):
            assert inputs.dtype == np.float32, inputs.dtype
            return inputs / 255.0

        def backward(self, grad_output):
            return grad_output / 255.0

    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (100, 6), dtype=np.uint8), rng.normal(size=(100, 1)).astype(np.float32)
    results = []
    for xs in (x, x.astype(np.float32)):
        cnn.utils.set_random_seed(0)
        model = cnn.Sequential([cnn.Input((6,)), Scale(), layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(xs, y, epochs=2, verbose=0)
        results.append((history.history, model.predict(xs, verbose=0).tobytes(), model.evaluate(xs, y, verbose=0)))
    assert results[0] == results[1]

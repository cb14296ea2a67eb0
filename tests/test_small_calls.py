"""The small-model path (a few rows per call) takes shortcuts that must not change any result."""
import numpy as np
import pytest

import cnn
from cnn import _data, _shortcuts, layers


def _model():
    cnn.utils.set_random_seed(2)
    m = cnn.Sequential([cnn.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.uint64])
@pytest.mark.parametrize("shape", [(5,), (5, 1)])
def test_class_ids_shortcut_equals_the_full_conversion(dtype, shape):
    y = np.array([0, 2, 1, 1, 0], dtype=dtype).reshape(shape)
    fast = _shortcuts.class_ids(y, 5, (None, 3))
    full = _data.as_targets(y, 5, (None, 3), True)
    assert fast.dtype == full.dtype and fast.shape == full.shape and fast.flags.c_contiguous
    assert np.array_equal(fast, full)
    strided = np.arange(10, dtype=dtype)[::2] % 3
    assert np.array_equal(_shortcuts.class_ids(strided, 5, (None, 3)), _data.as_targets(strided, 5, (None, 3), True))


@pytest.mark.parametrize("y", [np.array([0, 3]), np.array([-1, 0]), np.array([0.0, 1.0]), [0, 1],
                               np.array([[1, 0], [0, 1]]), np.array([True, False])])
def test_class_ids_shortcut_leaves_everything_else_to_the_full_conversion(y):
    assert _shortcuts.class_ids(y, 2, (None, 3)) is None


def test_out_of_range_ids_get_the_full_message():
    m = _model()
    with pytest.raises(ValueError, match="holds class id 3, but the model outputs 3 classes"):
        m.train_on_batch(np.ones((2, 4)), np.array([0, 3]))
    with pytest.raises(ValueError, match="holds class id -1"):
        m.evaluate(np.ones((2, 4)), np.array([-1, 0]), verbose=0)


def test_silent_calls_without_callbacks_match_calls_with_an_empty_list():
    m = _model()
    x = np.random.default_rng(0).normal(size=(70, 4)).astype(np.float32)
    y = np.arange(70) % 3
    assert m.evaluate(x, y, verbose=0) == m.evaluate(x, y, verbose=0, callbacks=[])
    assert np.array_equal(m.predict(x, verbose=0), m.predict(x, verbose=0, callbacks=[]))
    seen = []
    probe = cnn.callbacks.LambdaCallback(on_predict_begin=lambda logs: seen.append("begin"),
                                         on_predict_end=lambda logs: seen.append("end"))
    m.predict(x, verbose=0, callbacks=[probe])
    assert seen == ["begin", "end"]  # a callback still gets its hooks on a silent call


@pytest.mark.parametrize("tail", [(4,), (2, 3)])
def test_float_rows_shortcut_equals_the_full_conversion(tail):
    x = np.random.default_rng(1).normal(size=(6,) + tail).astype(np.float32)
    for given in (x, x[::2], np.asfortranarray(x)):
        fast = _shortcuts.float_rows(given, tail)
        full = _data.as_features(given, tail).reshape(len(given), -1)
        assert fast.dtype == np.float32 and fast.flags.c_contiguous and not np.shares_memory(fast, given)
        assert np.array_equal(fast, full)


@pytest.mark.parametrize("x", [np.array([[1.0, np.nan, 0, 0]], np.float32), np.array([[1e39, 0, 0, 0]]),
                               np.ones((2, 4)), np.ones((2, 4), np.float16), np.ones((2, 5), np.float32),
                               np.ones(4, np.float32), np.ones((0, 4), np.float32), np.ones((2, 4), dtype=int),
                               [[1.0, 2, 3, 4]]])
def test_float_rows_shortcut_leaves_everything_else_to_the_full_conversion(x):
    assert _shortcuts.float_rows(x, (4,)) is None


def test_bad_features_get_the_full_message():
    m = _model()
    with pytest.raises(ValueError, match="contains NaN or infinity"):
        m.predict(np.array([[1.0, np.inf, 0, 0]]), verbose=0)
    with pytest.warns(RuntimeWarning, match="overflow") as warned, \
            pytest.raises(ValueError, match="contains NaN or infinity"):
        m.predict_on_batch(np.array([[1e39, 0, 0, 0]]))  # one warning, as before the shortcut
    assert len(warned) == 1
    with pytest.raises(ValueError, match=r"has shape \(1, 5\), but the model expects \(n, 4\)"):
        m(np.ones((1, 5)))

"""The one-call paths for a few rows (Plan.rows) and for many tiny epochs (Plan.train_epochs) give the
same bits, histories, warnings and errors as the full paths."""
import os
import signal
import threading
import warnings

import numpy as np
import pytest

import cnn
from cnn import layers


def _iris_like(metrics=None, loss="sparse_categorical_crossentropy", out=3, act="softmax"):
    cnn.utils.set_random_seed(7)
    m = cnn.Sequential([cnn.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(9, activation="relu"),
                        layers.Dense(out, activation=act)])
    m.compile(optimizer="adam", loss=loss, metrics=metrics)
    return m


def _data(n=30):
    rng = np.random.default_rng(3)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.integers(0, 3, n)


class _Noop(cnn.callbacks.Callback):
    """Any user callback keeps fit on its epoch-by-epoch loop."""


def _full(model):
    """Forget what the last call checked: the next call takes the full path."""
    model._plans.small.clear()


@pytest.fixture
def taken(monkeypatch):
    """Counts the calls the one-call paths answered (returned something other than None)."""
    from cnn import _epochs, _shortcuts
    counts = {"rows": 0, "epochs": 0}

    def spy(fn, key):
        def run(*args, **kwargs):
            out = fn(*args, **kwargs)
            counts[key] += out is not None
            return out
        return run
    monkeypatch.setattr(_shortcuts, "predict_rows", spy(_shortcuts.predict_rows, "rows"))
    monkeypatch.setattr(_shortcuts, "loss_rows", spy(_shortcuts.loss_rows, "rows"))
    monkeypatch.setattr(_epochs, "run", spy(_epochs.run, "epochs"))
    return counts


@pytest.mark.parametrize("metrics", [None, ["accuracy"]])
def test_repeated_small_calls_match_the_full_path(metrics, taken):
    x, y = _data()
    fast, slow = _iris_like(metrics), _iris_like(metrics)
    for i in range(6):
        rows = slice(i, i + 1 + i % 3)
        _full(slow)
        assert fast.train_on_batch(x[rows], y[rows]) == slow.train_on_batch(x[rows], y[rows])
        assert fast.optimizer.iterations == slow.optimizer.iterations == i + 1
        _full(slow)
        assert fast.evaluate(x[rows], y[rows], verbose=0) == slow.evaluate(x[rows], y[rows], verbose=0)
        _full(slow)
        assert np.array_equal(fast.predict(x[rows], verbose=0), slow.predict(x[rows], verbose=0))
        _full(slow)
        assert np.array_equal(fast.predict_on_batch(x[rows]), slow.predict_on_batch(x[rows]))
    assert all(np.array_equal(a, b) for a, b in zip(fast.get_weights(), slow.get_weights()))
    assert taken["rows"] >= 4 * 3   # every call once the batches stop growing


def test_regression_targets_and_output_shapes():
    cnn.utils.set_random_seed(1)
    m = cnn.Sequential([cnn.Input((2, 3)), layers.Dense(2)])
    m.compile(optimizer="sgd", loss="mse")
    x = np.ones((3, 2, 3), np.float32)
    y = np.zeros((3, 2, 2))
    first = m.train_on_batch(x, y)
    assert m.train_on_batch(x, y) < first                 # float64 targets converted, step applied
    assert m.predict(x, verbose=0).shape == (3, 2, 2)
    assert m.predict(x, verbose=0).shape == (3, 2, 2)     # the second call comes from the memo
    assert m.evaluate(x, y.astype(np.float32), verbose=0) == m.evaluate(x, y, verbose=0)


def test_bad_inputs_after_a_good_call_get_the_full_messages():
    x, y = _data()
    m = _iris_like()
    m.train_on_batch(x[:2], y[:2])
    m.evaluate(x[:2], y[:2], verbose=0)
    m.predict(x[:2], verbose=0)
    with pytest.raises(ValueError, match="holds class id 3, but the model outputs 3 classes"):
        m.train_on_batch(x[:2], np.array([0, 3]))
    with pytest.raises(ValueError, match="holds class id -1"):
        m.evaluate(x[:2], np.array([-1, 0]), verbose=0)
    with pytest.raises(ValueError, match="holds class id 0.5"):
        m.evaluate(x[:2], np.array([0.5, 1.0], np.float32), verbose=0)
    bad = x[:2].copy()
    bad[1, 2] = np.nan
    for call in (lambda: m.predict(bad, verbose=0), lambda: m.predict_on_batch(bad),
                 lambda: m.evaluate(bad, y[:2], verbose=0), lambda: m.train_on_batch(bad, y[:2])):
        with pytest.raises(ValueError, match=r"x contains NaN or infinity \(first at index \(1, 2\)\)"):
            call()
    with pytest.raises(ValueError, match="x has shape"):
        m.predict(np.ones((2, 5), np.float32), verbose=0)
    with pytest.raises(ValueError, match="different numbers of samples"):
        m.train_on_batch(x[:2], y[:3])
    assert m.optimizer.iterations == 1   # no refused call stepped


def test_other_layouts_and_dtypes_give_the_same_outputs():
    x, y = _data()
    m = _iris_like()
    want = m.predict(x[:4], verbose=0)
    assert np.array_equal(m.predict(x[:4], verbose=0), want)
    assert np.array_equal(m.predict(x[:8:2], verbose=0), m.predict(np.ascontiguousarray(x[:8:2]), verbose=0))
    assert np.array_equal(m.predict(x[:4].astype(np.float64), verbose=0), want)
    assert np.array_equal(m.predict(x[:4].tolist(), verbose=0), want)
    assert np.array_equal(m(x[:4]), want)


def test_a_new_learning_rate_or_weights_are_seen():
    x, y = _data()
    fast, slow = _iris_like(), _iris_like()
    fast.train_on_batch(x[:3], y[:3])
    slow.train_on_batch(x[:3], y[:3])
    fast.optimizer.learning_rate = slow.optimizer.learning_rate = 0.5
    _full(slow)
    assert fast.train_on_batch(x[:3], y[:3]) == slow.train_on_batch(x[:3], y[:3])
    assert all(np.array_equal(a, b) for a, b in zip(fast.get_weights(), slow.get_weights()))
    fast.set_weights([np.zeros_like(w) for w in fast.get_weights()])
    assert np.all(fast.predict(x[:2], verbose=0) == np.float32(1 / 3))


def _fit_both(make, x, y, **kw):
    fast, slow = make(), make()
    h_fast = fast.fit(x, y, verbose=0, **kw)
    h_slow = slow.fit(x, y, verbose=0, callbacks=[_Noop()], **kw)
    return fast, slow, h_fast, h_slow


@pytest.mark.parametrize("kw", [dict(epochs=12, batch_size=30), dict(epochs=9, batch_size=8),
                                dict(epochs=7, batch_size=7, shuffle=False),
                                dict(epochs=10, initial_epoch=4, batch_size=30),
                                dict(epochs=5, batch_size=16, sample_weight=np.linspace(0.1, 2, 30))])
@pytest.mark.parametrize("metrics", [None, ["accuracy"]])
def test_many_tiny_epochs_in_one_call_match_the_epoch_loop(kw, metrics, taken):
    x, y = _data()
    fast, slow, h_fast, h_slow = _fit_both(lambda: _iris_like(metrics), x, y, **kw)
    assert taken["epochs"] == 1
    assert h_fast.history == h_slow.history and h_fast.epoch == h_slow.epoch
    assert h_fast.stop_reason == h_slow.stop_reason == "completed"
    assert fast.optimizer.iterations == slow.optimizer.iterations
    assert all(np.array_equal(a, b) for a, b in zip(fast.get_weights(), slow.get_weights()))
    assert fast.history is h_fast


def test_epochs_in_chunks_match_the_epoch_loop(monkeypatch):
    from cnn import _epochs
    monkeypatch.setattr(_epochs, "CALL_FLOPS", 1.0)   # one epoch per call
    x, y = _data()
    fast, slow, h_fast, h_slow = _fit_both(_iris_like, x, y, epochs=4, batch_size=10)
    assert h_fast.history == h_slow.history
    assert all(np.array_equal(a, b) for a, b in zip(fast.get_weights(), slow.get_weights()))


def test_a_diverging_fit_warns_once_as_the_epoch_loop_does():
    x, y = _data()

    def make():
        m = _iris_like(loss="mse", out=1, act=None)
        m.optimizer.learning_rate = 1e30
        return m

    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        fast, slow, h_fast, h_slow = _fit_both(make, x, y * 1e30, epochs=6, batch_size=30)
    nan = [w for w in got if "NaN or infinite" in str(w.message)]
    assert len(nan) == 2 and str(nan[0].message) == str(nan[1].message)
    assert np.array_equal(h_fast.history["loss"], h_slow.history["loss"], equal_nan=True)


def test_train_epochs_refuses_what_does_not_fit():
    x, y = _data()
    m = _iris_like()
    m.fit(x, y, epochs=1, verbose=0)
    plan = m._get_plan(30)
    xa, ya = x, y.astype(np.float32).reshape(-1, 1)
    sched = m._step_schedule()
    with pytest.raises(ValueError, match="do not fit 30 samples"):
        plan.train_epochs(xa, ya, None, 30, 2, True, 0, 0, 3, 0, sched, None, 0.05, [])
    with pytest.raises(TypeError):
        plan.train_epochs(xa, ya, None, 30, 1, True, 0, 0, 3, 0, sched, None, 0.05, ())
    out = []
    assert plan.train_epochs(xa, ya, None, 30, 1, False, 0, 0, 3, 0, sched, None, 0.05, out) == (3, 1)
    assert len(out) == 3 and all(len(s) == 2 and s[1] == 30 for s in out)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.uint64, np.float32, np.float64])
def test_label_dtypes_the_core_converts_match_the_full_path(dtype, taken):
    x, y = _data()
    fast, slow = _iris_like(["accuracy"]), _iris_like(["accuracy"])
    labels = y[:5].astype(dtype)
    got = [(fast.train_on_batch(x[:5], labels), fast.evaluate(x[:5], labels, verbose=0)) for _ in range(3)]
    assert taken["rows"] == 5   # all but the first call
    want = []
    for _ in range(3):
        _full(slow)
        step = slow.train_on_batch(x[:5], labels)
        _full(slow)
        want.append((step, slow.evaluate(x[:5], labels, verbose=0)))
    assert got == want
    with pytest.raises(ValueError, match="holds class id 0.5"):
        fast.evaluate(x[:2], np.array([0.5, 1.0], dtype=dtype), verbose=0) if dtype in (np.float32, np.float64) \
            else fast.evaluate(x[:2], np.array([0, 1]) + 0.5, verbose=0)
    with pytest.raises(ValueError, match="holds class id"):
        fast.train_on_batch(x[:2], np.array([0, 100], dtype=dtype))


@pytest.mark.filterwarnings("ignore:overflow encountered in cast")   # NumPy's, on the full path
def test_regression_targets_out_of_float32_range_get_the_full_message():
    m = _iris_like(loss="mse", out=2, act=None)
    x = np.ones((2, 4), np.float32)
    m.train_on_batch(x, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="y contains NaN or infinity"):
        m.train_on_batch(x, np.array([[0.0, 1e300], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="y contains NaN or infinity"):
        m.evaluate(x, np.array([[0.0, np.nan], [0.0, 0.0]], np.float32), verbose=0)
    assert m.optimizer.iterations == 1


def test_stop_training_from_another_thread_ends_a_tiny_epoch_fit(taken):
    x, y = _data()
    m = _iris_like()
    timer = threading.Timer(0.3, lambda: setattr(m, "stop_training", True))
    timer.start()
    h = m.fit(x, y, epochs=10**7, batch_size=30, verbose=0)
    timer.join()
    assert taken["epochs"] == 1 and h.stop_reason == "stop_training"
    assert 0 < len(h.history["loss"]) == len(h.epoch) < 10**7
    assert h.epoch == list(range(len(h.epoch)))
    assert m.optimizer.iterations == len(h.epoch)   # one step per epoch: every epoch begun has ended


def test_ctrl_c_keeps_the_finished_tiny_epochs():
    x, y = _data()
    m = _iris_like()
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        m.fit(x, y, epochs=10**7, batch_size=30, verbose=0)
    timer.join()
    h = m.history
    assert 0 < len(h.epoch) == len(h.history["loss"]) <= m.optimizer.iterations
    assert np.isfinite(m.predict(x, verbose=0)).all()

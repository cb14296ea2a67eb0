"""fit(time_limit=, max_steps=): stops at the end of a step, keeps the history, says why in stop_reason."""
import time

import numpy as np
import pytest

import cnn
from cnn import callbacks, layers


def model_and_data(rows=100, width=8):
    cnn.utils.set_random_seed(5)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0])).astype(np.float32)
    model = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(width, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model, x, y


class EveryBatch(callbacks.Callback):
    """Asks for every batch hook, so fit runs one step per call into the core."""

    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def test_max_steps_stops_mid_epoch_and_keeps_that_epoch():
    model, x, y = model_and_data()
    history = model.fit(x, y, batch_size=10, epochs=5, max_steps=23, verbose=0)
    assert model.optimizer.iterations == 23
    assert len(history.history["loss"]) == 3 and history.epoch == [0, 1, 2]
    assert history.stop_reason == "max_steps"
    assert model.history is history


def test_max_steps_gives_the_same_weights_one_step_at_a_time():
    model, x, y = model_and_data()
    model.fit(x, y, batch_size=10, epochs=5, max_steps=23, verbose=0)
    other, _, _ = model_and_data()
    hooks = EveryBatch()
    h = other.fit(x, y, batch_size=10, epochs=5, max_steps=23, verbose=0, callbacks=[hooks])
    assert hooks.batches == 23 and h.stop_reason == "max_steps"
    for a, b in zip(model.get_weights(), other.get_weights()):
        assert np.array_equal(a, b)


def test_a_budget_that_is_not_reached_completes():
    model, x, y = model_and_data()
    assert model.fit(x, y, batch_size=10, epochs=2, max_steps=20, verbose=0).stop_reason == "completed"
    assert model.fit(x, y, batch_size=10, epochs=2, verbose=0).stop_reason == "completed"
    assert model.fit(x, y, batch_size=10, epochs=2, time_limit=600, verbose=0).stop_reason == "completed"


def test_time_limit_stops_a_long_fit():
    model, x, y = model_and_data(rows=2000, width=256)
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=8, epochs=100000, time_limit=0.3, verbose=0,
                        validation_data=(x[:50], y[:50]))
    took = time.perf_counter() - start
    assert history.stop_reason == "time_limit"
    assert 0.3 <= took < 2.0, took
    assert model.optimizer.iterations > 0
    n = len(history.history["loss"])
    assert n >= 1 and len(history.history["val_loss"]) == n and np.all(np.isfinite(history.history["loss"]))


def test_time_limit_is_checked_between_steps_with_batch_hooks():
    model, x, y = model_and_data(rows=2000, width=64)
    history = model.fit(x, y, batch_size=8, epochs=100000, time_limit=0.2, verbose=0, callbacks=[EveryBatch()])
    assert history.stop_reason == "time_limit"


def test_a_callback_that_stops_training_is_named():
    model, x, y = model_and_data()
    stop = callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=1e9)
    history = model.fit(x, y, batch_size=10, epochs=50, verbose=0, callbacks=[stop])
    assert history.stop_reason == "stop_training" and len(history.epoch) < 50


def test_generators_obey_max_steps():
    model, x, y = model_and_data()

    def batches():
        while True:
            for i in range(0, 100, 10):
                yield x[i:i + 10], y[i:i + 10]

    history = model.fit(batches(), steps_per_epoch=10, epochs=5, max_steps=13, verbose=0)
    assert model.optimizer.iterations == 13 and history.stop_reason == "max_steps"
    assert len(history.history["loss"]) == 2


@pytest.mark.parametrize("kwargs,match", [
    ({"time_limit": 0}, r"time_limit must be a number of seconds > 0, got 0"),
    ({"time_limit": "1"}, r"time_limit .* got '1'"),
    ({"time_limit": float("nan")}, r"time_limit .* got nan"),
    ({"max_steps": 0}, r"max_steps must be an integer >= 1, got 0"),
    ({"max_steps": 2.5}, r"max_steps .* got 2.5"),
    ({"max_steps": True}, r"max_steps .* got True"),
])
def test_bad_budgets_are_refused(kwargs, match):
    model, x, y = model_and_data()
    with pytest.raises(ValueError, match=match):
        model.fit(x, y, epochs=1, verbose=0, **kwargs)
    assert model.optimizer.iterations == 0

"""Subnormal floats never slow training: the core flushes them while it computes (FTZ + DAZ) and
gives the caller back its own floating-point mode."""
import time

import numpy as np
import pytest

import cnn
from cnn import callbacks, layers

TINY = np.finfo(np.float32).tiny  # the smallest normal float32


def _sparse_pixels_model(seed=0):
    """An MLP on images whose pixels are mostly zero: Adam's moments of the weights behind a rare
    pixel get a kick and then decay by beta_1 / beta_2 every step, through the subnormal range."""
    cnn.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.random((3200, 784), dtype=np.float32)
    x[:, 100:] *= rng.random((3200, 684)) < 0.001
    y = rng.integers(0, 10, 3200)
    model = cnn.Sequential([cnn.Input((784,)), layers.Dense(256, activation="relu"), layers.Dense(10)])
    model.compile(optimizer="adam", loss=cnn.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model, x, y


def _is_subnormal(a):
    return (a != 0) & (np.abs(a) < TINY)


def test_training_leaves_no_subnormal_state():
    model, x, y = _sparse_pixels_model()
    model.fit(x, y, batch_size=32, epochs=8, shuffle=False, verbose=0)  # the moments decay from ~step 600
    assert np.isfinite(model._params).all()
    assert not _is_subnormal(model._slots).any()
    assert not _is_subnormal(model._params).any()


def test_adam_epochs_after_the_moments_decay_are_no_slower():
    """Small batches, so Adam's update is a large part of each step. Every moment is then set to a
    subnormal value, as after a long decay; the next epochs must cost what the earlier ones did.
    Timed in this thread's CPU time (one core), so other processes on the machine matter less."""
    model, x, y = _sparse_pixels_model()
    x, y = x[:800], y[:800]

    def epoch_seconds():
        start = time.thread_time()
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        return time.thread_time() - start

    cnn.utils.set_num_threads(1)
    try:
        epoch_seconds()
        normal = np.median([epoch_seconds() for _ in range(3)])
        decayed = []
        for _ in range(3):
            moments = model._slots
            moments[moments != 0] = np.copysign(np.float32(2e-39), moments[moments != 0])
            decayed.append(epoch_seconds())
    finally:
        cnn.utils.set_num_threads(0)
    # without flushing: 1.6-1.8x on AMD Zen 5, several times on Intel
    assert np.median(decayed) < 1.25 * normal, (normal, decayed)


def _subnormal_survives():
    return float(np.float32(3e-39) * np.float32(1.0)) != 0.0


@pytest.mark.parametrize("threads", [1, 2])
def test_the_callers_floating_point_mode_is_untouched(threads):
    assert _subnormal_survives()
    seen = []
    probe = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(_subnormal_survives()))
    model, x, y = _sparse_pixels_model()
    cnn.utils.set_num_threads(threads)
    try:
        model.fit(x[:256], y[:256], batch_size=64, epochs=1, verbose=0, callbacks=[probe])
        model.fit(x[:256], y[:256], batch_size=64, epochs=1, verbose=0)
        model.evaluate(x[:256], y[:256], verbose=0)
        model.predict(x[:256], verbose=0)
    finally:
        cnn.utils.set_num_threads(0)
    assert seen and all(seen)          # callbacks run in the caller's mode
    assert _subnormal_survives()       # and the mode is back after every call

"""One model shared between threads: concurrent calls give the sequential results bit for bit."""
import os
import signal
import threading

import numpy as np
import pytest

import cnn
from cnn import layers


def _model(seed=3):
    cnn.utils.set_random_seed(seed)
    m = cnn.Sequential([cnn.Input((12,)), layers.Dense(64, activation="relu"),
                        layers.Dense(32, activation="tanh"), layers.Dense(4, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def _data(seed, n=600):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 12)).astype(np.float32), rng.integers(0, 4, n)


def _run_threads(targets):
    errors = []

    def guard(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - reported to the main thread
                errors.append(e)
        return run

    threads = [threading.Thread(target=guard(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_four_predicting_two_evaluating_match_sequential():
    m = _model()
    inputs = [_data(seed) for seed in range(6)]
    # each thread has its own data and batch size, so shared buffers would mix rows from two callers
    expected_pred = [m.predict(x, batch_size=16 + 8 * i, verbose=0) for i, (x, _) in enumerate(inputs[:4])]
    expected_eval = [m.evaluate(x, y, batch_size=24 + 8 * i, verbose=0) for i, (x, y) in enumerate(inputs[4:])]
    mismatches = []

    def predictor(i):
        def run():
            x = inputs[i][0]
            for _ in range(100):
                if not np.array_equal(m.predict(x, batch_size=16 + 8 * i, verbose=0), expected_pred[i]):
                    mismatches.append(("predict", i))
        return run

    def evaluator(i):
        def run():
            x, y = inputs[4 + i]
            for _ in range(100):
                if m.evaluate(x, y, batch_size=24 + 8 * i, verbose=0) != expected_eval[i]:
                    mismatches.append(("evaluate", i))
        return run

    _run_threads([predictor(i) for i in range(4)] + [evaluator(i) for i in range(2)])
    assert mismatches == []


def test_batch_methods_and_call_from_threads_match_sequential():
    m = _model()
    inputs = [_data(seed, n=200 + 50 * seed) for seed in range(4)]
    expected = [(m(x), m.predict_on_batch(x), m.test_on_batch(x, y)) for x, y in inputs]
    mismatches = []

    def worker(i):
        def run():
            x, y = inputs[i]
            for _ in range(100):
                got = (m(x), m.predict_on_batch(x), m.test_on_batch(x, y))
                same = np.array_equal(got[0], expected[i][0]) and np.array_equal(got[1], expected[i][1])
                if not same or got[2] != expected[i][2]:
                    mismatches.append(i)
        return run

    _run_threads([worker(i) for i in range(4)])
    assert mismatches == []


def _fit_beside(model, x, y, readers):
    """Runs fit on `model` in one thread while each reader() runs in a loop in its own thread; the
    fit starts once every reader has finished one call, and the readers stop when it ends."""
    done, started = threading.Event(), threading.Barrier(len(readers) + 1)

    def loop(reader):
        def run():
            reader()
            started.wait()
            while not done.is_set():
                reader()
        return run

    def trainer():
        started.wait()
        try:
            model.fit(x, y, batch_size=16, epochs=8, verbose=0, shuffle=False)
        finally:
            done.set()

    _run_threads([trainer] + [loop(r) for r in readers])


def test_fit_while_other_threads_predict_and_evaluate():
    x, y = _data(10, n=512)
    xp, yp = _data(11, n=300)
    alone = _model()
    alone.fit(x, y, batch_size=16, epochs=8, verbose=0, shuffle=False)

    m = _model()
    seen = []

    def predictor():
        out = m.predict(xp, verbose=0)
        seen.append(bool(np.all(np.isfinite(out))) and np.allclose(out.sum(axis=1), 1, atol=1e-5))

    def evaluator():
        loss, acc = m.evaluate(xp, yp, batch_size=16, verbose=0)  # the plan fit runs
        seen.append(bool(np.isfinite(loss)) and 0 <= acc <= 1)

    _fit_beside(m, x, y, [predictor, evaluator])
    assert len(seen) >= 2 and all(seen)  # how many reads fall inside the fit is up to the scheduler
    # the readers disturbed nothing: the weights are those of the same fit run alone
    for a, b in zip(m.get_weights(), alone.get_weights()):
        assert np.array_equal(a, b)


def test_reads_during_fit_match_sequential_reads():
    x, y = _data(10, n=512)
    xp, yp = _data(11, n=300)
    m = _model()  # weights that fit leaves unchanged, so every read has one right answer
    m.compile(optimizer=cnn.optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    want_pred, want_eval = m.predict(xp, verbose=0), m.evaluate(xp, yp, batch_size=16, verbose=0)
    results = []

    def reader():
        results.append(np.array_equal(m.predict(xp, verbose=0), want_pred))
        results.append(m.evaluate(xp, yp, batch_size=16, verbose=0) == want_eval)

    _fit_beside(m, x, y, [reader])
    assert len(results) >= 2 and all(results)


def test_callback_may_predict_and_evaluate_on_the_model_it_trains():
    x, y = _data(20, n=128)
    m = _model()
    results = []

    class Probe(cnn.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch % 4 == 0:
                results.append(self.model.predict(x[:8], verbose=0).shape)

        def on_epoch_end(self, epoch, logs=None):
            results.append(self.model.evaluate(x, y, verbose=0)[0])

    m.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[Probe()])  # must not deadlock
    assert results.count((8, 4)) == 4 and len(results) == 6


def test_weights_read_during_fit_are_whole_snapshots():
    x, y = _data(12, n=512)
    m = _model()
    boundaries = [[w.copy() for w in m.get_weights()]]  # the weights between calls into the core

    class Record(cnn.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            boundaries.append(self.model.get_weights())

    snapshots = []
    done = threading.Event()

    def reader():
        while not done.is_set():
            snapshots.append(m.get_weights())

    def trainer():
        try:
            m.fit(x, y, batch_size=8, epochs=6, verbose=0, shuffle=False, callbacks=[Record()])
        finally:
            done.set()

    _run_threads([trainer, reader])
    for snap in snapshots:
        assert any(all(np.array_equal(a, b) for a, b in zip(snap, seen)) for seen in boundaries)


def test_callbacks_run_under_the_lock_may_call_the_model_again():
    # evaluate and predict hold the model's lock while their callbacks run: it must be re-entrant
    x, y = _data(21, n=96)
    m = _model()
    got = []

    class Nested(cnn.callbacks.Callback):
        def on_test_end(self, logs=None):
            got.append(self.model.predict(x[:4], verbose=0).shape)

        def on_predict_end(self, logs=None):
            got.append(self.model.test_on_batch(x, y)[1] <= 1)

    worker = threading.Thread(target=lambda: (m.evaluate(x, y, verbose=0, callbacks=[Nested()]),
                                              m.predict(x, verbose=0, callbacks=[Nested()])), daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "deadlock: a callback could not call its own model"
    assert got == [(4, 4), True]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_while_another_thread_holds_the_model():
    m = _model()
    x = _data(30, n=8)[0]
    want = m.predict(x, verbose=0)
    holding, release = threading.Event(), threading.Event()

    def holder():  # stands for a thread inside predict when the fork happens
        with m._plans.lock:
            holding.set()
            release.wait(30)

    t = threading.Thread(target=holder)
    t.start()
    holding.wait(30)
    pid = os.fork()
    if pid == 0:  # the child: the holder thread does not exist here
        ok = False
        try:
            signal.alarm(20)  # a deadlock ends the child instead of hanging the test
            ok = np.array_equal(m.predict(x, verbose=0), want)
        finally:
            os._exit(0 if ok else 1)
    release.set()
    t.join()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0

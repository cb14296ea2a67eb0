"""Callback, CallbackList, History and ProgbarLogger with fake models (Keras 3 semantics)."""

import contextlib
import io

import numpy as np
import pytest

import cnn.progbar as progbar_mod
from cnn.callbacks import Callback, CallbackList, History, ProgbarLogger, pythonify_logs

B, R, G, W, C = "\x1b[1m", "\x1b[0m", "\x1b[32m", "\x1b[37m", "\u2501"


def plain(text):
    """What a file or a pipe gets: the same line without ANSI styles."""
    return progbar_mod._ANSI.sub("", text)


class FakeModel:
    stop_training = False


class Tty(io.StringIO):
    def isatty(self):
        return True


class Pipe(io.StringIO):
    def isatty(self):
        return False


class Clock:
    t = 100.0

    def __call__(self):
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(progbar_mod, "_time", c)
    return c


class Recorder(Callback):
    """Records every hook call into a shared list as (tag, hook, arg, logs)."""

    def __init__(self, tag, events):
        super().__init__()
        self.tag, self.events = tag, events

    def _rec(self, hook, arg, logs):
        self.events.append((self.tag, hook, arg, logs))


HOOKS_WITH_INDEX = ["on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
                    "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
                    "on_predict_batch_end"]
HOOKS_LOGS_ONLY = ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                   "on_predict_begin", "on_predict_end"]
for _name in HOOKS_WITH_INDEX:
    setattr(Recorder, _name, (lambda n: lambda self, i, logs=None: self._rec(n, i, logs))(_name))
for _name in HOOKS_LOGS_ONLY:
    setattr(Recorder, _name, (lambda n: lambda self, logs=None: self._rec(n, None, logs))(_name))


def simulate_fit(cbs, epochs, steps, val=True, model=None):
    """The hook sequence of Keras 3 fit (as keras/src/backend/torch/trainer.py's fit calls them)."""
    cbs.on_train_begin()
    logs = None
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        for step in range(steps):
            cbs.on_train_batch_begin(step)
            cbs.on_train_batch_end(step, {"loss": np.float32(1.0 / (step + 1)), "accuracy": 0.5})
        logs = {"loss": np.float32(0.25 + epoch), "accuracy": np.float64(0.75)}
        if val:
            cbs.on_test_begin()
            cbs.on_test_batch_begin(0)
            cbs.on_test_batch_end(0, {"loss": 0.3, "accuracy": 0.8})
            cbs.on_test_end({"loss": 0.3, "accuracy": 0.8})
            logs.update(val_loss=np.float32(0.3), val_accuracy=0.8)
        cbs.on_epoch_end(epoch, logs)
    cbs.on_train_end(logs)


def test_hook_order_and_callback_order():
    events = []
    a, b = Recorder("a", events), Recorder("b", events)
    cbs = CallbackList([a, b], add_history=True, add_progbar=False, model=FakeModel(),
                       verbose=0, epochs=2, steps=2)
    simulate_fit(cbs, epochs=2, steps=2)
    hooks = [(tag, hook, arg) for tag, hook, arg, _ in events]
    per_epoch = []
    for e in range(2):
        seq = [("on_epoch_begin", e)]
        for s in range(2):
            seq += [("on_train_batch_begin", s), ("on_train_batch_end", s)]
        seq += [("on_test_begin", None), ("on_test_batch_begin", 0), ("on_test_batch_end", 0),
                ("on_test_end", None), ("on_epoch_end", e)]
        per_epoch += seq
    expected_order = [("on_train_begin", None)] + per_epoch + [("on_train_end", None)]
    expected = [(tag, h, x) for h, x in expected_order for tag in ("a", "b")]
    assert hooks == expected
    assert isinstance(cbs.callbacks[-1], History) and cbs.callbacks[:2] == [a, b]


def test_same_logs_object_and_sorted_floats_in_epoch_end():
    seen = []

    class AddsKey(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(logs)
            logs["learning_rate"] = np.float32(0.01)  # as ReduceLROnPlateau does

    class Sees(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(logs)

    model = FakeModel()
    out = Pipe()
    progbar = ProgbarLogger(stream=out)
    cbs = CallbackList([AddsKey(), Sees(), progbar], add_history=True, model=model,
                       verbose=1, epochs=1, steps=1)
    # a user-given logger keeps its place and is not duplicated; History is appended after it
    assert [type(c) for c in cbs.callbacks[2:]] == [ProgbarLogger, History]
    assert cbs.callbacks[2] is progbar
    original = {"val_loss": np.float32(0.5), "loss": np.float32(0.25), "accuracy": 1}
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_epoch_end(0, original)
    assert seen[0] is seen[1]
    assert list(seen[1]) == ["accuracy", "loss", "val_loss", "learning_rate"]
    assert all(type(v) is float for k, v in seen[1].items() if k != "learning_rate")
    assert list(original) == ["val_loss", "loss", "accuracy"]  # caller's dict untouched
    h = model.history
    assert h.history == {"accuracy": [1.0], "loss": [0.25], "val_loss": [0.5],
                         "learning_rate": [float(np.float32(0.01))]}
    assert all(type(v[0]) is float for v in h.history.values())
    assert out.getvalue().endswith(" - accuracy: 1.0000 - loss: 0.2500 - val_loss: 0.5000"
                                   " - learning_rate: 0.0100\n")


def test_pythonify_logs():
    logs = {"b": np.float32(0.5), "a": np.array(2.0), "n": {"z": 1, "c": np.int64(3)},
            "outputs": np.zeros((2, 3)), "s": "text"}
    out = pythonify_logs(logs)
    assert list(out) == ["a", "b", "c", "z", "outputs", "s"]  # sorted; nested dict flattened
    assert out["a"] == 2.0 and type(out["a"]) is float and type(out["b"]) is float
    assert out["c"] == 3.0 and out["z"] == 1.0 and out["s"] == "text"
    assert out["outputs"] is logs["outputs"]
    assert pythonify_logs(None) == {}


def test_history_attributes():
    model = FakeModel()
    cbs = CallbackList(None, add_history=True, add_progbar=False, model=model,
                       verbose="auto", epochs=3, steps=4)
    simulate_fit(cbs, epochs=3, steps=4)
    h = model.history
    assert isinstance(h, History) and h.model is model
    assert h.epoch == [0, 1, 2]
    assert h.params == {"verbose": "auto", "epochs": 3, "steps": 4}
    assert list(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert h.history["loss"] == [0.25, 1.25, 2.25]
    assert all(type(x) is float for v in h.history.values() for x in v)
    # Keras 3: on_train_begin resets `epoch` only; fit makes a new History each call.
    h.on_train_begin()
    assert h.epoch == [] and len(h.history["loss"]) == 3


def test_user_history_kept():
    mine = History()
    model = FakeModel()
    cbs = CallbackList([mine], add_history=True, add_progbar=True, model=model, verbose=0,
                       epochs=1, steps=1)
    assert [type(c) for c in cbs.callbacks] == [History, ProgbarLogger]
    assert model.history is mine


def test_batch_aliases():
    calls = []

    class OldStyle(Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", batch, logs))

    cbs = CallbackList([OldStyle()])
    cbs.on_train_batch_begin(3)
    cbs.on_train_batch_end(3, {"loss": np.float32(0.5)})
    cbs.on_batch_end(4, {"loss": 1})
    assert calls == [("begin", 3), ("end", 3, {"loss": 0.5}), ("end", 4, {"loss": 1.0})]


def test_needs_batch_hooks():
    class EpochOnly(Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    class TrainBatch(Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass

    class OldBatch(Callback):
        def on_batch_begin(self, batch, logs=None):
            pass

    class TestBatch(Callback):
        def on_test_batch_end(self, batch, logs=None):
            pass

    class MyBar(ProgbarLogger):
        def on_train_batch_end(self, batch, logs=None):
            super().on_train_batch_end(batch, logs)

    assert not CallbackList().needs_batch_hooks()
    assert not CallbackList(add_history=True, add_progbar=True).needs_batch_hooks()
    assert not CallbackList([EpochOnly()], add_history=True, add_progbar=True).needs_batch_hooks()
    assert CallbackList([TrainBatch()], add_progbar=True).needs_batch_hooks()
    assert CallbackList([OldBatch()]).needs_batch_hooks()
    assert CallbackList([MyBar()]).needs_batch_hooks()
    tb = CallbackList([TestBatch()])
    assert tb.needs_batch_hooks() and tb.needs_batch_hooks("test")
    assert not tb.needs_batch_hooks("train") and not tb.needs_batch_hooks("predict")
    lam = Callback()
    lam.on_predict_batch_end = lambda batch, logs=None: None  # how LambdaCallback sets hooks
    assert CallbackList([lam]).needs_batch_hooks("predict")


def test_progbar_logger_fit_in_a_log_file(clock):
    # Not a terminal: exactly one line per epoch, no backspaces or carriage returns.
    sink = Pipe()
    with contextlib.redirect_stdout(sink):
        cbs = CallbackList([], add_history=True, add_progbar=True, model=FakeModel(),
                           verbose=1, epochs=2, steps=3)
        clock.t = 100.0
        simulate_fit(cbs, epochs=2, steps=3)
    line = (f"{B}3/3{R} " + f"{G}{C * 20}{R}{W}{R}" + f" {B}0s{R} 0s/step"
            " - accuracy: 0.7500 - loss: {} - val_accuracy: 0.8000 - val_loss: 0.3000\n")
    assert sink.getvalue() == plain("Epoch 1/2\n" + line.format("0.2500")
                                     + "Epoch 2/2\n" + line.format("1.2500"))


def test_progbar_logger_sparse_updates_on_terminal(clock):
    # The loop reports only now and then (~50 ms) and at the last step; the bar follows.
    out = Tty()
    cbs = CallbackList([ProgbarLogger(stream=out)], verbose=1, epochs=1, steps=100)
    clock.t = 100.0
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    clock.t = 100.06
    cbs.on_train_batch_end(36, {"loss": 0.5})
    clock.t = 100.2
    cbs.on_train_batch_end(99, {"loss": 0.25})
    cbs.on_epoch_end(0, {"loss": 0.25})
    cbs.on_train_end({"loss": 0.25})
    text = out.getvalue()
    assert "Epoch" not in text  # a single epoch has no "Epoch 1/1" line
    first = f"\r{B} 37/100{R} {G}{C * 7}{R}{W}{C * 13}{R} {B}0s{R} 2ms/step - loss: 0.5000"
    assert text.startswith(first)
    frames = text.split("\r")
    assert len(frames) == 4  # 37/100, 100/100, final
    assert frames[2].startswith(f"{B}100/100{R} {G}{C * 20}{R}")
    assert frames[3] == f"{B}100/100{R} {G}{C * 20}{R}{W}{R} {B}0s{R} 2ms/step - loss: 0.2500\n"


def test_progbar_logger_verbose_2(clock):
    out = Tty()
    cbs = CallbackList([ProgbarLogger(stream=out)], verbose=2, epochs=2, steps=3)
    clock.t = 100.0
    simulate_fit(cbs, epochs=2, steps=3)
    assert out.getvalue() == (
        "Epoch 1/2\n3/3 - 0s - 0s/step - accuracy: 0.7500 - loss: 0.2500 - val_accuracy: 0.8000"
        " - val_loss: 0.3000\n"
        "Epoch 2/2\n3/3 - 0s - 0s/step - accuracy: 0.7500 - loss: 1.2500 - val_accuracy: 0.8000"
        " - val_loss: 0.3000\n")


def test_progbar_logger_evaluate_and_predict(clock):
    out = Pipe()
    bar = ProgbarLogger(stream=out)
    cbs = CallbackList([bar], verbose=1, epochs=1, steps=2)
    cbs.on_test_begin()
    cbs.on_test_batch_end(0, {"loss": 0.5, "accuracy": 1.0})
    cbs.on_test_batch_end(1, {"loss": 0.4, "accuracy": 0.9})
    cbs.on_test_end({"loss": 0.4, "accuracy": 0.9})
    assert out.getvalue() == plain(f"{B}2/2{R} {G}{C * 20}{R}{W}{R} {B}0s{R} 0s/step"
                                   " - accuracy: 0.9000 - loss: 0.4000\n")
    out.truncate(0), out.seek(0)
    cbs.on_predict_begin()
    cbs.on_predict_batch_end(0, {"outputs": np.zeros((4, 2))})
    cbs.on_predict_batch_end(1, {"outputs": np.zeros((4, 2))})
    cbs.on_predict_end()
    assert out.getvalue() == plain(f"{B}2/2{R} {G}{C * 20}{R}{W}{R} {B}0s{R} 0s/step\n")


def test_progbar_logger_unknown_steps(clock):
    out = Pipe()
    cbs = CallbackList([ProgbarLogger(stream=out)], verbose=1, epochs=1, steps=None)
    cbs.on_predict_begin()
    for i in range(3):
        cbs.on_predict_batch_end(i, {"outputs": np.zeros(1)})
    cbs.on_predict_end()
    assert out.getvalue() == plain(f"{B}3/3{R} {G}{C * 20}{R}{W}{R} {B}0s{R} 0s/step\n")


def test_validation_inside_fit_is_silent_and_evaluate_after_fit_is_not(clock):
    out = Pipe()
    bar = ProgbarLogger(stream=out)
    cbs = CallbackList([bar], verbose=1, epochs=1, steps=2)
    simulate_fit(cbs, epochs=1, steps=2, val=True)
    assert out.getvalue().count("\n") == 1  # the epoch line only, no validation bar
    out.truncate(0), out.seek(0)
    cbs.on_test_begin()
    cbs.on_test_end({"loss": 0.5})
    assert out.getvalue().endswith(" - loss: 0.5000\n")


def test_verbose_0_logger_and_auto(clock):
    out = Tty()
    cbs = CallbackList([ProgbarLogger(stream=out)], verbose=0, epochs=2, steps=2)
    simulate_fit(cbs, epochs=2, steps=2)
    assert out.getvalue() == ""
    bar = ProgbarLogger()
    bar.set_params({"verbose": "auto", "epochs": 3, "steps": 7})
    assert (bar.verbose, bar.epochs, bar.target) == (1, 3, 7)


def test_set_params_and_model_reach_every_callback():
    a, b = Callback(), Callback()
    model = FakeModel()
    cbs = CallbackList([[a], b], model=model, verbose=1, epochs=2, steps=5)
    assert cbs.callbacks == [a, b]
    for c in (a, b):
        assert c.model is model and c.params == {"verbose": 1, "epochs": 2, "steps": 5}
    plain = CallbackList([Callback()])
    assert plain.callbacks[0].params is None and plain.callbacks[0].model is None

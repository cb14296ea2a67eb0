"""Callbacks with the Keras 3 API (keras/src/callbacks/): Callback, CallbackList, History,
ProgbarLogger, and (in the section at the end) EarlyStopping, LearningRateScheduler,
ReduceLROnPlateau, ModelCheckpoint, CSVLogger, LambdaCallback, TerminateOnNaN, BackupAndRestore,
and no-op TensorBoard / RemoteMonitor.

How the training loop uses them (contract with models.py):
- `CallbackList(user_callbacks, add_history=True, add_progbar=verbose != 0, model=model,
  verbose=verbose, epochs=epochs, steps=steps)` appends History, then ProgbarLogger, after the
  user's callbacks, so both see keys that user callbacks write into the epoch logs.
- Every hook turns its logs into a new dict with sorted keys and Python-float values (Keras 3's
  `pythonify_logs`) and passes that SAME dict to each callback in order. So the bar and History
  show keys alphabetically (accuracy, loss, val_accuracy, val_loss) whatever order the model
  used, and a key a callback adds in on_epoch_end is seen by those after it.
- The C core runs whole epochs. Unless `needs_batch_hooks()` is true, the loop calls
  `on_train_batch_end(step, logs)` only every ~50 ms and at the last step of each epoch; the
  ProgbarLogger draws correctly from such sparse updates.
"""

import csv
import json
import os
import shutil
import sys
import warnings

import numpy as np

from .progbar import Progbar

_BATCH_HOOKS = {
    "train": ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end"),
    "test": ("on_test_batch_begin", "on_test_batch_end"),
    "predict": ("on_predict_batch_begin", "on_predict_batch_end"),
}


def _default(method):
    """Marks a base-class hook that does nothing, so overrides can be detected."""
    method._is_default = True
    return method


def _sparse_ok(method):
    """Marks a batch hook that works when called only now and then (the progress bar)."""
    method._sparse_ok = True
    return method


def _to_float(value):
    if isinstance(value, (float, int, np.number, np.bool_)):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return float(value)
    return value  # arrays (e.g. predict outputs), strings, ... stay as they are


def pythonify_logs(logs):
    """A new dict: keys sorted, nested dicts flattened, scalar values as Python floats."""
    result = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
        else:
            result[key] = _to_float(value)
    return result


class Callback:
    """Base class of the callbacks: subclass it and override the hooks you need.

    `fit`, `evaluate` and `predict` call the hooks in Keras's order: `on_train_begin`,
    `on_epoch_begin(epoch)`, `on_train_batch_begin(batch)` / `on_train_batch_end(batch, logs)`,
    `on_epoch_end(epoch, logs)` (with the `val_*` values), `on_train_end`; and the `on_test_*` and
    `on_predict_*` hooks. Epochs and batches count from 0. `self.model` and `self.params` (`epochs`,
    `steps`, `verbose`) are set before the first hook. The whole epoch runs in the C core, so batch
    hooks cost a return to Python: `fit` calls them only when a callback overrides them. Setting
    `self.model.stop_training = True` stops training as in Keras.

    Example:

    >>> class PrintLoss(cnn.callbacks.Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch}: loss {logs['loss']:.4f}")
    >>> history = model.fit(x, y, epochs=3, verbose=0, callbacks=[PrintLoss()])
    epoch 0: loss ...
    epoch 1: loss ...
    epoch 2: loss ...
    """

    def __init__(self):
        self.params = None
        self._model = None

    @property
    def model(self):
        return self._model

    @model.setter
    def model(self, model):
        self._model = model

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @_default
    def on_batch_begin(self, batch, logs=None):
        """Keras 2 name of on_train_batch_begin (which calls it)."""

    @_default
    def on_batch_end(self, batch, logs=None):
        """Keras 2 name of on_train_batch_end (which calls it)."""

    @_default
    def on_epoch_begin(self, epoch, logs=None):
        """Start of an epoch (0-based); logs is {}."""

    @_default
    def on_epoch_end(self, epoch, logs=None):
        """End of an epoch; logs holds the epoch's metrics and val_* ones."""

    @_default
    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    @_default
    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    @_default
    def on_test_batch_begin(self, batch, logs=None):
        """Start of an evaluation batch (also during fit's validation)."""

    @_default
    def on_test_batch_end(self, batch, logs=None):
        """End of an evaluation batch; logs are running means."""

    @_default
    def on_predict_batch_begin(self, batch, logs=None):
        """Start of a predict batch."""

    @_default
    def on_predict_batch_end(self, batch, logs=None):
        """End of a predict batch; logs is {'outputs': predictions of the batch}."""

    @_default
    def on_train_begin(self, logs=None):
        """Start of fit."""

    @_default
    def on_train_end(self, logs=None):
        """End of fit; logs are those of the last epoch."""

    @_default
    def on_test_begin(self, logs=None):
        """Start of evaluate (also fit's validation)."""

    @_default
    def on_test_end(self, logs=None):
        """End of evaluate; logs are the final metrics."""

    @_default
    def on_predict_begin(self, logs=None):
        """Start of predict."""

    @_default
    def on_predict_end(self, logs=None):
        """End of predict."""


_ALIASES = {"acc": "accuracy", "accuracy": "acc", "lr": "learning_rate", "learning_rate": "lr"}


def _alias_key(key):
    """The Keras 2 <-> Keras 3 spelling of a log key (acc/accuracy, lr/learning_rate, with or
    without val_), or None."""
    if not isinstance(key, str):
        return None
    prefix, base = ("val_", key[4:]) if key.startswith("val_") else ("", key)
    alias = _ALIASES.get(base)
    return prefix + alias if alias else None


class HistoryDict(dict):
    """history.history: a plain dict of lists whose reads also answer to the other Keras spelling
    (history.history['acc'] finds 'accuracy', 'lr' finds 'learning_rate', and back). Iteration,
    len, `in` and keys() show only the real keys, so pd.DataFrame(history.history) is unchanged.
    A missing key raises a KeyError that lists the keys there are."""

    def __missing__(self, key):
        alias = _alias_key(key)
        if alias is not None and dict.__contains__(self, alias):
            return dict.__getitem__(self, alias)
        raise KeyError(f"{key!r} is not in the history. Available keys: "
                       f"{', '.join(repr(k) for k in self) or '(none)'}")

    def get(self, key, default=None):
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        alias = _alias_key(key)
        if alias is not None and dict.__contains__(self, alias):
            return dict.__getitem__(self, alias)
        return default

    def __reduce__(self):  # pickles and copies as itself
        return (type(self), (dict(self),))


class History(Callback):
    """Records the epoch logs; `fit` returns it.

    `history` is a dict of lists of Python floats, one list per logged value (`loss`, the metrics, and
    their `val_` versions), so `pd.DataFrame(history.history).plot()` works; reads accept both the
    Keras 2 and Keras 3 spellings (`acc` / `accuracy`, `lr` / `learning_rate`). `epoch` lists the
    finished epochs (0-based). It takes no arguments.

    Example:

    >>> history = model.fit(x, y, epochs=10, verbose=0)
    >>> len(history.history["loss"])
    10
    """

    def __init__(self):
        super().__init__()
        self.history = HistoryDict()
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []  # as Keras 3: `history` is kept; fit makes a new History each call

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(_to_float(v))
        if self.model is not None:
            self.model.history = self

    def _on_epochs_end(self, first, logs_list):
        """on_epoch_end for epochs first, first + 1, ... at once, each logging the same keys (fit's
        many-epochs-per-call path)."""
        if not logs_list:
            return
        self.epoch.extend(range(first, first + len(logs_list)))
        for k in logs_list[0]:
            self.history.setdefault(k, []).extend(_to_float(logs[k]) for logs in logs_list)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints Keras 3's progress bar for fit, evaluate and predict (`fit` adds one when `verbose` > 0).

    fit: "Epoch e/E" (only when epochs > 1), then one bar per epoch over `params['steps']` steps,
    finalized with the epoch logs (val_* included); verbose=2 prints one line per epoch. The
    validation inside fit prints nothing. evaluate/predict outside fit draw their own bar. Keys
    appear in the order of the logs dict (CallbackList sorts them).

    Args:
        count_mode: `"steps"`, as in Keras 3 (Keras 2's `"samples"` warns and counts steps).
            Default `"steps"`.
        stateful_metrics: accepted for Keras compatibility; every logged value is shown as computed.
            Default `None`.
        stream: the file to write to. Default `None`: `sys.stdout` at the time of each write.
    """

    def __init__(self, count_mode="steps", stateful_metrics=None, stream=None):
        super().__init__()
        if count_mode != "steps":  # Keras 2 could count samples; Keras 3 counts steps
            warnings.warn("ProgbarLogger(count_mode=%r): the bar counts steps, as in Keras 3."
                          % (count_mode,), stacklevel=2)
        self.stream = stream  # None: sys.stdout at the time of each write
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self):
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step",
                                   stream=self.stream, stateless_metrics=set())

    def _update_progbar(self, batch, logs=None):
        self._maybe_init_progbar()
        self.seen = batch + 1  # one-based
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize_progbar(self, logs):
        self._maybe_init_progbar()
        if self.target is None:  # unknown length: now we know it
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)

    def on_train_begin(self, logs=None):
        self._called_in_fit = True  # fit's validation stays silent

    def on_train_end(self, logs=None):
        self._called_in_fit = False  # so a later evaluate with this logger shows its bar

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            out = self.stream if self.stream is not None else sys.stdout
            out.write(f"Epoch {epoch + 1}/{self.epochs}\n")
            out.flush()

    @_sparse_ok
    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    @_sparse_ok
    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_begin(self, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    @_sparse_ok
    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)  # predictions are not shown

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)


class CallbackList(Callback):
    """Calls every hook of every callback, in order (keras.callbacks.CallbackList).

    Args:
        callbacks: a callback, a list of callbacks (nested lists are flattened) or `None`.
        add_history: whether to append a `History` when the list has none. Default `False`.
        add_progbar: whether to append a `ProgbarLogger` when the list has none. Default `False`.
        model: the model given to every callback's `set_model`. Default `None`.
        **params: given to every callback's `set_params` (e.g. `verbose=1, epochs=5, steps=32`).
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = _flatten(callbacks)
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.set_model(model)
        self.set_params(params)

    def append(self, callback):
        self.callbacks.append(callback)

    def __iter__(self):
        return iter(self.callbacks)

    def set_params(self, params):
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model):
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def needs_batch_hooks(self, kind=None):
        """True when some callback has its own batch-level hook, so the loop must call it at
        every batch. The progress bar and History do not count: they are fine with sparse calls.

        kind: None for any, or "train", "test", "predict" for that loop's hooks only.
        """
        names = [n for k, hooks in _BATCH_HOOKS.items() if kind in (None, k) for n in hooks]
        for callback in self.callbacks:
            for name in names:
                hook = getattr(callback, name, None)
                if hook is None or getattr(hook, "_is_default", False):
                    continue
                if getattr(hook, "_sparse_ok", False):
                    continue
                return True
        return False

    # Each hook: one pythonified logs dict, the same object for every callback.
    def on_batch_begin(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs=logs)

    def on_batch_end(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_batch_begin(batch, logs=logs)

    def on_test_batch_end(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_batch_end(batch, logs=logs)

    def on_predict_batch_begin(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_batch_begin(batch, logs=logs)

    def on_predict_batch_end(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_batch_end(batch, logs=logs)

    def on_train_begin(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_test_begin(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_begin(logs)

    def on_test_end(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_end(logs)

    def on_predict_begin(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_begin(logs)

    def on_predict_end(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_end(logs)


def _flatten(callbacks):
    if not callbacks:
        return []
    if isinstance(callbacks, (list, tuple)):
        return [c for item in callbacks for c in _flatten(item)]
    if isinstance(callbacks, CallbackList):
        return list(callbacks.callbacks)
    missing = [hook for hook in ("set_model", "set_params", "on_train_begin", "on_epoch_end")
               if not callable(getattr(callbacks, hook, None))]
    if missing:
        raise TypeError(f"callbacks must be cnn.callbacks.Callback instances (subclass Callback for your "
                        f"own), got {callbacks!r} of type {type(callbacks).__name__}, which has no "
                        f"{missing[0]}()")
    return [callbacks]


# ------------------------------------------------------------------------------------------------
# Issue 3: the Keras 3 callbacks users pass to fit. Batch hooks are defined only when a callback
# needs them (ModelCheckpoint/BackupAndRestore with an integer save_freq, TerminateOnNaN, a
# LambdaCallback given one), since needs_batch_hooks() then makes fit call back every batch.
# ------------------------------------------------------------------------------------------------


# Directions for mode="auto" when the monitored name is not a compiled metric object (Keras 3
# would raise ValueError there; a name-based guess is friendlier for teaching code).
_UP_WORDS = ("acc", "auc", "precision", "recall", "f1", "iou")
_warned_noop = set()


def _print(message):
    """Keras's io_utils.print_msg: one line on stdout, flushed (messages starting with a newline
    leave a blank line, as in Keras)."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def _key_hint(key, logs):
    """' Available ...' plus the Keras 2 <-> 3 spelling when that is the mistake."""
    alias = _alias_key(key)
    hint = f" Available keys: {', '.join(logs) if logs else '(none)'}."
    if alias is not None and alias in logs:
        hint += f" This run logs it as '{alias}'."
    return hint


class MonitorCallback(Callback):
    """Base of the callbacks that watch one logged value (keras/src/callbacks/monitor_callback.py).

    mode "min"/"max", or "auto": loss -> min, a compiled metric -> its `_direction`, otherwise a
    guess from the name (accuracy/AUC/precision/recall/F1/IoU -> max, else min with a warning).

    Args:
        monitor: the logged value to watch, e.g. `"val_loss"` or `"val_accuracy"`. Default `"val_loss"`.
        mode: one of `"auto"`, `"min"`, `"max"`: whether an improvement is a decrease or an increase
            of `monitor`. `"auto"` chooses `"max"` for accuracies (and AUC, precision, recall, ...) and
            `"min"` otherwise. Default `"auto"`.
        baseline: the value to beat first, or `None`. Default `None`.
        min_delta: the smallest change that counts as an improvement. Default `0`.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                          stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            up = False
        elif self.mode == "max":
            up = True
        else:
            up = self._auto_direction()
        self.monitor_op = _greater if up else _less
        if not up:
            self.min_delta *= -1  # min mode: improve means current < best - |min_delta|

    def _auto_direction(self):
        name = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
        if name == "loss":
            return False
        for m in getattr(self.model, "_metric_objects", None) or ():
            if getattr(m, "name", None) == name and hasattr(m, "_direction"):
                return m._direction == "up"
        low = name.lower()
        if any(word in low for word in _UP_WORDS):
            return True
        if not (low.endswith("loss") or "error" in low or "crossentropy" in low or low in ("mse", "mae")):
            warnings.warn(f"{type(self).__name__}: cannot tell whether `{self.monitor}` should be "
                          "minimized or maximized; assuming it should be minimized. Pass mode='max' or "
                          "mode='min' to say which.", stacklevel=4)
        return False

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))


def _less(a, b):
    return a < b


def _greater(a, b):
    return a > b


def _restore_weights(model, weights):
    try:
        model.set_weights(weights)
    except ValueError:  # set_weights refuses non-finite arrays; the best epoch may have had them
        for variable, value in zip(model.weights, weights):
            variable.assign(value)


class EarlyStopping(MonitorCallback):
    """Stops training when a monitored value has stopped improving.

    An epoch improves when it beats the best so far by more than `min_delta`; after `patience` epochs
    without improvement, training stops (patience=0: at the first such epoch). With a `baseline`, the
    patience counter is reset only by epochs that also beat the baseline. Epochs before
    `start_from_epoch` are ignored. With `restore_best_weights`, the weights of the best epoch are put
    back at the end of training, whether it stopped early or not (as Keras 3 does).

    Args:
        monitor: the logged value to watch. Default `"val_loss"`.
        min_delta: the smallest change of `monitor` that counts as an improvement. Default `0`.
        patience: the number of epochs without improvement after which training stops. Default `0`.
        verbose: `1` prints a message when training stops or the best weights are restored.
            Default `0`.
        mode: one of `"auto"`, `"min"`, `"max"`: whether an improvement is a decrease or an increase
            of `monitor`. `"auto"` chooses `"max"` for accuracies (and AUC, precision, recall, ...) and
            `"min"` otherwise. Default `"auto"`.
        baseline: a value `monitor` must beat; training stops if it does not within `patience`
            epochs. Default `None`.
        restore_best_weights: whether to restore the weights of the best epoch at the end.
            Default `False`: the weights of the last epoch are kept.
        start_from_epoch: the number of warm-up epochs before improvement is looked for. Default `0`.

    Example:

    >>> early = cnn.callbacks.EarlyStopping(monitor="val_loss", patience=5, min_delta=0.001,
    ...                                     restore_best_weights=True)
    >>> history = model.fit(x, y, validation_split=0.2, epochs=500, callbacks=[early], verbose=0)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            _restore_weights(self.model, self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                          f"Available metrics are: {','.join(logs)}" + _alias_note(self.monitor, logs),
                          stacklevel=2)
        return value


def _alias_note(key, logs):
    alias = _alias_key(key)
    return f" (this run logs it as `{alias}`)" if alias is not None and alias in logs else ""


def _current_lr(optimizer):
    if not hasattr(optimizer, "learning_rate"):
        raise ValueError('Optimizer must have a "learning_rate" attribute.')
    return float(np.asarray(optimizer.learning_rate))


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate at the start of every epoch.

    The rate becomes `schedule(epoch, lr)`, with `epoch` 0-based and `lr` the current rate (a
    one-argument `schedule(epoch)` works too); it is also logged as `learning_rate` at the end of
    each epoch.

    Args:
        schedule: a function `(epoch, lr) -> float` returning the new learning rate.
        verbose: `1` prints the rate set at each epoch. Default `0`.

    Example (halve the rate every 10 epochs):

    >>> scheduler = cnn.callbacks.LearningRateScheduler(
    ...     lambda epoch, lr: lr * 0.5 if epoch and epoch % 10 == 0 else lr)
    >>> history = model.fit(x, y, epochs=30, callbacks=[scheduler], verbose=0)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        try:
            lr = self.schedule(epoch, _current_lr(optimizer))
        except TypeError:  # the Keras 1 form schedule(epoch)
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.float32, np.float64)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {lr}")
        optimizer.learning_rate = lr
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _current_lr(self.model.optimizer)


class ReduceLROnPlateau(MonitorCallback):
    """Reduces the learning rate when a monitored value has stopped improving.

    After `patience` epochs without an improvement larger than `min_delta`, the rate is multiplied by
    `factor`; then `cooldown` epochs pass before watching again; the rate never goes below `min_lr`.
    The rate in use during the epoch is logged as `learning_rate`.

    Args:
        monitor: the logged value to watch. Default `"val_loss"`.
        factor: float < 1, the factor applied to the rate: `new_lr = lr * factor`. Default `0.1`.
        patience: the number of epochs without improvement before the rate is reduced. Default `10`.
        verbose: `1` prints a message at each reduction. Default `0`.
        mode: one of `"auto"`, `"min"`, `"max"`: whether an improvement is a decrease or an increase
            of `monitor`. `"auto"` chooses `"max"` for accuracies (and AUC, precision, recall, ...) and
            `"min"` otherwise. Default `"auto"`.
        min_delta: the smallest change that counts as an improvement. Default `1e-4`.
        cooldown: the number of epochs to wait after a reduction before watching again. Default `0`.
        min_lr: the lower bound of the learning rate. Default `0.0`.
        **kwargs: Keras 2.1's `epsilon=` (the old name of `min_delta`); other names are ignored with a
            warning.

    Example:

    >>> reduce_lr = cnn.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5,
    ...                                             min_lr=0.001)
    >>> history = model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[reduce_lr], verbose=0)
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        if "epsilon" in kwargs:  # Keras 2.1 name of min_delta
            min_delta = kwargs.pop("epsilon")
            warnings.warn("ReduceLROnPlateau(epsilon=...) is the old name of `min_delta` (honoured).",
                          UserWarning, stacklevel=2)
        if kwargs:
            warnings.warn(f"ReduceLROnPlateau ignores the unknown arguments {sorted(kwargs)}.",
                          UserWarning, stacklevel=2)
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _reduce_lr(self, epoch):
        optimizer = self.model.optimizer
        old_lr = _current_lr(optimizer)
        if old_lr > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            optimizer.learning_rate = new_lr
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
            return True
        return False

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _current_lr(self.model.optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}."
                          + _alias_note(self.monitor, logs), stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_lr(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0


class ModelCheckpoint(MonitorCallback):
    """Saves the model (`model.save`) or its weights (`model.save_weights`) during training.

    Args:
        filepath: where to save. It may hold `{epoch}` (1-based), `{batch}` (batch saving) and any
            logged value, with format specs, e.g. `"ckpt-{epoch:02d}-{val_loss:.2f}.keras"`. As in
            Keras 3 it must end in `.keras` (or `.h5`) for whole models and in `.weights.h5` with
            `save_weights_only=True`.
        monitor: the logged value that decides the best model. Default `"val_loss"`.
        verbose: `1` prints a message at each save. Default `0`.
        save_best_only: whether to save only when `monitor` improves (the file is overwritten when
            `filepath` has no placeholders). Default `False`: save every time.
        save_weights_only: whether to save only the weights. Default `False`: the whole model.
        mode: one of `"auto"`, `"min"`, `"max"`: whether an improvement is a decrease or an increase
            of `monitor`. `"auto"` chooses `"max"` for accuracies (and AUC, precision, recall, ...) and
            `"min"` otherwise. Default `"auto"`.
        save_freq: `"epoch"` (save at the end of every epoch) or an integer number of batches.
            Default `"epoch"`.
        initial_value_threshold: with `save_best_only`, the value to beat for the first save.
            Default `None`.

    Example:

    >>> checkpoint = cnn.callbacks.ModelCheckpoint("best.keras", monitor="val_accuracy",
    ...                                            save_best_only=True)
    >>> history = model.fit(x, y, validation_split=0.2, epochs=20, callbacks=[checkpoint], verbose=0)
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or "
                             "integer values")
        if save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                                 "provided must end in `.weights.h5` (Keras weights format). Received: "
                                 f"filepath={self.filepath}")
        elif not self.filepath.endswith((".keras", ".h5")):
            raise ValueError("The filepath provided must end in `.keras` (Keras model format). Received: "
                             f"filepath={self.filepath}")
        if save_freq != "epoch":  # a batch hook only when needed: it makes fit call back every batch
            self.on_train_batch_end = self._on_train_batch_end

    def _on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch):
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            add = batch + 1  # a new epoch (batches are 0-based)
        else:
            add = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch, logs, filepath):
        logs = logs or {}
        if not self.save_best_only:
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available."
                          + _alias_note(self.monitor, logs), stacklevel=2)
            return True
        if isinstance(current, np.ndarray) and current.ndim > 0:
            warnings.warn("Can save best model only when `monitor` is a scalar value. Received: "
                          f"{current}. Falling back to `save_best_only=False`.", stacklevel=2)
            return True
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to {current:.5f}, "
                       f"saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IOError("Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an "
                          f"existing directory: {filepath}")
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs):
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            key = e.args[0] if e.args else ""
            names = ["epoch"] + (["batch"] if batch is not None else []) + list(logs)
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}.'
                           + _key_hint(key, names)) from None


class CSVLogger(Callback):
    """Writes the epoch logs to a CSV file, one row per epoch.

    The columns are `epoch` (0-based) then the logged keys, sorted; when the first epoch has no `val_`
    keys, `val_<key>` columns are added anyway and hold `NA`.

    Args:
        filename: the path of the CSV file.
        separator: the string that separates the values. Default `","`.
        append: whether to append to an existing file (the header is written only when the file is
            empty). Default `False`: the file is overwritten.

    Example:

    >>> history = model.fit(x, y, epochs=10, verbose=0, callbacks=[cnn.callbacks.CSVLogger("training.csv")])
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, "r", newline="") as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}

        def handle_value(v):
            if isinstance(v, str):
                return v
            if isinstance(v, np.ndarray) and v.ndim == 0:
                return v
            try:
                iter(v)
            except TypeError:
                return v
            return f'"[{", ".join(map(str, v))}]"'

        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend([f"val_{k}" for k in self.keys])
        if self.writer is None:
            sep = self.sep

            class Dialect(csv.excel):
                delimiter = sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, handle_value(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


_HOOK_NAMES = {name for name in dir(Callback) if name.startswith("on_")}


class LambdaCallback(Callback):
    """A callback made of plain functions, called at the matching hooks.

    Args:
        on_epoch_begin: `f(epoch, logs)`, called at the start of every epoch. Default `None`.
        on_epoch_end: `f(epoch, logs)`, called at the end of every epoch. Default `None`.
        on_train_begin: `f(logs)`, called at the start of training. Default `None`.
        on_train_end: `f(logs)`, called at the end of training. Default `None`.
        on_train_batch_begin: `f(batch, logs)`, called at the start of every training batch.
            Default `None`.
        on_train_batch_end: `f(batch, logs)`, called at the end of every training batch.
            Default `None`.
        **kwargs: any other hook by name (e.g. Keras 2's `on_batch_end=`); a name that is not a hook
            warns.

    Example:

    >>> print_loss = cnn.callbacks.LambdaCallback(
    ...     on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        unknown = sorted(k for k in kwargs if k.startswith("on_") and k not in _HOOK_NAMES)
        if unknown:
            warnings.warn(f"LambdaCallback: {', '.join(unknown)} is not a callback hook and will never be "
                          f"called. Hooks are: {', '.join(sorted(_HOOK_NAMES))}.", UserWarning, stacklevel=2)
        self.__dict__.update(kwargs)
        given = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin, "on_train_batch_end": on_train_batch_end}
        for name, fn in given.items():
            if fn is not None:  # only the given ones, so fit calls batch hooks only when asked
                setattr(self, name, fn)


def _bad_loss(loss):
    return loss is not None and not np.isfinite(loss)


class TerminateOnNaN(Callback):
    """Stops training at the first batch whose loss is NaN or infinite.

    It prints "Batch N: Invalid loss, terminating training". It needs every batch's loss, so `fit`
    returns to Python after every batch when it is used.

    Args:
        raise_error: whether to raise `RuntimeError` instead of stopping quietly. Default `False`.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def _check(self, what, loss):
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at {what}. Loss value: {loss}. "
                               "Terminating training immediately.")
        _print(f"{what[0].upper()}{what[1:]}: Invalid loss, terminating training")
        self.model.stop_training = True

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if _bad_loss(loss):
            self._check(f"batch {batch}", loss)

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if _bad_loss(loss) and not self.model.stop_training:  # safety net; batches normally catch it
            self._check(f"epoch {epoch + 1}", loss)


_MAX_BACKUP_METADATA = 4096        # bytes: the file holds two small integers
_MAX_BACKUP_EPOCH = 2 ** 31 - 1


class BackupAndRestore(Callback):
    """Backs up the training state so an interrupted `fit` can resume where it stopped.

    The weights and the epoch counter are saved in `backup_dir` (`latest.weights.h5` and
    `training_metadata.json`). A later `fit` with the same callback loads them and goes on from the
    next epoch. A finished `fit` deletes the backup.

    Args:
        backup_dir: the folder of the backup files; it must not be shared with other runs.
        save_freq: `"epoch"` (back up at the end of every epoch) or an integer number of batches.
            Default `"epoch"`.
        double_checkpoint: whether to keep the previous backup too (`.bkp` files), used when the
            latest one cannot be read. Default `False`.
        delete_checkpoint: whether to delete the backup when training finishes. Default `True`.

    Example:

    >>> backup = cnn.callbacks.BackupAndRestore(backup_dir="backup")
    >>> history = model.fit(x, y, epochs=10, callbacks=[backup], verbose=0)
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}. "
                             "Expected either 'epoch' or an integer value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._training_metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = self._weights_path + ".bkp"
        self._prev_training_metadata_path = self._training_metadata_path + ".bkp"
        if save_freq != "epoch":
            self.on_train_batch_end = self._on_train_batch_end

    def on_train_begin(self, logs=None):
        try:
            self._load_model()
        except OSError:
            if not os.path.exists(self._prev_weights_path):
                raise
            shutil.copyfile(self._prev_weights_path, self._weights_path)  # the previous backup
            if os.path.exists(self._prev_training_metadata_path):
                shutil.copyfile(self._prev_training_metadata_path, self._training_metadata_path)
            elif os.path.exists(self._training_metadata_path):
                os.remove(self._training_metadata_path)
            self._load_model()

    def _load_model(self):
        if not self.model.built:
            raise ValueError("To use the BackupAndRestore callback, you model must be built before you call "
                             f"`fit()`. Model {self.model} is unbuilt. You can build it beforehand by calling "
                             "it on a batch of data.")
        if os.path.exists(self._weights_path):
            self.model.load_weights(self._weights_path)
        if os.path.exists(self._training_metadata_path):
            self.model._initial_epoch = self._read_epoch()

    def _read_epoch(self):
        """The epoch training_metadata.json records, refused unless it is a sane epoch count (Keras
        trusts the file; a hand-edited {"epoch": -3} would run epochs with negative numbers)."""
        path = self._training_metadata_path
        try:
            with open(path, "rb") as f:
                text = f.read(_MAX_BACKUP_METADATA + 1)
            metadata = json.loads(text) if len(text) <= _MAX_BACKUP_METADATA else None
        except (ValueError, RecursionError):
            metadata = None
        epoch = metadata.get("epoch") if isinstance(metadata, dict) else None
        if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch <= _MAX_BACKUP_EPOCH:
            raise ValueError(f"BackupAndRestore: {path} does not hold a valid backup (it should be "
                             f'{{"epoch": <an integer from 0 to {_MAX_BACKUP_EPOCH}>, ...}}); got '
                             f"{(text[:100].decode('utf-8', 'replace') if metadata is None else repr(epoch))}. "
                             "Delete the backup folder to start afresh.")
        return epoch

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model()

    def _on_train_batch_end(self, batch, logs=None):
        if batch <= self._last_batch_seen:
            add = batch + 1
        else:
            add = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save_model()

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for src, dst in ((self._weights_path, self._prev_weights_path),
                             (self._training_metadata_path, self._prev_training_metadata_path)):
                if os.path.exists(src):
                    shutil.copyfile(src, dst)
        self.model.save_weights(self._weights_path, overwrite=True)
        with open(self._training_metadata_path, "w") as f:
            f.write(json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}))

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)


class _NoOp(Callback):
    """Accepted so course code runs; does nothing and says so once per process."""
    _what = ""

    def __init__(self, **kwargs):
        super().__init__()
        self.__dict__.update(kwargs)
        name = type(self).__name__
        if name not in _warned_noop:
            _warned_noop.add(name)
            warnings.warn(f"cnn.callbacks.{name} does nothing: {self._what} Training runs as usual.",
                          UserWarning, stacklevel=3)


class TensorBoard(_NoOp):
    """A stand-in for `keras.callbacks.TensorBoard` that does nothing: cnn writes no event files.

    It is accepted so course code runs, and warns once per process. Plot `history.history` instead
    (`pd.DataFrame(history.history).plot()`), or log the epochs to a file with `CSVLogger`.

    Args:
        log_dir, histogram_freq, write_graph, write_images, write_steps_per_second, update_freq,
        profile_batch, embeddings_freq, embeddings_metadata, **kwargs: Keras's arguments, kept as
            attributes and otherwise ignored.
    """
    _what = ("cnn writes no TensorBoard logs. Plot the History returned by fit instead (e.g. "
             "pd.DataFrame(history.history).plot()), or write the epochs to a file with CSVLogger.")

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None, **kwargs):
        super().__init__(log_dir=os.fspath(log_dir), histogram_freq=histogram_freq, write_graph=write_graph,
                         write_images=write_images, write_steps_per_second=write_steps_per_second,
                         update_freq=update_freq, profile_batch=profile_batch,
                         embeddings_freq=embeddings_freq, embeddings_metadata=embeddings_metadata, **kwargs)


class RemoteMonitor(_NoOp):
    """A stand-in for `keras.callbacks.RemoteMonitor` that does nothing: cnn sends nothing over the network.

    It is accepted so course code runs, and warns once per process; post the logs yourself from a
    `LambdaCallback` if needed.

    Args:
        root, path, field, headers, send_as_json: Keras's arguments, kept as attributes and otherwise
            ignored.
    """
    _what = "cnn sends no training events to a server; use LambdaCallback to post them yourself."

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data", headers=None,
                 send_as_json=False):
        super().__init__(root=root, path=path, field=field, headers=headers, send_as_json=send_as_json)

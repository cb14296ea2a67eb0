"""fit, evaluate, predict and the *_on_batch methods: Python drives epochs and callbacks, the C
core runs the steps (one call per epoch unless a callback asks for batch hooks)."""
import functools
import math
import warnings

import numpy as np

from cnn import _batches, _core, _data, _epochs, _shortcuts, schedules
from cnn._shortcuts import call_callbacks, class_ids, float_rows

_LEGACY_FIT_ARGS = ("workers", "use_multiprocessing", "max_queue_size")
_PROGRESS_INTERVAL = 0.05


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _check_validation_freq(freq):
    """An integer >= 1 (validate every freq epochs) or a collection of 1-based epoch numbers."""
    if isinstance(freq, (list, tuple, set, range)):
        return {_check_int("validation_freq entries", e, 1) for e in freq}
    return _check_int("validation_freq", freq, 1)


def _check_verbose(verbose):
    if verbose not in ("auto", 0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return 1 if verbose == "auto" else verbose


def _f32(v):
    return float(np.float32(v))


_NOT_COMPILED = "You must call `compile()` before using the model."  # Keras 3's words


def _require_compiled(model):
    if not model.compiled:
        raise ValueError(_NOT_COMPILED)


def _locked(method):
    """Runs the method holding the model's lock: its C plans' buffers serve one caller at a time
    (the kernels run without the GIL). An RLock, so a callback run meanwhile may call the model too."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self._plans.lock:
            return method(self, *args, **kwargs)
    return run


class Trainer:
    """Mixed into Sequential: everything that runs data through the model."""

    # ------------------------------------------------------------------ data
    def _features(self, x, name="x"):
        if self.built:
            xa = float_rows(x, self.input_shape[1:])
            if xa is not None:
                return xa
        xa = _data.as_features(x, self.input_shape[1:] if self.input_shape else None, name)
        if not self.built:
            self.build((None,) + xa.shape[1:])
        return xa.reshape(len(xa), -1)

    def _targets(self, xa, y, name="y"):
        if y is None:
            raise ValueError(f"{name} is required to train or evaluate: the model needs targets")
        y_shape = np.shape(y)
        self._prepare_compiled(y_shape, with_metrics=False)
        ya = class_ids(y, len(xa), self.output_shape) if self._is_sparse() else None  # the fast path
        if ya is None:
            # the labels are checked against the loss first: its messages name the usual label mistakes
            ya = _data.as_targets(y, len(xa), self.output_shape, self._is_sparse(), name, self._broadcasts())
        self._prepare_compiled(y_shape)
        return ya

    def _weights(self, n, y, sample_weight, class_weight):
        if class_weight is not None and sample_weight is not None:
            raise ValueError("You cannot pass both class_weight and sample_weight; merge them into "
                             "sample_weight")
        if class_weight is not None:
            return _data.class_weights_to_sample_weights(class_weight, y)
        return _data.as_sample_weight(sample_weight, n)

    def _reset_python_metrics(self):
        """Metrics written in Python keep their own state: reset it where the C sums start from zero."""
        for m in self._metric_objects or ():
            if m._is_python() and not hasattr(m, "_python_values"):
                m.reset_state()

    def _logs(self, sums, prefix=""):
        """Keras's logs from the core's sums: mean loss and each metric; keys sorted as Keras 3."""
        count = sums[1]
        logs = {prefix + "loss": _f32(sums[0] / count) if count else 0.0}
        if not self._metric_objects:
            return logs
        state, at, cols = np.asarray(sums[2:], np.float64), 0, self.output_shape[-1]
        for m, key in zip(self._metric_objects, self._metric_keys):
            size = m.state_size(cols)   # asked each time: a metric changed after compile rebuilt the plan
            logs[prefix + key] = m.result_from_state(state[at:at + size], cols)
            at += size
        return dict(sorted(logs.items()))

    def _schedule(self):
        """The learning rate as the C core steps it (per batch), or None when only Python can compute it
        (a callable or a schedule written in Python): then the loop goes one step at a time."""
        opt = self.optimizer
        lr = opt._learning_rate
        if hasattr(lr, "c_record"):
            record = lr.c_record()
            return dict(record) if record is not None else None
        if callable(lr):
            return None
        if opt.decay:
            return schedules.legacy_decay_c_record(float(lr), float(opt.decay))
        return schedules.constant_c_record(float(lr))

    def _step_schedule(self):
        """The schedule for the next call; a Python-only rate is evaluated for the next step."""
        record = self._schedule()
        if record is None:
            return schedules.constant_c_record(self.optimizer._lr_at(self.optimizer.iterations))
        return record

    # ------------------------------------------------------------------ fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1, time_limit=None, max_steps=None, **kwargs):
        """Trains the model for a number of epochs on NumPy (or pandas) data.

        Args:
            x: input data, shape (samples, features...).
            y: targets: class ids for sparse losses, one row per sample otherwise.
            batch_size: samples per gradient update (default 32).
            epochs: index of the epoch to stop at (with `initial_epoch`, the number of epochs run is
                `epochs - initial_epoch`).
            verbose: "auto" or 1 (progress bar), 2 (one line per epoch) or 0 (silent).
            callbacks: list of `cnn.callbacks.Callback` instances.
            validation_split: fraction of the data, taken from the end before shuffling, to
                evaluate on after each epoch instead of training on.
            validation_data: `(x_val, y_val)` or `(x_val, y_val, sample_weight_val)`.
            shuffle: shuffle the samples before each epoch (True), not at all (False) or within
                batch-sized chunks ("batch").
            class_weight: dict class id -> weight, to weight the loss of each sample by its class.
            sample_weight: one weight per sample.
            initial_epoch: epoch at which to start (to resume a previous run).
            steps_per_epoch: batches per epoch (default: the whole data).
            validation_steps: batches of the validation data to evaluate.
            validation_batch_size: batch size for validation (default `batch_size`).
            validation_freq: validate every this many epochs, or at the epochs in a list.
            time_limit: seconds this call may train (not in Keras); checked at least every ~50 ms.
            max_steps: training steps (batches) this call may run (not in Keras).
                When either runs out, training stops at the end of the step in progress, as when a
                callback sets `model.stop_training`: that epoch still ends (its logs, validation and
                callbacks), so the history keeps every epoch begun.

        Returns:
            A `History` object: `history.history` maps "loss", each metric and their "val_"
            versions to one value per epoch; `history.stop_reason` says why fit returned:
            "completed", "stop_training" (a callback stopped it), "time_limit" or "max_steps".

        Raises:
            ValueError: if the model is not compiled, or for malformed data or arguments.

        Example:

        >>> import numpy as np, cnn
        >>> model = cnn.Sequential([cnn.Input(shape=(2,)), cnn.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> history = model.fit(np.ones((8, 2)), np.ones(8), epochs=3, verbose=0)
        >>> len(history.history["loss"])
        3
        """
        from cnn._budget import Budget, BudgetCallback
        from cnn.callbacks import CallbackList
        budget = Budget(time_limit, max_steps)
        if "nb_epoch" in kwargs:
            epochs = kwargs.pop("nb_epoch")
            warnings.warn("`nb_epoch` is the Keras 1 spelling of `epochs` (honoured).", UserWarning, stacklevel=2)
        for name in _LEGACY_FIT_ARGS:
            kwargs.pop(name, None)
        if kwargs:
            raise TypeError(f"fit() got unexpected keyword arguments: {sorted(kwargs)}")
        epochs = _check_int("epochs", epochs, 0)
        initial_epoch = _check_int("initial_epoch", initial_epoch, 0)
        verbose_level = _check_verbose(verbose)
        if batch_size is not None:
            batch_size = _check_int("batch_size", batch_size, 1)
        if steps_per_epoch is not None:
            steps_per_epoch = _check_int("steps_per_epoch", steps_per_epoch, 1)
        if validation_batch_size is not None:
            validation_batch_size = _check_int("validation_batch_size", validation_batch_size, 1)
        validation_freq = _check_validation_freq(validation_freq)
        if shuffle not in (True, False, "batch"):
            raise ValueError(f"shuffle must be True, False or 'batch', got {shuffle!r}")
        if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
            raise ValueError(f"validation_split must be a number in [0, 1), got {validation_split!r}")
        _require_compiled(self)
        if _batches.is_batch_source(x):   # a generator or PyDataset yielding (x, y[, sample_weight])
            if y is not None or sample_weight is not None:
                raise ValueError("y and sample_weight must not be given when x is a generator or PyDataset: "
                                 "it yields them with each batch")
            history = _batches.fit(self, _batches.BatchSource(x, steps_per_epoch, "x generator"), epochs,
                                   initial_epoch, [callbacks, BudgetCallback(budget)], verbose_level, verbose,
                                   validation_data, validation_freq, validation_batch_size, class_weight)
            if history is not None:
                history.stop_reason = budget.stop_reason(self.stop_training)
            return history
        # the model's lock is held while preparing and during each call into the core, not between
        # them, so another thread may predict or evaluate between epochs (or steps)
        lock = self._plans.lock
        with lock:
            xa, ya, sw, val = self._fit_arrays(x, y, sample_weight, class_weight, validation_data,
                                               validation_split)
            n = len(xa)
            if batch_size is None:
                batch_size = math.ceil(n / steps_per_epoch) if steps_per_epoch else 32
            batch_size = min(batch_size, n)
            steps_full = math.ceil(n / batch_size)
            steps = min(steps_per_epoch, steps_full) if steps_per_epoch else steps_full
            if val is not None and validation_steps is not None:  # Keras: the first validation_steps batches
                rows = _check_int("validation_steps", validation_steps, 1) * (validation_batch_size or batch_size)
                val = tuple(None if a is None else a[:rows] for a in val)
            val_batch = min(validation_batch_size or batch_size, len(val[0])) if val is not None else 1
            self._warn_if_step_activation()
            plan = self._get_plan(max(batch_size, val_batch))

        cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose_level != 0, model=self,
                           verbose=verbose, epochs=epochs, steps=steps)
        if verbose_level == 2 and cbs._progbar is not None:
            cbs._progbar.verbose = 2
        batch_hooks = cbs.needs_batch_hooks("train") or self._schedule() is None
        report = cbs._progbar is not None and verbose_level == 1
        self.stop_training = False
        self._initial_epoch = None      # BackupAndRestore may set it in on_train_begin to resume
        cbs.on_train_begin()
        initial_epoch = self._initial_epoch or initial_epoch
        logs = {}
        warned_nan = False
        position, perm = 0, None  # steps_per_epoch < batches: the data carries on across epochs
        finished = True
        if _epochs.eligible(self, cbs, val, budget, steps, steps_full, shuffle, batch_hooks, n, initial_epoch,
                            epochs):   # tiny data: many epochs per call into the core
            logs, finished = _epochs.run(self, plan, cbs, xa, ya, sw, batch_size, steps, shuffle, initial_epoch,
                                         epochs)
            initial_epoch = epochs
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch)
            self._reset_python_metrics()
            sums = None
            done = 0
            while done < steps and (done == 0 or not self.stop_training):  # Keras checks after a step
                if perm is None or position >= steps_full:
                    perm = self._permutation(n, batch_size, epoch, shuffle)
                    position = 0
                chunk = 1 if batch_hooks or self.stop_training else min(steps - done, steps_full - position)
                chunk = budget.cap(chunk)
                if batch_hooks:
                    cbs.on_train_batch_begin(done)
                offset = done

                def progress(k, s, offset=offset):
                    # every ~50 ms: the bar, and stop_training set from another thread (a GUI, a widget)
                    if report:
                        cbs.on_train_batch_end(offset + k - 1, self._logs(self._merge(sums, s)))
                    return self.stop_training or budget.exhausted()

                with lock:
                    before = self.optimizer.iterations
                    part = self._train_steps(plan, xa, ya, sw, perm, batch_size, position, chunk,
                                             None if batch_hooks else progress)
                sums = self._merge(sums, part)
                ran = self.optimizer.iterations - before   # chunk, or fewer when asked to stop
                position += ran
                done += ran
                if budget.spent(ran):
                    self.stop_training = True
                if batch_hooks:
                    cbs.on_train_batch_end(done - 1, self._logs(sums))
            logs = self._logs(sums)
            if not warned_nan and not math.isfinite(logs["loss"]):
                warned_nan = True
                warnings.warn(f"The loss became NaN or infinite in epoch {epoch + 1}: the weights are no longer "
                              "usable. Try a smaller learning rate or scaled inputs. (Training goes on, as in "
                              "Keras; add cnn.callbacks.TerminateOnNaN() to stop it.)", RuntimeWarning, stacklevel=2)
            if val is not None and self._should_validate(epoch, validation_freq):
                with lock:
                    self._reset_python_metrics()
                    val_sums = plan.evaluate(val[0], val[1], val[2], val_batch, None, 0)
                logs.update(self._logs(val_sums, "val_"))
            cbs.on_epoch_end(epoch, logs)
            finished = done >= steps and epoch == epochs - 1   # every step of every epoch ran
            if self.stop_training or (not finished and budget.exhausted()):
                break
        cbs._history.stop_reason = "completed" if finished else budget.stop_reason(self.stop_training)
        with lock:
            self._finalize_ema()
        cbs.on_train_end(logs)
        return self.history

    def _fit_arrays(self, x, y, sample_weight, class_weight, validation_data, validation_split):
        """fit's training arrays and its validation arrays (or None)."""
        xa = self._features(x)
        ya = self._targets(xa, y)
        sw = self._weights(len(xa), ya, sample_weight, class_weight)
        val = None
        if validation_data is not None:
            val = self._validation_arrays(validation_data)
        elif validation_split:
            (xa, ya, sw), (xv, yv, swv) = _data.split_validation([xa, ya, sw], validation_split)
            _data.warn_if_one_class(yv, self._is_sparse())
            val = (np.ascontiguousarray(xv), np.ascontiguousarray(yv), swv)
            xa, ya = np.ascontiguousarray(xa), np.ascontiguousarray(ya)
        return xa, ya, sw, val

    def _warn_if_step_activation(self):
        """The perceptron lesson's Heaviside step has a zero gradient: nothing below it can learn."""
        from cnn import activations
        if not self._warned_step and any(
                getattr(layer, "activation", None) is activations.step for layer in self._layers):
            self._warned_step = True
            warnings.warn("The 'step' activation has a zero gradient, so gradient descent cannot train the "
                          "weights that feed it. Use it to run a perceptron with set weights, or train with "
                          "'sigmoid' and threshold the output.", UserWarning, stacklevel=3)

    def _train_steps(self, plan, xa, ya, sw, perm, batch_size, first, nsteps, progress):
        """plan.train's sums; optimizer.iterations stays the number of updates applied even when the
        call raises (Ctrl-C inside a chunk of steps: the finished steps are kept, the unfinished one
        is not applied), so a later fit continues as an uninterrupted run would."""
        try:
            sums, _ = plan.train(xa, ya, sw, perm, batch_size, first, nsteps, self.optimizer.iterations,
                                 self._step_schedule(), progress, _PROGRESS_INTERVAL if progress else 0.0)
        finally:
            if plan.iteration >= 0:   # -1: the call was refused before any step
                self.optimizer.iterations = plan.iteration
        return sums

    @staticmethod
    def _merge(a, b):
        if a is None:
            return list(b)
        return [x + y for x, y in zip(a, b)]

    @staticmethod
    def _should_validate(epoch, freq):
        if isinstance(freq, int):  # checked by _check_validation_freq
            return (epoch + 1) % freq == 0
        return epoch + 1 in freq

    def _permutation(self, n, batch_size, epoch, shuffle):
        from cnn.utils import _global_seed
        if not shuffle:
            return np.arange(n, dtype=np.int64)
        shuffle_stream = _core.enums["rng"]["shuffle"]
        key = _core.rng_key(_global_seed(), shuffle_stream, epoch, 0)
        if shuffle == "batch":  # Keras: shuffle within batch-sized chunks only
            perm = np.arange(n, dtype=np.int64)
            for i in range(0, n, batch_size):
                size = min(batch_size, n - i)
                key = _core.rng_key(_global_seed(), shuffle_stream, epoch, i + 1)
                perm[i:i + size] = i + _core.permutation(size, key)
            return perm
        perm = _core.permutation(n, key)
        return np.ascontiguousarray(perm, dtype=np.int64)

    def _validation_arrays(self, validation_data):
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight_val)")
        xv = self._features(validation_data[0], "validation_data x")
        yv = _data.as_targets(validation_data[1], len(xv), self.output_shape, self._is_sparse(),
                              "validation_data y", self._broadcasts())
        swv = _data.as_sample_weight(validation_data[2], len(xv)) if len(validation_data) == 3 else None
        return xv, yv, swv

    # ------------------------------------------------------------------ evaluate / predict
    @_locked
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """Returns the loss and metrics of the model on the given data (no weights change).

        Args:
            x: input data.
            y: targets, as for `fit`.
            batch_size: samples per batch (default 32); the results do not depend on it.
            verbose: "auto" or 1 (progress bar), or 0 (silent).
            sample_weight: one weight per sample.
            steps: evaluate only the first `steps` batches.
            callbacks: list of `cnn.callbacks.Callback` instances.
            return_dict: return a dict {name: value} instead of a list.

        Returns:
            The loss as a float if the model has no metrics, else `[loss, metric, ...]` in
            compile order, or a dict with `return_dict=True`.

        Raises:
            ValueError: if the model is not compiled, or for malformed data or arguments.

        Example:

        >>> import numpy as np, cnn
        >>> model = cnn.Sequential([cnn.Input(shape=(2,)), cnn.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile(optimizer="sgd", loss="mae", metrics=["mse"])
        >>> model.evaluate(np.ones((4, 2)), np.zeros(4), verbose=0, return_dict=True)
        {'loss': 2.0, 'mse': 4.0}
        """
        if kwargs:
            raise TypeError(f"evaluate() got unexpected keyword arguments: {sorted(kwargs)}")
        if (batch_size is None and sample_weight is None and steps is None and callbacks is None
                and type(verbose) is int and verbose == 0 and len(getattr(x, "shape", ())) and len(x) <= 32):
            sums = _shortcuts.loss_rows(self, x, y, train=False)   # a few rows: one C call
            if sums is not None:
                return self._results(self._logs(sums), return_dict)
        verbose_level = _check_verbose(verbose)
        if _batches.is_batch_source(x):   # a generator or PyDataset: its batches, joined
            if y is not None or sample_weight is not None:
                raise ValueError("y and sample_weight must not be given when x is a generator or PyDataset: "
                                 "it yields them with each batch")
            x, y, sample_weight = _batches.collect(_batches.BatchSource(x, steps, "x generator"), need_y=True)
            steps = None
        if batch_size is not None:
            batch_size = _check_int("batch_size", batch_size, 1)
        _require_compiled(self)
        xa = self._features(x)
        ya = self._targets(xa, y)
        sw = self._weights(len(xa), ya, sample_weight, None)
        if steps is not None:  # Keras: only the first `steps` batches
            rows = _check_int("steps", steps, 1) * (batch_size or 32)
            xa, ya, sw = xa[:rows], ya[:rows], None if sw is None else sw[:rows]
        batch = min(batch_size or 32, len(xa))
        n_steps = math.ceil(len(xa) / batch)
        cbs = call_callbacks(self, callbacks, verbose_level, n_steps)
        plan = self._get_plan(batch)
        if batch == len(xa):
            _shortcuts.remember(self, "train", plan, self._metrics_key)
        cbs.on_test_begin()

        def progress(k, s):
            cbs.on_test_batch_end(k - 1, self._logs(s))

        report = cbs._progbar is not None and verbose_level == 1
        self._reset_python_metrics()
        sums = plan.evaluate(xa, ya, sw, batch, progress if report else None, _PROGRESS_INTERVAL)
        logs = self._logs(sums)
        cbs.on_test_end(logs)
        return self._results(logs, return_dict)

    def _results(self, logs, return_dict):
        """Keras's return convention: a float for the loss alone, else [loss, metrics in compile order]."""
        if return_dict:
            return dict(logs)
        values = [logs["loss"]] + [logs[key] for key in self._metric_keys]
        return values[0] if len(values) == 1 else values

    @_locked
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Returns the model's outputs for the inputs `x`, computed batch by batch (inference mode).

        It needs no `compile()`, as in Keras 3. For a few rows in a loop, `predict_on_batch` or
        `model(x)` skip the batching and callbacks.

        Args:
            x: input data.
            batch_size: samples per batch (default 32); the results do not depend on it.
            verbose: "auto" (a progress bar, but none when the data fits one batch), 1, or 0.
            steps: predict only the first `steps` batches.
            callbacks: list of `cnn.callbacks.Callback` instances.

        Returns:
            A float32 NumPy array of shape (samples,) + `output_shape[1:]`.

        Example:

        >>> import numpy as np, cnn
        >>> model = cnn.Sequential([cnn.Input(shape=(2,)), cnn.layers.Dense(3)])
        >>> model.predict(np.ones((5, 2)), verbose=0).shape
        (5, 3)
        """
        if (batch_size is None and steps is None and callbacks is None and len(getattr(x, "shape", ())) > 1
                and len(x) <= 32 and (verbose == "auto" if type(verbose) is str else type(verbose) is int
                                      and verbose == 0)):
            out = _shortcuts.predict_rows(self, x)   # a few rows: one C call
            if out is not None:
                return out
        verbose_level = _check_verbose(verbose)
        if _batches.is_batch_source(x):   # a generator or PyDataset: its batches' inputs, joined
            x = _batches.collect(_batches.BatchSource(x, steps, "x generator"), need_y=False)[0]
            steps = None
        if batch_size is not None:
            batch_size = _check_int("batch_size", batch_size, 1)
        xa = self._features(x)
        if steps is not None:
            xa = xa[:_check_int("steps", steps, 1) * (batch_size or 32)]
        batch = min(batch_size or 32, len(xa))
        n_steps = math.ceil(len(xa) / batch)
        if verbose == "auto" and n_steps == 1:
            verbose_level = 0  # no "1/1" bar on every small predict (a Keras annoyance)
        cbs = call_callbacks(self, callbacks, verbose_level, n_steps)
        cbs.on_predict_begin()

        def progress(k, s):
            cbs.on_predict_batch_end(k - 1, {})

        report = cbs._progbar is not None and verbose_level == 1
        plan = self._inference_plan(batch)
        out = plan.predict(xa, batch, progress if report else None, _PROGRESS_INTERVAL)
        if batch == len(xa):
            _shortcuts.remember(self, "predict", plan)
        cbs.on_predict_end({})
        return self._shape_outputs(out, len(xa))

    def __call__(self, x, training=False):
        """`model(x)`: the outputs for `x` as one batch, a NumPy array (as `predict_on_batch(x)`).

        With `training=True` the layers run as in `fit` (dropout and noise drawn, batch statistics
        used and the moving statistics updated, as Keras does); no weight is trained.
        """
        if training is False and type(x) is np.ndarray:   # the common call: no symbolic input to refuse
            return self.predict_on_batch(x)
        from cnn import _eager
        return _eager.call_model(self, x, training)

    # ------------------------------------------------------------------ single batches
    @_locked
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """Runs one gradient update on a single batch of data.

        Args:
            x: input data: the whole batch.
            y: targets, as for `fit`.
            sample_weight: one weight per sample; for several outputs also a list in output order or a
                dict by output name (None: unweighted), one array then weighting every output.
            class_weight: dict class id -> weight.
            return_dict: return a dict {name: value} instead of a list.

        Returns:
            The loss and metrics on this batch (computed before the update, as in Keras), in the
            same form as `evaluate`.

        Raises:
            ValueError: if the model is not compiled, or for malformed data.

        Example:

        >>> import numpy as np, cnn
        >>> model = cnn.Sequential([cnn.Input(shape=(2,)), cnn.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile(optimizer=cnn.optimizers.SGD(learning_rate=0.1), loss="mse")
        >>> model.train_on_batch(np.ones((4, 2)), np.zeros(4))
        4.0
        >>> model.optimizer.iterations
        1
        """
        _require_compiled(self)
        sums = None
        if sample_weight is None and class_weight is None:
            sums = _shortcuts.loss_rows(self, x, y, train=True)   # one C call when nothing changed
        if sums is None:
            sums = self._train_on_batch(x, y, sample_weight, class_weight)
        logs = self._logs(sums)
        if not math.isfinite(logs["loss"]):
            warnings.warn("The loss is NaN or infinite: the weights are no longer usable.", RuntimeWarning,
                          stacklevel=2)
        return self._results(logs, return_dict)

    def _train_on_batch(self, x, y, sample_weight, class_weight):
        xa = self._features(x)
        ya = self._targets(xa, y)
        sw = self._weights(len(xa), ya, sample_weight, class_weight)
        plan = self._get_plan(len(xa))
        perm = np.arange(len(xa), dtype=np.int64)
        sums = self._train_steps(plan, xa, ya, sw, perm, len(xa), 0, 1, None)
        _shortcuts.remember(self, "train", plan, self._metrics_key)
        return sums

    @_locked
    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Returns the loss and metrics on a single batch of data (no weights change).

        Args:
            x: input data: the whole batch.
            y: targets, as for `fit`.
            sample_weight: one weight per sample.
            return_dict: return a dict {name: value} instead of a list.

        Returns:
            The loss and metrics on this batch, in the same form as `evaluate`.

        Raises:
            ValueError: if the model is not compiled, or for malformed data.
        """
        _require_compiled(self)
        xa = self._features(x)
        ya = self._targets(xa, y)
        sw = self._weights(len(xa), ya, sample_weight, None)
        sums = self._get_plan(len(xa)).evaluate(xa, ya, sw, len(xa), None, 0)
        return self._results(self._logs(sums), return_dict)

    @_locked
    def predict_on_batch(self, x):
        """Returns the model's outputs for `x` as one batch: the quickest way to run a few rows.

        Args:
            x: input data: the whole batch.

        Returns:
            A float32 NumPy array of shape (samples,) + `output_shape[1:]`.

        Example:

        >>> import numpy as np, cnn
        >>> model = cnn.Sequential([cnn.Input(shape=(2,)), cnn.layers.Dense(1, kernel_initializer="ones")])
        >>> model.predict_on_batch(np.array([[1.0, 2.0]]))
        array([[3.]], dtype=float32)
        """
        out = _shortcuts.predict_rows(self, x)   # one C call when nothing changed
        if out is not None:
            return out
        xa = self._features(x)
        plan = self._inference_plan(len(xa))
        out = plan.predict(xa, len(xa), None, 0)
        _shortcuts.remember(self, "predict", plan)
        return self._shape_outputs(out, len(xa))

    def _shape_outputs(self, out, n):
        """The plan's output rows as the model's output: (n,) + output_shape[1:] (graph models: a list)."""
        return out.reshape((n,) + tuple(self.output_shape[1:]))

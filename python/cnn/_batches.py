"""Batches from a Python generator or a PyDataset-style sequence, as Keras's fit/evaluate/predict
accept them: each item is x, (x,), (x, y) or (x, y, sample_weight)."""
import warnings


class PyDataset:
    """Base class for a dataset of batches (keras.utils.PyDataset): implement `__len__` (the number of
    batches) and `__getitem__(index)` (batch `index` as x, (x, y) or (x, y, sample_weight)).
    `on_epoch_end()` is called after every epoch. `workers`, `use_multiprocessing` and
    `max_queue_size` are accepted for Keras compatibility; batches are read in this thread."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers, self.use_multiprocessing, self.max_queue_size = workers, use_multiprocessing, max_queue_size

    def __len__(self):
        raise NotImplementedError("a PyDataset must implement __len__ (the number of batches)")

    def __getitem__(self, index):
        raise NotImplementedError("a PyDataset must implement __getitem__(index) returning a batch")

    def on_epoch_end(self):
        pass

    @property
    def num_batches(self):
        return len(self)


def is_batch_source(data):
    """A generator/iterator, or a sequence of batches (PyDataset or anything with on_epoch_end)."""
    if isinstance(data, PyDataset):
        return True
    if hasattr(data, "__next__") and hasattr(data, "__iter__") and not hasattr(data, "__len__"):
        return True
    return callable(getattr(data, "on_epoch_end", None)) and hasattr(data, "__getitem__") \
        and hasattr(data, "__len__")


def unpack(batch, what):
    """Keras's unpack_x_y_sample_weight: (x, y or None, sample_weight or None)."""
    if isinstance(batch, tuple):
        if not 1 <= len(batch) <= 3:
            raise ValueError(f"{what} must yield x, (x,), (x, y) or (x, y, sample_weight); got a tuple "
                             f"of {len(batch)} items")
        return tuple(batch) + (None,) * (3 - len(batch))
    if isinstance(batch, list) and len(batch) in (2, 3) and not _is_number_list(batch):
        return tuple(batch) + (None,) * (3 - len(batch))
    return batch, None, None


def _is_number_list(items):
    return all(isinstance(v, (int, float)) for v in items)


class BatchSource:
    """The batches of one epoch at a time. A generator is read on from where the last epoch stopped;
    steps (steps_per_epoch / steps) caps the batches per epoch."""

    def __init__(self, data, steps, what):
        self.data, self.steps, self.what = data, steps, what
        self.sequence = not (hasattr(data, "__next__") and not hasattr(data, "__len__"))
        self.exhausted = False

    def num_steps(self):
        """Batches per epoch, or None when a generator's length is unknown."""
        if self.steps is not None:
            return self.steps
        return len(self.data) if self.sequence else None

    def epoch(self):
        """Yields (x, y, sample_weight) for each batch of the next epoch."""
        if self.sequence:
            n = len(self.data)
            for i in range(n if self.steps is None else min(self.steps, n)):
                yield unpack(self.data[i], self.what)
            return
        count = 0
        while self.steps is None or count < self.steps:
            try:
                batch = next(self.data)
            except StopIteration:
                if count == 0 or self.steps is not None:
                    self.exhausted = True
                    warnings.warn(f"Your input ran out of data: the {self.what} generator stopped after "
                                  f"{count} batches of this epoch. Pass steps_per_epoch and a generator "
                                  "that loops forever, or a PyDataset.", UserWarning, stacklevel=4)
                return
            count += 1
            yield unpack(batch, self.what)

    def end_epoch(self):
        if self.sequence and callable(getattr(self.data, "on_epoch_end", None)):
            self.data.on_epoch_end()


def collect(source, need_y):
    """Every batch of one pass, concatenated: evaluate and predict over a batch source give what they
    give on the whole arrays (their sums and outputs do not depend on the batching)."""
    import numpy as np
    xs, ys, ws = [], [], []
    for x, y, sw in source.epoch():
        if need_y and y is None:
            raise ValueError(f"the {source.what} must yield (x, y) or (x, y, sample_weight) batches to evaluate")
        xs.append(np.asarray(x))
        ys.append(y)
        ws.append(sw)
    source.end_epoch()
    if not xs:
        raise ValueError(f"the {source.what} gave no batches")
    def join(parts):
        return None if any(p is None for p in parts) else np.concatenate([np.asarray(p) for p in parts])
    return np.concatenate(xs), join(ys), join(ws)


def fit(model, source, epochs, initial_epoch, callbacks, verbose_level, verbose, validation_data,
        validation_freq, validation_batch_size, class_weight):
    """fit over a generator or PyDataset: one C training step per batch, Keras's callbacks and logs."""
    import math

    import numpy as np

    from cnn.callbacks import CallbackList
    lock = model._plans.lock
    cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose_level != 0, model=model,
                       verbose=verbose, epochs=epochs, steps=source.num_steps())
    if verbose_level == 2 and cbs._progbar is not None:
        cbs._progbar.verbose = 2
    model.stop_training = False
    model._initial_epoch = None
    cbs.on_train_begin()
    logs = {}
    for epoch in range((model._initial_epoch or initial_epoch), epochs):
        cbs.on_epoch_begin(epoch)
        model._reset_python_metrics()
        sums, step = None, 0
        for x, y, sw in source.epoch():
            if y is None:
                raise ValueError(f"the {source.what} must yield (x, y) or (x, y, sample_weight) batches to train")
            cbs.on_train_batch_begin(step)
            with lock:
                xa = model._features(x)
                ya = model._targets(xa, y)
                swa = model._weights(len(xa), ya, sw, class_weight)
                plan = model._get_plan(len(xa))
                part = model._train_steps(plan, xa, ya, swa, np.arange(len(xa), dtype=np.int64), len(xa), 0, 1,
                                          None)
            sums = model._merge(sums, part)
            cbs.on_train_batch_end(step, model._logs(sums))
            step += 1
            if model.stop_training:
                break
        source.end_epoch()
        if sums is None:   # an exhausted generator: Keras stops training too
            break
        logs = model._logs(sums)
        if validation_data is not None and model._should_validate(epoch, validation_freq):
            if is_batch_source(validation_data):
                val = model.evaluate(validation_data, verbose=0, return_dict=True)
            else:
                vx, vy, vsw = unpack(tuple(validation_data), "validation_data")
                val = model.evaluate(vx, vy, batch_size=validation_batch_size, sample_weight=vsw, verbose=0,
                                     return_dict=True)
            logs.update({"val_" + k: v for k, v in val.items()})
        if not math.isfinite(logs["loss"]):
            warnings.warn(f"The loss became NaN or infinite in epoch {epoch + 1}.", RuntimeWarning, stacklevel=3)
        cbs.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    with lock:
        model._finalize_ema()
    cbs.on_train_end(logs)
    return model.history

"""fit's budgets: `time_limit` (seconds) and `max_steps` (training steps), checked at the end of a step.

A run that uses its budget up stops as a callback's `model.stop_training = True` would: the epoch in
progress ends (its logs and validation go into the history) and `history.stop_reason` says why.
"""
import math
import numbers
import time

from cnn.callbacks import Callback

# history.stop_reason: why fit returned
COMPLETED, STOP_TRAINING, TIME_LIMIT, MAX_STEPS = "completed", "stop_training", "time_limit", "max_steps"


class Budget:
    """The time and steps a fit may still use; `reason` is set the moment one runs out."""

    def __init__(self, time_limit=None, max_steps=None):
        if time_limit is not None:
            if isinstance(time_limit, bool) or not isinstance(time_limit, numbers.Real) \
                    or not math.isfinite(time_limit) or time_limit <= 0:
                raise ValueError(f"time_limit must be a number of seconds > 0, got {time_limit!r}")
        if max_steps is not None:
            if isinstance(max_steps, bool) or not isinstance(max_steps, numbers.Integral) or max_steps < 1:
                raise ValueError(f"max_steps must be an integer >= 1, got {max_steps!r}")
            max_steps = int(max_steps)
        self.deadline = None if time_limit is None else time.monotonic() + float(time_limit)
        self.steps_left = max_steps
        self.reason = None

    def cap(self, chunk):
        """The steps the next call into the core may run."""
        return chunk if self.steps_left is None else min(chunk, self.steps_left)

    def spent(self, steps):
        """Counts steps that ran; True when the budget is used up."""
        if self.steps_left is not None:
            self.steps_left -= steps
            if self.steps_left <= 0 and self.reason is None:
                self.reason = MAX_STEPS
        return self.exhausted()

    def exhausted(self):
        if self.reason is None and self.deadline is not None and time.monotonic() >= self.deadline:
            self.reason = TIME_LIMIT
        return self.reason is not None

    def stop_reason(self, stop_training):
        return self.reason or (STOP_TRAINING if stop_training else COMPLETED)


class BudgetCallback(Callback):
    """The budget as a callback, for the loops that run one step per call (generators)."""

    def __init__(self, budget):
        super().__init__()
        self.budget = budget

    def on_train_batch_end(self, batch, logs=None):
        if self.budget.spent(1):
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.budget.exhausted():
            self.model.stop_training = True

"""fit on tiny data: several epochs in one call into the core (`Plan.train_epochs`) when nothing has to
run between them, then each epoch's logs and callbacks in order, as the epoch-by-epoch loop gives them.

That holds when the only callback is fit's own History (no user callback, no progress bar), there is
no validation and no budget, every epoch runs all its batches from the start of the data, and the
learning rate is one the core computes. The core shuffles each epoch with the same stream as
Trainer._permutation, so the weights and the history are the same bits. A thread may still set
`model.stop_training`: the core sees it within ~50 ms, and the epoch in progress ends there.
"""
import math
import warnings

import numpy as np

EPOCH_FLOPS = 5e6   # an epoch estimated above this runs alone: Python's cost per epoch is then small
CALL_FLOPS = 5e7    # epochs per call: about this much work, so the model's lock is never held long


def eligible(model, cbs, val, budget, steps, steps_full, shuffle, batch_hooks, n, initial_epoch, epochs):
    from cnn import _hooks
    from cnn.callbacks import History
    return (getattr(model, "_output_specs", None) is None and not _hooks.has_python_parts(model)
            and epochs - initial_epoch > 1 and not batch_hooks and val is None and steps == steps_full
            and shuffle in (True, False) and budget.deadline is None and budget.steps_left is None
            and len(cbs.callbacks) == 1 and type(cbs.callbacks[0]) is History
            and _epoch_flops(model, n) <= EPOCH_FLOPS)


def _epoch_flops(model, n):
    """Forward, backward and update of every sample: a rough 6 flops per sample and weight."""
    return 6.0 * n * max(model._n_trainable, 1)


def _logs(model, sums):
    """model._logs(sums), without its general machinery when only the loss is logged."""
    if model._metric_objects:
        return model._logs(sums)
    return {"loss": float(np.float32(sums[0] / sums[1])) if sums[1] else 0.0}


def run(model, plan, cbs, xa, ya, sw, batch_size, steps, shuffle, initial_epoch, epochs):
    """Trains epochs initial_epoch.. in chunks of epochs per core call; returns (last logs, finished)."""
    from cnn.utils import _global_seed
    per_call = max(1, int(CALL_FLOPS // _epoch_flops(model, len(xa))))
    opt, lock, history = model.optimizer, model._plans.lock, cbs.callbacks[0]
    logs, warned_nan = {}, False

    def progress(k, s):
        return model.stop_training

    epoch = initial_epoch
    while epoch < epochs:
        count = min(per_call, epochs - epoch)
        sums = []
        try:
            with lock:
                try:
                    _, last_steps = plan.train_epochs(xa, ya, sw, batch_size, steps, bool(shuffle), _global_seed(),
                                                      epoch, count, opt.iterations, model._step_schedule(),
                                                      progress, 0.05, sums)
                finally:
                    if plan.iteration >= 0:
                        opt.iterations = plan.iteration
        finally:   # also on Ctrl-C: the finished epochs go into the history
            all_logs = [_logs(model, s) for s in sums]
            for i, logs in enumerate(all_logs):
                if not warned_nan and not math.isfinite(logs["loss"]):
                    warned_nan = True
                    warnings.warn(f"The loss became NaN or infinite in epoch {epoch + i + 1}: the weights are no "
                                  "longer usable. Try a smaller learning rate or scaled inputs. (Training goes on, "
                                  "as in Keras; add cnn.callbacks.TerminateOnNaN() to stop it.)", RuntimeWarning,
                                  stacklevel=3)
            history._on_epochs_end(epoch, all_logs)   # fit's own History, the only callback
            epoch += len(all_logs)
            logs = all_logs[-1] if all_logs else logs
        if model.stop_training:
            return logs, epoch == epochs and last_steps == steps
    return logs, True

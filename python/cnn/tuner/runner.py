"""Runs one trial wherever it lands (this process, a Dask worker, a process pool): builds, seeds, fits.

Everything a trial needs travels in one picklable `task` dict, so its result depends only on it: the
same task gives the same scores on any machine and any worker."""
import copy
import math
import os
import sys
import threading
import time

# Seeds and the thread count are process-wide in cnn: trials sharing a process run one at a time.
_LOCK = threading.Lock()


def _callbacks_copy(callbacks):
    try:
        return copy.deepcopy(callbacks)
    except Exception:   # a callback holding something uncopyable is shared, as Keras would
        return list(callbacks)


def _best_epoch_tracker(objective):
    from cnn.callbacks import Callback

    class _BestEpoch(Callback):
        """Keeps the objective's best epoch and the weights at that epoch (KerasTuner's checkpoint)."""

        def __init__(self):
            super().__init__()
            self.best, self.weights, self.epoch = None, None, None

        def on_epoch_end(self, epoch, logs=None):
            value = (logs or {}).get(objective.name)
            if value is None or not math.isfinite(float(value)):
                return
            if objective.better(float(value), self.best):
                self.best, self.epoch = float(value), epoch
                self.weights = self.model.get_weights()   # copies already

    return _BestEpoch()


def _worker_threads():
    """The thread count of the Dask worker this runs on, else None."""
    if "distributed" not in sys.modules:   # not a Dask worker (importing it would cost ~30 MB)
        return None
    try:
        from distributed import get_worker
        return get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):
        return None


def _metrics_of(result, objective, tracker):
    """The execution's best value of each metric, from what HyperModel.fit returned."""
    if hasattr(result, "history"):
        hist = dict(result.history)
    elif isinstance(result, dict):
        hist = {k: [float(v)] for k, v in result.items()}
    elif isinstance(result, (int, float)):
        hist = {objective.name: [float(result)]}
    else:
        raise TypeError(f"HyperModel.fit must return a History, a dict or a number, got {type(result).__name__}")
    if objective.name not in hist:
        raise ValueError(f"objective {objective.name!r} is not in the fit results; keys: {sorted(hist)}")
    best = {}
    for key, values in hist.items():
        vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
        if vals:
            direction = objective.direction if key == objective.name else _direction_guess(key, objective)
            best[key] = min(vals) if direction == "min" else max(vals)
    return best, {k: [float(v) for v in vals] for k, vals in hist.items()}


def _direction_guess(key, objective):
    from cnn.tuner.objective import infer_direction
    try:
        return infer_direction(key)
    except ValueError:
        return objective.direction


def run_trial(task):
    """Runs the task's executions; returns the score (mean of each execution's best objective value)."""
    from cnn import utils

    payload = task["payload"]
    if isinstance(payload, bytes):   # packed for another process; in this one, the objects themselves
        import cloudpickle
        payload = cloudpickle.loads(payload)
    hypermodel, args, fit_kwargs = payload
    objective, hp = task["objective"], task["hp"]
    started, start, cpu = time.time(), time.perf_counter(), time.thread_time()
    with _LOCK:
        threads = task.get("threads") or _worker_threads()
        if threads:
            utils.set_num_threads(int(threads))
        metrics, histories, weights, best_epoch = [], [], None, None
        for i, seed in enumerate(task["seeds"]):
            utils.set_random_seed(seed)
            model = hypermodel.build(hp)
            if task.get("parent_weights") is not None:
                model.set_weights(task["parent_weights"])
            kwargs = dict(fit_kwargs)
            tracker = _best_epoch_tracker(objective)
            kwargs["callbacks"] = list(_callbacks_copy(list(kwargs.get("callbacks") or []))) + [tracker]
            if "epochs" in task:
                kwargs["epochs"], kwargs["initial_epoch"] = task["epochs"], task.get("initial_epoch", 0)
            result = hypermodel.fit(hp, model, *args, **kwargs)
            best, hist = _metrics_of(result, objective, tracker)
            metrics.append(best)
            histories.append(hist)
            if i == 0:   # the model get_best_models returns: the first execution at its best epoch
                weights = tracker.weights if tracker.weights is not None else model.get_weights()
                best_epoch = tracker.epoch
    keys = set.intersection(*(set(m) for m in metrics))
    mean = {k: float(sum(m[k] for m in metrics) / len(metrics)) for k in sorted(keys)}
    score = mean.get(objective.name)
    return {"trial_id": task["trial_id"], "score": score, "values": dict(hp.values), "metrics": mean,
            "histories": histories, "weights": weights, "best_epoch": best_epoch,
            "worker": {"pid": os.getpid(), "cnn_threads": utils.get_num_threads(), "started": started,
                       "seconds": time.perf_counter() - start, "cpu_seconds": time.thread_time() - cpu}}


def run_trial_safely(task):
    """run_trial for executors: a trial's own error comes back as a value (the search records it and
    goes on) instead of being logged by the executor with the whole task."""
    try:
        return run_trial(task)
    except Exception as e:
        return {"trial_id": task["trial_id"], "error": f"{type(e).__name__}: {e}"}

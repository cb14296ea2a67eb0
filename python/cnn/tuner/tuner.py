"""Tuner: runs an oracle's plan, trial by trial or on an executor, keeps the trials on disk and reports."""
import copy
import os
import random
import time

import numpy as np

from cnn.tuner import executors
from cnn.tuner.hypermodel import to_hypermodel
from cnn.tuner.hyperparameters import Boolean, Choice, Fixed, HyperParameters
from cnn.tuner.objective import to_objective
from cnn.tuner.storage import Storage


def trial_seed(seed, number, execution=0):
    """The seed of one execution of one trial: a function of the search's seed and the trial id only."""
    return int(np.random.SeedSequence([seed, number, execution]).generate_state(1)[0] >> 1)


class Trial:
    """A finished trial: trial_id, hyperparameters, score, metrics (best value of each history key,
    averaged over executions), status ("COMPLETED" or "FAILED"), best_step (the best epoch)."""

    def __init__(self, record, space):
        self.record = record
        self.trial_id = record["trial_id"]
        self.hyperparameters = space.with_values(record["values"])
        self.hyperparameters.values.update({k: v for k, v in record["values"].items() if k not in space._by_name()})
        self.score, self.metrics, self.status = record.get("score"), record.get("metrics", {}), record["status"]
        self.best_step = record.get("best_epoch")

    def summary(self):
        print(f"Trial {self.trial_id} summary\nHyperparameters:")
        for name, value in self.hyperparameters.values.items():
            print(f"{name}: {value}")
        if self.score is not None:
            print(f"Score: {self.score}")
        elif self.status == "FAILED":
            print(f"Trial failed: {self.record.get('error', '')}")


def _check_positive(name, value, allow_none=False):
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


class Tuner:
    """The shared machinery of RandomSearch, GridSearch, Hyperband and BayesianOptimization."""

    def __init__(self, oracle, hypermodel=None, objective=None, executions_per_trial=1, directory=None,
                 project_name=None, overwrite=False, seed=None, hyperparameters=None, tune_new_entries=True,
                 allow_new_entries=True, max_retries_per_trial=0, max_consecutive_failed_trials=3, **kwargs):
        if kwargs:
            raise TypeError(f"unknown arguments: {sorted(kwargs)}")
        if hypermodel is None:
            raise ValueError("hypermodel is required: a build_model(hp) function or a HyperModel")
        self.hypermodel = to_hypermodel(hypermodel)
        self.objective = to_objective(objective)
        _check_positive("executions_per_trial", executions_per_trial)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"seed must be an integer >= 0 or None, got {seed!r}")
        self.executions_per_trial = int(executions_per_trial)
        self.max_retries_per_trial, self.max_consecutive_failed_trials = max_retries_per_trial, \
            max_consecutive_failed_trials
        self.directory = "." if directory is None else os.fspath(directory)
        self.project_name = "untitled_project" if project_name is None else project_name
        self.project_dir = os.path.join(self.directory, self.project_name)
        self._storage = Storage(self.directory, self.project_name, overwrite)
        saved = self._storage.read_oracle()
        if seed is None:   # a resumed search keeps the seed it started with
            seed = saved["seed"] if saved else random.SystemRandom().randrange(2**31)
        self.seed = int(seed)
        self.oracle = oracle
        self.oracle.seed = self.seed
        self.oracle.tuner = self
        self.hyperparameters = self._discover(hyperparameters, tune_new_entries, allow_new_entries)
        self._storage.write_oracle({"seed": self.seed, "objective": [self.objective.name, self.objective.direction],
                                    "tuner": type(self).__name__})
        self.trials = {}   # trial_id -> Trial, in id order once sorted
        self._load()

    # --- the search space --------------------------------------------------------------------------
    def _discover(self, given, tune_new_entries, allow_new_entries):
        """Calls build(hp) until the space stops growing, trying each value of a Choice/Boolean so the
        hyperparameters of every conditional branch are registered."""
        hp = given.copy() if given is not None else HyperParameters()
        fixed = {h.name for h in hp.space}
        if not allow_new_entries:
            return hp
        tried = set()
        pending = [dict(hp.values)]
        while pending and len(tried) < 64:
            values = pending.pop(0)
            key = tuple(sorted((k, repr(v)) for k, v in values.items()))
            if key in tried:
                continue
            tried.add(key)
            trial_hp = hp.with_values(values)
            self.hypermodel.build(trial_hp)
            hp.space = trial_hp.space
            for h in hp.space:
                if isinstance(h, (Choice, Boolean)) and h.is_active(trial_hp.values):
                    pending.extend({**trial_hp.values, h.name: v} for v in h.values())
        if not tune_new_entries:   # new entries keep their defaults
            hp.space = [h if h.name in fixed else Fixed(h.name, h.default, h.conditions) for h in hp.space]
        hp.values = {}
        return hp

    def search_space_summary(self, extended=False):
        space = self.hyperparameters.space
        print("Search space summary")
        print(f"Default search space size: {len(space)}")
        for h in space:
            print(f"{h.name} ({h.kind})")
            print({k: v for k, v in h.get_config().items() if k != "name"})

    # --- running -------------------------------------------------------------------------------------
    def _trial_id(self, number):
        return f"{number:0{max(2, len(str(max(0, (self._max_trials() or 1) - 1))))}d}"

    def _max_trials(self):
        return getattr(self.oracle, "max_trials", None)

    def _load(self):
        for trial_id, record in self._storage.load_trials().items():
            self.trials[trial_id] = Trial(record, self.hyperparameters)

    def search(self, *fit_args, executor=None, **fit_kwargs):
        """Runs the search: fit_args and fit_kwargs go to model.fit (x, y, epochs, validation_data,
        callbacks, ...). `executor`: None (this process), a dask.distributed.Client or a
        concurrent.futures.Executor. Finished trials are on disk at once; calling search again after an
        interruption runs only the trials that had not finished."""
        executor = executors.check_executor(executor)
        verbose = fit_kwargs.get("verbose", 1)
        shared = (self.hypermodel, fit_args, fit_kwargs)
        payload = executors.pack(*shared) if executor is not None else shared
        plan = self.oracle.plan(self.hyperparameters.space, self.objective)
        start, number, failures = time.time(), 0, 0
        try:
            wave = next(plan)
        except StopIteration:
            return
        while True:
            tasks, results = [], {}
            for proposal in wave:
                trial_id = self._trial_id(number)
                known = self.trials.get(trial_id)
                if known is not None and known.status == "COMPLETED":
                    results[trial_id] = {"trial_id": trial_id, "score": known.score}
                else:
                    tasks.append(self._task(trial_id, number, proposal, payload, executor))
                number += 1
            for attempt in range(self.max_retries_per_trial + 1):
                retry = []

                def finished(task, outcome, last=attempt == self.max_retries_per_trial):
                    nonlocal failures
                    if (isinstance(outcome, Exception) or "error" in outcome) and not last:
                        retry.append(task)
                        return
                    trial = self._record(task, outcome)
                    results[task["trial_id"]] = {"trial_id": task["trial_id"], "score": trial.score}
                    failures = failures + 1 if trial.status == "FAILED" else 0
                    if verbose:
                        self._report(trial, len(self.trials), start)
                    if failures >= self.max_consecutive_failed_trials:
                        raise RuntimeError(f"{failures} consecutive trials failed; the last: "
                                           f"{trial.record.get('error')}")

                if executor is not None:
                    tasks.sort(key=lambda t: -self._estimated_cost(t, fit_kwargs))
                executors.run_wave(executor, tasks, finished)
                tasks = retry
                if not tasks:
                    break
            ordered = [results[self._trial_id(number - len(wave) + i)] for i in range(len(wave))]
            try:
                wave = plan.send(ordered)
            except StopIteration:
                break
        if verbose:
            print(f"Search finished: {len(self.trials)} trials in {time.time() - start:.1f} s")

    def _estimated_cost(self, task, fit_kwargs):
        """A trial's relative cost, to hand the longest trials to the workers first: weights x epochs x
        executions (a dense layer's work grows with its weights). Building a model here costs
        milliseconds; a model that cannot be built here counts as 0 and keeps its place."""
        if "cost" not in task:
            try:
                params = self.hypermodel.build(copy.deepcopy(task["hp"])).count_params()
            except Exception:
                params = 0
            epochs = task.get("epochs", fit_kwargs.get("epochs", 1)) - task.get("initial_epoch", 0)
            task["cost"] = params * epochs * len(task["seeds"])
        return task["cost"]

    def _task(self, trial_id, number, proposal, payload, executor):
        task = {"trial_id": trial_id, "hp": self.hyperparameters.with_values(proposal["values"]),
                "values": proposal["values"], "objective": self.objective, "payload": payload,
                "seeds": [trial_seed(self.seed, number, e) for e in range(self.executions_per_trial)],
                "threads": executors.process_threads(executor)}
        if "epochs" in proposal:   # Hyperband
            extra = {"tuner/epochs": proposal["epochs"], "tuner/initial_epoch": proposal["initial_epoch"],
                     "tuner/bracket": proposal["bracket"], "tuner/round": proposal["round"]}
            task.update(epochs=proposal["epochs"], initial_epoch=proposal["initial_epoch"], tuner_values=extra)
            if "parent" in proposal:
                extra["tuner/trial_id"] = proposal["parent"]
                task["parent_weights"] = self._trial_weights(proposal["parent"])
        return task

    def _record(self, task, outcome):
        record = {"trial_id": task["trial_id"], "values": {**task["values"], **task.get("tuner_values", {})},
                  "seeds": task["seeds"]}
        if isinstance(outcome, Exception) or "error" in outcome:
            error = outcome["error"] if isinstance(outcome, dict) else f"{type(outcome).__name__}: {outcome}"
            record.update(status="FAILED", score=None, metrics={}, error=error)
            weights = None
        else:
            # values registered by HyperModel.fit are kept at their defaults, and recorded
            record["values"] = {**outcome["values"], **record["values"]}
            record.update(status="COMPLETED", score=outcome["score"], metrics=outcome["metrics"],
                          best_epoch=outcome["best_epoch"], histories=outcome["histories"],
                          worker=outcome["worker"])
            weights = outcome["weights"]   # on disk only: a search keeps no trial's weights in memory
        self._storage.save_trial(record, weights)
        trial = Trial(record, self.hyperparameters)
        self.trials[trial.trial_id] = trial
        return trial

    def _report(self, trial, done, start):
        best = self._ranked()[0] if self._ranked() else None
        print(f"Trial {trial.trial_id} {'Complete' if trial.status == 'COMPLETED' else 'Failed'} "
              f"({done} done, {time.time() - start:.1f} s) {self.objective.name}: {trial.score}"
              + (f" | best so far: {best.score} (trial {best.trial_id})" if best else ""))

    def _trial_weights(self, trial_id):
        return self._storage.load_weights(trial_id)

    # --- results -------------------------------------------------------------------------------------
    def _ranked(self):
        done = [t for t in self.trials.values() if t.status == "COMPLETED" and t.score is not None]
        return sorted(done, key=lambda t: (self.objective.sort_key(t.score), t.trial_id))

    def get_best_hyperparameters(self, num_trials=1):
        _check_positive("num_trials", num_trials)
        return [t.hyperparameters for t in self._ranked()[:num_trials]]

    def get_best_models(self, num_models=1):
        """The best trials' models (first execution, weights of its best epoch), compiled as build made them."""
        _check_positive("num_models", num_models)
        from cnn import utils
        models = []
        for t in self._ranked()[:num_models]:
            utils.set_random_seed(t.record["seeds"][0])
            model = self.hypermodel.build(t.hyperparameters)
            weights = self._trial_weights(t.trial_id)
            if weights is not None:
                model.set_weights(weights)
            models.append(model)
        return models

    def results_summary(self, num_trials=10):
        print("Results summary")
        print(f"Results in {self.project_dir}")
        print(f"Showing {num_trials} best trials")
        print(self.objective)
        for t in self._ranked()[:num_trials]:
            print()
            t.summary()

    def trials_dataframe(self):
        """A pandas DataFrame, one row per finished trial (id order): hyperparameters, score, metrics."""
        import pandas as pd
        rows = []
        for trial_id in sorted(self.trials):
            t = self.trials[trial_id]
            rows.append({"trial_id": trial_id, **t.hyperparameters.values, "score": t.score, "status": t.status,
                         **{f"metric:{k}" if k == "score" else k: v for k, v in t.metrics.items()},
                         "best_epoch": t.best_step})
        return pd.DataFrame(rows)

    @property
    def project_path(self):
        return self.project_dir

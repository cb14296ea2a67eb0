"""The search algorithms. Each oracle's plan() is a generator: it yields a wave of proposals (dicts of
hyperparameter values, plus "epochs"/"initial_epoch"/"parent" for Hyperband) and receives the wave's
scores back. A wave's trials are independent, so they run in parallel on an executor; the plan is a
pure function of the seed and the scores, so a resumed or distributed search replays it exactly."""
import math

import numpy as np

from cnn.tuner.hyperparameters import Boolean, Choice, Fixed, Float, Int


def _rng(seed, *keys):
    return np.random.default_rng([seed, *keys])


def _freeze(values):
    return tuple(sorted((k, repr(v)) for k, v in values.items()))


def random_values(space, rng):
    """One random point: each active hyperparameter drawn in the order build_model registered them."""
    values = {}
    for hp in space:
        if hp.is_active(values):
            values[hp.name] = hp.sample(rng)
    return values


def grid_values(space, values=None, start=0):
    """Every point of the grid, the first-registered hyperparameter varying slowest."""
    values = dict(values or {})
    for i in range(start, len(space)):
        hp = space[i]
        if hp.is_active(values):
            for v in hp.values():
                yield from grid_values(space, {**values, hp.name: v}, i + 1)
            return
    yield values


class Oracle:
    """The base of the oracles: KerasTuner's tuner.oracle.get_best_trials() and tuner.oracle.trials."""
    tuner = None   # set by the Tuner that runs this oracle

    @property
    def trials(self):
        return dict(self.tuner.trials) if self.tuner else {}

    def get_best_trials(self, num_trials=1):
        return self.tuner._ranked()[:num_trials] if self.tuner else []


class RandomOracle(Oracle):
    def __init__(self, max_trials=10, seed=0):
        self.max_trials, self.seed = max_trials, seed

    def plan(self, space, objective):
        seen, wave = set(), []
        for n in range(self.max_trials):
            for attempt in range(100):   # KerasTuner redraws a point already tried
                values = random_values(space, _rng(self.seed, n, attempt))
                if _freeze(values) not in seen:
                    break
            else:
                break   # the space is exhausted
            seen.add(_freeze(values))
            wave.append({"values": values})
        yield wave


class GridOracle(Oracle):
    def __init__(self, max_trials=None, seed=0):
        self.max_trials, self.seed = max_trials, seed

    def plan(self, space, objective):
        wave = []
        for values in grid_values(space):
            if self.max_trials is not None and len(wave) >= self.max_trials:
                break
            wave.append({"values": values})
        yield wave


class HyperbandOracle(Oracle):
    """KerasTuner's Hyperband schedule; a round's survivors resume from their parent's weights."""

    def __init__(self, max_epochs=100, factor=3, hyperband_iterations=1, seed=0, max_trials=None):
        self.max_epochs, self.factor, self.iterations, self.seed = max_epochs, factor, hyperband_iterations, seed
        self.max_trials = max_trials
        self.min_epochs = 1

    def _brackets(self):
        return int(math.log(self.max_epochs / self.min_epochs, self.factor) + 1e-9) + 1

    def _size(self, bracket, rnd):
        end = math.ceil(1 + math.log(self.max_epochs, self.factor)) / (bracket + 1)
        return math.ceil(end * self.factor ** (bracket - rnd))

    def _epochs(self, bracket, rnd):
        return math.ceil(self.max_epochs / self.factor ** (bracket - rnd))

    def plan(self, space, objective):
        seen, drawn, total = set(), 0, 0
        for it in range(self.iterations):
            for bracket in reversed(range(self._brackets())):
                wave = []
                for _ in range(self._size(bracket, 0)):
                    for attempt in range(100):
                        values = random_values(space, _rng(self.seed, drawn, attempt))
                        if _freeze(values) not in seen:
                            break
                    drawn += 1
                    seen.add(_freeze(values))
                    wave.append({"values": values, "epochs": self._epochs(bracket, 0), "initial_epoch": 0,
                                 "bracket": bracket, "round": 0})
                for rnd in range(bracket + 1):
                    if self.max_trials is not None:
                        wave = wave[:max(0, self.max_trials - total)]
                    if not wave:
                        return
                    results = yield wave
                    total += len(wave)
                    if rnd == bracket:
                        break
                    ranked = sorted(zip(wave, results), key=lambda pr: objective.sort_key(pr[1]["score"]))
                    keep = [pr for pr in ranked if pr[1]["score"] is not None][:self._size(bracket, rnd + 1)]
                    wave = [{"values": p["values"], "epochs": self._epochs(bracket, rnd + 1),
                             "initial_epoch": p["epochs"], "parent": r["trial_id"], "bracket": bracket,
                             "round": rnd + 1} for p, r in keep]


class BayesianOracle(Oracle):
    """Optuna's TPE sampler (an optional extra): a first wave of random points, then one trial at a time."""

    def __init__(self, max_trials=10, num_initial_points=None, seed=0):
        self.max_trials, self.num_initial_points, self.seed = max_trials, num_initial_points, seed

    def plan(self, space, objective):
        try:
            import optuna
        except ImportError as e:
            raise ImportError("BayesianOptimization needs Optuna: pip install 'cnn[tune]'") from e
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        tunable = [hp for hp in space if not isinstance(hp, Fixed)]
        initial = self.num_initial_points or max(3 * len(tunable), 2)
        initial = min(initial, self.max_trials)
        sampler = optuna.samplers.TPESampler(seed=self.seed % 2**32, n_startup_trials=initial)
        study = optuna.create_study(direction="minimize" if objective.direction == "min" else "maximize",
                                    sampler=sampler)
        done = 0
        while done < self.max_trials:
            size = initial if done == 0 else 1
            asked = [study.ask() for _ in range(size)]
            results = yield [{"values": _suggest(t, space)} for t in asked]
            for t, r in zip(asked, results):
                if r["score"] is None:
                    study.tell(t, state=optuna.trial.TrialState.FAIL)
                else:
                    study.tell(t, r["score"])
            done += size


def _suggest(trial, space):
    values = {}
    for hp in space:
        if not hp.is_active(values):
            continue
        if isinstance(hp, Fixed):
            values[hp.name] = hp.value
        elif isinstance(hp, Boolean):
            values[hp.name] = trial.suggest_categorical(hp.name, [False, True])
        elif isinstance(hp, Choice):
            values[hp.name] = trial.suggest_categorical(hp.name, hp.values())
        elif isinstance(hp, Int):
            log = hp.sampling != "linear"
            if log and hp.step:   # a multiplicative step: choose among its points
                values[hp.name] = trial.suggest_categorical(hp.name, hp.values())
            else:
                values[hp.name] = trial.suggest_int(hp.name, hp.min_value, hp.max_value,
                                                    step=1 if log else hp.step, log=log)
        elif isinstance(hp, Float):
            log = hp.sampling != "linear"
            if hp.step is not None and log:
                values[hp.name] = trial.suggest_categorical(hp.name, hp.values())
            else:
                values[hp.name] = trial.suggest_float(hp.name, hp.min_value, hp.max_value, step=hp.step, log=log)
    return values

"""cnn.tuner in this process: the space, the four tuners, resume, the results, KerasTuner's API."""
import subprocess
import sys

import numpy as np
import pytest

import cnn
import tuner_models
from cnn import layers
from cnn.tuner import BayesianOptimization, GridSearch, Hyperband, HyperModel, HyperParameters, Objective, RandomSearch

(XT, YT), (XV, YV) = cnn.datasets.load_red_wine()
XT, YT = XT[:400], YT[:400]
FIT = {"epochs": 4, "batch_size": 64, "validation_data": (XV, YV), "verbose": 0}


def scores(tuner):
    return {tid: (t.hyperparameters.values, t.score) for tid, t in tuner.trials.items()}


def test_hyperparameters_register_and_return_defaults():
    hp = HyperParameters()
    assert hp.Int("units", 32, 512, step=32) == 32
    assert hp.Float("lr", 1e-4, 1e-2, sampling="log") == 1e-4
    assert hp.Choice("act", ["relu", "tanh"]) == "relu"
    assert hp.Boolean("bn") is False
    assert hp.Fixed("bs", 64) == 64
    with hp.conditional_scope("act", ["tanh"]):
        assert hp.Int("extra", 1, 3) is None   # inactive: act is relu
    assert hp.values == {"units": 32, "lr": 1e-4, "act": "relu", "bn": False, "bs": 64}
    assert [h.name for h in hp.space] == ["units", "lr", "act", "bn", "bs", "extra"]
    active = hp.with_values({"units": 64, "lr": 1e-3, "act": "tanh", "bn": True, "bs": 64, "extra": 2})
    assert active.get("extra") == 2 and active["units"] == 64


@pytest.mark.parametrize("call, message", [
    (lambda hp: hp.Int("u", 5, 1), "max_value"),
    (lambda hp: hp.Int("u", 1.5, 3), "min_value"),
    (lambda hp: hp.Float("f", 0.0, 1.0, sampling="log"), "min_value > 0"),
    (lambda hp: hp.Float("f", 0.0, 1.0, sampling="cubic"), "'cubic'"),
    (lambda hp: hp.Choice("c", []), "non-empty"),
    (lambda hp: hp.Boolean("b", default="yes"), "'yes'"),
    (lambda hp: hp.Int("", 1, 2), "name"),
])
def test_bad_hyperparameters_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call(HyperParameters())


def test_bad_tuner_arguments():
    with pytest.raises(ValueError, match="max_trials must be an integer >= 1, got 0"):
        RandomSearch(tuner_models.red_wine, max_trials=0)
    with pytest.raises(ValueError, match="could not infer the direction of objective 'val_score'"):
        RandomSearch(tuner_models.red_wine, objective="val_score")
    with pytest.raises(TypeError, match="hypermodel must be"):
        RandomSearch(42)
    with pytest.raises(ValueError, match="direction must be 'min' or 'max', got 'up'"):
        Objective("val_loss", "up")


def test_random_search_is_reproducible_and_finds_the_best(tmp_path):
    runs = []
    for name in ("a", "b"):
        t = RandomSearch(tuner_models.red_wine, objective="val_loss", max_trials=5, seed=7,
                         directory=tmp_path, project_name=name)
        t.search(XT, YT, **FIT)
        runs.append(t)
    assert scores(runs[0]) == scores(runs[1]) and len(runs[0].trials) == 5
    values = [tuple(sorted(t.hyperparameters.values.items())) for t in runs[0].trials.values()]
    assert len(set(values)) == 5   # no point tried twice
    best = runs[0].get_best_hyperparameters()[0]
    assert runs[0].trials_dataframe()["score"].min() == min(s for _, s in scores(runs[0]).values())
    best_trial = min(runs[0].trials.values(), key=lambda t: t.score)
    assert best.values == best_trial.hyperparameters.values
    assert runs[0].oracle.get_best_trials(1)[0] is best_trial and len(runs[0].oracle.trials) == 5
    model = runs[0].get_best_models(1)[0]   # the weights of the best epoch: it scores the trial's score
    assert model.evaluate(XV, YV, verbose=0) == pytest.approx(best_trial.score, rel=1e-6)
    other = RandomSearch(tuner_models.red_wine, max_trials=5, seed=8, directory=tmp_path, project_name="c")
    other.search(XT, YT, **FIT)
    assert scores(other) != scores(runs[0])


def test_an_interrupted_search_resumes_where_it_stopped(tmp_path):
    built, stop = [], [None]

    def build(hp):
        built.append(hp.values.get("units"))
        if len(built) == stop[0]:   # Ctrl-C during the third trial
            raise KeyboardInterrupt
        return tuner_models.red_wine(hp)

    t = RandomSearch(build, max_trials=6, seed=3, directory=tmp_path, project_name="p")
    discovery = len(built)
    stop[0] = discovery + 3
    with pytest.raises(KeyboardInterrupt):
        t.search(XT, YT, **FIT)
    assert sorted(p.name for p in (tmp_path / "p").glob("trial_*")) == ["trial_00", "trial_01"]
    built.clear()
    stop[0] = None
    resumed = RandomSearch(build, max_trials=6, directory=tmp_path, project_name="p")   # the seed is on disk
    assert resumed.seed == 3 and len(resumed.trials) == 2
    resumed.search(XT, YT, **FIT)
    assert len(built) == discovery + 4   # discovery, then only the four trials that had not finished
    whole = RandomSearch(tuner_models.red_wine, max_trials=6, seed=3, directory=tmp_path, project_name="q")
    whole.search(XT, YT, **FIT)
    assert scores(resumed) == scores(whole)
    fresh = RandomSearch(tuner_models.red_wine, max_trials=6, seed=3, directory=tmp_path, project_name="p",
                         overwrite=True)
    assert fresh.trials == {}


def test_grid_search_covers_the_grid(tmp_path):
    def build(hp):
        model = cnn.Sequential([layers.Input((11,)), layers.Dense(hp.Choice("units", [4, 8]), activation="relu"),
                                layers.Dense(1)])
        model.compile(optimizer=cnn.optimizers.SGD(hp.Choice("lr", [0.01, 0.1, 0.3])), loss="mse")
        return model

    t = GridSearch(build, objective=Objective("val_loss", "min"), directory=tmp_path, seed=0)
    t.search(XT, YT, **FIT)
    assert sorted((tr.hyperparameters["units"], tr.hyperparameters["lr"]) for tr in t.trials.values()) == \
        [(4, 0.01), (4, 0.1), (4, 0.3), (8, 0.01), (8, 0.1), (8, 0.3)]


def test_conditional_scopes_and_max_objective(tmp_path):
    (xt, yt), (xv, yv) = cnn.datasets.load_ionosphere()

    def build(hp):
        model = cnn.Sequential([layers.Input((33,))])
        if hp.Boolean("hidden"):
            with hp.conditional_scope("hidden", [True]):
                model.add(layers.Dense(hp.Int("width", 4, 16, step=4), activation="relu"))
        model.add(layers.Dense(1, activation="sigmoid"))
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    t = RandomSearch(build, objective="val_accuracy", max_trials=6, seed=1, directory=tmp_path)
    assert [h.name for h in t.hyperparameters.space] == ["hidden", "width"]   # found in the True branch
    t.search(xt, yt, epochs=3, validation_data=(xv, yv), verbose=0)
    for trial in t.trials.values():
        assert ("width" in trial.hyperparameters.values) == trial.hyperparameters["hidden"]
    best = max(t.trials.values(), key=lambda tr: tr.score)
    assert t.get_best_hyperparameters()[0].values == best.hyperparameters.values
    assert t.objective == Objective("val_accuracy", "max")


def test_hyperband_schedule_and_warm_start(tmp_path):
    t = Hyperband(tuner_models.red_wine, objective="val_loss", max_epochs=9, factor=3, seed=0, directory=tmp_path)
    t.search(XT, YT, **FIT)
    trials = list(t.trials.values())
    epochs = sorted(tr.hyperparameters["tuner/epochs"] for tr in trials)
    # brackets 2, 1, 0: 9 x 1 epoch, 3 x 3, 1 x 9; then 5 x 3, 2 x 9; then 3 x 9 (KerasTuner's sizes)
    # KerasTuner's brackets for max_epochs=9, factor=3: (9 x 1 epoch, 3 x 3, 1 x 9), (5 x 3, 2 x 9), (3 x 9)
    assert epochs == [1] * 9 + [3] * 8 + [9] * 6
    continued = [tr for tr in trials if "tuner/trial_id" in tr.hyperparameters.values]
    assert continued and all(tr.hyperparameters["tuner/initial_epoch"] > 0 for tr in continued)
    for tr in continued:
        parent = t.trials[tr.hyperparameters["tuner/trial_id"]]
        same = {k: v for k, v in parent.hyperparameters.values.items() if not k.startswith("tuner/")}
        assert same == {k: v for k, v in tr.hyperparameters.values.items() if not k.startswith("tuner/")}


def test_bayesian_optimization_with_optuna(tmp_path):
    pytest.importorskip("optuna")
    runs = []
    for name in ("a", "b"):
        t = BayesianOptimization(tuner_models.red_wine, max_trials=6, num_initial_points=3, seed=5,
                                 directory=tmp_path, project_name=name)
        t.search(XT, YT, **FIT)
        runs.append(scores(t))
    assert runs[0] == runs[1] and len(runs[0]) == 6


def test_executions_callbacks_and_custom_hypermodel(tmp_path):
    epochs_seen = []

    class Wine(HyperModel):
        def build(self, hp):
            return tuner_models.red_wine(hp)

        def fit(self, hp, model, *args, **kwargs):
            kwargs["batch_size"] = hp.Choice("batch_size", [32, 128])
            return model.fit(*args, **kwargs)

    counter = cnn.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: epochs_seen.append(epoch))
    t = RandomSearch(Wine(), max_trials=2, executions_per_trial=2, seed=0, directory=tmp_path)
    t.search(XT, YT, epochs=3, validation_data=(XV, YV), verbose=0, callbacks=[counter])
    assert epochs_seen == [0, 1, 2] * 4   # every execution of every trial
    for trial in t.trials.values():
        assert trial.hyperparameters["batch_size"] == 32   # registered by fit: recorded, at its default
        assert len(trial.record["histories"]) == 2 and len(set(trial.record["seeds"])) == 2
        bests = [min(h["val_loss"]) for h in trial.record["histories"]]
        assert trial.score == pytest.approx(np.mean(bests))


def test_summaries_print_keras_tuner_layout(tmp_path, capsys):
    t = RandomSearch(tuner_models.red_wine, max_trials=2, seed=0, directory=tmp_path, project_name="s")
    t.search_space_summary()
    out = capsys.readouterr().out
    assert out.startswith("Search space summary\nDefault search space size: 3\nunits (Int)\n")
    t.search(XT, YT, **FIT)
    t.results_summary(1)
    out = capsys.readouterr().out
    assert out.startswith(f"Results summary\nResults in {tmp_path / 's'}\nShowing 1 best trials\n"
                          'Objective(name="val_loss", direction="min")\n\nTrial ')
    assert "Hyperparameters:\nunits: " in out and "\nScore: " in out


def test_import_cnn_tuner_loads_no_optional_dependency():
    code = ("import sys, cnn, cnn.tuner; cnn.Sequential; "
            "print(sorted(m for m in ('dask', 'distributed', 'sklearn', 'optuna', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_thread_pool_executor_gives_the_same_trials(tmp_path):
    import concurrent.futures
    runs = []
    for name, executor in (("here", None), ("threads", concurrent.futures.ThreadPoolExecutor(2))):
        t = RandomSearch(tuner_models.red_wine, max_trials=4, seed=9, directory=tmp_path, project_name=name)
        t.search(XT, YT, executor=executor, **FIT)   # trials sharing a process take turns: seeds are global
        runs.append(scores(t))
    assert runs[0] == runs[1] and len(runs[0]) == 4


def test_an_executor_gets_the_largest_trials_first(tmp_path):
    # one worker: trials start in the order they were handed over; the tail of a search on several
    # workers is shortest when the longest trials go first
    import concurrent.futures
    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        t = RandomSearch(tuner_models.red_wine, max_trials=6, seed=3, directory=tmp_path)
        t.search(XT, YT, executor=executor, **FIT)
    by_start = sorted(t.trials.values(), key=lambda trial: trial.record["worker"]["started"])
    units = [trial.hyperparameters.values["units"] for trial in by_start]
    assert units == sorted(units, reverse=True) and len(set(units)) > 2, units


def test_a_missing_objective_fails_the_trials_then_the_search(tmp_path):
    t = RandomSearch(tuner_models.red_wine, objective="val_accuracy", max_trials=5, seed=0, directory=tmp_path)
    with pytest.raises(RuntimeError, match="3 consecutive trials failed.*'val_accuracy' is not in the fit results"):
        t.search(XT, YT, **FIT)
    assert [tr.status for tr in t.trials.values()] == ["FAILED"] * 3
    assert t.get_best_hyperparameters() == []

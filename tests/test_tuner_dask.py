"""Trials on a real Dask cluster (two worker processes, one thread each) and on a process pool: the
same trials and scores as in this process, even when a worker dies mid-trial."""
import concurrent.futures
import multiprocessing

import pytest

import cnn
import tuner_models
from cnn.tuner import Hyperband, RandomSearch

distributed = pytest.importorskip("distributed")

(XT, YT), (XV, YV) = cnn.datasets.load_red_wine()
XT, YT = XT[:400], YT[:400]
FIT = {"epochs": 4, "batch_size": 64, "validation_data": (XV, YV), "verbose": 0}


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def scores(tuner):
    return {tid: (t.hyperparameters.values, t.score, t.record["metrics"]) for tid, t in tuner.trials.items()}


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    t = RandomSearch(tuner_models.red_wine, max_trials=8, seed=11, directory=tmp_path_factory.mktemp("here"))
    t.search(XT, YT, **FIT)
    return scores(t)


def test_the_cluster_gives_the_same_trials_and_scores(client, in_process, tmp_path):
    t = RandomSearch(tuner_models.red_wine, max_trials=8, seed=11, directory=tmp_path)
    t.search(XT, YT, executor=client, **FIT)
    assert scores(t) == in_process
    workers = {tr.record["worker"]["pid"] for tr in t.trials.values()}
    assert len(workers) == 2   # both workers ran trials
    assert {tr.record["worker"]["cnn_threads"] for tr in t.trials.values()} == {1}   # the worker's threads
    best = min(t.trials.values(), key=lambda tr: tr.score)
    assert t.get_best_hyperparameters()[0].values == best.hyperparameters.values


def test_a_worker_killed_mid_trial_loses_no_trial_and_changes_no_score(client, in_process, tmp_path):
    marker = tmp_path / "killed"
    t = RandomSearch(tuner_models.DiesOnce(str(marker)), max_trials=8, seed=11, directory=tmp_path)
    t.search(XT, YT, executor=client, **FIT)
    assert marker.exists()   # a worker did die mid-trial
    assert scores(t) == in_process
    assert all(tr.status == "COMPLETED" for tr in t.trials.values())
    client.wait_for_workers(2, timeout=30)   # the nanny restarts it for the next test


def test_hyperband_on_the_cluster_matches_this_process(client, tmp_path):
    runs = []
    for executor in (None, client):
        t = Hyperband(tuner_models.red_wine, max_epochs=9, seed=4, directory=tmp_path,
                      project_name="here" if executor is None else "cluster")
        t.search(XT, YT, executor=executor, **FIT)
        runs.append(scores(t))
    assert runs[0] == runs[1] and len(runs[0]) == 23


def test_a_process_pool_executor_gives_the_same_trials(in_process, tmp_path):
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        t = RandomSearch(tuner_models.red_wine, max_trials=8, seed=11, directory=tmp_path)
        t.search(XT, YT, executor=pool, **FIT)
    assert scores(t) == in_process
    assert {tr.record["worker"]["cnn_threads"] for tr in t.trials.values()} == {1}   # 2 cores / 2 workers


def test_a_bad_executor_is_refused(tmp_path):
    t = RandomSearch(tuner_models.red_wine, max_trials=1, seed=0, directory=tmp_path)
    with pytest.raises(TypeError, match="executor must be None, a dask.distributed.Client .* got 'local'"):
        t.search(XT, YT, executor="local", **FIT)

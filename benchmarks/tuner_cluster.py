"""16 trials of the red-wine network (units, dropout, learning rate): in this process vs a two-worker
Dask LocalCluster with one cnn thread per worker. Prints both timings and checks the trials agree.

    PYTHONPATH=<build> python benchmarks/tuner_cluster.py [epochs]
"""
import sys
import tempfile
import time

import cnn
from cnn import layers
from cnn.tuner import RandomSearch


def build(hp):
    units = hp.Int("units", 128, 512, step=64)
    model = cnn.Sequential([layers.Input((11,)),
                            layers.Dense(units, activation="relu"),
                            layers.Dropout(hp.Float("dropout", 0.0, 0.4, step=0.1)),
                            layers.Dense(units, activation="relu"),
                            layers.Dense(units, activation="relu"),
                            layers.Dense(1)])
    model.compile(optimizer=cnn.optimizers.Adam(hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")), loss="mae")
    return model


def search(executor, epochs, directory, name):
    (xt, yt), (xv, yv) = cnn.datasets.load_red_wine()
    tuner = RandomSearch(build, objective="val_loss", max_trials=16, seed=0, directory=directory, project_name=name)
    start = time.perf_counter()
    tuner.search(xt, yt, epochs=epochs, batch_size=256, validation_data=(xv, yv), verbose=0, executor=executor)
    busy = sum(t.record["worker"]["seconds"] for t in tuner.trials.values())
    per_worker = {}
    for t in tuner.trials.values():
        worker = t.record["worker"]
        per_worker[worker["pid"]] = per_worker.get(worker["pid"], 0) + worker["cpu_seconds"]
    print(f"{name}: {busy:.2f} s inside trials; CPU seconds of the trials' threads per process: "
          + ", ".join(f"{v:.2f}" for v in per_worker.values()), flush=True)
    return time.perf_counter() - start, {k: (t.hyperparameters.values, t.score) for k, t in tuner.trials.items()}


def main():
    import dask
    from distributed import Client, LocalCluster
    # Dask's sampling profiler wakes every 10 ms in each worker: CPU a search does not need.
    dask.config.set({"distributed.worker.profile.enabled": False})
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    directory = tempfile.mkdtemp()
    results = {}
    for threads in (1, 2):
        cnn.utils.set_num_threads(threads)
        results[f"in-process, {threads} cnn thread(s)"] = search(None, epochs, directory, f"here{threads}")
    start = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        up = time.perf_counter() - start
        client.run(lambda: __import__("cnn").Sequential)   # imports cnn on the workers before timing
        results["2-worker LocalCluster, 1 cnn thread each"] = search(client, epochs, directory, "cluster")
    base = results["in-process, 1 cnn thread(s)"]
    for name, (seconds, trials) in results.items():
        print(f"{name:42s} {seconds:7.2f} s  speed-up vs 1 thread in-process {base[0] / seconds:4.2f}x  "
              f"same trials and scores: {trials == base[1]}")
    print(f"(cluster start-up, not included above: {up:.2f} s)")


if __name__ == "__main__":
    main()

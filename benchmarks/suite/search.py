"""The tuning issue's search: 16 trials of the red-wine network (units, dropout, learning rate), in this
process on one cnn thread, then on a two-worker Dask LocalCluster with one cnn thread per worker.
Both give the same trials and scores (checked); the row's note says so."""
import os
import tempfile
import time

CASE = "16-trial search"


def build(hp):
    import cnn
    from cnn import layers
    units = hp.Int("units", 128, 512, step=64)
    model = cnn.Sequential([layers.Input((11,)),
                            layers.Dense(units, activation="relu"),
                            layers.Dropout(hp.Float("dropout", 0.0, 0.4, step=0.1)),
                            layers.Dense(units, activation="relu"),
                            layers.Dense(units, activation="relu"),
                            layers.Dense(1)])
    model.compile(optimizer=cnn.optimizers.Adam(hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")), loss="mae")
    return model


def run_search(executor, epochs, directory, name, verbose=False):
    """(wall seconds, {trial id: (hyperparameters, score)}, tuner) of one 16-trial search."""
    import cnn
    from cnn.tuner import RandomSearch
    (xt, yt), (xv, yv) = cnn.datasets.load_red_wine()
    tuner = RandomSearch(build, objective="val_loss", max_trials=16, seed=0, directory=directory, project_name=name)
    start = time.perf_counter()
    tuner.search(xt, yt, epochs=epochs, batch_size=256, validation_data=(xv, yv), verbose=int(verbose),
                 executor=executor)
    return (time.perf_counter() - start,
            {k: (t.hyperparameters.values, t.score) for k, t in tuner.trials.items()}, tuner)


def local_cluster():
    """A two-process LocalCluster (one thread each) and its client, cnn imported on the workers."""
    import dask
    from distributed import Client, LocalCluster
    dask.config.set({"distributed.worker.profile.enabled": False})  # a 10 ms sampler a search does not need
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    client.run(lambda: __import__("cnn.tuner.runner"))
    return cluster, client


def search(ctx, row, epochs=30):
    """Rows: in-process (1 cnn thread) and the cluster, both wall time; needs dask[distributed]."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        ctx.log(f"{CASE}: dask[distributed] is not installed; skipped")
        return []
    cnn = ctx.libs["cnn"]
    cnn.set_threads(1)
    directory = tempfile.mkdtemp()
    ctx.log(f"{CASE}: in this process")
    here, trials, _ = run_search(None, epochs, directory, "here")
    ctx.log(f"{CASE}: 2-worker LocalCluster")
    cluster, client = local_cluster()
    try:
        there, cluster_trials, _ = run_search(client, epochs, directory, "cluster")
    finally:
        client.close()
        cluster.close()
    cnn.set_threads(ctx.threads)
    same = "same trials and scores" if trials == cluster_trials else "DIFFERENT trials or scores"
    note = f"{epochs} epochs per trial; load average {os.getloadavg()[0]:.2f}; {same}"
    return [row(ctx, f"{CASE}, cluster vs in-process", "cnn", here, "call", times=[here], threads=1,
                note="in this process, 1 cnn thread; " + note),
            row(ctx, f"{CASE}, cluster vs in-process", "cnn", there, "call", times=[there], threads=2,
                note="2-worker LocalCluster, 1 cnn thread each; " + note)]

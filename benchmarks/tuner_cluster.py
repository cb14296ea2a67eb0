"""16 trials of the red-wine network (units, dropout, learning rate): in this process vs a two-worker
Dask LocalCluster with one cnn thread per worker. Prints both timings and checks the trials agree.
(`benchmarks/run.py --only search` gives the same figures in the suite's table.)

    PYTHONPATH=<build> python benchmarks/tuner_cluster.py [epochs]
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cnn  # noqa: E402
from suite.search import local_cluster, run_search  # noqa: E402


def report(name, tuner):
    busy = sum(t.record["worker"]["seconds"] for t in tuner.trials.values())
    per_worker = {}
    for t in tuner.trials.values():
        worker = t.record["worker"]
        per_worker[worker["pid"]] = per_worker.get(worker["pid"], 0) + worker["cpu_seconds"]
    print(f"{name}: {busy:.2f} s inside trials; CPU seconds of the trials' threads per process: "
          + ", ".join(f"{v:.2f}" for v in per_worker.values()), flush=True)


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    directory = tempfile.mkdtemp()
    results = {}
    for threads in (1, 2):
        cnn.utils.set_num_threads(threads)
        seconds, trials, tuner = run_search(None, epochs, directory, f"here{threads}")
        report(f"here{threads}", tuner)
        results[f"in-process, {threads} cnn thread(s)"] = seconds, trials
    start = time.perf_counter()
    cluster, client = local_cluster()
    up = time.perf_counter() - start
    try:
        seconds, trials, tuner = run_search(client, epochs, directory, "cluster")
        report("cluster", tuner)
        results["2-worker LocalCluster, 1 cnn thread each"] = seconds, trials
    finally:
        client.close()
        cluster.close()
    base = results["in-process, 1 cnn thread(s)"]
    for name, (seconds, trials) in results.items():
        print(f"{name:42s} {seconds:7.2f} s  speed-up vs 1 thread in-process {base[0] / seconds:4.2f}x  "
              f"same trials and scores: {trials == base[1]}")
    print(f"(cluster start-up, not included above: {up:.2f} s)")


if __name__ == "__main__":
    main()

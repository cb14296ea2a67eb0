"""cnn next to PyTorch 2.13 and Keras 3 (torch backend): every workload of issue 13, one table.

    python benchmarks/run.py                 # everything; peers too when installed
    python benchmarks/run.py --quick         # fewer repeats and epochs, the shipped Fashion-MNIST subset
    python benchmarks/run.py --only iris,predict --threads 1
    python benchmarks/run.py --only threads  # cnn on 2 threads vs 1: wine, Fashion-MNIST MLP, conv network

The peers' environment: tools/setup_peers.sh [VENV], then VENV/bin/python benchmarks/run.py.
All libraries run in this one process on the same data, batch size and thread count. Times are
medians after a warm-up; training epochs are each timed (later epochs too). GFLOP/s counts the Dense
layers' multiply-adds; "% peak" divides by this core's FMA peak, measured at start-up. The ratio
columns are the peer's time over cnn's (above 1: cnn is faster). The JSON goes to
benchmarks/results/<date>-<cpu>.json unless --json says otherwise.
"""
import argparse
import datetime
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # NumPy's BLAS stays out of the way
os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from suite import libs, peak, report, speedup, targets, timing, workloads


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and epochs (a smoke test)")
    ap.add_argument("--only", default="", help="comma-separated workloads: " + ", ".join(workloads.WORKLOADS))
    ap.add_argument("--threads", type=int, default=1, help="threads for every library (default 1)")
    ap.add_argument("--peers", default="torch,keras", help="peers to run when installed ('none': cnn alone)")
    ap.add_argument("--fmnist-subset", action="store_true", help="the shipped Fashion-MNIST subset even "
                    "when the full set is installed (implied by --quick)")
    ap.add_argument("--stat", choices=["median", "min"], default="median", help="what each row reports over "
                    "its repeats or epochs (min: on a machine that other processes share)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall", help="cpu: this process's CPU time, "
                    "which other processes sharing the core do not inflate (1-thread rows; 2-thread rows stay wall)")
    ap.add_argument("--json", help="where to write the JSON (default benchmarks/results/<date>-<cpu>.json)")
    args = ap.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(workloads.WORKLOADS)
    bad = [n for n in names if n not in workloads.WORKLOADS]
    if bad:
        ap.error(f"--only: unknown workload(s) {bad}; choose from {list(workloads.WORKLOADS)}")
    if args.threads < 1:
        ap.error(f"--threads must be >= 1, got {args.threads}")
    if args.threads > 1 and "threads" not in names:
        names.append("threads")   # more than one thread: show what the second one brings
    peers = [p for p in args.peers.split(",") if p and p != "none"]
    if any(p not in ("torch", "keras") for p in peers):
        ap.error(f"--peers: choose from torch, keras, none; got {args.peers!r}")
    return args, names, peers


def versions(names):
    out = {"python": sys.version.split()[0]}
    for name in ["numpy", "cnn"] + names:
        mod = sys.modules.get(name) or __import__(name)
        out[name] = getattr(mod, "__version__", "?")
    return out


def main(argv=None):
    args, names, peers = parse(argv)
    timing.use_clock(args.clock)
    peers = [p for p in peers if libs.available("torch") and libs.available(p)]
    ctx = workloads.Context({n: libs.make(n, args.threads) for n in ["cnn"] + peers}, args.threads,
                            args.quick, args.fmnist_subset or args.quick, args.stat)
    from cnn import _core
    machine = {"cpu": report.cpu_name(), "cpus": os.cpu_count(), "load_average": os.getloadavg()[0],
               "cnn_isa": ["portable", "AVX2+FMA", "AVX-512"][_core.get_isa()],
               "peak": peak.measure(0.1 if args.quick else 0.5), "versions": versions(peers),
               "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    print(report.header(machine), flush=True)
    rows = []
    for name in names:
        rows += workloads.WORKLOADS[name](ctx)
    machine["load_average_end"] = os.getloadavg()[0]
    machine["peak"] = peak.best(machine["peak"], peak.measure(0.1 if args.quick else 0.5))
    checked = targets.evaluate(rows, machine["peak"], args.threads)
    print(f"\n{args.threads} thread(s) per library unless the thr column says otherwise; {args.stat} of the "
          f"repeats (epochs: of the epochs), {args.clock} clock; "
          f"peers: {', '.join(peers) or 'none'}\n")
    print(report.table(rows, checked, machine["peak"]))
    for line in speedup.summary(rows):
        print(("\n" if line.startswith("2 threads") else "") + line)
    print(f"\n{report.footer(machine)}")
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    path = args.json or report.default_json_path(machine, stamp)
    options = {"stat": args.stat, "clock": args.clock, "quick": args.quick, "only": names, "threads": args.threads,
               "peers": peers}
    report.write_json(path, machine, options, rows, checked)
    print(f"\nJSON: {path}")


if __name__ == "__main__":
    main()

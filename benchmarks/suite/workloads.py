"""The workloads of issue 13: each function times one workload in every library and returns rows.

A row is a dict: case, lib, threads, unit ('epoch' or 'call'), seconds (median per unit, or the
minimum with --stat min), step (seconds per training step or None), flops (per unit, Dense
multiply-adds x2, or None), times (every
measured unit, e.g. each epoch), note.
"""
import math
import os
import statistics
import sys
from dataclasses import dataclass

import numpy as np

from . import conv, data, search, speedup
from .libs import MLP
from .timing import import_time, median_time, per_call

IRIS = MLP((4,), [(8, "relu"), (9, "relu"), (3, "softmax")], "sce")
WINE = MLP((11,), [(512, "relu")] * 3 + [(1, None)], "mae")
FMNIST = MLP((28, 28), [(128, "relu"), (10, None)], "sce_logits")


@dataclass
class Context:
    libs: dict        # name -> adapter from libs.make, cnn first
    threads: int
    quick: bool
    fmnist_shipped: bool = False
    stat: str = "median"   # or "min": what a row's `seconds` is, over its repeats or epochs

    def reps(self, full, quick=1):
        return quick if self.quick else full

    def log(self, message):
        print(f"  .. {message}", file=sys.stderr, flush=True)


def row(ctx, case, lib, seconds, unit="call", steps=None, flops=None, times=None, threads=None, note=""):
    if ctx.stat == "min" and times:
        seconds = min(times)
    return {"case": case, "lib": lib, "threads": threads or ctx.threads, "unit": unit, "seconds": seconds,
            "step": seconds / steps if (steps and seconds is not None) else None, "flops": flops,
            "times": list(times or []), "note": note}


def _epochs(ctx, case, spec, x, y, batch, epochs, libs=None, note="", warm_rows=None):
    """Each library: a warm-up fit on a throwaway model, then `epochs` epochs of a fresh model, each timed."""
    rows, steps = [], math.ceil(len(x) / batch)
    for name, lib in ctx.libs.items():
        if libs is not None and name not in libs:
            continue
        ctx.log(f"{case}: {name}")
        warm = slice(0, warm_rows or len(x))
        lib.fit_epochs(lib.build(spec), x[warm], y[warm], batch, 1)
        times = lib.fit_epochs(lib.build(spec), x, y, batch, epochs)
        rows.append(row(ctx, case, name, statistics.median(times), "epoch", steps,
                        len(x) * spec.train_flops(), times, note=note))
    return rows


def iris(ctx):
    x, y = data.iris()
    rows = []
    for name, lib in ctx.libs.items():
        ctx.log(f"iris fit: {name}")
        fit = lib.fit_call(lib.build(IRIS), x, y, 150, 100)
        med, times = median_time(fit, ctx.reps(7 if name != "keras" else 3))
        rows.append(row(ctx, "iris fit(epochs=100)", name, med, "call", 100, 100 * 150 * IRIS.train_flops(), times,
                        note="whole call; step = call / 100"))
    for name, lib in ctx.libs.items():
        med, times = per_call(lib.train_step(lib.build(IRIS), x, y), ctx.reps(15, 3))
        rows.append(row(ctx, "iris train_on_batch", name, med, "call", 1, 150 * IRIS.train_flops(), times,
                        note="torch: one loop step"))
    return rows


def wine(ctx):
    x, y = data.wine()
    rows = _epochs(ctx, "wine epoch", WINE, x, y, 256, ctx.reps(8, 3))
    return rows + wine_gemms(ctx)


def wine_gemms(ctx):
    """The wine step's three 256x512x512 products alone: cnn's GEMM against NumPy's and torch's."""
    try:
        from cnn import _core
    except ImportError:
        return []
    rng = np.random.default_rng(0)
    shapes = [(256, 512, 512, 0, 0), (512, 512, 256, 1, 0), (256, 512, 512, 0, 1)]  # forward, dW, dX
    ops = []
    for m, n, k, ta, tb in shapes:
        a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
        ops.append((a, b, np.empty((m, n), np.float32), ta, tb))
    flops = sum(2.0 * m * n * k for m, n, k, _, _ in shapes)
    calls = {"cnn": lambda: [_core.gemm(a, b, c, ta, tb, False) for a, b, c, ta, tb in ops],
             "numpy": lambda: [np.dot(a.T if ta else a, b.T if tb else b, out=c) for a, b, c, ta, tb in ops]}
    if "torch" in ctx.libs:
        import torch
        tops = [(torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(c), ta, tb) for a, b, c, ta, tb in ops]
        calls["torch"] = lambda: [torch.mm(a.T if ta else a, b.T if tb else b, out=c) for a, b, c, ta, tb in tops]
    rows = []
    for name, fn in calls.items():
        med, times = per_call(fn, ctx.reps(15, 3))
        rows.append(row(ctx, "wine GEMMs", name, med, "call", None, flops, times,
                        threads=1 if name == "numpy" else None,  # OPENBLAS_NUM_THREADS=1 (run.py)
                        note="256x512x512 NN + TN + NT (one step's hidden products)"))
    return rows


def fmnist_data(ctx):
    if not hasattr(ctx, "_fmnist"):
        ctx._fmnist = data.fashion_mnist(shipped=ctx.fmnist_shipped)
    return ctx._fmnist


def fmnist(ctx):
    (x, y), _, source = fmnist_data(ctx)
    epochs = ctx.reps(3, 2)
    rows = _epochs(ctx, "fmnist epoch", FMNIST, x, y, 32, epochs, note=source, warm_rows=2048)
    metrics = ["accuracy"]
    try:
        import cnn
        cnn.metrics.get("auc")
        metrics.append("auc")
    except (ValueError, KeyError, ImportError):
        pass
    # AUC needs one row of targets per output: one-hot labels and categorical crossentropy, timed
    # with and without the metrics so that only the metrics differ
    onehot = np.eye(10, dtype=np.float32)[y]
    for suffix, m in (("", []), (f", metrics={metrics}", metrics)):
        spec = MLP(FMNIST.input_shape, FMNIST.layers, "cce_logits", m)
        rows += _epochs(ctx, f"fmnist epoch, one-hot{suffix}", spec, x, onehot, 32, epochs, libs=("cnn", "keras"),
                        note=source, warm_rows=2048)
    return rows


def predict(ctx):
    _, (xt, _), _ = fmnist_data(ctx)
    x10k = np.resize(xt, (10000,) + xt.shape[1:])  # the test set; repeated when only the subset is here
    rows = []
    for name, lib in ctx.libs.items():
        model = lib.build(FMNIST)
        med, times = per_call(lib.predict(model, xt[:1]), ctx.reps(15, 3))
        rows.append(row(ctx, "predict 1 row", name, med, flops=FMNIST.forward_flops(), times=times,
                        note="torch: bare module call, no_grad; keras: model(x)"))
        med, times = median_time(lib.predict(model, x10k), ctx.reps(7, 2))
        rows.append(row(ctx, "predict 10,000 rows", name, med, flops=10000 * FMNIST.forward_flops(), times=times,
                        note="predict(x) default batch; torch: one module call"))
    return rows


def evaluate(ctx):
    _, (xt, yt), _ = fmnist_data(ctx)
    x10k, y10k = np.resize(xt, (10000,) + xt.shape[1:]), np.resize(yt, 10000)
    rows = []
    for name, lib in ctx.libs.items():
        med, times = median_time(lib.evaluate(lib.build(FMNIST), x10k, y10k), ctx.reps(5, 2))
        rows.append(row(ctx, "evaluate 10,000 rows", name, med, flops=10000 * FMNIST.forward_flops(), times=times,
                        note="batch 32"))
    return rows


def imports(ctx):
    reps = ctx.reps(7, 3)
    code = {"cnn": "import cnn; cnn.Sequential", "torch": "import torch",
            "keras": "import os; os.environ['KERAS_BACKEND'] = 'torch'; import keras"}
    rows = []
    for name in ctx.libs:
        med, times = import_time(code[name], reps if name == "cnn" else min(reps, 3))
        rows.append(row(ctx, "import", name, med, times=times, note="fresh interpreter, the import alone timed; "
                        "cnn: import cnn; cnn.Sequential (loads NumPy and the core)"))
    med, times = import_time("import cnn", reps)
    rows.append(row(ctx, "import cnn (lazy, nothing used)", "cnn", med, times=times))
    return rows


def threads(ctx):
    """cnn alone on 1 and 2 threads (suite/speedup.py: the same seed, epochs alternated, wall time):
    wine, the Fashion-MNIST MLP and the classic convolutional network."""
    if (os.cpu_count() or 1) < 2:
        return []
    _, note = speedup.load_note()
    cnn = ctx.libs["cnn"]
    (xf, yf), _, _ = fmnist_data(ctx)
    xw, yw = data.wine()
    n_conv = 2048 if ctx.quick else 12000
    cases = [("wine epoch, 2 threads vs 1", lambda: cnn.build(WINE), xw, yw, 256, ctx.reps(8, 3), WINE.train_flops()),
             ("fmnist epoch, 2 threads vs 1", lambda: cnn.build(FMNIST), xf, yf, 32, ctx.reps(3, 1),
              FMNIST.train_flops()),
             ("conv epoch, 2 threads vs 1", lambda: conv.build_keras_api(cnn.lib), xf[:n_conv, ..., None],
              yf[:n_conv], 32, ctx.reps(3, 1), None)]
    rows = []
    for case, build, x, y, batch, repeats, flops in cases:
        ctx.log(f"{case}: cnn on 1 and 2 threads, alternated")
        times = speedup.alternate(cnn, build, x, y, batch, repeats)
        what = f"Conv2D(32, 3) -> MaxPooling2D -> Dense(10) on {len(x)} images; " if case.startswith("conv") else ""
        for n in (1, 2):
            rows.append(row(ctx, case, "cnn", min(times[n]), "epoch", math.ceil(len(x) / batch),
                            len(x) * flops if flops else None, times[n], threads=n, note=what + note))
    cnn.set_threads(ctx.threads)
    return rows


def determinism(ctx):
    """Wine weights after 2 epochs: bit-identical across runs, 1 vs 2 threads and every ISA path?"""
    try:
        from cnn import _core
    except ImportError:
        return []
    cnn = ctx.libs["cnn"]
    x, y = data.wine()
    best = _core.set_isa(-1)
    configs = [(ctx.threads, best), (ctx.threads, best), (2, best)] + [(1, isa) for isa in range(best)]
    weights = []
    for n, isa in configs:
        cnn.set_threads(n)
        _core.set_isa(isa)
        model = cnn.build(WINE)
        cnn.fit_epochs(model, x, y, 256, 2)
        weights.append(model.get_weights())
    _core.set_isa(-1)
    cnn.set_threads(ctx.threads)
    same = all(all(np.array_equal(a, b) for a, b in zip(weights[0], w)) for w in weights[1:])
    names = ", ".join(f"{n}t/isa{isa}" for n, isa in configs)
    return [row(ctx, "determinism", "cnn", None, note=f"{'identical' if same else 'DIFFERENT'}: {names}")
            | {"identical": same}]


WORKLOADS = {"iris": iris, "wine": wine, "fmnist": fmnist, "predict": predict, "evaluate": evaluate,
             "import": imports, "threads": threads, "determinism": determinism,
             "conv": lambda ctx: conv.conv(ctx, fmnist_data, row), "search": lambda ctx: search.search(ctx, row)}

"""The Targets table of issue 13, each checked against the measured rows.

check(rows) -> (value text, met): met is True, False, or None when a row it needs was not measured
(a peer not installed, a workload left out with --only).
"""
FMNIST = "fmnist epoch"


def _get(rows, case, lib="cnn", threads=None):
    for r in rows:
        if r["case"] == case and r["lib"] == lib and (threads is None or r["threads"] == threads):
            return r
    return None


def _startswith(rows, prefix, lib="cnn"):
    return next((r for r in rows if r["case"].startswith(prefix) and r["lib"] == lib), None)


def _ratio(rows, case, peer, minimum, slowest=False):
    """peer's median / cnn's (its slowest epoch when `slowest`), against a minimum ratio."""
    mine, theirs = _get(rows, case), _get(rows, case, peer)
    if not mine or not theirs:
        return "", None
    cnn_time = max(mine["times"]) if slowest else mine["seconds"]
    ratio = theirs["seconds"] / cnn_time
    return f"{ratio:.2f}x", ratio >= minimum


def _fmnist_flat(rows):
    r = _get(rows, FMNIST)
    if not r or len(r["times"]) < 2:
        return "", None
    worst = max(r["times"][1:]) / r["times"][0]
    return f"slowest later / first = {worst:.3f}", worst <= 1.10  # 10%: run-to-run noise


def _at_most(rows, case, limit, field="seconds"):
    r = _get(rows, case)
    if not r or r[field] is None:
        return "", None
    return f"{r[field] * 1e6:.1f} us" if limit < 1e-3 else f"{r[field] * 1e3:.0f} ms", r[field] <= limit


def _gemm_peak(peak):
    def check(rows):
        r = _get(rows, "wine GEMMs")
        if not r or not peak:
            return "", None
        frac = r["flops"] / r["seconds"] / 1e9 / (peak["gflops"] * r["threads"])
        return f"{100 * frac:.1f}% of peak", frac >= 0.85
    return check


def _speedup(case, minimum=1.7):
    def check(rows):
        one, two = _get(rows, case, threads=1), _get(rows, case, threads=2)
        if not one or not two:
            return "", None
        s = min(one["times"]) / min(two["times"])   # alternated epochs: the least disturbed of each
        return f"{s:.2f}x", s >= minimum
    return check


def _metrics_cost(rows):
    plain, with_metrics = _get(rows, FMNIST + ", one-hot"), _startswith(rows, FMNIST + ", one-hot, metrics=")
    if not plain or not with_metrics:
        return "", None
    cost = sum(with_metrics["times"]) / sum(plain["times"]) - 1
    return f"{100 * cost:+.0f}%", cost <= 0.10


def _deterministic(rows):
    r = _get(rows, "determinism")
    return ("", None) if not r else (("bit-identical" if r["identical"] else "DIFFERENT"), r["identical"])


def targets(peak):
    """(case whose row shows it, target text, check) for every line of the issue's table."""
    return [
        (FMNIST, "every epoch >= 3x PyTorch", lambda R: _ratio(R, FMNIST, "torch", 3, slowest=True)),
        (FMNIST, "every epoch >= 10x Keras", lambda R: _ratio(R, FMNIST, "keras", 10, slowest=True)),
        (FMNIST, "no epoch slower than the first (10% noise)", _fmnist_flat),
        ("iris fit(epochs=100)", ">= 15x PyTorch", lambda R: _ratio(R, "iris fit(epochs=100)", "torch", 15)),
        ("iris fit(epochs=100)", ">= 100x Keras", lambda R: _ratio(R, "iris fit(epochs=100)", "keras", 100)),
        ("iris fit(epochs=100)", "train step <= 10 us", lambda R: _at_most(R, "iris fit(epochs=100)", 10e-6, "step")),
        ("wine epoch", ">= 2x PyTorch", lambda R: _ratio(R, "wine epoch", "torch", 2)),
        ("wine GEMMs", ">= 85% of the FMA peak", _gemm_peak(peak)),
        ("wine epoch, 2 threads vs 1", ">= 1.7x", _speedup("wine epoch, 2 threads vs 1")),
        ("fmnist epoch, 2 threads vs 1", ">= 1.7x", _speedup("fmnist epoch, 2 threads vs 1")),
        ("conv epoch, 2 threads vs 1", ">= 1.7x (convolutional issue)", _speedup("conv epoch, 2 threads vs 1")),
        ("conv epoch", ">= 2x PyTorch (issue 7)", lambda R: _ratio(R, "conv epoch", "torch", 2)),
        ("16-trial search, cluster vs in-process", ">= 1.6x (issue 12)",
         _speedup("16-trial search, cluster vs in-process", 1.6)),
        ("predict 1 row", "<= 10 us", lambda R: _at_most(R, "predict 1 row", 10e-6)),
        ("predict 1 row", ">= 3x PyTorch", lambda R: _ratio(R, "predict 1 row", "torch", 3)),
        ("fmnist epoch, one-hot, metrics=", "<= 10% slower than without", _metrics_cost),
        ("import", "<= 100 ms incl. NumPy", lambda R: _at_most(R, "import", 0.100)),
        ("determinism", "bit-identical: runs, 1 vs 2 threads, ISA paths", _deterministic),
    ]


# targets that hold whatever --threads says
THREAD_FREE = ("2 threads vs 1", "cluster vs in-process", "import", "determinism")


def evaluate(rows, peak, threads=1):
    """Every target checked; with --threads other than 1 the 1-thread targets are not judged (n/a)."""
    out = []
    for case, text, check in targets(peak):
        value, met = check(rows)
        if threads != 1 and not any(k in case for k in THREAD_FREE):
            value, met = (value + " (1-thread target)").strip(), None
        out.append({"case": case, "target": text, "value": value, "met": met})
    return out

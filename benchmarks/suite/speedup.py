"""2 threads against 1 on the same work, measured so that a neighbour's load falls on both alike.

Two models with the same seed train side by side, one on 1 thread and one on 2, an epoch each in
turn: both do the same arithmetic epoch by epoch (cnn's bits do not depend on the thread count), and
a burst of load from another process hits both runs instead of one. The ratio is the best 1-thread
epoch over the best 2-thread epoch: on a shared machine the minimum is the run least disturbed.
"""
import os

from .timing import fmt_seconds, wall_clock

TARGET = 1.7
BUSY = 0.5   # load average above which the second core was not idle


def alternate(lib, build, x, y, batch, repeats, counts=(1, 2)):
    """{threads: [seconds of each epoch]}: one model per thread count (same seed), warmed up on a slice,
    then `repeats` rounds of one epoch each, the thread counts taking turns; wall time."""
    models = {}
    for n in counts:
        lib.set_threads(n)
        models[n] = build()
        lib.fit_epochs(models[n], x[:2048], y[:2048], batch, 1)
    times = {n: [] for n in counts}
    with wall_clock():
        for _ in range(repeats):
            for n in counts:
                lib.set_threads(n)
                times[n] += lib.fit_epochs(models[n], x, y, batch, 1)
    return times


def ratio(one, two):
    """Best 1-thread time over best 2-thread time (None when either is missing)."""
    return min(one) / min(two) if one and two else None


def load_note():
    load = os.getloadavg()[0]
    busy = " (above 0.5: the second core was busy, not a fair test)" if load > BUSY else ""
    return load, f"load average {load:.2f} at the start{busy}"


def summary(rows):
    """Lines for the '2 threads vs 1' cases of a run's rows ([] when there are none)."""
    cases = [r["case"] for r in rows if r["case"].endswith("2 threads vs 1") and r["threads"] == 1]
    if not cases:
        return []
    out = [f"2 threads vs 1 (cnn, wall clock, best of the alternated epochs; target >= {TARGET}x):"]
    for case in cases:
        one = next(r for r in rows if r["case"] == case and r["threads"] == 1)
        two = next((r for r in rows if r["case"] == case and r["threads"] == 2), None)
        s = ratio(one["times"], two["times"] if two else None)
        if s is None:
            continue
        name = case[: -len(", 2 threads vs 1")]
        out.append(f"  {name:<14} 1 thread {fmt_seconds(min(one['times'])):>9}   2 threads "
                   f"{fmt_seconds(min(two['times'])):>9}   {s:.2f}x  {'met' if s >= TARGET else 'NOT met'}")
    out.append(f"  {one['note'].split('; ')[-1]}")
    return out

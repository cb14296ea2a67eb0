"""Timers: medians after a warm-up, calibrated loops for calls of a few microseconds, import times."""
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = ["wall"]


def now():
    """The current clock: wall time, or this process's CPU time (`--clock cpu`), which time spent waiting
    for a core that other processes hold does not inflate; meaningful for 1-thread runs only."""
    return CLOCKS[_clock[0]]()


def use_clock(name):
    if name not in CLOCKS:
        raise ValueError(f"clock must be one of {sorted(CLOCKS)}, got {name!r}")
    _clock[0] = name


@contextmanager
def wall_clock():
    """Wall time inside the block whatever the chosen clock (thread speed-ups need it)."""
    saved, _clock[0] = _clock[0], "wall"
    try:
        yield
    finally:
        _clock[0] = saved


def median_time(fn, repeats, warmup=1):
    """(median, all times) of `repeats` calls of fn() after `warmup` untimed calls, in seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = now()
        fn()
        times.append(now() - t)
    return statistics.median(times), times


def per_call(fn, repeats, budget=0.01):
    """(median, all) seconds per call of fn(), each repeat a loop long enough (~budget s) to time."""
    fn()
    n = 1
    while True:  # calibrate the number of calls per repeat
        t = now()
        for _ in range(n):
            fn()
        dt = now() - t
        if dt > budget or n >= 1 << 20:
            break
        n *= 2 if dt > budget / 8 else 8
    times = []
    for _ in range(repeats):
        t = now()
        for _ in range(n):
            fn()
        times.append((now() - t) / n)
    return statistics.median(times), times


def import_time(code, repeats):
    """(median, all) seconds that `code` (imports) takes in a fresh interpreter, timed inside it."""
    fn = "process_time" if _clock[0] == "cpu" else "perf_counter"
    probe = f"import time; _t = time.{fn}(); {code}; print(time.{fn}() - _t)"
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True,
                             env=dict(os.environ))
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times), times


def fmt_seconds(s):
    """A duration with 3 significant digits in a readable unit."""
    if s is None:
        return ""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if abs(s) >= scale or unit == "ns":
            v = s / scale
            return f"{v:.3g} {unit}" if v < 1000 else f"{v:.0f} {unit}"
    return str(s)

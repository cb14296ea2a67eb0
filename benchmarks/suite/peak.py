"""This core's single-precision FMA peak, measured at start-up with benchmarks/suite/fma_peak.c.

The C file is compiled with the system C compiler (`cc`, or $CC) into a temporary shared library and
loaded with ctypes; every vector path the CPU supports is timed (best of many short rounds: a
peak is a maximum, not a median). Returns None where no compiler is available.
"""
import ctypes
import os
import shutil
import subprocess
import tempfile
import time

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fma_peak.c")


def _compile(folder):
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        return None
    lib = os.path.join(folder, "fma_peak.so")
    subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", lib, SOURCE], check=True, capture_output=True)
    return ctypes.CDLL(lib)


def _gflops(fn, lanes, chains, seconds):
    """Best rate over many short rounds (~2 ms each): short enough that some run undisturbed by
    other processes sharing the core, which only ever slow a round down."""
    iters = 1 << 12
    while True:  # calibrate the round length
        t = time.perf_counter()
        fn(iters)
        dt = time.perf_counter() - t
        if dt > 0.002:
            break
        iters *= 2
    best, end = dt, time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        fn(iters)
        best = min(best, time.perf_counter() - t)
    return 2.0 * lanes * chains * iters / best / 1e9


def measure(seconds=0.5):
    """{'isa': 'AVX-512' | 'AVX2+FMA', 'gflops': peak of that path, 'paths': {isa: gflops}} or None."""
    with tempfile.TemporaryDirectory(prefix="cnn-bench-") as folder:
        try:
            dll = _compile(folder)
        except (OSError, subprocess.CalledProcessError):
            return None
        if dll is None:
            return None
        chains = dll.chains()
        paths = {}
        for isa, name, lanes, supported in (("AVX-512", "fma_avx512", 16, dll.cpu_has_avx512f),
                                            ("AVX2+FMA", "fma_avx2", 8, dll.cpu_has_avx2_fma)):
            if supported():
                fn = getattr(dll, name)
                fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_long]
                paths[isa] = _gflops(fn, lanes, chains, seconds)
    if not paths:
        return None
    isa = max(paths, key=paths.get)
    return {"isa": isa, "gflops": paths[isa], "paths": paths}


def best(first, second):
    """The higher of two measurements (start-up and end): other processes only ever lower a peak."""
    runs = [m for m in (first, second) if m]
    if not runs:
        return None
    top = max(runs, key=lambda m: m["gflops"])
    return dict(top, measured=[round(m["gflops"], 1) for m in runs])


if __name__ == "__main__":
    print(measure())

"""GFLOP/s of cnn's GEMM next to NumPy's (OpenBLAS), one thread each, on the course's shapes.

    python benchmarks/bench_gemm.py                 # 1 thread, best ISA path
    python benchmarks/bench_gemm.py --threads 2     # cnn with 2 threads (NumPy stays at 1)
    python benchmarks/bench_gemm.py --isa 1         # force AVX2+FMA (0 portable, 2 AVX-512, 3 NEON on ARM64)

Some machines set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE to work around old OpenBLAS builds; they
slow a current NumPy. For a fair comparison unset both in that command alone:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_gemm.py
The OpenBLAS kernel in use is printed. Times include the Python call (~0.3-1 us), which is what
dominates the tiny iris shapes.
"""
import argparse
import ctypes
import glob
import os
import time

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before NumPy loads OpenBLAS
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from cnn import _core  # noqa: E402

# (label, M, N, K, trans_a, trans_b)
SHAPES = [
    ("wine fwd L1", 256, 512, 11, 0, 0),
    ("wine fwd L2", 256, 512, 512, 0, 0),
    ("wine L2 (TN)", 256, 512, 512, 1, 0),
    ("wine dX (NT)", 256, 512, 512, 0, 1),
    ("wine fwd L4 (GEMV)", 256, 1, 512, 0, 0),
    ("fmnist fwd", 32, 128, 784, 0, 0),
    ("fmnist dW (TN)", 784, 128, 32, 1, 0),
    ("iris fwd L1", 120, 8, 4, 0, 0),
    ("iris fwd L2", 120, 9, 8, 0, 0),
]


def openblas_core():
    """The OpenBLAS kernel family NumPy's bundled library picked, if it can be asked."""
    here = os.path.dirname(np.__file__)
    for lib in glob.glob(os.path.join(here, "..", "numpy.libs", "libscipy_openblas*")):
        dll = ctypes.CDLL(lib)
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename"):
            fn = getattr(dll, name, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return "unknown"


def seconds_per_call(fn, budget=0.2):
    """Best per-call time over 5 rounds, each round long enough to be timed reliably."""
    fn()
    n, t = 1, 0.0
    while True:  # calibrate calls per round to ~budget/5
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - t0
        if t > budget / 5 or n > 1 << 20:
            break
        n *= 4
    best = t / n
    for _ in range(4):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--isa", type=int, default=-1)
    args = ap.parse_args()
    _core.set_num_threads(args.threads)
    isa = _core.set_isa(args.isa)
    print(f"cnn: {args.threads} thread(s), ISA path {isa} ({['portable', 'AVX2+FMA', 'AVX-512', 'NEON'][isa]}); "
          f"NumPy {np.__version__}: 1 thread, OpenBLAS kernel {openblas_core()} "
          f"(OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')})")
    rng = np.random.default_rng(0)
    print(f"{'shape':<22} {'M x N x K':>16} {'op':>3} {'cnn us':>9} {'GFLOP/s':>8} {'numpy us':>9} {'GFLOP/s':>8}")
    for label, M, N, K, ta, tb in SHAPES:
        A = rng.standard_normal((K, M) if ta else (M, K), dtype=np.float32)
        B = rng.standard_normal((N, K) if tb else (K, N), dtype=np.float32)
        C = np.empty((M, N), np.float32)
        Cn = np.empty((M, N), np.float32)
        opa, opb = (A.T if ta else A), (B.T if tb else B)
        t_cnn = seconds_per_call(lambda: _core.gemm(A, B, C, ta, tb, False))
        t_np = seconds_per_call(lambda: np.dot(opa, opb, out=Cn))
        scale = float((np.abs(opa) @ np.abs(opb)).max())
        assert np.abs(C - Cn).max() <= 1e-5 * scale, label  # a wrong kernel must not look fast
        flops = 2.0 * M * N * K
        op = ("T" if ta else "N") + ("T" if tb else "N")
        print(f"{label:<22} {f'{M}x{N}x{K}':>16} {op:>3} {t_cnn * 1e6:9.2f} {flops / t_cnn / 1e9:8.1f} "
              f"{t_np * 1e6:9.2f} {flops / t_np / 1e9:8.1f}")


if __name__ == "__main__":
    main()

"""cnn_gemm (through _core.gemm) against a float64 NumPy reference, and its bit-identity across
instruction-set paths and thread counts."""
import numpy as np
import pytest

from cnn import _core

SHAPES = [(1, 1, 1), (1, 7, 5), (7, 1, 5), (1, 1, 300), (3, 3, 1), (5, 9, 1), (2, 2, 2),
          (120, 8, 4), (120, 9, 8), (120, 3, 9), (4, 8, 120), (17, 33, 19), (9, 31, 40),
          (9, 3, 120), (33, 5, 20), (8, 32, 16), (33, 65, 100), (64, 64, 64), (1, 300, 77),
          (257, 1, 130), (300, 257, 130),
          (33, 100, 200), (5, 48, 400), (70, 17, 1000)]   # B large enough to be read in place, edges
TRANS = [(0, 0), (1, 0), (0, 1), (1, 1)]


def operands(rng, M, N, K, ta, tb):
    A = rng.standard_normal((K, M) if ta else (M, K)).astype(np.float32)
    B = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
    return A, B


def reference(A, B, ta, tb, C0=None, bias=None, relu=False, mask=None):
    """float64 result and the error scale sum|a||b| (+|C0| + |bias|) of each element."""
    a = (A.T if ta else A).astype(np.float64)
    b = (B.T if tb else B).astype(np.float64)
    v, scale = a @ b, np.abs(a) @ np.abs(b)
    if C0 is not None:
        v, scale = C0 + v, scale + np.abs(C0)
    if bias is not None:
        v, scale = v + bias, scale + np.abs(bias)
    if relu:
        v = np.where(v > 0, v, 0.0)
    if mask is not None:
        v = np.where(mask > 0, v, 0.0)
    return v, scale


def check(C, ref, scale):
    assert C.dtype == np.float32
    err = np.abs(C.astype(np.float64) - ref)
    assert np.all(err <= 1e-5 * scale + 1e-30), f"max err {err.max()} vs scale {scale.max()}"


@pytest.fixture(autouse=True)
def restore_settings():
    isa, threads = _core.get_isa(), _core.get_num_threads()
    yield
    _core.set_isa(isa)
    _core.set_num_threads(threads)


def available_isas():
    """The paths this CPU runs: 0 portable, 1 AVX2+FMA, 2 AVX-512 (x86-64), 3 NEON (ARM64)."""
    return [isa for isa in range(4) if _core.set_isa(isa) == isa]


@pytest.mark.parametrize("ta,tb", TRANS)
@pytest.mark.parametrize("M,N,K", SHAPES)
def test_plain_product(M, N, K, ta, tb):
    rng = np.random.default_rng(M * 10007 + N * 101 + K + 17 * ta + 3 * tb)
    A, B = operands(rng, M, N, K, ta, tb)
    A0, B0 = A.copy(), B.copy()
    C = np.full((M, N), np.nan, np.float32)  # accumulate=False must ignore what C holds
    _core.gemm(A, B, C, ta, tb, False)
    check(C, *reference(A, B, ta, tb))
    assert np.array_equal(A, A0) and np.array_equal(B, B0)  # inputs untouched


@pytest.mark.parametrize("ta,tb", TRANS)
@pytest.mark.parametrize("M,N,K", [(1, 1, 1), (1, 9, 7), (9, 1, 7), (13, 29, 3), (120, 9, 8),
                                   (70, 45, 33), (300, 257, 130)])
def test_epilogue(M, N, K, ta, tb):
    rng = np.random.default_rng(M + 7 * N + 31 * K + ta + 2 * tb)
    A, B = operands(rng, M, N, K, ta, tb)
    C0 = rng.standard_normal((M, N)).astype(np.float32)
    bias = rng.standard_normal(N).astype(np.float32)
    mask = rng.standard_normal((M, N)).astype(np.float32)
    mask[rng.random((M, N)) < 0.2] = 0.0  # mask == 0 must zero too
    for acc, b, relu, m in [(True, None, False, None), (False, bias, False, None),
                            (False, bias, True, None), (False, None, False, mask),
                            (True, bias, True, mask)]:
        C = C0.copy()
        _core.gemm(A, B, C, ta, tb, acc, bias=b, relu=relu, mask=m)
        ref, scale = reference(A, B, ta, tb, C0 if acc else None, b, relu, m)
        check(C, ref, scale)
        if relu:
            assert np.all(C >= 0) and (C.size < 8 or np.any(C > 0))
        if m is not None:
            assert np.all(C[m <= 0] == 0)


def test_relu_nan_and_negative_zero_give_positive_zero():
    A = np.array([[np.nan], [-1.0], [0.0]], np.float32)
    B = np.array([[1.0, -0.0]], np.float32)
    for isa in available_isas():
        _core.set_isa(isa)
        C = np.empty((3, 2), np.float32)
        _core.gemm(A, B, C, False, False, False, relu=True)
        assert np.all(C == 0) and not np.any(np.signbit(C)), (isa, C)


def test_zero_k_applies_epilogue_only():
    A = np.zeros((3, 0), np.float32)
    B = np.zeros((0, 4), np.float32)
    C = np.full((3, 4), 2.0, np.float32)
    bias = np.array([1.0, -5.0, 0.5, -1.0], np.float32)
    _core.gemm(A, B, C, False, False, True, bias=bias, relu=True)
    assert np.array_equal(C, np.tile(np.array([3.0, 0.0, 2.5, 1.0], np.float32), (3, 1)))


def test_fma_chain_order():
    """Each element is acc = fma(a_k, b_k, acc) for k ascending, one rounding per step."""
    rng = np.random.default_rng(5)
    M, N, K = 37, 41, 23
    A = (rng.standard_normal((M, K)) * 1e3).astype(np.float32)
    B = rng.standard_normal((K, N)).astype(np.float32)
    acc = np.zeros((M, N), np.float32)
    for k in range(K):  # exact product in float64, then one rounding: fmaf for these magnitudes
        prod = np.outer(A[:, k].astype(np.float64), B[k].astype(np.float64))
        acc = (acc.astype(np.float64) + prod).astype(np.float32)
    C = np.empty((M, N), np.float32)
    _core.gemm(A, B, C, False, False, False)
    # float64 holds a float32 product exactly; one float64 add then a float32 rounding can
    # double-round, so allow a rare 1-ulp difference but demand near-total equality.
    assert np.mean(C == acc) > 0.99
    assert np.allclose(C, acc, rtol=1e-6, atol=0)


@pytest.mark.parametrize("ta,tb", TRANS)
@pytest.mark.parametrize("M,N,K", [(120, 9, 8), (9, 3, 120), (1, 300, 77), (257, 1, 130),
                                   (150, 70, 90), (300, 257, 130), (33, 100, 200), (5, 48, 400)])
def test_bits_identical_across_isa_paths(M, N, K, ta, tb):
    rng = np.random.default_rng(99)
    A, B = operands(rng, M, N, K, ta, tb)
    C0 = rng.standard_normal((M, N)).astype(np.float32)
    bias = rng.standard_normal(N).astype(np.float32)
    mask = rng.standard_normal((M, N)).astype(np.float32)
    outs = []
    for isa in available_isas():
        assert _core.set_isa(isa) == isa
        C = C0.copy()
        _core.gemm(A, B, C, ta, tb, True, bias=bias, relu=True, mask=mask)
        outs.append(C.view(np.uint32))
    for o in outs[1:]:
        assert np.array_equal(outs[0], o)


def test_set_isa_clamps():
    best = _core.set_isa(-1)
    assert best in (0, 1, 2, 3) and _core.get_isa() == best
    assert _core.set_isa(99) == best
    assert _core.set_isa(0) == 0 and _core.get_isa() == 0


@pytest.mark.parametrize("ta,tb", TRANS)
def test_bits_identical_across_thread_counts(ta, tb):
    rng = np.random.default_rng(3)
    M, N, K = 301, 263, 200  # ~32 MFLOP: split into blocks over the pool
    A, B = operands(rng, M, N, K, ta, tb)
    bias = rng.standard_normal(N).astype(np.float32)
    outs = []
    for threads in (1, 2, 3):
        _core.set_num_threads(threads)
        assert _core.get_num_threads() == threads
        C = np.empty((M, N), np.float32)
        _core.gemm(A, B, C, ta, tb, False, bias=bias, relu=True)
        outs.append(C.view(np.uint32))
    assert np.array_equal(outs[0], outs[1]) and np.array_equal(outs[0], outs[2])
    check(outs[0].view(np.float32), *reference(A, B, ta, tb, bias=bias, relu=True))


def test_matrix_vector_parallel_and_paths_agree():
    rng = np.random.default_rng(8)
    A = rng.standard_normal((3000, 700)).astype(np.float32)  # N == 1, > 2 MFLOP
    b = rng.standard_normal((700, 1)).astype(np.float32)
    outs = []
    for threads in (1, 2):
        _core.set_num_threads(threads)
        C = np.empty((3000, 1), np.float32)
        _core.gemm(A, b, C, False, False, False)
        outs.append(C)
    assert np.array_equal(outs[0], outs[1])
    check(outs[0], *reference(A, b, 0, 0))


def test_repeated_calls_reuse_buffers():
    """Growing then shrinking shapes: the per-thread packing buffers must not leak stale data."""
    rng = np.random.default_rng(4)
    for M, N, K in [(64, 64, 500), (200, 300, 100), (40, 50, 60), (200, 300, 100)]:
        A, B = operands(rng, M, N, K, 0, 0)
        C = np.empty((M, N), np.float32)
        _core.gemm(A, B, C, False, False, False)
        check(C, *reference(A, B, 0, 0))


def test_fork_child_rebuilds_pool():
    import os
    rng = np.random.default_rng(6)
    A, B = operands(rng, 200, 200, 200, 0, 0)
    _core.set_num_threads(2)
    C = np.empty((200, 200), np.float32)
    _core.gemm(A, B, C, False, False, False)  # the pool exists now
    pid = os.fork()
    if pid == 0:  # child: the workers are gone; the next parallel call must rebuild them
        code = 1
        try:
            C2 = np.empty_like(C)
            _core.gemm(A, B, C2, False, False, False)
            code = 0 if np.array_equal(C, C2) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_concurrent_callers_get_the_same_bits():
    """Two Python threads (the binding releases the GIL) share the pool: one of them runs its
    blocks inline while the other holds the pool; neither may change the bits."""
    import threading
    rng = np.random.default_rng(12)
    A, B = operands(rng, 260, 270, 250, 0, 0)
    expect = np.empty((260, 270), np.float32)
    _core.set_num_threads(2)
    _core.gemm(A, B, expect, False, False, False)
    bad = []

    def work():
        for _ in range(20):
            C = np.empty_like(expect)
            _core.gemm(A, B, C, False, False, False)
            if not np.array_equal(C, expect):
                bad.append(1)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not bad


def test_env_num_threads_read_at_first_use():
    import os
    import subprocess
    import sys
    env = dict(os.environ, CNN_NUM_THREADS="1")
    code = "from cnn import _core; print(_core.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"
    env.pop("CNN_NUM_THREADS")
    code = "import os; from cnn import _core; print(_core.get_num_threads(), len(os.sched_getaffinity(0)))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    got, cpus = out.stdout.split()
    assert got == cpus
    _core.set_num_threads(0)  # 0 = the cores this process may use
    assert _core.get_num_threads() == len(os.sched_getaffinity(0))

"""The kernels' preconditions (CNN_ASSERT in cnn.h): a debug build (-DCNN_DEBUG, which the sanitizer
build defines) aborts naming the broken condition; a release build compiles them away."""
import subprocess
import sys
import textwrap

import pytest

from c_library import build_lib  # tests/ is on sys.path

CALLS = {   # a kernel called against its preconditions: a negative size, a missing buffer, a bad lda
    "l1l2": "L.cnn_l1l2_value.restype = ctypes.c_double; L.cnn_l1l2_value(None, ctypes.c_long(-5), "
            "ctypes.c_float(1), ctypes.c_float(1))",
    "uniform": "L.cnn_rng_uniform(None, ctypes.c_long(4), ctypes.c_uint64(1), ctypes.c_float(0), ctypes.c_float(1))",
    "gemm": "a = (ctypes.c_float * 16)(); L.cnn_gemm(0, 0, ctypes.c_long(4), ctypes.c_long(4), ctypes.c_long(4), "
            "a, ctypes.c_long(1), a, ctypes.c_long(4), a, ctypes.c_long(4), 0, None)",
}
SOURCES = ["regularize.c", "mathf.c", "rng.c", "gemm.c", "gemm_avx2.c", "gemm_avx512.c", "threads.c", "interrupt.c"]


def _call(lib, call):
    script = f"import ctypes\nL = ctypes.CDLL({str(lib)!r})\n{call}\nprint('returned')"
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                          timeout=60)


@pytest.fixture(scope="module")
def libs(tmp_path_factory):
    debug = build_lib(tmp_path_factory.mktemp("debug"), SOURCES, ["-DCNN_DEBUG"])._name
    release = build_lib(tmp_path_factory.mktemp("release"), SOURCES)._name
    return debug, release


@pytest.mark.parametrize("name", sorted(CALLS))
def test_debug_build_aborts_on_a_broken_precondition(libs, name):
    debug, release = libs
    proc = _call(debug, CALLS[name])
    assert proc.returncode != 0 and "returned" not in proc.stdout
    assert "precondition failed" in proc.stderr, proc.stderr[-2000:]


def test_release_build_has_no_checks(libs):
    """The l1l2 call is harmless without the check (n < 0 sums nothing): the release build returns."""
    proc = _call(libs[1], CALLS["l1l2"])
    assert proc.returncode == 0 and "returned" in proc.stdout, proc.stderr[-2000:]

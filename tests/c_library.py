"""Builds a private shared library from csrc/ files, for tests that call C kernels through ctypes
(the extension hides its C symbols)."""
import ctypes
import os
import pathlib
import shutil
import subprocess

import pytest

CSRC = pathlib.Path(__file__).resolve().parents[1] / "csrc"


def _find(name):
    """csrc/**/<name>: sources are named by file name, whichever part's folder holds them."""
    found = sorted(CSRC.rglob(name))
    if len(found) != 1:
        raise FileNotFoundError(f"expected one csrc/**/{name}, found {found}")
    return found[0]


def build_lib(tmpdir, sources, extra_flags=()):
    """csrc/**/<sources> compiled with the extension's numeric flags (and extra_flags, e.g. -DCNN_DEBUG)
    into tmpdir; skips without a compiler."""
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    out = pathlib.Path(tmpdir) / "libcnn_test.so"
    cmd = [cc, "-shared", "-fPIC", "-O3", "-std=c11", "-ffp-contract=off", "-fno-math-errno",
           "-D_GNU_SOURCE", "-I", str(CSRC)] + [f"-I{d}" for d in sorted(CSRC.glob("*/"))]
    cmd += list(extra_flags) + [str(_find(s)) for s in sources] + ["-o", str(out), "-lm", "-pthread"]
    subprocess.run(cmd, check=True, capture_output=True)
    return ctypes.CDLL(str(out))

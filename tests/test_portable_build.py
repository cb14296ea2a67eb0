"""The C core compiles without a single warning, -std=c11 -pedantic, with every compiler present:
GCC and Clang for this machine, the aarch64 cross GCC (the NEON path) and mingw-w64 (Windows). The
binding needs Python's headers for the target, so it is compiled with the native compilers only."""
import pathlib
import shutil
import subprocess
import sysconfig

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CSRC = ROOT / "csrc"
CORE = sorted(p for p in CSRC.rglob("*.c") if "binding" not in p.parts)
WARNINGS = ["-std=c11", "-pedantic", "-Wall", "-Wextra", "-Wno-unused-parameter",
            "-Wno-missing-field-initializers", "-Werror"]  # the extension's warning set, plus pedantic
FLAGS = ["-O1", "-ffp-contract=off", "-fno-math-errno", "-D_GNU_SOURCE", f"-I{CSRC}"]
FLAGS += [f"-I{d}" for d in sorted(CSRC.glob("*/"))]
COMPILERS = ["gcc", "clang", "aarch64-linux-gnu-gcc", "x86_64-w64-mingw32-gcc"]


def compile_all(cc, sources, cwd, extra=()):
    r = subprocess.run([cc, *WARNINGS, *FLAGS, *extra, "-c", *map(str, sources)], cwd=cwd,
                       capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr.strip(), f"{cc}:\n{r.stderr}"


@pytest.mark.parametrize("cc", COMPILERS)
def test_core_compiles_without_warnings(cc, tmp_path):
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} not installed")
    compile_all(cc, CORE, tmp_path)
    assert len(list(tmp_path.glob("*.o"))) == len(CORE)


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_binding_compiles_without_warnings(cc, tmp_path):
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} not installed")
    # Python's and NumPy's headers are not pedantic-clean themselves: include them as system headers.
    extra = ["-isystem", sysconfig.get_paths()["include"], "-isystem", np.get_include(), "-fPIC",
             "-DNPY_NO_DEPRECATED_API=NPY_1_20_API_VERSION"]
    compile_all(cc, sorted((CSRC / "binding").glob("*.c")), tmp_path, extra)

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
# (compiler, target flags); Clang for arm64 is what Apple's compiler sees of the NEON path
COMPILERS = [("gcc", []), ("clang", []), ("aarch64-linux-gnu-gcc", []),
             ("clang", ["--target=aarch64-linux-gnu"]), ("x86_64-w64-mingw32-gcc", [])]


def compile_all(cc, sources, cwd, extra=(), mode="-c"):
    r = subprocess.run([cc, *WARNINGS, *FLAGS, *extra, mode, *map(str, sources)], cwd=cwd,
                       capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr.strip(), f"{cc}:\n{r.stderr}"


@pytest.mark.parametrize("cc, target", COMPILERS, ids=[" ".join([c, *t]) for c, t in COMPILERS])
def test_core_compiles_without_warnings(cc, target, tmp_path):
    if shutil.which(cc) is None or (target and shutil.which("aarch64-linux-gnu-gcc") is None):
        pytest.skip(f"{cc} {target} not installed")
    if cc == "gcc":  # the warnings that need the optimizer's analysis (setup.py's -Werror build: -O3)
        compile_all(cc, CORE, tmp_path, target)
        assert len(list(tmp_path.glob("*.o"))) == len(CORE)
    else:  # the front end's warnings, at a fraction of the time
        compile_all(cc, CORE, tmp_path, target, "-fsyntax-only")


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_binding_compiles_without_warnings(cc, tmp_path):
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} not installed")
    # Python's and NumPy's headers are not pedantic-clean themselves: include them as system headers.
    extra = ["-isystem", sysconfig.get_paths()["include"], "-isystem", np.get_include(), "-fPIC",
             "-DNPY_NO_DEPRECATED_API=NPY_1_20_API_VERSION"]
    compile_all(cc, sorted((CSRC / "binding").glob("*.c")), tmp_path, extra)

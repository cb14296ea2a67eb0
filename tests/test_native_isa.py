"""tests/native/*.c print hashes of the core's output bits per instruction-set path and machine:
gemm_check.c for cnn_gemm over many shapes (edge tiles, K = 1, large K, transposes, every epilogue),
core_check.c for every activation, loss and optimizer kernel and a training run through a plan.
The x86 paths here and the ARM64 NEON and portable paths, cross-compiled (GCC, and Clang as Apple's
compiler) and run under qemu-user, must print the same hashes."""
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CSRC = ROOT / "csrc"
GEMM = [CSRC / "gemm" / f
        for f in ("gemm.c", "gemm_avx2.c", "gemm_avx512.c", "gemm_neon.c", "threads.c", "interrupt.c")]
CORE = sorted(p for p in CSRC.rglob("*.c") if "binding" not in p.parts)
PROGRAMS = {"gemm_check": GEMM, "core_check": CORE}
FLAGS = ["-O2", "-std=c11", "-ffp-contract=off", "-fno-math-errno", "-D_GNU_SOURCE", f"-I{CSRC}"]
FLAGS += [f"-I{d}" for d in sorted(CSRC.glob("*/"))]
ISA_NAMES = {0: "portable", 1: "AVX2+FMA", 2: "AVX-512", 3: "NEON"}


def build(cc, outdir, extra=()):
    """Both check programs, built with cc; {name: path}."""
    exes = {}
    for name, sources in PROGRAMS.items():
        exes[name] = outdir / name
        cmd = [cc, *FLAGS, *map(str, sources), str(ROOT / "tests" / "native" / f"{name}.c"),
               "-o", str(exes[name]), "-lm", "-pthread", *extra]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
    return exes


def hashes(runner, exes, cases):
    """{(program, isa name, threads): its lines}, run in parallel; paths this machine lacks are left out."""
    procs = {(name, *c): subprocess.Popen([*runner, str(exe), str(c[0]), str(c[1])], stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True)
             for name, exe in exes.items() for c in cases}
    runs = {}
    for (name, isa, threads), p in procs.items():
        out, err = p.communicate(timeout=300)
        if p.returncode == 2:
            continue
        assert p.returncode == 0, err
        runs[(name, ISA_NAMES[isa], threads)] = lines = out.splitlines()
        assert len(lines) > 40 and not any("failed" in line for line in lines), lines[-3:]
    return runs


@pytest.fixture(scope="module")
def native_runs(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    exes = build(cc, tmp_path_factory.mktemp("native"))
    runs = hashes([], exes, [(isa, threads) for isa in ISA_NAMES for threads in (1, 3)])
    assert ("gemm_check", "portable", 1) in runs and ("core_check", "portable", 1) in runs
    return runs


def test_native_paths_bit_identical(native_runs):
    for (name, isa, threads), lines in native_runs.items():
        assert lines == native_runs[(name, "portable", 1)], f"{name}: {isa} with {threads} thread(s) differs"


# (compiler, its target flag, the (isa, threads) runs): GCC as the reference build, Clang as Apple's.
ARM_BUILDS = [("aarch64-linux-gnu-gcc", [], [(3, 1), (3, 4), (0, 1)]),
              ("clang", ["--target=aarch64-linux-gnu"], [(3, 2)])]


@pytest.mark.parametrize("cc, target, cases", ARM_BUILDS, ids=[b[0] for b in ARM_BUILDS])
def test_arm64_under_qemu_bit_identical_to_native(native_runs, tmp_path, cc, target, cases):
    qemu = shutil.which("qemu-aarch64") or shutil.which("qemu-aarch64-static")
    if shutil.which(cc) is None or shutil.which("aarch64-linux-gnu-gcc") is None or qemu is None:
        pytest.skip("needs aarch64-linux-gnu-gcc and qemu-aarch64 (apt-get install gcc-aarch64-linux-gnu qemu-user)")
    exes = build(cc, tmp_path, [*target, "-static"])  # static: no arm64 libc needed at run time
    runs = hashes([qemu], exes, cases)
    assert ("gemm_check", "NEON", cases[0][1]) in runs, "the arm64 build lacks the NEON path"
    for (name, isa, threads), lines in runs.items():
        assert lines == native_runs[(name, "portable", 1)], f"arm64 {name}: {isa} with {threads} thread(s) differs"


def test_c11_threads_build_bit_identical(native_runs, tmp_path):
    """The pool on C11 <threads.h> (MSVC's threads; glibc has them too) instead of POSIX threads."""
    cc = shutil.which("cc") or shutil.which("gcc")
    exes = build(cc, tmp_path, ["-DCNN_C11_THREADS"])
    runs = hashes([], exes, [(0, 3), (3, 3), (2, 4)])
    assert ("gemm_check", "portable", 3) in runs
    for (name, isa, threads), lines in runs.items():
        assert lines == native_runs[(name, "portable", 1)], f"C11 threads {name}: {isa} with {threads} differs"

"""tests/native/gemm_check.c: cnn_gemm's output bits, per instruction-set path and machine, for many
shapes (edge tiles, K = 1, large K, transposes, every epilogue). The x86 paths here and the ARM64
NEON path, cross-compiled (GCC and Clang) and run under qemu-user, must print the same hashes."""
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
GEMM_SOURCES = [ROOT / "csrc" / "gemm" / f
                for f in ("gemm.c", "gemm_avx2.c", "gemm_avx512.c", "gemm_neon.c", "threads.c")]
FLAGS = ["-O2", "-std=c11", "-ffp-contract=off", "-fno-math-errno", "-D_GNU_SOURCE",
         f"-I{ROOT / 'csrc'}", f"-I{ROOT / 'csrc' / 'gemm'}"]
ISA_NAMES = {0: "portable", 1: "AVX2+FMA", 2: "AVX-512", 3: "NEON"}


def build(cc, out, extra=()):
    cmd = [cc, *FLAGS, *map(str, GEMM_SOURCES), str(ROOT / "tests" / "native" / "gemm_check.c"),
           "-o", str(out), "-lm", "-pthread", *extra]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out


def hashes(runner, cases):
    """{(isa, threads): the program's lines}, run in parallel; paths this machine lacks are left out."""
    procs = {c: subprocess.Popen([*runner, str(c[0]), str(c[1])], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for c in cases}
    runs = {}
    for (isa, threads), p in procs.items():
        out, err = p.communicate(timeout=300)
        if p.returncode == 2:
            continue
        assert p.returncode == 0, err
        runs[(ISA_NAMES[isa], threads)] = out.splitlines()
        assert len(runs[(ISA_NAMES[isa], threads)]) > 400
    return runs


@pytest.fixture(scope="module")
def native_runs(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    exe = build(cc, tmp_path_factory.mktemp("native") / "gemm_check")
    runs = hashes([str(exe)], [(isa, threads) for isa in ISA_NAMES for threads in (1, 3)])
    assert ("portable", 1) in runs
    return runs


def test_native_paths_bit_identical(native_runs):
    reference = native_runs[("portable", 1)]
    for key, lines in native_runs.items():
        assert lines == reference, f"{key} differs from the portable path"


# (compiler, its target flag, the (isa, threads) runs): GCC as the reference build, Clang as Apple's.
ARM_BUILDS = [("aarch64-linux-gnu-gcc", [], [(3, 1), (3, 4), (0, 1)]),
              ("clang", ["--target=aarch64-linux-gnu"], [(3, 2)])]


@pytest.mark.parametrize("cc, target, cases", ARM_BUILDS, ids=[b[0] for b in ARM_BUILDS])
def test_neon_under_qemu_bit_identical_to_native(native_runs, tmp_path, cc, target, cases):
    qemu = shutil.which("qemu-aarch64") or shutil.which("qemu-aarch64-static")
    if shutil.which(cc) is None or shutil.which("aarch64-linux-gnu-gcc") is None or qemu is None:
        pytest.skip("needs aarch64-linux-gnu-gcc and qemu-aarch64 (apt-get install gcc-aarch64-linux-gnu qemu-user)")
    # static: no arm64 libc needed at run time
    exe = build(cc, tmp_path / "gemm_check_arm64", [*target, "-static"])
    reference = native_runs[("portable", 1)]
    runs = hashes([qemu, str(exe)], cases)
    assert ("NEON", cases[0][1]) in runs, "the arm64 build lacks the NEON path"
    for key, lines in runs.items():
        assert lines == reference, f"arm64 {key} differs from x86"

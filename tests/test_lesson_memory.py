"""A whole lesson stays under 150 MB of resident memory (issue 10: graders such as Gradescope give a
submission 768 MB, shared by the student's code, pytest and the grader): each lab's demo runs in a
child process, whose peak RSS the kernel reports (os.wait4, from a small launcher process). The conv demo reads the full
Fashion-MNIST when it is installed (Debian's dataset-fashion-mnist), else the shipped subset."""
import gzip
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import cnn
from cnn._demos import DEMOS
from cnn.datasets import fashion_mnist as fm

LIMIT_MB = 150
ARGS = {"conv": ["--epochs", "1"]}   # one epoch of 60,000 images: the memory is the same for three


# Linux records a process's peak RSS across exec, so a child of this big pytest process would start
# from pytest's own peak: a small launcher process runs the demo and reports its child's os.wait4.
_LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(proc.pid, 0)
print("@@", os.waitstatus_to_exitcode(status), usage.ru_maxrss, flush=True)
"""


def _peak_rss_mb(args, cwd):
    """Runs python -m cnn with args in a grandchild; its exit code, output and peak RSS in MB."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(
        p for p in (str(pathlib.Path(cnn.__file__).resolve().parent.parent), os.environ.get("PYTHONPATH")) if p))
    run = subprocess.run([sys.executable, "-c", _LAUNCHER, sys.executable, "-m", "cnn", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd, env=env, timeout=600,
                         check=False)
    out, _, last = run.stdout.rstrip().rpartition("\n")
    marker, code, rss = last.split()
    assert run.returncode == 0 and marker == "@@", run.stdout
    return int(code), out, int(rss) / 1024   # Linux reports kilobytes


@pytest.mark.skipif(not hasattr(os, "wait4"), reason="os.wait4 reports a child's peak memory on Unix only")
@pytest.mark.skipif("asan" in os.environ.get("LD_PRELOAD", ""), reason="AddressSanitizer's shadow memory "
                    "(.ci/sanitize preloads it into children) is not the lesson's")
@pytest.mark.parametrize("demo", list(DEMOS))
def test_each_lab_demo_stays_under_150_mb(demo, tmp_path):
    code, out, peak = _peak_rss_mb([demo, *ARGS.get(demo, [])], tmp_path)
    assert code == 0, out
    assert "Done in" in out
    assert peak < LIMIT_MB, f"python -m cnn {demo} peaked at {peak:.0f} MB of resident memory"


def _write_gz(path, payload):
    with gzip.open(path, "wb") as f:
        f.write(payload)


def test_idx_files_are_read_into_a_writable_array_and_checked(tmp_path):
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    fm.write_idx(str(tmp_path / "ok.gz"), images)
    got = fm.read_idx(str(tmp_path / "ok.gz"))
    assert got.dtype == np.uint8 and np.array_equal(got, images) and got.flags.writeable   # as Keras's arrays
    header = bytes([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5])
    _write_gz(tmp_path / "short.gz", header + images.tobytes()[:-1])
    with pytest.raises(ValueError, match=r"header says shape \(3, 4, 5\) but holds 59 bytes"):
        fm.read_idx(str(tmp_path / "short.gz"))
    _write_gz(tmp_path / "long.gz", header + images.tobytes() + b"\0")
    with pytest.raises(ValueError, match=r"header says shape \(3, 4, 5\) but holds more than 60 bytes"):
        fm.read_idx(str(tmp_path / "long.gz"))
    _write_gz(tmp_path / "cut.gz", header[:9])
    with pytest.raises(ValueError, match="header cut short"):
        fm.read_idx(str(tmp_path / "cut.gz"))
    _write_gz(tmp_path / "float.gz", bytes([0, 0, 0x0D, 1, 0, 0, 0, 1]) + b"\0" * 4)
    with pytest.raises(ValueError, match="not an unsigned-byte IDX file"):
        fm.read_idx(str(tmp_path / "float.gz"))

"""python -m cnn --info: the facts a bug report needs, and it leaves the core's settings as they were."""
import os
import pathlib
import subprocess
import sys

import cnn
from cnn import _core
from cnn._info import ISA_NAMES, info_lines, instruction_sets


def test_info_lines_name_version_isa_threads_and_data():
    lines = info_lines()
    text = "\n".join(lines)
    assert lines[0].startswith(f"cnn {cnn.__version__} ")
    current, available = instruction_sets()
    assert f"instruction set: {current} " in text and current == ISA_NAMES[_core.get_isa()]
    assert "portable C" in available and current in available
    assert f"threads: {cnn.utils.get_num_threads()} " in text
    assert "datasets: shipped with the package" in text and "winequality-red.csv" in text


def test_instruction_sets_keeps_the_chosen_path():
    best = _core.set_isa(-1)
    try:
        _core.set_isa(0)
        assert instruction_sets()[0] == "portable C" and _core.get_isa() == 0
    finally:
        _core.set_isa(best)


def test_module_prints_info_and_honours_cnn_num_threads():
    root = str(pathlib.Path(cnn.__file__).resolve().parent.parent)
    env = dict(os.environ, CNN_NUM_THREADS="3",
               PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    run = subprocess.run([sys.executable, "-m", "cnn", "--info"], capture_output=True, text=True, env=env,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert "threads: 3 (CNN_NUM_THREADS=3)" in run.stdout
    assert run.stdout.startswith(f"cnn {cnn.__version__}")

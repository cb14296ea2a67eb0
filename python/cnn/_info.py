"""python -m cnn --info: what a bug report needs to know about this installation."""
import os
import platform
import sys

import numpy as np

import cnn
from cnn import _core, datasets

ISA_NAMES = {0: "portable C", 1: "AVX2+FMA", 2: "AVX-512", 3: "NEON"}


def instruction_sets():
    """(the path in use, every path this CPU and build can run), as names; leaves the choice as it was."""
    current = _core.get_isa()
    available = [name for isa, name in ISA_NAMES.items() if _core.set_isa(isa) == isa]
    _core.set_isa(current)
    return ISA_NAMES.get(current, f"unknown ({current})"), available


def dataset_source():
    """Where load_red_wine() and the other loaders read: the files shipped inside the package."""
    files = sorted(f for f in os.listdir(datasets._DATA) if f.endswith(".csv"))
    return f"shipped with the package, {datasets._DATA} ({', '.join(files)})"


def info_lines():
    current, available = instruction_sets()
    env_threads = os.environ.get("CNN_NUM_THREADS")
    return [
        f"cnn {cnn.__version__} ({os.path.dirname(cnn.__file__)})",
        f"core: {_core.__file__}",
        f"instruction set: {current} (this CPU can run: {', '.join(available)})",
        f"threads: {cnn.utils.get_num_threads()}"
        + (f" (CNN_NUM_THREADS={env_threads})" if env_threads else " (every core this process may use)"),
        f"datasets: {dataset_source()}",
        f"python {platform.python_version()} ({sys.executable}), numpy {np.__version__}",
        f"platform: {platform.platform()}, {platform.machine()}",
    ]

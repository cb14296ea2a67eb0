"""Keras 3 itself as the oracle: a script run by the venv that holds Keras on the torch backend and
torch 2.13 (/work/oracle-venv here; CNN_KERAS_ORACLE names another interpreter), fed JSON on stdin,
answering with JSON on its last line. Tests that use it skip where it is absent."""
import json
import os
import pathlib
import subprocess

import pytest

ORACLE = pathlib.Path(os.environ.get("CNN_KERAS_ORACLE", "/work/oracle-venv/bin/python"))
needs_oracle = pytest.mark.skipif(not ORACLE.exists(), reason=f"no Keras 3 oracle venv at {ORACLE}")

# The head of a script that runs a course file (argv[1]) under Keras: its `from cnn import ops` made
# `from keras import ops`, its names in `ns`; the JSON case on stdin gives x (float32) and y (int64).
COURSE_PRELUDE = r"""
import json, sys
import numpy as np
import keras
from keras import ops
path, case = sys.argv[1], json.load(sys.stdin)
ns = {}
exec(compile(open(path).read().replace("from cnn import ops", "from keras import ops"), path, "exec"), ns)
x, y = np.array(case["x"], np.float32), np.array(case["y"], np.int64)
"""


def run(script, *args, payload=None, timeout=600):
    """The JSON the script prints last, run under Keras 3 (torch backend) with args and stdin payload."""
    if not ORACLE.exists():
        pytest.skip(f"no Keras 3 oracle venv at {ORACLE}")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "PYTHONPATH")}
    env["KERAS_BACKEND"] = "torch"
    proc = subprocess.run([str(ORACLE), "-c", script, *map(str, args)], capture_output=True, text=True, env=env,
                          input=json.dumps(payload) if payload is not None else None, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])

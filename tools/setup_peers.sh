#!/usr/bin/env bash
# Creates (or updates) the virtual environment in which benchmarks/run.py compares cnn with its peers:
# PyTorch 2.13 (CPU), Keras 3 (run on the torch backend), pandas, and cnn itself built from this repo.
#   tools/setup_peers.sh [VENV]     # default .venv-peers in the repository; safe to run again
#   VENV/bin/python benchmarks/run.py
set -euo pipefail
venv=$(realpath -m "${1:-$(dirname "$0")/../.venv-peers}")  # a relative VENV: from the caller's folder
cd "$(dirname "$0")/.."                                      # the repository, for `pip install .`
python=${PYTHON:-python3}
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip() { "$venv/bin/python" -m pip --disable-pip-version-check "$@"; }
pip install -q --upgrade pip
# cnn with its `bench` extra (torch==2.13.0 CPU, keras>=3, pandas: pinned in pyproject.toml); cnn is
# rebuilt from the working tree every time, so the benchmark measures the current code.
pip install -q ".[bench]"
pip install -q --force-reinstall --no-deps .
"$venv/bin/python" - <<'PY'
import os
os.environ.setdefault("KERAS_BACKEND", "torch")
import numpy, pandas, torch, keras, cnn
for name, mod in [("python", None), ("numpy", numpy), ("pandas", pandas), ("torch", torch),
                  ("keras", keras), ("cnn", cnn)]:
    if mod is None:
        import sys; print(f"{name:<7} {sys.version.split()[0]}")
    else:
        print(f"{name:<7} {getattr(mod, '__version__', '?')}  ({os.path.dirname(mod.__file__)})")
print("keras backend:", keras.backend.backend(), "| torch threads:", torch.get_num_threads())
PY

"""What every part of cnn.saving shares: member names, limits, h5py detection, JSON and file writing."""
import os
import struct
import sys
import tempfile
import zipfile
import zlib

import numpy as np

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS_H5 = "model.weights.h5"
WEIGHTS_NPZ = "model.weights.npz"
KERAS_FORMAT_VERSION = "3.0.0"      # the Keras 3 saving layout these files follow
H5_EXTRA = 'pip install "cnn[h5]"'

# Limits that keep loading a hostile file bounded in time and memory (issue 14). A sane model's
# config is ~1 KB per layer; parsed JSON can take ~25 times its text in memory, hence 3 MB.
MAX_CONFIG_BYTES = 3 << 20
MAX_JSON_DEPTH = 64                 # a real Keras config nests about 10 levels
MAX_LAYERS = 10000
MAX_MEMBERS = 10000
# A member may expand to at most EXPAND_RATIO times what it stores, with EXPAND_FLOOR allowed
# whatever it stores: a 1 MB file stays within ~200 MB once loaded.
EXPAND_FLOOR = 16 << 20
EXPAND_RATIO = 16
READ_CHUNK = 1 << 20
SMALL_MODEL = 1 << 20               # floats (4 MB): built before the weights' headers are compared

# what zipfile raises on damaged archives (besides ValueError)
ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError, NotImplementedError,
              KeyError, struct.error)


def require_h5py(what):
    try:
        import h5py
    except ImportError:
        raise ImportError(f"{what} needs the h5py package, which is not installed. Install it with "
                          f"{H5_EXTRA} (or pip install h5py).") from None
    return h5py


def have_h5py():
    try:
        import h5py  # noqa: F401
        return True
    except ImportError:
        return False


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot save {obj!r} (of type {type(obj).__name__}) in a model config: only "
                    "numbers, strings, lists and dicts can be saved")


def dumps(obj):
    import json
    try:
        return json.dumps(obj, default=_json_default)
    except (TypeError, ValueError) as e:
        raise ValueError(f"The model cannot be saved: {e}") from None


def is_file_object(f, method):
    return hasattr(f, method) and not isinstance(f, (str, bytes, os.PathLike))


def ask_overwrite(path):
    """Keras asks before overwriting when overwrite=False; without a terminal we refuse."""
    if not os.path.exists(path):
        return True
    if not (sys.stdin and sys.stdin.isatty()):
        raise FileExistsError(f"{path} already exists and overwrite=False")
    answer = input(f"[WARNING] {path} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    return answer == "y"


def write_atomically(path, data):
    """Writes bytes to path through a temporary file in the same folder (no half-written files)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".cnn-save-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
